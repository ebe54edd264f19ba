"""How each public table is upserted: its columns, natural key and conflict policy.

The writers (:mod:`queuepulse.store.writers`) are generic; everything table-specific lives in one
:class:`TableSpec` per table here, and these specs are the one column list of each table in the
code. Every column named here is one the migrations in ``schema/incremental`` create (a
database test checks it). Row types (dataclasses) name their fields as the columns they fill.
A hypertable's unique index must contain its time column, so every key below includes it.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Row = dict[str, Any]
"""One row, keyed by column name."""

TableRow = tuple[str, Any]
"""One item for a table: the table name and the row (a mapping or a dataclass whose field names
are column names)."""

OnConflict = Literal["nothing", "update"]


@dataclass(frozen=True)
class TableSpec:
    """The upsert recipe of one table.

    ``on_conflict="nothing"`` keeps the first copy (events are immutable); ``"update"`` sets the
    non-key columns from the incoming row, or uses ``set_sql`` (column → SQL expression over
    ``t`` = the stored row and ``EXCLUDED`` = the incoming one) where given. ``where_sql`` limits
    which stored rows an incoming row may change. ``merge`` folds two rows with the same key inside
    one batch (PostgreSQL refuses to touch a row twice in one statement); it must agree with
    ``set_sql``/``where_sql``. Without it the later row wins. ``on_update`` adds SET expressions
    for columns the pipeline never supplies (``updated_at = now()``). ``defaults`` fill columns
    that are NOT NULL with a default when a row carries None.

    ``check`` inspects each incoming row (before columns are picked) and returns a reason to
    refuse it, or None. ``json`` names ``jsonb`` columns (besides those with a dict or list
    default): their dict and list values are sent as JSON.

    ``claim = (side_table, id_column, time_column)`` makes ``id_column`` unique on its own although
    the table's key must hold its time column (a hypertable): a row is inserted only when its id
    is claimed in ``side_table`` for the first time, so a second copy with another time is
    refused (see ``call_event_ids``).

    A batch writes only the columns its rows carry (plus key and defaulted columns): columns a
    row type does not have keep the table's default on insert and their stored value on update.
    """

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    on_conflict: OnConflict = "update"
    set_sql: Mapping[str, str] = field(default_factory=dict)
    where_sql: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    merge: Callable[[Row, Row], Row] | None = None
    on_update: Mapping[str, str] = field(default_factory=dict)
    check: Callable[[Mapping[str, Any]], str | None] | None = None
    json: tuple[str, ...] = ()
    claim: tuple[str, str, str] | None = None

    @property
    def json_columns(self) -> frozenset[str]:
        """Columns written as ``jsonb``: those named in ``json`` and those whose default is a
        dict or list (the writer wraps only these columns' values)."""
        return frozenset(self.json) | frozenset(
            c for c, v in self.defaults.items() if isinstance(v, dict | list))

    def __post_init__(self) -> None:
        missing = [k for k in self.key if k not in self.columns]
        if missing:
            raise ValueError(f"table {self.name}: key columns {missing} are not in its columns")
        unknown = [c for c in self.set_sql if c not in self.columns]
        if unknown:
            raise ValueError(f"table {self.name}: set_sql names unknown columns {unknown}")

    @property
    def update_columns(self) -> tuple[str, ...]:
        """The columns an update may change: every non-key column."""
        return tuple(c for c in self.columns if c not in self.key)


# --- queue_calls: progressing visits, protected reconciled rows -----------------------------

_VISIT_PROGRESS = (
    "call_id", "answered_at", "ended_at", "wait_s", "talk_s", "agent_dn", "caller_number",
    "caller_name", "entry_queue_dn", "visit_seq", "end_uncertainty_s",
)


def merge_visits(old: Row, new: Row) -> Row:
    """Fold two versions of one queue visit the way the database upsert does.

    A ``cdr`` (reconciled) row wins over live rows and is replaced only by another ``cdr`` row; a
    finished visit is never taken back to ``waiting``; live progress never erases a known value.
    """
    if old.get("source") == "cdr" and new.get("source") != "cdr":
        return old
    if new.get("source") == "cdr":
        return new
    if new.get("outcome") == "waiting" and old.get("outcome") not in (None, "waiting"):
        return old
    merged = dict(new)
    for col in _VISIT_PROGRESS:
        if merged.get(col) is None:
            merged[col] = old.get(col)
    return merged


def _visit_set_sql() -> dict[str, str]:
    return {
        col: f"CASE WHEN EXCLUDED.source = 'cdr' THEN EXCLUDED.{col} "
        f"ELSE COALESCE(EXCLUDED.{col}, t.{col}) END"
        for col in _VISIT_PROGRESS
    }


QUEUE_CALLS = TableSpec(
    name="queue_calls",
    columns=(
        "pbx_id", "call_key", "call_id", "queue_dn", "entered_at", "answered_at", "ended_at",
        "outcome", "wait_s", "talk_s", "agent_dn", "caller_number", "caller_name",
        "entry_queue_dn", "visit_seq", "end_uncertainty_s", "source", "reconciled_at",
    ),
    key=("pbx_id", "call_key", "queue_dn", "entered_at"),
    set_sql=_visit_set_sql(),
    where_sql=(
        "(t.source IS DISTINCT FROM 'cdr' OR EXCLUDED.source = 'cdr') AND NOT "
        "(EXCLUDED.source IS DISTINCT FROM 'cdr' AND EXCLUDED.outcome = 'waiting' "
        "AND t.outcome IS DISTINCT FROM 'waiting')"
    ),
    defaults={"source": "live", "outcome": "waiting"},
    merge=merge_visits,
    on_update={"updated_at": "now()"},
)

CALL_EVENTS = TableSpec(
    name="call_events",
    columns=(
        "event_id", "pbx_id", "call_key", "call_id", "event_type", "occurred_at", "observed_at",
        "queue_dn", "agent_dn", "status", "details",
    ),
    key=("event_id", "occurred_at"),
    on_conflict="nothing",
    defaults={"details": {}},
    merge=lambda old, _new: old,
    claim=("call_event_ids", "event_id", "occurred_at"),
)

DEAD_LETTERS = "write_dead_letters"
_DEAD_LETTER_MAX = 64 * 1024

WRITE_DEAD_LETTERS = TableSpec(
    name=DEAD_LETTERS,
    columns=("dead_at", "letter_id", "table_name", "pbx_id", "reason", "sqlstate", "row_json",
             "truncated"),
    key=("letter_id", "dead_at"),
    on_conflict="nothing",
)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set | tuple):
        return list(value)
    return repr(value)[:200]


def _safe_text(value: object, limit: int) -> str:
    """Text PostgreSQL can hold: NUL and lone surrogates escaped, at most ``limit`` chars."""
    text = str(value)[:limit]
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")


def dead_letter_row(
    table: str, row: object, reason: str, sqlstate: str | None, at: datetime
) -> dict[str, Any]:
    """The ``write_dead_letters`` row of a refused ``row`` of ``table``: the row as JSON text
    (control characters escaped, NUL included, cut at 64 KiB), its PBX and the reason."""
    try:
        text = json.dumps(row, default=_json_default, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError) as exc:
        text = json.dumps({"unserialisable": type(row).__name__, "error": str(exc)[:200]})
    pbx = row.get("pbx_id") if isinstance(row, Mapping) else getattr(row, "pbx_id", None)
    return {
        "dead_at": at,
        "letter_id": str(uuid.uuid4()),
        "table_name": _safe_text(table, 200),
        "pbx_id": _safe_text(pbx, 64) if pbx is not None else None,
        "reason": _safe_text(reason, 1000),
        "sqlstate": sqlstate,
        "row_json": text[:_DEAD_LETTER_MAX],
        "truncated": len(text) > _DEAD_LETTER_MAX,
    }

_KPI_COLUMNS = (
    "pbx_id", "queue_dn", "bucket", "offered", "answered", "abandoned", "short_abandoned",
    "transferred", "answered_in_sla", "sla_pct", "asa_s", "max_wait_s", "avg_talk_s",
    "wait_answered_s_sum", "wait_abandoned_s_sum", "talk_s_sum", "talk_count",
)
_KPI_ZERO_DEFAULTS = dict.fromkeys(
    ("offered", "answered", "abandoned", "short_abandoned", "transferred", "answered_in_sla",
     "wait_answered_s_sum", "wait_abandoned_s_sum", "talk_s_sum", "talk_count"), 0)


def _kpi_spec(name: str, scope: str) -> TableSpec:
    """A per-minute KPI table: full bucket values replace the stored ones (never increments)."""

    def check(row: Mapping[str, Any]) -> str | None:
        got = row.get("scope", "queue")
        return None if got == scope else f"scope {got!r} KPIs do not belong in {name}"

    return TableSpec(
        name=name,
        columns=_KPI_COLUMNS,
        key=("pbx_id", "queue_dn", "bucket"),
        defaults=_KPI_ZERO_DEFAULTS,
        on_update={"updated_at": "now()"},
        check=check,
    )


QUEUE_KPI_1M = _kpi_spec("queue_kpi_1m", "queue")
ENTRY_QUEUE_KPI_1M = _kpi_spec("entry_queue_kpi_1m", "entry")

QUEUE_LIVE = TableSpec(
    name="queue_live",
    columns=(
        "pbx_id", "queue_dn", "ts", "waiting", "longest_wait_s", "talking", "agents_logged_in",
        "agents_talking", "agents_free",
    ),
    key=("pbx_id", "queue_dn", "ts"),
    defaults={"waiting": 0, "talking": 0},
)

AGENT_STATES = TableSpec(
    name="agent_states",
    columns=(
        "pbx_id", "agent_dn", "ts", "queue_status", "profile", "registered", "on_call", "state",
    ),
    key=("pbx_id", "agent_dn", "ts"),
)

PIPELINE_HEALTH = TableSpec(
    name="pipeline_health",
    columns=(
        "pbx_id", "component", "ts", "poll_latency_ms", "polls", "errors", "error_kind",
        "stale_polls", "gaps", "gap_s", "lag_s", "rows_written", "write_errors",
        "token_failures", "breaker_state", "skew_s", "details",
    ),
    key=("pbx_id", "component", "ts"),
    defaults={
        "component": "live", "polls": 0, "errors": 0, "stale_polls": 0, "gaps": 0,
        "rows_written": 0, "write_errors": 0, "token_failures": 0, "details": {},
    },
)

QUEUES = TableSpec(
    name="queues",
    columns=(
        "pbx_id", "queue_dn", "valid_from", "valid_to", "queue_id", "name", "sla_time_s",
        "polling_strategy", "max_callers", "ring_timeout_s", "master_timeout_s",
        "wrap_up_time_s", "priority_queue",
    ),
    key=("pbx_id", "queue_dn", "valid_from"),
)

AGENTS = TableSpec(
    name="agents",
    columns=(
        "pbx_id", "agent_dn", "valid_from", "valid_to", "user_id", "first_name", "last_name",
        "display_name", "enabled",
    ),
    key=("pbx_id", "agent_dn", "valid_from"),
)

QUEUE_AGENTS = TableSpec(
    name="queue_agents",
    columns=("pbx_id", "queue_dn", "agent_dn", "valid_from", "valid_to", "skill_group"),
    key=("pbx_id", "queue_dn", "agent_dn", "valid_from"),
)

QUEUE_CONFIG_CHANGES = TableSpec(
    name="queue_config_changes",
    columns=(
        "change_id", "changed_at", "pbx_id", "client_id", "run_id", "queue_dn", "agent_dn",
        "action", "field", "old_value", "new_value", "outcome", "error",
    ),
    key=("change_id", "changed_at"),
    on_conflict="nothing",
    json=("old_value", "new_value"),
)
"""The audit of ``queuepulse queues`` writes; old/new values arrive as JSON text."""

PBX_SITES = TableSpec(
    name="pbx_sites",
    columns=("pbx_id", "time_zone", "time_zone_source", "updated_at"),
    key=("pbx_id",),
    # the PBX's own zone (read by `run sync` or the live start-up) is never replaced by the
    # UTC default of a flow that does not ask the PBX; a setting or a new PBX zone replaces it
    where_sql="NOT (EXCLUDED.time_zone_source = 'default' AND t.time_zone_source = 'pbx')",
)
"""The site time zone of each PBX (configuration, not a hypertable: its key is the PBX alone);
a flow starting for the PBX rewrites its row (:mod:`queuepulse.store.sites`), except that a
``default`` (UTC) row never replaces a ``pbx`` one."""

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        CALL_EVENTS, QUEUE_CALLS, QUEUE_KPI_1M, ENTRY_QUEUE_KPI_1M, QUEUE_LIVE, AGENT_STATES,
        PIPELINE_HEALTH,
        QUEUES, AGENTS, QUEUE_AGENTS, QUEUE_CONFIG_CHANGES, WRITE_DEAD_LETTERS, PBX_SITES,
    )
}
"""Every table the writers know, by name."""
