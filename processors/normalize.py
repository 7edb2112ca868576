"""Per-channel normalizers: a decoded raw event in, a validated, redacted Interaction out.

Each ``normalize_*`` function takes the Avro record of its channel (a dict), where it was
read from and the clock, and returns an :class:`Interaction` or raises
:class:`~processors.errors.InvalidEvent` with a reason code and a message free of PII.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from processors.errors import DeadLetterReason, InvalidEvent
from processors.interaction import Interaction, SocialContext, Source, Survey
from processors.redact import redact
from processors.sentiment import NONE, Sentiment, SentimentScorer

Record = Mapping[str, Any]
# (platform, handle) -> customer id, or None when no profile lists the handle.
HandleResolver = Callable[[str, str], str | None]

DEFAULT_MAX_TEXT_CHARS = 2000
# Text beyond this is never read: redaction stays linear in a bounded input.
MAX_REDACTED_CHARS = 200_000
_DIGIT_GROUPS = "0123456789 \t\n-.()+"
DEFAULT_MAX_FUTURE_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class NormalizeConfig:
    """Limits applied at normalization.

    ``max_text_chars`` caps the text carried downstream; ``max_future_skew`` is how far
    ahead of the worker's clock an event time may be before it is rejected.
    """

    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    max_future_skew: timedelta = DEFAULT_MAX_FUTURE_SKEW


def no_handles(platform: str, handle: str) -> str | None:
    """A resolver that knows no handles."""
    return None


class Normalizer:
    """Holds what every channel shares (limits, sentiment scorer, handle resolver).

    >>> normalizer = Normalizer()
    >>> normalizer.voice(call_record, Source("interactions.voice", 0, 42), now)  # doctest: +SKIP
    """

    def __init__(
        self,
        config: NormalizeConfig | None = None,
        scorer: SentimentScorer | None = None,
        resolve_handle: HandleResolver = no_handles,
    ) -> None:
        self.config = config or NormalizeConfig()
        self.scorer = scorer or SentimentScorer()
        self.resolve_handle = resolve_handle

    def for_channel(self, channel: str) -> Callable[[Record, Source, datetime], Interaction]:
        return {"VOICE": self.voice, "EMAIL": self.email, "CHAT": self.chat, "SOCIAL": self.social}[
            channel
        ]

    def voice(self, call: Record, source: Source, now: datetime) -> Interaction:
        customer_id = _customer(call)
        started, ended = call["started_at"], call["ended_at"]
        self._check_time(ended, now)
        _check_span(started, ended)
        _check_non_negative(call, "queue_wait_seconds", "hold_seconds", "transfers")
        text, truncated, redactions = self._clean(call.get("transcript") or "")
        sentiment = self._sentiment(text, call.get("upstream_sentiment"))
        return Interaction(
            interaction_id=f"voice:{call['call_id']}",
            customer_id=customer_id,
            channel="VOICE",
            occurred_at=started,
            ended_at=ended,
            normalized_at=now,
            source=source,
            case_id=call.get("case_id"),
            agent_id=call.get("agent_id"),
            outcome=call["outcome"],
            text=text,
            text_truncated=truncated,
            pii_redactions=redactions,
            sentiment=sentiment.value,
            sentiment_source=sentiment.source,
            queue_wait_seconds=call["queue_wait_seconds"],
            handle_seconds=int((ended - started).total_seconds()),
            hold_seconds=call["hold_seconds"],
            transfers=call["transfers"],
            survey=_survey(call.get("survey")),
        )

    def email(self, message: Record, source: Source, now: datetime) -> Interaction:
        customer_id = _customer(message)
        self._check_time(message["sent_at"], now)
        inbound = message["direction"] == "INBOUND"
        # Only the customer's own words say how the customer feels.
        raw = f"{message['subject']}\n{message['body']}".strip() if inbound else ""
        text, truncated, redactions = self._clean(raw)
        upstream = message.get("upstream_sentiment") if inbound else None
        sentiment = self._sentiment(text, upstream)
        return Interaction(
            interaction_id=f"email:{message['message_id']}",
            customer_id=customer_id,
            channel="EMAIL",
            direction=message["direction"],
            occurred_at=message["sent_at"],
            normalized_at=now,
            source=source,
            case_id=message.get("case_id"),
            thread_id=message["thread_id"],
            agent_id=message.get("agent_id"),
            text=text,
            text_truncated=truncated,
            pii_redactions=redactions,
            sentiment=sentiment.value,
            sentiment_source=sentiment.source,
            message_count=1 if inbound else 0,
        )

    def chat(self, session: Record, source: Source, now: datetime) -> Interaction:
        customer_id = _customer(session)
        started, ended = session["started_at"], session["ended_at"]
        self._check_time(ended, now)
        _check_span(started, ended)
        _check_non_negative(session, "queue_wait_seconds")
        lines = [m["text"] for m in session["messages"] if m["sender"] == "CUSTOMER"]
        text, truncated, redactions = self._clean("\n".join(lines))
        sentiment = self._sentiment(text, session.get("upstream_sentiment"))
        csat = session.get("csat")
        return Interaction(
            interaction_id=f"chat:{session['session_id']}",
            customer_id=customer_id,
            channel="CHAT",
            occurred_at=started,
            ended_at=ended,
            normalized_at=now,
            source=source,
            case_id=session.get("case_id"),
            agent_id=session.get("agent_id"),
            outcome=session["outcome"],
            text=text,
            text_truncated=truncated,
            pii_redactions=redactions,
            sentiment=sentiment.value,
            sentiment_source=sentiment.source,
            queue_wait_seconds=session["queue_wait_seconds"],
            handle_seconds=int((ended - started).total_seconds()),
            bot_only=session["bot_only"],
            message_count=len(lines),
            survey=_survey({"csat": csat}) if csat is not None else None,
        )

    def social(self, post: Record, source: Source, now: datetime) -> Interaction:
        platform, handle = post["platform"], post["handle"].lstrip("@")
        customer_id = (post.get("customer_id") or "").strip()
        resolved = False
        if not customer_id:
            customer_id = self.resolve_handle(platform, handle) or ""
            resolved = bool(customer_id)
        if not customer_id:
            raise InvalidEvent(
                "social post has no customer_id and its handle matches no customer profile",
                DeadLetterReason.MISSING_CUSTOMER,
            )
        self._check_time(post["posted_at"], now)
        _check_non_negative(post, "follower_count")
        text, truncated, redactions = self._clean(post["text"])
        sentiment = self._sentiment(text, post.get("upstream_sentiment"))
        return Interaction(
            interaction_id=f"social:{platform.lower()}:{post['post_id']}",
            customer_id=customer_id,
            channel="SOCIAL",
            occurred_at=post["posted_at"],
            normalized_at=now,
            source=source,
            thread_id=post.get("in_reply_to"),
            text=text,
            text_truncated=truncated,
            pii_redactions=redactions,
            sentiment=sentiment.value,
            sentiment_source=sentiment.source,
            social=SocialContext(
                platform=platform,
                handle=handle,
                post_id=post["post_id"],
                is_public=post["is_public"],
                follower_count=post["follower_count"],
                in_reply_to=post.get("in_reply_to"),
                handle_resolved=resolved,
            ),
        )

    def _check_time(self, occurred_at: datetime, now: datetime) -> None:
        if occurred_at - now > self.config.max_future_skew:
            ahead = int((occurred_at - now).total_seconds())
            raise InvalidEvent(
                f"event time is {ahead}s ahead of the worker clock "
                f"(allowed: {int(self.config.max_future_skew.total_seconds())}s)",
                DeadLetterReason.FUTURE_TIMESTAMP,
            )

    def _clean(self, raw: str) -> tuple[str, bool, int]:
        """Redacts PII in the whole text, then caps the length at a word boundary."""
        limit = self.config.max_text_chars
        truncated = len(raw) > limit
        if len(raw) > MAX_REDACTED_CHARS:
            # Bound the work on huge texts; drop the token and digit groups cut at the
            # end, which could be the visible half of an address or card number.
            raw = raw[:MAX_REDACTED_CHARS]
            raw = raw[: max(raw.rfind(" "), 0)].rstrip(_DIGIT_GROUPS)
        redaction = redact(raw)
        text = redaction.text
        if len(text) > limit:
            truncated = True
            cut = text.rfind(" ", 0, limit)
            text = text[: cut if cut > limit // 2 else limit]
        return text, truncated, redaction.total

    def _sentiment(self, text: str, upstream: float | None) -> Sentiment:
        if upstream is not None and not -1.0 <= upstream <= 1.0:
            raise InvalidEvent(
                "upstream_sentiment is outside [-1, 1]", DeadLetterReason.INVALID_FIELD
            )
        sentiment = self.scorer.score(text, upstream)
        return sentiment if sentiment.value is not None else Sentiment(None, NONE)


def _customer(record: Record) -> str:
    customer_id = (record.get("customer_id") or "").strip()
    if not customer_id:
        raise InvalidEvent("event has no customer_id", DeadLetterReason.MISSING_CUSTOMER)
    return customer_id


def _check_span(started: datetime, ended: datetime) -> None:
    if ended < started:
        raise InvalidEvent("ended_at is before started_at", DeadLetterReason.NEGATIVE_DURATION)


def _check_non_negative(record: Record, *fields: str) -> None:
    for name in fields:
        if record[name] < 0:
            reason = (
                DeadLetterReason.NEGATIVE_DURATION
                if name.endswith("_seconds")
                else DeadLetterReason.INVALID_FIELD
            )
            raise InvalidEvent(f"{name} is negative", reason)


_SURVEY_RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


def _survey(answers: Record | None) -> Survey | None:
    if not answers:
        return None
    for name, (low, high) in _SURVEY_RANGES.items():
        value = answers.get(name)
        if value is not None and not low <= value <= high:
            raise InvalidEvent(
                f"survey {name} is outside {low}-{high}", DeadLetterReason.INVALID_FIELD
            )
    if all(answers.get(name) is None for name in _SURVEY_RANGES):
        return None
    return Survey(
        csat=answers.get("csat"),
        nps=answers.get("nps"),
        ces=answers.get("ces"),
        answered_at=answers.get("answered_at"),
    )


def handle_key(platform: str, handle: str) -> str:
    """The key of a social handle in the handle index: ``platform:handle``, case-folded."""
    return f"{platform}:{handle.lstrip('@').casefold()}"
