"""The README's reference tables name what the code writes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from processors.errors import DeadLetterReason
from sinks.deadletter import REASON, STAGE, STAGES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _row(header: str) -> set[str]:
    """The backquoted names in the value cell of ``header``'s row of the headers table."""
    match = re.search(rf"^\| `{re.escape(header)}` \| (.+) \|$", README, re.MULTILINE)
    assert match, f"README has no row for {header}"
    return set(re.findall(r"`([^`]+)`", match.group(1)))


@pytest.mark.parametrize(
    ("header", "names"),
    [(REASON, {reason.value for reason in DeadLetterReason}), (STAGE, set(STAGES))],
)
def test_dead_letter_header_values_are_listed(header: str, names: set[str]) -> None:
    listed = _row(header) - {"processors.errors.DeadLetterReason"}
    assert listed == names


def test_every_setting_has_a_row_in_the_settings_table() -> None:
    from pipeline.settings import ENV_PREFIX, Settings

    table = README.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(rf"`({ENV_PREFIX}[A-Z0-9_]+)`", table))
    expected = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set()
