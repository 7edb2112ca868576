"""Commands for the care.alerts topic: follow it."""

from __future__ import annotations

import click

from pipeline.cli.group import settings


@click.group(short_help="Follow care.alerts: readable lines or JSON lines.")
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
        for alert in tail.follow(settings(), from_beginning, tail.deadline(timeout)):
            if tail.matches(alert, types, min_severity):
                click.echo(render(alert))
    except KeyboardInterrupt:
        pass
