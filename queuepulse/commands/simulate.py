"""``queuepulse simulate``: serve the simulated 3CX PBX, or export its ground truth."""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

from queuepulse.errors import ConfigError
from queuepulse.settings import load_settings
from queuepulse.simulator.config import SimulatorConfig, new_client_secret
from queuepulse.simulator.faults import FaultSpecError, parse_fault_spec
from queuepulse.simulator.formats import ms_to_datetime, parse_datetime_ms
from queuepulse.simulator.model.config import ModelConfig

log = logging.getLogger(__name__)

#: Where ``simulate`` keeps the secret it generates when none is configured.
GENERATED_SECRET_FILE = Path(".queuepulse/simulator-client-secret")


def register(subparsers: Any) -> None:
    """Add the ``simulate`` command."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="serve a simulated 3CX PBX (XAPI + ground truth)",
        description=(
            "Serve a seeded call-centre model as a 3CX v20 XAPI (/connect/token, /xapi/v1) with "
            "its ground truth under /simulator/truth. With --export-truth DIR, run the model for "
            "--duration simulated seconds and write the truth as JSON Lines instead of serving. "
            "Also serves, on the same port and without a token, GET /healthz (200 while the "
            "model keeps up with its clock and ActiveCalls can be answered, 503 with the reason "
            "otherwise) and GET /metrics (active and waiting calls, tokens issued, faults "
            "fired). See docs/simulator.md."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5080,
                   help="listen port (default 5080; 0 = a free port, printed on stdout as "
                        '{"simulator_url": ...})')
    p.add_argument("--seed", type=int, default=1,
                   help="model seed: the same seed and options give the same calls (default 1)")
    p.add_argument("--queues", type=int, default=4,
                   help="number of queues, DNs 800, 801, ... (80000, ... above 100; default 4)")
    p.add_argument("--agents", type=int, default=20,
                   help="number of agents, DNs 1000, 1001, ... (default 20)")
    p.add_argument("--queues-per-agent", type=int, default=2,
                   help="queues each agent is a member of (default 2)")
    p.add_argument("--rate", type=float, default=1.0,
                   help="peak calls per minute per queue (default 1.0)")
    p.add_argument("--profile", default="flat",
                   help="traffic profile: flat, office, or 24 comma-separated hourly multipliers "
                        "(default flat)")
    p.add_argument("--aht", type=float, default=150.0,
                   help="mean talk time in seconds (default 150)")
    p.add_argument("--patience", type=float, default=120.0,
                   help="mean caller patience in seconds (default 120)")
    p.add_argument("--noise-rate", type=float, default=1.0,
                   help="internal/outbound calls per minute (default 1)")
    p.add_argument("--speed", type=float, default=1.0,
                   help="simulated seconds per wall second (default 1)")
    p.add_argument("--manual-clock", action="store_true",
                   help="simulated time moves only via POST /simulator/control/advance")
    p.add_argument("--start", default=None, help="simulated start time (ISO-8601; default now)")
    p.add_argument("--warmup", type=float, default=600.0,
                   help="simulated seconds to run before serving (default 600)")
    p.add_argument("--clock-skew", type=float, default=0.0,
                   help="PBX clock minus wall clock in seconds, when --start is not given "
                        "(default 0)")
    p.add_argument("--client-id", default=None, help="accepted client id (default: settings)")
    p.add_argument("--client-secret-env", default=None, metavar="VAR",
                   help="read the accepted client secret from this environment variable "
                        "(default: QUEUEPULSE_PBX__CLIENT_SECRET / settings; when neither is "
                        "set, a random secret is generated and kept in --client-secret-file)")
    p.add_argument("--client-secret-file", type=Path, default=GENERATED_SECRET_FILE,
                   metavar="PATH",
                   help="where a generated secret is written (mode 0600) and reused from on "
                        f"the next start (default {GENERATED_SECRET_FILE}); give clients its "
                        "content, e.g. QUEUEPULSE_PBX__CLIENT_SECRET=$(cat PATH)")
    p.add_argument("--extra-client", action="append", default=[], metavar="ID=FILE",
                   help="accept one more API client: its id and a file holding its secret (a "
                        "Docker secret); repeatable. 3CX keeps one token per client, so each "
                        "queuepulse process (live, reconcile, record) needs its own")
    p.add_argument("--token-ttl", type=int, default=3600,
                   help="token lifetime in seconds (default 3600)")
    p.add_argument("--answered-callee", choices=["queue", "agent"], default="queue",
                   help="Callee of an answered queue call in ActiveCalls: the queue DN "
                        "(default) or the agent's DN")
    p.add_argument("--waiting-status", default="Ringing",
                   help="Status of a queued call in ActiveCalls: Ringing (default) or Routing")
    p.add_argument("--faults", default="",
                   help="fault spec, e.g. 'ActiveCalls:status=503@p0.1; token:401@n3' "
                        "or a JSON list (see docs/simulator.md; default: no faults)")
    p.add_argument("--pbx-id", default="default",
                   help="pbx_id written in truth rows (default: default)")
    p.add_argument("--time-zone", default="UTC", metavar="ZONE",
                   help="the PBX's own time zone (IANA name, e.g. Europe/Berlin), served as "
                        "GET /OfficeHours TimeZoneId with its entry in GET /Defs/TimeZones; "
                        "'none' = the PBX sets no zone (default UTC)")
    p.add_argument("--tenants", type=int, default=1,
                   help="serve this many PBXs on one port, PBX i under /pbx/i "
                        "(seeds seed+i, pbx ids pbx-i); default 1 (served at /)")
    p.add_argument("--history", type=float, default=None, metavar="SECONDS",
                   help="keep only this much finished history (simulated seconds); default all")
    p.add_argument("--export-truth", type=Path, default=None, metavar="DIR",
                   help="write visits, kpi_1m, entry_kpi_1m, calls and agent_states JSON Lines "
                        "to DIR and exit (no server, no client secret needed)")
    p.add_argument("--duration", type=float, default=3600.0,
                   help="with --export-truth: simulated seconds to run (default 3600)")
    p.set_defaults(handler=run)


def _profile(text: str) -> str | tuple[float, ...]:
    if text in ("flat", "office"):
        return text
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(
            f"--profile {text!r} is not flat, office or 24 comma-separated numbers"
        ) from None
    if len(values) != 24:
        raise ConfigError(f"--profile needs 24 hourly multipliers, got {len(values)}")
    return values


def build_config(args: argparse.Namespace) -> SimulatorConfig:
    """Turn parsed options into a :class:`SimulatorConfig`."""
    settings = load_settings()
    secret: str | None = settings.pbx.client_secret.get_secret_value() or None
    if args.client_secret_env:
        secret = os.environ.get(args.client_secret_env)
        if not secret:
            raise ConfigError(
                f"environment variable {args.client_secret_env} (--client-secret-env) is not set "
                "or empty; export the secret in it, or leave the option out to use "
                "QUEUEPULSE_PBX__CLIENT_SECRET or a generated secret"
            )
    if secret is None and args.export_truth is None:
        secret = generated_secret(args.client_secret_file)
    try:
        faults = parse_fault_spec(args.faults)
    except FaultSpecError as exc:
        raise ConfigError(f"--faults: {exc}") from None
    start = None
    if args.start:
        try:
            start = ms_to_datetime(parse_datetime_ms(args.start))
        except ValueError as exc:
            raise ConfigError(f"--start: {exc}") from None
    model = ModelConfig(
        seed=args.seed, queues=args.queues, agents=args.agents,
        queues_per_agent=args.queues_per_agent, calls_per_min_per_queue=args.rate,
        profile=_profile(args.profile), aht_s=args.aht, patience_s=args.patience,
        noise_calls_per_min=args.noise_rate, answered_callee=args.answered_callee,
        waiting_status=args.waiting_status,
    )
    try:
        model.profile_values()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if args.speed <= 0:
        raise ConfigError(f"--speed must be > 0, got {args.speed}")
    time_zone = _time_zone(args.time_zone)
    return SimulatorConfig(
        model=model, start=start, speed=args.speed, manual_clock=args.manual_clock,
        warmup_s=args.warmup, clock_skew_s=args.clock_skew,
        client_id=args.client_id or settings.pbx.client_id,
        client_secret=secret if secret is not None else new_client_secret(),
        extra_clients=extra_clients(args.extra_client),
        token_ttl_s=args.token_ttl, pbx_id=args.pbx_id, faults=faults, history_s=args.history,
        time_zone=time_zone,
    )


def _time_zone(text: str) -> str | None:
    """``--time-zone``: an IANA name, or None for 'none'."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if text.lower() == "none":
        return None
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"--time-zone {text!r} is not a known IANA time zone (e.g. Europe/Berlin, UTC), "
            "or 'none'"
        ) from None
    return text


def extra_clients(specs: list[str]) -> tuple[tuple[str, str], ...]:
    """Parse ``--extra-client ID=FILE`` options into (client id, secret) pairs."""
    clients: list[tuple[str, str]] = []
    for spec in specs:
        client_id, sep, file = spec.partition("=")
        if not sep or not client_id or not file:
            raise ConfigError(f"--extra-client {spec!r}: expected ID=FILE, e.g. "
                              "queuepulse-reconcile=/run/secrets/reconcile_client_secret")
        try:
            secret = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"--extra-client {client_id}: cannot read the secret file {file}: "
                              f"{exc.strerror}") from None
        if not secret:
            raise ConfigError(f"--extra-client {client_id}: the secret file {file} is empty")
        clients.append((client_id, secret))
    return tuple(clients)


def generated_secret(path: Path) -> str:
    """The secret kept in ``path``, or a new random one written there (mode 0600).

    Reusing the file keeps clients configured with it working across restarts. The secret itself
    is never logged: the log line names the file.
    """
    try:
        kept = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
        if kept:
            log.info("simulator client secret: no secret configured, reusing the generated one",
                     extra={"secret_file": str(path.absolute())})
            return kept
        secret = new_client_secret()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secret + "\n")
        path.chmod(0o600)  # an existing (empty) file keeps its old mode under O_CREAT
    except OSError as exc:
        raise ConfigError(
            f"no client secret configured and the generated one cannot be kept in {path}: "
            f"{exc.strerror}; pass --client-secret-file PATH (a writable place) or configure "
            "one with QUEUEPULSE_PBX__CLIENT_SECRET or --client-secret-env"
        ) from None
    log.warning("simulator client secret: none configured, generated a random one; clients "
                "read it from the file", extra={"secret_file": str(path.absolute())})
    return secret


def run(args: argparse.Namespace) -> int:
    """Serve (or export) the simulator."""
    config = build_config(args)
    if args.export_truth is not None:
        from queuepulse.simulator.runtime import Simulator

        sim = Simulator(config)
        sim.advance(args.duration)
        counts = sim.truth.export(args.export_truth)
        print(json.dumps({"exported_to": str(args.export_truth), "rows": counts}))
        return 0
    from queuepulse.simulator.server import serve_forever

    log.info("simulator starting", extra={
        "host": args.host, "port": args.port, "queues": args.queues, "agents": args.agents,
        "speed": args.speed, "manual_clock": args.manual_clock, "client_id": config.client_id,
        "tenants": args.tenants,
    })
    if args.tenants < 1:
        raise ConfigError(f"--tenants must be >= 1, got {args.tenants}")
    serve_forever(config, args.host, args.port, args.tenants)
    return 0
