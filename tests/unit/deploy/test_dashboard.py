"""deploy/grafana: the committed dashboard is the generated one, and its queries are sound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.grafana import dashboard
from deploy.grafana.queries import dashboard_queries, substitute

from .promtool import promtool

JSON_PATH = dashboard.JSON_PATH


def committed() -> dict[str, Any]:
    return json.loads(JSON_PATH.read_text(encoding="utf-8"))


def panels(model: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in model["panels"] if panel["type"] != "row"]


def test_committed_json_is_the_generated_one() -> None:
    assert JSON_PATH.read_text(encoding="utf-8") == dashboard.render(), (
        f"{JSON_PATH.name} is out of date: run `python deploy/grafana/dashboard.py` "
        "and commit the result"
    )


def test_every_panel_has_a_title_and_a_query() -> None:
    model = committed()
    assert model["uid"] == "care-pipeline"
    for panel in model["panels"]:
        assert panel.get("title"), f"panel {panel.get('id')} has no title"
    for panel in panels(model):
        exprs = [target.get("expr", "").strip() for target in panel.get("targets", [])]
        assert any(exprs), f"panel {panel['title']!r} has no query"
        assert all(exprs), f"panel {panel['title']!r} has an empty query"


def test_panels_read_the_datasource_variable() -> None:
    model = committed()
    variables = {variable["name"]: variable for variable in model["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["channel"]["allValue"] == ".*"
    for panel in panels(model):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
    assert len({panel["id"] for panel in model["panels"]}) == len(model["panels"])


def test_queries_have_every_variable_substituted() -> None:
    queries = dashboard_queries(JSON_PATH)
    targets = sum(len(panel["targets"]) for panel in panels(committed()))
    assert len(queries) == targets
    for title, expr in queries:
        assert "$" not in expr, (title, expr)
        jobs = ('job="carepipe-worker"', 'job="carepipe-webhooks"', dashboard.LAG_JOBS)
        assert any(job in expr for job in jobs), (title, expr)
    assert ("Worker up by instance", 'up{job="carepipe-worker"}') in queries


def test_substitute_knows_grafana_forms_and_refuses_unknown_variables() -> None:
    assert substitute('rate(x{channel=~"${channel}"}[$__rate_interval])') == (
        'rate(x{channel=~".*"}[1m])'
    )
    assert substitute("${channel:regex}|$__interval|$__range") == ".*|1m|1h"
    with pytest.raises(ValueError, match=r"\$instance"):
        substitute('up{instance="$instance"}')


def test_every_query_parses(tmp_path: Path) -> None:
    # promtool parses the PromQL of recording rules: one rule per dashboard query.
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{number}", "expr": expr}
                    for number, (_, expr) in enumerate(dashboard_queries(JSON_PATH))
                ],
            }
        ]
    }
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    promtool("check", "rules", path)


def series(name: str, labels: str, per_minute: float) -> dict[str, str]:
    return {
        "series": f'{name}{{job="carepipe-worker", instance="w1:6066", {labels}}}',
        "values": f"0+{per_minute}x60",
    }


def survey(channel: str, kind: str, bucket: str, per_minute: float) -> dict[str, str]:
    labels = f'channel="{channel}", survey="{kind}", bucket="{bucket}"'
    return series("carepipe_survey_responses_total", labels, per_minute)


def expect(title: str, *samples: tuple[str, float]) -> list[dict[str, Any]]:
    exprs = [expr for panel, expr in dashboard_queries(JSON_PATH) if panel == title]
    assert exprs, f"no panel {title!r}"
    return [
        {
            "expr": expr,
            "eval_time": "60m",
            "exp_samples": [{"labels": labels, "value": value} for labels, value in samples],
        }
        for expr in exprs
    ]


def test_care_kpis_compute(tmp_path: Path) -> None:
    """The care KPIs, on counts whose answers are known."""
    one_hour = {
        "interval": "1m",
        "input_series": [
            # NPS: 360 promoters over two channels, 120 passives, 120 detractors -> 40.
            survey("VOICE", "nps", "promoter", 3),
            survey("CHAT", "nps", "promoter", 3),
            survey("VOICE", "nps", "passive", 2),
            survey("VOICE", "nps", "detractor", 2),
            # CSAT: 120 fives, 60 fours, 60 ones -> 900 / 240 = 3.75.
            survey("EMAIL", "csat", "5", 2),
            survey("EMAIL", "csat", "4", 1),
            survey("CHAT", "csat", "1", 1),
            # CES: 60 twos, 60 sevens -> 4.5.
            survey("CHAT", "ces", "2", 1),
            survey("CHAT", "ces", "7", 1),
            # First contact: 180 of 360 contacts with an outcome, all on VOICE.
            series("carepipe_contacts_resolved_total", 'channel="VOICE", first_contact="true"', 3),
            series("carepipe_contacts_resolved_total", 'channel="VOICE", first_contact="false"', 1),
            series("carepipe_contacts_with_outcome_total", 'channel="VOICE"', 4),
            series("carepipe_contacts_with_outcome_total", 'channel="EMAIL"', 2),
            # Sentiment: 1 in 4 VOICE interactions at -0.4 or lower.
            series("carepipe_sentiment_bucket", 'channel="VOICE", le="-0.4"', 1),
            series("carepipe_sentiment_count", 'channel="VOICE"', 4),
        ],
        "promql_expr_test": [
            *expect("NPS", ("{}", 40)),
            *expect("CSAT", ("{}", 3.75)),
            *expect("CES", ("{}", 4.5)),
            *expect("First-contact resolution", ("{}", 0.5)),
            # EMAIL resolved nothing on first contact: 0, not a missing line.
            *expect(
                "First-contact resolution by channel",
                ('{channel="VOICE"}', 0.75),
                ('{channel="EMAIL"}', 0),
            ),
            *expect("Negative interactions by channel", ('{channel="VOICE"}', 0.25)),
        ],
    }
    no_detractors = {
        "interval": "1m",
        "input_series": [
            survey("SOCIAL", "nps", "promoter", 3),
            survey("SOCIAL", "nps", "passive", 1),
        ],
        # 180 promoters of 240 answers, nobody a detractor -> 75, not "no data".
        "promql_expr_test": expect("NPS", ("{}", 75)),
    }
    (tmp_path / "none.yml").write_text("groups: []\n", encoding="utf-8")
    tests = {"rule_files": ["none.yml"], "tests": [one_hour, no_detractors]}
    (tmp_path / "kpis_test.yml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    promtool("test", "rules", "kpis_test.yml", cwd=tmp_path)
