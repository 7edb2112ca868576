"""Prometheus metrics of the pipeline: what care leaders and operators see in Grafana.

Labels are bounded sets only (channel, outcome, reason, alert type, severity, survey
bucket, stage, endpoint name): never a customer id, an agent id or free text. Counters
are raw totals; rates, ratios and percentiles are PromQL's job (see deploy/grafana).
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

from processors.alerts import CareAlert
from processors.domain import CUSTOMER_OUTCOMES
from processors.interaction import Interaction
from processors.outcomes import Judgement, Verdict
from processors.risk import RiskAssessment

SENTIMENT_BUCKETS = (-0.8, -0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
SCORE_BUCKETS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
# From seconds (live) to days (backfilled or late events).
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400, 604800)
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
BATCH_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500)
GC_PAUSE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
HANDLE_BUCKETS = (60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200)
LEAD_DAY_BUCKETS = (1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90)
VERDICTS: tuple[Verdict, ...] = ("churned", "no_churn")


class PipelineMetrics:
    """The pipeline's own metrics, registered once per process in ``registry``."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        def counter(name: str, doc: str, labels: tuple[str, ...]) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        def histogram(
            name: str, doc: str, labels: tuple[str, ...], buckets: tuple[float, ...]
        ) -> Histogram:
            return Histogram(name, doc, labels, buckets=buckets, registry=registry)

        self.events = counter(
            "carepipe_events_normalized_total",
            "Interactions normalized, by channel and outcome.",
            ("channel", "outcome"),
        )
        self.dead_letters = counter(
            "carepipe_dead_letters_total",
            "Records sent to a dead-letter topic, by stage and reason.",
            ("stage", "reason"),
        )
        self.sentiment = histogram(
            "carepipe_sentiment",
            "Sentiment of interactions in [-1, 1], by channel.",
            ("channel",),
            SENTIMENT_BUCKETS,
        )
        self.risk_score = histogram(
            "carepipe_risk_score",
            "Risk score (0-100) of each scored interaction, by channel.",
            ("channel",),
            SCORE_BUCKETS,
        )
        self.alerts = counter(
            "carepipe_alerts_total",
            "Care alert records sent, by type, severity and status.",
            ("alert_type", "severity", "status"),
        )
        self.alert_reasons = counter(
            "carepipe_alert_reasons_total",
            "Reasons on opened or escalated alerts, by alert type and reason code.",
            ("alert_type", "reason"),
        )
        self.alert_latency = histogram(
            "carepipe_event_to_alert_seconds",
            "From the triggering interaction's event time to the alert record, by type.",
            ("alert_type",),
            LATENCY_BUCKETS,
        )
        self.partition_reseeks = counter(
            "carepipe_partition_reseeks_total",
            "Partitions sought back to their committed offset after waiting with records "
            "past it and none in flight (pipeline/worker/stall.py), by topic.",
            ("topic",),
        )
        self.stage_seconds = histogram(
            "carepipe_stage_seconds",
            "Processing time of one record in a stage (normalize, score).",
            ("stage",),
            STAGE_BUCKETS,
        )
        self.webhook_deliveries = counter(
            "carepipe_webhook_deliveries_total",
            "Webhook delivery attempts and results, by endpoint name and outcome.",
            ("endpoint", "outcome"),
        )
        self.surveys = counter(
            "carepipe_survey_responses_total",
            "Survey answers, by channel, survey (csat, nps, ces) and bucket "
            "(1-5; promoter/passive/detractor; 1-7).",
            ("channel", "survey", "bucket"),
        )
        self.resolutions = counter(
            "carepipe_contacts_resolved_total",
            "Resolved contacts, by channel and whether it was the case's first contact.",
            ("channel", "first_contact"),
        )
        self.with_outcome = counter(
            "carepipe_contacts_with_outcome_total",
            "Contacts that ended with an outcome (the denominator of first-contact resolution).",
            ("channel",),
        )
        self.handle_seconds = histogram(
            "carepipe_handle_seconds",
            "Handle time of calls and chats, by channel.",
            ("channel",),
            HANDLE_BUCKETS,
        )
        self.duplicates = counter(
            "carepipe_duplicate_interactions_total",
            "Interactions met again, by channel and kind: replay (the same record read again "
            "after a crash or rebalance; its outputs are sent again) or upstream (the same "
            "event in another record; dropped).",
            ("channel", "kind"),
        )
        self.batch_records = histogram(
            "carepipe_batch_records",
            "Records of one partition scored in one step of the batched hot path.",
            (),
            BATCH_BUCKETS,
        )
        self.gc_pause = histogram(
            "carepipe_gc_pause_seconds",
            "Garbage collections of the worker process and how long each stopped it, by "
            "generation (2 is a full collection).",
            ("generation",),
            GC_PAUSE_BUCKETS,
        )
        self.history_writes = counter(
            "carepipe_history_writes_total",
            "Customer histories written to the table (one changelog record each).",
            (),
        )
        self.abandoned = counter(
            "carepipe_contacts_abandoned_total",
            "Contacts abandoned in queue, by channel.",
            ("channel",),
        )
        self.erasures = counter(
            "carepipe_erasures_total",
            "Erasure requests (`carepipe forget`) carried out to their last step.",
            (),
        )
        self.erased_entries = counter(
            "carepipe_erased_entries_total",
            "Table entries removed by erasures, by table.",
            ("table",),
        )
        self.at_risk_judged = counter(
            "carepipe_at_risk_judged_total",
            "AT_RISK alerts judged against customer outcomes, by verdict: churned (a CHURNED "
            "outcome followed within the horizon) or no_churn (the horizon passed without one).",
            ("verdict",),
        )
        self.churners = counter(
            "carepipe_churners_total",
            "CHURNED outcomes, by whether an AT_RISK alert opened in the horizon before them.",
            ("caught",),
        )
        self.churn_lead_time = histogram(
            "carepipe_churn_lead_time_days",
            "Days from a caught churner's first AT_RISK alert in the horizon to the churn.",
            (),
            LEAD_DAY_BUCKETS,
        )
        self.outcomes = counter(
            "carepipe_outcomes_total",
            "Customer outcomes read, by outcome; one read again after a crash is not counted.",
            ("outcome",),
        )
        # Every series from the start, at 0: the dashboard's ratios then answer before the
        # first verdict instead of showing no data.
        for verdict in VERDICTS:
            self.at_risk_judged.labels(verdict)
        for caught in ("true", "false"):
            self.churners.labels(caught)
        for kind in CUSTOMER_OUTCOMES:
            self.outcomes.labels(kind)

    def normalized(self, interaction: Interaction, seconds: float) -> None:
        channel = interaction.channel
        self.events.labels(channel, interaction.outcome).inc()
        self.stage_seconds.labels("normalize").observe(seconds)
        if interaction.sentiment is not None:
            self.sentiment.labels(channel).observe(interaction.sentiment)

    def batch(self, records: int) -> None:
        self.batch_records.observe(records)

    def histories_written(self, count: int) -> None:
        self.history_writes.inc(count)

    def erased(self, removed: dict[str, int]) -> None:
        """Entries one erasure step removed, by table."""
        for table, count in removed.items():
            self.erased_entries.labels(table).inc(count)

    def erasure_done(self) -> None:
        self.erasures.inc()

    def duplicate(self, interaction: Interaction, replay: bool) -> None:
        self.duplicates.labels(interaction.channel, "replay" if replay else "upstream").inc()

    def dead_lettered(self, stage: str, reason: str) -> None:
        self.dead_letters.labels(stage, reason).inc()

    def scored(
        self,
        interaction: Interaction,
        risk: RiskAssessment,
        first_contact: bool,
        seconds: float,
    ) -> None:
        channel = interaction.channel
        self.stage_seconds.labels("score").observe(seconds)
        self.risk_score.labels(channel).observe(risk.score)
        if interaction.outcome != "NONE":
            self.with_outcome.labels(channel).inc()
        if interaction.outcome == "RESOLVED":
            self.resolutions.labels(channel, "true" if first_contact else "false").inc()
        if interaction.outcome == "ABANDONED":
            self.abandoned.labels(channel).inc()
        if interaction.handle_seconds > 0 and interaction.outcome != "ABANDONED":
            self.handle_seconds.labels(channel).observe(interaction.handle_seconds)
        survey = interaction.survey
        if survey is not None:
            if survey.csat is not None:
                self.surveys.labels(channel, "csat", str(survey.csat)).inc()
            if survey.nps_group is not None:
                self.surveys.labels(channel, "nps", survey.nps_group.lower()).inc()
            if survey.ces is not None:
                self.surveys.labels(channel, "ces", str(survey.ces)).inc()

    def alerted(self, alert: CareAlert) -> None:
        self.alerts.labels(alert.alert_type, alert.severity, alert.status).inc()
        if alert.status != "CLOSED":
            for reason in alert.reasons:
                self.alert_reasons.labels(alert.alert_type, reason.code).inc()
        latency = (alert.created_at - alert.event_time).total_seconds()
        self.alert_latency.labels(alert.alert_type).observe(max(0.0, latency))

    def judged(self, verdicts: tuple[Verdict, ...] | list[Verdict]) -> None:
        for verdict in verdicts:
            self.at_risk_judged.labels(verdict).inc()

    def outcome(self, judgement: Judgement) -> None:
        """An outcome read and what it decided; nothing for one counted before."""
        if judgement.duplicate:
            return
        self.outcomes.labels(judgement.outcome).inc()
        self.judged(judgement.verdicts)
        if judgement.caught is not None:
            self.churners.labels("true" if judgement.caught else "false").inc()
        if judgement.lead_days is not None:
            self.churn_lead_time.observe(judgement.lead_days)

    def delivered(self, endpoint: str, outcome: str) -> None:
        self.webhook_deliveries.labels(endpoint, outcome).inc()
