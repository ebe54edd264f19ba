"""Raw-SQL targets for Grafana's PostgreSQL datasource.

grafana-foundation-sdk has no PostgreSQL query builder, so this module follows the SDK's
custom-query pattern: a :class:`~grafana_foundation_sdk.cog.variants.Dataquery` subclass that
serialises exactly the fields Grafana's ``grafana-postgresql-datasource`` reads (``rawSql``,
``format``, ``rawQuery``, ``editorMode``, ``refId``, ``datasource``) and a builder that panels
accept through ``with_target``. Template variables in the SQL are rewritten by
:func:`~queuepulse.grafana.safe_sql.safe_interpolation` when a query is made, so no variable
value can change a statement.
"""

from __future__ import annotations

import textwrap
from typing import Any, Literal, Self

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import runtime as cogruntime
from grafana_foundation_sdk.cog import variants as cogvariants

from queuepulse.grafana.ids import DATASOURCE_TYPE, DATASOURCE_UID
from queuepulse.grafana.safe_sql import safe_interpolation

QueryFormat = Literal["table", "time_series"]


class SqlQuery(cogvariants.Dataquery):
    """One raw-SQL query of a panel (or of an alert rule's data)."""

    raw_sql: str
    format: QueryFormat
    ref_id: str
    hide: bool | None

    def __init__(
        self,
        raw_sql: str,
        fmt: QueryFormat = "table",
        ref_id: str = "A",
        hide: bool | None = None,
    ) -> None:
        # every template variable in a form no value can break out of (safe_sql)
        self.raw_sql = safe_interpolation(raw_sql)
        self.format = fmt
        self.ref_id = ref_id
        self.hide = hide

    def to_json(self) -> dict[str, object]:
        """The target as Grafana stores it in dashboard JSON."""
        payload: dict[str, object] = {
            "datasource": {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID},
            "editorMode": "code",
            "format": self.format,
            "rawQuery": True,
            "rawSql": self.raw_sql,
            "refId": self.ref_id,
        }
        if self.hide is not None:
            payload["hide"] = self.hide
        return payload

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Read a target back (used when dashboards are unmarshalled by the SDK)."""
        return cls(
            raw_sql=str(data.get("rawSql", "")),
            fmt="time_series" if data.get("format") == "time_series" else "table",
            ref_id=str(data.get("refId", "A")),
            hide=data.get("hide"),
        )


def sql_query_variant_config() -> cogruntime.DataqueryConfig:
    """Register :class:`SqlQuery` for the PostgreSQL datasource type with the SDK runtime."""
    return cogruntime.DataqueryConfig(identifier=DATASOURCE_TYPE, from_json_hook=SqlQuery.from_json)


class SqlQueryBuilder(cogbuilder.Builder[SqlQuery]):
    """Builder for :class:`SqlQuery`, accepted by every panel's ``with_target``."""

    _internal: SqlQuery

    def __init__(self, raw_sql: str) -> None:
        self._internal = SqlQuery(raw_sql=raw_sql)

    def build(self) -> SqlQuery:
        """Return the built query."""
        return self._internal

    def ref_id(self, ref_id: str) -> Self:
        """Set the query's refId (A, B, ...)."""
        self._internal.ref_id = ref_id
        return self

    def format(self, fmt: QueryFormat) -> Self:
        """``table`` (default) or ``time_series`` (needs a ``time`` column)."""
        self._internal.format = fmt
        return self

    def hide(self, hide: bool) -> Self:
        """Hide the query's result from the panel."""
        self._internal.hide = hide
        return self


def sql(raw_sql: str, fmt: QueryFormat = "table", ref_id: str = "A") -> SqlQueryBuilder:
    """Shorthand: a raw-SQL target with the given format and refId."""
    return SqlQueryBuilder(dedent_sql(raw_sql)).format(fmt).ref_id(ref_id)


def dedent_sql(raw_sql: str) -> str:
    """Strip common indentation and surrounding blank lines, so JSON diffs stay readable."""
    return textwrap.dedent(raw_sql).strip()
