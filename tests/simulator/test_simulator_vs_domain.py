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

from queuepulse.simulator.formats import ms_to_datetime, parse_datetime_ms
from queuepulse.simulator.runtime import Simulator
from queuepulse.simulator.views import queue_entity, user_entity

lifecycle = pytest.importorskip("queuepulse.domain.lifecycle")
parties = pytest.importorskip("queuepulse.domain.parties")
snapshot = pytest.importorskip("queuepulse.domain.snapshot")
rules_mod = pytest.importorskip("queuepulse.domain.rules")

pytestmark = pytest.mark.unit

SECONDS = 1500


def _run(mode: str) -> tuple[Simulator, dict[tuple[str, str, int], Any]]:
    sim = Simulator(manual_config(answered_callee=mode, transfer_prob=0.15,
                                  overflow_fraction=1.0, master_timeout_s=45))
    eng = sim.engine
    directory = parties.Directory.from_xapi(
        [queue_entity(eng, q, ("Agents",)) for q in eng.queues],
        [user_entity(u) for u in [*eng.agents, *eng.noise_users]],
    )
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
