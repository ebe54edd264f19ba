"""``queuepulse run reconcile --since ... --until ...`` against the simulator over HTTP, as the
writer role: a backfill with a progress bar, then a resumed run that has nothing left to do."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from queuepulse.cli import main
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main`` points the root logger at the (captured) stderr; undo it after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_run_reconcile_backfill_and_resume(pg_writer_dsn: str,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    since = (now - timedelta(minutes=25)).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = SimulatorConfig(model=ModelConfig(seed=5, queues=2, agents=6,
                                               calls_per_min_per_queue=2.0),
                             manual_clock=True, warmup_s=1800, pbx_id="cli",
                             client_id="cli-rec", client_secret="cli-rec-secret")
    with run_simulator(config) as sim:
        monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "cli-rec-secret")
        argv = ["run", "reconcile", "--url", sim.base_url, "--dsn", pg_writer_dsn,
                "--pbx-id", "cli", "--client-id", "cli-rec", "--since", since,
                "--period", "300", "--settle", "0"]
        assert main(argv) == 0
        first = capsys.readouterr()
        assert main(argv) == 0
        second = capsys.readouterr()
    print(first.err + first.out + second.out)
    assert "periods" in first.err  # the progress bar
    assert "CDR rows" in first.err
    assert first.out.startswith("reconciled cli: ")
    assert " 0 already done, 0 failed" in first.out
    assert " 0 period(s) run, " in second.out  # resumed: everything was done
    with psycopg.connect(pg_writer_dsn) as conn:
        runs = conn.execute("SELECT count(*), min(status), max(status) FROM "
                            "reconciliation_runs WHERE pbx_id = 'cli'").fetchone()
        visits = conn.execute("SELECT count(*) FROM queue_calls WHERE pbx_id = 'cli' "
                              "AND source = 'cdr'").fetchone()
    assert runs is not None
    assert runs[0] >= 4
    assert runs[1:] == ("ok", "ok")
    assert visits is not None
    assert visits[0] > 0


def test_run_reconcile_until_without_since_is_a_clean_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["run", "reconcile", "--until", "2026-01-05T10:00Z", "--dsn",
                 "postgresql://nobody@127.0.0.1:1/none"])
    assert code == 2
    assert "--until needs --since" in capsys.readouterr().err


def test_run_reconcile_page_size_below_one_is_a_clean_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["run", "reconcile", "--since", "2026-01-05T09:00Z", "--page-size", "0",
                 "--dsn", "postgresql://nobody@127.0.0.1:1/none"])
    assert code == 2
    assert "--page-size must be at least 1, got 0" in capsys.readouterr().err
