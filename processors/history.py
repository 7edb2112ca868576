"""Customer history as stream state: what the scorer needs to know about one customer.

Kept by event time: late and out-of-order events land in their own day, and everything
older than ``HISTORY_DAYS`` before the newest event seen (the watermark) expires, so the
state per customer stays bounded. Whatever the arrival order of a customer's events, the
history after all of them is the same (see :class:`CustomerHistory` for what is derived
and what is exempt). Times are epoch milliseconds, so the state is plain JSON.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from processors.domain import AlertType, Channel, Outcome, Severity
from processors.intent import churn_intent
from processors.interaction import Interaction
from processors.outcomes import AtRiskLedger
from processors.rules import Rules

DAY_MS = 86_400_000
HISTORY_DAYS = 30
MAX_TIMELINE = 100
MAX_CASES = 20
MAX_PUBLIC_POSTS = 20
MAX_SEEN = 64
# Follow-up ticks a history remembers the outputs of: a tick is read again only within
# the records not yet committed when a worker stopped, a few at most per customer.
MAX_TICKS = 8
# A contact on a resolved case with one of these outcomes reopens it; a thank-you does not.
REOPEN = frozenset({"UNRESOLVED", "ABANDONED", "ESCALATED", "CALLBACK_REQUESTED"})
# Decaying averages of sentiment: the recent tone moves fast, the baseline slowly.
RECENT_ALPHA = 0.4
BASELINE_ALPHA = 0.1


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class Contact:
    """One inbound contact on the timeline, in event-time order (ties by interaction id).

    ``interaction_id`` is "" on contacts stored before it was kept.
    """

    at: int
    channel: Channel
    case_id: str | None
    outcome: Outcome
    sentiment: float | None = None
    interaction_id: str = ""

    @property
    def order(self) -> tuple[int, str]:
        return (self.at, self.interaction_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "channel": self.channel,
            "case_id": self.case_id,
            "outcome": self.outcome,
            "sentiment": self.sentiment,
            "interaction_id": self.interaction_id,
        }


@dataclass
class CaseState:
    """A support case as seen through its contacts on the timeline (see :func:`cases_of`)."""

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
    """The latest answer to one question, by answer time (ties by interaction id)."""

    value: int
    at: int
    interaction_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "at": self.at, "interaction_id": self.interaction_id}


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
    """The latest churn talk, by event time (ties by interaction id)."""

    at: int
    category: str
    interaction_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "category": self.category, "interaction_id": self.interaction_id}


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
    again: where the record was read (``partition:offset``), its alert records
    (:meth:`CareAlert.to_dict`) and its ``seq``, the customer's count of interactions
    applied when it was (see ``CustomerHistory.applied``)."""

    source: str
    alerts: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "alerts": list(self.alerts), "seq": self.seq}


@dataclass
class CustomerHistory:
    """Everything remembered about one customer.

    The state after a set of interactions is the same for every arrival order. It is a
    function of the events in the ``HISTORY_DAYS`` before the watermark (an older event
    is ignored when it arrives after a newer one has moved the watermark on, so it cannot
    count when it arrives first either), ordered by ``(occurred_at, interaction_id)``:

    - ``timeline`` holds the raw inputs: the newest ``MAX_TIMELINE`` inbound contacts of
      the window, each with its sentiment. ``cases`` and the sentiment fields are derived
      from it on each change (the averages fold its sentiments in event-time order), so
      a contact that arrives late lands where it belongs.
    - The day counters, ``public_posts`` (the newest ``MAX_PUBLIC_POSTS``), ``churn_talk``
      and ``last_resolved_at`` (the latest by event time) expire with the window.
    - ``csat``/``nps``/``ces`` are the latest answers by answer time, taken from late
      contacts too (an answer may be recent when its contact is not), expiring when the
      answer leaves the window.
    - ``watermark`` is the newest event time; ``seen`` the ids of the newest ``MAX_SEEN``
      interactions by event time, ``seen_at[i]`` being when ``seen[i]`` occurred.

    Exempt are the fields that record decisions, taken when an event arrives and so at
    a different moment in a different order: ``open_alerts``, ``closed_alerts_at`` and
    ``last_score`` (what alerts.decide opened, closed and scored), ``follow_ups_due``
    (scheduled from the processing time, taken off when sent), ``aging_at``/``aging_due``
    (moved on when checked), ``at_risk_ledger`` (the AT_RISK openings still to be judged
    against outcomes), and the arrival order
    itself: ``applied`` counts the interactions applied, so the n-th one applied carries
    ``seq`` n in its delivery, and a replay says where in that order its decisions fell.

    Per customer it holds at most ``MAX_TIMELINE`` contacts, ``MAX_CASES`` cases,
    ``MAX_PUBLIC_POSTS`` posts, ``MAX_SEEN`` ids and ``HISTORY_DAYS`` days of counters.
    """

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
    seen_at: list[int] = field(default_factory=list)
    open_alerts: dict[str, OpenAlert] = field(default_factory=dict)
    closed_alerts_at: dict[str, int] = field(default_factory=dict)
    follow_ups_due: dict[str, int] = field(default_factory=dict)
    # The next aging check of the oldest open case (processors/silence.py): the event time
    # it looks at, and the processing time it is due at.
    aging_at: int | None = None
    aging_due: int | None = None
    last_score: float = 0.0
    applied: int = 0
    # interaction id -> what it sent, for the ids in ``seen``.
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    # What the last follow-up ticks sent, newest last (at most MAX_TICKS).
    tick_deliveries: list[Delivery] = field(default_factory=list)
    # AT_RISK openings to judge and outcomes counted (processors/outcomes.py); None until
    # the first of either.
    at_risk_ledger: AtRiskLedger | None = None

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
        """Plain JSON form: what ``dataclasses.asdict`` gives, with no state shared.

        ``orjson.dumps(history)`` writes the same JSON without building it (orjson reads
        the dataclasses' attributes in order), so these classes hold their fields only."""
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
            "seen_at": list(self.seen_at),
            "open_alerts": {kind: alert.to_dict() for kind, alert in self.open_alerts.items()},
            "closed_alerts_at": dict(self.closed_alerts_at),
            "follow_ups_due": dict(self.follow_ups_due),
            "aging_at": self.aging_at,
            "aging_due": self.aging_due,
            "last_score": self.last_score,
            "applied": self.applied,
            "deliveries": {key: d.to_dict() for key, d in self.deliveries.items()},
            "tick_deliveries": [d.to_dict() for d in self.tick_deliveries],
            "at_risk_ledger": self.at_risk_ledger and self.at_risk_ledger.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerHistory:
        """The history of :meth:`to_dict`, also as stored before ``seen_at`` and the ids on
        contacts, answers and churn talk existed (those get "" and the ids of ``seen`` the
        watermark: they are kept as long as any, and evicted in id order)."""
        values = dict(data)
        # Copies: update_history changes them in place.
        values["seen"] = list(values.get("seen", []))
        values["seen_at"] = list(values.get("seen_at", []))
        if len(values["seen_at"]) != len(values["seen"]):
            pairs = sorted((values.get("watermark", 0), iid) for iid in values["seen"])
            values["seen_at"] = [when for when, _ in pairs]
            values["seen"] = [iid for _, iid in pairs]
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
        values["tick_deliveries"] = [Delivery(**d) for d in values.get("tick_deliveries", [])]
        values["at_risk_ledger"] = AtRiskLedger.from_dict(values.get("at_risk_ledger"))
        return cls(**values)


def detect_churn_talk(text: str, phrases: Mapping[str, Iterable[str]]) -> str | None:
    """The category of churn intent ``text`` expresses, read from its meaning in its language,
    or from the rules' extra ``phrases`` (see :mod:`processors.intent`)."""
    found = churn_intent(text, phrases)
    return None if found is None else found.category


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
    _remember(h, interaction.interaction_id, at)
    h.watermark = max(h.watermark, at)
    inbound = interaction.direction == "INBOUND"
    if inbound and interaction.survey is not None:
        _record_survey(h, interaction, at)
    # Older than the window: ignored, as it would be had it arrived after the newest event.
    recorded = inbound and at >= h.watermark - HISTORY_DAYS * DAY_MS
    case_before = h.cases.get(interaction.case_id) if interaction.case_id else None
    if recorded:
        _record_contact(h, interaction, at, rules)
    shrank = _expire(h)
    if shrank or (recorded and interaction.case_id):
        h.cases = cases_of(h.timeline)
    if shrank or (recorded and interaction.sentiment is not None):
        _fold_sentiment(h)
    if recorded and interaction.case_id:
        _schedule_follow_up(h, interaction.case_id, case_before, now, rules)
    return h


def cases_of(timeline: Iterable[Contact]) -> dict[str, CaseState]:
    """The cases of the timeline's contacts, folded in event-time order.

    A resolution closes a case; a later contact with a REOPEN outcome opens it again. Over
    ``MAX_CASES``, resolved cases go first, oldest first; open ones when nothing else is left.
    """
    cases: dict[str, CaseState] = {}
    for contact in timeline:
        if not contact.case_id:
            continue
        case = cases.get(contact.case_id)
        if case is None:
            case = CaseState(contact.case_id, opened_at=contact.at, last_contact_at=contact.at)
            cases[contact.case_id] = case
        case.last_contact_at = contact.at
        case.contacts += 1
        if contact.channel not in case.channels:
            case.channels.append(contact.channel)
        if contact.outcome == "ESCALATED":
            case.escalations += 1
        if contact.outcome == "RESOLVED":
            case.resolved_at = contact.at
        elif (
            case.resolved_at is not None
            and contact.at > case.resolved_at
            and contact.outcome in REOPEN
        ):
            case.resolved_at = None  # the customer came back unhappy: the case is open again
    if len(cases) > MAX_CASES:
        ranked = sorted(cases.values(), key=lambda c: (c.open, c.last_contact_at, c.case_id))
        for case in ranked[: len(cases) - MAX_CASES]:
            del cases[case.case_id]
    return cases


def _remember(h: CustomerHistory, interaction_id: str, at: int) -> None:
    """Adds the id to ``seen``, which keeps the newest ``MAX_SEEN`` by event time."""
    key = (at, interaction_id)
    if not h.seen or key > (h.seen_at[-1], h.seen[-1]):
        index = len(h.seen)
    else:
        index = bisect.bisect(list(zip(h.seen_at, h.seen, strict=True)), key)
    h.seen.insert(index, interaction_id)
    h.seen_at.insert(index, at)
    del h.seen[:-MAX_SEEN], h.seen_at[:-MAX_SEEN]


def _record_survey(h: CustomerHistory, interaction: Interaction, at: int) -> None:
    survey = interaction.survey
    assert survey is not None
    answered = ms(survey.answered_at) if survey.answered_at else at
    key = (answered, interaction.interaction_id)
    for name in ("csat", "nps", "ces"):
        value = getattr(survey, name)
        previous: SurveyAnswer | None = getattr(h, name)
        if value is not None and (previous is None or key > (previous.at, previous.interaction_id)):
            setattr(h, name, SurveyAnswer(value, answered, interaction.interaction_id))


def _record_contact(h: CustomerHistory, interaction: Interaction, at: int, rules: Rules) -> None:
    day = str(_day(at))
    t = rules.thresholds
    by_channel = h.contacts_by_day.setdefault(day, {})
    by_channel[interaction.channel] = by_channel.get(interaction.channel, 0) + 1
    if interaction.outcome == "ABANDONED":
        h.abandoned_by_day[day] = h.abandoned_by_day.get(day, 0) + 1
    elif interaction.queue_wait_seconds >= t.long_wait_seconds:
        # An abandoned call's wait is the abandonment's signal, not a second one.
        h.long_waits_by_day[day] = h.long_waits_by_day.get(day, 0) + 1
    iid = interaction.interaction_id
    contact = Contact(
        at,
        interaction.channel,
        interaction.case_id,
        interaction.outcome,
        interaction.sentiment,
        iid,
    )
    bisect.insort(h.timeline, contact, key=_event_order)
    if interaction.outcome == "RESOLVED":
        h.last_resolved_at = max(h.last_resolved_at or 0, at)
    social = interaction.social
    if social is not None and social.is_public:
        post = PublicPost(at, interaction.sentiment, social.follower_count, iid)
        bisect.insort(h.public_posts, post, key=_event_order)
    category = detect_churn_talk(interaction.text, rules.churn_phrases)
    talk = h.churn_talk
    if category and (talk is None or (at, iid) > (talk.at, talk.interaction_id)):
        h.churn_talk = ChurnTalk(at, category, iid)


def _fold_sentiment(h: CustomerHistory) -> None:
    """The decaying averages of the timeline's sentiments, folded in event-time order."""
    points = [c.sentiment for c in h.timeline if c.sentiment is not None]
    h.sentiment_count = len(points)
    if not points:
        h.sentiment_recent = h.sentiment_baseline = None
        return
    recent = baseline = points[0]
    for value in points[1:]:  # _ewm, inlined: this runs over the whole timeline
        recent = round(recent + RECENT_ALPHA * (value - recent), 4)
        baseline = round(baseline + BASELINE_ALPHA * (value - baseline), 4)
    h.sentiment_recent, h.sentiment_baseline = recent, baseline


def _schedule_follow_up(
    h: CustomerHistory, case_id: str, before: CaseState | None, now: datetime, rules: Rules
) -> None:
    """A follow-up when the contact resolved an escalated case; none once it reopened."""
    case = h.cases.get(case_id)
    if case is None:
        return
    if case.resolved_at is None:
        if before is not None and not before.open:
            h.follow_ups_due.pop(case_id, None)
    elif case.escalations and (before is None or before.resolved_at != case.resolved_at):
        delay = int(rules.alerting.follow_up_after_hours * 3_600_000)
        h.follow_ups_due[case_id] = max(case.resolved_at, ms(now) - delay) + delay


def _expire(h: CustomerHistory) -> bool:
    """Drops what has left the window or is over its bound; True if the timeline shrank."""
    oldest_day = _day(h.watermark) - HISTORY_DAYS
    for buckets in (h.contacts_by_day, h.abandoned_by_day, h.long_waits_by_day):
        for day in [d for d in buckets if int(d) <= oldest_day]:
            del buckets[day]
    horizon = h.watermark - HISTORY_DAYS * DAY_MS
    kept = len(h.timeline)
    h.timeline = [c for c in h.timeline if c.at > horizon][-MAX_TIMELINE:]
    h.public_posts = [p for p in h.public_posts if p.at > horizon][-MAX_PUBLIC_POSTS:]
    for name in ("csat", "nps", "ces", "churn_talk"):
        remembered: SurveyAnswer | ChurnTalk | None = getattr(h, name)
        if remembered is not None and remembered.at <= horizon:
            setattr(h, name, None)
    if h.last_resolved_at is not None and h.last_resolved_at <= horizon:
        h.last_resolved_at = None
    return len(h.timeline) != kept


def _event_order(item: Contact | PublicPost) -> tuple[int, str]:
    return (item.at, item.interaction_id)


def _day(at_ms: int) -> int:
    return at_ms // DAY_MS


def _window_sum(buckets: dict[str, int], watermark: int, days: int) -> int:
    first = _day(watermark) - days + 1
    return sum(count for day, count in buckets.items() if int(day) >= first)


def _ewm(previous: float, value: float, alpha: float) -> float:
    return round(previous + alpha * (value - previous), 4)
