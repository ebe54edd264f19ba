"""Released incremental migrations are frozen: schema/released.sha256 holds their hashes.

The runner refuses a changed file only on a database that already applied it; this catches the
edit in CI, before any database sees it. A new incremental file is released by adding its line:

    (cd schema && sha256sum incremental/NNN-name.sql >> released.sha256)
"""

from __future__ import annotations

import hashlib

import pytest

from queuepulse.store.migrations import default_schema_dir, load_migrations

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
