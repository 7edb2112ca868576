"""A trained risk model, scored in plain Python: a logistic regression over
:mod:`processors.features`, Platt-calibrated, read from the JSON that ``carepipe train``
writes. An alternative to the rules' points (:func:`processors.risk.assess`) with the
same shape of answer, a :class:`~processors.risk.RiskAssessment`.

The score is the calibrated probability of churn within the model's horizon, on the
0-100 scale of the alerts (probability x 100). The reasons are each feature's exact
contribution to the calibrated log-odds: with standardised ``z = (x - mean) / scale``,
``log-odds = b + a * (intercept + sum(coef * z))``, so feature i adds
``a * coef_i * z_i``, zero for a customer at the training average. The reasons list the
features that raise the risk, largest first, then ``OTHER_FEATURES`` (the rest, summed)
and ``BASELINE`` (``a * intercept + b``): together they sum to the log-odds.

>>> model = RiskModel.from_dict(json.loads(path.read_text()))  # doctest: +SKIP
>>> model.assess(history, interaction, profile, model.alerting_rules(rules))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from processors.errors import StartupError
from processors.features import NAMES, feature_values
from processors.history import CustomerHistory
from processors.interaction import Interaction
from processors.profile import CustomerProfile
from processors.risk import Reason, RiskAssessment, assess
from processors.rules import BANDS, Band, Rules

FORMAT = "carepipe-risk-model/1"
# Contributions below this (log-odds) are not listed one by one.
LISTED_AT_LEAST = 0.01


class ModelError(StartupError, ValueError):
    """The model file is invalid; the message names each bad key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelFeature(_Strict):
    """One input: its name, readable line, standardisation and coefficient."""

    name: str
    template: str = Field(min_length=1)
    mean: float
    scale: float = Field(gt=0)
    coefficient: float

    @model_validator(mode="after")
    def _known(self) -> ModelFeature:
        if self.name not in NAMES:
            raise ValueError(f"unknown feature {self.name!r} (known: {', '.join(NAMES)})")
        try:
            self.template.format(value=1.0)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"template of {self.name} does not format a value: {exc}") from exc
        return self


class Calibration(_Strict):
    """Platt scaling of the raw log-odds: ``calibrated = a * raw + b``."""

    method: Literal["platt"] = "platt"
    a: float = Field(gt=0)
    b: float


class RiskModel(_Strict):
    """What a model file holds; :meth:`from_dict` validates it."""

    format: Literal["carepipe-risk-model/1"]
    features: tuple[ModelFeature, ...] = Field(min_length=1)
    intercept: float
    calibration: Calibration
    horizon_days: int = Field(ge=1, le=365)
    # Probabilities: AT_RISK opens at ``threshold`` and recovers below ``recover_below``.
    threshold: float = Field(gt=0, lt=1)
    recover_below: float = Field(ge=0, lt=1)
    severity_bands: dict[Band, float]
    training: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> RiskModel:
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError("features: a feature is listed twice")
        if self.recover_below >= self.threshold:
            raise ValueError("recover_below must be lower than threshold")
        if any(band not in self.severity_bands for band in BANDS):
            raise ValueError("severity_bands needs MEDIUM, HIGH and CRITICAL")
        bands = [self.severity_bands[band] for band in BANDS]
        if bands != sorted(bands) or len(set(bands)) != 3 or bands[0] <= 0 or bands[2] >= 1:
            raise ValueError("severity_bands must rise: 0 < MEDIUM < HIGH < CRITICAL < 1")
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskModel:
        """The model of a parsed model file; ModelError names each bad key."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                key = ".".join(str(part) for part in error["loc"]) or "(top level)"
                message = error["msg"].removeprefix("Value error, ")
                if error["type"] == "extra_forbidden":
                    message = "unknown key"
                elif error["type"] == "missing":
                    message = "missing key"
                problems.append(f"{key}: {message}")
            raise ModelError("invalid model: " + "; ".join(problems)) from exc

    @property
    def version(self) -> str:
        """A content hash of the scoring part, shown as the alerts' ``rules_version``."""
        scoring = self.model_dump(exclude={"training", "metrics"})
        digest = hashlib.sha256(json.dumps(scoring, sort_keys=True).encode())
        return "model-" + digest.hexdigest()[:12]

    # Scoring ---------------------------------------------------------------------------

    def baseline(self) -> float:
        """The calibrated log-odds of a customer at the training average of every feature."""
        return self.calibration.a * self.intercept + self.calibration.b

    def contributions(self, values: Mapping[str, float]) -> dict[str, float]:
        """Each feature's exact contribution to the calibrated log-odds."""
        a = self.calibration.a
        return {
            f.name: a * f.coefficient * (values.get(f.name, 0.0) - f.mean) / f.scale
            for f in self.features
        }

    def log_odds(self, values: Mapping[str, float]) -> float:
        return self.baseline() + math.fsum(self.contributions(values).values())

    def probability(self, values: Mapping[str, float]) -> float:
        return sigmoid(self.log_odds(values))

    def reasons(self, values: Mapping[str, float]) -> tuple[Reason, ...]:
        """Features that raise the risk, largest first, then the rest and the baseline."""
        contributions = self.contributions(values)
        by_name = {f.name: f for f in self.features}
        listed = sorted(
            (name for name, c in contributions.items() if c >= LISTED_AT_LEAST),
            key=lambda name: -contributions[name],
        )
        reasons = []
        for name in listed:
            f = by_name[name]
            reasons.append(
                Reason(
                    name,
                    round(self.calibration.a * f.coefficient / f.scale, 4),
                    round(contributions[name], 3),
                    f.template.format(value=values.get(name, 0.0)),
                )
            )
        rest = math.fsum(c for name, c in contributions.items() if name not in listed)
        reasons.append(Reason("OTHER_FEATURES", 0.0, round(rest, 3), "the other features together"))
        reasons.append(
            Reason("BASELINE", 0.0, round(self.baseline(), 3), "log-odds of the average contact")
        )
        return tuple(reasons)

    def assess(
        self,
        history: CustomerHistory,
        interaction: Interaction,
        profile: CustomerProfile,
        rules: Rules,
    ) -> RiskAssessment:
        """The model's assessment, in place of :func:`processors.risk.assess`; ``rules``
        are :meth:`alerting_rules`, whose bands give the severity."""
        values = feature_values(
            history, interaction, profile, rules, assess(history, interaction, profile, rules)
        )
        logit = self.log_odds(values)
        score = round(100 * sigmoid(logit), 1)
        return RiskAssessment(
            score=score,
            severity=rules.severity_for(score),
            reasons=self.reasons(values),
            base_points=round(logit, 3),
            multiplier=1.0,
        )

    def alerting_rules(self, rules: Rules, threshold: float | None = None) -> Rules:
        """``rules`` with the model's AT_RISK threshold, recovery and severity bands on
        the 0-100 scale, and its version; ``threshold`` (a probability) overrides the
        file's, recovery and bands scaled with it."""
        if threshold is None:
            at_risk, recover = self.threshold, self.recover_below
            bands = {band: round(100 * p, 2) for band, p in self.severity_bands.items()}
        else:  # bands a third and two thirds of the way from the threshold to 1
            at_risk, recover = threshold, threshold * self.recover_below / self.threshold
            bands = {band: round(100 * (threshold + n * (1 - threshold) / 3), 2)
                     for n, band in enumerate(BANDS)}  # fmt: skip
        alerting = rules.alerting.model_copy(
            update={
                "at_risk_threshold": round(100 * at_risk, 2),
                "recover_below": round(100 * recover, 2),
                "severity_bands": bands,
            }
        )
        return rules.model_copy(
            update={"alerting": alerting, "version": f"{rules.version}+{self.version}"}
        )


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)
