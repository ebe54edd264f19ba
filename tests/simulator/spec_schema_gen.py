"""Render ``queuepulse/simulator/spec_schemas.py`` from the official OpenAPI subset: the closure
of the component schemas the simulator validates write bodies against."""

from __future__ import annotations

import json
from typing import Any

ROOTS = ("Pbx.Queue", "Pbx.User")
HEADER = '''"""Component schemas of the XAPI entities the simulator accepts writes of
(``Pbx.Queue`` for CreateQueue/UpdateQueue, ``Pbx.User`` for UpdateUser) and everything they
reference, exactly as 3CX's official OpenAPI document declares them (descriptions removed).
Generated: the simulator tests regenerate it and fail when it drifts from the document.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMAS: dict[str, Any] = json.loads(
'''


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                out.add(str(value).split("/")[-1])
            else:
                _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def closure(schemas: dict[str, Any], roots: tuple[str, ...]) -> dict[str, Any]:
    """``roots`` and every schema they reference, sorted by name."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found: set[str] = set()
        _refs(schemas[name], found)
        todo.extend(found)
    return {name: schemas[name] for name in sorted(seen)}


def render(schemas: dict[str, Any]) -> str:
    """The module's source text."""
    body = json.dumps(closure(schemas, ROOTS), indent=1, sort_keys=True)
    return HEADER + "    r\"\"\"" + body + "\"\"\"\n)\n"
