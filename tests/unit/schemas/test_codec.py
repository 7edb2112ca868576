"""Single-object Avro codec: framing, interoperability with the apache `avro` package, errors."""

from __future__ import annotations

import copy
import io
import json
import random
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import avro.io
import avro.schema
import fastavro
import pytest

from schemas import MARKER, AvroDecodeError, SchemaMismatch, SingleObjectCodec, codec
from schemas.avro import HEADER_SIZE, SCHEMAS_DIR, load_schema, schema_names

WHEN = datetime(2024, 5, 1, 12, 30, 15, 123_000, tzinfo=UTC)

# Only the fields without a default: the smallest record each contract accepts.
MINIMAL: dict[str, dict[str, Any]] = {
    "VoiceCall": {
        "call_id": "CALL-1",
        "started_at": WHEN,
        "ended_at": WHEN,
        "outcome": "RESOLVED",
    },
    "EmailMessage": {
        "message_id": "MSG-1",
        "thread_id": "THREAD-1",
        "direction": "INBOUND",
        "sent_at": WHEN,
    },
    "ChatSession": {
        "session_id": "CHAT-1",
        "started_at": WHEN,
        "ended_at": WHEN,
        "outcome": "UNRESOLVED",
    },
    "SocialPost": {
        "post_id": "POST-1",
        "platform": "X",
        "handle": "jane",
        "posted_at": WHEN,
        "text": "hello",
    },
    "Interaction": {
        "interaction_id": "voice:CALL-1",
        "customer_id": "C-1",
        "channel": "VOICE",
        "occurred_at": WHEN,
        "normalized_at": WHEN,
        "source_topic": "interactions.voice",
        "source_partition": 0,
        "source_offset": 42,
    },
    "CareAlert": {
        "alert_id": "alert-1",
        "customer_id": "C-1",
        "alert_type": "AT_RISK",
        "severity": "HIGH",
        "score": 81.5,
        "channel": "VOICE",
        "interaction_id": "voice:CALL-1",
        "event_time": WHEN,
        "created_at": WHEN,
    },
    "ChannelMetrics": {
        "channel": "CHAT",
        "window_start": WHEN,
        "window_end": WHEN,
    },
    "CustomerProfile": {
        "customer_id": "C-1",
        "tier": "GOLD",
        "signup_date": date(2020, 2, 29),
        "updated_at": WHEN,
    },
    "CustomerOutcome": {
        "customer_id": "C-1",
        "outcome": "CHURNED",
        "occurred_at": WHEN,
        "source": "billing",
    },
}

# Records with the optional parts filled in, for the cross-library checks.
FULL: dict[str, dict[str, Any]] = {
    "VoiceCall": {
        **MINIMAL["VoiceCall"],
        "customer_id": "C-1",
        "queue_wait_seconds": 30,
        "hold_seconds": 12,
        "transfers": 2,
        "transcript": "Ça ne marche pas 😡",
        "upstream_sentiment": -0.75,
        "agent_id": "AGENT-1",
        "case_id": "CASE-1",
        "survey": {"csat": 2, "nps": 4, "ces": 6, "answered_at": WHEN},
    },
    "SocialPost": {
        **MINIMAL["SocialPost"],
        "platform": "TRUSTPILOT",
        "customer_id": None,
        "is_public": False,
        "follower_count": 2**40,
        "in_reply_to": "POST-0",
        "upstream_sentiment": 0.5,
    },
    "Interaction": {
        **MINIMAL["Interaction"],
        "channel": "SOCIAL",
        "direction": "OUTBOUND",
        "ended_at": WHEN,
        "case_id": "CASE-1",
        "thread_id": "T-1",
        "agent_id": "A-1",
        "outcome": "CALLBACK_REQUESTED",
        "text": "[EMAIL] wrote",
        "text_truncated": True,
        "pii_redactions": 1,
        "sentiment": -0.25,
        "sentiment_source": "VADER",
        "queue_wait_seconds": 1,
        "handle_seconds": 2,
        "hold_seconds": 3,
        "transfers": 4,
        "bot_only": True,
        "message_count": 5,
        "survey": {"csat": 5, "nps": None, "ces": None, "answered_at": None},
        "social": {
            "platform": "REDDIT",
            "handle": "jane",
            "post_id": "P-1",
            "is_public": True,
            "follower_count": 10,
            "in_reply_to": None,
            "handle_resolved": True,
        },
    },
}


def avsc_text(name: str) -> str:
    return (SCHEMAS_DIR / f"{name}.avsc").read_text()


def without_logical_types(node: Any) -> Any:
    """The schema JSON with logicalType annotations removed (they play no part in parsing)."""
    if isinstance(node, dict):
        if "logicalType" in node and node.get("type") in ("int", "long", "bytes", "string"):
            return node["type"]
        return {key: without_logical_types(value) for key, value in node.items()}
    if isinstance(node, list):
        return [without_logical_types(item) for item in node]
    return node


def spec_fingerprint(text: str) -> bytes:
    """CRC-64-AVRO of the Parsing Canonical Form, computed by the apache `avro` package.

    The spec's canonical form keeps only type, name, fields, symbols, items, values and size,
    and writes primitives in their simple form: a timestamp-millis field is just "long", as in
    Java's SchemaNormalization and fastavro. avro 1.12 (Python) instead keeps {"type":"long"}
    for a primitive that carries a logicalType, so its fingerprint of such a schema differs;
    stripping the annotations first makes it compute the spec's fingerprint.
    """
    stripped = json.dumps(without_logical_types(json.loads(text)))
    return avro.schema.parse(stripped).fingerprint("CRC-64-AVRO")


# ------------------------------------------------------------------ round trips


def test_every_contract_has_a_minimal_record() -> None:
    assert set(schema_names()) == set(MINIMAL)


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_minimal_record_round_trips_with_defaults_filled(name: str) -> None:
    the_codec = codec(name)
    minimal = MINIMAL[name]

    decoded = the_codec.decode(the_codec.encode(minimal))

    for field in json.loads(avsc_text(name))["fields"]:
        if field["name"] in minimal:
            assert decoded[field["name"]] == minimal[field["name"]]
        else:
            assert decoded[field["name"]] == field["default"], field["name"]
    assert set(decoded) == {field["name"] for field in the_codec.schema["fields"]}


@pytest.mark.parametrize("name", sorted(FULL))
def test_full_record_round_trips(name: str) -> None:
    assert codec(name).decode(codec(name).encode(FULL[name])) == FULL[name]


def test_codec_is_shared_per_contract() -> None:
    assert codec("VoiceCall") is codec("VoiceCall")
    assert codec("VoiceCall") is not codec("EmailMessage")


def test_unknown_contract_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="NoSuchThing"):
        load_schema("NoSuchThing")


# ------------------------------------------------------------------ framing


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_header_is_marker_and_spec_fingerprint(name: str) -> None:
    data = codec(name).encode(MINIMAL[name])

    assert data[:2] == MARKER == b"\xc3\x01"
    assert data[2:HEADER_SIZE] == codec(name).fingerprint
    assert data[2:HEADER_SIZE] == spec_fingerprint(avsc_text(name))
    assert HEADER_SIZE == 10


def test_canonical_form_matches_the_avro_package_once_logical_types_are_stripped() -> None:
    from fastavro.schema import to_parsing_canonical_form

    for name in schema_names():
        stripped = json.dumps(without_logical_types(json.loads(avsc_text(name))))
        assert avro.schema.parse(stripped).canonical_form == to_parsing_canonical_form(
            load_schema(name)
        ), name


def test_header_fingerprint_equals_the_avro_package_fingerprint_without_logical_types() -> None:
    # Where there is no logicalType, the apache `avro` package's own fingerprint applies as is.
    text = json.dumps(
        {
            "type": "record",
            "name": "Ping",
            "namespace": "test.carepipe",
            "doc": "docs are not part of the canonical form",
            "fields": [
                {"name": "id", "type": "string"},
                {"name": "n", "type": ["null", "long"], "default": None},
                {"name": "kind", "type": {"type": "enum", "name": "K", "symbols": ["A", "B"]}},
                {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
            ],
        }
    )
    ping = SingleObjectCodec(fastavro.parse_schema(json.loads(text)))

    data = ping.encode({"id": "x", "n": 3, "kind": "B", "tags": ["t"]})

    assert data[:2] == MARKER
    assert data[2:HEADER_SIZE] == avro.schema.parse(text).fingerprint("CRC-64-AVRO")


# ------------------------------------------------------------------ another library reads it


@pytest.mark.parametrize("name", ["VoiceCall", "SocialPost", "Interaction"])
def test_apache_avro_decodes_what_the_codec_wrote_from_the_avsc_alone(name: str) -> None:
    data = codec(name).encode(FULL[name])
    text = Path(SCHEMAS_DIR / f"{name}.avsc").read_text()

    assert data[:2] == b"\xc3\x01"
    assert data[2:HEADER_SIZE] == spec_fingerprint(text)
    payload = io.BytesIO(data[HEADER_SIZE:])
    record = avro.io.DatumReader(avro.schema.parse(text)).read(avro.io.BinaryDecoder(payload))

    assert payload.tell() == len(data) - HEADER_SIZE  # every byte consumed
    # Equality also holds the timestamps to tz-aware UTC (aware never equals naive).
    assert record == FULL[name]


# ------------------------------------------------------------------ decode errors

VOICE = MINIMAL["VoiceCall"] | {"customer_id": "C-SECRET-4821", "transcript": "my pin is 1234"}


def decode_error(data: bytes | None, name: str = "VoiceCall") -> AvroDecodeError:
    with pytest.raises(AvroDecodeError) as info:
        codec(name).decode(data)
    # Errors end up in logs and dead-letter headers: no record content in them.
    for secret in ("C-SECRET-4821", "my pin"):
        assert secret not in str(info.value)
    return info.value


@pytest.mark.parametrize("data", [b"", None])
def test_empty_value(data: bytes | None) -> None:
    assert decode_error(data).reason == "EMPTY_VALUE"


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(64).replace(b"\xc3", b"\x00"),
        b'{"call_id": "CALL-1", "customer_id": "C-SECRET-4821"}',
        b"\xc3\x01\x00\x01\x02",  # marker, but too short for a fingerprint
        b"\xc3",
        b"\x01\xc3" + bytes(30),
    ],
    ids=["random", "json", "short-header", "half-marker", "marker-swapped"],
)
def test_not_avro(data: bytes) -> None:
    error = decode_error(data)
    assert error.reason == "NOT_AVRO"
    assert not isinstance(error, SchemaMismatch)


def test_record_of_another_contract_is_a_schema_mismatch() -> None:
    email = codec("EmailMessage").encode(MINIMAL["EmailMessage"] | {"customer_id": "C-SECRET-4821"})

    error = decode_error(email, "VoiceCall")

    assert isinstance(error, SchemaMismatch)
    assert error.reason == "UNKNOWN_SCHEMA"


def test_unknown_fingerprint_is_a_schema_mismatch() -> None:
    data = codec("VoiceCall").encode(VOICE)
    forged = data[:2] + bytes(8) + data[HEADER_SIZE:]
    assert decode_error(forged).reason == "UNKNOWN_SCHEMA"


def test_every_truncation_is_malformed() -> None:
    data = codec("VoiceCall").encode(VOICE)
    for end in range(HEADER_SIZE, len(data)):
        error = decode_error(data[:end])
        assert error.reason == "MALFORMED_AVRO", end
        assert not isinstance(error, SchemaMismatch)


@pytest.mark.parametrize("extra", [b"\x00", b"\x02abc", bytes(100)])
def test_trailing_bytes_are_malformed(extra: bytes) -> None:
    data = codec("VoiceCall").encode(VOICE)
    assert decode_error(data + extra).reason == "MALFORMED_AVRO"


def test_bad_enum_index_is_malformed() -> None:
    # Find the byte of the outcome enum by re-encoding with another symbol.
    resolved = codec("VoiceCall").encode(MINIMAL["VoiceCall"])
    escalated = codec("VoiceCall").encode(MINIMAL["VoiceCall"] | {"outcome": "ESCALATED"})
    (position,) = [i for i, (a, b) in enumerate(zip(resolved, escalated, strict=True)) if a != b]
    corrupt = bytearray(resolved)
    corrupt[position] = 0x7E  # zig-zag 63: no such symbol
    assert decode_error(bytes(corrupt)).reason == "MALFORMED_AVRO"


# ------------------------------------------------------------------ schema evolution


def voice_v1_json() -> dict[str, Any]:
    """VoiceCall as it was before case_id and survey were added (both optional, defaulted)."""
    schema = json.loads(avsc_text("VoiceCall"))
    schema["fields"] = [f for f in schema["fields"] if f["name"] not in ("case_id", "survey")]
    return schema


def voice_v1() -> dict[str, Any]:
    return fastavro.parse_schema(voice_v1_json())


def test_older_writer_is_resolved_to_the_current_schema() -> None:
    old = voice_v1()
    current = SingleObjectCodec(load_schema("VoiceCall"), older=[old])
    written_long_ago = SingleObjectCodec(old).encode(VOICE)

    record = current.decode(written_long_ago)

    assert record["case_id"] is None
    assert record["survey"] is None
    assert record["customer_id"] == "C-SECRET-4821"
    assert record == codec("VoiceCall").decode(codec("VoiceCall").encode(VOICE))


def test_schemas_may_be_given_as_plain_json() -> None:
    plain = json.loads(avsc_text("VoiceCall"))
    current = SingleObjectCodec(plain, older=[voice_v1_json()])
    written_long_ago = SingleObjectCodec(voice_v1_json()).encode(VOICE)

    assert current.schema is plain  # kept as given
    assert current.fingerprint == codec("VoiceCall").fingerprint
    assert current.encode(FULL["VoiceCall"]) == codec("VoiceCall").encode(FULL["VoiceCall"])
    assert current.decode(current.encode(FULL["VoiceCall"])) == FULL["VoiceCall"]
    assert current.decode(written_long_ago) == codec("VoiceCall").decode(
        codec("VoiceCall").encode(VOICE)
    )
    assert plain == json.loads(avsc_text("VoiceCall"))  # not changed by the parsing


def test_default_of_a_new_field_is_filled_in() -> None:
    old_schema = {
        "type": "record",
        "name": "Note",
        "namespace": "test.carepipe",
        "fields": [{"name": "id", "type": "string"}],
    }
    new_schema = copy.deepcopy(old_schema)
    new_schema["fields"].append({"name": "lang", "type": "string", "default": "en"})
    new_schema["fields"].append({"name": "score", "type": ["null", "double"], "default": None})
    old = fastavro.parse_schema(old_schema)
    new = fastavro.parse_schema(new_schema)

    reader = SingleObjectCodec(new, older=[old])

    assert reader.decode(SingleObjectCodec(old).encode({"id": "n-1"})) == {
        "id": "n-1",
        "lang": "en",
        "score": None,
    }
    # Its own records still read as they were written.
    own = {"id": "n-2", "lang": "fr", "score": 0.5}
    assert reader.decode(reader.encode(own)) == own
    # Without the older version declared, the old fingerprint is unknown.
    with pytest.raises(SchemaMismatch):
        SingleObjectCodec(new).decode(SingleObjectCodec(old).encode({"id": "n-1"}))
