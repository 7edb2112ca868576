"""Fast tests for pipeline.ops.localkafka.process: no JVM, no real broker (fake servers and
fake `java`)."""

from __future__ import annotations

import base64
import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.ops.localkafka import process
from pipeline.ops.localkafka.config import BrokerConfig
from pipeline.ops.localkafka.credentials import load_user, scram_recorded
from pipeline.ops.localkafka.errors import BrokerError
from pipeline.ops.localkafka.tls import TlsFiles
from tests.unit.pipeline.ops.localkafka.fakes import fake_tool, free_port, make_cfg, metadata_reply

# ---------------------------------------------------------------- cluster id


def test_cluster_id_is_22_char_base64url_of_16_bytes() -> None:
    ids = {process.new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    for cluster_id in ids:
        assert len(cluster_id) == 22 and "=" not in cluster_id
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


# ---------------------------------------------------------------- prerequisites


def test_start_without_java(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(BrokerError, match=r"^java not found on PATH: install a Java 17\+"):
        process.start(cfg)
    assert not cfg.pid_file.exists()


# ---------------------------------------------------------------- ports


def test_port_taken_by_something_else(tmp_path: Path, fake_server) -> None:
    port = fake_server(b"SSH-2.0-OpenSSH_9.2\r\n")
    cfg = make_cfg(tmp_path, port=port)
    assert not process.status(cfg).running
    assert "taken by another process" in process.status(cfg).detail
    with pytest.raises(BrokerError) as err:
        process.start(cfg)
    assert str(err.value).startswith(
        f"port {port} on 127.0.0.1 is taken by another process that is not a Kafka broker"
    )


def test_controller_port_taken(tmp_path: Path, fake_server) -> None:
    port = fake_server(b"")
    cfg = make_cfg(tmp_path, controller_port=port)
    with pytest.raises(BrokerError, match=f"^port {port} on 127.0.0.1 is taken"):
        process.start(cfg)


def test_start_reuses_a_broker_it_did_not_start(tmp_path: Path, fake_server) -> None:
    cfg = make_cfg(tmp_path, port=fake_server(metadata_reply()))
    st = process.start(cfg)
    assert st.running and not st.managed and st.pid is None
    assert st.bootstrap == cfg.bootstrap
    assert "reusing" in st.detail and "not started here" in st.detail
    assert not cfg.pid_file.exists()
    # ...and stop() leaves it alone.
    assert "nothing to stop" in process.stop(cfg).detail
    assert process.status(cfg).running


# ---------------------------------------------------------------- pid file and stop


def test_status_when_nothing_runs(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    st = process.status(cfg)
    assert st == process.BrokerStatus(False, None, cfg.bootstrap, False, "not running")


def test_stale_pid_file_is_ignored_and_cleared(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    cfg.home.mkdir(parents=True)
    cfg.pid_file.write_text(f"{gone.pid}\n")  # exited and reaped
    assert process.status(cfg).pid is None
    assert process.stop(cfg).detail == "not running (nothing to stop)"
    assert not cfg.pid_file.exists()


def test_pid_file_naming_an_unrelated_process_is_not_trusted(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    cfg.home.mkdir(parents=True)
    cfg.pid_file.write_text(f"{os.getpid()}\n")  # alive, but not this home's broker
    assert process.status(cfg).pid is None
    process.stop(cfg)  # must not signal the test process


def spawn_fake_broker(
    cfg: BrokerConfig, monkeypatch, ignore_term: bool = False, ours: bool = True
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
        monkeypatch.setitem(process._CHILDREN, proc.pid, proc)
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
    st = process.status(cfg)
    assert (st.pid, st.managed, st.running) == (pid, True, False)
    assert "not answering yet" in st.detail
    assert process.stop(cfg, timeout=0.5).detail == f"stopped broker pid {pid}"
    assert not process._alive(pid)  # a zombie until its parent reaps it, which counts as stopped
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
    with pytest.raises(BrokerError, match="exited during startup") as err:
        process.start(cfg, timeout=10)
    assert "fatal exception: boom" in str(err.value)
    assert not cfg.pid_file.exists()
    assert "auto.create.topics.enable=false" in cfg.server_properties.read_text()


def test_start_reports_a_failed_format(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    fake_tool(monkeypatch, tmp_path / "bin", "java", "echo 'Invalid cluster.id' >&2\nexit 1\n")
    with pytest.raises(BrokerError, match=r"StorageTool format .*failed \(exit 1\)") as err:
        process.start(cfg)
    assert "Invalid cluster.id" in str(err.value)


def test_start_gives_up_and_stops_a_silent_broker(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    cfg.data_dir.mkdir(parents=True)
    (cfg.data_dir / "meta.properties").touch()  # already formatted
    fake_tool(monkeypatch, tmp_path / "bin", "java", "exec sleep 30\n")
    children = dict(process._CHILDREN)
    with pytest.raises(BrokerError, match=r"did not answer on .* within 1s and was stopped"):
        process.start(cfg, timeout=1)
    assert not cfg.pid_file.exists()
    assert children == process._CHILDREN  # stopped and reaped


# ---------------------------------------------------------------- secure (fake java)


def test_a_secure_start_formats_with_the_scram_user(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path, secure=True, sasl_ssl_port=free_port(), ssl_port=free_port())
    args = tmp_path / "format-args"
    fake_tool(
        monkeypatch,
        tmp_path / "bin",
        "java",
        f'case "$*" in *StorageTool*) printf "%s\\n" "$@" > "{args}"; '
        f'touch "{cfg.data_dir}/meta.properties"; exit 0;; esac\n'
        "echo 'ERROR Exiting Kafka due to fatal exception: boom'\nexit 1\n",
    )
    with pytest.raises(BrokerError, match="exited during startup"):
        process.start(cfg, timeout=10)
    user = load_user(cfg.tls_dir)
    assert user is not None
    format_args = args.read_text().splitlines()
    assert format_args[-2:] == [
        f"--add-scram=SCRAM-SHA-512=[name=carepipe,password={user.password}]",
        f"--add-scram=SCRAM-SHA-256=[name=carepipe,password={user.password}]",
    ]
    (cluster_id,) = [a.split("=", 1)[1] for a in format_args if a.startswith("--cluster-id=")]
    assert scram_recorded(cfg.tls_dir, cluster_id, user)  # no need to add it after the start
    assert cfg.server_properties.stat().st_mode & 0o777 == 0o600
    assert f'user_carepipe="{user.password}"' in cfg.server_properties.read_text()
    assert TlsFiles(cfg.tls_dir).ca_file.exists()


def test_a_secure_start_checks_its_secure_ports(tmp_path: Path, fake_server) -> None:
    taken = fake_server(b"")
    cfg = make_cfg(tmp_path, secure=True, sasl_ssl_port=taken, ssl_port=free_port())
    with pytest.raises(BrokerError, match=f"^port {taken} on 127.0.0.1 is taken"):
        process.start(cfg)


def test_a_running_broker_without_secure_listeners_is_not_reused_as_secure(
    tmp_path: Path, monkeypatch, fake_server
) -> None:
    plain = make_cfg(tmp_path, port=fake_server(metadata_reply()))
    spawn_fake_broker(plain, monkeypatch)
    plain.server_properties.write_text("listeners=PLAINTEXT://127.0.0.1:1\n")
    secure = dataclasses.replace(plain, secure=True)
    assert process.status(secure).running and process.status(secure).secure is None
    with pytest.raises(BrokerError, match=r"runs without the secure listeners .*--secure"):
        process.start(secure)
    process.stop(plain)
