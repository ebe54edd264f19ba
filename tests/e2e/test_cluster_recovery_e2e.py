"""A two-member cluster (two processes on loopback addresses, each with its own working and
recovery directory) replays a recording; one member is killed with SIGKILL mid-way: the other
stops too (a Bytewax cluster stops as a whole), both are restarted and resume from the last
snapshot, and every table equals an uninterrupted single-process replay.

One recording is one source partition (on one member); the lifecycle state and the KPI
windows are keyed state that Bytewax spreads over both members, so both members' recovery
directories hold state the resumed run needs."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from cluster_helpers import loopback_addresses, start_member
from live_helpers import dump, record
from test_live_recovery_e2e import _polls_committed, _polls_written, _replay

pytestmark = pytest.mark.e2e


def _replay_cluster(dsn: str, path: Path, tmp: Path, *extra: str) -> list[subprocess.Popen[str]]:
    addresses = loopback_addresses(2)
    return [start_member(["replay", str(path), "--dsn", dsn, "--metrics-port", "0",
                          "--recovery-dir", "recovery", *extra],
                         process_id=i, addresses=addresses, workdir=tmp / f"member-{i}")
            for i in range(2)]


def test_cluster_member_killed_then_resumed_equals_uninterrupted(
    pg_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    path = tmp_path / "rec.jsonl"
    rec, _, _ = record(path, seed=23, seconds=180)
    polls = sum(1 for r in rec.records if r.kind == "active_calls")

    first = _replay(pg_dsn, path)  # A: one process, uninterrupted
    out_a, _ = first.communicate(timeout=120)
    assert first.returncode == 0
    assert _polls_committed(out_a) == polls

    args = ("--snapshot-s", "1", "--speed", "30")
    members = _replay_cluster(second_dsn, path, tmp_path, *args)
    deadline = time.monotonic() + 90
    while _polls_written(second_dsn) < polls // 3:
        assert time.monotonic() < deadline, "the cluster made no progress"
        for m in members:
            with contextlib.suppress(subprocess.TimeoutExpired):
                m.wait(timeout=0.05)
                pytest.fail(f"a member ended before the kill: {m.communicate()[0]}")
    members[1].send_signal(signal.SIGKILL)
    members[1].communicate(timeout=10)
    out_0, _ = members[0].communicate(timeout=30)  # the survivor stops on its own
    at_kill = _polls_written(second_dsn)
    assert members[0].returncode == 2, out_0
    assert "connection to another member broke" in out_0
    assert "Traceback" not in out_0
    assert 0 < at_kill < polls
    for i in range(2):
        parts = sorted(p.name for p in (tmp_path / f"member-{i}" / "recovery").glob(
            "part-*.sqlite3"))
        assert parts == [f"part-{i}.sqlite3"], f"member {i} holds {parts}"

    resumed = _replay_cluster(second_dsn, path, tmp_path, *args)
    outs = [m.communicate(timeout=120)[0] for m in resumed]
    assert [m.returncode for m in resumed] == [0, 0], outs
    redone = sum(_polls_committed(o) for o in outs)
    print(f"\ncluster recovery: {polls} polls, {at_kill} committed at the kill, the resumed "
          f"cluster processed {redone}")
    assert redone < polls, "the restart replayed everything: recovery was not used"
    assert redone >= polls - at_kill, "polls not committed at the kill were skipped"

    a, b = dump(pg_dsn), dump(second_dsn)
    assert sum(len(r) for r in a.values()) > polls
    for table in a:
        assert a[table] == b[table], f"{table} differs after SIGKILL of a member + resume"
    with psycopg.connect(second_dsn) as conn:
        dupes = conn.execute(
            "SELECT count(*) - count(DISTINCT event_id) FROM call_events").fetchone()
    assert dupes == (0,)
    assert re.search(r"member 0 of 2", out_0)
