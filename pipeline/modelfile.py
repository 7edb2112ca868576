"""Loads a trained risk model file (``carepipe train --out``, CAREPIPE_MODEL_FILE)."""

from __future__ import annotations

import json
from pathlib import Path

from processors.model import ModelError, RiskModel


def load_model(path: Path) -> RiskModel:
    """The model in ``path``; ModelError names the file and what is wrong with it."""
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the model file: {exc.strerror}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not a JSON model file: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{path}: a model file is a JSON object, as `carepipe train` writes")
    try:
        return RiskModel.from_dict(data)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from exc
