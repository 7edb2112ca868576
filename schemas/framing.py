"""The two framings of an Avro value, told apart by their first bytes, and the writer schemas
learned from a schema registry.

- single-object encoding (the Avro specification): ``C3 01``, the writer schema's 8-byte
  CRC-64-AVRO fingerprint, then the body;
- the Confluent wire format: ``00``, the writer schema's 4-byte big-endian id in a schema
  registry, then the body.

A topic can carry both while it migrates from one to the other.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any, Literal

SINGLE_OBJECT_MARKER = b"\xc3\x01"
SINGLE_OBJECT_HEADER_SIZE = len(SINGLE_OBJECT_MARKER) + 8
CONFLUENT_MAGIC = b"\x00"
CONFLUENT_HEADER_SIZE = len(CONFLUENT_MAGIC) + 4
MAX_SCHEMA_ID = 2**31 - 1

Framing = Literal["single-object", "confluent"]
FRAMINGS: tuple[Framing, ...] = ("single-object", "confluent")


def framing_of(data: bytes) -> Framing | None:
    """The framing ``data`` begins with; None when it has the header of neither.

    >>> framing_of(b"\\x00\\x00\\x00\\x00\\x07" + b"body")
    'confluent'
    """
    if data[:2] == SINGLE_OBJECT_MARKER and len(data) >= SINGLE_OBJECT_HEADER_SIZE:
        return "single-object"
    if data[:1] == CONFLUENT_MAGIC and len(data) >= CONFLUENT_HEADER_SIZE:
        return "confluent"
    return None


def confluent_header(schema_id: int) -> bytes:
    """``00`` and the schema id, big-endian, as the Confluent wire format begins."""
    if not 0 <= schema_id <= MAX_SCHEMA_ID:
        raise ValueError(f"schema id {schema_id} is out of range 0..{MAX_SCHEMA_ID}")
    return CONFLUENT_MAGIC + schema_id.to_bytes(4, "big")


def confluent_schema_id(data: bytes) -> int | None:
    """The schema id of a Confluent-framed value; None for any other bytes."""
    if data[:1] != CONFLUENT_MAGIC or len(data) < CONFLUENT_HEADER_SIZE:
        return None
    return int.from_bytes(data[1:CONFLUENT_HEADER_SIZE], "big")


class RegistrySchemas:
    """Writer schemas by their schema-registry id, as this process has learned them.

    The codecs read it when they meet a Confluent-framed value; whoever talks to the
    registry fills it (at start for the ids the worker writes with, on the first record of
    any other id). It does no I/O itself.

    >>> known = RegistrySchemas({7: '{"type": "record", "name": "R", "fields": []}'})
    >>> known.get(7)["name"]
    'R'
    """

    def __init__(self, schemas: Mapping[int, str] | None = None) -> None:
        self._schemas: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        for schema_id, text in (schemas or {}).items():
            self.add(schema_id, text)

    def add(self, schema_id: int, schema_text: str) -> None:
        """Remembers the writer schema of ``schema_id`` (its JSON text, from the registry)."""
        parsed = json.loads(schema_text)
        with self._lock:
            self._schemas[schema_id] = parsed

    def get(self, schema_id: int) -> dict[str, Any] | None:
        return self._schemas.get(schema_id)

    def __contains__(self, schema_id: object) -> bool:
        return schema_id in self._schemas

    def __len__(self) -> int:
        return len(self._schemas)


# The process's own: one process talks to one registry, whose ids name one schema each.
REGISTRY_SCHEMAS = RegistrySchemas()
