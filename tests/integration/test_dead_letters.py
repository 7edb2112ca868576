"""Poison pills: each lands in interactions.dlq with its original bytes and the reason,
and the good events after them are still normalized."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kafka import KafkaProducer

import schemas
from pipeline.ops.outputs import OutputReader, decode
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings
from pipeline.topics import CHAT, DLQ, EMAIL, NORMALIZED, SOCIAL, VOICE
from sinks import deadletter

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


def voice(**changes: Any) -> dict[str, Any]:
    return {
        "call_id": "call-1",
        "customer_id": "C42",
        "started_at": NOW - timedelta(minutes=30),
        "ended_at": NOW - timedelta(minutes=20),
        "outcome": "RESOLVED",
        "transcript": "Thanks, all sorted.",
        **changes,
    }


def email(**changes: Any) -> dict[str, Any]:
    return {
        "message_id": "m-1",
        "thread_id": "t-1",
        "customer_id": "C42",
        "direction": "INBOUND",
        "sent_at": NOW - timedelta(minutes=5),
        "subject": "Invoice",
        "body": "Where is my invoice?",
        **changes,
    }


def chat(**changes: Any) -> dict[str, Any]:
    return {
        "session_id": "s-1",
        "customer_id": "C42",
        "started_at": NOW - timedelta(minutes=9),
        "ended_at": NOW - timedelta(minutes=3),
        "messages": [
            {
                "sender": "CUSTOMER",
                "sent_at": NOW - timedelta(minutes=8),
                "text": "Mail me at jane.doe@example.com or call +44 20 7946 0958",
            }
        ],
        "outcome": "UNRESOLVED",
        **changes,
    }


def social(**changes: Any) -> dict[str, Any]:
    return {
        "post_id": "p-1",
        "platform": "X",
        "handle": "happy_customer",
        "customer_id": "C42",
        "posted_at": NOW - timedelta(minutes=1),
        "text": "Great help from the team today!",
        "follower_count": 1200,
        **changes,
    }


@dataclass
class Sent:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    reason: str | None  # None: a good record, expected on interactions.normalized


def test_poison_pills_are_dead_lettered_with_original_bytes(
    settings: Settings, worker: WorkerProcess
) -> None:
    enc = {name: schemas.codec(name).encode for name in ("VoiceCall", "EmailMessage")}
    good_voice = enc["VoiceCall"](voice())
    pills: list[tuple[str, bytes | None, str | None]] = [
        (VOICE.name, random.Random(1).randbytes(48), "NOT_AVRO"),
        (VOICE.name, good_voice[: len(good_voice) // 2], "MALFORMED_AVRO"),
        (VOICE.name, enc["EmailMessage"](email()), "UNKNOWN_SCHEMA"),
        (
            CHAT.name,
            schemas.codec("ChatSession").encode(chat(customer_id=None)),
            "MISSING_CUSTOMER",
        ),
        (EMAIL.name, b"", "EMPTY_VALUE"),
        (SOCIAL.name, None, "EMPTY_VALUE"),
        (
            VOICE.name,
            enc["VoiceCall"](voice(call_id="c-2", ended_at=NOW - timedelta(hours=1))),
            "NEGATIVE_DURATION",
        ),
        (
            EMAIL.name,
            enc["EmailMessage"](email(message_id="m-2", sent_at=NOW + timedelta(days=1))),
            "FUTURE_TIMESTAMP",
        ),
        (
            SOCIAL.name,
            schemas.codec("SocialPost").encode(social(post_id="p-2", customer_id=None)),
            "MISSING_CUSTOMER",
        ),
        # Good events after the pills: the worker must go on.
        (VOICE.name, enc["VoiceCall"](voice(call_id="c-3")), None),
        (EMAIL.name, enc["EmailMessage"](email(message_id="m-3")), None),
        (CHAT.name, schemas.codec("ChatSession").encode(chat(session_id="s-3")), None),
        (SOCIAL.name, schemas.codec("SocialPost").encode(social(post_id="p-3")), None),
    ]
    reader = OutputReader(settings, [settings.topic(NORMALIZED.name), settings.topic(DLQ.name)])
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    sent: list[Sent] = []
    for n, (base, value, reason) in enumerate(pills):
        key = f"key-{n}".encode()
        meta = producer.send(settings.topic(base), key=key, value=value).get(timeout=30)
        sent.append(Sent(meta.topic, meta.partition, meta.offset, key, value, reason))
    producer.close()

    records = reader.read_until(lambda got: len(got) >= len(sent), timeout_s=90)
    reader.close()

    dlq = {
        (
            r.headers[deadletter.TOPIC].decode(),
            int(r.headers[deadletter.PARTITION]),
            int(r.headers[deadletter.OFFSET]),
        ): r
        for r in records
        if r.topic == settings.topic(DLQ.name)
    }
    normalized = [decode(r, "Interaction") for r in records if r.topic != settings.topic(DLQ.name)]
    for item in sent:
        if item.reason is None:
            continue
        dead = dlq.get((item.topic, item.partition, item.offset))
        assert dead is not None, f"{item.reason} pill from {item.topic} not dead-lettered"
        assert dead.key == item.key
        assert dead.value == item.value
        assert dead.headers[deadletter.REASON].decode() == item.reason
        assert dead.headers[deadletter.STAGE] == b"normalize"
        assert dead.headers[deadletter.EXCEPTION]
        assert dead.headers[deadletter.MESSAGE]
        for header in dead.headers.values():
            assert b"jane.doe" not in header and b"7946" not in header
            assert b"C42" not in header
    assert len(dlq) == sum(1 for item in sent if item.reason)
    assert sorted(i["interaction_id"] for i in normalized) == [
        "chat:s-3",
        "email:m-3",
        "social:x:p-3",
        "voice:c-3",
    ]
