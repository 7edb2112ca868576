"""``carepipe alerts tail``: follow care.alerts as readable lines or JSON lines."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from pipeline.ops.outputs import OutputReader, decode
from pipeline.settings import Settings
from pipeline.topics import ALERTS
from processors.domain import ALERT_TYPES, SEVERITIES
from processors.rules import severity_rank


def follow(
    settings: Settings,
    from_beginning: bool = False,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[dict[str, Any]]:
    """Alert records as they arrive (or from the beginning), until ``stop()``."""
    reader = OutputReader(settings, [settings.topic(ALERTS.name)], from_beginning)
    try:
        while not stop():
            for record in reader.poll(0.5):
                yield decode(record, "CareAlert", reader.registry)
    finally:
        reader.close()


def matches(alert: dict[str, Any], types: Iterable[str], min_severity: str) -> bool:
    wanted = set(types) or set(ALERT_TYPES)
    return alert["alert_type"] in wanted and severity_rank(alert["severity"]) >= severity_rank(
        min_severity
    )


def as_line(alert: dict[str, Any]) -> str:
    """One readable line: when, what, who, why, and what to do by when."""
    reasons = ", ".join(
        r["code"] if r.get("contribution") is None else f"{r['code']}({r['contribution']:.0f})"
        for r in alert["reasons"][:4]
    )
    respond = alert["respond_by"]
    by = f" by {respond:%Y-%m-%d %H:%M}Z" if isinstance(respond, datetime) else ""
    return (
        f"{alert['created_at']:%Y-%m-%dT%H:%M:%SZ} {alert['alert_type']:<16} "
        f"{alert['severity']:<8} v{alert['version']} {alert['status']:<9} "
        f"{alert['customer_id']} score {alert['score']:.0f} | {reasons} | "
        f"-> {alert['recommended_action']}{by}"
    )


def as_json(alert: dict[str, Any]) -> str:
    return json.dumps(alert, default=_iso, sort_keys=True)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def deadline(seconds: float | None) -> Callable[[], bool]:
    if seconds is None:
        return lambda: False
    end = time.monotonic() + seconds
    return lambda: time.monotonic() >= end


__all__ = ["SEVERITIES", "as_json", "as_line", "deadline", "follow", "matches"]
