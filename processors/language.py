"""A customer's text read for meaning: its language (EN, ES, FR, DE), words, lemmas and clauses
(the patterns matched on them are in :mod:`processors.patterns`). Pure; cached per text.

Language detection and lemmas come from simplemma (dictionaries shipped in the package). A
text too short or too mixed to tell is read as English.

    >>> reading = read("Je ne vais pas résilier mon abonnement")
    >>> reading.language, reading.lemmas[4]
    ('fr', 'résilier')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import simplemma
from simplemma import LanguageDetector, MostCommonTokenSampler, RelaxedMostCommonTokenSampler
from simplemma.strategies import DefaultStrategy

Language = Literal["en", "es", "fr", "de"]
LANGUAGES: tuple[Language, ...] = ("en", "es", "fr", "de")
DEFAULT_LANGUAGE: Language = "en"
# Fewer words than this, or a best guess this close to the next one: read as English.
MIN_DETECT_WORDS = 2
MIN_DETECT_MARGIN = 0.5
# Function words alone decide when one language leads by this many.
DECISIVE_VOTES = 3
# Text past this is not read for meaning: the opening carries what the customer wants.
MAX_READ_CHARS = 1000
DEFAULT_CACHED_TEXTS = 4096

_TOKEN = re.compile(
    r"[^\W_]+(?:[-'’][^\W_]+)*|[.,;:!?…()\"“”]+|[\U0001F300-\U0001FAFF\u2600-\u27BF]"
)
# What a run of punctuation (the second kind of token) is made of; the ends of a sentence.
_PUNCTUATION = frozenset('.,;:!?…()"“”')
_SENTENCE_ENDS = frozenset(".!?…")
# English contractions split into the words they stand for ("won't" -> "will not").
_EN_CONTRACTIONS = {
    "won't": ("will", "not"),
    "can't": ("can", "not"),
    "shan't": ("shall", "not"),
    "ain't": ("am", "not"),
    "cannot": ("can", "not"),
}
_EN_SUFFIXES = {"n't": "not", "'ll": "will", "'m": "am", "'re": "are", "'ve": "have", "'d": "would"}
# French elisions, restored to their words ("n'ai" -> "ne ai", "l'offre" -> "le offre").
_FR_ELISIONS = {
    "n": "ne", "l": "le", "d": "de", "j": "je", "qu": "que", "m": "me", "t": "te", "s": "se",
    "c": "ce",
}  # fmt: skip


def wordset(text: str) -> frozenset[str]:
    """The words of ``text``, split on spaces."""
    return frozenset(text.split())


# Frequent short words of each language, and its greetings and thanks.
FUNCTION_WORDS: dict[Language, frozenset[str]] = {
    "en": wordset(
        "the i you my is to and it for not on this with your me have be are was what that"
        " of at in can will would please thanks thank hi hello an just no again"
    ),
    "es": wordset(
        "el la de que y en los mi no por con para es una un me lo las se quiero muy pero ya"
        " del al su ustedes gracias hola muchas otra vez esto estoy tengo"
    ),
    "fr": wordset(
        "le la les de des du je et est pas une un mon ma mes vous pour ne que qui avec sur ce"
        " il au votre merci bonjour très encore suis ai"
    ),
    "de": wordset(
        "der die das und ich ist nicht mit mein meine meinen sie ein eine einen zu den dem von"
        " für auf es wir ihr euch bei schon noch danke hallo bitte sehr habe bin"
    ),
}
# Function word -> the languages it votes for, in LANGUAGES order.
_VOTES: dict[str, tuple[Language, ...]] = {
    word: tuple(lang for lang in LANGUAGES if word in FUNCTION_WORDS[lang])
    for word in frozenset().union(*FUNCTION_WORDS.values())
}
# Words that close a clause: a negation does not reach past them.
CLAUSE_WORDS: dict[Language, frozenset[str]] = {
    "en": wordset("but and so because or although though however then unless"),
    "es": wordset("pero y porque aunque sino pues entonces o"),
    "fr": wordset("mais et car parce donc sinon pourtant ou"),
    "de": wordset("aber und weil denn sondern obwohl doch also oder"),
}
NEGATIONS: dict[Language, frozenset[str]] = {
    "en": wordset("not never no nor neither almost nearly hardly"),
    "es": wordset("no nunca jamás ni tampoco ningún ninguna sin casi"),
    "fr": wordset("ne pas jamais aucun aucune ni sans presque"),
    "de": wordset("nicht nie niemals kein keine keinen keinesfalls keineswegs fast"),
}
# "I can't cancel online" still wants to cancel: a negation next to these is about ability.
ABILITY: dict[Language, frozenset[str]] = {
    "en": wordset("can could"),
    "es": wordset("puedo puede pueden podido consigo logro dejan deja"),
    "fr": wordset("peux peut pouvez pu arrive arrivons parviens"),
    "de": wordset("kann kannst können konnte konnten lässt"),
}
# How far before a match a negation reaches (words), within its clause.
NEGATION_REACH: dict[Language, int] = {"en": 3, "es": 4, "fr": 4, "de": 4}


@dataclass(frozen=True)
class Reading:
    """A text's language, its words (case-folded), their lemmas, and per word its clause
    number and whether it was written capitalised in mid-sentence (a name, e.g. a brand)."""

    language: Language
    words: tuple[str, ...]
    lemmas: tuple[str, ...]
    clauses: tuple[int, ...]
    names: tuple[bool, ...]
    ellipsis: bool
    vocabulary: frozenset[str]

    def __len__(self) -> int:
        return len(self.words)

    def negated(self, start: int, end: int, reach: int = 0) -> bool:
        """Whether a negation in the clause scopes over the words ``start``..``end``: up to
        ``reach`` words before (the language's own reach by default)."""
        cues = NEGATIONS[self.language]
        first = max(0, start - (reach or NEGATION_REACH[self.language]))
        last = end
        if self.language == "de":
            last = len(self.words) - 1  # "Ich kündige meinen Vertrag nicht": to the clause's end
        clause = self.clauses[start]
        ability = ABILITY[self.language]
        if self.language == "fr":
            # "si ma box n'est pas réparée je résilie": the negation is the condition's
            first = max([first, *(j for j in range(first, start) if self.words[j] == "je")])
        for j in range(first, last + 1):
            if self.clauses[j] != clause or self.words[j] not in cues:
                continue
            near = self.words[max(0, j - 2) : j + 2]
            if not any(w in ability for w in near):
                return True
        return False


def read(text: str) -> Reading:
    """The reading of ``text`` (its opening ``MAX_READ_CHARS``)."""
    # Cached by the part read: a text and its cut for scoring share one reading.
    return _read(text[:MAX_READ_CHARS])


@functools.lru_cache(maxsize=DEFAULT_CACHED_TEXTS)
def _read(text: str) -> Reading:
    raw = _TOKEN.findall(text.replace("’", "'"))
    language = detect_language(raw)
    words: list[str] = []
    clauses: list[int] = []
    names: list[bool] = []
    clause, sentence_start, ellipsis = 0, True, False
    boundaries = CLAUSE_WORDS[language]
    for token in raw:
        # A token is a word, a run of punctuation or an emoji: its first character says which.
        if token[0] in _PUNCTUATION:
            clause += 1
            sentence_start = sentence_start or not _SENTENCE_ENDS.isdisjoint(token)
            ellipsis = ellipsis or "…" in token or "..." in token
            continue
        # German capitalises every noun: a capital says nothing there.
        name = language != "de" and (
            (token[:1].isupper() and not sentence_start and not token.startswith("I'"))
            or (token.isupper() and 2 <= len(token) <= 4 and token != "I")  # BT, EE, O2
        )
        sentence_start = False
        for word in _parts(token.casefold(), language):
            if word in boundaries:
                clause += 1
            words.append(word)
            clauses.append(clause)
            names.append(name)
    lemmas = tuple([_lemma(word, language) for word in words])
    vocabulary = frozenset(words) | frozenset(lemmas)
    return Reading(
        language, tuple(words), lemmas, tuple(clauses), tuple(names), ellipsis, vocabulary
    )


def detect_language(tokens: Iterable[str]) -> Language:
    """EN, ES, FR or DE; English when unsure.

    simplemma's share of known words alone misreads short texts (it reads "Quiero darme de
    baja" as German), so each language's common function words vote beside it."""
    words = [w for t in tokens if t[:1].isalpha() for w in t.casefold().split("'") if w]
    if len(words) < MIN_DETECT_WORDS:
        return DEFAULT_LANGUAGE
    return _detect(" ".join(words[:60]))


@functools.lru_cache(maxsize=DEFAULT_CACHED_TEXTS)
def _detect(sample: str) -> Language:
    words = sample.split()
    votes = {lang: 0.0 for lang in LANGUAGES}
    for word in words:
        for lang in _VOTES.get(word, ()):
            votes[lang] += 1
    ranked = sorted(LANGUAGES, key=lambda lang: -votes[lang])
    if votes[ranked[0]] - votes[ranked[1]] >= DECISIVE_VOTES:
        return ranked[0]  # clear enough: spare simplemma's dictionary look-ups
    for guess, share in _langdetect(" ".join(words[:24])):
        for lang in LANGUAGES:
            if guess == lang:
                votes[lang] += share
    ranked = sorted(LANGUAGES, key=lambda lang: -votes[lang])
    best, runner_up = ranked[0], ranked[1]
    if votes[best] - votes[runner_up] < MIN_DETECT_MARGIN:
        return DEFAULT_LANGUAGE
    return best


@functools.lru_cache(maxsize=65536)
def _parts(word: str, language: Language) -> tuple[str, ...]:
    """The words ``word`` stands for (see :func:`_split`)."""
    return tuple(_split(word, language))


class _RememberedLemmas(DefaultStrategy):
    """simplemma's default lemmatization, its answers kept per word and language: language
    detection asks about the same words in text after text."""

    @functools.lru_cache(maxsize=65536)  # noqa: B019 (one instance, kept for the process)
    def get_lemma(self, token: str, lang: str) -> str | None:
        return super().get_lemma(token, lang)


# What simplemma.langdetect builds on each call: a detector per token sampler, tried in turn.
_LEMMAS = _RememberedLemmas()
_DETECTORS = tuple(
    LanguageDetector(LANGUAGES, sampler, _LEMMAS)
    for sampler in (MostCommonTokenSampler(), RelaxedMostCommonTokenSampler())
)


def _langdetect(text: str) -> list[tuple[str, float]]:
    """``simplemma.langdetect(text, lang=LANGUAGES)``, with each word's lemmas looked up once
    per process rather than once per text (a unit test holds the two equal)."""
    ranked: list[tuple[str, float]] = []
    for detector in _DETECTORS:
        shares = detector.proportion_in_each_language(text)
        ranked = sorted(shares.items(), key=lambda item: (item[0] == "unk", -item[1]))
        if len(ranked) == 1 or ranked[0][1] != ranked[1][1]:
            return ranked
    return ranked


def _split(word: str, language: Language) -> Iterator[str]:
    if language == "en":
        if word in _EN_CONTRACTIONS:
            yield from _EN_CONTRACTIONS[word]
            return
        for suffix, full in _EN_SUFFIXES.items():
            if word.endswith(suffix) and len(word) > len(suffix):
                yield word[: -len(suffix)]
                yield full
                return
    elif language == "fr" and "'" in word:
        head, _, rest = word.partition("'")
        if head in _FR_ELISIONS and rest:
            yield _FR_ELISIONS[head]
            yield from _split(rest, language)
            return
    yield word


@functools.lru_cache(maxsize=65536)
def _lemma(word: str, language: Language) -> str:
    if not word[:1].isalpha():
        return word
    return simplemma.lemmatize(word, lang=language).casefold()


def load_dictionaries() -> None:
    """Loads simplemma's dictionary of every language now (seconds), rather than on the
    first text of each language read."""
    for language in LANGUAGES:
        simplemma.lemmatize("a", lang=language)


def forget_texts() -> None:
    """Drops the texts read lately (after an erasure, none of them may stay)."""
    _read.cache_clear()
    _parts.cache_clear()
    _RememberedLemmas.get_lemma.cache_clear()
    _detect.cache_clear()
