"""Sends an erasure request (``carepipe forget``) to the workers through Kafka."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from pipeline import admin
from pipeline.kafkaclients import kafka_python_config
from pipeline.settings import Settings
from pipeline.topics import ERASURES
from processors.erasure import ErasureRequest, check_customer_id, check_reason


@dataclass(frozen=True)
class ErasureReceipt:
    """Where the request went: what the operator keeps (no customer id in it)."""

    request_id: str
    topic: str
    partition: int
    offset: int


def request_erasure(
    settings: Settings, customer_id: str, reason: str | None = None, timeout_s: float = 30.0
) -> ErasureReceipt:
    """Sends the request, keyed by the customer id, and returns once the broker has it.

    ValueError for a customer id or reason that cannot be one; AdminError when the topic
    is missing (and may not be created) or the broker does not take the request.
    """
    customer_id = check_customer_id(customer_id)
    request = ErasureRequest(
        request_id=uuid.uuid4().hex,
        requested_at_ms=int(time.time() * 1000),
        reason=check_reason(reason),
    )
    topic = settings.topic(ERASURES.name)
    if settings.create_topics:
        admin.ensure_topics(settings, timeout_s)
    else:
        _check_exists(settings, topic)
    try:
        producer = KafkaProducer(
            **kafka_python_config(settings),
            client_id=f"{settings.app_id}-forget",
            acks="all",
        )
    except KafkaError as exc:
        raise admin.AdminError(f"cannot reach the broker at {settings.broker}: {exc}") from exc
    try:
        future = producer.send(topic, key=customer_id.encode(), value=request.to_bytes())
        metadata = future.get(timeout=timeout_s)
    except KafkaError as exc:
        raise admin.AdminError(f"the erasure request was not sent to {topic}: {exc}") from exc
    finally:
        producer.close()
    return ErasureReceipt(request.request_id, topic, metadata.partition, metadata.offset)


def _check_exists(settings: Settings, topic: str) -> None:
    consumer = KafkaConsumer(**kafka_python_config(settings), group_id=None)
    try:
        if not consumer.partitions_for_topic(topic):
            raise admin.AdminError(
                f"topic {topic} does not exist and CAREPIPE_CREATE_TOPICS=false: "
                "run `carepipe topics create` first"
            )
    finally:
        consumer.close()
