"""Dead letters: KIP-1034 header names, UTF-8 values, a capped message; the sink sends the
record untouched with them."""

from __future__ import annotations

import pytest

from processors.errors import DeadLetterReason, InvalidEvent
from processors.interaction import Source
from sinks import deadletter
from sinks.deadletter import MAX_MESSAGE_CHARS, dead_letter_headers

SOURCE = Source("interactions.voice", 7, 1_234_567_890_123)
FAILED_AT_MS = 1_714_564_800_123


def headers_of(error: BaseException, **kwargs: object) -> dict[str, bytes]:
    args: dict[str, object] = {
        "reason": DeadLetterReason.MISSING_CUSTOMER,
        "source": SOURCE,
        "stage": "normalize",
        "failed_at_ms": FAILED_AT_MS,
    }
    args.update(kwargs)
    headers = dead_letter_headers(error, **args)  # type: ignore[arg-type]
    names = [name for name, _ in headers]
    assert len(names) == len(set(names)), "a header name is repeated"
    return dict(headers)


def test_header_names_follow_kip_1034() -> None:
    headers = dead_letter_headers(InvalidEvent("x"), "R", SOURCE, "normalize", 0)
    assert [name for name, _ in headers] == [
        "__streams.errors.exception",
        "__streams.errors.message",
        "__streams.errors.topic",
        "__streams.errors.partition",
        "__streams.errors.offset",
        "carepipe.errors.reason",
        "carepipe.errors.stage",
        "carepipe.errors.timestamp",
    ]
    assert deadletter.EXCEPTION == "__streams.errors.exception"
    assert deadletter.MESSAGE == "__streams.errors.message"
    assert deadletter.TOPIC == "__streams.errors.topic"
    assert deadletter.PARTITION == "__streams.errors.partition"
    assert deadletter.OFFSET == "__streams.errors.offset"


def test_header_values() -> None:
    error = InvalidEvent("event has no customer_id", DeadLetterReason.MISSING_CUSTOMER)

    headers = headers_of(error)

    assert all(isinstance(value, bytes) for value in headers.values())
    assert headers == {
        "__streams.errors.exception": b"processors.errors.InvalidEvent",
        "__streams.errors.message": b"event has no customer_id",
        "__streams.errors.topic": b"interactions.voice",
        "__streams.errors.partition": b"7",
        "__streams.errors.offset": b"1234567890123",
        "carepipe.errors.reason": b"MISSING_CUSTOMER",
        "carepipe.errors.stage": b"normalize",
        "carepipe.errors.timestamp": b"1714564800123",
    }


@pytest.mark.parametrize(
    ("error", "name"),
    [
        (ValueError("bad"), b"builtins.ValueError"),
        (
            UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
            b"builtins.UnicodeDecodeError",
        ),
    ],
)
def test_exception_is_named_by_module_and_qualified_name(error: BaseException, name: bytes) -> None:
    assert headers_of(error)["__streams.errors.exception"] == name


def test_nested_exception_class_uses_its_qualified_name() -> None:
    class Outer:
        class Boom(Exception):
            pass

    name = headers_of(Outer.Boom("x"))["__streams.errors.exception"].decode()
    assert name == f"{__name__}.{Outer.Boom.__qualname__}"
    assert name.endswith("Outer.Boom")


def test_values_are_utf8() -> None:
    headers = headers_of(
        InvalidEvent("zoë's café ✓"),
        source=Source("intéractions.vóice", 0, 0),
        stage="normalisé",
    )
    assert headers["__streams.errors.message"] == "zoë's café ✓".encode()
    assert headers["__streams.errors.message"].decode("utf-8") == "zoë's café ✓"
    assert headers["__streams.errors.topic"] == "intéractions.vóice".encode()
    assert headers["carepipe.errors.stage"] == "normalisé".encode()
    assert headers["__streams.errors.partition"] == b"0"
    assert headers["__streams.errors.offset"] == b"0"


@pytest.mark.parametrize(
    ("length", "kept"),
    [
        (0, 0),
        (MAX_MESSAGE_CHARS - 1, MAX_MESSAGE_CHARS - 1),
        (MAX_MESSAGE_CHARS, MAX_MESSAGE_CHARS),
        (MAX_MESSAGE_CHARS + 1, MAX_MESSAGE_CHARS),
        (100_000, MAX_MESSAGE_CHARS),
    ],
)
def test_message_is_capped(length: int, kept: int) -> None:
    message = "".join(chr(ord("a") + n % 26) for n in range(length))
    value = headers_of(RuntimeError(message))["__streams.errors.message"]
    assert value == message[:kept].encode()


def test_message_cap_counts_characters_not_bytes() -> None:
    value = headers_of(RuntimeError("é" * (MAX_MESSAGE_CHARS + 10)))["__streams.errors.message"]
    assert value.decode("utf-8") == "é" * MAX_MESSAGE_CHARS
