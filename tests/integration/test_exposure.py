"""What a worker's Prometheus endpoint shows of the customers: nothing. /metrics is scraped
again and again while a realistic burst goes through a real worker, and no customer id,
social handle or text of the burst's events appears in any scrape."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

import pytest

from pipeline import admin
from pipeline.ops.producer import send_events
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings
from pipeline.simulation.sample import RawEvent, sample_events
from pipeline.topics import CARE_INPUTS, HANDLES, PROFILES

pytestmark = pytest.mark.integration

# Fields whose values are personal: who the customer is, and what they or an agent wrote.
PERSONAL = {
    "customer_id",
    "handle",
    "transcript",
    "subject",
    "body",
    "text",
    "message_id",
    "thread_id",
    "case_id",
    "session_id",
    "call_id",
    "post_id",
}


def personal_strings(events: list[RawEvent]) -> set[str]:
    """Every value of a personal field in the events, the handles also as the index keeps
    them (no '@', case-folded), and every record key."""
    found: set[str] = set()

    def walk(value: object, field: str | None) -> Iterator[str]:
        if isinstance(value, Mapping):
            for name, inner in value.items():
                yield from walk(inner, str(name))
        elif isinstance(value, list | tuple):
            for inner in value:
                yield from walk(inner, field)
        elif isinstance(value, str) and field in PERSONAL:
            yield value
            if field == "handle":
                yield value.lstrip("@").casefold()

    for event in events:
        found.add(event.key)
        found.update(walk(event.record, None))
    return {text for text in found if text.strip()}


def scrape(worker: WorkerProcess) -> str:
    with urllib.request.urlopen(f"{worker.web_url}/metrics", timeout=10) as response:
        return str(response.read().decode())


def test_metrics_show_no_customer_id_handle_or_text(
    pipeline_env: dict[str, str], settings: Settings, worker: WorkerProcess
) -> None:
    burst = list(sample_events(customers=60, events=600, seed=23, now=datetime.now(UTC)))
    forbidden = personal_strings(burst)
    assert any(text.startswith("C10") for text in forbidden)  # ids, handles and texts
    assert any(" " in text for text in forbidden)

    send_events(settings, [e for e in burst if e.channel == "PROFILE"])
    crm = [settings.topic(PROFILES.name), settings.topic(HANDLES.name)]
    assert admin.wait_caught_up(settings, crm, 60) == 0
    interactions = [e for e in burst if e.channel != "PROFILE"]
    scrapes = []
    for start in range(0, len(interactions), 50):
        send_events(settings, interactions[start : start + 50])
        scrapes.append(scrape(worker))
        time.sleep(0.2)
    inputs = [settings.topic(spec.name) for spec in CARE_INPUTS]
    assert admin.wait_caught_up(settings, inputs, 90) == 0
    scrapes.append(scrape(worker))

    # The burst went through: the scrapes count its events, alerts and sentiment.
    last = scrapes[-1]
    for series in ("carepipe_events_normalized_total{", "carepipe_alerts_total{"):
        assert series in last
    leaks = sorted({text for text in forbidden for page in scrapes if text in page})
    assert leaks == []
