"""SentimentScorer: upstream sentiment first, VADER on a capped opening of the text otherwise."""

from __future__ import annotations

import pytest

from processors.sentiment import (
    DEFAULT_MAX_SCORED_CHARS,
    NONE,
    UPSTREAM,
    VADER,
    Sentiment,
    SentimentScorer,
)

COMPLAINT = "This is the third time I call. Useless, terrible service, I am furious!"
PRAISE = "Thank you so much, the agent was wonderful and fixed it fast!"


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


@pytest.mark.parametrize("upstream", [-1.0, -0.3, 0.0, 0.8, 1.0])
def test_upstream_sentiment_is_preferred_over_the_text(
    scorer: SentimentScorer, upstream: float
) -> None:
    assert scorer.score(PRAISE, upstream) == Sentiment(upstream, UPSTREAM)


def test_upstream_integer_becomes_a_float(scorer: SentimentScorer) -> None:
    sentiment = scorer.score("", 1)  # type: ignore[arg-type]
    assert sentiment == Sentiment(1.0, UPSTREAM)
    assert isinstance(sentiment.value, float)


def test_vader_finds_a_complaint_negative(scorer: SentimentScorer) -> None:
    sentiment = scorer.score(COMPLAINT, None)
    assert sentiment.source == VADER
    assert sentiment.value is not None and sentiment.value < -0.3


def test_vader_finds_praise_positive(scorer: SentimentScorer) -> None:
    sentiment = scorer.score(PRAISE, None)
    assert sentiment.source == VADER
    assert sentiment.value is not None and sentiment.value > 0.3


@pytest.mark.parametrize("text", [COMPLAINT, PRAISE, "ok"])
def test_vader_value_is_in_range_and_rounded(scorer: SentimentScorer, text: str) -> None:
    value = scorer.score(text, None).value
    assert value is not None
    assert -1.0 <= value <= 1.0
    assert round(value, 4) == value


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_text_without_upstream_has_no_sentiment(scorer: SentimentScorer, text: str) -> None:
    assert scorer.score(text, None) == Sentiment(None, NONE)


def test_default_cap() -> None:
    assert SentimentScorer().max_scored_chars == DEFAULT_MAX_SCORED_CHARS == 1000


CAP = 80
HEAD = PRAISE.ljust(CAP)  # exactly CAP characters: everything after it lies beyond the cap
ANGRY_TAIL = " awful horrible terrible, I hate you 😡🤬💩" * 4_000  # ~170k chars, emoji-heavy


def test_text_beyond_the_cap_does_not_change_the_score() -> None:
    capped = SentimentScorer(max_scored_chars=CAP)
    assert len(HEAD) == CAP

    assert capped.score(HEAD + ANGRY_TAIL, None) == capped.score(HEAD, None)


def test_text_within_the_cap_does_change_the_score() -> None:
    # The control for the test above: scored in full, the same tail turns the praise negative.
    capped = SentimentScorer(max_scored_chars=CAP)
    head_only = capped.score(HEAD, None).value
    assert head_only is not None and head_only > 0.3

    short_tail = ANGRY_TAIL[:200]
    uncapped = SentimentScorer(max_scored_chars=CAP + len(short_tail))
    mixed = uncapped.score(HEAD + short_tail, None).value
    assert mixed is not None and mixed < 0


def test_forgotten_texts_are_scored_afresh(scorer: SentimentScorer) -> None:
    scorer.score("I will cancel my contract today.", None)
    assert scorer._compound.cache_info().currsize >= 1
    scorer.forget_texts()
    assert scorer._compound.cache_info().currsize == 0
    assert scorer.score("I will cancel my contract today.", None).source == VADER
