"""Avro single-object encoding: marker C3 01, the writer schema's CRC-64-AVRO fingerprint
(8 bytes, little-endian), then the Avro binary payload. Any Avro library can read it from
the .avsc files alone; see the Avro specification, "Single-object encoding".
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form
from fastavro.types import Schema

from processors.errors import DeadLetter, DeadLetterReason

MARKER = b"\xc3\x01"
HEADER_SIZE = len(MARKER) + 8
SCHEMAS_DIR = Path(__file__).resolve().parent


class AvroDecodeError(DeadLetter, ValueError):
    """Bytes that are not a record of the expected schema: dead-letter them untouched."""

    reason = DeadLetterReason.MALFORMED_AVRO


class SchemaMismatch(AvroDecodeError):
    """A well-framed record written with a schema this codec does not know."""

    reason = DeadLetterReason.UNKNOWN_SCHEMA


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
    """Encodes and decodes one record type in Avro single-object encoding.

    It writes with ``schema`` and reads records written with ``schema`` or any of
    ``older`` (earlier versions of the same contract), resolving them to ``schema``.

    >>> codec("VoiceCall").decode(codec("VoiceCall").encode(call))["call_id"]  # doctest: +SKIP
    """

    def __init__(self, schema: Mapping[str, Any], older: Iterable[Mapping[str, Any]] = ()) -> None:
        self.schema = schema
        self.name = str(schema["name"])
        self.fingerprint = schema_fingerprint(schema)
        self.header = MARKER + self.fingerprint
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

    def encode(self, record: Mapping[str, Any]) -> bytes:
        out = io.BytesIO()
        out.write(self.header)
        fastavro.schemaless_writer(out, self._parsed, record)
        return out.getvalue()

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if not data:
            raise AvroDecodeError(
                f"empty value where a {self.name} was expected", DeadLetterReason.EMPTY_VALUE
            )
        if len(data) < HEADER_SIZE or data[:2] != MARKER:
            raise AvroDecodeError(
                f"not Avro single-object encoding: the C3 01 marker and fingerprint are missing "
                f"({len(data)} bytes)",
                DeadLetterReason.NOT_AVRO,
            )
        known = self._writers.get(data[2:HEADER_SIZE])
        if known is None:
            raise SchemaMismatch(
                f"record written with schema fingerprint {data[2:HEADER_SIZE].hex()}, "
                f"not a known version of {self.name} ({self.fingerprint.hex()})"
            )
        writer, reader = known
        body = io.BytesIO(data)
        body.seek(HEADER_SIZE)
        try:
            record = fastavro.schemaless_reader(body, writer, reader)
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


@functools.cache
def codec(name: str) -> SingleObjectCodec:
    """The shared codec of the contract ``schemas/<name>.avsc``."""
    return SingleObjectCodec(load_schema(name))
