"""The live flow end to end: simulator (own process) → poller → lifecycle → TimescaleDB.

Usage: .venv/bin/python benchmarks/bench_live.py [--seconds 60] [--scales 1,10] [--two-process]
           [--msp N] [--msp-cluster N]

Scale 1 is the seed target (100 queues, 500 agents, about 1,000 concurrent calls, 1 s polls);
scale 10 is ten times that. For each scale: a simulator process (``queuepulse simulate``,
15 simulated minutes of warm-up) and a throwaway TimescaleDB cluster (non-durable: fsync off)
are started, and the live flow polls for ``--seconds`` in this process. Prints per-poll
processing time (the per-PBX step) p50/p99, poll-to-commit latency p50/p99 (receive time of a
poll to the commit of its last row), polls made vs expected, rows/s, concurrent calls, and
peak RSS of this process and the simulator's.

``--msp N``: N small PBXs (2 queues, 8 agents, about 20 calls each) polled by one process, one
partition each (the service-provider shape). ``--msp-cluster N``: the same on a two-process
cluster.

``--two-process``: two PBXs (simulator ``--tenants 2``, each at scale 1) polled by
``queuepulse run live --processes 2`` (a two-process Bytewax cluster, one PBX each); prints
the lag (receive → processed) from ``pipeline_health`` and poll-to-commit from each process's
``/metrics`` histogram.

Figures measured so far, and the machine they were measured on: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

import psutil
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows import live as live_flow  # noqa: E402
from queuepulse.live.commit_latency import CommitRecorder  # noqa: E402
from queuepulse.live.config import LiveFlowConfig  # noqa: E402
from queuepulse.live.pbx_step import PbxStepper  # noqa: E402
from queuepulse.live.runner import run_flow  # noqa: E402
from queuepulse.live.startup import prepare_targets  # noqa: E402
from queuepulse.settings import PbxSettings  # noqa: E402
from queuepulse.store.db import connect  # noqa: E402
from queuepulse.store.localdb import LocalCluster  # noqa: E402
from queuepulse.store.migrations import load_migrations, upgrade  # noqa: E402

#: The simulator's client secret for this benchmark (passed through the environment).
SECRET = secrets.token_urlsafe(24)
os.environ["QUEUEPULSE_PBX__CLIENT_SECRET"] = SECRET

TABLES = ("call_events", "queue_calls", "queue_kpi_1m", "entry_queue_kpi_1m", "queue_live",
          "agent_states", "pipeline_health", "queues", "agents", "queue_agents")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def start_simulator(
    scale: int, tenants: int = 1, *, queues: int | None = None, agents: int | None = None,
    rate: float = 3.5, noise: float | None = None,
) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "queuepulse.cli", "--log-level", "WARNING", "simulate",
           "--port", "0", "--queues", str(queues or 100 * scale),
           "--agents", str(agents or 500 * scale),
           *(("--noise-rate", str(noise)) if noise is not None else ()),
           "--rate", str(rate), "--aht", "300", "--patience", "120", "--warmup", "900",
           "--history", "900", "--tenants", str(tenants), "--pbx-id", "bench",
           "--client-secret-env", "QUEUEPULSE_PBX__CLIENT_SECRET"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, json.loads(line)["simulator_url"]


def new_database() -> tuple[LocalCluster, str]:
    cluster = LocalCluster.throwaway(dbname="bench")
    dsn = cluster.ensure_running()
    with connect(dsn, autocommit=True) as conn:
        upgrade(conn, *load_migrations())
    return cluster, dsn


def row_counts(dsn: str) -> dict[str, int]:
    with connect(dsn, autocommit=True) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
                for t in TABLES}


class TimedStepper(PbxStepper):
    """The flow's step, timed per poll."""

    samples: ClassVar[list[float]] = []

    def __call__(self, state: Any, item: Any) -> Any:
        t0 = time.perf_counter()
        out = super().__call__(state, item)
        if hasattr(item, "poll"):
            TimedStepper.samples.append(time.perf_counter() - t0)
        return out


def bench_scale(scale: int, seconds: float) -> None:
    sim, url = start_simulator(scale)
    cluster, dsn = new_database()
    try:
        pbx = PbxSettings(pbx_id="bench", url=url, client_id="queuepulse",
                          client_secret=SecretStr(SECRET),
                          poll_interval_s=1.0, sync_interval_s=60.0, timeout_s=5.0)
        config = LiveFlowConfig(targets=(pbx,), dsn=dsn, run_for_s=seconds)
        recorder = CommitRecorder(keep=True)
        TimedStepper.samples = []
        live_flow.PbxStepper = TimedStepper  # type: ignore[misc]
        t_prep = time.monotonic()
        prepare_targets(config.targets, dsn)  # as `run live`: configuration before polling
        prep_s = time.monotonic() - t_prep
        started = time.monotonic()
        run_flow(live_flow.build_flow(config, recorder=recorder), snapshot_s=10.0)
        elapsed = time.monotonic() - started
        counts = row_counts(dsn)
        with connect(dsn, autocommit=True) as conn:
            calls = [int(r[0]) for r in conn.execute(
                "SELECT (details->>'calls')::int FROM pipeline_health WHERE errors = 0")]
            errors = conn.execute("SELECT coalesce(sum(errors), 0) FROM pipeline_health"
                                  ).fetchone()
            first_rows = [int(r[0]) for r in conn.execute(
                "SELECT rows_written FROM pipeline_health ORDER BY ts LIMIT 5")]
        sim_rss = psutil.Process(sim.pid).memory_info().rss
    finally:
        sim.terminate()
        sim.wait(timeout=10)
        cluster.destroy()
    steps = [s * 1000 for s in TimedStepper.samples]
    commits = [s * 1000 for _, s in recorder.samples]
    rows = sum(counts.values())
    print(f"\n== scale {scale}x: {100 * scale} queues, {500 * scale} agents, "
          f"{seconds:g} s of 1 s polls ==")
    print(f"concurrent calls      mean {sum(calls) / max(1, len(calls)):.0f}, "
          f"max {max(calls, default=0)}")
    print(f"polls committed       {len(commits)} of ~{int(seconds)} expected "
          f"(failed polls: {errors[0] if errors else '?'})")
    print(f"per-poll processing   p50 {pct(steps, 50):.1f} ms  p99 {pct(steps, 99):.1f} ms  "
          f"max {max(steps, default=0):.1f} ms")
    print(f"poll-to-commit        p50 {pct(commits, 50):.0f} ms  p99 {pct(commits, 99):.0f} ms"
          f"  max {max(commits, default=0):.0f} ms")
    steady, first = commits[5:], commits[:5]
    print(f"  the first 5 polls: {', '.join(f'{c:.0f}' for c in first)} ms to commit, "
          f"{', '.join(f'{c:.0f}' for c in steps[:5])} ms to process, "
          f"{', '.join(str(n) for n in first_rows)} rows (the first poll discovers every call "
          f"in progress; the initial configuration was written before polling, in "
          f"{prep_s:.1f} s)")
    print(f"  after the first 5 polls: "
          f"p50 {pct(steady, 50):.0f} ms  p99 {pct(steady, 99):.0f} ms  "
          f"max {max(steady, default=0):.0f} ms")
    steady_steps = steps[5:]
    print(f"  per-poll processing after the first 5 polls: p50 {pct(steady_steps, 50):.1f} ms"
          f"  p99 {pct(steady_steps, 99):.1f} ms")
    print(f"rows written          {rows} ({rows / elapsed:.0f} rows/s): "
          + ", ".join(f"{t}={n}" for t, n in counts.items() if n))
    print(f"peak RSS              flow process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, "
          f"simulator {sim_rss / 2**20:.0f} MiB (at end)")


def scrape_commit_histogram(port: int) -> dict[float, float]:
    import urllib.request

    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    out: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("queuepulse_poll_to_commit_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            out[float("inf") if le == "+Inf" else float(le)] = (
                out.get(float(le) if le != "+Inf" else float("inf"), 0.0)
                + float(line.rsplit(" ", 1)[1]))
    return out


def histogram_quantile(buckets: dict[float, float], q: float) -> float:
    total = buckets.get(float("inf"), 0.0)
    for le in sorted(buckets):
        if buckets[le] >= q * total:
            return le
    return float("inf")


def bench_two_process(seconds: float, pbxs: int = 2, small: bool = False) -> None:
    """``pbxs`` PBXs polled by a two-process Bytewax cluster (``run live --processes 2``)."""
    if small:
        sim, url = start_simulator(1, tenants=pbxs, queues=2, agents=8, noise=0.0)
    else:
        sim, url = start_simulator(1, tenants=pbxs)
    cluster, dsn = new_database()
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    pbx_file = tmp / "pbxs.yaml"
    pbx_file.write_text("".join(
        f"- pbx_id: pbx-{i}\n  url: {url}/pbx/{i}\n  poll_interval_s: 1.0\n"
        for i in range(pbxs)))
    port = 19464
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "queuepulse.cli", "--log-level", "ERROR", "run", "live",
           "--pbx-file", str(pbx_file), "--dsn", dsn, "--processes", "2",
           "--metrics-port", str(port), "--run-for", str(seconds)]
    try:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        time.sleep(seconds - 3)
        hists = []
        for i in range(2):
            try:
                hists.append(scrape_commit_histogram(port + i))
            except OSError as exc:
                print(f"process {i}: /metrics unavailable ({exc})")
        rc = proc.wait(timeout=120)
        elapsed = time.monotonic() - started
        with connect(dsn, autocommit=True) as conn:
            per_pbx = conn.execute(
                "SELECT pbx_id, count(*), avg((details->>'calls')::int), "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_s), "
                "percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_s) "
                "FROM pipeline_health GROUP BY pbx_id ORDER BY pbx_id").fetchall()
        counts = row_counts(dsn)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
        cluster.destroy()
    print(f"\n== two Bytewax processes, {pbxs} PBXs ({'small' if small else 'scale 1'} each), "
          f"{seconds:g} s, exit {rc} ==")
    if pbxs <= 4:
        for pbx_id, polls, calls, p50, p99 in per_pbx:
            print(f"{pbx_id}: {polls} polls, ~{float(calls or 0):.0f} concurrent calls, "
                  f"receive->processed lag p50 {float(p50 or 0) * 1000:.0f} ms "
                  f"p99 {float(p99 or 0) * 1000:.0f} ms")
    else:
        polls = sum(int(r[1]) for r in per_pbx)
        calls = sum(float(r[2] or 0) for r in per_pbx) / max(1, len(per_pbx))
        print(f"{len(per_pbx)} PBXs polled: {polls} polls of ~{int(seconds) * pbxs}, "
              f"~{calls:.0f} calls per PBX")
    for i, h in enumerate(hists):
        print(f"process {i}: poll-to-commit (histogram bucket bound) "
              f"p50 <= {histogram_quantile(h, 0.5):g} s, p99 <= {histogram_quantile(h, 0.99):g} s")
    rows = sum(counts.values())
    print(f"rows written {rows} ({rows / elapsed:.0f} rows/s, both processes)")


def bench_msp(pbxs: int, seconds: float) -> None:
    """Many small PBXs in one process: ``pbxs`` partitions of ~20 calls each."""
    sim, url = start_simulator(1, tenants=pbxs, queues=2, agents=8, rate=3.5,
                               noise=0.0)
    cluster, dsn = new_database()
    try:
        targets = tuple(
            PbxSettings(pbx_id=f"pbx-{i}", url=f"{url}/pbx/{i}", client_id="queuepulse",
                        client_secret=SecretStr(SECRET), poll_interval_s=1.0,
                        sync_interval_s=60.0, timeout_s=5.0)
            for i in range(pbxs))
        config = LiveFlowConfig(targets=targets, dsn=dsn, run_for_s=seconds)
        prepare_targets(config.targets, dsn)  # as `run live`: configuration before polling
        recorder = CommitRecorder(keep=True)
        TimedStepper.samples = []
        live_flow.PbxStepper = TimedStepper  # type: ignore[misc]
        started = time.monotonic()
        threads = [0]

        def count_threads() -> None:
            time.sleep(seconds / 2)
            threads[0] = psutil.Process().num_threads()

        import threading

        threading.Thread(target=count_threads, daemon=True).start()
        me, simp = psutil.Process(), psutil.Process(sim.pid)
        cpu0 = (sum(me.cpu_times()[:2]), sum(simp.cpu_times()[:2]))
        run_flow(live_flow.build_flow(config, recorder=recorder), snapshot_s=10.0)
        elapsed = time.monotonic() - started
        cpu = (sum(me.cpu_times()[:2]) - cpu0[0], sum(simp.cpu_times()[:2]) - cpu0[1])
        counts = row_counts(dsn)
        with connect(dsn, autocommit=True) as conn:
            calls = conn.execute(
                "SELECT sum((details->>'calls')::int)::float / count(DISTINCT ts) "
                "FROM pipeline_health WHERE errors = 0").fetchone()
            failed = conn.execute("SELECT coalesce(sum(errors), 0) FROM pipeline_health"
                                  ).fetchone()
            # sustained rate: each PBX's polls after its first 10 s, over that span (1 s polls)
            half = conn.execute(
                "WITH p AS (SELECT pbx_id, min(ts) AS t0, max(ts) AS t1 FROM pipeline_health "
                "GROUP BY pbx_id) SELECT sum(n), sum(span) FROM (SELECT h.pbx_id, "
                "count(*) FILTER (WHERE h.ts > p.t0 + interval '10 s') AS n, "
                "extract(epoch FROM p.t1 - p.t0) - 10 AS span FROM pipeline_health h "
                "JOIN p USING (pbx_id) GROUP BY h.pbx_id, p.t0, p.t1) x WHERE span > 0"
            ).fetchone()
    finally:
        sim.terminate()
        sim.wait(timeout=10)
        cluster.destroy()
    commits = [s * 1000 for _, s in recorder.samples]
    steps = [s * 1000 for s in TimedStepper.samples]
    steady = commits[5 * pbxs:]
    rows = sum(counts.values())
    print(f"\n== {pbxs} small PBXs in one process (one partition each), {seconds:g} s ==")
    print(f"calls per PBX         ~{(calls[0] or 0) if calls else 0:.0f}; "
          f"polls committed {len(commits)} of ~{int(seconds) * pbxs} "
          f"(failed: {failed[0] if failed else '?'})")
    if half and half[1]:
        print(f"after each PBX's first 10 s: {int(half[0])} polls in {float(half[1]):.0f} "
              f"PBX-seconds = {int(half[0]) / float(half[1]):.0%} of 1 poll/s (sustained)")
    print(f"per-poll processing   p50 {pct(steps, 50):.2f} ms  p99 {pct(steps, 99):.2f} ms")
    print(f"poll-to-commit        p50 {pct(commits, 50):.0f} ms  p99 {pct(commits, 99):.0f} ms;"
          f" after the first 5 rounds p50 {pct(steady, 50):.0f} ms  "
          f"p99 {pct(steady, 99):.0f} ms")
    print(f"rows written          {rows} ({rows / elapsed:.0f} rows/s); threads in the flow "
          f"process {threads[0]}; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"CPU use               flow process {cpu[0] / elapsed:.0%} of a core, simulator "
          f"{cpu[1] / elapsed:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--two-process", action="store_true")
    parser.add_argument("--msp", type=int, default=0, metavar="N",
                        help="also run N small PBXs (~20 calls each) in one process")
    parser.add_argument("--msp-cluster", type=int, default=0, metavar="N",
                        help="also run N small PBXs on a two-process cluster")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    for scale in (int(s) for s in args.scales.split(",") if s):
        bench_scale(scale, args.seconds)
    if args.two_process:
        bench_two_process(args.seconds)
    if args.msp:
        bench_msp(args.msp, args.seconds)
    if args.msp_cluster:
        bench_two_process(args.seconds, pbxs=args.msp_cluster, small=True)


if __name__ == "__main__":
    main()
