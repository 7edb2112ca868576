"""Erasure requests: their records, the handle sweep over every partition, the audit line."""

from __future__ import annotations

import pytest

from processors.erasure import (
    ErasureRequest,
    InvalidErasureRequest,
    audit_line,
    check_customer_id,
    check_reason,
)


def request() -> ErasureRequest:
    return ErasureRequest("req-1", requested_at_ms=1_700_000_000_000, reason="ticket 42")


def test_a_request_reads_back_as_it_was_written() -> None:
    assert ErasureRequest.from_bytes(request().to_bytes()) == request()
    step = request().sweep("C1").with_removed({"customer-histories": 1})
    assert ErasureRequest.from_bytes(step.to_bytes()) == step


def test_the_sweep_visits_every_partition_once_then_ends() -> None:
    step: ErasureRequest | None = request().sweep("C1")
    visited = []
    while step is not None:
        visited.append(step.partition)
        step = step.with_removed({"customer-handles": 1}).next_sweep(partitions=3)
    assert visited == [0, 1, 2]


def test_removed_entries_add_up_along_the_steps() -> None:
    step = request().with_removed({"customer-histories": 1, "customer-profiles": 0}).sweep("C1")
    step = step.with_removed({"customer-handles": 2}).with_removed({"customer-handles": 1})
    assert step.removed == {"customer-histories": 1, "customer-profiles": 0, "customer-handles": 3}


def test_sweep_steps_carry_neither_the_customer_id_nor_the_reason() -> None:
    raw = request().sweep("C123456").to_bytes()
    assert b"C123456" not in raw
    assert b"ticket" not in raw


def test_a_sweep_step_knows_its_customer_and_no_other() -> None:
    step = request().sweep("C1")
    assert step.points_to_customer("C1")
    assert not step.points_to_customer("C2")
    assert not step.points_to_customer("C1 ")
    # The digest depends on the request: another request's steps do not match.
    other = ErasureRequest("req-2", 0).sweep("C1")
    assert other.customer_digest != step.customer_digest


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"not json",
        b"[]",
        b'{"requested_at_ms": 1}',
        b'{"request_id": "", "requested_at_ms": 1}',
        b'{"request_id": "r", "requested_at_ms": "soon"}',
        b'{"request_id": "r", "requested_at_ms": 1, "step": "everything"}',
        b'{"request_id": "r", "requested_at_ms": 1, "step": "handles", "customer_digest": "d"}',
        b'{"request_id": "r", "requested_at_ms": 1, "step": "handles", "partition": 0}',
    ],
)
def test_what_is_not_a_request_is_refused_without_quoting_it(raw: bytes | None) -> None:
    with pytest.raises(InvalidErasureRequest) as caught:
        ErasureRequest.from_bytes(raw)
    assert raw is None or not raw or raw.decode() not in str(caught.value)


def test_the_audit_line_names_the_request_times_and_counts_only() -> None:
    done = request().with_removed({"customer-histories": 1}).sweep("C777")
    done = done.with_removed({"customer-handles": 2})
    line = audit_line(done, completed_at_ms=1_700_000_005_000)
    assert line == (
        "erasure req-1 done: requested 2023-11-14T22:13:20+00:00, "
        "completed 2023-11-14T22:13:25+00:00, removed customer-histories=1 customer-handles=2"
    )
    assert "C777" not in line and "ticket" not in line


def test_operator_input_is_checked() -> None:
    assert check_customer_id("  C1 ") == "C1"
    for bad in ("", "   ", "C\x001", "x" * 201):
        with pytest.raises(ValueError):
            check_customer_id(bad)
    assert check_reason(None) is None
    assert check_reason("  ") is None
    assert check_reason(" GDPR art. 17 ") == "GDPR art. 17"
    with pytest.raises(ValueError):
        check_reason("x" * 501)
