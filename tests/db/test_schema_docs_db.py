"""docs/schema.md's generated Reference section equals the catalogue of a migrated database,
and ``queuepulse db docs`` writes, prints and checks it.

Regenerate the section after a schema or comment change (no database of your own needed):

    QUEUEPULSE_UPDATE_GOLDEN=1 PYTHONPATH=$PWD .venv/bin/python -m pytest tests/db -k golden \\
        -p no:cacheprovider

(this also regenerates tests/db/golden/schema.sql), or against a migrated database:
``queuepulse db docs --dsn DSN -o docs/schema.md``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
import pytest

from queuepulse.cli import main
from queuepulse.store.catalogue import read_relations
from queuepulse.store.schema_docs import (
    BEGIN_MARKER,
    END_MARKER,
    generated_part,
    render_reference,
    splice,
)

pytestmark = pytest.mark.db

SCHEMA_MD = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
REGENERATE = (
    "QUEUEPULSE_UPDATE_GOLDEN=1 PYTHONPATH=$PWD .venv/bin/python -m pytest tests/db -k golden "
    "-p no:cacheprovider"
)


def test_schema_md_reference_matches_the_catalogue_golden(
    pg_conn: psycopg.Connection[Any],
) -> None:
    reference = render_reference(read_relations(pg_conn))
    document = SCHEMA_MD.read_text(encoding="utf-8")
    if os.environ.get("QUEUEPULSE_UPDATE_GOLDEN") == "1":
        document = splice(document, reference)
        SCHEMA_MD.write_text(document, encoding="utf-8")
    assert generated_part(document) == reference, (
        "docs/schema.md's generated Reference section differs from the database's comments; "
        f"regenerate it: {REGENERATE} (or queuepulse db docs --dsn DSN -o docs/schema.md "
        "against a migrated database)"
    )


def _doc(tmp_path: Path, middle: str = "OUTDATED TEXT\n") -> Path:
    path = tmp_path / "schema.md"
    path.write_text(f"# Title\n\nhand-written\n\n{BEGIN_MARKER}\n{middle}{END_MARKER}\n\nend\n",
                    encoding="utf-8")
    return path


def test_db_docs_writes_checks_and_prints_the_reference(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = _doc(tmp_path)
    assert main(["db", "docs", "--dsn", pg_dsn, "-o", str(path), "--check"]) == 1
    assert "queuepulse db docs -o" in capsys.readouterr().out
    assert "OUTDATED TEXT" in path.read_text(encoding="utf-8")  # --check wrote nothing

    assert main(["db", "docs", "--dsn", pg_dsn, "-o", str(path)]) == 0
    assert "schema reference written" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nhand-written\n\n")
    assert text.endswith("\n\nend\n")
    assert "OUTDATED TEXT" not in text
    assert "#### `queue_calls`" in text
    assert "| `entered_at` | timestamp with time zone | no |" in text

    assert main(["db", "docs", "--dsn", pg_dsn, "-o", str(path), "--check"]) == 0
    assert "current" in capsys.readouterr().out

    assert main(["db", "docs", "--dsn", pg_dsn]) == 0
    printed = capsys.readouterr().out
    assert printed == generated_part(text)


def test_db_docs_reads_as_the_reader_role(
    pg_reader_dsn: str, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["db", "docs", "--dsn", pg_reader_dsn]) == 0
    assert "#### `queue_kpi_1m`" in capsys.readouterr().out


def test_db_docs_refuses_a_database_that_is_not_migrated(
    pg_empty_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["db", "docs", "--dsn", pg_empty_dsn]) == 2
    err = capsys.readouterr().err
    assert "not up to date" in err
    assert "queuepulse db upgrade" in err


def test_db_docs_user_errors_are_one_line_exit_2(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    no_markers = tmp_path / "plain.md"
    no_markers.write_text("# nothing generated here\n", encoding="utf-8")
    assert main(["db", "docs", "--dsn", pg_dsn, "-o", str(no_markers)]) == 2
    assert "BEGIN GENERATED: schema reference" in capsys.readouterr().err
    assert no_markers.read_text(encoding="utf-8") == "# nothing generated here\n"

    assert main(["db", "docs", "--dsn", pg_dsn, "--check"]) == 2
    assert "-o FILE" in capsys.readouterr().err

    assert main(["db", "docs", "--dsn", pg_dsn, "-o", str(tmp_path / "missing.md")]) == 2
    assert "cannot read" in capsys.readouterr().err
