"""Customer history, risk scoring and care alerts, end to end: a real broker, real workers.

A scripted journey across channels raises an AT_RISK alert that escalates, a public
complaint, a recovery and a follow-up; a content customer raises nothing; praise is thanked.
A restarted worker (new machine, state from the changelog) decides nothing twice, and the
same events sent again are dropped as upstream duplicates. A record
on another partition than its customer's is scored once, in the customer's history.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import schemas
from pipeline import admin
from pipeline.ops.outputs import OutputReader, OutputRecord, decode
from pipeline.ops.producer import producer, send_events
from pipeline.ops.workerproc import WorkerProcess
from pipeline.partitioning import customer_partition
from pipeline.settings import Settings
from pipeline.simulation.sample import RawEvent
from pipeline.topics import ALERTS, CARE_INPUTS, HANDLES, NORMALIZED, PROFILES, REKEYED, VOICE

pytestmark = pytest.mark.integration

TOKEN = "s3cret-token-for-tests"
NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(days=2)


@pytest.fixture
def care_env(pipeline_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    rules = tmp_path / "rules.yaml"
    # Follow-ups a few seconds after resolution, so the test sees one.
    rules.write_text("alerting:\n  follow_up_after_hours: 0.002\n")
    return {
        **pipeline_env,
        "CAREPIPE_RULES_FILE": str(rules),
        "CAREPIPE_FOLLOW_UP_CHECK_SECONDS": "1",
        "CAREPIPE_API_TOKEN": TOKEN,
    }


def profile(customer_id: str, tier: str = "BASIC") -> RawEvent:
    return RawEvent(
        "PROFILE",
        customer_id,
        {
            "customer_id": customer_id,
            "tier": tier,
            "lifetime_value": 900.0,
            "signup_date": (NOW - timedelta(days=400)).date(),
            "renewal_date": None,
            "social_handles": [{"platform": "X", "handle": f"{customer_id.lower()}_handle"}],
            "updated_at": NOW,
        },
    )


def chat(cid: str, n: int, at: datetime, text: str, sentiment: float, outcome: str) -> RawEvent:
    return RawEvent(
        "CHAT",
        cid,
        {
            "session_id": f"{cid}-chat-{n}",
            "customer_id": cid,
            "started_at": at,
            "ended_at": at + timedelta(minutes=12),
            "messages": [{"sender": "CUSTOMER", "sent_at": at, "text": text}],
            "outcome": outcome,
            "case_id": "K1",
            "upstream_sentiment": sentiment,
        },
    )


def call(
    cid: str, n: int, at: datetime, text: str, sentiment: float, outcome: str, wait: int = 60
) -> RawEvent:
    return RawEvent(
        "VOICE",
        cid,
        {
            "call_id": f"{cid}-call-{n}",
            "customer_id": cid,
            "started_at": at,
            "ended_at": at + timedelta(seconds=wait + 600),
            "queue_wait_seconds": wait,
            "outcome": outcome,
            "transcript": text,
            "upstream_sentiment": sentiment,
            "agent_id": "agent-7",
            "case_id": "K1",
        },
    )


def post(cid: str, n: int, at: datetime, text: str, sentiment: float, followers: int) -> RawEvent:
    # No customer id: the worker finds the customer through the handle in the CRM profile.
    return RawEvent(
        "SOCIAL",
        f"X:{cid.lower()}_handle",
        {
            "post_id": f"{cid}-post-{n}",
            "platform": "X",
            "handle": f"@{cid.lower()}_handle",
            "customer_id": None,
            "posted_at": at,
            "text": text,
            "is_public": True,
            "follower_count": followers,
            "upstream_sentiment": sentiment,
        },
    )


def journey() -> list[RawEvent]:
    j, c = "J1", "J2"
    return [
        chat(
            j, 1, T0, "My internet has been down for three days. Nobody helps.", -0.7, "UNRESOLVED"
        ),
        call(
            j,
            2,
            T0 + timedelta(hours=2),
            "Calling again, still broken, I waited ages.",
            -0.6,
            "UNRESOLVED",
            wait=700,
        ),
        call(
            j,
            3,
            T0 + timedelta(hours=5),
            "Third call. Nothing works. Get me a manager.",
            -0.8,
            "ESCALATED",
        ),
        post(
            j,
            4,
            T0 + timedelta(hours=6),
            "@acme three days offline and zero help. Avoid them!",
            -0.9,
            followers=5000,
        ),
        # The content customer: smooth, resolved, friendly; then praise in public.
        call(
            c, 1, T0 + timedelta(hours=1), "Quick question about my bill, thanks!", 0.6, "RESOLVED"
        ),
        chat(c, 2, T0 + timedelta(hours=3), "All sorted, great help.", 0.8, "RESOLVED"),
        post(
            c,
            3,
            T0 + timedelta(hours=7),
            "Shout-out to @acme support, fixed in minutes!",
            0.9,
            followers=300,
        ),
    ]


def resolution() -> list[RawEvent]:
    return [
        call(
            "J1",
            5,
            NOW - timedelta(hours=1),
            "It finally works, thank you so much!",
            0.8,
            "RESOLVED",
        ),
    ]


def alerts_of(records: list[OutputRecord]) -> list[dict[str, Any]]:
    return [decode(r, "CareAlert") for r in records]


def event_id(event: RawEvent) -> str:
    """The interaction id the normalizer gives a raw event."""
    r = event.record
    return {
        "VOICE": lambda: f"voice:{r['call_id']}",
        "CHAT": lambda: f"chat:{r['session_id']}",
        "EMAIL": lambda: f"email:{r['message_id']}",
        "SOCIAL": lambda: f"social:{r['platform'].lower()}:{r['post_id']}",
    }[event.channel]()


def duplicates_counted(worker: WorkerProcess, kind: str) -> float:
    """carepipe_duplicate_interactions_total{kind=...}, summed over channels."""
    with urllib.request.urlopen(f"{worker.web_url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("carepipe_duplicate_interactions_total{") and f'kind="{kind}"' in line
    )


def lookup(worker: WorkerProcess, customer_id: str, token: str | None = TOKEN) -> tuple[int, Any]:
    request = urllib.request.Request(f"{worker.web_url}/customers/{customer_id}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def test_journey_raises_escalates_recovers_and_follows_up(
    care_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    worker = WorkerProcess(care_env, tmp_path / "worker-1.log").start()
    try:
        reader = OutputReader(settings, [settings.topic(ALERTS.name)])
        send_events(settings, [profile("J1"), profile("J2")])
        assert (
            admin.wait_caught_up(
                settings, [settings.topic(PROFILES.name), settings.topic(HANDLES.name)], 60
            )
            == 0
        )
        send_events(settings, journey())
        first = alerts_of(reader.read_until(lambda got: len(got) >= 4, timeout_s=60))

        at_risk = [a for a in first if a["alert_type"] == "AT_RISK"]
        assert len({a["alert_id"] for a in at_risk}) == 1, at_risk
        assert [a["version"] for a in at_risk] == list(range(1, len(at_risk) + 1))
        assert at_risk[0]["status"] == "OPEN" and at_risk[-1]["status"] == "ESCALATED"
        assert at_risk[-1]["severity"] in ("HIGH", "CRITICAL")
        codes = {r["code"] for r in at_risk[-1]["reasons"]}
        assert {"REPEAT_CONTACT", "NEGATIVE_SENTIMENT", "PUBLIC_COMPLAINT"} <= codes
        assert all(r["explanation"] for r in at_risk[-1]["reasons"])
        assert at_risk[-1]["recommended_action"] and at_risk[-1]["respond_by"]
        complaints = [a for a in first if a["alert_type"] == "PUBLIC_COMPLAINT"]
        assert [(a["customer_id"], a["severity"]) for a in complaints] == [("J1", "MEDIUM")]
        assert "public reply" in complaints[0]["recommended_action"]
        praise = [a for a in first if a["alert_type"] == "PRAISE"]
        assert [a["customer_id"] for a in praise] == ["J2"]
        assert not [a for a in first if a["customer_id"] == "J2" and a["alert_type"] == "AT_RISK"]

        send_events(settings, resolution())
        later = alerts_of(reader.read_until(lambda got: len(got) >= 2, timeout_s=60))
        recovered = [a for a in later if a["alert_type"] == "RECOVERED"]
        assert len(recovered) == 1
        assert recovered[0]["alert_id"] == at_risk[0]["alert_id"]
        assert recovered[0]["status"] == "CLOSED"
        assert recovered[0]["version"] == at_risk[-1]["version"] + 1
        follow_ups = [a for a in later if a["alert_type"] == "FOLLOW_UP"]
        assert [(a["customer_id"], a["case_id"]) for a in follow_ups] == [("J1", "K1")]

        status, body = lookup(worker, "J1")
        assert status == 200
        assert body["contacts"]["last_7_days"] == {"VOICE": 3, "CHAT": 1, "EMAIL": 0, "SOCIAL": 1}
        assert body["open_cases"] == []
        assert body["abandoned_calls_7_days"] == 0 and body["long_waits_7_days"] == 1
        assert body["public_posts_30_days"] == 1
        assert body["profile"]["tier"] == "BASIC"
        assert lookup(worker, "J1", token=None)[0] == 401
        assert lookup(worker, "J1", token="wrong")[0] == 401
        assert lookup(worker, "NOBODY")[0] == 404
        reader.close()
    finally:
        worker.stop()
    seen_versions = {(a["alert_id"], a["version"]) for a in first + later}
    first_ids = {event_id(e) for e in journey() + resolution() if e.channel != "PROFILE"}
    assert len(first_ids) == 8

    # A new machine: no local state, same group. History comes back from the changelog,
    # and replaying the same interactions decides nothing again.
    restarted = WorkerProcess(
        {**care_env, "CAREPIPE_DATA_DIR": str(tmp_path / "state-2")}, tmp_path / "worker-2.log"
    ).start()
    try:
        reader = OutputReader(settings, [settings.topic(ALERTS.name)])
        normalized = OutputReader(settings, [settings.topic(NORMALIZED.name)])
        send_events(settings, journey() + resolution())

        # The same events in new records are upstream duplicates: no normalized record, no
        # alert. Records the first worker had processed but not committed when it stopped
        # may come again (at least once), with the same ids and versions.
        def interaction_ids(records: list[OutputRecord]) -> list[str]:
            return [decode(r, "Interaction")["interaction_id"] for r in records]

        inputs = [settings.topic(spec.name) for spec in CARE_INPUTS]
        assert admin.wait_caught_up(settings, inputs, 60) == 0
        again = interaction_ids(normalized.read_until(lambda got: False, timeout_s=5))
        replayed = alerts_of(reader.read_until(lambda got: False, timeout_s=5))
        assert {(a["alert_id"], a["version"]) for a in replayed} <= seen_versions
        assert len(again) == len(set(again)) and set(again) <= first_ids
        # Each of the 8 at least once (more if a rebalance made the worker read it again).
        assert duplicates_counted(restarted, "upstream") >= 8
        status, body = lookup(restarted, "J1")
        assert status == 200
        assert body["contacts"]["last_7_days"] == {"VOICE": 3, "CHAT": 1, "EMAIL": 0, "SOCIAL": 1}
        reader.close()
        normalized.close()
    finally:
        restarted.stop()


def email(cid: str, n: int, at: datetime, text: str, sentiment: float) -> RawEvent:
    return RawEvent(
        "EMAIL",
        cid,
        {
            "message_id": f"{cid}-email-{n}",
            "thread_id": f"{cid}-thread",
            "customer_id": cid,
            "direction": "INBOUND",
            "sent_at": at,
            "subject": "Still not fixed",
            "body": text,
            "case_id": "K1",
            "upstream_sentiment": sentiment,
        },
    )


def test_a_silent_customers_open_case_opens_at_risk_on_the_timer(
    care_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    """A case opened three days ago, less 40 s, and a reminder just now: 45 points, under
    the threshold. With nothing more from the customer, the case turns three days old and
    the worker's timer opens AT_RISK, dated at that moment, saying why."""
    now = datetime.now(UTC).replace(microsecond=0)
    opened = now - timedelta(days=3) + timedelta(seconds=40)
    crossing = opened + timedelta(days=3)
    worker = WorkerProcess(care_env, tmp_path / "worker.log").start()
    try:
        reader = OutputReader(settings, [settings.topic(ALERTS.name)])
        send_events(settings, [profile("S1")])
        send_events(
            settings,
            [
                call("S1", 1, opened, "Down again. Get me a manager.", -0.7, "ESCALATED", wait=900),
                email("S1", 2, now - timedelta(seconds=2), "Still nothing works.", -0.7),
            ],
        )
        records = alerts_of(
            reader.read_until(
                lambda got: any(decode(r, "CareAlert")["alert_type"] == "AT_RISK" for r in got),
                timeout_s=120,
            )
        )
        reader.close()
    finally:
        worker.stop()
    (at_risk,) = [a for a in records if a["alert_type"] == "AT_RISK"]
    assert datetime.now(UTC) >= crossing  # not before the case was three days old
    assert at_risk["customer_id"] == "S1" and at_risk["status"] == "OPEN"
    assert at_risk["interaction_id"] == f"aging:K1:{int(crossing.timestamp() * 1000)}"
    assert at_risk["event_time"] == crossing and at_risk["case_id"] == "K1"
    assert at_risk["score"] >= 50
    aging = [r for r in at_risk["reasons"] if r["code"] == "UNRESOLVED_AGING"]
    assert aging and aging[0]["explanation"] == "case K1 open 3 days without resolution"


def test_a_record_on_another_partition_is_scored_once_where_its_customer_lives(
    care_env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    worker = WorkerProcess(care_env, tmp_path / "worker.log").start()
    try:
        normalized = OutputReader(settings, [settings.topic(NORMALIZED.name)])
        rekeyed = OutputReader(settings, [settings.topic(REKEYED.name)])
        own = customer_partition("P1", settings.topic_partitions)
        other = (own + 1) % settings.topic_partitions
        codec = schemas.codec("VoiceCall")
        client = producer(settings)
        # One call keyed by its call id (another partitioner's choice), one by the customer.
        first = call("P1", 1, T0, "Still no refund.", -0.6, "UNRESOLVED").record
        second = call("P1", 2, T0 + timedelta(hours=2), "Refund?", -0.5, "UNRESOLVED").record
        voice = settings.topic(VOICE.name)
        client.send(voice, key=b"P1-call-1", value=codec.encode(first), partition=other)
        client.send(voice, key=b"P1", value=codec.encode(second), partition=own)
        client.flush()
        client.close()

        assert len(normalized.read_until(lambda got: len(got) >= 2, timeout_s=60)) == 2
        inputs = [settings.topic(spec.name) for spec in CARE_INPUTS]
        assert admin.wait_caught_up(settings, inputs, 60) == 0
        moved = rekeyed.read_until(lambda got: len(got) >= 1, timeout_s=10)
        assert [(r.partition, r.key) for r in moved] == [(own, b"P1")]
        assert decode(moved[0], "Interaction")["interaction_id"] == "voice:P1-call-1"
        status, body = lookup(worker, "P1")
        assert status == 200
        assert body["contacts"]["last_7_days"]["VOICE"] == 2
        normalized.close()
        rekeyed.close()
    finally:
        worker.stop()
