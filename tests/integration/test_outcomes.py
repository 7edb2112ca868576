"""Customer outcomes judge the AT_RISK alerts live: a real worker reads interactions that
raise AT_RISK, then CHURNED outcomes, and a real Prometheus that scrapes it answers the
dashboard's precision, churners-caught and lead-time queries with the expected values."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deploy.grafana.queries import DEFAULT_VALUES, dashboard_queries
from pipeline import admin
from pipeline.ops.producer import send_events
from pipeline.ops.workerproc import WorkerProcess, free_port
from pipeline.settings import Settings
from pipeline.simulation.sample import RawEvent
from pipeline.topics import CARE_INPUTS, HANDLES, OUTCOMES, PROFILES

from .test_prometheus import ROOT, query, start_prometheus

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def profile(cid: str) -> RawEvent:
    return RawEvent(
        "PROFILE",
        cid,
        {
            "customer_id": cid,
            "tier": "SILVER",
            "lifetime_value": 800.0,
            "signup_date": (NOW - timedelta(days=500)).date(),
            "renewal_date": None,
            "social_handles": [],
            "updated_at": NOW - timedelta(days=30),
        },
    )


def angry_calls(cid: str, at: datetime) -> list[RawEvent]:
    """Two calls an hour apart on one case, talking of cancelling: enough for AT_RISK."""
    return [
        RawEvent(
            "VOICE",
            cid,
            {
                "call_id": f"{cid}-call-{n}",
                "customer_id": cid,
                "started_at": at + timedelta(hours=n),
                "ended_at": at + timedelta(hours=n, minutes=10),
                "queue_wait_seconds": 30,
                "outcome": "ESCALATED",
                "transcript": "Third time calling, nothing works. I want to cancel my "
                "subscription.",
                "upstream_sentiment": -0.8,
                "agent_id": "agent-1",
                "case_id": f"{cid}-case",
            },
        )
        for n in range(2)
    ]


def outcome(cid: str, kind: str, at: datetime) -> RawEvent:
    record = {
        "customer_id": cid,
        "outcome": kind,
        "occurred_at": at,
        "source": "billing",
        "outcome_id": f"{cid}-{kind}",
    }
    return RawEvent("OUTCOME", cid, record)


def wait_for(url: str, expr: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not query(url, expr)["data"]["result"]:
        assert time.monotonic() < deadline, f"no answer to {expr} within {timeout_s} s"
        time.sleep(0.5)


def value(url: str, expr: str) -> float:
    answer = query(url, expr)
    assert answer["status"] == "success", answer
    results = answer["data"]["result"]
    assert len(results) == 1, (expr, results)
    return float(results[0]["value"][1])


def test_outcomes_judge_at_risk_alerts_and_prometheus_shows_precision(
    pipeline_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    # A horizon of one day: an opening five days old has seen its horizon (and the day
    # of grace) pass without a churn; openings of the last day meet their churn.
    env = {**pipeline_env, "CAREPIPE_OUTCOME_HORIZON_DAYS": "1",
           "CAREPIPE_JUDGEMENT_CHECK_SECONDS": "1"}  # fmt: skip
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    prometheus, url = start_prometheus(tmp_path, int(env["CAREPIPE_WEB_PORT"]), free_port())
    try:
        # increase() counts from a series' first sample: Prometheus must have seen the
        # counters at 0 (they exist from the worker's start) before anything is judged.
        wait_for(url, "count(carepipe_at_risk_judged_total) == 2")
        caught = {"O1": NOW - timedelta(hours=14), "O2": NOW - timedelta(hours=20)}
        stayer, missed = "O3", "O4"
        send_events(settings, [profile(c) for c in (*caught, stayer, missed)])
        admin.wait_caught_up(
            settings, [settings.topic(PROFILES.name), settings.topic(HANDLES.name)], 60
        )
        events = [e for cid, at in caught.items() for e in angry_calls(cid, at)]
        events += angry_calls(stayer, NOW - timedelta(days=5))
        send_events(settings, events)
        inputs = [settings.topic(spec.name) for spec in CARE_INPUTS]
        assert admin.wait_caught_up(settings, inputs, 60) == 0

        # Each churner left an hour ago; the stayer renewed, which judges nothing.
        churn_at = NOW - timedelta(hours=1)
        outcomes = [outcome(cid, "CHURNED", churn_at) for cid in (*caught, missed)]
        outcomes.append(outcome(stayer, "RENEWED", NOW - timedelta(hours=2)))
        # Read again, as after a crash: counted once.
        send_events(settings, outcomes + outcomes[:2])
        assert admin.wait_caught_up(settings, [settings.topic(OUTCOMES.name)], 60) == 0

        opened = 'sum(carepipe_alerts_total{alert_type="AT_RISK", status="OPEN"})'
        judged = "sum(carepipe_at_risk_judged_total)"
        wait_for(url, f"{judged} >= 3")
        time.sleep(3)  # a few more scrapes, so that no late count is missed
        assert value(url, opened) == 3
        assert value(url, judged) == 3
        assert value(url, 'sum(carepipe_outcomes_total{outcome="CHURNED"})') == 3
        assert value(url, 'sum(carepipe_outcomes_total{outcome="RENEWED"})') == 1

        panels = dict(dashboard_queries(ROOT / "deploy/grafana/care-pipeline.json",
                                        {**DEFAULT_VALUES, "__range": "10m"}))  # fmt: skip
        # Two of the three openings were followed by a churn within the horizon; two of
        # the three churners had an opening in the horizon before they left.
        assert math.isclose(value(url, panels["AT_RISK precision"]), 2 / 3, rel_tol=1e-6)
        assert math.isclose(value(url, panels["Churners caught"]), 2 / 3, rel_tol=1e-6)
        lead = value(
            url, "sum(carepipe_churn_lead_time_days_sum) / sum(carepipe_churn_lead_time_days_count)"
        )
        # The leads: from each churner's first opening (the second call, an hour after
        # the first, crosses the threshold at the latest) to the churn.
        assert 12 / 24 <= lead <= 20 / 24, lead
        assert 0 < value(url, panels["Lead time median / p90"]) <= 1
        recorded = value(url, "job:carepipe_at_risk_precision:ratio30d")
        assert math.isclose(recorded, 2 / 3, rel_tol=1e-6)
    finally:
        prometheus.terminate()
        prometheus.wait(10)
        code = worker.stop()
        print(f"worker exited with {code}; last lines of its log:\n{worker.log_tail(40)}")
