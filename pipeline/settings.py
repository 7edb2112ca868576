"""The one settings object: it alone reads the environment (``CAREPIPE_*``).

A bad value stops the worker at start with a message that names the variable.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from processors.errors import StartupError

ENV_PREFIX = "CAREPIPE_"
_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
_REGISTRY_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_BROKER = re.compile(r"^(kafka://)?[A-Za-z0-9.\-]+:\d{1,5}(;(kafka://)?[A-Za-z0-9.\-]+:\d{1,5})*$")


class SettingsError(StartupError, ValueError):
    """A setting has a bad value; the message names the environment variable."""


class Settings(BaseSettings):
    """Every knob of a worker, read from ``CAREPIPE_<NAME>`` environment variables.

    >>> Settings(topic_prefix="staging.").topic("care.alerts")
    'staging.care.alerts'
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    broker: str = Field(
        "kafka://127.0.0.1:9092",
        description="Bootstrap servers, kafka://host:port, several separated by ';'.",
    )
    app_id: str = Field(
        "care-pipeline", description="Faust app id: consumer group and state prefix."
    )
    topic_prefix: str = Field("", description="Prefix of every topic name, e.g. 'prod.'.")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description="How clients reach the brokers: SASL_SSL in production, SSL for mutual "
        "TLS, PLAINTEXT for a local broker.",
    )
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism (SASL_SSL, SASL_PLAINTEXT)."
    )
    sasl_username: str | None = Field(None, description="SASL user name.")
    sasl_password: SecretStr | None = Field(None, description="SASL password (a secret).")
    ssl_ca_file: Path | None = Field(
        None,
        description="PEM file of the CA(s) that signed the brokers' certificates; "
        "default: the system's trust store.",
    )
    ssl_cert_file: Path | None = Field(
        None, description="PEM client certificate, for brokers that require mutual TLS."
    )
    ssl_key_file: Path | None = Field(None, description="PEM private key of ssl_cert_file.")
    ssl_key_password: SecretStr | None = Field(
        None, description="Password of ssl_key_file, if it is encrypted (a secret)."
    )

    topic_partitions: int = Field(3, ge=1, le=1000, description="Partitions of created topics.")
    topic_replication: int = Field(1, ge=1, le=10, description="Replication of created topics.")
    create_topics: bool = Field(True, description="Create missing topics when the worker starts.")
    store: Literal["rocksdb", "memory"] = Field("rocksdb", description="Table store.")
    standby_replicas: int = Field(
        1,
        ge=0,
        le=10,
        description="Standby copies of each table partition kept warm on other workers, "
        "for a quick take-over; each costs every worker that keeps one the work of "
        "replaying the owner's changelog.",
    )
    hot_path: Literal["batched", "stream"] = Field(
        "batched",
        description="How the care agent gets its records: 'batched', a fetch at a time "
        "(pipeline/worker/batching.py), or 'stream', Faust's stream, one event at a time.",
    )
    history_cache_size: int = Field(
        20_000,
        ge=0,
        le=10_000_000,
        description="Customer histories kept decoded in memory, most recently used first.",
    )
    gc_full_collect_seconds: float = Field(
        3600.0,
        ge=0,
        le=86_400,
        description="How often the worker runs a full garbage collection itself, instead "
        "of Python's automatic ones (a pause of a tenth of a second or more every few "
        "seconds under load); each stops it for as long as it takes to walk every object "
        "it holds. 0 leaves them to Python.",
    )
    data_dir: Path = Field(Path(".carepipe"), description="Folder for the worker's local state.")
    web_host: str = Field("127.0.0.1", description="Address the worker's web server binds to.")
    web_advertised_host: str | None = Field(
        None,
        description="Host name other workers use to reach this one (lookup redirects); "
        "default: web_host, or this host's fully qualified name when web_host is 0.0.0.0.",
    )
    web_port: int = Field(6066, ge=1, le=65535, description="Port of the worker's web server.")
    api_token: SecretStr | None = Field(
        None, description="Bearer token required by the customer lookup, if set."
    )
    max_text_chars: int = Field(
        2000, ge=100, le=100_000, description="Cap on text carried downstream."
    )
    max_future_skew_seconds: int = Field(
        300, ge=0, le=86_400, description="How far ahead of the clock an event time may be."
    )
    rules_file: Path | None = Field(
        None, description="YAML rules laid over the defaults (pipeline/default_rules.yaml)."
    )
    model_file: Path | None = Field(
        None,
        description="A trained risk model (`carepipe train --out`): AT_RISK is scored by it "
        "instead of the rules' points; none: the rules.",
    )
    follow_up_check_seconds: float = Field(
        30.0, gt=0, le=3600, description="How often due follow-ups are looked for."
    )
    outcome_horizon_days: float = Field(
        30.0,
        gt=0,
        le=365,
        description="Days after an AT_RISK alert in which a CHURNED outcome proves it right.",
    )
    judgement_check_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="How often AT_RISK alerts whose horizon has passed are looked for.",
    )
    metrics_window_seconds: float = Field(
        60.0, ge=1, le=3600, description="Tumbling window of the care.metrics topic."
    )
    metrics_window_grace_seconds: float = Field(
        10.0, ge=0, le=3600, description="How long a window waits for late events."
    )
    session_timeout_seconds: float = Field(
        10.0,
        ge=1,
        le=1800,
        description="How long the group waits for a silent worker before its partitions move.",
    )
    heartbeat_interval_seconds: float = Field(
        1.0, gt=0, le=600, description="How often a worker tells the group it is alive."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field("info")
    webhooks_file: Path | None = Field(
        None, description="YAML list of webhook endpoints for `carepipe webhooks`."
    )
    webhooks_metrics_port: int = Field(
        9466, ge=1, le=65535, description="Prometheus port of `carepipe webhooks` (on web_host)."
    )
    lag_exporter_port: int = Field(
        9467,
        ge=1,
        le=65535,
        description="Prometheus port of `carepipe lag-exporter` (on web_host).",
    )
    lag_cache_seconds: float = Field(
        5.0, ge=0, le=300, description="How long one broker-side lag reading is served again."
    )
    schema_registry_url: str | None = Field(
        None,
        description="Base URL of a Confluent-compatible schema registry, e.g. "
        "http://registry:8080/apis/ccompat/v7; none: no registry.",
    )
    schema_registry_username: str | None = Field(
        None, description="User name for the schema registry (HTTP basic auth)."
    )
    schema_registry_password: SecretStr | None = Field(
        None, description="Password for the schema registry (HTTP basic auth)."
    )
    value_framing: Literal["single-object", "confluent"] = Field(
        "single-object",
        description="How the worker frames the Avro values it writes: 'single-object' (C3 01 "
        "+ fingerprint) or 'confluent' (00 + schema id, needs the schema registry).",
    )

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        if not _BROKER.match(value):
            raise ValueError("expected kafka://host:port, several separated by ';'")
        return value

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> Settings:
        if self.heartbeat_interval_seconds * 3 > self.session_timeout_seconds:
            raise ValueError(
                f"{ENV_PREFIX}HEARTBEAT_INTERVAL_SECONDS={self.heartbeat_interval_seconds:g} must "
                f"be at most a third of {ENV_PREFIX}SESSION_TIMEOUT_SECONDS="
                f"{self.session_timeout_seconds:g}, or one late heartbeat ends the session"
            )
        return self

    @model_validator(mode="after")
    def _security_complete(self) -> Settings:
        tls = self.security_protocol in ("SSL", "SASL_SSL")
        sasl = self.security_protocol.startswith("SASL_")
        p = ENV_PREFIX
        if sasl and not (self.sasl_username and self.sasl_password):
            raise ValueError(
                f"{p}SECURITY_PROTOCOL={self.security_protocol} needs {p}SASL_USERNAME and "
                f"{p}SASL_PASSWORD"
            )
        if not sasl and (self.sasl_username or self.sasl_password):
            raise ValueError(
                f"{p}SASL_USERNAME/{p}SASL_PASSWORD are set but {p}SECURITY_PROTOCOL="
                f"{self.security_protocol} does not use SASL"
            )
        files = {"ssl_ca_file": self.ssl_ca_file, "ssl_cert_file": self.ssl_cert_file,
                 "ssl_key_file": self.ssl_key_file}  # fmt: skip
        for name, path in files.items():
            if path is None:
                continue
            if not tls:  # the files are read when the clients are built (kafkaclients)
                raise ValueError(
                    f"{p}{name.upper()} is set but {p}SECURITY_PROTOCOL="
                    f"{self.security_protocol} does not use TLS"
                )
        if (self.ssl_cert_file is None) != (self.ssl_key_file is None):
            raise ValueError(f"{p}SSL_CERT_FILE and {p}SSL_KEY_FILE go together: set both")
        return self

    @field_validator("schema_registry_url")
    @classmethod
    def _registry_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _REGISTRY_URL.match(value):
            raise ValueError("expected http://host:port[/path] or https://...")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _registry_for_confluent_framing(self) -> Settings:
        if self.value_framing == "confluent" and self.schema_registry_url is None:
            raise ValueError(
                f"{ENV_PREFIX}VALUE_FRAMING=confluent needs a schema registry: set "
                f"{ENV_PREFIX}SCHEMA_REGISTRY_URL"
            )
        if (self.schema_registry_username is None) != (self.schema_registry_password is None):
            raise ValueError(
                f"{ENV_PREFIX}SCHEMA_REGISTRY_USERNAME and {ENV_PREFIX}SCHEMA_REGISTRY_PASSWORD "
                "go together: set both or neither"
            )
        return self

    @field_validator("topic_prefix")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9._\-]*", value):
            raise ValueError("may contain only letters, digits, '.', '_' and '-'")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings() alone reads the environment, so that it can name unknown variables
        # and a caller's explicit environment is the only source.
        return (init_settings,)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @property
    def advertised_web_host(self) -> str:
        """Where the customer lookup redirects to reach this worker: a wildcard bind
        address (0.0.0.0, ::) names no host, so the host's own name stands in for it."""
        if self.web_advertised_host:
            return self.web_advertised_host
        if self.web_host in _WILDCARD_HOSTS:
            return socket.getfqdn()
        return self.web_host

    @property
    def webhooks_group(self) -> str:
        """The consumer group of `carepipe webhooks`, beside the workers' ``app_id``."""
        return f"{self.app_id}-webhooks"

    @property
    def bootstrap_servers(self) -> list[str]:
        """The broker list as kafka-python wants it."""
        return [server.removeprefix("kafka://") for server in self.broker.split(";")]

    def describe(self) -> dict[str, str]:
        """Printable form; secrets show as '**********'."""
        return {name: str(value) for name, value in self}


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Reads the settings, raising SettingsError that names each bad or unknown variable."""
    environ = dict(os.environ if environ is None else environ)
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(k for k in environ if k.startswith(ENV_PREFIX) and k not in known)
    if unknown:
        raise SettingsError(
            f"unknown setting {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    values: dict[str, object] = {
        name: environ[f"{ENV_PREFIX}{name.upper()}"]
        for name in Settings.model_fields
        if f"{ENV_PREFIX}{name.upper()}" in environ
    }
    values.update(overrides)
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            if not error["loc"]:  # a rule between settings: its message names them
                problems.append(str(error["msg"]).removeprefix("Value error, "))
                continue
            name = str(error["loc"][0])
            problems.append(f"{ENV_PREFIX}{name.upper()}={error.get('input')!r}: {error['msg']}")
        raise SettingsError("bad setting " + "; ".join(problems)) from exc
