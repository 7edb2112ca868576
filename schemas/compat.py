"""Schema evolution check with the ``avro`` package's reader/writer compatibility checker."""

from __future__ import annotations

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType


def check_compatibility(old_text: str, new_text: str) -> list[str]:
    """Reasons why a reader with schema NEW cannot read data written with OLD; [] if it can."""
    try:
        writer = avro.schema.parse(old_text)
        reader = avro.schema.parse(new_text)
    except avro.errors.SchemaParseException as exc:
        return [f"schema does not parse: {exc}"]
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    return [
        f"{kind.name}: {message} at {location}"
        for kind, message, location in zip(
            result.incompatibilities, result.messages, result.locations, strict=False
        )
    ] or ["incompatible"]
