"""The faults a chaos run inflicts, one function per scenario.

Each one starts the workers it needs, starts the feeder, and strikes at moments drawn
from its seeded random stream (shares of the input sent), while the stream flows. It
returns what it did and how long each recovery took: from the fault until
interactions.normalized grows again.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipeline.measure.chaos.harness import Broker, Feeder, Pipeline, kill

SLOW_RECOVERY = 2.0  # session timeouts: past this, a recovery keeps the workers' warnings
LOG_LINES = 20


@dataclass
class Fault:
    what: str
    at_share: float  # of the input sent when it struck
    recovery_s: float  # from the fault to outputs flowing again
    # For a slow recovery: the workers' warnings and errors logged since the fault.
    log: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        fault: dict[str, Any] = {
            "what": self.what, "at_share": self.at_share, "recovery_s": self.recovery_s
        }  # fmt: skip
        if self.log:
            fault["log"] = self.log
        return fault


@dataclass
class Context:
    pipeline: Pipeline
    feeder: Feeder
    broker: Broker
    rng: random.Random
    session_timeout_s: float
    faults: list[Fault] = field(default_factory=list)

    def strike_at(self, share: float) -> int:
        """Waits until ``share`` of the input is sent; returns the outputs written so far."""
        self.feeder.wait_sent(share)
        return self.pipeline.normalized_written()

    def recovered(self, what: str, share: float, struck: float, written: int) -> None:
        self.pipeline.wait_flowing(written)
        seconds = time.monotonic() - struck
        log = []
        if seconds > SLOW_RECOVERY * self.session_timeout_s:
            since = datetime.now() - timedelta(seconds=seconds)  # the workers log local time
            log = excerpt(
                [
                    f"worker-{n}: {line}"
                    for n, worker in enumerate(self.pipeline.workers)
                    for line in warnings_since(worker.log(), since)
                ]
            )
        self.faults.append(Fault(what, round(share, 3), round(seconds, 1), log))


def excerpt(lines: list[str], limit: int = LOG_LINES) -> list[str]:
    """At most ``limit`` lines: the first and the last half, what the fault did and what
    held the recovery up, with a line that counts those left out."""
    if len(lines) <= limit:
        return lines
    half = limit // 2
    return [*lines[:half], f"... {len(lines) - 2 * half} lines ...", *lines[-half:]]


def warnings_since(log: str, since: datetime) -> list[str]:
    """The WARNING, ERROR and CRITICAL lines of a worker's log stamped at ``since`` or
    later (Faust's ``[YYYY-MM-DD HH:MM:SS,mmm]`` prefix), cut to 300 characters."""
    found = []
    for line in log.splitlines():
        if not any(f"[{level}]" in line for level in ("WARNING", "ERROR", "CRITICAL")):
            continue
        try:
            stamped = datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S,%f")
        except ValueError:
            continue
        if stamped >= since:
            found.append(line[:300])
    return found


Scenario = Callable[[Context], None]


def clean(ctx: Context) -> None:
    """No fault: the reference."""
    ctx.pipeline.worker(0).start()
    ctx.feeder.start()


def kill_restart(ctx: Context) -> None:
    """kill -9 of the worker three times, restarted at once with the same state folder."""
    worker = ctx.pipeline.worker(0).start()
    ctx.feeder.start()
    for share in sorted(ctx.rng.uniform(0.15, 0.85) for _ in range(3)):
        ctx.strike_at(share)
        struck = time.monotonic()
        kill(worker)
        written = ctx.pipeline.normalized_written()
        worker.start()
        ctx.recovered("kill -9, restart", share, struck, written)


def kill_empty_state(ctx: Context) -> None:
    """kill -9, then a restart with an empty state folder: state comes from the changelog."""
    worker = ctx.pipeline.worker(0).start()
    ctx.feeder.start()
    share = ctx.rng.uniform(0.3, 0.7)
    ctx.strike_at(share)
    struck = time.monotonic()
    kill(worker)
    written = ctx.pipeline.normalized_written()
    ctx.pipeline.wipe_state(0)
    worker.start()
    ctx.recovered("kill -9, empty state, restart", share, struck, written)


def broker_restart(ctx: Context) -> None:
    """The broker stopped (SIGTERM) and started again; the worker stays up."""
    _broker_outage(ctx, "broker stop, start", ctx.broker.stop)


def broker_kill(ctx: Context) -> None:
    """The broker killed with kill -9 and started again; the worker stays up."""
    _broker_outage(ctx, "broker kill -9, start", ctx.broker.kill)


def _broker_outage(ctx: Context, what: str, take_down: Callable[[], None]) -> None:
    ctx.pipeline.worker(0).start()
    ctx.feeder.start()
    share = ctx.rng.uniform(0.3, 0.7)
    ctx.strike_at(share)
    struck = time.monotonic()
    take_down()
    time.sleep(ctx.rng.uniform(3, 8))
    written = -1
    ctx.broker.start()
    while written < 0:
        try:
            written = ctx.pipeline.normalized_written()
        except Exception:  # metadata not back yet
            time.sleep(0.2)
    ctx.recovered(what, share, struck, written)
    for worker in ctx.pipeline.workers:
        if not worker.running():
            raise RuntimeError(f"the worker exited during the outage:\n{worker.log_tail()}")


def rebalance(ctx: Context) -> None:
    """1 -> 2 -> 1: a second worker joins mid-stream, then the first leaves (SIGTERM)."""
    first = ctx.pipeline.worker(0).start()
    ctx.feeder.start()
    join, leave = sorted(ctx.rng.uniform(0.15, 0.85) for _ in range(2))
    written = ctx.strike_at(join)
    struck = time.monotonic()
    ctx.pipeline.worker(1).start()
    ctx.recovered("second worker joins", join, struck, written)
    written = ctx.strike_at(leave)
    struck = time.monotonic()
    first.stop()
    ctx.recovered("first worker leaves (SIGTERM)", leave, struck, written)


def stall(ctx: Context) -> None:
    """SIGSTOP for longer than the session timeout, then SIGCONT."""
    worker = ctx.pipeline.worker(0).start()
    ctx.feeder.start()
    share = ctx.rng.uniform(0.3, 0.6)
    ctx.strike_at(share)
    assert worker.proc is not None
    struck = time.monotonic()
    worker.proc.send_signal(signal.SIGSTOP)
    time.sleep(ctx.session_timeout_s + 5)
    written = ctx.pipeline.normalized_written()
    worker.proc.send_signal(signal.SIGCONT)
    ctx.recovered("SIGSTOP past the session timeout, SIGCONT", share, struck, written)


SCENARIOS: dict[str, Scenario] = {
    "kill-restart": kill_restart,
    "kill-empty-state": kill_empty_state,
    "broker-restart": broker_restart,
    "rebalance": rebalance,
    "stall": stall,
    "broker-kill": broker_kill,
}
