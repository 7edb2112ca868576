"""Avro codecs of the contracts. They write single-object encoding by default: marker C3 01,
the writer schema's CRC-64-AVRO fingerprint (8 bytes, little-endian), then the Avro binary
payload; any Avro library can read it from the .avsc files alone (the Avro specification,
"Single-object encoding"). Given a schema-registry id they write the Confluent wire format
instead (00, the 4-byte id, the payload). They read both (schemas/framing.py).
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import fastavro
from fastavro.read import SchemaResolutionError
from fastavro.schema import fingerprint, to_parsing_canonical_form
from fastavro.types import Schema

from processors.errors import DeadLetter, DeadLetterReason
from schemas.framing import (
    CONFLUENT_HEADER_SIZE,
    REGISTRY_SCHEMAS,
    SINGLE_OBJECT_HEADER_SIZE,
    SINGLE_OBJECT_MARKER,
    RegistrySchemas,
    confluent_header,
    framing_of,
)

MARKER = SINGLE_OBJECT_MARKER
HEADER_SIZE = SINGLE_OBJECT_HEADER_SIZE
SCHEMAS_DIR = Path(__file__).resolve().parent


class AvroDecodeError(DeadLetter, ValueError):
    """Bytes that are not a record of the expected schema: dead-letter them untouched."""

    reason = DeadLetterReason.MALFORMED_AVRO


class SchemaMismatch(AvroDecodeError):
    """A well-framed record written with a schema this codec does not know."""

    reason = DeadLetterReason.UNKNOWN_SCHEMA


class UnknownSchemaId(SchemaMismatch):
    """A Confluent-framed record whose schema id this process has not learned (yet)."""

    def __init__(self, message: str, schema_id: int) -> None:
        super().__init__(message)
        self.schema_id = schema_id


def schema_names() -> list[str]:
    """Names of the contracts shipped in schemas/ (file stems, e.g. ``VoiceCall``)."""
    return sorted(path.stem for path in SCHEMAS_DIR.glob("*.avsc"))


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """The parsed schema of ``schemas/<name>.avsc``."""
    path = SCHEMAS_DIR / f"{name}.avsc"
    if not path.is_file():
        raise KeyError(f"no schema named {name!r} in {SCHEMAS_DIR} (known: {schema_names()})")
    parsed = fastavro.parse_schema(json.loads(path.read_text()))
    if not isinstance(parsed, dict):
        raise ValueError(f"{path}: a contract is a record schema, not {type(parsed).__name__}")
    return parsed


def schema_fingerprint(schema: Mapping[str, Any]) -> bytes:
    """CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form, as written on the wire."""
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(dict(schema)), "CRC-64-AVRO"))


class SingleObjectCodec:
    """Encodes and decodes one record type, in single-object encoding or the Confluent wire
    format.

    It writes with ``schema`` and reads records written with ``schema`` or any of
    ``older`` (earlier versions of the same contract), resolving them to ``schema``; and
    Confluent-framed records whose writer schema ``registry_schemas`` knows by its id,
    resolved to ``schema`` by Avro schema resolution.

    >>> codec("VoiceCall").decode(codec("VoiceCall").encode(call))["call_id"]  # doctest: +SKIP
    """

    def __init__(
        self,
        schema: Mapping[str, Any],
        older: Iterable[Mapping[str, Any]] = (),
        registry_schemas: RegistrySchemas = REGISTRY_SCHEMAS,
    ) -> None:
        self.schema = schema
        self.name = str(schema["name"])
        self.fingerprint = schema_fingerprint(schema)
        self.header = MARKER + self.fingerprint
        self.registry_schemas = registry_schemas
        # Parsed once here: fastavro would parse a plain schema again on every call.
        self._parsed = fastavro.parse_schema(dict(schema))
        # Writer fingerprint -> the parsed writer schema and the reader schema to resolve it
        # to (None for records written with ``schema`` itself).
        self._writers: dict[bytes, tuple[Schema, Schema | None]] = {
            self.fingerprint: (self._parsed, None)
        }
        for writer in older:
            self._writers[schema_fingerprint(writer)] = (
                fastavro.parse_schema(dict(writer)),
                self._parsed,
            )
        # The same, by schema-registry id, filled as ids are met.
        self._ids: dict[int, tuple[Schema, Schema | None]] = {}

    def encode(self, record: Mapping[str, Any], schema_id: int | None = None) -> bytes:
        """Single-object encoding; the Confluent wire format with ``schema_id``, the id the
        registry gave ``schema``."""
        out = io.BytesIO()
        out.write(self.header if schema_id is None else confluent_header(schema_id))
        fastavro.schemaless_writer(out, self._parsed, record)
        return out.getvalue()

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if not data:
            raise AvroDecodeError(
                f"empty value where a {self.name} was expected", DeadLetterReason.EMPTY_VALUE
            )
        framing = framing_of(data)
        if framing == "single-object":
            known = self._writers.get(data[2:HEADER_SIZE])
            if known is None:
                raise SchemaMismatch(
                    f"record written with schema fingerprint {data[2:HEADER_SIZE].hex()}, "
                    f"not a known version of {self.name} ({self.fingerprint.hex()})"
                )
            start = HEADER_SIZE
        elif framing == "confluent":
            schema_id = int.from_bytes(data[1:CONFLUENT_HEADER_SIZE], "big")
            known = self._ids.get(schema_id) or self._learn(schema_id)
            start = CONFLUENT_HEADER_SIZE
        else:
            raise AvroDecodeError(
                "not Avro in single-object encoding (C3 01 + fingerprint) nor in the "
                f"Confluent wire format (00 + schema id) ({len(data)} bytes)",
                DeadLetterReason.NOT_AVRO,
            )
        writer, reader = known
        body = io.BytesIO(data)
        body.seek(start)
        try:
            record = fastavro.schemaless_reader(body, writer, reader)
        except SchemaResolutionError as exc:
            raise SchemaMismatch(
                f"writer schema of the record does not resolve to {self.name}: {exc}"
            ) from exc
        except Exception as exc:  # fastavro raises EOFError, ValueError, UnicodeDecodeError...
            raise AvroDecodeError(
                f"{self.name} payload does not decode: {type(exc).__name__}"
            ) from exc
        if body.tell() != len(data):
            raise AvroDecodeError(
                f"{self.name} payload has {len(data) - body.tell()} trailing bytes"
            )
        if not isinstance(record, dict):
            raise AvroDecodeError(f"{self.name} payload is not a record")
        return record

    def _learn(self, schema_id: int) -> tuple[Schema, Schema | None]:
        """The writer and reader schemas of a registry id, from ``registry_schemas``."""
        writer = self.registry_schemas.get(schema_id)
        if writer is None:
            raise UnknownSchemaId(
                f"record written with schema id {schema_id}, unknown to the schema registry "
                f"(or no registry is set), where a {self.name} was expected",
                schema_id,
            )
        try:
            known = self._writers.get(schema_fingerprint(writer))
            if known is None:
                known = (fastavro.parse_schema(writer), self._parsed)
        except Exception as exc:  # not an Avro schema: fastavro raises several kinds
            raise SchemaMismatch(
                f"schema id {schema_id} is not an Avro schema fastavro parses: {type(exc).__name__}"
            ) from exc
        self._ids[schema_id] = known
        return known


@functools.cache
def codec(name: str) -> SingleObjectCodec:
    """The shared codec of the contract ``schemas/<name>.avsc``."""
    return SingleObjectCodec(load_schema(name))
