"""Reads what the pipeline wrote to its output topics, from a point in time on (kafka-python),
and decodes it in either framing (schemas/framing.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

import schemas
from pipeline.kafkaclients import kafka_python_config
from pipeline.schemaregistry import SchemaRegistry
from pipeline.settings import Settings


@dataclass(frozen=True)
class OutputRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


class OutputReader:
    """Follows whole topics (every partition, no consumer group) from their end at creation,
    or from the beginning with ``from_beginning``. ``registry`` is the settings' schema
    registry, if any, for :func:`decode`."""

    def __init__(self, settings: Settings, topics: list[str], from_beginning: bool = False) -> None:
        self.registry = SchemaRegistry.from_settings(settings)
        self.consumer = KafkaConsumer(
            **kafka_python_config(settings),
            enable_auto_commit=False,
            group_id=None,
        )
        # A topic created a moment ago may be missing from the first metadata answers.
        deadline = time.monotonic() + 10
        while True:
            partitions = [
                TopicPartition(topic, p)
                for topic in topics
                for p in self.consumer.partitions_for_topic(topic) or ()
            ]
            if partitions or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if not partitions:
            raise RuntimeError(f"none of the topics exist yet: {topics}")
        self.consumer.assign(partitions)
        if from_beginning:
            self.consumer.seek_to_beginning(*partitions)
        else:
            self.consumer.seek_to_end(*partitions)
            for tp in partitions:  # resolve the end offsets now, before anything new arrives
                self.consumer.position(tp)

    def poll(self, timeout_s: float = 0.5) -> Iterator[OutputRecord]:
        batches = self.consumer.poll(timeout_ms=int(timeout_s * 1000))
        for records in batches.values():
            for r in records:
                yield OutputRecord(
                    r.topic, r.partition, r.offset, r.key, r.value, dict(r.headers or [])
                )

    def read_until(
        self, done: Callable[[list[OutputRecord]], bool], timeout_s: float
    ) -> list[OutputRecord]:
        """Reads until ``done(records)`` holds or the timeout passes; returns what was read."""
        records: list[OutputRecord] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not done(records):
            records.extend(self.poll())
        return records

    def close(self) -> None:
        self.consumer.close()
        if self.registry is not None:
            self.registry.close()


def decode(
    record: OutputRecord, schema: str, registry: SchemaRegistry | None = None
) -> dict[str, Any]:
    """The record's value, in either framing; ``registry`` is asked, once, for the writer
    schema of a schema id this process has not met."""
    if registry is not None:
        registry.learn(record.value)
    return schemas.codec(schema).decode(record.value)
