"""The playbook: the most specific entry wins; LookupError when none applies."""

from __future__ import annotations

import pytest

from processors.domain import TIERS
from processors.playbook import choose_action
from processors.rules import PlaybookEntry
from tests.unit.processors.journey import RULES


@pytest.mark.parametrize(
    ("alert_type", "severity", "tier", "playbook_id"),
    [
        ("AT_RISK", "CRITICAL", "GOLD", "at-risk-critical-vip"),
        ("AT_RISK", "CRITICAL", "PLATINUM", "at-risk-critical-vip"),
        ("AT_RISK", "CRITICAL", "BASIC", "at-risk-critical"),
        ("AT_RISK", "CRITICAL", "SILVER", "at-risk-critical"),
        ("AT_RISK", "HIGH", "PLATINUM", "at-risk-high-vip"),
        ("AT_RISK", "HIGH", "BASIC", "at-risk-high"),
        ("AT_RISK", "MEDIUM", "BASIC", "at-risk-medium"),
        ("AT_RISK", "MEDIUM", "PLATINUM", "at-risk-medium"),
        ("AT_RISK", "LOW", "BASIC", "at-risk-low"),
        ("AT_RISK", "LOW", "GOLD", "at-risk-low"),
        ("PUBLIC_COMPLAINT", "CRITICAL", "BASIC", "public-complaint-high"),
        ("PUBLIC_COMPLAINT", "HIGH", "SILVER", "public-complaint-high"),
        ("PUBLIC_COMPLAINT", "MEDIUM", "GOLD", "public-complaint"),
        ("PUBLIC_COMPLAINT", "LOW", "BASIC", "public-complaint"),
        ("PRAISE", "LOW", "PLATINUM", "praise"),
        ("FOLLOW_UP", "MEDIUM", "BASIC", "follow-up"),
        ("RECOVERED", "LOW", "GOLD", "recovered"),
    ],
)
def test_the_most_specific_default_entry_wins(
    alert_type: str, severity: str, tier: str, playbook_id: str
) -> None:
    entry = choose_action(RULES.playbook, alert_type, severity, tier)
    assert entry.id == playbook_id
    assert entry.alert_type == alert_type
    assert tier in entry.tiers


def entry(
    entry_id: str, min_severity: str = "LOW", tiers: tuple[str, ...] = TIERS
) -> PlaybookEntry:
    return PlaybookEntry(
        id=entry_id,
        alert_type="AT_RISK",
        min_severity=min_severity,  # type: ignore[arg-type]
        tiers=tiers,  # type: ignore[arg-type]
        action=f"do {entry_id}",
        respond_within_minutes=60,
    )


@pytest.mark.parametrize("reverse", [False, True], ids=["generic-first", "specific-first"])
def test_fewer_tiers_win_at_the_same_severity_whatever_the_order(reverse: bool) -> None:
    playbook = [entry("everyone", "HIGH"), entry("vip", "HIGH", ("GOLD", "PLATINUM"))]
    if reverse:
        playbook.reverse()
    assert choose_action(playbook, "AT_RISK", "HIGH", "GOLD").id == "vip"
    assert choose_action(playbook, "AT_RISK", "HIGH", "BASIC").id == "everyone"


def test_a_higher_severity_reached_beats_fewer_tiers() -> None:
    playbook = [entry("vip-medium", "MEDIUM", ("GOLD",)), entry("everyone-high", "HIGH")]
    assert choose_action(playbook, "AT_RISK", "HIGH", "GOLD").id == "everyone-high"
    assert choose_action(playbook, "AT_RISK", "MEDIUM", "GOLD").id == "vip-medium"


@pytest.mark.parametrize(
    ("playbook", "alert_type", "severity", "tier"),
    [
        ([], "AT_RISK", "LOW", "BASIC"),
        ([entry("any")], "PRAISE", "LOW", "BASIC"),
        ([entry("vip", tiers=("GOLD",))], "AT_RISK", "CRITICAL", "BASIC"),
        ([entry("high", "HIGH")], "AT_RISK", "MEDIUM", "BASIC"),
    ],
    ids=["empty", "other-type", "other-tier", "severity-not-reached"],
)
def test_lookup_error_when_nothing_applies(
    playbook: list[PlaybookEntry], alert_type: str, severity: str, tier: str
) -> None:
    with pytest.raises(LookupError, match=f"{alert_type}/{severity}/{tier}"):
        choose_action(playbook, alert_type, severity, tier)
