"""Registers one Faust codec per Avro contract: ``avro-<Schema>`` (e.g. ``avro-Interaction``)."""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

import schemas


class AvroCodec(codecs.Codec):
    """Faust codec over the shared single-object codec of one schema."""

    def __init__(self, schema_name: str, **kwargs: Any) -> None:
        self.avro = schemas.codec(schema_name)
        super().__init__(schema_name=schema_name, **kwargs)

    def _dumps(self, obj: Any) -> bytes:
        return self.avro.encode(obj)

    def _loads(self, s: bytes) -> Any:
        return self.avro.decode(s)


def register() -> None:
    """Idempotent: makes every contract in schemas/ available as a Faust serializer."""
    for name in schemas.schema_names():
        codecs.register(f"avro-{name}", AvroCodec(name))


def get(name: str) -> AvroCodec:
    codec = codecs.get_codec(f"avro-{name}")
    assert isinstance(codec, AvroCodec)
    return codec
