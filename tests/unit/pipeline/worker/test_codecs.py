"""The worker's codecs: each topic written in its framing, every codec reading both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.worker import codecs
from schemas import REGISTRY_SCHEMAS
from schemas.avro import SCHEMAS_DIR
from tests.unit.schemas.test_codec import MINIMAL

ALERT_ID = 2_000_001


@pytest.fixture
def confluent_alerts() -> Iterator[None]:
    REGISTRY_SCHEMAS.add(ALERT_ID, (SCHEMAS_DIR / "CareAlert.avsc").read_text())
    codecs.register({"t.care.alerts": ALERT_ID})
    yield
    codecs.register()


@pytest.mark.usefixtures("confluent_alerts")
def test_a_topic_with_a_schema_id_is_written_in_the_confluent_framing() -> None:
    alert = MINIMAL["CareAlert"]

    confluent = codecs.for_topic("t.care.alerts", "CareAlert").dumps(alert)
    single = codecs.for_topic("t.care.alerts.elsewhere", "CareAlert").dumps(alert)

    assert confluent[:5] == b"\x00" + ALERT_ID.to_bytes(4, "big")
    assert single[:2] == b"\xc3\x01"
    assert codecs.serializer("t.care.alerts", "CareAlert") == f"avro-CareAlert-{ALERT_ID}"
    reader = codecs.get("CareAlert")
    assert reader.loads(confluent) == reader.loads(single)


def test_without_ids_every_topic_is_written_in_single_object_encoding() -> None:
    codecs.register()

    value = codecs.for_topic("t.care.alerts", "CareAlert").dumps(MINIMAL["CareAlert"])

    assert value[:2] == b"\xc3\x01"
    assert codecs.serializer("t.care.alerts", "CareAlert") == "avro-CareAlert"
