"""Fast tests for pipeline.ops.localkafka.config: defaults, paths and server.properties."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.ops.localkafka import config


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
