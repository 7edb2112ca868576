"""The webhooks file: defaults, errors that name the key or the missing variable, and
secrets that never show up in errors."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.delivery.webhooksfile import load_endpoints
from processors.domain import ALERT_TYPES
from sinks.webhook_endpoints import WebhooksFileError, parse_endpoints

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
NEXT_SECRET = "whsec_" + base64.b64encode(b"n" * 32).decode()
ENVIRON = {"CRM_SECRET": SECRET, "CRM_SECRET_NEXT": NEXT_SECRET}

GOOD = """\
- name: crm
  url: https://crm.example.com/hooks/care
  secrets: [CRM_SECRET, CRM_SECRET_NEXT]
- name: supervisors
  url: https://hooks.slack.com/services/T000/B000/XXXX
  format: slack
  types: [AT_RISK, PUBLIC_COMPLAINT]
  min_severity: HIGH
  timeout_seconds: 2
  max_attempts: 3
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "webhooks.yaml"
    path.write_text(text)
    return path


def test_a_good_file_with_defaults(tmp_path: Path) -> None:
    crm, slack = load_endpoints(write(tmp_path, GOOD), ENVIRON)

    assert crm.name == "crm"
    assert crm.keys == (b"k" * 32, b"n" * 32)
    assert crm.config.types == ALERT_TYPES
    assert crm.config.min_severity == "LOW"
    assert crm.config.format == "generic"
    assert crm.config.timeout_seconds == 5
    assert crm.config.max_attempts == 6
    assert crm.config.backoff_base_seconds == 0.5
    assert crm.config.backoff_cap_seconds == 30
    assert slack.config.format == "slack"
    assert slack.config.types == ("AT_RISK", "PUBLIC_COMPLAINT")
    assert slack.keys == ()
    assert SECRET not in repr(crm)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "CRM", "url": "https://x.example"}, "[CRM].name: String should match"),
        ({"name": "crm"}, "[crm].url: missing key"),
        ({"name": "crm", "url": "ftp://x.example", "secrets": ["S"]}, "[crm].url: URL scheme"),
        ({"name": "crm", "url": "https://x", "secrets": ["S"], "typo": 1}, "[crm].typo: unknown"),
        (
            {"name": "crm", "url": "https://x", "secrets": ["S"], "types": ["CHURN"]},
            "[crm].types.0: Input should be 'AT_RISK'",
        ),
        (
            {"name": "crm", "url": "https://x", "secrets": ["S"], "min_severity": "URGENT"},
            "[crm].min_severity",
        ),
        (
            {"name": "crm", "url": "https://x", "secrets": ["S"], "timeout_seconds": 0},
            "[crm].timeout_seconds: Input should be greater than 0",
        ),
        (
            {"name": "crm", "url": "https://x", "secrets": ["S"], "max_attempts": 0},
            "[crm].max_attempts: Input should be greater than or equal to 1",
        ),
        (
            {"name": "crm", "url": "https://x", "secrets": [SECRET]},
            "[crm].secrets: list the NAMES of environment variables",
        ),
        ({"name": "crm", "url": "https://x"}, "[crm].secrets: a generic endpoint needs"),
        ({"url": "https://x", "secrets": ["S"]}, "[0].name: missing key"),
    ],
)
def test_errors_name_the_endpoint_and_the_key(entry: dict[str, object], message: str) -> None:
    with pytest.raises(WebhooksFileError) as raised:
        parse_endpoints([entry])

    assert message in str(raised.value)
    assert SECRET not in str(raised.value)


def test_duplicate_names_empty_files_and_non_lists_are_refused() -> None:
    entry = {"name": "crm", "url": "https://x", "secrets": ["S"]}
    with pytest.raises(WebhooksFileError, match="crm: name used by another endpoint"):
        parse_endpoints([entry, entry])
    with pytest.raises(WebhooksFileError, match="lists no endpoints"):
        parse_endpoints([])
    with pytest.raises(WebhooksFileError, match="must be a YAML list"):
        parse_endpoints({"crm": entry})


def test_a_missing_secret_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(WebhooksFileError, match="CRM_SECRET_NEXT is not set"):
        load_endpoints(write(tmp_path, GOOD), {"CRM_SECRET": SECRET})


def test_a_malformed_secret_names_the_variable_but_not_the_value(tmp_path: Path) -> None:
    bad = "whsec_" + base64.b64encode(b"short").decode()

    with pytest.raises(WebhooksFileError) as raised:
        load_endpoints(write(tmp_path, GOOD), {**ENVIRON, "CRM_SECRET_NEXT": bad})

    assert "CRM_SECRET_NEXT: the key must be 24 to 64 bytes" in str(raised.value)
    assert bad not in str(raised.value)
    assert raised.value.__cause__ is None or bad not in str(raised.value.__cause__)


def test_unreadable_and_invalid_yaml_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(WebhooksFileError, match="cannot read the webhooks file"):
        load_endpoints(tmp_path / "missing.yaml", ENVIRON)
    with pytest.raises(WebhooksFileError, match="not valid YAML"):
        load_endpoints(write(tmp_path, "- name: [unclosed"), ENVIRON)


def test_carepipe_webhooks_stops_at_start_on_a_bad_file(tmp_path: Path) -> None:
    path = write(tmp_path, "- name: crm\n  url: https://x\n  secrets: [S]\n  max_attempts: -1\n")
    env = {"CAREPIPE_WEBHOOKS_FILE": str(path), "CAREPIPE_BROKER": "kafka://127.0.0.1:1"}

    result = CliRunner().invoke(main, ["webhooks"], env=env)

    assert result.exit_code == 1
    assert "CAREPIPE_WEBHOOKS_FILE" in result.output
    assert "[crm].max_attempts: Input should be greater than or equal to 1" in result.output


def test_carepipe_webhooks_needs_the_file_setting() -> None:
    result = CliRunner().invoke(main, ["webhooks"], env={"CAREPIPE_BROKER": "kafka://x:1"})

    assert result.exit_code == 1
    assert "CAREPIPE_WEBHOOKS_FILE is not set" in result.output
