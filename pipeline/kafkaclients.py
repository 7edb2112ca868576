"""How every Kafka client of the project connects: the settings' security as kafka-python,
aiokafka and Faust arguments, and the start-up check that turns a refused connection into
one line naming the setting to fix.

Every process (worker, webhooks, lag exporter, tail, bench, demo, chaos, admin) builds its
clients from here, so a cluster that needs SASL_SSL needs it set once, in ``CAREPIPE_*``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any

from pipeline.settings import ENV_PREFIX, Settings
from processors.errors import StartupError

DEFAULT_CHECK_TIMEOUT_S = 15.0


class BrokerAccessError(StartupError):
    """The brokers refused this process's connection; the message names the setting."""


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of SSL and SASL_SSL: the CA file (or the system's trust store), and
    the client certificate for mutual TLS. None for PLAINTEXT and SASL_PLAINTEXT."""
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = str(settings.ssl_ca_file) if settings.ssl_ca_file else None
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise BrokerAccessError(
            f"{ENV_PREFIX}SSL_CA_FILE={cafile!r}: not a readable PEM CA file ({exc})"
        ) from exc
    if settings.ssl_cert_file and settings.ssl_key_file:
        password = settings.ssl_key_password
        try:
            context.load_cert_chain(
                str(settings.ssl_cert_file),
                str(settings.ssl_key_file),
                password.get_secret_value() if password else None,
            )
        except (OSError, ssl.SSLError) as exc:
            raise BrokerAccessError(
                f"{ENV_PREFIX}SSL_CERT_FILE/{ENV_PREFIX}SSL_KEY_FILE: cannot load the client "
                f"certificate and key ({exc}); a wrong {ENV_PREFIX}SSL_KEY_PASSWORD shows so too"
            ) from exc
    return context


def _sasl(settings: Settings) -> dict[str, Any]:
    if not settings.security_protocol.startswith("SASL_"):
        return {}
    assert settings.sasl_password is not None  # Settings checks SASL has both
    return {
        "sasl_mechanism": settings.sasl_mechanism,
        "sasl_plain_username": settings.sasl_username,
        "sasl_plain_password": settings.sasl_password.get_secret_value(),
    }


def kafka_python_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of every kafka-python client (KafkaConsumer, KafkaProducer,
    KafkaAdminClient): the bootstrap servers and the security settings."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
        **_sasl(settings),
    }
    context = ssl_context(settings)
    if context is not None:
        config["ssl_context"] = context
    return config


def aiokafka_config(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of aiokafka's clients (the bench's raw consumer and producer)."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
        **_sasl(settings),
    }
    context = ssl_context(settings)
    if context is not None:
        config["ssl_context"] = context
    return config


def faust_credentials(settings: Settings) -> Any:
    """The Faust app's ``broker_credentials``: SASL (over TLS or not), TLS alone, or None."""
    import faust

    context = ssl_context(settings)
    if settings.security_protocol.startswith("SASL_"):
        sasl = _sasl(settings)
        return faust.SASLCredentials(
            username=sasl["sasl_plain_username"],
            password=sasl["sasl_plain_password"],
            mechanism=sasl["sasl_mechanism"],
            ssl_context=context,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def check_access(
    settings: Settings, timeout_s: float = DEFAULT_CHECK_TIMEOUT_S, unreachable_ok: bool = False
) -> None:
    """Connects to the first bootstrap server that answers, as the clients will (TLS, then
    SASL), and raises :class:`BrokerAccessError` with one line naming the setting at fault:
    a wrong password or an untrusted certificate stops a process at start, instead of
    retrying forever in the client's logs. With ``unreachable_ok``, brokers that do not
    answer at all are no error (for processes whose job is to report that)."""
    problems = []
    for server in settings.bootstrap_servers:
        host, _, port = server.rpartition(":")
        problem = asyncio.run(_check_one(settings, host, int(port), timeout_s))
        if problem is None:
            return
        if problem.fatal:
            raise BrokerAccessError(problem.message)
        problems.append(problem.message)
    if not unreachable_ok:
        raise BrokerAccessError("; ".join(problems))


class _Problem:
    def __init__(self, message: str, fatal: bool) -> None:
        self.message, self.fatal = message, fatal


async def _check_one(settings: Settings, host: str, port: int, timeout_s: float) -> _Problem | None:
    from aiokafka import errors
    from aiokafka.conn import AIOKafkaConnection

    p, protocol, where = ENV_PREFIX, settings.security_protocol, f"{host}:{port}"
    conn = AIOKafkaConnection(
        host,
        port,
        client_id=f"{settings.app_id}-access-check",
        request_timeout_ms=int(timeout_s * 1000),
        ssl_context=ssl_context(settings),
        security_protocol=protocol,
        **_sasl(settings),
    )
    try:
        await asyncio.wait_for(conn.connect(), timeout_s)
        return None
    except ssl.SSLCertVerificationError as exc:
        source = settings.ssl_ca_file or "the system's trust store"
        return _Problem(
            f"{p}SSL_CA_FILE: the broker at {where} presented a certificate that {source} "
            f"does not trust ({exc.verify_message})",
            fatal=True,
        )
    except ssl.SSLError as exc:
        return _Problem(
            f"{p}SECURITY_PROTOCOL={protocol}: the TLS handshake with {where} failed "
            f"({exc.reason or exc}); is it a TLS listener, and does it require a client "
            f"certificate ({p}SSL_CERT_FILE)?",
            fatal=True,
        )
    except (errors.SaslAuthenticationFailed, errors.UnsupportedSaslMechanismError) as exc:
        return _Problem(
            f"{p}SASL_PASSWORD: the broker at {where} refused user "
            f"{settings.sasl_username!r} with {settings.sasl_mechanism} ({_first_line(exc)})",
            fatal=True,
        )
    except (TimeoutError, ConnectionError, OSError, errors.KafkaError) as exc:
        hint = ""
        if protocol in ("PLAINTEXT", "SASL_PLAINTEXT"):
            hint = f"; if that listener uses TLS, set {p}SECURITY_PROTOCOL=SSL or SASL_SSL"
        return _Problem(
            f"{p}BROKER={settings.broker}: no Kafka answer from {where} with "
            f"{p}SECURITY_PROTOCOL={protocol} within {timeout_s:g} s "
            f"({_first_line(exc) or type(exc).__name__}){hint}",
            fatal=False,
        )
    finally:
        # Closed, and given the moment a TLS transport needs to finish closing, before the
        # loop that owns it ends.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(conn.close()), 1.0)
        await asyncio.sleep(0.05)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else ""
