"""KPI facts and bucket folds (the live windows over them: tests/live/test_kpi_windows_unit.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from domain_scenarios import DIRECTORY, PBX, RULES, at, poll, row, run

from queuepulse.domain.kpi import (
    KpiFact,
    KpiKey,
    QueueKpi,
    accumulate,
    bucket_of,
    entry_kpis_from_visits,
    facts_for_visit_change,
    fold_bucket,
    fold_facts,
    kpis_from_visits,
)
from queuepulse.domain.visits import QueueVisit

pytestmark = pytest.mark.unit

B = bucket_of(at(0))
KEY: KpiKey = (PBX, "800", "queue", B)


def fact(n: int, kind: str, second: float = 10.0, **kw: object) -> KpiFact:
    return KpiFact(f"f{n}", PBX, "800", "queue", kind, at(second), **kw)  # type: ignore[arg-type]


def test_fold_bucket_by_the_kpi_definitions() -> None:
    facts = [
        fact(1, "offered"), fact(2, "offered"), fact(3, "offered"), fact(4, "offered"),
        fact(5, "answered", wait_s=10.0, in_sla=True),
        fact(6, "answered", wait_s=30.0, in_sla=False),
        fact(7, "abandoned", wait_s=3.0, short=True),
        fact(8, "abandoned", wait_s=45.0, short=False),
        fact(9, "transferred", wait_s=12.0),
        fact(10, "talk_ended", talk_s=100.0),
        fact(11, "talk_ended", talk_s=50.0),
    ]
    k = fold_bucket(facts)
    assert (k.offered, k.answered, k.abandoned, k.short_abandoned, k.transferred) == (
        4, 2, 2, 1, 1)
    assert k.answered_in_sla == 1
    # SLA % = in_sla / (answered + abandoned - short) = 1 / 3
    assert k.sla_pct == pytest.approx(100 / 3)
    assert k.asa_s == pytest.approx(20.0)
    assert k.max_wait_s == pytest.approx(45.0)  # over answered and abandoned waits
    assert k.avg_talk_s == pytest.approx(75.0)
    assert k.wait_abandoned_s_sum == pytest.approx(48.0)
    assert k.bucket == B


def test_empty_denominators_are_null() -> None:
    k = fold_bucket([fact(1, "offered"), fact(2, "abandoned", wait_s=2.0, short=True)])
    assert k.sla_pct is None
    assert k.asa_s is None
    assert k.avg_talk_s is None
    assert k.max_wait_s == 2.0
    assert fold_bucket([], KEY) == QueueKpi(PBX, "800", B)


def test_duplicate_facts_count_once() -> None:
    f = fact(1, "answered", wait_s=5.0, in_sla=True)
    assert fold_bucket([f, f, f]) == fold_bucket([f])


def test_a_fact_of_another_bucket_is_refused() -> None:
    with pytest.raises(ValueError, match="belongs to bucket"):
        fold_bucket([fact(1, "offered", 10.0), fact(2, "offered", 70.0)])


def test_accumulate_late_and_redelivered_facts() -> None:
    state, k1 = accumulate(None, [fact(1, "offered"), fact(2, "answered", wait_s=4.0,
                                                              in_sla=True)])
    assert (k1.offered, k1.answered) == (2 - 1, 1)
    state, k2 = accumulate(state, [fact(1, "offered")])  # re-delivered
    assert k2 == k1
    state, k3 = accumulate(state, [fact(3, "abandoned", wait_s=30.0, short=False)])  # late
    assert (k3.abandoned, k3.sla_pct) == (1, 50.0)
    assert state.key == KEY


def test_counts_land_in_the_bucket_of_the_moment_they_happened() -> None:
    r = run([
        poll(50, row(1, "800 Sales", "Ringing", 50.0, 50, established=50.0)),
        poll(59, row(1, "800 Sales", "Ringing", 50.0, 59, established=50.0)),
        poll(65, row(1, "800 Sales", "Talking", 64.0, 65, established=50.0)),
        poll(70, row(1, "800 Sales", "Talking", 64.0, 70, established=50.0)),
        poll(79, row(1, "800 Sales", "Talking", 64.0, 79, established=50.0)),
        poll(88, row(1, "800 Sales", "Talking", 64.0, 88, established=50.0)),
        poll(97, row(1, "800 Sales", "Talking", 64.0, 97, established=50.0)),
        poll(106, row(1, "800 Sales", "Talking", 64.0, 106, established=50.0)),
        poll(115, row(1, "800 Sales", "Talking", 64.0, 115, established=50.0)),
        poll(124),
    ])
    minute0, minute1, minute2 = fold_facts(f for f in r.facts if f.scope == "queue")
    assert (minute0.bucket, minute0.offered, minute0.answered) == (B, 1, 0)
    assert (minute1.bucket, minute1.answered) == (B + timedelta(minutes=1), 1)
    assert minute1.asa_s == pytest.approx(14.0)
    assert minute1.answered_in_sla == 1
    assert minute2.bucket == B + timedelta(minutes=2)
    assert minute2.avg_talk_s == pytest.approx(60.0)


def test_kpis_from_visits_of_a_scenario() -> None:
    r = run([
        poll(1, row(1, "800 Sales", "Ringing", 0.5, 1),
             row(2, "800 Sales", "Ringing", 0.8, 1, established=0.8)),
        poll(3, row(1, "801 Support", "Ringing", 2.5, 3),
             row(2, "800 Sales", "Ringing", 0.8, 3, established=0.8)),
        poll(5, row(1, "103 Cleo", "Talking", 4.5, 5)),
        poll(8),
    ])
    sla = {"800": 20, "801": 30}
    by_queue = {k.queue_dn: k for k in kpis_from_visits(r.visits, sla, RULES)}
    assert (by_queue["800"].offered, by_queue["800"].transferred,
            by_queue["800"].abandoned, by_queue["800"].short_abandoned) == (2, 1, 1, 1)
    assert by_queue["800"].sla_pct is None  # the only abandon was short
    assert (by_queue["801"].answered, by_queue["801"].answered_in_sla) == (1, 1)
    (entry,) = entry_kpis_from_visits(r.visits, sla, RULES)
    assert (entry.queue_dn, entry.scope, entry.offered, entry.answered, entry.abandoned) == (
        "800", "entry", 2, 1, 1)
    assert entry.asa_s == pytest.approx(4.0)


def test_facts_for_visit_change_only_adds_what_is_new() -> None:
    v = QueueVisit(PBX, "k", "800", at(0), sla_s=20)
    answered = v.answer(at(25), "101")
    ended = answered.end_talk(at(85))
    assert [f.kind for f in facts_for_visit_change(None, v, RULES)] == ["offered"]
    (a,) = facts_for_visit_change(v, answered, RULES)
    assert (a.kind, a.wait_s, a.in_sla) == ("answered", 25.0, False)
    (t,) = facts_for_visit_change(answered, ended, RULES)
    assert (t.kind, t.talk_s) == ("talk_ended", 60.0)
    assert facts_for_visit_change(ended, ended, RULES) == ()
    everything = facts_for_visit_change(None, ended, RULES)
    assert [f.fact_id for f in everything] == [
        f.fact_id for f in (*facts_for_visit_change(None, v, RULES), a, t)]


def test_directory_sla_reaches_the_facts() -> None:
    assert DIRECTORY.sla_s("801", 20) == 30
