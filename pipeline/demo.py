"""The demo: a real broker and worker, a realistic sample stream, and what came out of it."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pipeline import admin, localkafka
from pipeline.outputs import OutputReader, decode
from pipeline.producer import producer, send_events
from pipeline.sample import sample_events
from pipeline.settings import load_settings
from pipeline.topics import ALERTS, DLQ, HANDLES, NORMALIZED, PROFILES, VOICE
from pipeline.workerproc import WorkerProcess
from processors import deadletter

console = Console()


def run_demo(events: int = 120, wait_s: float = 60.0) -> int:
    # Each run gets its own topics and group, so that it starts from a clean slate and the
    # same sample raises its alerts again; CAREPIPE_* variables still win.
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    defaults = {
        "CAREPIPE_TOPIC_PREFIX": f"demo{run}.",
        "CAREPIPE_APP_ID": f"care-pipeline-demo{run}",
    }
    env = {k: v for k, v in defaults.items() if k not in os.environ}
    settings = load_settings({**os.environ, **env})
    with console.status("Starting the local Kafka broker (first start resolves its jars)..."):
        status = localkafka.start(localkafka.BrokerConfig())
    console.print(f"[green]broker[/] {status.detail}")
    admin.ensure_topics(settings)
    console.print(f"topics: {settings.topic('interactions.*')}, {settings.topic('care.alerts')}")

    log_path = Path(settings.data_dir) / "demo-worker.log"
    worker = WorkerProcess(env, log_path)
    with console.status(f"Starting a worker (log: {log_path})..."):
        worker.start()
    console.print(f"[green]worker[/] up, web at {worker.web_url}")
    try:
        reader = OutputReader(settings, [settings.topic(NORMALIZED.name), settings.topic(DLQ.name)])
        alerts = OutputReader(settings, [settings.topic(ALERTS.name)])
        stream = list(sample_events(events=events, now=datetime.now(UTC)))
        # CRM profiles first, indexed before the events whose social handles they resolve.
        sent = send_events(settings, [e for e in stream if e.channel == "PROFILE"])
        admin.wait_caught_up(
            settings, [settings.topic(PROFILES.name), settings.topic(HANDLES.name)], wait_s
        )
        sent.update(send_events(settings, [e for e in stream if e.channel != "PROFILE"]))
        poison = _send_poison_pills(settings)
        console.print(f"sent {sum(sent.values())} records {sent} and {poison} malformed ones")
        expected = events + poison
        records = reader.read_until(lambda got: len(got) >= expected, timeout_s=wait_s)
        reader.close()
        _show(records, settings.topic(DLQ.name))
        admin.wait_caught_up(settings, [settings.topic(NORMALIZED.name)], wait_s)
        _show_alerts(alerts.read_until(lambda got: False, timeout_s=2))
        alerts.close()
        console.print(f"customer lookup: {worker.web_url}/customers/<id>  (e.g. /customers/C1000)")
        return 0 if len(records) >= expected else 1
    finally:
        worker.stop()


def _send_poison_pills(settings) -> int:  # type: ignore[no-untyped-def]
    """Two records no contract accepts: they must land in the dead-letter topic."""
    client = producer(settings)
    topic = settings.topic(VOICE.name)
    client.send(topic, key=b"C1000", value=os.urandom(40))
    client.send(topic, key=b"C1001", value=b"")
    client.flush()
    client.close()
    return 2


def _show(records, dlq_topic: str) -> None:  # type: ignore[no-untyped-def]
    by_channel: dict[str, list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    dead: Counter[str] = Counter()
    for record in records:
        if record.topic == dlq_topic:
            dead[record.headers.get(deadletter.REASON, b"?").decode()] += 1
        else:
            interaction = decode(record, "Interaction")
            by_channel[interaction["channel"]].append(interaction)

    table = Table(title="interactions.normalized")
    for column in ("channel", "events", "avg sentiment", "negative", "PII redactions"):
        table.add_column(column)
    examples = []
    for channel, items in sorted(by_channel.items()):
        scored = [i["sentiment"] for i in items if i["sentiment"] is not None]
        negative = sum(1 for s in scored if s <= -0.3)
        example = next((i for i in items if i["pii_redactions"]), items[0])
        table.add_row(
            channel,
            str(len(items)),
            f"{sum(scored) / len(scored):+.2f}" if scored else "-",
            str(negative),
            str(sum(i["pii_redactions"] for i in items)),
        )
        examples.append(f"{channel:<7} {example['customer_id']}: {example['text'][:100]}")
    console.print(table)
    console.print("examples (after PII redaction):")
    for line in examples:
        console.print(f"  {line}", markup=False)
    console.print(f"interactions.dlq: {dict(dead) or 'empty'}")


def _show_alerts(records) -> None:  # type: ignore[no-untyped-def]
    alerts = [decode(record, "CareAlert") for record in records]
    console.print(f"[bold]care.alerts[/]: {len(alerts)} records")
    for alert in alerts:
        reasons = ", ".join(r["code"] for r in alert["reasons"][:3])
        console.print(
            f"  [bold]{alert['alert_type']:<16}[/] {alert['severity']:<8} {alert['status']:<9} "
            f"{alert['customer_id']:<6} score {alert['score']:>3.0f}  {reasons}\n"
            f"      -> {alert['recommended_action']}",
            highlight=False,
        )
    counts = Counter((a["alert_type"], a["severity"]) for a in alerts)
    console.print(
        "alerts by type and severity: "
        + ", ".join(f"{t}/{s}: {n}" for (t, s), n in sorted(counts.items()))
    )
