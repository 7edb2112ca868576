"""Web views of a worker: the customer 360 lookup, served by the owner of the customer, and
the probes an orchestrator asks: /healthz (alive) and /ready (serving its partitions)."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

import faust
from faust.web import Request, Response, View

from pipeline.settings import Settings
from pipeline.worker.tables import Tables, get_json
from processors.history import CustomerHistory
from processors.profile import CustomerProfile


def register(app: faust.App, tables: Tables, settings: Settings) -> None:
    token = settings.api_token.get_secret_value() if settings.api_token else None

    @app.page("/healthz")
    class Health(View):
        """GET /healthz: 200 while the worker's event loop serves requests."""

        async def get(self, request: Request) -> Response:
            return self.json({"status": "alive"})

    @app.page("/ready")
    class Ready(View):
        """GET /ready: 200 once the worker holds its partitions with their tables
        recovered, 503 while it joins, rebalances or recovers."""

        async def get(self, request: Request) -> Response:
            state = readiness(app)
            return self.json(state, status=200 if state["ready"] else 503)

    @app.page("/customers/{customer_id}")
    class CustomerLookup(View):
        """GET /customers/{id}: history, current risk and open alerts, as JSON; 503
        while the worker joins, rebalances or recovers."""

        async def get(self, request: Request, customer_id: str) -> Response:
            if token is not None and not _authorized(request, token):
                return self.json(
                    {"error": "unauthorized"},
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="care-pipeline"'},
                )
            # Until the worker holds its partitions, neither it nor Faust's router knows
            # which worker owns the customer.
            if not readiness(app)["ready"]:
                return self.json(
                    {"error": "not ready", "customer_id": customer_id},
                    status=503,
                    headers={"Retry-After": "1"},
                )
            return await self._routed(request, customer_id=customer_id)

        @app.table_route(table=tables.histories, match_info="customer_id")
        async def _routed(self, request: Request, customer_id: str) -> Response:
            stored = get_json(tables.histories, customer_id.encode())
            if stored is None:
                return self.json(
                    {"error": "unknown customer", "customer_id": customer_id}, status=404
                )
            profile = get_json(tables.profiles, customer_id.encode())
            return self.json(
                customer_view(
                    CustomerHistory.from_dict(stored),
                    CustomerProfile.from_dict(profile) if profile else None,
                )
            )


def readiness(app: faust.App) -> dict[str, Any]:
    """Whether the worker serves its partitions, from Faust's own flags: the table
    recovery has completed once, and no rebalance or recovery is under way now."""
    recovery = app.tables.recovery
    recovered = recovery.completed.is_set()
    rebalancing = bool(app.rebalancing)
    recovering = bool(recovery.in_recovery)
    return {
        "ready": recovered and not rebalancing and not recovering,
        "recovered": recovered,
        "rebalancing": rebalancing,
        "recovering": recovering,
    }


def _authorized(request: Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip(), token)


def customer_view(h: CustomerHistory, profile: CustomerProfile | None) -> dict[str, Any]:
    """The JSON body of the lookup."""
    channels = ("VOICE", "EMAIL", "CHAT", "SOCIAL")
    return {
        "customer_id": h.customer_id,
        "profile": profile.to_dict() if profile else None,
        "as_of": _iso(h.watermark),
        "contacts": {
            "last_7_days": {c: h.contacts(7, c) for c in channels},
            "last_30_days": {c: h.contacts(30, c) for c in channels},
        },
        "open_cases": [
            {
                "case_id": case.case_id,
                "opened_at": _iso(case.opened_at),
                "last_contact_at": _iso(case.last_contact_at),
                "contacts": case.contacts,
                "channels": case.channels,
                "escalations": case.escalations,
            }
            for case in h.open_cases()
        ],
        "sentiment": {
            "recent": h.sentiment_recent,
            "baseline": h.sentiment_baseline,
            "scored_contacts": h.sentiment_count,
        },
        "surveys": {
            name: {"value": answer.value, "at": _iso(answer.at)} if answer else None
            for name, answer in (("csat", h.csat), ("nps", h.nps), ("ces", h.ces))
        },
        "abandoned_calls_7_days": h.abandoned(7),
        "long_waits_7_days": h.long_waits(7),
        "public_posts_30_days": len(h.public_posts),
        "risk": {"score": h.last_score},
        "open_alerts": [
            {
                "alert_id": alert.alert_id,
                "alert_type": alert.alert_type,
                "severity": alert.severity,
                "version": alert.version,
                "opened_at": _iso(alert.opened_at),
            }
            for alert in h.open_alerts.values()
        ],
        "follow_ups_due": {case: _iso(due) for case, due in h.follow_ups_due.items()},
    }


def _iso(at_ms: int | None) -> str | None:
    if not at_ms:
        return None
    return datetime.fromtimestamp(at_ms / 1000, UTC).isoformat()
