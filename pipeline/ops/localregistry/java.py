"""Finds a Java runtime new enough for Apicurio Registry (21+): ``find_java``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipeline.ops.localregistry.errors import RegistryProcessError

MIN_JAVA = 21
JVM_ROOT = Path("/usr/lib/jvm")
_RELEASE_VERSION = re.compile(r'^JAVA_VERSION="([^"]+)"', re.MULTILINE)
_VERSION_OUTPUT = re.compile(r'version "([^"]+)"')


def java_major(version: str) -> int | None:
    """The feature release of a Java version string: 25 for "25.0.3", 8 for "1.8.0_412"."""
    parts = re.findall(r"\d+", version)
    if not parts:
        return None
    first = int(parts[0])
    return int(parts[1]) if first == 1 and len(parts) > 1 else first


def java_version(java: Path) -> int | None:
    """The major version of the ``java`` executable: from its home's ``release`` file, or
    else from ``java -version``."""
    release = java.resolve().parent.parent / "release"
    try:
        found = _RELEASE_VERSION.search(release.read_text())
    except OSError:
        found = None
    if found:
        return java_major(found.group(1))
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _VERSION_OUTPUT.search(done.stderr + done.stdout)
    return java_major(found.group(1)) if found else None


def candidates(jvm_roots: Iterable[Path] = (JVM_ROOT,)) -> Iterator[Path]:
    """Every ``java`` the machine shows: $JAVA_HOME's, the one on PATH, /usr/lib/jvm/*."""
    if java_home := os.environ.get("JAVA_HOME"):
        yield Path(java_home) / "bin" / "java"
    if on_path := shutil.which("java"):
        yield Path(on_path)
    for root in jvm_roots:
        if root.is_dir():
            yield from sorted(root.glob("*/bin/java"))


def find_java(minimum: int = MIN_JAVA, jvm_roots: Iterable[Path] = (JVM_ROOT,)) -> Path:
    """The newest ``java`` of at least version ``minimum``; raises naming what is missing."""
    best: tuple[int, Path] | None = None
    seen: set[Path] = set()
    for java in candidates(jvm_roots):
        real = java.resolve()
        if real in seen or not os.access(real, os.X_OK):
            continue
        seen.add(real)
        major = java_version(real)
        if major is not None and major >= minimum and (best is None or major > best[0]):
            best = (major, real)
    if best is None:
        raise RegistryProcessError(
            f"no Java {minimum}+ found (looked at $JAVA_HOME, java on PATH and "
            f"{', '.join(str(root) for root in jvm_roots)}/*): Apicurio Registry needs one; "
            "deploy/local/install-system-packages.sh installs it where Debian has it"
        )
    return best[1]
