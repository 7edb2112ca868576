"""The population's care journeys as raw events: the world customers share (queue load,
outages, strangers' posts) and each customer's contacts over the span. Pure and
deterministic, like :mod:`pipeline.simulation.population`, whose docstring says how
journeys are shaped.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.simulation import wording as w
from pipeline.simulation.population import (
    DAY,
    MAX_ATTEMPTS,
    TOPIC_WEIGHTS,
    PopulationConfig,
    SimCustomer,
    TimedEvent,
    weighted,
)
from pipeline.simulation.sample import RawEvent


def population_events(config: PopulationConfig, customers: list[SimCustomer]) -> list[TimedEvent]:
    """Every event of the span in event-time order: the CRM profiles first, then the rest."""
    world = World(config)
    events: list[TimedEvent] = []
    for c in customers:
        events.extend(Journey(world, c).events())
    events.extend(world.stranger_posts())
    events.sort()
    return [
        TimedEvent(
            config.start, c.index, 0, RawEvent("PROFILE", c.customer_id, c.profile(config.start))
        )
        for c in customers
    ] + events


class World:
    """What customers share: the daily queue load and the outages."""

    def __init__(self, config: PopulationConfig) -> None:
        self.config = config
        self.span = config.days * DAY
        rng = random.Random(f"{config.seed}:world")
        days = int(math.ceil(config.days)) + 1
        self.load = [rng.lognormvariate(0, 0.45) for _ in range(days)]
        self.outages: list[tuple[float, float]] = []  # (when, share of customers hit)
        for _ in range(max(1, round(config.days / 30))):
            at = rng.uniform(0, self.span)
            self.outages.append((at, rng.uniform(0.02, 0.05)))
            for d in (int(at // DAY), int(at // DAY) + 1):
                if d < days:
                    self.load[d] *= 2.0
        self.rng = rng

    def load_at(self, s: float) -> float:
        return self.load[min(len(self.load) - 1, max(0, int(s // DAY)))]

    def stranger_posts(self) -> Iterator[TimedEvent]:
        """Posts about the brand from people who are not customers (no profile lists them)."""
        count = round(self.config.customers * self.config.days / 30 * 0.003)
        for n in range(count):
            s = self.rng.uniform(0, self.span)
            text = (
                w.praise(self.rng, self.config.brand)
                if self.rng.random() < 0.4
                else w.complaint(
                    self.rng, "SOCIAL", weighted(self.rng, TOPIC_WEIGHTS), w.ANNOYED, 1
                )
            )
            handle = f"stranger{n}"
            at = self.config.start + timedelta(seconds=int(s))
            record = _post(f"x-{n}", "X", handle, None, at, text, self.rng, 40)
            yield TimedEvent(at, -1, n, RawEvent("SOCIAL", f"X:{handle}", record))


class Journey:
    """One customer's contacts over the span, as raw events."""

    def __init__(self, world: World, customer: SimCustomer) -> None:
        self.world, self.c = world, customer
        self.config = world.config
        self.rng = random.Random(f"{self.config.seed}:journey:{customer.index}")
        end = customer.churn_at or self.config.end
        self.until = (end - self.config.start).total_seconds() - 1
        self.out: list[TimedEvent] = []
        self.cases = 0
        self.serial = 0

    def events(self) -> list[TimedEvent]:
        rng, c = self.rng, self.c
        questions = [(s, w.QUESTION, 0.0) for s in self._poisson(0.12 / 30 / DAY)]
        for s, topic, boost in sorted(self._issues() + questions):
            self._case(s, topic, boost)
        if c.handles and c.style != "SILENT":
            praise_rate = (0.08 if c.style == "VOCAL" else 0.03) / 30 / DAY
            for s in self._poisson(praise_rate):
                if c.mood.at(s) < 0.35:
                    self._social(s, w.praise(rng, self.config.brand), public=True)
                elif rng.random() < 0.2:
                    self._social(s, w.public_question(rng, self.config.brand), public=True)
        if c.churn_at is not None:
            self._cancellation()
        if (
            c.churn_at is None
            and self.config.start.date() < c.renewal_date <= self.config.end.date()
        ):
            at = datetime(c.renewal_date.year, c.renewal_date.month, c.renewal_date.day, tzinfo=UTC)
            renewed = c.renewal_date + timedelta(days=365)
            self._emit(at, RawEvent("PROFILE", c.customer_id, c.profile(at, renewed)))
        return self.out

    # Arrivals -------------------------------------------------------------------------

    def _poisson(self, rate_per_s: float, begin: float = 0.0) -> Iterator[float]:
        s = begin
        while rate_per_s > 0:
            s += self.rng.expovariate(rate_per_s)
            if s >= self.until:
                return
            yield s

    def _issues(self) -> list[tuple[float, str, float]]:
        """Issue times by thinning: the rate rises with discontent (silent ones withdraw)."""
        c, rng = self.c, self.rng
        top = c.issue_rate * 3.0 / 30 / DAY
        issues = []
        for s in self._poisson(top):
            level = c.mood.at(s)
            rate = 0.5 + 2.5 * level
            if c.style == "SILENT" and level > 0.5:
                rate *= 0.4
            if rng.random() < rate / 3.0:
                issues.append((s, weighted(rng, TOPIC_WEIGHTS), 0.0))
        for at, share in self.world.outages:
            if at < self.until and rng.random() < share:
                issues.append((at + rng.uniform(0.5, 30) * 3600, "CONNECTIVITY", 0.3))
        return sorted(issues)

    # Cases ----------------------------------------------------------------------------

    def _case(self, s: float, topic: str, boost: float) -> None:
        c, rng = self.c, self.rng
        self.cases += 1
        case_id = f"case-{c.customer_id}-{self.cases}"
        issue = None if topic == w.QUESTION else w.pick_issue(rng, topic)
        attempt = 1
        while s < self.until and attempt <= MAX_ATTEMPTS:
            level = min(1.0, c.mood.at(s) + boost + (0.1 if attempt >= 3 else 0.0))
            if topic == w.QUESTION:
                resolve = 0.9
            else:
                resolve = max(0.1, 0.8 - 0.6 * level) + (0.1 if boost else 0.0)
            channel = self._channel(attempt, level)
            resolved = rng.random() < resolve
            s = self._contact(s, channel, case_id, topic, attempt, level, resolved, issue=issue)
            if resolved or s >= self.until:
                return
            if c.style == "SILENT" and level > 0.5 and attempt >= 2:
                return  # gives up without a word
            if (
                issue
                and c.style == "VOCAL"
                and level > 0.5
                and c.handles
                and rng.random() < 0.3 * level
            ):
                gap = rng.uniform(0.5, 12) * 3600
                text = w.complaint(
                    rng,
                    "SOCIAL",
                    topic,
                    w.mood_of(level),
                    attempt,
                    self._churn_line(level),
                    self.config.brand,
                    issue,
                )
                self._social(s + gap, text, public=rng.random() < 0.85)
            s += rng.uniform(0.2, 1) * DAY * rng.expovariate(0.7)
            attempt += 1

    def _channel(self, attempt: int, level: float) -> str:
        weights = dict(self.c.channel_weights)
        if attempt >= 2:
            weights["VOICE"] *= 1.6
        if level > 0.6 and self.c.style == "VOCAL":
            weights["SOCIAL"] *= 2.0
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _churn_line(self, level: float) -> str:
        rng, style = self.rng, self.c.style
        if style == "VOCAL" and rng.random() < max(0.0, level - 0.5) * 0.8:
            return w.churn_line(rng, explicit=rng.random() < 0.65)
        if style == "QUIET" and rng.random() < max(0.0, level - 0.6) * 0.3:
            return w.churn_line(rng, explicit=rng.random() < 0.4)
        return ""

    def _words(
        self, channel: str, topic: str, attempt: int, level: float, issue: str | None
    ) -> str:
        rng = self.rng
        if topic == w.QUESTION:
            return w.question(rng, channel, self.config.brand)
        felt = level - (0.25 if self.c.style != "VOCAL" else 0.0) + rng.gauss(0, 0.1)
        line = self._churn_line(level)
        if not line and topic == "BILLING" and rng.random() < 0.1:
            line = w.benign_collision(rng)
        mood = w.mood_of(felt)
        return w.complaint(rng, channel, topic, mood, attempt, line, self.config.brand, issue)

    def _contact(
        self,
        s: float,
        channel: str,
        case_id: str,
        topic: str,
        attempt: int,
        level: float,
        resolved: bool,
        text: str | None = None,
        outcome: str | None = None,
        issue: str | None = None,
    ) -> float:
        """Emits one contact (a call may first be abandoned); returns when it ended."""
        rng = self.rng
        if channel == "SOCIAL":
            words = text or self._words("SOCIAL", topic, attempt, level, issue)
            self._social(s, words, public=rng.random() < 0.7)
            return s
        text = text or self._words(channel, topic, attempt, level, issue)
        if outcome is None:
            outcome = "RESOLVED" if resolved else self._failure(attempt, level)
        if channel == "EMAIL":
            return self._email(s, case_id, topic, attempt, level, text)
        load = self.world.load_at(s)
        if channel == "VOICE":
            for _ in range(2):
                wait = int(rng.expovariate(1 / (90 * load)))
                if rng.random() >= min(0.7, max(0.0, (wait - 120) / 1200)):
                    break
                s = self._voice(s, case_id, wait, "ABANDONED", None, level, resolved)
                s += rng.uniform(600, 4 * 3600)
                if s >= self.until:
                    return s
            else:
                wait = int(rng.expovariate(1 / (90 * load)))
            return self._voice(s, case_id, wait, outcome, text, level, resolved)
        return self._chat(s, case_id, topic, outcome, text, level, resolved, load)

    def _failure(self, attempt: int, level: float) -> str:
        roll = self.rng.random()
        if attempt >= 2 and roll < 0.15 + 0.3 * level:
            return "ESCALATED"
        return "CALLBACK_REQUESTED" if roll > 0.85 else "UNRESOLVED"

    def _cancellation(self) -> None:
        """The contact in which a churner says they are leaving, days before it."""
        c, rng = self.c, self.rng
        chance = {"VOCAL": 0.6, "QUIET": 0.4, "SILENT": 0.15}[c.style]
        if c.churn_reason == "OTHER":
            chance = 0.5
        if rng.random() >= chance:
            return
        s = self.until - rng.uniform(0.5, 14) * DAY
        if s <= 0:
            return
        level = c.mood.at(s)
        channel = rng.choices(("VOICE", "CHAT", "EMAIL"), weights=(6, 2, 2))[0]
        text = w.cancellation(rng, channel, w.mood_of(level), c.churn_reason == "SERVICE")
        outcome = rng.choice(("ESCALATED", "ESCALATED", "RESOLVED", "RESOLVED", "UNRESOLVED"))
        self.cases += 1
        case_id = f"case-{c.customer_id}-{self.cases}"
        self._contact(s, channel, case_id, w.QUESTION, 1, level, False, text, outcome)

    # Records --------------------------------------------------------------------------

    def _at(self, s: float) -> datetime:
        return self.config.start + timedelta(seconds=int(s))

    def _emit(self, at: datetime, event: RawEvent) -> None:
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

    def _voice(
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
        started_at, ended_at = self._at(s), self._at(ended)
        upstream = None
        if text and rng.random() < 0.4:  # speech analytics scored the call
            upstream = round(min(1.0, max(-1.0, 0.4 - 1.3 * level + rng.gauss(0, 0.2))), 3)
        answered = self._at(ended + rng.uniform(30, 300))
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
        if answered > self._at(self.until):
            record["survey"] = None
        self._emit(ended_at, RawEvent("VOICE", self.c.customer_id, record))
        return ended

    def _chat(
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
            {"sender": "BOT", "sent_at": self._at(at), "text": "Hi! How can I help you today?"}
        ]
        sentences = [p for p in text.replace("? ", "?\n").replace(". ", ".\n").split("\n") if p]
        for n, line in enumerate(sentences):
            at += rng.uniform(10, 60) + (wait if n == 1 else 0)
            messages.append({"sender": "CUSTOMER", "sent_at": self._at(at), "text": line})
            if not bot_only and n < 2:
                at += rng.uniform(20, 120)
                messages.append(
                    {"sender": "AGENT", "sent_at": self._at(at), "text": w.agent_reply(rng)}
                )
        ended = at + rng.uniform(30, 300)
        csat = None
        if not bot_only and rng.random() < 0.3:
            q = 1 - level + (0.25 if resolved else -0.25) + rng.gauss(0, 0.15)
            csat = min(5, max(1, round(1 + 4 * q)))
        record = {
            "session_id": self._id("chat"),
            "customer_id": self.c.customer_id,
            "started_at": self._at(s),
            "ended_at": self._at(ended),
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
        self._emit(self._at(ended), RawEvent("CHAT", self.c.customer_id, record))
        return ended

    def _email(
        self, s: float, case_id: str, topic: str, attempt: int, level: float, text: str
    ) -> float:
        rng = self.rng
        thread = f"thread-{case_id}"
        record = {
            "message_id": f"<{self._id('msg')}@mail.example>",
            "thread_id": thread,
            "customer_id": self.c.customer_id,
            "direction": "INBOUND",
            "sent_at": self._at(s),
            "subject": w.subject(rng, topic, attempt, w.mood_of(level)),
            "body": text,
            "case_id": case_id,
            "agent_id": None,
            "upstream_sentiment": None,
        }
        self._emit(self._at(s), RawEvent("EMAIL", self.c.customer_id, record))
        reply = s + rng.uniform(1, 30) * 3600
        if rng.random() < 0.7:  # the agent's answer: no customer words, no outcome field
            answer = dict(
                record,
                message_id=f"<{self._id('reply')}@mail.example>",
                direction="OUTBOUND",
                sent_at=self._at(reply),
                subject=f"Re: {record['subject']}",
                body=w.agent_reply(rng),
                agent_id=f"agent-{rng.randint(1, 120)}",
            )
            self._emit(self._at(reply), RawEvent("EMAIL", self.c.customer_id, answer))
        return reply

    def _social(self, s: float, text: str, public: bool) -> None:
        rng = self.rng
        platform, handle, followers = rng.choice(self.c.handles)
        known = rng.random() < 0.4  # the listening tool knows some authors
        record = _post(
            self._id("post"),
            platform,
            handle,
            self.c.customer_id if known else None,
            self._at(s),
            text,
            rng,
            followers,
            public,
        )
        key = self.c.customer_id if known else f"{platform}:{handle}"
        self._emit(self._at(s), RawEvent("SOCIAL", key, record))


def _post(
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
