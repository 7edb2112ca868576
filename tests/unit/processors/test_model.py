"""The trained model's scorer: exact contributions, the Platt mapping, the alerting rules it
sets, the AT_RISK alert it raises, and the validation of a model file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from pipeline.modelfile import load_model
from processors.care import process_interaction
from processors.features import FEATURES, NAMES
from processors.model import FORMAT, ModelError, RiskModel, sigmoid
from tests.unit.processors.journey import RULES, at, contact, profile, survey


def model_data(**changes: Any) -> dict[str, Any]:
    """A small model: churn talk and low NPS raise the risk, tone lowers it."""
    coefficients = {"CHURN_INTENT": 1.2, "nps_gap": 0.8, "sentiment_recent": -0.5}
    data: dict[str, Any] = {
        "format": FORMAT,
        "features": [
            {
                "name": f.name,
                "template": f.template,
                "mean": 0.5,
                "scale": 10.0,
                "coefficient": coefficients.get(f.name, 0.0),
            }
            for f in FEATURES
        ],
        "intercept": -2.0,
        "calibration": {"method": "platt", "a": 0.9, "b": -0.3},
        "horizon_days": 30,
        "threshold": 0.4,
        "recover_below": 0.24,
        "severity_bands": {"MEDIUM": 0.4, "HIGH": 0.6, "CRITICAL": 0.8},
    }
    data.update(changes)
    return data


MODEL = RiskModel.from_dict(model_data())


def test_contributions_and_baseline_sum_to_the_calibrated_log_odds() -> None:
    values = dict.fromkeys(NAMES, 0.0) | {"CHURN_INTENT": 30.0, "nps_gap": 8.0}
    contributions = MODEL.contributions(values)
    a, b = 0.9, -0.3
    expected_raw = -2.0 + 1.2 * (30 - 0.5) / 10 + 0.8 * (8 - 0.5) / 10 - 0.5 * (0 - 0.5) / 10
    assert MODEL.log_odds(values) == pytest.approx(a * expected_raw + b)
    assert MODEL.baseline() + math.fsum(contributions.values()) == pytest.approx(
        MODEL.log_odds(values)
    )
    assert contributions["CHURN_INTENT"] == pytest.approx(a * 1.2 * (30 - 0.5) / 10)
    assert MODEL.probability(values) == pytest.approx(1 / (1 + math.exp(-(a * expected_raw + b))))


def test_reasons_list_the_risers_largest_first_and_sum_to_the_log_odds() -> None:
    values = dict.fromkeys(NAMES, 0.0) | {"CHURN_INTENT": 30.0, "nps_gap": 8.0}
    reasons = MODEL.reasons(values)
    codes = [r.code for r in reasons]
    assert codes[:2] == ["CHURN_INTENT", "nps_gap"]
    assert codes[-2:] == ["OTHER_FEATURES", "BASELINE"]
    assert reasons[0].explanation == "talked of leaving (30 rule points)"
    assert reasons[1].explanation == "NPS 8 point(s) under 10"
    assert math.fsum(r.contribution for r in reasons) == pytest.approx(
        MODEL.log_odds(values), abs=0.01
    )


def test_platt_mapping_is_a_sigmoid_of_the_scaled_log_odds() -> None:
    for z in (-30.0, -1.0, 0.0, 0.7, 30.0):
        assert sigmoid(z) == pytest.approx(1 / (1 + math.exp(-z)))
    assert sigmoid(-800) == 0.0 and sigmoid(800) == 1.0  # no overflow


def test_alerting_rules_put_the_thresholds_on_the_alerts_scale() -> None:
    rules = MODEL.alerting_rules(RULES)
    assert rules.alerting.at_risk_threshold == 40
    assert rules.alerting.recover_below == 24
    assert rules.severity_for(65) == "HIGH"
    assert rules.version.endswith(MODEL.version)
    budgeted = MODEL.alerting_rules(RULES, threshold=0.1)
    assert budgeted.alerting.at_risk_threshold == 10
    assert budgeted.alerting.recover_below == 6


def test_a_worker_step_with_the_model_raises_at_risk_with_model_reasons() -> None:
    rules = MODEL.alerting_rules(RULES)
    who = profile()
    outcome = process_interaction(
        None,
        contact(
            "VOICE",
            at(),
            "I want to cancel my subscription",
            sentiment=-0.6,
            outcome="UNRESOLVED",
            case_id="K1",
            survey=survey(at(), nps=1),
        ),
        who,
        rules,
        at(minutes=1),
        MODEL.assess,
    )
    assert outcome.risk is not None
    assert outcome.risk.score > 40
    (alert,) = [a for a in outcome.alerts if a.alert_type == "AT_RISK"]
    assert alert.reasons[0].code == "CHURN_INTENT"
    assert alert.rules_version == rules.version
    assert outcome.risk.base_points == pytest.approx(
        math.log(outcome.risk.score / (100 - outcome.risk.score)), abs=0.01
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other/1"}, "format: Input should be 'carepipe-risk-model/1'"),
        ({"threshold": 1.5}, "threshold: Input should be less than 1"),
        ({"recover_below": 0.5}, "recover_below must be lower than threshold"),
        ({"calibration": {"method": "isotonic", "a": 1, "b": 0}}, "calibration.method"),
        ({"calibration": {"a": -1, "b": 0}}, "calibration.a: Input should be greater than 0"),
        ({"severity_bands": {"MEDIUM": 0.5, "HIGH": 0.4, "CRITICAL": 0.8}}, "must rise"),
        ({"surprise": 1}, "surprise: unknown key"),
        ({"intercept": None}, "intercept"),
    ],
)
def test_model_validation_names_the_bad_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelError, match="invalid model: .*" + message.replace("(", r"\(")):
        RiskModel.from_dict(model_data(**change))


def test_an_unknown_feature_or_a_broken_template_is_refused() -> None:
    data = model_data()
    data["features"][0]["name"] = "shoe_size"
    with pytest.raises(ModelError, match="features.0: unknown feature 'shoe_size'"):
        RiskModel.from_dict(data)
    data = model_data()
    data["features"][0]["template"] = "{points}"
    with pytest.raises(ModelError, match="does not format a value"):
        RiskModel.from_dict(data)


def test_a_model_file_that_is_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("not json")
    with pytest.raises(ModelError, match=f"{path}: not a JSON model file"):
        load_model(path)
    with pytest.raises(ModelError, match="cannot read the model file"):
        load_model(tmp_path / "missing.json")
    path.write_text(json.dumps(model_data()))
    assert load_model(path) == MODEL
