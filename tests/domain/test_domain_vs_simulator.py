"""The lifecycle against the simulator's ground truth, in process (no HTTP, no database).

The simulated PBX's ActiveCalls rows are fed through ``poll_from_body`` and ``step`` once per
simulated second; the visits the lifecycle derives are compared with the model's true visits.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from queuepulse.domain import Directory, QueueVisit, Rules, poll_from_body, step
from queuepulse.domain.lifecycle import PbxState
from queuepulse.domain.pbx_config import parse_config
from queuepulse.domain.snapshot import Poll
from queuepulse.simulator import formats, views
from queuepulse.simulator import model as sim
from queuepulse.simulator.model import truth as truth_mod

pytestmark = pytest.mark.unit

START_MS = 1_767_600_000_000


def simulate(
    seed: int, callee: Literal["queue", "agent"], seconds: int, fail_every: int = 0
) -> tuple[list[dict[str, Any]], list[QueueVisit], PbxState]:
    cfg = sim.ModelConfig(seed=seed, queues=4, agents=14, calls_per_min_per_queue=2.5,
                          answered_callee=callee, overflow_fraction=0.5, master_timeout_s=40,
                          transfer_prob=0.2)
    engine = sim.Engine(cfg, START_MS)
    directory = Directory.from_config(parse_config(
        [views.queue_entity(engine, q, ("Agents",)) for q in engine.queues],
        [views.user_entity(a) for a in engine.agents],
    ))
    rules = Rules()
    state: PbxState | None = None
    latest: dict[tuple[str, str, datetime], QueueVisit] = {}
    for i in range(1, seconds + 1):
        t = START_MS + i * 1000
        engine.advance_to(t)
        received = datetime.fromtimestamp(t / 1000, UTC)
        if fail_every and i % fail_every == 0:
            poll = Poll("sim", received, ok=False, error="HTTP 503")
        else:
            now = formats.fmt_ms(t)
            body = {"value": [views.active_call_row(c, now) for c in engine.active.values()]}
            poll = poll_from_body("sim", received, body)
        state, out = step(state, poll, directory, rules)
        for v in out.visits:
            latest[(v.call_key, v.queue_dn, v.entered_at)] = v
    assert state is not None
    truth = [truth_mod.visit_row(v, "sim") for v in engine.visits]
    return truth, list(latest.values()), state


def compare(
    truth: list[dict[str, Any]], live: list[QueueVisit], min_phase_s: float
) -> tuple[Counter[str], list[float]]:
    """Match visits on (call_key, queue_dn) in entry order; count outcome mismatches of visits
    whose phases all last longer than ``min_phase_s``, and collect wait errors."""
    by_key: dict[tuple[str, str], list[QueueVisit]] = {}
    for v in sorted(live, key=lambda v: v.entered_at):
        by_key.setdefault((v.call_key, v.queue_dn), []).append(v)
    problems: Counter[str] = Counter()
    wait_errors: list[float] = []
    for row in sorted(truth, key=lambda r: r["entered_at"]):
        long_enough = (row["wait_s"] is None or row["wait_s"] > min_phase_s) and (
            row["talk_s"] is None or row["talk_s"] > min_phase_s)
        candidates = by_key.get((row["call_key"], row["queue_dn"]))
        if not candidates:
            if long_enough:
                problems[f"missing {row['outcome']}"] += 1
            continue
        v = candidates.pop(0)
        if v.outcome != row["outcome"]:
            if long_enough:
                problems[f"{row['outcome']} seen as {v.outcome}"] += 1
            continue
        if row["wait_s"] is not None and v.wait_s is not None:
            wait_errors.append(v.wait_s - row["wait_s"])
        if v.entry_queue_dn != row["entry_queue_dn"]:
            problems["entry queue"] += 1
    return problems, wait_errors


@pytest.mark.parametrize("callee", ["queue", "agent"])
@pytest.mark.parametrize("seed", [1, 2])
def test_visits_match_the_truth(seed: int, callee: Literal["queue", "agent"]) -> None:
    truth, live, state = simulate(seed, callee, 900)
    problems, errors = compare(truth, live, 0.0)
    outcomes = Counter(r["outcome"] for r in truth)
    print(f"seed={seed} callee={callee}: truth {dict(outcomes)}, live {len(live)} visits, "
          f"wait error min/max {min(errors):.3f}/{max(errors):.3f} s, problems {dict(problems)}")
    assert outcomes["answered"] > 10
    assert outcomes["transferred"] > 0
    assert problems == Counter()
    assert len(live) == len(truth)
    assert min(errors) >= -0.001
    assert max(errors) <= 1.0 + 0.001  # ends are seen at the next poll
    assert state.counters.anomalies == 0
    if callee == "agent":
        answered = {(r["call_key"], r["queue_dn"]): r["agent_dn"] for r in truth
                    if r["outcome"] == "answered"}
        seen = {(v.call_key, v.queue_dn): v.agent_dn for v in live if v.outcome == "answered"}
        assert seen == answered


def test_with_failed_polls_long_visits_still_match() -> None:
    truth, live, state = simulate(3, "agent", 900, fail_every=7)
    problems, errors = compare(truth, live, 2.0)
    print(f"failed polls: {state.counters.failed}, gaps {state.counters.gaps}, "
          f"wait error max {max(errors):.3f} s, problems {dict(problems)}")
    assert state.counters.gaps == state.counters.failed > 100
    assert problems == Counter()
    assert max(errors) <= 2.0 + 0.001  # one failed poll: an end is seen up to 2 s late


def _as_visit(row: dict[str, Any]) -> QueueVisit:
    from queuepulse.domain import parse_datetime

    def dt(name: str) -> datetime | None:
        return parse_datetime(row[name]) if row[name] is not None else None

    entered = dt("entered_at")
    assert entered is not None
    return QueueVisit(
        pbx_id=row["pbx_id"], call_key=row["call_key"], queue_dn=row["queue_dn"],
        entered_at=entered, answered_at=dt("answered_at"), ended_at=dt("ended_at"),
        outcome=row["outcome"], wait_s=row["wait_s"], talk_s=row["talk_s"],
        agent_dn=row["agent_dn"], entry_queue_dn=row["entry_queue_dn"],
    )


def test_kpi_definitions_agree_with_the_simulators_truth() -> None:
    from queuepulse.domain import kpis_from_visits

    cfg = sim.ModelConfig(seed=5, queues=3, agents=9, calls_per_min_per_queue=3.0,
                          overflow_fraction=0.5, master_timeout_s=40)
    engine = sim.Engine(cfg, START_MS)
    engine.advance_to(START_MS + 20 * 60_000)
    rows = [truth_mod.visit_row(v, "sim") for v in engine.visits]
    sla = {q.dn: q.sla_s for q in engine.queues}
    ours = kpis_from_visits([_as_visit(r) for r in rows], sla, Rules())
    theirs = truth_mod.kpi_1m(engine.visits, START_MS - 60_000, START_MS + 21 * 60_000, "sim")
    assert len(ours) == len(theirs) > 20
    for mine, true in zip(sorted(ours, key=lambda k: (k.queue_dn, k.bucket)), theirs,
                          strict=True):
        assert mine.queue_dn == true["queue_dn"]
        for name in ("offered", "answered", "abandoned", "short_abandoned", "transferred",
                     "answered_in_sla"):
            assert getattr(mine, name) == true[name], name
        for name in ("sla_pct", "asa_s", "max_wait_s", "avg_talk_s"):
            if true[name] is None:
                assert getattr(mine, name) is None, name
            else:
                assert getattr(mine, name) == pytest.approx(true[name], abs=1e-5), name


def test_live_kpi_totals_match_the_truth() -> None:
    from queuepulse.domain import kpis_from_visits

    truth, live, _ = simulate(4, "agent", 900)
    sla = {"800": 20, "801": 20, "802": 20, "803": 20}
    totals_live: Counter[str] = Counter()
    totals_true: Counter[str] = Counter()
    for k in kpis_from_visits(live, sla, Rules()):
        totals_live.update({n: getattr(k, n) for n in ("offered", "answered", "abandoned",
                                                      "transferred", "answered_in_sla")})
    for k in kpis_from_visits([_as_visit(r) for r in truth], sla, Rules()):
        totals_true.update({n: getattr(k, n) for n in ("offered", "answered", "abandoned",
                                                      "transferred", "answered_in_sla")})
    print(f"live {dict(totals_live)} truth {dict(totals_true)}")
    assert totals_live == totals_true
