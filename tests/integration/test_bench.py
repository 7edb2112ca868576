"""`carepipe bench` with a small load: the report has every figure, and each is positive.
The targets themselves are measured by the command, never asserted as timings here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.ops.localkafka import BrokerStatus
from pipeline.ops.workerproc import free_port

pytestmark = pytest.mark.integration


def test_bench_reports_every_figure(broker: BrokerStatus, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREPIPE_")}
    env |= {
        "CAREPIPE_BROKER": f"kafka://{broker.bootstrap}",
        "CAREPIPE_WEB_PORT": str(free_port()),
        "CAREPIPE_DATA_DIR": str(tmp_path),
    }
    report = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "bench", "--events", "2000",
         "--customers", "1000", "--rate", "100", "--latency-seconds", "3",
         "--report", str(report)],
        env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads(report.read_text())
    for name in (
        "events", "preload_seconds", "ceiling_events_per_s", "floor_events_per_s",
        "pipeline_events_per_s", "latency_events", "half_rate_offered_per_s",
        "half_rate_events", "worker_peak_rss_mb", "worker_rss_mb_after_preload",
        "worker_rss_mb_at_end", "state_bytes_per_customer", "ratio", "floor_ratio",
    ):  # fmt: skip
        assert figures[name] > 0, name
    assert set(figures["latency_ms"]) == {"p50", "p95", "p99", "max", "mean"}
    assert set(figures["half_rate_latency_ms"]) == {"p50", "p95", "p99", "max", "mean"}
    assert figures["half_rate_offered_per_s"] <= figures["pipeline_events_per_s"] / 2
    assert all(value >= 0 for value in figures["latency_ms"].values())
    assert figures["latency_ms"]["max"] > 0
    *_, floor_line, last_line = done.stdout.rstrip().splitlines()
    assert floor_line.startswith("Faust floor / ceiling = ")
    assert last_line.startswith("pipeline / ceiling = ")
