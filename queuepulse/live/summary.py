"""The demo's terminal summary: one line per queue, refreshed every second from the database.

Reads the latest ``queue_live`` row per queue (waiting, longest wait, agents) and today's
``queue_kpi_1m`` sums (offered, answered, abandoned, SLA %), "today" being the PBX day of the
latest gauge. Rendering is a pure function (:func:`render`) so it is tested without a terminal.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

__all__ = ["QueueSummary", "SummaryPrinter", "fetch_summary", "render"]

_LIVE_SQL = """
SELECT DISTINCT ON (queue_dn) queue_dn, ts, waiting, longest_wait_s, talking,
       agents_logged_in, agents_talking, agents_free
FROM queue_live WHERE pbx_id = %(pbx)s AND ts > now() - interval '2 days'
ORDER BY queue_dn, ts DESC
"""
_KPI_SQL = """
SELECT queue_dn, sum(offered), sum(answered), sum(abandoned), sum(short_abandoned),
       sum(answered_in_sla)
FROM queue_kpi_1m WHERE pbx_id = %(pbx)s AND bucket >= date_trunc('day', %(day)s::timestamptz)
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
    out = []
    for dn, _ts, waiting, longest, talking, logged_in, busy, free in live:
        offered, answered, abandoned, short, in_sla = (
            int(v or 0) for v in kpis.get(dn, (0, 0, 0, 0, 0)))
        out.append(QueueSummary(dn, waiting, float(longest or 0), talking, offered, answered,
                                abandoned, short, in_sla, logged_in, busy, free))
    return latest, out


def render(at: datetime | None, rows: Sequence[QueueSummary], footer: str = "") -> str:
    """The summary as text (a header, one line per queue, a totals line, ``footer``)."""
    head = (f"{'queue':>7} {'waiting':>7} {'longest':>8} {'talking':>7} {'offered':>7} "
            f"{'answered':>8} {'abandon':>7} {'SLA %':>6} {'agents in/talk/free':>19}")
    when = at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "waiting for the first poll..."
    lines = [f"queuepulse demo - PBX time {when}", head, "-" * len(head)]
    for r in rows:
        sla = f"{r.sla_pct:5.1f}" if r.sla_pct is not None else "    -"
        agents = f"{r.agents_logged_in}/{r.agents_talking}/{r.agents_free}"
        lines.append(
            f"{r.queue_dn:>7} {r.waiting:>7} {r.longest_wait_s:>7.0f}s {r.talking:>7} "
            f"{r.offered:>7} {r.answered:>8} {r.abandoned:>7} {sla:>6} {agents:>19}")
    if rows:
        total = QueueSummary(
            "all", sum(r.waiting for r in rows), max(r.longest_wait_s for r in rows),
            sum(r.talking for r in rows), sum(r.offered for r in rows),
            sum(r.answered for r in rows), sum(r.abandoned for r in rows),
            sum(r.short_abandoned for r in rows), sum(r.answered_in_sla for r in rows))
        sla = f"{total.sla_pct:5.1f}" if total.sla_pct is not None else "    -"
        lines.append("-" * len(head))
        lines.append(
            f"{'all':>7} {total.waiting:>7} {total.longest_wait_s:>7.0f}s {total.talking:>7} "
            f"{total.offered:>7} {total.answered:>8} {total.abandoned:>7} {sla:>6}")
    if footer:
        lines.append(footer)
    return "\n".join(lines)


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
                conn = None
            else:
                text = render(at, rows, self.footer())
            self.out.write(("\x1b[H\x1b[J" if tty else "\n") + text + "\n")
            self.out.flush()
        if conn is not None:
            conn.close()
