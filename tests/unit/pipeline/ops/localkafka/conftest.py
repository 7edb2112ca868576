"""Fixtures for the local broker's tests: ``fake_server``, a TCP server with a fixed reply."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest


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
