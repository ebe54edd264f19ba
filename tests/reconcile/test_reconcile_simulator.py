"""Reconciliation against the simulated PBX over real HTTP, into a migrated TimescaleDB.

The "live" side is the domain lifecycle over the simulator's ActiveCalls, polled once per
simulated second with two outages (poll gaps) and many very short calls, so live polling misses
visits and gets some ends wrong. After reconciliation, ``queue_calls`` and ``queue_kpi_1m`` must
equal the simulator's ground truth, the audit must explain every difference live polling had, and
a second run must change nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg
import pytest
from reconcile_helpers import (
    PBX,
    START,
    WARMUP_S,
    canonical_key,
    db_entry_kpis,
    db_kpis,
    db_visits,
    directory,
    minutes,
    pbx_settings,
    reconciler,
    run_live,
    simulator,
    snapshot,
    truth_entry_kpis,
    truth_kpis,
    truth_visits,
    ts,
    write_live,
)

from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.e2e

LIVE_S = 1200
GAPS = ((200, 260), (700, 745))
LO = START - minutes(WARMUP_S / 60)
HI = START + minutes(LIVE_S / 60)


_SLA_ROWS = """
SELECT 'queue', sla_pct, answered_in_sla, answered + abandoned - short_abandoned
FROM queue_kpi_1m
UNION ALL
SELECT 'entry', sla_pct, answered_in_sla, answered + abandoned - short_abandoned
FROM entry_queue_kpi_1m
UNION ALL
SELECT report, sla_pct, received_count - coalesce(bad_sla_count, 0), received_count
FROM pbx_queue_reports WHERE report = 'StatisticSla'
"""


def _sla_pct_not_per_cent(conn: psycopg.Connection[Any]) -> tuple[Counter[str], list[Any]]:
    """How many stored SLA % per source had calls to count, and those that are not the per cent
    (0..100) of their own counts — a fraction (0.8 for 80 %) anywhere shows up here."""
    rows = conn.execute(_SLA_ROWS).fetchall()
    counted = Counter(r[0] for r in rows if r[3])
    bad = [r for r in rows if (r[1] is None) != (not r[3]) or (r[3] and not (
        0 <= r[1] <= 100 and r[1] == pytest.approx(100.0 * r[2] / r[3])))]
    return counted, bad


def _live_rows(live: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    out = {}
    for v in live.visits.values():
        if LO <= v.entered_at < HI:
            out[(canonical_key(v.call_key), v.queue_dn, v.entered_at)] = v
    return out


@pytest.mark.parametrize("answered_callee", ["queue", "agent"])
async def test_reconciled_visits_and_kpis_equal_the_truth(pg_dsn: str,
                                                          answered_callee: str) -> None:
    with simulator(answered_callee=answered_callee) as sim:
        async with XapiClient(pbx_settings(sim), jitter=False) as client:
            live = run_live(sim, await directory(client), LIVE_S, GAPS)
            write_live(pg_dsn, live)
            with psycopg.connect(pg_dsn) as conn:
                live_sla = _sla_pct_not_per_cent(conn)
            sim.advance(900)  # every period of [LO, HI) closes and settles
            rec = reconciler(sim, client, pg_dsn)
            first = await rec.backfill(LO, HI)
            with psycopg.connect(pg_dsn) as conn:
                after_first = snapshot(conn)
            second = await rec.backfill(LO, HI, force=True)
            truth = truth_visits(sim, LO, HI)
            truth_k = truth_kpis(sim, LO, HI)
            truth_e = truth_entry_kpis(sim, LO, HI)

    with psycopg.connect(pg_dsn) as conn:
        stored = db_visits(conn, LO, HI)
        kpis = db_kpis(conn, LO, HI)
        entry = db_entry_kpis(conn, LO, HI)
        after_second = snapshot(conn)
        reconciled_sla = _sla_pct_not_per_cent(conn)
        diffs = conn.execute(
            "SELECT call_key, queue_dn, entered_at, field, live_value, cdr_value, action "
            "FROM reconciliation_diffs WHERE pbx_id = %s", (PBX,)).fetchall()
        runs = conn.execute(
            "SELECT status, count(*) FROM reconciliation_runs GROUP BY status").fetchall()
        reports = conn.execute(
            "SELECT report, count(DISTINCT period_from) FROM pbx_queue_reports "
            "GROUP BY report ORDER BY report").fetchall()

    live_rows = _live_rows(live)
    missed = [k for k in truth if k not in live_rows]
    wrong = [k for k in truth if k in live_rows and any(
        getattr(live_rows[k], f) != truth[k][f] if not f.endswith("_s") else
        (getattr(live_rows[k], f) is None) != (truth[k][f] is None) or (
            truth[k][f] is not None and abs(getattr(live_rows[k], f) - truth[k][f]) > 0.002)
        for f in ("outcome", "wait_s", "agent_dn", "talk_s"))]
    extra = [k for k in live_rows if k not in truth]
    print(f"\nlive: {live.polls} polls ({live.gap_polls} in gaps), {len(live_rows)} visits in "
          f"range; truth {len(truth)} visits; live missed {len(missed)}, got {len(wrong)} wrong, "
          f"{len(extra)} extra")
    print(f"first run: {len(first.results)} periods, "
          f"{sum(r.cdr_rows for r in first.results)} CDR rows, "
          f"{sum(r.inserted for r in first.results)} inserted, "
          f"{sum(r.corrected for r in first.results)} corrected, "
          f"{sum(r.removed for r in first.results)} removed, "
          f"{sum(r.diffs for r in first.results)} diffs, "
          f"{sum(r.open_talks for r in first.results)} open talks; "
          f"runs by status {dict(runs)}; reports {reports}")
    fields: dict[str, int] = {}
    for row in diffs:
        fields[row[3]] = fields.get(row[3], 0) + 1
    print(f"diffs by field: {dict(sorted(fields.items()))}")

    # live polling really was wrong, so the test proves something
    assert missed, "the gaps and short calls should make live polling miss visits"
    assert all(r.ok for r in first.results), [r.error for r in first.results]
    assert len(first.results) == 6

    # queue visits equal the truth, field by field
    assert set(stored) == set(truth)
    for key, truth_row in truth.items():
        assert stored[key] == truth_row, key

    # per-minute KPIs equal the truth
    assert set(kpis) == set(truth_k)
    for key, values in truth_k.items():
        assert kpis[key] == pytest.approx(values, abs=1e-3), key

    # end-to-end KPIs by entry queue equal the domain's fold of the true visits
    assert truth_e
    assert set(entry) == set(truth_e)
    for key, values in truth_e.items():
        assert entry[key] == pytest.approx(values, abs=1e-3), key

    # the audit explains every difference live polling had: a visit live never saw is a
    # missed_visit, or an entered_at correction of the live visit that started elsewhen
    by_visit: dict[tuple[Any, ...], set[str]] = {}
    moved_to: set[tuple[Any, ...]] = set()
    for call_key, queue_dn, entered_at, fld, _lv, cdr_value, _action in diffs:
        key = (canonical_key(call_key), queue_dn, entered_at)
        by_visit.setdefault(key, set()).add(fld)
        if fld == "entered_at":
            moved_to.add((key[0], queue_dn, ts(cdr_value)))
    for key in missed:
        assert "missed_visit" in by_visit.get(key, set()) or key in moved_to, key
    for key in wrong:
        assert by_visit.get(key, set()) & {"outcome", "wait_s", "agent_dn", "talk_s"}, key
    for key in extra:
        assert by_visit.get(key, set()) & {"extra_live_visit", "entered_at"}, key

    # 3CX's own figures for every period
    assert dict(reports) == {"AbandonedQueueCalls": 6, "AgentsInQueueStatistics": 6,
                             "QueuePerformanceTotals": 6, "StatisticSla": 6}

    # SLA % is a per cent (0..100) of its own counts everywhere: the live flow's and the
    # reconciled KPI rows, and 3CX's StatisticSla rows (3CX gives counts; we store per cent)
    for counted, bad in (live_sla, reconciled_sla):
        assert counted["queue"] > 20
        assert counted["entry"] > 20
        assert bad == []
    assert reconciled_sla[0]["StatisticSla"] > 0

    # idempotent: the second run found nothing and changed nothing
    assert all(r.ok for r in second.results)
    assert sum(r.corrected + r.inserted + r.removed + r.diffs for r in second.results) == 0
    assert after_second == after_first
