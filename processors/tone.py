"""The tone of a customer's text beyond one polarity number: praise wording, complaint markers
and sarcasm, per language (EN, ES, FR, DE), and a small lexicon score where VADER (English)
cannot read the language. Pure; cached per text.

Praise needs praise: thanks or praise words, no complaint marker and no sarcasm. A mixed
text ("thanks for nothing", "great, another 45 minutes on hold... fantastic service") is
not praise; a sarcastic one reads as negative.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from processors.language import Language, Reading, read
from processors.patterns import Pattern, candidates, patterns

_PRAISE: dict[Language, tuple[Pattern, ...]] = {
    "en": patterns(
        "thank|thanks|thx|ty|cheers|kudos|shout-out|shoutout|props|appreciate|appreciated"
        "|grateful|great|excellent|amazing|awesome|brilliant|fantastic|superb|outstanding"
        "|wonderful|perfect|perfectly|lovely|helpful|friendly|impressed|impressive|love|loved"
        "|nice|best|legend|hero|smooth|recommend|efficient|patient|professional|polite|🙏|❤|👏|👍|😊|😍",
        "well|good|great|nice ~0 done|job|work",
        "top ~0 notch",
        "5 ~0 stars",
    ),
    "es": patterns(
        "gracias|genial|excelente|estupendo|estupenda|fantástico|fantástica|maravilloso|maravillosa"
        "|increíble|encantado|encantada|encanta|amable|amables|rápido|rápida|perfecto|perfecta"
        "|profesional|profesionales|recomiendo|felicidades|enhorabuena|agradezco|agradecido"
        "|agradecida|majo|maja|eficaz|eficientes|atentos|atenta|atento|🙏|❤|👏|👍|😊",
        "bien ~0 hecho",
        "buen|buena|gran ~0 servicio|atención|trabajo",
    ),
    "fr": patterns(
        "merci|génial|géniale|excellent|excellente|parfait|parfaite|super|top|bravo|rapide"
        "|rapidement|efficace|efficaces|aimable|sympa|formidable|impeccable|recommande|ravi|ravie"
        "|félicitations|remercie|chapeau|agréable|professionnel|professionnelle|nickel|🙏|❤|👏|👍",
    ),
    "de": patterns(
        "danke|dankeschön|dank|super|toll|klasse|spitze|großartig|prima|perfekt|hervorragend"
        "|schnell|freundlich|freundliche|kompetent|kompetente|hilfsbereit|empfehlen|empfehle"
        "|begeistert|zufrieden|lob|top|wunderbar|ausgezeichnet|dankbar|🙏|❤|👏|👍",
    ),
}
# Words of a working service: negated ("doesn't work") they are a complaint.
_WORKS: dict[Language, tuple[Pattern, ...]] = {
    "en": patterns("work|works|working|worked|load|loads|connect|connects"),
    "es": patterns("funciona|funcionan|va|carga|conecta|funcionado"),
    "fr": patterns("marche|fonctionne|fonctionnent|marchent|fonctionné|marché"),
    "de": patterns("funktioniert|geht|läuft|funktionieren|klappt"),
}
_COMPLAINT: dict[Language, tuple[Pattern, ...]] = {
    "en": patterns(
        "hold|held|again|waiting|waited|outage|broken|useless|worst|terrible|awful|horrible"
        "|pathetic|ridiculous|joke|disgrace|disgraceful|unacceptable|appalling|shocking|rubbish"
        "|garbage|#fail|overcharged|disconnected|nobody|frustrating|frustrated|disappointed"
        "|disappointing|annoying|fed|useless|incompetent|scam|complaint|😡|🤬|😤|😠|👎",
        "another|over|for|took|after|wasted|spent|waiting|waited ~2 minutes|hours|days|weeks|mins"
        "|hrs|hour|week|months",
        "still ~2 not|no|broken|waiting|down|nothing|charging|without|never",
        "thanks|thank ~1 for ~0 nothing",
        "nothing ~1 works|worked|changed|happened",
        "no ~0 signal|internet|service|one|response|reply|answer|connection|wifi",
        "charged ~1 twice|double",
        "is|was|been|went|still|keeps ~1 down|dropping",
        "cut ~0 off",
        "wait|queue ~0 time|times",
        "hung ~0 up",
        "third|fourth|fifth ~1 time",
        "never ~2 arrived|came|showed|called|answered|fixed|replied",
    ),
    "es": patterns(
        "espera|esperando|esperar|esperado|pésimo|pésima|horrible|fatal|vergüenza|vergonzoso"
        "|inaceptable|indignante|nefasto|nefasta|desastre|harto|harta|basura|timo|estafa|robo"
        "|inútil|inútiles|peor|lamentable|queja|reclamación|caído|cortado|avería|nadie|😡|🤬|👎",
        "otra ~0 vez",
        "de ~0 nuevo",
        "otros|otras|más|llevo|durante|tras|después ~2 minutos|horas|días|semanas|meses",
        "sin ~0 internet|servicio|línea|conexión|señal|respuesta|luz|fibra",
        "todavía|aún|sigue|sigo ~2 sin|no|esperando",
        "gracias ~1 por ~0 nada",
        "cobrado|cobran|cobraron|cobro ~2 dos ~0 veces",
    ),
    "fr": patterns(
        "attente|attendre|attends|attendu|panne|nul|nulle|lamentable|honteux|honte|inadmissible"
        "|inacceptable|scandaleux|scandale|catastrophe|catastrophique|arnaque|pire|déçu|déçue"
        "|marre|insupportable|incompétents|incompétent|inutile|réclamation|coupé|coupée|😡|🤬|👎",
        "encore",
        "depuis|encore|pendant|après|plus ~2 minutes|heures|jours|semaines|mois",
        "sans ~0 internet|réseau|connexion|réponse|service|ligne",
        "toujours ~2 pas|rien|aucun|aucune|sans",
        "merci ~1 pour ~0 rien",
        "facturé|prélevé ~2 deux ~0 fois",
        "personne ~2 répond|rappelle|répondu",
    ),
    "de": patterns(
        "wieder|erneut|warte|warten|wartezeit|warteschleife|*warteschleife|gewartet|störung"
        "|ausfall|kaputt|katastrophe|frechheit|unverschämt|unverschämtheit|unmöglich|inakzeptabel"
        "|schlecht|schlechteste|mies|miserabel|ärgerlich|enttäuscht|sauer|nervt|beschwerde"
        "|abzocke|niemand|😡|🤬|👎",
        "seit|schon|nach|über|weitere|noch ~2 minuten|stunden|tage|tagen|wochen|monaten",
        "immer ~0 noch ~3 kein|keine|nicht|nichts",
        "ohne ~0 internet|netz|verbindung|antwort",
        "danke ~1 für ~0 nichts",
        "doppelt ~0 abgebucht|berechnet",
    ),
}
# Thanks again / merci encore: "again" after thanks is not a complaint.
_THANKS_AGAIN: dict[Language, tuple[Pattern, ...]] = {
    "en": patterns("thanks|thank ~1 again"),
    "es": patterns("gracias ~1 de ~0 nuevo"),
    "fr": patterns("merci ~0 encore", "encore ~0 merci"),
    "de": patterns("nochmals|nochmal|wieder ~1 danke", "danke ~0 nochmals|nochmal"),
}
_SARCASM: dict[Language, tuple[Pattern, ...]] = {
    "en": patterns(
        "great|fantastic|brilliant|wonderful|perfect|lovely|awesome|amazing|nice ~0 another|more"
        "|again",
        "oh|just ~0 great|fantastic|brilliant|wonderful|perfect|lovely",
        "thanks|thank ~1 for ~0 nothing",
        "yeah ~0 right",
        "so ~0 much ~0 for",
        "love|loving ~0 how|when",
        "as ~0 always|usual",
        "yet|once ~0 again",
        "🙄|😒|🙃",
        "thanks ~0 a ~0 lot ~2 for",
    ),
    "es": patterns(
        "genial|estupendo|perfecto|fantástico|maravilloso|gracias ~1 otra|otro|más|de",
        "gracias ~1 por ~0 nada",
        "qué ~0 bien|maravilla",
        "como ~0 siempre",
        "🙄|😒|🙃",
    ),
    "fr": patterns(
        "génial|super|parfait|bravo|merci|top ~1 encore",
        "merci ~1 pour ~0 rien",
        "comme ~0 toujours|d'habitude",
        "trop ~0 fort",
        "🙄|😒|🙃",
    ),
    "de": patterns(
        "toll|super|klasse|prima|wunderbar|großartig ~1 wieder|schon|weitere",
        "na ~0 toll|super|klasse|prima",
        "danke ~1 für ~0 nichts",
        "vielen ~0 dank ~0 auch",
        "wie ~0 immer",
        "🙄|😒|🙃",
    ),
}
# The lexicon score (ES, FR, DE): points per praise and per complaint marker, normalised
# like VADER's compound (x / sqrt(x^2 + 15)).
PRAISE_POINTS = 1.5
COMPLAINT_POINTS = 2.0
_NORMALISE = 15.0


@dataclass(frozen=True)
class Tone:
    """How a text sounds: praise wording, complaint markers, sarcasm, and their counts."""

    language: Language
    praise: int
    complaint: int
    sarcasm: bool

    @property
    def is_praise(self) -> bool:
        """Praise, and nothing that says otherwise."""
        return self.praise > 0 and self.complaint == 0 and not self.sarcasm

    @property
    def lexicon_score(self) -> float | None:
        """A compound score in [-1, 1] from the counts; None when nothing was found."""
        if not (self.praise or self.complaint or self.sarcasm):
            return None
        points = PRAISE_POINTS * self.praise - COMPLAINT_POINTS * self.complaint
        if self.sarcasm:
            points = -abs(points) - COMPLAINT_POINTS
        return round(points / math.sqrt(points * points + _NORMALISE), 4)

    def adjust(self, compound: float) -> float:
        """VADER's compound in the light of the tone: sarcasm turns positive words negative,
        and a complaint's courtesy ("thanks, still down") is not a positive tone."""
        if self.sarcasm and compound > -0.5:
            return round(-max(abs(compound), 0.5), 4)
        if self.complaint and compound > 0:
            return 0.0
        return compound


@functools.lru_cache(maxsize=4096)
def read_tone(text: str) -> Tone:
    """The tone of ``text`` in its own language.

    >>> read_tone("great, another 45 minutes on hold... fantastic service").sarcasm
    True
    """
    reading = read(text)
    lang = reading.language
    praise = _count(reading, _PRAISE[lang])
    thanks_again = _count(reading, _THANKS_AGAIN[lang], negated=None)
    complaint = (
        _count(reading, _COMPLAINT[lang], negated=None)
        + _count(reading, _WORKS[lang], negated=True)
        + _count(reading, _PRAISE[lang], negated=True)  # "not helpful", "nada amable"
        - thanks_again
    )
    complaint = max(0, complaint)
    # Praise beside a complaint, trailing off or applauding, is said with a straight face.
    tell = reading.ellipsis or "👏" in reading.words
    sarcasm = _count(reading, _SARCASM[lang], negated=None) > 0 or bool(
        praise and complaint and tell
    )
    return Tone(lang, praise, complaint, sarcasm)


def _count(reading: Reading, options: tuple[Pattern, ...], negated: bool | None = False) -> int:
    """How many word positions start a match of one of ``options``."""
    total = 0
    for pattern in candidates(options, reading):
        at = 0
        while at < len(reading):
            span = pattern.find(reading, negated=negated, start=at)
            if span is None:
                break
            total += 1
            at = span[1] + 1
    return total


def forget_texts() -> None:
    """Drops the tones of the texts read lately."""
    read_tone.cache_clear()
