"""Reads a run's output topics whole, from the beginning to their end offsets, into
:class:`~pipeline.measure.chaos.verdict.Outputs` (kafka-python, no consumer group)."""

from __future__ import annotations

import time
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

import schemas
from pipeline.kafkaclients import kafka_python_config
from pipeline.measure.chaos.verdict import Outputs
from pipeline.settings import Settings
from pipeline.topics import ALERTS, DLQ, NORMALIZED, SEQ_HEADER
from sinks import deadletter


def read_outputs(settings: Settings, timeout_s: float = 60.0) -> Outputs:
    """Every record of care.alerts, interactions.normalized (in each partition's order)
    and interactions.dlq."""
    outputs = Outputs()
    alert_codec, interaction_codec = schemas.codec("CareAlert"), schemas.codec("Interaction")

    def alert(record: ConsumerRecord) -> None:
        value = alert_codec.decode(record.value)
        key = (value["alert_id"], value["version"])
        outputs.alerts[key] += 1
        outputs.alert_types[key] = value["alert_type"]

    def normalized(record: ConsumerRecord) -> None:
        value = interaction_codec.decode(record.value)
        headers = dict(record.headers or [])
        outputs.normalized[value["interaction_id"]] += 1
        outputs.log.append((int(headers.get(SEQ_HEADER, b"0")), value))
        outputs.handled.add(
            (value["source_topic"], value["source_partition"], value["source_offset"])
        )

    def dead_letter(record: ConsumerRecord) -> None:
        headers = {k: v for k, v in record.headers or []}
        outputs.dead_letters += 1
        if deadletter.TOPIC in headers:
            outputs.handled.add(
                (
                    headers[deadletter.TOPIC].decode(),
                    int(headers[deadletter.PARTITION]),
                    int(headers[deadletter.OFFSET]),
                )
            )

    consumer = KafkaConsumer(
        **kafka_python_config(settings), group_id=None, enable_auto_commit=False
    )
    try:
        for spec, handle in ((ALERTS, alert), (NORMALIZED, normalized), (DLQ, dead_letter)):
            _drain(consumer, settings.topic(spec.name), handle, timeout_s)
    finally:
        consumer.close()
    return outputs


def end_offsets(settings: Settings, topic: str) -> int:
    """The sum of ``topic``'s end offsets: grows while the pipeline writes to it."""
    consumer = KafkaConsumer(**kafka_python_config(settings), group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def _drain(
    consumer: KafkaConsumer,
    topic: str,
    handle: Callable[[ConsumerRecord], None],
    timeout_s: float,
) -> None:
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    if not partitions:
        raise RuntimeError(f"topic {topic} has no partitions in the broker's metadata")
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    deadline = time.monotonic() + timeout_s
    while any(consumer.position(tp) < end for tp, end in ends.items()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{topic} was not read to its end within {timeout_s:.0f}s")
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                if record.offset < ends[TopicPartition(record.topic, record.partition)]:
                    handle(record)
