"""Dashboard 7 — pipeline health: poll latency, errors, gaps, lag, rows written."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, table
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import dashboard as dm

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import SUCCESSFUL_POLL, base_dashboard
from queuepulse.grafana.ids import PIPELINE_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import pbx_variable

PBX_FILTER = "$__timeFilter(ts) AND pbx_id IN ($pbx)"

STALE_STEPS: tuple[p.Step, ...] = ((None, "green"), (10.0, "orange"), (60.0, "red"))


def last_poll_age() -> stat.Panel:
    """Seconds since the last successful poll, per PBX."""
    return p.stat_panel(
        "Since last successful poll",
        "Per PBX: seconds since the newest pipeline_health row of a successful live poll "
        "(answered without error and not stale; failed polls are recorded too, with "
        "errors = 1). Red after 60 s — the 'pipeline stale' alert fires then too.",
        sql(
            f"""
            SELECT pbx_id AS "PBX",
                   extract(epoch FROM now() - max(ts)) AS "Since last poll"
            FROM pipeline_health
            WHERE ts > now() - interval '1 day' AND pbx_id IN ($pbx)
              AND {SUCCESSFUL_POLL}
            GROUP BY pbx_id
            ORDER BY pbx_id
            """
        ),
        "s",
        p.pos(0, 0, 12, 5),
        STALE_STEPS,
        per_row=True,
    ).no_value("no polls")


def _series(title: str, description: str, expr: str, unit: str, grid: dm.GridPos) -> ts.Panel:
    return p.timeseries_panel(
        title,
        description,
        [
            sql(
                f"""
                SELECT $__timeGroupAlias(ts, $__interval), pbx_id || ' ' || component AS metric,
                       {expr}
                FROM pipeline_health
                WHERE {PBX_FILTER}
                GROUP BY 1, 2
                ORDER BY 1, 2
                """,
                "time_series",
            )
        ],
        unit,
        grid,
    )


def totals() -> stat.Panel:
    """Errors, stale polls, gaps and rows written over the range."""
    return p.stat_panel(
        "Over the time range",
        "Totals over the time range for the chosen PBXs.",
        sql(
            f"""
            SELECT coalesce(sum(polls), 0) AS "Polls", coalesce(sum(errors), 0) AS "Errors",
                   coalesce(sum(stale_polls), 0) AS "Stale polls",
                   coalesce(sum(gaps), 0) AS "Gaps",
                   coalesce(sum(rows_written), 0) AS "Rows written"
            FROM pipeline_health
            WHERE {PBX_FILTER}
            """
        ),
        "short",
        p.pos(12, 0, 12, 5),
    )


def poll_latency() -> ts.Panel:
    """Poll latency per PBX."""
    return _series(
        "Poll latency",
        "Mean ActiveCalls poll round-trip per PBX and interval (ms).",
        'avg(poll_latency_ms) AS "Poll latency"',
        "ms",
        p.pos(0, 5, 12, 8),
    )


def errors() -> ts.Panel:
    """Errors per PBX."""
    return _series(
        "Errors",
        "Errors, token failures and database write errors per PBX, component and interval.",
        'sum(errors) AS "Errors", sum(token_failures) AS "Token failures", '
        'sum(write_errors) AS "Write errors"',
        "short",
        p.pos(12, 5, 12, 8),
    )


def gaps() -> ts.Panel:
    """Poll gaps and stale polls per PBX."""
    return _series(
        "Gaps and stale polls",
        "Poll gaps (PBX unreachable, token failures) plus stale polls (ServerNow not newer "
        "than the last one) per PBX and interval.",
        'sum(gaps) + sum(stale_polls) AS "Gaps + stale"',
        "short",
        p.pos(0, 13, 12, 8),
    )


def lag() -> ts.Panel:
    """Processing lag per PBX."""
    return _series(
        "Lag",
        "Largest processing lag per PBX and interval: from receiving a poll to the flow "
        "processing it (lag_s).",
        'max(lag_s) AS "Lag"',
        "s",
        p.pos(12, 13, 12, 8),
    )


def rows_written() -> ts.Panel:
    """Rows written per PBX."""
    return _series(
        "Rows written",
        "Rows upserted into the hypertables per PBX and interval.",
        'sum(rows_written) AS "Rows written"',
        "short",
        p.pos(0, 21, 12, 8),
    )


def per_pbx() -> table.Panel:
    """One row per PBX summarising the range."""
    return (
        p.table_panel(
            "Per PBX",
            "Per PBX over the time range: polls recorded, mean and worst poll latency, "
            "errors, gaps, stale polls, worst lag, rows written.",
            sql(
                f"""
                SELECT pbx_id AS "PBX", component AS "Component", sum(polls) AS "Polls",
                       round(avg(poll_latency_ms)::numeric, 1) AS "Mean latency",
                       max(poll_latency_ms) AS "Max latency", sum(errors) AS "Errors",
                       sum(gaps) AS "Gaps", sum(stale_polls) AS "Stale polls",
                       max(lag_s) AS "Max lag", sum(rows_written) AS "Rows written",
                       sum(write_errors) AS "Write errors", max(abs(skew_s)) AS "Max clock skew"
                FROM pipeline_health
                WHERE {PBX_FILTER}
                GROUP BY pbx_id, component
                ORDER BY pbx_id, component
                """
            ),
            p.pos(12, 21, 12, 8),
        )
        .override_by_name("Mean latency", p.unit_only("ms"))
        .override_by_name("Max latency", p.unit_only("ms"))
        .override_by_name("Max lag", p.unit_only("s"))
        .override_by_name("Max clock skew", p.unit_only("s"))
        .override_by_name("Errors", p.coloured(((None, "green"), (1.0, "red")), "short"))
    )


def reconciliation_runs() -> table.Panel:
    """Recent reconciliation runs and what they changed."""
    return p.table_panel(
        "Reconciliation runs",
        "Reconciliation runs started in the time range: CDR rows read, visits matched, "
        "corrected (live had a field wrong) and inserted (live missed them), differences "
        "found and drift % (corrected + inserted over the CDR's visits, matched + inserted), "
        "newest first.",
        sql(
            """
                SELECT started_at AS "Started", pbx_id AS "PBX", status AS "Status",
                       period_from AS "Period from", period_to AS "Period to",
                       cdr_rows AS "CDR rows", matched AS "Matched", corrected AS "Corrected",
                       inserted AS "Inserted", diffs AS "Diffs", dead_letters AS "Dead letters",
                       round(100.0 * (corrected + inserted)
                             / nullif(matched + inserted, 0), 2) AS "Drift %"
                FROM reconciliation_runs
                WHERE $__timeFilter(started_at) AND pbx_id IN ($pbx)
                ORDER BY started_at DESC
                LIMIT 200
                """
        ),
        p.pos(0, 29, 24, 8),
    ).override_by_name(
        "Drift %", p.coloured(((None, "green"), (1.0, "orange"), (5.0, "red")), "percent")
    )


def dashboard() -> dash.Dashboard:
    """The pipeline health dashboard."""
    board = base_dashboard(
        PIPELINE_UID,
        "QueuePulse · Pipeline health",
        "Is the pipeline healthy? Poll latency, errors, gaps, lag and rows written per PBX.",
        refresh="10s",
        time_from="now-6h",
    )
    board = board.with_variable(pbx_variable())
    for panel in (
        last_poll_age(),
        totals(),
        poll_latency(),
        errors(),
        gaps(),
        lag(),
        rows_written(),
        per_pbx(),
        reconciliation_runs(),
    ):
        board = board.with_panel(panel)
    return board
