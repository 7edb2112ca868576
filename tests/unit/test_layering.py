"""The direction of imports between the packages, so the layering cannot rot.

Read from the source (every import statement, those inside functions too), so a lazy
import counts like any other. The rules, by the package that imports:

- processors/ is the pure core: nothing of pipeline/, sinks/ or schemas/, and no Kafka
  client (Faust, aiokafka, kafka-python).
- schemas/ holds the contracts and codecs: of the rest only processors.errors.
- sinks/ are adapters: nothing of pipeline/, and no Faust (the worker hands them its topics).
- pipeline/worker/ runs inside a worker: not the simulator, the tools, the measurements,
  the webhook process or the command line.
- pipeline/delivery/ (the webhook process) and pipeline/simulation/ never load Faust or the
  worker; the tools and measurements start workers as child processes, never import them.
- pipeline's shared modules (settings, topics, admin, rulesfile, grouplag, partitioning,
  schemaregistry) import no subpackage.
- Nothing outside pipeline/cli/ imports the command line.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("pipeline", "processors", "schemas", "sinks")
FAUST = ("faust", "mode", "aiokafka")
KAFKA_CLIENTS = (*FAUST, "kafka")
PIPELINE_PARTS = ("worker", "delivery", "simulation", "ops", "measure")
SHARED = (
    "pipeline.settings",
    "pipeline.topics",
    "pipeline.admin",
    "pipeline.rulesfile",
    "pipeline.grouplag",
    "pipeline.partitioning",
    "pipeline.schemaregistry",
)

# importer prefix -> (forbidden prefixes, allowed exceptions to them)
RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "processors": (("pipeline", "sinks", "schemas", *KAFKA_CLIENTS), ()),
    "schemas": (("pipeline", "sinks", "processors", *FAUST), ("processors.errors",)),
    "sinks": (("pipeline", *FAUST), ()),
    "pipeline.worker": (
        tuple(f"pipeline.{p}" for p in ("delivery", "simulation", "ops", "measure", "cli")),
        (),
    ),
    "pipeline.delivery": (
        (*FAUST, *(f"pipeline.{p}" for p in ("worker", "simulation", "ops", "measure", "cli"))),
        (),
    ),
    "pipeline.simulation": (
        (*FAUST, *(f"pipeline.{p}" for p in ("worker", "delivery", "ops", "measure", "cli"))),
        (),
    ),
    "pipeline.ops": (("pipeline.worker", "pipeline.measure", "pipeline.cli"), ()),
    "pipeline.measure": (("pipeline.worker", "pipeline.cli"), ()),
    **{
        shared: ((*FAUST, "pipeline.cli", *(f"pipeline.{p}" for p in PIPELINE_PARTS)), ())
        for shared in SHARED
    },
}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for every import in ``path``; ``from a import b`` yields ``a.b``,
    so that ``from pipeline import cli`` counts as importing pipeline.cli."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path, root).rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    """One line per import statement that breaks a rule."""
    found: dict[tuple[Path, int], str] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            importer = module_name(path, root)
            rules = [rule for prefix, rule in RULES.items() if _within(importer, prefix)]
            if not _within(importer, "pipeline.cli"):
                rules.append((("pipeline.cli",), ()))
            for line, imported in imports(path, root):
                for forbidden, allowed in rules:
                    if any(_within(imported, f) for f in forbidden) and not any(
                        _within(imported, a) for a in allowed
                    ):
                        where = path.relative_to(root)
                        found.setdefault(
                            (where, line), f"{where}:{line}: {importer} imports {imported}"
                        )
    return sorted(found.values())


def test_imports_follow_the_layering() -> None:
    assert violations(ROOT) == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("processors/risk.py", "from pipeline.worker.app import create_app\n"),
        ("processors/risk.py", "def f():\n    import faust\n"),
        ("schemas/avro.py", "from processors.history import CustomerHistory\n"),
        ("sinks/webhook.py", "from pipeline import topics\n"),
        ("pipeline/worker/care.py", "from pipeline.simulation import journeys\n"),
        ("pipeline/delivery/webhooks.py", "from ..worker import app\n"),
        ("pipeline/topics.py", "import faust.types\n"),
        ("pipeline/ops/demo.py", "from pipeline.cli import main\n"),
    ],
)
def test_a_wrong_import_is_caught(tmp_path: Path, module: str, source: str) -> None:
    target = tmp_path / module
    target.parent.mkdir(parents=True)
    target.write_text(source)
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
    assert len(violations(tmp_path)) == 1


def test_an_allowed_import_passes(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "avro.py").write_text("from processors.errors import DeadLetter\n")
    assert violations(tmp_path) == []


@pytest.mark.parametrize(
    "module",
    [
        "pipeline.cli",
        "pipeline.topics",
        "pipeline.delivery.webhooks",
        "pipeline.ops.lag_exporter",
        "sinks.webhook",
    ],
)
def test_importing_leaves_faust_unloaded(module: str) -> None:
    """The command line, the topic catalogue, the webhook process and the lag exporter start
    without Faust."""
    probe = f"import sys, {module}; print(sorted(m for m in {FAUST!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
