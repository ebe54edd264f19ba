"""The simulator's ActiveCalls, read by queuepulse.domain's lifecycle, reproduce its truth.

Polls the simulated PBX once per simulated second (the body the HTTP app serves, without the
HTTP round trip), feeds the polls through ``queuepulse.domain.lifecycle.step`` and compares the
inferred queue visits with the simulator's ground truth, in both ``answered_callee`` modes.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from simulator_helpers import manual_config

from queuepulse.domain import kpi, lifecycle, parties, snapshot
from queuepulse.domain import rules as rules_mod
from queuepulse.domain import visits as visits_mod
from queuepulse.domain.pbx_config import parse_config
from queuepulse.simulator.formats import ms_to_datetime, parse_datetime_ms
from queuepulse.simulator.runtime import Simulator
from queuepulse.simulator.views import queue_entity, user_entity

pytestmark = pytest.mark.unit

SECONDS = 1500


def _run(mode: str) -> tuple[Simulator, dict[tuple[str, str, int], Any]]:
    sim = Simulator(manual_config(answered_callee=mode, transfer_prob=0.15,
                                  overflow_fraction=1.0, master_timeout_s=45))
    eng = sim.engine
    directory = parties.Directory.from_config(parse_config(
        [queue_entity(eng, q, ("Agents",)) for q in eng.queues],
        [user_entity(u) for u in [*eng.agents, *eng.noise_users]],
    ))
    rules = rules_mod.Rules()
    state = None
    latest: dict[tuple[str, str, int], Any] = {}
    for _ in range(SECONDS):
        now = sim.advance(1)
        body = json.loads(sim.active_calls_body(False))
        poll = snapshot.poll_from_body(sim.config.pbx_id, ms_to_datetime(now), body)
        state, out = lifecycle.step(state, poll, directory, rules)
        for v in out.visits:
            key = (v.call_key, v.queue_dn, round(v.entered_at.timestamp() * 1000))
            latest[key] = v
    return sim, latest


@pytest.mark.parametrize("mode", ["queue", "agent"])
def test_domain_visits_match_truth(mode: str) -> None:
    sim, inferred = _run(mode)
    start = sim.clock.start_ms + 60_000  # calls already running at the first poll are partial
    end = sim.engine.now - 10_000
    truth = [v for v in sim.truth.visits()
             if parse_datetime_ms(v["entered_at"]) >= start and v["ended_at"] is not None
             and parse_datetime_ms(v["ended_at"]) < end]
    assert len(truth) > 100
    outcomes = Counter(v["outcome"] for v in truth)
    assert min(outcomes["answered"], outcomes["abandoned"], outcomes["transferred"]) > 0
    mismatches = []
    for t in truth:
        key = (t["call_key"], t["queue_dn"], parse_datetime_ms(t["entered_at"]))
        got = inferred.get(key)
        if got is None:
            mismatches.append(("missing", t))
            continue
        if got.outcome != t["outcome"]:
            mismatches.append(("outcome", t, got.outcome))
            continue
        if t["answered_at"] is not None and (
                got.answered_at != ms_to_datetime(parse_datetime_ms(t["answered_at"]))):
            mismatches.append(("answered_at", t, got.answered_at))
        if mode == "agent" and got.agent_dn != t["agent_dn"]:
            mismatches.append(("agent_dn", t, got.agent_dn))
        t_end = ms_to_datetime(parse_datetime_ms(t["ended_at"]))
        if got.ended_at is None or not (
                timedelta(0) <= got.ended_at - t_end <= timedelta(seconds=1)):
            mismatches.append(("ended_at", t, got.ended_at))
    assert not mismatches, f"{len(mismatches)} of {len(truth)} differ, e.g. {mismatches[:3]}"


def _domain_visit(row: dict[str, Any]) -> visits_mod.QueueVisit:
    def dt(text: str | None) -> Any:
        return None if text is None else ms_to_datetime(parse_datetime_ms(text))

    return visits_mod.QueueVisit(
        pbx_id=row["pbx_id"], call_key=row["call_key"], queue_dn=row["queue_dn"],
        entered_at=dt(row["entered_at"]), answered_at=dt(row["answered_at"]),
        ended_at=dt(row["ended_at"]), outcome=row["outcome"], wait_s=row["wait_s"],
        talk_s=row["talk_s"], agent_dn=row["agent_dn"],
        caller_number=row["caller_number"], caller_name=row["caller_name"],
        entry_queue_dn=row["entry_queue_dn"], call_id=row["call_id"], sla_s=20,
    )


def _compare(mine: list[dict[str, Any]], theirs: list[Any]) -> None:
    by_key = {(r["queue_dn"], parse_datetime_ms(r["bucket"])): r for r in mine}
    assert len(by_key) == len(theirs)
    for k in theirs:
        r = by_key[(k.queue_dn, round(k.bucket.timestamp() * 1000))]
        for name in ("offered", "answered", "abandoned", "short_abandoned", "answered_in_sla",
                     "transferred"):
            assert r[name] == getattr(k, name), (name, r, k)
        for name in ("sla_pct", "asa_s", "max_wait_s", "avg_talk_s"):
            if r[name] is None:
                assert getattr(k, name) is None, (name, r, k)
            else:
                assert getattr(k, name) == pytest.approx(r[name], abs=1e-6), (name, r, k)


def test_truth_kpis_equal_the_domain_kpis_of_the_same_visits() -> None:
    sim = Simulator(manual_config(transfer_prob=0.15, overflow_fraction=1.0,
                                  master_timeout_s=45))
    sim.advance(3600)
    rows = sim.truth.visits()
    visits = [_domain_visit(r) for r in rows]
    rules = rules_mod.Rules()
    sla = {q.dn: float(q.sla_s) for q in sim.engine.queues}
    _compare(sim.truth.kpi_1m(), kpi.kpis_from_visits(visits, sla, rules))
    _compare(sim.truth.entry_kpi_1m(), kpi.entry_kpis_from_visits(visits, sla, rules))
