"""Test harness for the risk stage: terse Interactions and a runner over process_interaction.

Not a test module. Times are tz-aware UTC, counted from ``T0``; sentiment is given
explicitly (``sentiment_source`` UPSTREAM), so nothing here depends on VADER.

    outcomes = run(contact("CHAT", at(), sentiment=-0.7, case_id="K1", outcome="UNRESOLVED"))
    assert outcomes[-1].risk.codes == ["NEGATIVE_SENTIMENT"]
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml

from pipeline.rulesfile import DEFAULT_RULES_FILE, load_rules
from processors.alerts import CareAlert
from processors.care import CareOutcome, process_interaction
from processors.history import CustomerHistory, update_history
from processors.interaction import Interaction, SocialContext, Source, Survey
from processors.profile import CustomerProfile
from processors.rules import Rules, parse_rules

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
CUSTOMER = "C-1001"
RULES = load_rules()
# How long after its event time an interaction is processed, unless a test says otherwise.
LAG = timedelta(minutes=1)


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    """``T0`` plus an offset."""
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def contact(
    channel: str,
    when: datetime,
    text: str = "",
    sentiment: float | None = None,
    outcome: str = "NONE",
    case_id: str | None = None,
    survey: Survey | None = None,
    public: bool = False,
    followers: int = 0,
    queue_wait: int = 0,
    direction: str = "INBOUND",
    customer: str = CUSTOMER,
    interaction_id: str | None = None,
) -> Interaction:
    """One Interaction; a SOCIAL one gets a SocialContext (``public``, ``followers``)."""
    # Deterministic: the same contact built twice is the same event (and a duplicate).
    fingerprint = repr(
        (
            channel,
            when,
            text,
            sentiment,
            outcome,
            case_id,
            survey,
            public,
            followers,
            queue_wait,
            direction,
            customer,
        )
    )
    serial = int(hashlib.sha256(fingerprint.encode()).hexdigest()[:8], 16)
    iid = interaction_id or f"{channel.lower()}:{customer}:{when:%Y%m%dT%H%M%S}:{serial:08x}"
    social = None
    if channel == "SOCIAL":
        social = SocialContext(
            platform="X",
            handle=f"@{customer.lower()}",
            post_id=f"post-{serial}",
            is_public=public,
            follower_count=followers,
        )
    return Interaction(
        interaction_id=iid,
        customer_id=customer,
        channel=channel,
        occurred_at=when,
        normalized_at=when + timedelta(seconds=5),
        source=Source(f"interactions.{channel.lower()}", 0, serial),
        direction=direction,
        case_id=case_id,
        outcome=outcome,
        text=text,
        sentiment=sentiment,
        sentiment_source="UPSTREAM" if sentiment is not None else "NONE",
        queue_wait_seconds=queue_wait,
        survey=survey,
        social=social,
    )


def post(when: datetime, text: str, sentiment: float, followers: int = 0, **kw: Any) -> Interaction:
    """A public social post."""
    return contact(
        "SOCIAL", when, text, sentiment=sentiment, public=True, followers=followers, **kw
    )


def survey(
    when: datetime, csat: int | None = None, nps: int | None = None, ces: int | None = None
) -> Survey:
    return Survey(csat=csat, nps=nps, ces=ces, answered_at=when)


def profile(
    tier: str = "BASIC",
    lifetime_value: float = 0.0,
    renewal_in_days: int | None = None,
    customer: str = CUSTOMER,
    today: date | None = None,
) -> CustomerProfile:
    """A CRM profile; ``renewal_in_days`` counts from ``today`` (default: T0's date)."""
    renewal = None
    if renewal_in_days is not None:
        renewal = (today or T0.date()) + timedelta(days=renewal_in_days)
    return CustomerProfile(customer, tier, lifetime_value, renewal)


def default_rules_mapping() -> dict[str, Any]:
    """The parsed default rules YAML (a fresh copy each call)."""
    data: dict[str, Any] = yaml.safe_load(DEFAULT_RULES_FILE.read_text())
    return data


def rules_with(overrides: Mapping[str, Any]) -> Rules:
    """The default rules with ``overrides`` laid over them."""
    return parse_rules(overrides, default_rules_mapping())


def run(
    *interactions: Interaction,
    who: CustomerProfile | None = None,
    rules: Rules = RULES,
    history: CustomerHistory | None = None,
    lag: timedelta = LAG,
) -> list[CareOutcome]:
    """Feeds the interactions in order through process_interaction; one outcome each."""
    outcomes = []
    for interaction in interactions:
        outcome = process_interaction(
            history, interaction, who, rules, interaction.occurred_at + lag
        )
        history = outcome.history
        outcomes.append(outcome)
    return outcomes


def history_of(
    *interactions: Interaction, rules: Rules = RULES, lag: timedelta = LAG
) -> CustomerHistory:
    """The history after update_history over ``interactions`` in order."""
    history: CustomerHistory | None = None
    for interaction in interactions:
        history = update_history(history, interaction, interaction.occurred_at + lag, rules)
    assert history is not None, "history_of needs at least one interaction"
    return history


def alerts(outcomes: Iterable[CareOutcome], alert_type: str | None = None) -> list[CareAlert]:
    """Every alert record the outcomes carry (of one type, when given), in order."""
    return [
        alert
        for outcome in outcomes
        for alert in outcome.alerts
        if alert_type is None or alert.alert_type == alert_type
    ]
