"""Row preparation and the generated upsert SQL (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from queuepulse import store
from queuepulse.store.tables import QUEUE_CALLS, TABLES, merge_visits
from queuepulse.store.writers import (
    StoreWriteError,
    batch_columns,
    prepare_rows,
    upsert_statement,
)

pytestmark = pytest.mark.unit

T = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def visit(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {"pbx_id": "p", "call_key": "1@x", "queue_dn": "800",
                               "entered_at": T, "outcome": "waiting", "source": "live"}
    base.update(kw)
    return base


@dataclass
class KpiRow:
    pbx_id: str
    queue_dn: str
    bucket: datetime
    offered: int
    extra_field_not_a_column: str = "ignored"


def test_dataclass_rows_extra_fields_ignored_missing_columns_left_out() -> None:
    spec = TABLES["queue_kpi_1m"]
    rows = prepare_rows(spec, [KpiRow("p", "800", T, 3)])
    assert rows[0]["offered"] == 3
    assert rows[0]["answered"] == 0  # NOT NULL with a default: the spec's default
    assert "sla_pct" not in rows[0]  # not carried: the table default applies
    assert "extra_field_not_a_column" not in rows[0]
    cols = batch_columns(spec, rows)
    assert "sla_pct" not in cols
    assert cols[:4] == ("pbx_id", "queue_dn", "bucket", "offered")
    stmt = upsert_statement(spec, cols).as_string(None)
    assert "sla_pct" not in stmt
    assert '"updated_at" = now()' in stmt


def test_missing_key_column_is_a_clear_error() -> None:
    with pytest.raises(StoreWriteError, match=r"queue_live.*\['ts'\]"):
        prepare_rows(TABLES["queue_live"], [{"pbx_id": "p", "queue_dn": "800"}])


def test_same_key_in_one_batch_folds_to_one_row() -> None:
    rows = prepare_rows(QUEUE_CALLS, [
        visit(), visit(outcome="answered", answered_at=T, agent_dn="101"),
        visit(outcome="answered", answered_at=T, ended_at=T),
    ])
    assert len(rows) == 1
    assert rows[0]["outcome"] == "answered"
    assert rows[0]["agent_dn"] == "101"
    assert rows[0]["ended_at"] == T


def test_merge_never_regresses_to_waiting_and_protects_cdr() -> None:
    answered = visit(outcome="answered", answered_at=T)
    assert merge_visits(answered, visit())["outcome"] == "answered"
    cdr = visit(outcome="abandoned", source="cdr")
    assert merge_visits(cdr, answered) is cdr
    assert merge_visits(answered, cdr) is cdr


def test_event_rows_keep_first_copy() -> None:
    e = {"event_id": "e1", "occurred_at": T, "pbx_id": "p", "event_type": "answered"}
    rows = prepare_rows(TABLES["call_events"], [e, dict(e, event_type="changed")])
    assert [r["event_type"] for r in rows] == ["answered"]


def test_upsert_sql_shapes() -> None:
    events = upsert_statement(TABLES["call_events"]).as_string(None)
    assert 'ON CONFLICT ("event_id", "occurred_at") DO NOTHING' in events
    calls = upsert_statement(QUEUE_CALLS).as_string(None)
    assert "DO UPDATE SET" in calls
    assert "WHERE (t.source IS DISTINCT FROM 'cdr'" in calls
    kpi = upsert_statement(TABLES["queue_kpi_1m"]).as_string(None)
    assert '"offered" = EXCLUDED."offered"' in kpi


def test_domain_kpi_rows_fill_the_sum_columns() -> None:
    from queuepulse.domain.kpi import QueueKpi

    spec = TABLES["queue_kpi_1m"]
    kpi = QueueKpi("p", "800", T, offered=2, answered=2, wait_answered_s_sum=7.5,
                   wait_abandoned_s_sum=3.0, talk_s_sum=90.0, talk_count=1)
    (row,) = prepare_rows(spec, [kpi])
    assert row["wait_answered_s_sum"] == 7.5
    assert row["wait_abandoned_s_sum"] == 3.0
    assert row["talk_s_sum"] == 90.0
    assert "scope" not in row
    # every field but scope is a column of the same name: nothing is dropped or renamed
    assert set(row) == set(QueueKpi.__dataclass_fields__) - {"scope"}
    with pytest.raises(StoreWriteError, match="scope 'entry'"):
        prepare_rows(spec, [QueueKpi("p", "800", T, scope="entry")])
    (entry,) = prepare_rows(TABLES["entry_queue_kpi_1m"], [
        QueueKpi("p", "800", T, scope="entry", offered=1)])
    assert entry["offered"] == 1
    with pytest.raises(StoreWriteError, match="scope 'queue'"):
        prepare_rows(TABLES["entry_queue_kpi_1m"], [QueueKpi("p", "800", T)])


def test_domain_rows_map_onto_columns() -> None:
    from queuepulse.domain.events import CallEvent
    from queuepulse.domain.gauges import QueueLive
    from queuepulse.domain.visits import QueueVisit

    (ev,) = prepare_rows(TABLES["call_events"], [
        CallEvent("e1", "p", "1@x", 1, "call_started", T, T)])
    assert ev["details"] == {}
    (visit_row,) = prepare_rows(QUEUE_CALLS, [QueueVisit("p", "1@x", "800", T, sla_s=20)])
    assert "sla_s" not in visit_row
    assert visit_row["source"] == "live"
    (gauge,) = prepare_rows(TABLES["queue_live"], [QueueLive("p", "800", T, 1, 2.0, 0, 1, 0, 1)])
    assert gauge["agents_free"] == 1


def test_copy_values_json_columns_as_json_text_and_missing_columns_null() -> None:
    from queuepulse.store.writers import copy_values

    spec = TABLES["call_events"]
    assert "details" in spec.json_columns
    rows = prepare_rows(spec, [
        {"event_id": "e1", "pbx_id": "p", "call_key": "1@x", "event_type": "x",
         "occurred_at": T, "details": {"kind": "gap", "n": 2}},
        {"event_id": "e2", "pbx_id": "p", "call_key": "1@x", "event_type": "x",
         "occurred_at": T},
    ])
    cols = batch_columns(spec, rows)
    values = [dict(zip(cols, v, strict=True)) for v in copy_values(spec, cols, rows)]
    assert values[0]["details"] == '{"kind": "gap", "n": 2}'
    assert values[1]["details"] == "{}"  # the spec's default, as JSON text
    assert values[0]["event_id"] == "e1"
    assert values[1]["occurred_at"] == T


def test_dataclass_rows_of_two_types_in_one_batch() -> None:
    @dataclass
    class Narrow:
        pbx_id: str
        queue_dn: str
        bucket: datetime

    rows = prepare_rows(TABLES["queue_kpi_1m"], [
        KpiRow("p", "800", T, 3),
        Narrow("p", "801", T),
    ])
    assert rows[0]["offered"] == 3
    assert rows[1]["offered"] == 0
    assert "extra_field_not_a_column" not in rows[0]


def test_the_store_package_does_not_import_bytewax() -> None:
    import os
    import subprocess
    import sys

    modules = sorted(p.stem for p in Path(store.__file__).parent.glob("*.py"))
    code = ("import sys\n" + "".join(f"import queuepulse.store.{m}\n" for m in modules)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'bytewax'))")
    root = str(Path(store.__file__).parents[2])  # this checkout, whatever is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert "buffer" in modules
    assert out.stdout.strip() == "[]"
