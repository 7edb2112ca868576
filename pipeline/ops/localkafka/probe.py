"""What listens on a local port: ``broker_answers`` (a Kafka Metadata request over a plain
socket) and ``port_free`` (nothing listens there)."""

from __future__ import annotations

import socket
import struct

_PROBE_ID = 0x0CA4E  # correlation id of our metadata probe


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
    size: int
    correlation_id: int
    brokers: int
    size, correlation_id, _throttle, brokers = struct.unpack(">iiii", head)
    return 12 <= size <= 1 << 20 and correlation_id == _PROBE_ID and brokers >= 1


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: ignore TIME_WAIT leftovers, only a listener makes the port "taken".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
