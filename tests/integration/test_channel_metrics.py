"""care.metrics: one-minute windows per channel, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.ops.outputs import OutputReader, decode
from pipeline.ops.producer import send_events
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings, load_settings
from pipeline.simulation.sample import RawEvent
from pipeline.topics import METRICS

pytestmark = pytest.mark.integration

# The start of a minute an hour ago: two windows, W1 = [T, T+60s) and W2 = [T+60s, T+120s).
T = (datetime.now(UTC) - timedelta(hours=1)).replace(second=0, microsecond=0)


def call(
    n: int, cid: str, case: str, at: datetime, outcome: str, seconds: int, **extra: Any
) -> RawEvent:
    return RawEvent("VOICE", cid, {
        "call_id": f"m-call-{n}", "customer_id": cid, "started_at": at,
        "ended_at": at + timedelta(seconds=seconds), "outcome": outcome, "case_id": case,
        "transcript": None, **extra,
    })  # fmt: skip


def burst() -> list[RawEvent]:
    s = timedelta(seconds=1)
    return [
        # W1, VOICE: resolved at first contact, 300 s, CSAT 5, NPS 10 (promoter), CES 2, +0.5.
        call(1, "M1", "MA", T + 5 * s, "RESOLVED", 300, upstream_sentiment=0.5,
             survey={"csat": 5, "nps": 10, "ces": 2}),
        # W1, VOICE: abandoned in queue after 120 s: no handle time, no sentiment.
        call(2, "M2", "MB", T + 10 * s, "ABANDONED", 120),
        # W1, VOICE: unresolved, 600 s, CSAT 2, NPS 3 (detractor), -0.5.
        call(3, "M3", "MC", T + 20 * s, "UNRESOLVED", 600, upstream_sentiment=-0.5,
             survey={"csat": 2, "nps": 3}),
        # W1, EMAIL: no outcome, +0.3.
        RawEvent("EMAIL", "M1", {
            "message_id": "m-mail-1", "thread_id": "th-1", "customer_id": "M1",
            "direction": "INBOUND", "sent_at": T + 30 * s, "subject": "Hi", "body": "Thanks",
            "upstream_sentiment": 0.3,
        }),
        # W2, VOICE: the second contact on case MC resolves it (not first contact), 200 s, +0.1.
        call(4, "M3", "MC", T + 90 * s, "RESOLVED", 200, upstream_sentiment=0.1),
    ]  # fmt: skip


def window(start: datetime, channel: str, **figures: Any) -> dict[str, Any]:
    zero = {
        "interactions": 0, "sentiment_sum": 0.0, "sentiment_count": 0, "avg_sentiment": None,
        "at_risk_alerts": 0, "csat_sum": 0, "csat_count": 0, "nps_promoters": 0,
        "nps_passives": 0, "nps_detractors": 0, "ces_sum": 0, "ces_count": 0,
        "resolved_first_contact": 0, "resolution_eligible": 0, "handle_seconds_sum": 0,
        "handled_count": 0, "abandoned": 0,
    }  # fmt: skip
    return {
        "channel": channel,
        "window_start": start,
        "window_end": start + timedelta(minutes=1),
        **zero,
        **figures,
    }


def test_metrics_topic_carries_the_burst_per_channel_and_minute(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**pipeline_env, "CAREPIPE_METRICS_WINDOW_GRACE_SECONDS": "1"}
    settings: Settings = load_settings(env)
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        reader = OutputReader(settings, [settings.topic(METRICS.name)])
        send_events(settings, burst())
        records = reader.read_until(lambda got: len(got) >= 3, timeout_s=60)
        reader.close()
    finally:
        worker.stop()

    latest = {}
    for record in records:
        value = decode(record, "ChannelMetrics")
        latest[(value["channel"], value["window_start"])] = value
    w2 = T + timedelta(minutes=1)
    assert latest == {
        ("VOICE", T): window(
            T, "VOICE", interactions=3,
            sentiment_sum=0.0, sentiment_count=2, avg_sentiment=0.0,  # +0.5 - 0.5
            csat_sum=7, csat_count=2,  # 5 + 2
            nps_promoters=1, nps_detractors=1, ces_sum=2, ces_count=1,
            resolution_eligible=3, resolved_first_contact=1,
            handle_seconds_sum=900, handled_count=2,  # 300 + 600; the abandoned call is not handled
            abandoned=1,
            at_risk_alerts=1,  # the detractor on an unresolved call: NPS 3, CSAT 2, -0.5
        ),
        ("EMAIL", T): window(
            T, "EMAIL", interactions=1, sentiment_sum=0.3, sentiment_count=1, avg_sentiment=0.3,
        ),
        ("VOICE", w2): window(
            w2, "VOICE", interactions=1, sentiment_sum=0.1, sentiment_count=1, avg_sentiment=0.1,
            resolution_eligible=1, handle_seconds_sum=200, handled_count=1,
        ),
    }  # fmt: skip
