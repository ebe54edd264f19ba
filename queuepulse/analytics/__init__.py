"""The analysts' Python API: SQLAlchemy Core tables of every public relation and typed report
queries over the standard report views. See docs/analytics.md.

    from queuepulse.analytics import engine_for, interval_report, tables
    engine = engine_for("postgresql://analyst@db.example.com/queuepulse", read_only=True)
    with engine.connect() as conn:
        rows = interval_report(conn, "default", ["800"], start, end, interval=30)
"""

from queuepulse.analytics import tables
from queuepulse.analytics.engine import engine_for
from queuepulse.analytics.frames import to_dataframe
from queuepulse.analytics.reports import (
    ReportError,
    abandon_curve,
    agent_report,
    daily_report,
    interval_report,
    ours_vs_pbx,
    service_level_curve,
)

__all__ = [
    "ReportError",
    "abandon_curve",
    "agent_report",
    "daily_report",
    "engine_for",
    "interval_report",
    "ours_vs_pbx",
    "service_level_curve",
    "tables",
    "to_dataframe",
]
