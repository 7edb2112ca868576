"""``carepipe bench``: throughput, latency and memory of the pipeline, measured side by side
with the raw client ceiling on the same broker, in one run.

1. ceiling: a bare aiokafka loop that consumes the raw topics, decodes, re-encodes and
   produces, with no processing;
2. pipeline: one real worker (normalize, enrich, score, alert) over the same pre-loaded
   events, from the first record it wrote to the scoring of the last event;
3. latency: events offered at a fixed rate to that worker, from each produce to its
   normalized record (matched by the lineage fields: topic, partition, offset);
4. the worker's peak resident memory and its state per customer.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

import schemas
from pipeline import admin
from pipeline.ops.producer import SPECS
from pipeline.ops.workerproc import WorkerProcess, free_port
from pipeline.settings import Settings, load_settings
from pipeline.simulation.population import PopulationConfig
from pipeline.simulation.sample import RawEvent
from pipeline.simulation.simulate import simulate
from pipeline.topics import (
    CARE_INPUTS,
    DLQ,
    NORMALIZED,
    RAW_CHANNELS,
    SOCIAL_UNRESOLVED,
    TopicSpec,
)

console = Console(highlight=False)
CEILING_SINK = TopicSpec("bench.ceiling", None)


@dataclass
class BenchReport:
    """Every figure of one run; ``ratio`` is pipeline / ceiling throughput."""

    events: int
    customers: int
    partitions: int
    preload_seconds: float = 0.0
    ceiling_events_per_s: float = 0.0
    pipeline_events_per_s: float = 0.0
    latency_offered_per_s: float = 0.0
    latency_events: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    worker_peak_rss_mb: float = 0.0
    worker_rss_mb_after_preload: float = 0.0
    worker_rss_mb_at_end: float = 0.0
    state_bytes_per_customer: float = 0.0
    ratio: float = 0.0
    started_at: str = ""
    machine: dict[str, Any] = field(default_factory=dict)


def simulated(events: int, customers: int, seed: int) -> list[RawEvent]:
    """The profiles of a simulated population, then ``events`` of its records, ending now;
    the span grows from 90 days until the population has that many records."""
    days = 90.0
    while True:
        config = PopulationConfig(end=datetime.now(UTC), customers=customers, days=days, seed=seed)
        stream = [timed.event for timed in simulate(config, max_events=events).events]
        if len(stream) >= customers + events or days > 3650:
            return stream
        days *= 2


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
    _ensure_topic(settings, settings.topic(CEILING_SINK.name))

    with Progress(console=console) as progress:
        started = time.monotonic()
        # One population: its profiles and first events are pre-loaded, the events that
        # follow them are offered live for the latency, so none of those is a replay.
        simulation = simulated(events + int(rate * latency_seconds), customers, seed=42)
        stream, live = simulation[: customers + events], simulation[customers + events :]
        task = progress.add_task("pre-loading events", total=len(stream))
        _produce(settings, stream, lambda n: progress.advance(task, n))
        report.preload_seconds = round(time.monotonic() - started, 1)
        raw_topics = [settings.topic(spec.name) for spec in RAW_CHANNELS.values()]
        events = report.events = sum(1 for e in stream if e.channel in RAW_CHANNELS)

        task = progress.add_task("raw ceiling (aiokafka loop)", total=events)
        report.ceiling_events_per_s = asyncio.run(
            _ceiling(settings, raw_topics, events, lambda n: progress.advance(task, n))
        )

        task = progress.add_task("full pipeline (one worker)", total=events)
        worker = WorkerProcess(env, Path(settings.data_dir) / f"bench-worker-{run}.log")
        worker.start(ready_timeout_s=120)
        try:
            report.pipeline_events_per_s = _pipeline(
                settings, events, lambda n: progress.advance(task, n)
            )
            report.worker_rss_mb_after_preload = _rss_mb(worker, "VmRSS")
            task = progress.add_task(f"latency at {rate:.0f} events/s", total=None)
            report.latency_offered_per_s = rate
            latencies = _latency(settings, live, rate)
            report.latency_events = len(latencies)
            report.latency_ms = _percentiles(latencies)
            report.worker_rss_mb_at_end = _rss_mb(worker, "VmRSS")
            report.worker_peak_rss_mb = _rss_mb(worker, "VmHWM")
        finally:
            worker.stop()
        report.state_bytes_per_customer = _state_per_customer(settings, customers)
    if report.ceiling_events_per_s:
        report.ratio = round(report.pipeline_events_per_s / report.ceiling_events_per_s, 3)
    report_path.write_text(json.dumps(asdict(report), indent=2) + "\n")
    _print(report, report_path)
    return report


def _ensure_topic(settings: Settings, name: str) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    client = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        client.create_topics(
            [NewTopic(name, settings.topic_partitions, settings.topic_replication)]
        )
    except TopicAlreadyExistsError:
        pass
    finally:
        client.close()


def _produce(settings: Settings, stream: list[RawEvent], advance: Callable[[int], None]) -> None:
    client = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks=1,
        linger_ms=20,
        batch_size=256 * 1024,
        compression_type=None,
    )
    try:
        for n, event in enumerate(stream, 1):
            spec = SPECS[event.channel]
            value = schemas.codec(spec.schema or "").encode(event.record)
            client.send(settings.topic(spec.name), key=event.key.encode(), value=value)
            if n % 5000 == 0:
                advance(5000)
        client.flush()
    finally:
        client.close()


async def _ceiling(
    settings: Settings, topics: list[str], total: int, advance: Callable[[int], None]
) -> float:
    """Consume, decode, re-encode and produce every raw event; events/s over the loop."""
    codecs = {settings.topic(spec.name): schemas.codec(spec.schema or "")
              for spec in RAW_CHANNELS.values()}  # fmt: skip
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"{settings.app_id}-ceiling",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, linger_ms=5, max_batch_size=256 * 1024
    )
    await consumer.start()
    await producer.start()
    sink = settings.topic(CEILING_SINK.name)
    seen = 0
    first = last = 0.0
    try:
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                codec = codecs[tp.topic]
                for record in records:
                    if not first:
                        first = time.monotonic()
                    value = codec.encode(codec.decode(record.value))
                    await producer.send(sink, key=record.key, value=value)
                seen += len(records)
                advance(len(records))
            if batches:
                await consumer.commit()
        await producer.flush()
        last = time.monotonic()
    finally:
        await consumer.stop()
        await producer.stop()
    return round(seen / (last - first), 1) if last > first else 0.0


def _pipeline(settings: Settings, total: int, advance: Callable[[int], None]) -> float:
    """Events/s from the worker's first output to its last, once its group has consumed
    every input (raw channels, re-keyed interactions, social posts by handle)."""
    inputs = [settings.topic(spec.name) for spec in (*CARE_INPUTS, SOCIAL_UNRESOLVED)]
    deadline = time.monotonic() + 1800
    done = 0
    while time.monotonic() < deadline:
        try:
            lag = admin.group_lag(settings, inputs)
        except Exception:  # a group that is still joining has no offsets to show
            lag = -1
        progress = max(0, total - max(lag, 0)) if lag >= 0 else 0
        advance(max(0, progress - done))
        done = max(done, progress)
        if lag == 0:
            break
        time.sleep(2.0)  # each check opens two clients: keep the CPU for the worker
    # The first record out (normalized or dead-lettered) to the last history written.
    outputs = [settings.topic(t.name) for t in (NORMALIZED, DLQ)]
    outputs.append(f"{settings.app_id}-customer-histories-changelog")
    first_ms, last_ms = _timestamp_range(settings, outputs)
    if last_ms <= first_ms:
        return 0.0
    return round(total / ((last_ms - first_ms) / 1000), 1)


def _timestamp_range(settings: Settings, topics: list[str]) -> tuple[int, int]:
    """Earliest and latest record timestamps across ``topics`` (every partition)."""
    reader = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None)
    partitions = [TopicPartition(t, p) for t in topics for p in range(settings.topic_partitions)]
    reader.assign(partitions)
    reader.seek_to_beginning(*partitions)
    ends = reader.end_offsets(partitions)
    first, last = 2**63, 0
    while any(reader.position(tp) < ends[tp] for tp in partitions):
        for records in reader.poll(timeout_ms=1000, max_records=50_000).values():
            for record in records:
                first = min(first, record.timestamp)
                last = max(last, record.timestamp)
    reader.close()
    return first, last


def _latency(settings: Settings, live: list[RawEvent], rate: float) -> list[float]:
    """Milliseconds from each produce (acknowledged) to its normalized record's timestamp."""
    stream = [e for e in live if e.channel in RAW_CHANNELS]
    sent: dict[tuple[str, int, int], float] = {}
    lock = threading.Lock()
    client = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks=1, linger_ms=0)

    def remember(started_ms: float) -> Callable[[Any], None]:
        def done(meta: Any) -> None:
            with lock:
                sent[(meta.topic, meta.partition, meta.offset)] = started_ms

        return done

    reader = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None)
    outputs = [TopicPartition(settings.topic(NORMALIZED.name), p)
               for p in range(settings.topic_partitions)]  # fmt: skip
    reader.assign(outputs)
    reader.seek_to_end(*outputs)
    for tp in outputs:
        reader.position(tp)
    begin = time.monotonic()
    for n, event in enumerate(stream):
        due = begin + n / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        spec = SPECS[event.channel]
        value = schemas.codec(spec.schema or "").encode(event.record)
        produce_ms = time.time() * 1000
        client.send(settings.topic(spec.name), key=event.key.encode(), value=value).add_callback(
            remember(produce_ms)
        )
    client.flush()
    client.close()
    codec = schemas.codec("Interaction")
    latencies: list[float] = []
    deadline = time.monotonic() + 120
    # Rejected and diverted events have no normalized record here: stop once quiet.
    quiet_since = time.monotonic()
    while len(latencies) < len(stream) and time.monotonic() < deadline:
        polled = reader.poll(timeout_ms=1000)
        if polled:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 10:
            break
        for records in polled.values():
            for record in records:
                interaction = codec.decode(record.value)
                key = (interaction["source_topic"], interaction["source_partition"],
                       interaction["source_offset"])  # fmt: skip
                with lock:
                    started = sent.get(key)
                if started is not None:
                    latencies.append(record.timestamp - started)
    reader.close()
    return latencies


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 1),
            "mean": round(statistics.fmean(ordered), 1)}  # fmt: skip


def _rss_mb(worker: WorkerProcess, field_name: str) -> float:
    """VmRSS or VmHWM (peak) of the worker process, in MiB."""
    assert worker.proc is not None
    try:
        for line in Path(f"/proc/{worker.proc.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _state_per_customer(settings: Settings, customers: int) -> float:
    """Average size of a customer's history: the latest changelog value of each key."""
    topic = f"{settings.app_id}-customer-histories-changelog"
    reader = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None)
    partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
    if not partitions:
        reader.close()
        return 0.0
    reader.assign(partitions)
    reader.seek_to_beginning(*partitions)
    ends = reader.end_offsets(partitions)
    latest: dict[bytes, int] = {}
    while any(reader.position(tp) < ends[tp] for tp in partitions):
        for records in reader.poll(timeout_ms=1000, max_records=20_000).values():
            for record in records:
                latest[record.key] = len(record.value or b"")
    reader.close()
    return round(sum(latest.values()) / len(latest), 1) if latest else 0.0


def _print(report: BenchReport, path: Path) -> None:
    table = Table(title=f"carepipe bench: {report.events:,} events, {report.customers:,} customers")
    table.add_column("measure")
    table.add_column("value", justify="right")
    r, lat = report, report.latency_ms
    rows = [
        ("pre-load (kafka-python producer)", f"{r.preload_seconds:.1f} s"),
        ("raw ceiling: consume, decode, encode, produce", f"{r.ceiling_events_per_s:,.0f}/s"),
        ("full pipeline, one worker", f"{r.pipeline_events_per_s:,.0f}/s"),
        (f"latency at {r.latency_offered_per_s:,.0f}/s: p50", f"{lat.get('p50', 0):.0f} ms"),
        ("  p95", f"{lat.get('p95', 0):.0f} ms"),
        ("  p99", f"{lat.get('p99', 0):.0f} ms"),
        ("  max", f"{lat.get('max', 0):.0f} ms"),
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
    console.print(f"[bold]pipeline / ceiling = {report.ratio:.2f}[/]")
