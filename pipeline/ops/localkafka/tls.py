"""The local broker's throwaway certificate authority: ``TlsFiles``, the PEM files of a test
CA, the broker's certificate and a client certificate for mutual TLS, made by ``ensure_tls``."""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "care-pipeline local test CA"
BROKER_NAME = "localhost"
CLIENT_NAME = "carepipe-client"
BROKER_DNS_NAMES = ("localhost",)
BROKER_IPS = ("127.0.0.1",)
CA_DAYS = 3650
LEAF_DAYS = 825
# Certificates this close to their end are made anew at the next start.
RENEW_BEFORE = datetime.timedelta(days=7)


@dataclass(frozen=True)
class TlsFiles:
    """Where the PEM files live in a home's ``tls/`` folder.

    >>> TlsFiles(Path("/k/tls")).ca_file
    PosixPath('/k/tls/ca.pem')
    """

    folder: Path

    @property
    def ca_file(self) -> Path:
        """The CA certificate: what clients trust (``ssl_cafile``), and the broker's truststore."""
        return self.folder / "ca.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def broker_key_file(self) -> Path:
        return self.folder / "broker-key.pem"

    @property
    def broker_chain_file(self) -> Path:
        """The broker's certificate, then the CA's."""
        return self.folder / "broker.pem"

    @property
    def client_cert_file(self) -> Path:
        return self.folder / "client.pem"

    @property
    def client_key_file(self) -> Path:
        return self.folder / "client-key.pem"

    def all(self) -> tuple[Path, ...]:
        return (
            self.ca_file,
            self.ca_key_file,
            self.broker_key_file,
            self.broker_chain_file,
            self.client_cert_file,
            self.client_key_file,
        )


def ensure_tls(folder: Path) -> TlsFiles:
    """Make the CA, the broker's and the client's keys and certificates in ``folder`` unless
    they are all there and valid for a while yet."""
    files = TlsFiles(folder)
    if all(path.exists() for path in files.all()) and not _expiring(files):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(ca_key, now)
    broker_key = ec.generate_private_key(ec.SECP256R1())
    broker_cert = _leaf_certificate(ca_key, ca_cert, broker_key, now, server=True)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = _leaf_certificate(ca_key, ca_cert, client_key, now, server=False)

    _write(files.ca_file, _cert_pem(ca_cert), 0o644)
    _write(files.ca_key_file, _key_pem(ca_key), 0o600)
    _write(files.broker_key_file, _key_pem(broker_key), 0o600)
    _write(files.broker_chain_file, _cert_pem(broker_cert) + _cert_pem(ca_cert), 0o644)
    _write(files.client_cert_file, _cert_pem(client_cert), 0o644)
    _write(files.client_key_file, _key_pem(client_key), 0o600)
    return files


def _ca_certificate(key: ec.EllipticCurvePrivateKey, now: datetime.datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _leaf_certificate(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
    *,
    server: bool,
) -> x509.Certificate:
    common_name = BROKER_NAME if server else CLIENT_NAME
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if server:
        names: list[x509.GeneralName] = [x509.DNSName(dns) for dns in BROKER_DNS_NAMES]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in BROKER_IPS]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _expiring(files: TlsFiles) -> bool:
    """True if a certificate cannot be read or ends within RENEW_BEFORE."""
    soon = datetime.datetime.now(datetime.UTC) + RENEW_BEFORE
    try:
        certs = [
            x509.load_pem_x509_certificate(files.ca_file.read_bytes()),
            x509.load_pem_x509_certificate(files.broker_chain_file.read_bytes()),
            x509.load_pem_x509_certificate(files.client_cert_file.read_bytes()),
        ]
    except (OSError, ValueError):
        return True
    return any(cert.not_valid_after_utc < soon for cert in certs)


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM, in a file only its owner reads. (Kafka's file PEM keystore
    wants an encrypted key, but Java 17 cannot read the PBES2 keys that cryptography writes,
    so the broker gets its key inline in server.properties instead.)"""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a file created with ``mode`` (a key is never readable by others,
    not even for a moment)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
