"""The care agent: each interaction normalized, scored against its customer's history and
turned into alerts, in one pass on the partition that owns the customer.

Raw channel topics are keyed by customer id (the contract), so a record's partition already
holds its customer's history and profile: it is normalized and scored where it lands. A
record on another partition (a producer with another key or partitioner) and a social post
resolved by its handle go once through ``interactions.rekeyed``, keyed by customer id.

With the batched hot path (the default), the consumer hands the agent's records over a
fetch at a time (pipeline/worker/batching.py): each partition's records are scored in
offset order, the histories they changed are written, once per customer, and only once
the producer has delivered those changelog records are the batch's normalized records and
alerts sent; then the consumer acknowledges the records. With the stream path, Faust's
stream hands them over one at a time and each history is written after its record.
"""

from __future__ import annotations

import logging

import faust
from faust.types import TP, Message

from pipeline.worker import batching, codecs
from pipeline.worker.agents import UNEXPECTED, NormalizeStep
from pipeline.worker.scoring import STAGE, Scorer, Send, UnwrittenHistoryDamaged
from pipeline.worker.topics import Topics
from processors.interaction import Interaction, Source
from schemas import AvroDecodeError
from sinks.deadletter import KafkaDeadLetterSink
from sinks.metrics import PipelineMetrics

log = logging.getLogger(__name__)


def register(
    app: faust.App,
    topics: Topics,
    normalize: NormalizeStep,
    scorer: Scorer,
    metrics: PipelineMetrics,
    batched: bool,
) -> None:
    """Declares the care agent on ``app``; ``batched`` also hands its topics to the
    batched hot path, which then gets all their records."""
    dlq = normalize.outbox.topic(topics.dlq.get_topic_name())
    dead_letters = KafkaDeadLetterSink(dlq, STAGE, metrics)
    interaction_codec = codecs.get("Interaction")

    async def care_one(message: Message, held: list[Send] | None = None) -> None:
        source = Source(message.topic, message.partition, message.offset)
        try:
            if normalize.channel_of(message.topic) is not None:
                interaction = await normalize.raw(message)
            else:  # interactions.rekeyed: normalized already, on its customer's partition
                await codecs.learn(message.value)
                interaction = Interaction.from_record(interaction_codec.loads(message.value))
            if interaction is not None:
                await scorer.score(interaction, held)
        except AvroDecodeError as exc:
            await dead_letters.send(message.key, message.value, exc, exc.reason, source)
        except UnwrittenHistoryDamaged:
            raise
        except Exception as exc:  # a bug must not stop the partition: keep the record
            log.exception("scoring failed on %s[%d]@%d", *source.__dict__.values())
            await dead_letters.send(message.key, message.value, exc, UNEXPECTED, source)

    # The agent subscribes the worker to its topics; with the batched path its stream
    # gets no records.
    @app.agent(topics.care_inputs, name="care")
    async def care(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await care_one(event.message)
            scorer.flush()

    async def care_partition(messages: list[Message], held: list[Send]) -> None:
        """One partition's records of a batch, their histories written at the end."""
        with batching.acting_for(app, messages[-1]):
            done = len(held)
            try:
                for message in messages:
                    await care_one(message, held)
            except UnwrittenHistoryDamaged:
                # A bug met a customer changed earlier in the batch: start the partition's
                # records again from their written histories, writing after each record, so
                # that only the failing record is dead-lettered.
                scorer.rollback()
                del held[done:]
                for message in messages:
                    await care_one(message, held)
                    scorer.flush()
            scorer.flush()
        metrics.batch(len(messages))

    async def care_batch(messages: list[Message]) -> None:
        held: list[Send] = []
        try:
            for partition_messages in batching.by_partition(messages):
                await care_partition(partition_messages, held)
        except BaseException:
            # Stopped or cancelled mid-batch (a rebalance that stops the fetcher, a send
            # that failed for good): the records are not acknowledged and are read again,
            # so their histories must not be written later, in another partition.
            scorer.rollback()
            raise
        await scorer.release(held)

    if batched:
        batching.register_batch_handler(app, topics.care_inputs.topics, care_batch)

    async def forget_cached(app: faust.App, tps: set[TP], **kwargs: object) -> None:
        scorer.forget_cached()

    app.on_partitions_revoked.connect(forget_cached)  # type: ignore[arg-type]
    app.on_partitions_assigned.connect(forget_cached)  # type: ignore[arg-type]
