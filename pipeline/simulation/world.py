"""What every customer of the simulated population shares: the daily queue load, the
outages that raise it and hit a share of customers, and the posts of people who are not
customers. Pure and deterministic: one random stream, seeded by the population's seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import timedelta

from pipeline.simulation import wording as w
from pipeline.simulation.population import (
    DAY,
    TOPIC_WEIGHTS,
    PopulationConfig,
    TimedEvent,
    weighted,
)
from pipeline.simulation.records import post
from pipeline.simulation.sample import RawEvent


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
            record = post(f"x-{n}", "X", handle, None, at, text, self.rng, 40)
            yield TimedEvent(at, -1, n, RawEvent("SOCIAL", f"X:{handle}", record))
