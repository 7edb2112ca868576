"""Every Faust table of the pipeline, declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
import orjson

from pipeline.settings import Settings
from pipeline.topics import HANDLES_TABLE, HISTORIES_TABLE, PROFILES_TABLE, WINDOWS_TABLE


@dataclass(frozen=True)
class Tables:
    # Keys are UTF-8 bytes.
    # "platform:handle" -> customer id, partitioned like customers.handles.
    handles: faust.Table
    # customer id -> CustomerProfile.to_dict() as JSON, partitioned like customers.profiles.
    profiles: faust.Table
    # customer id -> CustomerHistory (its to_dict()) as JSON, partitioned like
    # interactions.normalized.
    histories: faust.Table
    # channel -> ChannelWindows.to_dict(), partitioned like care.metrics.facts.
    channel_windows: faust.Table


def declare(app: faust.App, settings: Settings) -> Tables:
    def table(name: str, help: str, **options: object) -> faust.Table:
        # Co-partitioned with the topic that feeds it: same partition count, and keyed by
        # the raw bytes that topic's records are partitioned by (key_type=bytes is Faust's
        # raw key serializer), so that the customer lookup routes to the worker that holds
        # the row. Callers encode text keys as UTF-8.
        return app.Table(
            name,
            default=None,
            partitions=settings.topic_partitions,
            key_type=bytes,
            help=help,
            **options,
        )

    return Tables(
        handles=table(
            HANDLES_TABLE,
            "Social handle -> customer id, from the CRM profiles.",
            value_type=str,
        ),
        profiles=table(
            PROFILES_TABLE,
            "CRM profile of each customer: tier, lifetime value, renewal.",
            value_type=bytes,
        ),
        histories=table(
            HISTORIES_TABLE,
            "History of each customer: contacts, cases, sentiment, surveys, alerts.",
            value_type=bytes,
        ),
        channel_windows=table(
            WINDOWS_TABLE, "Open one-minute windows of care figures per channel."
        ),
    )


# The profile and history tables hold JSON that the worker encodes itself, once per write:
# with Faust's JSON serializer, each write would encode the value twice (for the store and
# for the changelog). The bytes are the same as that serializer's, so changelogs written
# either way read the same.


def get_json(table: faust.Table, key: bytes) -> Any:
    """The decoded value of ``key``; None when it has none."""
    stored = table.get(key)
    return orjson.loads(stored) if stored else None


def put_json(table: faust.Table, key: bytes, value: Any) -> None:
    """Writes ``value`` as JSON. A dataclass is written as orjson serializes it, its fields
    in order: a CustomerHistory gives the bytes of its ``to_dict()`` at half the cost. On
    Python 3.11 that gives each instance its own attribute dict, about 1.8 KB more for a
    history kept in the cache."""
    table[key] = orjson.dumps(value)
