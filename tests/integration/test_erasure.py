"""`carepipe forget`, end to end: a real worker holds a customer's state, the command (a
real child process) asks for its erasure through Kafka, and the worker deletes it: the
lookup answers 404, each changelog ends in a tombstone for the customer's keys, the log
has one audit line without the customer id, and another customer keeps everything. A
request sent while no worker runs is carried out by the next one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from pipeline import admin
from pipeline.ops.producer import send_events
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings
from pipeline.topics import (
    CARE_INPUTS,
    HANDLES,
    HANDLES_TABLE,
    HISTORIES_TABLE,
    PROFILES,
    PROFILES_TABLE,
    changelog,
)
from processors.normalize import handle_key
from tests.integration.test_care_alerts import NOW, chat, lookup, post, profile

pytestmark = pytest.mark.integration

ERASED, KEPT, LATE = "ERASE7731", "KEEP7732", "LATE7733"


def handle_of(customer_id: str) -> bytes:
    """The handle index key of the handle that ``profile()`` gives a customer."""
    return handle_key("X", f"{customer_id.lower()}_handle").encode()


def forget(env: dict[str, str], customer_id: str) -> str:
    """Runs `carepipe forget` and returns the request id it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "forget", customer_id, "--reason", "test"],
        env={**_environ(), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert customer_id not in done.stdout
    found = re.search(r"erasure request ([0-9a-f]{32}) sent", done.stdout)
    assert found, done.stdout
    return found.group(1)


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CAREPIPE_")}


def last_values(settings: Settings, topic: str, timeout_s: float = 30.0) -> dict[bytes, object]:
    """The last value of every key of ``topic``, read from its beginning to its end now."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"no topic {topic}"
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        last: dict[bytes, object] = {}
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            assert time.monotonic() < deadline, f"{topic} not read to its end"
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    last[record.key] = record.value
        return last
    finally:
        consumer.close()


def wait_for(what: str, check: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def test_forget_erases_one_customer_and_leaves_the_others(
    pipeline_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    at = NOW - timedelta(hours=3)
    customers = (ERASED, KEPT, LATE)
    events = [profile(c) for c in customers]
    interactions = [chat(c, 1, at, "Still broken.", -0.6, "UNRESOLVED") for c in customers]
    interactions.append(post(ERASED, 2, at + timedelta(hours=1), "Avoid @acme!", -0.8, 500))
    worker = WorkerProcess(pipeline_env, tmp_path / "worker.log").start()
    try:
        send_events(settings, events)
        crm = [settings.topic(PROFILES.name), settings.topic(HANDLES.name)]
        assert admin.wait_caught_up(settings, crm, 60) == 0
        send_events(settings, interactions)
        inputs = [settings.topic(spec.name) for spec in CARE_INPUTS]
        assert admin.wait_caught_up(settings, inputs, 60) == 0
        wait_for("the lookups", lambda: all(lookup(worker, c, None)[0] == 200 for c in customers))
        kept_before = lookup(worker, KEPT, None)[1]
        assert lookup(worker, ERASED, None)[1]["contacts"]["last_30_days"]["SOCIAL"] == 1

        request_id = forget(pipeline_env, ERASED)

        wait_for("the 404", lambda: lookup(worker, ERASED, None)[0] == 404)
        audit = re.compile(rf"erasure {request_id} done: .*")
        wait_for("the audit line", lambda: audit.search(worker.log()))
        line = audit.search(worker.log()).group(0)  # type: ignore[union-attr]
        assert "customer-histories=1 customer-profiles=1 customer-handles=1" in line
        assert lookup(worker, KEPT, None) == (200, kept_before)
    finally:
        worker.stop()

    app_id = settings.app_id
    histories = last_values(settings, changelog(app_id, HISTORIES_TABLE))
    profiles = last_values(settings, changelog(app_id, PROFILES_TABLE))
    handles = last_values(settings, changelog(app_id, HANDLES_TABLE))
    handle_topic = last_values(settings, settings.topic(HANDLES.name))
    erased = ERASED.encode()
    assert erased in histories and histories[erased] is None
    assert erased in profiles and profiles[erased] is None
    assert handle_of(ERASED) in handles and handles[handle_of(ERASED)] is None
    assert handle_topic[handle_of(ERASED)] is None
    for kept in (KEPT.encode(), LATE.encode()):
        assert histories[kept] is not None and profiles[kept] is not None
        assert handles[handle_of(kept.decode())] is not None
        assert handle_topic[handle_of(kept.decode())] == kept
    log = worker.log()
    assert ERASED not in log and ERASED.lower() not in log

    # No worker runs now: the request waits in the topic for the next one.
    late_request = forget(pipeline_env, LATE)
    worker = WorkerProcess(pipeline_env, tmp_path / "worker-2.log").start()
    try:
        wait_for("the 404", lambda: lookup(worker, LATE, None)[0] == 404)
        wait_for("the audit line", lambda: f"erasure {late_request} done" in worker.log())
        assert lookup(worker, KEPT, None) == (200, kept_before)
        assert LATE not in worker.log()
    finally:
        worker.stop()
