"""Reading a text: language detection on short texts, words and lemmas, clauses, negation
scope, and the lemma patterns."""

from __future__ import annotations

import pytest

from processors.language import Pattern, read


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Quiero darme de baja", "es"),
        ("no voy a cancelar mi contrato", "es"),
        ("je ne vais pas résilier", "fr"),
        ("J'ai été facturé deux fois", "fr"),
        ("ich werde nicht kündigen", "de"),
        ("Danke für nichts", "de"),
        ("I want to cancel my contract", "en"),
        ("great, another 45 minutes on hold... fantastic service", "en"),
        ("ok", "en"),  # too short to tell: English
        ("", "en"),
    ],
)
def test_the_language_is_detected(text: str, language: str) -> None:
    assert read(text).language == language


def test_words_are_case_folded_and_lemmatised_with_contractions_and_elisions_split() -> None:
    en = read("I won't be Cancelling")
    assert en.words == ("i", "will", "not", "be", "cancelling")
    assert read("Je n'ai pas résilié").words[:2] == ("je", "ne")
    assert read("Ich kündige meinen Vertrag").lemmas[1] == "kündigen"
    assert read("No voy a renovar").lemmas[1] == "ir"


def test_punctuation_and_conjunctions_close_clauses() -> None:
    reading = read("I'm not happy, but I will cancel")
    assert reading.clauses[2] != reading.clauses[-1]
    assert read("nice... not").ellipsis and not read("nice").ellipsis


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("I won't cancel my contract", True),
        ("I do not want to cancel my contract", True),
        ("I can't cancel my contract online", False),  # ability, not refusal
        ("I'm not happy, so I'll cancel my contract", False),  # another clause
        ("no voy a cancelar mi contrato", True),
        ("je ne vais pas résilier mon contrat", True),
        ("si ma box n'est pas réparée je résilie mon contrat", False),
        ("Ich werde meinen Vertrag nicht kündigen", True),
        ("Ich kündige meinen Vertrag nicht", True),
    ],
)
def test_negation_scopes_over_a_match_in_its_clause(text: str, negated: bool) -> None:
    reading = read(text)
    pattern = Pattern.parse("cancel|cancelar|résilier|résilie|kündigen|kündige")
    span = pattern.find(reading, negated=None)
    assert span is not None
    assert reading.negated(*span) is negated


def test_a_pattern_matches_lemmas_in_order_within_its_gaps() -> None:
    pattern = Pattern.parse("cancel ~2 contract|account")
    assert pattern.find(read("please cancel my old contract")) == (1, 4)
    assert pattern.find(read("cancel the whole family contract")) is None  # 3 words apart
    assert pattern.find(read("the contract, cancel it")) is None  # out of order
    assert Pattern.parse("*vertrag").find(read("Mein Handyvertrag läuft")) == (1, 1)
    assert Pattern.parse("switch ~1 to ~0 @NAME").find(read("I'll switch to Vodafone")) is not None
    assert Pattern.parse("switch ~1 to ~0 @NAME").find(read("I'll switch to fibre")) is None
