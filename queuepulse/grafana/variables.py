"""Dashboard template variables: PBX, queue and agent pickers (multi-value, with All).

SQL panels filter with ``pbx_id IN ($pbx) AND queue_dn IN ($queue)``; the query builders turn
every variable reference into a form no value can break out of
(:mod:`queuepulse.grafana.safe_sql`): ``pbx_id = ANY(grafana_values('${pbx:percentencode}'))``.
Numeric variables are cast where they are used (``$sla_target::numeric``), so a value that is
not a number fails the query with an ``invalid input syntax`` error instead of changing it.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.models import dashboard as dm

from queuepulse.grafana.panels import datasource
from queuepulse.grafana.safe_sql import safe_interpolation
from queuepulse.grafana.sqlquery import dedent_sql

PBX_SQL = "SELECT DISTINCT pbx_id AS __text, pbx_id AS __value FROM queues ORDER BY 1"

QUEUE_SQL = """
    SELECT queue_dn || coalesce(' ' || string_agg(DISTINCT name, ' / '), '') AS __text,
           queue_dn AS __value
    FROM queues
    WHERE pbx_id IN ($pbx) AND valid_to IS NULL
    GROUP BY queue_dn
    ORDER BY queue_dn
"""

AGENT_SQL = """
    SELECT agent_dn || coalesce(' ' || string_agg(DISTINCT display_name, ' / '), '') AS __text,
           agent_dn AS __value
    FROM agents
    WHERE pbx_id IN ($pbx) AND valid_to IS NULL
    GROUP BY agent_dn
    ORDER BY agent_dn
"""


def _picker(name: str, label: str, query: str, description: str) -> dash.QueryVariable:
    return (
        dash.QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(datasource())
        .query(safe_interpolation(dedent_sql(query)))
        .multi(True)
        .include_all(True)
        .current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
        .refresh(dm.VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
    )


def pbx_variable() -> dash.QueryVariable:
    """``$pbx``: the PBXs (tenants) to show."""
    return _picker("pbx", "PBX", PBX_SQL, "PBXs (tenants) to show; pbx_id in every table.")


def queue_variable() -> dash.QueryVariable:
    """``$queue``: queues of the chosen PBXs (current configuration)."""
    return _picker("queue", "Queue", QUEUE_SQL, "Queues (by DN) of the chosen PBXs.")


def agent_variable() -> dash.QueryVariable:
    """``$agent``: agents (user extensions) of the chosen PBXs."""
    return _picker("agent", "Agent", AGENT_SQL, "Agents (extension DNs) of the chosen PBXs.")


def text_variable(
    name: str, label: str, description: str, default: str = ""
) -> dash.TextBoxVariable:
    """A free-text filter (write ``$name`` in SQL: the builders pass it as a safe value)."""
    return (
        dash.TextBoxVariable(name)
        .label(label)
        .description(description)
        .default_value(default)
        .current(dm.VariableOption(selected=True, text=default, value=default))
    )


def custom_variable(
    name: str, label: str, description: str, values: list[str], default: str, *, multi: bool
) -> dash.CustomVariable:
    """A fixed list of choices."""
    variable = (
        dash.CustomVariable(name)
        .label(label)
        .description(description)
        .values(",".join(values))
        .multi(multi)
        .include_all(multi)
    )
    if multi:
        return variable.current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
    return variable.current(dm.VariableOption(selected=True, text=default, value=default))
