"""The demo: a real broker and worker, a simulated stream, and care alerts as they arrive."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from pipeline import admin
from pipeline.ops import localkafka
from pipeline.ops.alerts_tail import as_line
from pipeline.ops.outputs import OutputReader, decode
from pipeline.ops.producer import producer, send_events
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings, load_settings
from pipeline.simulation.population import PopulationConfig
from pipeline.simulation.sample import RawEvent
from pipeline.simulation.simulate import simulate
from pipeline.topics import ALERTS, DLQ, HANDLES, NORMALIZED, PROFILES, VOICE
from sinks import deadletter

console = Console(highlight=False)
SUMMARY_EVERY_S = 15.0


@dataclass
class Summary:
    """What came out so far."""

    sent: Counter[str] = field(default_factory=Counter)
    normalized: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)
    alerts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def render(self) -> str:
        alerts = ", ".join(f"{t}/{s} {n}" for (t, s), n in sorted(self.alerts.items()))
        return (
            f"sent {sum(self.sent.values())} {dict(self.sent)} | "
            f"normalized {dict(self.normalized)} | "
            f"dead letters {dict(self.dead_letters) or 0} | "
            f"alerts: {alerts or 'none yet'}"
        )


def run_demo(
    duration_s: float | None = None,
    customers: int = 1000,
    events: int = 3000,
    rate: float = 100,
    seed: int = 7,
    secure: bool = False,
) -> Summary:
    """Runs until ``duration_s`` passes or Ctrl-C; stops what it started. With ``secure``,
    the broker runs its secure listeners and every client of the demo, the worker's
    included, connects over SASL_SSL with SCRAM-SHA-512."""
    # Each run gets its own topics and group, so the same stream raises its alerts again;
    # CAREPIPE_* variables still win.
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    defaults = {
        "CAREPIPE_TOPIC_PREFIX": f"demo{run}.",
        "CAREPIPE_APP_ID": f"care-pipeline-demo{run}",
    }
    env = {k: v for k, v in defaults.items() if k not in os.environ}
    broker = localkafka.BrokerConfig(secure=secure)
    # A broker that was running before the demo is left running after it.
    started_broker = not localkafka.status(broker).running
    with console.status("Starting the local Kafka broker (the first start resolves its jars)..."):
        status = localkafka.start(broker)
    console.print(f"[green]broker[/] {status.detail}")
    try:
        summary = _run(env, status, run, duration_s, customers, events, rate, seed)
    finally:
        if started_broker:
            console.print(f"[green]broker[/] {localkafka.stop(broker).detail}")
    console.print(f"[bold]summary[/] {summary.render()}")
    return summary


def _run(
    env: dict[str, str],
    status: localkafka.BrokerStatus,
    run: str,
    duration_s: float | None,
    customers: int,
    events: int,
    rate: float,
    seed: int,
) -> Summary:
    """The demo on a running broker: topics, a worker, the stream; stops the worker."""
    if status.secure is not None:
        env.update(status.secure.environment())
        console.print(f"[green]SASL_SSL[/] {status.secure.sasl_ssl_bootstrap}, SCRAM-SHA-512")
    settings = load_settings({**os.environ, **env})
    admin.ensure_topics(settings)
    console.print(f"topics: {settings.topic('interactions.*')} -> {settings.topic('care.alerts')}")

    worker = WorkerProcess(env, Path(settings.data_dir) / f"demo-worker-{run}.log")
    try:
        with console.status(f"Starting a worker (log: {worker.log_path})..."):
            worker.start()
    except BaseException:  # not ready in time, or Ctrl-C: it is stopped all the same
        worker.stop()
        raise
    console.print(
        f"[green]worker[/] up: metrics {worker.web_url}/metrics, "
        f"customer lookup {worker.web_url}/customers/<id>"
    )

    summary = Summary()
    stop = threading.Event()
    # 90 days of a simulated population's history, ending now, streamed at ``rate``.
    config = PopulationConfig(end=datetime.now(UTC), customers=customers, days=90, seed=seed)
    stream = [timed.event for timed in simulate(config, max_events=events).events]
    reader = OutputReader(
        settings,
        [settings.topic(t.name) for t in (NORMALIZED, DLQ, ALERTS)],
    )
    sender = threading.Thread(
        target=_stream, args=(settings, stream, rate, summary, stop), daemon=True
    )
    sender.start()
    deadline = time.monotonic() + duration_s if duration_s else None
    next_summary = time.monotonic() + SUMMARY_EVERY_S
    try:
        while deadline is None or time.monotonic() < deadline:
            for record in reader.poll(0.5):
                if record.topic == settings.topic(ALERTS.name):
                    alert = decode(record, "CareAlert", reader.registry)
                    summary.alerts[(alert["alert_type"], alert["severity"])] += 1
                    console.print(_colour(alert["severity"], as_line(alert)), markup=True)
                elif record.topic == settings.topic(DLQ.name):
                    reason = record.headers.get(deadletter.REASON, b"?").decode()
                    summary.dead_letters[reason] += 1
                else:
                    interaction = decode(record, "Interaction", reader.registry)
                    summary.normalized[interaction["channel"]] += 1
            if time.monotonic() >= next_summary:
                console.print(f"[dim]{summary.render()}[/]")
                next_summary += SUMMARY_EVERY_S
    except KeyboardInterrupt:
        console.print("stopping...")
    finally:
        stop.set()
        sender.join(timeout=10)
        reader.close()
        worker.stop()
    return summary


def _stream(
    settings: Settings,
    stream: list[RawEvent],
    rate: float,
    summary: Summary,
    stop: threading.Event,
) -> None:
    """Profiles first (indexed before the posts they resolve), then events at ``rate``/s."""
    profiles = [e for e in stream if e.channel == "PROFILE"]
    summary.sent.update(send_events(settings, profiles))
    admin.wait_caught_up(
        settings, [settings.topic(PROFILES.name), settings.topic(HANDLES.name)], 60
    )
    _send_poison_pills(settings, summary)
    interactions = [e for e in stream if e.channel != "PROFILE"]
    batch = max(1, int(rate))
    for start in range(0, len(interactions), batch):
        if stop.is_set():
            return
        began = time.monotonic()
        summary.sent.update(send_events(settings, interactions[start : start + batch]))
        stop.wait(max(0.0, 1.0 - (time.monotonic() - began)))


def _send_poison_pills(settings: Settings, summary: Summary) -> None:
    """Two records no contract accepts: they must land in the dead-letter topic."""
    client = producer(settings)
    topic = settings.topic(VOICE.name)
    client.send(topic, key=b"C1000", value=os.urandom(40))
    client.send(topic, key=b"C1001", value=b"")
    client.flush()
    client.close()
    summary.sent["MALFORMED"] += 2


def _colour(severity: str, line: str) -> str:
    colour = {"CRITICAL": "bold red", "HIGH": "red", "MEDIUM": "yellow"}.get(severity, "cyan")
    return f"[{colour}]{_escape(line)}[/]"


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


__all__ = ["Summary", "run_demo"]
