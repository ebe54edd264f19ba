"""The example Prometheus alert rules (prometheus/alerts.yml): well-formed, covering what an
operator must hear about (pipeline stale, database down, write errors, token failures), and
naming only series the commands really export — a renamed metric would silently never fire."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((ROOT / "prometheus" / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _exported_samples() -> set[str]:
    """Every sample name the commands' /metrics can show (with labels set so that labelled
    families show their samples)."""
    from queuepulse.commands.record import RecordMetrics
    from queuepulse.commands.run_sync import SyncMetrics
    from queuepulse.health import DatabaseProbe
    from queuepulse.live.metrics import LiveMetrics
    from queuepulse.reconcile.metrics import ReconcileMetrics
    from queuepulse.reconcile.runner import BackfillResult

    live = LiveMetrics()
    live.poll_succeeded("p")
    live.breaker_state("p", "open")
    live.token_failures.labels("p").inc()
    live.token_conflicts.labels("p").inc()
    reconcile = ReconcileMetrics(DatabaseProbe("postgresql://nobody@127.0.0.1:1/none"))
    reconcile.round_done("p", BackfillResult(total=0))
    names: set[str] = set()
    for metrics in (live, reconcile, SyncMetrics("p"), RecordMetrics("p")):
        metrics.health(60.0)
        for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
            names.update(sample.name for sample in family.samples)
    return names


def test_every_rule_is_complete() -> None:
    rules = _rules()
    assert len({r["alert"] for r in rules}) == len(rules)
    for rule in rules:
        assert rule["alert"].startswith("Queuepulse"), rule
        assert rule["expr"].strip()
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["labels"]["app"] == "queuepulse"
        assert rule["annotations"]["summary"]
        assert re.fullmatch(r"\d+[smh]", rule["for"])


def test_the_rules_an_operator_needs_are_there() -> None:
    exprs = {r["alert"]: r["expr"] for r in _rules()}
    assert "queuepulse_last_poll_success_timestamp_seconds" in exprs["QueuepulsePipelineStale"]
    assert "queuepulse_database_up == 0" in exprs["QueuepulseDatabaseDown"]
    assert "queuepulse_write_errors_total" in exprs["QueuepulseWriteErrors"]
    assert "queuepulse_token_failures_total" in exprs["QueuepulseTokenFailures"]


def test_rules_name_only_exported_series() -> None:
    exported = _exported_samples()
    for rule in _rules():
        for name in re.findall(r"\bqueuepulse_\w+", rule["expr"]):
            assert name in exported, f"{rule['alert']}: {name} is not exported"
