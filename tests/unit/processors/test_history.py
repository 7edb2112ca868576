"""Customer history: event-time windows, expiry, cases, surveys, public posts, churn talk,
dedupe by interaction id, bounded state and a JSON round trip."""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from datetime import timedelta

import orjson
import pytest

from processors.care import process_interaction
from processors.history import (
    DAY_MS,
    HISTORY_DAYS,
    MAX_CASES,
    MAX_PUBLIC_POSTS,
    MAX_SEEN,
    MAX_TIMELINE,
    CustomerHistory,
    Delivery,
    detect_churn_talk,
    ms,
    update_history,
)
from processors.interaction import Interaction
from tests.unit.processors.journey import (
    RULES,
    at,
    contact,
    history_of,
    post,
    rules_with,
    run,
    survey,
)

# ------------------------------------------------------------------------------- windows


def spread_contacts() -> CustomerHistory:
    return history_of(
        contact("VOICE", at(0)),
        contact("VOICE", at(10)),
        contact("CHAT", at(20)),
        contact("EMAIL", at(25)),
        contact("VOICE", at(26)),
    )


@pytest.mark.parametrize(
    ("days", "channel", "expected"),
    [
        (7, None, 3),  # days 20..26
        (7, "VOICE", 1),
        (7, "CHAT", 1),
        (7, "SOCIAL", 0),
        (30, None, 5),
        (30, "VOICE", 3),
        (1, None, 1),
    ],
)
def test_contacts_per_channel_in_windows(days: int, channel: str | None, expected: int) -> None:
    assert spread_contacts().contacts(days, channel) == expected


def test_a_late_event_is_counted_in_its_own_day() -> None:
    h = spread_contacts()
    watermark = h.watermark

    late = contact("CHAT", at(3))
    update_history(h, late, at(26, minutes=5), RULES)

    assert h.watermark == watermark
    assert h.contacts_by_day[str(ms(at(3)) // DAY_MS)] == {"CHAT": 1}
    assert h.contacts(30, "CHAT") == 2
    assert h.contacts(7) == 3
    assert [c.at for c in h.timeline] == sorted(c.at for c in h.timeline)
    assert ms(at(3)) in [c.at for c in h.timeline]


def test_events_older_than_the_history_before_the_watermark_are_ignored() -> None:
    h = spread_contacts()
    before = copy.deepcopy(h.to_dict())

    too_late = contact(
        "VOICE", at(26) - timedelta(days=HISTORY_DAYS, minutes=1), outcome="ABANDONED"
    )
    update_history(h, too_late, at(26, minutes=5), RULES)

    after = h.to_dict()
    # Remembered as seen, in its place by event time: the oldest.
    assert after.pop("seen") == [too_late.interaction_id] + before.pop("seen")
    assert after.pop("seen_at") == [ms(too_late.occurred_at)] + before.pop("seen_at")
    assert after == before


def test_buckets_and_timeline_expire_as_the_watermark_moves() -> None:
    h = history_of(
        contact("VOICE", at(0), outcome="ABANDONED", queue_wait=900),
        contact("VOICE", at(1), outcome="UNRESOLVED", queue_wait=900),
        contact("CHAT", at(5)),
    )
    assert h.abandoned(30) == 1 and h.long_waits(30) == 1

    update_history(h, contact("EMAIL", at(HISTORY_DAYS, hours=1)), at(HISTORY_DAYS, hours=1), RULES)
    assert h.contacts(HISTORY_DAYS) == 3  # day 0 dropped, days 1, 5 and 30 remain
    assert h.abandoned_by_day == {} and h.long_waits(HISTORY_DAYS) == 1
    assert [c.channel for c in h.timeline] == ["VOICE", "CHAT", "EMAIL"]

    update_history(h, contact("EMAIL", at(40)), at(40), RULES)
    assert set(h.contacts_by_day) == {str(ms(at(30, hours=1)) // DAY_MS), str(ms(at(40)) // DAY_MS)}
    assert [c.channel for c in h.timeline] == ["EMAIL", "EMAIL"]


@pytest.mark.parametrize(
    ("outcome", "queue_wait", "abandoned", "long_waits"),
    [
        ("ABANDONED", 0, 1, 0),
        ("UNRESOLVED", RULES.thresholds.long_wait_seconds, 0, 1),
        ("UNRESOLVED", RULES.thresholds.long_wait_seconds - 1, 0, 0),
        # One abandoned call is one signal: its wait is not a LONG_WAIT as well.
        ("ABANDONED", RULES.thresholds.long_wait_seconds * 2, 1, 0),
    ],
)
def test_abandoned_calls_and_long_waits_are_counted(
    outcome: str, queue_wait: int, abandoned: int, long_waits: int
) -> None:
    h = history_of(contact("VOICE", at(), outcome=outcome, queue_wait=queue_wait))
    assert (h.abandoned(7), h.long_waits(7)) == (abandoned, long_waits)


def test_an_agents_outbound_message_is_not_a_customer_contact() -> None:
    h = history_of(
        contact("EMAIL", at(0), "Hello", sentiment=0.2),
        contact("EMAIL", at(1), "We fixed it", sentiment=0.9, direction="OUTBOUND", case_id="K"),
    )
    assert h.contacts(30) == 1
    assert h.cases == {}
    assert h.sentiment_count == 1
    assert h.watermark == ms(at(1))


def test_sentiment_keeps_a_fast_recent_average_and_a_slow_baseline() -> None:
    h = history_of(contact("CHAT", at(0), sentiment=-0.5), contact("CHAT", at(1), sentiment=0.5))
    assert h.sentiment_count == 2
    assert h.sentiment_recent == pytest.approx(-0.5 + 0.4 * 1.0)
    assert h.sentiment_baseline == pytest.approx(-0.5 + 0.1 * 1.0)


# --------------------------------------------------------------------------------- cases


def test_an_open_case_collects_contacts_channels_and_escalations() -> None:
    h = history_of(
        contact("CHAT", at(0), case_id="K1", outcome="UNRESOLVED"),
        contact("VOICE", at(1), case_id="K1", outcome="ESCALATED"),
        contact("EMAIL", at(2), case_id="K1"),
        contact("VOICE", at(2, hours=1), case_id="K1", outcome="UNRESOLVED"),
        contact("VOICE", at(2, hours=2), case_id="K2", outcome="UNRESOLVED"),
    )
    k1 = h.cases["K1"]
    assert (k1.contacts, k1.channels, k1.escalations) == (4, ["CHAT", "VOICE", "EMAIL"], 1)
    assert (k1.opened_at, k1.last_contact_at) == (ms(at(0)), ms(at(2, hours=1)))
    assert [c.case_id for c in h.open_cases()] == ["K1", "K2"]


def test_a_late_contact_moves_the_case_opening_back() -> None:
    h = history_of(
        contact("VOICE", at(2), case_id="K1", outcome="UNRESOLVED"),
        contact("CHAT", at(1), case_id="K1", outcome="UNRESOLVED"),
    )
    assert (h.cases["K1"].opened_at, h.cases["K1"].last_contact_at) == (ms(at(1)), ms(at(2)))


def test_resolution_closes_the_case_and_a_later_contact_reopens_it() -> None:
    h = history_of(
        contact("CHAT", at(0), case_id="K1", outcome="UNRESOLVED"),
        contact("VOICE", at(1), case_id="K1", outcome="RESOLVED"),
    )
    assert h.cases["K1"].resolved_at == ms(at(1))
    assert h.open_cases() == []
    assert h.last_resolved_at == ms(at(1))

    update_history(h, contact("VOICE", at(3), case_id="K1", outcome="UNRESOLVED"), at(3), RULES)
    assert h.cases["K1"].open
    assert h.cases["K1"].contacts == 3
    assert [c.case_id for c in h.open_cases()] == ["K1"]


def test_a_late_contact_from_before_the_resolution_does_not_reopen_the_case() -> None:
    h = history_of(
        contact("VOICE", at(2), case_id="K1", outcome="RESOLVED"),
        contact("CHAT", at(1), case_id="K1", outcome="UNRESOLVED"),
    )
    assert not h.cases["K1"].open


def test_a_follow_up_is_scheduled_after_an_escalated_case_is_resolved() -> None:
    delay = timedelta(hours=RULES.alerting.follow_up_after_hours)
    h = history_of(
        contact("VOICE", at(0), case_id="K1", outcome="ESCALATED"),
        contact("VOICE", at(1), case_id="K1", outcome="RESOLVED"),
        contact("CHAT", at(1), case_id="K2", outcome="RESOLVED"),  # never escalated
    )
    assert h.follow_ups_due == {"K1": ms(at(1) + delay)}


def test_a_resolution_processed_long_after_its_event_time_is_followed_up_from_now() -> None:
    delay = timedelta(hours=RULES.alerting.follow_up_after_hours)
    h = history_of(contact("VOICE", at(0), case_id="K1", outcome="ESCALATED"))
    now = at(5)

    update_history(h, contact("VOICE", at(1), case_id="K1", outcome="RESOLVED"), now, RULES)

    assert h.follow_ups_due == {"K1": ms(now)}
    assert ms(at(1) + delay) < ms(now)


def test_reopening_a_case_cancels_its_follow_up() -> None:
    h = history_of(
        contact("VOICE", at(0), case_id="K1", outcome="ESCALATED"),
        contact("VOICE", at(0, hours=3), case_id="K1", outcome="RESOLVED"),
    )
    assert "K1" in h.follow_ups_due
    update_history(
        h, contact("CHAT", at(0, hours=5), case_id="K1", outcome="UNRESOLVED"), at(1), RULES
    )
    assert h.follow_ups_due == {}


def test_a_thank_you_email_on_a_resolved_case_keeps_it_resolved() -> None:
    outcomes = run(
        contact("VOICE", at(0), case_id="K1", outcome="ESCALATED", sentiment=-0.4),
        contact("VOICE", at(0, hours=4), case_id="K1", outcome="RESOLVED", sentiment=0.5),
        contact(
            "EMAIL", at(0, hours=6), "Thank you, it all works now!", case_id="K1", sentiment=0.9
        ),
    )
    h = outcomes[-1].history
    assert not h.cases["K1"].open
    assert "K1" in h.follow_ups_due
    assert outcomes[-1].risk is not None and outcomes[-1].risk.score == 0


# ------------------------------------------------------------------ surveys, posts, talk


def test_surveys_keep_the_latest_answer_by_answer_time_per_question() -> None:
    h = history_of(
        contact("VOICE", at(5), survey=survey(at(5), csat=5)),
        contact("VOICE", at(2), survey=survey(at(2), csat=1, nps=3)),  # late, answered earlier
        contact("EMAIL", at(6), survey=survey(at(4), ces=6)),  # answered before it arrived
    )
    assert (h.csat.value, h.csat.at) == (5, ms(at(5)))  # type: ignore[union-attr]
    assert (h.nps.value, h.nps.at) == (3, ms(at(2)))  # type: ignore[union-attr]
    assert (h.ces.value, h.ces.at) == (6, ms(at(4)))  # type: ignore[union-attr]


def test_a_survey_without_answer_time_counts_from_the_contact() -> None:
    from processors.interaction import Survey

    h = history_of(contact("CHAT", at(3), survey=Survey(csat=2)))
    assert (h.csat.value, h.csat.at) == (2, ms(at(3)))  # type: ignore[union-attr]


def test_public_posts_are_kept_and_private_messages_are_not() -> None:
    loud = post(at(1), "Worst service ever", -0.8, followers=5000)
    h = history_of(
        loud,
        contact("SOCIAL", at(2), "DM: still broken", sentiment=-0.6, followers=5000),
    )
    assert [(p.at, p.sentiment, p.follower_count, p.interaction_id) for p in h.public_posts] == [
        (ms(at(1)), -0.8, 5000, loud.interaction_id)
    ]
    assert h.contacts(7, "SOCIAL") == 2


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I want to cancel my subscription", "cancel"),
        ("Please CANCEL  MY\nACCOUNT today", "cancel"),
        ("I’m cancelling my account, this is hopeless", "cancel"),  # typographic apostrophe
        ("Close my account now", "close_account"),
        ("I am switching to a competitor", "competitor"),
        ("I want a refund", "refund"),
        ("I will dispute the charge", "chargeback"),
        ("You will hear from my lawyer", "legal"),
        ("Please cancel my order", None),
        ("cancel", None),
        ("My account balance looks wrong", None),
        ("", None),
    ],
)
def test_churn_talk_is_detected_by_phrase_not_by_single_word(
    text: str, category: str | None
) -> None:
    assert detect_churn_talk(text, RULES.churn_phrases) == category


@pytest.mark.parametrize("text", ["I want to cancel my order", "I'm cancelling my order"])
def test_cancelling_an_order_is_not_churn_talk(text: str) -> None:
    assert detect_churn_talk(text, RULES.churn_phrases) is None


def test_churn_phrases_from_a_rules_file_match_case_insensitively() -> None:
    rules = rules_with({"churn_phrases": {"cancel": ["Cancel My Subscription"]}})
    assert detect_churn_talk("please cancel my subscription", rules.churn_phrases) == "cancel"


def test_churn_talk_follows_the_extra_phrases_it_is_given() -> None:
    # Not leaving by meaning; leaving in a team's own words.
    text = "Please PAUSE my plan for good"
    assert detect_churn_talk(text, {}) is None

    assert detect_churn_talk(text, {"cancel": ["Pause My Plan"]}) == "cancel"
    assert detect_churn_talk(text, {"cancel": ["stop my plan"]}) is None
    # The first category in order wins, whichever phrase occurs first in the text.
    assert detect_churn_talk(text, {"a": ("plan for good",), "b": ("please pause",)}) == "a"
    assert detect_churn_talk(text, {"b": ("please pause",), "a": ("plan for good",)}) == "b"
    # An extra phrase keeps the negation and object checks of the built-in patterns.
    assert detect_churn_talk("I will not pause my plan", {"cancel": ["pause my plan"]}) is None


def test_history_remembers_the_latest_churn_talk() -> None:
    h = history_of(
        contact("CHAT", at(3), "I want a refund"),
        contact("VOICE", at(1), "I will close my account"),  # late: older than the refund talk
        contact("EMAIL", at(4), "Where is my parcel?"),
    )
    assert (h.churn_talk.at, h.churn_talk.category) == (ms(at(3)), "refund")  # type: ignore[union-attr]


# ----------------------------------------------------------------- dedupe and boundedness


def test_a_duplicate_interaction_id_changes_nothing() -> None:
    first = contact(
        "VOICE", at(0), "I want a refund", sentiment=-0.7, case_id="K1", outcome="UNRESOLVED"
    )
    h = history_of(first, contact("CHAT", at(1), sentiment=-0.2, case_id="K1"))
    before = copy.deepcopy(h.to_dict())

    update_history(h, first, at(2), RULES)
    # Same id, different content (a corrupted replay): still ignored.
    update_history(
        h,
        contact("VOICE", at(5), outcome="ABANDONED", interaction_id=first.interaction_id),
        at(5),
        RULES,
    )

    assert h.to_dict() == before


def test_state_stays_bounded_after_500_interactions() -> None:
    interactions = []
    for n in range(500):
        when = at(minutes=50 * n)  # about 17 days: nothing expires by age
        if n % 5 == 0:
            interactions.append(post(when, f"post {n}", -0.4, followers=n))
        else:
            outcome = "RESOLVED" if n % 3 else "UNRESOLVED"
            interactions.append(contact("VOICE", when, case_id=f"K{n}", outcome=outcome))
    h = history_of(*interactions)

    assert len(h.timeline) == MAX_TIMELINE
    assert len(h.cases) == MAX_CASES
    assert len(h.seen) == MAX_SEEN
    assert len(h.public_posts) == MAX_PUBLIC_POSTS
    assert h.timeline[-1].at == ms(interactions[-1].occurred_at)  # the newest are kept
    assert h.seen[-1] == interactions[-1].interaction_id
    assert h.contacts(30) == 500  # the day counters still count everything


def test_over_max_cases_resolved_cases_are_dropped_before_open_ones() -> None:
    interactions = [contact("VOICE", at(0), case_id="OPEN-OLDEST", outcome="UNRESOLVED")]
    interactions += [
        contact("VOICE", at(0, hours=n + 1), case_id=f"R{n}", outcome="RESOLVED")
        for n in range(MAX_CASES)
    ]
    h = history_of(*interactions)

    assert len(h.cases) == MAX_CASES
    assert "OPEN-OLDEST" in h.cases
    assert "R0" not in h.cases  # the oldest resolved one went
    assert f"R{MAX_CASES - 1}" in h.cases


# ----------------------------------------------------------------------- serialization


def rich_history() -> CustomerHistory:
    """A history in which every field holds something other than its default."""
    outcomes = run(
        contact(
            "CHAT",
            at(0),
            "I want to cancel my subscription",
            sentiment=-0.8,
            case_id="K1",
            outcome="ESCALATED",
            queue_wait=900,
        ),
        contact("VOICE", at(0, hours=2), case_id="K1", outcome="ABANDONED"),
        contact(
            "VOICE",
            at(0, hours=3),
            sentiment=-0.6,
            case_id="K1",
            outcome="UNRESOLVED",
            survey=survey(at(0, hours=3), csat=1, nps=2, ces=7),
        ),
        post(at(0, hours=4), "Awful. Never again.", -0.9, followers=12_000),
        contact("VOICE", at(1), sentiment=0.7, case_id="K1", outcome="RESOLVED"),
        contact("VOICE", at(1, hours=1), sentiment=0.2, case_id="K2", outcome="UNRESOLVED"),
    )
    h = outcomes[-1].history
    # What a follow-up tick sent: the alert records of the history's own deliveries.
    sent = [a for d in h.deliveries.values() for a in d.alerts][:1]
    h.tick_deliveries.append(Delivery("2:40", sent))
    for f in dataclasses.fields(CustomerHistory):
        default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        assert getattr(h, f.name) != default, f.name
    return h


def test_to_dict_from_dict_round_trips_through_json() -> None:
    h = rich_history()

    restored = CustomerHistory.from_dict(json.loads(json.dumps(h.to_dict())))

    assert restored == h
    assert restored.to_dict() == h.to_dict()
    assert restored.contacts(7) == h.contacts(7)
    assert [c.case_id for c in restored.open_cases()] == ["K2"]


def test_to_dict_is_what_asdict_gives_in_the_same_order() -> None:
    h = rich_history()

    assert h.to_dict() == dataclasses.asdict(h)
    # Same keys in the same order at every level: the stored JSON is byte for byte the same.
    assert json.dumps(h.to_dict()) == json.dumps(dataclasses.asdict(h))


def test_to_dict_shares_no_state_with_the_history() -> None:
    h = rich_history()
    stored = h.to_dict()
    before = copy.deepcopy(stored)

    # A contact on a new channel of an open case, then an alert update, all in place.
    update_history(
        h,
        contact(
            "CHAT", at(2), "I want a refund", sentiment=-0.5, case_id="K2", outcome="ESCALATED"
        ),
        at(2, minutes=1),
        RULES,
    )
    next(iter(h.open_alerts.values())).version += 1

    assert stored == before
    assert h.to_dict() != before


def test_from_dict_restores_a_history_stored_before_any_contact() -> None:
    empty = CustomerHistory("C-1")

    assert CustomerHistory.from_dict(empty.to_dict()) == empty
    assert CustomerHistory.from_dict({"customer_id": "C-1"}) == empty


def test_orjson_writes_a_history_as_its_to_dict_at_every_step() -> None:
    # The worker stores orjson.dumps(history): it must be to_dict's JSON byte for byte, and
    # read back by from_dict as the same history, which writes the same bytes again.
    def holds(h: CustomerHistory) -> None:
        stored = orjson.dumps(h)
        assert stored == orjson.dumps(h.to_dict())
        restored = CustomerHistory.from_dict(orjson.loads(stored))
        assert restored == h
        assert orjson.dumps(restored) == stored
        # Keys in another order (not a form written here) make the same history all the same.
        reordered = dict(reversed(orjson.loads(stored).items()))
        assert orjson.dumps(CustomerHistory.from_dict(reordered)) == stored

    holds(rich_history())
    holds(CustomerHistory("C-1"))
    ledgers = 0
    for seed in range(16):
        order = one_customers_events(seed)
        random.Random(seed).shuffle(order)
        history = None
        for n, interaction in enumerate(order):
            now = interaction.occurred_at + timedelta(hours=n % 30)
            history = process_interaction(history, interaction, None, RULES, now).history
            holds(history)
        ledgers += history is not None and history.at_risk_ledger is not None
    assert ledgers


# ------------------------------------------------------------ event time, not arrival order

# Fields that record alert decisions and processing time: they may differ by arrival order.
# deliveries: what each interaction sent, which follows the decisions; applied: how many
# interactions were scored, the arrival order's counter.
DECISIONS = (
    "open_alerts",
    "closed_alerts_at",
    "last_score",
    "follow_ups_due",
    "deliveries",
    "applied",
    "at_risk_ledger",
)


def state(h: CustomerHistory) -> dict[str, object]:
    """What must not depend on the arrival order: the history without its decisions."""
    return {k: v for k, v in h.to_dict().items() if k not in DECISIONS}


def one_customers_events(seed: int) -> list[Interaction]:
    """About 40 interactions over 45 days (so some leave the window): every channel, cases
    escalated, resolved and reopened, thank-yous, surveys answered before and after their
    contact, public and private posts, churn talk, agents' messages, contacts at the same
    moment, and a few duplicates."""
    rng = random.Random(seed)
    events: list[Interaction] = []
    for n in range(36):
        when = at(rng.uniform(0, 45)).replace(microsecond=0)
        if n % 7 == 3 and events:
            when = events[-1].occurred_at  # the same moment as another contact
        channel = rng.choice(["VOICE", "EMAIL", "CHAT", "SOCIAL"])
        text = rng.choice(["help", "I want a refund", "I want to cancel my subscription", ""])
        answer = None
        if rng.random() < 0.2:
            answered = when + timedelta(hours=rng.uniform(-30, 30))
            answer = survey(answered, csat=rng.randint(1, 5), nps=rng.choice([None, 2, 9]))
        events.append(
            contact(
                channel,
                when,
                text,
                sentiment=rng.choice([None, round(rng.uniform(-1, 1), 2)]),
                outcome=rng.choice(["NONE", "RESOLVED", "UNRESOLVED", "ESCALATED", "ABANDONED"]),
                case_id=rng.choice([None, "K1", "K2", "K3"]),
                survey=answer,
                public=channel == "SOCIAL" and rng.random() < 0.7,
                followers=rng.randint(0, 20_000),
                queue_wait=rng.choice([0, 0, 900]),
                direction="OUTBOUND" if rng.random() < 0.1 else "INBOUND",
            )
        )
    return events + rng.sample(events, 4)  # replays of some of them


def replayed(events: list[Interaction], seed: int) -> CustomerHistory:
    """The history after ``events`` in a shuffled arrival order, each processed a while after
    it occurred or when a later one has arrived, through alert decisions as in the workers."""
    order = events[:]
    random.Random(seed).shuffle(order)
    history = None
    clock = order[0].occurred_at
    for interaction in order:
        clock = max(clock, interaction.occurred_at) + timedelta(minutes=1)
        history = process_interaction(history, interaction, None, RULES, clock).history
    assert history is not None
    return history


@pytest.mark.parametrize("seed", range(8))
def test_the_history_is_the_same_whatever_the_arrival_order(seed: int) -> None:
    events = one_customers_events(seed)
    by_event_time = history_of(*sorted(events, key=lambda i: i.occurred_at))

    for shuffle in range(6):
        assert state(replayed(events, 100 * seed + shuffle)) == state(by_event_time)
    assert state(history_of(*reversed(events))) == state(by_event_time)


def test_the_generated_events_exercise_what_the_order_could_change() -> None:
    events = [e for seed in range(8) for e in one_customers_events(seed)]
    span = max(e.occurred_at for e in events) - min(e.occurred_at for e in events)
    h = history_of(*sorted(one_customers_events(0), key=lambda i: i.occurred_at))

    assert span > timedelta(days=HISTORY_DAYS)
    assert len({e.interaction_id for e in events}) < len(events)  # duplicates
    assert len({e.occurred_at for e in events}) < len({e.interaction_id for e in events})
    assert {"RESOLVED", "UNRESOLVED", "ESCALATED"} <= {e.outcome for e in events}
    assert any(e.survey for e in events) and any(e.social and e.social.is_public for e in events)
    assert any(e.direction == "OUTBOUND" for e in events)
    assert h.cases and h.sentiment_count >= 4 and h.churn_talk is not None


def test_reversed_input_gives_the_same_sentiment_averages() -> None:
    tones = [0.6, 0.4, -0.2, -0.7, 0.1, -0.9]
    contacts = [contact("CHAT", at(n), sentiment=s) for n, s in enumerate(tones)]

    forward, backward = history_of(*contacts), history_of(*reversed(contacts))

    averages = (forward.sentiment_recent, forward.sentiment_baseline, forward.sentiment_count)
    assert (backward.sentiment_recent, backward.sentiment_baseline) == averages[:2]
    assert backward.sentiment_count == averages[2] == len(tones)
    # In event-time order the averages are what folding each contact in as it came gives.
    recent = baseline = tones[0]
    for s in tones[1:]:
        recent, baseline = (
            round(recent + 0.4 * (s - recent), 4),
            round(baseline + 0.1 * (s - baseline), 4),
        )
    assert averages[:2] == (recent, baseline)


def test_a_resolution_that_arrives_after_a_later_reopening_leaves_the_case_open() -> None:
    resolved = contact("VOICE", at(1), case_id="K1", outcome="RESOLVED")
    reopened = contact("CHAT", at(2), case_id="K1", outcome="UNRESOLVED")
    first = contact("VOICE", at(0), case_id="K1", outcome="ESCALATED")

    in_order = history_of(first, resolved, reopened)
    late_resolution = history_of(first, reopened, resolved)

    assert in_order.cases["K1"].open and late_resolution.cases["K1"].open
    assert state(late_resolution) == state(in_order)
    assert late_resolution.follow_ups_due == {}  # no follow-up for a case still open


def test_contacts_at_the_same_moment_are_ordered_by_interaction_id() -> None:
    a = contact("VOICE", at(1), case_id="K1", outcome="UNRESOLVED", sentiment=-0.5)
    b = contact("CHAT", at(1), case_id="K1", outcome="ESCALATED", sentiment=0.5)

    ab, ba = history_of(a, b), history_of(b, a)

    assert state(ab) == state(ba)
    first, second = sorted([a, b], key=lambda i: i.interaction_id)
    assert [c.interaction_id for c in ab.timeline] == [first.interaction_id, second.interaction_id]
    assert ab.cases["K1"].channels == [first.channel, second.channel]


def test_seen_keeps_the_newest_ids_by_event_time() -> None:
    contacts = [contact("EMAIL", at(minutes=n)) for n in range(MAX_SEEN + 5)]
    late_first = history_of(*reversed(contacts))

    assert late_first.seen == [c.interaction_id for c in contacts[-MAX_SEEN:]]
    assert late_first.seen_at == [ms(c.occurred_at) for c in contacts[-MAX_SEEN:]]
    assert state(late_first) == state(history_of(*contacts))


def test_a_late_contact_older_than_the_window_counts_in_no_order() -> None:
    old = contact(
        "VOICE",
        at(0),
        "I want a refund",
        sentiment=-0.9,
        case_id="K1",
        outcome="ESCALATED",
        survey=survey(at(0), csat=1),
    )
    mid = contact("CHAT", at(20), sentiment=0.3, case_id="K1")
    new = contact("EMAIL", at(HISTORY_DAYS + 5), sentiment=0.5)

    for order in ((old, mid, new), (new, old, mid), (mid, new, old)):
        h = history_of(*order)
        assert h.cases["K1"].contacts == 1 and h.cases["K1"].escalations == 0, order
        assert (h.sentiment_count, h.churn_talk, h.csat) == (2, None, None), order
        assert h.seen_at == sorted(h.seen_at)


def test_a_recent_answer_on_a_late_contact_counts() -> None:
    newest = contact("EMAIL", at(HISTORY_DAYS + 5))
    late = contact("VOICE", at(1), survey=survey(at(HISTORY_DAYS + 1), nps=2))

    for order in ((late, newest), (newest, late)):
        h = history_of(*order)
        assert (h.nps.value, h.nps.at) == (2, ms(at(HISTORY_DAYS + 1)))  # type: ignore[union-attr]


def test_answers_churn_talk_and_the_last_resolution_leave_with_the_window() -> None:
    h = history_of(
        contact("VOICE", at(0), "I want a refund", outcome="RESOLVED", survey=survey(at(0), csat=2))
    )
    assert h.csat and h.churn_talk and h.last_resolved_at

    update_history(h, contact("EMAIL", at(HISTORY_DAYS, hours=1)), at(HISTORY_DAYS, hours=1), RULES)

    assert (h.csat, h.churn_talk, h.last_resolved_at) == (None, None, None)


def test_a_history_stored_before_event_time_ordering_still_loads() -> None:
    stored = rich_history().to_dict()
    for contact_ in stored["timeline"]:
        del contact_["sentiment"], contact_["interaction_id"]
    for name in ("csat", "nps", "ces", "churn_talk"):
        del stored[name]["interaction_id"]
    del stored["seen_at"]
    stored["seen"] = ["b", "c", "a"]  # in arrival order, as it was kept

    h = CustomerHistory.from_dict(json.loads(json.dumps(stored)))

    assert h.seen == ["a", "b", "c"] and h.seen_at == [h.watermark] * 3
    assert h.timeline[0].interaction_id == "" and h.timeline[0].sentiment is None
    assert h.csat is not None and h.csat.interaction_id == ""
    assert h.cases == rich_history().cases
    update_history(h, contact("CHAT", at(2), sentiment=-0.4, case_id="K2"), at(2), RULES)
    assert h.cases["K2"].contacts == 2
    assert (h.sentiment_recent, h.sentiment_count) == (-0.4, 1)  # old contacts had no tone kept
