"""The enrich+score step: customer history, risk and care alerts, plus the timer's checks.

The care agent (pipeline/worker/care.py) calls :class:`Scorer` in the partition that owns the
customer's history. A timer finds the customers of this worker's partitions with a
follow-up or an aging check of a silent customer's open case due, and sends a tick through
``care.followups``, whose agent decides in the owning partition.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import faust
import orjson

from pipeline.topics import SEQ_HEADER
from pipeline.worker import codecs
from pipeline.worker.historycache import HistoryCache
from pipeline.worker.outbox import Outbox, deliver_now
from pipeline.worker.tables import Tables, get_json, put_json
from pipeline.worker.topics import Topics
from processors.alerts import CareAlert
from processors.care import metric_fact, process_interaction, send_due_alerts
from processors.channel_windows import PartialWindows
from processors.due import DueIndex
from processors.history import CustomerHistory, ms
from processors.interaction import Interaction, Source
from processors.profile import CustomerProfile
from processors.risk import Assessor, assess
from processors.rules import Rules
from processors.silence import next_due
from sinks.metrics import PipelineMetrics

log = logging.getLogger(__name__)

STAGE = "score"

# An output held back until the histories behind it are written: topic, key, value, headers.
Send = tuple[str, bytes, bytes, list[tuple[str, bytes]] | None]


class UnwrittenHistoryDamaged(Exception):
    """Scoring failed on a customer whose history holds changes of earlier records of the
    batch, not written yet: that history can be neither written nor dropped alone. The
    batch is scored again a record at a time (see pipeline/worker/care.py)."""


class Scorer:
    """Scores interactions against their customer's history and sends the alerts.

    What each scored interaction adds to its channel's one-minute window goes into
    ``windows``, which a timer flushes (pipeline/worker/channel_metrics.py).

    The batched path holds a batch's outputs (its normalized records and alerts) until
    the histories that decided them are in the changelog: :meth:`flush`, then
    :meth:`release`. After a crash, an output on a topic is then always backed by a
    history that remembers sending it, and a record whose history was lost sent nothing,
    so scoring it again, in whatever order the restarted consumer meets it, contradicts
    nothing downstream has seen.
    """

    def __init__(
        self,
        app: faust.App,
        topics: Topics,
        tables: Tables,
        rules: Rules,
        metrics: PipelineMetrics,
        windows: PartialWindows,
        cache_size: int = 0,
        assessor: Assessor = assess,
    ) -> None:
        self.app = app
        self.outbox = Outbox(app)
        self.alerts_topic = topics.alerts.get_topic_name()
        self.alert_codec = codecs.for_topic(self.alerts_topic, "CareAlert")
        self.topics = topics
        self.normalized_topic = topics.normalized.get_topic_name()
        self.interaction_codec = codecs.for_topic(self.normalized_topic, "Interaction")
        self.histories = tables.histories
        self.profiles = tables.profiles
        self.rules = rules
        self.assessor = assessor
        self.metrics = metrics
        self.windows = windows
        self.cache = HistoryCache(cache_size)
        # Customers of this worker's partitions by when the timer next has something for
        # them (a follow-up, an aging check); built from the table after each rebalance
        # (see register_follow_ups), kept up to date by every history written.
        self.due = DueIndex[bytes]()
        self.due_stale = True
        # Called with each interaction scored and the alerts it decided (the outcome
        # judgement's clock and index of due openings, pipeline/worker/outcomes.py).
        self.on_scored: list[Callable[[Interaction, list[CareAlert]], None]] = []
        # Called with the key of each customer forgotten (an erasure).
        self.on_forget: list[Callable[[bytes], object]] = []

    def load(self, customer_id: str) -> tuple[CustomerHistory | None, CustomerProfile | None]:
        """The customer's history, from the cache or decoded from the table, and profile.
        Must run in the context of a record of the customer's partition."""
        key = customer_id.encode()
        history = self.cache.get(key)
        if history is None:
            stored = get_json(self.histories, key)
            history = CustomerHistory.from_dict(stored) if stored else None
            if history is not None:
                self.cache.put(key, history)
        profile = get_json(self.profiles, key)
        return history, CustomerProfile.from_dict(profile) if profile else None

    def store(self, customer_id: str, history: CustomerHistory) -> None:
        """Keeps ``history`` for the next :meth:`flush`; the last one per customer wins."""
        self.cache.put(customer_id.encode(), history, dirty=True)

    def flush(self) -> int:
        """Writes every history stored since the last flush to the table: one changelog
        record per customer. Must run in the context of a record of their partition, and
        before any of the records that changed them is acknowledged. Answers how many."""
        dirty = self.cache.take_dirty()
        for key, history in dirty.items():
            put_json(self.histories, key, history)
            self.due.set(key, next_due(history.follow_ups_due, history.aging_due))
        if dirty:
            self.metrics.histories_written(len(dirty))
        return len(dirty)

    def write_now(self, customer_id: str, history: CustomerHistory) -> None:
        """Writes ``history`` to the table at once, in the context of the current record."""
        key = customer_id.encode()
        put_json(self.histories, key, history)
        self.due.set(key, next_due(history.follow_ups_due, history.aging_due))
        self.cache.put(key, history)
        self.metrics.histories_written(1)

    def rollback(self) -> None:
        """Forgets the histories stored since the last flush, when the records behind
        them will be read again (a batch that raised or was cancelled)."""
        if dropped := self.cache.rollback():
            log.info("%d histories not written: their records are read again", dropped)

    def forget_customer(self, key: bytes) -> None:
        """Drops an erased customer from memory: its cached history, a dirty one too (so
        that no flush writes it back), and its place in the due-time index."""
        self.cache.discard(key)
        self.due.discard(key)
        for hook in self.on_forget:
            hook(key)

    def forget_cached(self) -> None:
        """Empties the cache after a rebalance (see pipeline/worker/historycache.py); the
        due-time index is built again for the partitions now held."""
        self.cache.clear()
        self.due_stale = True

    async def score(self, interaction: Interaction, held: list[Send] | None = None) -> None:
        """Updates the history of the interaction's customer and sends what it decides:
        the normalized interaction and its alerts, or adds them to ``held`` for
        :meth:`release`. A record read again sends the same again; an upstream duplicate
        sends nothing. The history is written at the next :meth:`flush`."""
        try:
            await self._score(interaction, held)
        except Exception as exc:
            # The history may be half updated: forget it, the table still has the last
            # one written, unless it holds changes not written yet.
            key = interaction.customer_id.encode()
            if self.cache.is_dirty(key):
                raise UnwrittenHistoryDamaged(interaction.customer_id) from exc
            self.cache.discard(key)
            raise

    async def _score(self, interaction: Interaction, held: list[Send] | None) -> None:
        started = time.perf_counter()
        history, profile = self.load(interaction.customer_id)
        outcome = process_interaction(
            history, interaction, profile, self.rules, datetime.now(UTC), self.assessor
        )
        if outcome.duplicate:
            self.metrics.duplicate(interaction, replay=outcome.replay)
            if outcome.replay:
                await self.send_normalized(interaction, outcome.seq, held)
                await self.send(outcome.alerts, replay=True, held=held)
            return
        self.store(interaction.customer_id, outcome.history)
        await self.send_normalized(interaction, outcome.seq, held)
        for hook in self.on_scored:
            hook(interaction, outcome.alerts)
        if outcome.risk is None:
            return
        await self.send(outcome.alerts, held=held)
        self.windows.add(metric_fact(interaction, outcome.first_contact, outcome.alerts))
        self.metrics.scored(
            interaction, outcome.risk, outcome.first_contact, time.perf_counter() - started
        )

    async def release(self, held: list[Send]) -> None:
        """Sends the outputs held back by a batch, once the producer has delivered what
        was sent before them: the changelog records of the histories behind them."""
        if not held:
            return
        await deliver_now(self.app)
        for topic, key, value, headers in held:
            await self.outbox.send(topic, key, value, headers=headers)

    async def _emit(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        headers: list[tuple[str, bytes]] | None,
        held: list[Send] | None,
    ) -> None:
        if held is None:
            await self.outbox.send(topic, key, value, headers=headers)
        else:
            held.append((topic, key, value, headers))

    async def send_normalized(
        self, interaction: Interaction, seq: int, held: list[Send] | None = None
    ) -> None:
        """The normalized record, with its place in the customer's order of scoring in
        the ``SEQ_HEADER`` header."""
        value = self.interaction_codec.dumps(interaction.to_record())
        key, headers = interaction.customer_id.encode(), [(SEQ_HEADER, str(seq).encode())]
        await self._emit(self.normalized_topic, key, value, headers, held)

    async def send(
        self, alerts: list[CareAlert], replay: bool = False, held: list[Send] | None = None
    ) -> None:
        """Sends alert records, or holds them in ``held``; ``replay`` for records sent
        before, which are not counted again in the metrics."""
        for alert in alerts:
            value = self.alert_codec.dumps(alert.to_record())
            await self._emit(self.alerts_topic, alert.customer_id.encode(), value, None, held)
            if not replay:
                self.metrics.alerted(alert)
            log.info(
                "alert %s %s v%d %s%s",
                alert.alert_type,
                alert.severity,
                alert.version,
                alert.alert_id,
                " (again, for a record read again)" if replay else "",
            )


# Stored histories decoded between two yields to the event loop while the due-time index
# is built: a scan of every customer must not hold up the records for long.
INDEX_SCAN_CHUNK = 200


def _recovered(app: faust.App) -> bool:
    """Whether the worker holds its partitions with their tables recovered."""
    recovery = app.tables.recovery
    return recovery.completed.is_set() and not (app.rebalancing or recovery.in_recovery)


async def _index_due(histories: faust.Table, scorer: Scorer) -> None:
    """Builds the due-time index from this worker's partitions of the history table."""
    scorer.due_stale = False  # a rebalance during the scan sets it again
    stored_rows = list(histories.items())
    scorer.due.clear()
    for n, (key, stored) in enumerate(stored_rows, 1):
        if stored:
            history = orjson.loads(stored)
            scorer.due.set(key, next_due(history.get("follow_ups_due"), history.get("aging_due")))
        if n % INDEX_SCAN_CHUNK == 0:
            await asyncio.sleep(0)
    log.info("due-time index built: %d of %d customers", len(scorer.due), len(stored_rows))


def register_follow_ups(
    app: faust.App, topics: Topics, scorer: Scorer, follow_up_every_s: float
) -> None:
    """Declares the timer and the agent that sends what is due: follow-ups, and the
    AT_RISK records of silent customers' aging checks."""
    histories, rules = scorer.histories, scorer.rules

    @app.timer(follow_up_every_s, name="find-due-follow-ups")
    async def find_due_follow_ups() -> None:
        if scorer.due_stale:
            if not _recovered(app):
                return
            await _index_due(histories, scorer)
        for key in scorer.due.pop_due(ms(datetime.now(UTC))):
            await topics.follow_ups.send(key=key, value=b"due")

    @app.agent(topics.follow_ups, name="send-follow-ups")
    async def send_follow_ups(stream: faust.StreamT) -> None:
        async for event in stream.events():
            customer_id = event.key.decode() if event.key else ""
            history, profile = scorer.load(customer_id)
            if history is None:
                continue
            message = event.message
            tick = Source(message.topic, message.partition, message.offset)
            planned = history.aging_at
            alerts = send_due_alerts(history, profile, rules, datetime.now(UTC), tick)
            if alerts or history.aging_at != planned:
                scorer.write_now(customer_id, history)
                await scorer.send(alerts)
            else:  # nothing was due after all: look again when the next one is
                scorer.due.set(event.key, next_due(history.follow_ups_due, history.aging_due))
