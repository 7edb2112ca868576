"""Where the local broker lives and how it is configured: ``BrokerConfig``, its defaults and
``render_server_properties``, the broker's server.properties."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
LOCAL_DIR = REPO_ROOT / "deploy" / "local"
POM = LOCAL_DIR / "pom.xml"
LOG4J_CONFIG = LOCAL_DIR / "log4j2.properties"

DEFAULT_HOME = LOCAL_DIR / ".kafka"
DEFAULT_LIBS_DIR = DEFAULT_HOME / "libs"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093
DEFAULT_HEAP = "1g"


@dataclass(frozen=True)
class BrokerConfig:
    home: Path = DEFAULT_HOME
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    controller_port: int = DEFAULT_CONTROLLER_PORT
    heap: str = DEFAULT_HEAP
    # Jars are shared by every home (tests use throwaway homes), so they stay in the default one.
    libs_dir: Path = DEFAULT_LIBS_DIR

    def __post_init__(self) -> None:
        # Absolute, because the broker runs with its home as working directory.
        object.__setattr__(self, "home", Path(self.home).expanduser().absolute())
        object.__setattr__(self, "libs_dir", Path(self.libs_dir).expanduser().absolute())

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def server_properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"


def render_server_properties(cfg: BrokerConfig) -> str:
    """The broker's server.properties: one node, dev-sized, nothing auto-created."""
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{cfg.host}:{cfg.controller_port}",
        "listeners": f"PLAINTEXT://{cfg.host}:{cfg.port},CONTROLLER://{cfg.host}:{cfg.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{cfg.host}:{cfg.port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(cfg.data_dir),
        "num.partitions": "3",
        # A single node cannot honour the default replication factor of 3 for internal topics.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Topics come from our own setup code, so a typo fails loudly instead of creating a topic.
        "auto.create.topics.enable": "false",
        "log.retention.hours": "168",
        # Small segments keep a dev disk tidy; 1 MiB is the smallest Kafka 4.x accepts.
        "log.segment.bytes": str(16 * 1024 * 1024),
        "offsets.topic.segment.bytes": str(16 * 1024 * 1024),
        "transaction.state.log.segment.bytes": str(16 * 1024 * 1024),
    }
    lines = [
        "# Written by pipeline/ops/localkafka/config.py on every start; edits are overwritten."
    ]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"
