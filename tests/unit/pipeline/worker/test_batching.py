"""The batched hot path (pipeline/worker/batching.py) replaces Faust's fetch loop and
borrows its bookkeeping. These fail if faust-streaming changes what it relies on: the loop
it replaces, the transport entry point, the consumer's ack bookkeeping and the context
variable that Faust's tables read the current event from."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import Iterator

import faust
import faust.transport
import pytest
from faust.transport.consumer import Consumer
from faust.types import TP, Message

from pipeline.worker import batching

# sha256 of faust-streaming 0.15.3's ``Consumer._drain_messages``. BatchingConsumer
# re-implements that loop; a Faust release that changes it must be read and the copy
# brought up to date before this hash is.
DRAIN_MESSAGES_SHA256 = "44a2500309e83c63"


def _source_hash(function: object) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]  # type: ignore[arg-type]


def test_the_fetch_loop_it_replaces_is_the_one_it_was_written_against() -> None:
    assert _source_hash(Consumer._drain_messages) == DRAIN_MESSAGES_SHA256


def test_the_carepipe_scheme_selects_the_batching_transport() -> None:
    assert faust.transport.by_url("carepipe://127.0.0.1:9092") is batching.Transport
    assert batching.Transport.Consumer is batching.BatchingConsumer
    assert batching.consumer_url("kafka://a:1;kafka://b:2") == "carepipe://a:1;carepipe://b:2"
    assert batching.consumer_url("a:1") == "carepipe://a:1"


def test_the_worker_consumes_through_it(worker: faust.App) -> None:
    assert isinstance(worker.consumer, batching.BatchingConsumer)
    # Every topic the worker consumes but the two low-volume ones its timers feed; the
    # erasures, outcomes and judgement ticks too, so that none runs in the middle of a
    # batch of the care agent.
    assert sorted(batching.batch_handlers(worker)) == [
        "care.judgements",
        "customers.erasures",
        "customers.handles",
        "customers.outcomes",
        "customers.profiles",
        "interactions.chat",
        "interactions.email",
        "interactions.rekeyed",
        "interactions.social",
        "interactions.social.unresolved",
        "interactions.voice",
    ]


def _message(topic: str, partition: int, offset: int) -> Message:
    return Message(
        topic, partition, offset, timestamp=0.0, timestamp_type=0, headers=[], key=b"k",
        value=b"v", checksum=None, tp=TP(topic, partition),
    )  # fmt: skip


def test_tables_see_the_record_it_acts_for(worker: faust.App) -> None:
    message = _message("interactions.voice", 2, 17)
    assert faust.current_event() is None
    with batching.acting_for(worker, message):
        event = faust.current_event()
        assert event is not None
        assert event.message is message
        assert event.message.partition == 2
    assert faust.current_event() is None


def test_records_are_grouped_by_partition_in_fetch_order() -> None:
    fetched = [
        _message("interactions.voice", 1, 5),
        _message("interactions.chat", 0, 9),
        _message("interactions.voice", 1, 6),
        _message("interactions.rekeyed", 0, 2),
    ]
    groups = list(batching.by_partition(fetched))
    assert [[(m.topic, m.offset) for m in group] for group in groups] == [
        [("interactions.voice", 5), ("interactions.voice", 6)],
        [("interactions.chat", 9), ("interactions.rekeyed", 2)],
    ]


@pytest.fixture
def consumer(worker: faust.App) -> Iterator[batching.BatchingConsumer]:
    consumer = worker.consumer
    assert isinstance(consumer, batching.BatchingConsumer)
    worker.flow_control.resume()
    yield consumer
    worker.flow_control.suspend()
    consumer._unacked_messages.clear()
    consumer._acked.clear()
    consumer._acked_index.clear()


def test_a_batch_is_pending_while_its_handler_runs_and_acked_after(
    worker: faust.App, consumer: batching.BatchingConsumer
) -> None:
    topic = "interactions.voice"
    tp = TP(topic, 0)
    worker.topics._acking_topics.add(topic)  # what subscribing an agent does
    messages = [_message(topic, 0, offset) for offset in (3, 4)]
    seen_pending: list[set[int]] = []

    async def handler(batch: list[Message]) -> None:
        seen_pending.append({m.offset for m in consumer.unacked})

    generation = worker.consumer_generation_id
    asyncio.run(consumer._dispatch({handler: messages}, generation))
    assert seen_pending == [{3, 4}]
    assert not consumer.unacked
    assert list(consumer._acked[tp]) == [3, 4]
    # Faust's check of a stalled stream sees the partition move.
    assert tp in worker.monitor.stream_inbound_time


def test_the_stalled_stream_check_reads_the_inbound_times_it_is_given() -> None:
    from faust.sensors.monitor import Monitor
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    assert "stream_inbound_time" in Monitor.__annotations__
    assert "monitor.stream_inbound_time.get(tp)" in inspect.getsource(
        AIOKafkaConsumerThread.verify_event_path
    )


def test_a_batch_fetched_under_another_generation_is_dropped_to_be_read_again(
    worker: faust.App, consumer: batching.BatchingConsumer
) -> None:
    topic = "interactions.chat"
    handled: list[Message] = []

    async def handler(batch: list[Message]) -> None:
        handled.extend(batch)

    stale = worker.consumer_generation_id - 1
    asyncio.run(consumer._dispatch({handler: [_message(topic, 1, 8)]}, stale))
    assert handled == []
    assert not consumer._acked[TP(topic, 1)]
    # Read again from its committed offset once the rebalance is over.
    assert consumer._to_reseek == {TP(topic, 1)}
    consumer._to_reseek.clear()


def test_a_handler_that_raises_leaves_its_records_unacked(
    worker: faust.App, consumer: batching.BatchingConsumer
) -> None:
    topic = "interactions.email"
    worker.topics._acking_topics.add(topic)

    async def handler(batch: list[Message]) -> None:
        raise RuntimeError("send failed for good")

    with pytest.raises(RuntimeError):
        asyncio.run(
            consumer._dispatch({handler: [_message(topic, 2, 40)]}, worker.consumer_generation_id)
        )
    assert {m.offset for m in consumer.unacked} == {40}
    assert not consumer._acked[TP(topic, 2)]
