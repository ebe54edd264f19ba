"""The forecast job: read a PBX's history, forecast arrivals, plan staffing, predict waits.

:meth:`StaffingJob.forecast_once` forecasts each current queue's arrivals per 15-minute interval
(rest of today and ``horizon_days``, site time zone), stores them with the time they were made
(``arrival_forecasts``), and stores agents needed beside agents present for the last 24
hours' intervals (measured), now and the horizon (``staffing_intervals``).
:meth:`StaffingJob.expected_waits_once` stores the expected remaining wait of every caller
waiting now (``expected_waits``). Both take ``now`` explicitly; the command paces them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from queuepulse.domain.expected_wait import WaitingCaller, predict_waits
from queuepulse.domain.forecast import (
    INTERVAL,
    ForecastParams,
    first_complete_day,
    forecast_with_holdout,
    interval_start,
)
from queuepulse.domain.kpi import handle_time_s
from queuepulse.domain.patience import estimate_patience, estimate_talk_time
from queuepulse.domain.staffing import StaffingInputs, StaffingInterval, plan_interval
from queuepulse.staffing.history import QueueHistory, read_history, read_live, read_waiting
from queuepulse.store.writers import BatchWriter

__all__ = ["ForecastRun", "JobConfig", "QueueModel", "StaffingJob", "WaitRun"]

log = logging.getLogger(__name__)

#: How far back each run recomputes past intervals from measurements.
MEASURED_WINDOW = timedelta(days=1)

#: Ended talks a queue's last hour needs before its own recent handle time is used.
MIN_RECENT_TALKS = 5


@dataclass(frozen=True)
class JobConfig:
    """What the job needs besides the database."""

    pbx_id: str
    time_zone: ZoneInfo
    target_pct: float = 80.0
    max_occupancy: float = 0.85
    horizon_days: int = 7
    default_sla_s: float = 20.0
    params: ForecastParams = field(default_factory=ForecastParams)


@dataclass(frozen=True)
class QueueModel:
    """A queue's measured model inputs (refreshed by each forecast run). The handle times are
    the mean talk time plus the queue's configured wrap-up (:func:`handle_time_s`)."""

    aht_s: float | None
    recent_aht_s: float | None
    patience_s: float | None
    patience_abandons: int
    sla_s: float


@dataclass
class ForecastRun:
    """What one forecast run did."""

    made_at: datetime
    queues: int = 0
    forecast_rows: int = 0
    staffing_rows: int = 0
    #: Queues without handle-time history: forecast stored, no staffing rows.
    no_handle_time: list[str] = field(default_factory=list)


@dataclass
class WaitRun:
    """What one expected-wait run did."""

    predicted_at: datetime
    predictions: int = 0
    #: Waiting visits skipped: no fresh live gauges or no handle time for their queue.
    skipped: int = 0


class StaffingJob:
    """Forecasts, staffing and expected waits of one PBX."""

    def __init__(self, config: JobConfig, connect: Callable[[], psycopg.Connection[Any]],
                 writer: BatchWriter) -> None:
        self.config = config
        self._connect = connect
        self.writer = writer
        self.models: dict[str, QueueModel] = {}

    # ------------------------------------------------------------------ forecast
    def forecast_once(self, now: datetime) -> ForecastRun:
        """Forecast, plan and store; returns counts. Database errors propagate."""
        cfg, tz = self.config, self.config.time_zone
        # past intervals are (re)computed from measurements for the last day
        measured_since = interval_start(now - MEASURED_WINDOW)
        with self._connect() as conn:
            history = read_history(conn, cfg.pbx_id, now, weeks=cfg.params.weeks,
                                   measured_since=measured_since)
            live = read_live(conn, cfg.pbx_id, now)
        run = ForecastRun(now)
        forecasts: list[dict[str, Any]] = []
        staffing: list[StaffingInterval] = []
        current = interval_start(now)
        for dn, h in sorted(history.items()):
            run.queues += 1
            model = self._model(h)
            self.models[dn] = model
            first_day = (first_complete_day(h.first_bucket, tz) if h.first_bucket is not None
                         else None)
            predicted, error = forecast_with_holdout(h.arrivals, tz, now, cfg.horizon_days,
                                                     cfg.params, first_day=first_day)
            forecasts.extend(
                {"pbx_id": cfg.pbx_id, "queue_dn": dn, "interval_start": f.interval_start,
                 "made_at": now, "calls": f.calls, "local_date": f.local_date, "slot": f.slot,
                 "time_zone": tz.key, "basis_days": f.basis_days, "level": f.level,
                 "holdout_wape_pct": error}
                for f in predicted)
            aht = model.recent_aht_s or model.aht_s
            if aht is None:
                run.no_handle_time.append(dn)
                continue
            inputs = StaffingInputs(aht, model.patience_s, model.sla_s, cfg.target_pct,
                                    cfg.max_occupancy)
            start = measured_since
            while start < current:
                logged_in, free = (h.agents or {}).get(start, (None, None))
                staffing.append(plan_interval(
                    cfg.pbx_id, dn, start, now, "measured", h.arrivals.get(start, 0.0), inputs,
                    logged_in, free))
                start += INTERVAL
            gauges = live.get(dn)
            for f in predicted:
                staffing.append(plan_interval(
                    cfg.pbx_id, dn, f.interval_start, now, "forecast", f.calls, inputs,
                    None if gauges is None else _num(gauges.logged_in),
                    None if gauges is None else _num(gauges.free)))
        run.forecast_rows = len(forecasts)
        run.staffing_rows = len(staffing)
        if forecasts or staffing:
            self.writer.write({"arrival_forecasts": forecasts, "staffing_intervals": staffing})
        if run.no_handle_time:
            log.info("no handle-time history: staffing skipped",
                     extra={"pbx_id": cfg.pbx_id, "queues": run.no_handle_time})
        return run

    def _model(self, h: QueueHistory) -> QueueModel:
        patience = estimate_patience(h.abandoned, h.answered, h.wait_abandoned_s,
                                     h.wait_answered_s)
        talk = estimate_talk_time(h.talk_s, h.talks).mean_s
        recent = estimate_talk_time(h.recent_talk_s, h.recent_talks)
        return QueueModel(
            aht_s=None if talk is None else handle_time_s(talk, h.wrap_up_s),
            recent_aht_s=(handle_time_s(recent.mean_s, h.wrap_up_s)
                          if recent.mean_s is not None and recent.talks >= MIN_RECENT_TALKS
                          else None),
            patience_s=patience.mean_s,
            patience_abandons=patience.abandons,
            sla_s=h.sla_s or self.config.default_sla_s,
        )

    # ------------------------------------------------------------------ expected waits
    def expected_waits_once(self, now: datetime) -> WaitRun:
        """Predict and store the remaining wait of every caller waiting now."""
        cfg = self.config
        with self._connect() as conn:
            waiting = read_waiting(conn, cfg.pbx_id, now)
            live = read_live(conn, cfg.pbx_id, now)
            if any(dn not in self.models for _, dn, _ in waiting):
                history = read_history(conn, cfg.pbx_id, now, weeks=0)
                for dn, h in history.items():
                    self.models.setdefault(dn, self._model(h))
        run = WaitRun(now)
        by_queue: dict[str, list[WaitingCaller]] = {}
        for key, dn, entered in waiting:
            by_queue.setdefault(dn, []).append(WaitingCaller(cfg.pbx_id, key, dn, entered))
        rows = []
        for dn, callers in by_queue.items():
            gauges, model = live.get(dn), self.models.get(dn)
            aht = None if model is None else (model.recent_aht_s or model.aht_s)
            if gauges is None or gauges.logged_in is None or aht is None:
                run.skipped += len(callers)
                continue
            rows.extend(predict_waits(callers, now, gauges.logged_in, gauges.free or 0, aht,
                                      model.patience_s if model else None))
        run.predictions = len(rows)
        if rows:
            self.writer.write({"expected_waits": rows})
        return run


def _num(value: int | None) -> float | None:
    return None if value is None else float(value)


def next_forecast_due(last: datetime | None, now: datetime, every: timedelta) -> bool:
    """Whether a forecast run is due: never run, or ``every`` passed since the last."""
    return last is None or now - last >= every
