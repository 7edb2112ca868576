"""Webhook endpoints: the validated webhooks file, signing keys, and which alerts each wants.

The file (``CAREPIPE_WEBHOOKS_FILE``) is a YAML list of endpoints. :func:`parse_endpoints`
validates the parsed list and raises :class:`WebhooksFileError` naming each bad key;
:func:`resolve_keys` turns the secrets' environment variable *names* into signing keys.
Secrets never appear in the file, in errors or in logs.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from processors.domain import ALERT_TYPES, AlertType, Severity
from processors.errors import StartupError
from processors.rules import severity_rank

SECRET_PREFIX = "whsec_"
# The Standard Webhooks specification's bounds on a signing key's length.
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64
# Endpoint names are metric labels: a bounded set.
MAX_ENDPOINTS = 32

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_BACKOFF_BASE_SECONDS = 0.5
DEFAULT_BACKOFF_CAP_SECONDS = 30.0


class WebhooksFileError(StartupError, ValueError):
    """The webhooks file or a secret it names is invalid; the message names the key."""


class EndpointConfig(BaseModel):
    """One entry of the webhooks file, e.g. (YAML)::

    - name: crm
      url: https://crm.example.com/hooks/care
      types: [AT_RISK, RECOVERED]
      min_severity: MEDIUM
      secrets: [CRM_WEBHOOK_SECRET, CRM_WEBHOOK_SECRET_NEXT]
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9-]+$", min_length=1, max_length=40)
    url: HttpUrl
    types: tuple[AlertType, ...] = ALERT_TYPES
    min_severity: Severity = "LOW"
    format: Literal["generic", "slack"] = "generic"
    secrets: tuple[str, ...] = Field(
        (), max_length=5, description="Names of environment variables holding whsec_ secrets."
    )
    timeout_seconds: float = Field(DEFAULT_TIMEOUT_SECONDS, gt=0, le=60)
    max_attempts: int = Field(DEFAULT_MAX_ATTEMPTS, ge=1, le=20)
    backoff_base_seconds: float = Field(DEFAULT_BACKOFF_BASE_SECONDS, gt=0, le=60)
    backoff_cap_seconds: float = Field(DEFAULT_BACKOFF_CAP_SECONDS, gt=0, le=300)

    @field_validator("types")
    @classmethod
    def _some_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one alert type, or leave the key out for all")
        return value

    @field_validator("secrets")
    @classmethod
    def _variable_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
                raise ValueError(
                    "list the NAMES of environment variables (e.g. CRM_WEBHOOK_SECRET), "
                    "never the secrets themselves"
                )
        return value

    def accepts(self, alert_type: AlertType, severity: Severity) -> bool:
        """Whether this endpoint wants alerts of this type and severity."""
        return alert_type in self.types and severity_rank(severity) >= severity_rank(
            self.min_severity
        )

    def worst_case_seconds(self) -> float:
        """Longest one alert can spend on this endpoint: every attempt timing out, then
        waiting the longest backoff."""
        return (
            self.max_attempts * self.timeout_seconds
            + (self.max_attempts - 1) * self.backoff_cap_seconds
        )


@dataclass(frozen=True)
class Endpoint:
    """An endpoint with its signing keys resolved (several during a rotation)."""

    config: EndpointConfig
    keys: tuple[bytes, ...] = field(default=(), repr=False)

    @property
    def name(self) -> str:
        return self.config.name


def parse_endpoints(data: Any) -> list[EndpointConfig]:
    """Validates the parsed webhooks file: a list of endpoints with unique names."""
    if not isinstance(data, list):
        raise WebhooksFileError("the webhooks file must be a YAML list of endpoints")
    if not data:
        raise WebhooksFileError("the webhooks file lists no endpoints")
    if len(data) > MAX_ENDPOINTS:
        raise WebhooksFileError(f"at most {MAX_ENDPOINTS} endpoints, not {len(data)}")
    endpoints, problems = [], []
    for index, entry in enumerate(data):
        label = _label(index, entry)
        if not isinstance(entry, Mapping):
            problems.append(f"{label}: must be a mapping of keys")
            continue
        try:
            endpoints.append(EndpointConfig.model_validate(entry))
        except ValidationError as exc:
            problems.extend(f"{label}.{_problem(error)}" for error in exc.errors())
    seen: set[str] = set()
    for endpoint in endpoints:
        if endpoint.name in seen:
            problems.append(f"{endpoint.name}: name used by another endpoint")
        seen.add(endpoint.name)
    if problems:
        raise WebhooksFileError("invalid webhooks: " + "; ".join(problems))
    for endpoint in endpoints:
        if endpoint.format == "generic" and not endpoint.secrets:
            # Generic receivers verify signatures; Slack's URL is its own credential.
            raise WebhooksFileError(
                f"invalid webhooks: [{endpoint.name}].secrets: a generic endpoint needs at "
                "least one signing secret"
            )
    return endpoints


def resolve_keys(config: EndpointConfig, environ: Mapping[str, str]) -> Endpoint:
    """Reads the endpoint's secrets from ``environ``; errors name the variable, never a value."""
    keys = []
    for variable in config.secrets:
        secret = environ.get(variable)
        if not secret:
            raise WebhooksFileError(
                f"endpoint {config.name}: environment variable {variable} is not set"
            )
        try:
            keys.append(decode_secret(secret))
        except ValueError as exc:
            raise WebhooksFileError(
                f"endpoint {config.name}: environment variable {variable}: {exc}"
            ) from None  # the cause would quote the secret
    return Endpoint(config, tuple(keys))


def decode_secret(secret: str) -> bytes:
    """The signing key of a ``whsec_<base64>`` secret (Standard Webhooks form)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a signing secret starts with {SECRET_PREFIX} then base64")
    encoded = secret[len(SECRET_PREFIX) :].strip()
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError(f"the part after {SECRET_PREFIX} is not base64") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(
            f"the key must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes, not {len(key)}"
        )
    return key


def _label(index: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, Mapping) else None
    return f"[{name}]" if isinstance(name, str) and name else f"[{index}]"


def _problem(error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(entry)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "missing key"
    return f"{key}: {message}"
