"""Fast tests for pipeline.measure.bench.report: the printed table of one run's figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.measure.bench.report import BenchReport, print_report


def test_print_report_shows_the_figures_and_the_ratio(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = BenchReport(2000, 500, 3, ceiling_events_per_s=4000.0, pipeline_events_per_s=1000.0)
    report.latency_ms = {"p50": 12.0, "p95": 30.0, "p99": 45.0, "max": 60.0}
    report.ratio = 0.25
    print_report(report, tmp_path / "bench.json")
    out = capsys.readouterr().out
    assert "2,000 events, 500 customers" in out
    assert "4,000/s" in out and "12 ms" in out
    assert "pipeline / ceiling = 0.25" in out
