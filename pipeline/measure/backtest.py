"""``carepipe backtest``: reads a recorded event file and its ground truth, replays them
through the rules (:mod:`processors.backtest`), and writes the report and the plot.

The ground truth is the file's customer outcomes (``CustomerOutcome`` records, as the
worker reads them from ``customers.outcomes``), or a CSV given instead."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import schemas
from pipeline.rulesfile import load_rules
from pipeline.simulation.simulate import SCHEMAS, progress_bar, read_events
from processors.backtest import (
    DEFAULT_HORIZON_DAYS,
    Comparison,
    Evaluation,
    Prepared,
    Truth,
    compare,
    evaluate,
    prepare,
    replay,
)
from processors.errors import StartupError
from processors.outcomes import CustomerOutcome

ALERT_TYPES = ("AT_RISK", "PUBLIC_COMPLAINT", "PRAISE", "FOLLOW_UP")
LISTED = 50  # customers listed by name in a Markdown comparison, per direction


class BacktestError(StartupError, ValueError):
    """An input file is missing, unreadable or not of the expected format."""


@dataclass
class BacktestRun:
    """Everything the report says: inputs, the population, each rule set's figures."""

    events_path: Path
    truth_path: Path | None  # None: the customer outcomes in the event file
    horizon_days: int
    records: Counter[str]
    prepared: Prepared
    undecodable: Counter[str]
    evaluations: list[tuple[str, Evaluation]]
    comparison: Comparison | None = None
    seconds: float = 0.0
    truth: dict[str, Truth] = field(default_factory=dict)
    unlabeled: int = 0  # customers with a profile in the events but not in the truth


def read_truth(path: Path) -> dict[str, Truth]:
    """Ground truth CSV: ``customer_id``, ``churned`` (true/false), ``churn_date`` (ISO 8601,
    empty when the customer stayed); other columns are ignored."""
    try:
        with path.open(newline="") as source:
            rows = list(csv.DictReader(source))
    except OSError as exc:
        raise BacktestError(f"{path}: cannot read the truth file: {exc.strerror}") from exc
    truth = {}
    for n, row in enumerate(rows, 2):
        try:
            churned = row["churned"].strip().lower() in ("true", "1", "yes")
            when = row["churn_date"].strip()
            churn_at = datetime.fromisoformat(when) if when else None
        except (KeyError, AttributeError, ValueError) as exc:
            raise BacktestError(
                f"{path}:{n}: needs customer_id, churned and churn_date (ISO 8601): {exc}"
            ) from exc
        if churn_at is not None and churn_at.tzinfo is None:
            churn_at = churn_at.replace(tzinfo=UTC)
        if churned and churn_at is None:
            raise BacktestError(f"{path}:{n}: a churned customer needs a churn_date")
        truth[row["customer_id"]] = Truth(row["customer_id"], churned, churn_at)
    return truth


def truth_from_outcomes(
    outcomes: Iterable[CustomerOutcome], customers: Iterable[str]
) -> dict[str, Truth]:
    """Every customer's truth from their outcomes: churned at their first CHURNED outcome,
    stayed without one."""
    churns: dict[str, datetime] = {}
    for outcome in outcomes:
        if outcome.outcome == "CHURNED":
            first = churns.get(outcome.customer_id)
            if first is None or outcome.occurred_at < first:
                churns[outcome.customer_id] = outcome.occurred_at
    return {
        cid: Truth(cid, cid in churns, churns.get(cid))
        for cid in sorted(set(customers) | churns.keys())
    }


def decoded(
    path: Path, records: Counter[str], undecodable: Counter[str]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The file's records decoded with their channel's contract; bad ones are counted."""
    for channel, key, value in read_events(path):
        records[channel] += 1
        try:
            yield channel, key, schemas.codec(SCHEMAS[channel]).decode(value)
        except schemas.AvroDecodeError as exc:
            undecodable[exc.reason] += 1


def without_outcomes(
    records: Iterable[tuple[str, str, dict[str, Any]]], outcomes: list[CustomerOutcome]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The records that are replayed; the customer outcomes among them go to ``outcomes``."""
    for channel, key, record in records:
        if channel == "OUTCOME":
            outcomes.append(CustomerOutcome.from_record(record))
        else:
            yield channel, key, record


def run_backtest(
    events_path: Path,
    truth_path: Path | None,
    rules_path: Path | None = None,
    compare_path: Path | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> BacktestRun:
    """Replays the file through the rules (and ``compare_path``'s), scored against the
    truth: ``truth_path``'s CSV, or the file's own customer outcomes when it is None."""
    from pipeline.simulation.simulate import EventFileError
    from processors.rules import RulesError

    started = time.perf_counter()
    truth = read_truth(truth_path) if truth_path is not None else {}
    outcomes: list[CustomerOutcome] = []
    try:
        versions = [("A", load_rules(rules_path))]
        if compare_path is not None:
            versions.append(("B", load_rules(compare_path)))
    except RulesError as exc:
        raise BacktestError(str(exc)) from exc
    records: Counter[str] = Counter()
    undecodable: Counter[str] = Counter()
    with progress_bar() as bar:
        task = bar.add_task("normalizing", total=None)
        try:
            prepared = prepare(
                without_outcomes(decoded(events_path, records, undecodable), outcomes),
                progress=lambda n: bar.advance(task, n),
            )
        except (OSError, EventFileError) as exc:
            raise BacktestError(str(exc)) from exc
        bar.update(task, total=sum(records.values()))
        profiled = {s.profile.customer_id for s in prepared.steps if s.profile is not None}
        if truth_path is None:
            if not records["OUTCOME"]:
                raise BacktestError(
                    f"{events_path} holds no customer outcomes: give the ground truth with "
                    "--truth, or record the events with a version of `carepipe simulate` "
                    "that writes outcomes"
                )
            truth = truth_from_outcomes(outcomes, profiled)
        elif profiled and not profiled & truth.keys():
            raise BacktestError(
                f"{truth_path} names none of the {len(profiled):,} customers of {events_path}: "
                "is it the truth of another simulation?"
            )
        evaluations = []
        for name, rules in versions:
            task = bar.add_task(f"replaying {name}", total=len(prepared.steps))
            result = replay(prepared, rules, progress=lambda n, t=task: bar.advance(t, n))
            evaluations.append((name, evaluate(result, truth, prepared.days, horizon_days)))
    run = BacktestRun(
        events_path, truth_path, horizon_days, records, prepared, undecodable, evaluations
    )
    run.truth = truth
    run.unlabeled = len(profiled - truth.keys())
    if len(evaluations) == 2:
        run.comparison = compare(evaluations[0][1], evaluations[1][1])
    run.seconds = time.perf_counter() - started
    return run


def report_data(run: BacktestRun, rule_files: Mapping[str, str]) -> dict[str, Any]:
    """The report as plain data (the JSON report; the Markdown one says the same)."""
    first = run.evaluations[0][1]
    data: dict[str, Any] = {
        "events": str(run.events_path),
        "truth": str(run.truth_path) if run.truth_path else "customer outcomes in the events",
        "horizon_days": run.horizon_days,
        "wall_seconds": round(run.seconds, 1),
        "population": {
            "customers": first.customers,
            "churners": first.churners,
            "churn_rate": _round(first.churners / first.customers if first.customers else None),
            "days": round(first.days, 2),
            "unlabeled_customers": run.unlabeled,
            "records": dict(sorted(run.records.items())),
            "rejected": dict(sorted((run.prepared.rejected + run.undecodable).items())),
        },
        "rules": [],
    }
    for name, e in run.evaluations:
        data["rules"].append(
            {
                "name": name,
                "file": rule_files.get(name, "default"),
                "version": e.rules_version,
                "at_risk_threshold": e.at_risk_threshold,
                "precision": _round(e.precision),
                "recall": _round(e.recall),
                "f1": _round(e.f1),
                "flagged": len(e.flagged),
                "true_positives": len(e.true_positives),
                "false_positives": len(e.false_positives),
                "false_negatives": e.false_negatives,
                "early": len(e.early),
                "lead_days_median": _round(e.lead_median, 2),
                "lead_days_p90": _round(e.lead_p90, 2),
                "alerts_opened": e.opened,
                "alerts_per_1k_customers_per_day": {
                    "ALL": _round(e.alerts_per_1k_customers_per_day(), 3),
                    **{t: _round(e.alerts_per_1k_customers_per_day(t), 3) for t in ALERT_TYPES},
                },
                "first_alert_reasons": {"churners": e.reasons_true, "stayers": e.reasons_false},
                "curve": [
                    {
                        "threshold": p.threshold,
                        "precision": _round(p.precision),
                        "recall": _round(p.recall),
                        "flagged": p.flagged,
                    }
                    for p in e.curve
                ],
            }
        )
    if run.comparison is not None:
        data["compare"] = {
            "only_a": [_who(run, c) for c in run.comparison.only_a],
            "only_b": [_who(run, c) for c in run.comparison.only_b],
        }
    return data


def markdown(data: Mapping[str, Any]) -> str:
    pop, rules = data["population"], data["rules"]
    names = [r["name"] for r in rules]
    lines = [
        "# Backtest of the risk rules",
        "",
        f"Events `{data['events']}`, truth `{data['truth']}`; a churner counts as caught when "
        f"an AT_RISK alert opened in the {data['horizon_days']} days before they left. "
        f"Replayed in {data['wall_seconds']} s.",
        "",
        f"- customers: {pop['customers']:,}, churners: {pop['churners']:,} "
        f"({_pct(pop['churn_rate'])}), span: {pop['days']} days"
        + (
            f", not in the truth: {pop['unlabeled_customers']:,}"
            if pop["unlabeled_customers"]
            else ""
        ),
        "- records: " + ", ".join(f"{k} {v:,}" for k, v in pop["records"].items()),
        "- rejected: " + (", ".join(f"{k} {v:,}" for k, v in pop["rejected"].items()) or "none"),
        "",
        "| | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    rows = [
        ("rules file", lambda r: f"`{r['file']}`"),
        ("rules version", lambda r: f"`{r['version']}`"),
        ("AT_RISK threshold", lambda r: f"{r['at_risk_threshold']:g}"),
        ("precision", lambda r: _num(r["precision"])),
        ("recall", lambda r: _num(r["recall"])),
        ("F1", lambda r: _num(r["f1"])),
        ("flagged customers", lambda r: f"{r['flagged']:,}"),
        ("true positives", lambda r: f"{r['true_positives']:,}"),
        ("false positives", lambda r: f"{r['false_positives']:,}"),
        ("missed churners", lambda r: f"{r['false_negatives']:,}"),
        ("flagged too early", lambda r: f"{r['early']:,}"),
        ("lead time median (days)", lambda r: _num(r["lead_days_median"], 1)),
        ("lead time p90 (days)", lambda r: _num(r["lead_days_p90"], 1)),
    ]
    for kind in ("ALL", *ALERT_TYPES):
        rows.append(
            (
                f"{'alerts' if kind == 'ALL' else kind} per 1k customers per day",
                lambda r, k=kind: _num(r["alerts_per_1k_customers_per_day"][k], 2),
            )
        )
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in rules) + " |")
    for r in rules:
        lines += ["", f"Reasons on the first AT_RISK alert ({r['name']}), share of alerts:", ""]
        lines += ["| reason | churners caught | stayers flagged |", "|---|---:|---:|"]
        caught, stayers = r["first_alert_reasons"]["churners"], r["first_alert_reasons"]["stayers"]
        for code in sorted(set(caught) | set(stayers), key=lambda c: -caught.get(c, 0)):
            lines.append(
                f"| {code} | {_pct(_share(caught.get(code, 0), r['true_positives']))} "
                f"| {_pct(_share(stayers.get(code, 0), r['false_positives']))} |"
            )
    if "compare" in data:
        for side, key in (("A", "only_a"), ("B", "only_b")):
            who = data["compare"][key]
            churned = sum(1 for w in who if w["churned"])
            lines += [
                "",
                f"Flagged by {side} only: {len(who):,} customers ({churned:,} of them churned)",
            ]
            if who:
                shown = ", ".join(
                    f"{w['customer_id']}{' (churned)' if w['churned'] else ''}"
                    for w in who[:LISTED]
                )
                lines.append("")
                lines.append(
                    shown + (f", and {len(who) - LISTED:,} more" if len(who) > LISTED else "")
                )
    return "\n".join(lines) + "\n"


def summary_line(rules: Mapping[str, Any]) -> str:
    """One rule set's headline figures, for the terminal."""
    per_day = rules["alerts_per_1k_customers_per_day"]
    return (
        f"{rules['name']}: precision {_num(rules['precision'])}, recall {_num(rules['recall'])}, "
        f"F1 {_num(rules['f1'])}, lead time median {_num(rules['lead_days_median'], 1)} days "
        f"(p90 {_num(rules['lead_days_p90'], 1)}), alerts per 1k customers per day "
        f"{_num(per_day['ALL'], 2)} (AT_RISK {_num(per_day['AT_RISK'], 2)})"
    )


def write_report(path: Path, data: Mapping[str, Any]) -> None:
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(data, indent=2) + "\n")
    else:
        path.write_text(markdown(data))


def write_plot(path: Path, evaluations: list[tuple[str, Evaluation]]) -> None:
    """Precision and recall against the threshold, and the churners' and stayers' highest
    scores (PNG, matplotlib's Agg canvas; pyplot is not used, so no GUI backend loads)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    curves, scores = figure.subplots(1, 2)
    for (name, e), style in zip(evaluations, ("-", "--"), strict=False):
        x = [p.threshold for p in e.curve]
        precision = [float("nan") if p.precision is None else p.precision for p in e.curve]
        recall = [float("nan") if p.recall is None else p.recall for p in e.curve]
        curves.plot(x, precision, style, color="tab:blue", label=f"precision ({name})")
        curves.plot(x, recall, style, color="tab:orange", label=f"recall ({name})")
        curves.axvline(e.at_risk_threshold, linestyle=style, color="grey", linewidth=0.8)
    curves.set(
        xlabel="threshold on the customer's highest score",
        ylim=(0, 1.02),
        xlim=(0, 100),
        title=f"AT_RISK within {evaluations[0][1].horizon_days} days before churn",
    )
    curves.legend(loc="center right", fontsize="small")
    e = evaluations[0][1]
    # Shares of each group (not density=True, which divides by zero for an empty group).
    groups = [
        (values, label, color)
        for values, label, color in (
            (e.stayer_max_scores, f"stayed ({len(e.stayer_max_scores):,})", "tab:green"),
            (e.churner_max_scores, f"churned ({len(e.churner_max_scores):,})", "tab:red"),
        )
        if values
    ]
    if groups:
        scores.hist(
            [list(values) for values, _, _ in groups],
            bins=list(range(0, 105, 5)),
            weights=[[1 / len(values)] * len(values) for values, _, _ in groups],
            label=[label for _, label, _ in groups],
            color=[color for _, _, color in groups],
        )
        scores.legend(fontsize="small")
    scores.axvline(e.at_risk_threshold, color="grey", linewidth=0.8)
    scores.set(
        xlabel="highest score before churn or the end (0: no signal or no contact)",
        ylabel="share of the group's customers",
        title=f"score distributions ({evaluations[0][0]})",
    )
    figure.savefig(path, format="png", dpi=100)


def _who(run: BacktestRun, customer_id: str) -> dict[str, Any]:
    fact = run.truth.get(customer_id)
    return {"customer_id": customer_id, "churned": bool(fact and fact.churned)}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
