"""Fast tests for pipeline.measure.bench.latency: the percentiles of measured latencies."""

from __future__ import annotations

from pipeline.measure.bench.latency import percentiles


def test_percentiles_of_no_values_are_empty() -> None:
    assert percentiles([]) == {}


def test_percentiles_index_the_sorted_values() -> None:
    figures = percentiles([float(ms) for ms in range(100, 0, -1)])
    assert figures == {"p50": 51.0, "p95": 96.0, "p99": 100.0, "max": 100.0, "mean": 50.5}
