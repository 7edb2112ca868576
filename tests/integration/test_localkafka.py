"""Starts a real Kafka 4.3.1 broker in a throwaway home on free ports (never 9092/9093, which the
other integration tests share), then checks status, reuse, restart and stop. Fails, never skips,
when the broker cannot start."""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from pipeline.kafkaclients import check_access
from pipeline.ops import localkafka as lk
from pipeline.settings import load_settings

pytestmark = pytest.mark.integration


def free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@pytest.fixture
def cfg(tmp_path: Path) -> Iterator[lk.BrokerConfig]:
    port, controller_port = free_ports(2)
    cfg = lk.BrokerConfig(home=tmp_path / "kafka", port=port, controller_port=controller_port)
    assert cfg.libs_dir == lk.DEFAULT_LIBS_DIR  # shares the jars, not the data
    yield cfg
    lk.stop(cfg)  # whatever happened, leave no broker behind


def create_and_list_topic(bootstrap: str, topic: str) -> set[str]:
    """A round trip with a real client, as the pipeline's own tooling would do it."""
    with KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000) as admin:
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
        return set(admin.list_topics())


def test_start_status_reuse_restart_stop(cfg: lk.BrokerConfig) -> None:
    assert lk.status(cfg) == lk.BrokerStatus(False, None, cfg.bootstrap, False, "not running")

    began = time.monotonic()
    first = lk.start(cfg, timeout=90)
    cold_start = time.monotonic() - began
    print(f"cold start (format + launch + first metadata answer): {cold_start:.1f}s")
    assert first.running and first.managed and first.pid is not None
    assert first.bootstrap == cfg.bootstrap
    assert (cfg.data_dir / "meta.properties").exists()
    assert cfg.pid_file.read_text().strip() == str(first.pid)
    assert lk.broker_answers(cfg.host, cfg.port)

    st = lk.status(cfg)
    assert (st.running, st.managed, st.pid) == (True, True, first.pid)

    again = lk.start(cfg)  # idempotent: the same process, no second JVM
    assert (again.running, again.managed, again.pid) == (True, True, first.pid)
    assert "reusing" in again.detail

    assert "care.test" in create_and_list_topic(cfg.bootstrap, "care.test")

    stopped = lk.stop(cfg)
    assert stopped.detail == f"stopped broker pid {first.pid}"
    assert not lk.status(cfg).running
    assert not cfg.pid_file.exists()
    assert not lk.broker_answers(cfg.host, cfg.port, timeout=1.0)
    assert lk.stop(cfg).detail == "not running (nothing to stop)"

    # A restart keeps the formatted storage: same cluster, topic still there.
    meta = (cfg.data_dir / "meta.properties").read_text()
    second = lk.start(cfg, timeout=90)
    assert second.running and second.pid != first.pid
    assert (cfg.data_dir / "meta.properties").read_text() == meta
    assert "care.test" in create_and_list_topic(cfg.bootstrap, "care.other")
    lk.stop(cfg)
    assert not lk.status(cfg).running


def test_a_cluster_id_that_begins_with_a_dash_formats(
    cfg: lk.BrokerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # About one random id in 64 begins with "-": the storage tool must not take it for an option.
    monkeypatch.setattr(lk.process, "new_cluster_id", lambda: "-8b1rGQoS0qA3dIA-PxgXQ")
    started = lk.start(cfg, timeout=90)
    assert started.running
    assert "cluster.id=-8b1rGQoS0qA3dIA-PxgXQ" in (cfg.data_dir / "meta.properties").read_text()


def test_a_home_formatted_without_secure_gets_its_secure_listeners(cfg: lk.BrokerConfig) -> None:
    plain = lk.start(cfg, timeout=90)
    assert plain.secure is None
    sasl_ssl_port, ssl_port = free_ports(2)
    secure = dataclasses.replace(cfg, secure=True, sasl_ssl_port=sasl_ssl_port, ssl_port=ssl_port)
    with pytest.raises(lk.BrokerError, match="runs without the secure listeners.*--secure"):
        lk.start(secure)
    lk.stop(cfg)

    # Formatted without a SCRAM user: the start gives the cluster one through the admin API.
    first = lk.start(secure, timeout=90)
    assert first.secure == lk.secure_access(secure) == lk.status(secure).secure
    access = first.secure
    assert access is not None and access.sasl_ssl_bootstrap == f"127.0.0.1:{sasl_ssl_port}"
    assert oct(secure.server_properties.stat().st_mode & 0o777) == "0o600"
    assert scram_client_lists_topics(access)
    ca = access.ca_file.read_bytes()
    lk.stop(secure)

    # A restart keeps the CA, the certificates and the password.
    again = lk.start(secure, timeout=90)
    assert again.secure == access
    assert access.ca_file.read_bytes() == ca
    assert scram_client_lists_topics(access)
    assert not lk.broker_answers("127.0.0.1", sasl_ssl_port, timeout=2.0)  # not PLAINTEXT


def scram_client_lists_topics(access: lk.SecureAccess) -> bool:
    # aiokafka, the worker's client, as the worker's start-up check connects; then kafka-python.
    check_access(load_settings(access.environment("SCRAM-SHA-512")), timeout_s=10)
    check_access(load_settings(access.environment("SCRAM-SHA-256")), timeout_s=10)
    with KafkaAdminClient(
        bootstrap_servers=access.sasl_ssl_bootstrap,
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=access.username,
        sasl_plain_password=access.password,
        ssl_cafile=str(access.ca_file),
        request_timeout_ms=10_000,
    ) as admin:
        return isinstance(admin.list_topics(), list)
