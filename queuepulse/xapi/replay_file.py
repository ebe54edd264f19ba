"""The JSON Lines replay format: writing (rotating files) and reading.

One JSON object per line::

    {"kind": "active_calls" | "queues" | "users" | "presence", "pbx_id": "...",
     "received_at": "<ISO-8601>", "body": <the raw XAPI response body>}

``body`` is the response exactly as received; nothing is validated when writing, and a replay
reads it with the live flow's own parsers. A Queues/Users fetch is written as a ``queues`` line
directly followed by its ``users`` line.
``queuepulse record`` writes it with :class:`RotatingJsonlWriter` (files ``<prefix>-00001.jsonl``,
``-00002``, ... rotated by size and/or line count, never overwriting an existing file);
``queuepulse replay`` reads it with :func:`iter_replay`, from one file or from a directory of
rotated files in name order (``.jsonl`` and ``.jsonl.gz``).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from queuepulse.domain.inputs import check_identifier, sane_datetime
from queuepulse.xapi.errors import ReplayFormatError, excerpt

KINDS = ("active_calls", "queues", "users", "presence")
#: Deepest JSON nesting a Queues/Users body may have (real ones have 3 levels).
MAX_BODY_DEPTH = 32


@dataclass(frozen=True)
class ReplayRecord:
    """One captured XAPI response."""

    kind: str
    pbx_id: str
    received_at: datetime
    body: Any

    def to_line(self) -> str:
        """The record as one JSON line (with the trailing newline)."""
        body = json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return format_line(self.kind, self.pbx_id, self.received_at, body).decode("utf-8")


def format_line(kind: str, pbx_id: str, received_at: datetime, body_json: bytes) -> bytes:
    """One replay line around a body that is already JSON, spliced in byte for byte.

    Line breaks in ``body_json`` become spaces: valid JSON holds them only as whitespace
    between tokens (inside strings they are escaped), so the document means the same and the
    line stays one line. ``body_json`` must be valid JSON (the client has parsed it).
    """
    head = json.dumps(
        {"kind": kind, "pbx_id": pbx_id, "received_at": received_at.isoformat()},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    body = body_json.strip().replace(b"\r", b" ").replace(b"\n", b" ")
    return head[:-1] + b',"body":' + body + b"}\n"


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists/objects deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def parse_line(line: str | bytes, where: str = "<line>") -> ReplayRecord:
    """Parse one replay line; :class:`ReplayFormatError` says where and what is wrong.

    The line is checked as it enters: valid UTF-8, JSON nested no deeper than the interpreter
    can take (a Queues/Users body at most :data:`MAX_BODY_DEPTH` levels), a ``pbx_id`` of 1 to
    64 printable characters and a ``received_at`` between 2000 and 2100.
    """
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReplayFormatError(
                f"{where}: not UTF-8 (byte {exc.start}: {exc.reason})") from None
    try:
        doc = json.loads(line)
    except RecursionError:
        raise ReplayFormatError(f"{where}: JSON nested too deeply") from None
    except ValueError as exc:
        raise ReplayFormatError(f"{where}: not JSON ({exc}): {excerpt(line)}") from None
    if not isinstance(doc, dict):
        raise ReplayFormatError(f"{where}: expected a JSON object, got {type(doc).__name__}")
    missing = [k for k in ("kind", "pbx_id", "received_at", "body") if k not in doc]
    if missing:
        raise ReplayFormatError(f"{where}: missing {', '.join(missing)}: {excerpt(line)}")
    kind = doc["kind"]
    if kind not in KINDS:
        raise ReplayFormatError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    problem = check_identifier(doc["pbx_id"])
    if problem is not None:
        raise ReplayFormatError(f"{where}: {problem}")
    raw_at = doc["received_at"]
    try:
        if not isinstance(raw_at, str) or len(raw_at) > 40:
            raise ValueError(raw_at)
        received_at = datetime.fromisoformat(raw_at.replace("Z", "+00:00"))
    except ValueError:
        raise ReplayFormatError(
            f"{where}: received_at {excerpt(str(raw_at)[:40])} is not an ISO-8601 date-time"
        ) from None
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=UTC)
    if sane_datetime(received_at) is None:
        raise ReplayFormatError(f"{where}: received_at {raw_at} is outside 2000-2100")
    if kind != "active_calls" and _depth_exceeds(doc["body"], MAX_BODY_DEPTH):
        raise ReplayFormatError(f"{where}: {kind} body nested deeper than {MAX_BODY_DEPTH}")
    return ReplayRecord(kind=kind, pbx_id=doc["pbx_id"], received_at=received_at, body=doc["body"])


def replay_files(path: str | Path) -> list[Path]:
    """The files a replay path stands for: the file itself, or a directory's files by name."""
    p = Path(path)
    if p.is_dir():
        files = sorted(
            f for f in p.iterdir() if f.is_file() and f.name.endswith((".jsonl", ".jsonl.gz"))
        )
        if not files:
            raise ReplayFormatError(f"{p}: directory holds no .jsonl or .jsonl.gz files")
        return files
    if not p.exists():
        raise ReplayFormatError(f"{p}: no such replay file or directory")
    return [p]


def check_replay(path: str | Path) -> list[Path]:
    """:func:`replay_files`, each checked to be a recording: its first non-blank line must be
    a replay record. A file that is not (a log, a CSV, binary data, an empty file) is a
    :class:`ReplayFormatError` naming it, so a replay of the wrong file stops before it starts
    instead of skipping every line."""
    files = replay_files(path)
    for file in files:
        try:
            with _open_binary(file) as handle:
                first = next((line for line in handle if line.strip()), None)
        except (OSError, EOFError) as exc:
            raise ReplayFormatError(
                f"{file} is not a queuepulse recording (cannot read it as UTF-8 JSON Lines: "
                f"{exc}); record one with `queuepulse record`"
            ) from None
        if first is None:
            raise ReplayFormatError(f"{file} holds no records (empty recording)")
        try:
            parse_line(first, f"{file}:1")
        except ReplayFormatError as exc:
            raise ReplayFormatError(
                f"{file} is not a queuepulse recording: its first line is not a replay record "
                f"({exc}); record one with `queuepulse record`"
            ) from None
    return files


def _open_binary(path: Path) -> IO[bytes]:
    # bytes: a line that is not UTF-8 is one bad line, not the end of the file
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def iter_replay(
    path: str | Path, on_bad_line: Callable[[ReplayFormatError], None] | None = None
) -> Iterator[ReplayRecord]:
    """Yield every record of a replay file (or directory of rotated files), in order.

    Blank lines are skipped; a bad line raises :class:`ReplayFormatError` naming file and line,
    or, with ``on_bad_line``, is handed to it and skipped (the same lines every time, so record
    positions stay stable for a resumed replay). A last line cut short by a crash (no trailing
    newline, not JSON) is skipped, not an error.
    """
    for file in replay_files(path):
        with _open_binary(file) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{file}:{number}"
                if line.endswith(b"\n"):
                    try:
                        parsed = parse_line(line, where)
                    except ReplayFormatError as exc:
                        if on_bad_line is None:
                            raise
                        on_bad_line(exc)
                        continue
                    yield parsed
                    continue
                # Only the last line can lack its newline: a recorder killed mid-write.
                try:
                    record = parse_line(line, where)
                except ReplayFormatError:
                    continue
                yield record


_INDEX = re.compile(r"-(\d{5,})\.jsonl$")


class RotatingJsonlWriter:
    """Append replay records to ``<directory>/<prefix>-NNNNN.jsonl``, rotating by size/lines.

    A new file starts when the current one would pass ``max_bytes`` or holds ``max_lines``
    lines (``None`` = no limit). Numbering continues after the highest existing file, so a
    second recording into the same directory never overwrites the first.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        prefix: str = "xapi",
        max_bytes: int | None = 64 * 1024 * 1024,
        max_lines: int | None = None,
    ) -> None:
        if max_bytes is not None and max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {max_bytes}")
        if max_lines is not None and max_lines < 1:
            raise ValueError(f"max_lines must be >= 1, got {max_lines}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.max_lines = max_lines
        existing = [
            int(m.group(1))
            for f in self.directory.glob(f"{prefix}-*.jsonl")
            if (m := _INDEX.search(f.name))
        ]
        self._index = max(existing, default=0)
        self._handle: IO[bytes] | None = None
        self._bytes = 0
        self._lines = 0
        self.files: list[Path] = []
        self.bytes_written = 0
        self.records_written = 0

    @property
    def current(self) -> Path | None:
        """The file being written, if any."""
        return self.files[-1] if self._handle is not None else None

    def _rotate(self) -> None:
        self.close()
        self._index += 1
        path = self.directory / f"{self.prefix}-{self._index:05d}.jsonl"
        self._handle = path.open("xb")
        self.files.append(path)
        self._bytes = 0
        self._lines = 0

    def write(self, record: ReplayRecord) -> int:
        """Append one record (flushed, so a crash loses at most the line being written)."""
        return self._append(record.to_line().encode("utf-8"))

    def write_raw(self, kind: str, pbx_id: str, received_at: datetime, body_json: bytes) -> int:
        """Append one record whose body is the response bytes as received (see
        :func:`format_line`): nothing decoded or re-encoded, numbers kept digit for digit."""
        return self._append(format_line(kind, pbx_id, received_at, body_json))

    def _append(self, data: bytes) -> int:
        full = self._handle is None or (
            self._lines > 0
            and (
                (self.max_bytes is not None and self._bytes + len(data) > self.max_bytes)
                or (self.max_lines is not None and self._lines >= self.max_lines)
            )
        )
        if full:
            self._rotate()
        assert self._handle is not None
        self._handle.write(data)
        self._handle.flush()
        self._bytes += len(data)
        self._lines += 1
        self.bytes_written += len(data)
        self.records_written += 1
        return len(data)

    def close(self) -> None:
        """Close the current file (the next write starts a new one)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RotatingJsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
