"""Table keys are the raw bytes the rows are partitioned by, so that Faust's router sends
a customer lookup to the worker whose partition holds the customer.

These hold the Faust internals the lookup relies on (faust-streaming 0.15): the router
hashes ``table.changelog_topic.prepare_key(key)`` with the producer's partitioner
(aiokafka's murmur2, like Kafka's Java client and kafka-python).
"""

from __future__ import annotations

import pytest
from aiokafka.partitioner import DefaultPartitioner
from faust.app.router import Router

from pipeline.partitioning import customer_partition
from pipeline.topics import is_json_key

CUSTOMERS = [f"C{n}" for n in range(102_000, 102_060)]


@pytest.fixture(scope="module")
def tables(worker):  # type: ignore[no-untyped-def]
    return [worker.tables[name] for name in worker.tables]


def test_every_table_serializes_its_keys_as_raw_bytes(tables) -> None:  # type: ignore[no-untyped-def]
    assert len(tables) == 4
    for table in tables:
        assert Router._get_serialized_key(table, "C102031") == b"C102031", table.name


def test_the_router_hashes_a_customer_to_the_partition_that_stores_it(tables) -> None:  # type: ignore[no-untyped-def]
    histories = next(t for t in tables if t.name == "customer-histories")
    partitioner = DefaultPartitioner()
    partitions = list(range(3))
    for customer in CUSTOMERS:
        key = Router._get_serialized_key(histories, customer)
        routed = partitioner(key, partitions, partitions)
        assert routed == customer_partition(customer, 3), customer
    assert len({customer_partition(c, 3) for c in CUSTOMERS}) == 3


def test_keys_of_earlier_versions_are_told_apart_from_raw_ones() -> None:
    assert is_json_key(b'"C102031"')  # Faust's JSON key serializer, before
    assert not is_json_key(b"C102031")
    assert not is_json_key(b'"')


def test_the_assignor_routes_through_the_producers_partitioner() -> None:
    from faust.assignor.partition_assignor import PartitionAssignor

    assert "key_partition" in PartitionAssignor.key_store.__code__.co_names
