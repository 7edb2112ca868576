"""``carepipe webhooks``: reads care.alerts in its own consumer group and hands each alert
to the webhook sink; commits an alert's offset only once every endpoint has taken it or it
has been dead-lettered (at-least-once), so a slow endpoint never stalls scoring.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from prometheus_client import REGISTRY, start_http_server

from pipeline import admin
from pipeline.delivery.webhooksfile import load_endpoints
from pipeline.grouplag import group_lag_collector
from pipeline.kafkaclients import kafka_python_config
from pipeline.schemaregistry import SchemaRegistry
from pipeline.settings import Settings
from pipeline.topics import ALERTS, ALERTS_DLQ
from processors.errors import StartupError
from processors.interaction import Source
from sinks.errors import DeliveryInterrupted
from sinks.metrics import PipelineMetrics
from sinks.webhook import AlertMessage, UrllibTransport, WebhookSink
from sinks.webhook_endpoints import Endpoint, WebhooksFileError

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 1000
DEAD_LETTER_TIMEOUT_S = 30.0


class WebhooksError(StartupError, RuntimeError):
    """``carepipe webhooks`` cannot start; the message says what to fix."""


def consumer_group(settings: Settings) -> str:
    return settings.webhooks_group


def run_webhooks(settings: Settings) -> int:
    """Runs until SIGTERM or SIGINT; returns the exit code."""
    if settings.webhooks_file is None:
        raise WebhooksError(
            "CAREPIPE_WEBHOOKS_FILE is not set: point it at a YAML list of endpoints"
        )
    try:
        # The secrets' variable names come from the file, so they are read here.
        endpoints = load_endpoints(settings.webhooks_file, os.environ)
    except WebhooksFileError as exc:
        raise WebhooksError(f"CAREPIPE_WEBHOOKS_FILE: {exc}") from exc
    logging.basicConfig(
        level=settings.log_level.upper(), format="[%(asctime)s] %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    if settings.create_topics:
        try:
            admin.ensure_topics(settings)
        except admin.AdminError as exc:
            raise WebhooksError(str(exc)) from exc

    metrics = PipelineMetrics()
    # The groups' lag as the broker reports it, from outside the workers (a stalled worker
    # cannot be scraped); served beside the delivery counters, read when scraped.
    lag, lag_reader = group_lag_collector(settings, client_id=f"{consumer_group(settings)}-lag")
    REGISTRY.register(lag)
    try:
        server, _ = start_http_server(settings.webhooks_metrics_port, addr=settings.web_host)
    except OSError as exc:
        raise WebhooksError(
            f"CAREPIPE_WEBHOOKS_METRICS_PORT: cannot serve metrics on "
            f"{settings.web_host}:{settings.webhooks_metrics_port}: {exc.strerror}"
        ) from exc
    producer = KafkaProducer(
        **kafka_python_config(settings),
        client_id=f"{consumer_group(settings)}-dlq",
        acks="all",
    )
    dlq_topic = settings.topic(ALERTS_DLQ.name)

    def dead_letter(
        key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        # Acknowledged before the offset is committed: a dead letter is never lost.
        producer.send(dlq_topic, key=key, value=value, headers=headers).get(DEAD_LETTER_TIMEOUT_S)

    sink = WebhookSink(endpoints, UrllibTransport(), dead_letter, metrics)
    # The sink decodes either framing; the registry tells it schema ids it has not met.
    registry = SchemaRegistry.from_settings(settings)
    consumer = _consumer(settings, endpoints)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()
        sink.interrupt()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "delivering %s to %s (group %s); metrics on %s:%d",
        settings.topic(ALERTS.name),
        ", ".join(endpoint.name for endpoint in endpoints),
        consumer_group(settings),
        settings.web_host,
        settings.webhooks_metrics_port,
    )
    try:
        _consume(consumer, sink, stop, registry)
    except KafkaError as exc:
        log.error("stopped by a Kafka error: %s", exc)
        return 1
    finally:
        consumer.close(autocommit=False)
        sink.close()
        producer.close()
        server.shutdown()
        server.server_close()
        lag_reader.close()
        if registry is not None:
            registry.close()
    return 0


def _consumer(settings: Settings, endpoints: list[Endpoint]) -> KafkaConsumer:
    # One alert at a time; the group must not evict us while one alert is retried (in
    # parallel on every endpoint) and then dead-lettered (one endpoint after the other).
    worst_s = max(endpoint.config.worst_case_seconds() for endpoint in endpoints)
    worst_s += DEAD_LETTER_TIMEOUT_S * len(endpoints)
    return KafkaConsumer(
        settings.topic(ALERTS.name),
        **kafka_python_config(settings),
        group_id=consumer_group(settings),
        client_id=consumer_group(settings),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=int(max(300.0, worst_s + 60) * 1000),
    )


def _consume(
    consumer: KafkaConsumer,
    sink: WebhookSink,
    stop: threading.Event,
    registry: SchemaRegistry | None,
) -> None:
    while not stop.is_set():
        batches = consumer.poll(timeout_ms=POLL_TIMEOUT_MS, max_records=1)
        for records in batches.values():
            for r in records:
                message = AlertMessage(
                    r.key, r.value, list(r.headers or ()), Source(r.topic, r.partition, r.offset)
                )
                if registry is not None:
                    registry.learn(r.value)
                try:
                    sink.send(message)
                except DeliveryInterrupted:
                    return  # not committed: delivered again after the restart
                offset = OffsetAndMetadata(r.offset + 1, "", -1)
                try:
                    consumer.commit({TopicPartition(r.topic, r.partition): offset})
                except CommitFailedError as exc:
                    # The partition moved to another member, which resends this alert.
                    log.warning(
                        "commit of %s[%d]@%d failed: %s", r.topic, r.partition, r.offset, exc
                    )
