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
    def table(name: str, help: str, **options: object) -> faust.Table:
        # Keyed by text, co-partitioned with the topic that feeds it: same partition count.
        return app.Table(
            name,
            default=None,
            partitions=settings.topic_partitions,
            key_type=str,
            help=help,
            **options,
        )

    return Tables(
        handles=table(
            "customer-handles",
            "Social handle -> customer id, from the CRM profiles.",
            value_type=str,
        ),
        profiles=table(
            "customer-profiles", "CRM profile of each customer: tier, lifetime value, renewal."
        ),
        histories=table(
            "customer-histories",
            "History of each customer: contacts, cases, sentiment, surveys, alerts.",
        ),
        channel_windows=table(
            "channel-windows", "Open one-minute windows of care figures per channel."
        ),
    )
