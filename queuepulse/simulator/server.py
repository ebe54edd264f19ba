"""Serve a simulated PBX over real HTTP: in a background thread for tests and other helpers, or
in the foreground for ``queuepulse simulate``.

    with run_simulator(SimulatorConfig(manual_clock=True)) as sim:
        httpx.post(f"{sim.base_url}/connect/token", data={...})
        sim.advance(60)
        rows = sim.truth.visits()
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import uvicorn

from queuepulse.errors import SetupError
from queuepulse.simulator.app import FleetApp, create_app
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.runtime import Simulator, Truth


@dataclass(frozen=True)
class RunningSimulator:
    """Handle of a simulator served on ``base_url`` (root: ``/connect/token``, ``/xapi/v1``)."""

    base_url: str
    host: str
    port: int
    client_id: str
    client_secret: str = field(repr=False)
    simulator: Simulator = field(repr=False)

    @property
    def xapi_url(self) -> str:
        """``{base_url}/xapi/v1``."""
        return f"{self.base_url}/xapi/v1"

    @property
    def truth(self) -> Truth:
        """Ground truth (visits, kpi_1m, calls, agent_states, export)."""
        return self.simulator.truth

    def advance(self, seconds: float) -> int:
        """Move simulated time forward; return the new time (epoch ms)."""
        return self.simulator.advance(seconds)

    def now_ms(self) -> int:
        """Simulated time now (epoch ms)."""
        return self.simulator.now_ms()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # accepted connections inherit it: headers and body go out without a delayed-ACK stall
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SetupError(
            f"cannot listen on {host}:{port} for the simulator: {exc}; choose another --port"
        ) from exc
    sock.listen(256)
    return sock


def _server(app: Any) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", access_log=False,
                            lifespan="on", timeout_keep_alive=30, backlog=2048)
    return uvicorn.Server(config)


@contextmanager
def _serving(app: Any, host: str, port: int, startup_timeout_s: float) -> Iterator[int]:
    """Run ``app`` under uvicorn in a daemon thread; yield the port; stop on exit."""
    sock = _bind(host, port)
    real_port = int(sock.getsockname()[1])
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name=f"simulator-{real_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise SetupError(f"the simulator did not start on {host}:{real_port}")
        time.sleep(0.005)
    try:
        yield real_port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def run_simulator(config: SimulatorConfig | None = None, host: str = "127.0.0.1",
                  port: int = 0, startup_timeout_s: float = 10.0) -> Iterator[RunningSimulator]:
    """Serve a new simulator on ``host:port`` (0 = a free port) in a background thread."""
    config = config or SimulatorConfig()
    sim = Simulator(config)
    with _serving(create_app(sim), host, port, startup_timeout_s) as real_port:
        yield RunningSimulator(f"http://{host}:{real_port}", host, real_port, config.client_id,
                               config.client_secret, sim)


def fleet_configs(base: SimulatorConfig, count: int) -> list[SimulatorConfig]:
    """``count`` variations of ``base``: seeds ``seed+i`` and pbx ids ``pbx-i``."""
    return [replace(base, model=replace(base.model, seed=base.model.seed + i), pbx_id=f"pbx-{i}")
            for i in range(count)]


@contextmanager
def run_fleet(configs: Sequence[SimulatorConfig], host: str = "127.0.0.1", port: int = 0,
              startup_timeout_s: float = 10.0) -> Iterator[list[RunningSimulator]]:
    """Serve several simulated PBXs on one port, PBX ``i`` under ``/pbx/{i}`` (its base_url)."""
    sims = [Simulator(cfg) for cfg in configs]
    with _serving(FleetApp(sims), host, port, startup_timeout_s) as real_port:
        yield [RunningSimulator(f"http://{host}:{real_port}/pbx/{i}", host, real_port,
                                cfg.client_id, cfg.client_secret, sim)
               for i, (cfg, sim) in enumerate(zip(configs, sims, strict=True))]


def serve_forever(config: SimulatorConfig, host: str, port: int, tenants: int = 1) -> None:
    """Serve in the foreground until interrupted (``queuepulse simulate``); with ``tenants`` > 1,
    a fleet under ``/pbx/{i}``."""
    if tenants > 1:
        app: Any = FleetApp([Simulator(cfg) for cfg in fleet_configs(config, tenants)])
    else:
        app = create_app(Simulator(config))
    sock = _bind(host, port)
    real_port = sock.getsockname()[1]
    # one machine-readable line, so a parent process started with --port 0 learns the URL
    print(json.dumps({"simulator_url": f"http://{host}:{real_port}", "tenants": tenants}),
          flush=True)
    try:
        _server(app).run(sockets=[sock])
    finally:
        sock.close()
