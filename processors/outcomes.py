"""What became of customers (schemas/CustomerOutcome.avsc), and the AT_RISK alerts judged
against it.

An AT_RISK opening is judged once: "churned" when a CHURNED outcome follows it within the
horizon, "no_churn" when the horizon (and a grace for outcomes recorded late) passes
without one. A churner is caught when an AT_RISK opened in the horizon before they left;
the lead time runs from the first such opening to the churn. Each customer's pending
openings and the outcomes already counted live in an :class:`AtRiskLedger` in the history,
so an outcome read again after a crash is not counted twice.

>>> ledger = AtRiskLedger(openings=[Opening("a1", 10 * DAY_MS)])
>>> churn = CustomerOutcome("C1", "CHURNED", _datetime(25 * DAY_MS), "billing", "o1")
>>> judge_outcome(ledger, churn, 30 * DAY_MS)[1].lead_days
15.0
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from processors.domain import CustomerOutcomeType

if TYPE_CHECKING:  # alerts imports the history, which imports this module
    from processors.alerts import CareAlert

DAY_MS = 86_400_000
DEFAULT_HORIZON_DAYS = 30
# Pending openings a customer keeps: AT_RISK has a cooldown, so a few per horizon at most.
MAX_OPENINGS = 8
# Outcome keys a customer remembers, to count an outcome read again only once.
MAX_OUTCOME_KEYS = 16
# An opening is judged "no_churn" this long after its horizon ends, so that a CHURNED
# outcome recorded late, or read behind the interactions, still finds it pending.
JUDGE_GRACE_MS = DAY_MS

Verdict = Literal["churned", "no_churn"]


@dataclass(frozen=True)
class CustomerOutcome:
    """One record of schemas/CustomerOutcome.avsc."""

    customer_id: str
    outcome: CustomerOutcomeType
    occurred_at: datetime
    source: str
    outcome_id: str | None = None

    @property
    def key(self) -> str:
        """What makes the outcome the same when read again: its id, else its content."""
        if self.outcome_id:
            return self.outcome_id
        return f"{self.outcome}@{_ms(self.occurred_at)}@{self.source}"

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> CustomerOutcome:
        occurred_at: datetime = record["occurred_at"]
        return cls(
            customer_id=record["customer_id"],
            outcome=record["outcome"],
            occurred_at=occurred_at.astimezone(UTC),
            source=record["source"],
            outcome_id=record.get("outcome_id"),
        )

    def to_record(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "outcome": self.outcome,
            "occurred_at": self.occurred_at,
            "source": self.source,
            "outcome_id": self.outcome_id,
        }


@dataclass
class Opening:
    """An AT_RISK alert opened at ``at`` (its triggering interaction's event time, ms)."""

    alert_id: str
    at: int

    def to_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "at": self.at}


@dataclass
class AtRiskLedger:
    """A customer's AT_RISK openings not judged yet (oldest first, at most
    ``MAX_OPENINGS``), the keys of the outcomes counted (newest last, at most
    ``MAX_OUTCOME_KEYS``) and when they last churned."""

    openings: list[Opening] = field(default_factory=list)
    outcome_keys: list[str] = field(default_factory=list)
    churned_at: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "openings": [opening.to_dict() for opening in self.openings],
            "outcome_keys": list(self.outcome_keys),
            "churned_at": self.churned_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AtRiskLedger | None:
        if data is None:
            return None
        return cls(
            [Opening(**o) for o in data.get("openings", [])],
            list(data.get("outcome_keys", [])),
            data.get("churned_at"),
        )


@dataclass(frozen=True)
class Judgement:
    """What one outcome decided: the verdicts on the openings it judged and, for a
    churn, whether the churner was caught and the lead time in days."""

    outcome: CustomerOutcomeType
    duplicate: bool = False
    verdicts: tuple[Verdict, ...] = ()
    caught: bool | None = None
    lead_days: float | None = None


def note_openings(ledger: AtRiskLedger | None, alerts: Iterable[CareAlert]) -> AtRiskLedger | None:
    """The ledger with the AT_RISK alerts opened among ``alerts`` added (an alert already
    pending is not added again); ``ledger`` itself, maybe None, when none opened."""
    opened = [a for a in alerts if a.alert_type == "AT_RISK" and a.version == 1]
    if not opened:
        return ledger
    ledger = ledger or AtRiskLedger()
    pending = {o.alert_id for o in ledger.openings}
    for alert in opened:
        if alert.alert_id not in pending:
            bisect.insort(ledger.openings, Opening(alert.alert_id, _ms(alert.event_time)),
                          key=lambda o: (o.at, o.alert_id))  # fmt: skip
    del ledger.openings[:-MAX_OPENINGS]
    return ledger


def judge_outcome(
    ledger: AtRiskLedger | None, outcome: CustomerOutcome, horizon_ms: int
) -> tuple[AtRiskLedger, Judgement]:
    """Judges the customer's pending openings against ``outcome``; the ledger to store.

    A CHURNED outcome judges "churned" the openings in the horizon before it and
    "no_churn" those before the horizon; openings after it stay pending. Other outcomes
    judge nothing. An outcome already counted is a duplicate and changes nothing.
    """
    ledger = ledger or AtRiskLedger()
    key = outcome.key
    if key in ledger.outcome_keys:
        return ledger, Judgement(outcome.outcome, duplicate=True)
    ledger.outcome_keys = [*ledger.outcome_keys, key][-MAX_OUTCOME_KEYS:]
    if outcome.outcome != "CHURNED":
        return ledger, Judgement(outcome.outcome)
    churn = _ms(outcome.occurred_at)
    ledger.churned_at = max(ledger.churned_at or churn, churn)
    within = [o for o in ledger.openings if churn - horizon_ms <= o.at < churn]
    before = [o for o in ledger.openings if o.at < churn - horizon_ms]
    ledger.openings = [o for o in ledger.openings if o.at >= churn]
    churned: Verdict = "churned"
    no_churn: Verdict = "no_churn"
    verdicts = (churned,) * len(within) + (no_churn,) * len(before)
    lead = (churn - min(o.at for o in within)) / DAY_MS if within else None
    return ledger, Judgement(outcome.outcome, False, verdicts, bool(within), lead)


def judge_due(ledger: AtRiskLedger | None, now_ms: int, horizon_ms: int) -> list[Verdict]:
    """Judges the openings whose horizon and grace have passed at ``now_ms``: "no_churn",
    unless a churn already recorded falls in their horizon (an opening noted after its
    churn's outcome was read). They leave the ledger."""
    if ledger is None:
        return []
    due = [o for o in ledger.openings if o.at + horizon_ms + JUDGE_GRACE_MS <= now_ms]
    if not due:
        return []
    ledger.openings = [o for o in ledger.openings if o.at + horizon_ms + JUDGE_GRACE_MS > now_ms]
    churn = ledger.churned_at
    return [
        "churned" if churn is not None and o.at < churn <= o.at + horizon_ms else "no_churn"
        for o in due
    ]


def next_judgement_due(ledger: AtRiskLedger | None, horizon_ms: int) -> int | None:
    """When the first pending opening falls due for :func:`judge_due` (epoch ms)."""
    if ledger is None or not ledger.openings:
        return None
    return min(o.at for o in ledger.openings) + horizon_ms + JUDGE_GRACE_MS


def horizon_ms(days: float) -> int:
    return int(days * DAY_MS)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _datetime(at_ms: int) -> datetime:
    return datetime.fromtimestamp(at_ms / 1000, UTC)
