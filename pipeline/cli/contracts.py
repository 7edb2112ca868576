"""Commands for the Avro contracts in schemas/: the compatibility check, file against file or
against the schema registry."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline.cli.group import settings


@click.group(short_help="Check Avro contract compatibility: a file, or the registry.")
def schemas() -> None:
    """Work with the Avro contracts in schemas/."""


@schemas.command("check")
@click.option(
    "--registry",
    "against_registry",
    is_flag=True,
    help="Check against the latest under each <topic>-value subject of "
    "CAREPIPE_SCHEMA_REGISTRY_URL (topics prefixed by CAREPIPE_TOPIC_PREFIX).",
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def schemas_check(against_registry: bool, files: tuple[Path, ...]) -> None:
    """Tell whether a new schema can read data written with the old (exit 1 with reasons
    if not).

    \b
    carepipe schemas check OLD NEW           NEW against OLD, two .avsc files
    carepipe schemas check --registry        every contract in schemas/ against the registry
    carepipe schemas check --registry NEW..  candidate versions of contracts, matched to
                                             topics by their record name (e.g. CareAlert)
    """
    if against_registry:
        _check_registry(files)
        return
    if len(files) != 2:
        raise click.UsageError("give OLD and NEW, two .avsc files, or --registry")
    from schemas.compat import check_compatibility

    old, new = files
    problems = check_compatibility(old.read_text(), new.read_text())
    if problems:
        click.echo(f"INCOMPATIBLE: {new} cannot read data written with {old}")
        for problem in problems:
            click.echo(f"  - {problem}")
        sys.exit(1)
    click.echo(f"compatible: {new} reads data written with {old}")


def _check_registry(files: tuple[Path, ...]) -> None:
    from pipeline.schemaregistry import RegistryError, SchemaRegistry

    current = settings()
    registry = SchemaRegistry.from_settings(current)
    if registry is None:
        raise RegistryError("CAREPIPE_SCHEMA_REGISTRY_URL is not set: --registry needs it")
    candidates = {_record_name(path): path.read_text() for path in files} or None
    incompatible = []
    with registry:
        checks = list(registry.check_contracts(current, candidates))
    for check in checks:
        if check.verdict == "new":
            click.echo(f"new           {check.subject} ({check.schema}: no version there yet)")
        elif check.verdict == "compatible":
            click.echo(f"compatible    {check.subject} ({check.schema})")
        else:
            incompatible.append(check.subject)
            click.echo(f"INCOMPATIBLE  {check.subject} ({check.schema})")
            for reason in check.reasons:
                click.echo(f"  - {reason}")
    if candidates and not checks:
        raise click.UsageError(f"no topic carries {', '.join(sorted(candidates))}")
    if incompatible:
        click.echo(f"incompatible with the registry's latest: {', '.join(incompatible)}")
        sys.exit(1)


def _record_name(path: Path) -> str:
    try:
        name = json.loads(path.read_text()).get("name")
    except (ValueError, AttributeError) as exc:
        raise click.UsageError(f"{path}: not an Avro record schema in JSON") from exc
    if not isinstance(name, str):
        raise click.UsageError(f"{path}: the schema has no record name")
    return name.rsplit(".", 1)[-1]
