"""Webhook sink: delivers each care alert to the endpoints that want it, signed per the
Standard Webhooks specification, with retries; what cannot be delivered is dead-lettered.

The HTTP transport, the dead-letter writer, the clock, ``sleep`` and ``random`` are passed
in, so tests point the sink at a real local server or a stub and run without waiting.
One alert goes to its endpoints in parallel (one thread each), so a slow endpoint delays
the others only by the time it takes itself.
"""

from __future__ import annotations

import http.client
import logging
import random as random_module
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import schemas
from processors.errors import DeadLetterReason
from processors.interaction import Source
from sinks.deadletter import Stage, dead_letter_headers
from sinks.errors import (
    DeliveryFailed,
    DeliveryInterrupted,
    DeliveryRejected,
    EndpointGone,
    RetriesExhausted,
    TransportError,
)
from sinks.metrics import PipelineMetrics
from sinks.webhook_endpoints import Endpoint
from sinks.webhook_payloads import render, webhook_headers, webhook_id
from sinks.webhook_retry import Verdict, retry_wait, verdict

log = logging.getLogger(__name__)

STAGE: Stage = "webhook"
ENDPOINT_HEADER = "carepipe.webhook.endpoint"
STATUS_HEADER = "carepipe.webhook.status"
ATTEMPTS_HEADER = "carepipe.webhook.attempts"
NO_STATUS = "none"  # the status header when no HTTP response came back


@dataclass(frozen=True)
class HttpResponse:
    """A response's status and headers (names in lower case); the body is not needed."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)


class HttpTransport(Protocol):
    """Sends one POST; raises TransportError when no HTTP response comes back."""

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float
    ) -> HttpResponse: ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirected POST would become a GET without the alert: report the 3xx instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrllibTransport:
    """The standard library's HTTP client. ``timeout_s`` bounds the connection and each
    read; redirects are not followed."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirects())

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float
    ) -> HttpResponse:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with self._opener.open(request, timeout=timeout_s) as response:
                return HttpResponse(response.status, _lower(response.headers))
        except urllib.error.HTTPError as exc:
            try:
                return HttpResponse(exc.code, _lower(exc.headers))
            finally:
                exc.close()
        except TimeoutError as exc:
            raise TransportError(f"no response within {timeout_s:g}s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise TransportError(f"no response within {timeout_s:g}s") from exc
            raise TransportError(f"cannot connect: {exc.reason}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"connection failed: {type(exc).__name__}") from exc


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers or {}).items()}


@dataclass(frozen=True)
class AlertMessage:
    """One record read from care.alerts: bytes as they were, and where it was read."""

    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]
    source: Source


# Writes one dead letter (key, value, headers) and returns once the broker has it.
DeadLetterWriter = Callable[[bytes | None, bytes | None, list[tuple[str, bytes]]], None]


class WebhookSink:
    """Delivers alerts to ``endpoints``; ``send`` returns once every endpoint has either
    taken the alert, filtered it out, or had it dead-lettered.

    Outcomes counted per endpoint: ``delivered``, ``filtered``, ``failed``, ``disabled``
    (one per alert), and ``retried`` (one per retry).
    """

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        transport: HttpTransport,
        dead_letters: DeadLetterWriter,
        metrics: PipelineMetrics,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        self.endpoints = list(endpoints)
        self.transport = transport
        self.dead_letters = dead_letters
        self.metrics = metrics
        self.clock = clock
        self.random = random
        self._stopping = threading.Event()
        self._sleep = sleep or self._stopping.wait
        self._disabled: set[str] = set()
        self._codec = schemas.codec("CareAlert")
        workers = len(self.endpoints)
        self._pool = ThreadPoolExecutor(workers, "webhook") if workers > 1 else None

    @property
    def disabled(self) -> frozenset[str]:
        """Names of the endpoints that answered 410 Gone."""
        return frozenset(self._disabled)

    def send(self, message: AlertMessage) -> None:
        """Delivers one alert; raises DeliveryInterrupted if ``interrupt`` was called."""
        try:
            record = self._codec.decode(message.value)
        except schemas.AvroDecodeError as exc:
            self._dead_letter(message, exc, exc.reason, None)
            return
        if self._pool is None:
            outcomes = [self._outcome(endpoint, record) for endpoint in self.endpoints]
        else:
            futures = [self._pool.submit(self._outcome, e, record) for e in self.endpoints]
            outcomes = [future.result() for future in futures]
        if any(isinstance(outcome, DeliveryInterrupted) for outcome in outcomes):
            raise DeliveryInterrupted("stopping: the alert will be delivered after restart")
        for outcome in outcomes:
            if isinstance(outcome, DeliveryFailed):
                self._dead_letter(message, outcome, outcome.reason, outcome)

    def interrupt(self) -> None:
        """Stops waits between retries; the alert in flight is left for the next run."""
        self._stopping.set()

    def close(self) -> None:
        self.interrupt()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def deliver(self, endpoint: Endpoint, record: Mapping[str, Any]) -> str:
        """Delivers ``record`` to one endpoint; returns "delivered" or "filtered", raises
        DeliveryFailed (dead-letter it) or DeliveryInterrupted."""
        config, name = endpoint.config, endpoint.name
        if not config.accepts(record["alert_type"], record["severity"]):
            self.metrics.delivered(name, "filtered")
            return "filtered"
        msg_id = webhook_id(record)
        if name in self._disabled:
            self.metrics.delivered(name, "disabled")
            raise EndpointGone(name, 410, 0, "disabled after an earlier 410 Gone")
        body = render(record, config.format)
        status: int | None = None
        headers: Mapping[str, str] = {}
        problem = ""
        for attempt in range(1, config.max_attempts + 1):
            if attempt > 1:
                now = datetime.fromtimestamp(self.clock(), UTC)
                wait = retry_wait(
                    attempt - 1,
                    status,
                    headers,
                    config.backoff_base_seconds,
                    config.backoff_cap_seconds,
                    now,
                    self.random,
                )
                self.metrics.delivered(name, "retried")
                log.info("webhook %s: %s for %s, retry in %.2fs", name, problem, msg_id, wait)
                self._sleep(wait)
                if self._stopping.is_set():
                    raise DeliveryInterrupted(f"endpoint {name}: stopping")
            signed = webhook_headers(record, body, int(self.clock()), endpoint.keys)
            try:
                response = self.transport.post(
                    str(config.url), body, signed, config.timeout_seconds
                )
                status, headers = response.status, response.headers
                problem = f"HTTP {status}"
            except TransportError as exc:
                status, headers, problem = None, {}, str(exc)
            result = verdict(status)
            if result is Verdict.DELIVERED:
                self.metrics.delivered(name, "delivered")
                return "delivered"
            if result is Verdict.GONE:
                self._disabled.add(name)
                self.metrics.delivered(name, "disabled")
                log.warning("webhook %s: 410 Gone, endpoint disabled until restart", name)
                raise EndpointGone(name, status, attempt, "HTTP 410 Gone: endpoint disabled")
            if result is Verdict.REJECTED:
                self.metrics.delivered(name, "failed")
                raise DeliveryRejected(name, status, attempt, f"{problem}, not retried")
        self.metrics.delivered(name, "failed")
        raise RetriesExhausted(name, status, config.max_attempts, f"{problem}, no attempts left")

    def _outcome(
        self, endpoint: Endpoint, record: Mapping[str, Any]
    ) -> str | DeliveryFailed | DeliveryInterrupted:
        try:
            return self.deliver(endpoint, record)
        except (DeliveryFailed, DeliveryInterrupted) as exc:
            return exc

    def _dead_letter(
        self,
        message: AlertMessage,
        error: BaseException,
        reason: DeadLetterReason,
        failure: DeliveryFailed | None,
    ) -> None:
        failed_at_ms = int(self.clock() * 1000)
        extra = dead_letter_headers(error, reason, message.source, STAGE, failed_at_ms)
        if failure is not None:
            status = NO_STATUS if failure.status is None else str(failure.status)
            extra += [
                (ENDPOINT_HEADER, failure.endpoint.encode()),
                (STATUS_HEADER, status.encode()),
                (ATTEMPTS_HEADER, str(failure.attempts).encode()),
            ]
        ours = {name for name, _ in extra}
        kept = [(name, value) for name, value in message.headers if name not in ours]
        self.dead_letters(message.key, message.value, kept + extra)
        self.metrics.dead_lettered(STAGE, reason)
        where = message.source
        log.warning(
            "dead-lettered %s[%d]@%d for %s: %s",
            where.topic,
            where.partition,
            where.offset,
            failure.endpoint if failure else "every endpoint",
            reason,
        )
