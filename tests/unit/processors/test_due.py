"""The due-time index behind the follow-up timer."""

from __future__ import annotations

import random

from processors.care import next_follow_up_due
from processors.due import DueIndex


def test_keys_come_out_once_when_due_earliest_first() -> None:
    index = DueIndex[str]()
    index.set("late", 300)
    index.set("early", 100)
    index.set("middle", 200)
    assert index.pop_due(50) == []
    assert index.pop_due(200) == ["early", "middle"]
    assert index.pop_due(200) == []
    assert len(index) == 1
    assert index.pop_due(10_000) == ["late"]


def test_the_last_due_time_set_is_the_one_that_counts() -> None:
    index = DueIndex[str]()
    index.set("c", 100)
    index.set("c", 500)  # the case was resolved again later
    assert index.pop_due(200) == []
    index.set("c", 150)
    index.set("gone", 120)
    index.set("gone", None)  # its follow-up was sent
    assert index.pop_due(200) == ["c"]
    assert index.pop_due(1_000) == []
    assert len(index) == 0


def test_it_agrees_with_a_scan_after_many_changes() -> None:
    rng = random.Random(5)
    index = DueIndex[int]()
    truth: dict[int, int] = {}
    for _ in range(5_000):
        key = rng.randrange(300)
        if rng.random() < 0.2:
            index.set(key, None)
            truth.pop(key, None)
        else:
            due = rng.randrange(10_000)
            index.set(key, due)
            truth[key] = due
    for now in (2_000, 6_000, 10_000):
        expected = sorted((due, key) for key, due in truth.items() if due <= now)
        got = index.pop_due(now)
        assert sorted(got) == sorted(key for _, key in expected)
        assert [truth[key] for key in got] == sorted(truth[key] for key in got)
        for key in got:
            del truth[key]
    assert len(index) == 0 and not truth


def test_a_history_is_due_at_its_first_follow_up() -> None:
    assert next_follow_up_due({"case-1": 900, "case-2": 400}) == 400
    assert next_follow_up_due({}) is None
    assert next_follow_up_due(None) is None


def test_a_discarded_key_leaves_no_entry_behind() -> None:
    index = DueIndex[str]()
    index.set("gone", 100)
    index.set("gone", 200)  # an older entry stays in the heap until it surfaces
    index.set("kept", 150)
    assert index.discard("gone")
    assert not index.discard("gone")
    assert all(entry[2] != "gone" for entry in index._heap)
    assert index.pop_due(1_000) == ["kept"]
