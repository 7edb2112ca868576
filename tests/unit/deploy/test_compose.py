"""The compose stack, checked without Docker: the settings its services pass exist, the
workers can find each other and keep their own state, and Prometheus scrapes the ports
the processes listen on, under the job names the rules and the dashboard expect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.delivery.webhooksfile import load_endpoints
from pipeline.settings import ENV_PREFIX, Settings, load_settings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "deploy" / "compose"
KNOWN = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    stack = yaml.safe_load((COMPOSE / "compose.yaml").read_text())  # merges the x- anchors
    return {name: service for name, service in stack["services"].items()}


def carepipe(service: dict[str, Any]) -> dict[str, str]:
    return {
        k: str(v) for k, v in service.get("environment", {}).items() if k.startswith(ENV_PREFIX)
    }


def ours(services: dict[str, dict[str, Any]], command: str) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in services.items() if s.get("command", [None])[0] == command}


def targets(job: str) -> set[str]:
    config = yaml.safe_load((COMPOSE / "prometheus.yml").read_text())
    (scrape,) = [c for c in config["scrape_configs"] if c["job_name"] == job]
    return {t for static in scrape["static_configs"] for t in static["targets"]}


def test_every_setting_passed_exists_and_each_service_starts_with_its_settings(
    services: dict[str, dict[str, Any]],
) -> None:
    processes = {n: s for n, s in services.items() if s.get("command", [""])[0] in
                 {"worker", "webhooks", "lag-exporter"}}  # fmt: skip
    assert len(processes) == 4
    for name, service in processes.items():
        env = carepipe(service)
        assert set(env) <= KNOWN, f"{name}: unknown {sorted(set(env) - KNOWN)}"
        settings = load_settings(env)  # a bad value would stop the process at start
        assert settings.bootstrap_servers == ["kafka:9092"], name
        assert settings.web_host == "0.0.0.0", name


def test_two_workers_advertise_their_own_names_and_keep_their_own_state(
    services: dict[str, dict[str, Any]],
) -> None:
    workers = ours(services, "worker")
    assert len(workers) == 2
    volumes = set()
    for name, service in workers.items():
        settings = load_settings(carepipe(service))
        assert settings.advertised_web_host == name  # the lookup redirects here
        (mount,) = [v for v in service["volumes"] if v.endswith(f":{settings.data_dir}")]
        volumes.add(mount.split(":")[0])
        assert settings.store == "rocksdb"
        assert service["stop_grace_period"] == "60s"
        assert (
            int(service["stop_grace_period"].removesuffix("s")) > settings.session_timeout_seconds
        )
    assert len(volumes) == 2


def test_prometheus_scrapes_each_process_on_the_port_it_listens_on(
    services: dict[str, dict[str, Any]],
) -> None:
    workers = {n: load_settings(carepipe(s)) for n, s in ours(services, "worker").items()}
    assert targets("carepipe-worker") == {f"{n}:{s.web_port}" for n, s in workers.items()}
    (webhooks,) = ours(services, "webhooks")
    port = load_settings(carepipe(services[webhooks])).webhooks_metrics_port
    assert targets("carepipe-webhooks") == {f"{webhooks}:{port}"}
    assert f"{port}" in services[webhooks]["healthcheck"]["test"]
    (lag,) = ours(services, "lag-exporter")
    port = load_settings(carepipe(services[lag])).lag_exporter_port
    assert targets("carepipe-lag") == {f"{lag}:{port}"}
    assert f"{port}" in services[lag]["healthcheck"]["test"]


def test_the_broker_advertises_the_address_the_workers_use(
    services: dict[str, dict[str, Any]],
) -> None:
    listeners = services["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    assert "PLAINTEXT://kafka:9092" in listeners.split(",")
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_every_file_mounted_from_the_repository_exists(
    services: dict[str, dict[str, Any]],
) -> None:
    mounted = [
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if volume.startswith(".")
    ]
    assert "../prometheus/rules.yml" in mounted
    assert "../grafana/care-pipeline.json" in mounted
    for source in mounted:
        assert (COMPOSE / source).exists(), source


def test_the_webhooks_file_loads_with_the_secrets_the_service_passes(
    services: dict[str, dict[str, Any]],
) -> None:
    (name,) = ours(services, "webhooks")
    service = services[name]
    secrets = {k: v for k, v in service["environment"].items() if not k.startswith(ENV_PREFIX)}
    assert secrets and all(str(v).startswith("${") for v in secrets.values())  # never a value
    environ = {k: "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" for k in secrets}
    endpoints = load_endpoints(COMPOSE / "webhooks.yaml", environ)
    assert endpoints
