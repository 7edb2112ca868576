"""Integration fixtures: the real local Kafka broker, the real local schema registry
(Apicurio Registry) and real `carepipe worker` processes.

Each test gets its own topic prefix, consumer group and state folder, so tests never see
each other's records. If the broker cannot start, the tests fail; they never skip.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import admin
from pipeline.ops import localkafka, localregistry
from pipeline.ops.workerproc import WorkerProcess, free_port
from pipeline.settings import Settings, load_settings


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that nothing listens on now."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@pytest.fixture(scope="session")
def broker_config(tmp_path_factory: pytest.TempPathFactory) -> localkafka.BrokerConfig:
    """The session broker's home and ports: PLAINTEXT, the controller, and the secure
    listeners (SASL_SSL, and SSL with client certificates)."""
    port, controller_port, sasl_ssl_port, ssl_port = free_ports(4)
    return localkafka.BrokerConfig(
        home=tmp_path_factory.mktemp("kafka"),
        port=port,
        controller_port=controller_port,
        secure=True,
        sasl_ssl_port=sasl_ssl_port,
        ssl_port=ssl_port,
    )


@pytest.fixture(scope="session")
def broker(broker_config: localkafka.BrokerConfig) -> Iterator[localkafka.BrokerStatus]:
    """A broker of the test session's own, in a throwaway home on free ports, stopped when
    the session ends: a run never meets another run's broker, or a developer's."""
    config = broker_config
    try:
        status = localkafka.start(config, timeout=120)
    except localkafka.BrokerError as exc:
        localkafka.stop(config)
        pytest.fail(f"the local Kafka broker did not start: {exc}")
    try:
        yield status
    finally:
        localkafka.stop(config)


@pytest.fixture(scope="session")
def registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[localregistry.RegistryStatus]:
    """An Apicurio Registry of the test session's own, in memory on free ports, stopped
    (with every schema it holds) when the session ends."""
    config = localregistry.RegistryConfig(
        home=tmp_path_factory.mktemp("registry"), port=free_port(), management_port=free_port()
    )
    try:
        status = localregistry.start(config, timeout=120)
    except localregistry.RegistryProcessError as exc:
        localregistry.stop(config)
        pytest.fail(f"the local schema registry did not start: {exc}")
    try:
        yield status
    finally:
        localregistry.stop(config)


@pytest.fixture(scope="session")
def secure_access(
    broker: localkafka.BrokerStatus, broker_config: localkafka.BrokerConfig
) -> localkafka.SecureAccess:
    """How to reach the session broker's SASL_SSL and mutual-TLS listeners."""
    return localkafka.secure_access(broker_config)


@pytest.fixture
def pipeline_env(broker: localkafka.BrokerStatus, tmp_path: Path) -> dict[str, str]:
    """CAREPIPE_* variables of an isolated pipeline on the shared broker."""
    run = uuid.uuid4().hex[:10]
    return {
        "CAREPIPE_BROKER": f"kafka://{broker.bootstrap}",
        "CAREPIPE_APP_ID": f"carepipe-test-{run}",
        "CAREPIPE_TOPIC_PREFIX": f"t{run}.",
        "CAREPIPE_WEB_PORT": str(free_port()),
        "CAREPIPE_DATA_DIR": str(tmp_path / "state"),
    }


@pytest.fixture
def settings(pipeline_env: dict[str, str]) -> Settings:
    settings = load_settings(pipeline_env)
    admin.ensure_topics(settings)
    return settings


@pytest.fixture
def worker(
    pipeline_env: dict[str, str], settings: Settings, tmp_path: Path
) -> Iterator[WorkerProcess]:
    process = WorkerProcess(pipeline_env, tmp_path / "worker.log").start()
    yield process
    code = process.stop()
    print(f"worker exited with {code}; last lines of its log:\n{process.log_tail(40)}")
