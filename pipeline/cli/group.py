"""The command group: start-up errors become one line on stderr and exit status 1."""

from __future__ import annotations

import click

from pipeline.settings import Settings, load_settings
from processors.errors import StartupError


class CarePipelineGroup(click.Group):
    """Commands whose start-up errors end as one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except StartupError as exc:
            raise click.ClickException(str(exc)) from exc


def settings() -> Settings:
    return load_settings()
