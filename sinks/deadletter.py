"""Dead letters: a record that cannot be processed, forwarded untouched to a dead-letter
topic with headers that say why it failed and where it came from.

Header names follow Kafka Streams' KIP-1034 (``__streams.errors.*``), so tools built for
Kafka Streams dead-letter queues read them; ``carepipe.errors.*`` adds the reason code, the
stage and the time. Values are UTF-8. The record's key and value go on untouched, never in
headers. :func:`dead_letter_headers` builds the headers; :class:`KafkaDeadLetterSink` sends
them with the record through any topic with an async ``send`` (a Faust topic in the worker),
so this module itself imports no Faust.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, get_args

from processors.errors import DeadLetterReason
from processors.interaction import Source
from sinks.metrics import PipelineMetrics

log = logging.getLogger(__name__)

EXCEPTION = "__streams.errors.exception"
MESSAGE = "__streams.errors.message"
TOPIC = "__streams.errors.topic"
PARTITION = "__streams.errors.partition"
OFFSET = "__streams.errors.offset"
REASON = "carepipe.errors.reason"
STAGE = "carepipe.errors.stage"
FAILED_AT = "carepipe.errors.timestamp"

# The stages that dead-letter records: the value of the STAGE header and the ``stage``
# label of carepipe_dead_letters_total.
Stage = Literal["normalize", "score", "webhook"]
STAGES: tuple[Stage, ...] = get_args(Stage)

# An exception message is written by our own code or a decoder and holds no record values;
# the cap keeps a surprising one from carrying a payload along.
MAX_MESSAGE_CHARS = 500


def dead_letter_headers(
    error: BaseException,
    reason: DeadLetterReason,
    source: Source,
    stage: Stage,
    failed_at_ms: int,
) -> list[tuple[str, bytes]]:
    """Headers for the dead-letter copy of the record read at ``source``."""
    message = str(error)[:MAX_MESSAGE_CHARS]
    return [
        (EXCEPTION, f"{type(error).__module__}.{type(error).__qualname__}".encode()),
        (MESSAGE, message.encode()),
        (TOPIC, source.topic.encode()),
        (PARTITION, str(source.partition).encode()),
        (OFFSET, str(source.offset).encode()),
        (REASON, reason.encode()),
        (STAGE, stage.encode()),
        (FAILED_AT, str(failed_at_ms).encode()),
    ]


class RecordSender(Protocol):
    """A topic that sends raw bytes with headers, as ``faust.TopicT`` does."""

    async def send(
        self,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
    ) -> Any: ...


class KafkaDeadLetterSink:
    """Sends the original key and value bytes, untouched, to a dead-letter topic."""

    def __init__(
        self,
        topic: RecordSender,
        stage: Stage,
        metrics: PipelineMetrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.topic = topic
        self.stage: Stage = stage
        self.metrics = metrics
        self.clock = clock

    async def send(
        self,
        key: bytes | None,
        value: bytes | None,
        error: BaseException,
        reason: DeadLetterReason,
        source: Source,
    ) -> None:
        headers = dead_letter_headers(error, reason, source, self.stage, int(self.clock() * 1000))
        await self.topic.send(key=key, value=value, headers=headers)
        if self.metrics is not None:
            self.metrics.dead_lettered(self.stage, reason)
        # The reason and position identify the record; its content stays out of the logs.
        log.warning(
            "dead-lettered %s[%d]@%d: %s (%s)",
            source.topic,
            source.partition,
            source.offset,
            reason,
            type(error).__name__,
        )
