"""Where the local schema registry lives and how it runs: ``RegistryConfig`` and its defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOCAL_DIR = Path(__file__).resolve().parents[3] / "deploy" / "local"
APICURIO_VERSION = "3.3.3"
REGISTRY_POM = LOCAL_DIR / "registry-pom.xml"
# Apicurio Registry's distribution, unpacked by Maven from Maven Central (`make setup`).
DEFAULT_DIST_DIR = LOCAL_DIR / ".registry"
RUN_JAR = "quarkus-run.jar"
DEFAULT_HOME = LOCAL_DIR / ".registry-run"
DEFAULT_HOST = "127.0.0.1"
# The Confluent schema registry's customary port.
DEFAULT_PORT = 8081
DEFAULT_HEAP = "512m"
CCOMPAT_PATH = "/apis/ccompat/v7"


@dataclass(frozen=True)
class RegistryConfig:
    """One registry: its home (pid file, logs), its ports and its distribution.

    >>> RegistryConfig(port=8081).ccompat_url
    'http://127.0.0.1:8081/apis/ccompat/v7'
    """

    home: Path = DEFAULT_HOME
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # Quarkus's management interface (health, metrics): its own port; default port + 1.
    management_port: int | None = None
    heap: str = DEFAULT_HEAP
    # Shared by every home (tests use throwaway homes), like the broker's jars.
    dist_dir: Path = DEFAULT_DIST_DIR

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser().absolute())
        object.__setattr__(self, "dist_dir", Path(self.dist_dir).expanduser().absolute())
        if self.management_port is None:
            object.__setattr__(self, "management_port", self.port + 1)

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def pid_file(self) -> Path:
        return self.home / "registry.pid"

    @property
    def run_jar(self) -> Path:
        return self.dist_dir / RUN_JAR

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ccompat_url(self) -> str:
        """The Confluent-compatible API: CAREPIPE_SCHEMA_REGISTRY_URL points here."""
        return self.url + CCOMPAT_PATH
