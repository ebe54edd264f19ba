"""Shared helpers of the simulator tests: configs, a token, OpenAPI response validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig

SHARED = Path(__file__).resolve().parents[3] / "shared" / "xapi"
SPEC_PATH = SHARED / "queue-subset.json"
SWAGGER_PATH = SHARED / "swagger.yaml"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CLIENT_ID = "queuepulse"
CLIENT_SECRET = "simulator-test-secret"  # explicit: tests never rely on a built-in default
FORM = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "grant_type": "client_credentials"}


def manual_config(**model: Any) -> SimulatorConfig:
    """A manual-clock simulator starting at START with a busy 10-minute warm-up."""
    extra = {k: model.pop(k) for k in list(model) if k in ("faults", "token_ttl_s")}
    defaults: dict[str, Any] = {"queues": 3, "agents": 12, "calls_per_min_per_queue": 3.0}
    defaults.update(model)
    return SimulatorConfig(model=ModelConfig(**defaults), start=START, manual_clock=True,
                           warmup_s=600, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           **extra)


@cache
def _spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def spec() -> dict[str, Any]:
    """The official OpenAPI subset, or skip when ../shared is absent."""
    if not SPEC_PATH.exists():
        pytest.skip(f"OpenAPI document not found at {SPEC_PATH} (needs ../shared beside the repo)")
    return _spec()


def _operation(operation_id: str) -> dict[str, Any]:
    for item in spec()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise AssertionError(f"no operation {operation_id} in the spec")


def response_schema(operation_id: str, status: str = "200") -> dict[str, Any]:
    """The JSON schema of an operation's response, rooted so that $refs resolve."""
    doc = spec()
    resp = _operation(operation_id)["responses"][status]
    if "$ref" in resp:
        resp = doc["components"]["responses"][resp["$ref"].split("/")[-1]]
    schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
    return {**schema, "components": doc["components"]}


def validate(operation_id: str, body: Any, status: str = "200") -> None:
    """Validate a response body against the spec (OpenAPI 3.0 semantics, formats checked)."""
    from jsonschema import FormatChecker
    from openapi_schema_validator import OAS30Validator

    schema = response_schema(operation_id, status)
    OAS30Validator(schema, format_checker=FormatChecker()).validate(body)


def schema_properties(schema_name: str) -> set[str]:
    """Every property name of a component schema (through allOf)."""
    schemas = spec()["components"]["schemas"]

    def walk(name: str) -> set[str]:
        node = schemas[name]
        out: set[str] = set()
        for part in node.get("allOf", [node]):
            if "$ref" in part:
                out |= walk(part["$ref"].split("/")[-1])
            else:
                out |= set(part.get("properties", {}))
        return out

    return walk(schema_name)


@cache
def _swagger() -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.load(SWAGGER_PATH.read_text(encoding="utf-8"),
                                       Loader=yaml.CSafeLoader)
    return loaded


def swagger() -> dict[str, Any]:
    """The FULL official OpenAPI document (swagger.yaml), or skip when ../shared is absent."""
    if not SWAGGER_PATH.exists():
        pytest.skip(f"OpenAPI document not found at {SWAGGER_PATH}")
    return _swagger()


def validate_full(path: str, body: Any, status: str = "200") -> None:
    """Validate a ``GET path`` response body against the FULL official OpenAPI document (for
    the operations outside the subset: ``/OfficeHours``, ``/Defs/TimeZones``)."""
    from jsonschema import FormatChecker
    from openapi_schema_validator import OAS30Validator

    doc = swagger()
    resp = doc["paths"][path]["get"]["responses"][status]
    if "$ref" in resp:
        resp = doc["components"]["responses"][resp["$ref"].split("/")[-1]]
    schema = resp["content"]["application/json"]["schema"]
    OAS30Validator({**schema, "components": doc["components"]},
                   format_checker=FormatChecker()).validate(body)
