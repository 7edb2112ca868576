"""Backtest of the risk rules: recorded raw events replayed offline through the same
normalizers and :func:`~processors.care.process_interaction` as the workers, and the
AT_RISK alerts scored against ground truth. Pure: decoded records in, figures out.

Times: each record is replayed at the moment it exists (a call's or chat's end, an
email's or post's sending, a profile's update), and that moment is the clock (``now``) of
its normalization and scoring, so nothing is rejected as future. A customer's scores and
alerts are dated the same way. Due follow-ups and aging checks (processors/silence.py) are
sent as the worker's timer would, at the moments they fall due.

Scoring. A churner is a true positive when an AT_RISK alert opened in the ``horizon_days``
before the churn moment; the lead time is from the first such opening to the churn. A
customer is flagged when any AT_RISK opened for them (for churners: before they left), so
precision = true positives / flagged, recall = true positives / churners. Churners flagged
only before the horizon count as flagged but not as true positives ("early").
"""

from __future__ import annotations

import heapq
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from processors.alerts import CareAlert
from processors.care import process_interaction, send_due_alerts
from processors.errors import InvalidEvent
from processors.history import DAY_MS, CustomerHistory, ms
from processors.interaction import Interaction, Source
from processors.normalize import NormalizeConfig, Normalizer, handle_key
from processors.profile import CustomerProfile
from processors.risk import Assessor, assess
from processors.rules import Rules
from processors.sentiment import SentimentScorer

DEFAULT_HORIZON_DAYS = 30
THRESHOLDS = tuple(range(1, 101))
PROGRESS_EVERY = 1000
_TIME_FIELD = {
    "PROFILE": "updated_at",
    "VOICE": "ended_at",
    "CHAT": "ended_at",
    "EMAIL": "sent_at",
    "SOCIAL": "posted_at",
    "OUTCOME": "occurred_at",
}
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Truth:
    """What really happened to a customer: whether and when they left."""

    customer_id: str
    churned: bool
    churn_at: datetime | None = None


@dataclass(frozen=True)
class Step:
    """One record to replay at ``at`` (epoch ms): a CRM profile or an interaction."""

    at: int
    profile: CustomerProfile | None = None
    interaction: Interaction | None = None


@dataclass
class Prepared:
    """The normalized stream, in replay order, and what normalization rejected (by reason)."""

    steps: list[Step]
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def days(self) -> float:
        if not self.steps:
            return 0.0
        return (self.steps[-1].at - self.steps[0].at) / DAY_MS


def available_at(channel: str, record: Mapping[str, Any]) -> datetime:
    """When a record exists, and so when the pipeline would see it."""
    moment: datetime = record[_TIME_FIELD[channel]]
    return moment


def prepare(
    records: Iterable[tuple[str, str, Mapping[str, Any]]],
    scorer: SentimentScorer | None = None,
    config: NormalizeConfig | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Orders ``(channel, key, record)`` by :func:`available_at` (stably) and normalizes
    each; profiles feed the handle index that resolves social posts, as in the worker."""
    ordered = sorted(records, key=lambda r: available_at(r[0], r[2]))
    handles: dict[str, str] = {}
    normalizer = Normalizer(
        config,
        scorer,
        resolve_handle=lambda platform, handle: handles.get(handle_key(platform, handle)),
    )
    prepared = Prepared([])
    for n, (channel, _key, record) in enumerate(ordered, 1):
        now = available_at(channel, record)
        if channel == "PROFILE":
            profile = CustomerProfile.from_record(dict(record))
            for platform, handle in profile.social_handles:
                handles[handle_key(platform, handle)] = profile.customer_id
            prepared.steps.append(Step(ms(now), profile=profile))
        else:
            source = Source(f"interactions.{channel.lower()}", 0, n - 1)
            try:
                interaction = normalizer.for_channel(channel)(record, source, now)
            except InvalidEvent as exc:
                prepared.rejected[exc.reason] += 1
            else:
                prepared.steps.append(Step(ms(now), interaction=interaction))
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None:
        progress(len(ordered) % PROGRESS_EVERY)
    return prepared


@dataclass
class CustomerTrack:
    """One customer's scores and AT_RISK openings in the replay, dated by replay time."""

    scores: list[tuple[int, float]] = field(default_factory=list)
    moments: list[int] = field(default_factory=list)  # the scores' event times
    # Which scores came from the timer (an aging check) rather than from an interaction.
    from_timer: list[bool] = field(default_factory=list)
    at_risk_opened: list[int] = field(default_factory=list)
    first_reasons: tuple[str, ...] = ()


@dataclass
class Replay:
    """What one set of rules did over the stream."""

    rules_version: str
    at_risk_threshold: float
    tracks: dict[str, CustomerTrack] = field(default_factory=dict)
    opened: Counter[str] = field(default_factory=Counter)  # alerts opened, by type
    records: Counter[str] = field(default_factory=Counter)  # "TYPE STATUS" -> records
    emitted: dict[tuple[str, int], str] = field(default_factory=dict)  # (id, version) -> type
    interactions: int = 0
    duplicates: int = 0


def replay(
    prepared: Prepared,
    rules: Rules,
    progress: Progress | None = None,
    assessor: Assessor = assess,
) -> Replay:
    """Runs every step through process_interaction with in-memory histories and profiles;
    ``assessor`` scores the risk (the rules' points, or a trained model's)."""
    result = Replay(rules.version, rules.alerting.at_risk_threshold)
    histories: dict[str, CustomerHistory] = {}
    profiles: dict[str, CustomerProfile] = {}
    # (due ms, customer, case or "aging"): the timer's follow-ups and aging checks.
    due: list[tuple[int, str, str]] = []
    queued: set[tuple[int, str, str]] = set()

    def plan(customer_id: str) -> None:
        history = histories[customer_id]
        planned = list(history.follow_ups_due.items())
        if history.aging_due is not None:
            planned.append(("aging", history.aging_due))
        for what, when in planned:
            if (when, customer_id, what) not in queued:
                queued.add((when, customer_id, what))
                heapq.heappush(due, (when, customer_id, what))

    def send_due(until: int) -> None:
        while due and due[0][0] <= until:
            when, customer_id, _what = heapq.heappop(due)
            now = _datetime(when)
            for alert in send_due_alerts(
                histories[customer_id], profiles.get(customer_id), rules, now
            ):
                if alert.alert_type == "AT_RISK":
                    track = result.tracks.setdefault(customer_id, CustomerTrack())
                    track.scores.append((when, alert.score))
                    track.moments.append(when)  # the check is as of its own moment
                    track.from_timer.append(True)
                _count(result, alert, when)
            plan(customer_id)

    for n, step in enumerate(prepared.steps, 1):
        send_due(step.at)
        if step.profile is not None:
            profiles[step.profile.customer_id] = step.profile
        elif step.interaction is not None:
            interaction = step.interaction
            cid = interaction.customer_id
            outcome = process_interaction(
                histories.get(cid),
                interaction,
                profiles.get(cid),
                rules,
                _datetime(step.at),
                assessor,
            )
            histories[cid] = outcome.history
            result.interactions += 1
            result.duplicates += outcome.duplicate
            if outcome.risk is not None:
                track = result.tracks.setdefault(cid, CustomerTrack())
                track.scores.append((step.at, outcome.risk.score))
                track.moments.append(ms(interaction.occurred_at))
                track.from_timer.append(False)
            for alert in outcome.alerts:
                _count(result, alert, step.at)
            plan(cid)
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if prepared.steps:
        send_due(prepared.steps[-1].at)
    if progress is not None:
        progress(len(prepared.steps) % PROGRESS_EVERY)
    return result


def _count(result: Replay, alert: CareAlert, at: int) -> None:
    result.records[f"{alert.alert_type} {alert.status}"] += 1
    result.emitted[(alert.alert_id, alert.version)] = alert.alert_type
    if alert.version != 1:
        return
    result.opened[alert.alert_type] += 1
    if alert.alert_type == "AT_RISK":
        track = result.tracks.setdefault(alert.customer_id, CustomerTrack())
        if not track.at_risk_opened:
            track.first_reasons = tuple(r.code for r in alert.reasons)
        track.at_risk_opened.append(at)


@dataclass(frozen=True)
class CurvePoint:
    threshold: int
    precision: float | None
    recall: float | None
    flagged: int


@dataclass(frozen=True)
class Evaluation:
    """The replay of one set of rules scored against the truth (see the module docstring)."""

    rules_version: str
    at_risk_threshold: float
    horizon_days: int
    customers: int
    churners: int
    days: float
    flagged: frozenset[str]
    true_positives: frozenset[str]
    early: frozenset[str]
    false_positives: frozenset[str]
    lead_days: tuple[float, ...]
    opened: dict[str, int]
    curve: tuple[CurvePoint, ...]
    churner_max_scores: tuple[float, ...]
    stayer_max_scores: tuple[float, ...]
    reasons_true: dict[str, int]
    reasons_false: dict[str, int]

    @property
    def false_negatives(self) -> int:
        return self.churners - len(self.true_positives)

    @property
    def precision(self) -> float | None:
        return _ratio(len(self.true_positives), len(self.flagged))

    @property
    def recall(self) -> float | None:
        return _ratio(len(self.true_positives), self.churners)

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None
        return 2 * p * r / (p + r)

    @property
    def lead_median(self) -> float | None:
        return statistics.median(self.lead_days) if self.lead_days else None

    @property
    def lead_p90(self) -> float | None:
        return percentile(self.lead_days, 0.9)

    def alerts_per_1k_customers_per_day(self, alert_type: str | None = None) -> float | None:
        """Alerts opened (all types, or one), per 1,000 customers per day of the span."""
        count = sum(self.opened.values()) if alert_type is None else self.opened.get(alert_type, 0)
        if not self.customers or self.days <= 0:
            return None
        return count / self.customers * 1000 / self.days


def evaluate(
    result: Replay,
    truth: Mapping[str, Truth],
    days: float,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> Evaluation:
    """Scores ``result`` against ``truth`` (every customer of the population)."""
    horizon = horizon_days * DAY_MS
    flagged, true_positives, early, false_positives = set(), set(), set(), set()
    leads = []
    reasons_true: Counter[str] = Counter()
    reasons_false: Counter[str] = Counter()
    churner_max, churner_window_max, stayer_max = {}, {}, {}
    for cid, fact in truth.items():
        track = result.tracks.get(cid, CustomerTrack())
        churn = ms(fact.churn_at) if fact.churned and fact.churn_at else None
        before = [s for at, s in track.scores if churn is None or at < churn]
        opened = [at for at in track.at_risk_opened if churn is None or at < churn]
        if churn is None:
            stayer_max[cid] = max(before, default=0.0)
            if opened:
                flagged.add(cid)
                false_positives.add(cid)
                reasons_false.update(track.first_reasons)
            continue
        churner_max[cid] = max(before, default=0.0)
        churner_window_max[cid] = max(
            (s for at, s in track.scores if churn - horizon <= at < churn), default=0.0
        )
        if opened:
            flagged.add(cid)
        in_window = [at for at in opened if at >= churn - horizon]
        if in_window:
            true_positives.add(cid)
            leads.append((churn - in_window[0]) / DAY_MS)
            reasons_true.update(track.first_reasons)
        elif opened:
            early.add(cid)
    curve = []
    for threshold in THRESHOLDS:
        hits = sum(1 for s in churner_window_max.values() if s >= threshold)
        raised = (
            hits
            + sum(
                1
                for cid, s in churner_max.items()
                if s >= threshold and churner_window_max[cid] < threshold
            )
            + sum(1 for s in stayer_max.values() if s >= threshold)
        )
        curve.append(
            CurvePoint(threshold, _ratio(hits, raised), _ratio(hits, len(churner_max)), raised)
        )
    return Evaluation(
        rules_version=result.rules_version,
        at_risk_threshold=result.at_risk_threshold,
        horizon_days=horizon_days,
        customers=len(truth),
        churners=len(churner_max),
        days=days,
        flagged=frozenset(flagged),
        true_positives=frozenset(true_positives),
        early=frozenset(early),
        false_positives=frozenset(false_positives),
        lead_days=tuple(sorted(leads)),
        opened=dict(sorted(result.opened.items())),
        curve=tuple(curve),
        churner_max_scores=tuple(churner_max.values()),
        stayer_max_scores=tuple(stayer_max.values()),
        reasons_true=dict(reasons_true.most_common()),
        reasons_false=dict(reasons_false.most_common()),
    )


@dataclass(frozen=True)
class Comparison:
    """Customers flagged by one version of the rules and not the other."""

    only_a: tuple[str, ...]
    only_b: tuple[str, ...]


def compare(a: Evaluation, b: Evaluation) -> Comparison:
    return Comparison(tuple(sorted(a.flagged - b.flagged)), tuple(sorted(b.flagged - a.flagged)))


def percentile(values: Iterable[float], share: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, "inclusive")."""
    data = sorted(values)
    if not data:
        return None
    position = (len(data) - 1) * share
    low = int(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _datetime(at_ms: int) -> datetime:
    return datetime.fromtimestamp(at_ms / 1000, UTC)
