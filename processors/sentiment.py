"""Sentiment of customer text in [-1, 1]: upstream analytics when supplied, else computed in
the text's language: VADER for English (turned negative when sarcastic, and no higher than
neutral beside complaint markers), a small lexicon for Spanish, French and German."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from processors import intent, language, tone
from processors.domain import SentimentSource

# VADER slows down badly on long, emoji-heavy text (vaderSentiment #110): score the
# opening of the text only; it carries the customer's tone well enough.
DEFAULT_MAX_SCORED_CHARS = 1000
# Texts scored lately, remembered: templated notifications, canned replies and repeated
# posts come back often, and VADER is most of the cost of normalizing a record.
DEFAULT_CACHED_TEXTS = 4096

UPSTREAM: SentimentSource = "UPSTREAM"
# Computed here (the contract's name for it): VADER for English, the lexicon for the others.
VADER: SentimentSource = "VADER"
NONE: SentimentSource = "NONE"


@dataclass(frozen=True)
class Sentiment:
    """A sentiment value and where it came from (UPSTREAM, VADER or NONE)."""

    value: float | None
    source: SentimentSource


class SentimentScorer:
    """Prefers the event's own sentiment; computes VADER's compound score otherwise.

    >>> SentimentScorer().score("This is the third time I call, useless!", None).source
    'VADER'
    """

    def __init__(
        self,
        max_scored_chars: int = DEFAULT_MAX_SCORED_CHARS,
        cached_texts: int = DEFAULT_CACHED_TEXTS,
    ) -> None:
        self.max_scored_chars = max_scored_chars
        self._vader = SentimentIntensityAnalyzer()
        self._compound = functools.lru_cache(maxsize=cached_texts)(self._vader_compound)

    def _vader_compound(self, text: str) -> float:
        heard = tone.read_tone(text)
        lexicon = heard.lexicon_score
        if heard.language != "en" and lexicon is not None:
            return lexicon
        # English, or nothing the lexicon knows (emoji, "!!!"): VADER.
        compound = round(float(self._vader.polarity_scores(text)["compound"]), 4)
        return heard.adjust(compound)

    def forget_texts(self) -> None:
        """Drops the texts scored and read lately: after an erasure, none of them may stay."""
        self._compound.cache_clear()
        tone.forget_texts()
        intent.forget_texts()
        language.forget_texts()

    def score(self, text: str, upstream: float | None) -> Sentiment:
        if upstream is not None:
            return Sentiment(float(upstream), UPSTREAM)
        if not text.strip():
            return Sentiment(None, NONE)
        return Sentiment(self._compound(text[: self.max_scored_chars]), VADER)
