"""One worker app for the unit tests of this folder, built without starting it: an app
registers its metrics in the process's Prometheus registry, which takes each name once."""

from __future__ import annotations

import faust
import pytest

from pipeline.settings import load_settings
from pipeline.worker import app as worker_app


@pytest.fixture(scope="session")
def worker(tmp_path_factory: pytest.TempPathFactory) -> faust.App:
    settings = load_settings(
        {
            "CAREPIPE_DATA_DIR": str(tmp_path_factory.mktemp("state")),
            "CAREPIPE_APP_ID": "unit",
            "CAREPIPE_STANDBY_REPLICAS": "0",
        }
    )
    return worker_app.build_app(settings)
