"""Request-body validation of the simulated PBX's write operations against the component schemas
of 3CX's official OpenAPI document (:mod:`queuepulse.simulator.spec_schemas`).

OpenAPI 3.0 semantics as the document uses them: ``allOf`` of ``$ref`` (inheritance and nullable
references), ``nullable``, ``type`` (string, integer with int32 bounds, number, boolean, array,
object), string ``enum`` and ``pattern``. A property the schema does not declare is refused, as
an OData service refuses an unknown property. Every problem is reported, each with its JSON path
as the OData error detail's ``target``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from queuepulse.simulator.odata import ODataError
from queuepulse.simulator.spec_schemas import SCHEMAS

_TYPE_NAMES = {
    "string": "a string", "integer": "an integer", "number": "a number",
    "boolean": "a boolean", "array": "an array", "object": "an object",
}


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _resolve(node: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema behind ``node`` (following a lone ``$ref`` or ``allOf: [$ref]``) and whether
    ``node`` allows null."""
    nullable = bool(node.get("nullable"))
    while True:
        if "$ref" in node:
            node = SCHEMAS[node["$ref"].split("/")[-1]]
        elif "allOf" in node and len(node["allOf"]) == 1 and "properties" not in node:
            node = node["allOf"][0]
        else:
            return node, nullable or bool(node.get("nullable"))


def object_properties(name: str) -> dict[str, Any]:
    """Every declared property of component schema ``name`` (through ``allOf`` inheritance)."""
    return _properties(SCHEMAS[name])


def _properties(node: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for part in node.get("allOf", []):
        target, _ = _resolve(part)
        props.update(_properties(target))
    props.update(node.get("properties", {}))
    return props


def _check(value: Any, node: dict[str, Any], path: str, errors: list[tuple[str, str]]) -> None:
    schema, nullable = _resolve(node)
    if value is None:
        if not nullable:
            errors.append((path, f"{path} must not be null"))
        return
    kind = schema.get("type")
    if kind is None and ("allOf" in schema or "properties" in schema):
        kind = "object"
    title = schema.get("title")
    where = f" ({title})" if title else ""
    if kind == "object":
        if not isinstance(value, dict):
            errors.append((path, f"{path} must be an object{where}"))
            return
        props = _properties(schema)
        for key, item in value.items():
            sub = f"{path}.{key}" if path else key
            if key not in props:
                errors.append((sub, f"{sub} is not a property of {title or 'this object'}"))
                continue
            _check(item, props[key], sub, errors)
        return
    if kind == "array":
        if not isinstance(value, list):
            errors.append((path, f"{path} must be an array"))
            return
        for i, item in enumerate(value):
            _check(item, schema.get("items", {}), f"{path}[{i}]", errors)
        return
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }.get(str(kind), True)
    if not ok:
        errors.append((path, f"{path} must be {_TYPE_NAMES.get(str(kind), kind)}{where}, "
                             f"got {type(value).__name__} {value!r}"))
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append((path, f"{path}: {value!r} is not a member of {title or 'the enum'} "
                             f"({', '.join(map(str, schema['enum']))})"))
    if "pattern" in schema and isinstance(value, str) and not _pattern(schema["pattern"]).search(
            value):
        errors.append((path, f"{path}: {value!r} does not match {schema['pattern']}"))
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if kind == "integer" and ((lo is not None and value < lo) or (hi is not None and value > hi)):
        errors.append((path, f"{path}: {value} is out of range {lo}..{hi}"))


def body_errors(body: Any, schema_name: str) -> list[tuple[str, str]]:
    """Every ``(target, message)`` problem of ``body`` as an instance of ``schema_name``."""
    errors: list[tuple[str, str]] = []
    if not isinstance(body, dict):
        return [("", f"the request body must be a JSON object ({schema_name})")]
    _check(body, {"$ref": f"#/components/schemas/{schema_name}"}, "", errors)
    return errors


def validate_body(body: Any, schema_name: str) -> dict[str, Any]:
    """``body`` when it is a valid ``schema_name``; else an OData 400 naming every field."""
    errors = body_errors(body, schema_name)
    if errors:
        raise ODataError(400, "BadRequest", errors[0][1], target=errors[0][0] or None,
                         details=errors)
    assert isinstance(body, dict)
    return body
