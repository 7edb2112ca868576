"""Silent customers: an open, unresolved case ages into the score between contacts, checked
by a timer at the moments its age crosses a step of ``unresolved_aging_days``.

The check looks at the history as it stands at the crossing (``aging_at``, event time) and
may open or escalate AT_RISK, never close it. It is due (``aging_due``, processing time)
once the customer has been silent that long on the worker's clock too: the crossing plus
how far processing lagged behind the customer's newest event when it was seen. A backlog
of old events therefore raises nothing by itself; in real time the two clocks agree, and
the backtest, whose clock is the events', checks at the crossing.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from processors.alerts import CareAlert, Trigger, raise_at_risk
from processors.history import CustomerHistory, ms
from processors.profile import CustomerProfile
from processors.risk import assess, next_aging_at, oldest_open_case
from processors.rules import Rules


def schedule_aging(
    history: CustomerHistory, rules: Rules, now: datetime, watermark_moved: bool = True
) -> None:
    """Plans the next aging check after a contact was applied at ``now`` (processing
    time). The lag between the clocks is taken afresh when the contact moved the
    watermark, else kept (a late event says nothing about how far behind we are)."""
    lag = max(0, ms(now) - history.watermark)
    if not watermark_moved and history.aging_at is not None and history.aging_due is not None:
        lag = history.aging_due - history.aging_at
    _plan(history, rules, history.watermark, lag)


def check_aging(
    history: CustomerHistory, profile: CustomerProfile, rules: Rules, now: datetime
) -> list[CareAlert]:
    """The AT_RISK record the customer's silence raises, if an aging check is due at
    ``now`` (processing time); plans the next check. Changes ``history`` when due."""
    at, due = history.aging_at, history.aging_due
    if at is None or due is None or due > ms(now):
        return []
    oldest = oldest_open_case(history)
    if oldest is None or at <= history.watermark:  # resolved, or a contact came since
        _plan(history, rules, history.watermark, due - at)
        return []
    # The history as it stands at the crossing: every window measured from then.
    risk = assess(dataclasses.replace(history, watermark=at), None, profile, rules)
    trigger = Trigger(
        customer_id=history.customer_id,
        interaction_id=f"aging:{oldest.case_id}:{at}",
        channel=oldest.channels[-1] if oldest.channels else "VOICE",
        case_id=oldest.case_id,
        text="",
        occurred_at=datetime.fromtimestamp(at / 1000, UTC),
    )
    alert = raise_at_risk(history, trigger, risk, profile, rules, now)
    _plan(history, rules, at, due - at)
    return [alert] if alert is not None else []


def next_due(follow_ups_due: dict[str, int] | None, aging_due: int | None) -> int | None:
    """When a history next needs the timer (epoch ms, processing time): its first
    follow-up or its aging check, from the fields as a history or its stored form holds
    them; None when neither is planned."""
    times = [*(follow_ups_due or {}).values(), *([] if aging_due is None else [aging_due])]
    return min(times, default=None)


def _plan(history: CustomerHistory, rules: Rules, after: int, lag: int) -> None:
    at = next_aging_at(history, rules, after)
    history.aging_at = at
    history.aging_due = None if at is None else at + max(0, lag)
