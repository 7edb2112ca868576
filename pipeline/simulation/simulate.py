"""``carepipe simulate``: a simulated population's events, sent to Kafka or recorded to a file.

The population and its journeys come from :mod:`pipeline.simulation.population` and
:mod:`pipeline.simulation.journeys` (pure); this module encodes, paces, sends or writes them, and
writes the ground truth.

Event file format (``--out``), read back by ``carepipe backtest``::

    file   = b"CPEV1\\n" frame*
    frame  = tag:1 key_length:uint16 value_length:uint32 key value   (integers big-endian)
    tag    = b"P" profile | b"V" voice | b"E" email | b"C" chat | b"S" social
             | b"O" customer outcome (what became of the customer: the backtest's truth)
    key    = the Kafka key, UTF-8 (a customer id, or "PLATFORM:handle" for a social post
             whose author the listening tool did not know)
    value  = the Kafka value: Avro single-object encoding of the channel's schema

Frames are in event-time order. The same ``--seed``, ``--now`` (or ``--start``) and
options give a byte-identical file.
"""

from __future__ import annotations

import csv
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

import schemas
from pipeline.simulation.journeys import population_events
from pipeline.simulation.population import (
    PopulationConfig,
    SimCustomer,
    TimedEvent,
    build_customers,
)
from pipeline.simulation.sample import RawEvent
from processors.errors import StartupError

MAGIC = b"CPEV1\n"
TAGS = {
    "PROFILE": b"P",
    "VOICE": b"V",
    "EMAIL": b"E",
    "CHAT": b"C",
    "SOCIAL": b"S",
    "OUTCOME": b"O",
}
CHANNELS = {tag: channel for channel, tag in TAGS.items()}
SCHEMAS = {
    "PROFILE": "CustomerProfile",
    "VOICE": "VoiceCall",
    "EMAIL": "EmailMessage",
    "CHAT": "ChatSession",
    "SOCIAL": "SocialPost",
    "OUTCOME": "CustomerOutcome",
}
_FRAME = struct.Struct(">cHI")


class EventFileError(StartupError, ValueError):
    """The file is not an event file of this format, or it is cut short."""


@dataclass(frozen=True)
class Simulation:
    """A simulated population and its events (profiles first, then in event-time order)."""

    config: PopulationConfig
    customers: list[SimCustomer]
    events: list[TimedEvent]

    @property
    def churners(self) -> int:
        return sum(1 for c in self.customers if c.churn_at is not None)


def simulate(config: PopulationConfig, max_events: int | None = None) -> Simulation:
    """The population and its events; ``max_events`` keeps the profiles and the first
    ``max_events`` other events."""
    customers = build_customers(config)
    events = population_events(config, customers)
    if max_events is not None:
        profiles = config.customers
        events = events[: profiles + max_events]
    return Simulation(config, customers, events)


def encode(event: RawEvent) -> bytes:
    return schemas.codec(SCHEMAS[event.channel]).encode(event.record)


def write_frame(out: BinaryIO, channel: str, key: str, value: bytes) -> None:
    raw_key = key.encode()
    out.write(_FRAME.pack(TAGS[channel], len(raw_key), len(value)))
    out.write(raw_key)
    out.write(value)


def write_events(
    path: Path, events: Iterable[RawEvent], on_event: Callable[[], None] | None = None
) -> dict[str, int]:
    """Records ``events`` to ``path`` (see the module docstring); counts by channel."""
    counts: Counter[str] = Counter()
    with path.open("wb") as out:
        out.write(MAGIC)
        for event in events:
            write_frame(out, event.channel, event.key, encode(event))
            counts[event.channel] += 1
            if on_event is not None:
                on_event()
    return dict(counts)


def read_events(path: Path) -> Iterator[tuple[str, str, bytes]]:
    """The frames of an event file: (channel, key, Avro single-object value)."""
    with path.open("rb") as source:
        if source.read(len(MAGIC)) != MAGIC:
            raise EventFileError(f"{path}: not an event file (it must start with {MAGIC!r})")
        n = 0
        while header := source.read(_FRAME.size):
            if len(header) < _FRAME.size:
                raise EventFileError(f"{path}: frame {n} is cut short")
            tag, key_length, value_length = _FRAME.unpack(header)
            if tag not in CHANNELS:
                raise EventFileError(f"{path}: frame {n} has an unknown channel tag {tag!r}")
            body = source.read(key_length + value_length)
            if len(body) < key_length + value_length:
                raise EventFileError(f"{path}: frame {n} is cut short")
            yield CHANNELS[tag], body[:key_length].decode(), body[key_length:]
            n += 1


TRUTH_COLUMNS = ("customer_id", "churned", "churn_date", "churn_reason", "style", "propensity")


def write_truth(path: Path, customers: Iterable[SimCustomer]) -> None:
    """Ground truth as CSV: ``churn_date`` is the UTC moment the customer left (ISO 8601),
    empty for customers who stayed; the other columns are the hidden traits, for analysis."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        for c in customers:
            churn = c.churn_at.strftime("%Y-%m-%dT%H:%M:%SZ") if c.churn_at else ""
            writer.writerow(
                (
                    c.customer_id,
                    str(c.churn_at is not None).lower(),
                    churn,
                    c.churn_reason or "",
                    c.style,
                    f"{c.propensity:.4f}",
                )
            )


def paced(
    events: Iterable[RawEvent],
    rate: float,
    duration: float | None = None,
    on_event: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[RawEvent]:
    """``events`` at ``rate`` per second (0: as fast as possible), for ``duration`` seconds
    at most. The schedule is absolute, so a slow send is caught up, not carried over."""
    began = clock()
    for n, event in enumerate(events):
        due = began + n / rate if rate > 0 else clock()
        if duration is not None and due - began >= duration:
            return
        wait = due - clock()
        if wait > 0:
            sleep(wait)
        yield event
        if on_event is not None:
            on_event()


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(
            f"{speed:,.0f} events/s" if speed else "- events/s", style="progress.data.speed"
        )


def progress_bar(console: Console | None = None) -> Progress:
    """Events done of total, the rate and the elapsed time; quiet when not on a terminal."""
    console = console or Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (``Z`` or an offset; naive means UTC), to the second."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def run_simulate(
    config: PopulationConfig,
    out: Path | None,
    truth: Path | None,
    max_events: int | None,
    rate: float,
    duration: float | None,
    send: Callable[[Iterable[RawEvent]], dict[str, int]] | None = None,
) -> tuple[Simulation, dict[str, int]]:
    """Simulates, then writes ``out`` or sends with ``send``; writes ``truth`` if given."""
    simulation = simulate(config, max_events)
    if truth is not None:
        write_truth(truth, simulation.customers)
    events = (timed.event for timed in simulation.events)
    with progress_bar() as bar:
        task = bar.add_task("writing" if out else "sending", total=len(simulation.events))

        def advance() -> None:
            bar.advance(task)

        if out is not None:
            counts = write_events(out, events, advance)  # a file is written as fast as it can
        else:
            assert send is not None, "run_simulate needs --out or a sender"
            counts = send(paced(events, rate, duration, advance))
    return simulation, counts
