"""Churn intent from meaning: categories per language, negation, other objects and speakers,
past intentions taken back, and the rules' extra phrases; plus the issue's three cases
through process_interaction."""

from __future__ import annotations

import pytest

from pipeline.rulesfile import load_rules
from processors.intent import churn_intent
from tests.unit.processors.journey import RULES, alerts, at, contact, post, run

# What the rules listed as phrases before meaning was read: every one is still intent.
FORMER_PHRASES = {
    "cancel": ["cancel my subscription", "cancelling my contract", "terminate my contract"],
    "close_account": ["close my account", "delete my account"],
    "competitor": ["switching to another provider", "better deal elsewhere", "leave for another"],
    "refund": ["want a refund", "full refund", "give me my money back"],
    "chargeback": ["file a chargeback", "dispute the charge", "call my bank"],
    "legal": ["my lawyer", "legal action", "see you in court", "consumer ombudsman"],
}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("a competitor offered me a better deal", "competitor"),
        ("I'm porting my number", "porting"),
        ("looking at other providers when my contract is up", "contract_end"),
        ("I won't be renewing", "not_renewing"),
        ("how do I cancel my contract?", "cancel"),  # asking how to leave is weighing it
        ("I can't cancel my account online, the button is broken", "cancel"),
        ("I'm seriously thinking about leaving", "leaving"),
        ("Quiero darme de baja", "cancel"),
        ("Me voy a Movistar, me ofrecen mejor precio", "competitor"),
        ("Je veux résilier mon abonnement", "cancel"),
        ("j'ai besoin de mon code RIO", "porting"),
        ("Ich möchte meine Rufnummer mitnehmen", "porting"),
        ("ich werde den Vertrag nicht verlängern", "not_renewing"),
    ],
)
def test_intent_is_read_from_meaning(text: str, category: str) -> None:
    found = churn_intent(text)
    assert found is not None and found.category == category, found


@pytest.mark.parametrize(
    "text",
    [
        "I won't cancel my contract",
        "no voy a cancelar mi contrato",
        "je ne vais pas résilier",
        "ich werde nicht kündigen",
        "how do I cancel an order",
        "Please cancel my subscription to the sports add-on, I keep the rest.",
        "you cancelled my contract without asking!",
        "I was going to cancel but the new router is great",
        "When my contract is up can I upgrade my phone?",
        "I'm going to leave a review",
        "Can you refund me the late fee?",
        "",
    ],
)
def test_negated_other_and_taken_back_talk_is_not_intent(text: str) -> None:
    assert churn_intent(text) is None


@pytest.mark.parametrize(("category", "phrases"), sorted(FORMER_PHRASES.items()))
def test_what_the_phrase_lists_caught_is_still_caught(category: str, phrases: list[str]) -> None:
    for phrase in phrases:
        found = churn_intent(f"I {phrase}")
        assert found is not None, phrase
        assert found.category in {category, "cancel"}, (phrase, found)


def test_the_default_rules_list_no_extra_phrases() -> None:
    assert load_rules().churn_phrases == {}


def test_the_evidence_names_the_words_and_the_language() -> None:
    found = churn_intent("Ich wechsle zu einem anderen Anbieter")
    assert found is not None
    assert (found.category, found.language, found.evidence) == (
        "competitor", "de", "anderen anbieter",
    )  # fmt: skip


# ------------------------------------------------------------- the failing cases


def test_a_sarcastic_public_post_raises_no_praise_but_a_complaint() -> None:
    from processors.sentiment import SentimentScorer

    text = "great, another 45 minutes on hold... fantastic service"
    sentiment = SentimentScorer().score(text, None).value
    assert sentiment is not None
    records = alerts(run(post(at(), text, sentiment, followers=800)))
    assert [r.alert_type for r in records] == ["PUBLIC_COMPLAINT"]


def test_a_sarcastic_post_with_a_positive_upstream_sentiment_is_not_praise() -> None:
    text = "great, another 45 minutes on hold... fantastic service"
    assert alerts(run(post(at(), text, 0.9, followers=800))) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("A competitor offered me a better deal, so why should I stay?", "competitor"),
        ("I'm porting my number to another network next week.", "porting"),
        ("I'm looking at other providers when my contract is up.", "contract_end"),
    ],
)
def test_plain_spoken_churn_intent_scores(text: str, category: str) -> None:
    outcome = run(contact("CHAT", at(), text, sentiment=0.0))[-1]
    assert outcome.risk is not None
    assert "CHURN_INTENT" in outcome.risk.codes
    assert outcome.risk.score >= RULES.signals.CHURN_INTENT.weight
    assert outcome.history.churn_talk is not None
    assert outcome.history.churn_talk.category == category
