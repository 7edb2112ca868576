"""The PromQL of a Prometheus rules file, one expression per recording or alerting rule.

Usage, e.g. in an integration test against a real Prometheus:

    from deploy.prometheus.queries import rule_queries

    for name, expr in rule_queries("deploy/prometheus/rules.yml"):
        ...  # e.g. ("CarePipeWorkerDown", 'up{job="carepipe-worker"} == 0')
"""

from __future__ import annotations

from pathlib import Path

import yaml


def rule_queries(path: str | Path) -> list[tuple[str, str]]:
    """(rule name, expr) for every rule of every group, in file order.

    The name is the alert's name for an alerting rule and the recorded metric's name for
    a recording rule.
    """
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return [
        (rule.get("alert") or rule["record"], rule["expr"].strip())
        for group in document.get("groups") or []
        for rule in group.get("rules") or []
    ]
