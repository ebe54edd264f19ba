"""What the live flow needs, in one object: where snapshots come from, where rows go, the rules.

``flows.live:get_flow()`` without arguments builds it from the settings
(:class:`queuepulse.settings.Settings`) and a few environment variables the ``run live`` and
``replay`` commands set for ``python -m bytewax.run`` processes:

==================================  =============================================================
``QUEUEPULSE_REPLAY_FILE``          replay this recording instead of polling
``QUEUEPULSE_REPLAY_SPEED``         pace the replay (``2`` = twice as fast as recorded)
``QUEUEPULSE_PBX_FILE``             YAML list of PBX sections (fields of ``settings.pbx``), one
                                    partition each; default: the single ``settings.pbx``
``QUEUEPULSE_KPI_LATENESS_S``       how late a KPI fact may arrive and still correct its bucket
``QUEUEPULSE_RUN_FOR_S``            stop polling after this many seconds (demo, benchmarks)
``QUEUEPULSE_LIVE_NO_SYNC``         ``1``: write no dimension rows (``run sync`` runs separately)
==================================  =============================================================
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from queuepulse.domain.rules import Rules
from queuepulse.errors import ConfigError
from queuepulse.settings import PbxSettings, Settings, load_settings
from queuepulse.store.sites import SiteZone, site_zones

__all__ = ["LiveFlowConfig", "load_pbx_file"]


@dataclass(frozen=True)
class LiveFlowConfig:
    """Everything :func:`flows.live.build_flow` reads.

    Exactly one snapshot source: ``replay`` (a recording) or ``targets`` (PBXs to poll).
    ``dsn=None`` builds the flow without a database sink (tests pass their own sink).
    """

    targets: tuple[PbxSettings, ...] = ()
    replay: Path | None = None
    replay_speed: float | None = None
    dsn: str | None = field(default=None, repr=False)
    retention_dsn: str | None = field(default=None, repr=False)
    """A member of queuepulse_retention (or the owner): the flow applies retention with it."""
    rules: Rules = field(default_factory=Rules)
    kpi_lateness_s: float = 300.0
    run_for_s: float | None = None
    load_known: bool = True
    write_config: bool = True
    batch_rows: int = 5000
    buffer_rows: int = 200_000
    queue_size: int = 16
    spool_dir: Path | None = None
    spool_max_bytes: int = 1 << 30
    site_zone: SiteZone = ("UTC", "default")
    """The site time zone of a PBX that is not a target (a replay's): the configured PBX's."""

    def __post_init__(self) -> None:
        if (self.replay is None) == (not self.targets):
            raise ConfigError(
                "the live flow needs exactly one source: PBX targets to poll, or a replay file"
            )
        ids = [t.pbx_id for t in self.targets]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"PBX ids must be unique, got {ids}: set pbx_id per PBX")

    def sites(self) -> Callable[[str], SiteZone]:
        """The site time zone of each PBX the flow sees (``pbx_sites``)."""
        return site_zones(self.targets, self.site_zone)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, targets: tuple[PbxSettings, ...] | None = None,
        **overrides: Any,
    ) -> LiveFlowConfig:
        """A config from the settings (PBX, DSN, rules, privacy) plus ``overrides``."""
        rules = Rules.from_settings(settings.rules, settings.privacy)
        kwargs: dict[str, Any] = {
            "dsn": settings.db.dsn.get_secret_value(),
            "retention_dsn": (settings.db.retention_dsn.get_secret_value()
                              if settings.db.retention_dsn is not None else None),
            "rules": rules,
            "batch_rows": settings.db.batch_rows,
            "buffer_rows": settings.db.buffer_rows,
            "spool_dir": settings.db.spool_dir,
            "spool_max_bytes": settings.db.spool_max_bytes,
            "site_zone": settings.pbx.site_time_zone,
        }
        if overrides.get("replay") is None:
            kwargs["targets"] = targets if targets is not None else (settings.pbx,)
        kwargs.update(overrides)
        return cls(**kwargs)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> LiveFlowConfig:
        """The config ``get_flow()`` uses: settings plus the variables in the module doc."""
        env = os.environ if environ is None else environ
        settings = load_settings()
        overrides: dict[str, Any] = {}
        targets: tuple[PbxSettings, ...] | None = None
        if env.get("QUEUEPULSE_REPLAY_FILE"):
            overrides["replay"] = Path(env["QUEUEPULSE_REPLAY_FILE"])
            overrides["load_known"] = False
        if env.get("QUEUEPULSE_REPLAY_SPEED"):
            overrides["replay_speed"] = _float(env, "QUEUEPULSE_REPLAY_SPEED")
        if env.get("QUEUEPULSE_PBX_FILE"):
            targets = load_pbx_file(Path(env["QUEUEPULSE_PBX_FILE"]), settings.pbx)
        if env.get("QUEUEPULSE_KPI_LATENESS_S"):
            overrides["kpi_lateness_s"] = _float(env, "QUEUEPULSE_KPI_LATENESS_S")
        if env.get("QUEUEPULSE_LIVE_NO_SYNC") == "1":
            overrides["write_config"] = False
        if env.get("QUEUEPULSE_RUN_FOR_S"):
            overrides["run_for_s"] = _float(env, "QUEUEPULSE_RUN_FOR_S")
        return cls.from_settings(settings, targets=targets, **overrides)


def _float(env: Any, name: str) -> float:
    try:
        return float(env[name])
    except ValueError:
        raise ConfigError(f"{name}={env[name]!r} is not a number") from None


def load_pbx_file(path: Path, base: PbxSettings) -> tuple[PbxSettings, ...]:
    """PBX sections from a YAML list (each a mapping of ``settings.pbx`` fields; fields left
    out come from ``base``). Raises :class:`ConfigError` naming the file and entry."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the PBX list {path}: {exc}") from None
    if not isinstance(doc, list) or not doc:
        raise ConfigError(f"{path}: expected a non-empty YAML list of PBX sections")
    out: list[PbxSettings] = []
    for index, entry in enumerate(doc):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: entry {index} is not a mapping")
        unknown = sorted(str(key) for key in entry if key not in PbxSettings.model_fields)
        if unknown:
            raise ConfigError(
                f"{path}: entry {index}: unknown key(s) {', '.join(unknown)}; known keys: "
                f"{', '.join(PbxSettings.model_fields)}"
            )
        try:
            # only what base was given: a field it left at its default stays unset (so a
            # time_zone neither set nor in the entry is the default, not a setting)
            out.append(PbxSettings.model_validate({**base.model_dump(exclude_unset=True),
                                                   **entry}))
        except ValidationError as exc:
            raise ConfigError(f"{path}: entry {index}: {exc.errors()[0]['msg']}") from None
    return tuple(out)
