"""Faust's Prometheus sensors, trimmed to what the dashboards and alerting rules read.

Faust's own monitor updates several metrics for every stream event, table read and write,
and send: about 8% of a worker's CPU under load. :class:`CareMonitor` keeps messages
received, offsets (end and committed), commit latency, rebalances and assignments, and
leaves out the per-event stream, table and send figures, which nothing here reads.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

import faust
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

# A fixed prefix, so that dashboards and alerting rules do not depend on the app id.
NAME_PREFIX = "faust"


class CareMonitor(PrometheusMonitor):
    """Faust's Prometheus monitor without its per-event stream, table and send hooks."""

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        # Only what Faust's consumer reads to tell a stalled stream (verify_event_path):
        # without it, every partition with a backlog is logged as "not processing".
        self.stream_inbound_time[tp] = monotonic()

    def on_stream_event_out(
        self, tp: Any, offset: int, stream: Any, event: Any, state: Any = None
    ) -> None:
        return None

    def on_table_get(self, table: Any, key: Any) -> None:
        return None

    def on_table_set(self, table: Any, key: Any, value: Any) -> None:
        return None

    def on_table_del(self, table: Any, key: Any) -> None:
        return None

    def on_send_initiated(
        self, producer: Any, topic: str, message: Any, keysize: int, valsize: int
    ) -> None:
        return None

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        return None

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        return None


def setup_monitor(
    app: faust.App, pattern: str = "/metrics", registry: CollectorRegistry = REGISTRY
) -> None:
    """Installs :class:`CareMonitor` and serves every metric of ``registry`` on ``pattern``."""
    app.monitor = CareMonitor(metrics=FaustMetrics.create(registry, NAME_PREFIX))

    @app.page(pattern)
    async def metrics(self: View, request: Request) -> Response:
        # As a header: aiohttp refuses a charset in its content_type argument.
        return self.bytes(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
