"""Stand-ins for the local broker's surroundings: free ports, throwaway configs, Metadata
replies and fake command-line tools. Not a test module."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

from pipeline.ops.localkafka.config import BrokerConfig
from pipeline.ops.localkafka.probe import _PROBE_ID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_cfg(tmp_path: Path, **overrides: object) -> BrokerConfig:
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
    return BrokerConfig(**fields)  # type: ignore[arg-type]


def metadata_reply(correlation_id: int = _PROBE_ID, brokers: int = 1) -> bytes:
    body = struct.pack(">iii", correlation_id, 0, brokers) + b"\x00" * 8
    return struct.pack(">i", len(body)) + body


def fake_tool(monkeypatch, bin_dir: Path, name: str, script: str) -> None:
    """Put a shell script called `name` first on PATH (the system dirs stay for its own use)."""
    bin_dir.mkdir(exist_ok=True)
    tool = bin_dir / name
    tool.write_text("#!/bin/sh\n" + script)
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
