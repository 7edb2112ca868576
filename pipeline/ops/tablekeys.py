"""``carepipe topics migrate-table-keys``: rewrites table changelogs written with JSON keys.

Earlier versions let Faust serialize table keys as JSON (``b'"C102031"'``), while the rows
sit in the partition of the raw key (``b'C102031'``); the customer lookup then routed to
the wrong worker. Tables now use raw keys. This rewrites each changelog in place: for
every live row under a JSON key it writes the same value under the raw key, to the same
partition, and a tombstone for the JSON key. A worker recovering the changelog, or
catching up from its own state folder, ends with raw keys only. Run it with the workers
stopped; running it again finds nothing to do.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from pipeline.kafkaclients import kafka_python_config
from pipeline.settings import Settings
from pipeline.topics import TABLES, changelog, is_json_key


@dataclass(frozen=True)
class Migrated:
    table: str
    rows: int  # live rows read
    rewritten: int  # JSON keys written again as raw keys
    dropped: int  # JSON keys whose raw key already had a newer row: tombstone only


def migrate_table_keys(settings: Settings, timeout_s: float = 120.0) -> list[Migrated]:
    consumer = KafkaConsumer(
        **kafka_python_config(settings), group_id=None, enable_auto_commit=False
    )
    producer = KafkaProducer(**kafka_python_config(settings), acks="all", enable_idempotence=True)
    try:
        results = []
        for table in TABLES:
            rows = _live_rows(consumer, changelog(settings.app_id, table), timeout_s)
            rewritten = dropped = 0
            topic = changelog(settings.app_id, table)
            for (partition, key), value in rows.items():
                if not is_json_key(key):
                    continue
                raw = str(json.loads(key)).encode()
                if (partition, raw) in rows:
                    dropped += 1
                else:
                    producer.send(topic, key=raw, value=value, partition=partition)
                    rewritten += 1
                producer.send(topic, key=key, value=None, partition=partition)
            producer.flush(timeout=timeout_s)
            results.append(Migrated(table, len(rows), rewritten, dropped))
        return results
    finally:
        producer.close()
        consumer.close()


def _live_rows(
    consumer: KafkaConsumer, topic: str, timeout_s: float
) -> dict[tuple[int, bytes], bytes]:
    """The last value of each key in each partition, tombstoned keys left out."""
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    if not partitions:
        return {}
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    rows: dict[tuple[int, bytes], bytes] = {}
    deadline = time.monotonic() + timeout_s
    while any(consumer.position(tp) < end for tp, end in ends.items()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{topic} was not read to its end within {timeout_s:.0f}s")
        for records in consumer.poll(timeout_ms=500).values():
            for r in records:
                if r.key is None or r.offset >= ends[TopicPartition(r.topic, r.partition)]:
                    continue
                if r.value is None:
                    rows.pop((r.partition, r.key), None)
                else:
                    rows[(r.partition, r.key)] = r.value
    return rows
