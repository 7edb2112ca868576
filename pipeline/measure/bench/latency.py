"""Latency at a fixed offered load: ``measure_latency``, from each produce to its normalized
record (matched by the lineage fields: topic, partition, offset), and ``percentiles``."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

import schemas
from pipeline.kafkaclients import kafka_python_config
from pipeline.ops.producer import SPECS
from pipeline.settings import Settings
from pipeline.simulation.sample import RawEvent
from pipeline.topics import NORMALIZED, RAW_CHANNELS


def measure_latency(settings: Settings, live: list[RawEvent], rate: float) -> list[float]:
    """Milliseconds from each produce (acknowledged) to its normalized record's timestamp."""
    stream = [e for e in live if e.channel in RAW_CHANNELS]
    sent: dict[tuple[str, int, int], float] = {}
    lock = threading.Lock()
    client = KafkaProducer(**kafka_python_config(settings), acks=1, linger_ms=0)

    def remember(started_ms: float) -> Callable[[Any], None]:
        def done(meta: Any) -> None:
            with lock:
                sent[(meta.topic, meta.partition, meta.offset)] = started_ms

        return done

    reader = KafkaConsumer(**kafka_python_config(settings), group_id=None)
    outputs = [TopicPartition(settings.topic(NORMALIZED.name), p)
               for p in range(settings.topic_partitions)]  # fmt: skip
    reader.assign(outputs)
    reader.seek_to_end(*outputs)
    for tp in outputs:
        reader.position(tp)
    begin = time.monotonic()
    for n, event in enumerate(stream):
        due = begin + n / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        spec = SPECS[event.channel]
        value = schemas.codec(spec.schema or "").encode(event.record)
        produce_ms = time.time() * 1000
        client.send(settings.topic(spec.name), key=event.key.encode(), value=value).add_callback(
            remember(produce_ms)
        )
    client.flush()
    client.close()
    codec = schemas.codec("Interaction")
    latencies: list[float] = []
    deadline = time.monotonic() + 120
    # Rejected and diverted events have no normalized record here: stop once quiet.
    quiet_since = time.monotonic()
    while len(latencies) < len(stream) and time.monotonic() < deadline:
        polled = reader.poll(timeout_ms=1000)
        if polled:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 10:
            break
        for records in polled.values():
            for record in records:
                interaction = codec.decode(record.value)
                key = (interaction["source_topic"], interaction["source_partition"],
                       interaction["source_offset"])  # fmt: skip
                with lock:
                    started = sent.get(key)
                if started is not None:
                    latencies.append(record.timestamp - started)
    reader.close()
    return latencies


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 (the value at index q * n once sorted), max and mean, rounded to 0.1."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 1),
            "mean": round(statistics.fmean(ordered), 1)}  # fmt: skip
