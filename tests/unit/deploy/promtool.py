"""Runs Debian's promtool (package `prometheus`) for the deploy tests.

A missing promtool fails the test, never skips it: deploy/local/install-system-packages.sh
installs it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def promtool(*args: str | Path, cwd: Path = ROOT) -> str:
    """promtool's output when it exits 0; the test fails with its output when not."""
    executable = shutil.which("promtool")
    if executable is None:
        pytest.fail(
            "promtool is not installed: it comes with Debian's prometheus package "
            "(deploy/local/install-system-packages.sh installs it)"
        )
    command = [executable, *map(str, args)]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{output}"
    return output
