"""``carepipe train`` on a small simulated population, then ``backtest --compare`` with the
model file beside the default rules, on another seed's population; no broker."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.measure.backtest import decoded, without_outcomes
from pipeline.modelfile import load_model
from pipeline.rulesfile import load_rules
from processors.backtest import prepare, replay
from processors.features import NAMES
from processors.holdout import Gate, openings, sequences_of

NOW = "2024-07-01T00:00:00Z"
UNTIL = "2024-06-20T00:00:00+00:00"


def simulate(runner: CliRunner, folder: Path, seed: int) -> tuple[Path, Path]:
    events, truth = folder / f"events-{seed}.bin", folder / f"truth-{seed}.csv"
    result = runner.invoke(
        main,
        [
            "simulate", "--customers", "1500", "--days", "60", "--churn-rate", "0.3",
            "--seed", str(seed), "--now", NOW, "--out", str(events), "--truth", str(truth),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return events, truth


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("train")
    runner = CliRunner()
    events, truth = simulate(runner, folder, seed=3)
    model = folder / "model.json"
    result = runner.invoke(
        main,
        [
            "train", str(events), "--outcomes", str(truth), "--until", UNTIL,
            "--horizon-days", "14", "--budget", "3", "--out", str(model),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.startswith("trained on ")
    return folder, model, events


def test_train_writes_a_model_file_a_worker_accepts(trained: tuple[Path, Path, Path]) -> None:
    _, path, events = trained
    data = json.loads(path.read_text())
    model = load_model(path)
    assert [f.name for f in model.features] == list(NAMES)
    assert model.horizon_days == 14
    assert data["training"]["events"] == str(events)
    assert data["training"]["until"] == UNTIL
    # Only interactions whose horizon ends before --until are labelled.
    assert data["training"]["labelled_until"] == "2024-06-06T00:00:00+00:00"
    assert data["training"]["labelled_points"] < data["training"]["points"]
    assert sum(data["training"]["split"].values()) == data["training"]["labelled_points"]
    validation = data["metrics"]["validation"]
    assert validation["roc_auc"] > 0.7  # the features carry the churn signal
    assert 0 < model.threshold < 1
    assert data["training"]["alerts_per_1k_customers_per_day"] <= 3
    # Churn talk raises the risk.
    assert {f.name: f.coefficient for f in model.features}["CHURN_INTENT"] > 0


def test_compare_judges_rules_and_model_on_another_seed(trained: tuple[Path, Path, Path]) -> None:
    folder, model, _ = trained
    runner = CliRunner()
    events, truth = simulate(runner, folder, seed=11)
    report = folder / "compare.json"
    result = runner.invoke(
        main,
        [
            "backtest", str(events), "--truth", str(truth), "--compare", "default",
            "--compare", str(model), "--test-from", "2024-06-01T00:00:00Z", "--budget", "3",
            "--report", str(report),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "| recall (contacted) |" in result.output
    data = json.loads(report.read_text())
    assert data["test_window"][0] == "2024-06-01 00:00"
    default, trained_model = data["rows"]
    assert default["kind"] == "rules" and trained_model["kind"] == "model"
    assert trained_model["trained_until"] == UNTIL
    for row in data["rows"]:
        assert row["threshold_from"].startswith("budget 3, on 2024-05-02")
        assert row["precision"] is not None and row["recall_contacted"] is not None
        assert row["churners_contacted"] <= row["churners"]


def test_openings_from_scores_are_those_of_the_replay(trained: tuple[Path, Path, Path]) -> None:
    _, _, events = trained
    rules = load_rules()
    prepared = prepare(without_outcomes(decoded(events, Counter(), Counter()), []))
    replayed = replay(prepared, rules)
    gate = Gate(
        rules.alerting.at_risk_threshold,
        rules.alerting.recover_below,
        int(rules.cooldown("AT_RISK").total_seconds() * 1000),
    )
    sequences = sequences_of(replayed)
    derived = {cid: openings(points, gate) for cid, points in sequences.items()}
    actual = {cid: track.at_risk_opened for cid, track in replayed.tracks.items()}
    assert sum(map(len, actual.values())) > 10
    assert {c: o for c, o in derived.items() if o} == {c: o for c, o in actual.items() if o}


def test_a_bad_model_file_in_compare_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "carepipe-risk-model/1"}')
    events, truth = tmp_path / "e.bin", tmp_path / "t.csv"
    events.write_bytes(b"")
    truth.write_text("customer_id,churned,churn_date\n")
    result = CliRunner().invoke(
        main, ["backtest", str(events), "--truth", str(truth), "--compare", str(bad)]
    )
    assert result.exit_code != 0
    assert f"{bad}: invalid model: features: missing key" in result.output
