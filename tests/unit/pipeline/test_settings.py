"""load_settings: defaults, errors that name each bad or unknown variable, hidden secrets."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from pipeline.settings import ENV_PREFIX, SettingsError, load_settings

TOKEN = "s3cret-bearer-token"


@pytest.fixture(autouse=True)
def no_carepipe_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker's own environment must not colour these tests (see the xfail below).
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load_settings({})

    assert settings.web_host == "127.0.0.1"
    assert settings.web_port == 6066
    assert settings.broker == "kafka://127.0.0.1:9092"
    assert settings.bootstrap_servers == ["127.0.0.1:9092"]
    assert settings.app_id == "care-pipeline"
    assert settings.topic_prefix == ""
    assert settings.topic("care.alerts") == "care.alerts"
    assert settings.topic_partitions == 3
    assert settings.topic_replication == 1
    assert settings.create_topics is True
    assert settings.store == "rocksdb"
    assert settings.data_dir == Path(".carepipe")
    assert settings.api_token is None
    assert settings.max_text_chars == 2000
    assert settings.max_future_skew_seconds == 300
    assert settings.log_level == "info"
    assert settings.webhooks_file is None
    assert settings.webhooks_metrics_port == 9466
    assert settings.webhooks_group == "care-pipeline-webhooks"
    assert settings.lag_exporter_port == 9467
    assert settings.lag_cache_seconds == 5.0


def test_values_are_read_and_converted() -> None:
    settings = load_settings(
        {
            "CAREPIPE_WEB_PORT": "7070",
            "CAREPIPE_BROKER": "kafka://k1.internal:9092;k2.internal:9093",
            "CAREPIPE_STORE": "memory",
            "CAREPIPE_CREATE_TOPICS": "false",
            "CAREPIPE_TOPIC_PARTITIONS": "12",
            "PATH": "/usr/bin",  # not ours: ignored
        }
    )

    assert settings.web_port == 7070
    assert settings.bootstrap_servers == ["k1.internal:9092", "k2.internal:9093"]
    assert settings.store == "memory"
    assert settings.create_topics is False
    assert settings.topic_partitions == 12


def test_overrides_win_over_the_environment() -> None:
    assert load_settings({"CAREPIPE_WEB_PORT": "7070"}, web_port=7171).web_port == 7171


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CAREPIPE_WEB_PORT", "70000"),
        ("CAREPIPE_WEB_PORT", "0"),
        ("CAREPIPE_WEB_PORT", "http"),
        ("CAREPIPE_BROKER", "nope"),
        ("CAREPIPE_BROKER", "kafka://host"),
        ("CAREPIPE_STORE", "redis"),
        ("CAREPIPE_TOPIC_PARTITIONS", "0"),
        ("CAREPIPE_TOPIC_REPLICATION", "11"),
        ("CAREPIPE_TOPIC_PREFIX", "prod care."),
        ("CAREPIPE_TOPIC_PREFIX", "prod/"),
        ("CAREPIPE_MAX_TEXT_CHARS", "10"),
        ("CAREPIPE_LOG_LEVEL", "verbose"),
        ("CAREPIPE_CREATE_TOPICS", "perhaps"),
        ("CAREPIPE_LAG_EXPORTER_PORT", "70000"),
        ("CAREPIPE_LAG_CACHE_SECONDS", "-1"),
        ("CAREPIPE_LAG_CACHE_SECONDS", "soon"),
    ],
)
def test_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({variable: value, "CAREPIPE_APP_ID": "fine"})
    message = str(info.value)
    assert variable in message
    assert "CAREPIPE_APP_ID" not in message  # only the culprit is named


def test_every_bad_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"CAREPIPE_WEB_PORT": "70000", "CAREPIPE_STORE": "redis"})
    assert "CAREPIPE_WEB_PORT" in str(info.value)
    assert "CAREPIPE_STORE" in str(info.value)


@pytest.mark.parametrize("variable", ["CAREPIPE_WEB_PROT", "CAREPIPE_KAFKA", "CAREPIPE_"])
def test_unknown_variable_is_rejected_by_name(variable: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({variable: "1"})
    assert f"unknown setting {variable}" in str(info.value)


def test_topic_prefix_is_applied() -> None:
    settings = load_settings({"CAREPIPE_TOPIC_PREFIX": "staging."})
    assert settings.topic("care.alerts") == "staging.care.alerts"
    assert settings.topic("interactions.voice") == "staging.interactions.voice"


def test_api_token_is_hidden_in_describe() -> None:
    settings = load_settings({"CAREPIPE_API_TOKEN": TOKEN})

    described = settings.describe()

    assert described["api_token"] == "**********"
    assert TOKEN not in str(described)
    assert TOKEN not in repr(settings)
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == TOKEN
    assert set(described) == set(type(settings).model_fields)


def test_token_is_not_echoed_in_errors_about_other_settings() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"CAREPIPE_API_TOKEN": TOKEN, "CAREPIPE_STORE": "redis"})
    assert TOKEN not in str(info.value)


def test_explicit_environ_is_the_only_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREPIPE_WEB_PORT", "1234")
    assert load_settings({}).web_port == 6066


def test_the_advertised_web_host_is_the_bind_address_unless_set() -> None:
    assert load_settings({}).advertised_web_host == "127.0.0.1"
    pod = {
        "CAREPIPE_WEB_HOST": "0.0.0.0",
        "CAREPIPE_WEB_ADVERTISED_HOST": "care-worker-1.care-worker.care-pipeline.svc",
    }
    assert load_settings(pod).advertised_web_host == pod["CAREPIPE_WEB_ADVERTISED_HOST"]
    assert load_settings(pod).web_host == "0.0.0.0"


def test_a_wildcard_bind_address_advertises_the_hosts_own_name() -> None:
    advertised = load_settings({"CAREPIPE_WEB_HOST": "0.0.0.0"}).advertised_web_host
    assert advertised == socket.getfqdn()
    assert advertised not in {"0.0.0.0", ""}


def test_the_confluent_framing_needs_a_registry_and_names_both_variables() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"CAREPIPE_VALUE_FRAMING": "confluent"})

    assert "CAREPIPE_VALUE_FRAMING=confluent" in str(caught.value)
    assert "CAREPIPE_SCHEMA_REGISTRY_URL" in str(caught.value)


def test_the_registry_settings() -> None:
    settings = load_settings(
        {
            "CAREPIPE_VALUE_FRAMING": "confluent",
            "CAREPIPE_SCHEMA_REGISTRY_URL": "http://registry:8080/apis/ccompat/v7/",
            "CAREPIPE_SCHEMA_REGISTRY_USERNAME": "pipeline",
            "CAREPIPE_SCHEMA_REGISTRY_PASSWORD": TOKEN,
        }
    )

    assert settings.schema_registry_url == "http://registry:8080/apis/ccompat/v7"
    assert settings.value_framing == "confluent"
    assert TOKEN not in str(settings.describe()) and TOKEN not in repr(settings)
    assert load_settings({}).value_framing == "single-object"
    assert load_settings({}).schema_registry_url is None


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"CAREPIPE_SCHEMA_REGISTRY_URL": "registry:8081"}, "CAREPIPE_SCHEMA_REGISTRY_URL"),
        ({"CAREPIPE_VALUE_FRAMING": "avro"}, "CAREPIPE_VALUE_FRAMING"),
        ({"CAREPIPE_SCHEMA_REGISTRY_USERNAME": "u"}, "CAREPIPE_SCHEMA_REGISTRY_PASSWORD"),
    ],
)
def test_a_bad_registry_setting_names_its_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ)
