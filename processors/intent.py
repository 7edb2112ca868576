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

from processors.language import Language, Pattern, Reading, near, patterns, read, wordset

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

_EN_SERVICE = (
    "subscription|subscriptions|contract|contracts|account|service|services|plan|membership"
    "|broadband|package|policy|line|lines|sim|tariff|internet|fibre|fiber|deal"
)
_EN_PROVIDER = (
    "provider|providers|company|companies|network|networks|operator|operators|carrier|carriers"
    "|supplier|suppliers|isp|isps|competitor|competitors"
)
_ES_SERVICE = "contrato|suscripción|cuenta|servicio|línea|plan|tarifa|abono|fibra|permanencia"
_ES_PROVIDER = "compañía|compañia|empresa|operador|operadora|proveedor|proveedora|competencia"
_FR_SERVICE = "abonnement|contrat|forfait|compte|ligne|box|service|offre|engagement"
_FR_PROVIDER = "opérateur|operateur|fournisseur|compagnie|société|prestataire|concurrent|fai"
_DE_SERVICE = "vertrag|*vertrag|abo|abonnement|tarif|*tarif|anschluss|*anschluss|konto|*konto"
_DE_PROVIDER = "anbieter|*anbieter|provider|netz|netzbetreiber|betreiber|firma|konkurrenz"

_RULES: dict[Language, dict[str, tuple[Pattern, ...]]] = {
    "en": {
        "legal": patterns(
            "lawyer|lawyers|solicitor|attorney|ombudsman|lawsuit|sue|suing|ofcom|fcc|regulator",
            "legal ~1 action|advice|proceedings|route",
            "small ~0 claims",
            "see ~1 you ~1 court",
            "trading ~0 standards",
            "report ~1 you|this ~2 to",
        ),
        "chargeback": patterns(
            "chargeback|charge-back",
            "dispute ~2 charge|charges|payment|transaction|debit",
            "call|contact|ask|tell ~2 bank|card ~1 to ~3 reverse|stop|block|refund|dispute",
            "call ~0 my ~0 bank",
            "reverse ~2 charge|charges|payment",
            "stop|block ~2 direct ~0 debit",
        ),
        "porting": patterns(
            "port|porting|ported|port-out ~3 number|out|away",
            "pac|stac|porting ~0 code",
            "transfer|transferring|move|moving|take|taking|keep|keeping ~3 number ~3 to|with|when"
            " ~3 " + _EN_PROVIDER + "|@NAME|switch|leave|go",
            "transfer|move ~3 number ~1 away|elsewhere|over|out",
            "number ~1 ported|transferred|moved ~1 to|over|out|away",
        ),
        "cancel": patterns(
            "cancel|cancelling|canceling|cancelled|canceled|terminate|terminating|discontinue"
            " ~3 " + _EN_SERVICE,
            "cancellation|termination ~3 " + _EN_SERVICE,
            "request|want|need|confirm|process|submit|like ~2 cancellation|termination",
            "stop|end ~1 subscription|contract|membership",
            "want|like|going|need|wish|will|please|gonna|to|am ~1 cancel|cancelling|terminate",
            "to|will|please|gonna ~0 end ~2 " + _EN_SERVICE,
        ),
        "close_account": patterns(
            "close|closing|delete|deleting|shut ~2 account|accounts|profile",
            "account ~0 closure|deletion",
            "closure|deletion ~2 account",
            "want|like|need ~3 account|accounts ~1 closed|deleted",
        ),
        "contract_end": patterns(
            "contract|term|deal|subscription|plan ~3 up|over|end|ends|ending|expire|expires"
            "|expiring|finish|finishes|runs",
            "end|expiry ~2 contract|term|minimum",
        ),
        "competitor": patterns(
            "competitor|competitors|competition",
            "other|another|different|new|cheaper ~1 " + _EN_PROVIDER,
            "find|found|got|get|offered|seen|saw ~3 better|cheaper|lower"
            " ~1 deal|offer|price|rate|package|plan|tariff",
            "better|cheaper ~1 deal|offer|price|package ~3 elsewhere|somewhere",
            "switch|switching|switched|change|changing ~2 " + _EN_PROVIDER + "|away",
            "switch|switching|switched|move|moving ~1 to|over ~1 @NAME",
            "go|going|take|taking|move|moving|look|looking|shop|shopping ~3 elsewhere",
            "leave|leaving|left ~2 for ~0 another|@NAME",
            "shop|shopping ~1 around",
            "jump ~1 ship",
            "look|looking|consider|considering|explore|exploring|weigh|weighing|compare|comparing"
            " ~2 other|my|alternative ~1 option|options|alternatives|offers|deals|" + _EN_PROVIDER,
            "@NAME ~3 offered|offering|offer ~2 me",
        ),
        "leaving": patterns(
            "leave|leaving|quit|quitting ~1 you|for|this|your ~1 company|network|service|lot|guys",
            "leave|leaving ~0 you",
            "think|thinking|consider|considering|planning|about|close|going|ready ~2 leave|leaving"
            "|quit|walk|cancel|cancelling|switch|switching",
            "done ~1 with ~2 you|company|provider|network|service|this|acme",
            "take ~1 my ~0 business ~1 elsewhere",
        ),
        "refund": patterns(
            "want|demand|need|expect|get ~3 refund",
            "full ~0 refund",
            "money ~0 back",
            "refund ~0 me",
        ),
    },
    "es": {
        "legal": patterns(
            "abogado|abogados|denuncia|denunciar|demanda|demandar|tribunales|juicio|ocu|facua",
            "consumo ~2 reclamación|denuncia|hoja",
            "hoja ~1 de ~0 reclamaciones",
        ),
        "chargeback": patterns(
            "devolver|devuelvo|devolveré ~2 recibo|recibos|cargo|cargos",
            "banco ~4 devolver|devuelva|devolución|anular|retroceder",
        ),
        "porting": patterns(
            "portabilidad",
            "portar|portarme|portaré|llevarme|llevar|llevo ~2 número|numero|línea",
        ),
        "cancel": patterns(
            "cancelar|cancelo|cancelaré|anular|anulo|rescindir|rescindo ~3 " + _ES_SERVICE,
            "cancelación|rescisión ~3 " + _ES_SERVICE,
            "rescindir|rescisión",
            "dar|darme|darse|darnos|doy|daré|des ~1 de ~0 baja",
            "solicitar|pedir|tramitar|quiero|solicito|pido|tramitad ~2 baja",
            "quiero|quería|voy|vamos|pienso|necesito ~2 cancelar|anular",
        ),
        "close_account": patterns("cerrar|eliminar|borrar|cierren|cierre ~2 cuenta"),
        "contract_end": patterns(
            "termine|acabe|venza|vence|finalice|termina|acaba|finaliza|fin ~3 contrato|permanencia",
            "contrato|permanencia ~3 termine|acabe|venza|vence|finalice|termina|acaba",
        ),
        "competitor": patterns(
            "otra|otro|otras|otros ~1 " + _ES_PROVIDER,
            "competencia",
            "cambiar|cambiarme|cambio|paso|pasarme|pasar|irme|me ~0 voy|iré ~2 a ~2 @NAME",
            "cambiar|cambiarme|cambio ~2 de ~0 compañía|compañia|operador|operadora|proveedor",
            "ofrecen|ofrecido|ofrece|ofrecieron|ofrecía ~3 mejor|más ~1 barato|precio|oferta"
            "|tarifa",
            "mejor ~1 oferta|precio|tarifa ~3 en ~1 otra|otro|@NAME",
        ),
        "leaving": patterns(
            "irme|marcharme|dejaros|dejarles|dejarlos|abandonar ~2 compañía|empresa|ustedes"
            "|vosotros",
            "pienso|pensando|planteando|plantear|considerando ~2 irme|marcharme|dejaros|dejarles"
            "|cambiarme|cambiar",
            "me ~0 voy ~1 de ~2 compañía|empresa|aquí",
        ),
        "refund": patterns(
            "reembolso|devolución ~3 dinero|importe|total",
            "quiero|exijo ~3 reembolso|devolución",
            "devuelvan ~2 dinero",
        ),
    },
    "fr": {
        "legal": patterns(
            "avocat|tribunal|tribunaux|justice|médiateur|ufc|dgccrf|arcep|poursuivre",
            "porter ~0 plainte",
            "association ~2 consommateur|consommateurs",
        ),
        "chargeback": patterns(
            "opposition ~3 prélèvement|carte|paiement",
            "contester ~3 prélèvement|paiement|débit",
            "banque ~4 rembourser|annuler|bloquer|prélèvement",
        ),
        "porting": patterns(
            "portabilité",
            "porter|transférer|garder|conserver ~2 numéro ~3 chez|opérateur",
            "code ~0 rio",
            "rio",
        ),
        "cancel": patterns(
            "résilier|résilie|résilierai|résiliation|résilié|résiliée",
            "annuler|annule|annulation ~3 " + _FR_SERVICE,
            "mettre|mets ~0 fin ~2 contrat|abonnement|engagement|forfait",
            "désabonner|désabonnement|désinscrire",
        ),
        "close_account": patterns("fermer|clôturer|clôture|supprimer|fermeture ~2 compte"),
        "contract_end": patterns(
            "fin ~2 engagement|contrat|abonnement|forfait",
            "engagement|contrat ~3 termine|finit|fini|expire|prend",
        ),
        "competitor": patterns(
            "autre|autres ~1 " + _FR_PROVIDER,
            "concurrent|concurrents|concurrence",
            "partir|passer|aller|pars|passe|vais ~1 chez ~1 @NAME|un|le|la|autre|concurrent",
            "changer|change|changerai ~1 de ~0 " + _FR_PROVIDER,
            "meilleure|meilleur ~1 offre|prix|tarif",
            "offre ~2 plus ~1 intéressante|avantageuse",
            "proposé|propose|offert|offre ~3 moins ~0 cher|mieux|meilleur|meilleure",
        ),
        "leaving": patterns(
            "quitter|quitte|quitterai ~2 vous|chez|opérateur|compagnie|société",
            "vous ~0 quitter|quitte|quitterai",
            "pense|envisage|réfléchis|songe ~2 partir|quitter|résilier|changer",
            "partir ~1 de ~1 chez ~1 vous",
        ),
        "refund": patterns(
            "exige|exiger|veux|demande|réclame ~3 remboursement|rembourser",
            "mon ~0 argent",
        ),
    },
    "de": {
        "legal": patterns(
            "anwalt|rechtsanwalt|anwältin|gericht|verbraucherzentrale|bundesnetzagentur|klage|klagen"
            "|verklagen|schlichtungsstelle|rechtliche",
        ),
        "chargeback": patterns(
            "rücklastschrift|zurückbuchen|zurückbuchung|zurückgebucht",
            "lastschrift ~3 zurück|zurückgeben|widerrufen|stornieren",
            "bank ~4 zurückholen|zurück|stoppen|sperren",
        ),
        "porting": patterns(
            "rufnummernmitnahme|portierung|portieren|nummernmitnahme|*mitnahme",
            "nummer|rufnummer|handynummer ~3 mitnehmen|portieren|übertragen|mit",
            "mitnehmen ~2 nummer|rufnummer",
        ),
        "cancel": patterns(
            "kündigen|kündige|kündigung|*kündigung|gekündigt|kündigt|kündige|kündigungsfrist",
            "stornieren|storniere|beenden|beende|auflösen ~3 " + _DE_SERVICE,
            _DE_SERVICE + " ~3 beenden|auflösen|aufheben|stornieren",
        ),
        "close_account": patterns(
            "konto|kundenkonto|account ~3 löschen|schließen|auflösen",
            "löschen|schließen ~3 konto|kundenkonto|account",
        ),
        "contract_end": patterns(
            "vertrag|*vertrag|laufzeit|vertragslaufzeit ~3 läuft|endet|ausläuft|aus|ende|vorbei",
            "vertragsende|laufzeitende",
        ),
        "competitor": patterns(
            "anderen|anderer|andere|neuen|neuer|günstigeren ~1 " + _DE_PROVIDER,
            "anbieterwechsel|konkurrenz|konkurrent|mitbewerber",
            "wechseln|wechsle|wechsele|gewechselt|wechsel ~3 zu|zur|zum|anbieter",
            "besseres|günstigeres|billigeres ~1 angebot",
            "angebot ~3 besser|günstiger|billiger",
        ),
        "leaving": patterns(
            "verlassen",
            "weg ~1 von ~1 euch|ihnen",
            "überlege|denke|überlegen ~3 wechseln|kündigen|gehen|weg",
        ),
        "refund": patterns(
            "geld ~1 zurück",
            "erstattung|rückerstattung|zurückerstatten|erstatten",
        ),
    },
}

# Intent that is a negation: "I won't renew", "no voy a renovar", "ich verlängere nicht".
_NEGATED: dict[Language, tuple[Pattern, ...]] = {
    "en": patterns(
        "renew|renewing|renewal|extend|extending|re-sign|recontract", "stay ~1 with ~1 you"
    ),
    "es": patterns(
        "renovar|renuevo|renovaré|renovación", "seguir|continuar|quedarme ~1 con ~1 ustedes"
    ),
    "fr": patterns(
        "renouveler|renouvelle|renouvellerai|renouvellement|reconduire|prolonger",
        "rester ~1 chez ~1 vous",
    ),
    "de": patterns("verlängern|verlängere|verlängerung", "bleiben|bleibe ~4 bei ~1 euch|ihnen"),
}
_LET_LAPSE = patterns("let ~2 contract|subscription|plan|deal ~1 lapse|expire|run")

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
    rules = _RULES[reading.language]
    for category in CATEGORIES:
        if category == "not_renewing":
            found = _first(reading, _NEGATED[reading.language], category, negated=True) or _first(
                reading, _LET_LAPSE if reading.language == "en" else (), category
            )
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
    other = (_OTHER_OBJECTS if service else frozenset()) | _NOT_ABOUT.get(category, frozenset())
    for pattern in options:
        span = pattern.find(reading, negated=negated, reach=NEGATED_REACH if negated else 0)
        if span is None or near(reading, span, other) or _taken_back(reading, span):
            continue
        if service and reading.language == "en" and _someone_else(reading, span[0]):
            continue
        return " ".join(reading.words[span[0] : span[1] + 1])
    return None


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
