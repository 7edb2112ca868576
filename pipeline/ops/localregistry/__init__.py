"""Start, stop and inspect a real Apicurio Registry 3.3.3 (in memory, Java 21+) for local runs
and tests: the Confluent-compatible schema registry at ``/apis/ccompat/v7``.

``config`` holds ``RegistryConfig``, ``java`` finds a Java 21+, and ``process`` installs the
registry from Maven Central and starts, stops and reports on it. The names callers use are
importable from here.
"""

from pipeline.ops.localregistry.config import (
    APICURIO_VERSION,
    CCOMPAT_PATH,
    DEFAULT_HOME,
    DEFAULT_PORT,
    REGISTRY_POM,
    RegistryConfig,
)
from pipeline.ops.localregistry.errors import RegistryProcessError
from pipeline.ops.localregistry.java import MIN_JAVA, find_java, java_major
from pipeline.ops.localregistry.process import (
    RegistryStatus,
    answers,
    ensure_dist,
    start,
    status,
    stop,
)

__all__ = [
    "APICURIO_VERSION",
    "CCOMPAT_PATH",
    "DEFAULT_HOME",
    "DEFAULT_PORT",
    "MIN_JAVA",
    "REGISTRY_POM",
    "RegistryConfig",
    "RegistryProcessError",
    "RegistryStatus",
    "answers",
    "ensure_dist",
    "find_java",
    "java_major",
    "start",
    "status",
    "stop",
]
