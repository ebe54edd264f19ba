"""A restart without recovery state: the visits the database holds open are reconciled with the
first poll (still there: continued; gone: ended when last seen, the uncertainty recorded)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from bytewax.testing import run_main

from flows.live import build_flow
from queuepulse.domain.pbx_config import KnownConfig
from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import poll_from_body
from queuepulse.live.config import LiveFlowConfig
from queuepulse.live.items import ConfigItem, KnownConfigItem, PollItem
from queuepulse.live.pbx_step import LiveState, PbxStepper
from queuepulse.store.config_writer import ConfigStore
from queuepulse.store.writers import BatchWriter

pytestmark = pytest.mark.db

PBX = "restart"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
QUEUES = [{"Number": "800", "Name": "Sales", "SLATime": 20,
           "Agents": [{"Number": "101"}, {"Number": "102"}]}]
USERS = [{"Number": n, "FirstName": n, "QueueStatus": "LoggedIn", "IsRegistered": True}
         for n in ("101", "102")]


def _iso(s: float) -> str:
    return (T0 + timedelta(seconds=s)).isoformat().replace("+00:00", "Z")


def _row(call_id: int, callee: str, status: str, changed: float, now: float) -> dict[str, Any]:
    return {"Id": call_id, "Caller": "+4930 Bob", "Callee": callee, "Status": status,
            "LastChangeStatus": _iso(changed), "EstablishedAt": _iso(0), "ServerNow": _iso(now)}


def _body(now: float, *rows: dict[str, Any]) -> dict[str, Any]:
    return {"value": list(rows)}


def _first_run(path: Path) -> None:
    """Calls 1 (waiting) and 2 (answered, talking) are open when the recording ends at 20 s."""
    lines = [{"kind": "queues", "pbx_id": PBX, "received_at": _iso(0), "body": {"value": QUEUES}},
             {"kind": "users", "pbx_id": PBX, "received_at": _iso(0), "body": {"value": USERS}}]
    for t in range(1, 21):
        rows = [_row(1, "800 Sales", "Ringing", 0.5, t)]
        rows.append(_row(2, "800 Sales", "Ringing", 0.5, t) if t < 5
                    else _row(2, "101 A", "Talking", 4.5, t))
        lines.append({"kind": "active_calls", "pbx_id": PBX, "received_at": _iso(t),
                      "body": _body(t, *rows)})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_open_visits_are_continued_or_ended_when_last_seen(
    pg_writer_dsn: str, tmp_path: Path,
) -> None:
    path = tmp_path / "first.jsonl"
    _first_run(path)
    run_main(build_flow(LiveFlowConfig(replay=path, dsn=pg_writer_dsn, load_known=False,
                                       spool_dir=tmp_path / "spool")))
    store = ConfigStore.from_dsn(pg_writer_dsn)
    known = store.load_with_open_calls(PBX)
    store.close()
    assert sorted(c.call_key.split("@")[0] for c in known.open_calls) == ["1", "2"]
    assert known.last_seen == T0 + timedelta(seconds=20)

    # the restart, 40 s later: call 1 is gone, call 2 still talks, then ends at 70 s
    stepper = PbxStepper(Rules())
    state: LiveState | None = None
    rows = []
    items: list[Any] = [
        KnownConfigItem(PBX, known),
        ConfigItem(PBX, T0 + timedelta(seconds=60), tuple(QUEUES), tuple(USERS)),
        *(PollItem(poll_from_body(PBX, T0 + timedelta(seconds=t),
                                  _body(t, _row(2, "101 A", "Talking", 4.5, t))))
          for t in (60, 61, 62)),
        PollItem(poll_from_body(PBX, T0 + timedelta(seconds=70), _body(70))),
    ]
    for item in items:
        state, out = stepper(state, item)
        rows.extend(out.rows)
    writer = BatchWriter.from_dsn(pg_writer_dsn)
    batch: dict[str, list[Any]] = {}
    for table, row in rows:
        batch.setdefault(table, []).append(row)
    writer.write(batch)
    writer.close()

    with psycopg.connect(pg_writer_dsn) as conn:
        visits = conn.execute(
            "SELECT split_part(call_key, '@', 1), outcome, entered_at, answered_at, ended_at, "
            "end_uncertainty_s FROM queue_calls WHERE pbx_id = %s ORDER BY 1", (PBX,)).fetchall()
        dupes = conn.execute(
            "SELECT count(*) - count(DISTINCT event_id) FROM call_events WHERE pbx_id = %s",
            (PBX,)).fetchone()
        open_left = conn.execute(
            "SELECT count(*) FROM queue_calls WHERE pbx_id = %s AND ended_at IS NULL",
            (PBX,)).fetchone()
    assert open_left == (0,)
    assert dupes == (0,)
    assert len(visits) == 2  # one visit per call: the restart opened none
    (k1, out1, in1, _ans1, end1, unc1), (k2, out2, _in2, ans2, end2, _unc2) = visits
    assert (k1, out1) == ("1", "abandoned")
    assert in1 == T0 + timedelta(seconds=0.5)
    assert end1 == T0 + timedelta(seconds=20)  # when last seen, not when the restart noticed
    assert unc1 == pytest.approx(40.0)
    assert (k2, out2) == ("2", "answered")
    assert ans2 == T0 + timedelta(seconds=4.5)  # the answer of the first run stays
    assert end2 == T0 + timedelta(seconds=70)


def test_with_recovery_state_the_database_is_not_consulted() -> None:
    """A resumed flow already holds its calls: the open calls from the database are ignored."""
    stepper = PbxStepper(Rules())
    state, _ = stepper(None, PollItem(poll_from_body(
        PBX, T0 + timedelta(seconds=1), _body(1, _row(3, "800 Sales", "Ringing", 0.5, 1)))))
    assert state.lifecycle is not None
    before = state.lifecycle
    from queuepulse.domain.lifecycle import RestoredCall
    from queuepulse.domain.visits import QueueVisit

    ghost = RestoredCall("9@x", 9, (QueueVisit(PBX, "9@x", "800", T0),), 1, T0)
    state, _ = stepper(state, KnownConfigItem(PBX, KnownConfig(open_calls=(ghost,),
                                                               last_seen=T0)))
    assert state.lifecycle is before
    assert state.known.open_calls == ()
