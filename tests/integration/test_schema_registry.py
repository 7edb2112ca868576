"""The Confluent wire format with a real schema registry (Apicurio Registry, in memory): a
worker registers its subjects, reads both framings, dead-letters an id the registry does
not know, writes what confluent-kafka's own deserializer reads; the registry check of the
contracts; and the start-up errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kafka import KafkaProducer

import schemas
from pipeline import admin
from pipeline.ops import localregistry
from pipeline.ops.outputs import OutputReader, decode
from pipeline.ops.workerproc import WorkerProcess, free_port
from pipeline.schemaregistry import OUTPUTS, SchemaRegistry, schema_text, value_subject
from pipeline.settings import Settings, load_settings
from pipeline.topics import ALERTS, DLQ, NORMALIZED, VOICE
from sinks import deadletter

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
# Fields of VoiceCall that have defaults: an earlier version of the contract without them
# is what an upstream producer may still write with.
LATER_FIELDS = {"queue_wait_seconds", "hold_seconds", "transfers", "agent_id", "survey"}


def voice_call(call_id: str, customer_id: str) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "customer_id": customer_id,
        "started_at": NOW - timedelta(minutes=30),
        "ended_at": NOW - timedelta(minutes=20),
        "outcome": "RESOLVED",
        "transcript": "Thanks, all sorted.",
    }


def earlier_voice_call_schema() -> str:
    schema = json.loads(schema_text("VoiceCall"))
    schema["fields"] = [f for f in schema["fields"] if f["name"] not in LATER_FIELDS]
    return json.dumps(schema)


def ccompat(registry: localregistry.RegistryStatus, path: str) -> Any:
    with urllib.request.urlopen(registry.url + path, timeout=10) as answer:
        return json.load(answer)


@pytest.fixture
def confluent_env(
    pipeline_env: dict[str, str], registry: localregistry.RegistryStatus
) -> dict[str, str]:
    return {
        **pipeline_env,
        "CAREPIPE_SCHEMA_REGISTRY_URL": registry.url,
        "CAREPIPE_VALUE_FRAMING": "confluent",
    }


@pytest.fixture
def confluent_settings(confluent_env: dict[str, str]) -> Settings:
    settings = load_settings(confluent_env)
    admin.ensure_topics(settings)
    return settings


@pytest.fixture
def sr_client(registry: localregistry.RegistryStatus) -> Iterator[SchemaRegistryClient]:
    client = SchemaRegistryClient({"url": registry.url})
    yield client
    client.close()


def test_a_confluent_worker_registers_its_subjects_reads_both_framings_and_writes_confluent(
    confluent_env: dict[str, str],
    confluent_settings: Settings,
    registry: localregistry.RegistryStatus,
    sr_client: SchemaRegistryClient,
    tmp_path: Path,
) -> None:
    settings = confluent_settings
    worker = WorkerProcess(confluent_env, tmp_path / "worker.log").start()
    try:
        subjects = set(ccompat(registry, "/subjects"))
        for spec in OUTPUTS:
            subject = value_subject(settings, spec)
            assert subject in subjects
            config = ccompat(registry, f"/config/{subject}")
            assert config["compatibilityLevel"] == "BACKWARD"

        # An upstream producer with confluent-kafka's serializer and an earlier VoiceCall;
        # another still on single-object encoding; one with an id no registry gave.
        voice_topic = settings.topic(VOICE.name)
        serializer = AvroSerializer(sr_client, earlier_voice_call_schema())
        framed = serializer(
            voice_call("call-confluent", "C-1"),
            SerializationContext(voice_topic, MessageField.VALUE),
        )
        assert framed is not None and framed[:1] == b"\x00"
        single = schemas.codec("VoiceCall").encode(voice_call("call-single", "C-2"))
        unknown_id = b"\x00" + (987_654).to_bytes(4, "big") + framed[5:]
        reader = OutputReader(settings, [settings.topic(NORMALIZED.name), settings.topic(DLQ.name)])
        producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers)
        try:
            for key, value in ((b"C-1", framed), (b"C-2", single), (b"C-3", unknown_id)):
                producer.send(voice_topic, key=key, value=value)
            producer.flush()
        finally:
            producer.close()
        try:
            records = reader.read_until(lambda got: len(got) >= 3, timeout_s=60)
        finally:
            reader.close()
    finally:
        worker.stop()
    assert len(records) == 3, worker.log_tail(40)

    dead = [r for r in records if r.topic == settings.topic(DLQ.name)]
    assert [r.value for r in dead] == [unknown_id]
    assert dead[0].headers[deadletter.REASON] == b"UNKNOWN_SCHEMA"
    assert b"987654" in dead[0].headers[deadletter.MESSAGE]

    normalized = [r for r in records if r.topic == settings.topic(NORMALIZED.name)]
    normalized_id = sr_client.get_latest_version(value_subject(settings, NORMALIZED)).schema_id
    deserializer = AvroDeserializer(sr_client)
    context = SerializationContext(settings.topic(NORMALIZED.name), MessageField.VALUE)
    registry = SchemaRegistry.from_settings(settings)
    assert registry is not None
    read = {}
    with registry:
        for record in normalized:
            assert record.value is not None
            assert schemas.framing_of(record.value) == "confluent"
            assert schemas.confluent_schema_id(record.value) == normalized_id
            interaction = deserializer(record.value, context)
            assert isinstance(interaction, dict)
            read[interaction["interaction_id"]] = interaction
            # The project's own decoder, learning the id from the registry, agrees.
            assert decode(record, "Interaction", registry) == interaction
    assert set(read) == {"voice:call-confluent", "voice:call-single"}
    assert read["voice:call-confluent"]["customer_id"] == "C-1"


def test_schemas_check_passes_for_the_contracts_and_names_an_incompatible_subject(
    confluent_env: dict[str, str], confluent_settings: Settings, tmp_path: Path
) -> None:
    registry = SchemaRegistry.from_settings(confluent_settings)
    assert registry is not None
    with registry:
        registry.register_outputs(confluent_settings)

    check = [sys.executable, "-m", "pipeline.cli", "schemas", "check", "--registry"]
    passed = subprocess.run(check, env=confluent_env, capture_output=True, text=True, timeout=60)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    alerts_subject = value_subject(confluent_settings, ALERTS)
    assert f"compatible    {alerts_subject}" in passed.stdout

    # A required field added without a default: the new schema cannot read older alerts.
    candidate = json.loads(schema_text("CareAlert"))
    candidate["fields"].append({"name": "region", "type": "string"})
    path = tmp_path / "CareAlert.avsc"
    path.write_text(json.dumps(candidate))
    failed = subprocess.run(
        [*check, str(path)], env=confluent_env, capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"INCOMPATIBLE  {alerts_subject}" in failed.stdout
    assert "region" in failed.stdout


def run_worker_until_exit(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "worker"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_a_worker_stops_at_start_when_the_registry_does_not_answer(
    confluent_env: dict[str, str], confluent_settings: Settings
) -> None:
    url = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
    done = run_worker_until_exit({**confluent_env, "CAREPIPE_SCHEMA_REGISTRY_URL": url})
    assert done.returncode == 1
    assert f"Error: CAREPIPE_SCHEMA_REGISTRY_URL={url}: the schema registry does not answer" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_a_worker_stops_at_start_when_its_schema_is_incompatible_with_the_subject(
    confluent_env: dict[str, str],
    confluent_settings: Settings,
    sr_client: SchemaRegistryClient,
) -> None:
    # An earlier CareAlert without alert_id: the project's, which requires it with no
    # default, cannot read its records.
    earlier = json.loads(schema_text("CareAlert"))
    earlier["fields"] = [f for f in earlier["fields"] if f["name"] != "alert_id"]
    subject = value_subject(confluent_settings, ALERTS)
    sr_client.register_schema(subject, Schema(json.dumps(earlier), "AVRO"))
    done = run_worker_until_exit(confluent_env)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "CAREPIPE_SCHEMA_REGISTRY_URL" in lines[0]
    assert f"subject {subject}" in lines[0] and "BACKWARD" in lines[0]
    assert "Traceback" not in done.stderr
