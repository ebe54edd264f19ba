"""Typed queries over the standard report views (``report_*``), returning typed rows.

Each report has a builder that returns a SQLAlchemy ``Select`` (to compose, inspect or run
elsewhere) and a function that runs it on a connection and returns frozen dataclass rows::

    from datetime import date
    from queuepulse.analytics import engine_for, reports

    engine = engine_for("postgresql://analyst@db.example.com/queuepulse", read_only=True)
    with engine.connect() as conn:
        tz = reports.site_time_zone(conn, "default")
        start, end = reports.local_day_bounds(date(2026, 3, 2), date(2026, 3, 9), tz)
        for row in reports.interval_report(conn, "default", ["800"], start, end, interval=30):
            print(row.local_start, row.offered, row.sla_pct)

Figures are never averages of averages: 30- and 60-minute intervals group the 15-minute rows of
``report_queue_interval`` by ``date_bin`` on their local start and recompute every ratio from
the summed counts and seconds, with the definitions of ``queuepulse.domain.kpi``:
``sla_pct = 100 * answered_in_sla / (answered + abandoned - short_abandoned)``,
``asa_s = wait_answered_s_sum / answered``, ``avg_wait_s = (wait_answered_s_sum +
wait_abandoned_s_sum) / (answered + abandoned)``, ``avg_talk_s = talk_s_sum / talk_count``,
``avg_handle_s = handle_s_sum / talk_count`` (``None`` when the denominator is 0).

Time zone: ``tz=None`` means the PBX's site zone (``pbx_sites``, ``queuepulse_site_tz``); an
explicit IANA zone re-buckets local times, intervals and days in that zone. The day-level views
of agents and of the abandon and service-level curves are cut in the site zone only: asking
them for another zone is a :class:`ReportError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    Float,
    Select,
    Table,
    and_,
    cast,
    column,
    func,
    literal,
    literal_column,
    over,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.sql.selectable import TableValuedAlias

from queuepulse.analytics import tables
from queuepulse.errors import QueuepulseError

__all__ = [
    "INTERVALS",
    "AbandonBand",
    "AgentDay",
    "DailyRow",
    "IntervalRow",
    "PbxComparison",
    "ReportError",
    "ServiceLevelPoint",
    "abandon_curve",
    "abandon_curve_query",
    "agent_query",
    "agent_report",
    "check_time_zone",
    "columns_of",
    "daily_query",
    "daily_report",
    "interval_query",
    "interval_report",
    "known_agents",
    "known_pbx",
    "known_queues",
    "local_day_bounds",
    "ours_vs_pbx",
    "ours_vs_pbx_query",
    "service_level_curve",
    "service_level_curve_query",
    "site_time_zone",
]

Interval = Literal[15, 30, 60]
INTERVALS: tuple[Interval, ...] = (15, 30, 60)
_ORIGIN: ColumnElement[Any] = literal_column("TIMESTAMP '2000-01-01 00:00:00'")


class ReportError(QueuepulseError, ValueError):
    """A report was asked for something it cannot give (bad range, zone, interval, ...)."""


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One queue's figures for one 15-, 30- or 60-minute interval (``interval_report``).

    ``wrap_up_known``: talks ended and the queue's wrap-up time was known for every 15 minutes
    with ended talks (as ``report_queue_daily.wrap_up_known``: false also without talks; when
    false, ``avg_handle_s`` counts part or all of the talks as talk only)."""

    pbx_id: str
    queue_dn: str
    queue_name: str | None
    time_zone: str
    interval_start: datetime
    interval_end: datetime
    local_date: date
    local_start: datetime
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    transferred: int
    answered_in_sla: int
    sla_pct: float | None
    asa_s: float | None
    avg_wait_s: float | None
    max_wait_s: float | None
    avg_talk_s: float | None
    avg_handle_s: float | None
    wait_answered_s_sum: float
    wait_abandoned_s_sum: float
    talk_s_sum: float
    talk_count: int
    handle_s_sum: float | None
    wrap_up_known: bool


@dataclass(frozen=True, slots=True)
class DailyRow:
    """One queue's figures for one local day (23, 24 or 25 hours long) (``daily_report``);
    ``intervals``: the 15-minute intervals of the day with data."""

    pbx_id: str
    queue_dn: str
    queue_name: str | None
    time_zone: str
    local_date: date
    day_start: datetime
    day_end: datetime
    hours: float
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    transferred: int
    answered_in_sla: int
    sla_pct: float | None
    asa_s: float | None
    avg_wait_s: float | None
    max_wait_s: float | None
    avg_talk_s: float | None
    avg_handle_s: float | None
    wait_answered_s_sum: float
    wait_abandoned_s_sum: float
    talk_s_sum: float
    talk_count: int
    handle_s_sum: float | None
    wrap_up_known: bool
    intervals: int


@dataclass(frozen=True, slots=True)
class AgentDay:
    """One agent's figures for one local day of the site (``agent_report``)."""

    pbx_id: str
    agent_dn: str
    agent_name: str | None
    time_zone: str
    local_date: date
    answered: int
    talk_s_sum: float
    talk_count: int
    avg_talk_s: float | None
    handle_s_sum: float | None
    avg_handle_s: float | None
    logged_in_s: float | None
    occupancy_pct: float | None
    calls_per_hour: float | None


@dataclass(frozen=True, slots=True)
class AbandonBand:
    """Abandoned calls of one queue whose wait fell in [wait_from_s, wait_to_s) seconds, over
    the whole range; the last band is open (``wait_to_s`` None) (``abandon_curve``)."""

    pbx_id: str
    queue_dn: str
    wait_from_s: int
    wait_to_s: int | None
    abandoned: int
    cumulative_abandoned: int
    cumulative_pct: float | None


@dataclass(frozen=True, slots=True)
class ServiceLevelPoint:
    """Share of one queue's counted calls answered within ``threshold_s`` seconds, over the
    whole range (``service_level_curve``)."""

    pbx_id: str
    queue_dn: str
    threshold_s: int
    answered_within: int
    calls_counted: int
    service_level_pct: float | None


@dataclass(frozen=True, slots=True)
class PbxComparison:
    """3CX's own figures for one queue and report period beside ours for the same period
    (``ours_vs_pbx``; ``report_ours_vs_pbx``). ``*_diff`` = ours - 3CX's."""

    pbx_id: str
    queue_dn: str
    report: str
    period_from: datetime
    period_to: datetime
    time_zone: str
    local_from: datetime
    local_to: datetime
    fetched_at: datetime
    pbx_received: int | None
    pbx_answered: int | None
    pbx_abandoned: int | None
    pbx_bad_sla: int | None
    pbx_sla_pct: float | None
    our_offered: int
    our_answered: int
    our_abandoned: int
    our_short_abandoned: int
    our_answered_in_sla: int
    our_sla_pct: float | None
    offered_diff: int | None
    answered_diff: int | None
    abandoned_diff: int | None
    sla_pct_diff: float | None


Row = IntervalRow | DailyRow | AgentDay | AbandonBand | ServiceLevelPoint | PbxComparison
R = TypeVar("R", IntervalRow, DailyRow, AgentDay, AbandonBand, ServiceLevelPoint,
            PbxComparison)


def columns_of(row_type: type[Row]) -> list[str]:
    """The column names of a row type, in report order."""
    return [f.name for f in fields(row_type)]


def _rows(conn: Connection, query: Select[Any], row_type: type[R]) -> list[R]:
    """Run ``query`` (its columns in the order of ``row_type``'s fields) into typed rows."""
    result = conn.execute(query)
    if list(result.keys()) != columns_of(row_type):  # a builder out of step with its row type
        raise AssertionError(f"{row_type.__name__}: query columns {list(result.keys())}")
    return [row_type(*row) for row in result]


# --------------------------------------------------------------------------- look-ups


def check_time_zone(tz: str) -> str:
    """``tz`` if it is a known IANA time zone; :class:`ReportError` otherwise."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError(
            f"unknown time zone {tz!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from None
    return tz


def site_time_zone(conn: Connection, pbx: str) -> str:
    """The PBX's site time zone (``queuepulse_site_tz``: ``pbx_sites``, else ``UTC``)."""
    return str(conn.execute(select(func.queuepulse_site_tz(pbx))).scalar_one())


def known_pbx(conn: Connection, pbx: str) -> bool:
    """Whether the database knows the PBX: it has a site row, or queues synced from it."""
    query = union(
        select(tables.pbx_sites.c.pbx_id).where(tables.pbx_sites.c.pbx_id == pbx),
        select(tables.queues.c.pbx_id).where(tables.queues.c.pbx_id == pbx).limit(1),
    )
    return conn.execute(query).first() is not None


def known_queues(conn: Connection, pbx: str) -> set[str]:
    """Every queue DN the PBX ever had (``queues``, current or not)."""
    q = tables.queues
    return set(conn.execute(select(q.c.queue_dn).where(q.c.pbx_id == pbx).distinct()).scalars())


def known_agents(conn: Connection, pbx: str) -> set[str]:
    """Every agent DN the PBX ever had (``agents``, current or not)."""
    a = tables.agents
    return set(conn.execute(select(a.c.agent_dn).where(a.c.pbx_id == pbx).distinct()).scalars())


def local_day_bounds(first: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """The instants (aware, in ``tz``) of local midnight of ``first`` and of ``end``: the range
    of the local days ``first`` .. ``end - 1 day``."""
    zone = ZoneInfo(check_time_zone(tz))
    return (datetime.combine(first, time(), zone), datetime.combine(end, time(), zone))


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ReportError(f"{name} must be timezone-aware (got {value.isoformat()})")
    return value


def _check_range(start: Any, end: Any) -> None:
    if end <= start:
        raise ReportError(f"the end {end.isoformat()} is not after the start "
                          f"{start.isoformat()}: nothing to report")


# --------------------------------------------------------------------------- figures


def _figures(src: Any, *, aggregate: bool = True) -> list[ColumnElement[Any]]:
    """Sums of a report view's counts and seconds, and the ratios recomputed from them
    (``aggregate=False``: one row's own, for rows that are not grouped)."""
    c = src.c

    def total(name: str) -> ColumnElement[Any]:
        return func.sum(c[name]) if aggregate else c[name]

    answered, abandoned, short = total("answered"), total("abandoned"), total("short_abandoned")
    wait_answered, wait_abandoned = total("wait_answered_s_sum"), total("wait_abandoned_s_sum")
    talk_count = total("talk_count")

    def ratio(numerator: ColumnElement[Any], denominator: ColumnElement[Any],
              name: str) -> ColumnElement[Any]:
        return cast(numerator / func.nullif(denominator, 0), Float).label(name)

    return [
        cast(total("offered"), BigInteger).label("offered"),
        cast(answered, BigInteger).label("answered"),
        cast(abandoned, BigInteger).label("abandoned"),
        cast(short, BigInteger).label("short_abandoned"),
        cast(total("transferred"), BigInteger).label("transferred"),
        cast(total("answered_in_sla"), BigInteger).label("answered_in_sla"),
        ratio(100.0 * cast(total("answered_in_sla"), Float), answered + abandoned - short,
              "sla_pct"),
        ratio(cast(wait_answered, Float), answered, "asa_s"),
        ratio(cast(wait_answered + wait_abandoned, Float), answered + abandoned, "avg_wait_s"),
        cast(func.max(c.max_wait_s) if aggregate else c.max_wait_s, Float).label("max_wait_s"),
        ratio(cast(total("talk_s_sum"), Float), talk_count, "avg_talk_s"),
        ratio(cast(total("handle_s_sum"), Float), talk_count, "avg_handle_s"),
        cast(func.coalesce(wait_answered, 0), Float).label("wait_answered_s_sum"),
        cast(func.coalesce(wait_abandoned, 0), Float).label("wait_abandoned_s_sum"),
        cast(func.coalesce(total("talk_s_sum"), 0), Float).label("talk_s_sum"),
        cast(talk_count, BigInteger).label("talk_count"),
        cast(total("handle_s_sum"), Float).label("handle_s_sum"),
    ]


def _wrap_up_known_from_intervals(src: Any, *, aggregate: bool = True) -> ColumnElement[Any]:
    """Every 15-minute row with ended talks knew its queue's wrap-up time (false without
    talks, as ``report_queue_daily.wrap_up_known``)."""
    if not aggregate:
        return and_(src.c.wrap_up_s.is_not(None), src.c.talk_count > 0).label("wrap_up_known")
    known = func.bool_and(src.c.wrap_up_s.is_not(None)).filter(src.c.talk_count > 0)
    return func.coalesce(known, False).label("wrap_up_known")


def _queue_filter(src: Any, pbx: str, queues: Sequence[str] | None) -> list[Any]:
    conditions: list[Any] = [src.c.pbx_id == pbx]
    if queues:
        conditions.append(src.c.queue_dn.in_(list(queues)))
    return conditions


def _local(tz: str, instant: Any) -> ColumnElement[Any]:
    """``instant`` (timestamptz) as wall time in ``tz`` (timestamp without time zone)."""
    return func.timezone(tz, instant)


def _instant(tz: str, local: Any) -> ColumnElement[Any]:
    """Local wall time (or a date's midnight) in ``tz`` as an instant (timestamptz)."""
    return func.timezone(tz, cast(local, TIMESTAMP()))


# --------------------------------------------------------------------------- interval report


def interval_query(pbx: str, queues: Sequence[str] | None, start: datetime, end: datetime,
                   interval: int, tz: str) -> Select[Any]:
    """Rows of :class:`IntervalRow` for intervals starting in [start, end), in zone ``tz``.

    15 minutes: the rows of ``report_queue_interval``. 30/60: its 15-minute rows grouped by
    ``date_bin(interval, local start)``, ratios from the sums; a local interval that occurs
    twice (the hour repeated when DST ends) stays two rows, told apart by their UTC start.
    """
    if interval not in INTERVALS:
        raise ReportError(f"interval must be 15, 30 or 60 minutes, not {interval}")
    _check_range(_aware(start, "start"), _aware(end, "end"))
    check_time_zone(tz)
    v = tables.report_queue_interval
    conditions = [*_queue_filter(v, pbx, queues), v.c.interval_start >= start,
                  v.c.interval_start < end]
    if interval == 15:  # the view's own rows, their local times in tz: nothing to group
        local_start = _local(tz, v.c.interval_start)
        return (
            select(
                v.c.pbx_id, v.c.queue_dn, v.c.queue_name, literal(tz).label("time_zone"),
                v.c.interval_start, v.c.interval_end,
                cast(local_start, Date).label("local_date"), local_start.label("local_start"),
                *_figures(v, aggregate=False),
                _wrap_up_known_from_intervals(v, aggregate=False),
            )
            .where(*conditions)
            .order_by(v.c.interval_start, v.c.queue_dn)
        )
    step: ColumnElement[Any] = literal_column(f"INTERVAL '{int(interval)} minutes'")
    local = _local(tz, v.c.interval_start)
    local_bucket = func.date_bin(step, local, _ORIGIN)
    start_utc = v.c.interval_start - (local - local_bucket)
    inner = (
        select(
            v,
            local_bucket.label("bucket_local"),
            start_utc.label("bucket_start"),
        )
        .where(*conditions)
        .subquery("i")
    )
    i = inner.c
    return (
        select(
            i.pbx_id, i.queue_dn, func.max(i.queue_name).label("queue_name"),
            literal(tz).label("time_zone"),
            i.bucket_start.label("interval_start"),
            (i.bucket_start + step).label("interval_end"),
            cast(i.bucket_local, Date).label("local_date"),
            i.bucket_local.label("local_start"),
            *_figures(inner),
            _wrap_up_known_from_intervals(inner),
        )
        .group_by(i.pbx_id, i.queue_dn, i.bucket_start, i.bucket_local)
        .order_by(i.bucket_start, i.queue_dn)
    )


def interval_report(conn: Connection, pbx: str, queues: Sequence[str] | None,
                    start: datetime, end: datetime, interval: int = 15,
                    tz: str | None = None) -> list[IntervalRow]:
    """Per queue and 15/30/60-minute interval between ``start`` and ``end`` (aware datetimes;
    intervals starting in [start, end)); ``tz`` default: the PBX's site zone."""
    zone = tz if tz is not None else site_time_zone(conn, pbx)
    return _rows(conn, interval_query(pbx, queues, start, end, interval, zone), IntervalRow)


# --------------------------------------------------------------------------- daily report


def daily_query(pbx: str, queues: Sequence[str] | None, first: date, end: date,
                tz: str) -> Select[Any]:
    """Rows of :class:`DailyRow` for the local days ``first`` .. ``end - 1`` of zone ``tz``:
    the 15-minute rows of ``report_queue_interval`` summed per local day.

    In the site's zone the rows equal ``report_queue_daily``'s; reading the interval view over
    the range's instants lets the database use its time index (the daily view's local dates
    cannot), and serves any other zone the same way.
    """
    _check_range(first, end)
    start, stop = local_day_bounds(first, end, tz)
    v = tables.report_queue_interval
    inner = (
        select(v, cast(_local(tz, v.c.interval_start), Date).label("day"))
        .where(*_queue_filter(v, pbx, queues), v.c.interval_start >= start,
               v.c.interval_start < stop)
        .subquery("i")
    )
    i = inner.c
    day_start = _instant(tz, i.day)
    day_end = _instant(tz, i.day + 1)
    return (
        select(
            i.pbx_id, i.queue_dn, func.max(i.queue_name).label("queue_name"),
            literal(tz).label("time_zone"), i.day.label("local_date"),
            day_start.label("day_start"), day_end.label("day_end"),
            cast(func.extract("epoch", day_end - day_start) / 3600, Float).label("hours"),
            *_figures(inner),
            _wrap_up_known_from_intervals(inner),
            cast(func.count(), BigInteger).label("intervals"),
        )
        .group_by(i.pbx_id, i.queue_dn, i.day)
        .order_by(i.day, i.queue_dn)
    )


def daily_report(conn: Connection, pbx: str, queues: Sequence[str] | None, first: date,
                 end: date, tz: str | None = None) -> list[DailyRow]:
    """Per queue and local day ``first`` .. ``end - 1`` (``tz`` default: the site zone)."""
    zone = tz if tz is not None else site_time_zone(conn, pbx)
    return _rows(conn, daily_query(pbx, queues, first, end, zone), DailyRow)


# --------------------------------------------------------------------------- agents, curves


def _site_day_instants(first: date, end: date, tz: str | None) -> tuple[datetime, datetime]:
    """The UTC instants that hold the local days ``first`` .. ``end - 1``: exact in the site
    zone ``tz``; without it, widened to every zone's (UTC+14 starts the day first, UTC-12
    ends it last)."""
    if tz is not None:
        return local_day_bounds(first, end, tz)
    return (datetime.combine(first, time(), UTC) - timedelta(hours=14),
            datetime.combine(end, time(), UTC) + timedelta(hours=12))


def _between(view: Table, first: date, end: date, tz: str | None) -> TableValuedAlias:
    """The view's ``<view>_between(p_from, p_to)`` function (the view's one definition, over
    time bounds) for the instants of the site's local days ``first`` .. ``end - 1``: the
    database reads the raw rows through their time indexes, where a filter on the view's
    computed ``local_date`` alone would read every row. Filter on ``local_date`` as well: the
    days cut by the bounds are partial."""
    start, stop = _site_day_instants(first, end, tz)
    between = getattr(func, f"{view.name}_between")
    rows: TableValuedAlias = between(start, stop).table_valued(
        *(column(c.name, c.type) for c in view.c)).alias(view.name.removeprefix("report_"))
    return rows


def _site_days_only(conn: Connection, pbx: str, tz: str | None, report: str) -> str:
    """The site's zone; :class:`ReportError` when ``tz`` is another zone."""
    site = site_time_zone(conn, pbx)
    if tz is not None and check_time_zone(tz) != site:
        raise ReportError(
            f"the {report} is cut in the site's local days ({site}); "
            f"it cannot be re-cut in {tz}: leave the time zone out"
        )
    return site


def agent_query(pbx: str, agents: Sequence[str] | None, first: date, end: date,
                tz: str | None = None) -> Select[Any]:
    """Rows of :class:`AgentDay` for the site's local days ``first`` .. ``end - 1``
    (``report_agent_daily_between``; ``tz``: the site's zone for exact bounds, None to read
    the wider instants that hold those days in any zone)."""
    _check_range(first, end)
    a = _between(tables.report_agent_daily, first, end, tz)
    conditions: list[Any] = [a.c.pbx_id == pbx, a.c.local_date >= first, a.c.local_date < end]
    if agents:
        conditions.append(a.c.agent_dn.in_(list(agents)))
    return (
        select(
            a.c.pbx_id, a.c.agent_dn, a.c.agent_name, a.c.time_zone, a.c.local_date,
            cast(a.c.answered, BigInteger).label("answered"),
            cast(a.c.talk_s_sum, Float).label("talk_s_sum"),
            cast(a.c.talk_count, BigInteger).label("talk_count"),
            cast(a.c.avg_talk_s, Float).label("avg_talk_s"),
            cast(a.c.handle_s_sum, Float).label("handle_s_sum"),
            cast(a.c.avg_handle_s, Float).label("avg_handle_s"),
            cast(a.c.logged_in_s, Float).label("logged_in_s"),
            cast(a.c.occupancy_pct, Float).label("occupancy_pct"),
            cast(a.c.calls_per_hour, Float).label("calls_per_hour"),
        )
        .where(and_(*conditions))
        .order_by(a.c.local_date, a.c.agent_dn)
    )


def agent_report(conn: Connection, pbx: str, agents: Sequence[str] | None, first: date,
                 end: date, tz: str | None = None) -> list[AgentDay]:
    """Per agent and site-local day ``first`` .. ``end - 1`` (``tz``: None or the site's)."""
    site = _site_days_only(conn, pbx, tz, "agent report")
    return _rows(conn, agent_query(pbx, agents, first, end, site), AgentDay)


def abandon_curve_query(pbx: str, queues: Sequence[str] | None, first: date,
                        end: date, tz: str | None = None) -> Select[Any]:
    """Rows of :class:`AbandonBand`: the 10-second wait bands of ``report_abandon_curve``
    (``report_abandon_curve_between``; ``tz`` as in :func:`agent_query`) summed over the
    site's local days ``first`` .. ``end - 1``, cumulated per queue."""
    _check_range(first, end)
    c = _between(tables.report_abandon_curve, first, end, tz)
    bands = (
        select(c.c.pbx_id, c.c.queue_dn, c.c.wait_from_s,
               func.max(c.c.wait_to_s).label("wait_to_s"),
               func.sum(c.c.abandoned).label("abandoned"))
        .where(*_queue_filter(c, pbx, queues), c.c.local_date >= first, c.c.local_date < end)
        .group_by(c.c.pbx_id, c.c.queue_dn, c.c.wait_from_s)
        .subquery("b")
    )
    b = bands.c
    running = over(func.sum(b.abandoned), partition_by=[b.pbx_id, b.queue_dn],
                   order_by=b.wait_from_s)
    total = over(func.sum(b.abandoned), partition_by=[b.pbx_id, b.queue_dn])
    return (
        select(
            b.pbx_id, b.queue_dn, cast(b.wait_from_s, BigInteger).label("wait_from_s"),
            cast(b.wait_to_s, BigInteger).label("wait_to_s"),
            cast(b.abandoned, BigInteger).label("abandoned"),
            cast(running, BigInteger).label("cumulative_abandoned"),
            cast(100.0 * cast(running, Float) / func.nullif(total, 0), Float)
            .label("cumulative_pct"),
        )
        .order_by(b.queue_dn, b.wait_from_s)
    )


def abandon_curve(conn: Connection, pbx: str, queues: Sequence[str] | None, first: date,
                  end: date, tz: str | None = None) -> list[AbandonBand]:
    """How long callers waited before hanging up, per queue, over the site's local days
    ``first`` .. ``end - 1`` (``tz``: None or the site's)."""
    site = _site_days_only(conn, pbx, tz, "abandon curve")
    return _rows(conn, abandon_curve_query(pbx, queues, first, end, site), AbandonBand)


def service_level_curve_query(pbx: str, queues: Sequence[str] | None, first: date,
                              end: date, tz: str | None = None) -> Select[Any]:
    """Rows of :class:`ServiceLevelPoint`: ``report_service_level_curve``
    (``report_service_level_curve_between``; ``tz`` as in :func:`agent_query`) summed over
    the site's local days ``first`` .. ``end - 1`` per queue and threshold."""
    _check_range(first, end)
    s = _between(tables.report_service_level_curve, first, end, tz)
    within, counted = func.sum(s.c.answered_within), func.sum(s.c.calls_counted)
    return (
        select(
            s.c.pbx_id, s.c.queue_dn, cast(s.c.threshold_s, BigInteger).label("threshold_s"),
            cast(within, BigInteger).label("answered_within"),
            cast(counted, BigInteger).label("calls_counted"),
            cast(100.0 * cast(within, Float) / func.nullif(counted, 0), Float)
            .label("service_level_pct"),
        )
        .where(*_queue_filter(s, pbx, queues), s.c.local_date >= first, s.c.local_date < end)
        .group_by(s.c.pbx_id, s.c.queue_dn, s.c.threshold_s)
        .order_by(s.c.queue_dn, s.c.threshold_s)
    )


def service_level_curve(conn: Connection, pbx: str, queues: Sequence[str] | None, first: date,
                        end: date, tz: str | None = None) -> list[ServiceLevelPoint]:
    """Share answered within 10, 20, ... 120 s per queue, over the site's local days
    ``first`` .. ``end - 1`` (``tz``: None or the site's)."""
    site = _site_days_only(conn, pbx, tz, "service-level curve")
    return _rows(conn, service_level_curve_query(pbx, queues, first, end, site),
                 ServiceLevelPoint)



def ours_vs_pbx_query(pbx: str, queues: Sequence[str] | None, first: date, end: date,
                      tz: str | None = None) -> Select[Any]:
    """Rows of :class:`PbxComparison`: ``report_ours_vs_pbx`` for the 3CX report periods that
    start in the site's local days ``first`` .. ``end - 1`` (``tz`` as in
    :func:`agent_query`), by queue, period and report."""
    _check_range(first, end)
    start, stop = _site_day_instants(first, end, tz)
    v = tables.report_ours_vs_pbx
    return (
        select(*(v.c[name] for name in columns_of(PbxComparison)))
        .where(*_queue_filter(v, pbx, queues), v.c.period_from >= start,
               v.c.period_from < stop)
        .order_by(v.c.queue_dn, v.c.period_from, v.c.report)
    )


def ours_vs_pbx(conn: Connection, pbx: str, queues: Sequence[str] | None, first: date,
                end: date, tz: str | None = None) -> list[PbxComparison]:
    """3CX's report figures beside ours for the same periods, for the 3CX report periods
    starting in the site's local days ``first`` .. ``end - 1`` (``tz``: None or the site's)."""
    site = _site_days_only(conn, pbx, tz, "comparison with 3CX")
    return _rows(conn, ours_vs_pbx_query(pbx, queues, first, end, site), PbxComparison)
