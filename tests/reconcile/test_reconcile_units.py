"""Pure parts of reconciliation: row parsing, the visit builder, CDR rules, the matcher, KPI
recomputation, periods, 3CX report rows and the progress line. No I/O."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queuepulse.domain.kpi import kpis_from_visits
from queuepulse.domain.privacy import CallerPolicy
from queuepulse.domain.rules import Rules
from queuepulse.domain.visits import QueueVisit
from queuepulse.errors import ConfigError
from queuepulse.reconcile.builder import build_visits, call_key_from_history
from queuepulse.reconcile.cdr_rules import CdrRules, load_cdr_rules
from queuepulse.reconcile.kpis import affected_buckets, recompute_buckets
from queuepulse.reconcile.matcher import CdrCall, Plan, plan_corrections, visit_key
from queuepulse.reconcile.pbx_reports import abandoned_rows, statistic_sla_rows
from queuepulse.reconcile.periods import closed_periods, period_floor
from queuepulse.reconcile.progress import TextProgress
from queuepulse.reconcile.segments import (
    CallRef,
    parse_history_rows,
    parse_log_rows,
    redact_letter,
)
from queuepulse.xapi.reports import AbandonedQueueCalls, StatisticSla

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
P = (T0, T0 + timedelta(minutes=15))


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def seg(sid: int, start: float, end: float, seg_type: int, action: int | None, dst: str,
        dst_type: int, src: str = "+4930555", answered: bool | None = None) -> dict[str, Any]:
    return {
        "SegmentId": sid, "SegmentStartTime": iso(T0 + timedelta(seconds=start)),
        "SegmentEndTime": iso(T0 + timedelta(seconds=end)), "SegmentType": seg_type,
        "SegmentActionId": action, "CallAnswered": answered, "SrcDn": src, "SrcDnType": 9,
        "SrcCallerNumber": src, "DstDn": dst, "DstDnType": dst_type, "CallTime": "PT1S",
    }


def log(sid: int, call_id: int, established: float, agent: str | None = None) -> dict[str, Any]:
    return {"CdrId": f"{call_id}#{sid}", "SegmentId": sid, "CallId": call_id,
            "MainCallHistoryId": f"{call_id}@{iso(T0 + timedelta(seconds=established))}",
            "actionDnDn": agent, "StartTime": iso(T0)}


def build(history: list[dict[str, Any]], logs: list[dict[str, Any]],
          rules: CdrRules | None = None, **kw: Any) -> Any:
    segments, dead_h = parse_history_rows(history)
    refs, dead_l = parse_log_rows(logs)
    assert not dead_h
    assert not dead_l
    return build_visits("pbx", segments, refs, *P, rules or CdrRules(), ("800", "801"),
                        {"800": 30.0}, **kw)


# --- segments and builder --------------------------------------------------------------------

def test_bad_rows_become_dead_letters_with_reasons() -> None:
    ok = seg(1, 0, 5, 1, 2, "800", 2)
    segments, dead = parse_history_rows([
        ok, {"SegmentId": "x"}, {"SegmentId": 2}, seg(3, 10, 5, 1, 2, "800", 2), "junk",  # type: ignore[list-item]
    ])
    assert [s.segment_id for s in segments] == [1]
    reasons = [d.reason for d in dead]
    assert "does not match the XAPI schema" in reasons[0]
    assert reasons[1] == "missing SegmentStartTime, SegmentEndTime"
    assert reasons[2] == "SegmentEndTime is before SegmentStartTime"
    assert reasons[3] == "row is not a JSON object"
    assert dead[1].body == {"SegmentId": 2}  # verbatim
    assert dead[0].letter_id("pbx") == dead[0].letter_id("pbx")
    assert dead[0].letter_id("pbx") != dead[1].letter_id("pbx")
    refs, dead_log = parse_log_rows([log(1, 7, 0), {"CdrId": "a"}, {"SegmentId": 5}])
    assert set(refs) == {1}
    assert [d.reason for d in dead_log] == ["missing SegmentId",
                                            "no MainCallHistoryId, CallHistoryId or CallId"]


def test_dead_letters_follow_the_caller_privacy_policy() -> None:
    row = seg(1, 10, 5, 1, 2, "800", 2, src="+4930123456")
    row["SrcDisplayName"] = "Jane Doe"
    _segments, dead = parse_history_rows([row])
    masked = redact_letter(dead[0], CallerPolicy(mode="mask", keep_digits=3))
    assert masked.body["SrcCallerNumber"] == "+*******456"
    assert masked.body["SrcDisplayName"] is None
    assert masked.body["DstDn"] == "800"  # a queue DN is no personal data
    hashed = redact_letter(dead[0], CallerPolicy(mode="hash", salt="s"))
    assert str(hashed.body["SrcDn"]).startswith("sha256:")
    assert redact_letter(dead[0], CallerPolicy()) is dead[0]


def test_queue_segments_become_visits() -> None:
    history = [
        # call 7: waits 12 s in 800, answered by 1001, talks 60 s
        seg(1, 0, 12, 1, 1, "800", 2, answered=True),
        seg(2, 12, 72, 2, 4, "1001", 1, answered=True),
        # call 8: abandons 800 after 3 s
        seg(3, 20, 23, 1, 2, "800", 2),
        # call 9: overflows 800 -> 801 after 50 s, dropped while waiting in 801
        seg(4, 30, 80, 1, 3, "800", 2),
        seg(5, 81, 90, 1, 6, "801", 2),
        # noise: an internal call, no queue
        seg(6, 5, 50, 2, 4, "1002", 1),
    ]
    logs = [log(1, 7, 0, "1001"), log(2, 7, 0, "1001"), log(3, 8, 20), log(4, 9, 30),
            log(5, 9, 30), log(6, 10, 5)]
    result = build(history, logs)
    by = {(v.call_id, v.queue_dn): v for v in result.visits}
    assert len(result.visits) == 4
    assert not result.dead_letters
    a = by[(7, "800")]
    assert (a.outcome, a.wait_s, a.agent_dn, a.talk_s) == ("answered", 12.0, "1001", 60.0)
    assert a.answered_at == T0 + timedelta(seconds=12)
    assert a.ended_at == T0 + timedelta(seconds=72)
    assert a.source == "cdr"
    assert a.sla_s == 30
    assert a.call_key == "7@2026-01-05T09:00:00Z"
    b = by[(8, "800")]
    assert (b.outcome, b.wait_s, b.ended_at) == ("abandoned", 3.0, T0 + timedelta(seconds=23))
    c1, c2 = by[(9, "800")], by[(9, "801")]
    assert (c1.outcome, c1.wait_s, c1.entry_queue_dn) == ("transferred", 50.0, "800")
    assert (c2.outcome, c2.wait_s, c2.entry_queue_dn) == ("abandoned", 9.0, "800")
    assert c1.caller_number == "+4930555"
    # the evidence about each call: all four complete, with their queue entries
    calls = {c.call_id: c for c in result.calls}
    assert sorted(calls) == [7, 8, 9, 10]
    assert all(c.complete for c in calls.values())
    assert calls[7].call_key == "7@2026-01-05T09:00:00Z"
    assert calls[9].queue_entries == (("800", T0 + timedelta(seconds=30)),
                                      ("801", T0 + timedelta(seconds=81)))
    assert (calls[9].start, calls[9].end) == (T0 + timedelta(seconds=30),
                                              T0 + timedelta(seconds=90))
    assert calls[10].queue_entries == ()


def test_calls_whose_history_rows_are_missing_are_incomplete() -> None:
    history = [seg(1, 0, 12, 1, 1, "800", 2, answered=True), seg(3, 20, 23, 1, 2, "800", 2)]
    # call 7's talk segment 2 and all of call 11 are in the call log but not (yet) in history
    logs = [log(1, 7, 0, "1001"), log(2, 7, 0, "1001"), log(3, 8, 20), log(9, 11, 40)]
    result = build(history, logs)
    calls = {c.call_id: c for c in result.calls}
    assert {k: c.complete for k, c in calls.items()} == {7: False, 8: True, 11: False}
    assert calls[11].start is None
    assert calls[11].call_key == "11@2026-01-05T09:00:40Z"


def test_open_talk_unknown_action_missing_ref_and_period_bounds() -> None:
    history = [
        seg(1, 0, 12, 1, 1, "800", 2, answered=True),  # talk segment not there yet
        seg(2, 20, 25, 1, 42, "800", 2, answered=False),  # unknown action
        seg(3, 30, 35, 1, 2, "800", 2),  # no call-log row
        seg(4, 1000, 1010, 1, 2, "800", 2),  # after the period: context only
    ]
    logs = [log(1, 7, 0, "1001"), log(2, 8, 20), log(4, 9, 1000)]
    result = build(history, logs)
    assert [v.call_id for v in result.visits] == [7]
    assert result.visits[0].agent_dn == "1001"  # from the call log's actionDnDn
    assert result.visits[0].ended_at is None
    assert result.open_talks == 1
    assert ["SegmentActionId 42" in d.reason or "no GetCallLogData row" in d.reason
            for d in result.dead_letters] == [True, True]
    lenient = build(history, logs, CdrRules(unknown_action_uses_answered_flag=True))
    assert {v.call_id: v.outcome for v in lenient.visits} == {7: "answered", 8: "abandoned"}


def test_caller_policy_and_call_keys() -> None:
    result = build([seg(1, 0, 3, 1, 2, "800", 2, src="+4930123456")], [log(1, 7, 0)],
                   caller_policy=CallerPolicy(mode="mask", keep_digits=3))
    assert (result.visits[0].caller_number, result.visits[0].caller_name) == ("+*******456", None)
    named = [{**seg(1, 0, 3, 1, 2, "800", 2, src="+4930123456"), "SrcDisplayName": "Jane Doe"}]
    kept = build(named, [log(1, 7, 0)]).visits[0]
    assert (kept.caller_number, kept.caller_name) == ("+4930123456", "Jane Doe")
    masked = build(named, [log(1, 7, 0)],
                   caller_policy=CallerPolicy("hash", "s", name_mode="mask")).visits[0]
    assert masked.caller_number is not None
    assert masked.caller_number.startswith("sha256:")
    assert masked.caller_name == "J*** D**"
    ref = CallRef(1, 5, "abc-123", None, {})
    assert call_key_from_history(ref, "@", T0) == "cdr:abc-123"
    assert call_key_from_history(CallRef(1, 5, None, None, {}), "@", T0).startswith("cdr:5@")
    assert call_key_from_history(CallRef(1, 5, "5@2026-01-05T09:00:00.250Z", None, {}), "@",
                                 T0) == "5@2026-01-05T09:00:00.250000Z"


def test_cdr_rules_from_files(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("answered_actions: [1, 7]\ntalk_link_tolerance_s: 5\n", encoding="utf-8")
    rules = load_cdr_rules(path)
    assert rules.answered_actions == frozenset({1, 7})
    assert rules.talk_link_tolerance_s == 5.0
    assert rules.abandoned_actions == CdrRules().abandoned_actions
    assert CdrRules.from_mapping(rules.to_mapping()) == rules
    bad = tmp_path / "bad.json"
    bad.write_text('{"answerd_actions": [1]}', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown CDR rule"):
        load_cdr_rules(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_cdr_rules(tmp_path / "missing.yaml")


# --- matcher ---------------------------------------------------------------------------------

def visit(call: int, queue: str, entered_s: float, outcome: str = "abandoned",
          wait: float = 4.0, agent: str | None = None, source: str = "cdr",
          **kw: Any) -> QueueVisit:
    entered = T0 + timedelta(seconds=entered_s)
    v = QueueVisit("pbx", f"{call}@x", queue, entered, source=source, call_id=call,
                   caller_number=f"+49{call}", **kw)
    if outcome == "answered":
        return v.answer(entered + timedelta(seconds=wait), agent).end_talk(
            entered + timedelta(seconds=wait + 30))
    if outcome == "abandoned":
        return v.abandon(entered + timedelta(seconds=wait))
    if outcome == "transferred":
        return v.transfer(entered + timedelta(seconds=wait))
    return v


def apply(stored: list[QueueVisit], plan: Plan) -> list[QueueVisit]:
    rows = {visit_key(v): v for v in stored}
    for v in plan.deletes:
        rows.pop(visit_key(v), None)
    for v in plan.upserts:
        rows[visit_key(v)] = v
    return list(rows.values())


def test_plan_corrects_inserts_and_removes() -> None:
    cdr = [visit(1, "800", 10, "answered", 5, "1001"), visit(2, "800", 20),
           visit(3, "801", 30, "transferred", 50)]
    live = [
        replace(visit(1, "800", 10, "answered", 5, "1002"), source="live"),  # wrong agent
        replace(visit(3, "801", 31, "waiting"), source="live"),  # never saw it leave
        replace(visit(4, "800", 40), source="live"),  # not in the CDR
    ]
    # the CDR holds call 4 completely (it only talked to an agent directly): proof it never
    # waited in queue 800
    calls = [cdr_call(4, 38, 90, queue_entries=())]
    plan = plan_corrections(cdr, live, *P, cdr_calls=calls)
    fields = sorted((d.call_key, d.field, d.action) for d in plan.diffs)
    assert fields == [
        ("1@x", "agent_dn", "corrected"),
        ("2@x", "missed_visit", "inserted"),
        ("3@x", "ended_at", "corrected"), ("3@x", "entered_at", "corrected"),
        ("3@x", "outcome", "corrected"), ("3@x", "wait_s", "corrected"),
        ("4@x", "extra_live_visit", "corrected"),
    ]
    assert (plan.matched, plan.corrected, plan.inserted, plan.removed) == (2, 2, 1, 1)
    assert plan.flagged == 0
    after = apply(live, plan)
    assert sorted(visit_key(v) for v in after) == sorted(visit_key(v) for v in cdr)
    again = plan_corrections(cdr, after, *P, cdr_calls=calls)
    assert not again.changes
    assert not again.diffs
    assert again.unchanged == 3
    flagged = plan_corrections(cdr, live, *P, cdr_calls=calls, remove_extra=False)
    extra = [d for d in flagged.diffs if d.field == "extra_live_visit"]
    assert [d.action for d in extra] == ["flagged"]
    assert extra[0].cdr_value is not None
    assert "dead letters" in extra[0].cdr_value
    assert all(visit_key(v) != visit_key(live[2]) for v in flagged.deletes)
    assert (flagged.removed, flagged.flagged) == (0, 1)


def cdr_call(call: int, start_s: float, end_s: float, *, complete: bool = True,
             queue_entries: tuple[tuple[str, float], ...] = (), key: bool = True) -> CdrCall:
    return CdrCall(f"{call}@x" if key else None, call, T0 + timedelta(seconds=start_s),
                   T0 + timedelta(seconds=end_s), complete,
                   tuple((q, T0 + timedelta(seconds=at)) for q, at in queue_entries))


@pytest.mark.parametrize(
    ("calls", "reason"),
    [
        ([], "not in the CDR window"),  # history lags, the call still runs, a page is missing
        ([cdr_call(4, 38, 90, complete=False)], "incomplete"),  # a log row without its segment
        # same call id, but a call at another time (ids repeat after a PBX restart)
        ([cdr_call(4, 5000, 5060, key=False)], "not in the CDR window"),
    ],
    ids=["call-absent", "call-incomplete", "call-id-elsewhen"],
)
def test_an_extra_live_visit_is_kept_unless_the_cdr_proves_it(calls: list[CdrCall],
                                                              reason: str) -> None:
    live = [replace(visit(4, "800", 40, "answered", 5, "1001"), source="live")]
    plan = plan_corrections([], live, *P, cdr_calls=calls)
    assert not plan.deletes
    assert not plan.changes
    assert (plan.removed, plan.flagged) == (0, 1)
    [diff] = plan.diffs
    assert (diff.field, diff.action) == ("extra_live_visit", "flagged")
    assert diff.cdr_value is not None
    assert reason in diff.cdr_value
    # the call id alone (another key format) is enough evidence when the time fits
    by_id = plan_corrections([], live, *P, cdr_calls=[cdr_call(4, 38, 90, key=False)])
    assert by_id.removed == 1
    assert [visit_key(v) for v in by_id.deletes] == [visit_key(live[0])]


def test_a_live_visit_the_neighbouring_period_matches_is_left_alone() -> None:
    # live saw the call enter at 899.6 s (this period), the CDR says 900.2 s (the next one)
    live = [replace(visit(4, "800", 899.6), source="live")]
    calls = [cdr_call(4, 900.2, 930, queue_entries=(("800", 900.2),))]
    plan = plan_corrections([], live, *P, cdr_calls=calls)
    assert not plan.changes
    assert not plan.diffs
    # a queue entry in another queue is no such excuse: the visit to 800 is extra
    other = [cdr_call(4, 900.2, 930, queue_entries=(("801", 900.2),))]
    assert plan_corrections([], live, *P, cdr_calls=other).removed == 1


def test_other_calls_are_never_matched_but_synthetic_keys_are() -> None:
    cdr = [visit(1, "800", 10)]
    other = [replace(visit(2, "800", 10.5), source="live")]
    plan = plan_corrections(cdr, other, *P, cdr_calls=[cdr_call(2, 10, 20)])
    assert plan.matched == 0
    assert {d.field for d in plan.diffs} == {"missed_visit", "extra_live_visit"}
    assert plan.removed == 1
    synthetic = [replace(visit(1, "800", 10), call_key="cdr:A1", call_id=None)]
    live = [replace(visit(1, "800", 10.4), source="live")]
    plan = plan_corrections(synthetic, live, *P)
    assert plan.matched == 1
    assert [v.call_key for v in plan.upserts] == ["1@x"]  # the live key is kept


visits_strategy = st.lists(
    st.tuples(st.integers(1, 40), st.sampled_from(["800", "801"]), st.integers(0, 880),
              st.sampled_from(["answered", "abandoned", "transferred"]), st.integers(0, 60)),
    max_size=25, unique_by=lambda t: (t[0], t[1]))


@settings(max_examples=60, deadline=None)
@given(visits_strategy, st.lists(st.tuples(st.integers(0, 24), st.floats(-3, 3),
                                           st.sampled_from(["waiting", "same", "drop"])),
                                 max_size=25))
def test_applying_a_plan_then_replanning_changes_nothing(
    cdr_spec: list[tuple[int, str, int, str, int]],
    noise: list[tuple[int, float, str]],
) -> None:
    cdr = [visit(c, q, e, o, w, "1001" if o == "answered" else None) for c, q, e, o, w in cdr_spec]
    live = [replace(v, source="live") for v in cdr]
    for index, shift, what in noise:
        if index < len(live):
            v = live[index]
            if what == "drop":
                live[index] = replace(v, queue_dn="999")  # seen nowhere near
            elif what == "waiting":
                live[index] = replace(v, outcome="waiting", ended_at=None, wait_s=None,
                                      entered_at=v.entered_at + timedelta(seconds=shift))
    # the CDR holds every call completely, so a visit live put in queue 999 is proven extra
    entries: dict[int, list[tuple[str, float]]] = {}
    for c, q, e, _o, _w in cdr_spec:
        entries.setdefault(c, []).append((q, e))
    calls = [cdr_call(c, min(e for _q, e in qs), max(e for _q, e in qs) + 200,
                      queue_entries=tuple(qs)) for c, qs in entries.items()]
    plan = plan_corrections(cdr, live, *P, cdr_calls=calls)
    after = apply(live, plan)
    assert sorted(visit_key(v) for v in after) == sorted(visit_key(v) for v in cdr)
    assert plan.removed == sum(1 for v in live if v.queue_dn == "999")
    again = plan_corrections(cdr, after, *P, cdr_calls=calls)
    assert not again.changes
    assert not again.diffs
    # without that evidence nothing is ever deleted that the CDR does not replace
    blind = plan_corrections(cdr, live, *P)
    assert blind.removed == 0
    assert {visit_key(v) for v in blind.deletes} <= {visit_key(v) for v in blind.old}
    assert all(v.queue_dn != "999" for v in blind.deletes)


# --- KPIs, periods, reports, progress --------------------------------------------------------

def test_recomputed_buckets_equal_the_domain_fold() -> None:
    visits = [visit(1, "800", 10, "answered", 25, "1001"), visit(2, "800", 50, "abandoned", 3),
              visit(3, "801", 70, "transferred", 40), visit(4, "800", 61, "answered", 2, "1002")]
    rules = Rules()
    slas = {"800": 20.0}
    keys = affected_buckets(visits, slas, rules)
    full, empty = recompute_buckets(keys | {("pbx", "800", "queue", T0 + timedelta(hours=1))},
                                    visits, slas, rules)
    expected = {(k.queue_dn, k.bucket): k for k in kpis_from_visits(visits, slas, rules)}
    assert {(k.queue_dn, k.bucket): k for k in full} == expected
    assert empty == [("pbx", "800", "queue", T0 + timedelta(hours=1))]
    sums = {k.bucket: k.wait_abandoned_s_sum for k in full if k.queue_dn == "800"}
    assert sums[T0] == pytest.approx(3.0)  # the abandoned wait lands at its hang-up


def test_closed_periods_are_aligned_and_settled() -> None:
    assert period_floor(T0 + timedelta(minutes=7, seconds=3), 300) == T0 + timedelta(minutes=5)
    now = T0 + timedelta(minutes=32)
    periods = closed_periods(T0 + timedelta(minutes=2), T0 + timedelta(hours=1), 600, now, 300)
    assert periods == [(T0, T0 + timedelta(minutes=10)),
                       (T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))]
    with pytest.raises(ValueError, match="timezone-aware"):
        closed_periods(datetime(2026, 1, 5), T0, 600, now, 0)


def test_3cx_report_rows_name_their_definitions() -> None:
    sla = statistic_sla_rows("pbx", [StatisticSla(QueueDnNumber="800", ReceivedCount=20,
                                                  BadSlaCallsCount=5),
                                     StatisticSla(QueueDnNumber="801", ReceivedCount=0)],
                             P, T0)
    assert [r["sla_pct"] for r in sla] == [75.0, None]
    assert "bad" in sla[0]["figures"]["definition"].lower()
    ab = abandoned_rows("pbx", [AbandonedQueueCalls(QueueDn="800", WaitTime="PT4S"),
                                AbandonedQueueCalls(QueueDn="800", WaitTime="PT10S")],
                        P, T0, ["800", "801"])
    assert [(r["queue_dn"], r["abandoned_count"]) for r in ab] == [("800", 2), ("801", 0)]
    assert ab[0]["figures"]["max_wait_s"] == 10.0


def test_progress_line_counts_periods_rows_and_failures() -> None:
    out = io.StringIO()
    bar = TextProgress(out, width=10)
    bar.start(4, 1)
    bar.advance("09:00", 1200, 3, 2, True)
    bar.advance("09:15", 800, 0, 0, False)
    bar.finish()
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("[#######...] 3/4 periods  2,000 CDR rows  3 corrected  2 inserted")
    assert "1 failed" in last


async def test_continuous_mode_survives_an_unreachable_database() -> None:
    import asyncio

    from pydantic import SecretStr

    from queuepulse.reconcile.runner import ReconcileConfig, Reconciler
    from queuepulse.settings import PbxSettings
    from queuepulse.store.db import DatabaseUnavailableError
    from queuepulse.xapi.client import XapiClient

    attempts: list[int] = []
    rounds: list[object] = []
    stop = asyncio.Event()

    def connect() -> Any:
        attempts.append(1)
        raise DatabaseUnavailableError("cannot connect to db@127.0.0.1:1 (test)")

    async def sleep(seconds: float) -> None:
        if len(attempts) >= 2:
            stop.set()

    pbx = PbxSettings(url="http://127.0.0.1:9", client_secret=SecretStr("s3cret-never-shown"))
    async with XapiClient(pbx) as client:
        rec = Reconciler(ReconcileConfig(pbx_id="p"), client, connect,
                         clock=lambda: T0, sleep=sleep)
        await asyncio.wait_for(rec.run_forever(stop, on_round=rounds.append), timeout=10)
    assert len(attempts) == 2  # tried again after the failed round
    assert rounds == []  # a failed round does not count as alive (healthz goes unready)
