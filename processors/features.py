"""The features a trained risk model reads at each interaction: the rules' named signals
(their points) and the raw inputs behind them, from the customer's history and profile.

Each feature has a name and a readable line (``str.format`` with ``{value}``) that a
model file carries, so a reason on an alert says what the customer did, not a number
on a scale. Training and scoring both call :func:`feature_values`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC

from processors.domain import CHANNELS, TIERS
from processors.history import DAY_MS, CustomerHistory
from processors.interaction import Interaction
from processors.profile import CustomerProfile
from processors.risk import RiskAssessment
from processors.rules import SIGNALS, Rules

# Renewal dates further than this count as "far": the feature is capped there.
RENEWAL_CAP_DAYS = 120
RECENT_DAYS = 7


@dataclass(frozen=True)
class Feature:
    """A feature's name and the line that explains it, e.g. ``"{value:.0f} calls in 30 days"``."""

    name: str
    template: str

    def line(self, value: float) -> str:
        return self.template.format(value=value)


_SIGNAL_LINES = {
    "NEGATIVE_SENTIMENT": "negative tone ({value:.0f} rule points)",
    "SENTIMENT_DECLINE": "tone fell below their usual ({value:.0f} rule points)",
    "CHURN_INTENT": "talked of leaving ({value:.0f} rule points)",
    "REPEAT_CONTACT": "repeat contacts on an unresolved issue ({value:.0f} rule points)",
    "ESCALATION": "escalations on open cases ({value:.0f} rule points)",
    "LONG_WAIT": "long queue waits ({value:.0f} rule points)",
    "ABANDONED_CALLS": "calls abandoned in queue ({value:.0f} rule points)",
    "DETRACTOR": "detractor NPS answer ({value:.0f} rule points)",
    "LOW_CSAT": "low CSAT answer ({value:.0f} rule points)",
    "HIGH_EFFORT": "high-effort CES answer ({value:.0f} rule points)",
    "PUBLIC_COMPLAINT": "negative public posts ({value:.0f} rule points)",
    "UNRESOLVED_AGING": "a case left unresolved ({value:.0f} rule points)",
}

FEATURES: tuple[Feature, ...] = (
    *(Feature(code, _SIGNAL_LINES[code]) for code in SIGNALS),
    Feature("contacts_7d", "{value:.0f} contact(s) in 7 days"),
    Feature("contacts_30d", "{value:.0f} contact(s) in 30 days"),
    *(
        Feature(f"{channel.lower()}_30d", f"{{value:.0f}} {channel.lower()} contact(s) in 30 days")
        for channel in CHANNELS
    ),
    Feature("unresolved_recent", "{value:.0f} contact(s) since the last resolution, 7 days"),
    Feature("abandoned_30d", "{value:.0f} call(s) abandoned in queue in 30 days"),
    Feature("long_waits_30d", "{value:.0f} long queue wait(s) in 30 days"),
    Feature("sentiment_now", "this contact's tone {value:+.2f}"),
    Feature("sentiment_recent", "recent tone {value:+.2f}"),
    Feature("sentiment_drop", "tone {value:+.2f} below their usual"),
    Feature("sentiment_min_30d", "lowest tone in 30 days {value:+.2f}"),
    Feature("nps_gap", "NPS {value:.0f} point(s) under 10"),
    Feature("csat_gap", "CSAT {value:.0f} point(s) under 5"),
    Feature("ces_effort", "effort score {value:.0f} over 1 (CES)"),
    Feature("open_cases", "{value:.0f} open case(s)"),
    Feature("oldest_open_days", "oldest open case {value:.0f} day(s) old"),
    Feature("escalations_30d", "{value:.0f} escalation(s) in 30 days"),
    Feature("churn_talk_30d", "talked of leaving in the last 30 days"),
    Feature("public_complaints_7d", "{value:.0f} negative public post(s) in 7 days"),
    Feature("tier_rank", "tier rank {value:.0f} of 3"),
    Feature("log_lifetime_value", "lifetime value (log10 {value:.1f})"),
    Feature("renewal_closeness", "renewal {value:.0f} day(s) closer than 120"),
)
NAMES = tuple(feature.name for feature in FEATURES)


def feature_values(
    h: CustomerHistory,
    interaction: Interaction,
    profile: CustomerProfile,
    rules: Rules,
    rules_risk: RiskAssessment,
) -> dict[str, float]:
    """Every feature of :data:`FEATURES` for ``interaction``, with ``h`` already updated
    with it and ``rules_risk`` the rules' assessment of it."""
    values = dict.fromkeys(NAMES, 0.0)
    for reason in rules_risk.reasons:
        if reason.code in _SIGNAL_LINES:
            values[reason.code] = reason.contribution or 0.0
    now = h.watermark
    values["contacts_7d"] = h.contacts(RECENT_DAYS)
    values["contacts_30d"] = h.contacts(30)
    for channel in CHANNELS:
        values[f"{channel.lower()}_30d"] = h.contacts(30, channel)
    values["unresolved_recent"] = len(h.contacts_since_resolution(RECENT_DAYS))
    values["abandoned_30d"] = h.abandoned(30)
    values["long_waits_30d"] = h.long_waits(30)
    if interaction.direction == "INBOUND" and interaction.sentiment is not None:
        values["sentiment_now"] = interaction.sentiment
    if h.sentiment_recent is not None:
        values["sentiment_recent"] = h.sentiment_recent
        if h.sentiment_baseline is not None:
            values["sentiment_drop"] = h.sentiment_baseline - h.sentiment_recent
    sentiments = [c.sentiment for c in h.timeline if c.sentiment is not None]
    values["sentiment_min_30d"] = min(sentiments, default=0.0)
    memory = now - rules.thresholds.survey_memory_days * DAY_MS
    if h.nps and h.nps.at > memory:
        values["nps_gap"] = 10 - h.nps.value
    if h.csat and h.csat.at > memory:
        values["csat_gap"] = 5 - h.csat.value
    if h.ces and h.ces.at > memory:
        values["ces_effort"] = h.ces.value - 1
    open_cases = h.open_cases()
    values["open_cases"] = len(open_cases)
    if open_cases:
        values["oldest_open_days"] = (now - min(c.opened_at for c in open_cases)) / DAY_MS
    values["escalations_30d"] = sum(case.escalations for case in h.cases.values())
    values["churn_talk_30d"] = 1.0 if h.churn_talk is not None else 0.0
    values["public_complaints_7d"] = sum(
        1
        for p in h.public_posts
        if p.at > now - RECENT_DAYS * DAY_MS
        and p.sentiment is not None
        and p.sentiment <= rules.thresholds.public_complaint_sentiment
    )
    values["tier_rank"] = TIERS.index(profile.tier)
    values["log_lifetime_value"] = math.log10(1 + max(0.0, profile.lifetime_value))
    days = profile.days_to_renewal(interaction.occurred_at.astimezone(UTC))
    if days is not None and days >= 0:
        values["renewal_closeness"] = RENEWAL_CAP_DAYS - min(days, RENEWAL_CAP_DAYS)
    return {name: float(value) for name, value in values.items()}


def templates() -> Mapping[str, str]:
    return {feature.name: feature.template for feature in FEATURES}
