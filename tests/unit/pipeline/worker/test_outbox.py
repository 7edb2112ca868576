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


def test_deliver_now_reaches_what_it_relies_on_in_faust_and_aiokafka() -> None:
    """``deliver_now`` flushes Faust's buffer of ``send_soon`` records, then closes and
    waits for aiokafka's batches: these fail if either library renames what it uses."""
    import asyncio
    import inspect

    from aiokafka import AIOKafkaProducer
    from aiokafka.producer.message_accumulator import MessageAccumulator
    from faust.transport.drivers.aiokafka import Producer
    from faust.transport.producer import ProducerBuffer

    assert inspect.iscoroutinefunction(ProducerBuffer.flush)
    assert "_producer" in Producer.__annotations__
    source = inspect.getsource(MessageAccumulator.flush_for_commit)
    assert "_builder.close()" in source and "_waiter_future" in source

    async def accumulator() -> object:
        client = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1")
        try:
            return client._message_accumulator
        finally:
            await client.stop()  # never started: closes it without a connection

    found = asyncio.run(accumulator())
    assert isinstance(found, MessageAccumulator)
