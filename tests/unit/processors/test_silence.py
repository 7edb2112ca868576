"""Silent customers: an open case ages into the score on the timer, between contacts."""

from __future__ import annotations

import random
from datetime import timedelta

from processors.alerts import alert_id
from processors.care import process_interaction, send_due_alerts
from processors.due import DueIndex
from processors.history import DAY_MS, CustomerHistory, ms
from processors.interaction import Source
from processors.risk import next_aging_at
from processors.silence import next_due
from tests.unit.processors.journey import (
    CUSTOMER,
    LAG,
    RULES,
    at,
    contact,
    history_of,
    profile,
    run,
)

STEP = timedelta(days=RULES.thresholds.unresolved_aging_days)


def escalated_and_silent() -> CustomerHistory:
    """One angry call after a long wait, escalated and not resolved, then nothing:
    20 + 10 + 5 = 35 points."""
    outcomes = run(
        contact("VOICE", at(), sentiment=-0.7, outcome="ESCALATED", case_id="K1", queue_wait=900),
    )
    assert outcomes[-1].alerts == []
    return outcomes[-1].history


def test_the_check_is_planned_at_the_next_aging_step_plus_the_processing_lag() -> None:
    h = escalated_and_silent()
    assert h.aging_at == ms(at() + STEP)
    # The last call was processed LAG after it happened: the check waits as much longer.
    assert h.aging_due == ms(at() + STEP + LAG)
    assert next_due(h.follow_ups_due, h.aging_due) == h.aging_due


def test_a_silent_customers_case_opens_at_risk_on_the_timer() -> None:
    h = escalated_and_silent()
    assert h.aging_due is not None
    early = send_due_alerts(h, profile(), RULES, at() + STEP - timedelta(minutes=1))
    assert early == []

    first = send_due_alerts(h, profile(), RULES, at() + STEP + timedelta(hours=2))
    assert first == []  # 35 + 8: 43, not yet
    second = send_due_alerts(h, profile(), RULES, at() + 2 * STEP + timedelta(hours=2))
    (opened,) = second
    crossing = ms(at() + 2 * STEP)
    assert (opened.alert_type, opened.status, opened.version) == ("AT_RISK", "OPEN", 1)
    assert opened.alert_id == alert_id(CUSTOMER, "AT_RISK", f"aging:K1:{crossing}")
    assert opened.interaction_id == f"aging:K1:{crossing}" and opened.case_id == "K1"
    assert opened.event_time == at() + 2 * STEP
    aging = [r for r in opened.reasons if r.code == "UNRESOLVED_AGING"]
    assert aging[0].explanation == "case K1 open 6 days without resolution"
    assert aging[0].contribution == 2 * RULES.signals.UNRESOLVED_AGING.weight
    assert h.open_alerts["AT_RISK"].alert_id == opened.alert_id
    # The cap is reached: nothing more to look at until the customer comes back.
    assert h.aging_at is None and h.aging_due is None


def test_the_timer_never_closes_an_at_risk_alert() -> None:
    outcomes = run(
        contact(
            "EMAIL",
            at(),
            "I want to cancel my subscription",
            sentiment=-0.7,
            outcome="UNRESOLVED",
            case_id="K1",
        )
    )
    h = outcomes[-1].history
    assert "AT_RISK" in h.open_alerts
    # By day 8 the churn talk is still remembered; nothing the timer sends closes it.
    sent = send_due_alerts(h, profile(), RULES, at(days=30))
    assert all(a.status != "CLOSED" for a in sent)
    assert "AT_RISK" in h.open_alerts


def test_a_contact_before_the_check_moves_it_and_a_resolution_cancels_it() -> None:
    h = escalated_and_silent()
    again = contact("CHAT", at(days=2), sentiment=-0.2, outcome="NONE", case_id="K1")
    h = process_interaction(h, again, None, RULES, at(days=2) + LAG).history
    assert h.aging_at == ms(at() + STEP)  # the case still opened on day 0
    solved = contact("CHAT", at(days=2, hours=1), sentiment=0.5, outcome="RESOLVED", case_id="K1")
    h = process_interaction(h, solved, None, RULES, at(days=2, hours=1) + LAG).history
    assert h.aging_at is None and h.aging_due is None
    sent = send_due_alerts(h, profile(), RULES, at(days=10))
    assert [a.alert_type for a in sent] == ["FOLLOW_UP"]  # the escalation's, not AT_RISK


def test_a_backlog_of_old_events_does_not_make_the_case_look_old_at_once() -> None:
    """Processed 20 days after it happened, the call's case is due for its check only
    once the customer has been silent for the aging step on the worker's clock too."""
    call = contact("VOICE", at(), sentiment=-0.7, outcome="ESCALATED", case_id="K1")
    late = at(days=20)
    h = process_interaction(None, call, None, RULES, late).history
    assert h.aging_at == ms(at() + STEP)
    assert h.aging_due == ms(late + STEP)
    assert send_due_alerts(h, profile(), RULES, late + timedelta(hours=1)) == []


def test_a_tick_read_again_sends_the_same_at_risk_again() -> None:
    h = escalated_and_silent()
    tick = Source("care.followups", 0, 7)
    send_due_alerts(h, profile(), RULES, at() + STEP + timedelta(hours=2), Source("t", 0, 6))
    first = send_due_alerts(h, profile(), RULES, at() + 2 * STEP + timedelta(hours=2), tick)
    again = send_due_alerts(h, profile(), RULES, at() + 2 * STEP + timedelta(hours=3), tick)
    assert [a.alert_type for a in first] == ["AT_RISK"]
    assert [a.to_dict() for a in again] == [a.to_dict() for a in first]
    restored = CustomerHistory.from_dict(h.to_dict())
    assert (restored.aging_at, restored.aging_due) == (h.aging_at, h.aging_due)


def test_next_aging_at_is_the_first_step_after_the_moment_until_the_cap() -> None:
    h = history_of(contact("VOICE", at(), outcome="UNRESOLVED", case_id="K1"))
    opened, step = ms(at()), STEP.days * DAY_MS
    assert next_aging_at(h, RULES, opened) == opened + step
    assert next_aging_at(h, RULES, opened + step - 1) == opened + step
    assert next_aging_at(h, RULES, opened + step) == opened + 2 * step
    assert next_aging_at(h, RULES, opened + 2 * step) is None  # capped at 2 steps


def test_the_due_index_over_histories_agrees_with_a_scan() -> None:
    """Random follow-ups and aging checks, set and reset as histories are written: the
    index pops exactly the customers a scan of next_due would find, each once."""
    rng = random.Random(13)
    index = DueIndex[str]()
    stored: dict[str, tuple[dict[str, int], int | None]] = {}
    for _ in range(4_000):
        key = f"C{rng.randrange(200)}"
        follow_ups = {f"K{n}": rng.randrange(10_000) for n in range(rng.randrange(3))}
        aging = rng.choice([None, rng.randrange(10_000)])
        stored[key] = (follow_ups, aging)
        index.set(key, next_due(follow_ups, aging))
    for now in (1_000, 5_000, 10_000):
        scan = {
            key
            for key, (f, a) in stored.items()
            if (due := next_due(f, a)) is not None and due <= now
        }
        got = index.pop_due(now)
        assert sorted(got) == sorted(scan)
        assert len(got) == len(set(got))
        for key in got:
            del stored[key]
    assert all(next_due(f, a) is None for f, a in stored.values())
