"""Every Faust table of the pipeline, declared once."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from pipeline.settings import Settings


@dataclass(frozen=True)
class Tables:
    # "platform:handle" -> customer id, partitioned like customers.handles.
    handles: faust.Table


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
    )
