"""Every public table, view and column carries a comment (issue 13, "self-describing schema").

The list is read from the catalogue of the migrated test database, so a relation or column
added later without its ``COMMENT ON`` fails here, and the failure names every one missing.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from queuepulse.store.catalogue import read_relations
from queuepulse.store.migrations import default_schema_dir, split_statements
from queuepulse.store.schema_docs import missing_comments

pytestmark = pytest.mark.db

def test_every_public_relation_and_column_has_a_comment(
    pg_conn: psycopg.Connection[Any],
) -> None:
    relations = read_relations(pg_conn)
    names = {r.name for r in relations}
    # the catalogue read covers the tables, hypertables and views of the analyst contract
    assert {"queue_calls", "queue_kpi_1m", "queuepulse_migrations", "queue_now",
            "queues_current"} <= names
    missing = missing_comments(relations)
    assert not missing, (
        f"{len(missing)} public relation(s)/column(s) without a comment: {', '.join(missing)}. "
        "Add COMMENT ON TABLE/VIEW/COLUMN (meaning, unit, time zone, who writes it, when NULL) "
        "in the migration that creates them or in schema/idempotent/099-comments.sql, then "
        "regenerate docs/schema.md (see its Reference section)."
    )


def test_tenant_views_carry_the_comments_of_their_relation(
    pg_conn: psycopg.Connection[Any],
) -> None:
    row = pg_conn.execute(
        "SELECT obj_description('queuepulse_tenant.queue_calls'::regclass, 'pg_class'), "
        "obj_description('public.queue_calls'::regclass, 'pg_class'), "
        "col_description('queuepulse_tenant.queue_calls'::regclass, 5), "
        "col_description('public.queue_calls'::regclass, 5)"
    ).fetchone()
    assert row is not None
    tenant_table, table, tenant_column, column = row
    assert table
    assert tenant_table.startswith(table)
    assert "only the rows of the querying tenant's PBXs" in tenant_table
    assert column
    assert tenant_column == column


def test_continuous_aggregates_are_commented_where_they_exist(
    pg_conn: psycopg.Connection[Any],
) -> None:
    """The licensed build's queue_kpi_1h (040, absent here) gets its comments from 099 when it
    exists: a stand-in view of the same name takes its place, and 099 is re-applied."""
    pg_conn.execute(
        "CREATE VIEW queue_kpi_1h AS SELECT pbx_id, queue_dn, time_bucket('1 hour', bucket) "
        "AS bucket, offered, sla_pct FROM queue_kpi_1m")
    script = (default_schema_dir() / "idempotent" / "099-comments.sql").read_text()
    for statement in split_statements(script):
        pg_conn.execute(statement)
    comments = dict(pg_conn.execute(
        "SELECT attname, col_description(attrelid, attnum) FROM pg_attribute "
        "WHERE attrelid = 'queue_kpi_1h'::regclass AND attnum > 0").fetchall())
    view = pg_conn.execute("SELECT obj_description('queue_kpi_1h'::regclass, 'pg_class')"
                           ).fetchone()
    assert view is not None
    assert "Licensed build only" in view[0]
    assert "per UTC hour" in view[0]
    assert comments["bucket"] == "Start of the hour (UTC)."
    assert comments["offered"] == "Visits that entered the queue in the hour (count)."
    assert comments["sla_pct"].startswith("Service level, per cent 0..100")
