"""Where the local broker lives and how it is configured: ``BrokerConfig``, its defaults and
``render_server_properties``, the broker's server.properties."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.ops.localkafka.credentials import SASL_MECHANISMS, BrokerUser
from pipeline.ops.localkafka.errors import BrokerError
from pipeline.ops.localkafka.tls import TlsFiles

REPO_ROOT = Path(__file__).resolve().parents[3]
LOCAL_DIR = REPO_ROOT / "deploy" / "local"
POM = LOCAL_DIR / "pom.xml"
LOG4J_CONFIG = LOCAL_DIR / "log4j2.properties"

DEFAULT_HOME = LOCAL_DIR / ".kafka"
DEFAULT_LIBS_DIR = DEFAULT_HOME / "libs"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093
DEFAULT_SASL_SSL_PORT = 9094
DEFAULT_SSL_PORT = 9095
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
    # Two more listeners: SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) and SSL with
    # client certificates, both with the home's own test CA.
    secure: bool = False
    sasl_ssl_port: int = DEFAULT_SASL_SSL_PORT
    ssl_port: int = DEFAULT_SSL_PORT

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
    def tls_dir(self) -> Path:
        """The test CA, the certificates and the user's credentials of the secure listeners."""
        return self.home / "tls"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def sasl_ssl_bootstrap(self) -> str:
        return f"{self.host}:{self.sasl_ssl_port}"

    @property
    def ssl_bootstrap(self) -> str:
        return f"{self.host}:{self.ssl_port}"

    @property
    def ports(self) -> tuple[int, ...]:
        """Every port the broker listens on."""
        extra = (self.sasl_ssl_port, self.ssl_port) if self.secure else ()
        return (self.port, self.controller_port, *extra)


def render_server_properties(cfg: BrokerConfig, user: BrokerUser | None = None) -> str:
    """The broker's server.properties: one node, dev-sized, nothing auto-created; with
    ``cfg.secure``, the SASL_SSL and SSL listeners too, for ``user`` (the key and
    certificates are read from ``cfg.tls_dir``, so ``ensure_tls`` comes first)."""
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
    if cfg.secure:
        if user is None:
            raise BrokerError("a secure broker's server.properties needs its user")
        props.update(_secure_properties(cfg, user))
    lines = [
        "# Written by pipeline/ops/localkafka/config.py on every start; edits are overwritten."
    ]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


def _secure_properties(cfg: BrokerConfig, user: BrokerUser) -> dict[str, str]:
    """The SASL_SSL and SSL listeners beside PLAINTEXT; the inter-broker and controller
    listeners stay PLAINTEXT."""
    files = TlsFiles(cfg.tls_dir)
    sasl_ssl = f"SASL_SSL://{cfg.host}:{cfg.sasl_ssl_port}"
    ssl = f"SSL://{cfg.host}:{cfg.ssl_port}"
    plain_login = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'user_{user.username}="{user.password}";'
    )
    return {
        "listeners": f"PLAINTEXT://{cfg.host}:{cfg.port},CONTROLLER://{cfg.host}:"
        f"{cfg.controller_port},{sasl_ssl},{ssl}",
        "advertised.listeners": f"PLAINTEXT://{cfg.host}:{cfg.port},{sasl_ssl},{ssl}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,"
        "SASL_SSL:SASL_SSL,SSL:SSL",
        "listener.name.sasl_ssl.sasl.enabled.mechanisms": ",".join(SASL_MECHANISMS),
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": _SCRAM_LOGIN,
        "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": _SCRAM_LOGIN,
        "listener.name.sasl_ssl.plain.sasl.jaas.config": plain_login,
        "listener.name.ssl.ssl.client.auth": "required",
        # PEM stores. The key and its chain go inline: a file PEM keystore needs an
        # encrypted key, and Java 17 cannot decrypt the PBES2 keys Python writes.
        "ssl.keystore.type": "PEM",
        "ssl.keystore.key": _inline_pem(files.broker_key_file),
        "ssl.keystore.certificate.chain": _inline_pem(files.broker_chain_file),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(files.ca_file),
    }


def _inline_pem(path: Path) -> str:
    """A PEM file as one properties value: its line breaks as ``\\n`` escapes, which
    java.util.Properties turns back into line breaks."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise BrokerError(f"cannot read {path} for the secure listeners: {exc}") from exc
    return text.strip().replace("\n", "\\n")
