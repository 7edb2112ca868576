"""One step of the enrich+score stage: history, risk and alert decisions for an interaction.

The stream workers, the backtest and the tests all call :func:`process_interaction`, so
what is decided live is what is replayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from processors.alerts import CareAlert, decide
from processors.channel_windows import MetricFact
from processors.follow_up import due_follow_ups, follow_up
from processors.history import (
    DAY_MS,
    HISTORY_DAYS,
    MAX_TICKS,
    CustomerHistory,
    Delivery,
    ms,
    update_history,
)
from processors.interaction import Interaction, Source
from processors.outcomes import note_openings
from processors.profile import CustomerProfile
from processors.risk import Assessor, RiskAssessment, assess
from processors.rules import Rules
from processors.silence import check_aging, schedule_aging


@dataclass
class CareOutcome:
    """The history to store, the risk of this interaction and the alert records to send.

    ``duplicate`` is True for an interaction already in the history: nothing changes. When
    it is the same record read again (``replay``: the same partition and offset, after a
    crash or a rebalance), ``alerts`` are the records it sent the first time, to be sent
    again, so that a crash between storing the history and sending can only duplicate an
    alert, never lose it. An upstream duplicate (the same event in another record) sends
    nothing.

    ``seq`` places the interaction in the order its customer's interactions were applied
    (1, 2, ...; the first one's for a replay, 0 for an upstream duplicate): the order its
    decisions were taken in, which after a crash may differ from the order in which the
    normalized records reached the topic.
    """

    history: CustomerHistory
    risk: RiskAssessment | None = None
    alerts: list[CareAlert] = field(default_factory=list)
    duplicate: bool = False
    replay: bool = False
    seq: int = 0
    # No earlier contact on the same case (or, without a case, on an unresolved issue).
    first_contact: bool = False


def process_interaction(
    history: CustomerHistory | None,
    interaction: Interaction,
    profile: CustomerProfile | None,
    rules: Rules,
    now: datetime,
    assessor: Assessor = assess,
) -> CareOutcome:
    """Updates ``history`` (in place, when given) and decides the alerts; ``assessor``
    scores the risk (the rules' points by default, or a trained model's)."""
    if history is not None and interaction.interaction_id in history.seen:
        delivery = history.deliveries.get(interaction.interaction_id)
        if delivery is not None and delivery.source == source_key(interaction.source):
            sent = [CareAlert.from_dict(alert) for alert in delivery.alerts]
            return CareOutcome(history, alerts=sent, duplicate=True, replay=True, seq=delivery.seq)
        return CareOutcome(history, duplicate=True)
    profile = profile or CustomerProfile.unknown(interaction.customer_id)
    first = is_first_contact(history, interaction, rules)
    watermark = history.watermark if history is not None else None
    updated = update_history(history, interaction, now, rules)
    schedule_aging(updated, rules, now, watermark_moved=updated.watermark != watermark)
    if ms(interaction.occurred_at) < updated.watermark - HISTORY_DAYS * DAY_MS:
        seq = remember(updated, interaction, [])
        return CareOutcome(updated, seq=seq)  # too late to say anything about the customer
    risk = assessor(updated, interaction, profile, rules)
    alerts = decide(updated, interaction, risk, profile, rules, now)
    updated.at_risk_ledger = note_openings(updated.at_risk_ledger, alerts)
    seq = remember(updated, interaction, alerts)
    return CareOutcome(updated, risk, alerts, seq=seq, first_contact=first)


def source_key(source: Source) -> str:
    """Where a record was read, as a history keeps it. The topic is left out: an
    interaction id names its channel, and so its raw topic."""
    return f"{source.partition}:{source.offset}"


def remember(history: CustomerHistory, interaction: Interaction, alerts: list[CareAlert]) -> int:
    """Records what ``interaction`` sent, and forgets deliveries whose id left ``seen``;
    returns its ``seq``."""
    history.applied += 1
    history.deliveries[interaction.interaction_id] = Delivery(
        source_key(interaction.source), [alert.to_dict() for alert in alerts], history.applied
    )
    if len(history.deliveries) > len(history.seen):
        seen = set(history.seen)
        history.deliveries = {k: v for k, v in history.deliveries.items() if k in seen}
    return history.applied


def is_first_contact(
    history: CustomerHistory | None, interaction: Interaction, rules: Rules
) -> bool:
    """Whether ``interaction`` is the first contact about its issue (before it is recorded)."""
    if history is None:
        return True
    if interaction.case_id:
        case = history.cases.get(interaction.case_id)
        return case is None or case.contacts == 0
    return not history.contacts_since_resolution(rules.thresholds.repeat_window_days)


def send_due_alerts(
    history: CustomerHistory,
    profile: CustomerProfile | None,
    rules: Rules,
    now: datetime,
    tick: Source | None = None,
) -> list[CareAlert]:
    """What the timer sends at ``now`` (processing time): the FOLLOW_UP alerts due, in
    case order, then the AT_RISK record of a due aging check (processors/silence.py).

    Each follow-up sent is taken off ``history.follow_ups_due`` and a due aging check
    plans the next, so the caller stores the history when the list is not empty or the
    check moved on. The live timer and the backtest both call this. ``tick`` is the
    record that asked (the live timer's): the same tick read again after a crash gets the
    same alerts again, since their checks are no longer due by then.
    """
    if tick is not None:
        key = source_key(tick)
        for delivery in history.tick_deliveries:
            if delivery.source == key:
                return [CareAlert.from_dict(alert) for alert in delivery.alerts]
    profile = profile or CustomerProfile.unknown(history.customer_id)
    alerts = [
        alert
        for case_id in due_follow_ups(history, now)
        if (alert := follow_up(history, case_id, profile, rules, now)) is not None
    ]
    alerts += check_aging(history, profile, rules, now)
    if tick is not None and alerts:
        delivery = Delivery(source_key(tick), [alert.to_dict() for alert in alerts])
        history.tick_deliveries = [*history.tick_deliveries, delivery][-MAX_TICKS:]
    return alerts


def next_follow_up_due(follow_ups_due: Mapping[str, int] | None) -> int | None:
    """When the first of a history's follow-ups falls due (epoch ms), from its
    ``follow_ups_due``, as a :class:`CustomerHistory` or its stored form holds it; None
    when it has none."""
    return min(follow_ups_due.values()) if follow_ups_due else None


def metric_fact(
    interaction: Interaction, first_contact: bool, alerts: list[CareAlert]
) -> MetricFact:
    """What ``interaction`` adds to its channel's one-minute window."""
    survey = interaction.survey
    return MetricFact(
        channel=interaction.channel,
        occurred_at=ms(interaction.occurred_at),
        sentiment=interaction.sentiment,
        outcome=interaction.outcome,
        first_contact=first_contact,
        handle_seconds=interaction.handle_seconds,
        csat=survey.csat if survey else None,
        nps=survey.nps if survey else None,
        ces=survey.ces if survey else None,
        at_risk_opened=any(a.alert_type == "AT_RISK" and a.version == 1 for a in alerts),
    )
