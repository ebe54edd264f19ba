"""Stable identifiers shared by dashboards, alert rules and provisioning files.

Changing any of these breaks links, bookmarks and alert-rule references in users' Grafana:
treat them as part of the public contract.
"""

from __future__ import annotations

from typing import Final

DATASOURCE_TYPE: Final = "grafana-postgresql-datasource"
DATASOURCE_UID: Final = "queuepulse-tsdb"
DATASOURCE_NAME: Final = "QueuePulse TimescaleDB"

FOLDER_UID: Final = "queuepulse"
FOLDER_TITLE: Final = "QueuePulse"

EXPR_UID: Final = "__expr__"

# Dashboard uids (Grafana limits uids to 40 characters).
WALLBOARD_UID: Final = "qp-wallboard"
QUEUE_DETAIL_UID: Final = "qp-queue-detail"
SLA_UID: Final = "qp-sla"
ANALYTICS_UID: Final = "qp-analytics"
AGENTS_UID: Final = "qp-agents"
HISTORY_UID: Final = "qp-call-history"
PIPELINE_UID: Final = "qp-pipeline"
QUEUE_CONFIG_UID: Final = "qp-queue-config"
STAFFING_UID: Final = "qp-staffing"

ALERT_GROUP_QUEUES: Final = "queuepulse-queues"
ALERT_GROUP_PIPELINE: Final = "queuepulse-pipeline"
CONTACT_POINT_NAME: Final = "queuepulse-oncall"
CONTACT_POINT_UID: Final = "qp-oncall"

TAG: Final = "queuepulse"
