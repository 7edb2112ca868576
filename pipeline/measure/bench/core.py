"""What one event costs in the worker's own code, stage by stage, with no broker and no
Faust stream: decode the raw record, normalize it, load the customer's history from its
stored form, ``process_interaction``, store the history again, encode the outputs.

The table is a dict of the values the worker's table holds, the JSON it writes with orjson
(pipeline/worker/tables.py), as its changelog and RocksDB store them. The sum is an upper
bound on what one core can score per second in today's shape, before any framework cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

import schemas
from pipeline.rulesfile import load_rules
from pipeline.simulation.sample import sample_events
from pipeline.topics import RAW_CHANNELS
from processors.care import process_interaction
from processors.history import CustomerHistory
from processors.interaction import Source
from processors.language import load_dictionaries
from processors.normalize import Normalizer
from processors.profile import CustomerProfile

STAGES = (
    "decode",
    "normalize",
    "load history",
    "process_interaction",
    "store history",
    "encode outputs",
)


@dataclass(frozen=True)
class CoreCosts:
    events: int
    customers: int
    us_per_event: dict[str, float]  # by stage, in STAGES order
    history_bytes_median: int
    history_bytes_max: int

    @property
    def total_us(self) -> float:
        return sum(self.us_per_event.values())

    @property
    def events_per_s(self) -> float:
        return 1e6 / self.total_us if self.total_us else 0.0


def measure_core(customers: int, events: int, seed: int = 3) -> CoreCosts:
    """Runs ``events`` sample interactions of ``customers`` customers (seven days of
    contacts) through the worker's stages in one thread and times each stage, after loading
    the language dictionaries."""
    now = datetime.now(UTC)
    stream = list(sample_events(customers=customers, events=events, seed=seed, now=now))
    rules = load_rules()
    codecs = {channel: schemas.codec(spec.schema or "") for channel, spec in RAW_CHANNELS.items()}
    interaction_codec, alert_codec = schemas.codec("Interaction"), schemas.codec("CareAlert")
    profiles = {
        e.key: CustomerProfile.from_record(e.record) for e in stream if e.channel == "PROFILE"
    }
    normalizer = Normalizer()
    # Not timed: a worker loads the dictionaries once, and that would weigh on each event here.
    load_dictionaries()
    raw = [
        (e.channel, codecs[e.channel].encode(e.record))
        for e in stream
        if e.channel != "PROFILE" and e.record.get("customer_id")  # posts by handle aside
    ]
    table: dict[bytes, bytes] = {}
    spent = dict.fromkeys(STAGES, 0.0)
    clock: Callable[[], float] = time.perf_counter
    for offset, (channel, value) in enumerate(raw):
        t0 = clock()
        record: dict[str, Any] = codecs[channel].decode(value)
        t1 = clock()
        interaction = normalizer.for_channel(channel)(record, Source("bench", 0, offset), now)
        t2 = clock()
        key = interaction.customer_id.encode()
        stored = table.get(key)
        history = CustomerHistory.from_dict(orjson.loads(stored)) if stored else None
        t3 = clock()
        profile = profiles.get(interaction.customer_id)
        outcome = process_interaction(history, interaction, profile, rules, now)
        t4 = clock()
        table[key] = orjson.dumps(outcome.history)
        t5 = clock()
        interaction_codec.encode(interaction.to_record())
        for alert in outcome.alerts:
            alert_codec.encode(alert.to_record())
        t6 = clock()
        for stage, (began, ended) in zip(
            STAGES, ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5), (t5, t6)), strict=True
        ):
            spent[stage] += ended - began
    sizes = sorted(len(v) for v in table.values()) or [0]
    count = max(len(raw), 1)
    return CoreCosts(
        events=len(raw),
        customers=customers,
        us_per_event={stage: 1e6 * seconds / count for stage, seconds in spent.items()},
        history_bytes_median=sizes[len(sizes) // 2],
        history_bytes_max=sizes[-1],
    )


def report_lines(costs: CoreCosts) -> list[str]:
    lines = [
        f"{costs.events:,} events of {costs.customers:,} customers: "
        f"{costs.total_us:,.0f} us per event, {costs.events_per_s:,.0f} events/s on one core"
    ]
    for stage, us in costs.us_per_event.items():
        share = 100 * us / costs.total_us if costs.total_us else 0.0
        lines.append(f"  {stage:<20} {us:8.1f} us  {share:5.1f} %")
    lines.append(
        f"  history as stored: median {costs.history_bytes_median:,} B, "
        f"largest {costs.history_bytes_max:,} B"
    )
    return lines
