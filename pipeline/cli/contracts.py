"""Commands for the Avro contracts in schemas/: the compatibility check."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group(short_help="Check Avro contract compatibility: schemas check OLD NEW.")
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
