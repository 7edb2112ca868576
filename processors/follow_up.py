"""Follow-ups: the FOLLOW_UP alert a day after an escalated case was resolved, sent by a
timer at a moment of processing time (scheduled by processors.history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from processors.alerts import CareAlert, alert_id
from processors.domain import Severity
from processors.history import CustomerHistory, ms
from processors.playbook import choose_action
from processors.profile import CustomerProfile
from processors.risk import Reason
from processors.rules import Rules


def due_follow_ups(history: CustomerHistory, now: datetime) -> list[str]:
    """Cases whose follow-up is due at ``now`` (processing time)."""
    now_ms = ms(now)
    return sorted(case for case, due in history.follow_ups_due.items() if due <= now_ms)


def follow_up(
    history: CustomerHistory,
    case_id: str,
    profile: CustomerProfile,
    rules: Rules,
    now: datetime,
) -> CareAlert | None:
    """The FOLLOW_UP alert for a resolved, escalated case; None if no longer due."""
    due = history.follow_ups_due.get(case_id)
    if due is None or due > ms(now):
        return None
    del history.follow_ups_due[case_id]
    case = history.cases.get(case_id)
    if case is None or case.open:
        return None
    severity: Severity = "MEDIUM" if case.escalations >= 2 else "LOW"
    trigger = f"case:{case_id}:{case.resolved_at}"
    entry = choose_action(rules.playbook, "FOLLOW_UP", severity, profile.tier)
    resolved_at = datetime.fromtimestamp((case.resolved_at or 0) / 1000, UTC)
    reason = Reason(
        "ESCALATION_RESOLVED",
        None,
        None,
        f"case {case_id} was escalated {case.escalations} time(s), resolved "
        f"{resolved_at:%Y-%m-%d %H:%M} UTC",
    )
    return CareAlert(
        alert_id=alert_id(history.customer_id, "FOLLOW_UP", trigger),
        version=1,
        customer_id=history.customer_id,
        alert_type="FOLLOW_UP",
        severity=severity,
        status="OPEN",
        score=history.last_score,
        reasons=(reason,),
        explanation=f"follow up on escalated case {case_id}, resolved {resolved_at:%b %d}",
        excerpt="",
        channel=case.channels[-1] if case.channels else "VOICE",
        interaction_id=trigger,
        case_id=case_id,
        customer_tier=profile.tier,
        recommended_action=entry.action,
        playbook_id=entry.id,
        respond_by=now + timedelta(minutes=entry.respond_within_minutes),
        event_time=resolved_at,
        created_at=now,
        rules_version=rules.version,
    )
