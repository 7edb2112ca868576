"""Tone: praise that needs praise, complaint markers, sarcasm, the per-language lexicon and
the adjustment of VADER's compound."""

from __future__ import annotations

import pytest

from processors.sentiment import SentimentScorer
from processors.tone import read_tone


@pytest.mark.parametrize(
    "text",
    [
        "Huge thanks to @Acme support, fixed in ten minutes!",
        "Thanks again for the help!",
        "Muchas gracias @Acme, todo perfecto y muy rápido",
        "Merci @Acme, installation rapide et technicien très aimable",
        "Großes Lob an das Team von @Acme, hervorragender Service",
    ],
)
def test_praise_wording_without_complaint_is_praise(text: str) -> None:
    assert read_tone(text).is_praise


@pytest.mark.parametrize(
    "text",
    [
        "great, another 45 minutes on hold... fantastic service",
        "Thanks for nothing @Acme",
        "Genial, otra vez sin internet. Gracias @Acme",
        "Merci pour rien @Acme",
        "Toll, schon wieder kein Internet. Danke @Acme",
    ],
)
def test_sarcasm_is_not_praise(text: str) -> None:
    tone = read_tone(text)
    assert tone.sarcasm and tone.complaint and not tone.is_praise


def test_a_mixed_text_is_not_praise_and_not_sarcasm() -> None:
    tone = read_tone("Thanks, but the internet is still not working")
    assert (tone.praise > 0, tone.complaint > 0, tone.sarcasm, tone.is_praise) == (
        True, True, False, False,
    )  # fmt: skip


def test_negated_praise_and_a_service_that_does_not_work_are_complaints() -> None:
    assert read_tone("not helpful at all").complaint == 1
    assert read_tone("Das Internet funktioniert nicht").complaint == 1
    assert read_tone("la app no funciona").complaint == 1


def test_adjust_turns_sarcasm_negative_and_caps_a_courteous_complaint_at_neutral() -> None:
    assert read_tone("Thanks for nothing").adjust(0.44) == -0.5
    assert read_tone("Thanks for nothing").adjust(0.8) == -0.8
    assert read_tone("thanks, my internet is down again").adjust(0.6) == 0.0
    assert read_tone("thank you so much").adjust(0.6) == 0.6


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("El servicio es pésimo, llevo 3 días sin internet", True),
        ("J'ai été facturé deux fois en mars, c'est inadmissible.", True),
        ("Seit drei Tagen habe ich kein Internet und niemand meldet sich", True),
        ("great, another 45 minutes on hold... fantastic service", True),
        ("Muchas gracias, todo perfecto", False),
    ],
)
def test_computed_sentiment_reads_complaints_in_every_language(text: str, negative: bool) -> None:
    value = SentimentScorer().score(text, None).value
    assert value is not None
    assert (value <= -0.3) is negative
    assert negative or value >= 0.5


def test_upstream_sentiment_is_kept_even_for_sarcasm() -> None:
    scored = SentimentScorer().score("great, another 45 minutes on hold... fantastic", 0.9)
    assert (scored.value, scored.source) == (0.9, "UPSTREAM")
