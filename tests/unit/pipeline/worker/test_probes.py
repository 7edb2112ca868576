"""The worker's /ready answer is read from Faust's own flags (faust-streaming 0.15):
``app.rebalancing``, ``app.tables.recovery.completed`` (an Event set when the first
recovery ends) and ``app.tables.recovery.in_recovery``. These fail if Faust renames them
or changes what they are."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.worker.views import readiness


@pytest.fixture
def app(worker):  # type: ignore[no-untyped-def]
    return worker


def test_a_worker_that_has_not_recovered_is_not_ready(app) -> None:  # type: ignore[no-untyped-def]
    assert readiness(app) == {
        "ready": False,
        "recovered": False,
        "rebalancing": False,
        "recovering": False,
    }


def test_ready_follows_fausts_recovery_and_rebalance_flags(app) -> None:  # type: ignore[no-untyped-def]
    recovery = app.tables.recovery
    assert isinstance(recovery.completed, asyncio.Event)
    assert isinstance(recovery.in_recovery, bool)
    assert isinstance(app.rebalancing, bool)
    try:
        recovery.completed.set()
        assert readiness(app)["ready"] is True
        app.rebalancing = True
        assert readiness(app) == {
            "ready": False,
            "recovered": True,
            "rebalancing": True,
            "recovering": False,
        }
        app.rebalancing = False
        recovery.in_recovery = True
        assert readiness(app)["ready"] is False
    finally:
        recovery.in_recovery = False
        app.rebalancing = False
        recovery.completed.clear()


def test_probe_pages_are_registered(app) -> None:  # type: ignore[no-untyped-def]
    assert {"/healthz", "/ready"} <= set(app.web.views)
