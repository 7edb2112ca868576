"""`carepipe webhooks` end to end: a real broker, the real command in a subprocess, and a
real HTTP receiver on 127.0.0.1 that verifies every signature with `standardwebhooks`.

One endpoint fails its first attempts (500, 429 with Retry-After, a timeout) and then
takes everything; one always answers 503; one answers 410 Gone; a Slack endpoint takes
only high-severity public complaints. Every alert reaches the healthy endpoint once, the
others' alerts wait in care.alerts.dlq with their original bytes, and nothing is lost.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaProducer
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

import schemas
from pipeline import admin
from pipeline.ops.outputs import OutputReader, OutputRecord
from pipeline.ops.workerproc import CarepipeProcess, free_port
from pipeline.settings import Settings
from pipeline.topics import ALERTS, ALERTS_DLQ
from tests.unit.sinks.alert_records import care_alert

pytestmark = pytest.mark.integration

OLD_SECRET = "whsec_" + base64.b64encode(b"old-key-" * 4).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"new-key-" * 4).decode()
# What each receiver verifies with: the flaky one is mid-rotation, Slack signs nothing.
SECRETS = {"flaky": (OLD_SECRET, NEW_SECRET), "slack": ()}
ENDPOINT_TIMEOUT_S = 1.0
RETRY_AFTER_S = 1


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str
    status: int  # what the receiver answered (or meant to, for the timed-out attempt)
    verified: bool
    body: bytes
    at: float


class Receiver:
    """A webhook receiver on a free local port; records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.recovered = False  # the "recovering" endpoint answers 503 until this is set
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.handle(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        path = request.path.strip("/")
        headers = {name.lower(): value for name, value in request.headers.items()}
        verified = self.verify(body, headers, SECRETS.get(path, (NEW_SECRET,)))
        with self.lock:
            attempt = sum(1 for r in self.requests if r.path == path) + 1
            status, extra, delay = self.answer(path, attempt, verified)
            self.requests.append(
                Received(path, headers.get("webhook-id", ""), status, verified, body, time.time())
            )
        try:
            if delay:
                time.sleep(delay)
            request.send_response(status)
            for name, value in extra.items():
                request.send_header(name, value)
            request.send_header("content-length", "0")
            request.end_headers()
        except OSError:
            pass  # the sender gave up waiting, as it should

    @staticmethod
    def verify(body: bytes, headers: dict[str, str], secrets: tuple[str, ...]) -> bool:
        """Whether the request verifies with each of ``secrets``, as receivers on the old
        and on the new key of a rotation both must."""
        if not secrets:
            return "webhook-signature" not in headers
        try:
            for secret in secrets:
                Webhook(secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True

    def answer(self, path: str, attempt: int, verified: bool) -> tuple[int, dict[str, str], float]:
        if path == "flaky":
            if attempt == 1:
                return 500, {}, 0
            if attempt == 2:
                return 429, {"retry-after": str(RETRY_AFTER_S)}, 0
            if attempt == 3:  # answers only after the sender's timeout
                return 503, {}, ENDPOINT_TIMEOUT_S * 2
            return (200 if verified else 401), {}, 0
        if path == "down":
            return 503, {}, 0
        if path == "gone":
            return 410, {}, 0
        if path == "recovering":
            return (200 if self.recovered and verified else 503), {}, 0
        return 200, {}, 0  # slack

    def to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()  # waits for the handler still sleeping
        self.thread.join()


def webhooks_file(tmp_path: Path, receiver: Receiver) -> Path:
    path = tmp_path / "webhooks.yaml"
    path.write_text(
        f"""\
- name: flaky
  url: {receiver.url("flaky")}
  secrets: [HOOK_SECRET_OLD, HOOK_SECRET_NEW]
  timeout_seconds: {ENDPOINT_TIMEOUT_S}
  max_attempts: 5
  backoff_base_seconds: 0.1
  backoff_cap_seconds: 2
- name: down
  url: {receiver.url("down")}
  secrets: [HOOK_SECRET_NEW]
  max_attempts: 3
  backoff_base_seconds: 0.05
  backoff_cap_seconds: 0.1
- name: gone
  url: {receiver.url("gone")}
  secrets: [HOOK_SECRET_NEW]
- name: supervisors
  url: {receiver.url("slack")}
  format: slack
  types: [PUBLIC_COMPLAINT]
  min_severity: HIGH
"""
    )
    return path


ALERTS_SENT = [
    care_alert(alert_id="a-at-risk", customer_id="C1"),
    care_alert(alert_id="a-at-risk", customer_id="C1", version=2, severity="CRITICAL",
               status="ESCALATED"),
    care_alert(alert_id="a-complaint", customer_id="C2", alert_type="PUBLIC_COMPLAINT",
               severity="CRITICAL", channel="SOCIAL"),
    care_alert(alert_id="a-complaint-low", customer_id="C3", alert_type="PUBLIC_COMPLAINT",
               severity="MEDIUM", channel="SOCIAL"),
    care_alert(alert_id="a-praise", customer_id="C4", alert_type="PRAISE", severity="LOW"),
]  # fmt: skip
EXPECTED_IDS = {f"{a['alert_id']}.{a['version']}" for a in ALERTS_SENT}


def command_env(
    pipeline_env: dict[str, str], webhooks: Path, metrics_port: int | None = None
) -> dict[str, str]:
    return {
        **pipeline_env,
        "CAREPIPE_WEBHOOKS_FILE": str(webhooks),
        "CAREPIPE_WEBHOOKS_METRICS_PORT": str(metrics_port or free_port()),
        "HOOK_SECRET_OLD": OLD_SECRET,
        "HOOK_SECRET_NEW": NEW_SECRET,
    }


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def webhooks_process(
    pipeline_env: dict[str, str], settings: Settings, tmp_path: Path, receiver: Receiver
) -> Iterator[tuple[CarepipeProcess, int]]:
    metrics_port = free_port()
    env = command_env(pipeline_env, webhooks_file(tmp_path, receiver), metrics_port)
    command = CarepipeProcess("webhooks", env, tmp_path / "webhooks.log").start()
    try:
        yield command, metrics_port
    finally:
        command.stop()
        print("carepipe webhooks log:\n" + command.log()[-4000:])


def send_alerts(
    settings: Settings, alerts: list[dict[str, Any]] = ALERTS_SENT
) -> list[tuple[bytes, bytes]]:
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    sent = []
    try:
        for alert in alerts:
            key, value = alert["customer_id"].encode(), schemas.codec("CareAlert").encode(alert)
            producer.send(settings.topic(ALERTS.name), key=key, value=value)
            sent.append((key, value))
        producer.flush()
    finally:
        producer.close()
    return sent


def metric(port: int, endpoint: str, outcome: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    line = f'carepipe_webhook_deliveries_total{{endpoint="{endpoint}",outcome="{outcome}"}} '
    values = [float(row.removeprefix(line)) for row in text.splitlines() if row.startswith(line)]
    return values[0] if values else 0.0


def test_every_alert_is_delivered_or_dead_lettered(
    settings: Settings, receiver: Receiver, webhooks_process: tuple[CarepipeProcess, int]
) -> None:
    command, metrics_port = webhooks_process
    sent = send_alerts(settings)
    dlq = OutputReader(settings, [settings.topic(ALERTS_DLQ.name)], from_beginning=True)
    try:
        dead = dlq.read_until(lambda records: len(records) >= 2 * len(sent), timeout_s=60)
        wait_for(lambda: accepted_ids(receiver) >= EXPECTED_IDS, command, timeout_s=30)
        time.sleep(1)  # anything that would arrive twice has had time to
    finally:
        dlq.close()

    # The healthy endpoint got each alert record exactly once with success.
    accepted = [r.webhook_id for r in receiver.to("flaky") if r.status == 200]
    assert set(accepted) == EXPECTED_IDS
    assert len(accepted) == len(set(accepted))
    # Every request carried a signature that standardwebhooks verifies, with either key.
    assert all(r.verified for r in receiver.requests), [
        r for r in receiver.requests if not r.verified
    ]

    # The first alert met 500, 429 (Retry-After: 1) and a timeout: same id on each retry.
    first = receiver.to("flaky")[:4]
    assert [r.status for r in first] == [500, 429, 503, 200]
    assert len({r.webhook_id for r in first}) == 1
    assert first[2].at - first[1].at >= RETRY_AFTER_S - 0.05  # Retry-After honoured
    assert json.loads(first[3].body)["type"] == "care.alert"

    # Slack got only the high-severity public complaint, as a Block Kit message.
    (slack,) = receiver.to("slack")
    message = json.loads(slack.body)
    assert message["text"].startswith("Public Complaint (CRITICAL) for customer C2")
    assert message["blocks"][0]["type"] == "header"

    # 503 forever: each alert tried 3 times, then dead-lettered with its original bytes.
    assert len(receiver.to("down")) == 3 * len(sent)
    # 410: one request, then the endpoint is disabled; its alerts are dead-lettered too.
    assert len(receiver.to("gone")) == 1
    by_endpoint = dead_letters_by_endpoint(dead)
    assert sorted(by_endpoint) == ["down", "gone"]
    for endpoint, reason, status in (
        ("down", b"RETRIES_EXHAUSTED", b"503"),
        ("gone", b"ENDPOINT_GONE", b"410"),
    ):
        records = by_endpoint[endpoint]
        assert sorted((r.key, r.value) for r in records) == sorted(sent)
        assert {r.headers["carepipe.errors.reason"] for r in records} == {reason}
        assert {r.headers["carepipe.errors.stage"] for r in records} == {b"webhook"}
        assert {r.headers["carepipe.webhook.status"] for r in records} == {status}
        assert {r.headers["__streams.errors.topic"] for r in records} == {
            settings.topic(ALERTS.name).encode()
        }

    # Offsets were committed in the webhooks group: a restart would resend nothing.
    group = settings.model_copy(update={"app_id": f"{settings.app_id}-webhooks"})
    assert admin.wait_caught_up(group, [settings.topic(ALERTS.name)], timeout_s=20) == 0

    assert metric(metrics_port, "flaky", "delivered") == len(sent)
    assert metric(metrics_port, "flaky", "retried") == 3
    assert metric(metrics_port, "down", "failed") == len(sent)
    assert metric(metrics_port, "gone", "disabled") == len(sent)
    assert metric(metrics_port, "supervisors", "filtered") == len(sent) - 1
    assert "gone: 410 Gone, endpoint disabled" in command.log()


def accepted_ids(receiver: Receiver) -> set[str]:
    return {r.webhook_id for r in receiver.to("flaky") if r.status == 200}


def dead_letters_by_endpoint(records: list[OutputRecord]) -> dict[str, list[OutputRecord]]:
    grouped: dict[str, list[OutputRecord]] = {}
    for record in records:
        grouped.setdefault(record.headers["carepipe.webhook.endpoint"].decode(), []).append(record)
    return grouped


def test_a_stop_mid_retry_commits_nothing_and_the_restart_delivers_the_same_webhook_id(
    pipeline_env: dict[str, str], settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    webhooks = tmp_path / "recovering.yaml"
    webhooks.write_text(
        f"""\
- name: recovering
  url: {receiver.url("recovering")}
  secrets: [HOOK_SECRET_NEW]
  max_attempts: 20
  backoff_base_seconds: 30
  backoff_cap_seconds: 30
"""
    )
    alerts_topic = settings.topic(ALERTS.name)
    group = settings.model_copy(update={"app_id": f"{settings.app_id}-webhooks"})
    (sent,) = send_alerts(settings, ALERTS_SENT[:1])
    command = CarepipeProcess(
        "webhooks", command_env(pipeline_env, webhooks), tmp_path / "webhooks.log"
    )
    try:
        command.start()
        wait_for(lambda: len(receiver.to("recovering")) >= 1, command)
        # Stopped while it waits to retry: the wait ends at once and nothing is committed.
        assert command.stop(timeout_s=15) == 0, command.log()
        assert admin.group_lag(group, [alerts_topic]) == 1
        dlq = OutputReader(settings, [settings.topic(ALERTS_DLQ.name)], from_beginning=True)
        try:
            assert dlq.read_until(lambda records: bool(records), timeout_s=2) == []
        finally:
            dlq.close()

        receiver.recovered = True
        command.start()
        wait_for(lambda: any(r.status == 200 for r in receiver.to("recovering")), command)
        assert admin.wait_caught_up(group, [alerts_topic], timeout_s=20) == 0
    finally:
        command.stop()
        print("carepipe webhooks log:\n" + command.log()[-4000:])

    requests = receiver.to("recovering")
    assert [r.status for r in requests][-1] == 200
    assert {r.webhook_id for r in requests} == {"a-at-risk.1"}
    assert all(r.verified for r in requests)
    assert "received SIGTERM: stopping" in command.log()


def wait_for(
    condition: Callable[[], bool], command: CarepipeProcess, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert command.running(), command.log()
        assert time.monotonic() < deadline, f"timed out; log:\n{command.log()}"
        time.sleep(0.2)
