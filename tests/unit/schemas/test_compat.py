"""Schema evolution check: can a reader with NEW read data written with OLD?"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from schemas.avro import SCHEMAS_DIR, schema_names
from schemas.compat import check_compatibility

V1: dict[str, Any] = {
    "type": "record",
    "name": "Ticket",
    "namespace": "test.carepipe",
    "fields": [
        {"name": "ticket_id", "type": "string"},
        {
            "name": "priority",
            "type": {"type": "enum", "name": "Priority", "symbols": ["LOW", "HIGH", "URGENT"]},
        },
    ],
}


def evolve(**changes: Any) -> dict[str, Any]:
    schema = copy.deepcopy(V1)
    if "add" in changes:
        schema["fields"].append(changes["add"])
    if "symbols" in changes:
        schema["fields"][1]["type"]["symbols"] = changes["symbols"]
    return schema


def check(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return check_compatibility(json.dumps(old), json.dumps(new))


def test_identical_schemas_are_compatible() -> None:
    assert check(V1, V1) == []


@pytest.mark.parametrize("name", schema_names())
def test_every_shipped_contract_is_compatible_with_itself(name: str) -> None:
    text = (SCHEMAS_DIR / f"{name}.avsc").read_text()
    assert check_compatibility(text, text) == []


@pytest.mark.parametrize(
    "field",
    [
        {"name": "channel", "type": "string", "default": "VOICE"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
)
def test_adding_a_field_with_a_default_is_compatible(field: dict[str, Any]) -> None:
    assert check(V1, evolve(add=field)) == []


def test_adding_a_field_without_a_default_is_not() -> None:
    reasons = check(V1, evolve(add={"name": "channel", "type": "string"}))
    assert reasons
    assert any("channel" in reason for reason in reasons)
    assert any("default" in reason for reason in reasons)


def test_removing_an_enum_symbol_is_not() -> None:
    reasons = check(V1, evolve(symbols=["LOW", "HIGH"]))
    assert reasons
    assert any("URGENT" in reason for reason in reasons)


def test_adding_an_enum_symbol_is_compatible() -> None:
    assert check(V1, evolve(symbols=["LOW", "HIGH", "URGENT", "CRITICAL"])) == []


def test_changing_a_field_type_is_not() -> None:
    new = copy.deepcopy(V1)
    new["fields"][0]["type"] = "long"
    assert check(V1, new) != []


def test_unparsable_schema_is_a_reason() -> None:
    reasons = check_compatibility(json.dumps(V1), "{not json")
    assert len(reasons) == 1
    assert reasons[0].startswith("schema does not parse")


# ------------------------------------------------------------------ carepipe schemas check


def write(path: Path, schema: dict[str, Any]) -> Path:
    path.write_text(json.dumps(schema))
    return path


def test_cli_accepts_a_compatible_change(tmp_path: Path) -> None:
    old = write(tmp_path / "old.avsc", V1)
    new = write(tmp_path / "new.avsc", evolve(add={"name": "n", "type": "int", "default": 0}))

    result = CliRunner().invoke(main, ["schemas", "check", str(old), str(new)])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("compatible:")


def test_cli_rejects_an_incompatible_change_with_reasons(tmp_path: Path) -> None:
    old = write(tmp_path / "old.avsc", V1)
    new = write(tmp_path / "new.avsc", evolve(add={"name": "channel", "type": "string"}))

    result = CliRunner().invoke(main, ["schemas", "check", str(old), str(new)])

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("INCOMPATIBLE:")
    assert any(line.startswith("  - ") and "channel" in line for line in lines[1:])


def test_cli_rejects_a_missing_file(tmp_path: Path) -> None:
    old = write(tmp_path / "old.avsc", V1)
    result = CliRunner().invoke(main, ["schemas", "check", str(old), str(tmp_path / "gone.avsc")])
    assert result.exit_code == 2
