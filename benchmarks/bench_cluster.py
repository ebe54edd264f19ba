"""The live flow on one member vs a two-member Bytewax cluster, on this machine.

Usage: .venv/bin/python benchmarks/bench_cluster.py [--seconds 40] [--pbxs 200]
           [--shapes provider,site]

Two shapes, each polled at 1 s by ``queuepulse run live`` for ``--seconds``:

* ``provider``: the service-provider shape, ``--pbxs`` small PBXs (2 queues, 8 agents, about
  20 calls each; one simulator process serving them as tenants);
* ``site``: the large-site shape, one PBX at 10x (1,000 queues, 5,000 agents, about 10,000
  calls).

Each shape runs twice against a fresh throwaway TimescaleDB (non-durable: fsync off): as one
member (one process) and as a two-member cluster (two processes, ``--addresses`` on
loopback, each in its own working directory, as if on two hosts). Printed per run: polls kept
per second (successful polls received from 15 s after the start until 3 s before the end),
poll-to-commit p50/p99 (each member's /metrics histogram, interpolated within buckets as
Prometheus' histogram_quantile does, read 3 s before the end), and the CPU each process used
after the first 15 s (the members, PostgreSQL, the simulator) per poll kept, with the rows
written per second — the database's share decides where one TimescaleDB stops scaling.

The simulator and the database share the machine's cores with the members, so on a 2-core
machine the cluster's figures show the cost of the cluster (serialising items between
processes, two pollers' threads) more than its gain; the model in docs/cluster.md uses the
per-poll costs, not the throughput of this machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_live import (  # noqa: E402
    SECRET,
    new_database,
    row_counts,
    scrape_commit_histogram,
    start_simulator,
)

from queuepulse.live.runner import free_ports  # noqa: E402
from queuepulse.store.db import connect  # noqa: E402

assert SECRET  # bench_live puts the simulator's secret in QUEUEPULSE_PBX__CLIENT_SECRET

WARMUP_S = 15.0


@dataclass
class Run:
    label: str
    polls_kept_per_s: float
    expected_per_s: int
    commit_p50_s: float
    commit_p99_s: float
    cpu_s: dict[str, float]
    polls: int
    rows_per_s: float
    seconds: float


def quantile(buckets: dict[float, float], q: float) -> float:
    """Prometheus' histogram_quantile: linear within the bucket holding the q-th sample."""
    bounds = sorted(buckets)
    total = buckets.get(float("inf"), 0.0)
    if not total:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for le in bounds:
        if buckets[le] >= rank:
            if le == float("inf"):
                return lower
            return lower + (le - lower) * (rank - below) / max(buckets[le] - below, 1e-9)
        lower, below = le, buckets[le]
    return lower


def merge(hists: list[dict[float, float]]) -> dict[float, float]:
    out: dict[float, float] = {}
    for h in hists:
        for le, n in h.items():
            out[le] = out.get(le, 0.0) + n
    return out


def cpu_of(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def postgres_processes(dsn: str) -> list[psutil.Process]:
    with connect(dsn, autocommit=True) as conn:
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
    pid = int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def run_members(
    label: str, pbx_file: Path, dsn: str, members: int, seconds: float, sim_pid: int,
    expected_per_s: int,
) -> Run:
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    ports = free_ports(members)
    addresses = ",".join(f"127.0.0.1:{p}" for p in free_ports(members))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for i in range(members):
        workdir = tmp / f"host-{i}"
        workdir.mkdir()
        cluster = ["--addresses", addresses, "--process-id", str(i)] if members > 1 else []
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "queuepulse.cli", "--log-level", "ERROR", "run", "live",
             "--pbx-file", str(pbx_file), "--dsn", dsn, "--run-for", str(seconds),
             "--metrics-port", str(ports[i]), *cluster], cwd=workdir, env=env,
            stdout=subprocess.DEVNULL))  # Bytewax's "retrying" lines while members join
    started = time.monotonic()
    watched = [psutil.Process(p.pid) for p in procs]
    sim = [psutil.Process(sim_pid)]
    time.sleep(WARMUP_S)  # CPU is measured after start-up (imports, checks, first polls)
    t0 = datetime.now(UTC)
    cpu0 = {"members": cpu_of(watched), "postgres": cpu_of(postgres_processes(dsn)),
            "simulator": cpu_of(sim)}
    time.sleep(max(1.0, seconds - 3 - WARMUP_S))
    hists = []
    for i, port in enumerate(ports):
        try:
            hists.append(scrape_commit_histogram(port))
        except OSError as exc:
            print(f"member {i}: /metrics unavailable ({exc})")
    pg = postgres_processes(dsn)  # the sinks' connections, alive now
    cpu1 = {"members": cpu_of(watched), "postgres": cpu_of(pg), "simulator": cpu_of(sim)}
    t1 = datetime.now(UTC)
    codes = [p.wait(timeout=180) for p in procs]
    elapsed = time.monotonic() - started
    if any(codes):
        print(f"{label}: a member exited with {codes}")
    with connect(dsn, autocommit=True) as conn:
        polls = conn.execute(
            "SELECT count(*) FROM pipeline_health WHERE errors = 0 AND ts BETWEEN %s AND %s",
            (t0, t1)).fetchone()[0]  # type: ignore[index]
    rows = sum(row_counts(dsn).values())
    hist = merge(hists)
    return Run(
        label=label,
        polls_kept_per_s=int(polls) / (t1 - t0).total_seconds(),
        expected_per_s=expected_per_s, commit_p50_s=quantile(hist, 0.5),
        commit_p99_s=quantile(hist, 0.99),
        cpu_s={k: cpu1[k] - cpu0[k] for k in cpu0}, polls=int(polls), rows_per_s=rows / elapsed,
        seconds=(t1 - t0).total_seconds())


def report(run: Run) -> None:
    busy = run.seconds  # the CPU window
    per_poll = {k: 1000 * v / max(1, run.polls) for k, v in run.cpu_s.items()}
    print(f"  {run.label:<28} polls kept {run.polls_kept_per_s:7.1f}/s of {run.expected_per_s}"
          f"  poll-to-commit p50 {run.commit_p50_s * 1000:5.0f} ms p99 "
          f"{run.commit_p99_s * 1000:5.0f} ms  rows {run.rows_per_s:6.0f}/s")
    print("  " + " " * 28 + " CPU: " + ", ".join(
        f"{k} {v / busy:.2f} cores ({per_poll[k]:.2f} ms/poll)" for k, v in run.cpu_s.items()))


def shape(name: str, pbxs: int, seconds: float) -> None:
    if name == "provider":
        sim, url = start_simulator(1, tenants=pbxs, queues=2, agents=8, noise=0.0)
        entries = [f"- pbx_id: pbx-{i}\n  url: {url}/pbx/{i}\n" for i in range(pbxs)]
        title = f"service provider: {pbxs} small PBXs (2 queues, 8 agents, ~20 calls each)"
    else:
        sim, url = start_simulator(10)
        entries = [f"- pbx_id: site\n  url: {url}\n"]
        title = "large site: 1 PBX at 10x (1,000 queues, 5,000 agents, ~10,000 calls)"
    pbx_file = Path(tempfile.mkdtemp(prefix="bench-cluster-")) / "pbxs.yaml"
    pbx_file.write_text("".join(entries))
    print(f"\n== {title}, 1 s polls, {seconds:g} s, {psutil.cpu_count()} cores ==")
    try:
        for members in (1, 2):
            cluster, dsn = new_database()
            try:
                label = "one member" if members == 1 else "two-member cluster"
                report(run_members(label, pbx_file, dsn, members, seconds, sim.pid,
                                   len(entries)))
            finally:
                cluster.destroy()
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--pbxs", type=int, default=200,
                        help="small PBXs of the service-provider shape (default 200)")
    parser.add_argument("--shapes", default="provider,site")
    args = parser.parse_args()
    for name in args.shapes.split(","):
        shape(name.strip(), args.pbxs, args.seconds)


if __name__ == "__main__":
    main()
