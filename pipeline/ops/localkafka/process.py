"""The broker process: ``start``, ``stop`` and ``status`` of the broker launched from a
``BrokerConfig``'s home, tracked by a pid file and serialised by a start lock; with
``secure``, its test CA, certificates and SCRAM user are made on the way."""

from __future__ import annotations

import base64
import fcntl
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.ops.localkafka.access import SecureAccess, secure_access
from pipeline.ops.localkafka.config import LOG4J_CONFIG, BrokerConfig, render_server_properties
from pipeline.ops.localkafka.credentials import (
    SCRAM_MECHANISMS,
    BrokerUser,
    ensure_user,
    record_scram,
    scram_arguments,
    scram_recorded,
)
from pipeline.ops.localkafka.errors import BrokerError
from pipeline.ops.localkafka.jars import ensure_jars, run_tool
from pipeline.ops.localkafka.probe import broker_answers, port_free
from pipeline.ops.localkafka.tls import ensure_tls

JAVA_MISSING = (
    "java not found on PATH: install a Java 17+ runtime "
    "(e.g. apt-get install openjdk-17-jre-headless) to run the local Kafka broker"
)


# Brokers launched by this process. Holding the Popen keeps it from warning "still running"
# when collected, and lets us reap the child so a stopped broker does not linger as a zombie.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class BrokerStatus:
    running: bool  # a Kafka broker answers metadata requests on `bootstrap`
    pid: int | None  # the broker process we started, if any
    bootstrap: str
    managed: bool  # started by this module (pid file in the config's home)
    detail: str
    secure: SecureAccess | None = None  # when it runs with its secure listeners


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, base64url without padding (22 chars)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")


def status(cfg: BrokerConfig | None = None) -> BrokerStatus:
    cfg = cfg or BrokerConfig()
    pid = _managed_pid(cfg)
    answering = broker_answers(cfg.host, cfg.port)
    if pid is not None:
        state = "answers" if answering else "is not answering yet"
        detail = f"broker pid {pid} (home {cfg.home}) {state} on {cfg.bootstrap}"
        secure = _secure_status(cfg) if answering else None
        return BrokerStatus(answering, pid, cfg.bootstrap, True, detail, secure)
    if answering:
        detail = f"a Kafka broker not started from {cfg.home} answers on {cfg.bootstrap}"
        return BrokerStatus(True, None, cfg.bootstrap, False, detail)
    if not port_free(cfg.host, cfg.port):
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
        if cfg.secure and current.secure is None:
            if not current.managed:
                raise BrokerError(
                    f"a Kafka broker not started from {cfg.home} answers on {cfg.bootstrap}, "
                    "so its secure listeners are unknown here: stop it or choose other ports"
                )
            raise BrokerError(
                f"the broker answering on {cfg.bootstrap} runs without the secure listeners "
                f"(SASL_SSL on {cfg.sasl_ssl_port}, SSL on {cfg.ssl_port}): stop it "
                "(`carepipe kafka stop`) and start it again with --secure"
            )
        how = "started earlier" if current.managed else "not started here"
        return replace(current, detail=f"reusing the running broker ({how}): {current.detail}")
    if current.pid is not None:  # ours, still starting up: wait rather than launch a second one
        return _wait_until_ready(cfg, current.pid, timeout)
    cfg.pid_file.unlink(missing_ok=True)  # stale: its process is gone
    for port in cfg.ports:
        if not port_free(cfg.host, port):
            raise BrokerError(
                f"port {port} on {cfg.host} is taken by another process that is not a Kafka "
                f"broker answering on {cfg.bootstrap}; stop it or choose other ports "
                "(BrokerConfig(port=..., controller_port=..., sasl_ssl_port=..., ssl_port=...))"
            )
    java = shutil.which("java")
    if java is None:
        raise BrokerError(JAVA_MISSING)
    ensure_jars(cfg)
    for folder in (cfg.data_dir, cfg.logs_dir):
        folder.mkdir(parents=True, exist_ok=True)
    user = None
    if cfg.secure:
        user = ensure_user(cfg.tls_dir)
        ensure_tls(cfg.tls_dir)
    # Only its owner reads it: a secure broker's holds its private key and the PLAIN password.
    _write_private(cfg.server_properties, render_server_properties(cfg, user))
    classpath = f"{cfg.libs_dir}/*"  # expanded by java itself, not by a shell
    if not (cfg.data_dir / "meta.properties").exists():
        _format_storage(cfg, java, classpath, user)

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
    return _wait_until_ready(cfg, proc.pid, timeout)


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


def kill(cfg: BrokerConfig | None = None, timeout: float = 10) -> BrokerStatus:
    """Kill the broker started from cfg.home with SIGKILL, as a crash would: no clean
    shutdown, its logs left to recover on the next start."""
    cfg = cfg or BrokerConfig()
    pid = _managed_pid(cfg)
    if pid is None:
        return BrokerStatus(False, None, cfg.bootstrap, False, "not running (nothing to kill)")
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            raise BrokerError(f"broker pid {pid} survived SIGKILL")
        time.sleep(0.05)
    return BrokerStatus(False, None, cfg.bootstrap, False, f"killed broker pid {pid}")


@contextmanager
def _start_lock(cfg: BrokerConfig) -> Iterator[None]:
    # One starter per home at a time (parallel test sessions, CLI + tests): the loser then
    # finds the winner's broker and reuses it instead of formatting or launching twice.
    cfg.home.mkdir(parents=True, exist_ok=True)
    with (cfg.home / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _format_storage(cfg: BrokerConfig, java: str, classpath: str, user: BrokerUser | None) -> None:
    # Static controller.quorum.voters means no --standalone: 4.x only allows that flag with
    # controller.quorum.bootstrap.servers (a dynamic quorum).
    cluster_id = new_cluster_id()
    cmd = [
        java,
        "-cp",
        classpath,
        "kafka.tools.StorageTool",
        "format",
        # One argument with "=": a base64url id may begin with "-", which would otherwise
        # be read as an option.
        f"--cluster-id={cluster_id}",
        "--config",
        str(cfg.server_properties),
    ]
    if user is not None:  # the SCRAM user goes into the first metadata records
        cmd += scram_arguments(user)
    run_tool(cmd)
    if user is not None:
        record_scram(cfg.tls_dir, cluster_id, user)


def _wait_until_ready(cfg: BrokerConfig, pid: int, timeout: float) -> BrokerStatus:
    """Wait until the broker answers; a secure one also until its SCRAM user exists and its
    secure listeners accept connections."""
    deadline = time.monotonic() + timeout
    started = _wait_until_answering(cfg, pid, timeout)
    if not cfg.secure:
        return started
    try:
        _ensure_scram_user(cfg)
        while any(port_free(cfg.host, port) for port in (cfg.sasl_ssl_port, cfg.ssl_port)):
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"the broker (pid {pid}) answers on {cfg.bootstrap} but not on its secure "
                    f"listeners {cfg.sasl_ssl_bootstrap} and {cfg.ssl_bootstrap}:\n"
                    + _log_tail(cfg)
                )
            time.sleep(0.1)
    except BrokerError:
        _terminate(pid, 10)  # half made: the next start begins again from the top
        cfg.pid_file.unlink(missing_ok=True)
        raise
    return replace(started, secure=secure_access(cfg))


def _ensure_scram_user(cfg: BrokerConfig) -> None:
    """Give the cluster the user's SCRAM credentials unless it got them at format time: a home
    formatted without --secure (or whose tls/ folder was made anew) gets them here, through
    the PLAINTEXT listener, with Kafka's own ConfigCommand (kafka-python's SCRAM-SHA-512
    upsertion is not accepted by a 4.3 broker's authenticator)."""
    user = ensure_user(cfg.tls_dir)
    cluster_id = _cluster_id(cfg)
    if scram_recorded(cfg.tls_dir, cluster_id, user):
        return
    java = shutil.which("java")
    if java is None:
        raise BrokerError(JAVA_MISSING)
    try:
        for mechanism in SCRAM_MECHANISMS:  # one request each: a request may alter a user once
            run_tool(
                [
                    java,
                    "-cp",
                    f"{cfg.libs_dir}/*",
                    "kafka.admin.ConfigCommand",
                    "--bootstrap-server",
                    cfg.bootstrap,
                    "--alter",
                    "--entity-type",
                    "users",
                    "--entity-name",
                    user.username,
                    "--add-config",
                    f"{mechanism}=[password={user.password}]",
                ]
            )
    except BrokerError as exc:
        said = str(exc).replace(user.password, "********")
        raise BrokerError(
            f"could not create the SCRAM user {user.username!r} on {cfg.bootstrap}: {said}; "
            f"stop the broker, delete {cfg.data_dir} (its topics go with it) and start again"
        ) from exc
    record_scram(cfg.tls_dir, cluster_id, user)


def _cluster_id(cfg: BrokerConfig) -> str:
    meta = cfg.data_dir / "meta.properties"
    for line in meta.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "cluster.id":
            return value.strip()
    raise BrokerError(f"{meta} names no cluster.id")


def _secure_status(cfg: BrokerConfig) -> SecureAccess | None:
    """The secure listeners of the home's running broker, if ``cfg`` wants them and the
    server.properties it started with declares them."""
    if not cfg.secure:
        return None
    listeners = f"SASL_SSL://{cfg.sasl_ssl_bootstrap},SSL://{cfg.ssl_bootstrap}"
    try:
        if listeners not in cfg.server_properties.read_text():
            return None
    except OSError:
        return None
    try:
        return secure_access(cfg)
    except BrokerError:
        return None


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as out:
        out.write(text)


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


def _log_tail(cfg: BrokerConfig, lines: int = 20) -> str:
    """The last lines of the console output (JVM errors) and of server.log (broker errors)."""
    parts = []
    for name in ("broker.out", "server.log"):
        path = cfg.logs_dir / name
        text = path.read_text(errors="replace") if path.exists() else ""
        if text.strip():
            parts.append(f"--- {path} ---\n" + "\n".join(text.splitlines()[-lines:]))
    return "\n".join(parts) or f"(no output in {cfg.logs_dir})"
