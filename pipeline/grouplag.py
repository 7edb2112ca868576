"""Consumer lag as the broker sees it: each group's committed offsets against end offsets.

Read when Prometheus scrapes, from a process that is not the worker (``carepipe
lag-exporter``, ``carepipe webhooks``): a worker that is stopped or no longer fetches
commits nothing while producers go on writing, so this lag grows where the worker's own
Faust gauges stay flat. kafka-python only, no Faust.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pipeline.kafkaclients import kafka_python_config
from pipeline.settings import Settings
from pipeline.topics import CARE_INPUTS

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 3.0
DEFAULT_CACHE_S = 5.0
LABELS = ("group", "topic", "partition")


@dataclass(frozen=True)
class WatchedGroup:
    """A consumer group, and the topics it must read even before it commits anything.

    >>> WatchedGroup("care-pipeline", ("interactions.voice",)).topics
    ('interactions.voice',)
    """

    group: str
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartitionLag:
    """One partition of one group: the offset it committed (None: none yet), the oldest
    offset the partition still holds, and its end (the offset of the next record).

    >>> PartitionLag("g", "t", 0, committed=40, beginning=0, end=100).lag
    60
    >>> PartitionLag("g", "t", 1, committed=None, beginning=10, end=100).lag
    90
    """

    group: str
    topic: str
    partition: int
    committed: int | None
    beginning: int
    end: int

    @property
    def lag(self) -> int:
        """Records the group has still to read. Without a committed offset, or with one that
        retention has deleted past, the group starts at the oldest record (the pipeline's
        consumers reset to earliest), so everything the partition holds counts."""
        start = self.beginning if self.committed is None else max(self.committed, self.beginning)
        return max(0, self.end - start)


def partition_lags(
    watched: Sequence[WatchedGroup],
    committed: Mapping[str, Mapping[TopicPartition, int]],
    partitions: Mapping[str, Iterable[int]],
    beginnings: Mapping[TopicPartition, int],
    ends: Mapping[TopicPartition, int],
) -> list[PartitionLag]:
    """The lag of every partition of each group's topics and of every partition it committed.

    ``committed`` is group -> partition -> offset (negative: none); ``partitions`` is
    topic -> partition ids. A partition whose end offset is unknown (its topic is gone) is
    left out, so a deleted topic does not leave a lag behind.
    """
    lags = []
    for spec in watched:
        offsets = {tp: offset for tp, offset in committed.get(spec.group, {}).items()}
        topics = set(spec.topics) | {tp.topic for tp in offsets}
        tps = {TopicPartition(topic, p) for topic in topics for p in partitions.get(topic, ())}
        for tp in sorted(tps | set(offsets)):
            if tp not in ends:
                continue
            offset = offsets.get(tp)
            lags.append(
                PartitionLag(
                    spec.group,
                    tp.topic,
                    tp.partition,
                    committed=offset if offset is not None and offset >= 0 else None,
                    beginning=beginnings.get(tp, 0),
                    end=ends[tp],
                )
            )
    return lags


class BrokerOffsets:
    """Reads committed, oldest and end offsets from the cluster; clients are made on the
    first read and made again after a failed one (kafka-python reconnects on its own, but
    a client that timed out may hold half-done requests)."""

    def __init__(
        self,
        client_config: Mapping[str, Any],
        watched: Sequence[WatchedGroup],
        client_id: str = "carepipe-lag",
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.client_config = dict(client_config)
        self.watched = tuple(watched)
        self.client_id = client_id
        self.timeout_ms = int(timeout_s * 1000)
        self._admin: KafkaAdminClient | None = None
        self._consumer: KafkaConsumer | None = None

    def read(self) -> list[PartitionLag]:
        try:
            return self._read()
        except Exception:
            self.close()
            raise

    def _read(self) -> list[PartitionLag]:
        admin, consumer = self._clients()
        committed = {
            spec.group: {
                tp: meta.offset
                for tp, meta in admin.list_group_offsets({spec.group: None})
                .get(spec.group, {})
                .items()
            }
            for spec in self.watched
        }
        topics = {t for spec in self.watched for t in spec.topics}
        topics |= {tp.topic for offsets in committed.values() for tp in offsets}
        partitions = {
            described["name"]: [p["partition_index"] for p in described["partitions"]]
            for described in (admin.describe_topics(sorted(topics)) if topics else [])
            if described["error_code"] == 0  # else unknown: not created yet, or deleted
        }
        tps = [TopicPartition(topic, p) for topic, ids in partitions.items() for p in ids]
        if not tps:
            return []
        beginnings = consumer.beginning_offsets(tps, timeout_ms=self.timeout_ms)
        ends = consumer.end_offsets(tps, timeout_ms=self.timeout_ms)
        return partition_lags(self.watched, committed, partitions, beginnings, ends)

    def _clients(self) -> tuple[KafkaAdminClient, KafkaConsumer]:
        common = {
            **self.client_config,
            "client_id": self.client_id,
            "request_timeout_ms": self.timeout_ms,
            "bootstrap_timeout_ms": self.timeout_ms,
        }
        if self._admin is None:
            self._admin = KafkaAdminClient(**common)
        if self._consumer is None:
            self._consumer = KafkaConsumer(group_id=None, enable_auto_commit=False, **common)
        return self._admin, self._consumer

    def close(self) -> None:
        for client in (self._consumer, self._admin):
            if client is not None:
                try:
                    client.close()
                except Exception:  # closing after a failure: nothing more to do
                    log.debug("closing a lag client failed", exc_info=True)
        self._admin = self._consumer = None


class GroupLagCollector(Collector):
    """Prometheus collector: reads the lag when scraped, at most once per ``cache_s``.

    A read that fails (a broker that does not answer within its timeout) is counted and
    logged, and the scrape goes on without lag series rather than with old figures that
    would look flat; the failure is cached like a success, so a dead broker is not asked
    on every scrape.
    """

    def __init__(
        self,
        read: Callable[[], list[PartitionLag]],
        cache_s: float = DEFAULT_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._read = read
        self.cache_s = cache_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()  # scrapes may come in on several threads
        self._read_at: float | None = None
        self._lags: list[PartitionLag] | None = None
        self._last_success: float | None = None
        self._failing = False
        self.reads = 0
        self.errors = 0

    def current(self) -> list[PartitionLag] | None:
        """The lags to serve now, read again if the cached ones are too old; None after a
        failed read."""
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self.cache_s:
                self._read_at = now
                self.reads += 1
                try:
                    self._lags = self._read()
                except Exception as exc:  # any failure: the scrape must still answer
                    if not self._failing:  # once per outage, not once per scrape
                        log.warning("cannot read consumer lag from the broker: %r", exc)
                    self._failing = True
                    self.errors += 1
                    self._lags = None
                else:
                    if self._failing:
                        log.info("consumer lag read from the broker again")
                    self._failing = False
                    self._last_success = self._wall_clock()
            return self._lags

    def collect(self) -> Iterator[Metric]:
        return self._families(self.current() or [], self._last_success)

    def describe(self) -> Iterator[Metric]:
        # Without it, registering would read the broker once to learn the metric names.
        return self._families([], last_success=0.0)

    def _families(self, lags: list[PartitionLag], last_success: float | None) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "carepipe_group_lag_messages",
            "Records a consumer group has still to read, from its committed offset (or the "
            "oldest record, without one) to the end, as the broker reports them.",
            labels=LABELS,
        )
        committed = GaugeMetricFamily(
            "carepipe_group_committed_offset",
            "The offset a consumer group committed (the next one it reads), per partition.",
            labels=LABELS,
        )
        end = GaugeMetricFamily(
            "carepipe_topic_end_offset",
            "The offset of the next record written to the partition.",
            labels=("topic", "partition"),
        )
        ends: dict[tuple[str, str], int] = {}
        for p in lags:
            labels = [p.group, p.topic, str(p.partition)]
            lag.add_metric(labels, p.lag)
            if p.committed is not None:
                committed.add_metric(labels, p.committed)
            ends[(p.topic, str(p.partition))] = p.end
        for (topic, partition), value in sorted(ends.items()):
            end.add_metric([topic, partition], value)
        yield from (lag, committed, end)
        yield CounterMetricFamily(
            "carepipe_group_lag_reads",
            "Times the consumer lag was read from the broker, successfully or not.",
            value=self.reads,
        )
        yield CounterMetricFamily(
            "carepipe_group_lag_read_errors",
            "Reads of the consumer lag that failed (broker unreachable, timeout, refusal).",
            value=self.errors,
        )
        if last_success is not None:
            yield GaugeMetricFamily(
                "carepipe_group_lag_read_timestamp_seconds",
                "Unix time of the last successful read of the consumer lag.",
                value=last_success,
            )


def watched_groups(settings: Settings) -> tuple[WatchedGroup, ...]:
    """The workers' group, held to the care agent's inputs (so a worker that never
    committed shows every record as lag), and the webhook sender's group, which shows
    once it has committed: only ``carepipe webhooks`` knows it runs at all."""
    return (
        WatchedGroup(settings.app_id, tuple(settings.topic(spec.name) for spec in CARE_INPUTS)),
        WatchedGroup(settings.webhooks_group),
    )


def group_lag_collector(
    settings: Settings, client_id: str
) -> tuple[GroupLagCollector, BrokerOffsets]:
    """The collector for the settings' groups and the reader it asks (close it at the end)."""
    reader = BrokerOffsets(kafka_python_config(settings), watched_groups(settings), client_id)
    return GroupLagCollector(reader.read, settings.lag_cache_seconds), reader
