"""Start, stop and inspect a real single-node Apache Kafka 4.3.1 broker (KRaft, broker and
controller in one JVM) for local runs and tests, using jars resolved from Maven Central.

``config`` holds ``BrokerConfig`` and the server.properties it renders, ``jars`` resolves
the jars, ``probe`` asks a port whether a broker answers, and ``process`` starts, stops and
reports on the broker process (``kill`` crashes it, for the chaos suite). With ``secure``,
``tls`` makes a test CA and certificates, ``credentials`` the SCRAM/PLAIN user, and
``access`` hands clients ``SecureAccess``. The names callers use are importable from here.
"""

from pipeline.ops.localkafka.access import SecureAccess, secure_access
from pipeline.ops.localkafka.config import (
    DEFAULT_CONTROLLER_PORT,
    DEFAULT_HEAP,
    DEFAULT_HOME,
    DEFAULT_HOST,
    DEFAULT_LIBS_DIR,
    DEFAULT_PORT,
    DEFAULT_SASL_SSL_PORT,
    DEFAULT_SSL_PORT,
    LOCAL_DIR,
    LOG4J_CONFIG,
    POM,
    REPO_ROOT,
    BrokerConfig,
    render_server_properties,
)
from pipeline.ops.localkafka.credentials import SASL_MECHANISMS, SCRAM_MECHANISMS, BrokerUser
from pipeline.ops.localkafka.errors import BrokerError
from pipeline.ops.localkafka.jars import KAFKA_JAR_GLOB, MVN_MISSING, ensure_jars
from pipeline.ops.localkafka.probe import broker_answers
from pipeline.ops.localkafka.process import (
    JAVA_MISSING,
    BrokerStatus,
    kill,
    new_cluster_id,
    start,
    status,
    stop,
)

__all__ = [
    "DEFAULT_CONTROLLER_PORT",
    "DEFAULT_HEAP",
    "DEFAULT_HOME",
    "DEFAULT_HOST",
    "DEFAULT_LIBS_DIR",
    "DEFAULT_PORT",
    "DEFAULT_SASL_SSL_PORT",
    "DEFAULT_SSL_PORT",
    "JAVA_MISSING",
    "KAFKA_JAR_GLOB",
    "LOCAL_DIR",
    "LOG4J_CONFIG",
    "MVN_MISSING",
    "POM",
    "REPO_ROOT",
    "SASL_MECHANISMS",
    "SCRAM_MECHANISMS",
    "BrokerConfig",
    "BrokerError",
    "BrokerStatus",
    "BrokerUser",
    "SecureAccess",
    "broker_answers",
    "ensure_jars",
    "kill",
    "new_cluster_id",
    "render_server_properties",
    "secure_access",
    "start",
    "status",
    "stop",
]
