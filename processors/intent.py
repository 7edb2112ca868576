"""Churn intent read from meaning: per language (EN, ES, FR, DE), small lemma patterns for each
category of leaving, with the negation, the object and the speaker taken into account.

What counts, and what does not:

- Said, threatened or asked about: "I want to cancel my contract", "if this isn't fixed I'm
  switching providers", "how do I cancel my contract?" (a customer who asks how to leave is
  weighing it) are intent.
- Negated: "I won't cancel", "no voy a cancelar", "je ne vais pas résilier", "ich werde nicht
  kündigen" are not; an inability is not a negation ("I can't cancel online" still wants to).
  Some categories are the negation itself: "I won't renew" is NOT_RENEWING.
- About something else: cancelling an order, an add-on, an appointment, a payment or a card
  is not leaving; nor is what someone else did ("you cancelled my contract", English only).

The rules file's ``churn_phrases`` are extra phrases on top, matched word for word with the
same negation and object checks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from processors.churn_patterns import LET_LAPSE, NEGATED_INTENT, PATTERNS
from processors.language import Language, Reading, read, wordset
from processors.patterns import Pattern, candidates, near

# Reported in this order when a text says several things.
CATEGORIES = (
    "legal",
    "chargeback",
    "porting",
    "cancel",
    "close_account",
    "not_renewing",
    "contract_end",
    "competitor",
    "leaving",
    "refund",
)

# Cancelling one of these is not leaving.
_OTHER_OBJECTS = wordset(
    "order orders booking appointment appointments add-on add-ons addon extra payment delivery"
    " visit callback card upgrade engineer technician return trip flight reservation"
    " pedido cita pago entrega tarjeta reserva devolución"
    " commande rendez-vous paiement livraison carte option réservation"
    " bestellung zahlung lieferung karte option zusatzoption buchung"
)
# The categories about ending the service, where the object and the speaker matter.
_ABOUT_THE_SERVICE = frozenset({"cancel", "close_account", "porting", "leaving", "contract_end"})
# "I was going to cancel but you fixed it": an intention of the past, taken back.
_FORMER: dict[Language, frozenset[str]] = {
    "en": wordset("was were thought"),
    "es": wordset("pensaba iba quería estuve"),
    "fr": wordset("allais voulais pensais failli"),
    "de": wordset("wollte wollten dachte hätte"),
}
_CONTRAST: dict[Language, frozenset[str]] = {
    "en": wordset("but however"),
    "es": wordset("pero sino"),
    "fr": wordset("mais"),
    "de": wordset("aber doch"),
}
# Per category, more things that make it about something else.
_NOT_ABOUT: dict[str, frozenset[str]] = {
    # a refund of one fee or charge is a billing question, not leaving
    "refund": wordset("fee fees charge charges late overcharge double tasa cargo frais gebühr"),
    # "leave a review", "leave it at the door"
    "leaving": wordset("review message feedback comment note voicemail parcel door rating"),
}
# A negation that makes intent ("don't expect me to renew") reaches further back.
NEGATED_REACH = 5
# CONTRACT_END needs a word of leaving beside it: "when my contract is up, can I upgrade?" is not.
_LEAVING_CUES = wordset(
    "leave leaving switch switching elsewhere other another shop shopping gone walk done bye"
    " competitor move moving irme cambiar cambiarme cambio compañía operador otra otro marcharme"
    " buscar"
    " partir quitter changer autre ailleurs concurrent wechseln wechsle weg anderen anderer"
    " woanders gehen"
)
# Somebody else acted ("you cancelled my contract"), unless it is a request ("can you ...").
_OTHERS = wordset(
    "you someone somebody they he she agent colleague friend neighbour neighbor wife husband"
    " partner mum mom dad son daughter brother sister"
)
_REQUEST = wordset("can could would will please")


@dataclass(frozen=True)
class ChurnIntent:
    """A category of churn intent, the language it was read in, and the words that said it."""

    category: str
    language: Language
    evidence: str


def churn_intent(
    text: str, extra_phrases: Mapping[str, Iterable[str]] | None = None
) -> ChurnIntent | None:
    """The churn intent ``text`` expresses, if any (the first of ``CATEGORIES``, then extra
    phrases by category order).

    >>> churn_intent("A competitor offered me a better deal").category
    'competitor'
    >>> churn_intent("I won't cancel, you fixed it") is None
    True
    """
    if not text.strip():
        return None
    phrases = _phrase_patterns(tuple((c, tuple(p)) for c, p in (extra_phrases or {}).items()))
    return _intent(text, phrases)


@functools.lru_cache(maxsize=4096)
def _intent(text: str, phrases: tuple[tuple[str, tuple[Pattern, ...]], ...]) -> ChurnIntent | None:
    reading = read(text)
    rules = PATTERNS[reading.language]
    for category in CATEGORIES:
        if category == "not_renewing":
            found = _first(
                reading, NEGATED_INTENT[reading.language], category, negated=True
            ) or _first(reading, LET_LAPSE if reading.language == "en" else (), category)
        else:
            found = _first(reading, rules.get(category, ()), category)
            if found and category == "contract_end" and not _leaving_cue(reading):
                found = None
        if found:
            return ChurnIntent(category, reading.language, found)
    for category, options in phrases:
        found = _first(reading, options, category)
        if found:
            return ChurnIntent(category, reading.language, found)
    return None


def _first(
    reading: Reading, options: Iterable[Pattern], category: str, negated: bool = False
) -> str | None:
    service = category in _ABOUT_THE_SERVICE
    for pattern in candidates(options, reading):
        span = pattern.find(reading, negated=negated, reach=NEGATED_REACH if negated else 0)
        if span is None:
            continue
        if near(reading, span, _something_else(category)) or _taken_back(reading, span):
            continue
        if service and reading.language == "en" and _someone_else(reading, span[0]):
            continue
        return " ".join(reading.words[span[0] : span[1] + 1])
    return None


@functools.lru_cache(maxsize=64)
def _something_else(category: str) -> frozenset[str]:
    """The words that make a match of ``category`` about something else."""
    service = category in _ABOUT_THE_SERVICE
    return (_OTHER_OBJECTS if service else frozenset()) | _NOT_ABOUT.get(category, frozenset())


def _taken_back(reading: Reading, span: tuple[int, int]) -> bool:
    """An intention of the past in the words before the span, and a contrast after it."""
    start, end = span
    before = reading.words[max(0, start - 4) : start]
    after = reading.words[end + 1 :]
    return any(w in _FORMER[reading.language] for w in before) and any(
        w in _CONTRAST[reading.language] for w in after
    )


def _someone_else(reading: Reading, start: int) -> bool:
    """Whether the words before ``start`` say another person did it ("you cancelled")."""
    before = reading.words[max(0, start - 2) : start]
    for k, word in enumerate(before):
        if word in _OTHERS:
            index = start - len(before) + k
            ask = reading.words[max(0, index - 1) : index]
            return not (ask and ask[0] in _REQUEST)
    return False


def _leaving_cue(reading: Reading) -> bool:
    return any(
        w in _LEAVING_CUES or lem in _LEAVING_CUES
        for w, lem in zip(reading.words, reading.lemmas, strict=True)
    )


@functools.lru_cache(maxsize=16)
def _phrase_patterns(
    phrases: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, tuple[Pattern, ...]], ...]:
    """The rules' extra phrases as word-for-word patterns, built once per set of rules."""
    return tuple(
        (category, tuple(Pattern.parse(" ".join(read(p).words)) for p in options))
        for category, options in phrases
    )


def forget_texts() -> None:
    """Drops the intents of the texts read lately."""
    _intent.cache_clear()
