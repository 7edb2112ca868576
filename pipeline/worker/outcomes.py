"""Customer outcomes judged live: the agent of ``customers.outcomes`` and the timer that
judges the AT_RISK openings whose horizon has passed (processors/outcomes.py decides).

Both work on the customer's history, in the partition that owns it: outcomes are keyed by
customer id like the raw channels, and the timer's ticks go through ``care.judgements``,
keyed the same way. Openings fall due by event time: the clock is the newest event time
this worker has met (never ahead of the wall clock), so a replay of old events judges
them as it goes, not all at once, and before their outcomes are read.
"""

from __future__ import annotations

import asyncio
import logging
import time

import faust
import orjson
from faust.types import Message

from pipeline.partitioning import customer_partition
from pipeline.worker import batching, codecs
from pipeline.worker.scoring import INDEX_SCAN_CHUNK, Scorer, _recovered
from pipeline.worker.topics import Topics
from processors.alerts import CareAlert
from processors.due import DueIndex
from processors.history import CustomerHistory, ms
from processors.interaction import Interaction, Source
from processors.outcomes import (
    AtRiskLedger,
    CustomerOutcome,
    horizon_ms,
    judge_due,
    judge_outcome,
    next_judgement_due,
)
from schemas import AvroDecodeError
from sinks.deadletter import KafkaDeadLetterSink
from sinks.metrics import PipelineMetrics

log = logging.getLogger(__name__)


class Judge:
    """Judges a worker's customers' AT_RISK openings against their outcomes."""

    def __init__(
        self,
        scorer: Scorer,
        topics: Topics,
        metrics: PipelineMetrics,
        horizon_days: float,
        partitions: int,
    ) -> None:
        self.scorer = scorer
        self.partitions = partitions
        self.metrics = metrics
        self.horizon = horizon_ms(horizon_days)
        self.outcomes_topic = topics.outcomes.get_topic_name()
        self.codec = codecs.get("CustomerOutcome")
        self.dead_letters = KafkaDeadLetterSink(
            scorer.outbox.topic(topics.dlq.get_topic_name()), "normalize", metrics
        )
        # Customers of this worker's partitions by when their first pending opening falls
        # due; built from the table after each rebalance, kept up to date as openings come.
        self.due = DueIndex[bytes]()
        self.stale = True
        self.clock = 0  # epoch ms: the newest event time met, never ahead of the wall clock
        scorer.on_scored.append(self.scored)
        scorer.on_forget.append(self.due.discard)

    def advance(self, at_ms: int) -> None:
        self.clock = max(self.clock, min(at_ms, int(time.time() * 1000)))

    def scored(self, interaction: Interaction, alerts: list[CareAlert]) -> None:
        """O(1) per interaction: the clock, and the index when an AT_RISK opened."""
        self.advance(ms(interaction.occurred_at))
        if any(a.alert_type == "AT_RISK" and a.version == 1 for a in alerts):
            key = interaction.customer_id.encode()
            history = self.scorer.cache.get(key)
            if history is not None:
                self.due.set(key, next_judgement_due(history.at_risk_ledger, self.horizon))

    async def outcome(self, message: Message) -> None:
        """One record of customers.outcomes, in the context of its partition."""
        source = Source(message.topic, message.partition, message.offset)
        try:
            await codecs.learn(message.value)
            outcome = CustomerOutcome.from_record(self.codec.loads(message.value or b""))
        except AvroDecodeError as exc:
            await self.dead_letters.send(message.key, message.value, exc, exc.reason, source)
            return
        owner = customer_partition(outcome.customer_id, self.partitions)
        if owner != message.partition:  # a producer with another key or partitioner
            await self.scorer.outbox.send(
                self.outcomes_topic, outcome.customer_id.encode(), message.value, owner
            )
            return
        self.advance(ms(outcome.occurred_at))
        history, _ = self.scorer.load(outcome.customer_id)
        if history is None:  # no contact yet: the history holds the outcome's key alone
            history = CustomerHistory(outcome.customer_id)
        ledger, judgement = judge_outcome(history.at_risk_ledger, outcome, self.horizon)
        if not judgement.duplicate:
            history.at_risk_ledger = ledger
            self.scorer.write_now(outcome.customer_id, history)
            self.metrics.outcome(judgement)
            log.info(
                "outcome %s: %d AT_RISK judged, churner %s",
                outcome.outcome,
                len(judgement.verdicts),
                {True: "caught", False: "missed", None: "-"}[judgement.caught],
            )
        self._reindex(outcome.customer_id.encode(), ledger)

    async def tick(self, message: Message) -> None:
        """A customer's openings fell due: judge those whose horizon has passed."""
        if not message.key:
            return
        customer_id = message.key.decode()
        history, _ = self.scorer.load(customer_id)
        if history is None:
            return
        verdicts = judge_due(history.at_risk_ledger, self.clock, self.horizon)
        if verdicts:
            self.scorer.write_now(customer_id, history)
            self.metrics.judged(verdicts)
        self._reindex(message.key, history.at_risk_ledger)

    async def look(self, topics: Topics, app: faust.App) -> None:
        """The timer's round: a tick for each customer whose first opening is due."""
        if self.stale:
            if not _recovered(app):
                return
            await self._index()
        for key in self.due.pop_due(self.clock):
            await topics.judgements.send(key=key, value=b"due")

    def _reindex(self, key: bytes, ledger: AtRiskLedger | None) -> None:
        self.due.set(key, next_judgement_due(ledger, self.horizon))

    async def _index(self) -> None:
        """Builds the index of due openings from this worker's partitions of the table."""
        self.stale = False  # a rebalance during the scan sets it again
        rows = list(self.scorer.histories.items())
        self.due.clear()
        for n, (key, stored) in enumerate(rows, 1):
            if stored and b'"openings":[{' in stored:
                ledger = AtRiskLedger.from_dict(orjson.loads(stored).get("at_risk_ledger"))
                self._reindex(key, ledger)
            if n % INDEX_SCAN_CHUNK == 0:
                await asyncio.sleep(0)
        log.info("judgement index built: %d of %d customers", len(self.due), len(rows))


def register(
    app: faust.App, topics: Topics, judge: Judge, check_every_s: float, batched: bool
) -> None:
    """Declares the outcome agent, the judgement timer and its ticks' agent; ``batched``
    hands their topics to the batched hot path, so that they never write a history in the
    middle of a batch of the care agent."""

    @app.agent(topics.outcomes, name="judge-outcomes")
    async def judge_outcomes(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await judge.outcome(event.message)

    @app.agent(topics.judgements, name="judge-due-openings")
    async def judge_due_openings(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await judge.tick(event.message)

    @app.timer(check_every_s, name="find-due-openings")
    async def find_due_openings() -> None:
        await judge.look(topics, app)

    if batched:
        for topic, handle in ((topics.outcomes, judge.outcome), (topics.judgements, judge.tick)):
            batching.register_batch_handler(
                app, topic.topics, batching.each_in_partition(app, handle)
            )

    async def stale(app: faust.App, tps: object, **kwargs: object) -> None:
        judge.stale = True

    app.on_partitions_assigned.connect(stale)  # type: ignore[arg-type]
