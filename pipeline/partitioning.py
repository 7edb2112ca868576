"""Which partition a customer's records and state live in: Kafka's default partitioner
(kafka-python's murmur2), shared by the worker and the tools; Faust-free."""

from __future__ import annotations

from kafka.partitioner.default import murmur2


def customer_partition(customer_id: str, partitions: int) -> int:
    """The partition of ``customer_id`` under Kafka's default partitioner (murmur2), which
    the Java, kafka-python and aiokafka producers share.

    >>> customer_partition("C100001", 3) in range(3)
    True
    """
    hashed: int = murmur2(customer_id.encode())
    return (hashed & 0x7FFFFFFF) % partitions
