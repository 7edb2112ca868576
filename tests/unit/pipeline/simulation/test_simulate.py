"""The population simulator: reproducible files, the churn rate and channel mix it promises,
churners' silence after leaving, and records every contract and normalizer accepts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import schemas
from pipeline.rulesfile import load_rules
from pipeline.simulation.population import CHANNEL_SHARE_RANGES, PopulationConfig, build_customers
from pipeline.simulation.sample import RawEvent
from pipeline.simulation.simulate import (
    EventFileError,
    Simulation,
    encode,
    paced,
    read_events,
    run_simulate,
    simulate,
    write_events,
    write_truth,
)
from processors.backtest import available_at, prepare
from processors.history import detect_churn_talk

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CHURN_RATE_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def population() -> Simulation:
    """About 2,000 customers over 90 days (a fraction of a second to build)."""
    return simulate(PopulationConfig(end=NOW, customers=2000, days=90, seed=11))


def record_file(tmp_path: Path, name: str, seed: int, now: datetime = NOW) -> tuple[bytes, bytes]:
    sim = simulate(PopulationConfig(end=now, customers=150, days=30, seed=seed))
    events, truth = tmp_path / f"{name}.events", tmp_path / f"{name}.csv"
    write_events(events, (t.event for t in sim.events))
    write_truth(truth, sim.customers)
    return events.read_bytes(), truth.read_bytes()


def test_the_same_seed_and_end_time_write_byte_identical_files(tmp_path: Path) -> None:
    assert record_file(tmp_path, "one", seed=5) == record_file(tmp_path, "two", seed=5)


def test_another_seed_or_end_time_writes_other_events(tmp_path: Path) -> None:
    events, truth = record_file(tmp_path, "base", seed=5)
    other_seed = record_file(tmp_path, "seed", seed=6)
    other_now = record_file(tmp_path, "now", seed=5, now=datetime(2025, 6, 2, tzinfo=UTC))

    assert other_seed[0] != events and other_seed[1] != truth
    assert other_now[0] != events


def test_the_simulated_churn_rate_is_the_configured_one(population: Simulation) -> None:
    assert len(population.customers) == 2000
    rate = population.churners / len(population.customers)
    assert abs(rate - 0.08) <= CHURN_RATE_TOLERANCE
    other = build_customers(PopulationConfig(end=NOW, customers=2000, churn_rate=0.2, seed=11))
    assert abs(sum(c.churn_at is not None for c in other) / 2000 - 0.2) <= CHURN_RATE_TOLERANCE


def test_churners_mostly_have_a_high_hidden_propensity(population: Simulation) -> None:
    churners = [c.propensity for c in population.customers if c.churn_at]
    stayers = [c.propensity for c in population.customers if not c.churn_at]
    assert sorted(churners)[len(churners) // 2] > 2 * sorted(stayers)[len(stayers) // 2]


def test_the_channel_mix_is_within_the_documented_ranges(population: Simulation) -> None:
    inbound = Counter(
        t.event.channel
        for t in population.events
        if t.event.channel in CHANNEL_SHARE_RANGES
        and t.event.record.get("direction", "INBOUND") == "INBOUND"
    )
    total = sum(inbound.values())
    for channel, (low, high) in CHANNEL_SHARE_RANGES.items():
        assert low <= inbound[channel] / total <= high, (channel, inbound[channel] / total)


def test_churners_make_no_contact_after_they_leave(population: Simulation) -> None:
    left = {c.customer_id: c.churn_at for c in population.customers if c.churn_at}
    by_handle = {h: c.churn_at for c in population.customers if c.churn_at for _, h, _ in c.handles}
    checked = 0
    for timed in population.events[len(population.customers) :]:  # after the first profiles
        record = timed.event.record
        churn_at = left.get(record.get("customer_id") or "") or by_handle.get(record.get("handle"))
        if churn_at is None or timed.event.channel == "OUTCOME":
            continue
        checked += 1
        assert max(_times(record)) < churn_at, (timed.event.channel, record)
    assert checked > 100


def test_each_churner_has_one_churned_outcome_when_they_leave(population: Simulation) -> None:
    outcomes = [t.event.record for t in population.events if t.event.channel == "OUTCOME"]
    churned = {r["customer_id"]: r["occurred_at"] for r in outcomes if r["outcome"] == "CHURNED"}
    assert churned == {c.customer_id: c.churn_at for c in population.customers if c.churn_at}
    assert sum(r["outcome"] == "CHURNED" for r in outcomes) == len(churned)
    others = Counter(r["outcome"] for r in outcomes if r["outcome"] != "CHURNED")
    assert set(others) == {"RENEWED", "DOWNGRADED"} and others["RENEWED"] > others["DOWNGRADED"]
    stayers = {c.customer_id for c in population.customers if not c.churn_at}
    assert {r["customer_id"] for r in outcomes if r["outcome"] != "CHURNED"} <= stayers
    assert len({r["outcome_id"] for r in outcomes}) == len(outcomes)
    assert all(r["source"] == "simulator" for r in outcomes)


def test_events_are_in_event_time_order_within_the_span(population: Simulation) -> None:
    profiles = population.events[: len(population.customers)]
    rest = population.events[len(population.customers) :]
    assert {p.event.channel for p in profiles} == {"PROFILE"}
    times = [available_at(t.event.channel, t.event.record) for t in rest]
    assert times == sorted(times)
    start = population.config.start
    assert all(start <= moment <= NOW for t in rest for moment in _times(t.event.record))


def test_every_event_encodes_with_its_schema_and_decodes_to_itself(
    population: Simulation,
) -> None:
    from pipeline.simulation.simulate import SCHEMAS

    for timed in population.events:
        value = encode(timed.event)
        assert value[:2] == schemas.MARKER
        assert schemas.codec(SCHEMAS[timed.event.channel]).decode(value) == timed.event.record


def test_the_normalizers_accept_every_customer_event(population: Simulation) -> None:
    records = [
        (t.event.channel, t.event.key, t.event.record)
        for t in population.events
        if t.event.channel != "OUTCOME"
    ]
    prepared = prepare(records)

    strangers = sum(1 for t in population.events if t.customer < 0)
    assert strangers > 0
    # Only posts by people no profile lists are rejected.
    assert prepared.rejected == {"MISSING_CUSTOMER": strangers}
    resolved = [
        s.interaction
        for s in prepared.steps
        if s.interaction is not None and s.interaction.social is not None
    ]
    assert any(i.social is not None and i.social.handle_resolved for i in resolved)


def test_some_churners_use_the_rules_churn_phrases_and_some_do_not(
    population: Simulation,
) -> None:
    phrases = load_rules().churn_phrases
    said: dict[str, bool] = {c.customer_id: False for c in population.customers if c.churn_at}
    for timed in population.events:
        cid = timed.event.record.get("customer_id") or ""
        if cid in said and detect_churn_talk(_text(timed.event.record), phrases):
            said[cid] = True
    share = sum(said.values()) / len(said)
    assert 0.1 < share < 0.9


def test_wording_varies_and_content_customers_praise_in_public(population: Simulation) -> None:
    texts = [_text(t.event.record) for t in population.events if t.event.channel == "VOICE"]
    spoken = [t for t in texts if t]
    # Composed from parts: most calls are worded differently, none is common.
    assert len(set(spoken)) > 0.7 * len(spoken)
    assert Counter(spoken).most_common(1)[0][1] < 0.02 * len(spoken)
    praise = [
        t.event.record
        for t in population.events
        if t.event.channel == "SOCIAL"
        and "@Acme" in t.event.record["text"]
        and any(w in t.event.record["text"] for w in ("great", "impressed", "Thank you", "Love"))
    ]
    assert praise
    assert len({p["follower_count"] for p in praise}) > 1


def test_an_event_file_reads_back_and_a_cut_one_is_refused(tmp_path: Path) -> None:
    sim = simulate(PopulationConfig(end=NOW, customers=100, days=30, seed=1), max_events=30)
    path = tmp_path / "events.bin"
    counts = write_events(path, (t.event for t in sim.events))

    frames = list(read_events(path))
    assert len(frames) == sum(counts.values()) == 100 + 30
    assert [(c, k) for c, k, _ in frames] == [(t.event.channel, t.event.key) for t in sim.events]
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(EventFileError, match="cut short"):
        list(read_events(path))
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(EventFileError, match="not an event file"):
        list(read_events(path))


def test_paced_keeps_the_rate_and_stops_after_the_duration() -> None:
    clock = [0.0]
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        clock[0] += seconds

    sent = list(paced(range(10), rate=4, duration=2.0, clock=lambda: clock[0], sleep=sleep))

    # 4 per second for 2 seconds: events due at 0, 0.25, ..., 1.75; the next is due at 2.0.
    assert sent == list(range(8))
    assert slept == [0.25] * 7


def test_without_a_file_the_events_go_to_the_sender_in_order(tmp_path: Path) -> None:
    sent: list[str] = []

    def sender(events: Iterable[RawEvent]) -> dict[str, int]:
        sent.extend(event.channel for event in events)
        return dict(Counter(sent))

    config = PopulationConfig(end=NOW, customers=40, days=30, seed=2)
    simulation, counts = run_simulate(config, None, tmp_path / "t.csv", 10, 0.0, None, sender)

    assert sent[:40] == ["PROFILE"] * 40 and len(sent) == 50
    assert counts == dict(Counter(sent))
    assert (tmp_path / "t.csv").read_text().count("\n") == 41
    assert simulation.churners == round(40 * 0.08)


def _text(record: dict) -> str:  # type: ignore[type-arg]
    if "messages" in record:
        return " ".join(m["text"] for m in record["messages"] if m["sender"] == "CUSTOMER")
    return str(record.get("transcript") or record.get("body") or record.get("text") or "")


def _times(record: dict) -> list[datetime]:  # type: ignore[type-arg]
    names = ("started_at", "ended_at", "sent_at", "posted_at", "updated_at", "occurred_at")
    times = [record[n] for n in names if record.get(n)]
    if record.get("survey") and record["survey"].get("answered_at"):
        times.append(record["survey"]["answered_at"])
    times += [m["sent_at"] for m in record.get("messages", [])]
    return times
