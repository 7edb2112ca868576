"""The core's closed vocabularies are exactly the symbols of the contracts' Avro enums."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from processors import domain
from schemas.avro import SCHEMAS_DIR


def _enums(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "enum":
            yield node
        for value in node.values():
            yield from _enums(value)
    elif isinstance(node, list):
        for item in node:
            yield from _enums(item)


def _symbols(name: str) -> set[tuple[str, ...]]:
    """Every distinct symbol list of the enum called ``name`` across schemas/*.avsc."""
    found = {
        tuple(enum["symbols"])
        for path in SCHEMAS_DIR.glob("*.avsc")
        for enum in _enums(json.loads(path.read_text()))
        if enum["name"] == name
    }
    assert found, f"no enum named {name} in {SCHEMAS_DIR}"
    return found


@pytest.mark.parametrize(
    ("values", "enum"),
    [
        (domain.CHANNELS, "Channel"),
        (domain.OUTCOMES, "Outcome"),
        (domain.SEVERITIES, "Severity"),
        (domain.ALERT_TYPES, "AlertType"),
        (domain.ALERT_STATUSES, "AlertStatus"),
        (domain.TIERS, "CustomerTier"),
        (domain.DIRECTIONS, "Direction"),
        (domain.SENTIMENT_SOURCES, "SentimentSource"),
        (domain.CUSTOMER_OUTCOMES, "CustomerOutcomeType"),
    ],
)
def test_each_vocabulary_is_its_avro_enum(values: tuple[str, ...], enum: str) -> None:
    assert _symbols(enum) == {values}


def test_channel_outcomes_are_outcomes() -> None:
    for enum in ("VoiceOutcome", "ChatOutcome"):
        for symbols in _symbols(enum):
            assert set(symbols) <= set(domain.OUTCOMES), enum
