"""The bench's figures and how they are shown: ``BenchReport``, ``print_report`` and the
``console`` the whole run writes to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


@dataclass
class BenchReport:
    """Every figure of one run; ``ratio`` is pipeline / ceiling throughput and
    ``floor_ratio`` Faust floor / ceiling."""

    events: int
    customers: int
    partitions: int
    preload_seconds: float = 0.0
    ceiling_events_per_s: float = 0.0
    floor_events_per_s: float = 0.0
    pipeline_events_per_s: float = 0.0
    latency_offered_per_s: float = 0.0
    latency_events: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    half_rate_offered_per_s: float = 0.0
    half_rate_events: int = 0
    half_rate_latency_ms: dict[str, float] = field(default_factory=dict)
    worker_peak_rss_mb: float = 0.0
    worker_rss_mb_after_preload: float = 0.0
    worker_rss_mb_at_end: float = 0.0
    state_bytes_per_customer: float = 0.0
    ratio: float = 0.0
    floor_ratio: float = 0.0
    started_at: str = ""
    machine: dict[str, Any] = field(default_factory=dict)


def print_report(report: BenchReport, path: Path) -> None:
    """The figures as a table, then where the report was written and the ratio."""
    table = Table(title=f"carepipe bench: {report.events:,} events, {report.customers:,} customers")
    table.add_column("measure")
    table.add_column("value", justify="right")
    r, lat = report, report.latency_ms
    rows = [
        ("pre-load (kafka-python producer)", f"{r.preload_seconds:.1f} s"),
        ("raw ceiling: consume, decode, encode, produce", f"{r.ceiling_events_per_s:,.0f}/s"),
        (
            "Faust floor: bare agent, decode, one table write, produce",
            f"{r.floor_events_per_s:,.0f}/s",
        ),
        ("full pipeline, one worker", f"{r.pipeline_events_per_s:,.0f}/s"),
        *_latency_rows(r.latency_offered_per_s, lat),
        *_latency_rows(r.half_rate_offered_per_s, r.half_rate_latency_ms),
        ("worker peak RSS", f"{r.worker_peak_rss_mb:.0f} MiB"),
        (
            "worker RSS after the pre-loaded run / at the end",
            f"{r.worker_rss_mb_after_preload:.0f} / {r.worker_rss_mb_at_end:.0f} MiB",
        ),
        ("state per customer (history changelog value)", f"{r.state_bytes_per_customer:,.0f} B"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    console.print(f"report: {path}")
    console.print(f"[bold]Faust floor / ceiling = {report.floor_ratio:.2f}[/]")
    console.print(f"[bold]pipeline / ceiling = {report.ratio:.2f}[/]")


def _latency_rows(offered: float, ms: dict[str, float]) -> list[tuple[str, str]]:
    if not offered:
        return []
    first = (f"latency at {offered:,.0f}/s: p50", f"{ms.get('p50', 0):.0f} ms")
    return [first, *((f"  {q}", f"{ms.get(q, 0):.0f} ms") for q in ("p95", "p99", "max"))]
