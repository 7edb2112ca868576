"""The CRM profile of a customer, as the scorer and the playbook read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from processors.domain import Tier


@dataclass(frozen=True)
class CustomerProfile:
    """Tier, value and renewal of a customer (schemas/CustomerProfile.avsc)."""

    customer_id: str
    tier: Tier = "BASIC"
    lifetime_value: float = 0.0
    renewal_date: date | None = None
    social_handles: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def unknown(cls, customer_id: str) -> CustomerProfile:
        """The profile assumed before the CRM snapshot of a customer arrives."""
        return cls(customer_id)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> CustomerProfile:
        return cls(
            customer_id=record["customer_id"],
            tier=record["tier"],
            lifetime_value=float(record["lifetime_value"]),
            renewal_date=record.get("renewal_date"),
            social_handles=tuple((h["platform"], h["handle"]) for h in record["social_handles"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form, for the profiles table."""
        return {
            "customer_id": self.customer_id,
            "tier": self.tier,
            "lifetime_value": self.lifetime_value,
            "renewal_date": self.renewal_date.isoformat() if self.renewal_date else None,
            "social_handles": [list(h) for h in self.social_handles],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CustomerProfile:
        renewal = data.get("renewal_date")
        return cls(
            customer_id=data["customer_id"],
            tier=data["tier"],
            lifetime_value=data["lifetime_value"],
            renewal_date=date.fromisoformat(renewal) if renewal else None,
            social_handles=tuple((p, h) for p, h in data.get("social_handles", [])),
        )

    def days_to_renewal(self, now: datetime) -> int | None:
        if self.renewal_date is None:
            return None
        return (self.renewal_date - now.date()).days
