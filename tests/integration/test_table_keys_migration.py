"""Changelogs written with JSON table keys (earlier versions) are rewritten with raw keys by
``carepipe topics migrate-table-keys``, and a worker then finds the migrated rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from pipeline.ops.workerproc import WorkerProcess
from pipeline.partitioning import customer_partition
from pipeline.settings import Settings
from pipeline.topics import HISTORIES_TABLE, PROFILES_TABLE, changelog
from processors.history import CustomerHistory, update_history
from tests.integration.test_care_alerts import NOW, lookup
from tests.unit.processors.journey import RULES, contact

OLD, BOTH = "C104417", "C104418"


def stored_history(customer_id: str, contacts: int) -> bytes:
    history: CustomerHistory | None = None
    for n in range(contacts):
        interaction = contact(
            "EMAIL", NOW - timedelta(hours=n), "Still waiting", customer=customer_id
        )
        history = update_history(history, interaction, NOW, RULES)
    assert history is not None
    return json.dumps(history.to_dict()).encode()


def live_rows(settings: Settings, topic: str) -> dict[tuple[int, bytes], bytes | None]:
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        rows: dict[tuple[int, bytes], bytes | None] = {}
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for records in consumer.poll(timeout_ms=1000).values():
                for r in records:
                    rows[(r.partition, r.key)] = r.value
        return {k: v for k, v in rows.items() if v is not None}
    finally:
        consumer.close()


def test_json_keys_are_rewritten_and_a_worker_finds_the_rows(
    pipeline_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    topic = changelog(settings.app_id, HISTORIES_TABLE)
    n = settings.topic_partitions
    old, both = customer_partition(OLD, n), customer_partition(BOTH, n)
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    producer.send(topic, key=b'"C104417"', value=stored_history(OLD, 3), partition=old)
    producer.send(topic, key=b'"C104418"', value=stored_history(BOTH, 1), partition=both)
    producer.send(topic, key=BOTH.encode(), value=stored_history(BOTH, 2), partition=both)
    producer.flush()
    producer.close()

    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "topics", "migrate-table-keys"],
        env={**os.environ, **pipeline_env},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert f"{HISTORIES_TABLE}: 3 rows, 1 keys rewritten, 1 stale JSON keys dropped" in done.stdout
    assert f"{PROFILES_TABLE}: 0 rows" in done.stdout
    rows = live_rows(settings, topic)
    assert set(rows) == {(old, OLD.encode()), (both, BOTH.encode())}
    assert json.loads(rows[(both, BOTH.encode())])["customer_id"] == BOTH

    worker = WorkerProcess(pipeline_env, tmp_path / "worker.log").start()
    try:
        deadline = time.monotonic() + 60  # until the worker has recovered its tables
        while (answer := lookup(worker, OLD, token=None))[0] != 200:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        code, body = answer
        assert code == 200, body
        assert body["customer_id"] == OLD
        assert body["contacts"]["last_30_days"]["EMAIL"] == 3
        code, body = lookup(worker, BOTH, token=None)
        assert code == 200 and body["contacts"]["last_30_days"]["EMAIL"] == 2
    finally:
        worker.stop()
        print(worker.log_tail(30))
