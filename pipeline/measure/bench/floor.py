"""The Faust floor: a bare Faust app that consumes the raw topics, decodes each event, does
one table write and produces one record, with the worker's Faust settings and none of its
care logic. What the framework's per-record path costs sets a floor under any pipeline
built on it; ``carepipe bench`` measures it like the pipeline, in a child process of its
own (``carepipe bench-floor``)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import faust

import schemas
from pipeline.kafkaclients import faust_credentials, kafka_python_config
from pipeline.settings import Settings
from pipeline.topics import RAW_CHANNELS, TopicSpec, changelog

FLOOR_SINK = TopicSpec("bench.floor", None)
FLOOR_TABLE = "floor-last"


def ensure_floor_sink(settings: Settings) -> None:
    """Create the floor's output topic and its table's changelog unless they exist."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    client = KafkaAdminClient(**kafka_python_config(settings))
    try:
        for name in floor_outputs(settings):
            with contextlib.suppress(TopicAlreadyExistsError):
                client.create_topics(
                    [NewTopic(name, settings.topic_partitions, settings.topic_replication)]
                )
    finally:
        client.close()


def floor_app_id(settings: Settings) -> str:
    return f"{settings.app_id}-floor"


def floor_outputs(settings: Settings) -> list[str]:
    """The topics the floor writes: its sink and its table's changelog."""
    return [settings.topic(FLOOR_SINK.name), changelog(floor_app_id(settings), FLOOR_TABLE)]


def build_floor_app(settings: Settings) -> faust.App:
    """The worker's consumer, producer and table settings (pipeline/worker/app.py), one
    agent over the four raw topics, one table keyed by customer."""
    app = faust.App(
        floor_app_id(settings),
        broker=settings.broker,
        broker_credentials=faust_credentials(settings),
        store="rocksdb://" if settings.store == "rocksdb" else "memory://",
        # Per app id, like the worker: a store remembers the changelog offsets of its app.
        datadir=str(Path(settings.data_dir) / floor_app_id(settings)),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.heartbeat_interval_seconds,
        producer_linger=0.02,
        producer_max_batch_size=256 * 1024,
    )
    codecs = {
        settings.topic(spec.name): schemas.codec(spec.schema or "")
        for spec in RAW_CHANNELS.values()
    }
    raw = app.topic(*codecs, key_serializer="raw", value_serializer="raw")
    sink = app.topic(settings.topic(FLOOR_SINK.name), key_serializer="raw", value_serializer="raw")
    # Values in Faust's default JSON, like the worker's tables.
    last = app.Table(FLOOR_TABLE, key_type=bytes, partitions=settings.topic_partitions)

    @app.agent(raw)
    async def floor(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            codec = codecs[event.message.topic]
            record = codec.decode(event.value)
            last[event.key] = record
            await sink.send(key=event.key, value=codec.encode(record))

    return app


def run_floor(settings: Settings) -> None:
    """Runs the floor app until SIGTERM, like ``carepipe worker``."""
    app = build_floor_app(settings)
    worker = faust.Worker(app, loglevel=settings.log_level)
    worker.spinner = None
    worker.execute_from_commandline()
