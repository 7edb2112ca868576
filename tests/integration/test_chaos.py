"""The chaos suite, CI-sized: `carepipe chaos` run as an operator runs it, every scenario
on a broker of its own, real workers killed, restarted, rebalanced and stalled; nothing
lost, nothing invented.

The command runs in a child process of its own: its clients keep talking to a broker
that is down for part of the run, and what they leave behind stays out of this process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.measure.chaos.scenarios import SCENARIOS

pytestmark = pytest.mark.integration


@pytest.mark.timeout(900)
def test_no_alert_or_interaction_is_lost_or_invented_in_any_scenario(tmp_path: Path) -> None:
    report_path = tmp_path / "chaos.json"
    command = [
        sys.executable, "-m", "pipeline.cli", "chaos",
        "--customers", "500", "--events", "1500", "--rate", "300", "--seed", "7",
        "--workdir", str(tmp_path / "chaos"), "--report", str(report_path),
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        output, _ = proc.communicate(timeout=840)
    finally:
        if proc.poll() is None:  # interrupted: let it stop its broker and workers first
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
    log = output.decode(errors="replace")[-4000:]

    written = json.loads(report_path.read_text())
    assert [s["name"] for s in written["scenarios"]] == ["clean", *SCENARIOS], log
    assert written["reference"]["alert_records"] > 0  # the stream does raise alerts
    assert written["reference"]["normalized"] > 500
    for result in written["scenarios"]:
        summary = json.dumps(result)
        assert result["alerts_lost"] == 0, summary
        assert result["alerts_invented"] == 0, summary
        assert result["normalized_lost"] == 0 and result["normalized_invented"] == 0, summary
        assert result["raw_unaccounted"] == 0, summary
        assert result["raw_sent"] == written["records"], summary
    faults = {r["name"]: r["faults"] for r in written["scenarios"]}
    assert len(faults["kill-restart"]) == 3
    assert all(f["recovery_s"] > 0 for fs in faults.values() for f in fs)
    assert written["ok"] is True
    assert proc.returncode == 0, log
