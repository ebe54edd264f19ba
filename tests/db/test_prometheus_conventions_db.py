"""``/metrics`` of every long-running command, read as a Prometheus user reads it (parsed with
``prometheus_client.parser.text_string_to_metric_families``):

* every cumulative series is a counter whose sample ends in ``_total``; no gauge holds a count;
* ``queuepulse_database_up`` exists where the command uses the database — 1 against a real
  database, 0 against one that is not there;
* ``queuepulse_build_info{version}`` and the process metrics exist everywhere;
* the breaker state is a gauge labelled by ``state`` (one of them 1).
"""

from __future__ import annotations

import re
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from queuepulse import __version__
from queuepulse.health import CommandMetrics, DatabaseProbe, HealthServer

pytestmark = pytest.mark.db

NOWHERE_DSN = "postgresql://nobody@127.0.0.1:1/none"

# Sample-name endings of running counts: a gauge with one of these holds a count.
COUNT_WORDS = re.compile(
    r"_(written|errors|polls|syncs|runs|rows|issued|started|fired|restarts|visits|gaps|"
    r"failures|conflicts|letters|corrections|periods|emitted)$")
# Cumulative series that must be counters, whatever their names.
MUST_BE_COUNTERS = {
    "queuepulse_rows_written", "queuepulse_write_errors", "queuepulse_polls",
    "queuepulse_poll_errors", "queuepulse_token_failures", "queuepulse_token_conflicts",
    "queuepulse_record_bytes", "queuepulse_record_polls", "queuepulse_sync_runs",
    "queuepulse_reconcile_periods", "queuepulse_simulator_calls_started",
    "queuepulse_simulator_queue_visits", "queuepulse_simulator_restarts",
    "queuepulse_simulator_tokens_issued", "queuepulse_simulator_faults_fired",
}


def _scrape(metrics: CommandMetrics) -> str:
    server = HealthServer("127.0.0.1", 0, metrics, stale_after_s=60.0).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics",
                                    timeout=10) as resp:
            return str(resp.read().decode())
    finally:
        server.stop()


def _check_conventions(text: str, *, database: bool) -> dict[str, Any]:
    """Assert the conventions; the families by name."""
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for family in families.values():
        if family.type == "counter":
            for sample in family.samples:
                assert sample.name.endswith(("_total", "_created")), sample.name
        if family.type == "gauge" and family.name.startswith("queuepulse_"):
            assert not COUNT_WORDS.search(family.name), f"{family.name} is a gauge of a count"
            assert not family.name.endswith("_total"), family.name
    for name in MUST_BE_COUNTERS & families.keys():
        assert families[name].type == "counter", name
    build = families["queuepulse_build_info"]
    assert build.type == "gauge"
    assert [(s.labels["version"], s.value) for s in build.samples] == [(__version__, 1.0)]
    for name in ("process_cpu_seconds", "process_resident_memory_bytes",
                 "process_start_time_seconds", "python_info"):
        assert name in families, name
    assert families["process_cpu_seconds"].type == "counter"
    if database:
        assert families["queuepulse_database_up"].type == "gauge"
    else:
        assert "queuepulse_database_up" not in families
    return families


def _value(families: dict[str, Any], name: str, **labels: str) -> float:
    samples: list[Sample] = [s for s in families[name].samples
                             if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(samples) == 1, (name, labels, families[name].samples)
    return float(samples[0].value)


@pytest.fixture
def live_metrics() -> Any:
    from queuepulse.live.metrics import LiveMetrics

    return LiveMetrics()


def test_live_flow_metrics(live_metrics: Any, pg_writer_dsn: str) -> None:
    """``run live``, ``demo`` and ``replay`` (the live flow's collectors): counters from a
    real sink buffer, database up, breaker by state."""
    from queuepulse.live.service import ReplayMetrics
    from queuepulse.store.buffer import OPEN_BUFFERS

    live_metrics.breaker_state("hq", "half_open")
    live_metrics.polls.labels("hq").inc(3)
    live_metrics.token_conflicts.labels("hq").inc()
    before = {k: (b.stats.rows_written, b.stats.write_errors)
              for k, b in OPEN_BUFFERS.all().items()}
    families = _check_conventions(_scrape(live_metrics), database=True)
    assert _value(families, "queuepulse_database_up") == 1.0  # no buffer in an outage
    assert _value(families, "queuepulse_polls", pbx_id="hq") == 3.0
    assert _value(families, "queuepulse_token_conflicts", pbx_id="hq") == 1.0
    assert families["queuepulse_breaker_state"].type == "gauge"
    states = {s.labels["state"]: s.value for s in families["queuepulse_breaker_state"].samples
              if s.labels["pbx_id"] == "hq"}
    assert states == {"closed": 0.0, "half_open": 1.0, "open": 0.0}
    expected = sum(w for w, _ in before.values())
    assert _value(families, "queuepulse_rows_written") == expected
    replay = _check_conventions(
        _scrape(ReplayMetrics(live_metrics, running=lambda: True)), database=True)
    assert "queuepulse_rows_written" in replay


def test_live_database_up_follows_the_sink_buffers(live_metrics: Any,
                                                   pg_writer_dsn: str) -> None:
    """A real sink buffer whose database refuses connections: ``queuepulse_database_up`` 0
    and its failed attempts counted; back to 1, rows written counted, once it writes."""
    import psycopg

    from queuepulse.store.buffer import OPEN_BUFFERS, Backoff, WriteBuffer
    from queuepulse.store.writers import BatchWriter

    target = [NOWHERE_DSN]

    class GiveUp(Exception):
        pass

    def stop_retrying(_s: float) -> None:
        raise GiveUp

    writer = BatchWriter(lambda: psycopg.connect(target[0], autocommit=True, connect_timeout=2))
    buffer = WriteBuffer(writer, capacity_rows=100, batch_rows=10, backoff=Backoff(0.01),
                         sleep=stop_retrying)
    buffer.put("queue_live", [{"pbx_id": "prom", "queue_dn": "800",
                               "ts": datetime(2026, 1, 5, 9, tzinfo=UTC), "waiting": 1}])
    before = _scrape(live_metrics)
    OPEN_BUFFERS.add("prometheus-conventions-test", buffer)
    try:
        with pytest.raises(GiveUp):
            buffer.flush()
        families = _check_conventions(_scrape(live_metrics), database=True)
        assert _value(families, "queuepulse_database_up") == 0.0
        errors_before = _value(_check_conventions(before, database=True),
                               "queuepulse_write_errors")
        assert _value(families, "queuepulse_write_errors") == errors_before + 1
        target[0] = pg_writer_dsn
        assert buffer.flush() == 1
        families = _check_conventions(_scrape(live_metrics), database=True)
        assert _value(families, "queuepulse_database_up") == 1.0
        assert _value(families, "queuepulse_rows_written") >= 1.0
    finally:
        OPEN_BUFFERS.remove("prometheus-conventions-test")


@pytest.mark.parametrize("reachable", [True, False])
def test_reconcile_and_sync_metrics(reachable: bool, pg_writer_dsn: str) -> None:
    from queuepulse.commands.run_sync import SyncMetrics
    from queuepulse.reconcile.metrics import ReconcileMetrics

    dsn = pg_writer_dsn if reachable else NOWHERE_DSN
    for metrics in (ReconcileMetrics(DatabaseProbe(dsn)), SyncMetrics("hq", DatabaseProbe(dsn))):
        families = _check_conventions(_scrape(metrics), database=True)
        assert _value(families, "queuepulse_database_up") == (1.0 if reachable else 0.0)


def test_record_metrics() -> None:
    """``record`` uses no database: no database-up gauge; its bytes are a counter."""
    from queuepulse.commands.record import RecordMetrics
    from queuepulse.xapi.recorder import RecordProgress

    metrics = RecordMetrics("hq")
    metrics.update(RecordProgress(polls=2, bytes=100))
    metrics.update(RecordProgress(polls=3, bytes=250))
    families = _check_conventions(_scrape(metrics), database=False)
    assert _value(families, "queuepulse_record_bytes", pbx_id="hq") == 250.0


def test_simulator_metrics() -> None:
    """``simulate`` serves /metrics of its own (no database)."""
    from starlette.testclient import TestClient

    from queuepulse.simulator.app import create_app
    from queuepulse.simulator.config import SimulatorConfig
    from queuepulse.simulator.model.config import ModelConfig
    from queuepulse.simulator.runtime import Simulator

    sim = Simulator(SimulatorConfig(model=ModelConfig(seed=2, queues=1, agents=2),
                                    manual_clock=True, pbx_id="sim"))
    sim.advance(600)
    text = TestClient(create_app(sim)).get("/metrics").text
    families = _check_conventions(text, database=False)
    assert _value(families, "queuepulse_simulator_calls_started", pbx_id="sim") > 0
