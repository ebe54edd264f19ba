"""Scripted poll sequences through the lifecycle state machine."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest
from domain_scenarios import DIRECTORY, PBX, RULES, Run, at, failed, poll, row, run

from queuepulse.domain.events import event_id
from queuepulse.domain.lifecycle import call_key_of, step
from queuepulse.domain.privacy import CallerPolicy
from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import Poll

pytestmark = pytest.mark.unit

KEY1 = call_key_of(1, at(0))


def test_wait_answer_talk_end_callee_stays_queue() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(2, row(1, "800 Sales", "Ringing", 0.5, 2)),
        poll(9, row(1, "800 Sales", "Talking", 8.0, 9), row(2, "101 Alice", "Talking", 8.0, 9,
                                                                caller="800 Sales")),
        poll(10, row(1, "800 Sales", "Talking", 8.0, 10), row(2, "101 Alice", "Talking", 8.0, 10,
                                                                  caller="800 Sales")),
        poll(40, row(2, "101 Alice", "Talking", 8.0, 40, caller="800 Sales")),
    ])
    assert r.types(1) == ["call_started", "queue_entered", "status_changed", "answered",
                          "call_ended"]
    (visit,) = [v for v in r.visits if v.call_key == KEY1]
    assert visit.queue_dn == "800"
    assert visit.entered_at == at(0.5)
    assert visit.answered_at == at(8.0)
    assert visit.ended_at == at(40)
    assert visit.outcome == "answered"
    assert visit.wait_s == pytest.approx(7.5)
    assert visit.talk_s == pytest.approx(32.0)
    # the agent is not in the call itself, but is the only queue agent on a call
    assert visit.agent_dn == "101"
    assert visit.entry_queue_dn == "800"
    assert (visit.caller_number, visit.caller_name) == ("+4930123456", "Bob Caller")
    answered = r.events_of("answered")[0]
    assert answered.agent_dn == "101"
    assert answered.details["agent_inferred"] is True
    ended = next(e for e in r.events_of("call_ended") if e.call_id == 1)
    assert ended.details["uncertainty_s"] == pytest.approx(30.0)


def test_wait_answer_talk_end_callee_becomes_agent() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(3, row(1, "102 Bert", "Ringing", 2.5, 3)),  # the queue rings an agent: still waiting
        poll(5, row(1, "102 Bert", "Talking", 4.0, 5)),
        poll(12, row(1, "102 Bert", "Talking", 4.0, 12)),
        poll(13),
    ])
    (visit,) = r.visits
    assert (visit.outcome, visit.agent_dn) == ("answered", "102")
    assert visit.wait_s == pytest.approx(3.5)
    assert visit.ended_at == at(13)
    assert visit.talk_s == pytest.approx(9.0)
    assert r.types() == ["call_started", "queue_entered", "status_changed", "status_changed",
                         "answered", "call_ended"]
    kinds = sorted((f.scope, f.kind) for f in r.facts)
    assert kinds == [("entry", "answered"), ("entry", "offered"), ("queue", "answered"),
                     ("queue", "offered"), ("queue", "talk_ended")]
    answered = next(f for f in r.facts if f.kind == "answered" and f.scope == "queue")
    assert answered.in_sla is True


def test_agent_not_identified_when_ambiguous() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(2, row(1, "800 Sales", "Talking", 1.5, 2),
             row(2, "101 Alice", "Talking", 1.5, 2, caller="x"),
             row(3, "102 Bert", "Talking", 1.5, 2, caller="y")),
    ])
    visit = next(v for v in r.visits if v.call_key == KEY1)
    assert visit.agent_dn is None
    answered = r.events_of("answered")[0]
    assert sorted(answered.details["agent_candidates"]) == ["101", "102"]


def test_agent_identified_on_a_later_poll() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(2, row(1, "800 Sales", "Talking", 1.5, 2)),
        poll(3, row(1, "800 Sales", "Talking", 1.5, 3), row(9, "102 Bert", "Talking", 2.5, 3,
                                                            caller="800 Sales")),
    ])
    visit = next(v for v in r.visits if v.call_key == KEY1)
    assert visit.agent_dn == "102"
    assert r.state is not None
    assert r.state.unattributed == frozenset()


def test_abandon_while_waiting() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(10, row(1, "800 Sales", "Ringing", 0.5, 10)),
        poll(20, row(1, "800 Sales", "Ringing", 0.5, 20)),
        poll(30, row(1, "800 Sales", "Ringing", 0.5, 30)),
        poll(31),
    ])
    (visit,) = r.visits
    assert visit.outcome == "abandoned"
    assert visit.ended_at == at(31)
    assert visit.wait_s == pytest.approx(30.5)
    assert visit.end_uncertainty_s == pytest.approx(1.0)
    assert r.types() == ["call_started", "queue_entered", "abandoned", "call_ended"]
    abandoned = next(f for f in r.facts if f.kind == "abandoned" and f.scope == "queue")
    assert abandoned.short is False
    entry = next(f for f in r.facts if f.kind == "abandoned" and f.scope == "entry")
    assert entry.queue_dn == "800"


def test_short_abandon() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(4),
    ])
    abandoned = next(f for f in r.facts if f.kind == "abandoned" and f.scope == "queue")
    assert abandoned.wait_s == pytest.approx(3.5)
    assert abandoned.short is True


def test_overflow_between_queues_is_two_visits_with_entry_queue() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(31, row(1, "801 Support", "Ringing", 30.5, 31)),
        poll(41, row(1, "103 Cleo", "Talking", 40.0, 41)),
        poll(100),
    ])
    first, second = r.visits
    assert (first.queue_dn, first.outcome, first.ended_at) == ("800", "transferred", at(30.5))
    assert first.wait_s == pytest.approx(30.0)
    assert (second.queue_dn, second.outcome, second.agent_dn) == ("801", "answered", "103")
    assert second.entered_at == at(30.5)
    assert second.wait_s == pytest.approx(9.5)
    assert {v.entry_queue_dn for v in r.visits} == {"800"}
    entry_answer = next(f for f in r.facts if f.kind == "answered" and f.scope == "entry")
    assert entry_answer.queue_dn == "800"
    assert entry_answer.wait_s == pytest.approx(39.5)
    assert entry_answer.in_sla is False  # Sales' SLA is 20 s
    queue_answer = next(f for f in r.facts if f.kind == "answered" and f.scope == "queue")
    assert queue_answer.in_sla is True  # Support's SLA is 30 s
    assert "transferred" in r.types()


def test_transferring_status_moves_a_waiting_call_on() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(2, row(1, "800 Sales", "Transferring", 1.5, 2)),
        poll(3, row(1, "5555 Voicemail", "Talking", 2.5, 3)),
        poll(9),
    ])
    (visit,) = r.visits
    assert visit.outcome == "transferred"
    assert visit.ended_at == at(1.5)
    entry = [f for f in r.facts if f.scope == "entry"]
    assert sorted(f.kind for f in entry) == ["offered", "transferred"]


def test_rerouting_is_not_waiting() -> None:
    r = run([poll(1, row(1, "800 Sales", "Rerouting", 0.5, 1))])
    assert r.visits == []
    assert r.outputs[-1].live[0].waiting == 0


def test_agent_transfer_after_answer_ends_the_talk() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(2, row(1, "101 Alice", "Talking", 1.5, 2)),
        poll(12, row(1, "102 Bert", "Ringing", 11.0, 12)),
        poll(13, row(1, "102 Bert", "Talking", 12.5, 13)),
        poll(20),
    ])
    (visit,) = r.visits
    assert (visit.outcome, visit.agent_dn, visit.ended_at) == ("answered", "101", at(11.0))
    assert visit.talk_s == pytest.approx(9.5)


def test_gap_in_the_middle_the_call_persists() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        failed(2),
        failed(3),
        poll(4, row(1, "800 Sales", "Talking", 3.5, 4), row(2, "101 Alice", "Talking", 3.5, 4,
                                                            caller="800 Sales")),
    ])
    assert r.types(1) == ["call_started", "queue_entered", "status_changed", "answered"]
    assert [e.event_type for e in r.events if e.call_id is None] == ["gap_started", "gap_ended"]
    gap_end = r.events_of("gap_ended")[0]
    assert gap_end.details["failed_polls"] == 2
    assert r.state is not None
    assert r.state.counters.gaps == 1
    assert r.state.counters.failed == 2
    assert r.outputs[1].live == ()
    visit = next(v for v in r.visits if v.call_key == KEY1)
    assert visit.outcome == "answered"


def test_call_vanishing_during_a_gap_ended_within_it() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        failed(2),
        failed(3),
        poll(4),
    ])
    (visit,) = r.visits
    assert visit.outcome == "abandoned"
    assert visit.ended_at == at(4)
    assert visit.end_uncertainty_s == pytest.approx(3.0)
    ended = r.events_of("call_ended")[0]
    assert ended.details["gap"] is True
    assert ended.details["last_seen"] == "2026-01-05T09:00:01Z"


def test_a_long_pause_between_polls_is_a_gap() -> None:
    r = run([poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
             poll(60, row(1, "800 Sales", "Ringing", 0.5, 60))])
    assert [e.event_type for e in r.events if e.call_id is None] == ["gap_started", "gap_ended"]
    assert r.events_of("gap_started")[0].details["reason"] == "pause"


def test_stale_and_out_of_order_polls_are_skipped_and_counted() -> None:
    first = poll(5, row(1, "800 Sales", "Ringing", 0.5, 5))
    stale = Poll(PBX, at(6), (row(1, "800 Sales", "Talking", 5.5, 5),))  # same ServerNow
    older = Poll(PBX, at(4), (row(1, "800 Sales", "Talking", 3.0, 4),))  # received earlier
    r = run([first, stale, older])
    assert [o.skipped for o in r.outputs] == [None, "stale", "out_of_order"]
    assert r.types() == ["call_started", "queue_entered"]
    assert r.state is not None
    assert (r.state.counters.stale, r.state.counters.out_of_order) == (1, 1)
    assert r.outputs[1].events == ()


def test_pbx_restart_same_id_new_established_at() -> None:
    r = run([
        poll(1, row(7, "800 Sales", "Ringing", 0.5, 1)),
        poll(2, row(7, "800 Sales", "Ringing", 1.8, 2, established=1.8)),
    ])
    keys = {e.call_key for e in r.events}
    assert keys == {call_key_of(7, at(0)), call_key_of(7, at(1.8))}
    old_key = call_key_of(7, at(0))
    assert [e.event_type for e in r.events if e.call_key == old_key] == [
        "call_started", "queue_entered", "abandoned", "call_ended"]
    assert len(r.visits) == 2


def test_unknown_status_is_kept_verbatim_and_counted() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(2, row(1, "800 Sales", "OnHoldMusic", 1.5, 2)),
        poll(3, row(1, "800 Sales", "OnHoldMusic", 1.5, 3)),
        poll(4, row(1, "800 Sales", "Talking", 3.5, 4)),
    ])
    changed = r.events_of("status_changed")[0]
    assert changed.status == "OnHoldMusic"
    assert changed.details["unknown_status"] is True
    assert r.state is not None
    assert r.state.counters.unknown_status == 1
    (visit,) = r.visits
    assert visit.outcome == "answered"
    assert visit.wait_s == pytest.approx(3.0)


def test_missing_fields_never_crash() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", None, 1, established=None, caller=None)),
        poll(2, row(1, "800 Sales", None, None, 2, established=None, caller=None)),
        poll(3, row(1, None, "Talking", None, 3, established=None, caller=None)),
        poll(4),
    ])
    assert len({e.call_key for e in r.events}) == 1
    assert r.types() == ["call_started", "queue_entered", "status_changed", "status_changed",
                         "transferred", "call_ended"]
    started = r.events_of("call_started")[0]
    assert started.occurred_at == at(1)  # no LastChangeStatus: ServerNow
    assert started.call_key.startswith("1@seen:")


def test_empty_poll_time_comes_from_the_measured_skew() -> None:
    r = run([
        poll(10, row(1, "800 Sales", "Ringing", 9.0, 10), skew=120.0),  # PBX clock 2 min ahead
        poll(11, skew=120.0),
    ])
    assert r.outputs[0].skew_s == pytest.approx(120.0)
    ended = r.events_of("call_ended")[0]
    assert ended.occurred_at == at(11)
    assert ended.observed_at == at(11 - 120)


def test_reappearing_after_end_is_flagged_not_restarted() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(2),
        poll(3, row(1, "800 Sales", "Ringing", 0.5, 3)),
        poll(4, row(1, "800 Sales", "Ringing", 0.5, 4)),
    ])
    assert r.types() == ["call_started", "queue_entered", "abandoned", "call_ended", "anomaly"]
    assert r.events_of("anomaly")[0].details["kind"] == "reappeared_after_end"
    assert len(r.visits) == 1
    assert r.state is not None
    assert r.state.counters.anomalies == 1


def test_duplicate_row_is_an_anomaly() -> None:
    r1 = row(1, "800 Sales", "Ringing", 0.5, 1)
    r = run([poll(1, r1, r1)])
    assert r.types() == ["call_started", "queue_entered", "anomaly"]


def test_event_times_never_go_back_within_a_call() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(2, row(1, "801 Support", "Ringing", 0.5, 2)),  # callee changed, old LastChange
    ])
    times = [e.occurred_at for e in r.events]
    assert times == sorted(times)
    second = r.visits[1]
    assert second.entered_at == at(1)  # clamped to the previous poll


def test_live_gauges() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(10, row(1, "800 Sales", "Ringing", 0.5, 10),
             row(2, "800 Sales", "Ringing", 8.0, 10, established=8.0),
             row(3, "102 Bert", "Ringing", 9.0, 10, established=9.0, caller="+1 x"),
             row(4, "801 Support", "Talking", 9.5, 10, established=9.0)),
    ])
    sales, support = r.outputs[-1].live
    assert (sales.queue_dn, sales.waiting, sales.talking) == ("800", 2, 0)
    assert sales.longest_wait_s == pytest.approx(9.5)
    assert sales.ts == at(10)
    assert (sales.agents_logged_in, sales.agents_talking, sales.agents_free) == (2, 1, 1)
    assert (support.waiting, support.talking, support.agents_logged_in) == (0, 1, 0)
    changes = r.outputs[-1].agent_changes
    assert [(c.agent_dn, c.on_call) for c in changes] == [("102", True)]


def test_event_ids_are_deterministic_uuid5() -> None:
    r = run([poll(1, row(1, "800 Sales", "Ringing", 0.5, 1))])
    first = r.events[0]
    assert first.event_id == event_id(PBX, KEY1, "call_started", 0)
    again = run([poll(1, row(1, "800 Sales", "Ringing", 0.5, 1))])
    assert [e.event_id for e in again.events] == [e.event_id for e in r.events]


def test_state_pickles_and_resumes() -> None:
    polls = [
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        failed(2),
        poll(3, row(1, "800 Sales", "Talking", 2.5, 3)),
        poll(9),
    ]
    whole = run(polls)
    head = run(polls[:2])
    tail = run(polls[2:], state=pickle.loads(pickle.dumps(head.state)))  # noqa: S301 (our own bytes)
    assert head.events + tail.events == whole.events
    assert tail.visits == whole.visits


def test_caller_privacy_applies_to_visits_and_events() -> None:
    rules = replace(RULES, caller_policy=CallerPolicy("mask", keep_digits=3))
    r = run([poll(1, row(1, "800 Sales", "Ringing", 0.5, 1))], rules=rules)
    assert (r.visits[0].caller_number, r.visits[0].caller_name) == ("+*******456", None)
    assert r.events[0].details["caller_number"] == "+*******456"
    assert r.events[0].details["caller_name"] is None
    assert "Bob" not in repr(r.events)
    outbound = run([poll(1, row(1, "+4940999888 Eve", "Ringing", 0.5, 1, caller="101 Alice")),
                    poll(2, row(1, "+4940999888 Eve", "Talking", 1.5, 2, caller="101 Alice"))],
                   rules=rules)
    text = repr(outbound.events)
    assert "999888" not in text.replace("*******888", "")
    assert " Eve" not in text
    assert outbound.events[-1].details["callee_dn"] == "+*******888"
    assert "800" in repr(r.events)  # queue DNs stay readable


def test_rules_from_settings() -> None:
    from pydantic import SecretStr

    from queuepulse.settings import PrivacySettings, RulesSettings

    rules = Rules.from_settings(
        RulesSettings(waiting_statuses=("Queued",), short_abandon_s=3.0),
        PrivacySettings(caller_mode="hash", hash_salt=SecretStr("test-salt")),
    )
    assert rules.status_kind("queued") == "waiting"
    assert rules.status_kind("Ringing") == "unknown"
    assert rules.short_abandon_s == 3.0
    assert rules.caller_policy.mode == "hash"


def test_directory_in_step_is_not_required_to_know_the_queue() -> None:
    state, out = step(None, poll(1, row(1, "999 Unknown", "Ringing", 0.5, 1)), DIRECTORY, RULES)
    assert out.visits == ()
    assert [e.event_type for e in out.events] == ["call_started"]
    assert state.counters.calls_started == 1


def test_fast_event_id_equals_uuid5() -> None:
    import uuid

    from queuepulse.domain.events import event_id_reference

    for args in [("p", "1@2026-01-05T09:00:00Z", "answered", 3), ("é", "", "x", 0)]:
        fast = event_id(*args)
        assert fast == event_id_reference(*args)
        assert uuid.UUID(fast).version == 5


def test_call_key_format() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    assert call_key_of(17, datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)) == (
        "17@2026-01-05T09:00:00Z")
    assert call_key_of(17, datetime(2026, 1, 5, 10, 0, 0, 250000,
                                    tzinfo=timezone(timedelta(hours=1)))) == (
        "17@2026-01-05T09:00:00.250000Z")


def test_naive_receive_time_is_read_as_utc() -> None:
    naive = Poll(PBX, at(1).replace(tzinfo=None), (row(1, "800 Sales", "Ringing", 0.5, 1),))
    state, out = step(None, naive, DIRECTORY, RULES)
    assert out.skew_s == 0.0
    assert state.last_received_at == at(1)


def test_a_status_beginning_before_the_previous_one_is_an_anomaly() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.8, 1)),
        poll(2, row(1, "800 Sales", "Talking", 0.4, 2)),
    ])
    assert r.types() == ["call_started", "queue_entered", "status_changed", "anomaly",
                         "answered"]
    assert r.events_of("anomaly")[0].details["kind"] == "last_change_went_back"
    (visit,) = r.visits
    assert visit.answered_at == at(1)  # clamped to the previous poll: never before the entry
    assert visit.wait_s == pytest.approx(0.2)


# -- a connected call that briefly shows a moving status ---------------------------------------

ANSWERED_SHAPES = {"callee_stays_queue": "800 Sales", "callee_becomes_agent": "101 Alice"}


def _fact_counts(r: Run) -> dict[tuple[str, str, str], int]:
    """How many KPI facts of each (scope, queue, kind) the steps emitted."""
    counts: dict[tuple[str, str, str], int] = {}
    for f in r.facts:
        counts[(f.scope, f.queue_dn, f.kind)] = counts.get((f.scope, f.queue_dn, f.kind), 0) + 1
    return counts


@pytest.mark.parametrize("moving", ["Rerouting", "Transferring"])
@pytest.mark.parametrize("shape", sorted(ANSWERED_SHAPES))
def test_talking_again_at_the_same_place_after_a_moving_status_is_one_visit(
    shape: str, moving: str
) -> None:
    callee = ANSWERED_SHAPES[shape]
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(5, row(1, callee, "Talking", 4.0, 5)),
        poll(6, row(1, callee, moving, 5.5, 6)),
        poll(8, row(1, callee, "Talking", 7.5, 8)),
        poll(20, row(1, callee, "Talking", 7.5, 20)),
        poll(21),
    ])
    (visit,) = r.visits
    assert (visit.queue_dn, visit.outcome) == ("800", "answered")
    assert visit.entered_at == at(0.5)
    assert visit.answered_at == at(4.0)
    assert visit.wait_s == pytest.approx(3.5)
    assert visit.ended_at == at(21)
    assert visit.talk_s == pytest.approx(17.0)
    if shape == "callee_becomes_agent":
        assert visit.agent_dn == "101"
    assert _fact_counts(r) == {
        ("queue", "800", "offered"): 1, ("queue", "800", "answered"): 1,
        ("queue", "800", "talk_ended"): 1,
        ("entry", "800", "offered"): 1, ("entry", "800", "answered"): 1,
    }
    answered = next(f for f in r.facts if f.scope == "queue" and f.kind == "answered")
    assert answered.wait_s == pytest.approx(3.5)
    assert r.types(1) == ["call_started", "queue_entered", "status_changed", "answered",
                          "status_changed", "status_changed", "call_ended"]
    assert not any(e.details.get("entry_unseen") for e in r.events)
    talking = [o.live[0].talking for o in r.outputs]  # queue 800's gauge at each poll
    assert talking == [0, 1, 0, 1, 1, 0]  # not talking while it moves


@pytest.mark.parametrize("shape", sorted(ANSWERED_SHAPES))
def test_moving_on_to_another_queue_after_a_moving_status_is_a_second_visit(shape: str) -> None:
    callee = ANSWERED_SHAPES[shape]
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(5, row(1, callee, "Talking", 4.0, 5)),
        poll(11, row(1, callee, "Rerouting", 10.0, 11)),
        poll(12, row(1, "801 Support", "Ringing", 11.5, 12)),
        poll(16, row(1, "801 Support", "Talking", 15.0, 16)),
        poll(30),
    ])
    first, second = r.visits
    assert (first.queue_dn, first.outcome, first.answered_at) == ("800", "answered", at(4.0))
    assert first.ended_at == at(10.0)  # the talk ended when the call began to move
    assert first.talk_s == pytest.approx(6.0)
    assert (second.queue_dn, second.outcome, second.entered_at) == ("801", "answered", at(11.5))
    assert second.wait_s == pytest.approx(3.5)
    assert second.entry_queue_dn == "800"
    assert _fact_counts(r) == {
        ("queue", "800", "offered"): 1, ("queue", "800", "answered"): 1,
        ("queue", "800", "talk_ended"): 1,
        ("queue", "801", "offered"): 1, ("queue", "801", "answered"): 1,
        ("queue", "801", "talk_ended"): 1,
        ("entry", "800", "offered"): 1, ("entry", "800", "answered"): 1,
    }
    transferred = r.events_of("transferred")
    assert [(e.queue_dn, e.occurred_at) for e in transferred] == [("800", at(10.0))]


@pytest.mark.parametrize("shape", sorted(ANSWERED_SHAPES))
def test_waiting_again_at_the_same_queue_after_a_moving_status_is_a_second_visit(
    shape: str,
) -> None:
    callee = ANSWERED_SHAPES[shape]
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(5, row(1, callee, "Talking", 4.0, 5)),
        poll(11, row(1, callee, "Rerouting", 10.0, 11)),
        poll(12, row(1, "800 Sales", "Ringing", 11.5, 12)),
        poll(16, row(1, callee, "Talking", 15.0, 16)),
        poll(30),
    ])
    first, second = r.visits
    assert (first.queue_dn, first.outcome, first.ended_at) == ("800", "answered", at(10.0))
    assert (second.queue_dn, second.outcome) == ("800", "answered")
    assert (second.entered_at, second.answered_at, second.ended_at) == (at(11.5), at(15.0), at(30))
    assert second.wait_s == pytest.approx(3.5)
    assert _fact_counts(r) == {
        ("queue", "800", "offered"): 2, ("queue", "800", "answered"): 2,
        ("queue", "800", "talk_ended"): 2,
        ("entry", "800", "offered"): 1, ("entry", "800", "answered"): 1,
    }
    assert not any(e.details.get("entry_unseen") for e in r.events)


def test_talking_with_another_agent_after_a_moving_status_ends_the_visit_at_the_move() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(5, row(1, "101 Alice", "Talking", 4.0, 5)),
        poll(11, row(1, "101 Alice", "Transferring", 10.0, 11)),
        poll(13, row(1, "200 Dora (no queue)", "Talking", 12.5, 13)),
        poll(30),
    ])
    (visit,) = r.visits
    assert (visit.outcome, visit.agent_dn, visit.ended_at) == ("answered", "101", at(10.0))
    assert visit.talk_s == pytest.approx(6.0)
    assert [e.occurred_at for e in r.events_of("transferred")] == [at(10.0)]


def test_a_call_ending_while_moving_ended_its_talk_when_the_move_began() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1)),
        poll(5, row(1, "800 Sales", "Talking", 4.0, 5)),
        poll(11, row(1, "800 Sales", "Rerouting", 10.0, 11)),
        poll(12, row(1, "800 Sales", "Rerouting", 10.0, 12)),
        poll(13),
    ])
    (visit,) = r.visits
    assert (visit.outcome, visit.ended_at) == ("answered", at(10.0))
    assert visit.talk_s == pytest.approx(6.0)
    assert r.types(1) == ["call_started", "queue_entered", "status_changed", "answered",
                          "status_changed", "transferred", "call_ended"]
    assert r.events_of("call_ended")[0].occurred_at == at(13)
    assert r.outputs[2].live[0].talking == 0  # a moving call is not talking at the queue
