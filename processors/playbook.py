"""The playbook: which action to recommend for an alert's type, severity and tier."""

from __future__ import annotations

from collections.abc import Sequence

from processors.domain import AlertType, Severity, Tier
from processors.rules import PlaybookEntry, severity_rank


def choose_action(
    playbook: Sequence[PlaybookEntry], alert_type: AlertType, severity: Severity, tier: Tier
) -> PlaybookEntry:
    """The most specific entry that applies: highest ``min_severity`` reached, then the
    fewest tiers. Rules validation guarantees a LOW entry for every type and tier."""
    rank = severity_rank(severity)
    applicable = [
        entry
        for entry in playbook
        if entry.alert_type == alert_type
        and tier in entry.tiers
        and severity_rank(entry.min_severity) <= rank
    ]
    if not applicable:
        raise LookupError(f"no playbook entry for {alert_type}/{severity}/{tier}")
    return max(applicable, key=lambda e: (severity_rank(e.min_severity), -len(e.tiers)))
