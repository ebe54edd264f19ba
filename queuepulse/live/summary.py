"""The demo's terminal summary: one line per queue, refreshed every second from the database.

Reads the latest ``queue_live`` row per queue (waiting, longest wait, agents) and today's
``queue_kpi_1m`` sums (offered, answered, abandoned, SLA %), "today" being the site's local day
(``pbx_sites`` time zone) of the latest gauge's PBX time. Rendering is a pure function
(:func:`render`) so it is tested without a terminal.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

__all__ = ["QueueSummary", "SummaryPrinter", "fetch_summary", "render"]

# queue_live is written on change (plus a heartbeat): a queue's longest wait has grown since
# its newest row by the time to the PBX's last successful poll (PBX time: receive time + skew).
_LIVE_SQL = """
SELECT DISTINCT ON (l.queue_dn) l.queue_dn, l.ts, l.waiting,
       CASE WHEN l.waiting > 0 AND p.pbx_now > l.ts
            THEN l.longest_wait_s + extract(epoch FROM p.pbx_now - l.ts)::double precision
            ELSE l.longest_wait_s END,
       l.talking, l.agents_logged_in, l.agents_talking, l.agents_free
FROM queue_live l
CROSS JOIN (
  SELECT max(ts + make_interval(secs => coalesce(skew_s, 0))) AS pbx_now
  FROM pipeline_health
  WHERE pbx_id = %(pbx)s AND component = 'live' AND errors = 0
    AND ts > now() - interval '2 days'
) p
WHERE l.pbx_id = %(pbx)s AND l.ts > now() - interval '2 days'
ORDER BY l.queue_dn, l.ts DESC
"""
_NAMES_SQL = """
SELECT queue_dn, name FROM queues WHERE pbx_id = %(pbx)s AND valid_to IS NULL
"""
_KPI_SQL = """
SELECT queue_dn, sum(offered), sum(answered), sum(abandoned), sum(short_abandoned),
       sum(answered_in_sla)
FROM queue_kpi_1m
WHERE pbx_id = %(pbx)s
  AND bucket >= date_trunc('day', %(day)s::timestamptz AT TIME ZONE queuepulse_site_tz(%(pbx)s))
                AT TIME ZONE queuepulse_site_tz(%(pbx)s)
GROUP BY queue_dn
"""


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """One queue's line."""

    queue_dn: str
    waiting: int = 0
    longest_wait_s: float = 0.0
    talking: int = 0
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_in_sla: int = 0
    agents_logged_in: int = 0
    agents_talking: int = 0
    agents_free: int = 0
    name: str = ""

    @property
    def sla_pct(self) -> float | None:
        """answered in SLA / (answered + abandoned - short abandoned), None when 0."""
        denominator = self.answered + self.abandoned - self.short_abandoned
        return 100.0 * self.answered_in_sla / denominator if denominator > 0 else None


def fetch_summary(conn: Any, pbx_id: str) -> tuple[datetime | None, list[QueueSummary]]:
    """The PBX time of the latest gauges and one :class:`QueueSummary` per queue."""
    live = conn.execute(_LIVE_SQL, {"pbx": pbx_id}).fetchall()
    if not live:
        return None, []
    latest = max(r[1] for r in live)
    kpis = {r[0]: r[1:] for r in conn.execute(_KPI_SQL, {"pbx": pbx_id, "day": latest})}
    names = {r[0]: r[1] or "" for r in conn.execute(_NAMES_SQL, {"pbx": pbx_id})}
    out = []
    for dn, _ts, waiting, longest, talking, logged_in, busy, free in live:
        offered, answered, abandoned, short, in_sla = (
            int(v or 0) for v in kpis.get(dn, (0, 0, 0, 0, 0)))
        out.append(QueueSummary(dn, waiting, float(longest or 0), talking, offered, answered,
                                abandoned, short, in_sla, logged_in, busy, free,
                                names.get(dn, "")))
    return latest, out


_NAME_W = 14


def _line(label: str, name: str, r: QueueSummary, agents: str) -> str:
    sla = f"{r.sla_pct:5.1f}" if r.sla_pct is not None else "-"
    return (f"{label:>6} {name[:_NAME_W]:<{_NAME_W}} {r.waiting:>7} {r.longest_wait_s:>6.0f}s "
            f"{r.talking:>7} {r.offered:>7} {r.answered:>8} {r.abandoned:>9} {sla:>6} "
            f"{agents:>12}")


def render(at: datetime | None, rows: Sequence[QueueSummary], footer: str = "") -> str:
    """The summary as text (a header, one line per queue, a totals line, a legend, ``footer``)."""
    head = (f"{'queue':>6} {'name':<{_NAME_W}} {'waiting':>7} {'longest':>7} {'talking':>7} "
            f"{'offered':>7} {'answered':>8} {'abandoned':>9} {'SLA %':>6} "
            f"{'agents':>12}")
    when = at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "waiting for the first poll..."
    lines = [f"queuepulse demo - PBX time {when}", head, "-" * len(head)]
    for r in sorted(rows, key=lambda q: q.queue_dn):
        agents = f"{r.agents_logged_in}/{r.agents_talking}/{r.agents_free}"
        lines.append(_line(r.queue_dn, r.name, r, agents))
    if rows:
        total = QueueSummary(
            "all", sum(r.waiting for r in rows), max(r.longest_wait_s for r in rows),
            sum(r.talking for r in rows), sum(r.offered for r in rows),
            sum(r.answered for r in rows), sum(r.abandoned for r in rows),
            sum(r.short_abandoned for r in rows), sum(r.answered_in_sla for r in rows))
        lines.append("-" * len(head))
        lines.append(_line("all", f"{len(rows)} queues", total, ""))
    lines.append("waiting, longest, talking: now; offered, answered, abandoned: since local "
                 "midnight in the site's time zone (calls this flow saw)")
    lines.append("SLA % = answered within the queue's SLATime / (answered + abandoned - short "
                 "abandons); agents: logged in/talking/free")
    if footer:
        lines.append(footer)
    return "\n".join(line.rstrip() for line in lines)


class SummaryPrinter:
    """Prints :func:`render` every ``interval_s`` in a daemon thread until :meth:`stop`."""

    def __init__(
        self, dsn: str, pbx_id: str, *, interval_s: float = 1.0, out: TextIO | None = None,
        footer: Callable[[], str] = lambda: "",
    ) -> None:
        self.dsn = dsn
        self.pbx_id = pbx_id
        self.interval_s = interval_s
        self.out = out or sys.stdout
        self.footer = footer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="summary", daemon=True)

    def start(self) -> SummaryPrinter:
        """Start printing."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop printing."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        from queuepulse.store.db import connect

        tty = self.out.isatty()
        conn = None
        while not self._stop.wait(self.interval_s):
            try:
                if conn is None:
                    conn = connect(self.dsn, autocommit=True)
                at, rows = fetch_summary(conn, self.pbx_id)
            except Exception as exc:  # the database may be starting or going away
                text = f"(summary unavailable: {str(exc).splitlines()[0][:120]})"
                footer = self.footer()
                if footer:  # what the footer says (e.g. where to connect) stays on screen
                    text += "\n" + footer
                conn = None
            else:
                text = render(at, rows, self.footer())
            self.out.write(("\x1b[H\x1b[J" if tty else "\n") + text + "\n")
            self.out.flush()
        if conn is not None:
            conn.close()
