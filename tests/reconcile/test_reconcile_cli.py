"""``queuepulse run reconcile --since ... --until ...`` against the simulator over HTTP, as the
writer role: a backfill with a progress bar, then a resumed run that has nothing left to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from queuepulse.cli import main
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.e2e



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


def test_run_reconcile_backfill_with_a_wrong_secret_stops_before_any_period(
    pg_writer_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """A week of 15-minute periods (672) with a refused secret: one line, exit 2, after one
    token request — no period tried, no reconciliation_runs row."""
    config = SimulatorConfig(model=ModelConfig(seed=5, queues=1, agents=2),
                             manual_clock=True, pbx_id="wrong", client_id="rec",
                             client_secret="the-right-secret")
    with run_simulator(config) as sim:
        monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "a-wrong-secret")
        code = main(["run", "reconcile", "--url", sim.base_url, "--dsn", pg_writer_dsn,
                     "--pbx-id", "wrong", "--client-id", "rec", "--since", "2026-01-01",
                     "--until", "2026-01-08", "--no-progress"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert "token request POST /connect/token for client_id 'rec' was refused" in lines[0]
    assert "a-wrong-secret" not in err
    with psycopg.connect(pg_writer_dsn) as conn:
        runs = conn.execute("SELECT count(*) FROM reconciliation_runs").fetchone()
    assert runs == (0,)


async def test_a_secret_refused_mid_backfill_stops_it(pg_writer_dsn: str) -> None:
    """Credentials revoked after the start: the first period that meets them fails (recorded)
    and the backfill stops there instead of failing every remaining period."""
    from pydantic import SecretStr

    from queuepulse.reconcile.runner import ReconcileConfig, Reconciler
    from queuepulse.settings import PbxSettings
    from queuepulse.store.db import connect
    from queuepulse.xapi.client import XapiClient
    from queuepulse.xapi.errors import AuthError

    config = SimulatorConfig(model=ModelConfig(seed=5, queues=1, agents=2),
                             manual_clock=True, warmup_s=3600, pbx_id="revoked",
                             client_id="rec", client_secret="the-right-secret")
    with run_simulator(config) as sim:
        pbx = PbxSettings(pbx_id="revoked", url=sim.base_url, client_id="rec",
                          client_secret=SecretStr("the-right-secret"))
        now = datetime.fromtimestamp(sim.now_ms() / 1000, UTC)
        async with XapiClient(pbx) as client:
            await client.authenticate()
            client.auth._secret = SecretStr("rotated-away")  # the next token is refused
            client.auth.invalidate()
            reconciler = Reconciler(
                ReconcileConfig(pbx_id="revoked", period_s=300, settle_s=0,
                                fetch_reports=False),
                client, lambda: connect(pg_writer_dsn, autocommit=True),
                clock=lambda: now)
            with pytest.raises(AuthError):
                await reconciler.backfill(now - timedelta(minutes=30), now)
    with psycopg.connect(pg_writer_dsn) as conn:
        rows = conn.execute("SELECT status, count(*) FROM reconciliation_runs "
                            "WHERE pbx_id = 'revoked' GROUP BY status").fetchall()
    assert rows == [("failed", 1)]  # 6 periods due; stopped at the first
