"""The chaos suite, CI-sized: every scenario on a broker of its own, real workers killed,
restarted, rebalanced and stalled; nothing lost, nothing invented."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.measure.chaos.run import ChaosConfig, run_chaos
from pipeline.measure.chaos.scenarios import SCENARIOS


def test_no_alert_or_interaction_is_lost_or_invented_in_any_scenario(tmp_path: Path) -> None:
    config = ChaosConfig(customers=500, events=1_500, rate=300, seed=7, workdir=tmp_path / "chaos")
    report_path = tmp_path / "chaos.json"

    report = run_chaos(config, report_path)

    written = json.loads(report_path.read_text())
    assert [s["name"] for s in written["scenarios"]] == ["clean", *SCENARIOS]
    assert written["reference"]["alert_records"] > 0  # the stream does raise alerts
    assert written["reference"]["normalized"] > 500
    for result in report.scenarios:
        v = result.verdict
        summary = f"{result.name}: {v.to_dict()}"
        assert v.alerts_lost == 0, summary
        assert v.alerts_invented == 0, summary
        assert v.normalized_lost == 0 and v.normalized_invented == 0, summary
        assert v.raw_unaccounted == 0, summary
        assert v.raw_sent == report.records, summary
    faults = {r.name: r.faults for r in report.scenarios}
    assert len(faults["kill-restart"]) == 3
    assert all(f.recovery_s > 0 for fs in faults.values() for f in fs)
    assert report.ok
