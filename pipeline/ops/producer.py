"""Sends raw events to the pipeline's input topics with kafka-python (demo, tests, tools)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from kafka import KafkaProducer

import schemas
from pipeline.kafkaclients import kafka_python_config
from pipeline.settings import Settings
from pipeline.simulation.sample import RawEvent, sample_events, sample_outcomes
from pipeline.topics import OUTCOMES, PROFILES, RAW_CHANNELS, TopicSpec

SPECS: dict[str, TopicSpec] = {**RAW_CHANNELS, "PROFILE": PROFILES, "OUTCOME": OUTCOMES}


def producer(settings: Settings) -> KafkaProducer:
    return KafkaProducer(
        **kafka_python_config(settings),
        client_id=f"{settings.app_id}-producer",
        acks="all",
        linger_ms=5,
    )


def send_events(settings: Settings, events: Iterable[RawEvent]) -> dict[str, int]:
    """Encodes each event with its channel's contract and sends it; returns counts by channel."""
    counts: Counter[str] = Counter()
    client = producer(settings)
    try:
        for event in events:
            spec = SPECS[event.channel]
            value = schemas.codec(spec.schema or "").encode(event.record)
            client.send(settings.topic(spec.name), key=event.key.encode(), value=value)
            counts[event.channel] += 1
        client.flush()
    finally:
        client.close()
    return dict(counts)


def send_sample(settings: Settings, customers: int, events: int, seed: int) -> dict[str, int]:
    """The sample's profiles and events, then what became of some of its customers."""
    now = datetime.now(UTC).replace(microsecond=0)
    stream = [
        *sample_events(customers=customers, events=events, seed=seed, now=now),
        *sample_outcomes(customers=customers, seed=seed, now=now),
    ]
    return send_events(settings, stream)
