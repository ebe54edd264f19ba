"""The queues file: YAML in, :class:`QueueConfig` out, every problem with its line; and back.

```yaml
queues:
  - number: "800"          # the queue's extension number (a string: quote it)
    name: Sales
    polling_strategy: RingAll
    sla_time: 20
    agents:                 # members by extension number; a mapping adds a skill group
      - "1000"
      - {number: "1001", skill_group: B}
    managers: ["1000"]
```

:func:`parse_queue_file` reads the whole file and reports every problem at once (unknown keys,
wrong types, duplicate queue numbers or members), each as ``file:line: where: what``; nothing is
returned to apply unless the list is empty. :func:`check_agents` adds the unknown-extension
check once the PBX's users are known. :func:`dump_queue_file` writes the stable form ``export``
produces: fields in a fixed order, queues by number, members by number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from queuepulse.domain.queue_config import (
    FIELD_BY_KEY,
    FIELDS,
    MEMBER_KEYS,
    FieldSpec,
    Member,
    QueueConfig,
)

_INT32 = (-(2**31), 2**31 - 1)
_QUEUE_KEYS = ("number", *(f.key for f in FIELDS), *MEMBER_KEYS)


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One problem of a queues file, at a 1-based line."""

    filename: str
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class QueueFile:
    """A parsed queues file: the queues and where each was declared (number -> line)."""

    queues: tuple[QueueConfig, ...]
    lines: dict[str, int]
    member_lines: dict[tuple[str, str, str], int]
    """(queue number, ``agents``/``managers``, extension) -> line of every member named, for
    the checks against the PBX's users (made even when the list has other problems)."""


class _Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[FileProblem] = []

    def bad(self, node: Node, where: str, message: str) -> None:
        self.problems.append(FileProblem(self.filename, node.start_mark.line + 1, where, message))

    def scalar(self, node: Node) -> Any:
        """The scalar's value with YAML's standard types."""
        return yaml.safe_load(yaml.serialize(node)) if isinstance(node, ScalarNode) else None

    def mapping(self, node: Node, where: str, allowed: Sequence[str]) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.bad(node, where, f"expected a mapping with keys {', '.join(allowed)}")
            return None
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node)
            if not isinstance(key, str):
                self.bad(key_node, where, f"keys must be names, got {key!r}")
                continue
            if key in out:
                self.bad(key_node, f"{where}.{key}", "given twice")
                continue
            if key not in allowed:
                hint = _closest(key, allowed)
                self.bad(key_node, f"{where}.{key}", "unknown key" + (
                    f" (did you mean {hint}?)" if hint else f"; known: {', '.join(allowed)}"))
                continue
            out[key] = value_node
        return out

    def number(self, node: Node, where: str) -> str | None:
        value = self.scalar(node)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            self.bad(node, where, f"extension numbers are strings: quote it (\"{value}\")")
        else:
            self.bad(node, where, f"expected an extension number (a quoted string), got "
                                  f"{_show(value)}")
        return None

    def field(self, spec: FieldSpec, node: Node, where: str) -> tuple[bool, Any]:
        if spec.kind == "enum_list":
            if not isinstance(node, SequenceNode):
                self.bad(node, where, f"expected a list of {', '.join(spec.choices)}")
                return False, None
            items = []
            ok = True
            for i, item in enumerate(node.value):
                value = self.scalar(item)
                if value not in spec.choices:
                    self.bad(item, f"{where}[{i}]", f"{_show(value)} is not one of "
                                                    f"{', '.join(spec.choices)}")
                    ok = False
                elif value in items:
                    self.bad(item, f"{where}[{i}]", f"{value} is listed twice")
                    ok = False
                else:
                    items.append(value)
            return ok, items
        value = self.scalar(node)
        if not isinstance(node, ScalarNode):
            self.bad(node, where, f"expected {_kind_text(spec)}, got a "
                                  f"{'list' if isinstance(node, SequenceNode) else 'mapping'}")
            return False, None
        if value is None:
            return True, None
        if spec.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.bad(node, where, f"expected {_kind_text(spec)}, got {_show(value)}")
                return False, None
            if not _INT32[0] <= value <= _INT32[1]:
                self.bad(node, where, f"{value} is out of range (32-bit integer)")
                return False, None
        elif spec.kind == "bool" and not isinstance(value, bool):
            self.bad(node, where, f"expected true or false, got {_show(value)}")
            return False, None
        elif spec.kind == "str" and not isinstance(value, str):
            self.bad(node, where, f"expected text, got {_show(value)} (quote it)")
            return False, None
        elif spec.kind == "enum" and value not in spec.choices:
            hint = _closest(str(value), spec.choices)
            self.bad(node, where, f"{_show(value)} is not one of {', '.join(spec.choices)}"
                     + (f" (did you mean {hint}?)" if hint else ""))
            return False, None
        return True, value

    def agents(self, node: Node, where: str, queue: str,
               lines: dict[tuple[str, str, str], int]) -> tuple[Member, ...] | None:
        if not isinstance(node, SequenceNode):
            self.bad(node, where, "expected a list of extension numbers")
            return None
        members: list[Member] = []
        seen: set[str] = set()
        ok = True
        for i, item in enumerate(node.value):
            at = f"{where}[{i}]"
            skill = None
            if isinstance(item, MappingNode):
                keys = self.mapping(item, at, ("number", "skill_group"))
                if keys is None or "number" not in keys:
                    if keys is not None:
                        self.bad(item, at, "number is required")
                    ok = False
                    continue
                number = self.number(keys["number"], f"{at}.number")
                if "skill_group" in keys:
                    raw = self.scalar(keys["skill_group"])
                    if raw is not None and not isinstance(raw, str | int):
                        self.bad(keys["skill_group"], f"{at}.skill_group",
                                 f"expected text, got {_show(raw)}")
                        ok = False
                    skill = str(raw) if raw is not None else None
            else:
                number = self.number(item, at)
            if number is None:
                ok = False
                continue
            if number in seen:
                self.bad(item, at, f"extension {number} is listed twice")
                ok = False
                continue
            seen.add(number)
            lines[(queue, "agents", number)] = item.start_mark.line + 1
            members.append(Member(number, skill))
        return tuple(members) if ok else None

    def managers(self, node: Node, where: str, queue: str,
                 lines: dict[tuple[str, str, str], int]) -> tuple[str, ...] | None:
        if not isinstance(node, SequenceNode):
            self.bad(node, where, "expected a list of extension numbers")
            return None
        out: list[str] = []
        ok = True
        for i, item in enumerate(node.value):
            number = self.number(item, f"{where}[{i}]")
            if number is None:
                ok = False
            elif number in out:
                self.bad(item, f"{where}[{i}]", f"extension {number} is listed twice")
                ok = False
            else:
                lines.setdefault((queue, "managers", number), item.start_mark.line + 1)
                out.append(number)
        return tuple(out) if ok else None


def parse_queue_file(text: str, filename: str) -> tuple[QueueFile, list[FileProblem]]:
    """The file's queues and every problem found (an empty list means it is valid)."""
    reader = _Reader(filename)
    empty = QueueFile((), {}, {})
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return empty, [FileProblem(filename, line, "file", f"not valid YAML: {problem}")]
    if root is None:
        return empty, [FileProblem(filename, 1, "file", "is empty; expected 'queues: [...]'")]
    top = reader.mapping(root, "file", ("queues",))
    if top is None:
        return empty, reader.problems
    if "queues" not in top:
        reader.bad(root, "file", "has no 'queues' list")
        return empty, reader.problems
    seq = top["queues"]
    if not isinstance(seq, SequenceNode):
        reader.bad(seq, "queues", "expected a list of queues")
        return empty, reader.problems
    queues: list[QueueConfig] = []
    lines: dict[str, int] = {}
    member_lines: dict[tuple[str, str, str], int] = {}
    for i, qnode in enumerate(seq.value):
        where = f"queues[{i}]"
        keys = reader.mapping(qnode, where, _QUEUE_KEYS)
        if keys is None:
            continue
        if "number" not in keys:
            reader.bad(qnode, where, "number is required (the queue's extension number)")
            continue
        number = reader.number(keys["number"], f"{where}.number")
        if number is None:
            continue
        label = f"queue {number}"
        if number in lines:
            reader.bad(keys["number"], f"{where}.number",
                       f"queue {number} is declared twice (first at line {lines[number]})")
            continue
        lines[number] = qnode.start_mark.line + 1
        values: dict[str, Any] = {}
        for spec in FIELDS:
            if spec.key in keys:
                ok, value = reader.field(spec, keys[spec.key], f"{label}.{spec.key}")
                if ok:
                    values[spec.key] = value
        agents = (reader.agents(keys["agents"], f"{label}.agents", number, member_lines)
                  if "agents" in keys else None)
        managers = (reader.managers(keys["managers"], f"{label}.managers", number, member_lines)
                    if "managers" in keys else None)
        queues.append(QueueConfig(number, values, agents, managers))
    problems = sorted(reader.problems, key=lambda p: p.line)
    return QueueFile(tuple(queues), lines, member_lines), problems


def check_agents(parsed: QueueFile, known: Iterable[str], filename: str) -> list[FileProblem]:
    """A problem for every member or manager that is not an extension of the PBX."""
    users = set(known)
    return [
        FileProblem(filename, line, f"queue {queue}.{kind}",
                    f"extension {number} is not a user of this PBX")
        for (queue, kind, number), line in parsed.member_lines.items()
        if number not in users
    ]


def dump_queue_file(queues: Iterable[QueueConfig], header: str = "") -> str:
    """The YAML text of ``queues``: sorted by number, fields in :data:`FIELDS` order."""
    rows: list[dict[str, Any]] = []
    for q in sorted(queues, key=lambda c: _number_key(c.number)):
        row: dict[str, Any] = {"number": q.number}
        for spec in FIELDS:
            if spec.key in q.values:
                value = q.values[spec.key]
                row[spec.key] = sorted(value) if spec.kind == "enum_list" and value else value
        if q.agents is not None:
            row["agents"] = [
                {"number": m.number, "skill_group": m.skill_group} if m.skill_group else m.number
                for m in sorted(q.agents, key=lambda m: _number_key(m.number))
            ]
        if q.managers is not None:
            row["managers"] = sorted(q.managers, key=_number_key)
        rows.append(row)
    body = yaml.dump({"queues": rows}, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
    return header + body


class _Dumper(yaml.SafeDumper):
    """Indents lists under their key and quotes every string YAML would read back as
    something else (extension numbers)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if data.isdigit() or data == "" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def _number_key(number: str) -> tuple[int, int, str]:
    return (0, int(number), number) if number.isdigit() else (1, 0, number)


def _kind_text(spec: FieldSpec) -> str:
    return {"int": "a whole number", "bool": "true or false", "str": "text",
            "enum": "one of " + ", ".join(spec.choices)}.get(spec.kind, spec.kind)


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {value!r}" if not isinstance(value, str) else repr(value)


def _closest(word: str, choices: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


__all__ = ["FIELD_BY_KEY", "FileProblem", "QueueFile", "check_agents", "dump_queue_file",
           "parse_queue_file"]
