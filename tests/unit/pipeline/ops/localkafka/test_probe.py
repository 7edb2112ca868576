"""Fast tests for pipeline.ops.localkafka.probe against fake servers: no real broker."""

from __future__ import annotations

import pytest

from pipeline.ops.localkafka import probe
from tests.unit.pipeline.ops.localkafka.fakes import free_port, metadata_reply


def test_probe_accepts_a_kafka_metadata_reply(fake_server) -> None:
    assert probe.broker_answers("127.0.0.1", fake_server(metadata_reply()))


@pytest.mark.parametrize(
    "reply",
    [
        metadata_reply(correlation_id=42),
        metadata_reply(brokers=0),
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
        b"",
    ],
    ids=["wrong-correlation-id", "no-brokers", "http", "silent-close"],
)
def test_probe_rejects_other_replies(fake_server, reply: bytes) -> None:
    assert not probe.broker_answers("127.0.0.1", fake_server(reply), timeout=1.0)


def test_probe_on_a_closed_port() -> None:
    assert not probe.broker_answers("127.0.0.1", free_port(), timeout=1.0)
