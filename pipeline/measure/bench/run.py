"""One bench run: ``run_bench`` measures the ceiling, the pipeline, the latency and the
footprint on fresh topics, then writes and prints the ``BenchReport``."""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import Progress

from pipeline import admin
from pipeline.measure.bench.ceiling import ensure_ceiling_sink, measure_ceiling
from pipeline.measure.bench.floor import ensure_floor_sink, floor_app_id, floor_outputs
from pipeline.measure.bench.footprint import rss_mb, state_bytes_per_customer
from pipeline.measure.bench.latency import measure_latency, percentiles
from pipeline.measure.bench.load import preload, simulated
from pipeline.measure.bench.report import BenchReport, console, print_report
from pipeline.measure.bench.throughput import measure_group, measure_pipeline
from pipeline.ops.workerproc import CarepipeProcess, WorkerProcess, free_port
from pipeline.settings import load_settings
from pipeline.topics import RAW_CHANNELS


def run_bench(
    events: int = 200_000,
    customers: int = 60_000,
    rate: float = 1_000.0,
    latency_seconds: float = 20.0,
    report_path: Path = Path("bench-report.json"),
) -> BenchReport:
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    env = {
        "CAREPIPE_TOPIC_PREFIX": f"bench{run}.",
        "CAREPIPE_APP_ID": f"care-pipeline-bench{run}",
        "CAREPIPE_LOG_LEVEL": "warning",
        "CAREPIPE_WEB_PORT": str(free_port()),
    }
    env = {k: v for k, v in env.items() if k not in os.environ}
    settings = load_settings({**os.environ, **env})
    report = BenchReport(
        events, customers, settings.topic_partitions, started_at=datetime.now(UTC).isoformat(),
        machine={"cpus": os.cpu_count(), "python": os.sys.version.split()[0]},  # type: ignore[attr-defined]
    )  # fmt: skip
    admin.ensure_topics(settings)
    ensure_ceiling_sink(settings)
    ensure_floor_sink(settings)

    with Progress(console=console) as progress:
        started = time.monotonic()
        # One population: its profiles and first events are pre-loaded, the events that
        # follow them are offered live for the latency, so none of those is a replay.
        # Live events for two latency runs: at ``rate``, then at half the pipeline's rate
        # (at most ``rate`` again), each for ``latency_seconds``.
        live_count = 2 * int(rate * latency_seconds)
        simulation = simulated(events + live_count, customers, seed=42)
        stream, live = simulation[: customers + events], simulation[customers + events :]
        task = progress.add_task("pre-loading events", total=len(stream))
        preload(settings, stream, lambda n: progress.advance(task, n))
        report.preload_seconds = round(time.monotonic() - started, 1)
        raw_topics = [settings.topic(spec.name) for spec in RAW_CHANNELS.values()]
        events = report.events = sum(1 for e in stream if e.channel in RAW_CHANNELS)

        task = progress.add_task("raw ceiling (aiokafka loop)", total=events)
        report.ceiling_events_per_s = asyncio.run(
            measure_ceiling(settings, raw_topics, events, lambda n: progress.advance(task, n))
        )

        task = progress.add_task("Faust floor (bare agent, one table write)", total=events)
        floor_log = Path(settings.data_dir) / f"bench-floor-{run}.log"
        floor = CarepipeProcess("bench-floor", env, floor_log)
        floor.start()
        try:
            floor_settings = settings.model_copy(update={"app_id": floor_app_id(settings)})
            report.floor_events_per_s = measure_group(
                floor_settings, raw_topics, floor_outputs(settings), events,
                lambda n: progress.advance(task, n), floor.running,
            )  # fmt: skip
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{floor.log_tail()}") from exc
        finally:
            floor.stop()

        task = progress.add_task("full pipeline (one worker)", total=events)
        worker = WorkerProcess(env, Path(settings.data_dir) / f"bench-worker-{run}.log")
        worker.start(ready_timeout_s=120)
        try:
            report.pipeline_events_per_s = measure_pipeline(
                settings, events, lambda n: progress.advance(task, n), worker.running
            )
            report.worker_rss_mb_after_preload = rss_mb(worker, "VmRSS")
            task = progress.add_task(f"latency at {rate:.0f} events/s", total=None)
            report.latency_offered_per_s = rate
            at_rate, rest = live[: len(live) // 2], live[len(live) // 2 :]
            latencies = measure_latency(settings, at_rate, rate)
            report.latency_events = len(latencies)
            report.latency_ms = percentiles(latencies)
            half = min(rate, report.pipeline_events_per_s / 2)
            if half >= 1:
                task = progress.add_task(f"latency at {half:.0f} events/s", total=None)
                report.half_rate_offered_per_s = round(half, 1)
                offered = rest[: int(half * latency_seconds)]
                latencies = measure_latency(settings, offered, half)
                report.half_rate_events = len(latencies)
                report.half_rate_latency_ms = percentiles(latencies)
            report.worker_rss_mb_at_end = rss_mb(worker, "VmRSS")
            report.worker_peak_rss_mb = rss_mb(worker, "VmHWM")
        finally:
            worker.stop()
        report.state_bytes_per_customer = state_bytes_per_customer(settings, customers)
    if report.ceiling_events_per_s:
        report.ratio = round(report.pipeline_events_per_s / report.ceiling_events_per_s, 3)
        report.floor_ratio = round(report.floor_events_per_s / report.ceiling_events_per_s, 3)
    report_path.write_text(json.dumps(asdict(report), indent=2) + "\n")
    print_report(report, report_path)
    return report
