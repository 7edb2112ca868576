"""Churn-risk scoring: a score 0-100 built from named signals, each with its points and a
line a person can read, multiplied for high-value customers and near renewals."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from processors.domain import Severity
from processors.history import DAY_MS, CaseState, CustomerHistory
from processors.interaction import Interaction
from processors.profile import CustomerProfile
from processors.rules import Rules

# Outcomes after which a contact again is a repeat (an abandoned call is its own signal).
FAILED_OUTCOMES = frozenset({"UNRESOLVED", "ESCALATED", "CALLBACK_REQUESTED"})
RECENT_DAYS = 7
# Sentiment at which NEGATIVE_SENTIMENT gives its full weight.
FULL_NEGATIVE = -0.6
CHURN_WORDS = {
    "cancel": "said they want to cancel",
    "close_account": "asked to close their account",
    "competitor": "mentioned moving to a competitor",
    "porting": "asked to take their number elsewhere",
    "contract_end": "plans to leave when their contract ends",
    "not_renewing": "said they will not renew",
    "leaving": "talked of leaving",
    "refund": "asked for their money back",
    "chargeback": "threatened a chargeback",
    "legal": "threatened legal action",
}


@dataclass(frozen=True)
class Reason:
    """Why an alert was raised: a code and a readable line. A signal behind a score also
    carries its weight and the points it added; the reason of an alert that is not a score
    (PUBLIC_PRAISE, ESCALATION_RESOLVED) carries neither (None)."""

    code: str
    weight: float | None
    contribution: float | None
    explanation: str

    @property
    def points(self) -> float:
        """The points it added to a score; 0 for a reason that is not a score's."""
        return self.contribution or 0.0


@dataclass(frozen=True)
class RiskAssessment:
    """The score (0-100), its severity band and the reasons: signals largest first, then
    the multipliers (HIGH_VALUE, RENEWAL_NEAR) with the points they added."""

    score: float
    severity: Severity
    reasons: tuple[Reason, ...]
    base_points: float
    multiplier: float

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


# What scores an interaction: :func:`assess` (the rules' points, the default) or a
# trained model's ``assess`` (processors/model.py), called with the history already updated.
Assessor = Callable[[CustomerHistory, Interaction, CustomerProfile, Rules], RiskAssessment]


def assess(
    history: CustomerHistory,
    interaction: Interaction | None,
    profile: CustomerProfile,
    rules: Rules,
) -> RiskAssessment:
    """Scores ``interaction`` in the light of ``history`` (already updated with it); with
    no interaction, the customer as the history stands at its watermark."""
    signals = [r for r in _signals(history, interaction, rules) if r.points > 0]
    base = float(sum(r.points for r in signals))
    moment = (
        interaction.occurred_at
        if interaction is not None
        else datetime.fromtimestamp(history.watermark / 1000, UTC)
    )
    multipliers = list(_multipliers(profile, moment, rules, base))
    factor = math.prod(f for f, _ in multipliers)
    # Signals first, largest first; then the multipliers that scaled them.
    reasons = sorted(signals, key=lambda r: -r.points) + [r for _, r in multipliers]
    score = round(min(100.0, base * factor), 1)
    return RiskAssessment(
        score=score,
        severity=rules.severity_for(score),
        reasons=tuple(reasons),
        base_points=round(base, 1),
        multiplier=round(factor, 3),
    )


def _signals(h: CustomerHistory, i: Interaction | None, rules: Rules) -> Iterator[Reason]:
    t, w = rules.thresholds, rules.signals
    now = h.watermark
    resolved = h.last_resolved_at or 0

    def reason(code: str, units: float, explanation: str) -> Reason:
        weight = w.get(code).weight
        return Reason(code, weight, round(weight * units, 1), explanation)

    current = i.sentiment if i is not None and i.direction == "INBOUND" else None
    if i is not None and current is not None and current <= t.negative_sentiment:
        strength = min(1.0, current / FULL_NEGATIVE)
        yield reason(
            "NEGATIVE_SENTIMENT",
            strength,
            f"negative tone in this {i.channel.lower()} (sentiment {current:+.2f})",
        )
    elif h.sentiment_recent is not None and h.sentiment_recent <= t.negative_sentiment:
        strength = min(1.0, h.sentiment_recent / FULL_NEGATIVE)
        yield reason(
            "NEGATIVE_SENTIMENT",
            strength,
            f"recent tone is negative (average {h.sentiment_recent:+.2f})",
        )

    if (
        h.sentiment_count >= 4
        and h.sentiment_recent is not None
        and h.sentiment_baseline is not None
        and h.sentiment_baseline - h.sentiment_recent >= t.sentiment_decline
    ):
        yield reason(
            "SENTIMENT_DECLINE",
            1,
            f"tone fell from {h.sentiment_baseline:+.2f} (usual) "
            f"to {h.sentiment_recent:+.2f} (recent)",
        )

    talk = h.churn_talk
    if talk and talk.at > now - t.churn_intent_memory_days * DAY_MS and talk.at >= resolved:
        days = (now - talk.at) // DAY_MS
        here = i is not None and talk.at == _ms(i.occurred_at)
        when = "in this contact" if here else f"{days} day(s) ago"
        yield reason("CHURN_INTENT", 1, f"{CHURN_WORDS.get(talk.category, talk.category)} {when}")

    open_cases = h.open_cases()
    window = t.repeat_window_days
    repeats, repeat_text = _repeats(h, window, open_cases)
    if repeats:
        units = min(repeats, w.REPEAT_CONTACT.cap)
        yield reason("REPEAT_CONTACT", units, repeat_text)

    escalations = sum(case.escalations for case in open_cases)
    if escalations:
        yield reason(
            "ESCALATION",
            min(escalations, w.ESCALATION.cap),
            f"{escalations} escalation(s) on open case(s)",
        )

    long_waits = h.long_waits(RECENT_DAYS)
    if long_waits:
        yield reason(
            "LONG_WAIT",
            min(long_waits, w.LONG_WAIT.cap),
            f"{long_waits} queue wait(s) over {t.long_wait_seconds // 60} min "
            f"in {RECENT_DAYS} days",
        )

    abandoned = h.abandoned(RECENT_DAYS)
    if abandoned:
        yield reason(
            "ABANDONED_CALLS",
            min(abandoned, w.ABANDONED_CALLS.cap),
            f"{abandoned} call(s) abandoned in queue in {RECENT_DAYS} days",
        )

    yield from _survey_signals(h, now, rules, reason)

    complaints = [
        p
        for p in h.public_posts
        if p.at > now - RECENT_DAYS * DAY_MS
        and p.at >= resolved
        and p.sentiment is not None
        and p.sentiment <= t.public_complaint_sentiment
    ]
    if complaints:
        loudest = sorted(complaints, key=lambda p: -p.follower_count)[: w.PUBLIC_COMPLAINT.cap]
        reach = sum((reach_factor(p.follower_count) for p in loudest), 0.0)
        yield reason(
            "PUBLIC_COMPLAINT",
            reach,
            f"{len(complaints)} negative public post(s), reach up to "
            f"{loudest[0].follower_count:,} followers",
        )

    oldest = oldest_open_case(h)
    if oldest is not None:
        age_days = (now - oldest.opened_at) // DAY_MS
        units = min(age_days // t.unresolved_aging_days, w.UNRESOLVED_AGING.cap)
        if units:
            yield reason(
                "UNRESOLVED_AGING",
                units,
                f"case {oldest.case_id} open {age_days} days without resolution",
            )


def oldest_open_case(h: CustomerHistory) -> CaseState | None:
    """The open case UNRESOLVED_AGING looks at: the one opened first."""
    return min(h.open_cases(), key=lambda c: (c.opened_at, c.case_id), default=None)


def next_aging_at(h: CustomerHistory, rules: Rules, after: int) -> int | None:
    """The first moment (epoch ms, event time) after ``after`` at which the oldest open
    case's age crosses a step of ``unresolved_aging_days`` that still adds points; None
    without an open case, or once its points are at their cap."""
    oldest = oldest_open_case(h)
    if oldest is None:
        return None
    step = rules.thresholds.unresolved_aging_days * DAY_MS
    crossing = (max(after, oldest.opened_at) - oldest.opened_at) // step + 1
    if crossing > rules.signals.UNRESOLVED_AGING.cap:
        return None
    return oldest.opened_at + crossing * step


def _survey_signals(
    h: CustomerHistory, now: int, rules: Rules, reason: Callable[[str, float, str], Reason]
) -> Iterator[Reason]:
    """The last survey answers, each by how deep into its bad end it went: half its
    weight at the threshold answer (NPS 6, CSAT 2, effort 5 by default), the full weight
    at the worst one (NPS 0, CSAT 1, effort 7), so a 6 does not count like a 0."""
    t = rules.thresholds
    memory = now - t.survey_memory_days * DAY_MS
    if h.nps and h.nps.at > memory and h.nps.value <= t.detractor_nps_at_most:
        depth = _depth(t.detractor_nps_at_most - h.nps.value, t.detractor_nps_at_most)
        yield reason("DETRACTOR", depth, f"detractor: gave NPS {h.nps.value}/10")
    if h.csat and h.csat.at > memory and h.csat.value <= t.low_csat_at_most:
        depth = _depth(t.low_csat_at_most - h.csat.value, t.low_csat_at_most - 1)
        yield reason("LOW_CSAT", depth, f"low satisfaction: CSAT {h.csat.value}/5")
    if h.ces and h.ces.at > memory and h.ces.value >= t.high_effort_ces_at_least:
        depth = _depth(h.ces.value - t.high_effort_ces_at_least, 7 - t.high_effort_ces_at_least)
        yield reason("HIGH_EFFORT", depth, f"hard to get help: effort {h.ces.value}/7")


def _depth(past_threshold: int, threshold_to_worst: int) -> float:
    """0.5 for the threshold answer, rising evenly to 1 for the worst answer."""
    if threshold_to_worst <= 0:
        return 1.0
    return 0.5 + 0.5 * past_threshold / threshold_to_worst


def _repeats(h: CustomerHistory, window_days: int, open_cases: list[CaseState]) -> tuple[int, str]:
    """Repeat contacts on unresolved issues: on one open case, or after a failed contact.

    Calls abandoned in the queue are left out: the customer never got to talk about the
    issue, so the call back is a first contact, not a repeat (ABANDONED_CALLS counts them).
    """
    horizon = h.watermark - window_days * DAY_MS
    best, text = 0, ""
    talked = Counter(c.case_id for c in h.timeline if c.case_id and c.outcome != "ABANDONED")
    for case in open_cases:
        contacts = talked[case.case_id]
        if case.last_contact_at > horizon and contacts - 1 > best:
            best = contacts - 1
            text = (
                f"{_ordinal(contacts)} contact about case {case.case_id} "
                f"({', '.join(c.lower() for c in case.channels)})"
            )
    recent = [c for c in h.contacts_since_resolution(window_days) if c.outcome != "ABANDONED"]
    first_failure = next((n for n, c in enumerate(recent) if c.outcome in FAILED_OUTCOMES), None)
    if first_failure is not None:
        again = len(recent) - first_failure - 1
        if again > best:
            best = again
            text = f"{again} more contact(s) within {window_days} days of an unresolved one"
    return best, text


def reach_factor(followers: int) -> float:
    """1 for a private audience, up to 2.5 for a large one: 1 + log10(1 + followers) / 4."""
    return round(min(2.5, 1 + math.log10(1 + max(0, followers)) / 4), 3)


def _multipliers(
    profile: CustomerProfile, occurred_at: datetime, rules: Rules, base: float
) -> Iterator[tuple[float, Reason]]:
    m = rules.multipliers
    points = base
    value = m.tier[profile.tier]
    high_value = profile.lifetime_value >= m.high_value_lifetime_value
    if high_value:
        value *= m.high_value_factor
    if value != 1 and base > 0:
        extra = points * (value - 1)
        why = f"{profile.tier.lower()} tier" + (
            f", lifetime value {profile.lifetime_value:,.0f}" if high_value else ""
        )
        yield value, Reason("HIGH_VALUE", round(value, 3), round(extra, 1), why)
        points += extra
    days = profile.days_to_renewal(occurred_at.astimezone(UTC))
    if days is not None and 0 <= days <= m.renewal_within_days and base > 0:
        extra = points * (m.renewal_factor - 1)
        yield (
            m.renewal_factor,
            Reason("RENEWAL_NEAR", m.renewal_factor, round(extra, 1), f"renewal in {days} day(s)"),
        )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
