"""SASL_SSL and mutual TLS against the real broker's secure listeners: a worker and the
operator tools work over them, and a process with a wrong password, an untrusted CA or no
TLS at all stops at start with one line naming the setting."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from pipeline import admin, kafkaclients
from pipeline.ops.localkafka import SecureAccess
from pipeline.ops.outputs import OutputReader, decode
from pipeline.ops.producer import send_events
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import load_settings
from pipeline.simulation.sample import sample_events
from pipeline.topics import ALERTS, NORMALIZED, PROFILES

pytestmark = pytest.mark.integration


def sasl_env(access: SecureAccess, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
    return {
        "CAREPIPE_BROKER": f"kafka://{access.sasl_ssl_bootstrap}",
        "CAREPIPE_SECURITY_PROTOCOL": "SASL_SSL",
        "CAREPIPE_SASL_MECHANISM": mechanism,
        "CAREPIPE_SASL_USERNAME": access.username,
        "CAREPIPE_SASL_PASSWORD": access.password,
        "CAREPIPE_SSL_CA_FILE": str(access.ca_file),
    }


def mtls_env(access: SecureAccess) -> dict[str, str]:
    return {
        "CAREPIPE_BROKER": f"kafka://{access.ssl_bootstrap}",
        "CAREPIPE_SECURITY_PROTOCOL": "SSL",
        "CAREPIPE_SSL_CA_FILE": str(access.ca_file),
        "CAREPIPE_SSL_CERT_FILE": str(access.client_cert_file),
        "CAREPIPE_SSL_KEY_FILE": str(access.client_key_file),
    }


def start_worker_process(env: dict[str, str], timeout_s: float = 60) -> subprocess.CompletedProcess:
    """`carepipe worker` with only these CAREPIPE_* variables; returns once it exits."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CAREPIPE_")}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "worker"],
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def test_a_worker_processes_events_over_sasl_ssl(
    pipeline_env: dict[str, str], secure_access: SecureAccess, tmp_path: Path
) -> None:
    env = {**pipeline_env, **sasl_env(secure_access)}
    settings = load_settings(env)
    admin.ensure_topics(settings)  # over SASL_SSL, as every tool connects
    stream = list(sample_events(customers=6, events=40, seed=11, now=datetime.now(UTC)))
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        reader = OutputReader(settings, [settings.topic(NORMALIZED.name)])
        try:
            send_events(settings, [e for e in stream if e.channel == "PROFILE"])
            lag = admin.wait_caught_up(settings, [settings.topic(PROFILES.name)], 60)
            assert lag == 0
            sent = send_events(settings, [e for e in stream if e.channel != "PROFILE"])
            records = reader.read_until(lambda got: len(got) >= 40, timeout_s=90)
        finally:
            reader.close()
    finally:
        code = worker.stop()
    assert code == 0, worker.log_tail()
    interactions = [decode(r, "Interaction") for r in records]
    assert len(interactions) == sum(sent.values()) == 40
    assert secure_access.password not in worker.log()


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "PLAIN"])
def test_the_other_sasl_mechanisms_pass_the_start_up_check(
    secure_access: SecureAccess, mechanism: str
) -> None:
    settings = load_settings(sasl_env(secure_access, mechanism))
    kafkaclients.check_access(settings, timeout_s=10)
    client = KafkaAdminClient(**kafkaclients.kafka_python_config(settings))
    try:
        assert isinstance(client.list_topics(), list)
    finally:
        client.close()


def test_tools_reach_the_mutual_tls_listener_with_a_client_certificate(
    pipeline_env: dict[str, str], secure_access: SecureAccess
) -> None:
    settings = load_settings({**pipeline_env, **mtls_env(secure_access)})
    reports = admin.ensure_topics(settings)
    assert settings.topic(ALERTS.name) in {r.name for r in reports}
    reader = OutputReader(settings, [settings.topic(ALERTS.name)], from_beginning=True)
    reader.close()


def test_mutual_tls_without_a_client_certificate_is_refused_naming_the_setting(
    secure_access: SecureAccess,
) -> None:
    env = {k: v for k, v in mtls_env(secure_access).items() if "CERT" not in k and "KEY" not in k}
    settings = load_settings(env)
    with pytest.raises(kafkaclients.BrokerAccessError) as refused:
        kafkaclients.check_access(settings, timeout_s=10)
    assert "CAREPIPE_" in str(refused.value)


def test_a_wrong_password_stops_the_worker_at_start_with_one_line(
    pipeline_env: dict[str, str], secure_access: SecureAccess
) -> None:
    env = {**pipeline_env, **sasl_env(secure_access), "CAREPIPE_SASL_PASSWORD": "wrong-one"}
    started = time.monotonic()
    done = start_worker_process(env)
    assert done.returncode == 1
    assert time.monotonic() - started < 45
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "CAREPIPE_SASL_PASSWORD" in lines[0]
    assert repr(secure_access.username) in lines[0]
    assert "wrong-one" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_an_untrusted_certificate_stops_the_worker_at_start_with_one_line(
    pipeline_env: dict[str, str], secure_access: SecureAccess, tmp_path: Path
) -> None:
    # A CA file that does not hold the broker's CA: the system's own bundle.
    system_ca = ssl.get_default_verify_paths().cafile
    assert system_ca
    env = {**pipeline_env, **sasl_env(secure_access), "CAREPIPE_SSL_CA_FILE": system_ca}
    done = start_worker_process(env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: CAREPIPE_SSL_CA_FILE")
    assert "certificate verify failed" in lines[0] or "not trust" in lines[0]


def test_a_plaintext_worker_is_refused_by_the_sasl_ssl_listener(
    pipeline_env: dict[str, str], secure_access: SecureAccess
) -> None:
    env = {**pipeline_env, "CAREPIPE_BROKER": f"kafka://{secure_access.sasl_ssl_bootstrap}"}
    done = start_worker_process(env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "CAREPIPE_SECURITY_PROTOCOL=PLAINTEXT" in lines[0]
    assert "Traceback" not in done.stderr
