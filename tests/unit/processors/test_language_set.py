"""The labelled text set (data/language_signals.jsonl): per-class precision and recall of the
language signals, read as the pipeline reads them, with floors they must keep.

Each line is a short customer text (voice transcript, email, chat or social post) written
apart from the simulator, its language and its labels: ``churn:<category>``, ``no_intent``
(churn words that are not intent: negated, another object, someone else, a question),
``complaint``, ``sarcasm``, ``praise`` or ``neutral``. Predictions:

- churn category: :func:`processors.intent.churn_intent`;
- complaint: computed sentiment at or below the rules' ``negative_sentiment`` (-0.3);
- praise: computed sentiment at or above ``praise_sentiment`` (0.5) and praise wording with
  no complaint marker (what a PRAISE alert needs);
- sarcasm: :func:`processors.tone.read_tone`;
- neutral: none of the above.

``python -m tests.unit.processors.test_language_set`` prints the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from processors.intent import CATEGORIES, churn_intent
from processors.language import LANGUAGES, read
from processors.sentiment import SentimentScorer
from processors.tone import read_tone
from tests.unit.processors.journey import RULES

DATA = Path(__file__).parent / "data" / "language_signals.jsonl"
T = RULES.thresholds


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    channel: str
    labels: frozenset[str]


@dataclass(frozen=True)
class ClassFigures:
    name: str
    support: int
    predicted: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.support if self.support else 1.0


def load() -> list[Example]:
    with DATA.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [Example(r["text"], r["language"], r["channel"], frozenset(r["labels"])) for r in rows]


def predict(text: str, scorer: SentimentScorer) -> frozenset[str]:
    """The labels the pipeline's signals give ``text``."""
    labels: set[str] = set()
    intent = churn_intent(text)
    if intent is not None:
        labels.add(f"churn:{intent.category}")
    sentiment = scorer.score(text, None).value or 0.0
    tone = read_tone(text)
    if sentiment <= T.negative_sentiment:
        labels.add("complaint")
    if sentiment >= T.praise_sentiment and tone.is_praise:
        labels.add("praise")
    if tone.sarcasm:
        labels.add("sarcasm")
    if not labels - {"sarcasm"}:
        labels.add("neutral")
    return frozenset(labels)


def figures(examples: Iterable[Example]) -> list[ClassFigures]:
    """Per class: churn categories, churn of any kind, not-intent, and the tones."""
    scorer = SentimentScorer()
    pairs = [(e.labels, predict(e.text, scorer)) for e in examples]

    def churn(labels: frozenset[str]) -> bool:
        return any(label.startswith("churn:") for label in labels)

    rows = []
    for name in [f"churn:{c}" for c in CATEGORIES] + ["complaint", "sarcasm", "praise", "neutral"]:
        rows.append(
            ClassFigures(
                name,
                sum(1 for gold, _ in pairs if name in gold),
                sum(1 for _, got in pairs if name in got),
                sum(1 for gold, got in pairs if name in gold and name in got),
            )
        )
    rows.insert(
        len(CATEGORIES),
        ClassFigures(
            "churn (any category)",
            sum(1 for gold, _ in pairs if churn(gold)),
            sum(1 for _, got in pairs if churn(got)),
            sum(1 for gold, got in pairs if churn(gold) and churn(got)),
        ),
    )
    # Not intent: a text with churn words and no intent that is read as no intent.
    rows.insert(
        len(CATEGORIES) + 1,
        ClassFigures(
            "no_intent (negated, other object, question)",
            sum(1 for gold, _ in pairs if "no_intent" in gold),
            sum(1 for _, got in pairs if not churn(got)),
            sum(1 for gold, got in pairs if "no_intent" in gold and not churn(got)),
        ),
    )
    return rows


def table(examples: list[Example]) -> str:
    by_language = {lang: sum(1 for e in examples if e.language == lang) for lang in LANGUAGES}
    right = sum(1 for e in examples if read(e.text).language == e.language)
    lines = [
        f"{len(examples)} texts ({', '.join(f'{k.upper()} {v}' for k, v in by_language.items())}); "
        f"language detected right for {right}",
        "",
        "| class | texts | predicted | precision | recall |",
        "|---|---|---|---|---|",
    ]
    for row in figures(examples):
        precision = "-" if row.name.startswith("no_intent") else f"{row.precision:.2f}"
        lines.append(
            f"| {row.name} | {row.support} | {row.predicted} | {precision} | {row.recall:.2f} |"
        )
    return "\n".join(lines)


EXAMPLES = load()
FIGURES = {row.name: row for row in figures(EXAMPLES)}


def test_the_set_covers_every_class_and_language() -> None:
    languages = [e.language for e in EXAMPLES]
    assert 300 <= len(EXAMPLES) <= 400
    assert languages.count("en") > len(EXAMPLES) / 2
    assert all(languages.count(lang) >= 40 for lang in ("es", "fr", "de"))
    for name in [f"churn:{c}" for c in CATEGORIES] + ["no_intent", "sarcasm", "praise", "neutral"]:
        assert sum(1 for e in EXAMPLES if name in e.labels) >= 4, name
    assert len({e.text for e in EXAMPLES}) == len(EXAMPLES)


def test_the_language_is_detected_for_nearly_every_text() -> None:
    right = sum(1 for e in EXAMPLES if read(e.text).language == e.language)
    assert right / len(EXAMPLES) >= 0.95


FLOORS = {
    # name: (precision, recall); the set was also used to tune the patterns, so these floors
    # guard against regressions more than they promise figures on new text.
    **{f"churn:{c}": (0.85, 0.85) for c in CATEGORIES},
    "churn (any category)": (0.95, 0.95),
    "no_intent (negated, other object, question)": (0.0, 0.9),
    "complaint": (0.8, 0.7),
    "sarcasm": (0.9, 0.9),
    "praise": (0.9, 0.8),
    "neutral": (0.75, 0.85),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_floors(name: str) -> None:
    precision, recall = FLOORS[name]
    row = FIGURES[name]
    assert (row.precision, row.recall) >= (precision, 0.0), table(EXAMPLES)
    assert row.recall >= recall, table(EXAMPLES)


if __name__ == "__main__":
    print(table(EXAMPLES))
