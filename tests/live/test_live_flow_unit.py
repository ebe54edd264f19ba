"""The live flow's glue without a database: the per-PBX step and its health rows, the commit
recorder, the replay reader, feeds and the whole flow on Bytewax's TestingSource/TestingSink
(the KPI windows: test_kpi_windows_unit.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bytewax.testing import TestingSink, TestingSource, run_main

from flows.live import build_flow
from queuepulse.domain.kpi import KpiFact
from queuepulse.domain.snapshot import ActiveCallRow, Poll
from queuepulse.live.commit_latency import CommitRecorder
from queuepulse.live.config import LiveFlowConfig, load_pbx_file
from queuepulse.live.items import ConfigItem, PollItem
from queuepulse.live.pbx_step import PbxStepper
from queuepulse.live.replay_reader import ReplayReader
from queuepulse.live.summary import QueueSummary, render
from queuepulse.settings import PbxSettings
from queuepulse.xapi.replay_file import ReplayRecord

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
QUEUES = ({"Number": "800", "Name": "Sales", "SLATime": 20, "Agents": [{"Number": "1001"}]},)
USERS = ({"Number": "1001", "FirstName": "Ann", "QueueStatus": "LoggedIn",
          "CurrentProfileName": "Available", "IsRegistered": True},)


def _row(call_id: int, callee: str, status: str, changed: datetime, now: datetime) -> ActiveCallRow:
    return ActiveCallRow(call_id, "+15550001 Bob", callee, status, changed, T0, now)


def _polls() -> list[Any]:
    """Config, then a call that waits 12 s in queue 800 and is answered by 1001, then ends."""
    items: list[Any] = [ConfigItem("p1", T0, QUEUES, USERS)]
    for s in range(0, 40):
        now = T0 + timedelta(seconds=s + 1)
        if s < 12:
            calls: tuple[ActiveCallRow, ...] = (_row(7, "800 Sales", "Ringing", T0, now),)
        elif s < 30:
            calls = (_row(7, "1001 Ann", "Talking", T0 + timedelta(seconds=12), now),)
        else:
            calls = ()
        items.append(PollItem(Poll("p1", now, calls), latency_ms=3.0))
    return items


def test_stepper_turns_polls_into_rows_and_facts() -> None:
    stepper = PbxStepper(LiveFlowConfig(replay=Path("x")).rules, clock=lambda: T0.timestamp())
    state = None
    tables: dict[str, int] = {}
    facts: list[KpiFact] = []
    for item in _polls():
        state, out = stepper(state, item)
        for table, _ in out.rows:
            tables[table] = tables.get(table, 0) + 1
        facts.extend(out.facts)
    assert tables["queues"] == 1
    assert tables["agents"] == 1
    assert tables["pipeline_health"] == 40
    # queue_live on change: the call starts waiting, is answered, ends (40 polls, 3 rows)
    assert tables["queue_live"] == 3
    kinds = sorted(f.kind for f in facts if f.scope == "queue")
    assert kinds == ["answered", "offered", "talk_ended"]
    answered = next(f for f in facts if f.kind == "answered" and f.scope == "queue")
    assert answered.wait_s == pytest.approx(12.0)
    assert state is not None
    assert state.directory.is_queue("800")


def test_flow_on_testing_source_emits_every_table() -> None:
    out: list[Any] = []
    flow = build_flow(LiveFlowConfig(replay=Path("unused")), sink=TestingSink(out),
                      source=TestingSource(_polls()))
    run_main(flow)
    tables = {t for t, _ in out}
    assert {"call_events", "queue_calls", "queue_live", "pipeline_health", "queue_kpi_1m",
            "queues", "agents", "queue_agents", "agent_states"} <= tables
    visits = [r for t, r in out if t == "queue_calls"]
    final = visits[-1]
    assert final.outcome == "answered"
    assert final.agent_dn == "1001"
    assert final.wait_s == pytest.approx(12.0)
    assert final.ended_at is not None


def test_replay_reader_resumes_from_its_position(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    records = [ReplayRecord("queues", "p1", T0, {"value": list(QUEUES)}),
               ReplayRecord("users", "p1", T0, {"value": list(USERS)})]
    records += [ReplayRecord("active_calls", "p1", T0 + timedelta(seconds=i), {"value": []})
                for i in range(1, 6)]
    path.write_text("".join(r.to_line() for r in records))
    reader = ReplayReader(path)
    first = reader.read(3)
    assert [type(i).__name__ for i in first] == ["ConfigItem", "PollItem", "PollItem"]
    assert reader.position.offset == 4
    resumed = ReplayReader(path, reader.position)
    rest = resumed.read(100)
    assert len(rest) == 3
    assert resumed.exhausted
    assert [i.poll.received_at for i in rest] == [  # type: ignore[union-attr]
        T0 + timedelta(seconds=i) for i in range(3, 6)]


def test_replay_reader_reads_a_queues_and_users_pair_as_one_fetch(tmp_path: Path) -> None:
    """A queues record directly followed by the same PBX's users record is one ConfigItem at the
    queues' receive time (as the live poller sends a fetch); a record alone carries the latest
    body of the other kind."""
    t1, t2 = T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)
    two_queues = [{"Number": "800"}, {"Number": "801"}]
    three_users = [{"Number": "1001"}, {"Number": "1002"}, {"Number": "1003"}]
    records = [
        ReplayRecord("queues", "p1", T0, {"value": two_queues}),
        ReplayRecord("users", "p1", t1, {"value": three_users}),
        ReplayRecord("queues", "p1", t2, {"value": two_queues[:1]}),
        ReplayRecord("users", "p2", t2, {"value": three_users}),  # another PBX: not a pair
        ReplayRecord("users", "p1", t2, {"value": three_users[:1]}),
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(r.to_line() for r in records))
    items = ReplayReader(path).read(10)
    assert all(isinstance(i, ConfigItem) for i in items)
    config = [i for i in items if isinstance(i, ConfigItem)]
    assert [(i.pbx_id, i.received_at, len(i.queues), len(i.users or ())) for i in config] == [
        ("p1", T0, 2, 3),  # the pair: one fetch, at the queues' time
        ("p1", t2, 1, 3),  # queues alone: with the latest users
        ("p1", t2, 1, 1),  # users alone: with the latest queues
    ]  # p2's users before any p2 queues give no item


def test_replay_reader_skips_and_counts_a_malformed_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "r.jsonl"
    good = [ReplayRecord("active_calls", "p1", T0 + timedelta(seconds=i), {"value": []})
            for i in (1, 2)]
    path.write_text(good[0].to_line() + '{"kind": "active_calls"}\n' + good[1].to_line())
    reader = ReplayReader(path)
    items = reader.read(10)
    assert [i.poll.received_at for i in items] == [  # type: ignore[union-attr]
        r.received_at for r in good]
    assert reader.skipped_lines == 1
    assert reader.position.offset == 2  # positions count records, so a resume lines up
    assert any(f"{path}:2" in str(getattr(r, "error", "")) for r in caplog.records)


def test_replay_reader_paces_by_recorded_time(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("".join(
        ReplayRecord("active_calls", "p1", T0 + timedelta(seconds=i), {"value": []}).to_line()
        for i in range(3)))
    now = [100.0]
    reader = ReplayReader(path, speed=2.0, clock=lambda: now[0])
    assert len(reader.read(10)) == 1
    assert reader.wait_s() == pytest.approx(0.5)
    now[0] += 0.5
    assert len(reader.read(10)) == 1


def test_config_needs_exactly_one_source_and_unique_pbx_ids(tmp_path: Path) -> None:
    from queuepulse.errors import ConfigError

    with pytest.raises(ConfigError):
        LiveFlowConfig()
    with pytest.raises(ConfigError):
        LiveFlowConfig(targets=(PbxSettings(), PbxSettings()))
    pbx_file = tmp_path / "pbx.yaml"
    pbx_file.write_text("- pbx_id: a\n  url: http://127.0.0.1:1\n- pbx_id: b\n")
    targets = load_pbx_file(pbx_file, PbxSettings(client_id="shared"))
    assert [t.pbx_id for t in targets] == ["a", "b"]
    assert targets[1].client_id == "shared"


def test_summary_render_shows_sla_and_totals() -> None:
    rows = [QueueSummary("800", waiting=2, longest_wait_s=31, offered=10, answered=8,
                         abandoned=2, short_abandoned=1, answered_in_sla=6),
            QueueSummary("801")]
    text = render(T0, rows, "footer")
    lines = text.splitlines()
    line_800 = next(line for line in lines if line.split()[0] == "800")
    assert line_800.split()[1:] == ["2", "31s", "0", "10", "8", "2", "66.7", "0/0/0"]
    assert next(line for line in lines if line.split()[0] == "801").split()[-2] == "-"
    total = next(line for line in lines if line.split()[0] == "all")
    assert total.split() == ["all", "2", "queues", "2", "31s", "0", "10", "8", "2", "66.7"]
    assert text.endswith("footer")
    named = render(T0, [QueueSummary("800", name="Sales support team")])
    assert "Sales support " in named  # names are cut to the column, never shift it


def test_health_rows_report_the_gap_of_a_failed_stretch() -> None:
    stepper = PbxStepper(LiveFlowConfig(replay=Path("x")).rules, clock=lambda: T0.timestamp())
    state = None
    gaps: list[float | None] = []
    for s in range(1, 10):
        now = T0 + timedelta(seconds=s)
        failed = s in (4, 5, 6)
        poll = (Poll("p1", now, (), ok=False, error="timeout") if failed
                else Poll("p1", now, (_row(7, "800 Sales", "Ringing", T0, now),)))
        state, out = stepper(state, PollItem(poll))
        ((_, health),) = [r for r in out.rows if r[0] == "pipeline_health"]
        assert (health["rows_written"], health["write_errors"]) == (0, 0)  # the sink's to say
        gaps.append(health["gap_s"])
    # failed polls: seconds since the last good poll (s = 3); the next good one: the whole gap
    assert gaps == [None, None, None, 1.0, 2.0, 3.0, 4.0, None, None]


def _health(pbx: str, second: int) -> tuple[str, dict[str, Any]]:
    return ("pipeline_health", {"pbx_id": pbx, "ts": T0 + timedelta(seconds=second)})


def _gauge(pbx: str) -> tuple[str, dict[str, Any]]:
    return ("queue_live", {"pbx_id": pbx})


def test_commit_recorder_stamps_what_committed_before_each_health_row() -> None:
    recorder = CommitRecorder(keep=True, clock=lambda: (T0 + timedelta(seconds=3)).timestamp())
    first = [_gauge("a"), _gauge("b"), _gauge("a")]  # committed without a health row
    recorder.committed(recorder.before_write(first))
    attempt = [_gauge("a"), _health("a", 1), _gauge("b"), _gauge("a")]
    recorder.write_failed(recorder.before_write(attempt))
    recorder.write_failed(recorder.before_write(attempt))
    stamped = recorder.before_write(attempt)
    assert stamped[1][1] == {"pbx_id": "a", "ts": T0 + timedelta(seconds=1),
                             "rows_written": 3, "write_errors": 2}
    assert attempt[1][1] == {"pbx_id": "a", "ts": T0 + timedelta(seconds=1)}  # not mutated
    recorder.committed(stamped)
    assert recorder.samples == [("a", 2.0)]
    # b: one row before, one in the failed batches, and both failures; a starts again at 1
    (_, b), (_, a) = recorder.before_write([_health("b", 2), _health("a", 2)])
    assert (b["rows_written"], b["write_errors"]) == (2, 2)
    assert (a["rows_written"], a["write_errors"]) == (1, 0)


def test_queue_live_is_written_on_change_and_on_heartbeat() -> None:
    from queuepulse.domain.gauges import QueueLive
    from queuepulse.live.pbx_step import changed_gauges

    def gauge(s: int, waiting: int, oldest_s: int | None = None) -> QueueLive:
        ts = T0 + timedelta(seconds=s)
        wait = float(s - oldest_s) if oldest_s is not None else 0.0
        return QueueLive("p1", "800", ts, waiting, wait, 0, 2, 0, 2)

    sent: Any = {}
    written = []
    # one caller waits from s=0 to s=99 (its wait grows: not news), heartbeat 60 s
    for s in range(100):
        out, sent = changed_gauges([gauge(s, 1, 0)], sent, 60.0)
        written += [g.ts for g in out]
    assert written == [T0, T0 + timedelta(seconds=60)]
    # the longest-waiting caller is replaced by a later one: the entry time changed
    out, sent = changed_gauges([gauge(100, 1, 90)], sent, 60.0)
    assert len(out) == 1
    out, sent = changed_gauges([gauge(101, 0)], sent, 60.0)
    assert [g.waiting for g in out] == [0]
    out, _ = changed_gauges([gauge(102, 0)], sent, 60.0)
    assert out == []


def test_presence_poll_changes_agent_state_and_the_next_gauges() -> None:
    from queuepulse.live.items import PresenceItem

    stepper = PbxStepper(LiveFlowConfig(replay=Path("x")).rules, clock=lambda: T0.timestamp())
    state, _ = stepper(None, ConfigItem("p1", T0, QUEUES, USERS))
    state, out = stepper(state, PollItem(Poll("p1", T0 + timedelta(seconds=1), ())))
    [gauge] = [row for table, row in out.rows if table == "queue_live"]
    assert gauge.agents_free == 1
    # Ann takes a break: the presence poll (presence fields only) says so 5 s later
    away = ({"Number": "1001", "QueueStatus": "LoggedIn", "CurrentProfileName": "Lunch",
             "IsRegistered": True}, {"Number": "9999", "CurrentProfileName": "Away"})
    state, out = stepper(state, PresenceItem("p1", T0 + timedelta(seconds=5), away))
    [(table, row)] = out.rows  # the unknown 9999 waits for the next full sync
    assert table == "agent_states"
    assert (row["agent_dn"], row["profile"], row["state"]) == ("1001", "Lunch", "away")
    state, out = stepper(state, PollItem(Poll("p1", T0 + timedelta(seconds=6), ())))
    [gauge] = [row for table, row in out.rows if table == "queue_live"]
    assert gauge.agents_free == 0
    # the same presence again: nothing new
    state, out = stepper(state, PresenceItem("p1", T0 + timedelta(seconds=10), away))
    assert out.rows == ()
