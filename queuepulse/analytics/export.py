"""Report rows out: aligned text for a terminal, CSV, JSON and Excel workbooks (``.xlsx``).

Every format carries every column of the row type, in report order, with the values as the
query returned them; only the terminal table shows a subset (:data:`TABLE_COLUMNS`) rounded for
reading. Times: ``interval_start``/``interval_end``/``day_start``/``day_end`` are instants
(ISO 8601 with their UTC offset in CSV and JSON; UTC wall time in a workbook, which cannot hold
a zone), ``local_*`` columns are wall times in the report's time zone.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from queuepulse.analytics.reports import (
    AbandonBand,
    AgentDay,
    DailyRow,
    IntervalRow,
    PbxComparison,
    Row,
    ServiceLevelPoint,
    columns_of,
)

__all__ = [
    "TABLE_COLUMNS",
    "ReportMeta",
    "render_table",
    "write_csv",
    "write_json",
    "write_xlsx",
]

# The columns the terminal table shows, per row type (the other formats carry all of them).
_FIGURES = ["offered", "answered", "abandoned", "short_abandoned", "transferred", "sla_pct",
            "asa_s", "avg_wait_s", "max_wait_s", "avg_talk_s", "avg_handle_s"]
TABLE_COLUMNS: Mapping[type[Any], list[str]] = {
    IntervalRow: ["local_start", "queue_dn", *_FIGURES],
    DailyRow: ["local_date", "queue_dn", "hours", *_FIGURES],
    AgentDay: ["local_date", "agent_dn", "agent_name", "answered", "talk_s_sum", "avg_talk_s",
               "avg_handle_s", "logged_in_s", "occupancy_pct", "calls_per_hour"],
    AbandonBand: ["queue_dn", "wait_from_s", "wait_to_s", "abandoned", "cumulative_abandoned",
                  "cumulative_pct"],
    ServiceLevelPoint: ["queue_dn", "threshold_s", "answered_within", "calls_counted",
                        "service_level_pct"],
    PbxComparison: ["local_from", "local_to", "queue_dn", "pbx_received", "our_offered",
                    "pbx_answered", "our_answered", "pbx_abandoned", "our_abandoned",
                    "pbx_sla_pct", "our_sla_pct", "sla_pct_diff"],
}
_TEXT_COLUMNS = frozenset({"local_start", "local_from", "local_to", "local_date", "queue_dn",
                           "agent_dn", "agent_name"})
_SHORT = {"short_abandoned": "short_ab", "cumulative_abandoned": "cumulative",
          "answered_within": "within", "service_level_pct": "sl_pct",
          "pbx_received": "3cx_received", "our_offered": "our_offered",
          "pbx_answered": "3cx_answered", "pbx_abandoned": "3cx_abandoned",
          "pbx_sla_pct": "3cx_sla_pct"}


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What a report covers: shown above the table, in JSON, and on a workbook's second
    sheet."""

    report: str
    pbx_id: str
    time_zone: str
    since: datetime
    until: datetime
    interval_minutes: int | None = None

    def title(self) -> str:
        """One line: report, PBX, zone, range."""
        every = f", {self.interval_minutes}-minute intervals" if self.interval_minutes else ""
        return (f"{self.report} report, PBX {self.pbx_id}, {self.time_zone}{every}: "
                f"{_local_text(self.since, self.time_zone)} to "
                f"{_local_text(self.until, self.time_zone)}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"report": self.report, "pbx_id": self.pbx_id, "time_zone": self.time_zone,
                "since": self.since.isoformat(), "until": self.until.isoformat(),
                "interval_minutes": self.interval_minutes}


def _local_text(at: datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo

    local = at.astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%d" if local.time() == datetime.min.time() else
                          "%Y-%m-%d %H:%M")


def _columns(rows: Sequence[Row], row_type: type[Row]) -> list[str]:
    return columns_of(type(rows[0]) if rows else row_type)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(rows: Sequence[Row], row_type: type[Row], meta: ReportMeta, out: IO[str]) -> None:
    """One JSON object: the report's fields, ``columns`` and ``rows`` (objects)."""
    columns = _columns(rows, row_type)
    document = {
        **meta.as_dict(),
        "columns": columns,
        "rows": [{c: _json_value(getattr(r, c)) for c in columns} for r in rows],
    }
    json.dump(document, out, indent=1)
    out.write("\n")


def write_csv(rows: Sequence[Row], row_type: type[Row], out: IO[str]) -> None:
    """A header line of the column names, then one line per row; empty cell = no value."""
    columns = _columns(rows, row_type)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if (v := getattr(r, c)) is None else _json_value(v)
                         for c in columns])


def _cell_text(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.0f}" if column == "hours" else f"{value:.1f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def render_table(rows: Sequence[Row], row_type: type[Row], meta: ReportMeta) -> str:
    """Aligned text: a title line, a header, one line per row (numbers right-aligned)."""
    columns = TABLE_COLUMNS[type(rows[0]) if rows else row_type]
    header = [_SHORT.get(c, c) for c in columns]
    body = [[_cell_text(c, getattr(r, c)) for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(columns))]
    numeric = [c not in _TEXT_COLUMNS for c in columns]
    lines = [meta.title(), ""]
    for line in [header, *body]:
        cells = [cell.rjust(w) if num else cell.ljust(w)
                 for cell, w, num in zip(line, widths, numeric, strict=True)]
        lines.append("  ".join(cells).rstrip())
    if not rows:
        lines.append("(no data in this range)")
    return "\n".join(lines) + "\n"


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_xlsx(rows: Sequence[Row], row_type: type[Row], meta: ReportMeta, path: Path) -> None:
    """An Excel workbook: sheet ``report`` (header row frozen, one row per report row) and
    sheet ``about`` (what the report covers, and the time columns' meaning)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = _columns(rows, row_type)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = "report"
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for r in rows:
        sheet.append([_xlsx_value(getattr(r, c)) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        if column.endswith(("_pct", "_s", "_hour")) or column == "hours":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "0.00"
        elif column.startswith(("interval_", "day_", "local_start")):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd hh:mm"
        elif column == "local_date":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "yyyy-mm-dd"
        sheet.column_dimensions[letter].width = max(12, len(column) + 2)
    about = book.create_sheet("about")
    for key, value in meta.as_dict().items():
        about.append([key, value])
    about.append(["rows", len(rows)])
    about.append(["times", "interval_start, interval_end, day_start, day_end: UTC; "
                           "local_date, local_start: wall time in time_zone"])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 40
    book.save(path)
