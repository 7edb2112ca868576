"""The chaos verdict: lost, invented and duplicated records, raw records unaccounted for,
and the alerts a scorer had to send given the order it met the interactions in."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from pipeline.measure.chaos.verdict import Expected, Outputs, agreement, expected_alerts, judge
from processors.care import process_interaction
from tests.unit.processors.journey import RULES, T0, contact, post

RAW = [("voice", 0, n) for n in range(4)]


def outputs(alerts: dict[tuple[str, int], int], ids: dict[str, int], handled: int) -> Outputs:
    return Outputs(alerts=Counter(alerts), normalized=Counter(ids), handled=set(RAW[:handled]))


def test_a_run_like_the_expected_one_is_ok_and_duplicates_are_only_counted() -> None:
    clean = outputs({("a", 1): 1, ("a", 2): 1}, {"i1": 1, "i2": 1}, 4)
    run = outputs({("a", 1): 3, ("a", 2): 1, ("f", 1): 1}, {"i1": 2, "i2": 1}, 4)

    verdict = judge(Expected({("a", 1), ("a", 2)}, {("f", 1)}), clean, run, RAW)

    assert verdict.ok
    assert (verdict.alert_duplicates, verdict.normalized_duplicates) == (2, 1)


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
        contact("VOICE", T0 + timedelta(hours=h), "I want to cancel, this is awful", -0.9,
                outcome="UNRESOLVED", case_id="k1")
        for h in range(3)
    ]  # fmt: skip
    complaint = post(T0 + timedelta(hours=4), "Terrible service", -0.8, followers=20_000)
    log = [i.to_record() for i in (*calls, complaint)]
    history = None
    live = set()
    for interaction in (*calls, complaint):
        outcome = process_interaction(history, interaction, None, RULES, T0)
        history = outcome.history
        live |= {(a.alert_id, a.version) for a in outcome.alerts}
    assert live

    assert expected_alerts(log, {}, RULES, T0).alerts == live
    assert expected_alerts(log + log[:2], {}, RULES, T0).alerts == live  # records read again


def test_a_follow_up_the_timer_may_send_is_allowed_and_any_other_is_invented() -> None:
    when = [T0 + timedelta(hours=h) for h in range(2)]
    escalated = contact("VOICE", when[0], "Not fixed", -0.5, outcome="ESCALATED", case_id="k9")
    resolved = contact("VOICE", when[1], "Thanks", 0.5, outcome="RESOLVED", case_id="k9")
    log = [escalated.to_record(), resolved.to_record()]

    expected = expected_alerts(log, {}, RULES, T0 + timedelta(days=1))

    assert len(expected.follow_ups) == 1
    (follow_up,) = expected.follow_ups
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
