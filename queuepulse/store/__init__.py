"""queuepulse.store: everything that talks to TimescaleDB.

- :mod:`queuepulse.store.db` — ``connect()`` with clear, password-free errors; DSN helpers.
- :mod:`queuepulse.store.migrations` — the ``schema/`` runner behind ``queuepulse db``.
- :mod:`queuepulse.store.localdb` — a local PostgreSQL 15 + TimescaleDB cluster (demo, tests).
- tables, writers, buffer and sync writer — one spec and one idempotent upsert per table, used
  by the live flow's sink (``flows/sinks.py``), the sync and reconciliation.
"""
