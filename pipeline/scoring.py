"""The enrich+score stage: customer history, risk and care alerts, as Faust agents.

One agent reads ``interactions.normalized`` (keyed by customer id), so each customer's
interactions meet the one worker that owns that customer's history. A timer finds the
follow-ups that are due in this worker's partitions and sends a tick through
``care.followups``, whose agent decides in the owning partition.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import faust

from pipeline import codecs
from pipeline.tables import Tables
from pipeline.topics import Topics
from processors.alerts import CareAlert, due_follow_ups, follow_up
from processors.care import process_interaction
from processors.history import CustomerHistory
from processors.interaction import Interaction, Source
from processors.profile import CustomerProfile
from processors.rules import Rules
from schemas import AvroDecodeError
from sinks.deadletter import KafkaDeadLetterSink

log = logging.getLogger(__name__)

STAGE = "score"


def register(
    app: faust.App, topics: Topics, tables: Tables, rules: Rules, follow_up_every_s: float
) -> None:
    """Declares the scoring agents and the follow-up timer on ``app``."""
    dead_letters = KafkaDeadLetterSink(topics.dlq, STAGE)
    interaction_codec = codecs.get("Interaction")
    histories, profiles = tables.histories, tables.profiles

    def load(customer_id: str) -> tuple[CustomerHistory | None, CustomerProfile | None]:
        stored, profile = histories.get(customer_id), profiles.get(customer_id)
        return (
            CustomerHistory.from_dict(stored) if stored else None,
            CustomerProfile.from_dict(profile) if profile else None,
        )

    async def send(alerts: list[CareAlert]) -> None:
        for alert in alerts:
            await topics.alerts.send(key=alert.customer_id.encode(), value=alert.to_record())
            log.info(
                "alert %s %s v%d %s",
                alert.alert_type,
                alert.severity,
                alert.version,
                alert.alert_id,
            )

    @app.agent(topics.normalized, name="score")
    async def score(stream: faust.StreamT) -> None:
        async for event in stream.events():
            message = event.message
            source = Source(message.topic, message.partition, message.offset)
            try:
                interaction = Interaction.from_record(interaction_codec.loads(event.value))
                history, profile = load(interaction.customer_id)
                outcome = process_interaction(
                    history, interaction, profile, rules, datetime.now(UTC)
                )
            except AvroDecodeError as exc:
                await dead_letters.send(event.key, event.value, exc, exc.reason, source)
                continue
            except Exception as exc:  # a bug must not stop the partition: keep the record
                log.exception("scoring failed on %s[%d]@%d", *source.__dict__.values())
                await dead_letters.send(event.key, event.value, exc, "PROCESSING_ERROR", source)
                continue
            if outcome.duplicate:
                continue
            histories[interaction.customer_id] = outcome.history.to_dict()
            await send(outcome.alerts)

    @app.timer(follow_up_every_s, name="find-due-follow-ups")
    async def find_due_follow_ups() -> None:
        now = datetime.now(UTC)
        for customer_id, stored in list(histories.items()):
            follow_ups = (stored or {}).get("follow_ups_due") or {}
            if any(due <= now.timestamp() * 1000 for due in follow_ups.values()):
                await topics.follow_ups.send(key=customer_id.encode(), value=b"due")

    @app.agent(topics.follow_ups, name="send-follow-ups")
    async def send_follow_ups(stream: faust.StreamT) -> None:
        async for event in stream.events():
            customer_id = event.key.decode() if event.key else ""
            history, profile = load(customer_id)
            if history is None:
                continue
            now = datetime.now(UTC)
            profile = profile or CustomerProfile.unknown(customer_id)
            alerts = [
                alert
                for case_id in due_follow_ups(history, now)
                if (alert := follow_up(history, case_id, profile, rules, now)) is not None
            ]
            if alerts:
                histories[customer_id] = history.to_dict()
                await send(alerts)
