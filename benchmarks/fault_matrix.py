"""Fault matrix: each simulator fault kind, a database outage and SIGKILLs against the live flow,
judged by the simulator's ground truth.

Usage: .venv/bin/python benchmarks/fault_matrix.py [--sim-minutes 3] [--speed 10]
           [--cases clean,status,...] [--outage-s 60]

For each case a seeded simulator (2 queues, 8 agents, 10 calls/min per queue, 5 simulated
minutes of warm-up) is served over HTTP at ``--speed`` times real time and polled every
simulated second by the live flow — the ``run live`` flow built in this process (PollingSource,
lifecycle, KPI windows, the store sink with its disk spool) into a fresh database of a throwaway
TimescaleDB cluster — for ``--sim-minutes`` simulated minutes. The ``kills`` case runs
``queuepulse run live --recovery-dir`` as a child process, SIGKILLs it three times at random
moments and restarts it. The ``db-outage`` case stops the database for ``--outage-s`` simulated
seconds a third of the way in (earlier when a long outage would not end before the last
fifth of the run).

Then every true visit that entered after the first poll, ended before the last one and waited
longer than two poll intervals is looked up in ``queue_calls``; printed per case: visits
checked, missing, wrong outcome, wait beyond its bound (one poll interval, or the visit's
recorded end uncertainty when polls failed around its end), duplicate event ids, dead letters,
clock anomalies recorded, and the wall time. Bounded: about (sim-minutes * 60 / speed + 5) s
per case.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from bytewax.testing import run_main  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from flows.live import build_flow  # noqa: E402
from queuepulse.live.config import LiveFlowConfig  # noqa: E402
from queuepulse.settings import PbxSettings  # noqa: E402
from queuepulse.simulator.config import SimulatorConfig  # noqa: E402
from queuepulse.simulator.faults import parse_fault_spec  # noqa: E402
from queuepulse.simulator.model.config import ModelConfig  # noqa: E402
from queuepulse.simulator.server import RunningSimulator, run_simulator  # noqa: E402
from queuepulse.store.db import connect  # noqa: E402
from queuepulse.store.localdb import LocalCluster  # noqa: E402
from queuepulse.store.migrations import load_migrations, upgrade  # noqa: E402

PBX = "fm"
POLL_S = 1.0  # simulated seconds between polls

#: case name -> simulator fault spec ("" = none); db-outage and kills are special
CASES: dict[str, str] = {
    "clean": "",
    "status-5xx": "ActiveCalls:status=503@p0.05",
    "429": "ActiveCalls:429=0@p0.03",
    "401-token": "ActiveCalls:401@p0.03; token:status=500@p0.05",
    "latency": "ActiveCalls:latency=0.05@p0.2",
    "malformed": "ActiveCalls:malformed@p0.05",
    "html": "ActiveCalls:html@p0.05",
    "truncated": "ActiveCalls:truncated@p0.05",
    "reset": "ActiveCalls:reset@p0.05",
    "stale": "ActiveCalls:stale@p0.05",
    "restart": "ActiveCalls:restart@n60",
    "skew-jumps": "ActiveCalls:skew=30@p0.025; ActiveCalls:skew=-20@p0.025",
    "pbx-clock-45s": "",  # the whole PBX clock 45 s ahead (SimulatorConfig.clock_skew_s)
    "servernow-45s": "ActiveCalls:skew=45",  # ServerNow alone 45 s ahead of its other times
    "config-faults": "Queues:status=503@p0.3; Users:status=500@p0.3",
    "db-outage": "",
    "kills": "",
}


@dataclass
class Result:
    checked: int = 0
    missing: int = 0
    wrong_outcome: int = 0
    wait_beyond: int = 0
    duplicate_ids: int = 0
    dead_letters: int = 0
    clock_anomalies: int = 0
    open_left: int = 0
    wall_s: float = 0.0


def _ts(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _pbx(sim: RunningSimulator, speed: float) -> PbxSettings:
    return PbxSettings(pbx_id=PBX, url=sim.base_url, client_id=sim.client_id,
                       client_secret=SecretStr(sim.client_secret),
                       poll_interval_s=POLL_S / speed, sync_interval_s=60.0 / speed,
                       timeout_s=max(0.5, 5.0 / speed), retry_budget_s=0.8 * POLL_S / speed)


def _in_process(sim: RunningSimulator, dsn: str, spool: Path, speed: float, run_for: float,
                during: Callable[[], None] | None = None) -> None:
    config = LiveFlowConfig(targets=(_pbx(sim, speed),), dsn=dsn, run_for_s=run_for,
                            spool_dir=spool)
    worker = threading.Thread(target=during) if during is not None else None
    if worker is not None:
        worker.start()
    try:
        run_main(build_flow(config), epoch_interval=None)
    finally:
        if worker is not None:
            worker.join()


def _child(sim: RunningSimulator, dsn: str, tmp: Path, speed: float,
           *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QUEUEPULSE_PBX__URL": sim.base_url,
           "QUEUEPULSE_PBX__CLIENT_ID": sim.client_id,
           "QUEUEPULSE_PBX__CLIENT_SECRET": sim.client_secret, "QUEUEPULSE_PBX__PBX_ID": PBX,
           "QUEUEPULSE_PBX__POLL_INTERVAL_S": str(POLL_S / speed),
           "QUEUEPULSE_PBX__SYNC_INTERVAL_S": str(60.0 / speed),
           "QUEUEPULSE_DB__SPOOL_DIR": str(tmp / "spool")}
    return subprocess.Popen(
        [sys.executable, "-m", "queuepulse.cli", "--log-level", "ERROR", "run", "live",
         "--dsn", dsn, "--recovery-dir", str(tmp / "recovery"), "--snapshot-s", "1",
         "--metrics-port", "0", *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)


def _kills(sim: RunningSimulator, dsn: str, tmp: Path, speed: float, run_for: float) -> None:
    rnd = random.Random(15)
    deadline = time.monotonic() + run_for
    for _ in range(3):
        proc = _child(sim, dsn, tmp, speed)
        time.sleep(run_for / 5 * (0.6 + 0.8 * rnd.random()))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = max(3.0, deadline - time.monotonic())
    _child(sim, dsn, tmp, speed, "--run-for", f"{left:.1f}").wait()


def _judge(dsn: str, truth: list[dict[str, Any]], first: datetime, last: datetime) -> Result:
    with connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT call_key, queue_dn, entered_at, outcome, wait_s, end_uncertainty_s "
            "FROM queue_calls WHERE pbx_id = %s", (PBX,)).fetchall()
        dupes = conn.execute("SELECT count(*) - count(DISTINCT event_id) FROM call_events"
                             ).fetchone()
        letters = conn.execute("SELECT count(*) FROM write_dead_letters").fetchone()
        clock = conn.execute(
            "SELECT count(*) FROM call_events WHERE event_type = 'anomaly' "
            "AND details->>'kind' IN ('clock_jump', 'clock_step')").fetchone()
        open_left = conn.execute(
            "SELECT count(*) FROM queue_calls WHERE ended_at IS NULL AND entered_at < %s",
            (last - timedelta(minutes=10),)).fetchone()
    by_key: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in rows:
        by_key.setdefault((row[0], row[1]), []).append(row)
    r = Result(duplicate_ids=int(dupes[0]) if dupes else 0,
               dead_letters=int(letters[0]) if letters else 0,
               clock_anomalies=int(clock[0]) if clock else 0,
               open_left=int(open_left[0]) if open_left else 0)
    for v in truth:
        entered, ended = _ts(v["entered_at"]), _ts(v["ended_at"])
        if entered is None or entered < first or ended is None or ended > last:
            continue
        if v["wait_s"] is None or v["wait_s"] <= 2 * POLL_S:
            continue
        r.checked += 1
        candidates = by_key.get((v["call_key"], v["queue_dn"]), [])
        if not candidates:
            r.missing += 1
            continue
        got = min(candidates, key=lambda row: abs((row[2] - entered).total_seconds()))
        if got[3] != v["outcome"]:
            r.wrong_outcome += 1
            continue
        if abs((got[4] or 0.0) - v["wait_s"]) > max(POLL_S, got[5] or 0.0) + 0.05:
            r.wait_beyond += 1
    return r


def run_case(name: str, cluster: LocalCluster, template: str, args: argparse.Namespace,
             index: int) -> Result:
    db = f"fm_{index}"
    cluster.drop_database(db)
    for attempt in range(20):  # autovacuum may hold the template for a moment
        try:
            cluster.create_database(db, template=template)
            break
        except psycopg.errors.ObjectInUse:
            if attempt == 19:
                raise
            time.sleep(0.5)
    dsn = cluster.dsn(db)
    speed = args.speed
    run_for = args.sim_minutes * 60.0 / speed
    faults = CASES[name]
    model = ModelConfig(seed=20 + index, queues=2, agents=8, calls_per_min_per_queue=10.0)
    config = SimulatorConfig(model=model, speed=speed, warmup_s=300, pbx_id=PBX,
                             faults=parse_fault_spec(faults) if faults else (),
                             fault_seed=index,
                             clock_skew_s=45.0 if name == "pbx-clock-45s" else 0.0)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fm-") as tmp, run_simulator(config) as sim:
        start = datetime.fromtimestamp(sim.now_ms() / 1000, UTC)
        if name == "kills":
            _kills(sim, dsn, Path(tmp), speed, run_for)
        elif name == "db-outage":
            def outage() -> None:  # back with at least a fifth of the run left to drain
                time.sleep(max(1.0, min(run_for / 3, 0.8 * run_for - args.outage_s / speed)))
                cluster.stop(mode="fast")
                time.sleep(args.outage_s / speed)
                cluster.ensure_running()
            _in_process(sim, dsn, Path(tmp) / "spool", speed, run_for, outage)
        else:
            _in_process(sim, dsn, Path(tmp) / "spool", speed, run_for)
        end = datetime.fromtimestamp(sim.now_ms() / 1000, UTC)
        truth = sim.truth.visits()
    result = _judge(dsn, truth, start + timedelta(seconds=5 * POLL_S),
                    end - timedelta(seconds=5 * POLL_S))
    result.wall_s = time.monotonic() - t0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim-minutes", type=float, default=3.0)
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--outage-s", type=float, default=60.0,
                        help="simulated seconds the database is stopped (db-outage case)")
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    names = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {', '.join(CASES)}")
    cluster = LocalCluster.throwaway(dbname="fm_template")
    template = "fm_template"
    try:
        with connect(cluster.ensure_running(), autocommit=True) as conn:
            upgrade(conn, *load_migrations())
        print(f"fault matrix: {args.sim_minutes:g} simulated minutes per case at "
              f"{args.speed:g}x, polls every {POLL_S:g} simulated s")
        print(f"{'case':<15}{'checked':>8}{'missing':>8}{'wrong':>7}{'wait>':>7}"
              f"{'dup ids':>8}{'dead':>6}{'clock':>7}{'open':>6}{'wall s':>8}")
        for i, name in enumerate(names):
            r = run_case(name, cluster, template, args, i)
            print(f"{name:<15}{r.checked:>8}{r.missing:>8}{r.wrong_outcome:>7}"
                  f"{r.wait_beyond:>7}{r.duplicate_ids:>8}{r.dead_letters:>6}"
                  f"{r.clock_anomalies:>7}{r.open_left:>6}{r.wall_s:>8.1f}", flush=True)
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
