"""The webhook sink with a scripted transport: retries, Retry-After, 410, rejections, dead
letters with their headers, metrics. No network, no waiting (sleep and random are injected)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import pytest
from prometheus_client import CollectorRegistry
from standardwebhooks import Webhook

from processors.interaction import Source
from sinks.errors import DeliveryInterrupted, TransportError
from sinks.metrics import PipelineMetrics
from sinks.webhook import AlertMessage, HttpResponse, WebhookSink
from sinks.webhook_endpoints import EndpointConfig, resolve_keys
from tests.unit.sinks.alert_records import encoded

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
ENVIRON = {"HOOK_SECRET": SECRET}
SOURCE = Source("care.alerts", 2, 41)
NOW = 1_746_095_400.0


@dataclass
class Call:
    url: str
    body: bytes
    headers: Mapping[str, str]
    timeout_s: float


@dataclass
class ScriptedTransport:
    """Answers each POST to a URL with the next scripted status (or raises TransportError
    for None); the last answer repeats."""

    script: dict[str, list[tuple[int | None, dict[str, str]]]]
    calls: list[Call] = field(default_factory=list)

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float
    ) -> HttpResponse:
        self.calls.append(Call(url, body, dict(headers), timeout_s))
        answers = self.script[url]
        status, response_headers = answers.pop(0) if len(answers) > 1 else answers[0]
        if status is None:
            raise TransportError(f"no response within {timeout_s:g}s")
        return HttpResponse(status, response_headers)

    def to(self, url: str) -> list[Call]:
        return [call for call in self.calls if call.url == url]


@dataclass
class Harness:
    sink: WebhookSink
    transport: ScriptedTransport
    dead_letters: list[tuple[bytes | None, bytes | None, dict[str, bytes]]]
    sleeps: list[float]
    registry: CollectorRegistry

    def count(self, endpoint: str, outcome: str) -> float:
        value = self.registry.get_sample_value(
            "carepipe_webhook_deliveries_total", {"endpoint": endpoint, "outcome": outcome}
        )
        return value or 0.0


Script = dict[str, list[tuple[int | None, dict[str, str]]]]


def url(name: str) -> str:
    return f"http://127.0.0.1:9/{name}"


def harness(script: Script, **config: object) -> Harness:
    endpoints = [
        resolve_keys(
            EndpointConfig.model_validate(
                {
                    "name": name,
                    "url": url(name),
                    "secrets": ["HOOK_SECRET"],
                    "max_attempts": 4,
                    **config,
                }
            ),
            ENVIRON,
        )
        for name in script
    ]
    transport = ScriptedTransport({url(name): list(answers) for name, answers in script.items()})
    dead_letters: list[tuple[bytes | None, bytes | None, dict[str, bytes]]] = []
    sleeps: list[float] = []
    registry = CollectorRegistry()
    sink = WebhookSink(
        endpoints,
        transport,
        lambda key, value, headers: dead_letters.append((key, value, dict(headers))),
        PipelineMetrics(registry),
        clock=lambda: NOW,
        sleep=sleeps.append,
        random=lambda: 0.5,
    )
    return Harness(sink, transport, dead_letters, sleeps, registry)


def message(value: bytes | None = None, **changes: object) -> AlertMessage:
    value = encoded(**changes) if value is None else value
    return AlertMessage(b"C1004", value, [("trace", b"t-1")], SOURCE)


MakeSink = Callable[..., Harness]


@pytest.fixture
def sink_for() -> Iterator[MakeSink]:
    harnesses: list[Harness] = []

    def make(script: Script, **config: object) -> Harness:
        made = harness(script, **config)
        harnesses.append(made)
        return made

    yield make
    for made in harnesses:
        made.sink.close()


def test_retries_with_backoff_and_retry_after_then_delivers(sink_for: MakeSink) -> None:
    h = sink_for({"crm": [(500, {}), (429, {"retry-after": "1"}), (None, {}), (204, {})]})

    h.sink.send(message())

    calls = h.transport.to(url("crm"))
    assert len(calls) == 4
    # Backoff bounds 0.5, 1, 2 with random() = 0.5; Retry-After replaces the second wait.
    assert h.sleeps == [0.25, 1.0, 1.0]
    assert {call.headers["webhook-id"] for call in calls} == {"3f5a0c9e2b7d4e1f8a6c0b9d2e4f6a8c.1"}
    assert {call.body for call in calls} == {calls[0].body}
    assert calls[0].timeout_s == 5
    assert h.dead_letters == []
    assert h.count("crm", "retried") == 3
    assert h.count("crm", "delivered") == 1
    assert h.count("crm", "failed") == 0


def test_each_attempt_verifies_with_standardwebhooks(sink_for: MakeSink) -> None:
    import time

    h = sink_for({"crm": [(200, {})]})
    h.sink.clock = time.time  # the verifier refuses timestamps more than 5 minutes off

    h.sink.send(message())

    (call,) = h.transport.calls
    assert Webhook(SECRET).verify(call.body, dict(call.headers))["type"] == "care.alert"


def test_exhausted_retries_dead_letter_the_original_bytes_with_headers(sink_for: MakeSink) -> None:
    h = sink_for({"down": [(503, {})]})
    value = encoded()

    h.sink.send(message(value))

    assert len(h.transport.calls) == 4
    ((key, dead_value, headers),) = h.dead_letters
    assert (key, dead_value) == (b"C1004", value)
    assert headers["trace"] == b"t-1"  # the record's own headers are kept
    assert headers["carepipe.errors.reason"] == b"RETRIES_EXHAUSTED"
    assert headers["carepipe.errors.stage"] == b"webhook"
    assert headers["carepipe.webhook.endpoint"] == b"down"
    assert headers["carepipe.webhook.status"] == b"503"
    assert headers["carepipe.webhook.attempts"] == b"4"
    assert headers["__streams.errors.topic"] == b"care.alerts"
    assert headers["__streams.errors.partition"] == b"2"
    assert headers["__streams.errors.offset"] == b"41"
    assert headers["__streams.errors.exception"] == b"sinks.errors.RetriesExhausted"
    assert headers["carepipe.errors.timestamp"] == str(int(NOW * 1000)).encode()
    assert b"C1004" not in headers["__streams.errors.message"]
    assert h.count("down", "failed") == 1
    assert h.count("down", "retried") == 3


def test_timeouts_to_the_end_dead_letter_without_a_status(sink_for: MakeSink) -> None:
    h = sink_for({"slow": [(None, {})]})

    h.sink.send(message())

    ((_, _, headers),) = h.dead_letters
    assert headers["carepipe.webhook.status"] == b"none"
    assert b"no response within 5s" in headers["__streams.errors.message"]


@pytest.mark.parametrize("status", [400, 401, 404, 413, 302])
def test_client_errors_are_not_retried(sink_for: MakeSink, status: int) -> None:
    h = sink_for({"crm": [(status, {})]})

    h.sink.send(message())

    assert len(h.transport.calls) == 1
    ((_, _, headers),) = h.dead_letters
    assert headers["carepipe.errors.reason"] == b"REJECTED"
    assert headers["carepipe.webhook.status"] == str(status).encode()
    assert h.count("crm", "retried") == 0


def test_408_is_retried(sink_for: MakeSink) -> None:
    h = sink_for({"crm": [(408, {}), (200, {})]})

    h.sink.send(message())

    assert len(h.transport.calls) == 2
    assert h.dead_letters == []


def test_410_disables_the_endpoint_and_later_alerts_go_straight_to_the_dlq(
    sink_for: MakeSink,
) -> None:
    h = sink_for({"gone": [(410, {})], "crm": [(200, {})]})

    h.sink.send(message())
    h.sink.send(message(alert_id="another-alert"))

    assert len(h.transport.to(url("gone"))) == 1
    assert len(h.transport.to(url("crm"))) == 2
    assert h.sink.disabled == frozenset({"gone"})
    assert [headers["carepipe.errors.reason"] for _, _, headers in h.dead_letters] == [
        b"ENDPOINT_GONE",
        b"ENDPOINT_GONE",
    ]
    assert {headers["carepipe.webhook.endpoint"] for _, _, headers in h.dead_letters} == {b"gone"}
    assert h.count("gone", "disabled") == 2
    assert h.count("crm", "delivered") == 2


def test_filtered_alerts_are_counted_and_not_sent(sink_for: MakeSink) -> None:
    h = sink_for({"complaints": [(200, {})]}, types=["PUBLIC_COMPLAINT"])

    h.sink.send(message())
    h.sink.send(message(alert_type="PUBLIC_COMPLAINT"))

    assert len(h.transport.calls) == 1
    assert h.count("complaints", "filtered") == 1
    assert h.count("complaints", "delivered") == 1


def test_an_undecodable_record_is_dead_lettered_once_with_the_codec_reason(
    sink_for: MakeSink,
) -> None:
    h = sink_for({"a": [(200, {})], "b": [(200, {})]})

    h.sink.send(message(b"not avro at all"))

    assert h.transport.calls == []
    ((_, value, headers),) = h.dead_letters
    assert value == b"not avro at all"
    assert headers["carepipe.errors.reason"] == b"NOT_AVRO"
    assert "carepipe.webhook.endpoint" not in headers
    dead = h.registry.get_sample_value(
        "carepipe_dead_letters_total", {"stage": "webhook", "reason": "NOT_AVRO"}
    )
    assert dead == 1


def test_an_interrupt_during_a_wait_leaves_the_alert_undelivered_and_not_dead_lettered(
    sink_for: MakeSink,
) -> None:
    h = sink_for({"down": [(503, {})]})
    h.sink._sleep = lambda seconds: h.sink.interrupt()

    with pytest.raises(DeliveryInterrupted):
        h.sink.send(message())

    assert len(h.transport.calls) == 1
    assert h.dead_letters == []
