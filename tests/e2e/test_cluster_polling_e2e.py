"""The live flow as a two-member cluster: two processes on loopback addresses, each in its own
working directory as if on its own host, polling two simulated PBXs over real HTTP.

Every PBX is polled by exactly one worker (each member's /metrics counts polls of one PBX
only, and its log names the PBX it polls), each member serves /healthz and /metrics with its
member id, the start-up checks ran once, and the tables hold the simulators' truth: the
queues, and every finished visit with its outcome, no visit the simulators never had.
A member whose peers never come fails with one line within its join timeout. And the
same on one host with `--processes 2`: the parent checks once, member N serves port + N."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from cluster_helpers import ROOT, loopback_addresses, start_member

from queuepulse.live.runner import free_ports
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator
from queuepulse.xapi.replay_file import ReplayRecord

pytestmark = pytest.mark.e2e

POLL_S = 0.1  # wall seconds; the simulators run 10x, so one simulated second per poll
QUEUES = 3


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - http on 127.0.0.1
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _wait_ready(port: int, members: list[subprocess.Popen[str]]) -> tuple[dict[str, Any], str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert all(m.poll() is None for m in members), "a member ended before it was ready"
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        if status == 200:
            return json.loads(body), _get(f"http://127.0.0.1:{port}/metrics")[1]
        time.sleep(0.2)
    pytest.fail(f"member on port {port} never became ready")


def _ts(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(
        str(value).replace("Z", "+00:00"))


# A recording of one empty ActiveCalls poll: a member replaying it has work to wait for peers
# with (an empty file is refused before the flow starts).
ONE_EMPTY_POLL = ReplayRecord("active_calls", "p1", datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
                              {"value": []}).to_line()

def test_two_member_cluster_polls_each_pbx_once_and_writes_the_truth(
    pg_dsn: str, pg_retention_dsn: str, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        sims = {}
        for pbx_id, seed in (("east", 31), ("west", 32)):
            model = ModelConfig(seed=seed, queues=QUEUES, agents=12, calls_per_min_per_queue=12)
            sims[pbx_id] = stack.enter_context(run_simulator(SimulatorConfig(
                model=model, speed=10.0, warmup_s=600, pbx_id=pbx_id)))
        pbx_file = tmp_path / "pbxs.yaml"  # the same file on every member
        pbx_file.write_text(yaml.safe_dump([
            {"pbx_id": pbx_id, "url": sim.base_url, "client_id": sim.client_id,
             "client_secret": sim.client_secret, "poll_interval_s": POLL_S,
             "sync_interval_s": 3.0} for pbx_id, sim in sims.items()]))
        addresses = loopback_addresses(2)
        ports = free_ports(2)
        members = [start_member(
            ["run", "live", "--pbx-file", str(pbx_file), "--dsn", pg_dsn, "--run-for", "12",
             "--metrics-port", str(ports[i])],
            process_id=i, addresses=addresses, workdir=tmp_path / f"host-{i}",
            extra_env={"QUEUEPULSE_DB__RETENTION_DSN": pg_retention_dsn})
            for i in range(2)]
        try:
            seen = [_wait_ready(port, members) for port in ports]
            ready_at = {p: datetime.fromtimestamp(sim.now_ms() / 1000, UTC)  # after 1st polls
                        for p, sim in sims.items()}
            outs = [m.communicate(timeout=90)[0] for m in members]
        finally:
            for m in members:
                if m.poll() is None:
                    m.kill()
                    m.communicate()
        assert [m.returncode for m in members] == [0, 0], outs
        truth = {pbx_id: sim.truth.visits() for pbx_id, sim in sims.items()}

    # Every PBX polled by exactly one worker: one member's log and /metrics each.
    polled_by: dict[str, list[int]] = {}
    for i, out in enumerate(outs):
        for pbx_id in re.findall(r"polling PBX pbx=(\w+) process_id=(\d)", out):
            assert int(pbx_id[1]) == i
            polled_by.setdefault(pbx_id[0], []).append(i)
    assert sorted(polled_by) == ["east", "west"]
    assert sorted(len(v) for v in polled_by.values()) == [1, 1], polled_by
    assert sorted(v[0] for v in polled_by.values()) == [0, 1], "not spread over both members"
    for i, (health, metrics) in enumerate(seen):
        assert health["member"] == {"process_id": i, "processes": 2, "workers_per_process": 1}
        assert (f'queuepulse_cluster_member_info{{process_id="{i}",processes="2",'
                f'workers_per_process="1"}} 1.0') in metrics
        mine = next(p for p, who in polled_by.items() if who == [i])
        other = next(p for p in polled_by if p != mine)
        assert list(health["pbx"]) == [mine]
        assert re.search(rf'queuepulse_polls(_total)?{{pbx_id="{mine}"}} [1-9]', metrics)
        # Polls are counted by the poller (the lifecycle step of a PBX, and so its lag gauge,
        # may run on the other member: Bytewax routes keyed state by the key's hash).
        assert not re.search(rf'queuepulse_polls(_total)?{{pbx_id="{other}"}}', metrics)
    # Start-up checks and the retention ran on member 0 only.
    assert outs[0].count("initial configuration written") == 2  # both PBXs, once
    assert "initial configuration written" not in outs[1]
    assert "retention applied" in outs[0]
    assert "retention" not in outs[1]

    with psycopg.connect(pg_dsn) as conn:
        for pbx_id, visits in truth.items():
            first = ready_at[pbx_id]
            last = conn.execute(  # the last poll, in PBX time
                "SELECT max(ts) FROM queue_live WHERE pbx_id = %s", (pbx_id,)).fetchone()[0]
            queues = conn.execute(
                "SELECT count(*) FROM queues WHERE pbx_id = %s AND valid_to IS NULL",
                (pbx_id,)).fetchone()
            rows = conn.execute(
                "SELECT call_key, queue_dn, entered_at, outcome FROM queue_calls "
                "WHERE pbx_id = %s", (pbx_id,)).fetchall()
            assert queues == (QUEUES,)
            margin = timedelta(seconds=3)  # two simulated poll intervals and then some
            by_key = {(r[0], r[1]): r for r in rows}
            checked = 0
            for v in visits:
                entered, ended = _ts(v["entered_at"]), v["ended_at"]
                if entered < first + margin or ended is None or _ts(ended) > last - margin:
                    continue
                if v["wait_s"] is None or v["wait_s"] <= 2:
                    continue
                checked += 1
                got = by_key.get((v["call_key"], v["queue_dn"]))
                assert got is not None, f"{pbx_id}: visit {v['call_key']} missing"
                assert got[3] == v["outcome"], f"{pbx_id}: {v['call_key']} outcome"
            truth_keys = {(v["call_key"], v["queue_dn"]) for v in visits}
            phantoms = [r for r in rows if (r[0], r[1]) not in truth_keys]
            print(f"\ncluster polling {pbx_id}: {len(rows)} visits written, {checked} finished "
                  f"ones checked against the truth, polled by member {polled_by[pbx_id]}")
            assert checked >= 3, "too few finished visits to judge"
            assert phantoms == []


def test_member_without_peers_fails_with_one_line(pg_dsn: str, tmp_path: Path) -> None:
    addresses = loopback_addresses(2)  # nobody listens on member 0's port
    (tmp_path / "none.jsonl").write_text(ONE_EMPTY_POLL)
    member = start_member(
        ["replay", str(tmp_path / "none.jsonl"), "--dsn", pg_dsn, "--metrics-port", "0",
         "--join-timeout-s", "3"],
        process_id=1, addresses=addresses, workdir=tmp_path / "host-1")
    out, _ = member.communicate(timeout=60)
    assert member.returncode == 2
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out
    assert "cluster member 1 of 2 could not form the cluster within 3 s" in errors[0]
    assert addresses.split(",")[0] in errors[0]
    assert "Traceback" not in out


def test_processes_on_one_host_check_once_and_serve_port_plus_member(
    pg_dsn: str, pg_retention_dsn: str, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        sims = {pbx_id: stack.enter_context(run_simulator(SimulatorConfig(
            model=ModelConfig(seed=seed, queues=2, agents=6), pbx_id=pbx_id)))
            for pbx_id, seed in (("east", 41), ("west", 42))}
        pbx_file = tmp_path / "pbxs.yaml"
        pbx_file.write_text(yaml.safe_dump([
            {"pbx_id": pbx_id, "url": sim.base_url, "client_id": sim.client_id,
             "client_secret": sim.client_secret, "poll_interval_s": 0.5}
            for pbx_id, sim in sims.items()]))
        port = free_ports(1)[0]
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "QUEUEPULSE_DB__RETENTION_DSN": pg_retention_dsn}
        parent = subprocess.Popen(
            [sys.executable, "-m", "queuepulse.cli", "run", "live", "--pbx-file",
             str(pbx_file), "--dsn", pg_dsn, "--processes", "2", "--run-for", "6",
             "--metrics-port", str(port), "--recovery-dir", str(tmp_path / "recovery")],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            seen = [_wait_ready(port + i, [parent])[0] for i in range(2)]
            out, _ = parent.communicate(timeout=90)
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.communicate()
    assert parent.returncode == 0, out
    assert [h["member"]["process_id"] for h in seen] == [0, 1]
    assert sorted(p for h in seen for p in h["pbx"]) == ["east", "west"]
    assert out.count("initial configuration written") == 2  # by the parent, once per PBX
    assert out.count("retention applied") == 1  # member 0 only
    parts = sorted(p.name for p in (tmp_path / "recovery").glob("part-*.sqlite3"))
    assert parts == ["part-0.sqlite3", "part-1.sqlite3"]  # one shared directory, both shares


def test_a_signal_while_waiting_for_the_others_stops_the_member(
    pg_dsn: str, tmp_path: Path
) -> None:
    addresses = loopback_addresses(2)  # member 0 never comes
    (tmp_path / "none.jsonl").write_text(ONE_EMPTY_POLL)
    member = start_member(
        ["replay", str(tmp_path / "none.jsonl"), "--dsn", pg_dsn, "--metrics-port", "0",
         "--join-timeout-s", "600"],
        process_id=1, addresses=addresses, workdir=tmp_path / "host-1")
    assert member.stdout is not None
    for line in member.stdout:  # it is waiting once Bytewax retries its connection
        if "retrying" in line:
            break
    member.send_signal(signal.SIGTERM)
    out, _ = member.communicate(timeout=30)  # not the 600 s join timeout
    assert member.returncode == 130
    assert "stopped before the cluster formed" in out
