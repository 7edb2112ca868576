"""Normalizer: each channel's raw Avro record in, a validated, redacted Interaction out."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import schemas
from processors.errors import DeadLetterReason, InvalidEvent
from processors.interaction import Interaction, SocialContext, Source, Survey
from processors.normalize import (
    DEFAULT_MAX_FUTURE_SKEW,
    NormalizeConfig,
    Normalizer,
    handle_key,
)
from processors.sentiment import NONE, UPSTREAM, VADER

# Millisecond-precise, tz-aware UTC: what fastavro decodes from timestamp-millis.
STARTED = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)
NOW = STARTED + timedelta(hours=1)
SOURCE = Source("interactions.raw", 2, 1234)

CUSTOMER = "C-SECRET-4821"
EMAIL_ADDRESS = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"  # Luhn-valid test card
PII_TEXT = f"Hi, this is Jane Doe, write to {EMAIL_ADDRESS} or charge {CARD} again"


# ------------------------------------------------------------------ raw record factories


def voice_call(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "call_id": "CALL-1",
        "customer_id": CUSTOMER,
        "started_at": STARTED,
        "ended_at": STARTED + timedelta(minutes=7, seconds=30),
        "queue_wait_seconds": 45,
        "hold_seconds": 30,
        "transfers": 1,
        "outcome": "RESOLVED",
        "transcript": "My router keeps dropping the connection every evening",
        "upstream_sentiment": None,
        "agent_id": "AGENT-7",
        "case_id": "CASE-99",
        "survey": None,
    }
    record.update(overrides)
    return record


def email_message(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "message_id": "<MSG-1@mail.example>",
        "thread_id": "THREAD-5",
        "customer_id": CUSTOMER,
        "direction": "INBOUND",
        "sent_at": STARTED,
        "subject": "Invoice question",
        "body": "Why was I billed twice this month",
        "case_id": "CASE-99",
        "agent_id": None,
        "upstream_sentiment": None,
    }
    record.update(overrides)
    return record


def chat_message(sender: str, text: str, minute: int = 0) -> dict[str, Any]:
    return {"sender": sender, "sent_at": STARTED + timedelta(minutes=minute), "text": text}


def chat_session(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "session_id": "CHAT-3",
        "customer_id": CUSTOMER,
        "started_at": STARTED,
        "ended_at": STARTED + timedelta(minutes=12),
        "messages": [
            chat_message("BOT", "Hello! How can I help?"),
            chat_message("CUSTOMER", "My parcel never arrived", 1),
            chat_message("AGENT", "Sorry to hear that, agent@brand.example here", 3),
            chat_message("CUSTOMER", "It was due last Tuesday", 4),
        ],
        "bot_only": False,
        "agent_id": "AGENT-3",
        "queue_wait_seconds": 20,
        "outcome": "ESCALATED",
        "case_id": "CASE-12",
        "csat": None,
        "upstream_sentiment": None,
    }
    record.update(overrides)
    return record


def answers(**given: Any) -> dict[str, Any]:
    """A survey record: the given answers, None for the rest."""
    return {"csat": None, "nps": None, "ces": None, "answered_at": None, **given}


def social_post(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "post_id": "POST-77",
        "platform": "X",
        "handle": "@JaneDoe",
        "customer_id": CUSTOMER,
        "posted_at": STARTED,
        "text": "Still waiting for my refund from @brand",
        "is_public": True,
        "follower_count": 15_000,
        "in_reply_to": "POST-70",
        "upstream_sentiment": None,
    }
    record.update(overrides)
    return record


FACTORIES: dict[str, tuple[Callable[..., dict[str, Any]], str]] = {
    "VOICE": (voice_call, "VoiceCall"),
    "EMAIL": (email_message, "EmailMessage"),
    "CHAT": (chat_session, "ChatSession"),
    "SOCIAL": (social_post, "SocialPost"),
}
CHANNELS = list(FACTORIES)


def with_text(channel: str, text: str, **overrides: Any) -> dict[str, Any]:
    """A record of ``channel`` whose customer-authored text is exactly ``text``."""
    if channel == "VOICE":
        return voice_call(transcript=text, **overrides)
    if channel == "EMAIL":
        return email_message(subject="", body=text, **overrides)
    if channel == "CHAT":
        return chat_session(messages=[chat_message("CUSTOMER", text)] if text else [], **overrides)
    return social_post(text=text, **overrides)


def at_time(channel: str, when: datetime) -> dict[str, Any]:
    """A record of ``channel`` whose event time is ``when``."""
    if channel == "VOICE":
        return voice_call(started_at=when, ended_at=when)
    if channel == "CHAT":
        return chat_session(started_at=when, ended_at=when)
    if channel == "EMAIL":
        return email_message(sent_at=when)
    return social_post(posted_at=when)


def normalize(
    channel: str, record: dict[str, Any], normalizer: Normalizer | None = None
) -> Interaction:
    return (normalizer or Normalizer()).for_channel(channel)(record, SOURCE, NOW)


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def assert_rejected(
    channel: str, record: dict[str, Any], reason: str, normalizer: Normalizer | None = None
) -> None:
    with pytest.raises(InvalidEvent) as info:
        normalize(channel, record, normalizer)
    assert info.value.reason == reason
    message = str(info.value)
    # Messages reach logs and dead-letter headers: no value of the record may appear in them.
    for value in strings_in(record):
        if len(value) >= 4:
            assert value not in message, f"{value!r} leaked into {message!r}"


# ------------------------------------------------------------------ the factories themselves


@pytest.mark.parametrize("channel", CHANNELS)
def test_factory_records_satisfy_their_avro_contract(channel: str) -> None:
    factory, contract = FACTORIES[channel]
    record = factory()
    codec = schemas.codec(contract)
    assert codec.decode(codec.encode(record)) == record


# ------------------------------------------------------------------ voice


def test_voice_happy_path() -> None:
    interaction = Normalizer().voice(voice_call(), SOURCE, NOW)

    assert interaction.interaction_id == "voice:CALL-1"
    assert interaction.customer_id == CUSTOMER
    assert interaction.channel == "VOICE"
    assert interaction.direction == "INBOUND"
    assert interaction.occurred_at == STARTED
    assert interaction.ended_at == STARTED + timedelta(minutes=7, seconds=30)
    assert interaction.normalized_at == NOW
    assert interaction.source == SOURCE
    assert interaction.case_id == "CASE-99"
    assert interaction.agent_id == "AGENT-7"
    assert interaction.outcome == "RESOLVED"
    assert interaction.handle_seconds == 450
    assert interaction.queue_wait_seconds == 45
    assert interaction.hold_seconds == 30
    assert interaction.transfers == 1
    assert interaction.text == "My router keeps dropping the connection every evening"
    assert (interaction.text_truncated, interaction.pii_redactions) == (False, 0)
    assert interaction.sentiment_source == VADER
    assert interaction.survey is None
    assert interaction.social is None


def test_voice_customer_id_is_stripped() -> None:
    assert Normalizer().voice(voice_call(customer_id="  C-1 \t"), SOURCE, NOW).customer_id == "C-1"


def test_voice_survey_is_mapped() -> None:
    answered = STARTED + timedelta(minutes=9)
    call = voice_call(survey={"csat": 4, "nps": 9, "ces": 2, "answered_at": answered})

    survey = Normalizer().voice(call, SOURCE, NOW).survey

    assert survey == Survey(csat=4, nps=9, ces=2, answered_at=answered)
    assert survey.nps_group == "PROMOTER"


@pytest.mark.parametrize(
    "answers",
    [
        {"csat": 1, "nps": 0, "ces": 1, "answered_at": None},
        {"csat": 5, "nps": 10, "ces": 7, "answered_at": None},
    ],
    ids=["lower-bounds", "upper-bounds"],
)
def test_voice_survey_bounds_are_accepted(answers: dict[str, Any]) -> None:
    survey = Normalizer().voice(voice_call(survey=answers), SOURCE, NOW).survey
    assert survey == Survey(answers["csat"], answers["nps"], answers["ces"])


def test_voice_survey_without_any_answer_is_none() -> None:
    call = voice_call(survey=answers(answered_at=STARTED))
    assert Normalizer().voice(call, SOURCE, NOW).survey is None


def test_voice_partial_survey_keeps_only_the_answers_given() -> None:
    call = voice_call(survey=answers(nps=3))
    survey = Normalizer().voice(call, SOURCE, NOW).survey
    assert survey == Survey(nps=3)
    assert survey.nps_group == "DETRACTOR"


# ------------------------------------------------------------------ email


def test_inbound_email_happy_path() -> None:
    interaction = Normalizer().email(email_message(agent_id="AGENT-2"), SOURCE, NOW)

    assert interaction.interaction_id == "email:<MSG-1@mail.example>"
    assert interaction.customer_id == CUSTOMER
    assert interaction.channel == "EMAIL"
    assert interaction.direction == "INBOUND"
    assert interaction.occurred_at == STARTED
    assert interaction.ended_at is None
    assert interaction.normalized_at == NOW
    assert interaction.source == SOURCE
    assert interaction.thread_id == "THREAD-5"
    assert interaction.case_id == "CASE-99"
    assert interaction.agent_id == "AGENT-2"
    assert interaction.outcome == "NONE"
    assert interaction.text == "Invoice question\nWhy was I billed twice this month"
    assert interaction.message_count == 1
    assert interaction.handle_seconds == 0
    assert interaction.sentiment_source == VADER


def test_outbound_email_carries_no_text_and_no_sentiment() -> None:
    message = email_message(
        direction="OUTBOUND",
        agent_id="AGENT-2",
        body=f"We are so sorry! Reply to {EMAIL_ADDRESS}",
        upstream_sentiment=0.9,
    )

    interaction = Normalizer().email(message, SOURCE, NOW)

    assert interaction.direction == "OUTBOUND"
    assert interaction.text == ""
    assert interaction.pii_redactions == 0
    assert (interaction.sentiment, interaction.sentiment_source) == (None, NONE)
    assert interaction.message_count == 0
    assert interaction.thread_id == "THREAD-5"


# ------------------------------------------------------------------ chat


def test_chat_happy_path_keeps_only_customer_lines() -> None:
    interaction = Normalizer().chat(chat_session(), SOURCE, NOW)

    assert interaction.interaction_id == "chat:CHAT-3"
    assert interaction.customer_id == CUSTOMER
    assert interaction.channel == "CHAT"
    assert interaction.occurred_at == STARTED
    assert interaction.ended_at == STARTED + timedelta(minutes=12)
    assert interaction.normalized_at == NOW
    assert interaction.outcome == "ESCALATED"
    assert interaction.agent_id == "AGENT-3"
    assert interaction.case_id == "CASE-12"
    assert interaction.handle_seconds == 720
    assert interaction.queue_wait_seconds == 20
    assert interaction.bot_only is False
    assert interaction.text == "My parcel never arrived\nIt was due last Tuesday"
    # The agent's line held an address, but it is not the customer's text.
    assert interaction.pii_redactions == 0
    assert interaction.message_count == 2
    assert interaction.survey is None


def test_bot_only_chat_with_csat() -> None:
    session = chat_session(
        messages=[chat_message("BOT", "Hi"), chat_message("CUSTOMER", "Thanks, solved")],
        bot_only=True,
        agent_id=None,
        csat=5,
        outcome="RESOLVED",
    )

    interaction = Normalizer().chat(session, SOURCE, NOW)

    assert interaction.bot_only is True
    assert interaction.message_count == 1
    assert interaction.survey == Survey(csat=5)


# ------------------------------------------------------------------ social


def test_social_happy_path_with_customer_id() -> None:
    seen: list[tuple[str, str]] = []

    def resolver(platform: str, handle: str) -> str | None:
        seen.append((platform, handle))
        return "C-OTHER"

    interaction = Normalizer(resolve_handle=resolver).social(social_post(), SOURCE, NOW)

    assert interaction.interaction_id == "social:x:POST-77"
    assert interaction.customer_id == CUSTOMER
    assert interaction.channel == "SOCIAL"
    assert interaction.occurred_at == STARTED
    assert interaction.normalized_at == NOW
    assert interaction.thread_id == "POST-70"
    assert interaction.outcome == "NONE"
    assert interaction.text == "Still waiting for my refund from @brand"
    assert interaction.social == SocialContext(
        platform="X",
        handle="JaneDoe",
        post_id="POST-77",
        is_public=True,
        follower_count=15_000,
        in_reply_to="POST-70",
        handle_resolved=False,
    )
    assert seen == []  # a known customer needs no lookup


@pytest.mark.parametrize("customer_id", [None, "", "   "])
def test_social_post_without_customer_is_resolved_by_handle(customer_id: str | None) -> None:
    seen: list[tuple[str, str]] = []

    def resolver(platform: str, handle: str) -> str | None:
        seen.append((platform, handle))
        return "C-2002"

    post = social_post(customer_id=customer_id, platform="INSTAGRAM", handle="@Jane_D")
    interaction = Normalizer(resolve_handle=resolver).social(post, SOURCE, NOW)

    assert seen == [("INSTAGRAM", "Jane_D")]
    assert interaction.customer_id == "C-2002"
    assert interaction.interaction_id == "social:instagram:POST-77"
    assert interaction.social is not None
    assert interaction.social.handle_resolved is True
    assert interaction.social.handle == "Jane_D"


def test_social_handle_resolution_through_a_handle_key_index() -> None:
    index = {handle_key("X", "janedoe"): "C-3003"}
    normalizer = Normalizer(resolve_handle=lambda p, h: index.get(handle_key(p, h)))

    interaction = normalizer.social(social_post(customer_id=None, handle="@JaneDoe"), SOURCE, NOW)

    assert interaction.customer_id == "C-3003"


@pytest.mark.parametrize("resolver_answer", [None, ""])
def test_social_post_from_unknown_handle_is_missing_customer(resolver_answer: str | None) -> None:
    normalizer = Normalizer(resolve_handle=lambda platform, handle: resolver_answer)
    assert_rejected(
        "SOCIAL", social_post(customer_id=None), DeadLetterReason.MISSING_CUSTOMER, normalizer
    )


def test_social_post_without_customer_and_default_resolver_is_missing_customer() -> None:
    assert_rejected("SOCIAL", social_post(customer_id=None), DeadLetterReason.MISSING_CUSTOMER)


def test_social_negative_follower_count_is_invalid() -> None:
    assert_rejected("SOCIAL", social_post(follower_count=-1), DeadLetterReason.INVALID_FIELD)


@pytest.mark.parametrize(
    ("platform", "handle", "key"),
    [
        ("X", "janedoe", "X:janedoe"),
        ("X", "@JaneDoe", "X:janedoe"),
        ("X", "@@JANEDOE", "X:janedoe"),
        ("INSTAGRAM", "Straße", "INSTAGRAM:strasse"),  # casefold, not lower
        ("REDDIT", "Jane@Home", "REDDIT:jane@home"),  # only a leading '@' goes
    ],
)
def test_handle_key(platform: str, handle: str, key: str) -> None:
    assert handle_key(platform, handle) == key


# ------------------------------------------------------------------ every channel


@pytest.mark.parametrize("channel", CHANNELS)
def test_for_channel_dispatches_to_the_channel(channel: str) -> None:
    factory, _ = FACTORIES[channel]
    assert normalize(channel, factory()).channel == channel


@pytest.mark.parametrize("channel", CHANNELS)
def test_pii_is_redacted_and_counted(channel: str) -> None:
    interaction = normalize(channel, with_text(channel, PII_TEXT))

    assert EMAIL_ADDRESS not in interaction.text
    assert "4111" not in interaction.text
    assert "[EMAIL]" in interaction.text
    assert "[CARD]" in interaction.text
    assert "Jane Doe" in interaction.text  # names are not a redacted kind
    assert interaction.pii_redactions == 2


@pytest.mark.parametrize("channel", CHANNELS)
def test_upstream_sentiment_is_preferred(channel: str) -> None:
    record = with_text(channel, "I love it, best service ever", upstream_sentiment=-0.25)
    interaction = normalize(channel, record)
    assert (interaction.sentiment, interaction.sentiment_source) == (-0.25, UPSTREAM)


@pytest.mark.parametrize("channel", CHANNELS)
def test_upstream_sentiment_is_used_even_without_text(channel: str) -> None:
    interaction = normalize(channel, with_text(channel, "", upstream_sentiment=0.5))
    assert (interaction.sentiment, interaction.sentiment_source) == (0.5, UPSTREAM)


@pytest.mark.parametrize("channel", CHANNELS)
def test_vader_scores_when_no_upstream_sentiment(channel: str) -> None:
    text = "This is useless, the worst service, I am furious and cancelling"
    interaction = normalize(channel, with_text(channel, text))
    assert interaction.sentiment_source == VADER
    assert interaction.sentiment is not None
    assert -1.0 <= interaction.sentiment < -0.3


@pytest.mark.parametrize("channel", CHANNELS)
def test_empty_text_has_no_sentiment(channel: str) -> None:
    interaction = normalize(channel, with_text(channel, ""))
    assert interaction.text == ""
    assert (interaction.sentiment, interaction.sentiment_source) == (None, NONE)


def test_voice_without_transcript_has_no_sentiment() -> None:
    interaction = normalize("VOICE", voice_call(transcript=None))
    assert (interaction.text, interaction.sentiment, interaction.sentiment_source) == (
        "",
        None,
        NONE,
    )


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("customer_id", [None, "", "   "])
@pytest.mark.parametrize("channel", ["VOICE", "EMAIL", "CHAT"])
def test_missing_customer(channel: str, customer_id: str | None) -> None:
    factory, _ = FACTORIES[channel]
    assert_rejected(channel, factory(customer_id=customer_id), DeadLetterReason.MISSING_CUSTOMER)


@pytest.mark.parametrize("channel", CHANNELS)
def test_event_time_beyond_the_allowed_skew_is_rejected(channel: str) -> None:
    record = at_time(channel, NOW + DEFAULT_MAX_FUTURE_SKEW + timedelta(milliseconds=1))
    assert_rejected(channel, record, DeadLetterReason.FUTURE_TIMESTAMP)


@pytest.mark.parametrize("channel", CHANNELS)
def test_event_time_exactly_at_the_allowed_skew_is_accepted(channel: str) -> None:
    when = NOW + DEFAULT_MAX_FUTURE_SKEW
    assert normalize(channel, at_time(channel, when)).occurred_at == when


@pytest.mark.parametrize(
    ("channel", "factory"), [("VOICE", "voice_call"), ("CHAT", "chat_session")]
)
def test_end_time_beyond_the_allowed_skew_is_rejected(channel: str, factory: str) -> None:
    record = globals()[factory](
        started_at=NOW - timedelta(minutes=1), ended_at=NOW + timedelta(days=3)
    )
    assert_rejected(channel, record, DeadLetterReason.FUTURE_TIMESTAMP)


def test_future_skew_is_configurable() -> None:
    strict = Normalizer(NormalizeConfig(max_future_skew=timedelta(0)))
    assert normalize("EMAIL", email_message(sent_at=NOW), strict).occurred_at == NOW
    assert_rejected(
        "EMAIL",
        email_message(sent_at=NOW + timedelta(seconds=1)),
        DeadLetterReason.FUTURE_TIMESTAMP,
        strict,
    )


@pytest.mark.parametrize(
    ("channel", "overrides", "reason"),
    [
        ("VOICE", {"ended_at": STARTED - timedelta(seconds=1)}, DeadLetterReason.NEGATIVE_DURATION),
        ("CHAT", {"ended_at": STARTED - timedelta(seconds=1)}, DeadLetterReason.NEGATIVE_DURATION),
        ("VOICE", {"queue_wait_seconds": -1}, DeadLetterReason.NEGATIVE_DURATION),
        ("CHAT", {"queue_wait_seconds": -1}, DeadLetterReason.NEGATIVE_DURATION),
        ("VOICE", {"hold_seconds": -5}, DeadLetterReason.NEGATIVE_DURATION),
        ("VOICE", {"transfers": -1}, DeadLetterReason.INVALID_FIELD),
        ("VOICE", {"survey": answers(csat=6)}, DeadLetterReason.INVALID_FIELD),
        ("VOICE", {"survey": answers(csat=0)}, DeadLetterReason.INVALID_FIELD),
        ("VOICE", {"survey": answers(nps=11)}, DeadLetterReason.INVALID_FIELD),
        ("VOICE", {"survey": answers(nps=-1)}, DeadLetterReason.INVALID_FIELD),
        ("VOICE", {"survey": answers(ces=0)}, DeadLetterReason.INVALID_FIELD),
        ("VOICE", {"survey": answers(ces=8)}, DeadLetterReason.INVALID_FIELD),
        ("CHAT", {"csat": 6}, DeadLetterReason.INVALID_FIELD),
        ("CHAT", {"csat": 0}, DeadLetterReason.INVALID_FIELD),
    ],
)
def test_rule_violations(channel: str, overrides: dict[str, Any], reason: str) -> None:
    factory, _ = FACTORIES[channel]
    assert_rejected(channel, factory(**overrides), reason)


def test_zero_length_call_is_accepted() -> None:
    interaction = normalize("VOICE", voice_call(ended_at=STARTED, queue_wait_seconds=0))
    assert interaction.handle_seconds == 0


@pytest.mark.parametrize("upstream", [1.5, -1.5, float("nan")])
@pytest.mark.parametrize("channel", CHANNELS)
def test_upstream_sentiment_out_of_range_is_invalid(channel: str, upstream: float) -> None:
    assert_rejected(
        channel,
        with_text(channel, PII_TEXT, upstream_sentiment=upstream),
        DeadLetterReason.INVALID_FIELD,
    )


@pytest.mark.parametrize("upstream", [-1.0, 1.0])
def test_upstream_sentiment_bounds_are_accepted(upstream: float) -> None:
    assert normalize("VOICE", voice_call(upstream_sentiment=upstream)).sentiment == upstream


# ------------------------------------------------------------------ text capping

LIMIT = 100
CAPPED = Normalizer(NormalizeConfig(max_text_chars=LIMIT))


@pytest.mark.parametrize("channel", CHANNELS)
def test_long_text_is_capped_at_a_word_boundary(channel: str) -> None:
    text = " ".join(f"word{n:03d}" for n in range(60))  # 479 chars, no PII

    interaction = normalize(channel, with_text(channel, text), CAPPED)

    assert interaction.text_truncated is True
    assert 0 < len(interaction.text) <= LIMIT
    assert text.startswith(interaction.text)
    assert text[len(interaction.text)] == " "  # no word cut in half


def test_text_of_exactly_the_limit_is_kept_whole() -> None:
    text = ("abcd " * LIMIT)[:LIMIT]
    interaction = normalize("SOCIAL", social_post(text=text), CAPPED)
    assert (interaction.text, interaction.text_truncated) == (text, False)


@pytest.mark.parametrize("card_at", range(LIMIT - 25, LIMIT + 3))
def test_card_near_the_cut_is_redacted_before_cutting(card_at: int) -> None:
    head = ("please help " * 20)[: card_at - 1] + " "
    text = head + CARD + " was charged twice, please refund it to me " * 4

    interaction = normalize("SOCIAL", social_post(text=text), CAPPED)

    assert interaction.text_truncated is True
    assert len(interaction.text) <= LIMIT
    assert not re.search(r"\d", interaction.text), interaction.text
    assert interaction.pii_redactions == 1


def test_card_is_not_left_half_visible_when_redaction_shrinks_the_text() -> None:
    emails = " ".join(f"customer.service.{n}@example.com" for n in range(5)) + " "
    text = emails + "y" * (2 * LIMIT - len(emails) - 19) + " " + CARD + " thanks"
    assert text[: 2 * LIMIT].endswith("4111 1111 1111 111")  # 15 of 16 digits before the cut

    interaction = normalize("SOCIAL", social_post(text=text), CAPPED)

    assert len(interaction.text) <= LIMIT
    assert not re.search(r"\d{4}", interaction.text), interaction.text


# ------------------------------------------------------------------ the Interaction contract


def interactions() -> list[Interaction]:
    answered = STARTED + timedelta(minutes=9)
    return [
        normalize(
            "VOICE",
            voice_call(
                transcript=PII_TEXT,
                survey={"csat": 2, "nps": 6, "ces": 5, "answered_at": answered},
            ),
        ),
        normalize("EMAIL", email_message(upstream_sentiment=0.125)),
        normalize("EMAIL", email_message(direction="OUTBOUND")),
        normalize("CHAT", chat_session(csat=3)),
        normalize(
            "SOCIAL", social_post(customer_id=None), Normalizer(resolve_handle=lambda p, h: "C-9")
        ),
    ]


@pytest.mark.parametrize("interaction", interactions(), ids=lambda i: i.interaction_id)
def test_interaction_record_round_trips_through_the_avro_contract(
    interaction: Interaction,
) -> None:
    codec = schemas.codec("Interaction")
    record = interaction.to_record()

    assert set(record) == {field["name"] for field in codec.schema["fields"]}
    decoded = codec.decode(codec.encode(record))
    assert decoded == record
    assert Interaction.from_record(decoded) == interaction


@pytest.mark.parametrize("interaction", interactions(), ids=lambda i: i.interaction_id)
def test_interaction_record_is_its_fields_with_the_source_flattened(
    interaction: Interaction,
) -> None:
    expected = dataclasses.asdict(interaction)
    source = expected.pop("source")
    expected |= {
        "source_topic": source["topic"],
        "source_partition": source["partition"],
        "source_offset": source["offset"],
    }

    record = interaction.to_record()

    assert record == expected
    # The same keys in the same order, nested records included.
    assert json.dumps(record, default=str) == json.dumps(expected, default=str)
