"""Every dependency pyproject.toml declares is used: imported by some file of queuepulse/,
flows/, tests/ or benchmarks/, or on a short allow-list that says why it is needed without an
import. And each one is pinned in constraints.txt (the versions the tests passed with)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("queuepulse", "flows", "tests", "benchmarks")

# Distribution name -> the module it is imported as, where the two differ beyond '-' vs '_'.
MODULE_OF = {
    "pyyaml": "yaml",
    "3cx-xapi-python-sdk": "threecx",
}

# Needed, yet imported by none of our files: the reason.
NOT_IMPORTED = {
    "sniffio": "httpcore imports it when present; without it httpcore retries a failed import "
               "on every async request (bench_client measures the difference)",
    "python-multipart": "starlette's Request.form() imports it to parse multipart bodies: the "
                        "simulator's POST /connect/token accepts them as 3CX does",
    "pytest-asyncio": "a pytest plugin (asyncio_mode = auto) that runs the async tests",
    "ruff": "the linter (a tool run by scripts/test.sh, never imported)",
    "mypy": "the type checker (a tool, never imported)",
    "types-pyyaml": "type stubs of PyYAML for mypy",
}

# Declared, but not installed by scripts/setup.sh (pip install -e '.[dev]'): not pinned.
NOT_IN_THE_TESTED_VENV = {
    "3cx-xapi-python-sdk": "the bench extra: the official SDK bench_client.py compares with",
}


def _name(requirement: str) -> str:
    """``psycopg[binary]>=3.2`` -> ``psycopg``; names normalised (lower case, '-')."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[._-]+", "-", match.group(1)).lower()


def _declared() -> dict[str, str]:
    """Every declared dependency (required and every extra) -> where it is declared."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r): "dependencies" for r in project["dependencies"]}
    for extra, requirements in project["optional-dependencies"].items():
        for requirement in requirements:
            declared.setdefault(_name(requirement), f"optional-dependencies.{extra}")
    return declared


def _imported_modules() -> set[str]:
    modules: set[str] = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return modules


def test_every_declared_dependency_is_imported_or_says_why_not() -> None:
    declared = _declared()
    imported = _imported_modules()
    unused = []
    for name, where in sorted(declared.items()):
        if name in NOT_IMPORTED:
            continue
        module = MODULE_OF.get(name, name.replace("-", "_"))
        if module not in imported:
            unused.append(f"{name} ({where}; module {module})")
    assert not unused, (
        "declared in pyproject.toml but imported nowhere in " + ", ".join(SOURCE_DIRS)
        + ": " + "; ".join(unused) + ". Use it, or drop it from pyproject.toml and "
        "constraints.txt (or, if it is needed without an import, add it to NOT_IMPORTED "
        "with the reason)")


def test_the_lists_name_declared_dependencies_only() -> None:
    declared = _declared()
    assert set(NOT_IMPORTED) <= set(declared), set(NOT_IMPORTED) - set(declared)
    assert set(MODULE_OF) <= set(declared), set(MODULE_OF) - set(declared)


def test_every_declared_dependency_is_pinned() -> None:
    pinned = {_name(line.partition("==")[0])
              for line in (ROOT / "constraints.txt").read_text().splitlines()
              if line and not line.startswith("#")}
    missing = sorted(set(_declared()) - pinned - set(NOT_IN_THE_TESTED_VENV))
    assert not missing, f"not pinned in constraints.txt: {missing}"
