"""``queuepulse report``: the standard reports out of the database, for a terminal or a file.

    queuepulse report interval --since 2026-03-02 --until 2026-03-09 --queue 800 --interval 30
    queuepulse report daily --since 2026-03-01 --until 2026-04-01 -o march.xlsx
    queuepulse report agents --since 2026-03-02 --format csv
    queuepulse report abandons --since 2026-03-01 --until 2026-04-01 --format json

Reads the report views (``report_*``) through :mod:`queuepulse.analytics` as the reader role
(``QUEUEPULSE_DB__READER_DSN``; without it the writer's DSN in read-only sessions). Days and
intervals are local to the PBX's site time zone unless ``--tz`` names another. See
docs/analytics.md.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, TextIO
from zoneinfo import ZoneInfo

from queuepulse.commands.options import add_dsn_option
from queuepulse.errors import ConfigError

__all__ = ["FORMATS", "parse_report_time", "register"]

FORMATS = ("table", "csv", "json", "xlsx")
_SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".txt": "table"}


@dataclass(frozen=True)
class _Kind:
    help: str
    description: str
    by_day: bool  # the range is whole local days
    chunked: bool  # fetched one local day at a time (progress)


_KINDS: dict[str, _Kind] = {
    "interval": _Kind(
        "per queue and 15/30/60-minute interval",
        "Per queue and 15-, 30- or 60-minute interval (--interval): offered, answered, "
        "abandoned, short abandons, transferred/overflow, SLA %, ASA, average and longest "
        "wait, average talk and handle time, and the sums they come from. 30/60-minute "
        "intervals are sums of the 15-minute rows; every ratio is recomputed from the sums.",
        by_day=False, chunked=True),
    "daily": _Kind(
        "per queue and local day",
        "Per queue and local day (23, 24 or 25 hours long across DST changes): the figures "
        "of the interval report for whole days.",
        by_day=True, chunked=True),
    "agents": _Kind(
        "per agent and local day of the site",
        "Per agent and local day of the site: answered calls, talk and handle time, "
        "logged-in time, occupancy % and calls per logged-in hour. Days are the site's "
        "(--tz may only name the site's own zone).",
        by_day=True, chunked=True),
    "abandons": _Kind(
        "abandon curve: how long callers waited before hanging up",
        "Per queue, abandoned calls by 10-second wait band over the whole range, with the "
        "running total and share (the last band is open). Days are the site's.",
        by_day=True, chunked=False),
    "service-level": _Kind(
        "service-level curve: %% answered within 10..120 s",
        "Per queue, the share of counted calls answered within 10, 20, ... 120 seconds over "
        "the whole range. Days are the site's.",
        by_day=True, chunked=False),
    "vs-3cx": _Kind(
        "3CX's own report figures beside ours for the same periods",
        "Per queue and 3CX report period (StatisticSla, fetched by run reconcile) starting in "
        "the range: 3CX's received, answered, abandoned and SLA % beside ours for exactly "
        "the same period, and the differences (ours - 3CX's). Days are the site's.",
        by_day=True, chunked=False),
}


def register(subparsers: Any) -> None:
    """Add the ``report`` command group."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="standard reports (interval, daily, agents, abandons) as a table, "
                       "CSV, JSON or Excel",
        description=(
            "Print or export a standard report from the report views, reading as the reader "
            "role. Days and intervals are local to the PBX's site time zone (pbx_sites: "
            "QUEUEPULSE_PBX__TIME_ZONE, else the PBX's own, else UTC) unless --tz names "
            "another. --since/--until take dates "
            "(local midnight) or ISO-8601 date-times (without an offset: local time); --until "
            "is exclusive (--since 2026-03-01 --until 2026-04-01 is March). Exit 2 with one "
            "line for a bad range, an unknown PBX, queue, agent or time zone, or a bad format."
        ),
    )
    sub = parser.add_subparsers(dest="report", metavar="REPORT", required=True)
    for name, kind in _KINDS.items():
        p = sub.add_parser(name, help=kind.help, description=kind.description)
        _add_common(p, name)
        p.set_defaults(handler=handle)


def _add_common(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("--since", required=True, metavar="WHEN",
                   help="start: a date (local midnight) or an ISO-8601 date-time, e.g. "
                        "2026-03-02 or 2026-03-02T08:00 (local) or 2026-03-02T07:00Z")
    p.add_argument("--until", metavar="WHEN",
                   help="end, exclusive, same forms (default: the end of today, local)")
    if name == "agents":
        p.add_argument("--agent", action="append", metavar="DN",
                       help="only this agent (extension); repeat or comma-separate for more "
                            "(default: every agent)")
    else:
        p.add_argument("--queue", action="append", metavar="DN",
                       help="only this queue (DN); repeat or comma-separate for more "
                            "(default: every queue)")
    if name == "interval":
        p.add_argument("--interval", default="15", metavar="15|30|60",
                       help="interval length in minutes: 15, 30 or 60 (default: 15)")
    p.add_argument("--pbx", metavar="PBX_ID",
                   help="the PBX (default: QUEUEPULSE_PBX__PBX_ID)")
    p.add_argument("--tz", metavar="ZONE",
                   help="IANA time zone of the local days and intervals, e.g. Europe/Berlin "
                        "(default: the PBX's site time zone)")
    p.add_argument("--format", metavar="FORMAT",
                   help="table (aligned text, a subset of the columns), csv, json or xlsx "
                        "(every column; xlsx needs -o) (default: from the -o suffix "
                        ".csv/.json/.xlsx, else table)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="write to FILE instead of standard output")
    progress = p.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None,
                          help="report progress per day on standard error (default: only "
                               "when standard error is a terminal)")
    progress.add_argument("--no-progress", dest="progress", action="store_false",
                          help="no progress")
    add_dsn_option(p, "QUEUEPULSE_DB__READER_DSN, else QUEUEPULSE_DB__DSN in read-only "
                      "sessions")


# --------------------------------------------------------------------------- parsing


def parse_report_time(text: str, option: str) -> date | datetime:
    """A date (``2026-03-02``) or an ISO-8601 date-time; a naive date-time is local time."""
    raw = text.strip()
    try:
        if "T" not in raw and " " not in raw and len(raw) == 10:
            return date.fromisoformat(raw)
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not a date or an ISO-8601 date-time "
            "(e.g. 2026-03-02, 2026-03-02T08:00 or 2026-03-02T07:00Z)"
        ) from None


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(), zone)


def _split(values: Sequence[str] | None) -> list[str]:
    return [v.strip() for item in values or () for v in item.split(",") if v.strip()]


def _format(args: argparse.Namespace) -> str:
    fmt = str(args.format or "").strip().lower()
    if not fmt:
        fmt = _SUFFIX_FORMATS.get(args.output.suffix.lower(), "table") if args.output else "table"
    if fmt not in FORMATS:
        raise ConfigError(f"unknown --format {args.format!r}: use table, csv, json or xlsx")
    if fmt == "xlsx" and args.output is None:
        raise ConfigError("--format xlsx needs -o FILE (a workbook is not written to a terminal)")
    return fmt


def _interval(args: argparse.Namespace) -> int | None:
    if args.report != "interval":
        return None
    text = str(args.interval).strip()
    if text not in ("15", "30", "60"):
        raise ConfigError(f"--interval must be 15, 30 or 60 (minutes), not {args.interval!r}")
    return int(text)


def _local_midnight_date(at: datetime, zone: ZoneInfo, option: str) -> date:
    local = at.astimezone(zone)
    if local.time() != time():
        raise ConfigError(
            f"{option} {local.isoformat()} is not a local midnight in {zone.key}: this report "
            "covers whole local days, give dates (e.g. 2026-03-02)")
    return local.date()


def _check_aligned(at: datetime, zone: ZoneInfo, minutes: int, option: str) -> None:
    local = at.astimezone(zone)
    if local.minute % minutes or local.second or local.microsecond:
        raise ConfigError(
            f"{option} {local.strftime('%Y-%m-%d %H:%M:%S')} ({zone.key}) is not on a "
            f"{minutes}-minute boundary of the local clock")


# --------------------------------------------------------------------------- progress


class _Progress:
    """``report interval: day 3/31 2026-03-03`` on standard error, redrawn on a terminal."""

    def __init__(self, report: str, total: int, enabled: bool, stream: TextIO) -> None:
        self._report, self._total, self._enabled, self._stream = report, total, enabled, stream
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._done = 0

    def step(self, label: str) -> None:
        self._done += 1
        if not self._enabled:
            return
        line = f"report {self._report}: day {self._done}/{self._total} {label}"
        self._stream.write(f"\r{line}\x1b[K" if self._tty else line + "\n")
        self._stream.flush()

    def finish(self) -> None:
        if self._enabled and self._tty:
            self._stream.write("\n")
            self._stream.flush()


def _days(first: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """[first, end) cut at every local midnight between them."""
    cuts = [first]
    day = first.astimezone(zone).date() + timedelta(days=1)
    while (midnight := datetime.combine(day, time(), zone)) < end:
        cuts.append(midnight)
        day += timedelta(days=1)
    cuts.append(end)
    return list(itertools.pairwise(cuts))


# --------------------------------------------------------------------------- handler


def handle(args: argparse.Namespace) -> int:
    """Run one report and write it."""
    from queuepulse.analytics import reports
    from queuepulse.analytics.engine import engine_for
    from queuepulse.settings import load_settings

    fmt = _format(args)
    interval = _interval(args)
    if args.tz is not None:
        reports.check_time_zone(args.tz)
    since = parse_report_time(args.since, "--since")
    until = parse_report_time(args.until, "--until") if args.until else None
    selected = _split(getattr(args, "queue", None) or getattr(args, "agent", None))
    settings = load_settings()
    pbx = args.pbx or settings.pbx.pbx_id
    dsn = args.dsn or settings.db.reader_dsn or settings.db.dsn
    # JIT off: it compiles the report views' large plans for seconds on each query
    engine = engine_for(dsn, read_only=True, jit=False, application_name="queuepulse-report")
    try:
        with engine.connect() as conn:
            if not reports.known_pbx(conn, pbx):
                raise ConfigError(f"unknown PBX {pbx!r}: no site and no queues of it in the "
                                  "database (check --pbx or QUEUEPULSE_PBX__PBX_ID)")
            _check_selection(conn, args.report, pbx, selected)
            site_tz = reports.site_time_zone(conn, pbx)
            tz = args.tz or site_tz
            zone = ZoneInfo(tz)
            start = _instant(since, zone)
            end = _instant(until, zone) if until is not None else _end_of_today(zone)
            if end <= start:
                raise ConfigError(
                    f"--until {end.isoformat()} is not after --since {start.isoformat()}: "
                    "nothing to report (--until is exclusive)")
            rows, row_type = _fetch(conn, args, pbx, selected, start, end, zone,
                                    None if tz == site_tz else tz, interval)
    finally:
        engine.dispose()
    from queuepulse.analytics.export import ReportMeta

    meta = ReportMeta(args.report, pbx, tz, start, end, interval)
    _write(fmt, rows, row_type, meta, args.output)
    return 0


def _end_of_today(zone: ZoneInfo) -> datetime:
    from queuepulse.schedule import utcnow

    today = utcnow().astimezone(zone).date()
    return datetime.combine(today + timedelta(days=1), time(), zone)


def _check_selection(conn: Any, report: str, pbx: str, selected: list[str]) -> None:
    from queuepulse.analytics import reports

    if not selected:
        return
    what = "agent" if report == "agents" else "queue"
    known = (reports.known_agents if report == "agents" else reports.known_queues)(conn, pbx)
    unknown = [s for s in selected if s not in known]
    if unknown:
        names = sorted(known)
        listed = (", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20
                                           else "")) or "none"
        raise ConfigError(f"unknown {what}{'s' if len(unknown) > 1 else ''} "
                          f"{', '.join(unknown)} on PBX {pbx!r} (known: {listed})")


def _fetch(conn: Any, args: argparse.Namespace, pbx: str, selected: list[str],
           start: datetime, end: datetime, zone: ZoneInfo, other_tz: str | None,
           interval: int | None) -> tuple[list[Any], type[Any]]:
    """The report's rows, one local day at a time for the chunked reports."""
    from queuepulse.analytics import reports

    kind = _KINDS[args.report]
    if interval is not None:
        _check_aligned(start, zone, interval, "--since")
        _check_aligned(end, zone, interval, "--until")
    first = last = None
    if kind.by_day:
        first = _local_midnight_date(start, zone, "--since")
        last = _local_midnight_date(end, zone, "--until")
    chosen = selected or None
    one_shot: dict[str, tuple[Callable[..., list[Any]], type[Any]]] = {
        "abandons": (reports.abandon_curve, reports.AbandonBand),
        "service-level": (reports.service_level_curve, reports.ServiceLevelPoint),
        "vs-3cx": (reports.ours_vs_pbx, reports.PbxComparison),
    }
    if not kind.chunked:
        function, curve_type = one_shot[args.report]
        return function(conn, pbx, chosen, first, last, other_tz), curve_type
    days = _days(start, end, zone)
    enabled = args.progress if args.progress is not None else sys.stderr.isatty()
    progress = _Progress(args.report, len(days), enabled and len(days) > 1, sys.stderr)
    rows: list[Any] = []
    row_type: type[Any]
    for a, b in days:
        label = a.astimezone(zone).date().isoformat()
        if args.report == "interval":
            assert interval is not None
            rows += reports.interval_report(conn, pbx, chosen, a, b, interval, zone.key)
            row_type = reports.IntervalRow
        else:
            day_a = a.astimezone(zone).date()
            day_b = b.astimezone(zone).date()
            if args.report == "daily":
                rows += reports.daily_report(conn, pbx, chosen, day_a, day_b, zone.key)
                row_type = reports.DailyRow
            else:
                rows += reports.agent_report(conn, pbx, chosen, day_a, day_b, other_tz)
                row_type = reports.AgentDay
        progress.step(label)
    progress.finish()
    return rows, row_type


def _write(fmt: str, rows: list[Any], row_type: type[Any], meta: Any,
           output: Path | None) -> None:
    from queuepulse.analytics import export

    def emit(out: IO[str]) -> None:
        if fmt == "csv":
            export.write_csv(rows, row_type, out)
        elif fmt == "json":
            export.write_json(rows, row_type, meta, out)
        else:
            out.write(export.render_table(rows, row_type, meta))

    if output is None:
        emit(sys.stdout)
        sys.stdout.flush()
        return
    if fmt == "xlsx":
        export.write_xlsx(rows, row_type, meta, output)
    else:
        with open(output, "w", newline="", encoding="utf-8") as out:
            emit(out)
    print(f"wrote {len(rows)} rows to {output}", file=sys.stderr)
