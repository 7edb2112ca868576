"""The load the bench offers: a simulated population (``simulated``) and its pre-loading
onto the raw topics (``preload``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from kafka import KafkaProducer

import schemas
from pipeline.kafkaclients import kafka_python_config
from pipeline.ops.producer import SPECS
from pipeline.settings import Settings
from pipeline.simulation.population import PopulationConfig
from pipeline.simulation.sample import RawEvent
from pipeline.simulation.simulate import simulate


def simulated(events: int, customers: int, seed: int) -> list[RawEvent]:
    """The profiles of a simulated population, then ``events`` of its records, ending now;
    the span grows from 90 days until the population has that many records."""
    days = 90.0
    while True:
        config = PopulationConfig(end=datetime.now(UTC), customers=customers, days=days, seed=seed)
        stream = [timed.event for timed in simulate(config, max_events=events).events]
        if len(stream) >= customers + events or days > 3650:
            return stream
        days *= 2


def preload(settings: Settings, stream: list[RawEvent], advance: Callable[[int], None]) -> None:
    """Produce every event of ``stream`` to its raw topic; ``advance`` every 5,000 sent."""
    client = KafkaProducer(
        **kafka_python_config(settings),
        acks=1,
        linger_ms=20,
        batch_size=256 * 1024,
        compression_type=None,
    )
    try:
        for n, event in enumerate(stream, 1):
            spec = SPECS[event.channel]
            value = schemas.codec(spec.schema or "").encode(event.record)
            client.send(settings.topic(spec.name), key=event.key.encode(), value=value)
            if n % 5000 == 0:
                advance(5000)
        client.flush()
    finally:
        client.close()
