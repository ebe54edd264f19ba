"""The QueuePulse dashboards, one module each, one function per panel."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders.dashboard import Dashboard

from queuepulse.grafana.boards import (
    agents,
    analytics,
    history,
    pipeline,
    queue_config,
    queue_detail,
    sla,
    staffing,
    wallboard,
)

DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "wallboard": wallboard.dashboard,
    "queue-detail": queue_detail.dashboard,
    "sla": sla.dashboard,
    "analytics": analytics.dashboard,
    "agents": agents.dashboard,
    "call-history": history.dashboard,
    "pipeline": pipeline.dashboard,
    "queue-config": queue_config.dashboard,
    "staffing": staffing.dashboard,
}
"""File stem (``grafana/dashboards/<stem>.json``) → dashboard factory."""
