"""The normalize step and the agents that keep the CRM side: profiles and social handles.

Agents only move records: decode with the registered codec, call the processors, send the
result or dead-letter the original bytes. A Faust agent that raises acks its message and
moves on, so every record is handled inside its own try block.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

import faust
from faust.types import Message

from pipeline.partitioning import customer_partition
from pipeline.topics import RAW_CHANNELS
from pipeline.worker import batching, codecs
from pipeline.worker.outbox import Outbox
from pipeline.worker.tables import Tables, put_json
from pipeline.worker.topics import Topics
from processors.errors import DeadLetter, DeadLetterReason
from processors.interaction import Interaction, Source
from processors.normalize import Normalizer, handle_key
from processors.profile import CustomerProfile
from schemas import AvroDecodeError
from sinks.deadletter import KafkaDeadLetterSink
from sinks.metrics import PipelineMetrics

log = logging.getLogger(__name__)

STAGE = "normalize"
# Carried by a re-keyed record so that its lineage and dead letters name the original.
ORIGIN_TOPIC = "carepipe.origin.topic"
ORIGIN_PARTITION = "carepipe.origin.partition"
ORIGIN_OFFSET = "carepipe.origin.offset"
ORIGIN_KEY = "carepipe.origin.key"
UNEXPECTED = DeadLetterReason.PROCESSING_ERROR


class NormalizeStep:
    """Turns one raw channel record into an :class:`Interaction`.

    When the record sits on another partition than its customer's, the interaction goes to
    ``interactions.rekeyed`` and the step answers None: the customer's own partition scores
    it, and there the scorer writes ``interactions.normalized``, once per event. Records
    that fail are dead-lettered with their original bytes, and the step answers None too.
    """

    def __init__(
        self,
        app: faust.App,
        topics: Topics,
        normalizer: Normalizer,
        metrics: PipelineMetrics,
        partitions: int,
    ) -> None:
        self.app = app
        self.outbox = Outbox(app)
        self.topics = topics
        self.metrics = metrics
        self.partitions = partitions
        dlq = self.outbox.topic(topics.dlq.get_topic_name())
        self.dead_letters = KafkaDeadLetterSink(dlq, STAGE, metrics)
        self.rekeyed_topic = topics.rekeyed.get_topic_name()
        self.interaction_codec = codecs.for_topic(self.rekeyed_topic, "Interaction")
        self.channels: dict[str, tuple[str, codecs.AvroCodec, Normalize]] = {}
        for channel, spec in RAW_CHANNELS.items():
            name = topics.raw[channel].get_topic_name()
            codec = codecs.get(spec.schema or "")
            self.channels[name] = (channel, codec, normalizer.for_channel(channel))
        self.by_handle = (codecs.get("SocialPost"), normalizer.social)

    def channel_of(self, topic: str) -> str | None:
        """The channel of a raw topic; None for any other topic."""
        known = self.channels.get(topic)
        return known[0] if known else None

    async def raw(self, message: Message) -> Interaction | None:
        """A record of a raw channel topic: normalized, or diverted, or dead-lettered."""
        channel, codec, normalize = self.channels[message.topic]
        return await self._normalize(message, codec, normalize, channel == "SOCIAL")

    async def resolved_by_handle(self, message: Message) -> Interaction | None:
        """A social post re-keyed by its handle, met here by the handle index."""
        codec, normalize = self.by_handle
        return await self._normalize(message, codec, normalize, divert=False)

    async def _normalize(
        self, message: Message, codec: codecs.AvroCodec, normalize: Normalize, divert: bool
    ) -> Interaction | None:
        source, key = _origin(message)
        started = time.perf_counter()
        try:
            await codecs.learn(message.value)
            record = codec.loads(message.value)
            if divert and not (record.get("customer_id") or "").strip():
                await self._divert_to_handle(message, record, source)
                return None
            interaction = normalize(record, source, datetime.now(UTC))
        except DeadLetter as exc:  # undecodable or invalid
            await self.dead_letters.send(key, message.value, exc, exc.reason, source)
            return None
        except Exception as exc:  # a bug must not stop the partition: keep the record
            log.exception("normalize failed on %s[%d]@%d", *_position(source))
            await self.dead_letters.send(key, message.value, exc, UNEXPECTED, source)
            return None
        self.metrics.normalized(interaction, time.perf_counter() - started)
        owner = customer_partition(interaction.customer_id, self.partitions)
        if owner != message.partition or message.topic not in self.channels:
            value = self.interaction_codec.dumps(interaction.to_record())
            await self.outbox.send(
                self.rekeyed_topic, interaction.customer_id.encode(), value, owner
            )
            return None
        return interaction

    async def _divert_to_handle(
        self, message: Message, post: Mapping[str, object], source: Source
    ) -> None:
        """Sends a post without customer id to the partition of its handle, to be resolved."""
        await self.outbox.send(
            self.topics.social_unresolved.get_topic_name(),
            handle_key(str(post["platform"]), str(post["handle"])).encode(),
            message.value,
            headers=[
                (ORIGIN_TOPIC, source.topic.encode()),
                (ORIGIN_PARTITION, str(source.partition).encode()),
                (ORIGIN_OFFSET, str(source.offset).encode()),
                *([(ORIGIN_KEY, message.key)] if message.key is not None else []),
            ],
        )


Normalize = Callable[[Mapping[str, object], Source, datetime], Interaction]


def register(
    app: faust.App, topics: Topics, tables: Tables, step: NormalizeStep, batched: bool
) -> None:
    """Declares the social-handle resolution and the CRM agents on ``app``; ``batched``
    hands the CRM topics to the batched hot path (pipeline/worker/batching.py)."""
    dead_letters = step.dead_letters
    handles_topic = topics.handles.get_topic_name()
    profile_codec = codecs.get("CustomerProfile")

    async def store_profile(message: Message) -> None:
        source, _ = _origin(message)
        if message.value is None:  # a deleted profile; its handles stay in the index
            if message.key is not None:
                tables.profiles.pop(message.key, None)
            return
        try:
            await codecs.learn(message.value)
            profile = profile_codec.loads(message.value)
        except AvroDecodeError as exc:
            await dead_letters.send(message.key, message.value, exc, exc.reason, source)
            return
        customer = CustomerProfile.from_record(profile)
        put_json(tables.profiles, customer.customer_id.encode(), customer.to_dict())
        for platform, handle in customer.social_handles:
            key = handle_key(platform, handle)
            await step.outbox.send(handles_topic, key.encode(), customer.customer_id.encode())

    async def store_handle(message: Message) -> None:
        if message.value is None:
            tables.handles.pop(message.key, None)
        else:
            tables.handles[message.key] = message.value.decode()

    @app.agent(topics.social_unresolved, name="normalize-social-by-handle")
    async def normalize_by_handle(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await step.resolved_by_handle(event.message)

    @app.agent(topics.profiles, name="store-profiles")
    async def store_profiles(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await store_profile(event.message)

    @app.agent(topics.handles, name="store-handles")
    async def store_handles(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await store_handle(event.message)

    if batched:
        for topic, store in (
            (topics.profiles, store_profile),
            (topics.handles, store_handle),
            (topics.social_unresolved, step.resolved_by_handle),
        ):
            batching.register_batch_handler(
                app, topic.topics, batching.each_in_partition(app, store)
            )


def _origin(message: Message) -> tuple[Source, bytes | None]:
    """Where the record came from and its key there: the original ones for re-keyed records."""
    headers = _headers(message.headers)
    if ORIGIN_TOPIC in headers:
        source = Source(
            headers[ORIGIN_TOPIC].decode(),
            int(headers[ORIGIN_PARTITION]),
            int(headers[ORIGIN_OFFSET]),
        )
        return source, headers.get(ORIGIN_KEY)
    return Source(message.topic, message.partition, message.offset), message.key


def _headers(raw: Mapping[str, bytes] | Sequence[tuple[str, bytes]] | None) -> dict[str, bytes]:
    if not raw:
        return {}
    return dict(raw.items()) if isinstance(raw, Mapping) else dict(raw)


def _position(source: Source) -> tuple[str, int, int]:
    return source.topic, source.partition, source.offset


def handle_resolver(handles: faust.Table) -> Callable[[str, str], str | None]:
    """Looks a social handle up in this worker's partitions of the handle index."""

    def resolve(platform: str, handle: str) -> str | None:
        customer_id: str | None = handles.get(handle_key(platform, handle).encode())
        return customer_id

    return resolve
