"""Windowed care figures per channel to ``care.metrics``, for consumers without Prometheus.

Each worker adds its scored interactions to partial windows in memory and flushes them
about every second to ``care.metrics.facts``: messages holding a channel's partial windows
(``{"deltas": [...]}``, at most ``MAX_DELTAS_PER_MESSAGE`` each), keyed by channel, so
one worker owns each channel's windows and merges the partials of every worker. A timer
ticks every channel this worker owns, so quiet channels close their windows too; the tick
goes through the topic so that the table is only written in the partition that owns it.

A worker that dies loses the partials it has not flushed yet (up to one flush interval);
the interactions behind them are not scored again, so those windows count them short.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import faust

from pipeline.worker.tables import Tables
from pipeline.worker.topics import Topics
from processors.channel_windows import ChannelWindows, PartialWindows, WindowDelta
from processors.domain import CHANNELS

log = logging.getLogger(__name__)

TICK = {"tick": True}
FLUSH_EVERY_S = 1.0
# Window deltas per message at most (a delta is ~400 bytes as JSON): a backlog replayed at
# speed touches many event-time windows per flush, and one message per channel would pass
# the producer's 1 MB request limit.
MAX_DELTAS_PER_MESSAGE = 500


def register(
    app: faust.App,
    topics: Topics,
    tables: Tables,
    partials: PartialWindows,
    window_s: float,
    grace_s: float,
) -> None:
    windows_table = tables.channel_windows
    window_ms, grace_ms = int(window_s * 1000), int(grace_s * 1000)

    @app.timer(FLUSH_EVERY_S, name="flush-channel-windows")
    async def flush() -> None:
        by_channel: dict[str, list[dict[str, Any]]] = {}
        for delta in partials.drain():
            by_channel.setdefault(delta.window.channel, []).append(delta.to_dict())
        for channel, deltas in by_channel.items():
            for at in range(0, len(deltas), MAX_DELTAS_PER_MESSAGE):
                chunk = deltas[at : at + MAX_DELTAS_PER_MESSAGE]
                await topics.metric_facts.send(key=channel.encode(), value={"deltas": chunk})

    @app.agent(topics.metric_facts, name="aggregate-channel-metrics")
    async def aggregate(stream: faust.StreamT) -> None:
        async for event in stream.events():
            channel = event.key.decode() if event.key else ""
            value: dict[str, Any] = event.value or {}
            if channel not in CHANNELS:
                log.warning("ignored a metric delta for unknown channel %r", channel[:20])
                continue
            stored = windows_table.get(channel.encode())
            book = (
                ChannelWindows.from_dict(stored)
                if stored
                else ChannelWindows(channel, window_ms=window_ms)
            )
            now_ms = int(time.time() * 1000)
            for delta in value.get("deltas") or ():
                try:
                    book.merge(WindowDelta.from_dict(delta), now_ms)
                except (KeyError, TypeError, ValueError) as exc:
                    log.warning("ignored a malformed metric delta for %s: %s", channel, exc)
            for window in book.complete(now_ms, grace_ms):
                await topics.metrics.send(key=channel.encode(), value=window.to_record())
            windows_table[channel.encode()] = book.to_dict()

    @app.timer(max(1.0, grace_s / 2), name="tick-channel-windows")
    async def tick() -> None:
        # Only channels with windows still open in this worker's partitions need a tick.
        for key, stored in list(windows_table.items()):
            if stored and ChannelWindows.from_dict(stored).unsent:
                await topics.metric_facts.send(key=key, value=TICK)
