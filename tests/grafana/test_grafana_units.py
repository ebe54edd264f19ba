"""One unit for every percentage: per cent (0..100), never Grafana's fraction unit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from queuepulse.grafana.render import dashboard_documents

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_no_board_or_alert_shows_a_fraction_as_per_cent() -> None:
    boards = json.dumps(dashboard_documents())
    assert '"percent"' in boards  # the per-cent unit is in use ...
    assert "percentunit" not in boards  # ... and the fraction unit (0..1) nowhere
    rules = (ROOT / "grafana" / "provisioning" / "alerting" / "rules.yaml").read_text()
    assert "percentunit" not in rules
    # the SLA alert compares a per cent with the per-cent target
    assert "round(100.0 * sum(k.answered_in_sla)" in rules
