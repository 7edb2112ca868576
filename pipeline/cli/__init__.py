"""The ``carepipe`` command line: it parses arguments and calls into the subpackages of
pipeline/; each module here holds the commands of one kind (see ``carepipe --help``)."""

from __future__ import annotations

import click

from pipeline.cli import alerts, broker, contracts, erasure, measure, run, simulation
from pipeline.cli.group import CarePipelineGroup


@click.group(
    cls=CarePipelineGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120},
)
def main() -> None:
    """care-pipeline: proactive customer care from Kafka interaction streams."""


for command in (
    run.worker,
    run.webhooks,
    run.lag_exporter,
    run.healthcheck,
    run.show_settings,
    run.demo,
    broker.kafka,
    broker.registry,
    broker.topics,
    contracts.schemas,
    simulation.sample,
    simulation.simulate,
    measure.backtest,
    measure.train,
    measure.bench,
    measure.bench_core,
    measure.bench_floor,
    measure.chaos,
    alerts.alerts,
    erasure.forget,
):
    main.add_command(command)
