"""The worker's garbage collection: young collections as Python runs them, full ones on a
timer.

Python runs a full collection whenever the objects that survived the young collections
have grown by a quarter since the last one. A busy worker holds hundreds of thousands of
long-lived objects (the cached histories, the consumer's prefetched records), and a full
collection walks all of them with the event loop stopped: 75 to 340 ms each, every 3 to 5 s
under a backlog, on a 2-core machine. Those pauses are the slowest records' latency. Nearly
all cyclic garbage dies young and goes in the young collections (a full collection of a
busy worker finds a few dozen objects); the worker turns Python's automatic full
collections off and runs one itself every ``CAREPIPE_GC_FULL_COLLECT_SECONDS`` (an hour),
so a cycle that outlives the young generations is freed within that time. That one still
stops the worker for as long as it walks everything (0.4 to 1 s with 20,000 cached
histories). ``carepipe_gc_pause_seconds`` shows every collection's pause.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

import faust
from prometheus_client import Histogram

log = logging.getLogger(__name__)

# The third threshold counts young (generation 1) collections between full ones; Python
# then also waits for the survivors to grow by a quarter. This many never comes.
NO_AUTOMATIC_FULL = 2**31 - 1


class PauseTimer:
    """A ``gc.callbacks`` entry that observes each collection's pause in ``pauses``."""

    def __init__(self, pauses: Histogram) -> None:
        self.by_generation = [pauses.labels(str(generation)) for generation in range(3)]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.by_generation[info["generation"]].observe(time.perf_counter() - self._started)


def take_over_full_collections() -> None:
    """Leaves the young generations' thresholds as they are; no automatic full ones."""
    young, older, _ = gc.get_threshold()
    gc.set_threshold(young, older, NO_AUTOMATIC_FULL)


def register(app: faust.App, full_every_s: float, pauses: Histogram) -> None:
    """Times every collection of the worker; with ``full_every_s`` > 0, runs the full
    collections itself, that often, once the worker has started."""
    timer = PauseTimer(pauses)

    @app.task
    async def time_collections() -> None:
        if timer not in gc.callbacks:
            gc.callbacks.append(timer)
        if full_every_s > 0:
            take_over_full_collections()
            log.info("full garbage collections every %.0f s", full_every_s)

    if full_every_s > 0:

        @app.timer(full_every_s, name="collect-garbage")
        async def collect_garbage() -> None:
            gc.collect()
