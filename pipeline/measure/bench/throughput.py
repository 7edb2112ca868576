"""Throughput of a consumer group from what it wrote: ``measure_pipeline`` for one worker,
from the first record it wrote to the scoring of the last event; ``measure_group`` for any
group (the Faust floor)."""

from __future__ import annotations

import time
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition

from pipeline import admin
from pipeline.kafkaclients import kafka_python_config
from pipeline.settings import Settings
from pipeline.topics import (
    CARE_INPUTS,
    DLQ,
    HISTORIES_TABLE,
    NORMALIZED,
    SOCIAL_UNRESOLVED,
    changelog,
)


def measure_pipeline(
    settings: Settings,
    total: int,
    advance: Callable[[int], None],
    running: Callable[[], bool] = lambda: True,
) -> float:
    """Events/s from the worker's first output to its last, once its group has consumed
    every input (raw channels, re-keyed interactions, social posts by handle)."""
    inputs = [settings.topic(spec.name) for spec in (*CARE_INPUTS, SOCIAL_UNRESOLVED)]
    # The first record out (normalized or dead-lettered) to the last history written.
    outputs = [settings.topic(t.name) for t in (NORMALIZED, DLQ)]
    outputs.append(changelog(settings.app_id, HISTORIES_TABLE))
    return measure_group(settings, inputs, outputs, total, advance, running)


def measure_group(
    settings: Settings,
    inputs: list[str],
    outputs: list[str],
    total: int,
    advance: Callable[[int], None],
    running: Callable[[], bool] = lambda: True,
) -> float:
    """Events/s of the consumer group ``settings.app_id``: ``total`` over the span from
    the first record it wrote to ``outputs`` to the last, once it has consumed ``inputs``.
    Raises RuntimeError when the group's process, as ``running`` tells, has exited."""
    deadline = time.monotonic() + 1800
    done = 0
    while time.monotonic() < deadline:
        if not running():
            raise RuntimeError(f"{settings.app_id}: the process under measure exited")
        try:
            lag = admin.group_lag(settings, inputs)
        except Exception:  # a group that is still joining has no offsets to show
            lag = -1
        progress = max(0, total - max(lag, 0)) if lag >= 0 else 0
        advance(max(0, progress - done))
        done = max(done, progress)
        if lag == 0:
            break
        time.sleep(2.0)  # each check opens two clients: keep the CPU for the worker
    first_ms, last_ms = _timestamp_range(settings, outputs)
    if last_ms <= first_ms:
        return 0.0
    return round(total / ((last_ms - first_ms) / 1000), 1)


def _timestamp_range(settings: Settings, topics: list[str]) -> tuple[int, int]:
    """Earliest and latest record timestamps across ``topics`` (every partition)."""
    reader = KafkaConsumer(**kafka_python_config(settings), group_id=None)
    partitions = [TopicPartition(t, p) for t in topics for p in range(settings.topic_partitions)]
    reader.assign(partitions)
    reader.seek_to_beginning(*partitions)
    ends = reader.end_offsets(partitions)
    first, last = 2**63, 0
    while any(reader.position(tp) < ends[tp] for tp in partitions):
        for records in reader.poll(timeout_ms=1000, max_records=50_000).values():
            for record in records:
                first = min(first, record.timestamp)
                last = max(last, record.timestamp)
    reader.close()
    return first, last
