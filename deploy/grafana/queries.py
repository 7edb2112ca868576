"""The PromQL of a dashboard JSON, with Grafana's variables replaced so Prometheus can run it.

Usage, e.g. in an integration test against a real Prometheus:

    from deploy.grafana.queries import dashboard_queries

    for title, expr in dashboard_queries("deploy/grafana/care-pipeline.json"):
        ...  # e.g. ("Interactions", 'sum(increase(carepipe_events_normalized_total{...}[1h]))')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

# What Grafana would put in; a range query's step stands in for $__interval.
DEFAULT_VALUES: Mapping[str, str] = {
    "__rate_interval": "1m",
    "__interval": "1m",
    "__range": "1h",
    "channel": ".*",
    "datasource": "",
}

# $name, ${name} and ${name:format}; Grafana's deprecated [[name]] is not used here.
_VARIABLE = re.compile(r"\$(?:\{(?P<braced>\w+)(?::\w+)?\}|(?P<bare>\w+))")


def substitute(expr: str, values: Mapping[str, str] = DEFAULT_VALUES) -> str:
    """``expr`` with every dashboard variable replaced; an unknown one raises ValueError."""

    def value(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        if name not in values:
            raise ValueError(f"no value for dashboard variable ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(value, expr)


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        # A collapsed row carries its panels inside it.
        yield from _panels(panel.get("panels") or [])


def dashboard_queries(
    path: str | Path, values: Mapping[str, str] = DEFAULT_VALUES
) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target of every panel, variables substituted."""
    model = json.loads(Path(path).read_text(encoding="utf-8"))
    return [
        (panel.get("title", ""), substitute(target["expr"], values))
        for panel in _panels(model.get("panels") or [])
        for target in panel.get("targets") or []
        if target.get("expr")
    ]
