"""Registers one Faust codec per Avro contract: ``avro-<Schema>`` (e.g. ``avro-Interaction``),
and, with the Confluent framing, one per output topic's schema id: ``avro-<Schema>-<id>``.

Every codec reads both framings; what it writes depends on its name. :func:`for_topic`
answers the codec to write a topic's values with; :func:`learn` fetches, once, the writer
schema of a Confluent-framed record whose id the process has not met.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.serializers import codecs

import schemas
from pipeline.schemaregistry import SchemaRegistry


class AvroCodec(codecs.Codec):
    """Faust codec over the shared codec of one schema; with ``schema_id``, it writes the
    Confluent wire format with that id, else single-object encoding."""

    def __init__(self, schema_name: str, schema_id: int | None = None, **kwargs: Any) -> None:
        self.avro = schemas.codec(schema_name)
        self.schema_id = schema_id
        super().__init__(schema_name=schema_name, schema_id=schema_id, **kwargs)

    def _dumps(self, obj: Any) -> bytes:
        return self.avro.encode(obj, self.schema_id)

    def _loads(self, s: bytes) -> Any:
        return self.avro.decode(s)


# Prefixed topic -> the schema id its values are written with (Confluent framing only).
_TOPIC_IDS: dict[str, int] = {}
_REGISTRY: list[SchemaRegistry] = []


def register(
    topic_ids: Mapping[str, int] | None = None, registry: SchemaRegistry | None = None
) -> None:
    """Idempotent: makes every contract in schemas/ available as a Faust serializer, and
    a writer for each topic of ``topic_ids`` (the ids the registry gave their schemas).
    ``registry`` is asked for the schemas of ids met in records; none: such records are
    dead-lettered."""
    for name in schemas.schema_names():
        codecs.register(f"avro-{name}", AvroCodec(name))
    _TOPIC_IDS.clear()
    _TOPIC_IDS.update(topic_ids or {})
    _REGISTRY[:] = [registry] if registry is not None else []


def serializer(topic: str, schema_name: str) -> str:
    """The name of the codec that writes ``topic``'s values (a prefixed topic name)."""
    schema_id = _TOPIC_IDS.get(topic)
    if schema_id is None:
        return f"avro-{schema_name}"
    name = f"avro-{schema_name}-{schema_id}"
    if name not in codecs.codecs:
        codecs.register(name, AvroCodec(schema_name, schema_id))
    return name


def get(name: str) -> AvroCodec:
    codec = codecs.get_codec(f"avro-{name}")
    assert isinstance(codec, AvroCodec)
    return codec


def for_topic(topic: str, schema_name: str) -> AvroCodec:
    """The codec that writes ``topic``'s values; it reads any value of the schema."""
    codec = codecs.get_codec(serializer(topic, schema_name))
    assert isinstance(codec, AvroCodec)
    return codec


async def learn(value: bytes | None) -> None:
    """Before a decode: fetches the writer schema of a Confluent-framed value whose id is
    new to the process, in a thread. Costs a dict lookup for any other value."""
    if _REGISTRY and value:
        await _REGISTRY[0].learn_async(value)
