"""The erasure command: forget a customer."""

from __future__ import annotations

import click

from pipeline.cli.group import settings


@click.command(short_help="Erase a customer's state from the workers (see Erasure).")
@click.argument("customer_id")
@click.option(
    "--reason",
    help="Why, for the request record (kept with the erasure topic's retention, never logged).",
)
def forget(customer_id: str, reason: str | None) -> None:
    """Ask the worker that owns CUSTOMER_ID to delete its history, profile and handles.

    The request goes through Kafka: a worker that is not running carries it out when it
    starts. Prints the request id that the worker's audit line names.
    """
    from pipeline.ops.erasure import request_erasure

    try:
        receipt = request_erasure(settings(), customer_id, reason)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    click.echo(
        f"erasure request {receipt.request_id} sent to {receipt.topic} "
        f"(partition {receipt.partition}, offset {receipt.offset}); the worker logs "
        f"'erasure {receipt.request_id} done' when it is carried out"
    )
