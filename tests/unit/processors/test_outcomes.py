"""AT_RISK openings judged against customer outcomes: caught, missed, early, duplicates,
horizon expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from processors.alerts import CareAlert
from processors.domain import CustomerOutcomeType
from processors.history import CustomerHistory
from processors.outcomes import (
    DAY_MS,
    JUDGE_GRACE_MS,
    MAX_OPENINGS,
    AtRiskLedger,
    CustomerOutcome,
    judge_due,
    judge_outcome,
    next_judgement_due,
    note_openings,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)
HORIZON = 30 * DAY_MS


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def ms(days: float) -> int:
    return int(at(days).timestamp() * 1000)


def opened(alert_id: str, days: float, alert_type: str = "AT_RISK", version: int = 1) -> CareAlert:
    return CareAlert(
        alert_id=alert_id, version=version, customer_id="C1", alert_type=alert_type,  # type: ignore[arg-type]
        severity="HIGH", status="OPEN" if version == 1 else "ESCALATED", score=70.0,
        reasons=(), explanation="", excerpt="", channel="VOICE", interaction_id=f"i-{alert_id}",
        case_id=None, customer_tier="GOLD", recommended_action="", playbook_id="",
        respond_by=None, event_time=at(days), created_at=at(days),
    )  # fmt: skip


def outcome(
    kind: CustomerOutcomeType, days: float, outcome_id: str | None = None
) -> CustomerOutcome:
    return CustomerOutcome("C1", kind, at(days), "billing", outcome_id)


def ledger_with(*openings: tuple[str, float]) -> AtRiskLedger | None:
    return note_openings(None, [opened(alert_id, days) for alert_id, days in openings])


def test_only_at_risk_openings_are_noted() -> None:
    alerts = [
        opened("a", 1),
        opened("a", 2, version=2),  # its escalation
        opened("p", 1, alert_type="PUBLIC_COMPLAINT"),
    ]
    ledger = note_openings(None, alerts)
    assert ledger is not None
    assert [(o.alert_id, o.at) for o in ledger.openings] == [("a", ms(1))]
    assert note_openings(None, [opened("p", 1, alert_type="PRAISE")]) is None


def test_an_opening_noted_again_is_kept_once_and_the_ledger_stays_bounded() -> None:
    ledger = ledger_with(("a", 1))
    ledger = note_openings(ledger, [opened("a", 1)])
    assert ledger is not None and len(ledger.openings) == 1
    for n in range(MAX_OPENINGS + 3):
        ledger = note_openings(ledger, [opened(f"b{n}", 2 + n)])
    assert ledger is not None and len(ledger.openings) == MAX_OPENINGS
    assert ledger.openings[-1].alert_id == f"b{MAX_OPENINGS + 2}"  # the oldest went


def test_a_churn_within_the_horizon_catches_the_churner_with_the_first_openings_lead() -> None:
    pending = ledger_with(("a", 10), ("b", 20))
    ledger, judgement = judge_outcome(pending, outcome("CHURNED", 25), HORIZON)

    assert judgement.caught is True
    assert judgement.verdicts == ("churned", "churned")
    assert judgement.lead_days == 15.0
    assert ledger.openings == [] and ledger.churned_at == ms(25)


def test_a_churner_without_an_opening_is_missed() -> None:
    _, judgement = judge_outcome(None, outcome("CHURNED", 25), HORIZON)
    assert judgement.caught is False
    assert judgement.verdicts == () and judgement.lead_days is None


def test_an_opening_before_the_horizon_is_early_no_churn_and_the_churner_missed() -> None:
    ledger, judgement = judge_outcome(ledger_with(("a", 1)), outcome("CHURNED", 40), HORIZON)
    assert judgement.caught is False
    assert judgement.verdicts == ("no_churn",)
    assert ledger.openings == []


def test_an_opening_after_the_churn_stays_pending() -> None:
    ledger, judgement = judge_outcome(ledger_with(("a", 30)), outcome("CHURNED", 25), HORIZON)
    assert judgement.caught is False and judgement.verdicts == ()
    assert [o.alert_id for o in ledger.openings] == ["a"]


def test_an_outcome_read_again_is_a_duplicate_by_id_or_by_content() -> None:
    ledger, first = judge_outcome(ledger_with(("a", 10)), outcome("CHURNED", 25, "o-1"), HORIZON)
    ledger, again = judge_outcome(ledger, outcome("CHURNED", 25, "o-1"), HORIZON)
    assert first.caught is True
    assert again.duplicate and again.verdicts == () and again.caught is None

    ledger, renewed = judge_outcome(ledger, outcome("RENEWED", 30), HORIZON)
    ledger, renewed_again = judge_outcome(ledger, outcome("RENEWED", 30), HORIZON)
    assert not renewed.duplicate and renewed.outcome == "RENEWED"
    assert renewed_again.duplicate


def test_other_outcomes_judge_nothing() -> None:
    for kind in ("RENEWED", "DOWNGRADED", "WON_BACK"):
        ledger, judgement = judge_outcome(ledger_with(("a", 10)), outcome(kind, 12), HORIZON)  # type: ignore[arg-type]
        assert judgement.verdicts == () and judgement.caught is None
        assert len(ledger.openings) == 1


def test_the_horizon_passing_without_a_churn_judges_no_churn_after_the_grace() -> None:
    ledger = ledger_with(("a", 10), ("b", 15))
    due = next_judgement_due(ledger, HORIZON)
    assert due == ms(10) + HORIZON + JUDGE_GRACE_MS

    assert judge_due(ledger, due - 1, HORIZON) == []
    assert judge_due(ledger, due, HORIZON) == ["no_churn"]
    assert ledger is not None and [o.alert_id for o in ledger.openings] == ["b"]
    assert judge_due(ledger, due, HORIZON) == []  # judged once
    assert next_judgement_due(ledger, HORIZON) == ms(15) + HORIZON + JUDGE_GRACE_MS
    assert judge_due(ledger, ms(100), HORIZON) == ["no_churn"]
    assert next_judgement_due(ledger, HORIZON) is None


def test_an_opening_noted_after_its_churn_was_read_is_judged_churned_when_due() -> None:
    ledger, _ = judge_outcome(None, outcome("CHURNED", 25), HORIZON)
    ledger = note_openings(ledger, [opened("late", 20)])
    assert judge_due(ledger, ms(20) + HORIZON + JUDGE_GRACE_MS, HORIZON) == ["churned"]


def test_the_ledger_is_kept_in_the_history_through_its_stored_form() -> None:
    ledger, _ = judge_outcome(ledger_with(("a", 10)), outcome("RENEWED", 12, "o-9"), HORIZON)
    history = CustomerHistory("C1", at_risk_ledger=ledger)

    again = CustomerHistory.from_dict(history.to_dict())

    assert again.at_risk_ledger == ledger
    assert CustomerHistory.from_dict(CustomerHistory("C2").to_dict()).at_risk_ledger is None
    stored = CustomerHistory("C3").to_dict()
    del stored["at_risk_ledger"]  # as stored before outcomes were judged
    assert CustomerHistory.from_dict(stored).at_risk_ledger is None


def test_an_outcome_round_trips_its_avro_record() -> None:
    import schemas

    churn = replace(outcome("CHURNED", 25, "o-1"), source="crm")
    codec = schemas.codec("CustomerOutcome")
    assert CustomerOutcome.from_record(codec.decode(codec.encode(churn.to_record()))) == churn
