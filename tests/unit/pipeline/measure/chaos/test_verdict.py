"""The chaos verdict: lost, invented and duplicated records, raw records unaccounted for,
and the alerts a scorer had to send given the order it met the interactions in."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from pipeline.measure.chaos.verdict import Expected, Outputs, agreement, expected_alerts, judge
from processors.alerts import alert_id
from processors.care import process_interaction
from processors.history import ms
from processors.interaction import Interaction
from tests.unit.processors.journey import CUSTOMER, RULES, T0, contact, post

RAW = [("voice", 0, n) for n in range(4)]


def outputs(alerts: dict[tuple[str, int], int], ids: dict[str, int], handled: int) -> Outputs:
    return Outputs(alerts=Counter(alerts), normalized=Counter(ids), handled=set(RAW[:handled]))


def test_a_run_like_the_expected_one_is_ok_and_duplicates_are_only_counted() -> None:
    clean = outputs({("a", 1): 1, ("a", 2): 1}, {"i1": 1, "i2": 1}, 4)
    run = outputs({("a", 1): 3, ("a", 2): 1, ("f", 1): 1}, {"i1": 2, "i2": 1}, 4)

    verdict = judge(Expected({("a", 1), ("a", 2)}, {("f", 1)}), clean, run, RAW)

    assert verdict.ok
    assert (verdict.alert_duplicates, verdict.normalized_duplicates) == (2, 1)


def test_a_version_the_timer_may_send_is_still_required_when_an_interaction_must_send_it() -> None:
    # An aging check allows versions 2 and 3 of an open AT_RISK; a later interaction had
    # to send version 2: got, it is neither lost nor invented; missing, it is lost.
    expected = Expected({("a", 1), ("a", 2)}, {("a", 2), ("a", 3)})
    clean = outputs({("a", 1): 1, ("a", 2): 1}, {"i1": 1}, 4)
    assert judge(expected, clean, clean, RAW).ok
    missing = outputs({("a", 1): 1}, {"i1": 1}, 4)
    verdict = judge(expected, clean, missing, RAW)
    assert (verdict.alerts_lost, verdict.alerts_invented) == (1, 0)


def test_lost_and_invented_alerts_interactions_and_raw_records_fail_the_run() -> None:
    clean = outputs({("a", 1): 1, ("a", 2): 1}, {"i1": 1, "i2": 1}, 4)
    run = outputs({("a", 1): 1, ("b", 1): 1}, {"i1": 1, "i3": 1}, 3)

    verdict = judge(Expected({("a", 1), ("a", 2)}, {("f", 1)}), clean, run, RAW)

    assert not verdict.ok
    assert (verdict.alerts_lost, verdict.alerts_invented) == (1, 1)
    assert (verdict.normalized_lost, verdict.normalized_invented) == (1, 1)
    assert verdict.raw_unaccounted == 1
    assert verdict.examples["alerts_lost"] == ["a v2"]
    assert verdict.examples["raw_unaccounted"] == ["voice[0]@3"]
    assert verdict.alerts_unlike_clean == 2


def test_expected_alerts_follow_the_logged_order_and_count_a_replay_once() -> None:
    calls = [
        contact("VOICE", T0 + timedelta(hours=h), "Fix it, this is awful", -0.9,
                outcome="UNRESOLVED", case_id="k1")
        for h in range(3)
    ]  # fmt: skip
    complaint = post(T0 + timedelta(hours=4), "Terrible service", -0.8, followers=20_000)
    log = [(0, i.to_record()) for i in (*calls, complaint)]
    live = scored_alerts(*calls, complaint)
    assert live

    assert expected_alerts(log, {}, RULES, T0).alerts == live
    assert expected_alerts(log + log[:2], {}, RULES, T0).alerts == live  # records read again


def test_expected_alerts_follow_the_order_of_scoring_where_the_log_has_another() -> None:
    """After a kill -9 the history held the praise, whose records died in the producer;
    the next call and the complaint, read first from their topics' backlogs, were scored
    after it, and the praise's record read again came last to the log."""
    calls = [
        contact("VOICE", T0 + timedelta(hours=h), "Fix it, this is awful", -0.9,
                outcome="UNRESOLVED", case_id="k1")
        for h in range(3)
    ]  # fmt: skip
    complaint = post(T0 + timedelta(hours=1, minutes=30), "Terrible", -0.8, followers=20_000)
    praise = post(T0 + timedelta(hours=2, minutes=30), "Great, thanks so much, wonderful", 0.9,
                  followers=20_000)  # fmt: skip
    live = scored_alerts(calls[0], calls[1], praise, calls[2], complaint)
    logged = [(1, calls[0]), (2, calls[1]), (4, calls[2]), (5, complaint), (3, praise)]
    log = [(seq, i.to_record()) for seq, i in logged]
    in_log_order = scored_alerts(*(i for _, i in logged))
    assert in_log_order != live  # judged by its log, the run would lose and invent alerts

    expected = expected_alerts(log, {}, RULES, T0)

    assert expected.alerts == live
    assert expected.reordered == 1
    assert expected_alerts(sorted(log, key=lambda e: e[0]), {}, RULES, T0).reordered == 0


def scored_alerts(*interactions: Interaction) -> set[tuple[str, int]]:
    """The alert records one scorer sends, meeting ``interactions`` in this order."""
    history, sent = None, set()
    for interaction in interactions:
        outcome = process_interaction(history, interaction, None, RULES, T0)
        history = outcome.history
        sent |= {(a.alert_id, a.version) for a in outcome.alerts}
    return sent


def test_a_follow_up_the_timer_may_send_is_allowed_and_any_other_is_invented() -> None:
    when = [T0 + timedelta(hours=h) for h in range(2)]
    escalated = contact("VOICE", when[0], "Not fixed", -0.5, outcome="ESCALATED", case_id="k9")
    resolved = contact("VOICE", when[1], "Thanks", 0.5, outcome="RESOLVED", case_id="k9")
    log = [(1, escalated.to_record()), (2, resolved.to_record())]

    expected = expected_alerts(log, {}, RULES, T0 + timedelta(days=1))

    follow_up = (alert_id(CUSTOMER, "FOLLOW_UP", f"case:k9:{ms(when[1])}"), 1)
    aging = alert_id(CUSTOMER, "AT_RISK", f"aging:k9:{ms(when[0] + timedelta(days=3))}")
    # The follow-up, and the AT_RISK records of aging checks while k9 was open.
    assert follow_up in expected.follow_ups and (aging, 1) in expected.follow_ups
    run = outputs({follow_up: 1, ("not-a-follow-up", 1): 1}, {}, 4)
    verdict = judge(expected, run, run, RAW)
    assert verdict.alerts_invented == 1
    assert verdict.examples["alerts_invented"] == ["not-a-follow-up v1"]


def test_agreement_counts_the_differing_records_by_type() -> None:
    live = {("a", 1): "AT_RISK", ("b", 1): "PRAISE"}
    offline = {("a", 1): "AT_RISK", ("c", 1): "FOLLOW_UP", ("d", 1): "FOLLOW_UP"}

    assert agreement(live, offline) == {
        "both": 1,
        "live_only": 1,
        "offline_only": 2,
        "live_only_by_type": {"PRAISE": 1},
        "offline_only_by_type": {"FOLLOW_UP": 2},
    }
