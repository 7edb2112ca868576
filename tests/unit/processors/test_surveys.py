"""Survey-only detractors: a clear detractor survey on its own opens AT_RISK and says so;
a borderline one does not; an answer counts by how deep into its bad end it went."""

from __future__ import annotations

import pytest

from processors.interaction import Survey
from tests.unit.processors.journey import RULES, alerts, at, contact, run, survey


def only_contact(answers: Survey) -> list:  # type: ignore[type-arg]
    """A resolved call, in a neutral tone, that ends in a survey: the customer's only contact."""
    return run(contact("VOICE", at(), sentiment=0.0, outcome="RESOLVED", survey=answers))


def test_a_clear_detractor_survey_alone_opens_at_risk_and_says_why() -> None:
    outcomes = only_contact(survey(at(), nps=2, csat=2, ces=6))
    (opened,) = alerts(outcomes, "AT_RISK")
    assert opened.score >= RULES.alerting.at_risk_threshold
    assert [r.code for r in opened.reasons] == ["DETRACTOR", "HIGH_EFFORT", "LOW_CSAT"]
    assert opened.explanation == (
        f"risk {opened.score:.0f}/100: detractor: gave NPS 2/10; "
        "hard to get help: effort 6/7; low satisfaction: CSAT 2/5"
    )


@pytest.mark.parametrize(
    "answers",
    [
        survey(at(), nps=6, csat=2, ces=5),  # every answer just past its threshold
        survey(at(), nps=2),  # a strong detractor's NPS, nothing else
        survey(at(), nps=6),
        survey(at(), csat=1, ces=7),  # no NPS
    ],
    ids=["borderline", "nps-2-alone", "nps-6-alone", "csat-ces"],
)
def test_a_mild_survey_does_not_open_at_risk(answers: Survey) -> None:
    outcomes = only_contact(answers)
    assert alerts(outcomes, "AT_RISK") == []
    risk = outcomes[-1].risk
    assert risk is not None and 0 < risk.score < RULES.alerting.at_risk_threshold


@pytest.mark.parametrize(
    ("answers", "code", "share"),
    [
        (survey(at(), nps=6), "DETRACTOR", 0.5),
        (survey(at(), nps=3), "DETRACTOR", 0.75),
        (survey(at(), nps=0), "DETRACTOR", 1.0),
        (survey(at(), csat=2), "LOW_CSAT", 0.5),
        (survey(at(), csat=1), "LOW_CSAT", 1.0),
        (survey(at(), ces=5), "HIGH_EFFORT", 0.5),
        (survey(at(), ces=6), "HIGH_EFFORT", 0.75),
        (survey(at(), ces=7), "HIGH_EFFORT", 1.0),
    ],
)
def test_an_answer_counts_by_its_depth(answers: Survey, code: str, share: float) -> None:
    risk = only_contact(answers)[-1].risk
    assert risk is not None
    (reason,) = risk.reasons
    assert reason.code == code
    assert reason.contribution == round(RULES.signals.get(code).weight * share, 1)


def test_the_worst_survey_is_high_severity() -> None:
    (opened,) = alerts(only_contact(survey(at(), nps=0, csat=1, ces=7)), "AT_RISK")
    assert opened.severity == "HIGH"
