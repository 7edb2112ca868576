"""What a chaos scenario is judged by. Pure: the outputs are read from the topics
elsewhere (:mod:`pipeline.measure.chaos.outputs`).

An alert record is named by its ``(alert_id, version)``, a normalized record by its
interaction id, a raw input record by its ``(topic, partition, offset)``.

- Interactions are judged against the clean run's: the same set, whatever the faults.
- Alerts are judged against :func:`expected_alerts`: what the scorer had to send, given
  the order in which it scored each customer's interactions. A customer's interactions
  come on four raw topics, and after a restart or a rebalance the consumer interleaves
  their backlogs in another order than in a clean run, so a clean run's alerts are not
  the yardstick for a run with faults: some decisions depend on which of two contacts
  came first. How far the alerts differ from the clean run's is reported beside the
  verdict.
- That order is each normalized record's sequence header, not its place in the log:
  after a kill -9 the history may hold an interaction whose records died in the
  producer. Another contact of that customer, read first from another topic's backlog,
  is scored after it, and only then is the interaction's own record read again and its
  normalized record sent. ``customers_reordered`` counts the customers for whom the two
  orders differ.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from processors.alerts import alert_id
from processors.care import process_interaction
from processors.history import CustomerHistory
from processors.interaction import Interaction
from processors.profile import CustomerProfile
from processors.risk import next_aging_at, oldest_open_case
from processors.rules import Rules

AlertKey = tuple[str, int]
RawPosition = tuple[str, int, int]
EXAMPLES = 5


@dataclass
class Outputs:
    """What one run wrote: every record counted, so duplicates show."""

    alerts: Counter[AlertKey] = field(default_factory=Counter)
    alert_types: dict[AlertKey, str] = field(default_factory=dict)
    normalized: Counter[str] = field(default_factory=Counter)
    # Raw records the pipeline accounted for: normalized (by source) or dead-lettered.
    handled: set[RawPosition] = field(default_factory=set)
    dead_letters: int = 0
    # interactions.normalized's records as (seq header, Interaction record), partition
    # after partition, each in its log order.
    log: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    """Lost and invented records of a run against the reference; duplicates are allowed
    (at-least-once) but counted."""

    alerts_expected: int
    alerts_lost: int
    alerts_invented: int
    alert_duplicates: int
    normalized_expected: int
    normalized_lost: int
    normalized_invented: int
    normalized_duplicates: int
    raw_sent: int
    raw_unaccounted: int
    # Decided by interactions in this run or the clean one, not both: order, not loss.
    alerts_unlike_clean: int
    customers_reordered: int
    examples: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return not (
            self.alerts_lost
            or self.alerts_invented
            or self.normalized_lost
            or self.normalized_invented
            or self.raw_unaccounted
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "alerts_expected": self.alerts_expected,
            "alerts_lost": self.alerts_lost,
            "alerts_invented": self.alerts_invented,
            "alert_duplicates": self.alert_duplicates,
            "normalized_expected": self.normalized_expected,
            "normalized_lost": self.normalized_lost,
            "normalized_invented": self.normalized_invented,
            "normalized_duplicates": self.normalized_duplicates,
            "raw_sent": self.raw_sent,
            "raw_unaccounted": self.raw_unaccounted,
            "alerts_unlike_clean": self.alerts_unlike_clean,
            "customers_reordered": self.customers_reordered,
            "examples": self.examples,
        }


def judge(expected: Expected, clean: Outputs, run: Outputs, sent: Iterable[RawPosition]) -> Verdict:
    """``run`` against the alerts it had to send and the clean run's interactions;
    ``sent`` are the raw records the run was given."""
    expected_alerts, got_alerts = expected.alerts, set(run.alerts)
    reference = clean
    expected_ids, got_ids = set(reference.normalized), set(run.normalized)
    sent = set(sent)
    lost = expected_alerts - got_alerts
    # The timer's records may or may not have been sent: allowed, never required. They are
    # not taken out of what was got first, since an aging check's allowance names versions
    # of an open AT_RISK that later interactions may have to send too.
    invented = got_alerts - expected_alerts - expected.follow_ups
    unaccounted = sent - run.handled
    return Verdict(
        alerts_expected=len(expected_alerts),
        alerts_lost=len(lost),
        alerts_invented=len(invented),
        alert_duplicates=duplicates(run.alerts),
        normalized_expected=len(expected_ids),
        normalized_lost=len(expected_ids - got_ids),
        normalized_invented=len(got_ids - expected_ids),
        normalized_duplicates=duplicates(run.normalized),
        raw_sent=len(sent),
        raw_unaccounted=len(unaccounted),
        alerts_unlike_clean=len(_decided(clean) ^ _decided(run)),
        customers_reordered=expected.reordered,
        examples={
            "alerts_lost": [f"{a} v{v}" for a, v in sorted(lost)[:EXAMPLES]],
            "alerts_invented": [f"{a} v{v}" for a, v in sorted(invented)[:EXAMPLES]],
            "normalized_lost": sorted(expected_ids - got_ids)[:EXAMPLES],
            "raw_unaccounted": [f"{t}[{p}]@{o}" for t, p, o in sorted(unaccounted)[:EXAMPLES]],
        },
    )


@dataclass(frozen=True)
class Expected:
    """What a scorer had to send (``alerts``), and the timer's records it may send
    (``follow_ups``: FOLLOW_UPs, and AT_RISK records of aging checks on silent
    customers): those come at a moment of processing time, so whether one is sent before
    the customer's next contact or the end of the run is timing, not a fault."""

    alerts: set[AlertKey]
    follow_ups: set[AlertKey]
    # Customers whose interactions were scored in another order than their log order.
    reordered: int = 0


def expected_alerts(
    log: Iterable[tuple[int, Mapping[str, Any]]],
    profiles: Mapping[str, CustomerProfile],
    rules: Rules,
    now: datetime,
) -> Expected:
    """The alert records a scorer sends that meets each customer's interactions in the
    order of their ``seq`` (log order among equal ones; records read again included),
    with ``profiles`` known from the start."""
    by_customer: dict[str, list[tuple[int, Interaction]]] = {}
    for seq, record in log:
        interaction = Interaction.from_record(dict(record))
        by_customer.setdefault(interaction.customer_id, []).append((seq, interaction))
    keys: set[AlertKey] = set()
    follow_ups: set[AlertKey] = set()
    reordered = 0
    for cid, logged in by_customer.items():
        scored = sorted(logged, key=lambda entry: entry[0])  # stable: log order among equals
        reordered += _first_seen(logged) != _first_seen(scored)
        history: CustomerHistory | None = None
        profile = profiles.get(cid)
        for _, interaction in scored:
            outcome = process_interaction(history, interaction, profile, rules, now)
            history = outcome.history
            keys.update((alert.alert_id, alert.version) for alert in outcome.alerts)
            for case_id in history.follow_ups_due:
                case = history.cases.get(case_id)
                if case is not None and not case.open:
                    trigger = f"case:{case_id}:{case.resolved_at}"
                    follow_ups.add((alert_id(cid, "FOLLOW_UP", trigger), 1))
            follow_ups.update(_aging_checks(history, rules))
    return Expected(keys, follow_ups, reordered)


def _aging_checks(history: CustomerHistory, rules: Rules) -> set[AlertKey]:
    """The AT_RISK records the aging checks of the oldest open case may send before the
    customer's next contact: an opening at each crossing, or the open alert's escalations
    (at most one per severity above its own)."""
    oldest = oldest_open_case(history)
    if oldest is None:
        return set()
    keys: set[AlertKey] = set()
    after = history.watermark
    while (at := next_aging_at(history, rules, after)) is not None:
        trigger = f"aging:{oldest.case_id}:{at}"
        keys.add((alert_id(history.customer_id, "AT_RISK", trigger), 1))
        after = at
    current = history.open_alerts.get("AT_RISK")
    if current is not None:
        keys.update((current.alert_id, current.version + n) for n in (1, 2, 3))
    return keys


def _first_seen(entries: Iterable[tuple[int, Interaction]]) -> list[str]:
    """The interaction ids in the order of their first record."""
    return list(dict.fromkeys(interaction.interaction_id for _, interaction in entries))


def _decided(outputs: Outputs) -> set[AlertKey]:
    """The alert records decided by interactions: all but the timer's FOLLOW_UPs (its
    rare AT_RISK records of aging checks count here)."""
    return {k for k in outputs.alerts if outputs.alert_types.get(k) != "FOLLOW_UP"}


def duplicates(counts: Counter[Any]) -> int:
    """Records beyond the first of each name."""
    return sum(n - 1 for n in counts.values() if n > 1)


def agreement(live: Mapping[AlertKey, str], offline: Mapping[AlertKey, str]) -> dict[str, Any]:
    """How the clean live run's alert records and the offline backtest's differ, with the
    differing records counted by alert type."""
    live_only = live.keys() - offline.keys()
    offline_only = offline.keys() - live.keys()
    return {
        "both": len(live.keys() & offline.keys()),
        "live_only": len(live_only),
        "offline_only": len(offline_only),
        "live_only_by_type": dict(Counter(live[k] for k in live_only)),
        "offline_only_by_type": dict(Counter(offline[k] for k in offline_only)),
    }
