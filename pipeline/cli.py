"""The ``carepipe`` command line: run workers, the local broker, topics, schemas and the demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
def main() -> None:
    """care-pipeline: proactive customer care from Kafka interaction streams."""


@main.command(short_help="Run a stream-processing worker (CAREPIPE_* settings).")
def worker() -> None:
    """Run a stream-processing worker (settings from CAREPIPE_* variables)."""
    settings = _settings()
    from pipeline import admin
    from pipeline.app import build_app
    from pipeline.rulesfile import load_rules
    from processors.rules import RulesError

    try:  # a bad rules file stops the worker before it touches the cluster
        rules = load_rules(settings.rules_file)
    except RulesError as exc:
        raise click.ClickException(f"CAREPIPE_RULES_FILE: {exc}") from exc
    if settings.create_topics:
        try:
            admin.ensure_topics(settings)
        except admin.AdminError as exc:
            raise click.ClickException(str(exc)) from exc
    import faust

    app = build_app(settings, rules)
    faust.Worker(app, loglevel=settings.log_level).execute_from_commandline()


@main.command(short_help="Deliver care alerts to webhooks (CAREPIPE_WEBHOOKS_FILE).")
def webhooks() -> None:
    """Deliver care.alerts to the endpoints of CAREPIPE_WEBHOOKS_FILE (Standard Webhooks)."""
    from pipeline.webhooks import WebhooksError, run_webhooks

    try:
        code = run_webhooks(_settings())
    except WebhooksError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


@main.command("settings", short_help="Print the effective settings (secrets hidden).")
def show_settings() -> None:
    """Print the effective settings (secrets hidden)."""
    for name, value in _settings().describe().items():
        click.echo(f"CAREPIPE_{name.upper()}={value}")


@main.group(short_help="Start, stop or check the local single-node Kafka broker (KRaft).")
def kafka() -> None:
    """Manage the local single-node Kafka broker (KRaft, jars from Maven Central)."""


def _broker_config(port: int | None) -> object:
    from pipeline import localkafka

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
    from pipeline import localkafka

    try:
        status = localkafka.start(_broker_config(port), timeout=timeout)  # type: ignore[arg-type]
    except localkafka.BrokerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(status.detail)


@kafka.command("stop")
@_port
def kafka_stop(port: int | None) -> None:
    """Stop the local broker started by `carepipe kafka start`."""
    from pipeline import localkafka

    click.echo(localkafka.stop(_broker_config(port)).detail)  # type: ignore[arg-type]


@kafka.command("status")
@_port
def kafka_status(port: int | None) -> None:
    """Tell whether the local broker runs and answers (exit 1 if not)."""
    from pipeline import localkafka

    status = localkafka.status(_broker_config(port))  # type: ignore[arg-type]
    click.echo(status.detail)
    sys.exit(0 if status.running else 1)


@main.group(short_help="Create the pipeline's topics (for clusters where workers may not).")
def topics() -> None:
    """Manage the pipeline's topics."""


@topics.command("create")
def topics_create() -> None:
    """Create every missing topic (for clusters where workers may not create them)."""
    from pipeline import admin

    try:
        reports = admin.ensure_topics(_settings())
    except admin.AdminError as exc:
        raise click.ClickException(str(exc)) from exc
    for report in reports:
        click.echo(f"{'created' if report.created else 'exists '}  {report.name}")


@main.group(short_help="Check Avro contract compatibility: schemas check OLD NEW.")
def schemas() -> None:
    """Work with the Avro contracts in schemas/."""


@schemas.command("check")
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def schemas_check(old: Path, new: Path) -> None:
    """Tell whether NEW can read data written with OLD (exit 1 with reasons if not)."""
    from pipeline.compat import check_compatibility

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
    from pipeline.producer import send_sample

    counts = send_sample(_settings(), customers=customers, events=events, seed=seed)
    click.echo(json.dumps(counts))


@main.command(short_help="Run the demo: broker, worker, a live stream and its alerts.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option("--customers", type=int, default=200, show_default=True)
@click.option("--events", type=int, default=2000, show_default=True)
@click.option("--rate", type=float, default=50, show_default=True, help="Events per second.")
def demo(duration: float | None, customers: int, events: int, rate: float) -> None:
    """Start the broker and a worker, stream simulated events, show alerts live.

    Ctrl-C (or --duration) stops everything it started and prints the summary.
    """
    from pipeline.demo import run_demo

    summary = run_demo(duration, customers=customers, events=events, rate=rate)
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
    from pipeline import alerts_tail as tail
    from processors.rules import ALERT_TYPES

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


if __name__ == "__main__":
    main()
