"""Risk scoring: each signal's code, weight and points (from the rules, not magic numbers),
caps, reach, multipliers, the 100 cap, severity bands and the order of reasons."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from processors.interaction import Interaction
from processors.profile import CustomerProfile
from processors.risk import FULL_NEGATIVE, Reason, RiskAssessment, reach_factor
from processors.rules import Rules
from tests.unit.processors.journey import RULES, at, contact, post, profile, rules_with, run, survey

T = RULES.thresholds
W = RULES.signals
M = RULES.multipliers
CHURN_TEXT = "I want to cancel my subscription"


def risk_of(
    *interactions: Interaction, who: CustomerProfile | None = None, rules: Rules = RULES
) -> RiskAssessment:
    """The assessment of the last interaction, after all of them."""
    risk = run(*interactions, who=who, rules=rules)[-1].risk
    assert risk is not None
    return risk


def reason(risk: RiskAssessment, code: str) -> Reason:
    matches = [r for r in risk.reasons if r.code == code]
    assert len(matches) == 1, f"{code} not exactly once in {risk.codes}"
    return matches[0]


def points(code: str, units: float, rules: Rules = RULES) -> float:
    return round(rules.signals.get(code).weight * units, 1)


# ----------------------------------------------------------------------- one per signal


@dataclass(frozen=True)
class SignalCase:
    code: str
    fires: tuple[Interaction, ...]
    units: float
    near_miss: tuple[Interaction, ...]


def unresolved(
    days: float, text: str = "", sentiment: float | None = None, queue_wait: int = 0
) -> Interaction:
    """A call on case K1 that did not solve it."""
    return contact("VOICE", at(days), text, sentiment, "UNRESOLVED", "K1", queue_wait=queue_wait)


SIGNAL_CASES = [
    SignalCase(
        "NEGATIVE_SENTIMENT",
        (contact("CHAT", at(), sentiment=-0.45),),
        -0.45 / FULL_NEGATIVE,
        (contact("CHAT", at(), sentiment=round(T.negative_sentiment + 0.01, 2)),),
    ),
    SignalCase(
        "SENTIMENT_DECLINE",
        tuple(contact("CHAT", at(d), sentiment=s) for d, s in enumerate([0.8, 0.8, 0.8, 0, 0])),
        1,
        tuple(contact("CHAT", at(d), sentiment=s) for d, s in enumerate([0.8, 0.8, 0.8, 0])),
    ),
    SignalCase(
        "CHURN_INTENT",
        (contact("EMAIL", at(), CHURN_TEXT),),
        1,
        (contact("EMAIL", at(), "Please cancel my order"),),
    ),
    SignalCase(
        "REPEAT_CONTACT", (unresolved(0), unresolved(1), unresolved(2)), 2, (unresolved(0),)
    ),
    SignalCase(
        "ESCALATION",
        (contact("VOICE", at(), case_id="K1", outcome="ESCALATED"),),
        1,
        (
            contact("VOICE", at(0), case_id="K1", outcome="ESCALATED"),
            contact("VOICE", at(1), case_id="K1", outcome="RESOLVED"),
        ),
    ),
    SignalCase(
        "LONG_WAIT",
        (contact("VOICE", at(), queue_wait=T.long_wait_seconds),),
        1,
        (contact("VOICE", at(), queue_wait=T.long_wait_seconds - 1),),
    ),
    SignalCase(
        "ABANDONED_CALLS",
        (contact("VOICE", at(), outcome="ABANDONED"),),
        1,
        (contact("VOICE", at(0), outcome="ABANDONED"), contact("EMAIL", at(8))),  # out of 7 days
    ),
    SignalCase(
        "DETRACTOR",
        (contact("VOICE", at(), survey=survey(at(), nps=T.detractor_nps_at_most)),),
        0.5,  # the threshold answer: half the weight
        (contact("VOICE", at(), survey=survey(at(), nps=T.detractor_nps_at_most + 1)),),
    ),
    SignalCase(
        "LOW_CSAT",
        (contact("CHAT", at(), survey=survey(at(), csat=T.low_csat_at_most)),),
        0.5,  # the threshold answer: half the weight
        (contact("CHAT", at(), survey=survey(at(), csat=T.low_csat_at_most + 1)),),
    ),
    SignalCase(
        "HIGH_EFFORT",
        (contact("CHAT", at(), survey=survey(at(), ces=T.high_effort_ces_at_least)),),
        0.5,  # the threshold answer: half the weight
        (contact("CHAT", at(), survey=survey(at(), ces=T.high_effort_ces_at_least - 1)),),
    ),
    SignalCase(
        "PUBLIC_COMPLAINT",
        (post(at(), "Terrible service", -0.5, followers=0),),
        reach_factor(0),
        (contact("SOCIAL", at(), "Terrible service", sentiment=-0.5, public=False),),
    ),
    SignalCase(
        "UNRESOLVED_AGING",
        (unresolved(0), contact("EMAIL", at(T.unresolved_aging_days))),
        1,
        (unresolved(0), contact("EMAIL", at(T.unresolved_aging_days, minutes=-1))),
    ),
]


def test_every_signal_has_a_case() -> None:
    from processors.rules import SIGNALS

    assert sorted(c.code for c in SIGNAL_CASES) == sorted(SIGNALS)


@pytest.mark.parametrize("case", SIGNAL_CASES, ids=lambda c: c.code)
def test_signal_fires_with_its_weight_and_points(case: SignalCase) -> None:
    risk = risk_of(*case.fires)
    fired = reason(risk, case.code)
    assert fired.weight == W.get(case.code).weight
    assert fired.contribution == points(case.code, case.units)
    assert fired.contribution > 0
    assert fired.explanation


@pytest.mark.parametrize("case", SIGNAL_CASES, ids=lambda c: c.code)
def test_signal_does_not_fire_just_short_of_its_threshold(case: SignalCase) -> None:
    assert case.code not in risk_of(*case.near_miss).codes


def test_a_content_customer_scores_zero_whatever_the_profile() -> None:
    calm = (
        contact(
            "VOICE", at(0), "All good, thanks", sentiment=0.6, case_id="K1", outcome="RESOLVED"
        ),
        contact("CHAT", at(1), "Quick question about my bill", sentiment=0.1),
    )
    for who in (profile(), profile("PLATINUM", 1_000_000, renewal_in_days=3)):
        risk = risk_of(*calm, who=who)
        assert (risk.score, risk.severity, risk.reasons) == (0, "LOW", ())


def test_negative_sentiment_counts_at_full_weight_beyond_full_negative() -> None:
    risk = risk_of(contact("CHAT", at(), sentiment=FULL_NEGATIVE - 0.3))
    assert reason(risk, "NEGATIVE_SENTIMENT").contribution == points("NEGATIVE_SENTIMENT", 1)


def test_negative_sentiment_fires_on_the_recent_average_when_this_contact_has_none() -> None:
    risk = risk_of(contact("CHAT", at(0), sentiment=-0.9), contact("EMAIL", at(1)))
    negative = reason(risk, "NEGATIVE_SENTIMENT")
    assert negative.contribution == points("NEGATIVE_SENTIMENT", 1)
    assert "recent" in negative.explanation


def test_churn_intent_is_forgotten_after_its_memory() -> None:
    days = T.churn_intent_memory_days
    said = contact("EMAIL", at(0), CHURN_TEXT)
    assert "CHURN_INTENT" in risk_of(said, contact("EMAIL", at(days, minutes=-1))).codes
    assert "CHURN_INTENT" not in risk_of(said, contact("EMAIL", at(days))).codes


def test_churn_intent_is_cleared_by_a_later_resolution() -> None:
    risk = risk_of(
        contact("EMAIL", at(0), CHURN_TEXT, case_id="K1"),
        contact("VOICE", at(1), sentiment=0.5, case_id="K1", outcome="RESOLVED"),
    )
    assert "CHURN_INTENT" not in risk.codes


def test_surveys_are_forgotten_after_their_memory() -> None:
    days = T.survey_memory_days
    answered = contact("VOICE", at(0), survey=survey(at(0), csat=1, nps=0, ces=7))
    kept = risk_of(answered, contact("EMAIL", at(days, minutes=-1))).codes
    forgotten = risk_of(answered, contact("EMAIL", at(days))).codes
    assert {"DETRACTOR", "LOW_CSAT", "HIGH_EFFORT"} <= set(kept)
    assert {"DETRACTOR", "LOW_CSAT", "HIGH_EFFORT"}.isdisjoint(forgotten)


def test_a_public_complaint_counts_for_seven_days_and_until_a_resolution() -> None:
    complaint = post(at(0), "Awful", -0.6, followers=50)
    assert "PUBLIC_COMPLAINT" in risk_of(complaint, contact("EMAIL", at(6))).codes
    assert "PUBLIC_COMPLAINT" not in risk_of(complaint, contact("EMAIL", at(7))).codes
    resolved = contact("VOICE", at(1), sentiment=0.5, outcome="RESOLVED")
    assert "PUBLIC_COMPLAINT" not in risk_of(complaint, resolved).codes


def test_a_public_complaint_is_weighted_by_its_reach() -> None:
    risk = risk_of(post(at(), "Awful", -0.6, followers=5_000))
    assert reason(risk, "PUBLIC_COMPLAINT").contribution == points(
        "PUBLIC_COMPLAINT", reach_factor(5_000)
    )


# -------------------------------------------------------------------------------- caps


OVER_CAP = {
    "REPEAT_CONTACT": [unresolved(d / 10) for d in range(W.REPEAT_CONTACT.cap + 3)],
    "ESCALATION": [
        contact("VOICE", at(d), case_id="K1", outcome="ESCALATED")
        for d in range(W.ESCALATION.cap + 1)
    ],
    "LONG_WAIT": [
        contact("VOICE", at(d), queue_wait=T.long_wait_seconds * 2)
        for d in range(W.LONG_WAIT.cap + 2)
    ],
    "ABANDONED_CALLS": [
        contact("VOICE", at(d / 4), outcome="ABANDONED") for d in range(W.ABANDONED_CALLS.cap + 2)
    ],
    "UNRESOLVED_AGING": [
        unresolved(0),
        contact("EMAIL", at(T.unresolved_aging_days * (W.UNRESOLVED_AGING.cap + 2))),
    ],
}


@pytest.mark.parametrize("code", sorted(OVER_CAP))
def test_counted_signals_stop_at_their_cap(code: str) -> None:
    cap = W.get(code).cap
    assert cap > 1
    assert reason(risk_of(*OVER_CAP[code]), code).contribution == points(code, cap)


def test_public_complaints_count_the_loudest_posts_up_to_the_cap() -> None:
    followers = [10, 100_000, 1_000, 50]
    posts = [post(at(hours=n), f"Awful {n}", -0.6, followers=f) for n, f in enumerate(followers)]
    loudest = sorted(followers, reverse=True)[: W.PUBLIC_COMPLAINT.cap]
    expected = points("PUBLIC_COMPLAINT", sum(reach_factor(f) for f in loudest))
    assert reason(risk_of(*posts), "PUBLIC_COMPLAINT").contribution == expected


def test_a_cap_from_the_rules_file_is_honoured() -> None:
    rules = rules_with({"signals": {"REPEAT_CONTACT": {"cap": 5}}})
    calls = [unresolved(d / 10) for d in range(8)]
    risk = risk_of(*calls, rules=rules)
    assert reason(risk, "REPEAT_CONTACT").contribution == points("REPEAT_CONTACT", 5, rules)


@pytest.mark.parametrize(
    ("followers", "factor"),
    [
        (0, 1.0),
        (-5, 1.0),
        (9, 1.25),
        (99, 1.5),
        (999, 1.75),
        (9_999, 2.0),
        (999_999, 2.5),
        (10**9, 2.5),
        (5_000, round(1 + math.log10(5_001) / 4, 3)),
    ],
)
def test_reach_factor(followers: int, factor: float) -> None:
    assert reach_factor(followers) == pytest.approx(factor)


# ------------------------------------------------------------------------- multipliers


@pytest.mark.parametrize(
    ("tier", "lifetime_value", "renewal_in_days", "high_value", "renewal"),
    [
        ("BASIC", 0, None, None, False),
        ("BASIC", M.high_value_lifetime_value - 1, M.renewal_within_days + 1, None, False),
        ("BASIC", 0, -1, None, False),  # renewal already past
        ("GOLD", 0, None, M.tier["GOLD"], False),
        ("SILVER", 0, None, M.tier["SILVER"], False),
        ("BASIC", M.high_value_lifetime_value, None, M.high_value_factor, False),
        ("PLATINUM", 10**6, None, M.tier["PLATINUM"] * M.high_value_factor, False),
        ("BASIC", 0, M.renewal_within_days, None, True),
        ("BASIC", 0, 0, None, True),
        ("GOLD", M.high_value_lifetime_value, 10, M.tier["GOLD"] * M.high_value_factor, True),
    ],
)
def test_multipliers(
    tier: str,
    lifetime_value: float,
    renewal_in_days: int | None,
    high_value: float | None,
    renewal: bool,
) -> None:
    base = points("CHURN_INTENT", 1)
    who = profile(tier, lifetime_value, renewal_in_days)

    risk = risk_of(contact("EMAIL", at(), CHURN_TEXT), who=who)

    value = high_value or 1.0
    factor = value * (M.renewal_factor if renewal else 1.0)
    assert risk.base_points == base
    assert risk.multiplier == pytest.approx(factor, abs=1e-3)
    assert risk.score == round(min(100.0, base * factor), 1)
    if high_value:
        hv = reason(risk, "HIGH_VALUE")
        assert hv.weight == pytest.approx(high_value, abs=1e-3)
        assert hv.contribution == round(base * (high_value - 1), 1)
    else:
        assert "HIGH_VALUE" not in risk.codes
    if renewal:
        near = reason(risk, "RENEWAL_NEAR")
        assert near.weight == M.renewal_factor
        assert near.contribution == round(base * value * (M.renewal_factor - 1), 1)
    else:
        assert "RENEWAL_NEAR" not in risk.codes


def test_a_tier_factor_below_one_lowers_the_score() -> None:
    rules = rules_with({"multipliers": {"tier": {"BASIC": 0.8}}})
    risk = risk_of(contact("EMAIL", at(), CHURN_TEXT), who=profile("BASIC"), rules=rules)
    assert risk.score == round(points("CHURN_INTENT", 1, rules) * 0.8, 1)


def test_the_score_is_capped_at_100() -> None:
    risk = risk_of(
        *[unresolved(d / 10, text=CHURN_TEXT, sentiment=-0.9) for d in range(5)],
        post(at(1), "Disgraceful", -0.9, followers=1_000_000),
        contact("VOICE", at(1, hours=1), survey=survey(at(1), csat=1, nps=0, ces=7)),
        who=profile("PLATINUM", 10**6, renewal_in_days=5),
    )
    assert risk.base_points > 100
    assert risk.score == 100.0
    assert risk.severity == "CRITICAL"


# ---------------------------------------------------------------------- severity, order

BANDS = RULES.alerting.severity_bands
EDGES = [
    (0.0, "LOW"),
    (BANDS["MEDIUM"] - 0.1, "LOW"),
    (BANDS["MEDIUM"], "MEDIUM"),
    (BANDS["HIGH"] - 0.1, "MEDIUM"),
    (BANDS["HIGH"], "HIGH"),
    (BANDS["CRITICAL"] - 0.1, "HIGH"),
    (BANDS["CRITICAL"], "CRITICAL"),
    (100.0, "CRITICAL"),
]


@pytest.mark.parametrize(("score", "severity"), EDGES)
def test_severity_bands_at_their_edges(score: float, severity: str) -> None:
    assert RULES.severity_for(score) == severity


@pytest.mark.parametrize(("score", "severity"), [e for e in EDGES if e[0] > 0])
def test_assessed_severity_at_band_edges(score: float, severity: str) -> None:
    rules = rules_with({"signals": {"CHURN_INTENT": {"weight": score}}})
    risk = risk_of(contact("EMAIL", at(), CHURN_TEXT), rules=rules)
    assert (risk.score, risk.severity) == (score, severity)


MULTIPLIER_CODES = {"HIGH_VALUE", "RENEWAL_NEAR"}


def test_reasons_are_signals_largest_first_then_multipliers() -> None:
    risk = risk_of(
        unresolved(0, sentiment=-0.4, queue_wait=900),
        unresolved(0.5, sentiment=-0.5, text=CHURN_TEXT),
        contact("VOICE", at(1), case_id="K1", outcome="ESCALATED", survey=survey(at(1), csat=2)),
        who=profile("GOLD", renewal_in_days=20),
    )
    signals = [r for r in risk.reasons if r.code not in MULTIPLIER_CODES]
    contributions = [r.contribution for r in signals]
    assert contributions == sorted(contributions, reverse=True)
    # The multipliers come last, in the order they apply, after every signal.
    assert risk.codes[-2:] == ["HIGH_VALUE", "RENEWAL_NEAR"]
    assert risk.reasons[: len(signals)] == tuple(signals)
    assert {
        "CHURN_INTENT",
        "REPEAT_CONTACT",
        "ESCALATION",
        "LONG_WAIT",
        "LOW_CSAT",
        "HIGH_VALUE",
        "RENEWAL_NEAR",
    } <= set(risk.codes)
    assert risk.base_points == pytest.approx(sum(contributions))
    assert risk.score == round(min(100.0, risk.base_points * risk.multiplier), 1)
