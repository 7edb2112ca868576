"""carepipe lag-exporter: a port it cannot serve on stops it at start, naming the setting."""

from __future__ import annotations

import socket

import pytest
from prometheus_client import CollectorRegistry

from pipeline.ops.lag_exporter import LagExporterError, run_lag_exporter
from pipeline.settings import load_settings


def test_a_taken_port_names_its_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = load_settings({"CAREPIPE_LAG_EXPORTER_PORT": str(port)})
        with pytest.raises(LagExporterError, match=f"CAREPIPE_LAG_EXPORTER_PORT: .*:{port}"):
            run_lag_exporter(settings, registry=CollectorRegistry())
