"""Every topic of the pipeline, catalogued once: its name, schema and configuration.

Plain data, no Faust: ``carepipe topics create``, the webhook sender and the tools read it;
:func:`pipeline.worker.topics.declare` turns it into the Faust topics the agents use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """A topic's base name (before the prefix), its Avro contract and its configs."""

    name: str
    schema: str | None
    config: dict[str, str] = field(default_factory=dict)


VOICE = TopicSpec("interactions.voice", "VoiceCall")
EMAIL = TopicSpec("interactions.email", "EmailMessage")
CHAT = TopicSpec("interactions.chat", "ChatSession")
SOCIAL = TopicSpec("interactions.social", "SocialPost")
PROFILES = TopicSpec("customers.profiles", "CustomerProfile", {"cleanup.policy": "compact"})
# Internal: handle -> customer id, keyed by "platform:handle", from the profiles' handles.
HANDLES = TopicSpec("customers.handles", None, {"cleanup.policy": "compact"})
# Internal: social posts without a customer id, re-keyed by "platform:handle" so that each
# meets the partition of the handle index that can resolve it.
SOCIAL_UNRESOLVED = TopicSpec("interactions.social.unresolved", "SocialPost")
NORMALIZED = TopicSpec("interactions.normalized", "Interaction")
# Header of a normalized record: its place (1, 2, ...) in the order in which its customer's
# interactions were scored, which a record read again after a crash keeps.
SEQ_HEADER = "carepipe-customer-seq"
# Internal: normalized interactions that landed on a partition other than their customer's
# (a producer with another key or partitioner, a post resolved by its handle), re-keyed by
# customer id so that they are scored where the customer's history lives.
REKEYED = TopicSpec("interactions.rekeyed", "Interaction", {"retention.ms": str(DAY_MS)})
# Dead letters keep their original bytes, whatever they are: no schema.
DLQ = TopicSpec("interactions.dlq", None, {"retention.ms": str(30 * DAY_MS)})
ALERTS = TopicSpec("care.alerts", "CareAlert")
# What became of each customer (churned, renewed, ...), keyed by customer id, so that each
# outcome meets its customer's history: retained like the raw channels.
OUTCOMES = TopicSpec("customers.outcomes", "CustomerOutcome")
# Internal: "judge this customer's AT_RISK openings" ticks, keyed by customer id, sent when
# an opening's horizon has passed, so that the verdict is taken in the owning partition.
JUDGEMENTS = TopicSpec("care.judgements", None, {"retention.ms": str(DAY_MS)})
# Internal: "check this customer's follow-ups" ticks, keyed by customer id, so that the
# timer's work runs in the partition that owns the customer's history.
FOLLOW_UPS = TopicSpec("care.followups", None, {"retention.ms": str(DAY_MS)})
# Internal: each worker's partial one-minute windows, keyed by channel, for the windowed
# metrics: flushed about every second, merged by the worker that owns the channel.
METRIC_FACTS = TopicSpec("care.metrics.facts", None, {"retention.ms": str(DAY_MS)})
ALERTS_DLQ = TopicSpec("care.alerts.dlq", None, {"retention.ms": str(30 * DAY_MS)})
METRICS = TopicSpec("care.metrics", "ChannelMetrics")
# Erasure requests of `carepipe forget`, keyed by customer id so that each lands in the
# partition of the customer's state, then the handle sweeps they lead to (see
# processors/erasure.py). Deleted after a week, not compacted, so that the customer ids
# they carry go too: a day's segments, so that none outstays the week by more than a day.
ERASURES = TopicSpec(
    "customers.erasures", None, {"retention.ms": str(7 * DAY_MS), "segment.ms": str(DAY_MS)}
)

TOPICS = (
    VOICE,
    EMAIL,
    CHAT,
    SOCIAL,
    PROFILES,
    HANDLES,
    SOCIAL_UNRESOLVED,
    NORMALIZED,
    REKEYED,
    DLQ,
    ALERTS,
    FOLLOW_UPS,
    ALERTS_DLQ,
    METRIC_FACTS,
    METRICS,
    ERASURES,
    OUTCOMES,
    JUDGEMENTS,
)
# The worker's tables. Faust names each one's changelog "<app id>-<table>-changelog";
# admin.ensure_topics creates them with the other topics, so that a worker never meets a
# changelog that exists but whose partitions the cluster does not show yet.
HANDLES_TABLE = "customer-handles"
PROFILES_TABLE = "customer-profiles"
HISTORIES_TABLE = "customer-histories"
WINDOWS_TABLE = "channel-windows"
TABLES = (HANDLES_TABLE, PROFILES_TABLE, HISTORIES_TABLE, WINDOWS_TABLE)


def changelog(app_id: str, table: str) -> str:
    return f"{app_id}-{table}-changelog"


def is_json_key(raw: bytes) -> bool:
    """A table key as earlier versions wrote it, with Faust's JSON key serializer: a
    quoted string (``b'"C102031"'``). Keys are now the raw bytes (``b'C102031'``)."""
    return len(raw) >= 2 and raw[:1] == b'"' and raw[-1:] == b'"'


RAW_CHANNELS = {"VOICE": VOICE, "EMAIL": EMAIL, "CHAT": CHAT, "SOCIAL": SOCIAL}
# What the care agent reads: every raw channel, plus the re-keyed interactions.
CARE_INPUTS = (*RAW_CHANNELS.values(), REKEYED)
