"""The worker's Faust topics, declared once from the catalogue in :mod:`pipeline.topics`.

Nothing else calls ``app.topic()``.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from pipeline.settings import Settings
from pipeline.topics import (
    ALERTS,
    CARE_INPUTS,
    DLQ,
    ERASURES,
    FOLLOW_UPS,
    HANDLES,
    JUDGEMENTS,
    METRIC_FACTS,
    METRICS,
    NORMALIZED,
    OUTCOMES,
    PROFILES,
    RAW_CHANNELS,
    REKEYED,
    SOCIAL_UNRESOLVED,
    TopicSpec,
)
from pipeline.worker import codecs


@dataclass(frozen=True)
class Topics:
    """The Faust topics of one app. Raw inputs are read as bytes so that a record that
    does not decode can be dead-lettered untouched."""

    raw: dict[str, faust.TopicT]
    # One Faust topic over the raw channels and interactions.rekeyed: the care agent's input.
    care_inputs: faust.TopicT
    rekeyed: faust.TopicT
    profiles: faust.TopicT
    handles: faust.TopicT
    social_unresolved: faust.TopicT
    normalized: faust.TopicT
    dlq: faust.TopicT
    alerts: faust.TopicT
    follow_ups: faust.TopicT
    metric_facts: faust.TopicT
    metrics: faust.TopicT
    erasures: faust.TopicT
    outcomes: faust.TopicT
    judgements: faust.TopicT


def declare(app: faust.App, settings: Settings) -> Topics:
    def topic(spec: TopicSpec, value_serializer: str) -> faust.TopicT:
        return app.topic(
            settings.topic(spec.name),
            key_serializer="raw",
            value_serializer=value_serializer,
            partitions=settings.topic_partitions,
            replicas=settings.topic_replication,
            config=spec.config or None,
        )

    return Topics(
        raw={channel: topic(spec, "raw") for channel, spec in RAW_CHANNELS.items()},
        care_inputs=app.topic(
            *(settings.topic(spec.name) for spec in CARE_INPUTS),
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.topic_partitions,
            replicas=settings.topic_replication,
        ),
        rekeyed=topic(REKEYED, "raw"),
        profiles=topic(PROFILES, "raw"),
        handles=topic(HANDLES, "raw"),
        social_unresolved=topic(SOCIAL_UNRESOLVED, "raw"),
        normalized=topic(NORMALIZED, "raw"),
        dlq=topic(DLQ, "raw"),
        alerts=topic(ALERTS, codecs.serializer(settings.topic(ALERTS.name), "CareAlert")),
        follow_ups=topic(FOLLOW_UPS, "raw"),
        metric_facts=topic(METRIC_FACTS, "json"),
        metrics=topic(METRICS, codecs.serializer(settings.topic(METRICS.name), "ChannelMetrics")),
        erasures=topic(ERASURES, "raw"),
        outcomes=topic(OUTCOMES, "raw"),
        judgements=topic(JUDGEMENTS, "raw"),
    )
