"""The schema reference of docs/schema.md, rendered from the database catalogue. Pure.

The database's ``COMMENT ON`` texts (``schema/idempotent/099-comments.sql`` and the migrations)
are the one description of every public table, view and column. :mod:`queuepulse.store.catalogue`
reads them into :class:`Relation` values; :func:`render_reference` turns those into Markdown, and
:func:`splice` puts it between the markers of a document, leaving everything outside them as
written by hand. ``queuepulse db docs`` and a database test use these functions, so the document
and the catalogue never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from queuepulse.errors import QueuepulseError

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "Column",
    "MarkerError",
    "Relation",
    "RelationKind",
    "generated_part",
    "missing_comments",
    "render_reference",
    "splice",
]

RelationKind = Literal["table", "hypertable", "view", "materialized view"]

BEGIN_MARKER = (
    "<!-- BEGIN GENERATED: schema reference (queuepulse db docs -o docs/schema.md); "
    "edit the COMMENT ON texts, not this section -->"
)
END_MARKER = "<!-- END GENERATED: schema reference -->"

_KIND_ORDER: dict[str, int] = {"hypertable": 0, "table": 1, "view": 2, "materialized view": 3}
_SECTION_TITLE: dict[str, str] = {
    "hypertable": "Tables", "table": "Tables", "view": "Views", "materialized view": "Views",
}


class MarkerError(QueuepulseError):
    """A document lacks the generated section's markers, or has them out of order."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column as the catalogue describes it."""

    name: str
    type: str
    nullable: bool | None
    """False for NOT NULL, True otherwise; None for a view's column (views declare none)."""
    comment: str | None


@dataclass(frozen=True, slots=True)
class Relation:
    """One public table or view as the catalogue describes it."""

    name: str
    kind: RelationKind
    comment: str | None
    columns: tuple[Column, ...]
    time_column: str | None = None
    """A hypertable's time (partitioning) column."""
    chunk_interval: str | None = None
    """A hypertable's chunk interval as PostgreSQL prints it (``7 days``)."""


def missing_comments(relations: Iterable[Relation]) -> list[str]:
    """``relation`` and ``relation.column`` names without a (non-blank) comment, in order."""
    out: list[str] = []
    for rel in relations:
        if not (rel.comment or "").strip():
            out.append(rel.name)
        out.extend(f"{rel.name}.{col.name}" for col in rel.columns
                   if not (col.comment or "").strip())
    return out


def _text(value: str | None) -> str:
    """A comment as one line of Markdown text: characters Markdown would read as markup
    escaped, line breaks as spaces."""
    if not value:
        return ""
    out = " ".join(value.split())
    for ch in ("\\", "`", "*", "|", "<", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return out


def _kind_line(rel: Relation) -> str:
    if rel.kind == "hypertable" and rel.time_column:
        chunks = f" (chunks of {rel.chunk_interval})" if rel.chunk_interval else ""
        return f"hypertable on `{rel.time_column}`{chunks}"
    return rel.kind


def _nullable(col: Column) -> str:
    if col.nullable is None:
        return ""
    return "yes" if col.nullable else "no"


def _ordered(relations: Iterable[Relation]) -> list[Relation]:
    return sorted(relations, key=lambda r: (_SECTION_TITLE[r.kind] != "Tables", r.name))


def render_reference(relations: Sequence[Relation]) -> str:
    """The Markdown reference of ``relations``: an index, then per relation its kind, comment
    and a table of its columns (name, type, nullable, comment). Deterministic: relations are
    sorted (tables, then views, each by name); columns keep their catalogue order."""
    ordered = _ordered(relations)
    lines: list[str] = [
        "Generated from the database catalogue (the `COMMENT ON` texts) of a migrated database "
        "on the Apache-licensed build; `\\d+ NAME` in psql shows the same texts. Timestamps "
        "are `timestamptz` instants stored in UTC; `_s` columns are seconds, `_pct` columns "
        "per cent 0..100.",
        "",
        "| relation | kind |",
        "|---|---|",
    ]
    lines.extend(f"| [`{rel.name}`](#{rel.name}) | {_kind_line(rel)} |" for rel in ordered)
    section = ""
    for rel in ordered:
        title = _SECTION_TITLE[rel.kind]
        if title != section:
            section = title
            lines += ["", f"### {title}"]
        lines += [
            "",
            f"#### `{rel.name}`",
            "",
            f"*{_kind_line(rel)}*" + (f" — {_text(rel.comment)}" if rel.comment else ""),
            "",
            "| column | type | nullable | meaning |",
            "|---|---|---|---|",
        ]
        lines.extend(
            f"| `{col.name}` | {_text(col.type)} | {_nullable(col)} | {_text(col.comment)} |"
            for col in rel.columns
        )
    return "\n".join(lines) + "\n"


def _bounds(document: str) -> tuple[int, int]:
    """Offsets of the text between the markers (just after BEGIN's line, at END's start)."""
    begin = document.find(BEGIN_MARKER)
    end = document.find(END_MARKER)
    if begin < 0 or end < 0:
        missing = BEGIN_MARKER if begin < 0 else END_MARKER
        raise MarkerError(
            f"the document has no line {missing!r}: add the BEGIN and END marker lines where "
            "the generated schema reference belongs"
        )
    if document.count(BEGIN_MARKER) > 1 or document.count(END_MARKER) > 1:
        raise MarkerError("the document holds the generated section's markers more than once")
    start = begin + len(BEGIN_MARKER)
    if end < start:
        raise MarkerError("the END marker of the generated schema reference precedes its BEGIN")
    return start, end


def generated_part(document: str) -> str:
    """The text between the markers, without the blank line after BEGIN and before END."""
    start, end = _bounds(document)
    return document[start:end].strip("\n") + "\n"


def splice(document: str, reference: str) -> str:
    """``document`` with the text between its markers replaced by ``reference``."""
    start, end = _bounds(document)
    return document[:start] + "\n\n" + reference.strip("\n") + "\n\n" + document[end:]
