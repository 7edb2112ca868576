"""Out-of-time evaluation: AT_RISK openings re-derived from a replay's scores at any
threshold, a threshold chosen by alert budget, and a replay judged on a later test window.

A customer's risk scores do not depend on the alerts (the assessment comes before the
decisions), so the openings at another threshold follow from the scores alone, by the same
steps as :func:`processors.alerts._at_risk`: open at the threshold unless cooling down,
close below ``recover_below``, then no new one for the cooldown.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from processors.backtest import DEFAULT_HORIZON_DAYS, CustomerTrack, Evaluation, Replay, evaluate
from processors.backtest import Truth as Truth
from processors.history import DAY_MS, ms

# (event time ms, replay time ms, score 0-100), in the order scored.
ScorePoint = tuple[int, int, float]
BISECTIONS = 30


@dataclass(frozen=True)
class Gate:
    """When AT_RISK opens and closes, on the 0-100 scale, and the cooldown after a close."""

    threshold: float
    recover_below: float
    cooldown_ms: int


def openings(points: Sequence[ScorePoint], gate: Gate, until: int | None = None) -> list[int]:
    """Replay times at which AT_RISK opens for one customer (points before ``until``)."""
    opened: list[int] = []
    is_open, closed_at = False, None
    for event_at, at, score in points:
        if until is not None and at >= until:
            break
        if not is_open:
            cooling = closed_at is not None and event_at - closed_at < gate.cooldown_ms
            if score >= gate.threshold and not cooling:
                is_open = True
                opened.append(at)
        elif score < gate.recover_below:
            is_open, closed_at = False, event_at
    return opened


def alert_rate(
    sequences: Mapping[str, Sequence[ScorePoint]],
    gate: Gate,
    customers: int,
    start: int,
    until: int,
) -> float:
    """AT_RISK openings per 1,000 customers per day between ``start`` and ``until``."""
    days = (until - start) / DAY_MS
    if customers <= 0 or days <= 0:
        return 0.0
    count = sum(
        1 for points in sequences.values() for at in openings(points, gate, until) if at >= start
    )
    return count / customers * 1000 / days


def threshold_for_budget(
    sequences: Mapping[str, Sequence[ScorePoint]],
    gate: Gate,
    budget: float,
    customers: int,
    start: int,
    until: int,
) -> float:
    """The lowest threshold (0-100) whose opening rate over ``[start, until)`` stays within
    ``budget`` alerts per 1,000 customers per day; recovery scales with the threshold."""
    ratio = gate.recover_below / gate.threshold if gate.threshold else 0.6

    def rate(threshold: float) -> float:
        trial = replace(gate, threshold=threshold, recover_below=threshold * ratio)
        return alert_rate(sequences, trial, customers, start, until)

    low, high = 0.0, 100.0
    if rate(high) > budget:
        return high
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        if rate(middle) <= budget:
            high = middle
        else:
            low = middle
    return math.ceil(high * 1000) / 1000  # rounded up: within the budget still


def sequences_of(replayed: Replay) -> dict[str, list[ScorePoint]]:
    """Each customer's scores from a replay that kept event times (``Replay.moments``)."""
    return {
        cid: [
            (moment, at, score)
            for moment, (at, score) in zip(track.moments, track.scores, strict=True)
        ]
        for cid, track in replayed.tracks.items()
    }


def evaluate_window(
    sequences: Mapping[str, Sequence[ScorePoint]],
    gate: Gate,
    truth: Mapping[str, Truth],
    start: int,
    until: int,
    label: str,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> Evaluation:
    """The replay judged on ``[start, until)`` alone: customers who left before ``start``
    are out; scores and openings before it are the warm-up and do not count."""
    tracks: dict[str, CustomerTrack] = {}
    opened = 0
    for cid, points in sequences.items():
        track = CustomerTrack(
            scores=[(at, score) for _, at, score in points if start <= at < until],
            at_risk_opened=[at for at in openings(points, gate, until) if at >= start],
        )
        opened += len(track.at_risk_opened)
        tracks[cid] = track
    windowed = Replay(label, gate.threshold, tracks=tracks, opened=Counter({"AT_RISK": opened}))
    present = {
        cid: fact
        for cid, fact in truth.items()
        if not (fact.churned and fact.churn_at is not None and ms(fact.churn_at) < start)
    }
    return evaluate(windowed, present, (until - start) / DAY_MS, horizon_days)


def contacted_before_churn(
    contacts: Iterable[tuple[str, int]], truth: Mapping[str, Truth], days: int = 30
) -> frozenset[str]:
    """Churners with an inbound contact (customer id, event time ms) in their last ``days``."""
    churn = {
        cid: ms(fact.churn_at)
        for cid, fact in truth.items()
        if fact.churned and fact.churn_at is not None
    }
    return frozenset(
        cid
        for cid, at in contacts
        if cid in churn and churn[cid] - days * DAY_MS <= at < churn[cid]
    )
