"""Sends that must not be lost: the outputs of a record whose offset will be committed.

Faust commits a partition's offset after the producer has flushed, whether the sends it
flushed succeeded or not: a send that fails for good (after the producer's retries, for
up to ``producer_request_timeout``) would let the commit pass a record whose outputs
never reached the broker. Sends through :class:`Outbox` stop the worker at once instead.
The failed batch's future calls back before the flush that waits for it returns, so the
process is gone before the commit; the restarted worker reads the record again and, as a
replay, sends its outputs again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from typing import Any

import faust

log = logging.getLogger(__name__)

# Exit status of a worker stopped by a failed send: EX_TEMPFAIL, start it again.
SEND_FAILED_EXIT = 75


class Outbox:
    """Straight to the app's producer; a send that fails for good stops the worker."""

    def __init__(self, app: faust.App) -> None:
        self.app = app

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> None:
        future = await self.app.producer.send(
            topic, key, value, partition, None, list(headers) if headers else None
        )
        future.add_done_callback(stop_if_failed)

    def topic(self, name: str) -> TopicOutbox:
        return TopicOutbox(self, name)


class TopicOutbox:
    """One topic of an :class:`Outbox`, shaped like a Faust topic's ``send`` for the sinks."""

    def __init__(self, outbox: Outbox, name: str) -> None:
        self.outbox, self.name = outbox, name

    async def send(
        self, *, key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]]
    ) -> Any:
        await self.outbox.send(self.name, key, value, headers=headers)


async def deliver_now(app: faust.App) -> None:
    """Sends everything the app's producer holds, without waiting out the linger, and
    returns once the broker has it: Faust's buffer of ``send_soon`` records (the tables'
    changelogs) first, then aiokafka's batches, closed so they go at once (what aiokafka
    does before it commits a transaction)."""
    producer = app.producer
    await producer.buffer.flush()
    client = producer._producer
    if client is not None:
        await client._message_accumulator.flush_for_commit()


def stop_if_failed(future: asyncio.Future[Any]) -> None:
    """Done callback of a send: exits the process if the send failed or was cancelled
    (a cancelled send did not reach the broker either)."""
    if future.cancelled():
        error: BaseException | None = asyncio.CancelledError()
    else:
        error = future.exception()
    if error is None:
        return
    log.critical(
        "a send failed for good (%s: %s); stopping now, before an offset past its record "
        "is committed: the record is read again after the restart",
        type(error).__name__,
        error,
    )
    logging.shutdown()
    os._exit(SEND_FAILED_EXIT)
