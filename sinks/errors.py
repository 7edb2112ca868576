"""Errors of the sinks, grouped by what the caller does about them.

    SinkError
    ├── TransportError          no HTTP response (timeout, refused, reset): retry
    ├── DeliveryFailed          the endpoint did not take the alert: dead-letter it, go on
    │   ├── EndpointGone        410: the endpoint is disabled, later alerts skip it
    │   ├── DeliveryRejected    a status that retrying would not change (4xx, 3xx)
    │   └── RetriesExhausted    the last attempt failed too
    └── DeliveryInterrupted     the process is stopping: commit nothing; the alert is
                                delivered again after the restart (same webhook-id)

A ``DeliveryFailed`` carries a bounded ``reason`` code for dead-letter headers. Messages
name the endpoint and the status, never the URL (it may hold a token) or the alert.
"""

from __future__ import annotations

from processors.errors import CareError, DeadLetterReason


class SinkError(CareError):
    """Base of the errors raised on purpose by a sink."""


class TransportError(SinkError):
    """The request got no HTTP response at all; worth retrying."""


class DeliveryInterrupted(SinkError):
    """Delivery stopped because the process is stopping; nothing was dead-lettered."""


class DeliveryFailed(SinkError):
    """An endpoint did not take an alert; the alert goes to the dead-letter topic."""

    reason = DeadLetterReason.DELIVERY_FAILED

    def __init__(self, endpoint: str, status: int | None, attempts: int, problem: str) -> None:
        super().__init__(f"endpoint {endpoint}: {problem} (attempt {attempts})")
        self.endpoint = endpoint
        self.status = status
        self.attempts = attempts


class EndpointGone(DeliveryFailed):
    """The endpoint answered 410 Gone, now or before: it is disabled until restart."""

    reason = DeadLetterReason.ENDPOINT_GONE


class DeliveryRejected(DeliveryFailed):
    """The endpoint refused the alert with a status that a retry would not change."""

    reason = DeadLetterReason.REJECTED


class RetriesExhausted(DeliveryFailed):
    """Every attempt failed with a retryable status, a timeout or a connection error."""

    reason = DeadLetterReason.RETRIES_EXHAUSTED
