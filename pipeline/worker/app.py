"""The one Faust app of care-pipeline, built from the settings."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import timedelta

import faust

from pipeline import kafkaclients
from pipeline.modelfile import load_model
from pipeline.rulesfile import load_rules
from pipeline.schemaregistry import SchemaRegistry
from pipeline.settings import Settings
from pipeline.worker import (
    agents,
    batching,
    care,
    channel_metrics,
    codecs,
    erasure,
    garbage,
    outcomes,
    scoring,
    stall,
    tables,
    topics,
    views,
)
from pipeline.worker.monitor import setup_monitor
from processors.channel_windows import PartialWindows
from processors.model import RiskModel
from processors.normalize import NormalizeConfig, Normalizer
from processors.risk import assess
from processors.rules import Rules
from sinks.metrics import PipelineMetrics

# How often the stall watch looks, and how long a partition may wait with records past its
# committed offset, none in flight and nothing moving, before it is sought back: well past
# a commit interval (2.8 s) and the time to drain a full stream buffer.
STALL_CHECK_SECONDS = 5.0
STALL_GRACE_SECONDS = 30.0


def build_app(
    settings: Settings,
    rules: Rules | None = None,
    schema_ids: Mapping[str, int] | None = None,
    registry: SchemaRegistry | None = None,
    model: RiskModel | None = None,
) -> faust.App:
    """The worker's app: topics, tables and agents declared, not yet started.

    ``schema_ids`` (prefixed topic -> schema id) makes it write those topics' values in
    the Confluent wire format; ``registry`` is asked for the writer schemas of the
    Confluent-framed records it reads. ``model`` (else CAREPIPE_MODEL_FILE's) scores
    AT_RISK in place of the rules' points, with its own threshold.

    Every agent runs as one task (Faust's default concurrency): with more, Faust may commit
    past a record still in flight and lose it on a crash (faust #606). Scale out with
    partitions and workers instead.
    """
    codecs.register(schema_ids, registry)
    rules = rules or load_rules(settings.rules_file)
    if model is None and settings.model_file is not None:
        model = load_model(settings.model_file)
    if model is not None:
        rules = model.alerting_rules(rules)
    datadir = settings.data_dir / settings.app_id
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.app_id,
        broker=settings.broker,
        broker_credentials=kafkaclients.faust_credentials(settings),
        # The batched hot path's transport (pipeline/worker/batching.py); the producer
        # keeps Faust's own.
        broker_consumer=(
            batching.consumer_url(settings.broker)
            if settings.hot_path == "batched"
            else settings.broker
        ),
        store="rocksdb://" if settings.store == "rocksdb" else "memory://",
        # Per app id: table stores remember changelog offsets of their own app's topics.
        datadir=str(datadir),
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_allow_declare=settings.create_topics,
        table_standby_replicas=settings.standby_replicas,
        web_enabled=True,
        web_bind=settings.web_host,
        web_host=settings.advertised_web_host,
        web_port=settings.web_port,
        # Table dumps would expose customer data to anyone who reaches the port.
        web_tables_enabled=False,
        consumer_auto_offset_reset="earliest",
        # A worker killed without leaving the group holds its partitions until its session
        # ends: Faust's 60 s default is a minute with no processing for those partitions.
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.heartbeat_interval_seconds,
        # Batch what the agents send: every batch and produce request has a fixed cost in
        # the client. 20 ms adds at most that much to the latency.
        producer_linger=0.02,
        producer_max_batch_size=256 * 1024,
    )
    declared_topics = topics.declare(app, settings)
    declared_tables = tables.declare(app, settings)
    metrics = pipeline_metrics()
    setup_monitor(app)

    normalizer = Normalizer(
        NormalizeConfig(
            max_text_chars=settings.max_text_chars,
            max_future_skew=timedelta(seconds=settings.max_future_skew_seconds),
        ),
        resolve_handle=agents.handle_resolver(declared_tables.handles),
    )
    normalize = agents.NormalizeStep(
        app, declared_topics, normalizer, metrics, settings.topic_partitions
    )
    partials = PartialWindows(window_ms=int(settings.metrics_window_seconds * 1000))
    scorer = scoring.Scorer(
        app,
        declared_topics,
        declared_tables,
        rules,
        metrics,
        partials,
        cache_size=settings.history_cache_size,
        assessor=assess if model is None else model.assess,
    )
    care.register(
        app, declared_topics, normalize, scorer, metrics, batched=settings.hot_path == "batched"
    )
    agents.register(
        app, declared_topics, declared_tables, normalize, batched=settings.hot_path == "batched"
    )
    eraser = erasure.Eraser(
        app,
        declared_topics,
        declared_tables,
        scorer,
        normalizer.scorer,
        metrics,
        settings.topic_partitions,
    )
    erasure.register(app, declared_topics, eraser, batched=settings.hot_path == "batched")
    scoring.register_follow_ups(app, declared_topics, scorer, settings.follow_up_check_seconds)
    judge = outcomes.Judge(
        scorer,
        declared_topics,
        metrics,
        settings.outcome_horizon_days,
        settings.topic_partitions,
    )
    outcomes.register(
        app,
        declared_topics,
        judge,
        settings.judgement_check_seconds,
        batched=settings.hot_path == "batched",
    )
    channel_metrics.register(
        app,
        declared_topics,
        declared_tables,
        partials,
        settings.metrics_window_seconds,
        settings.metrics_window_grace_seconds,
    )
    views.register(app, declared_tables, settings)
    garbage.register(app, settings.gc_full_collect_seconds, metrics.gc_pause)
    stall.register(
        app,
        every_s=STALL_CHECK_SECONDS,
        grace_s=STALL_GRACE_SECONDS,
        on_seek=lambda topic: metrics.partition_reseeks.labels(topic=topic).inc(),
    )
    return app


@functools.cache
def pipeline_metrics() -> PipelineMetrics:
    """The process's own metrics, registered once in the default registry."""
    return PipelineMetrics()
