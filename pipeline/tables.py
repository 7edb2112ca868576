"""Every Faust table of the pipeline, declared once."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from pipeline.settings import Settings


@dataclass(frozen=True)
class Tables:
    # "platform:handle" -> customer id, partitioned like customers.handles.
    handles: faust.Table
    # customer id -> CustomerProfile.to_dict(), partitioned like customers.profiles.
    profiles: faust.Table
    # customer id -> CustomerHistory.to_dict(), partitioned like interactions.normalized.
    histories: faust.Table
    # channel -> ChannelWindows.to_dict(), partitioned like care.metrics.facts.
    channel_windows: faust.Table


def declare(app: faust.App, settings: Settings) -> Tables:
    return Tables(
        handles=app.Table(
            "customer-handles",
            default=None,
            partitions=settings.topic_partitions,
            key_type=str,
            value_type=str,
            help="Social handle -> customer id, from the CRM profiles.",
        ),
        profiles=app.Table(
            "customer-profiles",
            default=None,
            partitions=settings.topic_partitions,
            key_type=str,
            help="CRM profile of each customer: tier, lifetime value, renewal.",
        ),
        histories=app.Table(
            "customer-histories",
            default=None,
            partitions=settings.topic_partitions,
            key_type=str,
            help="History of each customer: contacts, cases, sentiment, surveys, alerts.",
        ),
        channel_windows=app.Table(
            "channel-windows",
            default=None,
            partitions=settings.topic_partitions,
            key_type=str,
            help="Open one-minute windows of care figures per channel.",
        ),
    )
