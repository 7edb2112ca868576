"""Fast tests for pipeline.ops.localkafka.tls: the test CA signs the broker's and the
client's certificates, with the names and usages each side checks."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from pipeline.ops.localkafka import tls


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tls.TlsFiles:
    return tls.ensure_tls(tmp_path_factory.mktemp("home") / "tls")


def load(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_the_ca_signs_the_broker_and_client_certificates(files: tls.TlsFiles) -> None:
    (ca,) = load(files.ca_file)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    broker, chained_ca = load(files.broker_chain_file)
    (client,) = load(files.client_cert_file)
    assert chained_ca == ca
    for cert in (broker, client):
        assert cert.issuer == ca.subject
        cert.verify_directly_issued_by(ca)  # raises if the signature does not check out
    with pytest.raises(ValueError):
        client.verify_directly_issued_by(broker)


def test_the_broker_certificate_names_127_0_0_1_and_localhost(files: tls.TlsFiles) -> None:
    broker = load(files.broker_chain_file)[0]
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    usages = broker.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_the_client_certificate_is_for_client_authentication(files: tls.TlsFiles) -> None:
    (client,) = load(files.client_cert_file)
    usages = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    key = serialization.load_pem_private_key(files.client_key_file.read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key() == client.public_key()


def test_python_ssl_accepts_both_ends_with_mutual_tls(files: tls.TlsFiles) -> None:
    """A TLS handshake in memory: a server with the broker's certificate that requires a client
    certificate, and a client that trusts only the test CA and checks the name 127.0.0.1."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.broker_chain_file, files.broker_key_file)
    server_ctx.load_verify_locations(files.ca_file)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.create_default_context(cafile=str(files.ca_file))
    client_ctx.load_cert_chain(files.client_cert_file, files.client_key_file)

    server = handshake(client_ctx, server_ctx, "127.0.0.1")
    peer = server.getpeercert()
    assert peer is not None
    assert dict(pair[0] for pair in peer["subject"]) == {"commonName": tls.CLIENT_NAME}


def test_python_ssl_refuses_another_name(files: tls.TlsFiles) -> None:
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.broker_chain_file, files.broker_key_file)
    client_ctx = ssl.create_default_context(cafile=str(files.ca_file))
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(client_ctx, server_ctx, "kafka.example.com")


def handshake(
    client_ctx: ssl.SSLContext, server_ctx: ssl.SSLContext, server_name: str
) -> ssl.SSLObject:
    """Run a TLS handshake between two in-memory ends; return the server's end."""
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(client_in, client_out, server_hostname=server_name)
    server = server_ctx.wrap_bio(server_in, server_out, server_side=True)
    pending = [client, server]
    for _ in range(10):
        for end in list(pending):
            try:
                end.do_handshake()
                pending.remove(end)
            except ssl.SSLWantReadError:
                pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if not pending:
            return server
    raise AssertionError("the handshake did not finish")


def test_files_are_reused_and_keys_private(tmp_path: Path) -> None:
    first = tls.ensure_tls(tmp_path / "tls")
    ca = first.ca_file.read_bytes()
    assert tls.ensure_tls(tmp_path / "tls").ca_file.read_bytes() == ca
    for key in (first.ca_key_file, first.broker_key_file, first.client_key_file):
        assert key.stat().st_mode & 0o777 == 0o600, key
    assert (tmp_path / "tls").stat().st_mode & 0o777 == 0o700


def test_a_missing_file_makes_them_all_anew(tmp_path: Path) -> None:
    first = tls.ensure_tls(tmp_path / "tls")
    ca = first.ca_file.read_bytes()
    first.client_key_file.unlink()
    second = tls.ensure_tls(tmp_path / "tls")
    assert second.client_key_file.exists()
    assert second.ca_file.read_bytes() != ca
