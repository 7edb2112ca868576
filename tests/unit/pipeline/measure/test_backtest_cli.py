"""``carepipe simulate --out`` then ``carepipe backtest``: a report and a plot, no broker."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def simulate(runner: CliRunner, tmp_path: Path) -> tuple[Path, Path]:
    events, truth = tmp_path / "events.bin", tmp_path / "truth.csv"
    result = runner.invoke(
        main,
        [
            "simulate",
            "--customers", "300",
            "--days", "45",
            "--now", "2025-06-01T00:00:00Z",
            "--seed", "3",
            "--out", str(events),
            "--truth", str(truth),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["customers"] == 300 and summary["events"]["PROFILE"] >= 300
    return events, truth


def test_simulate_then_backtest_writes_a_markdown_report_and_a_png(tmp_path: Path) -> None:
    runner = CliRunner()
    events, truth = simulate(runner, tmp_path)
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text("alerting:\n  at_risk_threshold: 70\n")
    report, plot = tmp_path / "report.md", tmp_path / "plot.png"

    result = runner.invoke(
        main,
        [
            "backtest", str(events),
            "--truth", str(truth),
            "--compare", str(stricter),
            "--report", str(report),
            "--plot", str(plot),
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.output.startswith("A: precision ")
    assert "\nB: precision " in result.output
    text = report.read_text()
    assert text.startswith("# Backtest of the risk rules")
    for row in ("| precision |", "| recall |", "| F1 |", "| lead time median (days) |"):
        assert row in text
    assert "| alerts per 1k customers per day |" in text
    assert "Flagged by A only:" in text and "Flagged by B only: 0 customers" in text
    assert plot.read_bytes()[:8] == PNG_SIGNATURE


def test_backtest_writes_a_json_report_for_a_json_name(tmp_path: Path) -> None:
    runner = CliRunner()
    events, truth = simulate(runner, tmp_path)
    report = tmp_path / "report.json"

    result = runner.invoke(
        main, ["backtest", str(events), "--truth", str(truth), "--report", str(report)]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["population"]["customers"] == 300
    (rules,) = data["rules"]
    assert set(rules) >= {"precision", "recall", "f1", "lead_days_median", "lead_days_p90"}
    assert rules["alerts_per_1k_customers_per_day"]["AT_RISK"] is not None


def test_backtest_names_a_file_that_is_not_an_event_file(tmp_path: Path) -> None:
    bogus, truth = tmp_path / "bogus.bin", tmp_path / "truth.csv"
    bogus.write_bytes(b"not events")
    truth.write_text("customer_id,churned,churn_date\nC1,false,\n")

    result = CliRunner().invoke(main, ["backtest", str(bogus), "--truth", str(truth)])

    assert result.exit_code == 1
    assert "not an event file" in result.output


def test_backtest_refuses_the_truth_of_another_population(tmp_path: Path) -> None:
    runner = CliRunner()
    events, _ = simulate(runner, tmp_path)
    other = tmp_path / "other.csv"
    other.write_text("customer_id,churned,churn_date\nX1,true,2025-05-01T00:00:00Z\n")

    result = runner.invoke(main, ["backtest", str(events), "--truth", str(other)])

    assert result.exit_code == 1
    assert "names none of the 300 customers" in result.output


def test_simulate_refuses_now_and_start_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["simulate", "--now", "2025-06-01", "--start", "2025-03-01", "--out", str(tmp_path / "x")],
    )
    assert result.exit_code == 2
    assert "--now or --start" in result.output


def test_the_outcomes_in_the_events_give_the_figures_of_the_truth_csv(tmp_path: Path) -> None:
    from pipeline.measure.backtest import report_data, run_backtest

    events, truth = simulate(CliRunner(), tmp_path)

    from_csv = report_data(run_backtest(events, truth), {})
    from_outcomes = report_data(run_backtest(events, None), {})

    assert from_outcomes["truth"] == "customer outcomes in the events"
    for data in (from_csv, from_outcomes):
        del data["truth"], data["wall_seconds"]
    assert from_outcomes == from_csv
    assert from_csv["population"]["churners"] > 0
    assert from_csv["population"]["records"]["OUTCOME"] >= from_csv["population"]["churners"]
    assert from_csv["rules"][0]["true_positives"] > 0


def test_backtest_without_truth_needs_outcomes_in_the_events(tmp_path: Path) -> None:
    from pipeline.simulation.simulate import read_events, write_frame

    events, _ = simulate(CliRunner(), tmp_path)
    bare = tmp_path / "no-outcomes.bin"
    with bare.open("wb") as out:
        out.write(b"CPEV1\n")
        for channel, key, value in read_events(events):
            if channel != "OUTCOME":
                write_frame(out, channel, key, value)

    result = CliRunner().invoke(main, ["backtest", str(bare)])

    assert result.exit_code == 1
    assert "holds no customer outcomes" in result.output and "--truth" in result.output
