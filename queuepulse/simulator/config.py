"""Configuration of a simulated PBX: the model, the clock, credentials and faults."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from queuepulse.simulator.faults import FaultRule
from queuepulse.simulator.model.config import ModelConfig


def new_client_secret() -> str:
    """A fresh random client secret (URL-safe, 192 bits)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything ``run_simulator`` and ``queuepulse simulate`` need.

    ``start`` is the simulated time at start-up (default: the wall clock now, plus
    ``clock_skew_s``); ``speed`` scales wall time into simulated time; with ``manual_clock``
    simulated time moves only through ``advance`` (Python API or
    ``POST /simulator/control/advance``).
    ``warmup_s`` runs the model that long before ``start`` so the PBX starts busy.
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    start: datetime | None = None
    speed: float = 1.0
    manual_clock: bool = False
    warmup_s: float = 0.0
    clock_skew_s: float = 0.0
    client_id: str = "queuepulse"
    #: Accepted client secret; random unless given (no credential is baked into the code).
    client_secret: str = field(default_factory=new_client_secret, repr=False)
    #: More (client_id, client_secret) pairs accepted by /connect/token.
    extra_clients: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    token_ttl_s: int = 3600
    pbx_id: str = "default"
    faults: tuple[FaultRule, ...] = ()
    fault_seed: int = 0
    version: str = "20.0.10.1000"
    #: The PBX's own time zone (IANA name), served as its office hours' ``TimeZoneId`` (an Id
    #: of ``/Defs/TimeZones``); None = the PBX sets none (``TimeZoneId`` null).
    time_zone: str | None = "UTC"
    fqdn: str = "sim.queuepulse.local"
    #: Wall seconds between background model advances while serving (0 = only on requests).
    background_tick_s: float = 0.25
    #: Keep this many simulated seconds of finished history (truth, CDR, reports); None = all.
    history_s: float | None = None
