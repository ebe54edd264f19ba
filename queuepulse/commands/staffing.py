"""``queuepulse staffing``: agents needed for a call volume, or for a queue's stored forecast.

    queuepulse staffing --calls-per-hour 200 --aht 180 --target 80/20 [--patience 120]
    queuepulse staffing --queue 800 --date 2026-01-06 [--format json]

Erlang A when a mean patience is known (``--patience``, or the queue's measured one), Erlang C
otherwise. Prints the agents needed and the predicted service level, ASA, abandon % and
occupancy for n-2 .. n+2 agents.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from datetime import date
from typing import Any

from queuepulse.commands.options import add_dsn_option
from queuepulse.errors import ConfigError

_TARGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


def register(subparsers: Any) -> None:
    """Add ``staffing``."""
    parser = subparsers.add_parser(
        "staffing", help="agents needed for a call volume (Erlang A/C calculator)",
        description=(
            "Agents needed to answer TARGET_PCT %% of calls within TARGET_S seconds, and the "
            "predicted service level (share of offered calls answered within the target time), "
            "ASA, abandon %% and occupancy for n-2..n+2 agents. Give --calls-per-hour and --aht; "
            "or --queue and --date to plan every 15-minute interval of a day from the stored "
            "arrival forecast (`queuepulse run forecast`) with the queue's measured handle "
            "time and patience. Erlang A (with abandonment) when a mean patience is known, "
            "Erlang C otherwise."
        ),
    )
    parser.add_argument("--calls-per-hour", metavar="R", help="arrivals per hour (>= 0)")
    parser.add_argument("--aht", metavar="S", help="average handle time in seconds (> 0); "
                        "with --queue: default the queue's measured mean talk time plus its "
                        "configured wrap-up")
    parser.add_argument("--target", metavar="PCT/S", default=None,
                        help="service-level target, e.g. 80/20 = 80 %% answered within 20 s "
                             "(default: QUEUEPULSE_STAFFING__TARGET_PCT / the queue's SLA time, "
                             "else 80/20)")
    parser.add_argument("--patience", metavar="S",
                        help="mean caller patience in seconds (Erlang A); without it Erlang C "
                             "(with --queue: default the queue's measured one)")
    parser.add_argument("--max-occupancy", metavar="F", default=None,
                        help="highest share of time agents may spend on calls, 0 < F <= 1 "
                             "(default: QUEUEPULSE_STAFFING__MAX_OCCUPANCY, 0.85)")
    parser.add_argument("--queue", metavar="DN", help="plan this queue from its stored forecast")
    parser.add_argument("--date", metavar="YYYY-MM-DD",
                        help="with --queue: the local day to plan (default: today)")
    add_dsn_option(parser, "QUEUEPULSE_DB__DSN; read only with --queue")
    parser.add_argument("--pbx-id", help="with --queue: the PBX (default: QUEUEPULSE_PBX__PBX_ID)")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="text table (default) or one JSON object")
    parser.set_defaults(handler=handle)


def _number(option: str, text: str | None, *, positive: bool = False) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{option} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{option} must be a finite number, got {text!r}")
    if positive and value <= 0:
        raise ConfigError(f"{option} must be greater than 0, got {text}")
    if value < 0:
        raise ConfigError(f"{option} cannot be negative, got {text}")
    return value


def parse_target(text: str) -> tuple[float, float]:
    """``"80/20"`` → (80.0 %, 20.0 s); :class:`ConfigError` for anything else."""
    match = _TARGET.match(text)
    if not match:
        raise ConfigError(
            f"--target must look like 80/20 (per cent answered / within seconds), got {text!r}")
    pct, seconds = float(match.group(1)), float(match.group(2))
    if not 0 < pct < 100:
        raise ConfigError(f"--target per cent must be above 0 and below 100, got {pct:g}")
    return pct, seconds


def _row(f: Any) -> dict[str, Any]:
    return {
        "agents": f.agents,
        "service_level_pct": round(f.service_level_pct, 2),
        "asa_s": None if math.isinf(f.asa_s) else round(f.asa_s, 2),
        "abandon_pct": round(f.abandon_pct, 2),
        "occupancy_pct": round(f.occupancy_pct, 2),
    }


def plan(calls_per_hour: float, aht_s: float, target_pct: float, target_s: float,
         patience_s: float | None, max_occupancy: float) -> dict[str, Any]:
    """The calculator's JSON object for one call volume."""
    from queuepulse.domain.staffing import staffing_table

    try:
        need, rows = staffing_table(calls_per_hour, aht_s, target_pct, target_s, patience_s,
                                    max_occupancy)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    best = _row(need)
    return {
        "agents_needed": need.agents,
        "service_level_pct": best["service_level_pct"],
        "asa_s": best["asa_s"],
        "abandon_pct": best["abandon_pct"],
        "occupancy_pct": best["occupancy_pct"],
        "model": "erlang-c" if patience_s is None else "erlang-a",
        "inputs": {"calls_per_hour": calls_per_hour, "aht_s": aht_s, "target_pct": target_pct,
                   "target_s": target_s, "patience_s": patience_s,
                   "max_occupancy": max_occupancy},
        "table": [_row(f) for f in rows],
    }


def handle(args: argparse.Namespace) -> int:
    """Print the plan (text or JSON)."""
    from queuepulse.settings import load_settings

    settings = load_settings()
    aht = _number("--aht", args.aht, positive=True)
    patience = _number("--patience", args.patience, positive=True)
    occupancy = _number("--max-occupancy", args.max_occupancy, positive=True)
    if occupancy is None:
        occupancy = settings.staffing.max_occupancy
    if occupancy > 1:
        raise ConfigError(f"--max-occupancy must be at most 1 (a share), got {occupancy:g}")
    target = parse_target(args.target) if args.target else None
    if args.queue is not None:
        if args.calls_per_hour is not None:
            raise ConfigError("give either --calls-per-hour or --queue, not both")
        return _queue_plan(args, settings, aht, patience, target, occupancy)
    if args.date is not None:
        raise ConfigError("--date needs --queue")
    rate = _number("--calls-per-hour", args.calls_per_hour)
    if rate is None or aht is None:
        raise ConfigError("give --calls-per-hour and --aht (or --queue to use a stored forecast)")
    pct, seconds = target or (settings.staffing.target_pct, float(settings.rules.default_sla_s))
    result = plan(rate, aht, pct, seconds, patience, occupancy)
    if args.format == "json":
        print(json.dumps(result))
    else:
        print(_text(result))
    return 0


def _text(result: dict[str, Any]) -> str:
    i = result["inputs"]
    head = (
        f"{i['calls_per_hour']:g} calls/h, AHT {i['aht_s']:g} s, target {i['target_pct']:g}% "
        f"in {i['target_s']:g} s, "
        + (f"patience {i['patience_s']:g} s (Erlang A)" if i["patience_s"] else
           "no abandonment (Erlang C)")
        + f", max occupancy {100 * i['max_occupancy']:g}%"
    )
    lines = [head, f"agents needed: {result['agents_needed']}", "",
             f"{'agents':>6}  {'SLA %':>6}  {'ASA s':>8}  {'abandon %':>9}  {'occupancy %':>11}"]
    for r in result["table"]:
        asa = "inf" if r["asa_s"] is None else f"{r['asa_s']:.1f}"
        mark = "  <- needed" if r["agents"] == result["agents_needed"] else ""
        lines.append(f"{r['agents']:>6}  {r['service_level_pct']:>6.1f}  {asa:>8}  "
                     f"{r['abandon_pct']:>9.1f}  {r['occupancy_pct']:>11.1f}{mark}")
    return "\n".join(lines)


def _queue_plan(args: argparse.Namespace, settings: Any, aht: float | None,
                patience: float | None, target: tuple[float, float] | None,
                occupancy: float) -> int:
    from zoneinfo import ZoneInfo

    from queuepulse.domain.forecast import local_slot
    from queuepulse.domain.kpi import handle_time_s
    from queuepulse.domain.patience import estimate_patience, estimate_talk_time
    from queuepulse.schedule import utcnow
    from queuepulse.staffing.history import read_history
    from queuepulse.store.db import connect
    from queuepulse.store.sites import site_zone_name

    pbx_id = args.pbx_id or settings.pbx.pbx_id
    if args.date is not None:
        try:
            date.fromisoformat(args.date)
        except ValueError:
            raise ConfigError(f"--date must be YYYY-MM-DD, got {args.date!r}") from None
    now = utcnow()
    with connect(args.dsn or settings.db.dsn, application_name="queuepulse-staffing") as conn:
        # the site's zone: the setting, else the one stored for the PBX (its own), else UTC
        tz = ZoneInfo(site_zone_name(conn, settings.pbx.model_copy(update={"pbx_id": pbx_id})))
        day = local_slot(now, tz)[0] if args.date is None else date.fromisoformat(args.date)
        history = read_history(conn, pbx_id, now, weeks=0).get(args.queue)
        rows = conn.execute(
            """
            SELECT DISTINCT ON (interval_start) interval_start, calls, made_at
            FROM arrival_forecasts
            WHERE pbx_id = %s AND queue_dn = %s AND local_date = %s
            ORDER BY interval_start, made_at DESC
            """,
            (pbx_id, args.queue, day),
        ).fetchall()
    if history is None:
        raise ConfigError(f"no current queue {args.queue!r} on PBX {pbx_id!r}")
    if not rows:
        raise ConfigError(
            f"no stored forecast for queue {args.queue} on {day.isoformat()}; run "
            "`queuepulse run forecast --once` first (it forecasts today and the next 7 days)")
    if aht is None:
        talk = estimate_talk_time(history.talk_s, history.talks).mean_s
        aht = None if talk is None else handle_time_s(talk, history.wrap_up_s)
        if aht is None:
            raise ConfigError(f"queue {args.queue} has no handle-time history yet; pass --aht")
    if patience is None:
        patience = estimate_patience(history.abandoned, history.answered,
                                     history.wait_abandoned_s, history.wait_answered_s).mean_s
    pct, seconds = target or (settings.staffing.target_pct,
                              history.sla_s or float(settings.rules.default_sla_s))
    intervals = []
    for start, calls, made_at in rows:
        p = plan(4.0 * float(calls), aht, pct, seconds, patience, occupancy)
        intervals.append({"interval_start": start.isoformat(),
                          "local_time": start.astimezone(tz).strftime("%H:%M"),
                          "forecast_made_at": made_at.isoformat(), **p})
    result = {"pbx_id": pbx_id, "queue": args.queue, "date": day.isoformat(),
              "time_zone": tz.key, "intervals": intervals}
    if args.format == "json":
        print(json.dumps(result))
        return 0
    print(f"queue {args.queue} on {day.isoformat()} ({tz.key}): AHT {aht:.0f} s, "
          + (f"patience {patience:.0f} s (Erlang A)" if patience else "Erlang C")
          + f", target {pct:g}% in {seconds:g} s")
    print(f"{'time':>5}  {'calls/h':>7}  {'agents':>6}  {'SLA %':>6}  {'ASA s':>7}  "
          f"{'abandon %':>9}  {'occupancy %':>11}")
    for i in intervals:
        asa = "inf" if i["asa_s"] is None else f"{i['asa_s']:.1f}"
        print(f"{i['local_time']:>5}  {i['inputs']['calls_per_hour']:>7.1f}  "
              f"{i['agents_needed']:>6}  {i['service_level_pct']:>6.1f}  {asa:>7}  "
              f"{i['abandon_pct']:>9.1f}  {i['occupancy_pct']:>11.1f}")
    return 0
