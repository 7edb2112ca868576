"""Tumbling channel windows: assignment, completion by events or by the clock, lateness."""

from __future__ import annotations

import json
import random
from dataclasses import asdict

import pytest

from processors.channel_windows import (
    DEFAULT_GRACE_MS,
    ChannelWindow,
    ChannelWindows,
    MetricFact,
    PartialWindows,
    WindowDelta,
)

MIN = 60_000
T = 1_700_000_000_000 - 1_700_000_000_000 % MIN  # a minute boundary


def fact(at: int, **changes: object) -> MetricFact:
    return MetricFact(channel="CHAT", occurred_at=at, **changes)  # type: ignore[arg-type]


def test_facts_land_in_their_minute() -> None:
    book = ChannelWindows("CHAT")
    for at in (T, T + 59_999, T + MIN):
        book.add(fact(at), now_ms=T)
    assert sorted((int(k) - T) // MIN for k in book.windows) == [0, 1]
    assert book.windows[str(T)].interactions == 2
    assert book.windows[str(T + MIN)].interactions == 1


def test_a_window_completes_when_events_pass_its_end_plus_grace() -> None:
    book = ChannelWindows("CHAT")
    book.add(fact(T + 1_000, sentiment=0.5), now_ms=T)
    assert book.complete(now_ms=T + 2_000, grace_ms=10_000) == []
    book.add(fact(T + MIN + 9_999), now_ms=T + 2_000)
    assert book.complete(now_ms=T + 2_000, grace_ms=10_000) == []
    book.add(fact(T + MIN + 10_000), now_ms=T + 2_000)
    done = book.complete(now_ms=T + 2_000, grace_ms=10_000)
    assert [w.window_start for w in done] == [T]
    assert done[0].to_record()["avg_sentiment"] == 0.5
    assert book.complete(now_ms=T + 2_000, grace_ms=10_000) == []  # sent once


def test_a_quiet_channel_completes_by_the_clock() -> None:
    book = ChannelWindows("CHAT")
    book.add(fact(T + 1_000), now_ms=T + 1_000)
    assert book.complete(now_ms=T + MIN + 9_000, grace_ms=10_000) == []
    assert [w.window_start for w in book.complete(now_ms=T + MIN + 11_000, grace_ms=10_000)] == [T]


def test_a_late_fact_reopens_its_window_and_it_is_sent_again_with_new_totals() -> None:
    book = ChannelWindows("CHAT")
    book.add(fact(T + 1_000, csat=4), now_ms=T)
    book.add(fact(T + 5 * MIN), now_ms=T)
    assert [w.window_start for w in book.complete(now_ms=T, grace_ms=0)] == [T]
    book.add(fact(T + 2_000, csat=2), now_ms=T)
    again = book.complete(now_ms=T, grace_ms=0)
    assert [(w.window_start, w.csat_sum, w.csat_count) for w in again] == [(T, 6, 2)]


def test_facts_older_than_retention_are_dropped_and_counted() -> None:
    book = ChannelWindows("CHAT")
    book.add(fact(T + 120 * MIN), now_ms=T)
    assert book.add(fact(T), now_ms=T, retain_ms=60 * MIN) is False
    assert book.dropped_late == 1 and str(T) not in book.windows


def test_figures_of_one_window() -> None:
    book = ChannelWindows("VOICE")
    facts = [
        fact(T, outcome="RESOLVED", first_contact=True, handle_seconds=300, nps=10, ces=2),
        fact(T, outcome="ABANDONED", handle_seconds=120),
        fact(T, outcome="UNRESOLVED", handle_seconds=600, nps=7, at_risk_opened=True),
        fact(T, nps=0),
    ]
    for f in facts:
        book.add(f, now_ms=T)
    record = book.windows[str(T)].to_record()
    assert record["interactions"] == 4
    assert (record["nps_promoters"], record["nps_passives"], record["nps_detractors"]) == (1, 1, 1)
    assert (record["resolution_eligible"], record["resolved_first_contact"]) == (3, 1)
    assert (record["handle_seconds_sum"], record["handled_count"], record["abandoned"]) == (
        900,
        2,
        1,
    )
    assert record["at_risk_alerts"] == 1 and record["avg_sentiment"] is None


def test_round_trip_through_plain_json() -> None:
    book = ChannelWindows("EMAIL")
    book.add(fact(T, sentiment=-0.25, csat=3), now_ms=T)
    restored = ChannelWindows.from_dict(json.loads(json.dumps(book.to_dict())))
    assert restored == book


# --- Partial windows and deltas: several workers, exact totals ---------------------------

CHANNELS = ("VOICE", "EMAIL", "CHAT")
OUTCOMES = ("RESOLVED", "ABANDONED", "NONE", "UNRESOLVED")


def random_fact(rng: random.Random) -> MetricFact:
    sentiment = rng.choice(
        [None, round(rng.uniform(-1, 1), 4), rng.uniform(-1, 1), rng.choice([-1.0, 0.0, 1.0])]
    )
    return MetricFact(
        channel=rng.choice(CHANNELS),
        occurred_at=T + rng.randrange(6 * MIN),
        sentiment=sentiment,
        outcome=rng.choice(OUTCOMES),
        first_contact=rng.random() < 0.5,
        handle_seconds=rng.choice([0, rng.randrange(1, 1_800)]),
        csat=rng.choice([None, rng.randint(1, 5)]),
        nps=rng.choice([None, rng.randint(0, 10)]),
        ces=rng.choice([None, rng.randint(1, 7)]),
        at_risk_opened=rng.random() < 0.2,
    )


def completed_records(books: dict[str, ChannelWindows], now_ms: int) -> dict[str, list[dict]]:
    return {
        channel: [w.to_record() for w in book.complete(now_ms, grace_ms=DEFAULT_GRACE_MS)]
        for channel, book in sorted(books.items())
    }


@pytest.mark.parametrize("seed", range(12))
def test_merged_deltas_give_exactly_the_totals_of_adding_every_fact(seed: int) -> None:
    rng = random.Random(seed)
    facts = [random_fact(rng) for _ in range(rng.randrange(1, 400))]

    added = {c: ChannelWindows(c) for c in CHANNELS}
    for f in facts:
        assert added[f.channel].add(f, now_ms=T)

    workers = [PartialWindows() for _ in range(rng.choice([2, 3]))]
    deltas: list[WindowDelta] = []
    for f in facts:
        worker = rng.choice(workers)
        worker.add(f)
        if rng.random() < 0.05:  # a flush now and then, so one window has several deltas
            deltas.extend(worker.drain())
    for worker in workers:
        deltas.extend(worker.drain())
        assert worker.pending == 0 and worker.drain() == []
    rng.shuffle(deltas)  # deltas of different workers arrive in any order

    merged = {c: ChannelWindows(c) for c in CHANNELS}
    for delta in deltas:
        wire = json.loads(json.dumps(delta.to_dict()))
        assert merged[delta.window.channel].merge(WindowDelta.from_dict(wire), now_ms=T)

    assert sum(d.window.interactions for d in deltas) == len(facts)
    for channel in CHANNELS:
        assert merged[channel].watermark == added[channel].watermark
        assert merged[channel].dropped_late == added[channel].dropped_late == 0
    end = T + 10 * MIN
    expected = completed_records(added, end)
    assert sum(len(records) for records in expected.values()) > 0
    assert completed_records(merged, end) == expected


def test_pending_counts_facts_and_drain_empties() -> None:
    partial = PartialWindows(window_ms=MIN)
    partial.add(fact(T + 5, sentiment=0.5))
    partial.add(fact(T + 1_000, sentiment=0.25))
    partial.add(fact(T + MIN))
    partial.add(MetricFact(channel="VOICE", occurred_at=T + 3))
    assert partial.pending == 4
    deltas = partial.drain()
    assert partial.pending == 0 and partial.drain() == []
    summary = [
        (d.window.channel, d.window.window_start, d.window.interactions, d.max_occurred_at)
        for d in deltas
    ]
    assert summary == [
        ("CHAT", T, 2, T + 1_000),
        ("CHAT", T + MIN, 1, T + MIN),
        ("VOICE", T, 1, T + 3),
    ]
    assert deltas[0].window.sentiment_sum == 0.75


def delta_of(*facts: MetricFact) -> WindowDelta:
    partial = PartialWindows()
    for f in facts:
        partial.add(f)
    (delta,) = partial.drain()
    return delta


def test_a_delta_older_than_retention_is_dropped_and_counted() -> None:
    book = ChannelWindows("CHAT")
    book.add(fact(T + 120 * MIN), now_ms=T)
    late = delta_of(fact(T), fact(T + 1), fact(T + 2))
    assert book.merge(late, now_ms=T, retain_ms=60 * MIN) is False
    assert book.dropped_late == 3 and str(T) not in book.windows
    assert book.watermark == T + 120 * MIN


def test_a_delta_advances_the_watermark_to_its_newest_event() -> None:
    book = ChannelWindows("CHAT")
    assert book.merge(delta_of(fact(T + MIN + 10_000), fact(T + MIN)), now_ms=T)
    assert book.watermark == T + MIN + 10_000
    assert book.merge(delta_of(fact(T + 1_000)), now_ms=T)
    assert book.watermark == T + MIN + 10_000
    assert [w.window_start for w in book.complete(now_ms=T, grace_ms=10_000)] == [T]


def test_a_delta_reopens_a_sent_window_which_is_sent_again_with_new_totals() -> None:
    book = ChannelWindows("CHAT")
    book.merge(delta_of(fact(T + 1_000, csat=4, sentiment=0.5)), now_ms=T)
    book.add(fact(T + 5 * MIN), now_ms=T)
    (sent,) = book.complete(now_ms=T, grace_ms=0)
    assert sent.window_start == T and sent.emitted
    assert book.merge(delta_of(fact(T + 2_000, csat=2, sentiment=-0.25)), now_ms=T + 7)
    window = book.windows[str(T)]
    assert window.emitted is False and window.updated_at == T + 7
    (again,) = book.complete(now_ms=T + 7, grace_ms=0)
    record = again.to_record()
    assert (record["interactions"], record["csat_sum"], record["csat_count"]) == (2, 6, 2)
    assert record["avg_sentiment"] == 0.125
    assert book.complete(now_ms=T + 7, grace_ms=0) == []


def test_delta_round_trip_through_plain_json() -> None:
    delta = delta_of(
        fact(T + 10, sentiment=-0.3333, csat=3, nps=9, ces=2, outcome="RESOLVED"),
        fact(T + 20, outcome="ABANDONED", first_contact=True, at_risk_opened=True),
        fact(T + 30, outcome="UNRESOLVED", handle_seconds=240, nps=4),
    )
    data = delta.to_dict()
    assert data == {
        "channel": "CHAT",
        "window_start": T,
        "window_end": T + MIN,
        "interactions": 3,
        "sentiment_sum": -0.3333,
        "sentiment_count": 1,
        "at_risk_alerts": 1,
        "csat_sum": 3,
        "csat_count": 1,
        "nps_promoters": 1,
        "nps_passives": 0,
        "nps_detractors": 1,
        "ces_sum": 2,
        "ces_count": 1,
        "resolved_first_contact": 0,
        "resolution_eligible": 3,
        "handle_seconds_sum": 240,
        "handled_count": 1,
        "abandoned": 1,
        "max_occurred_at": T + 30,
    }
    restored = WindowDelta.from_dict(json.loads(json.dumps(data)))
    assert restored == delta


def test_a_delta_whose_newest_event_is_outside_its_window_is_refused() -> None:
    data = delta_of(fact(T)).to_dict()
    with pytest.raises(ValueError):
        WindowDelta.from_dict({**data, "max_occurred_at": T + MIN})


def test_merging_mismatched_windows_raises() -> None:
    window = ChannelWindow("CHAT", T, T + MIN)
    for other in (
        ChannelWindow("VOICE", T, T + MIN),
        ChannelWindow("CHAT", T + MIN, T + 2 * MIN),
        ChannelWindow("CHAT", T, T + 2 * MIN),
    ):
        with pytest.raises(ValueError):
            window.merge(other, now_ms=T)
    assert window == ChannelWindow("CHAT", T, T + MIN)

    with pytest.raises(ValueError):
        ChannelWindows("VOICE").merge(delta_of(fact(T)), now_ms=T)
    wider = PartialWindows(window_ms=2 * MIN)
    wider.add(fact(T))
    with pytest.raises(ValueError):
        ChannelWindows("CHAT").merge(wider.drain()[0], now_ms=T)


def test_merge_adds_every_figure() -> None:
    one, two = ChannelWindow("CHAT", T, T + MIN), ChannelWindow("CHAT", T, T + MIN)
    both = ChannelWindow("CHAT", T, T + MIN)
    firsts = [fact(T, sentiment=0.1, csat=5, nps=9, outcome="RESOLVED", first_contact=True)]
    seconds = [fact(T, sentiment=0.2, ces=3, nps=7, handle_seconds=60, at_risk_opened=True)]
    seconds.append(fact(T, nps=1, outcome="ABANDONED", handle_seconds=30))
    for f in firsts:
        one.add(f, now_ms=1)
        both.add(f, now_ms=1)
    for f in seconds:
        two.add(f, now_ms=1)
        both.add(f, now_ms=1)
    one.emitted = True
    one.merge(two, now_ms=5)
    assert one.to_record() == both.to_record()
    assert one.sentiment_sum == 0.3 and (one.emitted, one.updated_at) == (False, 5)


def test_explicit_dicts_match_the_dataclass_fields() -> None:
    book = ChannelWindows("VOICE")
    book.add(fact(T, sentiment=0.5, csat=4, nps=8, ces=1, handle_seconds=9), now_ms=T)
    book.complete(now_ms=T + 2 * MIN)
    window = book.windows[str(T)]
    old_record = asdict(window)
    del old_record["emitted"], old_record["updated_at"]
    old_record["avg_sentiment"] = 0.5
    assert list(window.to_record().items()) == list(old_record.items())
    assert list(window.to_dict().items()) == list(asdict(window).items())
    assert book.to_dict() == asdict(book)
    assert list(book.to_dict()) == list(asdict(book))
