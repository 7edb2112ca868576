"""Risk rules: the packaged defaults, layering a care leader's file over them, and errors
that name the bad key (and the file)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.rulesfile import DEFAULT_RULES_FILE, load_rules
from processors.domain import ALERT_TYPES, TIERS
from processors.rules import SIGNALS, Rules, RulesError, parse_rules
from tests.unit.processors.journey import default_rules_mapping, rules_with


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------ defaults


def test_defaults_load_and_match_the_yaml_file() -> None:
    rules = load_rules()
    raw = default_rules_mapping()

    assert isinstance(rules, Rules)
    for code in SIGNALS:
        signal = rules.signals.get(code)
        assert signal.weight == raw["signals"][code]["weight"]
        assert signal.cap == raw["signals"][code].get("cap", 1)
    assert rules.alerting.at_risk_threshold == raw["alerting"]["at_risk_threshold"]
    assert rules.multipliers.tier == raw["multipliers"]["tier"]
    assert len(rules.playbook) == len(raw["playbook"])
    assert re.fullmatch(r"[0-9a-f]{12}", rules.version)


def test_defaults_cover_every_alert_type_for_every_tier_at_low_severity() -> None:
    rules = load_rules()
    for alert_type in ALERT_TYPES:
        covered = {
            tier
            for entry in rules.playbook
            if entry.alert_type == alert_type and entry.min_severity == "LOW"
            for tier in entry.tiers
        }
        assert covered == set(TIERS), alert_type


def test_an_empty_rules_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_rules(write(tmp_path, "")) == load_rules()


# ------------------------------------------------------------------------------- version


def test_version_is_stable_across_loads_and_key_order() -> None:
    mapping = default_rules_mapping()
    reordered = dict(reversed(list(mapping.items())))

    assert load_rules().version == load_rules().version
    assert parse_rules(mapping).version == load_rules().version
    assert parse_rules(reordered).version == load_rules().version


def test_version_changes_when_a_weight_changes_and_back_when_it_is_restored() -> None:
    default = load_rules()
    weight = default_rules_mapping()["signals"]["CHURN_INTENT"]["weight"]

    changed = rules_with({"signals": {"CHURN_INTENT": {"weight": weight + 5}}})
    restored = rules_with({"signals": {"CHURN_INTENT": {"weight": weight}}})

    assert changed.signals.CHURN_INTENT.weight == weight + 5
    assert changed.version != default.version
    assert restored.version == default.version


@pytest.mark.parametrize(
    "restated",
    [
        {"signals": {"CHURN_INTENT": {"weight": 30.0}}},
        {"signals": {"CHURN_INTENT": {"weight": 30, "cap": 1}}},
    ],
    ids=["float-spelling", "explicit-default-cap"],
)
def test_restating_default_values_keeps_the_version(restated: dict[str, Any]) -> None:
    default = load_rules()
    rules = rules_with(restated)
    assert rules == default.model_copy(update={"version": rules.version})  # same content
    assert rules.version == default.version


def test_a_version_key_in_the_file_does_not_override_the_content_hash() -> None:
    assert rules_with({"version": "my-label"}).version == load_rules().version


# ------------------------------------------------------------------------------ layering


def test_a_file_overriding_one_weight_keeps_everything_else(tmp_path: Path) -> None:
    default = load_rules()
    path = write(tmp_path, "signals:\n  REPEAT_CONTACT: {weight: 12}\n")

    rules = load_rules(path)

    assert rules.signals.REPEAT_CONTACT.weight == 12
    assert rules.signals.REPEAT_CONTACT.cap == default.signals.REPEAT_CONTACT.cap
    for code in SIGNALS:
        if code != "REPEAT_CONTACT":
            assert rules.signals.get(code) == default.signals.get(code), code
    assert rules.thresholds == default.thresholds
    assert rules.alerting == default.alerting
    assert rules.playbook == default.playbook


def test_phrase_lists_replace_whole_but_other_categories_stay(tmp_path: Path) -> None:
    default = load_rules()
    path = write(tmp_path, "churn_phrases:\n  cancel: [end my plan]\n")

    rules = load_rules(path)

    assert rules.churn_phrases["cancel"] == ("end my plan",)
    assert {k: v for k, v in rules.churn_phrases.items() if k != "cancel"} == {
        k: v for k, v in default.churn_phrases.items() if k != "cancel"
    }


# -------------------------------------------------------------------------------- errors


def _playbook_without_gold_praise() -> list[dict[str, Any]]:
    entries = [e for e in default_rules_mapping()["playbook"] if e["alert_type"] != "PRAISE"]
    entries.append({
        "id": "praise", "alert_type": "PRAISE", "tiers": ["BASIC", "SILVER", "PLATINUM"],
        "action": "thank them", "respond_within_minutes": 60,
    })  # fmt: skip
    return entries


INVALID = [
    pytest.param(
        {"signals": {"CHURN_INTENT": {"weight": -1}}},
        ["signals.CHURN_INTENT.weight", "greater than or equal to 0"],
        id="negative-weight",
    ),
    pytest.param(
        {"signals": {"CHURN": {"weight": 10}}},
        ["signals.CHURN", "unknown key"],
        id="unknown-signal",
    ),
    pytest.param({"escalations": {"x": 1}}, ["escalations", "unknown key"], id="unknown-section"),
    pytest.param(
        {"alerting": {"recover_below": 50}},
        ["alerting", "recover_below"],
        id="recover-equal-threshold",
    ),
    pytest.param(
        {"alerting": {"recover_below": 60}},
        ["alerting", "recover_below"],
        id="recover-above-threshold",
    ),
    pytest.param(
        {"alerting": {"severity_bands": {"MEDIUM": 70, "HIGH": 60, "CRITICAL": 85}}},
        ["alerting", "severity_bands must rise"],
        id="bands-falling",
    ),
    pytest.param(
        {"alerting": {"severity_bands": {"MEDIUM": 50, "HIGH": 50, "CRITICAL": 85}}},
        ["alerting", "severity_bands must rise"],
        id="bands-equal",
    ),
    pytest.param(
        {"churn_phrases": {"cancel": ["cancel", "cancel my plan"]}},
        ["churn_phrases.cancel", "not single words", "'cancel'"],
        id="single-word-phrase",
    ),
    pytest.param(
        {"churn_phrases": {"cancel": []}},
        ["churn_phrases.cancel is empty"],
        id="empty-phrases",
    ),
    pytest.param(
        {"playbook": _playbook_without_gold_praise()},
        ["playbook has no LOW-severity entry for PRAISE", "GOLD"],
        id="playbook-missing-low",
    ),
    pytest.param(
        {"multipliers": {"tier": {"DIAMOND": 2.0}}},
        ["multipliers.tier.DIAMOND", "'PLATINUM'"],
        id="bad-tier-name",
    ),
]


@pytest.mark.parametrize(("override", "expected"), INVALID)
def test_invalid_rules_name_the_bad_key(override: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(RulesError) as caught:
        rules_with(override)
    message = str(caught.value)
    assert message.startswith("invalid rules: ")
    for fragment in expected:
        assert fragment in message


def test_every_bad_key_is_named_in_one_message() -> None:
    override = {"signals": {"LONG_WAIT": {"weight": 500}, "DETRACTOR": {"cap": 0}}}
    with pytest.raises(RulesError) as caught:
        rules_with(override)
    assert "signals.LONG_WAIT.weight" in str(caught.value)
    assert "signals.DETRACTOR.cap" in str(caught.value)


def test_load_rules_error_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "signals:\n  CHURN_INTENT: {weight: -3}\n")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "signals.CHURN_INTENT.weight" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "cannot read the rules file"),
        ("signals: {CHURN_INTENT: [\n", "not valid YAML"),
        ("- signals\n- thresholds\n", "must be a mapping"),
        ("just a sentence\n", "must be a mapping"),
    ],
    ids=["missing", "invalid-yaml", "a-list", "a-scalar"],
)
def test_unreadable_rules_files_give_rules_error_naming_the_path(
    tmp_path: Path, text: str | None, problem: str
) -> None:
    path = tmp_path / "care-rules.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_the_default_rules_file_ships_with_the_package() -> None:
    assert DEFAULT_RULES_FILE.is_file()
    assert DEFAULT_RULES_FILE.parent.name == "pipeline"
