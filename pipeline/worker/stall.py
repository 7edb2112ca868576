"""A watchdog for partitions that stop moving with records waiting: ``StallWatch`` decides,
``register`` wires it to the worker's consumer.

Faust's stream drops a record that was fetched while flow control was off or stamped with
an older consumer generation (``faust/streams.py``, "Skipping message"): it neither
acknowledges it nor seeks back, so nothing fetches the record again, and the partition's
committed offset stays before it while the broker holds more (or moves past it once a
later record is acknowledged). A partition that a newly joined worker never fetches
(faust-streaming #629) looks the same from here. The watch seeks such a partition back to
its committed offset, so the records are fetched and processed again; a replayed record
re-sends what it sent before (pipeline/worker/scoring.py), so a seek that was not needed
costs duplicates, never a loss.

A partition is stalled when, for ``grace_s`` on end, the consumer has handed Faust records
past the partition's committed offset (its position is ahead of it), none of them is in
flight in the worker, and neither the committed offset nor the position has moved. Records
handed over wait in a stream's buffer for seconds at most; a partition that is merely not
fetched yet, as under a backlog, has its position at the committed offset and is left
alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import faust

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionState:
    committed: int | None  # next offset to read, as committed; None before any commit
    position: int | None  # next offset the consumer hands over
    in_flight: bool  # a record of it is in the worker and not yet acknowledged


@dataclass
class _Since:
    committed: int | None
    position: int | None
    at: float


class StallWatch:
    """Remembers, per partition, since when it has been waiting without moving."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self._since: dict[Any, _Since] = {}

    def stalled(self, states: dict[Any, PartitionState], now: float) -> list[Any]:
        """The partitions to seek back now; each is watched afresh after its seek."""
        due = []
        for tp, state in states.items():
            waiting = (
                state.position is not None
                and state.position > (state.committed or 0)
                and not state.in_flight
            )
            since = self._since.get(tp)
            if not waiting:
                self._since.pop(tp, None)
                continue
            moved = since is None or (since.committed, since.position) != (
                state.committed,
                state.position,
            )
            if moved:
                self._since[tp] = _Since(state.committed, state.position, now)
                continue
            if now - since.at >= self.grace_s:
                due.append(tp)
                self._since[tp] = _Since(state.committed, state.position, now)
        for tp in set(self._since) - set(states):  # revoked
            del self._since[tp]
        return due


def source_partitions(assigned: Iterable[Any]) -> list[Any]:
    """The assigned partitions that agents consume: not the tables' changelogs, which
    recovery and standbys read, nor Faust's assignor topic."""
    return [
        tp
        for tp in assigned
        if not tp.topic.endswith("-changelog") and not tp.topic.endswith("__assignor-__leader")
    ]


def register(
    app: faust.App,
    every_s: float,
    grace_s: float,
    on_seek: Callable[[str], None],
) -> StallWatch:
    """Every ``every_s``, look at this worker's source partitions while it is ready and
    seek the stalled ones back to their committed offsets.

    Reads the Faust consumer's ``_committed_offset`` and ``_unacked_messages``
    (tests/unit/pipeline/worker/test_stall.py holds them)."""
    watch = StallWatch(grace_s)

    @app.timer(every_s, name="reseek-stalled-partitions")
    async def reseek_stalled() -> None:
        consumer = app.consumer
        recovery = app.tables.recovery
        if app.rebalancing or recovery.in_recovery or not recovery.completed.is_set():
            return
        if not app.flow_control.is_active():
            return
        tps = source_partitions(consumer.assignment())
        if not tps:
            return
        in_flight = {message.tp for message in list(consumer._unacked_messages)}
        states = {
            tp: PartitionState(
                committed=consumer._committed_offset.get(tp),
                position=await consumer.position(tp),
                in_flight=tp in in_flight,
            )
            for tp in tps
        }
        for tp in watch.stalled(states, time.monotonic()):
            state = states[tp]
            offset = state.committed or 0
            log.warning(
                "%s[%s] has waited %.0fs at committed offset %s with records handed over "
                "up to %s and none in flight: seeking back to %s",
                tp.topic, tp.partition, grace_s, state.committed, state.position, offset,
            )  # fmt: skip
            await consumer.seek(tp, offset)
            on_seek(tp.topic)

    return watch
