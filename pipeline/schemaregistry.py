"""The schema registry, through confluent-kafka's client: the worker's output schemas
registered under ``<topic>-value`` subjects with BACKWARD compatibility, the writer schemas
of Confluent-framed records fetched by id, and the contracts checked against the latest.

The client is synchronous. The registry is asked at start (registration) and once per id
the process has not met; the worker asks from a thread (:meth:`SchemaRegistry.learn_async`),
so its event loop never waits on HTTP, and a record's decode itself never calls out.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError

from pipeline.settings import ENV_PREFIX, Settings
from pipeline.topics import ALERTS, METRICS, NORMALIZED, REKEYED, TOPICS, TopicSpec
from processors.errors import StartupError
from schemas import REGISTRY_SCHEMAS, RegistrySchemas, confluent_schema_id
from schemas.avro import SCHEMAS_DIR
from schemas.compat import check_compatibility

log = logging.getLogger(__name__)

URL_SETTING = f"{ENV_PREFIX}SCHEMA_REGISTRY_URL"
COMPATIBILITY = "BACKWARD"
# The Avro topics the worker writes: their schemas are registered at start.
OUTPUTS: tuple[TopicSpec, ...] = (NORMALIZED, REKEYED, ALERTS, METRICS)
DEFAULT_TIMEOUT_S = 5.0
# How long an id the registry did not know is not asked for again: a burst of such records
# costs one request, not one each.
DEFAULT_RETRY_UNKNOWN_S = 30.0
# A registry that does not answer is asked again after 0.5 s, then twice as long each time,
# at most every 30 s.
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0

_HTTP_NOT_FOUND = 404
_HTTP_CONFLICT = 409
_HTTP_SERVER_ERROR = 500


class RegistryError(StartupError):
    """The registry cannot be reached, refuses us, or refuses a schema; names the setting."""


@dataclass(frozen=True)
class SubjectCheck:
    """What the registry says of one contract against the latest under one subject."""

    subject: str
    schema: str
    verdict: Literal["compatible", "incompatible", "new"]
    reasons: tuple[str, ...] = ()


def value_subject(settings: Settings, spec: TopicSpec) -> str:
    """The subject of a topic's values (TopicNameStrategy): ``<prefixed topic>-value``."""
    return f"{settings.topic(spec.name)}-value"


def schema_text(name: str) -> str:
    """The contract ``schemas/<name>.avsc`` as the registry gets it: the file's text."""
    return (SCHEMAS_DIR / f"{name}.avsc").read_text()


class SchemaRegistry:
    """One Confluent-compatible schema registry at ``url`` (e.g. Apicurio's
    ``http://127.0.0.1:8081/apis/ccompat/v7``), feeding ``known``, the writer schemas the
    codecs read by id.

    >>> registry = SchemaRegistry("http://127.0.0.1:8081/apis/ccompat/v7")  # doctest: +SKIP
    >>> registry.register_outputs(settings)  # doctest: +SKIP
    {'care.alerts': 1, ...}
    """

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        known: RegistrySchemas = REGISTRY_SCHEMAS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_unknown_s: float = DEFAULT_RETRY_UNKNOWN_S,
    ) -> None:
        self.url = url
        conf: dict[str, object] = {"url": url, "timeout": timeout_s, "max.retries": 1}
        if username is not None and password is not None:
            conf["basic.auth.user.info"] = f"{username}:{password}"
        self.client = SchemaRegistryClient(conf)
        self.known = known
        self.retry_unknown_s = retry_unknown_s
        self._not_found: dict[int, float] = {}  # id -> when it was last asked for in vain
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SchemaRegistry | None:
        """The registry of CAREPIPE_SCHEMA_REGISTRY_URL; None when it is not set."""
        if settings.schema_registry_url is None:
            return None
        password = settings.schema_registry_password
        return cls(
            settings.schema_registry_url,
            settings.schema_registry_username,
            password.get_secret_value() if password is not None else None,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> SchemaRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- at start --------------------------------------------------------------------------

    def register(self, subject: str, name: str) -> int:
        """Sets ``subject`` to BACKWARD compatibility and registers the contract ``name``
        under it (the registry answers the existing id if it is there already)."""
        text = schema_text(name)
        try:
            self.client.set_compatibility(subject, COMPATIBILITY)
            schema_id = self.client.register_schema(subject, Schema(text, "AVRO"))
        except SchemaRegistryError as exc:
            if exc.http_status_code == _HTTP_CONFLICT:
                raise RegistryError(
                    f"{URL_SETTING}={self.url}: the registry refuses schema {name} under "
                    f"subject {subject}: it is not {COMPATIBILITY} compatible with the latest "
                    f"version there ({exc.error_message})"
                ) from exc
            raise self._refused(f"registering {name} under {subject}", exc) from exc
        except Exception as exc:  # the HTTP client's transport errors
            raise self._unreachable(exc) from exc
        self.known.add(schema_id, text)
        return schema_id

    def register_outputs(self, settings: Settings) -> dict[str, int]:
        """Registers the schema of every Avro topic the worker writes; answers each
        prefixed topic's schema id."""
        ids = {}
        for spec in OUTPUTS:
            assert spec.schema is not None
            subject = value_subject(settings, spec)
            ids[settings.topic(spec.name)] = self.register(subject, spec.schema)
        log.info("schemas registered at %s: %s", self.url, ids)
        return ids

    # -- per record ------------------------------------------------------------------------

    def learn(self, value: bytes | None) -> None:
        """Fetches the writer schema of a Confluent-framed ``value`` unless it is known.
        An id the registry says it does not know stays unknown: the decoder then rejects
        the record (dead-letter) with that id. A registry that does not answer, or answers
        with a server error, is asked again until it answers: an outage holds the records
        back, it does not dead-letter them."""
        schema_id = self._to_fetch(value)
        pause = RETRY_FIRST_S
        while schema_id is not None and not self._fetch(schema_id):
            time.sleep(pause)
            pause = min(pause * 2, RETRY_MAX_S)

    async def learn_async(self, value: bytes | None) -> None:
        """:meth:`learn` for the event loop: fetches run in a thread, waits in the loop."""
        schema_id = self._to_fetch(value)
        pause = RETRY_FIRST_S
        while schema_id is not None and not await asyncio.to_thread(self._fetch, schema_id):
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX_S)

    def _to_fetch(self, value: bytes | None) -> int | None:
        schema_id = confluent_schema_id(value) if value else None
        if schema_id is None or schema_id in self.known:
            return None
        asked = self._not_found.get(schema_id)
        if asked is not None and time.monotonic() - asked < self.retry_unknown_s:
            return None
        return schema_id

    def _fetch(self, schema_id: int) -> bool:
        """Asks for ``schema_id``: True once the registry has answered (known, or not
        found), False if it could not be asked (ask again later)."""
        with self._lock:  # one request per id, whichever thread asks first
            if schema_id in self.known:
                return True
            try:
                schema = self.client.get_schema(schema_id)
            except SchemaRegistryError as exc:
                status = exc.http_status_code or 0
                if status >= _HTTP_SERVER_ERROR or status < 0:
                    log.warning(
                        "schema id %d: the registry answered %s; asking again", schema_id, exc
                    )
                    return False
                self._not_found[schema_id] = time.monotonic()
                if status != _HTTP_NOT_FOUND:
                    log.warning("schema id %d: the registry answered %s", schema_id, exc)
                return True
            except Exception as exc:  # the HTTP client's transport errors
                log.warning("schema id %d: %s; asking again", schema_id, self._unreachable(exc))
                return False
            if schema.schema_type not in (None, "AVRO") or schema.schema_str is None:
                self._not_found[schema_id] = time.monotonic()
                log.warning("schema id %d is a %s schema, not Avro", schema_id, schema.schema_type)
                return True
            self.known.add(schema_id, schema.schema_str)
            self._not_found.pop(schema_id, None)
            return True

    # -- the contracts against the registry -------------------------------------------------

    def check(self, subject: str, name: str, text: str | None = None) -> SubjectCheck:
        """Whether the contract ``name`` (or ``text``, a candidate version of it) may be
        registered under ``subject``: the registry's compatibility verdict against the
        latest version there, with the reasons the ``avro`` checker finds."""
        text = schema_text(name) if text is None else text
        try:
            latest = self.client.get_latest_version(subject)
        except SchemaRegistryError as exc:
            if exc.http_status_code == _HTTP_NOT_FOUND:
                return SubjectCheck(subject, name, "new")
            raise self._refused(f"reading subject {subject}", exc) from exc
        except Exception as exc:
            raise self._unreachable(exc) from exc
        try:
            compatible = self.client.test_compatibility(subject, Schema(text, "AVRO"))
        except SchemaRegistryError as exc:
            if exc.http_status_code in (400, 422):  # the candidate does not parse
                return SubjectCheck(subject, name, "incompatible", (exc.error_message,))
            raise self._refused(f"checking {name} against {subject}", exc) from exc
        except Exception as exc:
            raise self._unreachable(exc) from exc
        if compatible:
            return SubjectCheck(subject, name, "compatible")
        reasons = check_compatibility(latest.schema.schema_str or "", text)
        return SubjectCheck(subject, name, "incompatible", tuple(reasons))

    def check_contracts(
        self, settings: Settings, candidates: dict[str, str] | None = None
    ) -> Iterator[SubjectCheck]:
        """:meth:`check` of every topic's contract under its subject; with ``candidates``
        (contract name -> schema text), of those only."""
        for spec in TOPICS:
            if spec.schema is None or (candidates is not None and spec.schema not in candidates):
                continue
            text = candidates[spec.schema] if candidates is not None else None
            yield self.check(value_subject(settings, spec), spec.schema, text)

    def _unreachable(self, exc: Exception) -> RegistryError:
        return RegistryError(
            f"{URL_SETTING}={self.url}: the schema registry does not answer "
            f"({type(exc).__name__}: {exc})"
        )

    def _refused(self, doing: str, exc: SchemaRegistryError) -> RegistryError:
        return RegistryError(
            f"{URL_SETTING}={self.url}: {doing} failed: HTTP {exc.http_status_code}, "
            f"{exc.error_message}"
        )
