"""Every SQL query the generated Grafana files will run, with what its panel expects.

Tests and ``benchmarks/bench_panels.py`` walk this catalog: they expand each query with
:mod:`queuepulse.grafana.macros` for a time range and variable selection, run it on TimescaleDB
as the read-only role, and check the result's columns against the panel's needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from queuepulse.grafana.macros import Variable, parse_interval

# Panel types whose queries must yield at least one numeric value.
NUMERIC_PANELS = frozenset({"stat", "bargauge", "gauge", "timeseries", "heatmap"})


@dataclass(frozen=True)
class PanelQuery:
    """One panel target."""

    dashboard_uid: str
    dashboard_time_from: str
    panel_id: int
    panel_title: str
    panel_type: str
    ref_id: str
    fmt: str
    sql: str
    min_interval: str | None
    override_names: tuple[str, ...] = ()
    partition_by: str | None = None

    @property
    def label(self) -> str:
        """``dashboard/panel title/refId`` for messages."""
        return f"{self.dashboard_uid}/{self.panel_title}/{self.ref_id}"


@dataclass(frozen=True)
class VariableDef:
    """A dashboard variable as declared in the JSON."""

    name: str
    kind: str
    query: str
    multi: bool
    include_all: bool
    default: str | list[str]
    options: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class AlertQuery:
    """The SQL step (refId A) of an alert rule and its threshold."""

    uid: str
    title: str
    sql: str
    window_s: int
    op: str
    threshold: float
    no_data_state: str


def panel_queries(dashboard: Mapping[str, Any]) -> Iterator[PanelQuery]:
    """Every target of every panel (rows included) of a dashboard JSON document."""
    for panel in _panels(dashboard.get("panels", [])):
        overrides = tuple(
            str(o["matcher"]["options"])
            for o in panel.get("fieldConfig", {}).get("overrides", [])
            if o.get("matcher", {}).get("id") == "byName"
        )
        partition = None
        for transformation in panel.get("transformations", []) or []:
            if transformation.get("id") == "partitionByValues":
                partition = transformation["options"]["fields"][0]
        for target in panel.get("targets", []):
            yield PanelQuery(
                dashboard_uid=dashboard["uid"],
                dashboard_time_from=dashboard["time"]["from"],
                panel_id=panel["id"],
                panel_title=panel["title"],
                panel_type=panel["type"],
                ref_id=target["refId"],
                fmt=target.get("format", "time_series"),
                sql=target["rawSql"],
                min_interval=panel.get("interval"),
                override_names=overrides,
                partition_by=partition,
            )


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def variable_defs(dashboard: Mapping[str, Any]) -> list[VariableDef]:
    """The dashboard's variables in declaration order (later ones may use earlier ones)."""
    result: list[VariableDef] = []
    for v in dashboard.get("templating", {}).get("list", []):
        current = v.get("current", {}).get("value", "")
        options: tuple[str, ...] = ()
        if v["type"] == "custom":
            options = tuple(x.strip() for x in str(v.get("query", "")).split(",") if x.strip())
        query = v.get("query", "")
        result.append(
            VariableDef(
                name=v["name"],
                kind=v["type"],
                query=query if isinstance(query, str) else str(query.get("query", "")),
                multi=bool(v.get("multi", False)),
                include_all=bool(v.get("includeAll", False)),
                default=current,
                options=options,
            )
        )
    return result


def bind(
    definition: VariableDef, options: tuple[str, ...], value: str | list[str] | None = None
) -> Variable:
    """A variable with its options and a selection (default: the JSON's current value)."""
    chosen = definition.default if value is None else value
    return Variable(
        name=definition.name,
        value=chosen,
        multi=definition.multi,
        include_all=definition.include_all,
        options=options,
    )


def alert_queries(rules_document: Mapping[str, Any]) -> Iterator[AlertQuery]:
    """The SQL step of every rule in a file-provisioned rules document."""
    for group in rules_document["groups"]:
        for rule in group["rules"]:
            steps = {d["refId"]: d for d in rule["data"]}
            evaluator = steps["C"]["model"]["conditions"][0]["evaluator"]
            yield AlertQuery(
                uid=rule["uid"],
                title=rule["title"],
                sql=steps["A"]["model"]["rawSql"],
                window_s=int(steps["A"]["relativeTimeRange"]["from"]),
                op=evaluator["type"],
                threshold=float(evaluator["params"][0]),
                no_data_state=rule["noDataState"],
            )


_RELATIVE = re.compile(r"^now(?:-(\d+)([smhdwMy]))?(?:/([dwMy]))?$")


def resolve_time(expression: str, now: datetime) -> datetime:
    """Grafana's ``now``, ``now-6h``, ``now/d`` (UTC) for tests and benchmarks."""
    match = _RELATIVE.match(expression)
    if not match:
        raise ValueError(f"unsupported relative time {expression!r}")
    moment = now
    if match.group(1):
        moment -= parse_interval(match.group(1) + match.group(2))
    if match.group(3) == "d":
        moment = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    elif match.group(3):
        raise ValueError(f"unsupported rounding in {expression!r}")
    return moment


_NICE = (
    "1s", "5s", "10s", "15s", "30s", "1m", "5m", "10m", "15m", "30m", "1h", "3h", "6h", "12h",
    "1d",
)  # fmt: skip


def auto_interval(
    start: datetime, end: datetime, min_interval: str | None, points: int = 1000
) -> timedelta:
    """An approximation of Grafana's ``$__interval`` for a panel about ``points`` pixels wide."""
    raw = (end - start) / points
    chosen = parse_interval(_NICE[-1])
    for nice in _NICE:
        candidate = parse_interval(nice)
        if candidate >= raw:
            chosen = candidate
            break
    if min_interval:
        chosen = max(chosen, parse_interval(min_interval))
    return chosen
