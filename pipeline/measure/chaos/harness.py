"""The moving parts of a chaos run: a private broker that may be stopped or killed, one
pipeline per scenario on its own topics, group and state folders, real worker processes,
and the feeder that sends the input stream at a steady rate while faults happen."""

from __future__ import annotations

import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaProducer

from pipeline import admin
from pipeline.kafkaclients import kafka_python_config
from pipeline.measure.chaos.outputs import end_offsets, read_outputs
from pipeline.measure.chaos.verdict import Outputs, RawPosition
from pipeline.ops import localkafka
from pipeline.ops.producer import SPECS
from pipeline.ops.workerproc import WorkerProcess, free_port
from pipeline.settings import Settings, load_settings
from pipeline.topics import CARE_INPUTS, HANDLES, NORMALIZED, PROFILES, SOCIAL_UNRESOLVED

WORKER_ENV = {"CAREPIPE_LOG_LEVEL": "info"}


@dataclass(frozen=True)
class Record:
    """One input record, encoded: what the feeder sends."""

    topic: str  # without the prefix
    key: bytes
    value: bytes


class Broker:
    """A broker of its own for the chaos run, on free ports, in ``home``."""

    def __init__(self, home: Path) -> None:
        self.config = localkafka.BrokerConfig(
            home=home, port=free_port(), controller_port=free_port()
        )

    @property
    def url(self) -> str:
        return f"kafka://{self.config.bootstrap}"

    def start(self) -> None:
        localkafka.start(self.config, timeout=120)

    def stop(self) -> None:
        localkafka.stop(self.config)

    def kill(self) -> None:
        localkafka.kill(self.config)


class Pipeline:
    """One scenario's pipeline: topics, group and state of its own on the chaos broker."""

    def __init__(self, name: str, broker: Broker, folder: Path, partitions: int) -> None:
        self.name = name
        self.folder = folder
        self.env = {
            **WORKER_ENV,
            "CAREPIPE_BROKER": broker.url,
            "CAREPIPE_APP_ID": f"chaos-{folder.parent.name}-{name}",
            "CAREPIPE_TOPIC_PREFIX": f"chaos.{folder.parent.name}.{name}.",
            "CAREPIPE_TOPIC_PARTITIONS": str(partitions),
        }
        self.settings: Settings = load_settings(self.env)
        self.workers: list[WorkerProcess] = []

    def create_topics(self) -> None:
        admin.ensure_topics(self.settings)

    def worker(self, n: int) -> WorkerProcess:
        """Worker ``n`` (0, 1, ...), created once: each has its own state folder and port."""
        while len(self.workers) <= n:
            index = len(self.workers)
            env = {
                **self.env,
                "CAREPIPE_WEB_PORT": str(free_port()),
                "CAREPIPE_DATA_DIR": str(self.state_dir(index)),
            }
            self.workers.append(WorkerProcess(env, self.folder / f"worker-{index}.log"))
        return self.workers[n]

    def state_dir(self, n: int) -> Path:
        return self.folder / f"state-{n}"

    def wipe_state(self, n: int) -> None:
        shutil.rmtree(self.state_dir(n), ignore_errors=True)

    def normalized_written(self) -> int:
        return end_offsets(self.settings, self.settings.topic(NORMALIZED.name))

    def wait_flowing(self, since: int, timeout_s: float = 120.0) -> float:
        """Seconds until interactions.normalized grows past ``since`` records, or until
        the group has caught up (a short stream may be over before the fault ends)."""
        began = time.monotonic()
        inputs = [self.settings.topic(spec.name) for spec in (*CARE_INPUTS, SOCIAL_UNRESOLVED)]
        while time.monotonic() - began < timeout_s:
            try:
                if self.normalized_written() > since or admin.group_lag(self.settings, inputs) == 0:
                    return time.monotonic() - began
            except Exception:  # the broker may be coming back: ask again
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: nothing was processed for {timeout_s:.0f}s")

    def wait_caught_up(self, timeout_s: float) -> None:
        topics = [self.settings.topic(spec.name) for spec in (*CARE_INPUTS, SOCIAL_UNRESOLVED)]
        lag = admin.wait_caught_up(self.settings, topics, timeout_s)
        if lag:
            raise RuntimeError(f"{self.name}: {lag} input records still unprocessed")

    def wait_profiles_stored(self, timeout_s: float = 120.0) -> None:
        """Until the group has processed every profile and social handle sent so far."""
        topics = [self.settings.topic(spec.name) for spec in (PROFILES, HANDLES)]
        lag = admin.wait_caught_up(self.settings, topics, timeout_s)
        if lag:
            raise RuntimeError(f"{self.name}: {lag} profiles or handles still unprocessed")

    def outputs(self) -> Outputs:
        return read_outputs(self.settings)

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.proc is not None and worker.proc.poll() is None:
                worker.proc.send_signal(signal.SIGCONT)  # a stalled one must hear SIGTERM
            worker.stop()


def kill(worker: WorkerProcess) -> None:
    """kill -9: no shutdown, no commit, no flush."""
    assert worker.proc is not None
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait()


@dataclass
class Feeder:
    """Sends the ``prelude`` (the CRM profiles) at once and waits for ``ready``, then the
    ``records`` at ``rate`` per second, from a thread. ``sent`` counts the records and
    ``positions`` holds where each one landed."""

    settings: Settings
    prelude: Sequence[Record]
    records: Sequence[Record]
    rate: float
    ready: Callable[[], None] = lambda: None
    sent: int = 0
    positions: set[RawPosition] = field(default_factory=set)
    error: BaseException | None = None
    on_sent: Callable[[], None] | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Feeder:
        self._thread = threading.Thread(target=self._run, name="chaos-feeder", daemon=True)
        self._thread.start()
        return self

    def wait_sent(self, share: float, timeout_s: float = 600.0) -> None:
        """Returns once ``share`` (0-1) of the records are handed to the producer."""
        target = int(share * len(self.records))
        deadline = time.monotonic() + timeout_s
        while self.sent < target:
            if self.error is not None:
                raise RuntimeError(f"the feeder failed: {self.error}") from self.error
            if time.monotonic() > deadline:
                raise RuntimeError(f"the feeder sent {self.sent} of {target} in {timeout_s}s")
            time.sleep(0.05)

    def join(self, timeout_s: float = 600.0) -> None:
        assert self._thread is not None
        self._thread.join(timeout_s)
        if self.error is not None:
            raise RuntimeError(f"the feeder failed: {self.error}") from self.error
        if self._thread.is_alive():
            raise RuntimeError(f"the feeder did not finish within {timeout_s:.0f}s")

    def _run(self) -> None:
        # Idempotent and unhurried: a broker bounce must neither lose nor double an input.
        producer = KafkaProducer(
            **kafka_python_config(self.settings),
            client_id=f"{self.settings.app_id}-feeder",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            delivery_timeout_ms=300_000,
            request_timeout_ms=10_000,
            reconnect_backoff_max_ms=1000,
        )
        pending = []
        try:
            for record in self.prelude:
                producer.send(self.settings.topic(record.topic), key=record.key, value=record.value)
            producer.flush()
            self.ready()
            began = time.monotonic()
            for n, record in enumerate(self.records):
                wait = began + n / self.rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                topic = self.settings.topic(record.topic)
                pending.append(producer.send(topic, key=record.key, value=record.value))
                self.sent += 1
                if self.on_sent is not None:
                    self.on_sent()
            producer.flush()
            for future in pending:
                meta = future.get(timeout=300)
                self.positions.add((meta.topic, meta.partition, meta.offset))
        except BaseException as exc:  # reported by wait_sent and join
            self.error = exc
        finally:
            producer.close()


def encode_all(events: Sequence[tuple[str, str, bytes]]) -> list[Record]:
    """``(channel, key, value)`` frames as records for their topics."""
    return [Record(SPECS[channel].name, key.encode(), value) for channel, key, value in events]
