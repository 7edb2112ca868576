"""Loads the webhooks file (``CAREPIPE_WEBHOOKS_FILE``) and the signing secrets it names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from sinks.webhook_endpoints import (
    Endpoint,
    WebhooksFileError,
    parse_endpoints,
    resolve_keys,
)


def load_endpoints(path: Path, environ: Mapping[str, str]) -> list[Endpoint]:
    """The endpoints of ``path`` with their keys from ``environ``; WebhooksFileError names
    the file and the key, or the missing variable."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise WebhooksFileError(f"{path}: cannot read the webhooks file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise WebhooksFileError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return [resolve_keys(config, environ) for config in parse_endpoints(data)]
    except WebhooksFileError as exc:
        raise WebhooksFileError(f"{path}: {exc}") from exc
