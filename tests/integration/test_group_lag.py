"""``carepipe lag-exporter`` against the real broker: the lag per partition is the group's
committed offsets against the end offsets, and it grows while the group commits nothing,
as it does for a stopped worker. A broker that does not answer leaves the scrape working."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from prometheus_client.parser import text_string_to_metric_families

from pipeline.ops.workerproc import CarepipeProcess, free_port
from pipeline.settings import Settings
from pipeline.topics import CARE_INPUTS, VOICE

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, ...], float]
KEY = ("group", "topic", "partition")


def start_exporter(env: dict[str, str], log: Path) -> tuple[CarepipeProcess, str]:
    """Starts it and waits for its port; no request yet, so the first scrape is the first read."""
    exporter = CarepipeProcess("lag-exporter", env, log).start()
    port = int(env["CAREPIPE_LAG_EXPORTER_PORT"])
    url = f"http://127.0.0.1:{port}/metrics"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert exporter.running(), f"lag-exporter exited:\n{exporter.log_tail()}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return exporter, url
        except OSError:
            time.sleep(0.2)
    exporter.stop()
    raise AssertionError(f"lag-exporter did not answer on {url}:\n{exporter.log_tail()}")


def scrape(url: str) -> dict[str, Samples]:
    """Sample name -> label values (group, topic, partition, those it has) -> value."""
    with urllib.request.urlopen(url, timeout=15) as response:
        text = response.read().decode()
    metrics: dict[str, Samples] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = tuple(sample.labels[n] for n in KEY if n in sample.labels)
            metrics.setdefault(sample.name, {})[key] = sample.value
    return metrics


def produce(settings: Settings, topic: str, per_partition: dict[int, int]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    for partition, count in per_partition.items():
        for n in range(count):
            producer.send(topic, key=b"C1", value=b"v%d" % n, partition=partition)
    producer.flush()
    producer.close()


def test_lag_per_partition_grows_while_the_group_commits_nothing(
    pipeline_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    group, voice = settings.app_id, settings.topic(VOICE.name)
    produce(settings, voice, {0: 10, 1: 4})
    # The group read partition 0 up to offset 3 and nothing else, then stopped.
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    consumer.commit({TopicPartition(voice, 0): OffsetAndMetadata(3, "", -1)})
    consumer.close()
    env = {**pipeline_env, "CAREPIPE_LAG_EXPORTER_PORT": str(free_port()),
           "CAREPIPE_LAG_CACHE_SECONDS": "0"}  # fmt: skip
    exporter, url = start_exporter(env, tmp_path / "lag-exporter.log")
    try:
        metrics = scrape(url)
        lag = metrics["carepipe_group_lag_messages"]
        assert lag[(group, voice, "0")] == 7
        assert lag[(group, voice, "1")] == 4  # no commit: everything the partition holds
        assert lag[(group, voice, "2")] == 0
        for spec in CARE_INPUTS:  # every input of the workers, committed or not
            for partition in ("0", "1", "2"):
                assert (group, settings.topic(spec.name), partition) in lag
        assert metrics["carepipe_group_committed_offset"] == {(group, voice, "0"): 3}
        assert metrics["carepipe_topic_end_offset"][(voice, "0")] == 10
        assert metrics["carepipe_group_lag_read_errors_total"] == {(): 0}

        # Producers go on, the group does not commit: the lag grows.
        produce(settings, voice, {0: 5, 1: 2})
        lag = scrape(url)["carepipe_group_lag_messages"]
        assert (lag[(group, voice, "0")], lag[(group, voice, "1")]) == (12, 6)
    finally:
        code = exporter.stop()
    assert code == 0, exporter.log_tail()


def test_a_broker_that_does_not_answer_leaves_the_scrape_working(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**pipeline_env, "CAREPIPE_BROKER": f"kafka://127.0.0.1:{free_port()}",
           "CAREPIPE_LAG_EXPORTER_PORT": str(free_port()),
           "CAREPIPE_LAG_CACHE_SECONDS": "60"}  # fmt: skip
    exporter, url = start_exporter(env, tmp_path / "lag-exporter.log")
    try:
        started = time.monotonic()
        metrics = scrape(url)
        assert time.monotonic() - started < 10, "slower than Prometheus' scrape timeout"
        assert metrics["carepipe_group_lag_read_errors_total"] == {(): 1}
        assert "carepipe_group_lag_messages" not in metrics  # no figures rather than old ones
        # The failure is cached too: a dead broker is not asked on every scrape.
        assert scrape(url)["carepipe_group_lag_reads_total"] == {(): 1}
        assert "cannot read consumer lag from the broker" in exporter.log()
    finally:
        code = exporter.stop()
    assert code == 0, exporter.log_tail()
