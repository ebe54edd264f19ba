"""The schema reference renderer (catalogue rows -> Markdown) and the marker splice."""

from __future__ import annotations

import pytest

from queuepulse.store.schema_docs import (
    BEGIN_MARKER,
    END_MARKER,
    Column,
    MarkerError,
    Relation,
    generated_part,
    missing_comments,
    render_reference,
    splice,
)

pytestmark = pytest.mark.unit

CALLS = Relation(
    name="queue_calls", kind="hypertable", comment="One row per queue visit.",
    columns=(
        Column("pbx_id", "text", False, "The PBX."),
        Column("wait_s", "double precision", True, "Seconds waited; NULL while waiting."),
    ),
    time_column="entered_at", chunk_interval="1 day",
)
LEDGER = Relation(
    name="ledger", kind="table", comment="The migration ledger.",
    columns=(Column("name", "text", False, "File name."),),
)
NOW = Relation(
    name="queue_now", kind="view", comment="Per queue: a | b * c <Id> [x]\nsecond line",
    columns=(Column("age_s", "double precision", None, "|x - y| in seconds"),),
)


def test_renders_an_index_then_tables_then_views_each_by_name() -> None:
    text = render_reference([NOW, LEDGER, CALLS])
    assert text == render_reference([CALLS, NOW, LEDGER])  # input order does not matter
    order = [text.index(h) for h in ("### Tables", "#### `ledger`", "#### `queue_calls`",
                                     "### Views", "#### `queue_now`")]
    assert order == sorted(order)
    assert "| [`queue_calls`](#queue_calls) | hypertable on `entered_at` (chunks of 1 day) |" \
        in text
    assert "| [`queue_now`](#queue_now) | view |" in text
    assert text.endswith("\n")
    assert not text.endswith("\n\n")


def test_a_relation_has_its_kind_comment_and_a_column_table() -> None:
    text = render_reference([CALLS])
    assert ("#### `queue_calls`\n\n*hypertable on `entered_at` (chunks of 1 day)* — One row per "
            "queue visit.\n\n| column | type | nullable | meaning |\n|---|---|---|---|\n"
            "| `pbx_id` | text | no | The PBX. |\n"
            "| `wait_s` | double precision | yes | Seconds waited; NULL while waiting. |\n") in text


def test_markdown_markup_in_comments_is_escaped_and_views_leave_nullable_empty() -> None:
    text = render_reference([NOW])
    assert "— Per queue: a \\| b \\* c \\<Id> \\[x\\] second line" in text
    assert "| `age_s` | double precision |  | \\|x - y\\| in seconds |" in text


def test_missing_comments_names_relations_and_columns() -> None:
    bare = Relation("bare", "table", "  ", (Column("a", "int", True, None),
                                            Column("b", "int", True, "B.")))
    assert missing_comments([CALLS, bare, NOW]) == ["bare", "bare.a"]
    assert missing_comments([CALLS, LEDGER]) == []


def test_splice_replaces_only_the_text_between_the_markers() -> None:
    doc = f"# Schema\n\nprose\n\n{BEGIN_MARKER}\nold\nold too\n{END_MARKER}\n\nmore prose\n"
    new = splice(doc, "NEW\n")
    assert new == f"# Schema\n\nprose\n\n{BEGIN_MARKER}\n\nNEW\n\n{END_MARKER}\n\nmore prose\n"
    assert generated_part(new) == "NEW\n"
    assert splice(new, "NEW\n") == new  # idempotent


@pytest.mark.parametrize(("doc", "message"), [
    ("no markers at all\n", "BEGIN GENERATED"),
    (f"{BEGIN_MARKER}\nonly the start\n", "END GENERATED"),
    (f"{END_MARKER}\n{BEGIN_MARKER}\n", "precedes"),
    (f"{BEGIN_MARKER}\n{END_MARKER}\n{BEGIN_MARKER}\n{END_MARKER}\n", "more than once"),
])
def test_a_document_without_sound_markers_is_refused(doc: str, message: str) -> None:
    with pytest.raises(MarkerError, match=message):
        splice(doc, "x\n")
