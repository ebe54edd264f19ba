"""A 10-minute database outage under the live flow loses nothing: a recording of 12 simulated
minutes is replayed (paced, so the flow runs while the database is away) into a database that
refuses every connection for 10 of those minutes; the flow keeps computing, spools what it
cannot write and, once the database is back, writes every table exactly as an uninterrupted
replay does."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest
from bytewax.testing import run_main
from live_helpers import dump, record

from flows.live import build_flow
from queuepulse.live.config import LiveFlowConfig
from queuepulse.store.buffer import OPEN_BUFFERS
from queuepulse.store.db import dsn_with

pytestmark = pytest.mark.e2e

SECONDS = 720
SPEED = 60.0  # the recording replays in 12 s


def _set_outage(admin_dsn: str, db: str, down: bool) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS {"false" if down else "true"}')
        if down:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (db,))


def test_ten_minute_outage_loses_no_visit(
    pg_dsn: str, second_dsn: str, tmp_path: Path,
) -> None:
    path = tmp_path / "rec.jsonl"
    record(path, seed=21, seconds=SECONDS)
    run_main(build_flow(LiveFlowConfig(replay=path, dsn=second_dsn, load_known=False,
                                       spool_dir=tmp_path / "spool-a")))

    db = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
    admin = dsn_with(pg_dsn, dbname="postgres")
    seen: dict[str, float] = {}

    def outage() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the first commit
            buffers = list(OPEN_BUFFERS.all().values())
            if any(b.stats.rows_written for b in buffers):
                break
            time.sleep(0.05)
        _set_outage(admin, str(db), down=True)
        seen["down_at"] = time.monotonic()
        time.sleep(600 / SPEED)  # ten simulated minutes
        seen["pending"] = float(sum(b.pending for b in OPEN_BUFFERS.all().values()))
        seen["spooled"] = float(sum(b.spool_bytes for b in OPEN_BUFFERS.all().values()))
        _set_outage(admin, str(db), down=False)

    controller = threading.Thread(target=outage)
    controller.start()
    try:
        run_main(build_flow(LiveFlowConfig(
            replay=path, replay_speed=SPEED, dsn=pg_dsn, load_known=False, buffer_rows=500,
            spool_dir=tmp_path / "spool-b")))
    finally:
        controller.join()
        _set_outage(admin, str(db), down=False)
    assert seen["pending"] > 1000  # the flow kept computing while the database was away
    assert seen["spooled"] > 0  # beyond 500 rows in memory, on disk
    assert dump(pg_dsn) == dump(second_dsn)
    assert not any((tmp_path / "spool-b").rglob("*.seg"))
