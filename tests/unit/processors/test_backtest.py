"""The backtest's replay and scoring on a small hand-built, labeled history.

Every customer is BASIC with no renewal and no lifetime value (multiplier 1), and each
has at most one contact, so each score is the sum of a few signals (default rules):

    customer  truth                contact (day)  signals                       score
    C-A       churns day 20        day 0          sentiment -0.6 (20) + churn   50
    C-B       churns day 35        day 30         sentiment -0.6 (20) + churn   50
    C-C       churns day 50        day 5          sentiment -0.6 (20) + churn   50
    C-D       churns day 25        day 15         sentiment -0.5 (16.7) + churn 46.7
    C-E       stays                day 10         sentiment -0.6 (20) + churn   50
    C-F       stays                day 3          sentiment -0.4 (13.3)         13.3
    C-H       stays                day 12         -0.6 (20) + NPS 3 (27) + ...  65
                                                  + CSAT 2 (10) + CES 5 (8)
    C-G       stays                -              -                             -

("churn" is CHURN_INTENT, 30 points, from "I want to cancel my subscription".)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from processors.backtest import (
    Prepared,
    Step,
    Truth,
    compare,
    evaluate,
    percentile,
    prepare,
    replay,
)
from processors.history import ms
from processors.interaction import Interaction
from tests.unit.processors.journey import RULES, T0, at, contact, profile, rules_with, survey

CHURN_WORDS = "I want to cancel my subscription, this is useless."
HORIZON = 30
# B lowers the threshold to 45 (so C-D's 46.7 is flagged) and DETRACTOR to 5 points
# (so C-H falls to 20 + 3.75 + 10 + 8 = 41.8 and is not).
RULES_B = rules_with(
    {"alerting": {"at_risk_threshold": 45}, "signals": {"DETRACTOR": {"weight": 5}}}
)


def angry(
    customer: str, day: float, sentiment: float = -0.6, case: bool = True, **kw: object
) -> Interaction:
    return contact(
        "CHAT",
        at(day),
        CHURN_WORDS,
        sentiment=sentiment,
        outcome="UNRESOLVED",
        case_id=f"K-{customer}" if case else None,
        customer=customer,
        **kw,  # type: ignore[arg-type]
    )


CONTACTS = (
    angry("C-A", 0),
    contact("CHAT", at(3), "Not great.", sentiment=-0.4, outcome="UNRESOLVED", customer="C-F"),
    angry("C-C", 5),
    angry("C-E", 10),
    contact(
        "VOICE",
        at(12),
        "Hmm.",
        sentiment=-0.6,
        outcome="UNRESOLVED",
        case_id=None,  # no case: nothing to age into its score
        customer="C-H",
        survey=survey(at(12), csat=2, nps=3, ces=5),
    ),
    angry("C-D", 15, sentiment=-0.5, case=False),  # no case: nothing to age into its score
    angry("C-B", 30),
)
CUSTOMERS = ("C-A", "C-B", "C-C", "C-D", "C-E", "C-F", "C-G", "C-H")
CHURN_DAYS = {"C-A": 20, "C-B": 35, "C-C": 50, "C-D": 25}
TRUTH = {
    cid: Truth(cid, cid in CHURN_DAYS, at(CHURN_DAYS[cid]) if cid in CHURN_DAYS else None)
    for cid in CUSTOMERS
}


def prepared() -> Prepared:
    """Profiles at T0, then the contacts, each replayed at its own event time."""
    steps = [Step(ms(T0), profile=profile(customer=cid)) for cid in CUSTOMERS]
    steps += [Step(ms(c.occurred_at), interaction=c) for c in CONTACTS]
    return Prepared(steps)


def test_scores_are_as_the_table_says() -> None:
    result = replay(prepared(), RULES)

    highest = {cid: max(s for _, s in t.scores) for cid, t in result.tracks.items()}
    assert highest == {
        "C-A": 50.0,
        "C-B": 50.0,
        "C-C": 50.0,
        "C-D": 46.7,
        "C-E": 50.0,
        "C-F": 13.3,
        "C-H": 65.0,
    }


def test_precision_recall_f1_and_lead_times_by_hand() -> None:
    e = evaluate(replay(prepared(), RULES), TRUTH, prepared().days, HORIZON)

    # Flagged (an AT_RISK opened, before churn for churners): A, B, C, E, H.
    assert e.flagged == {"C-A", "C-B", "C-C", "C-E", "C-H"}
    # A (day 0, churns day 20) and B (day 30, churns 35) are within 30 days of leaving.
    assert e.true_positives == {"C-A", "C-B"}
    # C was flagged on day 5, 45 days before leaving on day 50: too early to count.
    assert e.early == {"C-C"}
    assert e.false_positives == {"C-E", "C-H"}
    # Missed: C (too early) and D (46.7 < 50).
    assert e.false_negatives == 2
    # precision 2 / 5 flagged; recall 2 / 4 churners; F1 = 2 * 0.4 * 0.5 / 0.9 = 4/9.
    assert e.precision == pytest.approx(0.4)
    assert e.recall == pytest.approx(0.5)
    assert e.f1 == pytest.approx(4 / 9)
    # Lead times: B 35 - 30 = 5 days, A 20 - 0 = 20 days. Median (5 + 20) / 2 = 12.5;
    # p90 interpolates at rank 0.9 * (2 - 1): 5 + 0.9 * (20 - 5) = 18.5.
    assert e.lead_days == (5.0, 20.0)
    assert e.lead_median == pytest.approx(12.5)
    assert e.lead_p90 == pytest.approx(18.5)
    # 5 AT_RISK alerts (and no other type) over 8 customers in 30 days (profiles at day 0,
    # last contact day 30): 5 / 8 * 1000 / 30 = 20.833 per 1,000 customers per day.
    assert e.days == pytest.approx(30.0)
    assert e.opened == {"AT_RISK": 5}
    assert e.alerts_per_1k_customers_per_day() == pytest.approx(5 / 8 * 1000 / 30)
    assert e.alerts_per_1k_customers_per_day("AT_RISK") == pytest.approx(5 / 8 * 1000 / 30)
    assert e.alerts_per_1k_customers_per_day("PRAISE") == 0


def test_the_threshold_curve_agrees_with_the_alerts_at_the_rules_threshold() -> None:
    e = evaluate(replay(prepared(), RULES), TRUTH, prepared().days, HORIZON)
    curve = {p.threshold: p for p in e.curve}

    assert (curve[50].precision, curve[50].recall, curve[50].flagged) == (0.4, 0.5, 5)
    # At 46, D (46.7, day 15, churns day 25) is caught too: 3 of 6 flagged, 3 of 4 churners.
    assert (curve[46].precision, curve[46].recall, curve[46].flagged) == (0.5, 0.75, 6)
    # From 51 only H (65) is flagged, and above 65 nobody: precision undefined, recall 0.
    assert (curve[51].precision, curve[51].recall, curve[51].flagged) == (0.0, 0.0, 1)
    assert (curve[66].precision, curve[66].recall, curve[66].flagged) == (None, 0.0, 0)
    assert sorted(e.churner_max_scores) == [46.7, 50.0, 50.0, 50.0]
    assert sorted(e.stayer_max_scores) == [0.0, 13.3, 50.0, 65.0]


def test_compare_lists_exactly_the_customers_flagged_by_one_version_only() -> None:
    a = evaluate(replay(prepared(), RULES), TRUTH, prepared().days, HORIZON)
    b = evaluate(replay(prepared(), RULES_B), TRUTH, prepared().days, HORIZON)

    comparison = compare(a, b)

    assert comparison.only_a == ("C-H",)
    assert comparison.only_b == ("C-D",)
    # B: flagged A, B, C, D, E; caught A, B, D (day 15, churns 25: lead 10 days).
    # precision 3/5, recall 3/4, F1 = 2 * 0.6 * 0.75 / 1.35 = 2/3; leads 5, 10, 20:
    # median 10, p90 at rank 1.8: 10 + 0.8 * (20 - 10) = 18.
    assert b.precision == pytest.approx(0.6)
    assert b.recall == pytest.approx(0.75)
    assert b.f1 == pytest.approx(2 / 3)
    assert b.lead_days == (5.0, 10.0, 20.0)
    assert b.lead_median == pytest.approx(10.0)
    assert b.lead_p90 == pytest.approx(18.0)
    assert compare(b, a).only_a == ("C-D",)


def test_a_churner_never_scored_is_missed_and_an_unseen_stayer_is_no_false_positive() -> None:
    e = evaluate(
        replay(Prepared([]), RULES), {"X": Truth("X", True, T0), "Y": Truth("Y", False)}, 1
    )

    assert (e.churners, len(e.flagged), e.false_negatives) == (1, 0, 1)
    assert e.precision is None and e.recall == 0.0 and e.f1 is None
    assert e.lead_median is None and e.lead_p90 is None


def test_a_due_follow_up_is_sent_as_the_timer_would() -> None:
    # An escalated case resolved on day 1: FOLLOW_UP is due 24 hours later, and sent when
    # the replay passes that time (here at the next event, on day 3).
    steps = [
        Step(ms(at(0)), profile=profile(customer="C-A")),
        Step(ms(at(0)), interaction=angry("C-A", 0, sentiment=0.1)),
        Step(
            ms(at(1)),
            interaction=contact(
                "VOICE", at(1), "Fixed, thanks", 0.5, "ESCALATED", "K-C-A", customer="C-A"
            ),
        ),
        Step(
            ms(at(1, hours=1)),
            interaction=contact(
                "VOICE", at(1, hours=1), "ok", 0.5, "RESOLVED", "K-C-A", customer="C-A"
            ),
        ),
        Step(ms(at(3)), profile=profile(customer="C-B")),
    ]
    result = replay(Prepared(steps), RULES)

    assert result.opened["FOLLOW_UP"] == 1
    assert result.records["FOLLOW_UP OPEN"] == 1


def test_prepare_orders_by_event_time_and_resolves_handles_from_profiles() -> None:
    when = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
    post = {
        "post_id": "p1",
        "platform": "X",
        "handle": "@Fan_One",
        "customer_id": None,
        "posted_at": when + timedelta(hours=2),
        "text": "Love it, thanks!",
        "is_public": True,
        "follower_count": 10,
        "in_reply_to": None,
        "upstream_sentiment": 0.8,
    }
    stranger = dict(post, post_id="p2", handle="nobody")
    crm = {
        "customer_id": "C-1",
        "tier": "GOLD",
        "lifetime_value": 10.0,
        "currency": "USD",
        "signup_date": when.date(),
        "renewal_date": None,
        "social_handles": [{"platform": "X", "handle": "fan_one"}],
        "segment": None,
        "updated_at": when,
    }
    # The post is listed first but happened later than the profile.
    out = prepare(
        [("SOCIAL", "X:fan_one", post), ("SOCIAL", "X:nobody", stranger), ("PROFILE", "C-1", crm)]
    )

    assert [s.profile is not None for s in out.steps] == [True, False]
    interaction = out.steps[1].interaction
    assert interaction is not None
    assert (interaction.customer_id, interaction.social and interaction.social.handle_resolved) == (
        "C-1",
        True,
    )
    assert out.rejected == {"MISSING_CUSTOMER": 1}


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([], 0.9, None), ([7.0], 0.9, 7.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5), ([0, 10], 0.9, 9.0)],
)
def test_percentile_interpolates_between_ranks(
    values: list[float], share: float, expected: float | None
) -> None:
    assert percentile(values, share) == expected
