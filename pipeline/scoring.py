"""The enrich+score stage: customer history, risk and care alerts, as Faust agents.

One agent reads ``interactions.normalized`` (keyed by customer id), so each customer's
interactions meet the one worker that owns that customer's history. A timer finds the
follow-ups that are due in this worker's partitions and sends a tick through
``care.followups``, whose agent decides in the owning partition.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime

import faust

from pipeline import codecs
from pipeline.tables import Tables
from pipeline.topics import Topics
from processors.alerts import CareAlert, due_follow_ups, follow_up
from processors.care import process_interaction
from processors.channel_windows import MetricFact
from processors.history import CustomerHistory, ms
from processors.interaction import Interaction, Source
from processors.profile import CustomerProfile
from processors.rules import Rules
from schemas import AvroDecodeError
from sinks.deadletter import KafkaDeadLetterSink
from sinks.metrics import PipelineMetrics

log = logging.getLogger(__name__)

STAGE = "score"


def register(
    app: faust.App,
    topics: Topics,
    tables: Tables,
    rules: Rules,
    metrics: PipelineMetrics,
    follow_up_every_s: float,
) -> None:
    """Declares the scoring agents and the follow-up timer on ``app``."""
    dead_letters = KafkaDeadLetterSink(topics.dlq, STAGE, metrics)
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
            metrics.alerted(alert)
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
            started = time.perf_counter()
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
            if outcome.duplicate or outcome.risk is None:
                continue
            histories[interaction.customer_id] = outcome.history.to_dict()
            await send(outcome.alerts)
            fact = metric_fact(interaction, outcome.first_contact, outcome.alerts)
            await topics.metric_facts.send(key=interaction.channel.encode(), value=asdict(fact))
            metrics.scored(
                interaction, outcome.risk, outcome.first_contact, time.perf_counter() - started
            )

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


def metric_fact(
    interaction: Interaction, first_contact: bool, alerts: list[CareAlert]
) -> MetricFact:
    """What ``interaction`` adds to its channel's one-minute window."""
    survey = interaction.survey
    return MetricFact(
        channel=interaction.channel,
        occurred_at=ms(interaction.occurred_at),
        sentiment=interaction.sentiment,
        outcome=interaction.outcome,
        first_contact=first_contact,
        handle_seconds=interaction.handle_seconds,
        csat=survey.csat if survey else None,
        nps=survey.nps if survey else None,
        ces=survey.ces if survey else None,
        at_risk_opened=any(a.alert_type == "AT_RISK" and a.version == 1 for a in alerts),
    )
