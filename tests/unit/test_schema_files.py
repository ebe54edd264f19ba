"""Released incremental migrations are frozen: schema/released.sha256 holds their hashes.

The runner refuses a changed file only on a database that already applied it; this catches the
edit in CI, before any database sees it. A new incremental file is released by adding its line:

    (cd schema && sha256sum incremental/NNN-name.sql >> released.sha256)
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from queuepulse.store.migrations import (
    default_schema_dir,
    load_amendments,
    load_migrations,
    split_statements,
)

pytestmark = pytest.mark.unit

MANIFEST = default_schema_dir() / "released.sha256"


def _released() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in MANIFEST.read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        assert name.startswith("incremental/"), line
        assert name not in entries, f"{name} listed twice"
        entries[name.removeprefix("incremental/")] = digest
    return entries


def test_released_migrations_are_unchanged() -> None:
    incremental, _ = load_migrations()
    files = {m.name: m for m in incremental}
    released = _released()
    missing = sorted(set(released) - set(files))
    assert not missing, f"released migrations deleted or renamed: {missing}"
    changed = [
        name
        for name, digest in released.items()
        if hashlib.sha256((default_schema_dir() / "incremental" / name).read_bytes()).hexdigest()
        != digest
    ]
    assert not changed, (
        f"released migrations edited: {changed}; restore them (git checkout) and put the change "
        "in a new numbered file under schema/incremental/"
    )
    # The runner's own hash is the same sha256, so the ledger and the manifest agree.
    assert all(files[name].sha256 == digest for name, digest in released.items())


def test_every_incremental_migration_is_registered() -> None:
    incremental, _ = load_migrations()
    unregistered = [m.name for m in incremental if m.name not in _released()]
    assert not unregistered, (
        f"register {unregistered} in schema/released.sha256 (see this module's docstring)"
    )


def _statements_without_comments(text: str) -> list[str]:
    out = []
    for statement in split_statements(text):
        lines = [ln for ln in statement.splitlines() if not ln.strip().startswith("--")]
        out.append(" ".join(" ".join(lines).split()))
    return out


def _git_versions(path: Path) -> dict[str, str]:
    """sha256 -> text of every committed version of ``path`` (empty outside a git checkout)."""
    root = default_schema_dir().parent
    try:
        commits = subprocess.run(
            ["git", "-C", str(root), "log", "--format=%H", "--", str(path.relative_to(root))],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return {}
    versions: dict[str, str] = {}
    for commit in commits:
        shown = subprocess.run(
            ["git", "-C", str(root), "show", f"{commit}:{path.relative_to(root)}"],
            capture_output=True, check=True, timeout=30,
        ).stdout
        versions[hashlib.sha256(shown).hexdigest()] = shown.decode()
    return versions


def test_amended_migrations_changed_comments_only() -> None:
    amended = load_amendments(default_schema_dir())
    assert amended, "schema/amended.sha256 lists the comment-only edits of released files"
    if not (default_schema_dir().parent / ".git").exists():
        pytest.skip("not a git checkout: the earlier versions cannot be read")
    for name, hashes in amended.items():
        path = default_schema_dir() / "incremental" / name
        versions = _git_versions(path)
        today = _statements_without_comments(path.read_text())
        for digest in hashes:
            assert digest in versions, f"{name}: no committed version has sha256 {digest[:12]}"
            assert _statements_without_comments(versions[digest]) == today, (
                f"{name}: the version {digest[:12]} differs from today's file in more than "
                "comments; amended.sha256 may only list comment-only edits"
            )
