"""Commands that run a process until stopped: the worker, the webhook deliverer, the lag
exporter, the demo; and the effective settings they would run with."""

from __future__ import annotations

import sys

import click

from pipeline.cli.group import settings


@click.command(short_help="Run a stream-processing worker (CAREPIPE_* settings).")
def worker() -> None:
    """Run a stream-processing worker (settings from CAREPIPE_* variables)."""
    from pipeline.worker.main import run_worker

    run_worker(settings())


@click.command(short_help="Deliver care alerts to webhooks (CAREPIPE_WEBHOOKS_FILE).")
def webhooks() -> None:
    """Deliver care.alerts to the endpoints of CAREPIPE_WEBHOOKS_FILE (Standard Webhooks)."""
    from pipeline.delivery.webhooks import run_webhooks

    sys.exit(run_webhooks(settings()))


@click.command("lag-exporter", short_help="Serve consumer lag read from the broker.")
def lag_exporter() -> None:
    """Serve the consumer groups' lag, read from the broker, to Prometheus on
    CAREPIPE_LAG_EXPORTER_PORT (committed offsets against end offsets)."""
    from pipeline.ops.lag_exporter import run_lag_exporter

    sys.exit(run_lag_exporter(settings()))


@click.command(short_help="Probe a local process's HTTP endpoint; exit 1 unless it answers 2xx.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Default: CAREPIPE_WEB_PORT, the worker's web server.")  # fmt: skip
@click.option("--path", default="/healthz", show_default=True)
def healthcheck(port: int | None, path: str) -> None:
    """Probe http://127.0.0.1:PORT/PATH once: the container image's HEALTHCHECK. The
    worker's /healthz by default; `--port 9466 --path /metrics` for `carepipe webhooks`."""
    from pipeline.ops.healthcheck import probe

    problem = probe(port if port is not None else settings().web_port, path)
    if problem is not None:
        click.echo(f"unhealthy: {problem}", err=True)
        sys.exit(1)


@click.command("settings", short_help="Print the effective settings (secrets hidden).")
def show_settings() -> None:
    """Print the effective settings (secrets hidden)."""
    for name, value in settings().describe().items():
        click.echo(f"CAREPIPE_{name.upper()}={value}")


@click.command(short_help="Run the demo: broker, worker, a live stream and its alerts.")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option("--customers", type=int, default=1000, show_default=True)
@click.option("--events", type=int, default=3000, show_default=True)
@click.option("--rate", type=float, default=100, show_default=True, help="Events per second.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--secure", is_flag=True, help="Run over SASL_SSL (SCRAM-SHA-512) and TLS.")
def demo(
    duration: float | None, customers: int, events: int, rate: float, seed: int, secure: bool
) -> None:
    """Start the broker and a worker, stream simulated events, show alerts live.

    Ctrl-C (or --duration) stops everything it started and prints the summary.
    """
    from pipeline.ops.demo import run_demo

    summary = run_demo(
        duration, customers=customers, events=events, rate=rate, seed=seed, secure=secure
    )
    sys.exit(0 if sum(summary.normalized.values()) else 1)
