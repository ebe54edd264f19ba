"""The period runner: reconcile closed periods of one PBX against its CDR, resumably.

For one period ``[a, b)`` (:meth:`Reconciler.reconcile_period`):

1. a ``reconciliation_runs`` row is opened (``running``);
2. ``/CallHistoryView`` and ``GetCallLogData`` are paged for ``[a - lookback, b + lookahead)``
   (never past now) and parsed row by row (bad rows → dead letters);
3. queue visits entering in ``[a, b)`` are built from the segments
   (:func:`~queuepulse.reconcile.builder.build_visits`), matched with the stored visits and
   turned into a plan (:func:`~queuepulse.reconcile.matcher.plan_corrections`);
4. 3CX's own report figures for the period are fetched;
5. corrections, recomputed KPI buckets, diffs, dead letters and figures are written in one
   transaction, and the run is closed ``ok`` (the period is done) or ``failed``.

:meth:`Reconciler.backfill` runs every closed period of a range that has no ``ok`` run yet (so an
interrupted backfill resumes where it stopped); :meth:`Reconciler.run_forever` does that every
period length for the periods that close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import parse_datetime
from queuepulse.errors import QueuepulseError
from queuepulse.reconcile import corrections, fetch
from queuepulse.reconcile.builder import build_visits
from queuepulse.reconcile.cdr_rules import CdrRules, load_cdr_rules
from queuepulse.reconcile.matcher import plan_corrections
from queuepulse.reconcile.periods import Period, closed_periods, period_floor
from queuepulse.reconcile.progress import Progress
from queuepulse.reconcile.segments import (
    HISTORY_ENDPOINT,
    DeadLetter,
    parse_history_rows,
    parse_log_rows,
    redact_letter,
)
from queuepulse.schedule import utcnow
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.errors import AuthError

__all__ = [
    "BackfillResult",
    "PeriodResult",
    "ReconcileBusyError",
    "ReconcileConfig",
    "Reconciler",
]

log = logging.getLogger(__name__)
Conn = psycopg.Connection[Any]


class ReconcileBusyError(QueuepulseError):
    """Another reconciliation of the same PBX holds the lock."""



@dataclass(frozen=True)
class ReconcileConfig:
    """How one PBX is reconciled (defaults: ``settings.rules.reconcile_*``)."""

    pbx_id: str
    period_s: int = 900
    settle_s: float = 900.0
    match_tolerance_s: float = 120.0
    lookback_s: float = 1800.0
    lookahead_s: float = 3600.0
    max_visit_span_s: float = 4 * 3600.0
    page_size: int = 500
    remove_extra: bool = True
    fetch_reports: bool = True
    cdr_rules: CdrRules = field(default_factory=CdrRules)
    rules: Rules = field(default_factory=Rules)

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> ReconcileConfig:
        """From :class:`queuepulse.settings.Settings` (``pbx``, ``rules``, ``privacy``)."""
        r = settings.rules
        values: dict[str, Any] = {
            "pbx_id": settings.pbx.pbx_id,
            "period_s": int(r.reconcile_period_s),
            "settle_s": float(r.reconcile_settle_s),
            "match_tolerance_s": float(r.reconcile_match_tolerance_s),
            "lookback_s": float(r.reconcile_lookback_s),
            "lookahead_s": float(r.reconcile_lookahead_s),
            "cdr_rules": load_cdr_rules(r.cdr_rules_file),
            "rules": Rules.from_settings(r, settings.privacy),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass(frozen=True)
class PeriodResult:
    """What reconciling one period did (also stored in its ``reconciliation_runs`` row)."""

    period: Period
    status: str
    cdr_rows: int = 0
    visits: int = 0
    matched: int = 0
    corrected: int = 0
    confirmed: int = 0
    inserted: int = 0
    removed: int = 0
    flagged: int = 0
    unchanged: int = 0
    diffs: int = 0
    dead_letters: int = 0
    open_talks: int = 0
    buckets_written: int = 0
    buckets_deleted: int = 0
    report_rows: int = 0
    report_errors: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """The period is reconciled."""
        return self.status == "ok"


@dataclass
class BackfillResult:
    """A backfill's outcome: periods in range, skipped as already done, run, failed."""

    total: int = 0
    skipped: int = 0
    results: list[PeriodResult] = field(default_factory=list)
    stopped: bool = False

    @property
    def failed(self) -> int:
        """Periods whose run failed."""
        return sum(1 for r in self.results if not r.ok)


def _row_start(raw: Mapping[str, Any], endpoint: str) -> datetime | None:
    name = "SegmentStartTime" if endpoint == HISTORY_ENDPOINT else "StartTime"
    return parse_datetime(raw.get(name))


def _own_letters(letters: list[DeadLetter], period: Period) -> list[DeadLetter]:
    """Dead letters belonging to this period: rows starting in it, or with no usable time."""
    out = []
    for letter in letters:
        at = _row_start(letter.body, letter.endpoint)
        if at is None or period[0] <= at < period[1]:
            out.append(letter)
    return out


class Reconciler:
    """Reconciles one PBX: an async XAPI client and a database connection factory.

    ``clock`` is the wall clock in UTC (decides which periods are closed and stamps runs);
    ``sleep`` waits between continuous rounds (injected in tests).
    """

    def __init__(
        self,
        config: ReconcileConfig,
        client: XapiClient,
        connect: Callable[[], Conn],
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.client = client
        self._connect = connect
        self._clock = clock
        self._sleep = sleep

    # --- one period ------------------------------------------------------------------------

    async def reconcile_period(self, period: Period, conn: Conn | None = None) -> PeriodResult:
        """Reconcile ``period`` (see the module doc); a failed period is recorded and returned,
        not raised — except refused credentials (:class:`AuthError`), which would fail every
        period alike."""
        if conn is None:
            with self._connect() as own:
                return await self.reconcile_period(period, own)
        cfg = self.config
        run = corrections.start_run(conn, cfg.pbx_id, period, self._clock())
        try:
            result, details = await self._reconcile(conn, run, period)
        except Exception as exc:
            if isinstance(exc, psycopg.Error) and (conn.closed or conn.broken):
                raise
            error = f"{type(exc).__name__}: {exc}"
            log.warning("reconciliation failed", extra={
                "pbx_id": cfg.pbx_id, "period_from": period[0].isoformat(), "error": error})
            corrections.finish_run(conn, run, self._clock(), "failed", {}, {}, error=error[:2000])
            if isinstance(exc, AuthError):
                raise  # refused credentials fail every period alike: stop at the first
            return PeriodResult(period, "failed", error=error)
        counts = {
            "cdr_rows": result.cdr_rows, "matched": result.matched,
            "corrected": result.corrected, "inserted": result.inserted, "diffs": result.diffs,
            "dead_letters": result.dead_letters,
        }
        corrections.finish_run(conn, run, self._clock(), "ok", counts, details)
        log.info("period reconciled", extra={
            "pbx_id": cfg.pbx_id, "period_from": period[0].isoformat(), **counts,
            "removed": result.removed, "flagged": result.flagged})
        return result

    async def _reconcile(self, conn: Conn, run: corrections.RunRecord,
                         period: Period) -> tuple[PeriodResult, dict[str, Any]]:
        cfg = self.config
        now = self._clock()
        a, b = period
        window = (a - timedelta(seconds=cfg.lookback_s),
                  min(b + timedelta(seconds=cfg.lookahead_s), now))
        history = await fetch.fetch_call_history(self.client, *window, cfg.page_size)
        log_rows = await fetch.fetch_call_log(self.client, *window, cfg.page_size)
        slas = await fetch.fetch_queue_slas(self.client)
        segments, dead_history = parse_history_rows(history)
        refs, dead_log = parse_log_rows(log_rows)
        built = build_visits(
            cfg.pbx_id, segments, refs, a, b, cfg.cdr_rules, slas.keys(), slas,
            cfg.rules.caller_policy)
        letters = [
            redact_letter(letter, cfg.rules.caller_policy)
            for letter in _own_letters([*dead_history, *dead_log], period) + built.dead_letters
        ]
        tolerance = timedelta(seconds=cfg.match_tolerance_s)
        stored = corrections.load_visits(conn, cfg.pbx_id, a - tolerance, b + tolerance)
        plan = plan_corrections(
            built.visits, stored, a, b, cdr_calls=built.calls,
            tolerance_s=cfg.match_tolerance_s, remove_extra=cfg.remove_extra and not letters)
        reports = (await fetch.fetch_reports(self.client, cfg.pbx_id, period, now,
                                             sorted(slas))
                   if cfg.fetch_reports else fetch.ReportFetch())
        applied = corrections.apply_period(
            conn, run, plan, letters, reports.rows, slas, cfg.rules, now,
            cfg.max_visit_span_s)
        result = PeriodResult(
            period=period, status="ok", cdr_rows=len(history) + len(log_rows),
            visits=len(built.visits), matched=plan.matched, corrected=plan.corrected,
            confirmed=plan.confirmed,
            inserted=plan.inserted, removed=plan.removed, flagged=plan.flagged,
            unchanged=plan.unchanged,
            diffs=len(plan.diffs), dead_letters=len(letters), open_talks=built.open_talks,
            buckets_written=applied.buckets_written, buckets_deleted=applied.buckets_deleted,
            report_rows=len(reports.rows), report_errors=dict(reports.errors),
        )
        by_field: dict[str, int] = {}
        for d in plan.diffs:
            by_field[d.field] = by_field.get(d.field, 0) + 1
        details = {
            "window": [window[0].isoformat(), window[1].isoformat()],
            "history_rows": len(history), "call_log_rows": len(log_rows),
            "queue_segments": built.queue_segments, "visits": len(built.visits),
            "unchanged": plan.unchanged, "confirmed": plan.confirmed,
            "removed": plan.removed, "flagged": plan.flagged,
            "open_talks": built.open_talks, "diffs_by_field": by_field,
            "dead_letters_new": applied.dead_letters_new,
            "buckets_written": applied.buckets_written,
            "buckets_deleted": applied.buckets_deleted,
            "entry_buckets_written": applied.entry_buckets_written,
            "report_rows": len(reports.rows), "report_errors": reports.errors,
            "cdr_rules": cfg.cdr_rules.to_mapping(),
        }
        return result, details

    # --- many periods ------------------------------------------------------------------------

    async def backfill(
        self,
        since: datetime,
        until: datetime,
        *,
        force: bool = False,
        progress: Progress | None = None,
        stop: asyncio.Event | None = None,
    ) -> BackfillResult:
        """Reconcile every closed period from ``since`` to ``until`` not done yet (all of them
        with ``force``). Holds the PBX's lock; raises :class:`ReconcileBusyError` if taken."""
        cfg = self.config
        bar = progress or Progress()
        with self._connect() as conn:
            if not corrections.try_lock(conn, cfg.pbx_id):
                raise ReconcileBusyError(
                    f"another reconciliation of PBX {cfg.pbx_id!r} is running (advisory lock "
                    "held); stop it or wait for it to finish")
            try:
                interrupted = corrections.mark_interrupted(conn, cfg.pbx_id, self._clock())
                if interrupted:
                    log.info("closed interrupted runs", extra={"pbx_id": cfg.pbx_id,
                                                                "runs": interrupted})
                periods = closed_periods(since, until, cfg.period_s, self._clock(),
                                         cfg.settle_s)
                done: set[Period] = set()
                if periods and not force:
                    done = corrections.done_periods(conn, cfg.pbx_id, periods[0][0],
                                                    periods[-1][1])
                todo = [p for p in periods if p not in done]
                out = BackfillResult(total=len(periods), skipped=len(periods) - len(todo))
                bar.start(len(periods), out.skipped)
                try:
                    for period in todo:
                        if stop is not None and stop.is_set():
                            out.stopped = True
                            break
                        result = await self.reconcile_period(period, conn)
                        out.results.append(result)
                        bar.advance(period[0].strftime("%Y-%m-%d %H:%M"), result.cdr_rows,
                                    result.corrected, result.inserted, result.ok)
                finally:
                    bar.finish()
            finally:
                # released here, not by closing the connection: the server drops a closed
                # session's locks asynchronously, and the next run may already be asking (a
                # broken connection releases it anyway: its error is the one to raise)
                with contextlib.suppress(psycopg.Error):
                    corrections.unlock(conn, cfg.pbx_id)
        return out

    async def run_forever(
        self,
        stop: asyncio.Event,
        since: datetime | None = None,
        progress: Progress | None = None,
        on_round: Callable[[BackfillResult], None] | None = None,
    ) -> None:
        """Continuous mode: every period length, reconcile the periods that closed (from
        ``since``, default the last closed period at start) until ``stop`` is set.
        ``on_round`` sees each finished round (metrics, readiness)."""
        cfg = self.config
        start = since or (period_floor(self._clock() - timedelta(seconds=cfg.settle_s),
                                       cfg.period_s) - timedelta(seconds=cfg.period_s))
        while not stop.is_set():
            try:
                result = await self.backfill(start, self._clock(), progress=progress,
                                             stop=stop)
            except ReconcileBusyError:
                raise
            except (QueuepulseError, psycopg.Error) as exc:
                # database or PBX unreachable: not ready (no on_round), try again next round
                log.warning("reconciliation round failed; retrying next period", extra={
                    "pbx_id": cfg.pbx_id, "error": f"{type(exc).__name__}: {exc}"})
            else:
                if on_round is not None:
                    on_round(result)
                if result.results and all(r.ok for r in result.results):
                    start = max(start, result.results[-1].period[1] - timedelta(
                        seconds=cfg.period_s))
            await self._sleep_or_stop(stop, float(cfg.period_s))

    async def _sleep_or_stop(self, stop: asyncio.Event, seconds: float) -> None:
        waiter = asyncio.ensure_future(stop.wait())
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, sleeper):
                task.cancel()
