"""``carepipe backtest --compare``: rules files and model files judged side by side on a
test window of recorded events, after a warm-up, with thresholds set by file or by alert
budget on the days before the window (processors/holdout.py)."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
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
from pipeline.modelfile import load_model
from pipeline.rulesfile import load_rules
from pipeline.simulation.simulate import EventFileError, progress_bar
from processors.backtest import Prepared, prepare, replay
from processors.history import DAY_MS, ms
from processors.holdout import (
    Gate,
    contacted_before_churn,
    evaluate_window,
    sequences_of,
    threshold_for_budget,
)
from processors.model import ModelError
from processors.outcomes import CustomerOutcome
from processors.risk import Assessor, assess
from processors.rules import Rules, RulesError

DEFAULT = "default"
TEST_DAYS = 30


@dataclass(frozen=True)
class Candidate:
    """A rules file or a model file, ready to replay."""

    name: str
    rules: Rules
    assessor: Assessor
    kind: str  # "rules" or "model"
    trained: dict[str, Any]


def candidate(spec: str) -> Candidate:
    """``default``, a YAML rules file laid over the defaults, or a model file (.json)."""
    try:
        if spec == DEFAULT:
            return Candidate(spec, load_rules(None), assess, "rules", {})
        path = Path(spec)
        if path.suffix.lower() == ".json":
            model = load_model(path)
            rules = model.alerting_rules(load_rules(None))
            return Candidate(spec, rules, model.assess, "model", dict(model.training))
        return Candidate(spec, load_rules(path), assess, "rules", {})
    except (RulesError, ModelError) as exc:
        raise BacktestError(str(exc)) from exc


def run_comparison(
    events: Path,
    truth_path: Path | None,
    specs: list[str],
    test_from: datetime | None = None,
    budget: float | None = None,
    horizon_days: int = 30,
) -> dict[str, Any]:
    """Replays ``events`` once per candidate and judges each on the test window."""
    started = time.perf_counter()
    candidates = [candidate(spec) for spec in specs]
    outcomes: list[CustomerOutcome] = []
    records: Counter[str] = Counter()
    undecodable: Counter[str] = Counter()
    with progress_bar() as bar:
        task = bar.add_task("normalizing", total=None)
        try:
            prepared = prepare(
                without_outcomes(decoded(events, records, undecodable), outcomes),
                progress=lambda n: bar.advance(task, n),
            )
        except (OSError, EventFileError) as exc:
            raise BacktestError(str(exc)) from exc
        if not prepared.steps:
            raise BacktestError(f"{events} holds no events")
        start, end = prepared.steps[0].at, prepared.steps[-1].at + 1
        window_start = ms(test_from) if test_from else end - TEST_DAYS * DAY_MS
        if not start < window_start < end:
            raise BacktestError("--test-from must fall inside the span of the events")
        ids = {s.profile.customer_id for s in prepared.steps if s.profile}
        if truth_path is not None:
            truth = read_truth(truth_path)
        elif outcomes:
            truth = truth_from_outcomes(outcomes, ids)
        else:
            raise BacktestError(f"{events} holds no customer outcomes: give --truth CSV")
        contacted = contacted_before_churn(_inbound(prepared), truth)
        customers = len(ids)
        rows = []
        for c in candidates:
            task = bar.add_task(f"replaying {c.name}", total=len(prepared.steps))
            replayed = replay(
                prepared, c.rules, progress=lambda n, t=task: bar.advance(t, n), assessor=c.assessor
            )
            sequences = sequences_of(replayed)
            a = c.rules.alerting
            gate = Gate(
                a.at_risk_threshold,
                a.recover_below,
                int(c.rules.cooldown("AT_RISK").total_seconds() * 1000),
            )
            how = "rules file" if c.kind == "rules" else "model file"
            if budget is not None:
                threshold = threshold_for_budget(
                    sequences, gate, budget, customers, start, window_start
                )
                ratio = gate.recover_below / gate.threshold
                gate = Gate(threshold, threshold * ratio, gate.cooldown_ms)
                how = f"budget {budget:g}, on {_day(start)} to {_day(window_start)}"
            e = evaluate_window(
                sequences, gate, truth, window_start, end, c.rules.version, horizon_days
            )
            churners = {
                cid
                for cid, fact in truth.items()
                if fact.churned and fact.churn_at and window_start <= ms(fact.churn_at) < end
            }
            reachable = contacted & churners
            caught = len(e.true_positives & reachable)
            recall_contacted = caught / len(reachable) if reachable else None
            p = e.precision
            f1 = (
                2 * p * recall_contacted / (p + recall_contacted)
                if p is not None and recall_contacted and p + recall_contacted > 0
                else None
            )
            rows.append(
                {
                    "name": c.name,
                    "kind": c.kind,
                    "threshold": round(gate.threshold, 2),
                    "threshold_from": how,
                    "trained_on": c.trained.get("events"),
                    "trained_from": c.trained.get("from"),
                    "trained_until": c.trained.get("until"),
                    "precision": _round(e.precision),
                    "recall": _round(e.recall),
                    "recall_contacted": _round(recall_contacted),
                    "f1": _round(f1),
                    "f1_all_churners": _round(e.f1),
                    "flagged": len(e.flagged),
                    "true_positives": len(e.true_positives),
                    "churners": e.churners,
                    "churners_contacted": len(reachable),
                    "lead_days_median": _round(
                        statistics.median(e.lead_days) if e.lead_days else None, 2
                    ),
                    "at_risk_per_1k_customers_per_day": _round(
                        e.alerts_per_1k_customers_per_day("AT_RISK"), 3
                    ),
                }
            )
    return {
        "events": str(events),
        "truth": str(truth_path) if truth_path else "customer outcomes in the events",
        "horizon_days": horizon_days,
        "warm_up": [_day(start), _day(window_start)],
        "test_window": [_day(window_start), _day(end)],
        "customers": customers,
        "budget": budget,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
    }


def markdown(data: dict[str, Any]) -> str:
    rows = data["rows"]
    lines = [
        "# Rules and models compared",
        "",
        f"Events `{data['events']}`, outcomes `{data['truth']}`, {data['customers']:,} "
        f"customers. Test window {data['test_window'][0]} to {data['test_window'][1]}; "
        f"the days before it ({data['warm_up'][0]} on) only build the histories"
        + (" and set the thresholds by budget" if data["budget"] is not None else "")
        + f". A churner counts as caught by an AT_RISK alert in the {data['horizon_days']} "
        "days before they left; recall (contacted) counts the churners who contacted care in "
        "their last 30 days; F1 uses it.",
        "",
        "| | " + " | ".join(f"`{r['name']}`" for r in rows) + " |",
        "|---|" + "---:|" * len(rows),
    ]
    cells = [
        ("trained on", lambda r: _trained(r)),
        ("AT_RISK threshold (0-100)", lambda r: f"{r['threshold']:g}"),
        ("threshold set by", lambda r: r["threshold_from"]),
        ("precision", lambda r: _num(r["precision"])),
        ("recall (contacted)", lambda r: _num(r["recall_contacted"])),
        ("recall (all churners)", lambda r: _num(r["recall"])),
        ("F1", lambda r: _num(r["f1"])),
        ("median lead time (days)", lambda r: _num(r["lead_days_median"], 1)),
        ("AT_RISK per 1,000 customers per day",
         lambda r: _num(r["at_risk_per_1k_customers_per_day"], 2)),
        ("flagged / caught", lambda r: f"{r['flagged']:,} / {r['true_positives']:,}"),
        ("churners / contacted care", lambda r: f"{r['churners']:,} / {r['churners_contacted']:,}"),
    ]  # fmt: skip
    for label, cell in cells:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in rows) + " |")
    return "\n".join(lines) + "\n"


def write_report(path: Path, data: dict[str, Any]) -> None:
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(data, indent=2) + "\n")
    else:
        path.write_text(markdown(data))


def _trained(row: dict[str, Any]) -> str:
    if row["kind"] != "model":
        return "-"
    return f"`{row['trained_on']}`, {row['trained_from'][:10]} to {row['trained_until'][:10]}"


def _inbound(prepared: Prepared) -> list[tuple[str, int]]:
    return [
        (s.interaction.customer_id, ms(s.interaction.occurred_at))
        for s in prepared.steps
        if s.interaction is not None and s.interaction.direction == "INBOUND"
    ]


def _day(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
