"""The demo end to end, and `carepipe alerts tail` for downstream consumers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaProducer

import schemas
from pipeline.ops.workerproc import free_port
from pipeline.settings import Settings
from pipeline.topics import ALERTS

pytestmark = pytest.mark.integration


def test_demo_runs_end_to_end_and_shows_each_kind_of_alert(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREPIPE_")}
    env |= {"CAREPIPE_WEB_PORT": str(free_port()), "CAREPIPE_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "demo", "--duration", "45",
         "--customers", "1000", "--events", "2000", "--rate", "200"],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    shown = set(re.findall(r"Z (AT_RISK|PUBLIC_COMPLAINT|PRAISE) ", done.stdout))
    assert shown == {"AT_RISK", "PUBLIC_COMPLAINT", "PRAISE"}, done.stdout[-3000:]
    assert "summary" in done.stdout and "dead letters" in done.stdout
    assert "/metrics" in done.stdout and "/customers/" in done.stdout


def alert(alert_id: str, alert_type: str, severity: str) -> dict[str, object]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "alert_id": alert_id, "customer_id": "C7", "alert_type": alert_type,
        "severity": severity, "score": 72.0, "channel": "CHAT", "interaction_id": "chat:s-1",
        "reasons": [{"code": "REPEAT_CONTACT", "weight": 10.0, "contribution": 20.0,
                     "explanation": "3rd contact about case K1"}],
        "recommended_action": "senior agent callback within 4 hours",
        "respond_by": now + timedelta(hours=4), "event_time": now, "created_at": now,
    }  # fmt: skip


def test_alerts_tail_filters_and_prints_json_lines(settings: Settings) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    codec = schemas.codec("CareAlert")
    for record in (
        alert("a1", "AT_RISK", "HIGH"),
        alert("a2", "AT_RISK", "LOW"),
        alert("a3", "PRAISE", "LOW"),
        alert("a4", "PUBLIC_COMPLAINT", "CRITICAL"),
    ):
        producer.send(settings.topic(ALERTS.name), key=b"C7", value=codec.encode(record))
    producer.flush()
    producer.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREPIPE_")}
    env |= {"CAREPIPE_BROKER": settings.broker, "CAREPIPE_TOPIC_PREFIX": settings.topic_prefix}
    base = [sys.executable, "-m", "pipeline.cli", "alerts", "tail", "--from-beginning"]

    as_json = subprocess.run(
        [*base, "--json", "--min-severity", "HIGH", "--timeout", "6"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert sorted(a["alert_id"] for a in lines) == ["a1", "a4"]
    assert lines[0]["reasons"][0]["code"] == "REPEAT_CONTACT"

    readable = subprocess.run(
        [*base, "--type", "AT_RISK", "--timeout", "6"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    rows = readable.stdout.splitlines()
    assert len(rows) == 2 and all(" AT_RISK " in row for row in rows)
    assert "-> senior agent callback within 4 hours" in rows[0]
