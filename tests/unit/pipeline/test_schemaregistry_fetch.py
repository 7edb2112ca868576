"""Writer schemas fetched by id: an id the registry does not know is dead-lettered, a
registry that does not answer holds the record back until it does (a local HTTP server
answers as the registry's ccompat API would)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline import schemaregistry
from pipeline.schemaregistry import SchemaRegistry
from schemas import RegistrySchemas
from schemas.framing import confluent_header

SCHEMA = '{"type": "record", "name": "R", "fields": []}'


class Registry:
    """Answers GET /schemas/ids/7 with 503 ``outage`` times, then with the schema; any
    other id with 404."""

    def __init__(self, outage: int) -> None:
        self.outage, self.asked = outage, 0
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                registry.asked += 1
                if not self.path.startswith("/schemas/ids/7"):
                    self._answer(404, {"error_code": 40403, "message": "Schema not found"})
                elif registry.asked <= registry.outage:
                    self._answer(503, {"error_code": 50300, "message": "unavailable"})
                else:
                    self._answer(200, {"schema": SCHEMA})

            def _answer(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemaregistry, "RETRY_FIRST_S", 0.01)
    monkeypatch.setattr(schemaregistry, "RETRY_MAX_S", 0.02)


@pytest.fixture
def outage() -> Iterator[Registry]:
    registry = Registry(outage=3)
    yield registry
    registry.close()


def client(url: str) -> SchemaRegistry:
    return SchemaRegistry(url, known=RegistrySchemas())


def test_an_outage_holds_the_record_until_the_registry_answers(
    outage: Registry, fast_retries: None
) -> None:
    registry = client(outage.url)
    registry.learn(confluent_header(7) + b"\x00")
    assert registry.known.get(7) == json.loads(SCHEMA)
    assert outage.asked == 4  # three 503s, then the schema


def test_the_worker_waits_out_an_outage_in_its_event_loop(
    outage: Registry, fast_retries: None
) -> None:
    registry = client(outage.url)
    asyncio.run(registry.learn_async(confluent_header(7) + b"\x00"))
    assert registry.known.get(7) is not None


def test_an_id_the_registry_does_not_know_stays_unknown_and_is_not_asked_again(
    outage: Registry,
) -> None:
    registry = client(outage.url)
    registry.learn(confluent_header(8) + b"\x00")
    registry.learn(confluent_header(8) + b"\x00")
    assert registry.known.get(8) is None
    assert outage.asked == 1
