"""Runs ``carepipe`` commands as child processes: for the demo, tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


class CarepipeProcess:
    """``carepipe <command>`` with its own environment; its output goes to ``log_path``."""

    def __init__(self, command: str, env: dict[str, str], log_path: Path) -> None:
        self.command = command
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> CarepipeProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pipeline.cli", self.command],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float = 30.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


class WorkerProcess(CarepipeProcess):
    """A real ``carepipe worker``; :meth:`start` returns once it is ready (``/ready``)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        super().__init__("worker", env, log_path)

    @property
    def web_url(self) -> str:
        host = self.env.get("CAREPIPE_WEB_HOST", "127.0.0.1")
        return f"http://{host}:{self.env.get('CAREPIPE_WEB_PORT', '6066')}"

    def start(self, ready_timeout_s: float = 60.0) -> WorkerProcess:
        if _answers(self.web_url):  # another process would pass for this worker
            raise RuntimeError(
                f"{self.web_url} already answers: another process holds the worker's port "
                "(CAREPIPE_WEB_PORT)"
            )
        super().start()
        self._wait_ready(ready_timeout_s)
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        """Ready when /ready answers 200: the worker holds its partitions, their tables
        recovered. Records sent before then may meet it mid-join (see Reliability)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            if _status(self.web_url + "/ready") == 200:
                return
            time.sleep(0.3)
        raise RuntimeError(f"worker not ready after {timeout_s:.0f}s:\n{self.log_tail()}")


def _status(url: str) -> int | None:
    """The HTTP status ``url`` answers with, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as answer:
        answer.close()
        return answer.code
    except OSError:
        return None


def _answers(url: str) -> bool:
    return _status(url + "/") is not None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
