"""Every error care-pipeline raises on purpose, grouped by what the caller does about it.

    CareError                   root of them all
    ├── DeadLetter              the record can never be processed: dead-letter it and go on
    │   ├── InvalidEvent        it decoded, but breaks a rule of its contract
    │   └── AvroDecodeError     its bytes are not a record of the expected schema (schemas/)
    ├── StartupError            a bad setting, file or cluster: the command stops before it
    │                           does any work, with one line that names what to fix
    │   ├── RulesError          the rules file (processors/rules.py)
    │   ├── WebhooksFileError   the webhooks file (sinks/webhook_endpoints.py)
    │   └── SettingsError, AdminError, WebhooksError, BrokerError, EventFileError,
    │       BacktestError       (pipeline/)
    └── SinkError               a sink could not deliver: retry, dead-letter or stop
                                (sinks/errors.py)

A dead letter carries a ``reason``: one :class:`DeadLetterReason`, a bounded set, safe for
metric labels and dead-letter headers. Messages never quote the record's values, which may
hold PII.
"""

from __future__ import annotations

from enum import StrEnum


class DeadLetterReason(StrEnum):
    """Why a record went to a dead-letter topic: every code any stage writes."""

    # Decoding (schemas/): the bytes are not a record of the topic's contract.
    EMPTY_VALUE = "EMPTY_VALUE"
    NOT_AVRO = "NOT_AVRO"
    MALFORMED_AVRO = "MALFORMED_AVRO"
    UNKNOWN_SCHEMA = "UNKNOWN_SCHEMA"
    # Validation (processors/normalize.py): it decoded, but breaks a rule of its contract.
    UNPROCESSABLE = "UNPROCESSABLE"
    INVALID_FIELD = "INVALID_FIELD"
    MISSING_CUSTOMER = "MISSING_CUSTOMER"
    FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"
    NEGATIVE_DURATION = "NEGATIVE_DURATION"
    # A bug met on this record: it is kept, and the partition goes on.
    PROCESSING_ERROR = "PROCESSING_ERROR"
    # Webhook delivery (sinks/webhook.py).
    DELIVERY_FAILED = "DELIVERY_FAILED"
    ENDPOINT_GONE = "ENDPOINT_GONE"
    REJECTED = "REJECTED"
    RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED"


class CareError(Exception):
    """Base of every error raised on purpose by care-pipeline."""


class DeadLetter(CareError):
    """The record cannot be processed, now or on retry: send it to the dead-letter topic."""

    reason: DeadLetterReason = DeadLetterReason.UNPROCESSABLE

    def __init__(self, message: str, reason: DeadLetterReason | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class InvalidEvent(DeadLetter):
    """A decoded event that breaks its contract (no customer, a time in the future...)."""

    reason = DeadLetterReason.INVALID_FIELD


class StartupError(CareError):
    """A command cannot start: a bad setting or file, or a cluster it cannot use.

    The message is one line that names what to fix (the setting, the file and where in it);
    the command line prints it and exits with status 1.
    """
