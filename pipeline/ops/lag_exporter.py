"""``carepipe lag-exporter``: serves the consumer lag the broker reports, for Prometheus.

A process of its own, beside the workers: a worker that is stopped or stalled cannot be
scraped, and its own lag gauges stop moving with it; this one goes on asking the broker.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

from pipeline.grouplag import group_lag_collector, watched_groups
from pipeline.kafkaclients import check_access
from pipeline.settings import Settings
from processors.errors import StartupError

log = logging.getLogger(__name__)


class LagExporterError(StartupError, RuntimeError):
    """``carepipe lag-exporter`` cannot start; the message says what to fix."""


def run_lag_exporter(settings: Settings, registry: CollectorRegistry = REGISTRY) -> int:
    """Serves ``/metrics`` until SIGTERM or SIGINT; returns the exit code.

    An unreachable broker does not stop it: it is what the exporter is there to report
    (``carepipe_group_lag_read_errors_total``), and the lag comes back with the broker.
    """
    logging.basicConfig(
        level=settings.log_level.upper(), format="[%(asctime)s] %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("kafka").setLevel(logging.ERROR)
    # A broker that does not answer yet is reported, not fatal; credentials it refuses are.
    check_access(settings, unreachable_ok=True)
    collector, reader = group_lag_collector(settings, client_id=f"{settings.app_id}-lag-exporter")
    registry.register(collector)
    try:
        server, _ = start_http_server(
            settings.lag_exporter_port, addr=settings.web_host, registry=registry
        )
    except OSError as exc:
        raise LagExporterError(
            f"CAREPIPE_LAG_EXPORTER_PORT: cannot serve metrics on "
            f"{settings.web_host}:{settings.lag_exporter_port}: {exc.strerror}"
        ) from exc
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info(
        "serving the lag of %s on %s:%d/metrics",
        ", ".join(spec.group for spec in watched_groups(settings)),
        settings.web_host,
        settings.lag_exporter_port,
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.shutdown()
        server.server_close()
        reader.close()
    return 0
