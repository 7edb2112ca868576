"""A simulated customer population: the CRM facts and the hidden traits that shape each
customer's care journey (:mod:`pipeline.simulation.journeys` turns them into raw events).

Pure and deterministic: the same config (seed and end time included) gives the same
customers, with no I/O and no clock.

How a journey is shaped. Each customer has a hidden churn propensity (0-1). The churners
(``churn_rate`` of the population, drawn with weight ``0.02 + propensity**2``, so most but
not all have a high propensity) leave at a churn time inside the span, half of them at
their renewal date, and make no contact after it. A hidden discontent level over time
(0 content, 1 about to leave) rises towards churn for churners who leave over service,
and bumps up in a "rough patch" for some who stay. It drives how often issues happen, how
many contacts an issue takes before it is resolved, escalations, the channels used, survey
answers, sentiment and wording. A style says how discontent shows: ``VOCAL`` customers
complain in public and talk of leaving, ``QUIET`` ones stay polite, ``SILENT`` ones mostly
stop contacting. Queue waits (and so abandoned calls) follow a shared daily load, and a few
outages hit a share of customers at once. Content customers with a social handle praise
the brand in public now and then.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.simulation.sample import RawEvent

DAY = 86_400.0
DEFAULT_CHURN_RATE = 0.08
# Shares of inbound customer contacts per channel that this model produces, by design
# (checked by the tests on a population of a few thousand).
CHANNEL_SHARE_RANGES = {
    "VOICE": (0.35, 0.55),
    "EMAIL": (0.14, 0.28),
    "CHAT": (0.18, 0.34),
    "SOCIAL": (0.04, 0.14),
}
_CHANNEL_WEIGHTS = {"VOICE": 0.40, "EMAIL": 0.22, "CHAT": 0.27, "SOCIAL": 0.09}
_TIERS = (("BASIC", 0.45, 5.5), ("SILVER", 0.30, 6.5), ("GOLD", 0.18, 7.5), ("PLATINUM", 0.07, 8.5))
_STYLES = (("VOCAL", 0.35), ("QUIET", 0.50), ("SILENT", 0.15))
_PLATFORMS = (("X", 4), ("FACEBOOK", 3), ("INSTAGRAM", 2), ("REDDIT", 1), ("TRUSTPILOT", 1))
TOPIC_WEIGHTS = (
    ("BILLING", 3),
    ("CONNECTIVITY", 3),
    ("APP", 1.5),
    ("DELIVERY", 1),
    ("ACCOUNT", 1.5),
)
MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class PopulationConfig:
    """What to simulate: ``customers`` over the ``days`` before ``end`` (UTC)."""

    end: datetime
    customers: int = 1000
    days: float = 90.0
    churn_rate: float = DEFAULT_CHURN_RATE
    seed: int = 7
    brand: str = "Acme"

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)


@dataclass(frozen=True)
class Mood:
    """Hidden discontent over time (seconds since the span's start), 0 to 1."""

    baseline: float
    ramp: tuple[float, float] | None = None  # rises from baseline to ``peak`` over this span
    peak: float = 0.0
    patch: tuple[float, float] | None = None  # a rough patch: ``boost`` added meanwhile
    boost: float = 0.0

    def at(self, s: float) -> float:
        level = self.baseline
        if self.ramp is not None and s >= self.ramp[0]:
            share = min(1.0, (s - self.ramp[0]) / max(1.0, self.ramp[1] - self.ramp[0]))
            level += (self.peak - level) * share
        if self.patch is not None and self.patch[0] <= s < self.patch[1]:
            level += self.boost
        return min(1.0, max(0.0, level))


@dataclass(frozen=True)
class SimCustomer:
    """A customer as the simulator knows it: the CRM facts and the hidden ones."""

    index: int
    customer_id: str
    tier: str
    lifetime_value: float
    signup_date: date
    renewal_date: date
    segment: str
    handles: tuple[tuple[str, str, int], ...]  # (platform, handle, followers)
    propensity: float
    style: str
    churn_at: datetime | None
    churn_reason: str | None  # SERVICE or OTHER, for churners
    mood: Mood
    issue_rate: float  # issues per 30 days = issue_rate * (0.5 + 2.5 * discontent)
    channel_weights: dict[str, float] = field(default_factory=dict)

    def profile(self, updated_at: datetime, renewal: date | None = None) -> dict[str, Any]:
        """The CRM snapshot (schemas/CustomerProfile.avsc)."""
        return {
            "customer_id": self.customer_id,
            "tier": self.tier,
            "lifetime_value": self.lifetime_value,
            "currency": "USD",
            "signup_date": self.signup_date,
            "renewal_date": renewal or self.renewal_date,
            "social_handles": [{"platform": p, "handle": h} for p, h, _ in self.handles],
            "segment": self.segment,
            "updated_at": updated_at,
        }


@dataclass(frozen=True, order=True)
class TimedEvent:
    """A raw event and its event time: when the record exists (a call's or chat's end,
    an email's or post's sending, a profile's update). Sorting these orders the stream."""

    at: datetime
    customer: int
    seq: int
    event: RawEvent = field(compare=False)


def build_customers(config: PopulationConfig) -> list[SimCustomer]:
    """The population, churners chosen; each customer's randomness is its own."""
    rngs = [random.Random(f"{config.seed}:customer:{i}") for i in range(config.customers)]
    propensities = [rng.betavariate(0.8, 3.2) for rng in rngs]
    weights = [0.02 + p * p for p in propensities]
    selector = random.Random(f"{config.seed}:churners")
    # Weighted sampling without replacement (Efraimidis-Spirakis): the k largest keys.
    keys = [selector.random() ** (1.0 / weight) for weight in weights]
    count = round(config.customers * config.churn_rate)
    ranked = sorted(range(config.customers), key=lambda i: -keys[i])
    churners = set(ranked[:count])
    return [
        _customer(config, i, rngs[i], propensities[i], i in churners)
        for i in range(config.customers)
    ]


def _customer(
    config: PopulationConfig, i: int, rng: random.Random, propensity: float, churner: bool
) -> SimCustomer:
    span = config.days * DAY
    start = config.start
    tier, _, ltv_mu = rng.choices(_TIERS, weights=[row[1] for row in _TIERS])[0]
    cid = f"C{100000 + i}"
    handles: list[tuple[str, str, int]] = []
    for _ in range(rng.choices((0, 1, 2), weights=(45, 45, 10))[0]):
        platform = weighted(rng, _PLATFORMS)
        if platform not in (p for p, _, _ in handles):
            name = rng.choice(("fan", "real", "the", "mr", "ms", "its")) + f"{cid.lower()}"
            followers = min(5_000_000, int(30 * rng.paretovariate(1.1)))
            handles.append((platform, name, followers))
    style = weighted(rng, _STYLES)
    baseline = 0.05 + 0.55 * propensity
    renewal = start.date() + timedelta(days=rng.randint(1, 365))
    churn_at, reason = None, None
    mood = Mood(baseline)
    if churner:
        reason = "SERVICE" if rng.random() < propensity**2 / (0.02 + propensity**2) else "OTHER"
        earliest = min(21 * DAY, span / 3)
        if rng.random() < 0.5:  # leaves at renewal, at the start of that day
            day = start.date() + timedelta(days=math.ceil(rng.uniform(earliest, span) / DAY))
            renewal = day
            churn_at = min(datetime(day.year, day.month, day.day, tzinfo=UTC), config.end)
        else:
            churn_at = start + timedelta(seconds=int(rng.uniform(earliest, span)))
        churn_s = (churn_at - start).total_seconds()
        if reason == "SERVICE":
            length = rng.uniform(14, 56) * DAY
            mood = Mood(
                baseline,
                ramp=(churn_s - length, churn_s - rng.uniform(0, 5) * DAY),
                peak=rng.uniform(0.7, 0.95),
            )
    elif rng.random() < min(0.6, 1.5 * propensity):
        begin = rng.uniform(-10 * DAY, span)
        mood = Mood(
            baseline,
            patch=(begin, begin + rng.uniform(7, 30) * DAY),
            boost=rng.uniform(0.2, 0.45),
        )
    weights = {ch: base * rng.lognormvariate(0, 0.35) for ch, base in _CHANNEL_WEIGHTS.items()}
    if not handles:
        weights["SOCIAL"] = 0.0
    return SimCustomer(
        index=i,
        customer_id=cid,
        tier=tier,
        lifetime_value=round(rng.lognormvariate(ltv_mu, 0.8), 2),
        signup_date=start.date() - timedelta(days=rng.randint(30, 3000)),
        renewal_date=renewal,
        segment=rng.choice(("CONSUMER", "CONSUMER", "CONSUMER", "SMB", "ENTERPRISE")),
        handles=tuple(handles),
        propensity=round(propensity, 4),
        style=style,
        churn_at=churn_at,
        churn_reason=reason,
        mood=mood,
        issue_rate=0.22 * rng.lognormvariate(0, 0.6),
        channel_weights=weights,
    )


def weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[wt for _, wt in options])[0]
