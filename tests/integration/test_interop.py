"""Producers and processes no one here wrote: kcat, and the worker's own start-up checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import schemas
from pipeline.ops.outputs import OutputReader, decode
from pipeline.ops.workerproc import WorkerProcess
from pipeline.settings import Settings
from pipeline.topics import NORMALIZED, SOCIAL

pytestmark = pytest.mark.integration


def test_record_produced_by_kcat_is_normalized(
    settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: `make setup` installs it"
    post = {
        "post_id": "kcat-1",
        "platform": "TRUSTPILOT",
        "handle": "@kcat_user",
        "customer_id": "C-KCAT",
        "posted_at": datetime.now(UTC) - timedelta(minutes=2),
        "text": "Terrible. Third outage this week, I'm cancelling.",
        "follower_count": 15,
    }
    value = tmp_path / "post.avro"
    value.write_bytes(schemas.codec("SocialPost").encode(post))
    reader = OutputReader(settings, [settings.topic(NORMALIZED.name)])

    # kcat sends each file argument as one message, bytes untouched.
    subprocess.run(
        [
            kcat,
            "-P",
            "-b",
            settings.bootstrap_servers[0],
            "-t",
            settings.topic(SOCIAL.name),
            "-k",
            "C-KCAT",
            str(value),
        ],
        check=True,
        timeout=30,
    )

    records = reader.read_until(lambda got: len(got) >= 1, timeout_s=60)
    reader.close()
    assert [r.key for r in records] == [b"C-KCAT"]
    interaction = decode(records[0], "Interaction")
    assert interaction["interaction_id"] == "social:trustpilot:kcat-1"
    assert interaction["social"]["handle"] == "kcat_user"
    assert interaction["sentiment_source"] == "VADER"
    assert interaction["sentiment"] < 0


def test_worker_web_server_is_local_and_serves_no_tables(worker: WorkerProcess) -> None:
    assert worker.web_url.startswith("http://127.0.0.1:")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(worker.web_url + "/table/", timeout=5)
    assert missing.value.code == 404
    missing.value.close()


def test_worker_answers_its_health_and_readiness_probes(worker: WorkerProcess) -> None:
    with urllib.request.urlopen(worker.web_url + "/healthz", timeout=5) as alive:
        assert alive.status == 200
    # Ready once it holds its partitions with their tables recovered: soon after it starts.
    deadline = time.monotonic() + 60
    state: dict[str, object] = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(worker.web_url + "/ready", timeout=5) as ready:
                state = json.loads(ready.read())
                break
        except urllib.error.HTTPError as not_yet:
            assert not_yet.code == 503
            state = json.loads(not_yet.read())
            not_yet.close()
            time.sleep(0.5)
    assert state == {"ready": True, "recovered": True, "rebalancing": False, "recovering": False}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CAREPIPE_WEB_PORT", "70000"),
        ("CAREPIPE_STORE", "redis"),
        ("CAREPIPE_BROKER", "localhost"),
        ("CAREPIPE_TOPIC_PARTITONS", "3"),
    ],
)
def test_worker_with_a_bad_setting_stops_at_start_naming_it(variable: str, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREPIPE_")}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "worker"],
        env={**env, variable: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert variable in done.stderr
    assert "Traceback" not in done.stderr


def test_worker_with_a_bad_rules_file_stops_at_start_naming_the_key(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("signals:\n  CHURN_INTENT: {weight: -5}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREPIPE_")}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "worker"],
        env={
            **env,
            "CAREPIPE_RULES_FILE": str(rules),
            # Nothing listens here: the rules are checked before the broker is needed.
            "CAREPIPE_BROKER": "kafka://127.0.0.1:1",
            "CAREPIPE_DATA_DIR": str(tmp_path / "state"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "signals.CHURN_INTENT.weight" in done.stderr
    assert str(rules) in done.stderr
    assert "Traceback" not in done.stderr
