"""The risk rules: weights, thresholds, phrase lists and the playbook, validated.

Care leaders tune them in a YAML file (see pipeline/default_rules.yaml, which documents
every key). :func:`parse_rules` takes the parsed mapping, layered over the defaults, and
raises :class:`RulesError` naming each bad key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from processors.domain import ALERT_TYPES, SEVERITIES, TIERS, AlertType, Severity, Tier
from processors.errors import StartupError

SIGNALS = (
    "NEGATIVE_SENTIMENT",
    "SENTIMENT_DECLINE",
    "CHURN_INTENT",
    "REPEAT_CONTACT",
    "ESCALATION",
    "LONG_WAIT",
    "ABANDONED_CALLS",
    "DETRACTOR",
    "LOW_CSAT",
    "HIGH_EFFORT",
    "PUBLIC_COMPLAINT",
    "UNRESOLVED_AGING",
)

# The severities a score band starts; below MEDIUM's band a score is LOW.
Band = Literal["MEDIUM", "HIGH", "CRITICAL"]
BANDS: tuple[Band, ...] = get_args(Band)


class RulesError(StartupError, ValueError):
    """The rules file is invalid; the message names each bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signal(_Strict):
    """A signal's weight (points at full strength) and, where it counts, its cap."""

    weight: float = Field(ge=0, le=100)
    cap: int = Field(1, ge=1, le=10, description="Most occurrences that add points.")


class Signals(_Strict):
    NEGATIVE_SENTIMENT: Signal
    SENTIMENT_DECLINE: Signal
    CHURN_INTENT: Signal
    REPEAT_CONTACT: Signal
    ESCALATION: Signal
    LONG_WAIT: Signal
    ABANDONED_CALLS: Signal
    DETRACTOR: Signal
    LOW_CSAT: Signal
    HIGH_EFFORT: Signal
    PUBLIC_COMPLAINT: Signal
    UNRESOLVED_AGING: Signal

    def get(self, code: str) -> Signal:
        signal: Signal = getattr(self, code)
        return signal


class Thresholds(_Strict):
    negative_sentiment: float = Field(ge=-1, le=0)
    sentiment_decline: float = Field(gt=0, le=2)
    long_wait_seconds: int = Field(ge=1)
    repeat_window_days: int = Field(ge=1, le=30)
    detractor_nps_at_most: int = Field(ge=0, le=10)
    low_csat_at_most: int = Field(ge=1, le=5)
    high_effort_ces_at_least: int = Field(ge=1, le=7)
    survey_memory_days: int = Field(ge=1, le=30)
    churn_intent_memory_days: int = Field(ge=1, le=30)
    public_complaint_sentiment: float = Field(ge=-1, le=0)
    public_reach_medium: int = Field(ge=0)
    public_reach_high: int = Field(ge=0)
    praise_sentiment: float = Field(ge=0, le=1)
    unresolved_aging_days: int = Field(ge=1, le=30)


class Multipliers(_Strict):
    tier: dict[Tier, float]
    high_value_lifetime_value: float = Field(ge=0)
    high_value_factor: float = Field(ge=1, le=5)
    renewal_within_days: int = Field(ge=0, le=365)
    renewal_factor: float = Field(ge=1, le=5)

    @model_validator(mode="after")
    def _every_tier(self) -> Multipliers:
        missing = [tier for tier in TIERS if tier not in self.tier]
        if missing:
            raise ValueError(f"tier factors missing for {', '.join(missing)}")
        if any(not 0.5 <= factor <= 5 for factor in self.tier.values()):
            raise ValueError("tier factors must be between 0.5 and 5")
        return self


class Alerting(_Strict):
    at_risk_threshold: float = Field(gt=0, le=100)
    recover_below: float = Field(ge=0, le=100)
    severity_bands: dict[Band, float]
    cooldown_hours: dict[AlertType, float]
    follow_up_after_hours: float = Field(gt=0, le=24 * 30)
    excerpt_chars: int = Field(ge=20, le=500)

    @model_validator(mode="after")
    def _consistent(self) -> Alerting:
        if self.recover_below >= self.at_risk_threshold:
            raise ValueError("recover_below must be lower than at_risk_threshold")
        if any(s not in self.severity_bands for s in BANDS):
            raise ValueError("severity_bands needs MEDIUM, HIGH and CRITICAL")
        bands = [self.severity_bands[s] for s in BANDS]
        if not bands == sorted(bands) or len(set(bands)) != 3:
            raise ValueError("severity_bands must rise: MEDIUM < HIGH < CRITICAL")
        return self


class PlaybookEntry(_Strict):
    """What to do for an alert of ``alert_type`` at or above ``min_severity`` for ``tiers``."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    alert_type: AlertType
    min_severity: Severity = "LOW"
    tiers: tuple[Tier, ...] = TIERS
    action: str = Field(min_length=3)
    respond_within_minutes: int = Field(ge=1, le=60 * 24 * 14)


class Rules(_Strict):
    """Everything the scorer and the alert decisions read. ``version`` is a content hash."""

    signals: Signals
    thresholds: Thresholds
    multipliers: Multipliers
    alerting: Alerting
    churn_phrases: dict[str, tuple[str, ...]]
    playbook: tuple[PlaybookEntry, ...]
    version: str = ""

    @model_validator(mode="after")
    def _phrases_and_playbook(self) -> Rules:
        for category, phrases in self.churn_phrases.items():
            if not phrases:
                raise ValueError(f"churn_phrases.{category} is empty")
            single = [p for p in phrases if len(p.split()) < 2]
            if single:
                raise ValueError(
                    f"churn_phrases.{category}: use phrases of two words or more, "
                    f"not single words: {single}"
                )
        for alert_type in ALERT_TYPES:
            covered = {
                tier
                for entry in self.playbook
                if entry.alert_type == alert_type
                for tier in entry.tiers
                if entry.min_severity == "LOW"
            }
            if set(TIERS) - covered:
                raise ValueError(
                    f"playbook has no LOW-severity entry for {alert_type} and tiers "
                    f"{sorted(set(TIERS) - covered)}: every alert needs an action"
                )
        return self

    def cooldown(self, alert_type: AlertType) -> timedelta:
        return timedelta(hours=self.alerting.cooldown_hours.get(alert_type, 0))

    def severity_for(self, score: float) -> Severity:
        bands = self.alerting.severity_bands
        for severity in reversed(BANDS):
            if score >= bands[severity]:
                return severity
        return "LOW"


def parse_rules(data: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Rules:
    """Validates ``data`` layered over ``defaults`` (mappings merge, lists replace)."""
    merged = _merge(defaults or {}, data)
    merged.pop("version", None)
    try:
        rules = Rules.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            elif error["type"] == "missing":
                message = "missing key"
            problems.append(f"{key}: {message}")
        raise RulesError("invalid rules: " + "; ".join(problems)) from exc
    digest = hashlib.sha256(rules.model_dump_json().encode())
    return rules.model_copy(update={"version": digest.hexdigest()[:12]})


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def severity_rank(severity: Severity) -> int:
    return SEVERITIES.index(severity)
