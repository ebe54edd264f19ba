"""Poison recordings through ``replay``'s own flow into the real database: the flow ends
normally, every good poll is written, and nothing reaches the dead letters that the checks at
entry should have cleaned (each refusal there would be one row, with its reason)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from bytewax.testing import run_main
from test_poison_input_unit import PBX, POISON_LINES, poison_lines

from flows.live import build_flow
from queuepulse.live.config import LiveFlowConfig

pytestmark = pytest.mark.db


def test_poison_recording_replays_to_the_end(pg_writer_dsn: str, tmp_path: Path) -> None:
    lines = poison_lines()
    path = tmp_path / "poison.jsonl"
    path.write_bytes(b"".join(lines))
    config = LiveFlowConfig(replay=path, dsn=pg_writer_dsn, load_known=False,
                            spool_dir=tmp_path / "spool")
    run_main(build_flow(config))
    polls = sum(1 for line in lines if b'"active_calls"' in line[:40]) - (POISON_LINES - 1)
    with psycopg.connect(pg_writer_dsn) as conn:
        health = conn.execute(
            "SELECT count(*) FROM pipeline_health WHERE pbx_id = %s", (PBX,)).fetchone()
        letters = conn.execute("SELECT count(*) FROM write_dead_letters").fetchone()
        last = conn.execute(
            "SELECT max(ts) FROM pipeline_health WHERE pbx_id = %s", (PBX,)).fetchone()
    assert health == (polls,)
    assert letters == (0,)
    assert last is not None
    assert last[0].second == 50  # the last, good poll was written: nothing stalled
    assert not any((tmp_path / "spool").rglob("*.seg"))
