"""Care alert decisions: open, escalate, close (RECOVERED) or stay quiet, per customer and type.

At most one alert per customer and type is open. A rising severity escalates it: a new
record with the same ``alert_id`` and a higher ``version``. After an alert closes, its
type's cooldown stops repeats. Alert ids derive from the customer, the type and the
triggering interaction, so reprocessing after a crash yields the same ids. Times in the
decisions are event times, so replays decide the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from processors.domain import AlertStatus, AlertType, Channel, Severity, Tier
from processors.history import CustomerHistory, OpenAlert, ms
from processors.interaction import Interaction
from processors.playbook import choose_action
from processors.profile import CustomerProfile
from processors.risk import Reason, RiskAssessment, reach_factor
from processors.rules import Rules, severity_rank
from processors.tone import read_tone

# Public posts older than this (by event time, against the newest event) get no alert.
PUBLIC_POST_MAX_AGE_MS = 2 * 86_400_000


@dataclass(frozen=True)
class CareAlert:
    """One record of schemas/CareAlert.avsc."""

    alert_id: str
    version: int
    customer_id: str
    alert_type: AlertType
    severity: Severity
    status: AlertStatus
    score: float
    reasons: tuple[Reason, ...]
    explanation: str
    excerpt: str
    channel: Channel
    interaction_id: str
    case_id: str | None
    customer_tier: Tier
    recommended_action: str
    playbook_id: str
    respond_by: datetime | None
    event_time: datetime
    created_at: datetime
    rules_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form, times as epoch milliseconds: how a history keeps what it sent."""
        record = self.to_record()
        for name in ("respond_by", "event_time", "created_at"):
            moment = record[name]
            record[name] = None if moment is None else int(moment.timestamp() * 1000)
        return record

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CareAlert:
        values = dict(data)
        values["reasons"] = tuple(Reason(**r) for r in values["reasons"])
        for name in ("respond_by", "event_time", "created_at"):
            at = values[name]
            values[name] = None if at is None else datetime.fromtimestamp(at / 1000, UTC)
        return cls(**values)

    def to_record(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "version": self.version,
            "customer_id": self.customer_id,
            "alert_type": self.alert_type,
            "severity": self.severity,
            "status": self.status,
            "score": self.score,
            "reasons": [
                {
                    "code": r.code,
                    "weight": r.weight,
                    "contribution": r.contribution,
                    "explanation": r.explanation,
                }
                for r in self.reasons
            ],
            "explanation": self.explanation,
            "excerpt": self.excerpt,
            "channel": self.channel,
            "interaction_id": self.interaction_id,
            "case_id": self.case_id,
            "customer_tier": self.customer_tier,
            "recommended_action": self.recommended_action,
            "playbook_id": self.playbook_id,
            "respond_by": self.respond_by,
            "event_time": self.event_time,
            "created_at": self.created_at,
            "rules_version": self.rules_version,
        }


def alert_id(customer_id: str, alert_type: AlertType, trigger: str) -> str:
    """Deterministic id of the alert that ``trigger`` (an interaction id) opened."""
    digest = hashlib.sha256(f"{customer_id}\x1f{alert_type}\x1f{trigger}".encode())
    return digest.hexdigest()[:32]


def decide(
    history: CustomerHistory,
    interaction: Interaction,
    risk: RiskAssessment,
    profile: CustomerProfile,
    rules: Rules,
    now: datetime,
) -> list[CareAlert]:
    """The alert records this interaction causes; ``history`` records what is open."""
    at = ms(interaction.occurred_at)
    _expire_open_alerts(history, at, rules)
    context = _Context(history, Trigger.of(interaction), profile, rules, now)
    alerts = []
    at_risk = _at_risk(context, risk, at)
    if at_risk:
        alerts.append(at_risk)
    public = _public_post(context, interaction, risk, at)
    if public:
        alerts.append(public)
    history.last_score = risk.score
    return alerts


@dataclass(frozen=True)
class Trigger:
    """What an alert record is about: an interaction, or a check between contacts (then
    ``interaction_id`` names the check, e.g. ``aging:K1:<epoch ms>``, and ``text`` is "")."""

    customer_id: str
    interaction_id: str
    channel: Channel
    case_id: str | None
    text: str
    occurred_at: datetime

    @classmethod
    def of(cls, i: Interaction) -> Trigger:
        return cls(i.customer_id, i.interaction_id, i.channel, i.case_id, i.text, i.occurred_at)


@dataclass(frozen=True)
class _Context:
    history: CustomerHistory
    trigger: Trigger
    profile: CustomerProfile
    rules: Rules
    now: datetime

    def alert(
        self,
        open_alert: OpenAlert,
        status: AlertStatus,
        reasons: tuple[Reason, ...],
        explanation: str,
        record_type: AlertType | None = None,
    ) -> CareAlert:
        alert_type = record_type or open_alert.alert_type
        entry = choose_action(
            self.rules.playbook, alert_type, open_alert.severity, self.profile.tier
        )
        i = self.trigger
        return CareAlert(
            alert_id=open_alert.alert_id,
            version=open_alert.version,
            customer_id=i.customer_id,
            alert_type=alert_type,
            severity=open_alert.severity,
            status=status,
            score=open_alert.score,
            reasons=reasons,
            explanation=explanation,
            excerpt=excerpt(i.text, self.rules.alerting.excerpt_chars),
            channel=i.channel,
            interaction_id=i.interaction_id,
            case_id=i.case_id,
            customer_tier=self.profile.tier,
            recommended_action=entry.action,
            playbook_id=entry.id,
            respond_by=(
                None
                if status == "CLOSED"
                else self.now + timedelta(minutes=entry.respond_within_minutes)
            ),
            event_time=i.occurred_at,
            created_at=self.now,
            rules_version=self.rules.version,
        )


def raise_at_risk(
    history: CustomerHistory,
    trigger: Trigger,
    risk: RiskAssessment,
    profile: CustomerProfile,
    rules: Rules,
    now: datetime,
) -> CareAlert | None:
    """The AT_RISK record of a check between contacts (``trigger``, at its
    ``occurred_at``): opens or escalates the alert as a contact would, never closes it
    (a recovery needs the customer)."""
    context = _Context(history, trigger, profile, rules, now)
    alert = _at_risk(context, risk, ms(trigger.occurred_at), may_close=False)
    history.last_score = risk.score
    return alert


def _at_risk(
    c: _Context, risk: RiskAssessment, at: int, may_close: bool = True
) -> CareAlert | None:
    h, rules, i = c.history, c.rules, c.trigger
    current = h.open_alerts.get("AT_RISK")
    if current is None:
        if risk.score < rules.alerting.at_risk_threshold or _cooling_down(h, "AT_RISK", at, rules):
            return None
        opened = OpenAlert(
            alert_id(i.customer_id, "AT_RISK", i.interaction_id),
            "AT_RISK",
            risk.severity,
            1,
            risk.score,
            at,
            at,
            i.interaction_id,
            i.case_id,
        )
        h.open_alerts["AT_RISK"] = opened
        return c.alert(opened, "OPEN", risk.reasons, f"risk {risk.score:.0f}/100: {_summary(risk)}")
    if severity_rank(risk.severity) > severity_rank(current.severity):
        current.severity, current.score, current.updated_at = risk.severity, risk.score, at
        current.version += 1
        return c.alert(
            current,
            "ESCALATED",
            risk.reasons,
            f"risk rose to {risk.score:.0f}/100: {_summary(risk)}",
        )
    if may_close and risk.score < rules.alerting.recover_below:
        del h.open_alerts["AT_RISK"]
        h.closed_alerts_at["AT_RISK"] = at
        current.version += 1
        current.score, current.updated_at, current.severity = risk.score, at, "LOW"
        return c.alert(
            current,
            "CLOSED",
            risk.reasons,
            f"risk fell back to {risk.score:.0f}/100 after {i.channel.lower()} contact",
            record_type="RECOVERED",
        )
    current.score = risk.score
    return None


def _summary(risk: RiskAssessment) -> str:
    """The explanations of the three leading reasons."""
    return "; ".join(r.explanation for r in risk.reasons[:3])


def _public_post(c: _Context, i: Interaction, risk: RiskAssessment, at: int) -> CareAlert | None:
    rules, h = c.rules, c.history
    social, sentiment = i.social, i.sentiment
    if social is None or not social.is_public or sentiment is None:
        return None
    if at < h.watermark - PUBLIC_POST_MAX_AGE_MS:
        return None  # a late post: too old to answer in public now
    t = rules.thresholds
    alert_type: AlertType
    severity: Severity
    if sentiment <= t.public_complaint_sentiment:
        alert_type = "PUBLIC_COMPLAINT"
        severity = "LOW"
        if social.follower_count >= t.public_reach_medium:
            severity = "MEDIUM"
        if social.follower_count >= t.public_reach_high:
            severity = "HIGH"
        if "CHURN_INTENT" in risk.codes and severity_rank(severity) >= severity_rank("MEDIUM"):
            severity = "CRITICAL" if severity == "HIGH" else "HIGH"
        units = reach_factor(social.follower_count)
        weight = rules.signals.PUBLIC_COMPLAINT.weight
        score = round(weight * units, 1)  # the post's own points, not the customer's risk
        reason = Reason(
            "PUBLIC_COMPLAINT",
            weight,
            score,
            f"negative public post on {social.platform.lower()} "
            f"({social.follower_count:,} followers, sentiment {sentiment:+.2f})",
        )
        explanation = f"public complaint on {social.platform.lower()}: respond fast"
    elif sentiment >= t.praise_sentiment and read_tone(i.text).is_praise:
        alert_type, severity, score = "PRAISE", "LOW", risk.score
        reason = Reason(
            "PUBLIC_PRAISE",
            None,
            None,
            f"positive public post on {social.platform.lower()} "
            f"({social.follower_count:,} followers, sentiment {sentiment:+.2f})",
        )
        explanation = f"public praise on {social.platform.lower()}: thank them"
    else:
        return None

    current = h.open_alerts.get(alert_type)
    if current is not None:
        if severity_rank(severity) <= severity_rank(current.severity):
            return None
        current.severity, current.score, current.updated_at = severity, score, at
        current.version += 1
        return c.alert(current, "ESCALATED", (reason,), explanation)
    if _cooling_down(h, alert_type, at, rules):
        return None
    opened = OpenAlert(
        alert_id(i.customer_id, alert_type, i.interaction_id),
        alert_type,
        severity,
        1,
        score,
        at,
        at,
        i.interaction_id,
        i.case_id,
    )
    h.open_alerts[alert_type] = opened
    return c.alert(opened, "OPEN", (reason,), explanation)


def excerpt(text: str, limit: int) -> str:
    """The opening of the (already redacted) text, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[: cut if cut > limit // 2 else limit - 1] + "…"


def _cooling_down(h: CustomerHistory, alert_type: AlertType, at: int, rules: Rules) -> bool:
    closed = h.closed_alerts_at.get(alert_type)
    cooldown = rules.cooldown(alert_type)
    return closed is not None and at - closed < cooldown.total_seconds() * 1000


def _expire_open_alerts(h: CustomerHistory, at: int, rules: Rules) -> None:
    """Public-post alerts close on their own once their cooldown has passed quietly."""
    for alert_type in ("PUBLIC_COMPLAINT", "PRAISE"):
        current = h.open_alerts.get(alert_type)
        if current is None:
            continue
        cooldown_ms = rules.cooldown(alert_type).total_seconds() * 1000
        if at - current.updated_at >= cooldown_ms:
            del h.open_alerts[alert_type]
            h.closed_alerts_at[alert_type] = current.updated_at
