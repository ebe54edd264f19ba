"""No raw caller number anywhere in ``mask`` and ``hash`` mode, even when the PBX misbehaves.

A sped-up simulator answers some polls with malformed, truncated, HTML and error bodies (whose
excerpts used to reach error texts); the live flow polls it over HTTP in ``hash`` or ``mask``
mode. Afterwards every row of every public table, every log line (DEBUG, with every ``extra``
field) and the ``/metrics`` page are searched for every caller number the simulator handed out.
"""

from __future__ import annotations

import logging
import re
import urllib.request

import psycopg
import pytest
from pydantic import SecretStr

from queuepulse.domain.privacy import CallerPolicy
from queuepulse.domain.rules import Rules
from queuepulse.health import HealthServer
from queuepulse.live.config import LiveFlowConfig
from queuepulse.live.metrics import METRICS
from queuepulse.logs import JsonFormatter
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.faults import parse_fault_spec
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.e2e

FAULTS = (
    "ActiveCalls:truncated@every4; ActiveCalls:malformed@every5; ActiveCalls:html@every9; "
    "ActiveCalls:status=503@every11; Queues:truncated@n2; Users:malformed@n2"
)
"""Every fault whose answer carries (part of) a body: the excerpts of each reach error texts."""


class _Lines(logging.Handler):
    """Every log record rendered as JSON (message and every ``extra`` field)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _all_rows(dsn: str) -> dict[str, list[str]]:
    """Every row of every table of the public schema, as text."""
    out: dict[str, list[str]] = {}
    with psycopg.connect(dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        for table in tables:
            rows = conn.execute(f'SELECT t::text FROM "{table}" t').fetchall()
            out[table] = [r[0] for r in rows]
    return out


@pytest.mark.parametrize("mode", ["hash", "mask"])
def test_no_raw_caller_number_reaches_tables_logs_or_metrics(pg_dsn: str, mode: str) -> None:
    from bytewax.testing import run_main

    from flows.live import build_flow

    model = ModelConfig(seed=11, queues=2, agents=6, calls_per_min_per_queue=8)
    sim_config = SimulatorConfig(model=model, speed=10.0, warmup_s=600, pbx_id="priv",
                                 faults=parse_fault_spec(FAULTS), fault_seed=11)
    handler = _Lines()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with run_simulator(sim_config) as sim:
            pbx = PbxSettings(pbx_id="priv", url=sim.base_url, client_id=sim.client_id,
                              client_secret=SecretStr(sim.client_secret), poll_interval_s=0.1,
                              sync_interval_s=1.0, retry_budget_s=0.05)
            policy = CallerPolicy(mode=mode, salt="s3cret")  # type: ignore[arg-type]
            rules = Rules(caller_policy=policy)
            config = LiveFlowConfig(targets=(pbx,), dsn=pg_dsn, run_for_s=5.0, rules=rules)
            server = HealthServer("127.0.0.1", 0, METRICS, stale_after_s=2.0).start()
            try:
                run_main(build_flow(config), epoch_interval=None)
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{server.port}/metrics", timeout=5) as resp:
                    metrics = resp.read().decode()
            finally:
                server.stop()
            numbers = {c["caller"].split()[0] for c in sim.truth.calls()
                       if c["caller"].startswith("+")}  # external callers, not extensions
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)

    rows = _all_rows(pg_dsn)
    assert len(numbers) >= 20
    # the run did meet the faults, and wrote what it saw
    with psycopg.connect(pg_dsn) as conn:
        failed = conn.execute("SELECT count(*) FROM pipeline_health WHERE errors > 0").fetchone()
        gaps = conn.execute(
            "SELECT count(*) FROM call_events WHERE details ? 'error'").fetchone()
    assert failed is not None
    assert failed[0] >= 5
    assert gaps is not None
    assert gaps[0] >= 2, "no failed poll's error text reached call_events"
    assert rows["queue_calls"]
    assert any("truncated" in line or "not valid JSON" in line for line in handler.lines), (
        "the faults did not reach the logs")
    # a number's digits, not inside a longer run of hex digits (hashes, uuids)
    pattern = re.compile(
        r"(?<![0-9A-Fa-f])(?:" + "|".join(re.escape(n.lstrip("+")) for n in numbers)
        + r")(?![0-9A-Fa-f])")
    def leak(text: str) -> str | None:
        match = pattern.search(text)
        return None if match is None else text[max(0, match.start() - 60) : match.end() + 60]

    found = [f"{table}: …{hit}…" for table, texts in rows.items() for text in texts
             if (hit := leak(text))]
    found += [f"log: …{hit}…" for line in handler.lines if (hit := leak(line))]
    found += [f"/metrics: {hit}" for line in metrics.splitlines() if (hit := leak(line))]
    print(f"\n{mode}: {len(numbers)} callers, {sum(map(len, rows.values()))} rows, "
          f"{len(handler.lines)} log lines, {failed[0]} failed polls, {gaps[0]} error events")
    assert not found, f"{len(found)} leaks, e.g.:\n" + "\n".join(found[:10])
    if mode == "hash":
        assert any("sha256:" in r for r in rows["queue_calls"])
    else:
        assert any("****" in r for r in rows["queue_calls"])
