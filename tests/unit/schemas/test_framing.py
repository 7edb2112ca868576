"""Both framings: told apart by their first bytes, written and read by the same codec, an
earlier writer schema resolved to the contract, and the errors that dead-letter a record."""

from __future__ import annotations

import json
from typing import Any

import pytest

from processors.errors import DeadLetterReason
from schemas import (
    AvroDecodeError,
    RegistrySchemas,
    SchemaMismatch,
    SingleObjectCodec,
    UnknownSchemaId,
    confluent_schema_id,
    framing_of,
)
from schemas.avro import SCHEMAS_DIR, load_schema
from schemas.framing import confluent_header
from tests.unit.schemas.test_codec import FULL, MINIMAL

VOICE_TEXT = (SCHEMAS_DIR / "VoiceCall.avsc").read_text()
# An earlier VoiceCall, without the fields added later with defaults.
LATER_FIELDS = {"queue_wait_seconds", "hold_seconds", "transfers", "agent_id", "survey"}


def earlier_voice_call() -> str:
    schema = json.loads(VOICE_TEXT)
    schema["fields"] = [f for f in schema["fields"] if f["name"] not in LATER_FIELDS]
    return json.dumps(schema)


def voice_codec(ids: dict[int, str]) -> SingleObjectCodec:
    return SingleObjectCodec(load_schema("VoiceCall"), registry_schemas=RegistrySchemas(ids))


@pytest.mark.parametrize(
    ("data", "framing"),
    [
        (b"\xc3\x01" + bytes(8) + b"body", "single-object"),
        (b"\xc3\x01" + bytes(8), "single-object"),
        (b"\x00\x00\x00\x00\x07body", "confluent"),
        (b"\x00\x00\x00\x00\x07", "confluent"),
        (b"\x00\x00\x07", None),  # too short for an id
        (b"\xc3\x01\x00", None),  # too short for a fingerprint
        (b'{"call_id": "x"}', None),
        (b"", None),
    ],
)
def test_framing_is_told_by_the_first_bytes(data: bytes, framing: str | None) -> None:
    assert framing_of(data) == framing


def test_the_confluent_header_is_zero_and_a_big_endian_id() -> None:
    assert confluent_header(258) == b"\x00\x00\x00\x01\x02"
    assert confluent_schema_id(confluent_header(2**31 - 1) + b"x") == 2**31 - 1
    assert confluent_schema_id(b"\xc3\x01" + bytes(8)) is None
    with pytest.raises(ValueError, match="out of range"):
        confluent_header(-1)


def test_one_codec_writes_either_framing_and_reads_both() -> None:
    codec = voice_codec({42: VOICE_TEXT})
    record = FULL["VoiceCall"]

    confluent = codec.encode(record, schema_id=42)
    single = codec.encode(record)

    assert confluent[:5] == b"\x00\x00\x00\x00\x2a"
    assert single[:2] == b"\xc3\x01"
    assert confluent[5:] == single[10:]  # the same Avro body behind either header
    assert codec.decode(confluent) == codec.decode(single)
    assert codec.decode(confluent)["survey"]["csat"] == 2


def test_an_earlier_writer_schema_resolves_to_the_contract() -> None:
    earlier = SingleObjectCodec(json.loads(earlier_voice_call()))
    record = {k: v for k, v in MINIMAL["VoiceCall"].items() if k not in LATER_FIELDS}
    data = earlier.encode(record, schema_id=7)

    decoded = voice_codec({7: earlier_voice_call()}).decode(data)

    assert decoded["call_id"] == "CALL-1"
    assert decoded["queue_wait_seconds"] == 0  # the reader's default
    assert decoded["survey"] is None


def test_an_id_the_process_has_not_learned_is_an_unknown_schema() -> None:
    data = voice_codec({42: VOICE_TEXT}).encode(MINIMAL["VoiceCall"], schema_id=42)

    with pytest.raises(UnknownSchemaId) as caught:
        voice_codec({}).decode(data)

    assert caught.value.schema_id == 42
    assert caught.value.reason is DeadLetterReason.UNKNOWN_SCHEMA
    assert "schema id 42" in str(caught.value)


def test_an_id_learned_later_decodes() -> None:
    known = RegistrySchemas()
    codec = SingleObjectCodec(load_schema("VoiceCall"), registry_schemas=known)
    data = codec.encode(MINIMAL["VoiceCall"], schema_id=9)
    with pytest.raises(UnknownSchemaId):
        codec.decode(data)

    known.add(9, VOICE_TEXT)

    assert codec.decode(data)["call_id"] == "CALL-1"


def test_a_writer_schema_that_does_not_resolve_is_a_schema_mismatch() -> None:
    other: dict[str, Any] = {
        "type": "record",
        "name": "VoiceCall",
        "namespace": "carepipeline.channels",
        "fields": [{"name": "call_id", "type": "long"}],
    }
    data = SingleObjectCodec(other).encode({"call_id": 5}, schema_id=3)

    with pytest.raises(SchemaMismatch) as caught:
        voice_codec({3: json.dumps(other)}).decode(data)

    assert caught.value.reason is DeadLetterReason.UNKNOWN_SCHEMA


def test_bytes_of_neither_framing_are_not_avro() -> None:
    with pytest.raises(AvroDecodeError) as caught:
        voice_codec({}).decode(b'{"call_id": "x"}')

    assert caught.value.reason is DeadLetterReason.NOT_AVRO
    assert "Confluent wire format" in str(caught.value)


def test_a_confluent_body_cut_short_is_malformed() -> None:
    data = voice_codec({42: VOICE_TEXT}).encode(FULL["VoiceCall"], schema_id=42)

    with pytest.raises(AvroDecodeError) as caught:
        voice_codec({42: VOICE_TEXT}).decode(data[:-3])

    assert caught.value.reason is DeadLetterReason.MALFORMED_AVRO
