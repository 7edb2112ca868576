"""Topic administration with kafka-python: create the pipeline's topics where allowed."""

from __future__ import annotations

from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from pipeline.kafkaclients import DEFAULT_CHECK_TIMEOUT_S, check_access, kafka_python_config
from pipeline.settings import Settings
from pipeline.topics import TABLES, TOPICS, changelog
from processors.errors import StartupError


class AdminError(StartupError, RuntimeError):
    """The cluster refused or could not be reached; the message says which topic."""


@dataclass(frozen=True)
class TopicReport:
    name: str
    created: bool


def ensure_topics(settings: Settings, timeout_s: float = 30.0) -> list[TopicReport]:
    """Creates every missing topic of ``TOPICS`` and the tables' changelogs (idempotent).

    First checks that the brokers take the settings' credentials: a wrong password or an
    untrusted certificate raises :class:`~pipeline.kafkaclients.BrokerAccessError`."""
    check_access(settings, timeout_s=min(timeout_s, DEFAULT_CHECK_TIMEOUT_S))
    try:
        admin = KafkaAdminClient(
            **kafka_python_config(settings),
            client_id=f"{settings.app_id}-admin",
            request_timeout_ms=int(timeout_s * 1000),
        )
    except KafkaError as exc:
        raise AdminError(f"cannot reach the broker at {settings.broker}: {exc}") from exc
    try:
        existing = set(admin.list_topics())
        reports = []
        wanted = [(settings.topic(spec.name), dict(spec.config)) for spec in TOPICS]
        wanted += [(changelog(settings.app_id, t), {"cleanup.policy": "compact"}) for t in TABLES]
        for name, config in wanted:
            if name in existing:
                reports.append(TopicReport(name, created=False))
                continue
            topic = NewTopic(
                name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication,
                topic_configs=config,
            )
            try:
                admin.create_topics([topic], timeout_ms=int(timeout_s * 1000))
                reports.append(TopicReport(name, created=True))
            except TopicAlreadyExistsError:  # created by another worker meanwhile
                reports.append(TopicReport(name, created=False))
            except KafkaError as exc:
                raise AdminError(f"cannot create topic {name}: {exc}") from exc
        created = [r.name for r in reports if r.created]
        if created:
            _wait_visible(settings, created, timeout_s)
        return reports
    finally:
        admin.close()


def _wait_visible(settings: Settings, names: list[str], timeout_s: float) -> None:
    """Waits until new topics show in the metadata a client gets: a worker that starts
    before would leave them out of its assignment ("Ignoring missing topic")."""
    import time

    from kafka import KafkaConsumer

    consumer = KafkaConsumer(**kafka_python_config(settings), group_id=None)
    try:
        deadline = time.monotonic() + timeout_s
        missing = list(names)
        while missing:
            missing = [n for n in missing if not consumer.partitions_for_topic(n)]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise AdminError(f"topics not visible after {timeout_s:.0f}s: {missing}")
            time.sleep(0.2)
    finally:
        consumer.close()


def group_lag(settings: Settings, topic_names: list[str]) -> int:
    """Records of ``topic_names`` not yet committed by the app's consumer group."""
    from kafka import KafkaConsumer, TopicPartition

    admin = KafkaAdminClient(**kafka_python_config(settings))
    consumer = KafkaConsumer(**kafka_python_config(settings), group_id=None)
    try:
        committed = admin.list_group_offsets(settings.app_id).get(settings.app_id, {})
        partitions = [
            TopicPartition(topic, p)
            for topic in topic_names
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        ends = consumer.end_offsets(partitions)
        return sum(
            max(0, end - (committed[tp].offset if tp in committed else 0))
            for tp, end in ends.items()
        )
    finally:
        consumer.close()
        admin.close()


def wait_caught_up(settings: Settings, topic_names: list[str], timeout_s: float = 60.0) -> int:
    """Waits until the app's group has committed everything on ``topic_names``; returns lag.

    A new cluster answers "coordinator not available" until its offsets topic exists:
    such retriable errors count as not caught up yet.
    """
    import time

    deadline = time.monotonic() + timeout_s
    lag = -1
    while time.monotonic() < deadline:
        try:
            lag = group_lag(settings, topic_names)
        except KafkaError as exc:
            if not getattr(exc, "retriable", False):
                raise
            lag = -1
        if lag == 0:
            return 0
        time.sleep(0.5)
    return lag
