"""Broker-side group lag: the arithmetic, the partitions it covers, caching and failed reads."""

from __future__ import annotations

import logging

import pytest
from kafka import TopicPartition
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.grouplag import GroupLagCollector, PartitionLag, WatchedGroup, partition_lags
from pipeline.grouplag import watched_groups as groups_of
from pipeline.settings import load_settings


def tp(topic: str, partition: int) -> TopicPartition:
    return TopicPartition(topic, partition)


@pytest.mark.parametrize(
    ("committed", "beginning", "end", "lag"),
    [
        (40, 0, 100, 60),
        (100, 0, 100, 0),
        (None, 0, 100, 100),  # nothing committed yet: everything it will read
        (None, 30, 100, 70),  # ... which is what retention kept
        (10, 30, 100, 70),  # retention deleted past the commit: the group resets to 30
        (120, 0, 100, 0),  # committed past the end (a re-created topic): no negative lag
        (None, 0, 0, 0),
    ],
)
def test_lag_counts_what_is_left_to_read(
    committed: int | None, beginning: int, end: int, lag: int
) -> None:
    assert PartitionLag("g", "t", 0, committed, beginning, end).lag == lag


def test_partitions_of_watched_topics_count_before_any_commit() -> None:
    watched = [WatchedGroup("workers", ("voice",)), WatchedGroup("webhooks")]
    committed = {
        "workers": {tp("voice", 0): 4, tp("voice", 1): -1, tp("handles", 0): 2},
        "webhooks": {tp("alerts", 0): 7},
    }
    partitions = {"voice": [0, 1, 2], "handles": [0], "alerts": [0, 1]}
    ends = {
        tp("voice", 0): 10,
        tp("voice", 1): 6,
        tp("voice", 2): 3,
        tp("handles", 0): 2,
        tp("alerts", 0): 9,
        tp("alerts", 1): 5,
    }
    beginnings = {tp("voice", 2): 1}

    lags = partition_lags(watched, committed, partitions, beginnings, ends)

    assert [(p.group, p.topic, p.partition, p.committed, p.lag) for p in lags] == [
        ("workers", "handles", 0, 2, 0),  # committed: read although not watched
        ("workers", "voice", 0, 4, 6),
        ("workers", "voice", 1, None, 6),  # -1 from the broker: no commit
        ("workers", "voice", 2, None, 2),
        # The webhooks group read alerts: both partitions of the topic count.
        ("webhooks", "alerts", 0, 7, 2),
        ("webhooks", "alerts", 1, None, 5),
    ]


def test_a_topic_without_end_offsets_is_left_out() -> None:
    # Deleted since the group committed, or not created yet.
    watched = [WatchedGroup("workers", ("voice", "email"))]
    lags = partition_lags(
        watched, {"workers": {tp("gone", 0): 3}}, {"voice": [0]}, {}, {tp("voice", 0): 5}
    )
    assert [(p.topic, p.lag) for p in lags] == [("voice", 5)]


def test_watched_groups_follow_the_settings() -> None:
    settings = load_settings({}, app_id="care", topic_prefix="prod.")
    workers, webhooks = groups_of(settings)
    assert workers.group == "care"
    assert "prod.interactions.voice" in workers.topics
    assert "prod.interactions.rekeyed" in workers.topics
    assert webhooks == WatchedGroup("care-webhooks")


class Reads:
    """A stand-in for the broker: each read returns the next answer, or raises it."""

    def __init__(self, *answers: list[PartitionLag] | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self) -> list[PartitionLag]:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scrape(collector: GroupLagCollector) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name -> (labels, value) as Prometheus would read them; a family with no
    samples shows as an empty list."""
    registry = CollectorRegistry()
    registry.register(collector)
    metrics: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        metrics.setdefault(family.name, [])
        for sample in family.samples:
            metrics.setdefault(sample.name, []).append((sample.labels, sample.value))
    return metrics


def lag(committed: int | None, end: int, partition: int = 0) -> PartitionLag:
    return PartitionLag("care", "interactions.voice", partition, committed, 0, end)


def test_registering_does_not_read_the_broker() -> None:
    reads = Reads()
    CollectorRegistry().register(GroupLagCollector(reads))
    assert reads.calls == 0


def test_scrape_exposes_lag_offsets_and_reads() -> None:
    reads = Reads([lag(4, 10), lag(None, 6, partition=1)])
    collector = GroupLagCollector(reads, cache_s=5, wall_clock=lambda: 1.7e9)

    metrics = scrape(collector)

    where = {"group": "care", "topic": "interactions.voice"}
    assert metrics["carepipe_group_lag_messages"] == [
        ({**where, "partition": "0"}, 6),
        ({**where, "partition": "1"}, 6),
    ]
    assert metrics["carepipe_group_committed_offset"] == [({**where, "partition": "0"}, 4)]
    assert metrics["carepipe_topic_end_offset"] == [
        ({"topic": "interactions.voice", "partition": "0"}, 10),
        ({"topic": "interactions.voice", "partition": "1"}, 6),
    ]
    assert metrics["carepipe_group_lag_reads_total"] == [({}, 1)]
    assert metrics["carepipe_group_lag_read_errors_total"] == [({}, 0)]
    assert metrics["carepipe_group_lag_read_timestamp_seconds"] == [({}, 1.7e9)]


def test_frequent_scrapes_share_one_read() -> None:
    clock = Clock()
    reads = Reads([lag(4, 10)], [lag(4, 25)])
    collector = GroupLagCollector(reads, cache_s=5, clock=clock)

    assert [p.lag for p in collector.current() or []] == [6]
    clock.now += 4.9
    assert [p.lag for p in collector.current() or []] == [6]
    assert reads.calls == 1
    clock.now += 0.1
    assert [p.lag for p in collector.current() or []] == [21]
    assert reads.calls == 2


def test_a_failed_read_leaves_no_lag_and_is_counted(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    reads = Reads([lag(4, 10)], TimeoutError("broker"), TimeoutError("broker"), [lag(9, 30)])
    collector = GroupLagCollector(reads, cache_s=5, clock=clock, wall_clock=lambda: clock.now)
    scrape(collector)

    clock.now += 5
    with caplog.at_level(logging.WARNING, logger="pipeline.grouplag"):
        failed = scrape(collector)
        clock.now += 1
        scrape(collector)  # within the cache: the broker is not asked again
        clock.now += 5
        scrape(collector)
    # No figures that would look like a flat lag; when the last good read was, and the errors.
    assert failed["carepipe_group_lag_messages"] == []
    assert failed["carepipe_group_lag_read_errors_total"] == [({}, 1)]
    assert failed["carepipe_group_lag_read_timestamp_seconds"] == [({}, 1000.0)]
    assert reads.calls == 3
    assert len(caplog.records) == 1, "one warning per outage, not per scrape"

    clock.now += 5
    recovered = scrape(collector)
    assert recovered["carepipe_group_lag_messages"][0][1] == 21
    assert recovered["carepipe_group_lag_read_errors_total"] == [({}, 2)]
    assert recovered["carepipe_group_lag_reads_total"] == [({}, 4)]


def test_any_exception_leaves_the_scrape_answering() -> None:
    collector = GroupLagCollector(Reads(ValueError("unexpected")), cache_s=0)
    metrics = scrape(collector)
    assert metrics["carepipe_group_lag_read_errors_total"] == [({}, 1)]
    assert "carepipe_group_lag_read_timestamp_seconds" not in metrics
