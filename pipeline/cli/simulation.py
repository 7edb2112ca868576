"""Commands that make events: a small sample, or a simulated population's journeys."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.cli.group import settings


@click.command(short_help="Send sample profiles and events of all four channels.")
@click.option("--customers", type=int, default=20, show_default=True)
@click.option("--events", type=int, default=100, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def sample(customers: int, events: int, seed: int) -> None:
    """Send a realistic sample of profiles and events of all four channels, then the
    customer outcomes (churned, renewed, downgraded) of some of its customers."""
    from pipeline.ops.producer import send_sample

    counts = send_sample(settings(), customers=customers, events=events, seed=seed)
    click.echo(json.dumps(counts))


@click.command(short_help="Simulate a customer population's care journeys.")
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

        sender = partial(send_events, settings())
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
