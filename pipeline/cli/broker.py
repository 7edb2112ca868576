"""Commands for the cluster: the local single-node broker, the local schema registry, and
the pipeline's topics."""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING

import click

from pipeline.cli.group import settings

if TYPE_CHECKING:
    from pipeline.ops.localkafka import BrokerConfig, SecureAccess
    from pipeline.ops.localregistry import RegistryConfig


@click.group(short_help="Start, stop or check the local single-node Kafka broker (KRaft).")
def kafka() -> None:
    """Manage the local single-node Kafka broker (KRaft, jars from Maven Central)."""


def _broker_config(port: int | None, secure: bool = False) -> BrokerConfig:
    from pipeline.ops import localkafka

    if not port:
        return localkafka.BrokerConfig(secure=secure)
    # A broker on another port needs its own home and its other listeners' ports too.
    home = localkafka.DEFAULT_HOME.with_name(f".kafka-{port}")
    return localkafka.BrokerConfig(
        home=home,
        port=port,
        controller_port=port + 1,
        secure=secure,
        sasl_ssl_port=port + 2,
        ssl_port=port + 3,
    )


_port = click.option("--port", type=int, default=None, help="Broker port (default 9092).")
_secure = click.option(
    "--secure",
    is_flag=True,
    help="Also listen with SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) on port+2 (9094) "
    "and SSL with client certificates on port+3 (9095), with a test CA of the broker's own.",
)


def _echo_secure(access: SecureAccess) -> None:
    click.echo(f"SASL_SSL on {access.sasl_ssl_bootstrap}, mutual TLS on {access.ssl_bootstrap}")
    click.echo(f"client certificate {access.client_cert_file}, key {access.client_key_file}")
    click.echo("to connect over SASL_SSL:")
    for name, value in access.environment().items():
        click.echo(f"export {name}={shlex.quote(value)}")


@kafka.command("start")
@_port
@_secure
@click.option("--timeout", type=float, default=90.0, show_default=True)
def kafka_start(port: int | None, secure: bool, timeout: float) -> None:
    """Start the local broker, or reuse the one already running."""
    from pipeline.ops import localkafka

    status = localkafka.start(_broker_config(port, secure), timeout=timeout)
    click.echo(status.detail)
    if status.secure is not None:
        _echo_secure(status.secure)


@kafka.command("stop")
@_port
def kafka_stop(port: int | None) -> None:
    """Stop the local broker started by `carepipe kafka start`."""
    from pipeline.ops import localkafka

    click.echo(localkafka.stop(_broker_config(port)).detail)


@kafka.command("status")
@_port
@_secure
def kafka_status(port: int | None, secure: bool) -> None:
    """Tell whether the local broker runs and answers (exit 1 if not); with --secure, also
    how to reach its secure listeners (exit 1 if it runs without them)."""
    from pipeline.ops import localkafka

    status = localkafka.status(_broker_config(port, secure))
    click.echo(status.detail)
    if status.secure is not None:
        _echo_secure(status.secure)
    elif secure and status.running:
        click.echo("it runs without the secure listeners")
        sys.exit(1)
    sys.exit(0 if status.running else 1)


@click.group(short_help="Start, stop or check the local schema registry (Apicurio, in memory).")
def registry() -> None:
    """Manage the local schema registry: Apicurio Registry (Java 21+, from Maven Central),
    in memory, serving the Confluent-compatible API at /apis/ccompat/v7."""


def _registry_config(port: int | None) -> RegistryConfig:
    from pipeline.ops import localregistry

    if not port:
        return localregistry.RegistryConfig()
    home = localregistry.DEFAULT_HOME.with_name(f".registry-run-{port}")
    return localregistry.RegistryConfig(home=home, port=port)


_registry_port = click.option(
    "--port", type=int, default=None, help="Registry port (default 8081; management port + 1)."
)


@registry.command("start")
@_registry_port
@click.option("--timeout", type=float, default=90.0, show_default=True)
def registry_start(port: int | None, timeout: float) -> None:
    """Start the local registry, or reuse the one already running; print its URL for
    CAREPIPE_SCHEMA_REGISTRY_URL."""
    from pipeline.ops import localregistry

    status = localregistry.start(_registry_config(port), timeout=timeout)
    click.echo(status.detail)
    click.echo(f"CAREPIPE_SCHEMA_REGISTRY_URL={status.url}")


@registry.command("stop")
@_registry_port
def registry_stop(port: int | None) -> None:
    """Stop the local registry started by `carepipe registry start` (its schemas go too)."""
    from pipeline.ops import localregistry

    click.echo(localregistry.stop(_registry_config(port)).detail)


@registry.command("status")
@_registry_port
def registry_status(port: int | None) -> None:
    """Tell whether the local registry runs and answers (exit 1 if not)."""
    from pipeline.ops import localregistry

    status = localregistry.status(_registry_config(port))
    click.echo(status.detail)
    sys.exit(0 if status.running else 1)


@click.group(short_help="Create the pipeline's topics; migrate the tables' changelog keys.")
def topics() -> None:
    """Manage the pipeline's topics."""


@topics.command("create")
def topics_create() -> None:
    """Create every missing topic (for clusters where workers may not create them)."""
    from pipeline import admin

    for report in admin.ensure_topics(settings()):
        click.echo(f"{'created' if report.created else 'exists '}  {report.name}")


@topics.command("migrate-table-keys")
def topics_migrate_table_keys() -> None:
    """Rewrite the tables' changelogs whose keys an earlier version wrote as JSON strings,
    so that lookups route to the worker that holds each row. Stop the workers first."""
    from pipeline.ops.tablekeys import migrate_table_keys

    for result in migrate_table_keys(settings()):
        click.echo(
            f"{result.table}: {result.rows} rows, {result.rewritten} keys rewritten, "
            f"{result.dropped} stale JSON keys dropped"
        )
