"""CareAlert records as the webhook sink reads them from care.alerts (test data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import schemas

CREATED_AT = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)


def care_alert(**changes: Any) -> dict[str, Any]:
    """A valid CareAlert record (schemas/CareAlert.avsc); ``changes`` override fields."""
    record: dict[str, Any] = {
        "alert_id": "3f5a0c9e2b7d4e1f8a6c0b9d2e4f6a8c",
        "version": 1,
        "customer_id": "C1004",
        "alert_type": "AT_RISK",
        "severity": "HIGH",
        "status": "OPEN",
        "score": 72.4,
        "reasons": [
            {
                "code": "CHURN_INTENT",
                "weight": 35.0,
                "contribution": 35.0,
                "explanation": "said they are switching to <a competitor> & leaving",
            },
            {
                "code": "REPEAT_CONTACT",
                "weight": 10.0,
                "contribution": 20.0,
                "explanation": "3rd contact about the same case in 5 days",
            },
        ],
        "explanation": "Talks of leaving after three contacts about one case",
        "excerpt": "I am switching to another provider",
        "channel": "VOICE",
        "interaction_id": "call-881",
        "case_id": "case-17",
        "customer_tier": "GOLD",
        "recommended_action": "Senior agent callback within 1 hour",
        "playbook_id": "at-risk-high",
        "respond_by": CREATED_AT + timedelta(hours=1),
        "event_time": CREATED_AT - timedelta(minutes=2),
        "created_at": CREATED_AT,
        "rules_version": "0123456789ab",
        **changes,
    }
    return record


def encoded(**changes: Any) -> bytes:
    """The record's bytes on care.alerts (Avro single-object encoding)."""
    return schemas.codec("CareAlert").encode(care_alert(**changes))


def decoded(**changes: Any) -> dict[str, Any]:
    """The record as the sink sees it after decoding."""
    return schemas.codec("CareAlert").decode(encoded(**changes))
