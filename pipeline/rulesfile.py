"""Loads the risk rules: the packaged defaults, with an optional YAML file laid over them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from processors.rules import Rules, RulesError, parse_rules

DEFAULT_RULES_FILE = Path(__file__).with_name("default_rules.yaml")


def load_rules(path: Path | None = None) -> Rules:
    """The defaults, with ``path`` laid over them; RulesError names the file and the key."""
    defaults = _read(DEFAULT_RULES_FILE)
    override = _read(path) if path is not None else {}
    try:
        return parse_rules(override, defaults)
    except RulesError as exc:
        raise RulesError(f"{path or DEFAULT_RULES_FILE}: {exc}") from exc


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RulesError(f"{path}: the rules file must be a mapping of sections")
    return data
