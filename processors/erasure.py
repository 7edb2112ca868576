"""An erasure request and its steps: what ``carepipe forget`` asks, what each partition's
owner removes, and the audit line that reports it without personal data.

A request is keyed by the customer id, so it lands in the partition that holds the
customer's history and profile: that partition's owner removes them (the customer step).
Social handles are keyed by handle and may sit in any partition, with no index from a
customer to its handles, so the request then visits every partition in turn (the handle
sweep), each owner removing the handle entries that point to the customer. The owner of
the last partition logs the audit line with the counts gathered on the way.

>>> request = ErasureRequest("r1", requested_at_ms=0)
>>> step = request.sweep("C1").with_removed({"customer-handles": 1})
>>> (step.step, step.partition, step.removed)
('handles', 0, {'customer-handles': 1})
>>> step.next_sweep(partitions=1) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from processors.errors import InvalidEvent

Step = Literal["customer", "handles"]
CUSTOMER_STEP: Step = "customer"
HANDLES_STEP: Step = "handles"

MAX_CUSTOMER_ID_CHARS = 200
MAX_REASON_CHARS = 500


class InvalidErasureRequest(InvalidEvent):
    """A record of the erasure topic that is not a request; the message quotes none of it."""


@dataclass(frozen=True)
class ErasureRequest:
    """One erasure, at one of its steps.

    ``reason`` is the operator's free text: it travels in the request record only and is
    never logged. A sweep step carries ``customer_digest`` instead of the customer id,
    the partition it covers, and the entries removed so far, by table.
    """

    request_id: str
    requested_at_ms: int
    reason: str | None = None
    step: Step = CUSTOMER_STEP
    partition: int | None = None
    customer_digest: str | None = None
    removed: Mapping[str, int] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        body: dict[str, Any] = {
            "request_id": self.request_id,
            "requested_at_ms": self.requested_at_ms,
            "step": self.step,
        }
        if self.reason is not None:
            body["reason"] = self.reason
        if self.step == HANDLES_STEP:
            body["partition"] = self.partition
            body["customer_digest"] = self.customer_digest
            body["removed"] = dict(self.removed)
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> ErasureRequest:
        """The request in ``raw``; :class:`InvalidErasureRequest` if it is not one."""
        try:
            body = json.loads(raw or b"")
            request = cls(
                request_id=_text(body["request_id"]),
                requested_at_ms=int(body["requested_at_ms"]),
                reason=body.get("reason"),
                step=body.get("step", CUSTOMER_STEP),
                partition=body.get("partition"),
                customer_digest=body.get("customer_digest"),
                removed={str(k): int(v) for k, v in (body.get("removed") or {}).items()},
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise InvalidErasureRequest("not an erasure request") from exc
        if request.step == HANDLES_STEP:
            if not isinstance(request.partition, int) or request.partition < 0:
                raise InvalidErasureRequest("a handle sweep without its partition")
            if not isinstance(request.customer_digest, str):
                raise InvalidErasureRequest("a handle sweep without its customer digest")
        elif request.step != CUSTOMER_STEP:
            raise InvalidErasureRequest("an erasure request of an unknown step")
        return request

    def with_removed(self, counts: Mapping[str, int]) -> ErasureRequest:
        """This step with ``counts`` added to the entries removed so far."""
        removed = dict(self.removed)
        for table, n in counts.items():
            removed[table] = removed.get(table, 0) + n
        return replace(self, removed=removed)

    def sweep(self, customer_id: str) -> ErasureRequest:
        """The first handle sweep step (partition 0), after the customer step."""
        return replace(
            self,
            reason=None,
            step=HANDLES_STEP,
            partition=0,
            customer_digest=customer_digest(self.request_id, customer_id),
        )

    def next_sweep(self, partitions: int) -> ErasureRequest | None:
        """The sweep step of the next partition; None after the last one."""
        if self.step != HANDLES_STEP or self.partition is None:
            raise ValueError("only a handle sweep step has a next one")
        if self.partition + 1 >= partitions:
            return None
        return replace(self, partition=self.partition + 1)

    def points_to_customer(self, customer_id: str) -> bool:
        """Whether ``customer_id`` (a handle entry's value) is the customer of this sweep."""
        digest = customer_digest(self.request_id, customer_id)
        return self.customer_digest is not None and hmac.compare_digest(
            digest, self.customer_digest
        )


def customer_digest(request_id: str, customer_id: str) -> str:
    """What the sweep steps carry instead of the customer id: a SHA-256 of the request id
    and the customer id, so a step's record does not repeat the id in the clear."""
    return hashlib.sha256(f"{request_id}\x00{customer_id}".encode()).hexdigest()


def audit_line(request: ErasureRequest, completed_at_ms: int) -> str:
    """The one log line of a completed erasure: request id, times and counts by table.

    >>> audit_line(ErasureRequest("r1", 0, removed={"customer-histories": 1}), 1000)
    'erasure r1 done: requested 1970-01-01T00:00:00+00:00, completed 1970-01-01T00:00:01+00:00, removed customer-histories=1'
    """  # noqa: E501
    counts = " ".join(f"{table}={n}" for table, n in request.removed.items()) or "nothing"
    return (
        f"erasure {request.request_id} done: requested {_iso(request.requested_at_ms)}, "
        f"completed {_iso(completed_at_ms)}, removed {counts}"
    )


def check_customer_id(text: str) -> str:
    """The customer id an operator typed, stripped; ValueError if it cannot be one."""
    customer_id = text.strip()
    if not customer_id:
        raise ValueError("the customer id is empty")
    if len(customer_id) > MAX_CUSTOMER_ID_CHARS:
        raise ValueError(f"the customer id is longer than {MAX_CUSTOMER_ID_CHARS} characters")
    if not customer_id.isprintable():
        raise ValueError("the customer id holds control characters")
    return customer_id


def check_reason(text: str | None) -> str | None:
    """The operator's reason, stripped; None when empty; ValueError if too long."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_REASON_CHARS:
        raise ValueError(f"the reason is longer than {MAX_REASON_CHARS} characters")
    return text.strip()


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _iso(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).isoformat()
