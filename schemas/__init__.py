"""The Avro contracts (the .avsc files beside this module) and their single-object codec.

Downstream consumers in other languages need only the .avsc files; Python code here
loads them through :func:`codec` so every stage encodes the same way.
"""

from schemas.avro import (
    MARKER,
    AvroDecodeError,
    SchemaMismatch,
    SingleObjectCodec,
    codec,
    load_schema,
    schema_names,
)

__all__ = [
    "MARKER",
    "AvroDecodeError",
    "SchemaMismatch",
    "SingleObjectCodec",
    "codec",
    "load_schema",
    "schema_names",
]
