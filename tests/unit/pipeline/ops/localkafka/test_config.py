"""Fast tests for pipeline.ops.localkafka.config: defaults, paths and server.properties."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.ops.localkafka import config
from pipeline.ops.localkafka.credentials import BrokerUser
from pipeline.ops.localkafka.errors import BrokerError
from pipeline.ops.localkafka.tls import ensure_tls


def test_defaults() -> None:
    cfg = config.BrokerConfig()
    assert cfg.home == config.DEFAULT_HOME == config.REPO_ROOT / "deploy" / "local" / ".kafka"
    assert (cfg.host, cfg.port, cfg.controller_port, cfg.heap) == ("127.0.0.1", 9092, 9093, "1g")
    assert cfg.libs_dir == cfg.home / "libs"
    assert cfg.data_dir == cfg.home / "data"
    assert cfg.logs_dir == cfg.home / "logs"
    assert cfg.pid_file.parent == cfg.home
    assert cfg.server_properties == cfg.home / "server.properties"
    assert cfg.bootstrap == "127.0.0.1:9092"


def test_custom_home_keeps_the_shared_libs_dir(tmp_path: Path) -> None:
    cfg = config.BrokerConfig(home=str(tmp_path / "k"))  # type: ignore[arg-type]
    assert cfg.home == tmp_path / "k"
    assert cfg.libs_dir == config.DEFAULT_LIBS_DIR
    assert cfg.data_dir == tmp_path / "k" / "data"


def test_relative_home_is_made_absolute() -> None:
    assert config.BrokerConfig(home=Path("some/where")).home.is_absolute()


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.BrokerConfig().port = 1  # type: ignore[misc]


def test_render_server_properties(tmp_path: Path) -> None:
    cfg = config.BrokerConfig(home=tmp_path, port=19092, controller_port=19093)
    text = config.render_server_properties(cfg)
    props = dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert "CONTROLLER:PLAINTEXT" in props["listener.security.protocol.map"]
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["auto.create.topics.enable"] == "false"
    assert props["num.partitions"] == "3"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert int(props["log.segment.bytes"]) >= 1024 * 1024  # Kafka 4.x minimum
    assert len(props) == len(text.splitlines()) - 1  # no duplicate keys


def test_log4j2_config_logs_to_a_file_under_the_logs_property() -> None:
    text = config.LOG4J_CONFIG.read_text()
    assert "${sys:kafka.logs.dir" in text
    assert "Console" not in text


def properties(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


def test_secure_defaults() -> None:
    cfg = config.BrokerConfig()
    assert not cfg.secure
    assert (cfg.sasl_ssl_port, cfg.ssl_port) == (9094, 9095)
    assert cfg.ports == (9092, 9093)
    secure = config.BrokerConfig(secure=True)
    assert secure.ports == (9092, 9093, 9094, 9095)
    assert (secure.sasl_ssl_bootstrap, secure.ssl_bootstrap) == ("127.0.0.1:9094", "127.0.0.1:9095")
    assert secure.tls_dir == secure.home / "tls"


def test_render_secure_server_properties(tmp_path: Path) -> None:
    cfg = config.BrokerConfig(
        home=tmp_path,
        port=19092,
        controller_port=19093,
        secure=True,
        sasl_ssl_port=19094,
        ssl_port=19095,
    )
    files = ensure_tls(cfg.tls_dir)
    text = config.render_server_properties(cfg, BrokerUser("carepipe", "pw123"))
    props = properties(text)
    assert props["listeners"] == (
        "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093,"
        "SASL_SSL://127.0.0.1:19094,SSL://127.0.0.1:19095"
    )
    assert props["advertised.listeners"] == (
        "PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094,SSL://127.0.0.1:19095"
    )
    assert props["listener.security.protocol.map"] == (
        "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL"
    )
    # The inter-broker and controller listeners stay PLAINTEXT.
    assert props["controller.listener.names"] == "CONTROLLER"
    assert "inter.broker.listener.name" not in props
    assert "security.inter.broker.protocol" not in props

    assert props["listener.name.sasl_ssl.sasl.enabled.mechanisms"] == (
        "SCRAM-SHA-512,SCRAM-SHA-256,PLAIN"
    )
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
    assert props["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"] == scram
    assert props["listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config"] == scram
    assert props["listener.name.sasl_ssl.plain.sasl.jaas.config"] == (
        'org.apache.kafka.common.security.plain.PlainLoginModule required user_carepipe="pw123";'
    )
    assert props["listener.name.ssl.ssl.client.auth"] == "required"
    assert "ssl.client.auth" not in props  # SASL_SSL authenticates with the password alone

    assert props["ssl.keystore.type"] == props["ssl.truststore.type"] == "PEM"
    assert props["ssl.truststore.location"] == str(files.ca_file)
    assert "ssl.keystore.location" not in props and "ssl.keystore.password" not in props
    # Inline PEM on one line each, with "\n" escapes that java.util.Properties unfolds.
    assert props["ssl.keystore.key"] == (
        files.broker_key_file.read_text().strip().replace("\n", "\\n")
    )
    chain = props["ssl.keystore.certificate.chain"].split("\\n")
    assert chain == files.broker_chain_file.read_text().strip().splitlines()
    assert chain.count("-----BEGIN CERTIFICATE-----") == 2
    assert len(props) == len(text.splitlines()) - 1  # no duplicate keys


def test_render_secure_needs_its_user_and_certificates(tmp_path: Path) -> None:
    cfg = config.BrokerConfig(home=tmp_path, secure=True)
    with pytest.raises(BrokerError, match="needs its user"):
        config.render_server_properties(cfg)
    with pytest.raises(BrokerError, match="cannot read .*broker-key.pem"):
        config.render_server_properties(cfg, BrokerUser("carepipe", "pw"))


def test_render_plain_ignores_the_user(tmp_path: Path) -> None:
    cfg = config.BrokerConfig(home=tmp_path)
    assert config.render_server_properties(cfg, BrokerUser("u", "p")) == (
        config.render_server_properties(cfg)
    )
