"""queuepulse.analytics.tables equals the migrated schema: same relations, kinds, columns, SQL
types, nullability, primary keys and comments; and the generator is one command."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuepulse.analytics import generate, tables
from queuepulse.analytics.engine import engine_for

pytestmark = pytest.mark.db

REGENERATE = (
    "queuepulse/analytics/tables.py differs from the migrated schema; regenerate it with "
    "`PYTHONPATH=$PWD .venv/bin/python -m queuepulse.analytics.generate` (it migrates a "
    "throwaway database) and commit the result"
)


def _differences(expected: dict[str, dict[str, object]],
                 actual: dict[str, dict[str, object]]) -> list[str]:
    lines = [f"missing in tables.py: {n}" for n in sorted(set(expected) - set(actual))]
    lines += [f"not in the database: {n}" for n in sorted(set(actual) - set(expected))]
    for name in sorted(set(expected) & set(actual)):
        for key in ("kind", "comment", "primary_key", "columns"):
            if expected[name][key] != actual[name][key]:
                lines.append(f"{name}.{key}: database {expected[name][key]!r}, "
                             f"tables.py {actual[name][key]!r}")
    return lines


def test_metadata_equals_the_migrated_schema(pg_dsn: str) -> None:
    engine = engine_for(pg_dsn)
    with engine.connect() as conn:
        reflected = generate.describe(generate.reflect(conn))
    engine.dispose()
    problems = _differences(reflected, generate.describe(tables.metadata))
    assert not problems, REGENERATE + ":\n  " + "\n  ".join(problems[:30])
    # every relation of the module is in its one MetaData, the report views among them
    assert {"report_queue_interval", "report_queue_daily", "report_agent_daily",
            "report_abandon_curve", "report_service_level_curve", "report_ours_vs_pbx",
            "queue_calls", "pbx_sites"} <= set(tables.metadata.tables)
    assert tables.metadata.tables["report_queue_daily"].info["kind"] == "view"
    assert tables.metadata.tables["queue_calls"].info["kind"] == "table"
    assert "queuepulse_migrations" not in tables.metadata.tables


def test_the_generator_writes_and_checks(pg_dsn: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tables.py"
    assert generate.main(["--dsn", pg_dsn, "--output", str(out)]) == 0
    assert out.read_text() == generate.TABLES_MODULE.read_text()
    assert generate.main(["--dsn", pg_dsn, "--output", str(out), "--check"]) == 0
    out.write_text(out.read_text().replace("nullable=False", "nullable=True", 1))
    assert generate.main(["--dsn", pg_dsn, "--output", str(out), "--check"]) == 1
    assert "out of date: run python -m queuepulse.analytics.generate" in capsys.readouterr().err
