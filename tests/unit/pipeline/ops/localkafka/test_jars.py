"""Fast tests for pipeline.ops.localkafka.jars: Maven is skipped, missing or faked."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ops.localkafka import jars
from pipeline.ops.localkafka.config import POM, BrokerConfig
from pipeline.ops.localkafka.errors import BrokerError
from tests.unit.pipeline.ops.localkafka.fakes import fake_tool, make_cfg


def test_ensure_jars_skips_maven_when_jars_exist(tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg(tmp_path)
    monkeypatch.setattr(jars.subprocess, "run", lambda *a, **k: pytest.fail("ran Maven"))
    assert jars.ensure_jars(cfg) == cfg.libs_dir


def test_ensure_jars_without_mvn(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    cfg = BrokerConfig(home=tmp_path, libs_dir=tmp_path / "no-jars")
    with pytest.raises(BrokerError) as err:
        jars.ensure_jars(cfg)
    assert str(err.value) == (
        "mvn not found on PATH: install Maven to resolve the Kafka jars from Maven Central"
    )


def test_ensure_jars_passes_the_libs_dir_to_maven(tmp_path: Path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    # A fake mvn that records its arguments and "resolves" the Kafka jar into -Dlibs.dir.
    fake_tool(
        monkeypatch,
        bin_dir,
        "mvn",
        'echo "$@" > "$(dirname "$0")/args"\n'
        'for a in "$@"; do case "$a" in -Dlibs.dir=*) d="${a#-Dlibs.dir=}";; esac; done\n'
        'mkdir -p "$d" && touch "$d/kafka_2.13-4.3.1.jar"\n',
    )
    cfg = BrokerConfig(home=tmp_path, libs_dir=tmp_path / "jars")
    assert jars.ensure_jars(cfg) == tmp_path / "jars"
    args = (bin_dir / "args").read_text().split()
    assert args == ["-q", "-B", "-f", str(POM), "package", f"-Dlibs.dir={tmp_path / 'jars'}"]
