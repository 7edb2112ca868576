"""What a webhook sends for a care alert: the body (generic JSON or Slack) and its
Standard Webhooks headers (https://www.standardwebhooks.com).

Pure functions of the decoded ``CareAlert`` record (schemas/CareAlert.avsc): the same
record gives the same body and ``webhook-id`` on every retry and replay, so receivers can
deduplicate; only ``webhook-timestamp`` and the signature change per attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

EVENT_TYPE = "care.alert"
USER_AGENT = "care-pipeline-webhooks/1"
# Slack's limits: 150 characters of header text, 3000 per text section.
SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SEVERITY_EMOJI = {
    "LOW": "",
    "MEDIUM": ":large_yellow_circle: ",
    "HIGH": ":large_orange_circle: ",
    "CRITICAL": ":red_circle: ",
}


def webhook_id(record: Mapping[str, Any]) -> str:
    """``<alert_id>.<version>``: one id per alert record, stable across retries and replays."""
    return f"{record['alert_id']}.{record['version']}"


def iso(value: datetime) -> str:
    """ISO-8601 in UTC with milliseconds, e.g. ``2025-05-01T09:30:00.000Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def alert_json(record: Mapping[str, Any]) -> dict[str, Any]:
    """The alert record as JSON values: times become ISO-8601 strings."""
    return {
        name: iso(value) if isinstance(value, datetime) else value for name, value in record.items()
    }


def generic_payload(record: Mapping[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks envelope: ``type``, ``timestamp`` (the alert's) and ``data``."""
    return {"type": EVENT_TYPE, "timestamp": iso(record["created_at"]), "data": alert_json(record)}


def slack_payload(record: Mapping[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (notifications) and Block Kit ``blocks``."""
    alert_type, severity = record["alert_type"], record["severity"]
    title = (
        f"{alert_type.replace('_', ' ').title()} ({severity}) for customer {record['customer_id']}"
    )
    respond_by = record.get("respond_by")
    fields = [
        ("Type", alert_type),
        ("Severity", f"{SEVERITY_EMOJI.get(severity, '')}{severity}"),
        ("Customer", f"{record['customer_id']} ({record.get('customer_tier', 'BASIC')})"),
        ("Respond by", _slack_date(respond_by) if respond_by else "-"),
    ]
    reasons = [f"• {_escape(r['explanation'])}" for r in record.get("reasons") or ()]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:SLACK_HEADER_CHARS]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in fields],
        },
        _section("Reasons", "\n".join(reasons) or "-"),
        _section("Action", _escape(record.get("recommended_action") or "-")),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{record['status']} · score {record['score']:.0f} · "
                    f"{record['channel']} · alert {webhook_id(record)}",
                }
            ],
        },
    ]
    text = f"{title}: {record.get('explanation') or alert_type}"
    return {"text": _escape(text), "blocks": blocks}


def render(record: Mapping[str, Any], format: str) -> bytes:
    """The request body for an endpoint of ``format`` (``generic`` or ``slack``)."""
    payload = slack_payload(record) if format == "slack" else generic_payload(record)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signature(msg_id: str, timestamp: int, body: bytes, keys: Iterable[bytes]) -> str:
    """``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` per
    key, space-separated, so receivers on an old or a new key during rotation both verify."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        for key in keys
    )


def webhook_headers(
    record: Mapping[str, Any], body: bytes, timestamp: int, keys: Iterable[bytes]
) -> dict[str, str]:
    """The request headers of one attempt; ``timestamp`` is that attempt's unix seconds."""
    msg_id = webhook_id(record)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
    }
    signed = signature(msg_id, timestamp, body, keys)
    if signed:
        headers["webhook-signature"] = signed
    return headers


def _section(title: str, text: str) -> dict[str, Any]:
    body = f"*{title}*\n{text}"
    if len(body) > SLACK_SECTION_CHARS:
        body = body[: SLACK_SECTION_CHARS - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": body}}


def _slack_date(value: datetime) -> str:
    # Slack shows the date in each reader's own time zone; the fallback is UTC ISO-8601.
    seconds = int(value.timestamp())
    return f"<!date^{seconds}^{{date_short_pretty}} {{time}}|{iso(value)}>"


def _escape(text: str) -> str:
    """Slack's three control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
