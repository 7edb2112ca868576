"""Alert decisions: AT_RISK open/escalate/recover with cooldown, public complaints and
praise, follow-ups, playbook fields, excerpts, replays and deterministic ids."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest

from processors.alerts import CareAlert, alert_id, excerpt
from processors.care import send_due_alerts
from processors.follow_up import due_follow_ups, follow_up
from processors.history import CustomerHistory, ms
from processors.interaction import Interaction, Source, Survey
from processors.playbook import choose_action
from processors.rules import Rules
from tests.unit.processors.journey import (
    CUSTOMER,
    LAG,
    RULES,
    alerts,
    at,
    contact,
    history_of,
    post,
    profile,
    rules_with,
    run,
    survey,
)

A = RULES.alerting
T = RULES.thresholds
CHURN_TEXT = "I want to cancel my subscription"
COOLDOWN = timedelta(hours=A.cooldown_hours["AT_RISK"])


def call(
    when_days: float,
    sentiment: float,
    text: str = "",
    outcome: str = "UNRESOLVED",
    answers: Survey | None = None,
) -> Interaction:
    """A call about case K1."""
    return contact("VOICE", at(when_days), text, sentiment, outcome, "K1", survey=answers)


# The at-risk lifecycle of one BASIC customer on the default rules.
OPENS = call(0, -0.6, CHURN_TEXT)  # churn talk + negative tone: the threshold
STAYS = call(0.1, -0.6)  # + a repeat contact: same band
RISES = call(0.2, -0.6)  # + another repeat: the next band
RECOVERS = call(1, 0.8, "Thanks, all fixed", outcome="RESOLVED")
LIFECYCLE = (OPENS, STAYS, RISES, RECOVERS)


def only(records: list[CareAlert]) -> CareAlert:
    assert len(records) == 1, records
    return records[0]


# ------------------------------------------------------------------------------ AT_RISK


def test_at_risk_opens_when_the_score_reaches_the_threshold() -> None:
    outcome = run(OPENS)[0]
    assert outcome.risk is not None
    assert outcome.risk.score >= A.at_risk_threshold

    opened = only(alerts([outcome], "AT_RISK"))
    assert (opened.status, opened.version) == ("OPEN", 1)
    assert opened.severity == outcome.risk.severity
    assert opened.score == outcome.risk.score
    assert opened.alert_id == alert_id(CUSTOMER, "AT_RISK", OPENS.interaction_id)
    assert opened.reasons == outcome.risk.reasons
    assert (opened.interaction_id, opened.case_id, opened.channel) == (
        OPENS.interaction_id,
        "K1",
        "VOICE",
    )
    assert opened.event_time == OPENS.occurred_at
    assert opened.created_at == OPENS.occurred_at + LAG
    assert opened.rules_version == RULES.version


def test_no_at_risk_below_the_threshold() -> None:
    outcome = run(call(0, -0.5, CHURN_TEXT))[0]
    assert outcome.risk is not None and outcome.risk.score < A.at_risk_threshold
    assert outcome.alerts == []


def test_at_risk_escalates_on_a_higher_band_and_stays_quiet_in_the_same_band() -> None:
    opened, same, higher = run(OPENS, STAYS, RISES)

    assert opened.risk and same.risk and higher.risk
    assert same.risk.severity == opened.risk.severity
    assert same.risk.score > opened.risk.score  # higher score, same band: no record
    assert same.alerts == []
    escalated = only(higher.alerts)
    assert higher.risk.severity == "HIGH"
    assert (escalated.alert_type, escalated.status, escalated.version) == (
        "AT_RISK",
        "ESCALATED",
        2,
    )
    assert escalated.alert_id == opened.alerts[0].alert_id
    assert (escalated.severity, escalated.score) == ("HIGH", higher.risk.score)


def test_recovered_closes_the_alert_with_the_same_id_and_the_next_version() -> None:
    outcomes = run(*LIFECYCLE)
    records = alerts(outcomes)

    assert outcomes[-1].risk is not None and outcomes[-1].risk.score < A.recover_below
    recovered = records[-1]
    assert (recovered.alert_type, recovered.status, recovered.version) == ("RECOVERED", "CLOSED", 3)
    assert (recovered.severity, recovered.score) == ("LOW", outcomes[-1].risk.score)
    assert recovered.respond_by is None
    assert recovered.alert_id == alert_id(CUSTOMER, "AT_RISK", OPENS.interaction_id)
    assert {r.alert_id for r in records} == {recovered.alert_id}
    assert [r.version for r in records] == [1, 2, 3]
    assert "AT_RISK" not in outcomes[-1].history.open_alerts


@pytest.mark.parametrize(("recover_below", "recovers"), [(10.0, False), (10.1, True)])
def test_recovery_needs_the_score_strictly_below_recover_below(
    recover_below: float, recovers: bool
) -> None:
    rules = rules_with({"alerting": {"recover_below": recover_below}})
    residual = call(1, 0.8, outcome="RESOLVED", answers=survey(at(1), csat=T.low_csat_at_most))
    outcomes = run(OPENS, residual, rules=rules)

    assert outcomes[-1].risk is not None
    # The threshold answer counts half the weight.
    assert outcomes[-1].risk.score == rules.signals.LOW_CSAT.weight / 2 == 10.0
    assert bool(alerts(outcomes, "RECOVERED")) is recovers


@pytest.mark.parametrize(
    ("after_recovery", "opens"),
    [
        (timedelta(hours=1), False),
        (COOLDOWN - timedelta(minutes=1), False),
        (COOLDOWN, True),
        (COOLDOWN + timedelta(hours=6), True),
    ],
    ids=["1h", "just-inside", "at-cooldown", "after"],
)
def test_cooldown_after_recovery(after_recovery: timedelta, opens: bool) -> None:
    again = contact("EMAIL", RECOVERS.occurred_at + after_recovery, CHURN_TEXT, sentiment=-0.9)
    outcomes = run(*LIFECYCLE, again)

    assert outcomes[-1].risk is not None
    assert outcomes[-1].risk.score >= A.at_risk_threshold
    if opens:
        reopened = only(outcomes[-1].alerts)
        assert (reopened.alert_type, reopened.status, reopened.version) == ("AT_RISK", "OPEN", 1)
        assert reopened.alert_id == alert_id(CUSTOMER, "AT_RISK", again.interaction_id)
        assert reopened.alert_id != alerts(outcomes)[0].alert_id
    else:
        assert outcomes[-1].alerts == []


# ------------------------------------------------------------------- public posts


REACH = [
    (0, "LOW"),
    (T.public_reach_medium - 1, "LOW"),
    (T.public_reach_medium, "MEDIUM"),
    (T.public_reach_high - 1, "MEDIUM"),
    (T.public_reach_high, "HIGH"),
]


@pytest.mark.parametrize(("followers", "severity"), REACH)
def test_a_negative_public_post_is_a_public_complaint_by_reach(
    followers: int, severity: str
) -> None:
    complaint = post(at(), "Still broken, awful service", T.public_complaint_sentiment, followers)
    record = only(alerts(run(complaint), "PUBLIC_COMPLAINT"))
    assert (record.status, record.version, record.severity) == ("OPEN", 1, severity)
    assert record.alert_id == alert_id(CUSTOMER, "PUBLIC_COMPLAINT", complaint.interaction_id)
    assert record.reasons[0].code == "PUBLIC_COMPLAINT"


@pytest.mark.parametrize(
    ("followers", "severity"),
    list(zip([f for f, _ in REACH], ["LOW", "LOW", "HIGH", "HIGH", "CRITICAL"], strict=True)),
)
def test_a_public_complaint_that_talks_of_leaving_is_one_band_higher_from_medium(
    followers: int, severity: str
) -> None:
    complaint = post(at(), "Done with you, switching to a competitor", -0.7, followers)
    assert only(alerts(run(complaint), "PUBLIC_COMPLAINT")).severity == severity


@pytest.mark.parametrize(
    "interaction",
    [
        contact("SOCIAL", at(), "DM: still broken, awful", sentiment=-0.9, followers=50_000),
        post(at(), "Meh", round(T.public_complaint_sentiment + 0.01, 2), followers=50_000),
        post(at(), "Quite nice", round(T.praise_sentiment - 0.01, 2), followers=50_000),
        contact("EMAIL", at(), "Awful service", sentiment=-0.9),
    ],
    ids=["private-message", "just-not-negative", "just-not-praise", "email"],
)
def test_no_public_post_alert(interaction: Interaction) -> None:
    records = alerts(run(interaction))
    assert not [r for r in records if r.alert_type in {"PUBLIC_COMPLAINT", "PRAISE"}]


def test_a_positive_public_post_is_praise() -> None:
    praise = post(at(), "Shout-out to the team, fixed in minutes!", T.praise_sentiment, 300)
    record = only(alerts(run(praise)))
    assert (record.alert_type, record.severity, record.status) == ("PRAISE", "LOW", "OPEN")
    assert record.alert_id == alert_id(CUSTOMER, "PRAISE", praise.interaction_id)
    assert record.playbook_id == "praise"


def test_praise_is_sent_once_per_cooldown() -> None:
    cooldown = timedelta(hours=A.cooldown_hours["PRAISE"])
    first = post(at(), "Love it", 0.9)
    outcomes = run(
        first,
        post(at() + cooldown - timedelta(minutes=1), "Still love it", 0.9),
        post(at() + cooldown, "Love it more", 0.9),
    )
    assert [len(o.alerts) for o in outcomes] == [1, 0, 1]
    assert outcomes[2].alerts[0].alert_id != outcomes[0].alerts[0].alert_id


def test_at_most_one_public_complaint_is_open_within_its_cooldown() -> None:
    cooldown = timedelta(hours=A.cooldown_hours["PUBLIC_COMPLAINT"])
    first = post(at(hours=0), "Awful", -0.6, followers=100)
    louder = post(at(hours=2), "Still awful", -0.6, followers=T.public_reach_high)
    outcomes = run(
        first,
        post(at(hours=1), "Awful again", -0.6, followers=100),  # same band: nothing
        louder,  # a higher band: the same alert, escalated
        post(at(hours=2) + cooldown - timedelta(minutes=1), "Awful", -0.6, followers=100),
        post(at(hours=2) + cooldown, "Awful, day two", -0.6, followers=100),  # a new one
    )
    records = alerts(outcomes, "PUBLIC_COMPLAINT")
    first_id = alert_id(CUSTOMER, "PUBLIC_COMPLAINT", first.interaction_id)
    assert [(r.alert_id == first_id, r.status, r.version, r.severity) for r in records] == [
        (True, "OPEN", 1, "LOW"),
        (True, "ESCALATED", 2, "HIGH"),
        (False, "OPEN", 1, "LOW"),
    ]
    assert [len(alerts([o], "PUBLIC_COMPLAINT")) for o in outcomes] == [1, 0, 1, 0, 1]


# ---------------------------------------------------------------------------- follow-up


def escalated_then_resolved(escalations: int = 1) -> tuple[CustomerHistory, Interaction]:
    steps = [
        contact("VOICE", at(0, hours=n), case_id="K1", outcome="ESCALATED")
        for n in range(escalations)
    ]
    resolution = contact("VOICE", at(0, hours=escalations + 1), case_id="K1", outcome="RESOLVED")
    return history_of(*steps, resolution), resolution


def test_a_follow_up_is_due_after_the_delay_and_sent_once() -> None:
    h, resolution = escalated_then_resolved()
    due = resolution.occurred_at + timedelta(hours=A.follow_up_after_hours)

    assert due_follow_ups(h, due - timedelta(minutes=1)) == []
    assert due_follow_ups(h, due) == ["K1"]

    now = due + timedelta(minutes=3)
    record = follow_up(h, "K1", profile(), RULES, now)

    assert record is not None
    trigger = f"case:K1:{ms(resolution.occurred_at)}"
    assert record.alert_id == alert_id(CUSTOMER, "FOLLOW_UP", trigger)
    assert (record.alert_type, record.status, record.version) == ("FOLLOW_UP", "OPEN", 1)
    assert (record.severity, record.case_id, record.interaction_id) == ("LOW", "K1", trigger)
    assert record.event_time == resolution.occurred_at
    assert record.playbook_id == "follow-up"
    assert due_follow_ups(h, now) == []
    assert follow_up(h, "K1", profile(), RULES, now) is None


def test_a_follow_up_tick_read_again_sends_the_same_follow_up_again() -> None:
    h, _ = escalated_then_resolved()
    tick = Source("care.followups", 2, 40)
    now = at(3)

    first = send_due_alerts(h, profile(), RULES, now, tick)
    again = send_due_alerts(h, profile(), RULES, now + timedelta(minutes=1), tick)
    other = send_due_alerts(h, profile(), RULES, now, Source("care.followups", 2, 41))

    assert [a.alert_type for a in first] == ["FOLLOW_UP"]
    assert [a.to_dict() for a in again] == [a.to_dict() for a in first]
    assert other == []  # a later tick: the case is no longer due
    restored = CustomerHistory.from_dict(h.to_dict())
    assert send_due_alerts(restored, profile(), RULES, now, tick)[0].to_dict() == (
        first[0].to_dict()
    )


def test_the_follow_up_id_is_deterministic() -> None:
    now = at(3)
    first = follow_up(escalated_then_resolved()[0], "K1", profile(), RULES, now)
    second = follow_up(
        escalated_then_resolved()[0], "K1", profile(), RULES, now + timedelta(hours=1)
    )
    assert first is not None and second is not None
    assert first.alert_id == second.alert_id


def test_a_case_escalated_twice_gets_a_medium_follow_up() -> None:
    h, _ = escalated_then_resolved(escalations=2)
    record = follow_up(h, "K1", profile(), RULES, at(3))
    assert record is not None and record.severity == "MEDIUM"


def test_no_follow_up_once_the_case_reopened() -> None:
    h, resolution = escalated_then_resolved()
    comeback = contact(
        "CHAT", resolution.occurred_at + timedelta(hours=2), case_id="K1", outcome="UNRESOLVED"
    )
    run(comeback, history=h)

    assert due_follow_ups(h, at(5)) == []
    assert follow_up(h, "K1", profile(), RULES, at(5)) is None


def test_asking_for_a_follow_up_too_early_keeps_it_scheduled() -> None:
    h, resolution = escalated_then_resolved()
    due = resolution.occurred_at + timedelta(hours=A.follow_up_after_hours)

    assert follow_up(h, "K1", profile(), RULES, due - timedelta(hours=1)) is None
    assert due_follow_ups(h, due) == ["K1"]


# ------------------------------------------------------------------- playbook on alerts


def every_kind_of_alert() -> list[CareAlert]:
    outcomes = run(
        *LIFECYCLE,
        post(at(2), "Awful, support is useless", -0.8, followers=20_000),
        post(at(9), "Support was brilliant this time", 0.9, followers=20),
        contact("VOICE", at(10), case_id="K2", outcome="ESCALATED"),
        contact("VOICE", at(10, hours=2), case_id="K2", outcome="RESOLVED"),
        who=profile("GOLD"),
    )
    extra = follow_up(outcomes[-1].history, "K2", profile("GOLD"), RULES, at(12))
    assert extra is not None
    return alerts(outcomes) + [extra]


def test_every_alert_carries_its_playbook_action_and_deadline() -> None:
    records = every_kind_of_alert()
    assert {r.alert_type for r in records} == {
        "AT_RISK",
        "RECOVERED",
        "PUBLIC_COMPLAINT",
        "PRAISE",
        "FOLLOW_UP",
    }
    for record in records:
        entry = choose_action(RULES.playbook, record.alert_type, record.severity, "GOLD")
        assert (record.playbook_id, record.recommended_action) == (entry.id, entry.action)
        assert record.customer_tier == "GOLD"
        if record.status == "CLOSED":
            assert record.respond_by is None
        else:
            expected = record.created_at + timedelta(minutes=entry.respond_within_minutes)
            assert record.respond_by == expected, record.alert_type


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ("BASIC", [("MEDIUM", "at-risk-medium"), ("HIGH", "at-risk-high"), ("LOW", "recovered")]),
        # x1.4: the same contacts open at HIGH and escalate to CRITICAL.
        (
            "PLATINUM",
            [
                ("HIGH", "at-risk-high-vip"),
                ("CRITICAL", "at-risk-critical-vip"),
                ("LOW", "recovered"),
            ],
        ),
    ],
)
def test_at_risk_records_follow_the_playbook_as_they_escalate(
    tier: str, expected: list[tuple[str, str]]
) -> None:
    records = alerts(run(*LIFECYCLE, who=profile(tier)))
    assert [(r.severity, r.playbook_id) for r in records] == expected


# ------------------------------------------------------------------------------ excerpt


def _words(n: int) -> str:
    return " ".join(f"word{i}" for i in range(n))


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short complaint", 40, "short complaint"),
        ("  lots   of\n\n space\t", 40, "lots of space"),
        ("x" * 40, 40, "x" * 40),
        ("x" * 100, 40, "x" * 39 + "…"),
        ("a " + "b" * 100, 40, ("a " + "b" * 100)[:39] + "…"),  # no late boundary: hard cut
    ],
    ids=["short", "whitespace", "exactly-limit", "one-long-word", "boundary-too-early"],
)
def test_excerpt(text: str, limit: int, expected: str) -> None:
    assert excerpt(text, limit) == expected


@pytest.mark.parametrize("limit", [20, 41, 77, 160])
def test_a_long_excerpt_is_capped_on_a_word_boundary(limit: int) -> None:
    text = _words(100)
    cut = excerpt(text, limit)
    body = cut.removesuffix("…")
    assert cut.endswith("…") and len(cut) <= limit
    assert text.startswith(body) and text[len(body)] == " "
    assert re.fullmatch(r"(word\d+ )*word\d+", body)


def test_an_alert_excerpt_is_capped_at_excerpt_chars() -> None:
    text = "The router dropped again tonight. " * 20
    record = only(alerts(run(post(at(), text, -0.8, followers=10)), "PUBLIC_COMPLAINT"))
    assert record.excerpt == excerpt(text, A.excerpt_chars)
    assert len(record.excerpt) <= A.excerpt_chars
    assert record.excerpt.endswith("…")


# ----------------------------------------------------------------- replays, determinism


def test_a_record_read_again_sends_the_alerts_it_sent_and_changes_nothing() -> None:
    sequence = (*LIFECYCLE, post(at(2), "Awful", -0.8, followers=20_000))
    first = run(*sequence)
    history = first[-1].history
    assert alerts(first)
    before = history.to_dict()

    replay = run(*sequence, history=history)

    assert all(o.duplicate and o.replay and o.risk is None for o in replay)
    assert [a.to_dict() for a in alerts(replay)] == [a.to_dict() for a in alerts(first)]
    assert [o.seq for o in replay] == [o.seq for o in first] == list(range(1, len(first) + 1))
    assert history.to_dict() == before


def test_an_upstream_duplicate_in_another_record_sends_nothing() -> None:
    sequence = (*LIFECYCLE, post(at(2), "Awful", -0.8, followers=20_000))
    history = run(*sequence)[-1].history
    before = history.to_dict()
    elsewhere = [
        dataclasses.replace(i, source=Source(i.source.topic, 1, i.source.offset + 10_000))
        for i in sequence
    ]

    again = run(*elsewhere, history=history)

    assert all(o.duplicate and not o.replay and o.alerts == [] and o.seq == 0 for o in again)
    assert history.to_dict() == before


def test_a_history_keeps_what_each_seen_interaction_sent_and_no_more() -> None:
    outcomes = run(*LIFECYCLE, post(at(2), "Awful", -0.8, followers=20_000))
    history = outcomes[-1].history

    assert set(history.deliveries) == set(history.seen)
    for outcome, interaction in zip(outcomes, LIFECYCLE, strict=False):
        delivery = history.deliveries[interaction.interaction_id]
        assert delivery.source == f"{interaction.source.partition}:{interaction.source.offset}"
        assert delivery.alerts == [a.to_dict() for a in outcome.alerts]
        assert delivery.seq == outcome.seq
    assert history.applied == len(outcomes)
    assert CustomerHistory.from_dict(history.to_dict()).to_dict() == history.to_dict()


def test_the_same_sequence_from_scratch_yields_the_same_alerts() -> None:
    sequence = (*LIFECYCLE, post(at(2), "Awful", -0.8, followers=20_000), post(at(3), "Great", 0.9))

    first, second = alerts(run(*sequence)), alerts(run(*sequence))

    assert [r.alert_id for r in first] == [r.alert_id for r in second]
    assert first == second
    # The first AT_RISK (and its RECOVERED), the complaint, a second AT_RISK opened by the
    # complaint once the cooldown had passed, and the praise.
    assert [r.alert_type for r in first] == [
        "AT_RISK",
        "AT_RISK",
        "RECOVERED",
        "AT_RISK",
        "PUBLIC_COMPLAINT",
        "PRAISE",
    ]
    assert len({r.alert_id for r in first}) == 4


@pytest.mark.parametrize(
    "other",
    [("C-2", "AT_RISK", "x"), ("C-1", "PRAISE", "x"), ("C-1", "AT_RISK", "y")],
)
def test_alert_id_depends_on_customer_type_and_trigger(other: tuple[str, str, str]) -> None:
    assert alert_id("C-1", "AT_RISK", "x") == alert_id("C-1", "AT_RISK", "x")
    assert re.fullmatch(r"[0-9a-f]{32}", alert_id("C-1", "AT_RISK", "x"))
    assert alert_id(*other) != alert_id("C-1", "AT_RISK", "x")


def test_rules_with_a_lower_threshold_open_at_low_severity() -> None:
    rules: Rules = rules_with({"alerting": {"at_risk_threshold": 20, "recover_below": 10}})
    record = only(alerts(run(call(0, -0.6), rules=rules)))
    assert (record.severity, record.playbook_id) == ("LOW", "at-risk-low")


def test_an_event_too_late_for_the_history_opens_no_alert() -> None:
    outcomes = run(
        contact("EMAIL", at(40), CHURN_TEXT),
        contact("EMAIL", at(0), "An old angry email", sentiment=-0.9),  # 40 days late
    )
    assert outcomes[-1].history.contacts(30) == 1  # the history ignored it ...
    assert outcomes[-1].alerts == []  # ... so must the alerts
