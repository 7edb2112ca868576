"""The stall watch: which partitions it seeks back, and the Faust consumer internals it
reads (faust-streaming 0.15): ``_committed_offset``, ``_unacked_messages``, ``position``,
``seek`` and ``assignment``."""

from __future__ import annotations

import inspect
from collections import namedtuple

from pipeline.worker.stall import PartitionState, StallWatch, source_partitions

TP = namedtuple("TP", "topic partition")
VOICE = TP("interactions.voice", 1)


def waiting(committed: int | None = 1, position: int | None = 2) -> PartitionState:
    return PartitionState(committed=committed, position=position, in_flight=False)


def test_a_partition_that_waits_without_moving_is_sought_back_after_the_grace() -> None:
    watch = StallWatch(grace_s=30)
    assert watch.stalled({VOICE: waiting()}, now=0) == []
    assert watch.stalled({VOICE: waiting()}, now=29) == []
    assert watch.stalled({VOICE: waiting()}, now=30) == [VOICE]
    # Watched afresh after its seek: not again at once.
    assert watch.stalled({VOICE: waiting()}, now=31) == []
    assert watch.stalled({VOICE: waiting()}, now=60) == [VOICE]


def test_a_partition_that_moves_or_has_records_in_flight_is_left_alone() -> None:
    watch = StallWatch(grace_s=30)
    watch.stalled({VOICE: waiting(committed=1, position=3)}, now=0)
    assert watch.stalled({VOICE: waiting(committed=2, position=3)}, now=30) == []  # committed
    assert watch.stalled({VOICE: waiting(committed=2, position=4)}, now=60) == []  # position
    busy = PartitionState(committed=2, position=4, in_flight=True)
    assert watch.stalled({VOICE: busy}, now=100) == []
    assert watch.stalled({VOICE: waiting(committed=2, position=4)}, now=129) == []


def test_a_caught_up_or_not_yet_fetched_partition_never_counts_as_stalled() -> None:
    watch = StallWatch(grace_s=1)
    for now in range(5):
        assert watch.stalled({VOICE: waiting(committed=2, position=2)}, now=now) == []
        # Under a backlog a partition may wait long to be fetched: nothing handed over.
        assert watch.stalled({VOICE: waiting(committed=None, position=0)}, now=now) == []
        assert watch.stalled({VOICE: waiting(committed=None, position=None)}, now=now) == []


def test_a_partition_never_committed_with_records_handed_over_is_sought_back() -> None:
    watch = StallWatch(grace_s=10)
    never = waiting(committed=None, position=5)
    assert watch.stalled({VOICE: never}, now=0) == []
    assert watch.stalled({VOICE: never}, now=10) == [VOICE]


def test_a_revoked_partition_is_forgotten() -> None:
    watch = StallWatch(grace_s=10)
    watch.stalled({VOICE: waiting()}, now=0)
    watch.stalled({}, now=5)
    assert watch.stalled({VOICE: waiting()}, now=10) == []


def test_only_the_agents_sources_are_watched() -> None:
    assigned = [
        VOICE,
        TP("care-pipeline-customer-histories-changelog", 1),
        TP("care-pipeline-__assignor-__leader", 0),
    ]
    assert source_partitions(assigned) == [VOICE]


def test_the_faust_consumer_internals_it_reads_are_there() -> None:
    # Read from the classes: a consumer instance would open an event loop and sockets.
    from faust.transport.consumer import Consumer, ThreadDelegateConsumer
    from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer

    assert issubclass(AIOKafkaConsumer, ThreadDelegateConsumer)
    setup = inspect.getsource(Consumer.__init__)
    assert "self._committed_offset = defaultdict(lambda: None)" in setup
    assert "self._unacked_messages = WeakSet()" in setup
    assert inspect.iscoroutinefunction(AIOKafkaConsumer.position)
    assert inspect.iscoroutinefunction(AIOKafkaConsumer.seek)
    assert list(inspect.signature(AIOKafkaConsumer.seek).parameters) == [
        "self", "partition", "offset",
    ]  # fmt: skip
    assert callable(AIOKafkaConsumer.assignment)
    # What the stream skips without an ack: the case the watch exists for.
    from faust.streams import Stream

    assert "Skipping message" in inspect.getsource(Stream._py_aiter)
