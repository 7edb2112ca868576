"""The broker's jars, resolved from Maven Central into the libs folder: ``ensure_jars``, and
``run_tool``, which runs a build or Kafka tool and turns a failure into a ``BrokerError``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pipeline.ops.localkafka.config import POM, BrokerConfig
from pipeline.ops.localkafka.errors import BrokerError

KAFKA_JAR_GLOB = "kafka_2.13-*.jar"
MVN_MISSING = "mvn not found on PATH: install Maven to resolve the Kafka jars from Maven Central"


def ensure_jars(cfg: BrokerConfig) -> Path:
    """Resolve the broker jars into cfg.libs_dir with Maven unless they are already there."""
    if any(cfg.libs_dir.glob(KAFKA_JAR_GLOB)):
        return cfg.libs_dir
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(MVN_MISSING)
    run_tool([mvn, "-q", "-B", "-f", str(POM), "package", f"-Dlibs.dir={cfg.libs_dir}"])
    if not any(cfg.libs_dir.glob(KAFKA_JAR_GLOB)):
        raise BrokerError(f"Maven ran but left no {KAFKA_JAR_GLOB} in {cfg.libs_dir}")
    return cfg.libs_dir


def run_tool(cmd: list[str]) -> None:
    """Run ``cmd`` to completion; on a non-zero exit, raise with the last lines it printed."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).splitlines()[-20:])
        raise BrokerError(f"{' '.join(cmd)} failed (exit {done.returncode}):\n{output}")
