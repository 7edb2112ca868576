"""The partition a customer's records land on, as Kafka's default partitioner computes it."""

from __future__ import annotations

import pytest
from aiokafka.partitioner import DefaultPartitioner

from pipeline.partitioning import customer_partition

# murmur2 of these keys as the Java client computes it (Kafka's UtilsTest).
JAVA_MURMUR2 = {
    "21": -973932308,
    "foobar": -790332482,
    "a-little-bit-long-string": -985981536,
    "a-little-bit-longer-string": -1486304829,
    "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    "abc": 479470107,
}


@pytest.mark.parametrize(("key", "java_hash"), JAVA_MURMUR2.items())
@pytest.mark.parametrize("partitions", [1, 3, 7, 12])
def test_same_partition_as_the_java_client(key: str, java_hash: int, partitions: int) -> None:
    assert customer_partition(key, partitions) == (java_hash & 0x7FFFFFFF) % partitions


def test_same_partition_as_the_producer_of_the_worker() -> None:
    partitioner = DefaultPartitioner()
    partitions = list(range(6))
    for n in range(500):
        customer_id = f"C{100000 + n}"
        expected = partitioner(customer_id.encode(), partitions, partitions)
        assert customer_partition(customer_id, 6) == expected
