"""Each customer's care journey over the span: when issues arise, how a case goes from
contact to contact until it is resolved or abandoned, what the customer says, and the
cancellation before a churn. Pure and deterministic, like :mod:`pipeline.simulation.population`,
whose docstring says how journeys are shaped; :mod:`pipeline.simulation.world` holds what
customers share and :mod:`pipeline.simulation.records` turns contacts into raw records.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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
from pipeline.simulation.records import Records
from pipeline.simulation.sample import RawEvent
from pipeline.simulation.world import World


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


class Journey:
    """One customer's contacts over the span, as raw events."""

    def __init__(self, world: World, customer: SimCustomer) -> None:
        self.world, self.c = world, customer
        self.config = world.config
        self.rng = random.Random(f"{self.config.seed}:journey:{customer.index}")
        end = customer.churn_at or self.config.end
        self.until = (end - self.config.start).total_seconds() - 1
        self.records = Records(self.config, customer, self.rng, self.until)
        self.cases = 0

    def events(self) -> list[TimedEvent]:
        rng, c = self.rng, self.c
        questions = [(s, w.QUESTION, 0.0) for s in self._poisson(0.12 / 30 / DAY)]
        for s, topic, boost in sorted(self._issues() + questions):
            self._case(s, topic, boost)
        if c.handles and c.style != "SILENT":
            praise_rate = (0.08 if c.style == "VOCAL" else 0.03) / 30 / DAY
            for s in self._poisson(praise_rate):
                if c.mood.at(s) < 0.35:
                    self.records.social(s, w.praise(rng, self.config.brand), public=True)
                elif rng.random() < 0.2:
                    self.records.social(s, w.public_question(rng, self.config.brand), public=True)
        if c.churn_at is not None:
            self._cancellation()
        if (
            c.churn_at is None
            and self.config.start.date() < c.renewal_date <= self.config.end.date()
        ):
            at = datetime(c.renewal_date.year, c.renewal_date.month, c.renewal_date.day, tzinfo=UTC)
            renewed = c.renewal_date + timedelta(days=365)
            self.records.emit(at, RawEvent("PROFILE", c.customer_id, c.profile(at, renewed)))
        self._outcome()
        return self.records.out

    def _outcome(self) -> None:
        """What became of the customer, on customers.outcomes: CHURNED when a churner
        leaves; at a renewal within the span, RENEWED, or now and then DOWNGRADED. Drawn
        from a generator of its own, so the journey's events are the same with or without."""
        c, config = self.c, self.config
        if c.churn_at is not None:
            kind, at = "CHURNED", c.churn_at
        elif config.start.date() < c.renewal_date <= config.end.date():
            rng = random.Random(f"{config.seed}:outcome:{c.index}")
            kind = "DOWNGRADED" if rng.random() < 0.1 + 0.3 * c.propensity else "RENEWED"
            at = datetime(c.renewal_date.year, c.renewal_date.month, c.renewal_date.day, tzinfo=UTC)
        else:
            return
        record = {
            "customer_id": c.customer_id,
            "outcome": kind,
            "occurred_at": at,
            "source": "simulator",
            "outcome_id": f"outcome-{c.customer_id}-{kind.lower()}-{at:%Y%m%d}",
        }
        # Appended as is: a churn lies past the journey's last moment, which emit() keeps to.
        self.records.serial += 1
        self.records.out.append(
            TimedEvent(at, c.index, self.records.serial, RawEvent("OUTCOME", c.customer_id, record))
        )

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
                self.records.social(s + gap, text, public=rng.random() < 0.85)
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
            self.records.social(s, words, public=rng.random() < 0.7)
            return s
        text = text or self._words(channel, topic, attempt, level, issue)
        if outcome is None:
            outcome = "RESOLVED" if resolved else self._failure(attempt, level)
        if channel == "EMAIL":
            return self.records.email(s, case_id, topic, attempt, level, text)
        load = self.world.load_at(s)
        if channel == "VOICE":
            for _ in range(2):
                wait = int(rng.expovariate(1 / (90 * load)))
                if rng.random() >= min(0.7, max(0.0, (wait - 120) / 1200)):
                    break
                s = self.records.voice(s, case_id, wait, "ABANDONED", None, level, resolved)
                s += rng.uniform(600, 4 * 3600)
                if s >= self.until:
                    return s
            else:
                wait = int(rng.expovariate(1 / (90 * load)))
            return self.records.voice(s, case_id, wait, outcome, text, level, resolved)
        return self.records.chat(s, case_id, topic, outcome, text, level, resolved, load)

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
