"""How a simulated customer's contacts become raw records (the VoiceCall, EmailMessage,
ChatSession and SocialPost contracts): times, waits, surveys, agent replies. Each record is
numbered in the order it is made, which is what orders a customer's events of equal time.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from pipeline.simulation import wording as w
from pipeline.simulation.population import PopulationConfig, SimCustomer, TimedEvent
from pipeline.simulation.sample import RawEvent


class Records:
    """One customer's raw records, drawn from the journey's random stream."""

    def __init__(
        self, config: PopulationConfig, customer: SimCustomer, rng: random.Random, until: float
    ) -> None:
        self.config, self.c, self.rng, self.until = config, customer, rng, until
        self.out: list[TimedEvent] = []
        self.serial = 0

    def at(self, s: float) -> datetime:
        return self.config.start + timedelta(seconds=int(s))

    def emit(self, at: datetime, event: RawEvent) -> None:
        if (at - self.config.start).total_seconds() <= self.until:
            self.serial += 1
            self.out.append(TimedEvent(at, self.c.index, self.serial, event))

    def _id(self, kind: str) -> str:
        return f"{kind}-{self.c.customer_id}-{self.serial + 1}"

    def _survey(self, level: float, resolved: bool, answered: datetime) -> dict[str, Any] | None:
        rng = self.rng
        if rng.random() >= 0.25:
            return None
        q = min(1.0, max(0.0, 1 - level + (0.25 if resolved else -0.25) + rng.gauss(0, 0.15)))
        return {
            "csat": min(5, max(1, round(1 + 4 * q))),
            "nps": min(10, max(0, round(10 * q + rng.gauss(0, 1)))) if rng.random() < 0.7 else None,
            "ces": min(7, max(1, round(7 - 6 * q))) if rng.random() < 0.5 else None,
            "answered_at": answered,
        }

    def voice(
        self,
        s: float,
        case_id: str,
        wait: int,
        outcome: str,
        text: str | None,
        level: float,
        resolved: bool,
    ) -> float:
        rng = self.rng
        talk = 0 if outcome == "ABANDONED" else rng.randint(120, 1500)
        hold = 0 if not talk else int(rng.expovariate(1 / (30 + 120 * level)))
        ended = s + wait + talk + hold
        started_at, ended_at = self.at(s), self.at(ended)
        upstream = None
        if text and rng.random() < 0.4:  # speech analytics scored the call
            upstream = round(min(1.0, max(-1.0, 0.4 - 1.3 * level + rng.gauss(0, 0.2))), 3)
        answered = self.at(ended + rng.uniform(30, 300))
        record = {
            "call_id": self._id("call"),
            "customer_id": self.c.customer_id,
            "started_at": started_at,
            "ended_at": ended_at,
            "queue_wait_seconds": wait,
            "hold_seconds": hold,
            "transfers": 0 if not talk else min(3, int(rng.expovariate(1 / (0.2 + level)))),
            "outcome": outcome,
            "transcript": text,
            "upstream_sentiment": upstream,
            "agent_id": f"agent-{rng.randint(1, 120)}" if talk else None,
            "case_id": case_id,
            "survey": self._survey(level, resolved, answered) if talk else None,
        }
        if answered > self.at(self.until):
            record["survey"] = None
        self.emit(ended_at, RawEvent("VOICE", self.c.customer_id, record))
        return ended

    def chat(
        self,
        s: float,
        case_id: str,
        topic: str,
        outcome: str,
        text: str,
        level: float,
        resolved: bool,
        load: float,
    ) -> float:
        rng = self.rng
        bot_only = topic == w.QUESTION and rng.random() < 0.5
        wait = 0 if bot_only else int(rng.expovariate(1 / (40 * load)))
        at = s
        messages = [
            {"sender": "BOT", "sent_at": self.at(at), "text": "Hi! How can I help you today?"}
        ]
        sentences = [p for p in text.replace("? ", "?\n").replace(". ", ".\n").split("\n") if p]
        for n, line in enumerate(sentences):
            at += rng.uniform(10, 60) + (wait if n == 1 else 0)
            messages.append({"sender": "CUSTOMER", "sent_at": self.at(at), "text": line})
            if not bot_only and n < 2:
                at += rng.uniform(20, 120)
                messages.append(
                    {"sender": "AGENT", "sent_at": self.at(at), "text": w.agent_reply(rng)}
                )
        ended = at + rng.uniform(30, 300)
        csat = None
        if not bot_only and rng.random() < 0.3:
            q = 1 - level + (0.25 if resolved else -0.25) + rng.gauss(0, 0.15)
            csat = min(5, max(1, round(1 + 4 * q)))
        record = {
            "session_id": self._id("chat"),
            "customer_id": self.c.customer_id,
            "started_at": self.at(s),
            "ended_at": self.at(ended),
            "messages": messages,
            "bot_only": bot_only,
            "agent_id": None if bot_only else f"agent-{rng.randint(1, 120)}",
            "queue_wait_seconds": wait,
            # Chats have no callback outcome: the agent leaves it unresolved.
            "outcome": "RESOLVED"
            if bot_only
            else outcome.replace("CALLBACK_REQUESTED", "UNRESOLVED"),
            "case_id": case_id,
            "csat": csat,
            "upstream_sentiment": None,
        }
        self.emit(self.at(ended), RawEvent("CHAT", self.c.customer_id, record))
        return ended

    def email(
        self, s: float, case_id: str, topic: str, attempt: int, level: float, text: str
    ) -> float:
        rng = self.rng
        thread = f"thread-{case_id}"
        record = {
            "message_id": f"<{self._id('msg')}@mail.example>",
            "thread_id": thread,
            "customer_id": self.c.customer_id,
            "direction": "INBOUND",
            "sent_at": self.at(s),
            "subject": w.subject(rng, topic, attempt, w.mood_of(level)),
            "body": text,
            "case_id": case_id,
            "agent_id": None,
            "upstream_sentiment": None,
        }
        self.emit(self.at(s), RawEvent("EMAIL", self.c.customer_id, record))
        reply = s + rng.uniform(1, 30) * 3600
        if rng.random() < 0.7:  # the agent's answer: no customer words, no outcome field
            answer = dict(
                record,
                message_id=f"<{self._id('reply')}@mail.example>",
                direction="OUTBOUND",
                sent_at=self.at(reply),
                subject=f"Re: {record['subject']}",
                body=w.agent_reply(rng),
                agent_id=f"agent-{rng.randint(1, 120)}",
            )
            self.emit(self.at(reply), RawEvent("EMAIL", self.c.customer_id, answer))
        return reply

    def social(self, s: float, text: str, public: bool) -> None:
        rng = self.rng
        platform, handle, followers = rng.choice(self.c.handles)
        known = rng.random() < 0.4  # the listening tool knows some authors
        record = post(
            self._id("post"),
            platform,
            handle,
            self.c.customer_id if known else None,
            self.at(s),
            text,
            rng,
            followers,
            public,
        )
        key = self.c.customer_id if known else f"{platform}:{handle}"
        self.emit(self.at(s), RawEvent("SOCIAL", key, record))


def post(
    post_id: str,
    platform: str,
    handle: str,
    customer_id: str | None,
    at: datetime,
    text: str,
    rng: random.Random,
    followers: int,
    public: bool = True,
) -> dict[str, Any]:
    """A social post's raw record (SocialPost contract)."""
    return {
        "post_id": post_id,
        "platform": platform,
        "handle": handle,
        "customer_id": customer_id,
        "posted_at": at,
        "text": text,
        "is_public": public,
        "follower_count": followers,
        "in_reply_to": None,
        "upstream_sentiment": None,
    }
