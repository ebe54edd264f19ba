"""Bytewax recovery: a replay killed with SIGKILL mid-way and restarted from its recovery
directory leaves every table exactly as an uninterrupted replay does.

The idempotent upserts alone would make a restart *from the beginning* pass the table
comparison, so the test also checks that the second run resumed: it processed fewer polls than
the recording holds (it started from a snapshot), yet at least every poll not committed at the
kill (nothing was skipped)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from live_helpers import dump, record

from queuepulse.store.db import connect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _replay(dsn: str, path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "queuepulse.cli", "--log-level", "WARNING", "replay", str(path),
         "--dsn", dsn, *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def _polls_committed(stdout: str) -> int:
    """The replay command's own count: 'replayed FILE: N polls committed in S s'."""
    match = re.search(r"replayed .*: (\d+) polls committed", stdout)
    assert match, f"unexpected replay output: {stdout!r}"
    return int(match.group(1))


def _polls_written(dsn: str) -> int:
    with connect(dsn, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pipeline_health").fetchone()
    return int(row[0]) if row else 0


def test_sigkill_and_resume_equals_uninterrupted(
    pg_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    path = tmp_path / "rec.jsonl"
    rec, _, _ = record(path, seed=11, seconds=240)
    polls = sum(1 for r in rec.records if r.kind == "active_calls")

    # A: uninterrupted
    first = _replay(pg_dsn, path)
    out_a, _ = first.communicate(timeout=120)
    assert first.returncode == 0
    assert _polls_committed(out_a) == polls

    # B: paced (about 8 s), killed once a third of the polls committed, then resumed
    recovery = tmp_path / "recovery"
    args = ("--recovery-dir", str(recovery), "--snapshot-s", "1", "--speed", "30")
    proc = _replay(second_dsn, path, *args)
    deadline = time.monotonic() + 60
    while _polls_written(second_dsn) < polls // 3:
        assert time.monotonic() < deadline, "the replay made no progress"
        with contextlib.suppress(subprocess.TimeoutExpired):  # waits 0.1 s unless it ended
            proc.wait(timeout=0.1)
            pytest.fail("the replay ended before it could be killed")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    at_kill = _polls_written(second_dsn)
    assert 0 < at_kill < polls
    resumed = _replay(second_dsn, path, *args)
    out_b, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0
    redone = _polls_committed(out_b)
    print(f"\nrecovery: the resumed run processed {redone} of {polls} polls "
          f"({at_kill} were committed at the kill)")
    assert redone < polls, "the restart replayed everything: recovery was not used"
    assert redone >= polls - at_kill, "polls not committed at the kill were skipped"

    a, b = dump(pg_dsn), dump(second_dsn)
    print(f"\nrecovery: {polls} polls, killed after {at_kill} committed; rows per table: "
          + ", ".join(f"{t}={len(rows)}" for t, rows in a.items()))
    assert sum(len(r) for r in a.values()) > polls
    for table in a:
        assert a[table] == b[table], f"{table} differs after SIGKILL + resume"
    with psycopg.connect(second_dsn) as conn:
        dupes = conn.execute(
            "SELECT count(*) - count(DISTINCT event_id) FROM call_events").fetchone()
    assert dupes == (0,)
