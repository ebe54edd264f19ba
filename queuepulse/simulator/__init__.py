"""queuepulse.simulator: a seeded 3CX v20 PBX stand-in (XAPI + ground truth).

The main names are importable from here (lazily, so the pure model never loads the web stack)::

    from queuepulse.simulator import ModelConfig, SimulatorConfig, run_simulator
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # real types for mypy; at run time the names load on first use
    from queuepulse.simulator.app import create_app
    from queuepulse.simulator.config import SimulatorConfig
    from queuepulse.simulator.faults import FaultRule, parse_fault_spec
    from queuepulse.simulator.model.config import ModelConfig
    from queuepulse.simulator.model.engine import Engine
    from queuepulse.simulator.runtime import Simulator, Truth
    from queuepulse.simulator.server import (
        RunningSimulator,
        fleet_configs,
        run_fleet,
        run_simulator,
    )

_EXPORTS = {
    "ModelConfig": "queuepulse.simulator.model.config",
    "Engine": "queuepulse.simulator.model.engine",
    "SimulatorConfig": "queuepulse.simulator.config",
    "FaultRule": "queuepulse.simulator.faults",
    "parse_fault_spec": "queuepulse.simulator.faults",
    "Simulator": "queuepulse.simulator.runtime",
    "Truth": "queuepulse.simulator.runtime",
    "create_app": "queuepulse.simulator.app",
    "RunningSimulator": "queuepulse.simulator.server",
    "run_simulator": "queuepulse.simulator.server",
    "run_fleet": "queuepulse.simulator.server",
    "fleet_configs": "queuepulse.simulator.server",
}

__all__ = [
    "Engine", "FaultRule", "ModelConfig", "RunningSimulator", "Simulator", "SimulatorConfig",
    "Truth", "create_app", "fleet_configs", "parse_fault_spec", "run_fleet", "run_simulator",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'queuepulse.simulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
