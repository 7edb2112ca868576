"""Customer history as stream state: what the scorer needs to know about one customer.

Kept by event time: late and out-of-order events land in their own day, and everything
older than ``HISTORY_DAYS`` before the newest event seen (the watermark) expires, so the
state per customer stays bounded. Times are epoch milliseconds, so the state is plain JSON.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from processors.domain import AlertType, Channel, Outcome, Severity
from processors.interaction import Interaction
from processors.rules import Rules

DAY_MS = 86_400_000
HISTORY_DAYS = 30
MAX_TIMELINE = 100
MAX_CASES = 20
MAX_PUBLIC_POSTS = 20
MAX_SEEN = 64
# A contact on a resolved case with one of these outcomes reopens it; a thank-you does not.
REOPEN = frozenset({"UNRESOLVED", "ABANDONED", "ESCALATED", "CALLBACK_REQUESTED"})
# Decaying averages of sentiment: the recent tone moves fast, the baseline slowly.
RECENT_ALPHA = 0.4
BASELINE_ALPHA = 0.1


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class Contact:
    """One inbound contact on the timeline."""

    at: int
    channel: Channel
    case_id: str | None
    outcome: Outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "channel": self.channel,
            "case_id": self.case_id,
            "outcome": self.outcome,
        }


@dataclass
class CaseState:
    """A support case as seen through its contacts."""

    case_id: str
    opened_at: int
    last_contact_at: int
    contacts: int = 0
    channels: list[Channel] = field(default_factory=list)
    escalations: int = 0
    resolved_at: int | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "opened_at": self.opened_at,
            "last_contact_at": self.last_contact_at,
            "contacts": self.contacts,
            "channels": list(self.channels),
            "escalations": self.escalations,
            "resolved_at": self.resolved_at,
        }


@dataclass
class SurveyAnswer:
    value: int
    at: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "at": self.at}


@dataclass
class PublicPost:
    at: int
    sentiment: float | None
    follower_count: int
    interaction_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "sentiment": self.sentiment,
            "follower_count": self.follower_count,
            "interaction_id": self.interaction_id,
        }


@dataclass
class ChurnTalk:
    at: int
    category: str

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "category": self.category}


@dataclass
class OpenAlert:
    """An alert that is open (or was last escalated) for this customer and type."""

    alert_id: str
    alert_type: AlertType
    severity: Severity
    version: int
    score: float
    opened_at: int
    updated_at: int
    interaction_id: str
    case_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "alert_type": self.alert_type,
            "severity": self.severity,
            "version": self.version,
            "score": self.score,
            "opened_at": self.opened_at,
            "updated_at": self.updated_at,
            "interaction_id": self.interaction_id,
            "case_id": self.case_id,
        }


@dataclass
class Delivery:
    """What one seen interaction sent, kept so that a replay of the same record sends it
    again: where the record was read (``partition:offset``) and its alert records
    (:meth:`CareAlert.to_dict`)."""

    source: str
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "alerts": list(self.alerts)}


@dataclass
class CustomerHistory:
    """Everything remembered about one customer; see the module docstring for the rules."""

    customer_id: str
    watermark: int = 0
    contacts_by_day: dict[str, dict[str, int]] = field(default_factory=dict)
    abandoned_by_day: dict[str, int] = field(default_factory=dict)
    long_waits_by_day: dict[str, int] = field(default_factory=dict)
    timeline: list[Contact] = field(default_factory=list)
    cases: dict[str, CaseState] = field(default_factory=dict)
    sentiment_recent: float | None = None
    sentiment_baseline: float | None = None
    sentiment_count: int = 0
    csat: SurveyAnswer | None = None
    nps: SurveyAnswer | None = None
    ces: SurveyAnswer | None = None
    public_posts: list[PublicPost] = field(default_factory=list)
    churn_talk: ChurnTalk | None = None
    last_resolved_at: int | None = None
    seen: list[str] = field(default_factory=list)
    open_alerts: dict[str, OpenAlert] = field(default_factory=dict)
    closed_alerts_at: dict[str, int] = field(default_factory=dict)
    follow_ups_due: dict[str, int] = field(default_factory=dict)
    last_score: float = 0.0
    # interaction id -> what it sent, for the ids in ``seen``.
    deliveries: dict[str, Delivery] = field(default_factory=dict)

    # Windows ---------------------------------------------------------------------------

    def contacts(self, days: int, channel: Channel | None = None) -> int:
        """Inbound contacts in the ``days`` days up to the watermark (one channel or all)."""
        first = _day(self.watermark) - days + 1
        return sum(
            count
            for day, by_channel in self.contacts_by_day.items()
            if int(day) >= first
            for ch, count in by_channel.items()
            if channel is None or ch == channel
        )

    def abandoned(self, days: int) -> int:
        return _window_sum(self.abandoned_by_day, self.watermark, days)

    def long_waits(self, days: int) -> int:
        return _window_sum(self.long_waits_by_day, self.watermark, days)

    def open_cases(self) -> list[CaseState]:
        return [case for case in self.cases.values() if case.open]

    def contacts_since_resolution(self, window_days: int) -> list[Contact]:
        """Inbound contacts within the window and after the last resolution."""
        since = max(self.watermark - window_days * DAY_MS, self.last_resolved_at or 0)
        return [
            c for c in self.timeline if c.at > since or (c.at == since and c.outcome != "RESOLVED")
        ]

    # Serialization ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form: what ``dataclasses.asdict`` gives, with no state shared."""
        return {
            "customer_id": self.customer_id,
            "watermark": self.watermark,
            "contacts_by_day": {
                day: dict(by_channel) for day, by_channel in self.contacts_by_day.items()
            },
            "abandoned_by_day": dict(self.abandoned_by_day),
            "long_waits_by_day": dict(self.long_waits_by_day),
            "timeline": [contact.to_dict() for contact in self.timeline],
            "cases": {case_id: case.to_dict() for case_id, case in self.cases.items()},
            "sentiment_recent": self.sentiment_recent,
            "sentiment_baseline": self.sentiment_baseline,
            "sentiment_count": self.sentiment_count,
            "csat": None if self.csat is None else self.csat.to_dict(),
            "nps": None if self.nps is None else self.nps.to_dict(),
            "ces": None if self.ces is None else self.ces.to_dict(),
            "public_posts": [post.to_dict() for post in self.public_posts],
            "churn_talk": None if self.churn_talk is None else self.churn_talk.to_dict(),
            "last_resolved_at": self.last_resolved_at,
            "seen": list(self.seen),
            "open_alerts": {kind: alert.to_dict() for kind, alert in self.open_alerts.items()},
            "closed_alerts_at": dict(self.closed_alerts_at),
            "follow_ups_due": dict(self.follow_ups_due),
            "last_score": self.last_score,
            "deliveries": {key: d.to_dict() for key, d in self.deliveries.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerHistory:
        values = dict(data)
        values["timeline"] = [Contact(**c) for c in values.get("timeline", [])]
        values["cases"] = {k: CaseState(**v) for k, v in values.get("cases", {}).items()}
        for name in ("csat", "nps", "ces"):
            if values.get(name) is not None:
                values[name] = SurveyAnswer(**values[name])
        values["public_posts"] = [PublicPost(**p) for p in values.get("public_posts", [])]
        if values.get("churn_talk") is not None:
            values["churn_talk"] = ChurnTalk(**values["churn_talk"])
        values["open_alerts"] = {
            k: OpenAlert(**v) for k, v in values.get("open_alerts", {}).items()
        }
        values["deliveries"] = {k: Delivery(**v) for k, v in values.get("deliveries", {}).items()}
        return cls(**values)


def detect_churn_talk(text: str, phrases: Mapping[str, Iterable[str]]) -> str | None:
    """The first churn-intent category whose phrase occurs in ``text`` (case-insensitive)."""
    folded = " ".join(text.casefold().replace("’", "'").split())
    key = tuple((category, tuple(options)) for category, options in phrases.items())
    for category, options in _casefolded(key):
        for phrase in options:
            if phrase in folded:
                return category
    return None


@functools.lru_cache(maxsize=16)
def _casefolded(
    phrases: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The phrase lists, case-folded once per distinct set of rules."""
    return tuple(
        (category, tuple(phrase.casefold() for phrase in options)) for category, options in phrases
    )


def update_history(
    history: CustomerHistory | None, interaction: Interaction, now: datetime, rules: Rules
) -> CustomerHistory:
    """The history after ``interaction``. Replayed interactions (already seen) change nothing.

    ``now`` is the processing time: follow-ups are due relative to it when an event's own
    time lies further back than the follow-up delay.
    """
    h = history or CustomerHistory(interaction.customer_id)
    if interaction.interaction_id in h.seen:
        return h
    at = ms(interaction.occurred_at)
    h.seen = (h.seen + [interaction.interaction_id])[-MAX_SEEN:]
    h.watermark = max(h.watermark, at)
    if at < h.watermark - HISTORY_DAYS * DAY_MS or interaction.direction != "INBOUND":
        return h  # too late to matter, or an agent's own message
    day = str(_day(at))
    t = rules.thresholds

    by_channel = h.contacts_by_day.setdefault(day, {})
    by_channel[interaction.channel] = by_channel.get(interaction.channel, 0) + 1
    if interaction.outcome == "ABANDONED":
        h.abandoned_by_day[day] = h.abandoned_by_day.get(day, 0) + 1
    if interaction.queue_wait_seconds >= t.long_wait_seconds:
        h.long_waits_by_day[day] = h.long_waits_by_day.get(day, 0) + 1
    bisect.insort(
        h.timeline,
        Contact(at, interaction.channel, interaction.case_id, interaction.outcome),
        key=lambda contact: contact.at,
    )
    if interaction.case_id:
        _update_case(h, interaction, at, now, rules)
    if interaction.outcome == "RESOLVED":
        h.last_resolved_at = max(h.last_resolved_at or 0, at)
    if interaction.sentiment is not None:
        s = interaction.sentiment
        h.sentiment_recent = (
            s if h.sentiment_recent is None else _ewm(h.sentiment_recent, s, RECENT_ALPHA)
        )
        h.sentiment_baseline = (
            s if h.sentiment_baseline is None else _ewm(h.sentiment_baseline, s, BASELINE_ALPHA)
        )
        h.sentiment_count += 1
    if interaction.survey is not None:
        answered = ms(interaction.survey.answered_at) if interaction.survey.answered_at else at
        for name in ("csat", "nps", "ces"):
            value = getattr(interaction.survey, name)
            previous: SurveyAnswer | None = getattr(h, name)
            if value is not None and (previous is None or answered >= previous.at):
                setattr(h, name, SurveyAnswer(value, answered))
    if interaction.social is not None and interaction.social.is_public:
        h.public_posts.append(
            PublicPost(
                at,
                interaction.sentiment,
                interaction.social.follower_count,
                interaction.interaction_id,
            )
        )
        h.public_posts = sorted(h.public_posts, key=lambda p: p.at)[-MAX_PUBLIC_POSTS:]
    category = detect_churn_talk(interaction.text, rules.churn_phrases)
    if category and (h.churn_talk is None or at >= h.churn_talk.at):
        h.churn_talk = ChurnTalk(at, category)
    _expire(h)
    return h


def _update_case(
    h: CustomerHistory, interaction: Interaction, at: int, now: datetime, rules: Rules
) -> None:
    case_id = interaction.case_id or ""
    case = h.cases.get(case_id) or CaseState(case_id, opened_at=at, last_contact_at=at)
    case.opened_at = min(case.opened_at, at)
    case.last_contact_at = max(case.last_contact_at, at)
    case.contacts += 1
    if interaction.channel not in case.channels:
        case.channels.append(interaction.channel)
    if interaction.outcome == "ESCALATED":
        case.escalations += 1
    if interaction.outcome == "RESOLVED":
        case.resolved_at = max(case.resolved_at or 0, at)
        if case.escalations:
            delay = int(rules.alerting.follow_up_after_hours * 3_600_000)
            h.follow_ups_due[case_id] = max(at, ms(now) - delay) + delay
    elif case.resolved_at is not None and at > case.resolved_at and interaction.outcome in REOPEN:
        case.resolved_at = None  # the customer came back unhappy: the case is open again
        h.follow_ups_due.pop(case_id, None)
    h.cases[case_id] = case


def _expire(h: CustomerHistory) -> None:
    oldest_day = _day(h.watermark) - HISTORY_DAYS
    for buckets in (h.contacts_by_day, h.abandoned_by_day, h.long_waits_by_day):
        for day in [d for d in buckets if int(d) <= oldest_day]:
            del buckets[day]
    horizon = h.watermark - HISTORY_DAYS * DAY_MS
    h.timeline = [c for c in h.timeline if c.at > horizon][-MAX_TIMELINE:]
    h.public_posts = [p for p in h.public_posts if p.at > horizon]
    stale = [k for k, c in h.cases.items() if c.last_contact_at <= horizon]
    for case_id in stale:
        del h.cases[case_id]
    if len(h.cases) > MAX_CASES:
        # Resolved cases go first, oldest first; open ones only when nothing else is left.
        ranked = sorted(h.cases.values(), key=lambda c: (c.open, c.last_contact_at))
        for case in ranked[: len(h.cases) - MAX_CASES]:
            del h.cases[case.case_id]


def _day(at_ms: int) -> int:
    return at_ms // DAY_MS


def _window_sum(buckets: dict[str, int], watermark: int, days: int) -> int:
    first = _day(watermark) - days + 1
    return sum(count for day, count in buckets.items() if int(day) >= first)


def _ewm(previous: float, value: float, alpha: float) -> float:
    return round(previous + alpha * (value - previous), 4)
