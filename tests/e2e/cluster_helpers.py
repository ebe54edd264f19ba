"""Helpers of the cluster end-to-end tests: cluster members as separate processes, each in its
own working directory (as if on its own host), on loopback addresses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from queuepulse.live.runner import free_ports

ROOT = Path(__file__).resolve().parents[2]


def loopback_addresses(n: int) -> str:
    """``127.0.0.1:P0,127.0.0.1:P1,...`` with free ports."""
    return ",".join(f"127.0.0.1:{p}" for p in free_ports(n))


def start_member(
    command: list[str], *, process_id: int, addresses: str, workdir: Path,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """``queuepulse COMMAND --process-id I --addresses A`` started in ``workdir`` (its own
    ``.queuepulse`` and recovery directory), stdout and stderr captured as text."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "queuepulse.cli", "--log-level", "INFO", *command,
         "--process-id", str(process_id), "--addresses", addresses],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
