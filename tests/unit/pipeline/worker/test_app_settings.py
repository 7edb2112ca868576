"""Settings the worker's Faust app is built with."""

from __future__ import annotations

import faust


def test_the_worker_app_takes_the_standby_replicas_setting(worker: faust.App) -> None:
    assert worker.conf.table_standby_replicas == 0  # CAREPIPE_STANDBY_REPLICAS of conftest
