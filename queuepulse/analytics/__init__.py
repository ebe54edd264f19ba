"""The analysts' Python API: SQLAlchemy Core tables of every public relation and typed report
queries over the standard report views. See docs/analytics.md.

    from queuepulse.analytics import engine_for, interval_report, tables
    engine = engine_for("postgresql://analyst@db.example.com/queuepulse", read_only=True)
    with engine.connect() as conn:
        rows = interval_report(conn, "default", ["800"], start, end, interval=30)
"""
