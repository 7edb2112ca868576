"""One chaos run: ``run_chaos`` feeds the same simulated stream through a clean pipeline
(the reference) and through each scenario's, judges each against the reference, writes
the JSON report and prints the table."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.measure.chaos.harness import Broker, Feeder, Pipeline, Record, encode_all
from pipeline.measure.chaos.scenarios import SCENARIOS, Context, Fault, Scenario, clean
from pipeline.measure.chaos.verdict import (
    Outputs,
    Verdict,
    agreement,
    expected_alerts,
    judge,
)
from pipeline.rulesfile import load_rules
from pipeline.simulation.population import PopulationConfig
from pipeline.simulation.sample import RawEvent
from pipeline.simulation.simulate import encode, simulate
from processors.backtest import prepare, replay
from processors.profile import CustomerProfile
from processors.rules import Rules

console = Console(highlight=False, stderr=True)


@dataclass(frozen=True)
class ChaosConfig:
    customers: int = 3_000
    events: int = 12_000  # interactions after the profiles
    rate: float = 400.0  # records sent per second
    seed: int = 42
    now: datetime = datetime(2025, 6, 1, tzinfo=UTC)
    partitions: int = 3
    session_timeout_s: float = 10.0
    catch_up_timeout_s: float = 300.0
    scenarios: tuple[str, ...] = tuple(SCENARIOS)
    workdir: Path = Path(".carepipe/chaos")


@dataclass
class ScenarioResult:
    name: str
    seconds: float
    faults: list[Fault]
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": self.seconds,
            "faults": [fault.to_dict() for fault in self.faults],
            **self.verdict.to_dict(),
        }


@dataclass
class ChaosReport:
    config: dict[str, Any]
    records: int
    reference: dict[str, Any] = field(default_factory=dict)
    scenarios: list[ScenarioResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(result.verdict.ok for result in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "config": self.config,
            "records": self.records,
            "reference": self.reference,
            "scenarios": [result.to_dict() for result in self.scenarios],
        }


def chaos_stream(config: ChaosConfig) -> tuple[list[RawEvent], list[RawEvent]]:
    """The input: the customers' profiles, then ``events`` interactions in event-time
    order. Customer outcomes and profile updates within the span (renewals) are left out:
    a profile and an interaction of one customer race through two agents, so which one a
    decision saw would depend on timing, not on the faults."""
    population = PopulationConfig(
        end=config.now, customers=config.customers, days=90, seed=config.seed
    )
    events = [timed.event for timed in simulate(population, max_events=config.events).events]
    profiles = events[: config.customers]
    later = events[config.customers :]
    return profiles, [e for e in later if e.channel not in ("PROFILE", "OUTCOME")]


def run_chaos(config: ChaosConfig, report_path: Path) -> ChaosReport:
    unknown = set(config.scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenarios: {', '.join(sorted(unknown))}")
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    folder = config.workdir.absolute() / run
    profiles, interactions = chaos_stream(config)
    stream = (
        encode_all([(e.channel, e.key, encode(e)) for e in profiles]),
        encode_all([(e.channel, e.key, encode(e)) for e in interactions]),
    )
    known = {p.customer_id: p for p in (CustomerProfile.from_record(e.record) for e in profiles)}
    rules = load_rules(None)
    report = ChaosReport(_config_dict(config), len(stream[1]))
    broker = Broker(folder / "broker")
    progress = Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[state]}"),
        console=console,
    )
    with progress:
        task = progress.add_task("broker", total=None, state="starting")
        broker.start()
        progress.update(task, total=1, completed=1, state=broker.config.bootstrap)
        try:
            reference: Outputs | None = None
            for name in ("clean", *config.scenarios):
                scenario = SCENARIOS.get(name, clean)
                outputs, faults, seconds, sent = _scenario(
                    name, scenario, config, broker, folder, stream, progress
                )
                if reference is None:
                    reference = outputs
                    report.reference = _reference(reference, profiles + interactions, rules)
                expected = expected_alerts(outputs.log, known, rules, datetime.now(UTC))
                verdict = judge(expected, reference, outputs, sent)
                report.scenarios.append(ScenarioResult(name, seconds, faults, verdict))
                report_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        finally:
            broker.stop()
    report_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    print_report(report, report_path)
    return report


def _reference(clean_run: Outputs, events: list[RawEvent], rules: Rules) -> dict[str, Any]:
    """The clean run's figures, and how its alerts compare with the offline backtest's."""
    offline = replay(prepare((e.channel, e.key, e.record) for e in events), rules)
    return {
        "alert_records": len(clean_run.alerts),
        "normalized": len(clean_run.normalized),
        "dead_letters": clean_run.dead_letters,
        "offline_backtest": agreement(clean_run.alert_types, offline.emitted),
    }


def _scenario(
    name: str,
    scenario: Scenario,
    config: ChaosConfig,
    broker: Broker,
    folder: Path,
    stream: tuple[list[Record], list[Record]],
    progress: Progress,
) -> tuple[Outputs, list[Fault], float, set[tuple[str, int, int]]]:
    prelude, records = stream
    task = progress.add_task(name, total=len(records), state="")
    pipeline = Pipeline(name, broker, folder / name, config.partitions)
    pipeline.env["CAREPIPE_SESSION_TIMEOUT_SECONDS"] = str(config.session_timeout_s)
    pipeline.create_topics()
    feeder = Feeder(
        pipeline.settings,
        prelude,
        records,
        config.rate,
        ready=pipeline.wait_profiles_stored,
        on_sent=lambda: progress.advance(task),
    )
    rng = random.Random(f"{config.seed}:{name}")
    ctx = Context(pipeline, feeder, broker, rng, config.session_timeout_s)
    began = time.monotonic()
    try:
        scenario(ctx)
        feeder.join()
        progress.update(task, state="catching up")
        pipeline.wait_caught_up(config.catch_up_timeout_s)
        progress.update(task, state="reading outputs")
        outputs = pipeline.outputs()
    finally:
        pipeline.stop_all()
    seconds = round(time.monotonic() - began, 1)
    progress.update(task, state=f"done in {seconds:.0f}s")
    return outputs, ctx.faults, seconds, feeder.positions


def print_report(report: ChaosReport, path: Path) -> None:
    ref = report.reference
    table = Table(
        title=f"carepipe chaos: {report.records:,} records, reference "
        f"{ref.get('alert_records', 0):,} alert records, {ref.get('normalized', 0):,} interactions"
    )
    columns = ("scenario", "alerts lost", "invented", "dup", "unlike clean", "reordered",
               "interactions lost", "dup", "raw unaccounted", "recovery s", "verdict")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for result in report.scenarios:
        v = result.verdict
        recovery = ", ".join(f"{f.recovery_s:.1f}" for f in result.faults) or "-"
        table.add_row(
            result.name,
            str(v.alerts_lost),
            str(v.alerts_invented),
            str(v.alert_duplicates),
            str(v.alerts_unlike_clean),
            str(v.customers_reordered),
            str(v.normalized_lost + v.normalized_invented),
            str(v.normalized_duplicates),
            str(v.raw_unaccounted),
            recovery,
            "[green]ok[/]" if v.ok else "[red]FAILED[/]",
        )
    out = Console(highlight=False, width=max(120, Console().width))
    out.print(table)
    offline = ref.get("offline_backtest", {})
    out.print(
        f"reference against the offline backtest: {offline.get('both', 0):,} alert records in "
        f"both, {offline.get('live_only', 0):,} only live, {offline.get('offline_only', 0):,} "
        "only offline"
    )
    out.print(f"report: {path}")


def _config_dict(config: ChaosConfig) -> dict[str, Any]:
    return {
        "customers": config.customers,
        "events": config.events,
        "rate": config.rate,
        "seed": config.seed,
        "now": config.now.isoformat(),
        "partitions": config.partitions,
        "session_timeout_s": config.session_timeout_s,
        "scenarios": list(config.scenarios),
    }
