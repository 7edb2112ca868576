"""Tumbling event-time windows of per-channel care figures (schemas/ChannelMetrics.avsc).

Each scored interaction becomes a :class:`MetricFact`; a :class:`ChannelWindows` book per
channel adds facts to their window and tells which windows are complete: those the
channel's event-time watermark has passed by the grace period, or, for a quiet channel,
those whose end plus grace has passed on the clock. A late fact reopens its window (the
record is sent again with the new totals) as long as the window is retained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_WINDOW_MS = 60_000
DEFAULT_GRACE_MS = 10_000
DEFAULT_RETAIN_MS = 3_600_000


@dataclass(frozen=True)
class MetricFact:
    """What one interaction adds to its channel's window."""

    channel: str
    occurred_at: int
    sentiment: float | None = None
    outcome: str = "NONE"
    first_contact: bool = False
    handle_seconds: int = 0
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    at_risk_opened: bool = False


@dataclass
class ChannelWindow:
    """Sums and counts of one channel over [window_start, window_end)."""

    channel: str
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

    def to_record(self) -> dict[str, Any]:
        """The ChannelMetrics record (times as epoch milliseconds)."""
        record = asdict(self)
        del record["emitted"], record["updated_at"]
        record["avg_sentiment"] = (
            round(self.sentiment_sum / self.sentiment_count, 6) if self.sentiment_count else None
        )
        return record


@dataclass
class ChannelWindows:
    """The open and recently closed windows of one channel."""

    channel: str
    window_ms: int = DEFAULT_WINDOW_MS
    watermark: int = 0
    windows: dict[str, ChannelWindow] = field(default_factory=dict)
    dropped_late: int = 0

    def add(self, fact: MetricFact, now_ms: int, retain_ms: int = DEFAULT_RETAIN_MS) -> bool:
        """Adds ``fact`` to its window; False when it is too late to count (dropped)."""
        start = fact.occurred_at - fact.occurred_at % self.window_ms
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChannelWindows:
        values = dict(data)
        values["windows"] = {k: ChannelWindow(**w) for k, w in values.get("windows", {}).items()}
        return cls(**values)
