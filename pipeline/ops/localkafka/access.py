"""What a client needs to reach a secure local broker: ``SecureAccess``, read with
``secure_access`` once ``start`` has made the test CA, the certificates and the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ops.localkafka.config import BrokerConfig
from pipeline.ops.localkafka.credentials import load_user
from pipeline.ops.localkafka.errors import BrokerError
from pipeline.ops.localkafka.tls import TlsFiles

DEFAULT_SASL_MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class SecureAccess:
    """The secure listeners of a local broker and the credentials for them.

    A kafka-python client over SASL_SSL::

        KafkaProducer(bootstrap_servers=access.sasl_ssl_bootstrap,
                      security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                      sasl_plain_username=access.username,
                      sasl_plain_password=access.password, ssl_cafile=str(access.ca_file))
    """

    sasl_ssl_bootstrap: str  # "127.0.0.1:9094": SCRAM-SHA-512, SCRAM-SHA-256, PLAIN
    ssl_bootstrap: str  # "127.0.0.1:9095", mutual TLS
    ca_file: Path
    client_cert_file: Path
    client_key_file: Path
    username: str
    password: str = field(repr=False)

    def environment(self, mechanism: str = DEFAULT_SASL_MECHANISM) -> dict[str, str]:
        """The CAREPIPE_* variables of a process that connects over SASL_SSL."""
        return {
            "CAREPIPE_BROKER": f"kafka://{self.sasl_ssl_bootstrap}",
            "CAREPIPE_SECURITY_PROTOCOL": "SASL_SSL",
            "CAREPIPE_SASL_MECHANISM": mechanism,
            "CAREPIPE_SASL_USERNAME": self.username,
            "CAREPIPE_SASL_PASSWORD": self.password,
            "CAREPIPE_SSL_CA_FILE": str(self.ca_file),
        }


def secure_access(config: BrokerConfig) -> SecureAccess:
    """The secure listeners of the broker ``config`` describes; raises ``BrokerError`` if
    ``config`` is not secure or its certificates and user were not made yet."""
    if not config.secure:
        raise BrokerError(
            f"the broker of {config.home} is configured without its secure listeners "
            "(BrokerConfig(secure=True), `carepipe kafka start --secure`)"
        )
    files = TlsFiles(config.tls_dir)
    user = load_user(config.tls_dir)
    missing = [path for path in files.all() if not path.exists()]
    if user is None or missing:
        raise BrokerError(
            f"the secure broker of {config.home} has no certificates or user yet: start it "
            "first (`carepipe kafka start --secure`)"
        )
    return SecureAccess(
        sasl_ssl_bootstrap=config.sasl_ssl_bootstrap,
        ssl_bootstrap=config.ssl_bootstrap,
        ca_file=files.ca_file,
        client_cert_file=files.client_cert_file,
        client_key_file=files.client_key_file,
        username=user.username,
        password=user.password,
    )
