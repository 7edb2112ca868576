"""The Avro contracts (the .avsc files beside this module) and their codec, which writes
single-object encoding or the Confluent wire format and reads both.

Downstream consumers in other languages need only the .avsc files; Python code here
loads them through :func:`codec` so every stage encodes the same way.
"""

from schemas.avro import (
    MARKER,
    AvroDecodeError,
    SchemaMismatch,
    SingleObjectCodec,
    UnknownSchemaId,
    codec,
    load_schema,
    schema_names,
)
from schemas.framing import REGISTRY_SCHEMAS, RegistrySchemas, confluent_schema_id, framing_of

__all__ = [
    "MARKER",
    "REGISTRY_SCHEMAS",
    "AvroDecodeError",
    "SchemaMismatch",
    "RegistrySchemas",
    "SingleObjectCodec",
    "UnknownSchemaId",
    "codec",
    "confluent_schema_id",
    "framing_of",
    "load_schema",
    "schema_names",
]
