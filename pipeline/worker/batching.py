"""The batched hot path: records of the busy topics go from a fetch to one handler call.

Faust hands every fetched record on by itself: a task race per record in the consumer
(``wait_first`` of the callback and the flow-control event), a lock and flow control in
the conductor, a queue, and the stream iterator's per-event bookkeeping. That machinery
costs more than scoring the record does. This transport keeps everything else of Faust
(the consumer group and its assignor, tables and their recovery, commits, the web server,
timers and the other agents), and changes one thing: records of topics registered with
:func:`register_batch_handler` are gathered, per fetch, into one list for one handler call
in the consumer's own task. Records of other topics take Faust's usual path.

Each gathered record is tracked as unacknowledged before the handler runs and acknowledged
after it returns, with Faust's own bookkeeping, so commits, ``wait_empty`` on a rebalance
and the stall watch see them as they see a stream's records: an offset is committed only
once its record's handler call is done. Records fetched while flow control is off or
under an older consumer generation are dropped unacknowledged, as Faust's stream drops
them, and fetched again after the rebalance.

The app selects the transport through its ``broker_consumer`` setting, with the URL
scheme ``carepipe://`` registered as a ``faust.transports`` entry point.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any

import faust
from faust import streams as faust_streams
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

log = logging.getLogger(__name__)

SCHEME = "carepipe"
# At most this many records per handler call: a bound on the time between two fetches.
MAX_BATCH = 500

BatchHandler = Callable[[list[Message]], Awaitable[None]]

_handlers: weakref.WeakKeyDictionary[faust.App, dict[str, BatchHandler]] = (
    weakref.WeakKeyDictionary()
)


def register_batch_handler(app: faust.App, topics: Iterable[str], handler: BatchHandler) -> None:
    """Sends the records of ``topics`` to ``handler`` in batches, in offset order per
    partition. The topics must still be subscribed to by an agent (its stream gets none
    of their records): the subscription is what puts them in the consumer group."""
    registered = _handlers.setdefault(app, {})
    for topic in topics:
        registered[topic] = handler


def batch_handlers(app: faust.App) -> dict[str, BatchHandler]:
    return _handlers.get(app, {})


def consumer_url(broker: str) -> str:
    """The ``broker_consumer`` URL that selects this transport for ``broker``'s servers."""
    return ";".join(f"{SCHEME}://{server.split('://', 1)[-1]}" for server in broker.split(";"))


class BatchingConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer, with the records of registered topics handed on in
    batches (see the module's documentation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Partitions whose fetched records were dropped unhandled (see _reseek_dropped).
        self._to_reseek: set[TP] = set()

    async def _drain_messages(self, fetcher: Any) -> None:  # the consumer's fetch loop
        handlers = batch_handlers(self.app)
        if not handlers:
            await super()._drain_messages(fetcher)
            return
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                generation = self.app.consumer_generation_id
                batches: dict[BatchHandler, list[Message]] = {}
                pending = 0
                await self.sleep(0)
                if self._to_reseek:
                    await self._reseek_dropped()
                if not self.should_stop:
                    async for tp, message in self.getmany(timeout=1.0):
                        offset = message.offset
                        last = read_offset[tp]
                        if last is not None and offset < last:
                            continue  # read before: Faust's consumer drops it too
                        if last and offset - last > 1 and acks_enabled_for(message.topic):
                            await self._add_gap(tp, last + 1, offset)
                        handler = handlers.get(tp.topic)
                        if handler is None:
                            await self.wait_first(self.callback(message), self.suspend_flow.wait())
                        else:
                            batches.setdefault(handler, []).append(message)
                            pending += 1
                        read_offset[tp] = offset
                        if pending >= MAX_BATCH:
                            await self._dispatch(batches, generation)
                            batches, pending = {}, 0
                    if batches:
                        await self._dispatch(batches, generation)
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _reseek_dropped(self) -> None:
        """Seeks the partitions whose fetched records were dropped back to their committed
        offsets once the rebalance is over. The rebalance's own seek does not move a
        partition that has no committed offset yet, and its dropped records would then
        wait for the stall watch (pipeline/worker/stall.py), 30 s, to be fetched again."""
        if self.app.rebalancing or not self.app.flow_control.is_active():
            return
        assigned = self.assignment()
        for tp in sorted(self._to_reseek):
            if tp in assigned:
                offset = self._committed_offset.get(tp) or 0
                log.info("%s[%d]: reading again from %d", tp.topic, tp.partition, offset)
                await self.seek(tp, offset)
        self._to_reseek.clear()

    async def _dispatch(self, batches: dict[BatchHandler, list[Message]], generation: int) -> None:
        """One handler call per handler; the records are acknowledged after it returns."""
        if not self.app.flow_control.is_active() or generation != self.app.consumer_generation_id:
            dropped = sum(len(messages) for messages in batches.values())
            log.debug("%d records fetched before a rebalance are read again after it", dropped)
            self._to_reseek.update(m.tp for messages in batches.values() for m in messages)
            return
        commit_every = self._commit_every  # broker_commit_every, as Faust's loop has it
        if commit_every is not None and self._n_acked >= commit_every:
            self._n_acked = 0
            await self.commit()
        for handler, messages in batches.items():
            for message in messages:
                self.track_message(message)
            # A handler that raises stops the worker with its records unacknowledged:
            # they are read again, never committed past.
            await handler(messages)
            for message in messages:
                self.ack(message)
            # What Faust's check of a stalled stream reads (verify_event_path): these
            # partitions move, though no stream sees their records.
            inbound, now = self.app.monitor.stream_inbound_time, monotonic()
            for tp in {message.tp for message in messages}:
                inbound[tp] = now


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with :class:`BatchingConsumer`."""

    Consumer = BatchingConsumer  # type: ignore[assignment]


@contextmanager
def acting_for(app: faust.App, message: Message) -> Iterator[None]:
    """Runs the block as if Faust's stream were handing on ``message``: table reads and
    writes then go to its partition's store and changelog partition, as they do inside
    an agent (``faust.current_event()`` is what Faust's tables consult)."""
    event = faust.Event(app, message.key, message.value, message.headers, message)
    token = faust_streams._current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        faust_streams._current_event.reset(token)


def by_partition(messages: list[Message]) -> Iterator[list[Message]]:
    """The records grouped by partition number (the key's partition, whatever the topic),
    each group in the order it was fetched."""
    groups: dict[int, list[Message]] = {}
    for message in messages:
        groups.setdefault(message.partition, []).append(message)
    yield from groups.values()


def each_in_partition(
    app: faust.App, handle: Callable[[Message], Awaitable[object]]
) -> BatchHandler:
    """A batch handler that calls ``handle`` for each record, in the context of its
    partition (see :func:`acting_for`)."""

    async def handle_batch(messages: list[Message]) -> None:
        for group in by_partition(messages):
            with acting_for(app, group[-1]):
                for message in group:
                    await handle(message)

    return handle_batch
