"""The local broker's one user: ``BrokerUser``, its name and password, made once per home and
kept in a file only its owner reads, and the record of its SCRAM credentials in the cluster."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ops.localkafka.errors import BrokerError

USERNAME = "carepipe"
SCRAM_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256")
SASL_MECHANISMS = (*SCRAM_MECHANISMS, "PLAIN")
CREDENTIALS_FILE = "credentials.json"
# Which cluster holds the SCRAM credentials of which password (a digest, not the password).
SCRAM_RECORD_FILE = "scram-user.sha256"
# Letters and digits only: the password goes into a JAAS line and a --add-scram argument,
# where quotes, commas and brackets would need escaping.
_ALPHABET = string.ascii_letters + string.digits
_PASSWORD_LENGTH = 32


@dataclass(frozen=True)
class BrokerUser:
    """The user of the SASL_SSL listener, the same for SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN.

    >>> BrokerUser("carepipe", "s3cret")
    BrokerUser(username='carepipe')
    """

    username: str
    password: str = field(repr=False)


def new_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_PASSWORD_LENGTH))


def load_user(folder: Path) -> BrokerUser | None:
    """The user kept in ``folder``, or None if none was made there yet."""
    path = folder / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text())
        return BrokerUser(str(data["username"]), str(data["password"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BrokerError(
            f"cannot read the local broker's credentials from {path} ({exc}); "
            "delete the file and its broker's data folder to make new ones"
        ) from exc


def ensure_user(folder: Path) -> BrokerUser:
    """The user kept in ``folder``; made with a new random password on the first call."""
    user = load_user(folder)
    if user is not None:
        return user
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    user = BrokerUser(USERNAME, new_password())
    text = json.dumps({"username": user.username, "password": user.password}, indent=2)
    fd = os.open(folder / CREDENTIALS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")
    return user


def scram_arguments(user: BrokerUser) -> list[str]:
    """``kafka-storage format`` arguments that create the user for both SCRAM mechanisms."""
    return [
        f"--add-scram={mechanism}=[name={user.username},password={user.password}]"
        for mechanism in SCRAM_MECHANISMS
    ]


def scram_recorded(folder: Path, cluster_id: str, user: BrokerUser) -> bool:
    """True if the cluster ``cluster_id`` was given this user's SCRAM credentials."""
    try:
        return (folder / SCRAM_RECORD_FILE).read_text().strip() == _digest(cluster_id, user)
    except OSError:
        return False


def record_scram(folder: Path, cluster_id: str, user: BrokerUser) -> None:
    (folder / SCRAM_RECORD_FILE).write_text(_digest(cluster_id, user) + "\n")


def _digest(cluster_id: str, user: BrokerUser) -> str:
    return hashlib.sha256(f"{cluster_id}\0{user.username}\0{user.password}".encode()).hexdigest()
