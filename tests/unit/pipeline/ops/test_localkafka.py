"""Fast tests for pipeline.ops.localkafka: no JVM, no real broker (fake servers and fake `java`)."""

from __future__ import annotations

import base64
import dataclasses
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.ops import localkafka as lk

# ---------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_cfg(tmp_path: Path, **overrides: object) -> lk.BrokerConfig:
    libs = tmp_path / "libs"
    libs.mkdir(exist_ok=True)
    (libs / "kafka_2.13-4.3.1.jar").touch()  # enough for ensure_jars() to skip Maven
    fields: dict[str, object] = {
        "home": tmp_path / "home",
        "port": free_port(),
        "controller_port": free_port(),
        "libs_dir": libs,
    }
    fields.update(overrides)
    return lk.BrokerConfig(**fields)  # type: ignore[arg-type]


def metadata_reply(correlation_id: int = lk._PROBE_ID, brokers: int = 1) -> bytes:
    body = struct.pack(">iii", correlation_id, 0, brokers) + b"\x00" * 8
    return struct.pack(">i", len(body)) + body


@pytest.fixture
def fake_server() -> Iterator[Callable[[bytes], int]]:
    """Start a TCP server on a free port that answers every connection with fixed bytes."""
    servers: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def serve(reply: bytes) -> int:
        server = socket.create_server(("127.0.0.1", 0))
        server.settimeout(0.2)
        servers.append(server)

        def loop() -> None:
            while server.fileno() != -1:
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                with conn:
                    conn.settimeout(1.0)
                    try:
                        conn.recv(4096)
                        conn.sendall(reply)
                    except OSError:
                        pass

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        threads.append(thread)
        return server.getsockname()[1]

    yield serve
    for server in servers:
        server.close()
    for thread in threads:
        thread.join(timeout=2)


def fake_tool(monkeypatch, bin_dir: Path, name: str, script: str) -> None:
    """Put a shell script called `name` first on PATH (the system dirs stay for its own use)."""
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / name
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


# ---------------------------------------------------------------- config


def test_defaults() -> None:
    cfg = lk.BrokerConfig()
    assert cfg.home == lk.DEFAULT_HOME == lk.REPO_ROOT / "deploy" / "local" / ".kafka"
    assert (cfg.host, cfg.port, cfg.controller_port, cfg.heap) == ("127.0.0.1", 9092, 9093, "1g")
    assert cfg.libs_dir == cfg.home / "libs"
    assert cfg.data_dir == cfg.home / "data"
    assert cfg.logs_dir == cfg.home / "logs"
    assert cfg.pid_file.parent == cfg.home
    assert cfg.server_properties == cfg.home / "server.properties"
    assert cfg.bootstrap == "127.0.0.1:9092"


def test_custom_home_keeps_the_shared_libs_dir(tmp_path: Path) -> None:
    cfg = lk.BrokerConfig(home=str(tmp_path / "k"))  # type: ignore[arg-type]
    assert cfg.home == tmp_path / "k"
    assert cfg.libs_dir == lk.DEFAULT_LIBS_DIR
    assert cfg.data_dir == tmp_path / "k" / "data"


def test_relative_home_is_made_absolute() -> None:
    assert lk.BrokerConfig(home=Path("some/where")).home.is_absolute()


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        lk.BrokerConfig().port = 1  # type: ignore[misc]


def test_render_server_properties(tmp_path: Path) -> None:
    cfg = lk.BrokerConfig(home=tmp_path, port=19092, controller_port=19093)
    text = lk.render_server_properties(cfg)
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


def test_cluster_id_is_22_char_base64url_of_16_bytes() -> None:
    ids = {lk.new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    for cluster_id in ids:
        assert len(cluster_id) == 22 and "=" not in cluster_id
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_log4j2_config_logs_to_a_file_under_the_logs_property() -> None:
    text = lk.LOG4J_CONFIG.read_text()
    assert "${sys:kafka.logs.dir" in text
    assert "Console" not in text


# ---------------------------------------------------------------- prerequisites


def test_ensure_jars_skips_maven_when_jars_exist(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    monkeypatch.setattr(lk.subprocess, "run", lambda *a, **k: pytest.fail("ran Maven"))
    assert lk.ensure_jars(cfg) == cfg.libs_dir


def test_ensure_jars_without_mvn(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    cfg = lk.BrokerConfig(home=tmp_path, libs_dir=tmp_path / "no-jars")
    with pytest.raises(lk.BrokerError) as err:
        lk.ensure_jars(cfg)
    assert str(err.value) == (
        "mvn not found on PATH: install Maven to resolve the Kafka jars from Maven Central"
    )


def test_ensure_jars_passes_the_libs_dir_to_maven(tmp_path: Path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    # A fake mvn that records its arguments and "resolves" the Kafka jar into -Dlibs.dir.
    fake_tool(
        monkeypatch,
        bin_dir,
        "mvn",
        'echo "$@" > "$(dirname "$0")/args"\n'
        'for a in "$@"; do case "$a" in -Dlibs.dir=*) d="${a#-Dlibs.dir=}";; esac; done\n'
        'mkdir -p "$d" && touch "$d/kafka_2.13-4.3.1.jar"\n',
    )
    cfg = lk.BrokerConfig(home=tmp_path, libs_dir=tmp_path / "jars")
    assert lk.ensure_jars(cfg) == tmp_path / "jars"
    args = (bin_dir / "args").read_text().split()
    assert args == ["-q", "-B", "-f", str(lk.POM), "package", f"-Dlibs.dir={tmp_path / 'jars'}"]


def test_start_without_java(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(lk.BrokerError, match=r"^java not found on PATH: install a Java 17\+"):
        lk.start(cfg)
    assert not cfg.pid_file.exists()


# ---------------------------------------------------------------- probe and ports


def test_probe_accepts_a_kafka_metadata_reply(fake_server) -> None:
    assert lk.broker_answers("127.0.0.1", fake_server(metadata_reply()))


@pytest.mark.parametrize(
    "reply",
    [
        metadata_reply(correlation_id=42),
        metadata_reply(brokers=0),
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
        b"",
    ],
    ids=["wrong-correlation-id", "no-brokers", "http", "silent-close"],
)
def test_probe_rejects_other_replies(fake_server, reply: bytes) -> None:
    assert not lk.broker_answers("127.0.0.1", fake_server(reply), timeout=1.0)


def test_probe_on_a_closed_port() -> None:
    assert not lk.broker_answers("127.0.0.1", free_port(), timeout=1.0)


def test_port_taken_by_something_else(tmp_path: Path, fake_server) -> None:
    port = fake_server(b"SSH-2.0-OpenSSH_9.2\r\n")
    cfg = make_cfg(tmp_path, port=port)
    assert not lk.status(cfg).running
    assert "taken by another process" in lk.status(cfg).detail
    with pytest.raises(lk.BrokerError) as err:
        lk.start(cfg)
    assert str(err.value).startswith(
        f"port {port} on 127.0.0.1 is taken by another process that is not a Kafka broker"
    )


def test_controller_port_taken(tmp_path: Path, fake_server) -> None:
    port = fake_server(b"")
    cfg = make_cfg(tmp_path, controller_port=port)
    with pytest.raises(lk.BrokerError, match=f"^port {port} on 127.0.0.1 is taken"):
        lk.start(cfg)


def test_start_reuses_a_broker_it_did_not_start(tmp_path: Path, fake_server) -> None:
    cfg = make_cfg(tmp_path, port=fake_server(metadata_reply()))
    st = lk.start(cfg)
    assert st.running and not st.managed and st.pid is None
    assert st.bootstrap == cfg.bootstrap
    assert "reusing" in st.detail and "not started here" in st.detail
    assert not cfg.pid_file.exists()
    # ...and stop() leaves it alone.
    assert "nothing to stop" in lk.stop(cfg).detail
    assert lk.status(cfg).running


# ---------------------------------------------------------------- pid file and stop


def test_status_when_nothing_runs(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    st = lk.status(cfg)
    assert st == lk.BrokerStatus(False, None, cfg.bootstrap, False, "not running")


def test_stale_pid_file_is_ignored_and_cleared(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    cfg.home.mkdir(parents=True)
    cfg.pid_file.write_text(f"{gone.pid}\n")  # exited and reaped
    assert lk.status(cfg).pid is None
    assert lk.stop(cfg).detail == "not running (nothing to stop)"
    assert not cfg.pid_file.exists()


def test_pid_file_naming_an_unrelated_process_is_not_trusted(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    cfg.home.mkdir(parents=True)
    cfg.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not this home's broker
    assert lk.status(cfg).pid is None
    lk.stop(cfg)  # must not signal the test process


def spawn_fake_broker(
    cfg: lk.BrokerConfig, monkeypatch, ignore_term: bool = False, ours: bool = True
) -> subprocess.Popen[bytes]:
    """A process whose command line names cfg.server_properties, as the real broker's does."""
    code = "import signal, sys, time\n"
    if ignore_term:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('ready', flush=True)\ntime.sleep(60)\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(cfg.server_properties)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    proc.stdout.close()
    if ours:  # as start() registers its broker; otherwise it looks started by another process
        monkeypatch.setitem(lk._CHILDREN, proc.pid, proc)
    cfg.home.mkdir(parents=True, exist_ok=True)
    cfg.pid_file.write_text(f"{proc.pid}\n")
    return proc


@pytest.mark.parametrize(
    ("ignore_term", "ours"),
    [(False, True), (True, True), (False, False)],
    ids=["sigterm", "sigkill", "started-elsewhere"],
)
def test_stop_signals_the_managed_process(
    tmp_path: Path, monkeypatch, ignore_term: bool, ours: bool
) -> None:
    cfg = make_cfg(tmp_path)
    proc = spawn_fake_broker(cfg, monkeypatch, ignore_term, ours)
    pid = proc.pid
    st = lk.status(cfg)
    assert (st.pid, st.managed, st.running) == (pid, True, False)
    assert "not answering yet" in st.detail
    assert lk.stop(cfg, timeout=0.5).detail == f"stopped broker pid {pid}"
    assert not lk._alive(pid)  # a zombie until its parent reaps it, which counts as stopped
    assert not cfg.pid_file.exists()
    assert proc.wait(timeout=5) == -(signal.SIGKILL if ignore_term else signal.SIGTERM)


# ---------------------------------------------------------------- start failures (fake java)


def test_start_reports_the_log_when_the_broker_exits(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    fake_tool(
        monkeypatch,
        tmp_path / "bin",
        "java",
        # StorageTool "formats" by writing meta.properties; kafka.Kafka dies at once.
        f'case "$*" in *StorageTool*) touch "{cfg.data_dir}/meta.properties"; exit 0;; esac\n'
        "echo 'ERROR Exiting Kafka due to fatal exception: boom'\nexit 1\n",
    )
    with pytest.raises(lk.BrokerError, match="exited during startup") as err:
        lk.start(cfg, timeout=10)
    assert "fatal exception: boom" in str(err.value)
    assert not cfg.pid_file.exists()
    assert "auto.create.topics.enable=false" in cfg.server_properties.read_text()


def test_start_reports_a_failed_format(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    fake_tool(monkeypatch, tmp_path / "bin", "java", "echo 'Invalid cluster.id' >&2\nexit 1\n")
    with pytest.raises(lk.BrokerError, match=r"StorageTool format .*failed \(exit 1\)") as err:
        lk.start(cfg)
    assert "Invalid cluster.id" in str(err.value)


def test_start_gives_up_and_stops_a_silent_broker(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    cfg.data_dir.mkdir(parents=True)
    (cfg.data_dir / "meta.properties").touch()  # already formatted
    fake_tool(monkeypatch, tmp_path / "bin", "java", "exec sleep 30\n")
    children = dict(lk._CHILDREN)
    with pytest.raises(lk.BrokerError, match=r"did not answer on .* within 1s and was stopped"):
        lk.start(cfg, timeout=1)
    assert not cfg.pid_file.exists()
    assert children == lk._CHILDREN  # stopped and reaped
