"""The "care-pipeline" Grafana dashboard as code; run it to rewrite care-pipeline.json.

    python deploy/grafana/dashboard.py

Every query reads the metrics of sinks/metrics.py and faust's Prometheus sensors, set up
with ``name_prefix="faust"`` (faust_messages_received_total, ...), on the targets of job
"carepipe-worker"; the consumer lag is read from the broker (pipeline/grouplag.py) by the
jobs "carepipe-lag" and "carepipe-webhooks". tests/unit/deploy/test_dashboard.py fails when
the committed JSON differs from what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    prometheus,
    stat,
    timeseries,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as dashboard_models

JSON_PATH = Path(__file__).with_name("care-pipeline.json")
UID = "care-pipeline"
JOB = 'job="carepipe-worker"'
# The processes beside the workers that read the consumer lag from the broker.
LAG_JOBS = 'job=~"carepipe-lag|carepipe-webhooks"'
CHANNEL = 'channel=~"$channel"'
RATE = "$__rate_interval"
RANGE = "$__range"
DATASOURCE = dashboard_models.DataSourceRef(type_val="prometheus", uid="${datasource}")
AT_RISK = 'alert_type="AT_RISK"'
OPENED = 'status="OPEN"'
FIRST_CONTACT = 'first_contact="true"'
ASSIGNED = 'operation="completed"'
CSAT_SCALE = range(1, 6)
CES_SCALE = range(1, 8)


def metric(name: str, *matchers: str) -> str:
    """A selector of ``name`` on the pipeline's workers, e.g. ``up{job="carepipe-worker"}``."""
    return f"{name}{{{', '.join((JOB, *matchers))}}}"


def label(name: str, value: object) -> str:
    return f'{name}="{value}"'


def rate_of(name: str, *matchers: str, window: str = RATE) -> str:
    return f"rate({metric(name, *matchers)}[{window}])"


def increase_of(name: str, *matchers: str, window: str = RANGE) -> str:
    return f"increase({metric(name, *matchers)}[{window}])"


def histogram_average(name: str, by: str, *matchers: str) -> str:
    return (
        f"sum by ({by}) ({rate_of(name + '_sum', *matchers)})"
        f" / sum by ({by}) ({rate_of(name + '_count', *matchers)})"
    )


def histogram_quantile(quantile: float, name: str, by: str, *matchers: str) -> str:
    buckets = rate_of(f"{name}_bucket", *matchers)
    return f"histogram_quantile({quantile}, sum by (le, {by}) ({buckets}))"


def ratio_by_channel(numerator: str, denominator: str) -> str:
    """numerator / denominator per channel, 0 (not "no data") where the numerator never moved."""
    den = f"sum by (channel) ({denominator})"
    return f"(sum by (channel) ({numerator}) or {den} * 0) / {den}"


def survey_average(survey: str, scale: range) -> str:
    """Mean answer of a survey counted by bucket label "1".."n" over the dashboard's range.

    Each bucket's count is weighted by its score; ``or`` keeps the buckets apart (their
    labels differ) before the sum, so a bucket nobody chose adds nothing instead of
    emptying the result.
    """
    answers = ("carepipe_survey_responses_total", label("survey", survey), CHANNEL)
    weighted = " or ".join(
        f"{score} * {increase_of(*answers, label('bucket', score))}" for score in scale
    )
    return f"sum({weighted}) / sum({increase_of(*answers)})"


def nps() -> str:
    """(promoters - detractors) / answers * 100; a group nobody is in counts 0."""
    answers = ("carepipe_survey_responses_total", label("survey", "nps"), CHANNEL)

    def group(bucket: str) -> str:
        return f"(sum({increase_of(*answers, label('bucket', bucket))}) or vector(0))"

    return f"100 * ({group('promoter')} - {group('detractor')}) / sum({increase_of(*answers)})"


def first_contact_resolution() -> str:
    resolved = increase_of("carepipe_contacts_resolved_total", FIRST_CONTACT, CHANNEL)
    with_outcome = increase_of("carepipe_contacts_with_outcome_total", CHANNEL)
    return f"(sum({resolved}) or vector(0)) / sum({with_outcome})"


def consumer_lag() -> str:
    # The broker's committed offsets against its end offsets, per group, topic and partition;
    # max over the processes that serve the same partition, so that two do not count twice.
    return (
        "sum by (group, topic) (max without (instance, job) "
        f"(carepipe_group_lag_messages{{{LAG_JOBS}}}))"
    )


def steps(base: str, *rising: tuple[float, str]) -> dashboard.ThresholdsConfig:
    """Colours from ``base`` upwards: each (value, colour) applies from that value on."""
    levels = [dashboard_models.Threshold(value=None, color=base)]
    levels += [dashboard_models.Threshold(value=value, color=color) for value, color in rising]
    return dashboard.ThresholdsConfig().mode(dashboard_models.ThresholdsMode.ABSOLUTE).steps(levels)


NEUTRAL = steps("text")


def query(expr: str, legend: str = "__auto", ref_id: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id).range()


def instant(expr: str, legend: str = "__auto", ref_id: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id).instant()


def graph(
    title: str, description: str, unit: str, *targets: prometheus.Dataquery
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .height(8)
        .span(12)
        .fill_opacity(10)
        .legend(
            common.VizLegendOptions()
            .display_mode(common_models.LegendDisplayMode.LIST)
            .placement(common_models.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(
            common.VizTooltipOptions()
            .mode(common_models.TooltipDisplayMode.MULTI)
            .sort(common_models.SortOrder.DESCENDING)
        )
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def number(
    title: str,
    description: str,
    unit: str,
    thresholds: dashboard.ThresholdsConfig,
    *targets: prometheus.Dataquery,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .height(5)
        .span(4)
        .thresholds(thresholds)
        .color_scheme(dashboard.FieldColor().mode(dashboard_models.FieldColorModeId.THRESHOLDS))
        .graph_mode(common_models.BigValueGraphMode.NONE)
        .color_mode(common_models.BigValueColorMode.VALUE)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def customer_experience(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("Customer experience (selected time range)"))
    board = board.with_panel(
        number(
            "Interactions",
            "Interactions normalized in the selected range, all outcomes.",
            "short",
            NEUTRAL,
            instant(f"sum({increase_of('carepipe_events_normalized_total', CHANNEL)})"),
        ).decimals(0)
    )
    board = board.with_panel(
        number(
            "At-risk alerts opened",
            "New AT_RISK alerts in the selected range (escalations not counted).",
            "short",
            NEUTRAL,
            instant(f"sum({increase_of('carepipe_alerts_total', AT_RISK, OPENED)})"),
        )
        .decimals(0)
        # Its series appears with the first alert: before that, none were opened.
        .no_value("0")
    )
    board = board.with_panel(
        number(
            "NPS",
            "Net promoter score: (promoters - detractors) / answers * 100, from -100 to 100.",
            "none",
            steps("red", (0, "yellow"), (30, "green")),
            instant(nps()),
        )
        .decimals(0)
        .min(-100)
        .max(100)
    )
    board = board.with_panel(
        number(
            "CSAT",
            "Average customer satisfaction answer, 1 (worst) to 5.",
            "none",
            steps("red", (3, "yellow"), (4, "green")),
            instant(survey_average("csat", CSAT_SCALE)),
        )
        .decimals(2)
        .min(1)
        .max(5)
    )
    board = board.with_panel(
        number(
            "CES",
            "Average customer effort answer, 1 (easy) to 7 (hard).",
            "none",
            steps("green", (3, "yellow"), (5, "red")),
            instant(survey_average("ces", CES_SCALE)),
        )
        .decimals(2)
        .min(1)
        .max(7)
    )
    return board.with_panel(
        number(
            "First-contact resolution",
            "Contacts resolved on the case's first contact / contacts that ended with an outcome.",
            "percentunit",
            steps("red", (0.6, "yellow"), (0.75, "green")),
            instant(first_contact_resolution()),
        )
        .decimals(1)
        .min(0)
        .max(1)
    )


def share(name: str, *matchers: str) -> str:
    """The share of ``name``'s increase over the range that carries ``matchers``."""
    part = f"sum({increase_of(name, *matchers)})"
    return f"{part} / sum({increase_of(name)})"


def lead_time(quantile: float) -> str:
    buckets = increase_of("carepipe_churn_lead_time_days_bucket")
    return f"histogram_quantile({quantile}, sum by (le) ({buckets}))"


def alert_quality(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("AT_RISK alerts judged by outcomes (selected time range)"))
    board = board.with_panel(
        number(
            "AT_RISK precision",
            "AT_RISK alerts followed by a churn within the horizon / AT_RISK alerts judged "
            "(a churn came, or the horizon passed), among those judged in the range.",
            "percentunit",
            steps("red", (0.3, "yellow"), (0.6, "green")),
            instant(share("carepipe_at_risk_judged_total", label("verdict", "churned"))),
        )
        .decimals(1)
        .min(0)
        .max(1)
    )
    board = board.with_panel(
        number(
            "Churners caught",
            "Churners with an AT_RISK alert in the horizon before they left / churners, "
            "among the CHURNED outcomes read in the range.",
            "percentunit",
            steps("red", (0.3, "yellow"), (0.6, "green")),
            instant(share("carepipe_churners_total", label("caught", "true"))),
        )
        .decimals(1)
        .min(0)
        .max(1)
    )
    board = board.with_panel(
        number(
            "Lead time median / p90",
            "Days from a caught churner's first AT_RISK alert in the horizon to the churn.",
            "d",
            NEUTRAL,
            instant(lead_time(0.5), "median", "A"),
            instant(lead_time(0.9), "p90", "B"),
        )
        .decimals(1)
        .text_mode(common_models.BigValueTextMode.VALUE_AND_NAME)
    )
    return board.with_panel(
        graph(
            "Customer outcomes per day",
            "Customer outcomes read from customers.outcomes per day, by outcome.",
            "short",
            query(
                f"86400 * sum by (outcome) ({rate_of('carepipe_outcomes_total')})",
                "{{outcome}}",
            ),
        ).span(12)
    )


def customers(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("Customers"))
    board = board.with_panel(
        graph(
            "Interactions per minute by channel",
            "Interactions normalized per minute, by channel.",
            "opm",
            query(
                f"60 * sum by (channel) ({rate_of('carepipe_events_normalized_total', CHANNEL)})",
                "{{channel}}",
            ),
        )
    )
    # carepipe_sentiment has negative buckets, so prometheus_client exposes no _sum for it
    # (a sum that can fall is no counter): median and negative share come from the buckets.
    board = board.with_panel(
        graph(
            "Median sentiment by channel",
            "Median sentiment of interactions, -1 (negative) to 1 (positive), "
            "interpolated within buckets 0.2 wide.",
            "none",
            query(histogram_quantile(0.5, "carepipe_sentiment", "channel", CHANNEL), "{{channel}}"),
        )
        .min(-1)
        .max(1)
    )
    board = board.with_panel(
        graph(
            "Negative interactions by channel",
            "Share of interactions with sentiment -0.4 or lower.",
            "percentunit",
            query(
                ratio_by_channel(
                    rate_of("carepipe_sentiment_bucket", CHANNEL, label("le", "-0.4")),
                    rate_of("carepipe_sentiment_count", CHANNEL),
                ),
                "{{channel}}",
            ),
        )
        .min(0)
        .max(1)
    )
    board = board.with_panel(
        graph(
            "At-risk alerts opened per hour by severity",
            "New AT_RISK alerts per hour, by severity.",
            "short",
            query(
                f"3600 * sum by (severity) ({rate_of('carepipe_alerts_total', AT_RISK, OPENED)})",
                "{{severity}}",
            ),
        )
    )
    board = board.with_panel(
        bargauge.Panel()
        .title("Alert reasons")
        .description("Reason codes on opened or escalated alerts in the selected range.")
        .datasource(DATASOURCE)
        .unit("short")
        .decimals(0)
        .height(8)
        .span(12)
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .thresholds(steps("blue"))
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .with_target(
            instant(
                "sort_desc(sum by (alert_type, reason) ("
                f"{increase_of('carepipe_alert_reasons_total')}))",
                "{{alert_type}} {{reason}}",
            )
        )
    )
    board = board.with_panel(
        graph(
            "Average risk score by channel",
            "Mean risk score (0-100) of scored interactions, by channel.",
            "none",
            query(histogram_average("carepipe_risk_score", "channel", CHANNEL), "{{channel}}"),
        )
        .min(0)
        .max(100)
    )
    return board.with_panel(
        graph(
            "Alerts per hour by type and status",
            "Care alert records sent per hour: OPEN, ESCALATED, CLOSED.",
            "short",
            query(
                f"3600 * sum by (alert_type, status) ({rate_of('carepipe_alerts_total')})",
                "{{alert_type}} {{status}}",
            ),
        ).span(24)
    )


def service(board: dashboard.Dashboard) -> dashboard.Dashboard:
    with_outcome = rate_of("carepipe_contacts_with_outcome_total", CHANNEL)
    board = board.with_row(dashboard.Row("Service"))
    board = board.with_panel(
        graph(
            "First-contact resolution by channel",
            "Resolved on the case's first contact / contacts with an outcome.",
            "percentunit",
            query(
                ratio_by_channel(
                    rate_of("carepipe_contacts_resolved_total", FIRST_CONTACT, CHANNEL),
                    with_outcome,
                ),
                "{{channel}}",
            ),
        )
        .span(8)
        .min(0)
        .max(1)
    )
    board = board.with_panel(
        graph(
            "Average handle time by channel",
            "Mean handle time of calls and chats that were not abandoned.",
            "s",
            query(histogram_average("carepipe_handle_seconds", "channel", CHANNEL), "{{channel}}"),
        ).span(8)
    )
    return board.with_panel(
        graph(
            "Abandonment rate by channel",
            "Contacts abandoned in queue / contacts with an outcome.",
            "percentunit",
            query(
                ratio_by_channel(
                    rate_of("carepipe_contacts_abandoned_total", CHANNEL), with_outcome
                ),
                "{{channel}}",
            ),
        )
        .span(8)
        .min(0)
        .max(1)
    )


def operations(board: dashboard.Dashboard) -> dashboard.Dashboard:
    board = board.with_row(dashboard.Row("Operations"))
    board = board.with_panel(
        graph(
            "Alert latency p50 / p99 (event to alert)",
            "From the triggering interaction's event time to the alert record. "
            "The AT_RISK objective is 60 s at p99; replays of old events show as days.",
            "s",
            query(
                histogram_quantile(0.5, "carepipe_event_to_alert_seconds", "alert_type"),
                "p50 {{alert_type}}",
                "A",
            ),
            query(
                histogram_quantile(0.99, "carepipe_event_to_alert_seconds", "alert_type"),
                "p99 {{alert_type}}",
                "B",
            ),
        )
    )
    board = board.with_panel(
        graph(
            "Stage processing time p99",
            "Time to process one record in each stage (normalize, score).",
            "s",
            query(histogram_quantile(0.99, "carepipe_stage_seconds", "stage"), "{{stage}}"),
        )
    )
    board = board.with_panel(
        graph(
            "Dead letters per second by reason",
            "Records sent to interactions.dlq, by stage and reason (see the README's headers).",
            "short",
            query(
                f"sum by (stage, reason) ({rate_of('carepipe_dead_letters_total')})",
                "{{stage}} {{reason}}",
            ),
        )
    )
    board = board.with_panel(
        graph(
            "Consumer lag by topic",
            "Records each consumer group has still to read, summed over partitions: its "
            "committed offsets against the end offsets, as the broker reports them (carepipe "
            "lag-exporter). A worker that is stopped or stops fetching commits nothing, so its "
            "lag grows here.",
            "short",
            query(consumer_lag(), "{{group}} {{topic}}"),
        ).min(0)
    )
    board = board.with_panel(
        graph(
            "Messages consumed per second by topic",
            "Messages the workers received, by topic (faust sensor).",
            "short",
            query(
                f"sum by (topic) ({rate_of('faust_messages_received_per_topic_total')})",
                "{{topic}}",
            ),
        )
    )
    board = board.with_panel(
        graph(
            "Webhook deliveries by outcome",
            "Webhook delivery attempts per second, by endpoint and outcome.",
            "short",
            query(
                # `carepipe webhooks` runs apart from the workers: its own scrape job.
                "sum by (endpoint, outcome) (rate(carepipe_webhook_deliveries_total"
                f'{{job="carepipe-webhooks"}}[{RATE}]))',
                "{{endpoint}} {{outcome}}",
            ),
        )
    )
    board = board.with_panel(
        number(
            "Workers up",
            "Workers that answered the last scrape, and workers Prometheus knows of.",
            "short",
            steps("red", (1, "green")),
            instant(f"sum({metric('up')})", "up", "A"),
            instant(f"count({metric('up')})", "known", "B"),
        )
        .span(6)
        .height(8)
        .text_mode(common_models.BigValueTextMode.VALUE_AND_NAME)
    )
    board = board.with_panel(
        graph(
            "Worker up by instance",
            "1 when the worker answered the scrape, 0 when not.",
            "short",
            query(metric("up"), "{{instance}}"),
        )
        .span(9)
        .min(0)
        .max(1)
    )
    board = board.with_panel(
        graph(
            "Rebalances by instance",
            "Rebalances in progress and recovering (faust gauges), and partition assignments "
            "completed per rate interval.",
            "short",
            query(
                f"sum by (instance) ({metric('faust_total_rebalances')})",
                "in progress {{instance}}",
                "A",
            ),
            query(
                f"sum by (instance) ({metric('faust_total_rebalances_recovering')})",
                "recovering {{instance}}",
                "B",
            ),
            query(
                "sum by (instance) ("
                f"{increase_of('faust_assignment_operations_total', ASSIGNED, window=RATE)})",
                "assignments {{instance}}",
                "C",
            ),
        )
        .span(9)
        .min(0)
    )
    return board.with_panel(
        graph(
            "Garbage collection pauses p99 by generation",
            "How long the worker's garbage collections stop it, by generation: 0 and 1 run "
            "all the time, 2 (a full collection) every CAREPIPE_GC_FULL_COLLECT_SECONDS.",
            "s",
            query(
                histogram_quantile(0.99, "carepipe_gc_pause_seconds", "generation"),
                "generation {{generation}}",
            ),
        )
    )


def variables(board: dashboard.Dashboard) -> dashboard.Dashboard:
    channels = f"label_values({metric('carepipe_events_normalized_total')}, channel)"
    return board.with_variable(
        dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus")
    ).with_variable(
        dashboard.QueryVariable("channel")
        .label("Channel")
        .datasource(DATASOURCE)
        .query(channels)
        .refresh(dashboard_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard_models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dashboard_models.VariableOption(selected=True, text="All", value="$__all"))
    )


def build_dashboard() -> dashboard.Dashboard:
    board = (
        dashboard.Dashboard("care-pipeline")
        .uid(UID)
        .description(
            "Customer care as the pipeline sees it: volume, sentiment, risk, surveys, "
            "resolution, AT_RISK alerts judged by outcomes; and the workers: latency, dead "
            "letters, lag, health."
        )
        .tags(["care-pipeline", "faust", "kafka"])
        .editable()
        .tooltip(dashboard_models.DashboardCursorSync.CROSSHAIR)
        .time("now-6h", "now")
        .timezone("browser")
        .refresh("1m")
    )
    sections = (variables, customer_experience, alert_quality, customers, service, operations)
    for section in sections:
        board = section(board)
    return board


def render() -> str:
    """The dashboard's JSON, byte for byte what care-pipeline.json holds."""
    model = build_dashboard().build()
    for number_, panel in enumerate(model.panels or [], start=1):
        panel.id_val = number_
    return JSONEncoder(sort_keys=True, indent=2).encode(model) + "\n"


def main() -> int:
    JSON_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {JSON_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
