"""Headers of a dead-lettered record: why it failed and where it came from.

Names follow Kafka Streams' KIP-1034 (``__streams.errors.*``) so tools built for Kafka
Streams dead-letter queues read them; ``carepipe.errors.*`` adds the reason code and stage.
Values are UTF-8. The record's key and value are forwarded untouched, never in headers.
"""

from __future__ import annotations

from processors.interaction import Source

EXCEPTION = "__streams.errors.exception"
MESSAGE = "__streams.errors.message"
TOPIC = "__streams.errors.topic"
PARTITION = "__streams.errors.partition"
OFFSET = "__streams.errors.offset"
REASON = "carepipe.errors.reason"
STAGE = "carepipe.errors.stage"
FAILED_AT = "carepipe.errors.timestamp"

# An exception message is written by our own code or a decoder and holds no record values;
# the cap keeps a surprising one from carrying a payload along.
MAX_MESSAGE_CHARS = 500


def dead_letter_headers(
    error: BaseException, reason: str, source: Source, stage: str, failed_at_ms: int
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
