"""Reasons mean something: an alert that is not a score carries no points, a public
complaint carries its own points, and one abandoned call is one signal."""

from __future__ import annotations

from datetime import timedelta

import schemas
from processors.care import send_due_alerts
from tests.unit.processors.journey import (
    RULES,
    alerts,
    at,
    contact,
    history_of,
    post,
    profile,
    run,
)

W = RULES.signals


def codes(*interactions: object) -> list[str]:
    risk = run(*interactions)[-1].risk  # type: ignore[arg-type]
    assert risk is not None
    return risk.codes


def test_praise_says_why_without_pretending_to_be_points() -> None:
    outcomes = run(post(at(), "You are wonderful, thank you!", 0.9, followers=1200))
    (praise,) = alerts(outcomes, "PRAISE")
    (reason,) = praise.reasons
    assert (reason.code, reason.weight, reason.contribution) == ("PUBLIC_PRAISE", None, None)
    assert "positive public post" in reason.explanation
    decoded = schemas.codec("CareAlert").decode(
        schemas.codec("CareAlert").encode(praise.to_record())
    )
    assert decoded["reasons"][0]["weight"] is None
    assert decoded["reasons"][0]["contribution"] is None


def test_a_follow_up_says_which_escalated_case_was_resolved_without_points() -> None:
    resolution = contact("VOICE", at(0, hours=2), case_id="K1", outcome="RESOLVED")
    h = history_of(contact("VOICE", at(0), case_id="K1", outcome="ESCALATED"), resolution)
    sent = send_due_alerts(h, profile(), RULES, resolution.occurred_at + timedelta(days=2))
    (follow_up,) = [a for a in sent if a.alert_type == "FOLLOW_UP"]
    (reason,) = follow_up.reasons
    assert (reason.code, reason.weight, reason.contribution) == ("ESCALATION_RESOLVED", None, None)
    assert "case K1 was escalated 1 time(s), resolved" in reason.explanation


def test_a_public_complaint_carries_its_own_points_not_the_customers_score() -> None:
    outcomes = run(
        contact("EMAIL", at(0), "I want to cancel my subscription", sentiment=-0.7),
        post(at(1), "Worst service ever, still broken", -0.8, followers=20_000),
    )
    (complaint,) = alerts(outcomes, "PUBLIC_COMPLAINT")
    (reason,) = complaint.reasons
    risk = outcomes[-1].risk
    assert risk is not None and risk.score > reason.points
    assert reason.code == "PUBLIC_COMPLAINT" and reason.weight == W.PUBLIC_COMPLAINT.weight
    assert complaint.score == reason.contribution == round(W.PUBLIC_COMPLAINT.weight * 2.075, 1)


def test_a_public_complaint_escalated_carries_the_louder_posts_points() -> None:
    outcomes = run(
        post(at(0), "Still broken, awful", -0.8, followers=10),
        post(at(0, hours=1), "Still broken, awful, day two", -0.8, followers=50_000),
    )
    first, escalated = alerts(outcomes, "PUBLIC_COMPLAINT")
    assert escalated.status == "ESCALATED"
    assert first.score == first.reasons[0].contribution
    assert escalated.score == escalated.reasons[0].contribution > first.score


def test_one_abandoned_call_is_one_signal_even_after_a_long_wait_and_a_call_back() -> None:
    abandoned = contact("VOICE", at(0), outcome="ABANDONED", queue_wait=1800, case_id="K1")
    call_back = contact("VOICE", at(0, hours=1), outcome="UNRESOLVED", case_id="K1")
    assert codes(abandoned) == ["ABANDONED_CALLS"]
    assert codes(abandoned, call_back) == ["ABANDONED_CALLS"]


def test_repeats_need_repeats_of_talking_to_someone() -> None:
    abandoned = contact("VOICE", at(0), outcome="ABANDONED", case_id="K1")
    talks = [
        contact("VOICE", at(0, hours=1 + n), outcome="UNRESOLVED", case_id="K1") for n in range(2)
    ]
    risk = run(abandoned, *talks)[-1].risk
    assert risk is not None
    (repeat,) = [r for r in risk.reasons if r.code == "REPEAT_CONTACT"]
    assert repeat.contribution == W.REPEAT_CONTACT.weight  # the second talk, once
    assert repeat.explanation.startswith("2nd contact about case K1")


def test_a_long_wait_on_a_call_that_was_answered_still_counts() -> None:
    waited = contact("VOICE", at(0), outcome="UNRESOLVED", queue_wait=1800)
    assert codes(waited) == ["LONG_WAIT"]


def test_abandoned_calls_without_a_case_do_not_make_the_next_contact_a_repeat() -> None:
    outcomes = run(
        contact("VOICE", at(0), outcome="ABANDONED"),
        contact("VOICE", at(0, hours=1), outcome="ABANDONED"),
        contact("CHAT", at(0, hours=2), outcome="NONE"),
    )
    risk = outcomes[-1].risk
    assert risk is not None and risk.codes == ["ABANDONED_CALLS"]
    assert risk.reasons[0].contribution == 2 * W.ABANDONED_CALLS.weight
