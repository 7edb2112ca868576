"""Dead-letter sink: forwards a record that cannot be processed, with headers that say why."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import faust

from processors.interaction import Source
from sinks.deadletter_headers import dead_letter_headers
from sinks.metrics import PipelineMetrics

log = logging.getLogger(__name__)


class KafkaDeadLetterSink:
    """Sends the original key and value bytes, untouched, to a dead-letter topic.

    The stage names the processing step ("normalize") in the headers.
    """

    def __init__(
        self,
        topic: faust.TopicT,
        stage: str,
        metrics: PipelineMetrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.topic = topic
        self.stage = stage
        self.metrics = metrics
        self.clock = clock

    async def send(
        self,
        key: bytes | None,
        value: bytes | None,
        error: BaseException,
        reason: str,
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
