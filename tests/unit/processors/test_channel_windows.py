"""Tumbling channel windows: assignment, completion by events or by the clock, lateness."""

from __future__ import annotations

from processors.channel_windows import ChannelWindows, MetricFact

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
    import json

    book = ChannelWindows("EMAIL")
    book.add(fact(T, sentiment=-0.25, csat=3), now_ms=T)
    restored = ChannelWindows.from_dict(json.loads(json.dumps(book.to_dict())))
    assert restored == book
