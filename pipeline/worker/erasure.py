"""The erasure agent: carries out ``carepipe forget`` in the partitions that hold the
customer's state, step by step (processors/erasure.py), and logs one audit line.

The customer step deletes the history and the profile through the tables, so that their
changelogs get tombstones, and drops the customer from the worker's memory: the history
cache (a dirty copy included, so that no later flush writes it back), the follow-up index
and the scored texts. Each handle sweep step deletes, in its partition, the handle
entries that point to the customer, from the table (a changelog tombstone) and from the
internal ``customers.handles`` topic (a tombstone, which also undoes a mapping still on
its way to the table). A record read again after a crash repeats its step, which finds
nothing left to delete.
"""

from __future__ import annotations

import logging
import time

import faust
from faust.types import Message

from pipeline.partitioning import customer_partition
from pipeline.topics import HANDLES_TABLE, HISTORIES_TABLE, PROFILES_TABLE
from pipeline.worker import batching
from pipeline.worker.outbox import Outbox
from pipeline.worker.scoring import Scorer
from pipeline.worker.tables import Tables
from pipeline.worker.topics import Topics
from processors.erasure import CUSTOMER_STEP, ErasureRequest, InvalidErasureRequest, audit_line
from processors.sentiment import SentimentScorer
from sinks.metrics import PipelineMetrics

log = logging.getLogger(__name__)


class Eraser:
    """Carries out each step of an erasure in the partition of its record."""

    def __init__(
        self,
        app: faust.App,
        topics: Topics,
        tables: Tables,
        scorer: Scorer,
        sentiment: SentimentScorer,
        metrics: PipelineMetrics,
        partitions: int,
    ) -> None:
        self.outbox = Outbox(app)
        self.topic = topics.erasures.get_topic_name()
        self.handles_topic = topics.handles.get_topic_name()
        self.tables = tables
        self.scorer = scorer
        self.sentiment = sentiment
        self.metrics = metrics
        self.partitions = partitions

    async def handle(self, message: Message) -> None:
        """One record of the erasure topic, in the context of its partition."""
        try:
            request = ErasureRequest.from_bytes(message.value)
        except InvalidErasureRequest:
            # Its bytes are not logged, nor dead-lettered: they may hold a customer id.
            log.warning(
                "%s[%d]@%d is not an erasure request: skipped",
                message.topic,
                message.partition,
                message.offset,
            )
            return
        if request.step == CUSTOMER_STEP:
            await self._customer(message, request)
        else:
            await self._sweep(message, request)

    async def _customer(self, message: Message, request: ErasureRequest) -> None:
        customer_id = message.key.decode(errors="replace") if message.key else ""
        if not customer_id.strip():
            log.warning("erasure %s has no customer id: skipped", request.request_id)
            return
        owner = customer_partition(customer_id, self.partitions)
        if owner != message.partition:  # a producer with another partitioner
            await self.outbox.send(self.topic, message.key, message.value, owner)
            return
        key = customer_id.encode()
        removed = {
            HISTORIES_TABLE: _delete(self.tables.histories, key),
            PROFILES_TABLE: _delete(self.tables.profiles, key),
        }
        self.scorer.forget_customer(key)
        self.sentiment.forget_texts()
        self.metrics.erased(removed)
        await self._next(request.with_removed(removed).sweep(customer_id))

    async def _sweep(self, message: Message, request: ErasureRequest) -> None:
        if request.partition != message.partition:  # not where it was sent: send it there
            await self.outbox.send(self.topic, message.key, message.value, request.partition)
            return
        # No index from customer to handles: look at every handle of this partition.
        matched = [
            key
            for key, customer_id in list(self.tables.handles.items())
            if customer_id
            and request.points_to_customer(customer_id)
            and customer_partition(key.decode(errors="replace"), self.partitions)
            == message.partition
        ]
        for key in matched:
            _delete(self.tables.handles, key)
            await self.outbox.send(self.handles_topic, key, None)
        removed = {HANDLES_TABLE: len(matched)}
        self.metrics.erased(removed)
        following = request.with_removed(removed).next_sweep(self.partitions)
        if following is not None:
            await self._next(following)
            return
        log.info("%s", audit_line(request.with_removed(removed), int(time.time() * 1000)))
        self.metrics.erasure_done()

    async def _next(self, step: ErasureRequest) -> None:
        """Sends the next step to its partition, keyed by the request id."""
        await self.outbox.send(
            self.topic, step.request_id.encode(), step.to_bytes(), step.partition
        )


def _delete(table: faust.Table, key: bytes) -> int:
    """Deletes ``key`` from the table (a tombstone in its changelog); answers 1 if it was
    there, 0 if not. Must run in the context of a record of the key's partition."""
    # Faust's RocksDB store remembers in which partition it last found a key looked up
    # outside a record's context (the customer lookup does that): the key goes too.
    key_index = getattr(table.data, "_key_index", None)
    if key_index is not None:
        key_index.pop(key, None)
    if table.get(key) is None:
        return 0
    del table[key]
    return 1


def register(app: faust.App, topics: Topics, eraser: Eraser, batched: bool) -> None:
    """Declares the erasure agent on ``app``; ``batched`` hands its topic to the batched
    hot path, so that an erasure never runs in the middle of a batch of the care agent."""

    @app.agent(topics.erasures, name="erase-customers")
    async def erase_customers(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await eraser.handle(event.message)

    if batched:
        batching.register_batch_handler(
            app, topics.erasures.topics, batching.each_in_partition(app, eraser.handle)
        )
