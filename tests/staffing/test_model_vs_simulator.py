"""Erlang A and the expected wait against the simulator's call centre (seeded, bounded runs).

Each run is 40 simulated hours of one queue at steady load (about 8,000 to 40,000 calls), driven
in process by the simulator's own event engine on a manual clock (a second of CPU, no waiting).
The tolerances below hold for these seeds with room to spare; the sampling noise of a 40-hour
run is about +-2 points of SLA (busy periods correlate calls). The 400-hour runs of
``benchmarks/bench_staffing.py`` agree within 1 point of SLA, 0.5 point of abandonment and
0.3 s of ASA: what is left is the lognormal talk time the model treats as exponential.
"""

from __future__ import annotations

import pytest

from queuepulse.staffing.simcheck import SteadyLoad, run_steady_load

pytestmark = pytest.mark.unit

LOADS = [
    SteadyLoad(agents=10, calls_per_hour=200, aht_s=150, patience_s=120, hours=40, seed=5),
    SteadyLoad(agents=8, calls_per_hour=200, aht_s=150, patience_s=120, hours=40, seed=2),
    SteadyLoad(agents=30, calls_per_hour=1000, aht_s=100, patience_s=60, hours=40, seed=3),
]


@pytest.mark.parametrize("load", LOADS, ids=lambda load: f"{load.agents}agents")
def test_erlang_a_predicts_the_simulated_queue(load: SteadyLoad) -> None:
    check = run_steady_load(load)
    p, m = check.predicted, check.measured
    print(f"\n{load.agents} agents, {load.calls_per_hour:g} calls/h: predicted SLA "
          f"{p.service_level_pct:.1f} % abandon {p.abandon_pct:.2f} % ASA {p.asa_s:.1f} s; "
          f"measured SLA {m.sla_pct:.1f} % abandon {m.abandon_pct:.2f} % ASA {m.asa_s:.1f} s "
          f"({m.offered} calls); expected wait MAE {check.wait_mae_s:.1f} s over "
          f"{check.wait_predictions} predictions (mean actual {check.wait_mean_actual_s:.1f} s)")
    assert m.offered > 7000
    assert m.sla_pct == pytest.approx(p.service_level_pct, abs=4.0)
    assert m.abandon_pct == pytest.approx(p.abandon_pct, abs=2.0)
    assert m.asa_s == pytest.approx(p.asa_s, abs=1.5)
    # the expected wait tells callers apart: its error is well below the waits themselves
    assert check.wait_predictions > 1000
    assert check.wait_mae_s < 0.7 * check.wait_mean_actual_s


def test_a_run_is_deterministic() -> None:
    load = SteadyLoad(hours=2, seed=9)
    assert run_steady_load(load) == run_steady_load(load)
