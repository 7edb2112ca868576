"""Errors of the functional core, grouped by what the caller does about them.

    CareError
    └── DeadLetter          the record can never be processed: dead-letter it and go on
        └── InvalidEvent    it decoded, but breaks a rule of its contract

Each carries a ``reason``: a short code from a bounded set, safe for metric labels and
dead-letter headers. Messages never quote the record's values, which may hold PII.
"""

from __future__ import annotations


class CareError(Exception):
    """Base of every error raised on purpose by care-pipeline's core."""


class DeadLetter(CareError):
    """The record cannot be processed, now or on retry: send it to the dead-letter topic."""

    reason = "UNPROCESSABLE"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class InvalidEvent(DeadLetter):
    """A decoded event that breaks its contract (no customer, a time in the future...)."""

    reason = "INVALID_FIELD"


# Reasons, one per rule; the dead-letter topic and the metrics use these codes.
MISSING_CUSTOMER = "MISSING_CUSTOMER"
FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"
NEGATIVE_DURATION = "NEGATIVE_DURATION"
INVALID_FIELD = "INVALID_FIELD"
