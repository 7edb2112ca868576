"""The session broker's secure listeners with real clients: SASL_SSL with SCRAM-SHA-512,
SCRAM-SHA-256 and PLAIN, and SSL with client certificates, through kafka-python (as the
operator tools connect) and aiokafka (as the worker does); a PLAINTEXT client, a wrong
password, a missing client certificate and an untrusted CA are refused.

The refusals are asserted with aiokafka's ``create_conn``: it raises the broker's own error.
kafka-python 3.0.12 cannot: the broker sends its authentication error and closes at once, and
kafka-python drops bytes that arrive with the close, so it retries until its bootstrap
timeout (KafkaTimeoutError) and leaves its I/O thread and sockets behind.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaConnectionError, SaslAuthenticationFailed
from aiokafka.helpers import create_ssl_context
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from pipeline.ops.localkafka import SASL_MECHANISMS, SecureAccess, broker_answers

pytestmark = pytest.mark.integration

REFUSAL_SECONDS = 15  # a refusal must come well within this


def sasl_ssl(access: SecureAccess, mechanism: str, password: str | None = None) -> dict[str, Any]:
    """kafka-python's arguments for SASL_SSL: the mechanism, the user and the test CA."""
    return {
        "bootstrap_servers": access.sasl_ssl_bootstrap,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": access.username,
        "sasl_plain_password": access.password if password is None else password,
        "ssl_cafile": str(access.ca_file),
    }


def mutual_tls(access: SecureAccess) -> dict[str, Any]:
    """kafka-python's arguments for the SSL listener, which asks for a client certificate."""
    return {
        "bootstrap_servers": access.ssl_bootstrap,
        "security_protocol": "SSL",
        "ssl_cafile": str(access.ca_file),
        "ssl_certfile": str(access.client_cert_file),
        "ssl_keyfile": str(access.client_key_file),
    }


def round_trip(client: dict[str, Any]) -> None:
    """Create a topic, list it, produce one record and consume it back, all with ``client``."""
    topic = f"secure.{uuid.uuid4().hex[:10]}"
    value = uuid.uuid4().bytes
    with KafkaAdminClient(request_timeout_ms=10_000, **client) as admin:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        deadline = time.monotonic() + 10  # the new topic reaches the metadata a moment later
        while topic not in admin.list_topics():
            assert time.monotonic() < deadline, f"{topic} is not listed"
            time.sleep(0.1)
    producer = KafkaProducer(**client)
    try:
        producer.send(topic, key=b"cust-1", value=value).get(timeout=20)
    finally:
        producer.close()
    consumer = KafkaConsumer(
        topic, auto_offset_reset="earliest", consumer_timeout_ms=20_000, **client
    )
    try:
        received = next(iter(consumer))
    finally:
        consumer.close()
    assert (received.key, received.value) == (b"cust-1", value)


@pytest.mark.parametrize("mechanism", SASL_MECHANISMS)
def test_a_sasl_ssl_client_creates_a_topic_produces_and_consumes(
    secure_access: SecureAccess, mechanism: str
) -> None:
    round_trip(sasl_ssl(secure_access, mechanism))


def test_a_client_certificate_opens_the_ssl_listener(secure_access: SecureAccess) -> None:
    round_trip(mutual_tls(secure_access))


@pytest.mark.parametrize("listener", ["SCRAM-SHA-512", "mutual TLS"])
def test_aiokafka_produces_and_consumes(secure_access: SecureAccess, listener: str) -> None:
    topic = f"secure.aio.{uuid.uuid4().hex[:10]}"
    with KafkaAdminClient(request_timeout_ms=10_000, **mutual_tls(secure_access)) as admin:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    if listener == "mutual TLS":
        client: dict[str, Any] = {
            "bootstrap_servers": secure_access.ssl_bootstrap,
            "security_protocol": "SSL",
            "ssl_context": create_ssl_context(
                cafile=str(secure_access.ca_file),
                certfile=str(secure_access.client_cert_file),
                keyfile=str(secure_access.client_key_file),
            ),
        }
    else:
        client = {
            "bootstrap_servers": secure_access.sasl_ssl_bootstrap,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": listener,
            "sasl_plain_username": secure_access.username,
            "sasl_plain_password": secure_access.password,
            "ssl_context": create_ssl_context(cafile=str(secure_access.ca_file)),
        }

    async def produce_and_consume() -> tuple[bytes | None, bytes | None]:
        producer = AIOKafkaProducer(**client)
        await producer.start()
        try:
            await producer.send_and_wait(topic, key=b"cust-2", value=b"over TLS")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic, auto_offset_reset="earliest", **client)
        await consumer.start()
        try:
            record = await asyncio.wait_for(consumer.getone(), timeout=20)
        finally:
            await consumer.stop()
        return record.key, record.value

    assert asyncio.run(produce_and_consume()) == (b"cust-2", b"over TLS")


async def _connect(port: int, **options: Any) -> None:
    try:
        conn = await asyncio.wait_for(
            create_conn("127.0.0.1", port, request_timeout_ms=5_000, **options), REFUSAL_SECONDS
        )
        conn.close()
    finally:
        # A refused connection's transport is closed by the loop a few turns later (TLS
        # shutdown): let it, or asyncio.run closes the loop first and the socket leaks.
        await asyncio.sleep(0.5)


def _port(bootstrap: str) -> int:
    return int(bootstrap.rsplit(":", 1)[1])


def test_a_plaintext_client_is_refused_on_the_sasl_ssl_listener(
    secure_access: SecureAccess,
) -> None:
    port = _port(secure_access.sasl_ssl_bootstrap)
    with pytest.raises(KafkaConnectionError, match="closed"):
        asyncio.run(_connect(port))
    assert not broker_answers("127.0.0.1", port, timeout=REFUSAL_SECONDS)


@pytest.mark.parametrize("mechanism", SASL_MECHANISMS)
def test_a_wrong_password_is_refused_as_an_authentication_failure(
    secure_access: SecureAccess, mechanism: str
) -> None:
    with pytest.raises(SaslAuthenticationFailed, match="Authentication failed"):
        asyncio.run(
            _connect(
                _port(secure_access.sasl_ssl_bootstrap),
                security_protocol="SASL_SSL",
                sasl_mechanism=mechanism,
                sasl_plain_username=secure_access.username,
                sasl_plain_password=secure_access.password + "x",
                ssl_context=create_ssl_context(cafile=str(secure_access.ca_file)),
            )
        )


def test_the_ssl_listener_refuses_a_client_without_a_certificate(
    secure_access: SecureAccess,
) -> None:
    with pytest.raises(KafkaConnectionError, match="closed"):
        asyncio.run(
            _connect(
                _port(secure_access.ssl_bootstrap),
                security_protocol="SSL",
                ssl_context=create_ssl_context(cafile=str(secure_access.ca_file)),
            )
        )


def test_a_client_that_does_not_trust_the_test_ca_is_refused(
    secure_access: SecureAccess,
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        asyncio.run(
            _connect(
                _port(secure_access.sasl_ssl_bootstrap),
                security_protocol="SASL_SSL",
                sasl_mechanism="SCRAM-SHA-512",
                sasl_plain_username=secure_access.username,
                sasl_plain_password=secure_access.password,
                ssl_context=create_ssl_context(),  # the system's CAs only
            )
        )
