"""Tumbling event-time windows of per-channel care figures (schemas/ChannelMetrics.avsc).

Each scored interaction becomes a :class:`MetricFact`; a :class:`ChannelWindows` book per
channel adds facts to their window and tells which windows are complete: those the
channel's event-time watermark has passed by the grace period, or, for a quiet channel,
those whose end plus grace has passed on the clock. A late fact reopens its window (the
record is sent again with the new totals) as long as the window is retained.

Facts need not reach the book one by one: a worker can gather them in
:class:`PartialWindows` and flush them now and then as :class:`WindowDelta` records, which
the book merges with :meth:`ChannelWindows.merge`. Every figure is a sum or a count, so
the merged windows hold exactly the totals that adding every fact would give, however the
facts were split between workers and flushes and in whatever order the deltas arrive.
Sentiment sums are kept rounded to 6 decimals, which keeps them exact under regrouping
as well: a sum of 6-decimal values rounded to 6 decimals does not depend on the grouping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from processors.domain import Channel, Outcome

DEFAULT_WINDOW_MS = 60_000
DEFAULT_GRACE_MS = 10_000
DEFAULT_RETAIN_MS = 3_600_000


@dataclass(frozen=True)
class MetricFact:
    """What one interaction adds to its channel's window."""

    channel: Channel
    occurred_at: int
    sentiment: float | None = None
    outcome: Outcome = "NONE"
    first_contact: bool = False
    handle_seconds: int = 0
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    at_risk_opened: bool = False


def _start_of(occurred_at: int, window_ms: int = DEFAULT_WINDOW_MS) -> int:
    """Start of the tumbling window of ``window_ms`` that holds ``occurred_at``."""
    return occurred_at - occurred_at % window_ms


@dataclass
class ChannelWindow:
    """Sums and counts of one channel over [window_start, window_end)."""

    channel: Channel
    window_start: int
    window_end: int
    interactions: int = 0
    sentiment_sum: float = 0.0
    sentiment_count: int = 0
    at_risk_alerts: int = 0
    csat_sum: int = 0
    csat_count: int = 0
    nps_promoters: int = 0
    nps_passives: int = 0
    nps_detractors: int = 0
    ces_sum: int = 0
    ces_count: int = 0
    resolved_first_contact: int = 0
    resolution_eligible: int = 0
    handle_seconds_sum: int = 0
    handled_count: int = 0
    abandoned: int = 0
    # Bookkeeping, not part of the record.
    emitted: bool = False
    updated_at: int = 0

    def add(self, fact: MetricFact, now_ms: int) -> None:
        """Counts ``fact`` in this window and marks the window as not sent since."""
        self.interactions += 1
        if fact.sentiment is not None:
            self.sentiment_sum = round(self.sentiment_sum + fact.sentiment, 6)
            self.sentiment_count += 1
        self.at_risk_alerts += int(fact.at_risk_opened)
        if fact.csat is not None:
            self.csat_sum += fact.csat
            self.csat_count += 1
        if fact.nps is not None:
            if fact.nps >= 9:
                self.nps_promoters += 1
            elif fact.nps >= 7:
                self.nps_passives += 1
            else:
                self.nps_detractors += 1
        if fact.ces is not None:
            self.ces_sum += fact.ces
            self.ces_count += 1
        if fact.outcome != "NONE":
            self.resolution_eligible += 1
        if fact.outcome == "RESOLVED" and fact.first_contact:
            self.resolved_first_contact += 1
        if fact.outcome == "ABANDONED":
            self.abandoned += 1
        elif fact.handle_seconds > 0:
            self.handle_seconds_sum += fact.handle_seconds
            self.handled_count += 1
        self.emitted = False
        self.updated_at = now_ms

    def merge(self, other: ChannelWindow, now_ms: int) -> None:
        """Adds every sum and count of ``other`` (same channel and bounds) to this window.

        Like :meth:`add`, marks the window as not sent since. Raises ValueError when
        ``other`` covers another channel or other bounds.
        """
        if (other.channel, other.window_start, other.window_end) != (
            self.channel,
            self.window_start,
            self.window_end,
        ):
            raise ValueError(
                f"cannot merge window {other.channel}@[{other.window_start}, "
                f"{other.window_end}) into {self.channel}@[{self.window_start}, "
                f"{self.window_end})"
            )
        self.interactions += other.interactions
        self.sentiment_sum = round(self.sentiment_sum + other.sentiment_sum, 6)
        self.sentiment_count += other.sentiment_count
        self.at_risk_alerts += other.at_risk_alerts
        self.csat_sum += other.csat_sum
        self.csat_count += other.csat_count
        self.nps_promoters += other.nps_promoters
        self.nps_passives += other.nps_passives
        self.nps_detractors += other.nps_detractors
        self.ces_sum += other.ces_sum
        self.ces_count += other.ces_count
        self.resolved_first_contact += other.resolved_first_contact
        self.resolution_eligible += other.resolution_eligible
        self.handle_seconds_sum += other.handle_seconds_sum
        self.handled_count += other.handled_count
        self.abandoned += other.abandoned
        self.emitted = False
        self.updated_at = now_ms

    def figures(self) -> dict[str, Any]:
        """Channel, bounds and every sum and count, in field order (no bookkeeping)."""
        return {
            "channel": self.channel,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "interactions": self.interactions,
            "sentiment_sum": self.sentiment_sum,
            "sentiment_count": self.sentiment_count,
            "at_risk_alerts": self.at_risk_alerts,
            "csat_sum": self.csat_sum,
            "csat_count": self.csat_count,
            "nps_promoters": self.nps_promoters,
            "nps_passives": self.nps_passives,
            "nps_detractors": self.nps_detractors,
            "ces_sum": self.ces_sum,
            "ces_count": self.ces_count,
            "resolved_first_contact": self.resolved_first_contact,
            "resolution_eligible": self.resolution_eligible,
            "handle_seconds_sum": self.handle_seconds_sum,
            "handled_count": self.handled_count,
            "abandoned": self.abandoned,
        }

    @classmethod
    def from_figures(cls, data: dict[str, Any]) -> ChannelWindow:
        """The window :meth:`figures` described (other keys ignored; bookkeeping reset)."""
        return cls(
            channel=data["channel"],
            window_start=data["window_start"],
            window_end=data["window_end"],
            interactions=data["interactions"],
            sentiment_sum=float(data["sentiment_sum"]),
            sentiment_count=data["sentiment_count"],
            at_risk_alerts=data["at_risk_alerts"],
            csat_sum=data["csat_sum"],
            csat_count=data["csat_count"],
            nps_promoters=data["nps_promoters"],
            nps_passives=data["nps_passives"],
            nps_detractors=data["nps_detractors"],
            ces_sum=data["ces_sum"],
            ces_count=data["ces_count"],
            resolved_first_contact=data["resolved_first_contact"],
            resolution_eligible=data["resolution_eligible"],
            handle_seconds_sum=data["handle_seconds_sum"],
            handled_count=data["handled_count"],
            abandoned=data["abandoned"],
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, bookkeeping included (``ChannelWindow(**d)`` restores it)."""
        state = self.figures()
        state["emitted"] = self.emitted
        state["updated_at"] = self.updated_at
        return state

    def to_record(self) -> dict[str, Any]:
        """The ChannelMetrics record (times as epoch milliseconds)."""
        record = self.figures()
        record["avg_sentiment"] = (
            round(self.sentiment_sum / self.sentiment_count, 6) if self.sentiment_count else None
        )
        return record


@dataclass
class WindowDelta:
    """What some facts add to one channel window: a partial window to merge into the book.

    ``max_occurred_at`` is the newest event time among those facts; merging the delta
    advances the book's watermark to it, as adding the facts one by one would.

    On the wire (:meth:`to_dict`) it is the partial window's :meth:`ChannelWindow.figures`
    plus ``max_occurred_at``, all plain JSON numbers and strings.
    """

    window: ChannelWindow
    max_occurred_at: int

    def __post_init__(self) -> None:
        if not self.window.window_start <= self.max_occurred_at < self.window.window_end:
            raise ValueError(
                f"max_occurred_at {self.max_occurred_at} outside the delta's window "
                f"[{self.window.window_start}, {self.window.window_end})"
            )

    def to_dict(self) -> dict[str, Any]:
        data = self.window.figures()
        data["max_occurred_at"] = self.max_occurred_at
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowDelta:
        """The delta :meth:`to_dict` described; KeyError or ValueError when malformed."""
        return cls(ChannelWindow.from_figures(data), data["max_occurred_at"])


class PartialWindows:
    """One worker's facts since its last flush, summed per channel and window.

    :meth:`add` needs no clock; :meth:`drain` hands everything over as deltas, one per
    channel and window, and starts afresh.
    """

    def __init__(self, window_ms: int = DEFAULT_WINDOW_MS) -> None:
        if window_ms <= 0:
            raise ValueError(f"window_ms must be positive, not {window_ms}")
        self.window_ms = window_ms
        self._deltas: dict[tuple[str, int], WindowDelta] = {}
        self._pending = 0

    @property
    def pending(self) -> int:
        """How many facts were added since the last drain."""
        return self._pending

    def add(self, fact: MetricFact) -> None:
        """Counts ``fact`` in the delta of its channel and window."""
        start = _start_of(fact.occurred_at, self.window_ms)
        delta = self._deltas.get((fact.channel, start))
        if delta is None:
            window = ChannelWindow(fact.channel, start, start + self.window_ms)
            delta = self._deltas[(fact.channel, start)] = WindowDelta(window, fact.occurred_at)
        elif fact.occurred_at > delta.max_occurred_at:
            delta.max_occurred_at = fact.occurred_at
        delta.window.add(fact, 0)
        self._pending += 1

    def drain(self) -> list[WindowDelta]:
        """Every delta gathered since the last drain (in order of first fact); empties."""
        deltas = list(self._deltas.values())
        self._deltas = {}
        self._pending = 0
        return deltas


@dataclass
class ChannelWindows:
    """The open and recently closed windows of one channel."""

    channel: Channel
    window_ms: int = DEFAULT_WINDOW_MS
    watermark: int = 0
    windows: dict[str, ChannelWindow] = field(default_factory=dict)
    dropped_late: int = 0

    def add(self, fact: MetricFact, now_ms: int, retain_ms: int = DEFAULT_RETAIN_MS) -> bool:
        """Adds ``fact`` to its window; False when it is too late to count (dropped)."""
        start = _start_of(fact.occurred_at, self.window_ms)
        if start + self.window_ms < self.watermark - retain_ms:
            self.dropped_late += 1
            return False
        self.watermark = max(self.watermark, fact.occurred_at)
        key = str(start)
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = ChannelWindow(self.channel, start, start + self.window_ms)
        window.add(fact, now_ms)
        return True

    def merge(self, delta: WindowDelta, now_ms: int, retain_ms: int = DEFAULT_RETAIN_MS) -> bool:
        """Merges ``delta`` into its window; False when it is too late to count (dropped).

        The counterpart of :meth:`add` for a delta: a delta whose window ended before the
        retention horizon is dropped, all its interactions counted in ``dropped_late``;
        otherwise the watermark advances to the delta's newest event and the delta is
        merged into its window, which is created or reopened. Raises ValueError for a delta
        of another channel or of windows of another size or alignment.
        """
        part = delta.window
        if part.channel != self.channel:
            raise ValueError(f"delta of channel {part.channel!r} for book of {self.channel!r}")
        if (
            part.window_end - part.window_start != self.window_ms
            or _start_of(part.window_start, self.window_ms) != part.window_start
        ):
            raise ValueError(
                f"delta window [{part.window_start}, {part.window_end}) is not one of "
                f"this book's {self.window_ms} ms windows"
            )
        if part.window_end < self.watermark - retain_ms:
            self.dropped_late += part.interactions
            return False
        self.watermark = max(self.watermark, delta.max_occurred_at)
        key = str(part.window_start)
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = ChannelWindow(
                self.channel, part.window_start, part.window_end
            )
        window.merge(part, now_ms)
        return True

    def complete(
        self,
        now_ms: int,
        grace_ms: int = DEFAULT_GRACE_MS,
        retain_ms: int = DEFAULT_RETAIN_MS,
    ) -> list[ChannelWindow]:
        """Windows to send now (marked sent), oldest first; forgets those past retention."""
        ready = []
        for window in sorted(self.windows.values(), key=lambda w: w.window_start):
            if window.emitted:
                continue
            passed_by_events = self.watermark >= window.window_end + grace_ms
            quiet = (
                now_ms >= window.window_end + grace_ms and now_ms >= window.updated_at + grace_ms
            )
            if passed_by_events or quiet:
                window.emitted = True
                ready.append(window)
        horizon = self.watermark - retain_ms
        for key in [k for k, w in self.windows.items() if w.emitted and w.window_end < horizon]:
            del self.windows[key]
        return ready

    @property
    def unsent(self) -> bool:
        """Whether a window is still waiting to be sent (a tick may complete it)."""
        return any(not window.emitted for window in self.windows.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "window_ms": self.window_ms,
            "watermark": self.watermark,
            "windows": {key: window.to_dict() for key, window in self.windows.items()},
            "dropped_late": self.dropped_late,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChannelWindows:
        values = dict(data)
        values["windows"] = {k: ChannelWindow(**w) for k, w in values.get("windows", {}).items()}
        return cls(**values)
