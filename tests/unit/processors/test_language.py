"""Reading a text: language detection on short texts, words and lemmas, clauses, negation
scope, and the lemma patterns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import simplemma

from processors import tone
from processors.churn_patterns import LET_LAPSE, NEGATED_INTENT, PATTERNS
from processors.language import LANGUAGES, _langdetect, read
from processors.patterns import Pattern, Patterns

# The labelled set's texts (see test_language_set.py), a few in every language.
TEXTS = [
    json.loads(line)["text"]
    for line in (Path(__file__).parent / "data" / "language_signals.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


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


def test_language_votes_are_simplemmas_langdetect() -> None:
    samples = [" ".join(read(text).words[:24]) for text in TEXTS]
    # Ties for the first sampler, broken by the second: "123" and "wi-fi" count there.
    samples += ["", "ok", "merci merci", "hola hello", "hola hello 123", "hola hello wi-fi"]

    for sample in samples:
        assert _langdetect(sample) == simplemma.langdetect(sample, lang=LANGUAGES), sample


def test_the_patterns_passed_over_find_nothing() -> None:
    sets: list[tuple[Pattern, ...]] = [LET_LAPSE, *NEGATED_INTENT.values()]
    sets += [options for by_category in PATTERNS.values() for options in by_category.values()]
    for kind in ("_PRAISE", "_WORKS", "_COMPLAINT", "_THANKS_AGAIN", "_SARCASM"):
        sets += getattr(tone, kind).values()
    assert all(isinstance(options, Patterns) for options in sets)
    found = 0

    for reading in (read(text) for text in TEXTS):
        for options in sets:
            assert isinstance(options, Patterns)
            kept = options.candidates(reading)
            assert [p for p in options if p in kept] == list(kept)  # in order
            for pattern in options:
                span = pattern.find(reading, negated=None)
                assert span is None or pattern in kept, (pattern.source, reading.words)
                found += span is not None
    assert found > len(TEXTS)
