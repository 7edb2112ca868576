"""The worker's garbage collection: every pause observed, full collections taken over."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Histogram

from pipeline.settings import SettingsError, load_settings
from pipeline.worker.garbage import NO_AUTOMATIC_FULL, PauseTimer, take_over_full_collections


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def pauses() -> tuple[CollectorRegistry, Histogram]:
    registry = CollectorRegistry()
    return registry, Histogram("gc_pause_seconds", "pauses", ("generation",), registry=registry)


def test_each_collection_is_observed_under_its_generation() -> None:
    registry, histogram = pauses()
    timer = PauseTimer(histogram)
    gc.callbacks.append(timer)
    try:
        gc.collect(0)
        gc.collect(2)
        gc.collect(2)
    finally:
        gc.callbacks.remove(timer)

    def count(generation: str) -> float | None:
        return registry.get_sample_value("gc_pause_seconds_count", {"generation": generation})

    assert count("2") == 2
    assert (count("0") or 0) >= 1
    assert (registry.get_sample_value("gc_pause_seconds_sum", {"generation": "2"}) or 0) > 0


def test_full_collections_are_taken_over_and_young_ones_left_alone(
    thresholds: tuple[int, int, int],
) -> None:
    gc.set_threshold(700, 10, 10)
    take_over_full_collections()
    assert gc.get_threshold() == (700, 10, NO_AUTOMATIC_FULL)


def test_the_setting_is_checked_at_load() -> None:
    assert load_settings({"CAREPIPE_GC_FULL_COLLECT_SECONDS": "0"}).gc_full_collect_seconds == 0
    with pytest.raises(SettingsError, match="CAREPIPE_GC_FULL_COLLECT_SECONDS"):
        load_settings({"CAREPIPE_GC_FULL_COLLECT_SECONDS": "-1"})
