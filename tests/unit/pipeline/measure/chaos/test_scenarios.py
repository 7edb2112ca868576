"""What a chaos fault keeps of the workers' logs when its recovery is slow."""

from __future__ import annotations

from datetime import datetime

from pipeline.measure.chaos.scenarios import Fault, excerpt, warnings_since

LOG = """\
[2026-12-03 17:07:49,792] [20972] [INFO] [^Worker]: Starting...
[2026-12-03 17:07:50,100] [20972] [WARNING] Heartbeat failed: group is rebalancing
[2026-12-03 17:08:02,500] [20972] [WARNING] [^---Recovery]: Still fetching changelog
+Requested Subscription--------------------------------------------+
[2026-12-03 17:08:03,000] [20972] [INFO] [^---Recovery]: Done
[2026-12-03 17:08:04,250] [20972] [ERROR] [^Worker]: Agent crashed
"""


def test_only_warnings_and_errors_logged_since_the_fault_are_kept() -> None:
    since = datetime(2026, 12, 3, 17, 8, 0)

    assert warnings_since(LOG, since) == [
        "[2026-12-03 17:08:02,500] [20972] [WARNING] [^---Recovery]: Still fetching changelog",
        "[2026-12-03 17:08:04,250] [20972] [ERROR] [^Worker]: Agent crashed",
    ]
    assert warnings_since(LOG, datetime(2026, 12, 3, 17, 9)) == []


def test_a_fault_reports_its_log_only_when_it_kept_one() -> None:
    assert "log" not in Fault("kill -9, restart", 0.2, 10.1).to_dict()
    assert Fault("kill -9, restart", 0.2, 47.9, ["w"]).to_dict()["log"] == ["w"]


def test_a_long_log_keeps_its_first_and_last_lines() -> None:
    lines = [str(n) for n in range(50)]

    assert excerpt(lines[:20], 20) == lines[:20]
    assert excerpt(lines, 20) == [*lines[:10], "... 30 lines ...", *lines[-10:]]
