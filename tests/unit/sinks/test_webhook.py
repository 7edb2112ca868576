"""What a webhook sends and when it retries: signatures (Standard Webhooks), filters,
payloads, the backoff schedule and Retry-After."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from sinks.webhook_endpoints import EndpointConfig, decode_secret
from sinks.webhook_payloads import (
    render,
    signature,
    slack_payload,
    webhook_headers,
    webhook_id,
)
from sinks.webhook_retry import (
    Verdict,
    backoff_bound,
    backoff_delay,
    backoff_schedule,
    parse_retry_after,
    retry_wait,
    verdict,
)
from tests.unit.sinks.alert_records import CREATED_AT, decoded

# The example of the Standard Webhooks specification (and of its reference libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

OLD_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()


def test_signature_matches_the_specification_example() -> None:
    key = decode_secret(SPEC_SECRET)

    assert signature(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY, [key]) == SPEC_SIGNATURE


def test_signature_matches_an_independent_hmac() -> None:
    body = render(decoded(), "generic")
    key = base64.b64decode(OLD_SECRET.removeprefix("whsec_"))
    expected = hmac.new(key, b"abc.1700000000." + body, hashlib.sha256).digest()

    signed = signature("abc", 1_700_000_000, body, [decode_secret(OLD_SECRET)])

    assert signed == "v1," + base64.b64encode(expected).decode()


def test_standardwebhooks_verifies_the_headers_with_either_rotated_secret() -> None:
    record = decoded()
    body = render(record, "generic")
    keys = [decode_secret(OLD_SECRET), decode_secret(NEW_SECRET)]
    headers = webhook_headers(record, body, int(time.time()), keys)

    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (OLD_SECRET, NEW_SECRET):
        payload = Webhook(secret).verify(body, headers)
        assert payload["data"]["alert_id"] == record["alert_id"]
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD_SECRET).verify(body.replace(b"C1004", b"C1005"), headers)


def test_webhook_id_is_alert_id_and_version_and_the_body_is_stable() -> None:
    record = decoded(version=3)

    assert webhook_id(record) == f"{record['alert_id']}.3"
    assert render(record, "generic") == render(decoded(version=3), "generic")
    first = webhook_headers(record, b"{}", 1_700_000_000, [decode_secret(OLD_SECRET)])
    later = webhook_headers(record, b"{}", 1_700_000_060, [decode_secret(OLD_SECRET)])
    assert first["webhook-id"] == later["webhook-id"]
    assert first["webhook-signature"] != later["webhook-signature"]


@pytest.mark.parametrize(
    "secret",
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  # no whsec_ prefix
        "whsec_not base64!",
        "whsec_" + base64.b64encode(b"short").decode(),
        "whsec_" + base64.b64encode(b"k" * 65).decode(),
    ],
)
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        decode_secret(secret)


def test_unpadded_secrets_are_accepted_as_the_reference_library_does() -> None:
    padded = "whsec_" + base64.b64encode(b"k" * 25).decode()
    assert padded.endswith("=")
    assert decode_secret(padded.rstrip("=")) == b"k" * 25


def test_generic_payload_is_the_alert_as_json_with_iso_times() -> None:
    payload = json.loads(render(decoded(), "generic"))

    assert payload["type"] == "care.alert"
    assert payload["timestamp"] == "2025-05-01T09:30:00.000Z"
    data = payload["data"]
    assert data["respond_by"] == "2025-05-01T10:30:00.000Z"
    assert data["event_time"] == "2025-05-01T09:28:00.000Z"
    assert data["reasons"][0]["code"] == "CHURN_INTENT"
    assert data["case_id"] == "case-17"
    assert datetime.fromisoformat(data["created_at"]) == CREATED_AT


def test_slack_payload_shape() -> None:
    message = slack_payload(decoded(severity="CRITICAL"))

    assert message["text"].startswith("At Risk (CRITICAL) for customer C1004")
    blocks = message["blocks"]
    assert [block["type"] for block in blocks] == [
        "header",
        "section",
        "section",
        "section",
        "context",
    ]
    assert blocks[0]["text"] == {
        "type": "plain_text",
        "text": "At Risk (CRITICAL) for customer C1004",
    }
    fields = [field["text"] for field in blocks[1]["fields"]]
    assert fields[0] == "*Type*\nAT_RISK"
    assert fields[1].endswith("CRITICAL") and fields[1].startswith("*Severity*")
    assert fields[2] == "*Customer*\nC1004 (GOLD)"
    assert fields[3].startswith("*Respond by*\n<!date^1746095400^")
    assert fields[3].endswith("|2025-05-01T10:30:00.000Z>")
    # Slack's control characters in customer-facing text are escaped.
    assert "&lt;a competitor&gt; &amp; leaving" in blocks[2]["text"]["text"]
    assert blocks[3]["text"]["text"] == "*Action*\nSenior agent callback within 1 hour"
    assert all(field["type"] == "mrkdwn" for field in blocks[1]["fields"])


def test_slack_payload_of_a_closing_record_has_no_deadline() -> None:
    message = slack_payload(decoded(alert_type="RECOVERED", status="CLOSED", respond_by=None))

    assert message["blocks"][1]["fields"][3]["text"] == "*Respond by*\n-"
    assert "CLOSED" in message["blocks"][4]["elements"][0]["text"]


def endpoint(**changes: object) -> EndpointConfig:
    return EndpointConfig.model_validate(
        {"name": "crm", "url": "http://127.0.0.1:9/hook", "secrets": ["S"], **changes}
    )


def test_filters_by_type_and_minimum_severity() -> None:
    everything = endpoint()
    complaints = endpoint(types=["PUBLIC_COMPLAINT"], min_severity="HIGH")

    assert everything.accepts("PRAISE", "LOW")
    assert everything.accepts("RECOVERED", "LOW")
    assert complaints.accepts("PUBLIC_COMPLAINT", "HIGH")
    assert complaints.accepts("PUBLIC_COMPLAINT", "CRITICAL")
    assert not complaints.accepts("PUBLIC_COMPLAINT", "MEDIUM")
    assert not complaints.accepts("AT_RISK", "CRITICAL")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (None, Verdict.RETRY),
        (408, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (410, Verdict.GONE),
        (400, Verdict.REJECTED),
        (401, Verdict.REJECTED),
        (404, Verdict.REJECTED),
        (301, Verdict.REJECTED),
    ],
)
def test_verdicts(status: int | None, expected: Verdict) -> None:
    assert verdict(status) is expected


def test_backoff_schedule_doubles_from_the_base_up_to_the_cap() -> None:
    assert backoff_schedule(6, 0.5, 30) == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert backoff_schedule(10, 0.5, 30)[-3:] == [30, 30, 30]
    assert backoff_schedule(1, 0.5, 30) == []
    assert backoff_bound(500, 0.5, 30) == 30


@pytest.mark.parametrize("retry", [1, 2, 3, 6, 12])
def test_full_jitter_stays_within_zero_and_the_bound(retry: int) -> None:
    bound = backoff_bound(retry, 0.5, 30)

    assert backoff_delay(retry, 0.5, 30, lambda: 0.0) == 0.0
    assert backoff_delay(retry, 0.5, 30, lambda: 0.5) == bound / 2
    assert backoff_delay(retry, 0.5, 30, lambda: 0.999999) < bound


NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("1", 1.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Thu, 01 May 2025 12:00:30 GMT", 30.0),
        ("Thu, 01 May 2025 11:00:00 GMT", 0.0),  # in the past: retry now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_retry_after_replaces_backoff_on_429_and_503_up_to_the_cap() -> None:
    def wait(status: int | None, headers: dict[str, str], cap: float = 30) -> float:
        return retry_wait(1, status, headers, 0.5, cap, NOW, lambda: 0.5)

    assert wait(429, {"retry-after": "7"}) == 7
    assert (
        wait(
            503,
            {"retry-after": (NOW + timedelta(seconds=12)).strftime("%a, %d %b %Y %H:%M:%S GMT")},
        )
        == 12
    )
    assert wait(503, {"retry-after": "3600"}) == 30
    assert wait(500, {"retry-after": "7"}) == 0.25  # not a status that asks for a delay
    assert wait(429, {}) == 0.25
    assert wait(None, {}) == 0.25
