"""The care agent: each interaction normalized, scored against its customer's history and
turned into alerts, in one pass on the partition that owns the customer.

Raw channel topics are keyed by customer id (the contract), so a record's partition already
holds its customer's history and profile: it is normalized and scored where it lands. A
record on another partition (a producer with another key or partitioner) and a social post
resolved by its handle go once through ``interactions.rekeyed``, keyed by customer id.
"""

from __future__ import annotations

import logging

import faust

from pipeline.worker import codecs
from pipeline.worker.agents import UNEXPECTED, NormalizeStep
from pipeline.worker.scoring import STAGE, Scorer
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
) -> None:
    """Declares the care agent on ``app``."""
    dlq = normalize.outbox.topic(topics.dlq.get_topic_name())
    dead_letters = KafkaDeadLetterSink(dlq, STAGE, metrics)
    interaction_codec = codecs.get("Interaction")

    @app.agent(topics.care_inputs, name="care")
    async def care(stream: faust.StreamT) -> None:
        async for event in stream.events():
            message = event.message
            source = Source(message.topic, message.partition, message.offset)
            try:
                if normalize.channel_of(message.topic) is not None:
                    interaction = await normalize.raw(event)
                else:  # interactions.rekeyed: normalized already, on its customer's partition
                    interaction = Interaction.from_record(interaction_codec.loads(event.value))
                if interaction is not None:
                    await scorer.score(interaction)
            except AvroDecodeError as exc:
                await dead_letters.send(event.key, event.value, exc, exc.reason, source)
            except Exception as exc:  # a bug must not stop the partition: keep the record
                log.exception("scoring failed on %s[%d]@%d", *source.__dict__.values())
                await dead_letters.send(event.key, event.value, exc, UNEXPECTED, source)
