"""Secrets and least privilege on the real cluster: no password in the server log, the writer
cannot drop or delete history, retention runs as the role meant for it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from queuepulse.store.localdb import LocalCluster

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]


def _scram_matches(verifier: str, password: str) -> bool:
    """Whether a ``SCRAM-SHA-256$iter:salt$StoredKey:ServerKey`` verifier is ``password``'s."""
    method, params, keys = verifier.split("$")
    iterations, salt = params.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server = hmac.new(salted, b"Server Key", "sha256").digest()
    return (method == "SCRAM-SHA-256"
            and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
            and base64.b64encode(server).decode() == server_key)


def test_login_role_password_never_reaches_the_server_log(
    pg_cluster: LocalCluster, pg_dsn: str, pg_conn: psycopg.Connection[Any]
) -> None:
    password = "Pl41n-Passw0rd-in-the-log?"
    log_file = pg_cluster.data_dir / "queuepulse-server.log"
    start = log_file.stat().st_size
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QP_TEST_ROLE_PASSWORD": password,
           "PGOPTIONS": "-c log_statement=ddl"}  # the server logs every CREATE/ALTER ROLE
    for _ in range(2):  # create, then update
        done = subprocess.run(
            [sys.executable, "-m", "queuepulse.cli", "db", "login-role", "grafana_scram",
             "--member-of", "reader", "--password-env", "QP_TEST_ROLE_PASSWORD", "--dsn", pg_dsn],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert password not in done.stdout + done.stderr
    with log_file.open("rb") as handle:
        handle.seek(start)
        logged = handle.read().decode(errors="replace")
    assert 'ROLE "grafana_scram"' in logged, "statement logging was not on: the test proves nothing"
    assert "SCRAM-SHA-256$" in logged
    assert password not in logged
    row = pg_conn.execute(
        "SELECT rolpassword FROM pg_authid WHERE rolname = 'grafana_scram'").fetchone()
    assert row is not None
    assert _scram_matches(row[0], password)


HISTORY = ("call_events", "queue_live", "agent_states", "pipeline_health", "queues", "agents",
           "queue_agents", "reconciliation_runs", "reconciliation_diffs", "cdr_dead_letters",
           "pbx_queue_reports")


def test_the_writer_cannot_drop_or_delete_history(
    pg_conn: psycopg.Connection[Any], pg_writer_dsn: str
) -> None:
    pg_conn.execute(
        "INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting) VALUES "
        "('p1', '800', now() - INTERVAL '90 days', 1), ('p1', '800', now(), 2)")
    pg_conn.execute(
        "INSERT INTO queue_calls (pbx_id, call_key, call_id, queue_dn, entered_at, outcome, "
        "source) VALUES ('p1', 'k1', 1, '800', now() - INTERVAL '2 days', 'answered', 'cdr'), "
        "('p1', 'k2', 2, '800', now() - INTERVAL '1 hour', 'answered', 'live')")
    chunk = pg_conn.execute(
        "SELECT format('%I.%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks "
        "WHERE hypertable_name = 'queue_live' LIMIT 1").fetchone()
    assert chunk is not None
    attempts = [
        "SELECT * FROM queuepulse_apply_retention()",
        "SELECT queuepulse_apply_retention(INTERVAL '1 day', INTERVAL '1 day')",
        "SELECT queuepulse_drop_old_chunks('call_events', INTERVAL '1 day')",
        "SELECT drop_chunks('queue_live', older_than => now())",
        f"DROP TABLE {chunk[0]}",
        "DROP TABLE queue_live",
        "TRUNCATE queue_calls",
        "DELETE FROM queue_calls WHERE source = 'cdr'",  # reconciled history
        *(f"DELETE FROM {table}" for table in HISTORY),
        *(f"TRUNCATE {table}" for table in HISTORY),
    ]
    with psycopg.connect(pg_writer_dsn, autocommit=True) as writer:
        for statement in attempts:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                writer.execute(statement)
        # what the pipeline does replace stays possible: a live visit proven extra, a KPI bucket
        assert writer.execute(
            "DELETE FROM queue_calls WHERE source <> 'cdr'").rowcount == 1
        writer.execute("DELETE FROM queue_kpi_1m WHERE pbx_id = 'p1'")
    assert pg_conn.execute("SELECT count(*) FROM queue_live").fetchone() == (2,)
    assert pg_conn.execute("SELECT call_key FROM queue_calls").fetchall() == [("k1",)]
    # the owner (here the superuser) keeps every power
    pg_conn.execute("DELETE FROM queue_calls WHERE source = 'cdr'")
