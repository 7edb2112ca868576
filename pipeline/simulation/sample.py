"""A small, realistic sample of raw events on all four channels, for the demo and tests.

Deterministic for a seed. The full population simulator builds on the same records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PLATFORMS = ("X", "FACEBOOK", "INSTAGRAM", "REDDIT", "TRUSTPILOT")
TIERS = ("BASIC", "BASIC", "SILVER", "SILVER", "GOLD", "PLATINUM")

UNHAPPY = (
    "This is the third time I am calling about the same bill and nobody fixes it.",
    "I have been waiting for two weeks, this is unacceptable. I want to cancel my subscription.",
    "Your app keeps crashing and support never answers. I'm switching to a competitor.",
    "Charged twice again. If this isn't refunded I will file a chargeback with my bank.",
    "Honestly the worst service I've had. Please close my account.",
)
NEUTRAL = (
    "Hi, I would like to update the delivery address on my order.",
    "Can you tell me when my contract renews?",
    "How do I add a second user to the account?",
    "Question about the invoice for last month, the VAT line looks different.",
)
HAPPY = (
    "Thanks so much, the agent sorted it out in five minutes. Great service!",
    "Really impressed with how quickly you fixed this, thank you.",
    "Love the new update, works perfectly now.",
)
PII = (
    " You can reach me at jane.doe+care@example.com or +44 20 7946 0958.",
    " My card 4111 1111 1111 1111 was charged twice.",
    " Call me back on (202) 555-0143 please.",
)


@dataclass(frozen=True)
class RawEvent:
    """One record for a raw topic: channel, key and the Avro record as a dict."""

    channel: str  # VOICE, EMAIL, CHAT, SOCIAL, PROFILE or OUTCOME
    key: str
    record: dict[str, Any]


def sample_events(
    customers: int = 20, events: int = 100, seed: int = 7, now: datetime | None = None
) -> Iterator[RawEvent]:
    """Profiles first, then ``events`` interactions spread over the last seven days."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(microsecond=0)
    ids = [f"C{1000 + i}" for i in range(customers)]
    handles = {cid: f"{cid.lower()}_{rng.choice(('fan', 'user', 'real', 'x'))}" for cid in ids}
    for cid in ids:
        yield RawEvent("PROFILE", cid, _profile(rng, cid, handles[cid], now))
    channels = ("VOICE", "EMAIL", "CHAT", "SOCIAL")
    # Calls and chats last up to an hour: end the span early so none ends in the future.
    start = now - timedelta(days=7, hours=1)
    for n in range(events):
        cid = rng.choice(ids)
        at = start + timedelta(seconds=int(7 * 86400 * (n + rng.random()) / events))
        channel = rng.choices(channels, weights=(4, 3, 3, 2))[0]
        mood = rng.choices(("unhappy", "neutral", "happy"), weights=(3, 5, 2))[0]
        text = rng.choice({"unhappy": UNHAPPY, "neutral": NEUTRAL, "happy": HAPPY}[mood])
        if rng.random() < 0.15:
            text += rng.choice(PII)
        record = _BUILDERS[channel](rng, n, cid, handles[cid], at, mood, text)
        key = cid if record.get("customer_id") else f"{record.get('platform')}:{record['handle']}"
        yield RawEvent(channel, key, record)


def sample_outcomes(
    customers: int = 20, seed: int = 7, now: datetime | None = None
) -> Iterator[RawEvent]:
    """What became of some of :func:`sample_events`' customers, after their events: about
    one in five churned, as many renewed, a few downgraded. Its own generator, so the
    events are the same with or without."""
    rng = random.Random(f"{seed}:outcomes")
    now = now or datetime.now(UTC).replace(microsecond=0)
    for i in range(customers):
        kind = rng.choices(("CHURNED", "RENEWED", "DOWNGRADED", None), weights=(4, 4, 1, 11))[0]
        if kind is None:
            continue
        cid = f"C{1000 + i}"
        record = {
            "customer_id": cid,
            "outcome": kind,
            "occurred_at": now - timedelta(minutes=rng.randint(1, 50)),
            "source": "sample",
            "outcome_id": f"sample-{seed}-{cid}-{kind.lower()}",
        }
        yield RawEvent("OUTCOME", cid, record)


def _profile(rng: random.Random, cid: str, handle: str, now: datetime) -> dict[str, Any]:
    signup = (now - timedelta(days=rng.randint(30, 2000))).date()
    return {
        "customer_id": cid,
        "tier": rng.choice(TIERS),
        "lifetime_value": round(rng.lognormvariate(7, 1), 2),
        "currency": "USD",
        "signup_date": signup,
        "renewal_date": now.date() + timedelta(days=rng.randint(1, 365)),
        "social_handles": [{"platform": "X", "handle": handle}],
        "segment": rng.choice(("SMB", "CONSUMER", "ENTERPRISE")),
        "updated_at": now,
    }


def _voice(
    rng: random.Random, n: int, cid: str, handle: str, at: datetime, mood: str, text: str
) -> dict[str, Any]:
    outcome = {
        "unhappy": rng.choice(("UNRESOLVED", "ESCALATED", "ABANDONED", "CALLBACK_REQUESTED")),
        "neutral": rng.choice(("RESOLVED", "RESOLVED", "UNRESOLVED")),
        "happy": "RESOLVED",
    }[mood]
    wait = rng.randint(600, 1800) if outcome == "ABANDONED" else rng.randint(5, 400)
    talk = 0 if outcome == "ABANDONED" else rng.randint(120, 1500)
    survey = None
    if outcome != "ABANDONED" and rng.random() < 0.4:
        good = mood == "happy"
        survey = {
            "csat": rng.randint(4, 5) if good else rng.randint(1, 3),
            "nps": rng.randint(9, 10) if good else rng.randint(0, 6),
            "ces": rng.randint(1, 2) if good else rng.randint(4, 7),
            "answered_at": at + timedelta(seconds=wait + talk + 60),
        }
    return {
        "call_id": f"call-{n}",
        "customer_id": cid,
        "started_at": at,
        "ended_at": at + timedelta(seconds=wait + talk),
        "queue_wait_seconds": wait,
        "hold_seconds": rng.randint(0, 120) if talk else 0,
        "transfers": rng.choice((0, 0, 0, 1, 2)) if talk else 0,
        "outcome": outcome,
        "transcript": None if outcome == "ABANDONED" else text,
        "upstream_sentiment": None,
        "agent_id": None if outcome == "ABANDONED" else f"agent-{rng.randint(1, 40)}",
        "case_id": f"case-{cid}-{rng.randint(1, 3)}",
        "survey": survey,
    }


def _email(
    rng: random.Random, n: int, cid: str, handle: str, at: datetime, mood: str, text: str
) -> dict[str, Any]:
    subject = {"unhappy": "Complaint", "neutral": "Question", "happy": "Thank you"}[mood]
    return {
        "message_id": f"<msg-{n}@mail.example>",
        "thread_id": f"thread-{cid}-{rng.randint(1, 3)}",
        "customer_id": cid,
        "direction": "INBOUND",
        "sent_at": at,
        "subject": subject,
        "body": text,
        "case_id": f"case-{cid}-{rng.randint(1, 3)}",
        "agent_id": None,
        "upstream_sentiment": None,
    }


def _chat(
    rng: random.Random, n: int, cid: str, handle: str, at: datetime, mood: str, text: str
) -> dict[str, Any]:
    bot_only = mood == "neutral" and rng.random() < 0.5
    messages = [
        {"sender": "BOT", "sent_at": at, "text": "Hi! How can I help you today?"},
        {"sender": "CUSTOMER", "sent_at": at + timedelta(seconds=20), "text": text},
    ]
    if not bot_only:
        messages.append(
            {"sender": "AGENT", "sent_at": at + timedelta(seconds=90), "text": "Let me check."}
        )
    end = at + timedelta(seconds=rng.randint(120, 900))
    return {
        "session_id": f"chat-{n}",
        "customer_id": cid,
        "started_at": at,
        "ended_at": end,
        "messages": messages,
        "bot_only": bot_only,
        "agent_id": None if bot_only else f"agent-{rng.randint(1, 40)}",
        "queue_wait_seconds": 0 if bot_only else rng.randint(5, 300),
        "outcome": "RESOLVED" if mood != "unhappy" else rng.choice(("UNRESOLVED", "ESCALATED")),
        "case_id": f"case-{cid}-{rng.randint(1, 3)}",
        "csat": rng.choice((None, 1, 2)) if mood == "unhappy" else rng.choice((None, 4, 5)),
        "upstream_sentiment": None,
    }


def _social(
    rng: random.Random, n: int, cid: str, handle: str, at: datetime, mood: str, text: str
) -> dict[str, Any]:
    # The listening tool knows some authors; the others are found by handle.
    known = rng.random() < 0.5
    return {
        "post_id": f"post-{n}",
        "platform": "X",
        "handle": handle,
        "customer_id": cid if known else None,
        "posted_at": at,
        "text": text,
        "is_public": rng.random() < 0.8,
        "follower_count": int(rng.paretovariate(1.2) * 100),
        "in_reply_to": None,
        "upstream_sentiment": round(rng.uniform(-1, 1), 3) if rng.random() < 0.3 else None,
    }


_BUILDERS = {"VOICE": _voice, "EMAIL": _email, "CHAT": _chat, "SOCIAL": _social}
