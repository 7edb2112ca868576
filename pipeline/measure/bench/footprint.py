"""The worker's footprint: its resident memory (``rss_mb``) and the size of its state per
customer (``state_bytes_per_customer``)."""

from __future__ import annotations

from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from pipeline.kafkaclients import kafka_python_config
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings


def rss_mb(worker: WorkerProcess, field_name: str) -> float:
    """VmRSS or VmHWM (peak) of the worker process, in MiB."""
    assert worker.proc is not None
    try:
        for line in Path(f"/proc/{worker.proc.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def state_bytes_per_customer(settings: Settings, customers: int) -> float:
    """Average size of a customer's history: the latest changelog value of each key."""
    topic = f"{settings.app_id}-customer-histories-changelog"
    reader = KafkaConsumer(**kafka_python_config(settings), group_id=None)
    partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
    if not partitions:
        reader.close()
        return 0.0
    reader.assign(partitions)
    reader.seek_to_beginning(*partitions)
    ends = reader.end_offsets(partitions)
    latest: dict[bytes, int] = {}
    while any(reader.position(tp) < ends[tp] for tp in partitions):
        for records in reader.poll(timeout_ms=1000, max_records=20_000).values():
            for record in records:
                latest[record.key] = len(record.value or b"")
    reader.close()
    return round(sum(latest.values()) / len(latest), 1) if latest else 0.0
