"""The queueing models against the simulator's call centre (its ground truth, in process).

One queue at steady load with a known number of agents: the simulator's arrivals are Poisson,
patience exponential and talk times lognormal. The run is set up so the model's assumptions are
what the simulator does, except the talk-time distribution: no breaks, log-outs, wrap-up,
overflow, transfers, short abandons or other calls, ring time ~0, and a lognormal talk-time
spread (sigma = sqrt(ln 2)) whose coefficient of variation is 1, as the exponential's. Then the
measured SLA %, abandon % and ASA are compared with Erlang A's, and expected-wait predictions
(made every ``sample_s`` for every waiting caller) with the waits that followed.

Used by ``tests/staffing`` (short runs) and ``benchmarks/bench_staffing.py`` (long runs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from queuepulse.domain.erlang import QueueFigures, erlang_a
from queuepulse.domain.expected_wait import expected_remaining_wait
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.model.engine import Engine

__all__ = ["Measured", "SimCheck", "SteadyLoad", "run_steady_load"]

START_MS = 1_767_600_000_000
#: Lognormal sigma with coefficient of variation 1 (like the exponential of the model).
CV1_SIGMA = math.sqrt(math.log(2.0))


@dataclass(frozen=True)
class SteadyLoad:
    """One queue, ``agents`` agents, Poisson arrivals at ``calls_per_hour``."""

    agents: int = 10
    calls_per_hour: float = 200.0
    aht_s: float = 150.0
    patience_s: float = 120.0
    sla_s: int = 20
    hours: float = 10.0
    warmup_s: float = 1800.0
    sample_s: float = 30.0
    seed: int = 5


@dataclass(frozen=True)
class Measured:
    """What the simulated queue did (visits entered after the warm-up)."""

    offered: int
    answered: int
    abandoned: int
    sla_pct: float
    abandon_pct: float
    asa_s: float


@dataclass(frozen=True)
class SimCheck:
    """Model beside simulation, and the expected-wait error."""

    load: SteadyLoad
    predicted: QueueFigures
    measured: Measured
    #: Mean absolute error (s) of expected waits of callers answered later, and how many.
    wait_mae_s: float
    wait_predictions: int
    #: Mean actual remaining wait (s) of those predictions, for scale.
    wait_mean_actual_s: float


def _config(load: SteadyLoad) -> ModelConfig:
    return ModelConfig(
        seed=load.seed, queues=1, agents=load.agents, queues_per_agent=1,
        calls_per_min_per_queue=load.calls_per_hour / 60.0, profile="flat",
        aht_s=load.aht_s, aht_sigma=CV1_SIGMA, patience_s=load.patience_s,
        short_abandon_prob=0.0, ring_min_s=0.0, ring_max_s=0.0, wrapup_s=0, sla_s=load.sla_s,
        overflow_fraction=0.0, transfer_prob=0.0, noise_calls_per_min=0.0, noise_users=0,
        agent_noise_share=0.0, strategies=("LongestWaiting",), logged_in_prob=1.0,
        break_every_s=1e9, break_mean_s=1.0, logout_every_s=1e9, logout_mean_s=1.0,
        unregister_every_s=1e9, unregister_mean_s=1.0,
    )


def _engine(load: SteadyLoad) -> Engine:
    config = _config(load)
    # a queue's arrival rate is the configured one times a seeded weight: undo the weight
    weight = Engine(config, START_MS).queues[0].weight
    return Engine(replace(config, calls_per_min_per_queue=config.calls_per_min_per_queue / weight),
                  START_MS)


def run_steady_load(load: SteadyLoad) -> SimCheck:
    """Simulate ``load`` and compare (deterministic for a given load and seed)."""
    engine = _engine(load)
    queue = engine.queues[0]
    begin = START_MS + round(load.warmup_s * 1000)
    end = begin + round(load.hours * 3_600_000)
    step = round(load.sample_s * 1000)
    predictions: list[tuple[object, int, float]] = []  # (visit, at ms, expected remaining s)
    t = START_MS
    while t < end:
        t += step
        engine.advance_to(t)
        if t < begin:
            continue
        agents = [a for a in engine.agents if a.logged_in and a.registered
                  and a.profile == "Available"]
        free = sum(1 for a in agents if not a.busy)
        waiting = [call for call, token in queue.waiting
                   if call.token == token and call.queue is queue and call.agent is None]
        for position, call in enumerate(waiting, start=1):
            expected = expected_remaining_wait(position, len(agents), free, load.aht_s,
                                               load.patience_s)
            if expected is not None:
                predictions.append((call.visit, t, expected))
    engine.advance_to(end + 3_600_000)  # let the last visits finish
    visits = [v for v in engine.visits if begin <= v.entered_ms < end]
    answered = [v for v in visits if v.outcome == "answered"]
    abandoned = [v for v in visits if v.outcome == "abandoned"]
    finished = len(answered) + len(abandoned)
    in_sla = sum(1 for v in answered if v.wait_ms <= load.sla_s * 1000)
    measured = Measured(
        offered=len(visits), answered=len(answered), abandoned=len(abandoned),
        sla_pct=100.0 * in_sla / finished if finished else 100.0,
        abandon_pct=100.0 * len(abandoned) / finished if finished else 0.0,
        asa_s=sum(v.wait_ms for v in answered) / 1000 / len(answered) if answered else 0.0,
    )
    predicted = erlang_a(load.agents, load.calls_per_hour / 3600, load.aht_s, load.patience_s,
                         load.sla_s)
    answered_at = {id(v): v.answered_ms for v in answered}
    errors, actuals = [], []
    for visit, at, expected in predictions:
        answer = answered_at.get(id(visit))
        if answer is None or answer < at:
            continue
        actual = (answer - at) / 1000
        errors.append(abs(expected - actual))
        actuals.append(actual)
    mae = sum(errors) / len(errors) if errors else 0.0
    mean_actual = sum(actuals) / len(actuals) if actuals else 0.0
    return SimCheck(load, predicted, measured, mae, len(errors), mean_actual)
