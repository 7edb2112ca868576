"""Fast tests for pipeline.measure.bench.report: the printed table of one run's figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.measure.bench.report import BenchReport, print_report


def test_print_report_shows_the_figures_and_the_ratios(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = BenchReport(
        2000,
        500,
        3,
        ceiling_events_per_s=4000.0,
        floor_events_per_s=2000.0,
        pipeline_events_per_s=1000.0,
        latency_offered_per_s=800.0,
        half_rate_offered_per_s=500.0,
    )
    report.latency_ms = {"p50": 12.0, "p95": 30.0, "p99": 45.0, "max": 60.0}
    report.half_rate_latency_ms = {"p50": 7.0, "p95": 9.0, "p99": 11.0, "max": 13.0}
    report.ratio, report.floor_ratio = 0.25, 0.5
    print_report(report, tmp_path / "bench.json")
    out = capsys.readouterr().out
    assert "2,000 events, 500 customers" in out
    assert "4,000/s" in out and "2,000/s" in out and "1,000/s" in out
    assert "latency at 800/s: p50" in out and "12 ms" in out
    assert "latency at 500/s: p50" in out and "7 ms" in out
    assert "Faust floor / ceiling = 0.50" in out
    assert out.rstrip().endswith("pipeline / ceiling = 0.25")


def test_a_run_without_latency_figures_prints_no_latency_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    print_report(BenchReport(2000, 500, 3), tmp_path / "bench.json")
    assert "latency at" not in capsys.readouterr().out
