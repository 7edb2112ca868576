"""A real worker scoring with CAREPIPE_MODEL_FILE: its AT_RISK alert carries the model's
score and reasons; a bad model file stops the worker at start naming the setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline import admin
from pipeline.ops.outputs import OutputReader, decode
from pipeline.ops.producer import send_events
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings
from pipeline.topics import ALERTS, HANDLES, PROFILES
from processors.model import RiskModel
from tests.integration.test_care_alerts import call, profile
from tests.unit.processors.test_model import model_data

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def test_a_worker_with_a_model_file_raises_at_risk_with_model_reasons(
    pipeline_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    model_file = tmp_path / "model.json"
    model_file.write_text(json.dumps(model_data()))
    model = RiskModel.from_dict(model_data())
    env = {**pipeline_env, "CAREPIPE_MODEL_FILE": str(model_file)}
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    reader = OutputReader(settings, [settings.topic(ALERTS.name)])
    try:
        send_events(settings, [profile("M1")])
        topics = [settings.topic(PROFILES.name), settings.topic(HANDLES.name)]
        assert admin.wait_caught_up(settings, topics, 60) == 0
        # Churn talk, unresolved: the model's CHURN_INTENT and the low NPS raise the risk.
        leaving = call(
            "M1", 1, NOW - timedelta(hours=2), "I want to cancel my subscription.", -0.7,
            "UNRESOLVED",
        )  # fmt: skip
        leaving.record["survey"] = {"nps": 1, "csat": None, "ces": None, "answered_at": None}
        send_events(settings, [leaving])
        records = reader.read_until(lambda got: len(got) >= 1, timeout_s=60)
    finally:
        reader.close()
        code = worker.stop()
        print(f"worker exited with {code}; log:\n{worker.log_tail(30)}")
    (alert,) = [decode(r, "CareAlert") for r in records]
    assert alert["alert_type"] == "AT_RISK"
    assert alert["rules_version"].endswith(model.version)
    assert alert["score"] >= 40  # the model's threshold, 0.4, on the 0-100 scale
    codes = [r["code"] for r in alert["reasons"]]
    assert codes[0] == "CHURN_INTENT"
    assert codes[-2:] == ["OTHER_FEATURES", "BASELINE"]
    log_odds = sum(r["contribution"] for r in alert["reasons"])
    assert 100 / (1 + pow(2.718281828459045, -log_odds)) == pytest.approx(alert["score"], abs=1)


def test_a_bad_model_file_stops_the_worker_naming_the_setting(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "model.json"
    bad.write_text(json.dumps(model_data(threshold=2)))
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CAREPIPE_")}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "worker"],
        env={**inherited, **pipeline_env, "CAREPIPE_MODEL_FILE": str(bad)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert f"CAREPIPE_MODEL_FILE: {bad}: invalid model: threshold" in done.stderr
