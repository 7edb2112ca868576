"""A send that fails for good stops the worker at once, before an offset past its record
can be committed; a send that succeeds changes nothing."""

from __future__ import annotations

import subprocess
import sys

from pipeline.worker.outbox import SEND_FAILED_EXIT

FAIL = """
import asyncio, logging, sys
from pipeline.worker.outbox import stop_if_failed
logging.basicConfig(stream=sys.stderr)

async def main(outcome):
    future = asyncio.get_running_loop().create_future()
    future.add_done_callback(stop_if_failed)
    if outcome == "fail":
        future.set_exception(TimeoutError("batch expired"))
    elif outcome == "cancel":
        future.cancel()
    else:
        future.set_result("metadata")
    await asyncio.sleep(0.1)
    print("still running")

asyncio.run(main(sys.argv[1]))
"""


def run(outcome: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", FAIL, outcome], capture_output=True, text=True, timeout=60
    )


def test_a_failed_send_stops_the_process_before_anything_else_runs() -> None:
    done = run("fail")
    assert done.returncode == SEND_FAILED_EXIT
    assert "still running" not in done.stdout
    assert "a send failed for good (TimeoutError: batch expired)" in done.stderr


def test_a_cancelled_send_stops_it_too() -> None:
    assert run("cancel").returncode == SEND_FAILED_EXIT


def test_a_delivered_send_changes_nothing() -> None:
    done = run("ok")
    assert done.returncode == 0 and "still running" in done.stdout
