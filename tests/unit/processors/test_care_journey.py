"""Scripted customer journeys through process_interaction on the default rules, mirroring
the integration scenario: a complaint that escalates in public and recovers, a content
customer, and public praise. Sentiment is explicit (UPSTREAM): no VADER involved."""

from __future__ import annotations

from processors.interaction import Interaction
from processors.rules import severity_rank
from tests.unit.processors.journey import RULES, alerts, at, contact, post, profile, run

UNHAPPY = "C-UNHAPPY"
CONTENT = "C-CONTENT"
FAN = "C-FAN"


def unhappy_journey() -> tuple[Interaction, ...]:
    """A BASIC customer: chat complaint on K1, two repeat calls, an angry public post."""
    return (
        contact(
            "CHAT",
            at(0),
            "My internet drops every evening, this is unacceptable",
            sentiment=-0.7,
            outcome="UNRESOLVED",
            case_id="K1",
            customer=UNHAPPY,
        ),
        contact(
            "VOICE",
            at(1),
            "I am calling again, it still drops every evening",
            sentiment=-0.6,
            outcome="UNRESOLVED",
            case_id="K1",
            customer=UNHAPPY,
        ),
        contact(
            "VOICE",
            at(2),
            "Third time now and nobody fixes it",
            sentiment=-0.8,
            outcome="UNRESOLVED",
            case_id="K1",
            customer=UNHAPPY,
        ),
        post(
            at(2, hours=3),
            "@Acme three contacts in three days and my internet is still "
            "broken. Worst support I have ever had.",
            -0.9,
            followers=5_000,
            customer=UNHAPPY,
        ),
    )


def test_an_unhappy_customer_gets_one_at_risk_alert_that_reaches_high() -> None:
    outcomes = run(*unhappy_journey(), who=profile("BASIC", customer=UNHAPPY))

    at_risk = alerts(outcomes, "AT_RISK")
    assert at_risk, [o.risk.score for o in outcomes if o.risk]
    assert len({a.alert_id for a in at_risk}) == 1
    assert [a.version for a in at_risk] == list(range(1, len(at_risk) + 1))
    assert at_risk[0].status == "OPEN"
    last = at_risk[-1]
    assert severity_rank(last.severity) >= severity_rank("HIGH")
    assert last.score >= RULES.alerting.severity_bands["HIGH"]
    assert {"REPEAT_CONTACT", "NEGATIVE_SENTIMENT", "PUBLIC_COMPLAINT"} <= {
        r.code for r in last.reasons
    }
    assert last.playbook_id in {"at-risk-high", "at-risk-critical"}

    complaint = alerts(outcomes, "PUBLIC_COMPLAINT")
    assert len(complaint) == 1
    assert complaint[0].interaction_id == unhappy_journey()[-1].interaction_id
    assert complaint[0].severity == "MEDIUM"  # 5,000 followers, no talk of leaving
    assert {a.alert_type for a in alerts(outcomes)} == {"AT_RISK", "PUBLIC_COMPLAINT"}


def test_the_unhappy_customer_recovers_after_a_resolved_positive_call() -> None:
    fixed = contact(
        "VOICE",
        at(3),
        "Thank you, the engineer fixed it and it works perfectly now",
        sentiment=0.8,
        outcome="RESOLVED",
        case_id="K1",
        customer=UNHAPPY,
    )
    outcomes = run(*unhappy_journey(), fixed, who=profile("BASIC", customer=UNHAPPY))

    at_risk_id = alerts(outcomes, "AT_RISK")[0].alert_id
    last_version = alerts(outcomes, "AT_RISK")[-1].version
    recovered = alerts(outcomes[-1:])
    assert len(recovered) == 1
    assert outcomes[-1].risk is not None
    assert outcomes[-1].risk.score < RULES.alerting.recover_below
    assert (recovered[0].alert_type, recovered[0].status) == ("RECOVERED", "CLOSED")
    assert (recovered[0].alert_id, recovered[0].version) == (at_risk_id, last_version + 1)
    assert "AT_RISK" not in outcomes[-1].history.open_alerts


def test_a_content_customer_gets_no_alert() -> None:
    calm = [
        contact(
            channel,
            at(day),
            "Quick question, thanks for the help",
            sentiment=0.6,
            outcome=outcome,
            case_id=f"K{day}",
            customer=CONTENT,
        )
        for day, channel, outcome in [
            (0, "CHAT", "RESOLVED"),
            (4, "VOICE", "RESOLVED"),
            (9, "EMAIL", "NONE"),
        ]
    ]
    outcomes = run(*calm, who=profile("GOLD", 20_000, renewal_in_days=10, customer=CONTENT))

    assert alerts(outcomes) == []
    assert [o.risk.score for o in outcomes if o.risk] == [0, 0, 0]


def test_a_positive_public_post_gives_praise() -> None:
    praise = post(
        at(1),
        "Huge thanks to @Acme support, fixed in ten minutes!",
        0.9,
        followers=800,
        customer=FAN,
    )
    outcomes = run(
        contact("VOICE", at(1, hours=-2), sentiment=0.5, outcome="RESOLVED", customer=FAN),
        praise,
        who=profile("SILVER", customer=FAN),
    )
    records = alerts(outcomes)
    assert [(r.alert_type, r.status, r.interaction_id) for r in records] == [
        ("PRAISE", "OPEN", praise.interaction_id)
    ]
    assert records[0].playbook_id == "praise"
