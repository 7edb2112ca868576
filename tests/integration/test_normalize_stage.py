"""The normalize stage against the real broker and a real worker process."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from pipeline import admin
from pipeline.ops.outputs import OutputReader, decode
from pipeline.ops.producer import send_events
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings
from pipeline.simulation.sample import sample_events
from pipeline.topics import DLQ, HANDLES, NORMALIZED, PROFILES, SEQ_HEADER

pytestmark = pytest.mark.integration

PII = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|4111 1111 1111 1111|\(202\) 555-0143")


def test_events_of_all_four_channels_are_normalized(
    settings: Settings, worker: WorkerProcess
) -> None:
    stream = list(sample_events(customers=12, events=80, seed=3, now=datetime.now(UTC)))
    reader = OutputReader(settings, [settings.topic(NORMALIZED.name), settings.topic(DLQ.name)])
    send_events(settings, [e for e in stream if e.channel == "PROFILE"])
    lag = admin.wait_caught_up(
        settings, [settings.topic(PROFILES.name), settings.topic(HANDLES.name)], 60
    )
    assert lag == 0, "the worker did not index the profiles' social handles"
    sent = send_events(settings, [e for e in stream if e.channel != "PROFILE"])

    records = reader.read_until(lambda got: len(got) >= 80, timeout_s=90)
    reader.close()

    dead = [r for r in records if r.topic == settings.topic(DLQ.name)]
    assert dead == []
    interactions = [decode(r, "Interaction") for r in records]
    assert len(interactions) == 80
    by_channel = {c: sum(1 for i in interactions if i["channel"] == c) for c in sent}
    assert by_channel == sent
    seqs: dict[str, list[int]] = {}
    for record, interaction in zip(records, interactions, strict=True):
        assert record.key == interaction["customer_id"].encode()
        assert not PII.search(interaction["text"]), interaction["text"]
        seqs.setdefault(interaction["customer_id"], []).append(int(record.headers[SEQ_HEADER]))
    # Each customer's records carry their place in the order of scoring: 1, 2, ...
    assert all(got == list(range(1, len(got) + 1)) for got in seqs.values()), seqs
    assert any(i["pii_redactions"] for i in interactions)
    assert {i["sentiment_source"] for i in interactions} >= {"VADER", "UPSTREAM"}
    resolved = [i for i in interactions if i["social"] and i["social"]["handle_resolved"]]
    assert resolved, "no social post was resolved through its handle"
    expected_ids = {
        f"{e.channel.lower()}:{_source_id(e.record)}" for e in stream if e.channel != "PROFILE"
    }
    assert {i["interaction_id"] for i in interactions} == expected_ids


def _source_id(record: dict) -> str:  # type: ignore[type-arg]
    if "call_id" in record:
        return str(record["call_id"])
    if "message_id" in record:
        return str(record["message_id"])
    if "session_id" in record:
        return str(record["session_id"])
    return f"{record['platform'].lower()}:{record['post_id']}"
