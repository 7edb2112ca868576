"""The ``carepipe`` command line: run workers, the local broker, topics, schemas and the demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.settings import Settings, load_settings

if TYPE_CHECKING:
    from pipeline.ops.localkafka import BrokerConfig
from processors.errors import StartupError


class CarePipelineGroup(click.Group):
    """Commands whose start-up errors end as one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except StartupError as exc:
            raise click.ClickException(str(exc)) from exc


def _settings() -> Settings:
    return load_settings()


@click.group(
    cls=CarePipelineGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)
def main() -> None:
    """care-pipeline: proactive customer care from Kafka interaction streams."""


@main.command(short_help="Run a stream-processing worker (CAREPIPE_* settings).")
def worker() -> None:
    """Run a stream-processing worker (settings from CAREPIPE_* variables)."""
    from pipeline.worker.main import run_worker

    run_worker(_settings())


@main.command(short_help="Deliver care alerts to webhooks (CAREPIPE_WEBHOOKS_FILE).")
def webhooks() -> None:
    """Deliver care.alerts to the endpoints of CAREPIPE_WEBHOOKS_FILE (Standard Webhooks)."""
    from pipeline.delivery.webhooks import run_webhooks

    sys.exit(run_webhooks(_settings()))


@main.command("settings", short_help="Print the effective settings (secrets hidden).")
def show_settings() -> None:
    """Print the effective settings (secrets hidden)."""
    for name, value in _settings().describe().items():
        click.echo(f"CAREPIPE_{name.upper()}={value}")


@main.group(short_help="Start, stop or check the local single-node Kafka broker (KRaft).")
def kafka() -> None:
    """Manage the local single-node Kafka broker (KRaft, jars from Maven Central)."""


def _broker_config(port: int | None) -> BrokerConfig:
    from pipeline.ops import localkafka

    if not port:
        return localkafka.BrokerConfig()
    # A broker on another port needs its own controller port and home too.
    home = localkafka.DEFAULT_HOME.with_name(f".kafka-{port}")
    return localkafka.BrokerConfig(home=home, port=port, controller_port=port + 1)


_port = click.option("--port", type=int, default=None, help="Broker port (default 9092).")


@kafka.command("start")
@_port
@click.option("--timeout", type=float, default=90.0, show_default=True)
def kafka_start(port: int | None, timeout: float) -> None:
    """Start the local broker, or reuse the one already running."""
    from pipeline.ops import localkafka

    click.echo(localkafka.start(_broker_config(port), timeout=timeout).detail)


@kafka.command("stop")
@_port
def kafka_stop(port: int | None) -> None:
    """Stop the local broker started by `carepipe kafka start`."""
    from pipeline.ops import localkafka

    click.echo(localkafka.stop(_broker_config(port)).detail)


@kafka.command("status")
@_port
def kafka_status(port: int | None) -> None:
    """Tell whether the local broker runs and answers (exit 1 if not)."""
    from pipeline.ops import localkafka

    status = localkafka.status(_broker_config(port))
    click.echo(status.detail)
    sys.exit(0 if status.running else 1)


@main.group(short_help="Create the pipeline's topics (for clusters where workers may not).")
def topics() -> None:
    """Manage the pipeline's topics."""


@topics.command("create")
def topics_create() -> None:
    """Create every missing topic (for clusters where workers may not create them)."""
    from pipeline import admin

    for report in admin.ensure_topics(_settings()):
        click.echo(f"{'created' if report.created else 'exists '}  {report.name}")


@main.group(short_help="Check Avro contract compatibility: schemas check OLD NEW.")
def schemas() -> None:
    """Work with the Avro contracts in schemas/."""


@schemas.command("check")
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def schemas_check(old: Path, new: Path) -> None:
    """Tell whether NEW can read data written with OLD (exit 1 with reasons if not)."""
    from schemas.compat import check_compatibility

    problems = check_compatibility(old.read_text(), new.read_text())
    if problems:
        click.echo(f"INCOMPATIBLE: {new} cannot read data written with {old}")
        for problem in problems:
            click.echo(f"  - {problem}")
        sys.exit(1)
    click.echo(f"compatible: {new} reads data written with {old}")


@main.command(short_help="Send sample profiles and events of all four channels.")
@click.option("--customers", type=int, default=20, show_default=True)
@click.option("--events", type=int, default=100, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def sample(customers: int, events: int, seed: int) -> None:
    """Send a realistic sample of profiles and events of all four channels."""
    from pipeline.ops.producer import send_sample

    counts = send_sample(_settings(), customers=customers, events=events, seed=seed)
    click.echo(json.dumps(counts))


@main.command(short_help="Simulate a customer population's care journeys.")
@click.option("--customers", type=click.IntRange(1), default=1000, show_default=True)
@click.option(
    "--days",
    type=click.FloatRange(1, 3650),
    default=90.0,
    show_default=True,
    help="History span: events lie in the DAYS before --now.",
)
@click.option("--now", "now_text", metavar="ISO", help="End of the span (default: the clock).")
@click.option("--start", "start_text", metavar="ISO", help="Start of the span, instead of --now.")
@click.option(
    "--events",
    type=click.IntRange(0),
    default=None,
    help="At most this many events after the profiles (the earliest).",
)
@click.option(
    "--duration",
    type=click.FloatRange(0, min_open=True),
    default=None,
    help="Stop sending after this many seconds (Kafka only).",
)
@click.option(
    "--rate",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Events per second sent to Kafka; 0 is as fast as possible.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--churn-rate",
    type=click.FloatRange(0, 1),
    default=0.08,
    show_default=True,
    help="Share of customers who leave within the span.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the events to this file instead of sending them to Kafka.",
)
@click.option(
    "--truth",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the ground truth (CSV: customer_id, churned, churn_date, ...).",
)
def simulate(
    customers: int,
    days: float,
    now_text: str | None,
    start_text: str | None,
    events: int | None,
    duration: float | None,
    rate: float,
    seed: int,
    churn_rate: float,
    out: Path | None,
    truth: Path | None,
) -> None:
    """Simulate CRM profiles and voice, email, chat and social events for a population.

    Each customer has a hidden churn propensity that shapes the journey; churners make no
    contact after they leave. Events go to Kafka (CAREPIPE_* settings) in event-time
    order, or with --out to a file for `carepipe backtest`. The same --seed and --now
    (or --start) and options write a byte-identical file.
    """
    from datetime import UTC, datetime, timedelta

    from pipeline.simulation.population import PopulationConfig
    from pipeline.simulation.simulate import parse_time, run_simulate

    if now_text and start_text:
        raise click.UsageError("give --now or --start, not both")
    if out is not None and (duration is not None or rate):
        raise click.UsageError("--rate and --duration apply to sending to Kafka, not to --out")
    try:
        if start_text:
            end = parse_time(start_text) + timedelta(days=days)
        else:
            end = parse_time(now_text) if now_text else datetime.now(UTC).replace(microsecond=0)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now/--start") from exc
    config = PopulationConfig(
        end=end, customers=customers, days=days, churn_rate=churn_rate, seed=seed
    )
    sender = None
    if out is None:
        from functools import partial

        from pipeline.ops.producer import send_events

        sender = partial(send_events, _settings())
    simulation, counts = run_simulate(config, out, truth, events, rate, duration, sender)
    summary = {
        "customers": customers,
        "churners": simulation.churners,
        "start": config.start.isoformat(),
        "end": config.end.isoformat(),
        "events": counts,
        "to": str(out) if out else "kafka",
    }
    click.echo(json.dumps(summary))


@main.command(short_help="Replay recorded events to score the risk rules.")
@click.argument("events", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--truth",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Ground truth CSV, as `carepipe simulate --truth` writes it.",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rules laid over the defaults (default: the defaults alone).",
)
@click.option(
    "--compare",
    "compare_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A second rules file, replayed and reported side by side.",
)
@click.option(
    "--horizon",
    type=click.IntRange(1, 365),
    default=30,
    show_default=True,
    help="Days before churn in which an AT_RISK alert counts as a catch.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report: Markdown, or JSON for a .json name.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write precision/recall and score distributions as a PNG.",
)
def backtest(
    events: Path,
    truth: Path,
    rules_file: Path | None,
    compare_file: Path | None,
    horizon: int,
    report: Path | None,
    plot: Path | None,
) -> None:
    """Replay EVENTS (a `carepipe simulate --out` file) offline through the normalizers
    and the risk rules, and score the AT_RISK alerts against the ground truth: precision,
    recall, F1, lead time, alert volume. --compare runs a second rules file beside it.
    Without --report the Markdown report goes to standard output."""
    from pipeline.measure.backtest import (
        markdown,
        report_data,
        run_backtest,
        summary_line,
        write_plot,
        write_report,
    )

    run = run_backtest(events, truth, rules_file, compare_file, horizon)
    files = {"A": str(rules_file or "default"), "B": str(compare_file or "")}
    data = report_data(run, files)
    if plot is not None:
        write_plot(plot, run.evaluations)
    if report is None:
        click.echo(markdown(data), nl=False)
        return
    write_report(report, data)
    for rules in data["rules"]:
        click.echo(summary_line(rules))


@main.command(short_help="Run the demo: broker, worker, a live stream and its alerts.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option("--customers", type=int, default=1000, show_default=True)
@click.option("--events", type=int, default=3000, show_default=True)
@click.option("--rate", type=float, default=100, show_default=True, help="Events per second.")
@click.option("--seed", type=int, default=7, show_default=True)
def demo(duration: float | None, customers: int, events: int, rate: float, seed: int) -> None:
    """Start the broker and a worker, stream simulated events, show alerts live.

    Ctrl-C (or --duration) stops everything it started and prints the summary.
    """
    from pipeline.ops.demo import run_demo

    summary = run_demo(duration, customers=customers, events=events, rate=rate, seed=seed)
    sys.exit(0 if sum(summary.normalized.values()) else 1)


@main.group(short_help="Follow care.alerts: readable lines or JSON lines.")
def alerts() -> None:
    """Work with the care.alerts topic."""


@alerts.command("tail")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest alert, not now.")
@click.option("--type", "types", multiple=True, help="Only these alert types (repeatable).")
@click.option(
    "--min-severity",
    type=click.Choice(["LOW", "MEDIUM", "HIGH", "CRITICAL"]),
    default="LOW",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--timeout", type=float, default=None, help="Stop after this many seconds.")
def alerts_tail(
    from_beginning: bool,
    types: tuple[str, ...],
    min_severity: str,
    as_json: bool,
    timeout: float | None,
) -> None:
    """Follow care.alerts (kafka-python, no consumer group) until Ctrl-C."""
    from pipeline.ops import alerts_tail as tail
    from processors.domain import ALERT_TYPES

    unknown = sorted(set(types) - set(ALERT_TYPES))
    if unknown:
        raise click.BadParameter(f"unknown alert type {unknown}; known: {ALERT_TYPES}")
    render = tail.as_json if as_json else tail.as_line
    try:
        for alert in tail.follow(_settings(), from_beginning, tail.deadline(timeout)):
            if tail.matches(alert, types, min_severity):
                click.echo(render(alert))
    except KeyboardInterrupt:
        pass


@main.command(short_help="Measure throughput, latency and memory against the ceiling.")
@click.option("--events", type=int, default=200_000, show_default=True)
@click.option("--customers", type=int, default=60_000, show_default=True)
@click.option("--rate", type=float, default=1000, show_default=True, help="Offered load, events/s.")
@click.option("--latency-seconds", type=float, default=20, show_default=True)
@click.option("--report", type=click.Path(path_type=Path), default=Path("bench-report.json"))
def bench(events: int, customers: int, rate: float, latency_seconds: float, report: Path) -> None:
    """Pre-load events on fresh topics and measure, on the configured broker: the raw
    client ceiling, the full pipeline with one worker, latency at a fixed load, memory."""
    from pipeline.measure.bench import run_bench

    run_bench(events, customers, rate, latency_seconds, report)


if __name__ == "__main__":
    main()
