"""Every panel target and alert query on a database the real flows filled from a simulator run.

See :mod:`grafana_flows`: ``run sync``, the live flow polling over HTTP (its last polls failing)
and reconciliation wrote the tables; nothing here inserts a row. Each dashboard is loaded as
Grafana would (variables resolved by their own queries, All selected, macros expanded), each
target must run as the read-only role and return the columns its panel needs, and each alert
query must return labelled numbers.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import psycopg
import pytest
from grafana_flows import PBX, fill_from_flows
from grafana_runner import NUMERIC, TEXT, run
from test_grafana_queries_db import run_dashboards

from queuepulse.grafana.alerts import rules_file
from queuepulse.grafana.catalog import alert_queries
from queuepulse.grafana.ids import DATASOURCE_UID
from queuepulse.grafana.macros import expand
from queuepulse.grafana.render import dashboard_documents, panel_ids

pytestmark = pytest.mark.e2e



def test_every_query_runs_on_what_the_flows_wrote(pg_dsn: str, pg_reader_dsn: str) -> None:
    fill = fill_from_flows(pg_dsn)
    assert fill.reconcile.results
    assert all(r.ok for r in fill.reconcile.results), [r.error for r in fill.reconcile.results]

    with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
        row = reader.execute("SELECT now()").fetchone()
        assert row is not None
        now = row[0].astimezone(UTC)
        counts = {
            table: reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("queues", "agents", "queue_agents", "agent_states", "call_events",
                          "queue_calls", "queue_kpi_1m", "queue_live", "pipeline_health",
                          "reconciliation_runs", "pbx_queue_reports")
        }
        print(f"\nfilled by the flows: {counts}")
        assert all(counts.values()), counts  # every table a panel reads was written

        # the reconciled half hour holds the simulator's true KPIs (so panels show real numbers)
        fields = ("offered", "answered", "abandoned", "short_abandoned", "answered_in_sla")
        truth: dict[str, list[int]] = {}
        for k in fill.truth_kpis:
            sums = truth.setdefault(k["queue_dn"], [0] * len(fields))
            for i, f in enumerate(fields):
                sums[i] += int(k[f])
        stored = {r[0]: [int(v) for v in r[1:]] for r in reader.execute(
            f"SELECT queue_dn, {', '.join(f'sum({f})' for f in fields)} FROM queue_kpi_1m "
            "WHERE pbx_id = %s AND bucket >= %s AND bucket < %s GROUP BY queue_dn",
            (PBX, fill.lo, fill.hi))}
        print(f"reconciled {fill.lo:%H:%M}-{fill.hi:%H:%M} {fields}: {stored}; "
              f"flagged {sum(r.flagged for r in fill.reconcile.results)}")
        assert stored == truth
        # the hourly rollup holds the same sums, reconciled minutes included
        hourly = {r[0]: [int(v) for v in r[1:]] for r in reader.execute(
            f"SELECT queue_dn, {', '.join(f'sum({f})' for f in fields)} FROM queue_kpi_hourly "
            "WHERE pbx_id = %s GROUP BY queue_dn", (PBX,))}
        minutes = {r[0]: [int(v) for v in r[1:]] for r in reader.execute(
            f"SELECT queue_dn, {', '.join(f'sum({f})' for f in fields)} FROM queue_kpi_1m "
            "WHERE pbx_id = %s GROUP BY queue_dn", (PBX,))}
        assert hourly == minutes

        # a call the live flow saw, as a user would paste it into the call history explorer
        seen = reader.execute(
            "SELECT c.call_key FROM queue_calls c WHERE c.pbx_id = %s AND EXISTS "
            "(SELECT 1 FROM call_events e WHERE e.call_key = c.call_key) "
            "ORDER BY c.entered_at DESC LIMIT 1", (PBX,)).fetchone()
        assert seen is not None
        two_queues = [r[0] for r in reader.execute(
            "SELECT queue_dn FROM queues WHERE valid_to IS NULL ORDER BY queue_dn LIMIT 2")]
        selections: list[dict[str, str | list[str]]] = [
            {"call_key": seen[0]},  # All PBXs, all queues
            {"call_key": seen[0], "pbx": [PBX], "queue": two_queues},  # multi-value subset
        ]
        # every target runs, has the columns its panel needs and shows rows (except the
        # previous-period overlay: nothing was written 30 days ago; see MAY_BE_EMPTY there)
        # the flow's last polls failed, so the PBX is stale by now: the wall board hides its
        # live lists and says so (test_wallboard_flows_db.py holds the lists to the truth)
        stale_lists = frozenset(f"qp-wallboard/{title}/A" for title in (
            "Callers waiting", "Calls in progress", "Agents now"))
        ran = 0
        for overrides in selections:
            count, failures, results = run_dashboards(reader, now, overrides, stale_lists)
            ran += count
            assert not failures, f"{overrides}:\n" + "\n".join(failures)
            [(pbx, stale_for)] = results["qp-wallboard/Live data/A"].rows
            assert pbx == PBX
            assert stale_for > 0
        print(f"{ran} panel queries ran and showed rows")

        rules = rules_file(DATASOURCE_UID, panel_ids(dashboard_documents()))
        values: dict[str, list[dict[str, Any]]] = {}
        for alert in alert_queries(rules):
            sql = expand(alert.sql, start=now - timedelta(seconds=alert.window_s), end=now).sql
            result = run(reader, sql)
            numeric = [c for c, t in zip(result.columns, result.types, strict=True)
                       if t in NUMERIC]
            labels = [c for c in result.columns if c not in numeric]
            assert len(numeric) == 1, f"{alert.uid}: Grafana needs exactly one value column"
            assert all(result.type_of(c) in TEXT for c in labels), f"{alert.uid}: labels"
            values[alert.uid] = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
        print(f"alert values: {values}")

        # pipeline stale: the flow recorded failed polls after the last successful one; the
        # rule measures from the last *successful* poll, i.e. from before the first failure
        first_failure = reader.execute(
            "SELECT extract(epoch FROM now() - min(ts)), count(*) FROM pipeline_health "
            "WHERE pbx_id = %s AND errors > 0", (PBX,)).fetchone()
        assert first_failure is not None
        assert first_failure[1] > 0, "the fault injection should have failed the last polls"
        [stale] = values["qp-pipeline-stale"]
        assert stale["pbx_id"] == PBX
        assert float(stale["since_last_poll_s"]) >= float(first_failure[0])

        # reconciliation drift: the share of the CDR's visits live got wrong or missed (the live
        # flow ran after the reconciled half hour, so it missed them all)
        results = fill.reconcile.results
        wrong = sum(r.corrected + r.inserted for r in results)
        cdr_visits = sum(r.matched + r.inserted for r in results)
        assert cdr_visits == sum(r.visits for r in results) > 0
        [drift] = values["qp-recon-drift"]
        assert float(drift["drift_pct"]) == round(100.0 * wrong / cdr_visits, 2) == 100.0
