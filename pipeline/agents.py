"""The normalize stage: one agent per raw channel topic, plus the social handle index.

Agents only move records: decode with the registered codec, call the processors, send the
result or dead-letter the original bytes. A Faust agent that raises acks its message and
moves on, so every record is handled inside its own try block.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import faust

from pipeline import codecs
from pipeline.tables import Tables
from pipeline.topics import RAW_CHANNELS, Topics
from processors.errors import DeadLetter
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
UNEXPECTED = "PROCESSING_ERROR"


def register(
    app: faust.App,
    topics: Topics,
    tables: Tables,
    normalizer: Normalizer,
    metrics: PipelineMetrics,
) -> None:
    """Declares the normalize agents on ``app``."""
    dead_letters = KafkaDeadLetterSink(topics.dlq, STAGE, metrics)

    interaction_codec = codecs.get("Interaction")

    async def emit(interaction: Interaction) -> None:
        await topics.normalized.send(
            key=interaction.customer_id.encode(),
            value=interaction_codec.dumps(interaction.to_record()),
        )

    for channel, spec in RAW_CHANNELS.items():
        codec = codecs.get(spec.schema or "")
        normalize = normalizer.for_channel(channel)
        divert = _divert_unresolved(topics) if channel == "SOCIAL" else None
        app.agent(topics.raw[channel], name=f"normalize-{channel.lower()}")(
            _normalize_agent(codec, normalize, emit, dead_letters, metrics, divert)
        )

    app.agent(topics.social_unresolved, name="normalize-social-by-handle")(
        _normalize_agent(codecs.get("SocialPost"), normalizer.social, emit, dead_letters, metrics)
    )

    profile_codec = codecs.get("CustomerProfile")

    @app.agent(topics.profiles, name="store-profiles")
    async def store_profiles(stream: faust.StreamT) -> None:
        async for event in stream.events():
            source, _ = _origin(event)
            if event.value is None:  # a deleted profile; its handles stay in the index
                if event.key is not None:
                    tables.profiles.pop(event.key.decode(), None)
                continue
            try:
                profile = profile_codec.loads(event.value)
            except AvroDecodeError as exc:
                await dead_letters.send(event.key, event.value, exc, exc.reason, source)
                continue
            customer = CustomerProfile.from_record(profile)
            tables.profiles[customer.customer_id] = customer.to_dict()
            for platform, handle in customer.social_handles:
                key = handle_key(platform, handle)
                await topics.handles.send(key=key.encode(), value=customer.customer_id.encode())

    @app.agent(topics.handles, name="store-handles")
    async def store_handles(stream: faust.StreamT) -> None:
        async for event in stream.events():
            key = event.key.decode()
            if event.value is None:
                tables.handles.pop(key, None)
            else:
                tables.handles[key] = event.value.decode()


Normalize = Callable[[Mapping[str, Any], Source, datetime], Interaction]
Divert = Callable[[faust.EventT, Mapping[str, Any], Source], Awaitable[bool]]


def _normalize_agent(
    codec: codecs.AvroCodec,
    normalize: Normalize,
    emit: Callable[[Interaction], Awaitable[None]],
    dead_letters: KafkaDeadLetterSink,
    metrics: PipelineMetrics,
    divert: Divert | None = None,
) -> Callable[[faust.StreamT], Awaitable[None]]:
    async def agent(stream: faust.StreamT) -> None:
        async for event in stream.events():
            source, key = _origin(event)
            started = time.perf_counter()
            try:
                record = codec.loads(event.value)
                if divert is not None and await divert(event, record, source):
                    continue
                interaction = normalize(record, source, datetime.now(UTC))
            except (AvroDecodeError, DeadLetter) as exc:
                await dead_letters.send(key, event.value, exc, exc.reason, source)
                continue
            except Exception as exc:  # a bug must not stop the partition: keep the record
                log.exception("normalize failed on %s[%d]@%d", *_position(source))
                await dead_letters.send(key, event.value, exc, UNEXPECTED, source)
                continue
            await emit(interaction)
            metrics.normalized(interaction, time.perf_counter() - started)

    return agent


def _divert_unresolved(topics: Topics) -> Divert:
    """Sends a post without customer id to the partition of its handle, to be resolved there."""

    async def divert(event: faust.EventT, post: Mapping[str, Any], source: Source) -> bool:
        if (post.get("customer_id") or "").strip():
            return False
        await topics.social_unresolved.send(
            key=handle_key(post["platform"], post["handle"]).encode(),
            value=event.value,
            headers=[
                (ORIGIN_TOPIC, source.topic.encode()),
                (ORIGIN_PARTITION, str(source.partition).encode()),
                (ORIGIN_OFFSET, str(source.offset).encode()),
                *([(ORIGIN_KEY, event.key)] if event.key is not None else []),
            ],
        )
        return True

    return divert


def _origin(event: faust.EventT) -> tuple[Source, bytes | None]:
    """Where the record came from and its key there: the original ones for re-keyed records."""
    message = event.message
    headers = _headers(message.headers)
    if ORIGIN_TOPIC in headers:
        source = Source(
            headers[ORIGIN_TOPIC].decode(),
            int(headers[ORIGIN_PARTITION]),
            int(headers[ORIGIN_OFFSET]),
        )
        return source, headers.get(ORIGIN_KEY)
    return Source(message.topic, message.partition, message.offset), event.key


def _headers(raw: Mapping[str, bytes] | Sequence[tuple[str, bytes]] | None) -> dict[str, bytes]:
    if not raw:
        return {}
    return dict(raw.items()) if isinstance(raw, Mapping) else dict(raw)


def _position(source: Source) -> tuple[str, int, int]:
    return source.topic, source.partition, source.offset


def handle_resolver(handles: faust.Table) -> Callable[[str, str], str | None]:
    """Looks a social handle up in this worker's partitions of the handle index."""

    def resolve(platform: str, handle: str) -> str | None:
        customer_id: str | None = handles.get(handle_key(platform, handle))
        return customer_id

    return resolve
