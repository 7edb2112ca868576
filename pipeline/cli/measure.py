"""Commands that measure: the backtest of the risk rules, the throughput bench and the
chaos suite."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(short_help="Replay recorded events to score the risk rules.")
@click.argument("events", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--truth",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ground truth CSV, as `carepipe simulate --truth` writes it (default: the "
    "customer outcomes recorded in EVENTS).",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rules laid over the defaults (default: the defaults alone).",
)
@click.option(
    "--compare",
    "compare_specs",
    multiple=True,
    metavar="FILE",
    help="Repeatable. Once with a rules file: that file beside --rules (the A/B report). "
    "Otherwise, or with a model file (.json) or `default` (the built-in rules): every one "
    "judged on the last 30 days (--test-from) after a warm-up, in one table.",
)
@click.option(
    "--test-from",
    "test_from_text",
    metavar="ISO",
    help="Start of the test window of --compare (default: 30 days before the last event).",
)
@click.option(
    "--budget",
    type=click.FloatRange(0, min_open=True),
    help="Set each AT_RISK threshold of --compare to meet this many alerts per 1,000 "
    "customers per day, on the days before the test window.",
)
@click.option(
    "--horizon",
    type=click.IntRange(1, 365),
    default=30,
    show_default=True,
    help="Days before churn in which an AT_RISK alert counts as a catch.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report: Markdown, or JSON for a .json name.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write precision/recall and score distributions as a PNG.",
)
def backtest(
    events: Path,
    truth: Path | None,
    rules_file: Path | None,
    compare_specs: tuple[str, ...],
    test_from_text: str | None,
    budget: float | None,
    horizon: int,
    report: Path | None,
    plot: Path | None,
) -> None:
    """Replay EVENTS (a `carepipe simulate --out` file) offline through the normalizers
    and the risk rules, and score the AT_RISK alerts against the ground truth (the
    customer outcomes in EVENTS, or --truth): precision, recall, F1, lead time, alert
    volume. --compare runs a second rules file beside it, or compares rules and model files
    (`carepipe train`) on a later test window.
    Without --report the Markdown report goes to standard output."""
    if _comparison_wanted(compare_specs, test_from_text, budget):
        _compare(events, truth, compare_specs, test_from_text, budget, horizon, report)
        return
    compare_file = Path(compare_specs[0]) if compare_specs else None
    if compare_file is not None and not compare_file.is_file():
        raise click.BadParameter(f"{compare_file}: no such file", param_hint="--compare")
    from pipeline.measure.backtest import (
        markdown,
        report_data,
        run_backtest,
        summary_line,
        write_plot,
        write_report,
    )

    run = run_backtest(events, truth, rules_file, compare_file, horizon)
    files = {"A": str(rules_file or "default"), "B": str(compare_file or "")}
    data = report_data(run, files)
    if plot is not None:
        write_plot(plot, run.evaluations)
    if report is None:
        click.echo(markdown(data), nl=False)
        return
    write_report(report, data)
    for rules in data["rules"]:
        click.echo(summary_line(rules))


def _comparison_wanted(specs: tuple[str, ...], test_from: str | None, budget: float | None) -> bool:
    return (
        len(specs) > 1
        or test_from is not None
        or budget is not None
        or any(spec == "default" or spec.lower().endswith(".json") for spec in specs)
    )


def _compare(
    events: Path,
    truth: Path | None,
    specs: tuple[str, ...],
    test_from_text: str | None,
    budget: float | None,
    horizon: int,
    report: Path | None,
) -> None:
    from pipeline.measure.comparison import markdown, run_comparison, write_report
    from pipeline.simulation.simulate import parse_time

    if not specs:
        raise click.UsageError("--test-from and --budget go with --compare")
    try:
        test_from = parse_time(test_from_text) if test_from_text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--test-from") from exc
    data = run_comparison(events, truth, list(specs), test_from, budget, horizon)
    if report is None:
        click.echo(markdown(data), nl=False)
        return
    write_report(report, data)
    click.echo(markdown(data), nl=False)


@click.command(short_help="Train the explainable risk model on recorded events.")
@click.argument("events", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--truth",
    "--outcomes",
    "truth",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Churn outcomes as a ground truth CSV (`carepipe simulate --truth`); default: the "
    "customer outcomes recorded in EVENTS before --until.",
)
@click.option(
    "--until",
    "until_text",
    metavar="ISO",
    required=True,
    help="End of the training window: nothing at or after it is read or labelled.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The model file to write (JSON), for CAREPIPE_MODEL_FILE and backtest --compare.",
)
@click.option(
    "--horizon-days",
    type=click.IntRange(1, 365),
    default=30,
    show_default=True,
    help="Label: churned within this many days of the interaction.",
)
@click.option(
    "--budget",
    type=click.FloatRange(0, min_open=True),
    default=1.5,
    show_default=True,
    help="AT_RISK alerts per 1,000 customers per day the threshold is set to, on the window.",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rules whose signals are features (default: the defaults).",
)
def train(
    events: Path,
    truth: Path | None,
    until_text: str,
    out: Path,
    horizon_days: int,
    budget: float,
    rules_file: Path | None,
) -> None:
    """Replay EVENTS before --until through the worker's scoring, take the features of
    every interaction (the rules' signals and their raw inputs), label each one "churned
    within --horizon-days", fit a calibrated logistic regression (scikit-learn, the
    `train` extra) and write the model file."""
    from pipeline.measure.training import summary, train, write_model
    from pipeline.simulation.simulate import parse_time

    try:
        until = parse_time(until_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--until") from exc
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            "training needs scikit-learn: pip install 'care-pipeline[train]'"
        ) from exc
    data = train(events, truth, until, horizon_days, budget, rules_file)
    write_model(out, data)
    click.echo(summary(data))


@click.command(short_help="Measure throughput, latency and memory against the ceiling.")
@click.option("--events", type=int, default=200_000, show_default=True)
@click.option("--customers", type=int, default=60_000, show_default=True)
@click.option("--rate", type=float, default=1000, show_default=True, help="Offered load, events/s.")
@click.option("--latency-seconds", type=float, default=20, show_default=True)
@click.option("--report", type=click.Path(path_type=Path), default=Path("bench-report.json"))
def bench(events: int, customers: int, rate: float, latency_seconds: float, report: Path) -> None:
    """Pre-load events on fresh topics and measure, on the configured broker: the raw
    client ceiling, the full pipeline with one worker, latency at a fixed load, memory."""
    from pipeline.measure.bench import run_bench

    run_bench(events, customers, rate, latency_seconds, report)


@click.command("bench-core", short_help="Time each stage of the worker's own per-event code.")
@click.option("--customers", type=click.IntRange(1), default=2_000, show_default=True)
@click.option("--events", type=click.IntRange(1), default=20_000, show_default=True)
@click.option("--seed", type=int, default=3, show_default=True)
def bench_core(customers: int, events: int, seed: int) -> None:
    """Run sample interactions through the worker's stages in one thread, without a
    broker or a Faust stream, and print the microseconds each stage costs per event:
    decode, normalize, load the history, process_interaction, store it, encode outputs."""
    from pipeline.measure.bench.core import measure_core, report_lines

    for line in report_lines(measure_core(customers, events, seed)):
        click.echo(line)


@click.command("bench-floor", hidden=True)
def bench_floor() -> None:
    """Run the bare Faust app that `carepipe bench` measures as the framework's floor
    (started by the bench in a child process of its own)."""
    from pipeline.cli.group import settings
    from pipeline.measure.bench.floor import run_floor

    run_floor(settings())


@click.command(short_help="Crash, restart and rebalance the pipeline; count lost alerts.")
@click.option("--customers", type=click.IntRange(10), default=3_000, show_default=True)
@click.option(
    "--events", type=click.IntRange(100), default=12_000, show_default=True,
    help="Interactions after the customers' profiles.",
)  # fmt: skip
@click.option("--rate", type=click.FloatRange(1), default=400, show_default=True,
              help="Records sent per second.")  # fmt: skip
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--scenario", "scenarios", multiple=True,
    help="Run only these (repeatable): kill-restart, kill-empty-state, broker-restart, "
    "rebalance, stall, broker-kill. Default: all.",
)  # fmt: skip
@click.option("--report", type=click.Path(path_type=Path), default=Path("chaos-report.json"),
              show_default=True)  # fmt: skip
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".carepipe/chaos"), show_default=True,
              help="Where the private broker and the workers keep their data.")  # fmt: skip
def chaos(
    customers: int,
    events: int,
    rate: float,
    seed: int,
    scenarios: tuple[str, ...],
    report: Path,
    workdir: Path,
) -> None:
    """Feed one simulated stream through a clean pipeline and through pipelines that are
    killed, restarted, rebalanced and stalled, on a broker of their own, and compare what
    each wrote with the clean run: alerts lost or invented, duplicates, raw records
    unaccounted for, recovery times. Exits 1 when anything is lost or invented."""
    from pipeline.measure.chaos.run import ChaosConfig, run_chaos
    from pipeline.measure.chaos.scenarios import SCENARIOS

    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        raise click.BadParameter(f"unknown: {', '.join(unknown)}", param_hint="--scenario")
    config = ChaosConfig(
        customers=customers,
        events=events,
        rate=rate,
        seed=seed,
        scenarios=scenarios or tuple(SCENARIOS),
        workdir=workdir,
    )
    if not run_chaos(config, report).ok:
        raise SystemExit(1)
