"""deploy/prometheus: the scrape config and the rules are valid, and the rules' own tests pass."""

from __future__ import annotations

import yaml

from deploy.prometheus.queries import rule_queries

from .promtool import ROOT, promtool

PROMETHEUS = ROOT / "deploy" / "prometheus"
ALERTS = {
    "CarePipeConsumerLagGrowing",
    "CarePipeConsumerLagUnknown",
    "CarePipeDeadLetterSpike",
    "CarePipeAlertLatencyHigh",
    "CarePipeChannelSilent",
    "CarePipeWorkerDown",
}


def test_scrape_config_is_valid() -> None:
    promtool("check", "config", PROMETHEUS / "prometheus.yml")


def test_rules_are_valid() -> None:
    promtool("check", "rules", PROMETHEUS / "rules.yml")


def test_rules_unit_tests_pass() -> None:
    # Run from the file's folder: its rule_files are relative to it.
    promtool("test", "rules", "rules_test.yml", cwd=PROMETHEUS)


def test_scrape_jobs_are_the_pipeline_processes() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    assert [job["job_name"] for job in config["scrape_configs"]] == [
        "carepipe-worker",
        "carepipe-webhooks",
        "carepipe-lag",
    ]
    assert config["rule_files"] == ["rules.yml"]


def test_every_alert_has_a_severity_and_explains_itself() -> None:
    rules = yaml.safe_load((PROMETHEUS / "rules.yml").read_text(encoding="utf-8"))
    alerts = [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]
    assert {alert["alert"] for alert in alerts} == ALERTS
    for alert in alerts:
        assert alert["labels"]["severity"] in {"warning", "critical"}, alert["alert"]
        assert set(alert["annotations"]) == {"summary", "description", "runbook"}, alert["alert"]


def test_every_alert_is_tested_firing_and_quiet() -> None:
    tests = yaml.safe_load((PROMETHEUS / "rules_test.yml").read_text(encoding="utf-8"))
    cases = [case for test in tests["tests"] for case in test.get("alert_rule_test", [])]
    firing = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert firing == ALERTS
    assert quiet == ALERTS


def test_rule_queries_lists_every_rule() -> None:
    queries = rule_queries(PROMETHEUS / "rules.yml")
    names = [name for name, _ in queries]
    assert set(names) >= ALERTS
    assert "group_topic:carepipe_group_lag_messages:sum" in names
    assert len(names) == len(set(names))
    assert all(expr and expr == expr.strip() for _, expr in queries)
