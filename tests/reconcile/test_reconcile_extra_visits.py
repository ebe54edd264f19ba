"""Extra live visits against a real CDR: removed only when the CDR proves them extra.

Three live visits are stored before reconciling: two genuine ones whose call the CDR does not
fully hold yet (call X: its CallHistoryView rows lag behind GetCallLogData; call Y: absent from
both, as when history lags or a page goes missing) and one that live attributed to a queue the
call never entered (call W, fully in the CDR). The first run must keep X and Y (flagged, with the
reason) and remove W's; once history has caught up, a forced re-run corrects X and Y from the CDR
and the table equals the simulator's truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import psycopg
import pytest
from reconcile_helpers import (
    START,
    WARMUP_S,
    canonical_key,
    db_visits,
    minutes,
    pbx_settings,
    reconciler,
    simulator,
    truth_visits,
    ts,
)

from queuepulse.reconcile import fetch
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.odata import ODataQuery

pytestmark = pytest.mark.e2e

LO = START - minutes(WARMUP_S / 60)
HI = START


class LaggingClient(XapiClient):
    """Serves the simulator's CDR without the history rows of ``lagging`` calls and without any
    row of ``absent`` calls."""

    lagging: ClassVar[set[int]] = set()
    absent: ClassVar[set[int]] = set()
    segments_of: ClassVar[dict[int, set[int]]] = {}

    async def get_report(self, spec: Any, params: Mapping[str, object],
                         query: ODataQuery | None = None, *,
                         page_size: int | None = None) -> list[Any]:
        rows = await super().get_report(spec, params, query, page_size=page_size)
        if spec is fetch.CALL_HISTORY:
            hidden = {s for c in self.lagging | self.absent for s in self.segments_of[c]}
            return [r for r in rows if r.as_dict().get("SegmentId") not in hidden]
        if spec is fetch.CALL_LOG:
            return [r for r in rows if r.as_dict().get("CallId") not in self.absent]
        return list(rows)


def _insert_live(conn: psycopg.Connection[Any], row: Mapping[str, Any]) -> None:
    cols = ("pbx_id", "call_key", "queue_dn", "entered_at", "answered_at", "ended_at", "outcome",
            "wait_s", "talk_s", "agent_dn", "caller_number", "caller_name", "call_id",
            "entry_queue_dn")
    values = [ts(row[c]) if c.endswith("_at") else row[c] for c in cols]
    conn.execute(
        f"INSERT INTO queue_calls ({', '.join(cols)}, source) VALUES "
        f"({', '.join(['%s'] * len(cols))}, 'live')", values)


async def test_live_visits_the_cdr_does_not_fully_hold_are_kept_and_flagged(
    pg_dsn: str,
) -> None:
    with simulator() as sim:
        sim.advance(600)
        truth_rows = sim.truth.visits(LO, HI)
        visits_of: dict[int, list[dict[str, Any]]] = {}
        for row in truth_rows:
            visits_of.setdefault(row["call_id"], []).append(row)
        single = [rows[0] for rows in visits_of.values()
                  if len(rows) == 1 and rows[0]["outcome"] in ("answered", "abandoned")]
        x, y, w = single[0], single[1], single[2]
        queues = sorted({r["queue_dn"] for r in truth_rows})
        other_queue = next(q for q in queues if q != w["queue_dn"])
        fake = dict(w, queue_dn=other_queue,
                    entered_at=ts(w["entered_at"]) + timedelta(seconds=1))  # type: ignore[operator]

        async with LaggingClient(pbx_settings(sim), jitter=False) as client:
            log_rows = await fetch.fetch_call_log(client, LO - minutes(60), HI + minutes(60))
            segments_of: dict[int, set[int]] = {}
            for r in log_rows:
                segments_of.setdefault(r["CallId"], set()).add(r["SegmentId"])
            LaggingClient.segments_of = segments_of
            LaggingClient.lagging = {x["call_id"]}
            LaggingClient.absent = {y["call_id"]}
            with psycopg.connect(pg_dsn, autocommit=True) as conn:
                for row in (x, y, fake):
                    _insert_live(conn, row)
            rec = reconciler(sim, client, pg_dsn)
            first = await rec.backfill(LO, HI)
            with psycopg.connect(pg_dsn) as conn:
                after_first = {
                    (canonical_key(r[0]), r[1]): r[2] for r in conn.execute(
                        "SELECT call_key, queue_dn, source FROM queue_calls "
                        "WHERE call_id = ANY(%s)",
                        ([x["call_id"], y["call_id"], w["call_id"]],)).fetchall()}
                diffs = conn.execute(
                    "SELECT call_key, queue_dn, action, cdr_value FROM reconciliation_diffs "
                    "WHERE field = 'extra_live_visit'").fetchall()
            # history catches up: a forced re-run has the whole CDR
            LaggingClient.lagging = set()
            LaggingClient.absent = set()
            second = await rec.backfill(LO, HI, force=True)
        truth = truth_visits(sim, LO, HI)

    print(f"\nfirst run: removed {sum(r.removed for r in first.results)}, flagged "
          f"{sum(r.flagged for r in first.results)}; diffs {diffs}")
    assert all(r.ok for r in first.results + second.results)
    kx, ky, kw = (canonical_key(r["call_key"]) for r in (x, y, w))
    # X and Y are genuine live visits: kept (still the live rows), flagged with the reason
    assert after_first[(kx, x["queue_dn"])] == "live"
    assert after_first[(ky, y["queue_dn"])] == "live"
    flagged = {(canonical_key(k), q): (a, v) for k, q, a, v in diffs}
    assert flagged[(kx, x["queue_dn"])][0] == "flagged"
    assert "incomplete" in flagged[(kx, x["queue_dn"])][1]
    assert flagged[(ky, y["queue_dn"])][0] == "flagged"
    assert "not in the CDR window" in flagged[(ky, y["queue_dn"])][1]
    # W's visit to a queue it never entered is proven extra by the CDR: removed
    assert (kw, other_queue) not in after_first
    assert after_first[(kw, w["queue_dn"])] == "cdr"
    assert flagged[(kw, other_queue)] == ("corrected", None)
    assert sum(r.removed for r in first.results) == 1
    assert sum(r.flagged for r in first.results) == 2
    # with the whole CDR, X and Y are matched and rewritten from it: the truth, nothing flagged
    assert sum(r.flagged + r.removed for r in second.results) == 0
    assert sum(r.confirmed for r in second.results) == 2  # live had them right
    assert sum(r.corrected for r in second.results) == 0
    with psycopg.connect(pg_dsn) as conn:
        assert db_visits(conn, LO, HI) == truth
