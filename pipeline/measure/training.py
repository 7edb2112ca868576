"""``carepipe train``: fits the risk model on recorded events and their churn outcomes, and
writes the model file that workers score in plain Python (processors/model.py).

The events before ``until`` are replayed through the same ``process_interaction`` as the
workers; at each scored interaction the features (processors/features.py) are taken and
labelled "churned within the horizon". Only interactions whose whole horizon lies before
``until`` are labelled, so no outcome after ``until`` is used. Customers are split by id
into a fitting part (60%), a calibration part (20%, Platt scaling) and a validation part
(20%, the figures in the file). scikit-learn is imported here only.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.measure.backtest import (
    BacktestError,
    decoded,
    read_truth,
    truth_from_outcomes,
    without_outcomes,
)
from pipeline.rulesfile import load_rules
from pipeline.simulation.simulate import progress_bar
from processors.backtest import Truth, available_at, prepare, replay
from processors.features import FEATURES, NAMES, feature_values
from processors.history import DAY_MS, CustomerHistory, ms
from processors.holdout import Gate, ScorePoint, alert_rate, threshold_for_budget
from processors.interaction import Interaction
from processors.model import FORMAT, RiskModel, sigmoid
from processors.outcomes import CustomerOutcome
from processors.profile import CustomerProfile
from processors.risk import RiskAssessment, assess
from processors.rules import Rules

DEFAULT_BUDGET = 1.5  # AT_RISK alerts per 1,000 customers per day
RECOVER_RATIO = 0.6  # recover_below / threshold, as the default rules' 30 / 50
SPLITS = (("fit", 60), ("calibration", 20), ("validation", 20))


def churn_outcomes(path: Path | None, collected: Collected) -> dict[str, Truth]:
    """Who churned and when: the customer outcomes recorded in the events before the end of
    the training window, or a ground truth CSV (`carepipe simulate --truth`)."""
    if path is not None:
        return read_truth(path)
    if not collected.outcomes:
        raise BacktestError(
            "the events hold no customer outcomes before --until: give --outcomes CSV"
        )
    return truth_from_outcomes(collected.outcomes, collected.customers)


@dataclass
class Point:
    """One scored interaction: whose, when (event and replay time, ms) and its features."""

    customer_id: str
    event_at: int
    at: int
    values: dict[str, float]


@dataclass
class Collected:
    points: list[Point] = field(default_factory=list)
    customers: set[str] = field(default_factory=set)
    start: int = 0
    outcomes: list[CustomerOutcome] = field(default_factory=list)


def collect(events: Path, until: datetime, rules: Rules) -> Collected:
    """Replays the events available before ``until`` and keeps every scored point."""
    collected = Collected()
    limit = ms(until)

    def before_until(
        records: Iterable[tuple[str, str, dict[str, Any]]],
    ) -> Iterable[tuple[str, str, dict[str, Any]]]:
        for channel, key, record in records:
            if ms(available_at(channel, record)) < limit:
                yield channel, key, record

    def collecting(
        h: CustomerHistory, i: Interaction, profile: CustomerProfile, r: Rules
    ) -> RiskAssessment:
        risk = assess(h, i, profile, r)
        # The replay clock is the record's availability; the live history's watermark is
        # its event time; both are kept.
        collected.points.append(
            Point(i.customer_id, ms(i.occurred_at), 0, feature_values(h, i, profile, r, risk))
        )
        return risk

    records: Counter[str] = Counter()
    undecodable: Counter[str] = Counter()
    with progress_bar() as bar:
        task = bar.add_task("normalizing", total=None)
        try:
            prepared = prepare(
                without_outcomes(
                    before_until(decoded(events, records, undecodable)), collected.outcomes
                ),
                progress=lambda n: bar.advance(task, n),
            )
        except OSError as exc:
            raise BacktestError(str(exc)) from exc
        task = bar.add_task("replaying", total=len(prepared.steps))
        replayed = replay(
            prepared, rules, progress=lambda n: bar.advance(task, n), assessor=collecting
        )
    # Replay times from the replay's tracks: the n-th interaction score of a customer is its
    # n-th point (the timer's aging checks score too, but make no point).
    times = {
        cid: [
            at
            for (at, _), timer in zip(track.scores, track.from_timer, strict=True)
            if not timer
        ]
        for cid, track in replayed.tracks.items()
    }
    cursor: Counter[str] = Counter()
    for point in collected.points:
        point.at = times[point.customer_id][cursor[point.customer_id]]
        cursor[point.customer_id] += 1
    collected.customers = {s.profile.customer_id for s in prepared.steps if s.profile}
    collected.start = prepared.steps[0].at if prepared.steps else limit
    return collected


def split_of(customer_id: str) -> str:
    """A customer's part of the split, fixed by a hash of the id."""
    bucket = int(hashlib.sha256(customer_id.encode()).hexdigest()[:8], 16) % 100
    for name, share in SPLITS:
        if bucket < share:
            return name
        bucket -= share
    return SPLITS[-1][0]


def label(point: Point, truth: Mapping[str, Truth], horizon_ms: int) -> int:
    fact = truth.get(point.customer_id)
    if fact is None or not fact.churned or fact.churn_at is None:
        return 0
    return int(point.at < ms(fact.churn_at) <= point.at + horizon_ms)


def train(
    events: Path,
    truth_path: Path | None,
    until: datetime,
    horizon_days: int = 30,
    budget: float = DEFAULT_BUDGET,
    rules_path: Path | None = None,
) -> dict[str, Any]:
    """Fits the model and answers the model file's content."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
    from sklearn.preprocessing import StandardScaler

    rules = load_rules(rules_path)
    collected = collect(events, until, rules)
    truth = churn_outcomes(truth_path, collected)
    limit, horizon = ms(until), horizon_days * DAY_MS
    labelled = [p for p in collected.points if p.at + horizon <= limit]
    if not labelled:
        raise BacktestError(
            f"no interaction of {events} lies {horizon_days} days before {until.isoformat()}: "
            "nothing to label"
        )
    parts: dict[str, list[Point]] = {name: [] for name, _ in SPLITS}
    for point in labelled:
        parts[split_of(point.customer_id)].append(point)

    def matrix(points: list[Point]) -> tuple[Any, Any]:
        x = np.array([[p.values[name] for name in NAMES] for p in points], dtype=float)
        y = np.array([label(p, truth, horizon) for p in points], dtype=int)
        return x, y

    x_fit, y_fit = matrix(parts["fit"])
    x_cal, y_cal = matrix(parts["calibration"])
    x_val, y_val = matrix(parts["validation"])
    for name, y in (("fit", y_fit), ("calibration", y_cal), ("validation", y_val)):
        if len(set(y.tolist())) < 2:
            raise BacktestError(
                f"the {name} part has {'no churner' if not y.any() else 'only churners'} "
                "within the horizon: train on more customers or a longer window"
            )
    scaler = StandardScaler().fit(x_fit)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    regression = LogisticRegression(C=1.0, max_iter=2000)
    regression.fit((x_fit - scaler.mean_) / scale, y_fit)
    coefficients, intercept = regression.coef_[0], float(regression.intercept_[0])

    def raw(x: Any) -> Any:
        return ((x - scaler.mean_) / scale) @ coefficients + intercept

    platt = LogisticRegression(C=1e6, max_iter=1000).fit(raw(x_cal).reshape(-1, 1), y_cal)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    if a <= 0:
        raise BacktestError("calibration failed: the scores do not rise with churn")
    model_data: dict[str, Any] = {
        "format": FORMAT,
        "features": [
            {
                "name": f.name,
                "template": f.template,
                "mean": float(mean),
                "scale": float(s),
                "coefficient": float(c),
            }
            for f, mean, s, c in zip(FEATURES, scaler.mean_, scale, coefficients, strict=True)
        ],
        "intercept": intercept,
        "calibration": {"method": "platt", "a": a, "b": b},
        "horizon_days": horizon_days,
        "threshold": 0.5,
        "recover_below": 0.3,
        "severity_bands": {"MEDIUM": 0.5, "HIGH": 0.7, "CRITICAL": 0.85},
    }
    model = RiskModel.from_dict(model_data)

    def calibrated(x: Any) -> Any:
        return np.array([sigmoid(a * z + b) for z in raw(x)])

    p_val = calibrated(x_val)
    # Threshold by budget: the fitted model's scores over every point of the window.
    sequences: dict[str, list[ScorePoint]] = {}
    for point in collected.points:
        score = round(100 * model.probability(point.values), 1)
        sequences.setdefault(point.customer_id, []).append((point.event_at, point.at, score))
    gate = Gate(50.0, 50.0 * RECOVER_RATIO, int(rules.cooldown("AT_RISK").total_seconds() * 1000))
    customers = len(collected.customers)
    threshold = threshold_for_budget(sequences, gate, budget, customers, collected.start, limit)
    threshold = min(max(threshold, 0.1), 99.0)
    chosen = Gate(threshold, threshold * RECOVER_RATIO, gate.cooldown_ms)
    p = threshold / 100
    model_data.update(
        {
            "threshold": p,
            "recover_below": p * RECOVER_RATIO,
            "severity_bands": {
                band: p + n * (1 - p) / 3 for n, band in enumerate(("MEDIUM", "HIGH", "CRITICAL"))
            },
            "training": {
                "events": str(events),
                "outcomes": str(truth_path) if truth_path else f"{events} (before --until)",
                "from": _iso(collected.start),
                "until": until.isoformat(),
                "labelled_until": _iso(limit - horizon),
                "customers": customers,
                "points": len(collected.points),
                "labelled_points": len(labelled),
                "rules_version": rules.version,
                "split": {name: len(points) for name, points in parts.items()},
                "budget_alerts_per_1k_customers_per_day": budget,
                "alerts_per_1k_customers_per_day": round(
                    alert_rate(sequences, chosen, customers, collected.start, limit), 3
                ),
            },
            "metrics": {
                "validation": {
                    "points": len(y_val),
                    "positive_rate": round(float(y_val.mean()), 4),
                    "roc_auc": round(float(roc_auc_score(y_val, p_val)), 4),
                    "average_precision": round(float(average_precision_score(y_val, p_val)), 4),
                    "log_loss": round(float(log_loss(y_val, p_val)), 4),
                    "brier": round(float(brier_score_loss(y_val, p_val)), 4),
                    "mean_predicted": round(float(p_val.mean()), 4),
                },
                "fit": {
                    "points": len(y_fit),
                    "positive_rate": round(float(y_fit.mean()), 4),
                    "roc_auc": round(float(roc_auc_score(y_fit, calibrated(x_fit))), 4),
                },
            },
        }
    )
    RiskModel.from_dict(model_data)  # the file written is one a worker accepts
    return model_data


def write_model(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def _iso(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).isoformat()


def summary(data: Mapping[str, Any]) -> str:
    v, t = data["metrics"]["validation"], data["training"]
    return (
        f"trained on {t['labelled_points']:,} labelled interactions of {t['customers']:,} "
        f"customers ({t['from']} to {t['until']}); validation AUC {v['roc_auc']:.3f}, "
        f"average precision {v['average_precision']:.3f}, Brier {v['brier']:.4f}; AT_RISK at "
        f"p >= {data['threshold']:.3f}: {t['alerts_per_1k_customers_per_day']:.2f} alerts "
        f"per 1,000 customers per day in the training window "
        f"(budget {t['budget_alerts_per_1k_customers_per_day']:g})"
    )
