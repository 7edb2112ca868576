"""Start, stop and inspect a real single-node Apache Kafka 4.3.1 broker (KRaft, broker and
controller in one JVM) for local runs and tests, using jars resolved from Maven Central."""

from __future__ import annotations

import base64
import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from processors.errors import StartupError

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = REPO_ROOT / "deploy" / "local"
POM = LOCAL_DIR / "pom.xml"
LOG4J_CONFIG = LOCAL_DIR / "log4j2.properties"

DEFAULT_HOME = LOCAL_DIR / ".kafka"
DEFAULT_LIBS_DIR = DEFAULT_HOME / "libs"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093
DEFAULT_HEAP = "1g"

KAFKA_JAR_GLOB = "kafka_2.13-*.jar"
_PROBE_ID = 0x0CA4E  # correlation id of our metadata probe
MVN_MISSING = "mvn not found on PATH: install Maven to resolve the Kafka jars from Maven Central"
JAVA_MISSING = (
    "java not found on PATH: install a Java 17+ runtime "
    "(e.g. apt-get install openjdk-17-jre-headless) to run the local Kafka broker"
)


# Brokers launched by this process. Holding the Popen keeps it from warning "still running"
# when collected, and lets us reap the child so a stopped broker does not linger as a zombie.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class BrokerError(StartupError):
    """The local broker could not be prepared, started or stopped."""


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


@dataclass(frozen=True)
class BrokerStatus:
    running: bool  # a Kafka broker answers metadata requests on `bootstrap`
    pid: int | None  # the broker process we started, if any
    bootstrap: str
    managed: bool  # started by this module (pid file in the config's home)
    detail: str


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
    lines = ["# Written by pipeline/ops/localkafka.py on every start; edits are overwritten."]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, base64url without padding (22 chars)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")


def ensure_jars(cfg: BrokerConfig) -> Path:
    """Resolve the broker jars into cfg.libs_dir with Maven unless they are already there."""
    if any(cfg.libs_dir.glob(KAFKA_JAR_GLOB)):
        return cfg.libs_dir
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(MVN_MISSING)
    _run([mvn, "-q", "-B", "-f", str(POM), "package", f"-Dlibs.dir={cfg.libs_dir}"])
    if not any(cfg.libs_dir.glob(KAFKA_JAR_GLOB)):
        raise BrokerError(f"Maven ran but left no {KAFKA_JAR_GLOB} in {cfg.libs_dir}")
    return cfg.libs_dir


def broker_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """True if a Kafka broker on host:port answers a Metadata request listing at least one broker.

    Plain sockets rather than kafka-python: a failed kafka-python 3.0 bootstrap leaks its I/O
    thread and sockets, which the test suite (filterwarnings = error) turns into failures.
    """
    client_id = b"carepipe-localkafka"
    # Header v1 (api_key 3 = Metadata, version 4, correlation id, client id), then the v4 body:
    # an empty topic list (brokers only) and allow_auto_topic_creation = false.
    request = struct.pack(">hhih", 3, 4, _PROBE_ID, len(client_id)) + client_id
    request += struct.pack(">i?", 0, False)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            with sock.makefile("rb") as stream:
                head = stream.read(16)  # size, correlation id, throttle ms, broker count
    except OSError:
        return False
    if len(head) < 16:
        return False
    size, correlation_id, _throttle, brokers = struct.unpack(">iiii", head)
    return 12 <= size <= 1 << 20 and correlation_id == _PROBE_ID and brokers >= 1


def status(cfg: BrokerConfig | None = None) -> BrokerStatus:
    cfg = cfg or BrokerConfig()
    pid = _managed_pid(cfg)
    answering = broker_answers(cfg.host, cfg.port)
    if pid is not None:
        state = "answers" if answering else "is not answering yet"
        detail = f"broker pid {pid} (home {cfg.home}) {state} on {cfg.bootstrap}"
        return BrokerStatus(answering, pid, cfg.bootstrap, True, detail)
    if answering:
        detail = f"a Kafka broker not started from {cfg.home} answers on {cfg.bootstrap}"
        return BrokerStatus(True, None, cfg.bootstrap, False, detail)
    if not _port_free(cfg.host, cfg.port):
        detail = f"not running; port {cfg.port} on {cfg.host} is taken by another process"
        return BrokerStatus(False, None, cfg.bootstrap, False, detail)
    return BrokerStatus(False, None, cfg.bootstrap, False, "not running")


def start(cfg: BrokerConfig | None = None, timeout: float = 60) -> BrokerStatus:
    """Start the broker, or reuse one already answering; return once it answers."""
    cfg = cfg or BrokerConfig()
    with _start_lock(cfg):
        return _start(cfg, timeout)


def _start(cfg: BrokerConfig, timeout: float) -> BrokerStatus:
    current = status(cfg)
    if current.running:
        how = "started earlier" if current.managed else "not started here"
        return replace(current, detail=f"reusing the running broker ({how}): {current.detail}")
    if current.pid is not None:  # ours, still starting up: wait rather than launch a second one
        return _wait_until_answering(cfg, current.pid, timeout)
    cfg.pid_file.unlink(missing_ok=True)  # stale: its process is gone
    for port in (cfg.port, cfg.controller_port):
        if not _port_free(cfg.host, port):
            raise BrokerError(
                f"port {port} on {cfg.host} is taken by another process that is not a Kafka "
                f"broker answering on {cfg.bootstrap}; stop it or choose other ports "
                "(BrokerConfig(port=..., controller_port=...))"
            )
    java = shutil.which("java")
    if java is None:
        raise BrokerError(JAVA_MISSING)
    ensure_jars(cfg)
    for folder in (cfg.data_dir, cfg.logs_dir):
        folder.mkdir(parents=True, exist_ok=True)
    cfg.server_properties.write_text(render_server_properties(cfg))
    classpath = f"{cfg.libs_dir}/*"  # expanded by java itself, not by a shell
    if not (cfg.data_dir / "meta.properties").exists():
        _format_storage(cfg, java, classpath)

    out = cfg.logs_dir / "broker.out"
    cmd = [
        java,
        "-Xms256m",
        f"-Xmx{cfg.heap}",
        "-XX:+UseG1GC",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={cfg.logs_dir}",
        "-cp",
        classpath,
        "kafka.Kafka",
        str(cfg.server_properties),
    ]
    with out.open("wb") as sink:
        # Own session: the broker outlives this Python process and ignores its Ctrl-C.
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cfg.home,
        )
    _CHILDREN[proc.pid] = proc
    cfg.pid_file.write_text(f"{proc.pid}\n")
    return _wait_until_answering(cfg, proc.pid, timeout)


def stop(cfg: BrokerConfig | None = None, timeout: float = 30) -> BrokerStatus:
    """Stop the broker started from cfg.home (SIGTERM, then SIGKILL); never touch other brokers."""
    cfg = cfg or BrokerConfig()
    pid = _managed_pid(cfg)
    if pid is None:
        cfg.pid_file.unlink(missing_ok=True)
        return BrokerStatus(False, None, cfg.bootstrap, False, "not running (nothing to stop)")
    _terminate(pid, timeout)
    cfg.pid_file.unlink(missing_ok=True)
    return BrokerStatus(False, None, cfg.bootstrap, False, f"stopped broker pid {pid}")


@contextmanager
def _start_lock(cfg: BrokerConfig) -> Iterator[None]:
    # One starter per home at a time (parallel test sessions, CLI + tests): the loser then
    # finds the winner's broker and reuses it instead of formatting or launching twice.
    cfg.home.mkdir(parents=True, exist_ok=True)
    with (cfg.home / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _format_storage(cfg: BrokerConfig, java: str, classpath: str) -> None:
    # Static controller.quorum.voters means no --standalone: 4.x only allows that flag with
    # controller.quorum.bootstrap.servers (a dynamic quorum).
    cmd = [
        java,
        "-cp",
        classpath,
        "kafka.tools.StorageTool",
        "format",
        # One argument with "=": a base64url id may begin with "-", which would otherwise
        # be read as an option.
        f"--cluster-id={new_cluster_id()}",
        "--config",
        str(cfg.server_properties),
    ]
    _run(cmd)


def _wait_until_answering(cfg: BrokerConfig, pid: int, timeout: float) -> BrokerStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if broker_answers(cfg.host, cfg.port, timeout=1.0):
            return BrokerStatus(True, pid, cfg.bootstrap, True, f"started broker pid {pid}")
        if not _alive(pid):
            cfg.pid_file.unlink(missing_ok=True)
            raise BrokerError(f"the broker (pid {pid}) exited during startup:\n{_log_tail(cfg)}")
        time.sleep(0.2)
    _terminate(pid, 10)  # don't leave a half-started broker holding the ports
    cfg.pid_file.unlink(missing_ok=True)
    raise BrokerError(
        f"the broker (pid {pid}) did not answer on {cfg.bootstrap} within {timeout:g}s "
        f"and was stopped:\n{_log_tail(cfg)}"
    )


def _managed_pid(cfg: BrokerConfig) -> int | None:
    """The pid from cfg.pid_file if that process is alive and is this home's broker."""
    try:
        pid = int(cfg.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    try:  # guard against pid reuse after a reboot or crash
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid  # no /proc (macOS): trust the pid file
    return pid if os.fsencode(cfg.server_properties) in cmdline else None


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:  # our own child: poll() reaps it, whereas a zombie accepts signal 0
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # exited but not yet reaped by its parent (e.g. a test session that started it)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _terminate(pid: int, timeout: float) -> None:
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)
    raise BrokerError(f"broker pid {pid} survived SIGTERM and SIGKILL")


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: ignore TIME_WAIT leftovers, only a listener makes the port "taken".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise BrokerError(f"{' '.join(cmd)} failed (exit {done.returncode}):\n{output}")


def _log_tail(cfg: BrokerConfig, lines: int = 20) -> str:
    """The last lines of the console output (JVM errors) and of server.log (broker errors)."""
    parts = []
    for name in ("broker.out", "server.log"):
        path = cfg.logs_dir / name
        text = path.read_text(errors="replace") if path.exists() else ""
        if text.strip():
            parts.append(f"--- {path} ---\n" + "\n".join(text.splitlines()[-lines:]))
    return "\n".join(parts) or f"(no output in {cfg.logs_dir})"
