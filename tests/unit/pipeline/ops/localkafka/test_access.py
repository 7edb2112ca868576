"""Fast tests for the secure broker's user (pipeline.ops.localkafka.credentials) and for
``SecureAccess`` (pipeline.ops.localkafka.access): made once, kept private, read back."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from pipeline.ops.localkafka import access, credentials
from pipeline.ops.localkafka.config import BrokerConfig
from pipeline.ops.localkafka.errors import BrokerError
from pipeline.ops.localkafka.tls import ensure_tls


def test_the_user_is_made_once_and_kept_private(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    assert credentials.load_user(folder) is None
    user = credentials.ensure_user(folder)
    assert user.username == "carepipe"
    assert len(user.password) == 32 and set(user.password) <= set(
        string.ascii_letters + string.digits
    )
    assert credentials.ensure_user(folder) == user == credentials.load_user(folder)
    assert (folder / "credentials.json").stat().st_mode & 0o777 == 0o600
    assert user.password not in repr(user)
    assert credentials.ensure_user(tmp_path / "other").password != user.password


def test_an_unreadable_credentials_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "credentials.json").write_text("{not json")
    with pytest.raises(BrokerError, match=r"credentials\.json .*delete the file"):
        credentials.load_user(tmp_path)


def test_scram_arguments_add_both_mechanisms() -> None:
    user = credentials.BrokerUser("carepipe", "abc123")
    assert credentials.scram_arguments(user) == [
        "--add-scram=SCRAM-SHA-512=[name=carepipe,password=abc123]",
        "--add-scram=SCRAM-SHA-256=[name=carepipe,password=abc123]",
    ]


def test_the_scram_record_belongs_to_one_cluster_and_password(tmp_path: Path) -> None:
    user = credentials.BrokerUser("carepipe", "abc123")
    assert not credentials.scram_recorded(tmp_path, "cluster-a", user)
    credentials.record_scram(tmp_path, "cluster-a", user)
    assert credentials.scram_recorded(tmp_path, "cluster-a", user)
    assert not credentials.scram_recorded(tmp_path, "cluster-b", user)
    assert not credentials.scram_recorded(
        tmp_path, "cluster-a", credentials.BrokerUser("carepipe", "other")
    )
    assert "abc123" not in (tmp_path / credentials.SCRAM_RECORD_FILE).read_text()


def test_secure_access_of_a_made_home(tmp_path: Path) -> None:
    cfg = BrokerConfig(home=tmp_path, secure=True, sasl_ssl_port=29094, ssl_port=29095)
    user = credentials.ensure_user(cfg.tls_dir)
    files = ensure_tls(cfg.tls_dir)
    got = access.secure_access(cfg)
    assert got == access.SecureAccess(
        sasl_ssl_bootstrap="127.0.0.1:29094",
        ssl_bootstrap="127.0.0.1:29095",
        ca_file=files.ca_file,
        client_cert_file=files.client_cert_file,
        client_key_file=files.client_key_file,
        username="carepipe",
        password=user.password,
    )
    assert user.password not in repr(got)
    assert got.environment() == {
        "CAREPIPE_BROKER": "kafka://127.0.0.1:29094",
        "CAREPIPE_SECURITY_PROTOCOL": "SASL_SSL",
        "CAREPIPE_SASL_MECHANISM": "SCRAM-SHA-512",
        "CAREPIPE_SASL_USERNAME": "carepipe",
        "CAREPIPE_SASL_PASSWORD": user.password,
        "CAREPIPE_SSL_CA_FILE": str(files.ca_file),
    }
    assert got.environment("PLAIN")["CAREPIPE_SASL_MECHANISM"] == "PLAIN"


def test_secure_access_of_a_plain_or_unmade_home(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match="without its secure listeners"):
        access.secure_access(BrokerConfig(home=tmp_path))
    secure = BrokerConfig(home=tmp_path, secure=True)
    with pytest.raises(BrokerError, match="no certificates or user yet"):
        access.secure_access(secure)
    credentials.ensure_user(secure.tls_dir)  # a user, but no certificates
    with pytest.raises(BrokerError, match="no certificates or user yet"):
        access.secure_access(secure)
