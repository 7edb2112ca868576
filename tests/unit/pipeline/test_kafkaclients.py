"""The security settings: what they accept, what they refuse naming the variable, and the
client arguments every process builds from them (no broker; the handshakes themselves are
tested against the real secure broker in tests/integration/test_security.py)."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust
import pytest

from pipeline import kafkaclients
from pipeline.settings import SettingsError, load_settings

PASSWORD = "pa55-w0rd-not-for-logs"


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    # Any PEM CA the ssl module can load: the one Python itself trusts by default.
    default = ssl.get_default_verify_paths().cafile
    assert default, "this machine has no default CA file"
    path = tmp_path / "ca.pem"
    path.write_bytes(Path(default).read_bytes())
    return path


def sasl_ssl(ca_file: Path, **more: str) -> dict[str, str]:
    return {
        "CAREPIPE_SECURITY_PROTOCOL": "SASL_SSL",
        "CAREPIPE_SASL_USERNAME": "care",
        "CAREPIPE_SASL_PASSWORD": PASSWORD,
        "CAREPIPE_SSL_CA_FILE": str(ca_file),
        **more,
    }


def test_plaintext_by_default_builds_plain_clients() -> None:
    settings = load_settings({})
    assert kafkaclients.kafka_python_config(settings) == {
        "bootstrap_servers": ["127.0.0.1:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert kafkaclients.ssl_context(settings) is None
    assert kafkaclients.faust_credentials(settings) is None


def test_sasl_ssl_reaches_kafka_python_aiokafka_and_faust(ca_file: Path) -> None:
    settings = load_settings(sasl_ssl(ca_file, CAREPIPE_SASL_MECHANISM="SCRAM-SHA-256"))

    config = kafkaclients.kafka_python_config(settings)
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (config["sasl_plain_username"], config["sasl_plain_password"]) == ("care", PASSWORD)
    assert isinstance(config["ssl_context"], ssl.SSLContext)
    assert config["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert config["ssl_context"].check_hostname
    assert kafkaclients.aiokafka_config(settings).keys() == config.keys()

    credentials = kafkaclients.faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert (credentials.username, credentials.password) == ("care", PASSWORD)


def test_ssl_alone_is_faust_ssl_credentials(ca_file: Path) -> None:
    settings = load_settings(
        {"CAREPIPE_SECURITY_PROTOCOL": "SSL", "CAREPIPE_SSL_CA_FILE": str(ca_file)}
    )
    credentials = kafkaclients.faust_credentials(settings)
    assert isinstance(credentials, faust.SSLCredentials)
    assert "sasl_mechanism" not in kafkaclients.kafka_python_config(settings)


def test_the_password_is_hidden_in_the_printed_settings(ca_file: Path) -> None:
    described = load_settings(sasl_ssl(ca_file)).describe()
    assert described["sasl_password"] == "**********"
    assert PASSWORD not in str(described)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"CAREPIPE_SECURITY_PROTOCOL": "SASL_SSL"}, "CAREPIPE_SASL_USERNAME"),
        (
            {"CAREPIPE_SECURITY_PROTOCOL": "SASL_SSL", "CAREPIPE_SASL_USERNAME": "care"},
            "CAREPIPE_SASL_PASSWORD",
        ),
        ({"CAREPIPE_SASL_USERNAME": "care"}, "CAREPIPE_SECURITY_PROTOCOL=PLAINTEXT"),
        ({"CAREPIPE_SSL_CA_FILE": "/etc/hostname"}, "CAREPIPE_SSL_CA_FILE"),
        ({"CAREPIPE_SECURITY_PROTOCOL": "TLS"}, "CAREPIPE_SECURITY_PROTOCOL='TLS'"),
        ({"CAREPIPE_SASL_MECHANISM": "GSSAPI"}, "CAREPIPE_SASL_MECHANISM='GSSAPI'"),
    ],
)
def test_a_bad_security_setting_is_refused_naming_it(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace("(", r"\(")):
        load_settings(environ)


def test_a_client_certificate_needs_its_key(ca_file: Path) -> None:
    with pytest.raises(SettingsError, match="CAREPIPE_SSL_CERT_FILE and CAREPIPE_SSL_KEY_FILE"):
        load_settings(
            {
                "CAREPIPE_SECURITY_PROTOCOL": "SSL",
                "CAREPIPE_SSL_CA_FILE": str(ca_file),
                "CAREPIPE_SSL_CERT_FILE": str(ca_file),
            }
        )


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_a_ca_file_missing_or_not_pem_is_named_when_the_clients_are_built(
    tmp_path: Path, content: str | None
) -> None:
    ca = tmp_path / "ca.pem"
    if content is not None:
        ca.write_text(content)
    settings = load_settings(sasl_ssl(ca))
    with pytest.raises(kafkaclients.BrokerAccessError, match=f"CAREPIPE_SSL_CA_FILE='{ca}'"):
        kafkaclients.kafka_python_config(settings)


def test_a_client_key_that_does_not_load_is_named(ca_file: Path, tmp_path: Path) -> None:
    settings = load_settings(
        {
            "CAREPIPE_SECURITY_PROTOCOL": "SSL",
            "CAREPIPE_SSL_CA_FILE": str(ca_file),
            "CAREPIPE_SSL_CERT_FILE": str(ca_file),
            "CAREPIPE_SSL_KEY_FILE": str(tmp_path / "missing-key.pem"),
        }
    )
    with pytest.raises(kafkaclients.BrokerAccessError, match="CAREPIPE_SSL_CERT_FILE/"):
        kafkaclients.ssl_context(settings)


def test_a_broker_that_does_not_answer_is_named_in_bounded_time() -> None:
    import socket

    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings = load_settings({"CAREPIPE_BROKER": f"kafka://127.0.0.1:{port}"})
    with pytest.raises(kafkaclients.BrokerAccessError, match="CAREPIPE_BROKER=") as refused:
        kafkaclients.check_access(settings, timeout_s=3)
    assert f"127.0.0.1:{port}" in str(refused.value)
    kafkaclients.check_access(settings, timeout_s=3, unreachable_ok=True)


def test_every_client_in_the_code_is_built_from_the_security_settings() -> None:
    """A client given only the bootstrap servers would speak PLAINTEXT to a secured
    cluster: every one takes kafka_python_config or aiokafka_config instead. The local
    broker's own tooling (pipeline/ops/localkafka) is the exception: it talks to the
    listeners it configured itself, not to the settings' cluster."""
    root = Path(kafkaclients.__file__).parent
    bare = [
        str(path.relative_to(root.parent))
        for path in sorted(root.rglob("*.py"))
        if path.name not in ("kafkaclients.py", "settings.py")
        and "localkafka" not in path.parts
        and "bootstrap_servers=" in path.read_text()
    ]
    assert bare == []
