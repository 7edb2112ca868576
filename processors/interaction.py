"""The canonical Interaction: one customer contact on any channel, as every later stage sees it.

Mirrors schemas/Interaction.avsc; ``to_record``/``from_record`` convert to and from the
Avro record dicts the codec reads and writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from processors.domain import Channel, Direction, Outcome, SentimentSource


@dataclass(frozen=True)
class Survey:
    """Survey answers; each is None when not answered. CSAT 1-5, NPS 0-10, CES 1-7."""

    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    answered_at: datetime | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "csat": self.csat,
            "nps": self.nps,
            "ces": self.ces,
            "answered_at": self.answered_at,
        }

    @property
    def nps_group(self) -> str | None:
        """PROMOTER (9-10), PASSIVE (7-8) or DETRACTOR (0-6)."""
        if self.nps is None:
            return None
        return "PROMOTER" if self.nps >= 9 else "PASSIVE" if self.nps >= 7 else "DETRACTOR"


@dataclass(frozen=True)
class SocialContext:
    """Where and how visibly a social interaction happened."""

    platform: str
    handle: str
    post_id: str
    is_public: bool
    follower_count: int
    in_reply_to: str | None = None
    handle_resolved: bool = False

    def to_record(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "handle": self.handle,
            "post_id": self.post_id,
            "is_public": self.is_public,
            "follower_count": self.follower_count,
            "in_reply_to": self.in_reply_to,
            "handle_resolved": self.handle_resolved,
        }


@dataclass(frozen=True)
class Source:
    """Where a raw record was read: topic, partition and offset identify it."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Interaction:
    """One normalized customer interaction (see schemas/Interaction.avsc for each field)."""

    interaction_id: str
    customer_id: str
    channel: Channel
    occurred_at: datetime
    normalized_at: datetime
    source: Source
    direction: Direction = "INBOUND"
    ended_at: datetime | None = None
    case_id: str | None = None
    thread_id: str | None = None
    agent_id: str | None = None
    outcome: Outcome = "NONE"
    text: str = ""
    text_truncated: bool = False
    pii_redactions: int = 0
    sentiment: float | None = None
    sentiment_source: SentimentSource = "NONE"
    queue_wait_seconds: int = 0
    handle_seconds: int = 0
    hold_seconds: int = 0
    transfers: int = 0
    bot_only: bool = False
    message_count: int = 1
    survey: Survey | None = None
    social: SocialContext | None = field(default=None)

    def to_record(self) -> dict[str, Any]:
        """The Avro record of schemas/Interaction.avsc."""
        survey, social = self.survey, self.social
        return {
            "interaction_id": self.interaction_id,
            "customer_id": self.customer_id,
            "channel": self.channel,
            "occurred_at": self.occurred_at,
            "normalized_at": self.normalized_at,
            "direction": self.direction,
            "ended_at": self.ended_at,
            "case_id": self.case_id,
            "thread_id": self.thread_id,
            "agent_id": self.agent_id,
            "outcome": self.outcome,
            "text": self.text,
            "text_truncated": self.text_truncated,
            "pii_redactions": self.pii_redactions,
            "sentiment": self.sentiment,
            "sentiment_source": self.sentiment_source,
            "queue_wait_seconds": self.queue_wait_seconds,
            "handle_seconds": self.handle_seconds,
            "hold_seconds": self.hold_seconds,
            "transfers": self.transfers,
            "bot_only": self.bot_only,
            "message_count": self.message_count,
            "survey": None if survey is None else survey.to_record(),
            "social": None if social is None else social.to_record(),
            "source_topic": self.source.topic,
            "source_partition": self.source.partition,
            "source_offset": self.source.offset,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Interaction:
        values = dict(record)
        values["source"] = Source(
            values.pop("source_topic"), values.pop("source_partition"), values.pop("source_offset")
        )
        if values.get("survey") is not None:
            values["survey"] = Survey(**values["survey"])
        if values.get("social") is not None:
            values["social"] = SocialContext(**values["social"])
        return cls(**values)
