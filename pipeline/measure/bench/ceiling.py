"""The raw client ceiling: ``measure_ceiling``, a bare aiokafka loop that consumes the raw
topics, decodes, re-encodes and produces to ``CEILING_SINK`` (see ``ensure_ceiling_sink``),
with no processing."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

import schemas
from pipeline.kafkaclients import aiokafka_config, kafka_python_config
from pipeline.settings import Settings
from pipeline.topics import RAW_CHANNELS, TopicSpec

CEILING_SINK = TopicSpec("bench.ceiling", None)


def ensure_ceiling_sink(settings: Settings) -> None:
    """Create the ceiling loop's output topic unless it exists."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    name = settings.topic(CEILING_SINK.name)
    client = KafkaAdminClient(**kafka_python_config(settings))
    try:
        client.create_topics(
            [NewTopic(name, settings.topic_partitions, settings.topic_replication)]
        )
    except TopicAlreadyExistsError:
        pass
    finally:
        client.close()


async def measure_ceiling(
    settings: Settings, topics: list[str], total: int, advance: Callable[[int], None]
) -> float:
    """Consume, decode, re-encode and produce every raw event; events/s over the loop."""
    codecs = {settings.topic(spec.name): schemas.codec(spec.schema or "")
              for spec in RAW_CHANNELS.values()}  # fmt: skip
    consumer = AIOKafkaConsumer(
        *topics,
        **aiokafka_config(settings),
        group_id=f"{settings.app_id}-ceiling",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    producer = AIOKafkaProducer(**aiokafka_config(settings), linger_ms=5, max_batch_size=256 * 1024)
    await consumer.start()
    await producer.start()
    sink = settings.topic(CEILING_SINK.name)
    seen = 0
    first = last = 0.0
    try:
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                codec = codecs[tp.topic]
                for record in records:
                    if not first:
                        first = time.monotonic()
                    value = codec.encode(codec.decode(record.value))
                    await producer.send(sink, key=record.key, value=value)
                seen += len(records)
                advance(len(records))
            if batches:
                await consumer.commit()
        await producer.flush()
        last = time.monotonic()
    finally:
        await consumer.stop()
        await producer.stop()
    return round(seen / (last - first), 1) if last > first else 0.0
