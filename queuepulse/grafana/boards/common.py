"""SQL fragments and dashboard scaffolding shared by the dashboards.

The SQL reads the public tables (docs/schema.md) only. KPI sums are exact over
any period because every count lands in the minute it happened; SLA % is recomputed from the
summed counts (never averaged), null when nothing was answered or abandoned.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from queuepulse.grafana.ids import TAG

QUEUE_FILTER = "pbx_id IN ($pbx) AND queue_dn IN ($queue)"
"""Restrict a KPI/visit/live query to the chosen PBXs and queues."""


def queue_filter(alias: str) -> str:
    """:data:`QUEUE_FILTER` for a table alias."""
    return f"{alias}.pbx_id IN ($pbx) AND {alias}.queue_dn IN ($queue)"


def sla_pct(alias: str = "") -> str:
    """SLA % from summed counts: in-SLA answers over answered + abandoned - short abandoned."""
    p = f"{alias}." if alias else ""
    return (
        f"round(100.0 * sum({p}answered_in_sla) / nullif(sum({p}answered) + sum({p}abandoned)"
        f" - sum({p}short_abandoned), 0), 1)"
    )


def abandon_pct(alias: str = "") -> str:
    """Abandon % (short abandons excluded) of the calls that finished waiting."""
    p = f"{alias}." if alias else ""
    return (
        f"round(100.0 * (sum({p}abandoned) - sum({p}short_abandoned)) / nullif(sum({p}answered)"
        f" + sum({p}abandoned) - sum({p}short_abandoned), 0), 1)"
    )


def asa_s(alias: str = "") -> str:
    """Average speed of answer over a period: summed answered waits over answers (exact)."""
    p = f"{alias}." if alias else ""
    return f"round((sum({p}wait_answered_s_sum) / nullif(sum({p}answered), 0))::numeric, 1)"


def aht_s(alias: str = "") -> str:
    """Average handle (talk) time over a period: summed talk time over ended talks (exact)."""
    p = f"{alias}." if alias else ""
    return f"round((sum({p}talk_s_sum) / nullif(sum({p}talk_count), 0))::numeric, 1)"


CURRENT_QUEUES = "q.valid_to IS NULL"

#: A ``pipeline_health`` row of a successful poll, as the live flow writes it (one row per
#: ActiveCalls poll, ``ts`` = local receive time): a failed poll also has ``polls = 1`` and a
#: measured ``poll_latency_ms`` but ``errors = 1``; a stale poll (``ServerNow`` not newer) was
#: answered but not applied.
SUCCESSFUL_POLL = "component = 'live' AND polls > 0 AND errors = 0 AND stale_polls = 0"
"""The current configuration row of a queue (dimension rows carry validity times)."""

LATEST_LIVE = """
    LEFT JOIN LATERAL (
      SELECT l.ts, l.waiting, l.longest_wait_s, l.talking, l.agents_logged_in,
             l.agents_talking, l.agents_free
      FROM queue_live l
      WHERE l.pbx_id = q.pbx_id AND l.queue_dn = q.queue_dn
        AND l.ts > now() - interval '1 day'
      ORDER BY l.ts DESC
      LIMIT 1
    ) l ON true"""
"""Join the newest live gauge row of each queue ``q`` (index-friendly: one row per queue)."""


def queue_label(alias: str = "q") -> str:
    """``"<dn> <name>"`` label of a queue row."""
    return f"{alias}.queue_dn || coalesce(' ' || {alias}.name, '')"


def base_dashboard(
    uid: str, title: str, description: str, refresh: str, time_from: str, time_to: str = "now"
) -> dash.Dashboard:
    """A dashboard with QueuePulse's common settings (tags, links, timezone, refresh)."""
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .refresh(refresh)
        .time(time_from, time_to)
        .timezone(cm.TimeZoneBrowser)
        .editable()
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .annotation(
            dash.AnnotationQuery()
            .name("Annotations & Alerts")
            .datasource(dm.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .built_in(1)
            .enable(True)
            .hide(True)
            .icon_color("rgba(0, 211, 255, 1)")
            .type("dashboard")
        )
        .link(
            dash.DashboardLink("QueuePulse")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
            .icon("external link")
            .tooltip("")
            .url("")
            .target_blank(False)
        )
    )


# --- live data (schema 004) -------------------------------------------------------------------

FRESH = "f.stale IS FALSE"
"""The PBX (alias ``f`` of ``pbx_freshness``) polled successfully within three poll intervals:
only then are its live rows shown (a stopped pipeline never shows old calls as waiting)."""


def fresh_join(alias: str) -> str:
    """Join ``pbx_freshness f`` to a row ``alias`` of a fresh PBX only."""
    return f"JOIN pbx_freshness f ON f.pbx_id = {alias}.pbx_id AND {FRESH}"


def member_of_chosen_queues(alias: str) -> str:
    """The agent ``alias`` is a current member of one of the chosen queues."""
    return (
        f"EXISTS (SELECT 1 FROM queue_agents m WHERE m.valid_to IS NULL AND m.pbx_id = "
        f"{alias}.pbx_id AND m.agent_dn = {alias}.agent_dn AND m.queue_dn IN ($queue))"
    )


#: The agent states the flow stores (agent_states.state), in the order a supervisor reads them,
#: with their colours.
AGENT_STATE_COLOURS: tuple[tuple[str, str], ...] = (
    ("free", "green"),
    ("talking", "blue"),
    ("away", "orange"),
    ("logged out", "text"),
    ("offline", "red"),
    ("unknown", "purple"),
)

HOURLY = "queue_kpi_hourly"
"""The hourly rollup: read it for whole-hour ranges (days, weeks); sums are exact."""

QUARTER_HOURLY = "queue_kpi_15m"
"""The 15-minute rollup: local days of any site time zone are exact sums of its rows."""


def site_today_join(alias: str) -> str:
    """``JOIN`` ``t``: ``t.since``, the start of today at the site of each chosen PBX (local
    midnight in its ``pbx_sites`` time zone), computed once per PBX, for the rows of ``alias``."""
    return (
        "JOIN (SELECT p.pbx_id, queuepulse_site_today(p.pbx_id) AS since FROM (SELECT DISTINCT "
        "pbx_id FROM queues WHERE valid_to IS NULL AND pbx_id IN ($pbx)) p) t "
        f"ON t.pbx_id = {alias}.pbx_id"
    )


def site_today(column: str) -> str:
    """``column`` (a UTC time) falls in today at its PBX's site (``t`` of
    :func:`site_today_join`). The constant bound (a local day lasts at most 25 hours) lets the
    planner use the time index; ``t.since`` cuts the day."""
    return f"{column} > now() - interval '26 hours' AND {column} >= t.since"


def dashboard_link(uid: str, params: str) -> str:
    """URL of another QueuePulse dashboard with ``params`` (``var-x=...``) and this time range."""
    return f"/d/{uid}/?{params}&${{__url_time_range}}"


KPI_COLUMNS = (
    "pbx_id, queue_dn, bucket, offered, answered, abandoned, short_abandoned, transferred, "
    "answered_in_sla, max_wait_s, wait_answered_s_sum, wait_abandoned_s_sum, talk_s_sum, "
    "talk_count"
)
"""The columns ``queue_kpi_1m`` and ``queue_kpi_hourly`` share (sums stay exact over both)."""


def kpi_rows(
    lower: str = "$__timeFrom()", upper: str = "$__timeTo()", *, upper_inclusive: bool = True
) -> str:
    """A derived table ``k`` of KPI rows covering exactly ``[lower, upper]`` (``[lower, upper)``
    with ``upper_inclusive=False``) at the least cost: the whole hours inside the range from
    the hourly rollup, the partial hours at either end from the 1-minute rows. Sum its columns
    as you would ``queue_kpi_1m``'s; a 30-day range reads ~720 rows per queue, not 43,200."""
    lo, hi = f"{lower}::timestamptz", f"{upper}::timestamptz"
    first_hour = f"(date_trunc('hour', {lo} - interval '1 microsecond') + interval '1 hour')"
    last_hour = f"date_trunc('hour', {hi})"
    upper_op = "<=" if upper_inclusive else "<"
    return f"""(
      SELECT {KPI_COLUMNS}
      FROM {HOURLY}
      WHERE bucket >= {first_hour} AND bucket + interval '1 hour' <= {hi} AND {QUEUE_FILTER}
      UNION ALL
      SELECT {KPI_COLUMNS}
      FROM queue_kpi_1m
      WHERE bucket >= {lo} AND bucket {upper_op} {hi} AND {QUEUE_FILTER}
        AND (bucket < {first_hour} OR bucket >= {last_hour})
    ) k"""


TARGETS_JOIN = (
    "JOIN queue_targets_effective t ON t.pbx_id = k.pbx_id AND t.queue_dn = k.queue_dn"
)
"""Join each KPI row ``k`` to its queue's targets ``t`` (``queuepulse targets``)."""
