"""Shared helpers of the queue management tests: a simulated PBX over real HTTP, settings and
clients for it, and the CLI run in-process with its environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import RunningSimulator, run_simulator

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@contextmanager
def simulated_pbx(queues: int = 3, agents: int = 12, **model: Any) -> Iterator[RunningSimulator]:
    """A manual-clock simulated PBX (queues 800.., agents 1000..) served on a free port."""
    config = SimulatorConfig(
        model=ModelConfig(seed=5, queues=queues, agents=agents, noise_users=2,
                          calls_per_min_per_queue=model.pop("calls_per_min_per_queue", 2.0),
                          **model),
        start=START, warmup_s=300, manual_clock=True, background_tick_s=0.0,
        client_id="queuepulse-apply", client_secret="apply-test-secret")
    with run_simulator(config) as running:
        yield running


def pbx_settings(sim: RunningSimulator, **overrides: Any) -> PbxSettings:
    values: dict[str, Any] = {
        "pbx_id": "pbx-a", "url": sim.base_url, "client_id": sim.client_id,
        "client_secret": SecretStr(sim.client_secret), "timeout_s": 5.0,
        "retry_budget_s": 2.0,
    }
    values.update(overrides)
    return PbxSettings(**values)


def cli_env(monkeypatch: pytest.MonkeyPatch, sim: RunningSimulator, dsn: str | None) -> None:
    """Point the CLI's settings at ``sim`` (and the database ``dsn``)."""
    monkeypatch.setenv("QUEUEPULSE_PBX__URL", sim.base_url)
    monkeypatch.setenv("QUEUEPULSE_PBX__PBX_ID", "pbx-a")
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_ID", sim.client_id)
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", sim.client_secret)
    if dsn is not None:
        monkeypatch.setenv("QUEUEPULSE_DB__DSN", dsn)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``queuepulse ARGV`` in-process: (exit code, stdout, stderr)."""
    from queuepulse.cli import main

    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err
