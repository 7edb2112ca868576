"""find_java: the newest Java 21+ among $JAVA_HOME, PATH and a JVM folder, read from each
home's release file; a clear error when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ops.localregistry import RegistryProcessError, find_java, java_major


@pytest.mark.parametrize(
    ("version", "major"),
    [("25.0.3", 25), ("21", 21), ("17.0.15", 17), ("1.8.0_412", 8), ("", None)],
)
def test_java_major(version: str, major: int | None) -> None:
    assert java_major(version) == major


def jdk(root: Path, name: str, version: str) -> Path:
    """A JDK home as Debian and Temurin lay it out: bin/java and a release file."""
    home = root / name
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\nexit 0\n")
    java.chmod(0o755)
    (home / "release").write_text(f'IMPLEMENTOR="Test"\nJAVA_VERSION="{version}"\n')
    return java


@pytest.fixture(autouse=True)
def no_other_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))


def test_the_newest_java_of_at_least_21_is_chosen(tmp_path: Path) -> None:
    jdk(tmp_path, "java-17-openjdk-amd64", "17.0.15")
    jdk(tmp_path, "temurin-21-jdk-amd64", "21.0.7")
    newest = jdk(tmp_path, "temurin-25-jdk-amd64", "25.0.3")

    assert find_java(jvm_roots=[tmp_path]) == newest.resolve()


def test_java_home_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    java = jdk(tmp_path / "opt", "jdk-21", "21.0.1")
    monkeypatch.setenv("JAVA_HOME", str(java.parent.parent))

    assert find_java(jvm_roots=[tmp_path / "jvm"]) == java.resolve()


def test_without_java_21_the_error_says_what_is_missing(tmp_path: Path) -> None:
    jdk(tmp_path, "java-17-openjdk-amd64", "17.0.15")

    with pytest.raises(RegistryProcessError, match=r"no Java 21\+ found .* Apicurio Registry"):
        find_java(jvm_roots=[tmp_path])
