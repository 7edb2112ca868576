"""The registry process: ``start``, ``stop`` and ``status`` of Apicurio Registry run in memory
from a ``RegistryConfig``'s home, tracked by a pid file; ``ensure_dist`` installs it."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.ops.localregistry.config import REGISTRY_POM, RegistryConfig
from pipeline.ops.localregistry.errors import RegistryProcessError
from pipeline.ops.localregistry.java import find_java

MVN_MISSING = "mvn not found on PATH: install Maven to fetch Apicurio Registry from Maven Central"
# Marks the command line of the registry started from a home, against pid reuse.
_HOME_PROPERTY = "-Dcarepipe.registry.home="

# Registries launched by this process, kept so that a stopped one is reaped (no zombie).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class RegistryStatus:
    running: bool  # the ccompat API answers on `url`
    pid: int | None  # the registry process we started, if any
    url: str  # the ccompat API: what CAREPIPE_SCHEMA_REGISTRY_URL points at
    managed: bool  # started from the config's home
    detail: str


def answers(cfg: RegistryConfig, timeout: float = 2.0) -> bool:
    """True if the Confluent-compatible API answers its subject list on cfg's port."""
    try:
        with urllib.request.urlopen(cfg.ccompat_url + "/subjects", timeout=timeout) as answer:
            return int(answer.status) == 200
    except urllib.error.HTTPError as answer:
        answer.close()
        return False
    except OSError:
        return False


def ensure_dist(cfg: RegistryConfig) -> Path:
    """Unpacks Apicurio Registry into cfg.dist_dir with Maven unless it is there."""
    if cfg.run_jar.is_file():
        return cfg.dist_dir
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RegistryProcessError(MVN_MISSING)
    cmd = [mvn, "-q", "-B", "-f", str(REGISTRY_POM), "package", f"-Dregistry.dir={cfg.dist_dir}"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not cfg.run_jar.is_file():
        output = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise RegistryProcessError(
            f"{' '.join(cmd)} did not leave {cfg.run_jar} (exit {done.returncode}):\n{output}"
        )
    return cfg.dist_dir


def status(cfg: RegistryConfig | None = None) -> RegistryStatus:
    cfg = cfg or RegistryConfig()
    pid = _managed_pid(cfg)
    answering = answers(cfg)
    if pid is not None:
        state = "answers" if answering else "is not answering yet"
        detail = f"registry pid {pid} (home {cfg.home}) {state} on {cfg.ccompat_url}"
        return RegistryStatus(answering, pid, cfg.ccompat_url, True, detail)
    if answering:
        detail = f"a registry not started from {cfg.home} answers on {cfg.ccompat_url}"
        return RegistryStatus(True, None, cfg.ccompat_url, False, detail)
    if not port_free(cfg.host, cfg.port):
        detail = f"not running; port {cfg.port} on {cfg.host} is taken by another process"
        return RegistryStatus(False, None, cfg.ccompat_url, False, detail)
    return RegistryStatus(False, None, cfg.ccompat_url, False, "not running")


def start(cfg: RegistryConfig | None = None, timeout: float = 90) -> RegistryStatus:
    """Start the registry (in memory: it forgets every schema when stopped), or reuse one
    already answering; return once its ccompat API answers."""
    cfg = cfg or RegistryConfig()
    cfg.home.mkdir(parents=True, exist_ok=True)
    with _start_lock(cfg):
        return _start(cfg, timeout)


def _start(cfg: RegistryConfig, timeout: float) -> RegistryStatus:
    current = status(cfg)
    if current.running:
        how = "started earlier" if current.managed else "not started here"
        return replace(current, detail=f"reusing the running registry ({how}): {current.detail}")
    if current.pid is not None:  # ours, still starting: wait rather than launch another
        return _wait_until_answering(cfg, current.pid, timeout)
    cfg.pid_file.unlink(missing_ok=True)
    assert cfg.management_port is not None
    for port in (cfg.port, cfg.management_port):
        if not port_free(cfg.host, port):
            raise RegistryProcessError(
                f"port {port} on {cfg.host} is taken by another process that is not a schema "
                f"registry answering on {cfg.ccompat_url}; stop it or choose other ports "
                "(RegistryConfig(port=..., management_port=...))"
            )
    java = find_java()
    ensure_dist(cfg)
    cfg.logs_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(java),
        "-Xms128m",
        f"-Xmx{cfg.heap}",
        f"{_HOME_PROPERTY}{cfg.home}",
        f"-Dquarkus.http.host={cfg.host}",
        f"-Dquarkus.http.port={cfg.port}",
        # The management interface is built in and would bind 0.0.0.0:9000 otherwise.
        f"-Dquarkus.management.host={cfg.host}",
        f"-Dquarkus.management.port={cfg.management_port}",
        "-Dapicurio.storage.kind=sql",
        "-Dapicurio.storage.sql.kind=h2",
        "-Dapicurio.datasource.url=jdbc:h2:mem:registry_db",
        "-jar",
        str(cfg.run_jar),
    ]
    with (cfg.logs_dir / "registry.out").open("wb") as sink:
        # Own session and process group: it outlives this process, and stop() ends the group.
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


def stop(cfg: RegistryConfig | None = None, timeout: float = 30) -> RegistryStatus:
    """Stop the registry started from cfg.home and every process of its group (SIGTERM,
    then SIGKILL); never another registry."""
    cfg = cfg or RegistryConfig()
    pid = _managed_pid(cfg)
    if pid is None:
        cfg.pid_file.unlink(missing_ok=True)
        return RegistryStatus(False, None, cfg.ccompat_url, False, "not running (nothing to stop)")
    _terminate_group(pid, timeout)
    cfg.pid_file.unlink(missing_ok=True)
    return RegistryStatus(False, None, cfg.ccompat_url, False, f"stopped registry pid {pid}")


@contextmanager
def _start_lock(cfg: RegistryConfig) -> Iterator[None]:
    with (cfg.home / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _wait_until_answering(cfg: RegistryConfig, pid: int, timeout: float) -> RegistryStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(cfg, timeout=1.0):
            return RegistryStatus(
                True, pid, cfg.ccompat_url, True, f"started registry pid {pid} on {cfg.url}"
            )
        if not _alive(pid):
            cfg.pid_file.unlink(missing_ok=True)
            raise RegistryProcessError(
                f"the registry (pid {pid}) exited during startup:\n{_log_tail(cfg)}"
            )
        time.sleep(0.3)
    _terminate_group(pid, 10)
    cfg.pid_file.unlink(missing_ok=True)
    raise RegistryProcessError(
        f"the registry (pid {pid}) did not answer on {cfg.ccompat_url} within {timeout:g}s "
        f"and was stopped:\n{_log_tail(cfg)}"
    )


def _managed_pid(cfg: RegistryConfig) -> int | None:
    """The pid in cfg.pid_file if that process is alive and is this home's registry."""
    try:
        pid = int(cfg.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid  # no /proc (macOS): trust the pid file
    return pid if os.fsencode(f"{_HOME_PROPERTY}{cfg.home}") in cmdline else None


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:  # our own child: poll() reaps it
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
    try:  # a zombie, not yet reaped by the process that started it
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _terminate_group(pid: int, timeout: float) -> None:
    """SIGTERM to the registry's process group (it leads it), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid) and not _group_alive(pid):
                return
            time.sleep(0.1)
    raise RegistryProcessError(f"registry pid {pid} survived SIGTERM and SIGKILL")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def port_free(host: str, port: int) -> bool:
    """Nothing listens on host:port (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _log_tail(cfg: RegistryConfig, lines: int = 20) -> str:
    path = cfg.logs_dir / "registry.out"
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:]) or f"(no output in {path})"
