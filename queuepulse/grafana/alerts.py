"""Grafana alert rules: SQL against the QueuePulse datasource, then reduce and threshold.

Each rule is described once (:class:`AlertSpec`) and rendered two ways: Grafana's
file-provisioning format (``grafana/provisioning/alerting/rules.yaml``) and the provisioning
HTTP API's format (used by ``queuepulse grafana push``). The SQL returns one row per queue (or
PBX) in ``table`` format: string columns become the alert's labels, the numeric column is the
value, so one rule raises one alert instance per queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from grafana_foundation_sdk.builders import expr as eb
from grafana_foundation_sdk.models import dashboard as dm

from queuepulse.grafana.boards.common import SUCCESSFUL_POLL, abandon_pct, sla_pct
from queuepulse.grafana.encode import to_plain
from queuepulse.grafana.ids import (
    ALERT_GROUP_PIPELINE,
    ALERT_GROUP_QUEUES,
    EXPR_UID,
    FOLDER_TITLE,
    FOLDER_UID,
    PIPELINE_UID,
    QUEUE_DETAIL_UID,
    SLA_UID,
    STAFFING_UID,
    WALLBOARD_UID,
)
from queuepulse.grafana.sqlquery import SqlQuery, dedent_sql

Op = Literal["gt", "lt"]
NoData = Literal["OK", "NoData", "Alerting"]


@dataclass(frozen=True)
class Thresholds:
    """Alert windows and global thresholds; edit them here (then ``queuepulse grafana build``).

    The per-queue thresholds (SLA target %, longest wait, abandon %) are not here: the rules
    read them from ``queue_targets`` at evaluation time (``queuepulse targets``), so changing
    a queue's target needs no rebuild.
    """

    sla_window_s: int = 900
    sla_for: str = "10m"
    sla_min_calls: int = 5
    abandon_window_s: int = 900
    abandon_min_calls: int = 5
    stale_poll_s: float = 60.0
    drift_pct_above: float = 5.0


@dataclass(frozen=True)
class AlertSpec:
    """One alert rule."""

    uid: str
    title: str
    group: str
    sql: str
    window_s: int
    op: Op
    threshold: float
    for_: str
    summary: str
    description: str
    severity: str
    dashboard_uid: str
    panel_title: str
    no_data: NoData = "OK"


def alert_specs(t: Thresholds = Thresholds()) -> tuple[AlertSpec, ...]:
    """Every QueuePulse alert rule, with thresholds from ``t``."""
    latest_live = """
        SELECT DISTINCT ON (pbx_id, queue_dn) pbx_id, queue_dn, {value}
        FROM queue_live
        WHERE $__timeFilter(ts)
        ORDER BY pbx_id, queue_dn, ts DESC
    """
    targets = "JOIN queue_targets_effective t ON t.pbx_id = k.pbx_id AND t.queue_dn = k.queue_dn"
    return (
        AlertSpec(
            uid="qp-sla-below-target",
            title="Queue SLA below target",
            group=ALERT_GROUP_QUEUES,
            sql=f"""
                SELECT k.pbx_id, k.queue_dn,
                       {sla_pct("k")} - t.sla_target_pct AS sla_pct_vs_target
                FROM queue_kpi_1m k
                {targets}
                WHERE $__timeFilter(k.bucket)
                GROUP BY k.pbx_id, k.queue_dn, t.sla_target_pct
                HAVING sum(k.answered) + sum(k.abandoned) - sum(k.short_abandoned)
                       >= {t.sla_min_calls}
            """,
            window_s=t.sla_window_s,
            op="lt",
            threshold=0.0,
            for_=t.sla_for,
            summary="SLA of queue {{ $labels.queue_dn }} on {{ $labels.pbx_id }} is "
            "{{ $values.B }} points against its target",
            description="SLA % over the last "
            f"{t.sla_window_s // 60} minutes stayed below the queue's target (queue_targets, "
            f"`queuepulse targets`) for {t.sla_for} (queues with at least {t.sla_min_calls} "
            "finished calls).",
            severity="warning",
            dashboard_uid=SLA_UID,
            panel_title="SLA % by queue",
        ),
        AlertSpec(
            uid="qp-longest-wait",
            title="Caller waiting too long",
            group=ALERT_GROUP_QUEUES,
            sql="""
                SELECT k.pbx_id, k.queue_dn, k.longest_wait_s - t.longest_wait_alert_s
                       AS longest_wait_over_s
                FROM queue_now k
                JOIN queue_targets_effective t ON t.pbx_id = k.pbx_id AND t.queue_dn = k.queue_dn
                WHERE NOT k.stale
            """,
            window_s=120,
            op="gt",
            threshold=0.0,
            for_="1m",
            summary="A caller in queue {{ $labels.queue_dn }} on {{ $labels.pbx_id }} has "
            "waited {{ $values.B }} s longer than the queue's threshold",
            description="The longest current wait is above the queue's longest-wait threshold "
            "(queue_targets, `queuepulse targets`). Not evaluated while the PBX's data is stale "
            "(the pipeline-stale alert covers that).",
            severity="warning",
            dashboard_uid=WALLBOARD_UID,
            panel_title="Longest wait per queue",
        ),
        AlertSpec(
            uid="qp-abandon-spike",
            title="Abandonment spike",
            group=ALERT_GROUP_QUEUES,
            sql=f"""
                SELECT k.pbx_id, k.queue_dn,
                       {abandon_pct("k")} - t.abandon_alert_pct AS abandon_pct_over_threshold
                FROM queue_kpi_1m k
                {targets}
                WHERE $__timeFilter(k.bucket)
                GROUP BY k.pbx_id, k.queue_dn, t.abandon_alert_pct
                HAVING sum(k.answered) + sum(k.abandoned) - sum(k.short_abandoned)
                       >= {t.abandon_min_calls}
            """,
            window_s=t.abandon_window_s,
            op="gt",
            threshold=0.0,
            for_="5m",
            summary="Abandon % of queue {{ $labels.queue_dn }} on {{ $labels.pbx_id }} is "
            "{{ $values.B }} points above its threshold",
            description=f"Abandon % (short abandons excluded) over the last "
            f"{t.abandon_window_s // 60} minutes is above the queue's abandon-rate threshold "
            "(queue_targets, `queuepulse targets`).",
            severity="warning",
            dashboard_uid=QUEUE_DETAIL_UID,
            panel_title="SLA % trend",
        ),
        AlertSpec(
            uid="qp-no-agents",
            title="Calls waiting with no agent logged in",
            group=ALERT_GROUP_QUEUES,
            sql=latest_live.format(
                value="CASE WHEN coalesce(agents_logged_in, 0) = 0 THEN waiting ELSE 0 END"
                " AS waiting_without_agents"
            ),
            window_s=120,
            op="gt",
            threshold=0.0,
            for_="1m",
            summary="{{ $values.B }} calls wait in queue {{ $labels.queue_dn }} on "
            "{{ $labels.pbx_id }} and no agent is logged in",
            description="A queue has waiting calls but no agent logged in to answer them.",
            severity="critical",
            dashboard_uid=WALLBOARD_UID,
            panel_title="Queues now",
        ),
        AlertSpec(
            uid="qp-pipeline-stale",
            title="Pipeline stale",
            group=ALERT_GROUP_PIPELINE,
            sql=f"""
                SELECT p.pbx_id,
                       coalesce(extract(epoch FROM now() - h.last_ok), 86400) AS since_last_poll_s
                FROM (SELECT DISTINCT pbx_id FROM queues WHERE valid_to IS NULL) p
                LEFT JOIN LATERAL (
                  SELECT max(ts) AS last_ok
                  FROM pipeline_health
                  WHERE pbx_id = p.pbx_id AND {SUCCESSFUL_POLL}
                    AND ts > now() - interval '1 day'
                ) h ON true
            """,
            window_s=600,
            op="gt",
            threshold=t.stale_poll_s,
            for_="0s",
            summary="No successful poll of PBX {{ $labels.pbx_id }} for {{ $values.B }} s",
            description=f"The live pipeline has not recorded a successful poll for more than "
            f"{t.stale_poll_s:g} s (a poll answered without error whose ServerNow moved on): "
            "PBX unreachable or answering errors, token failures, a frozen PBX clock, or the "
            "flow is down. No rows at all also alerts.",
            severity="critical",
            dashboard_uid=PIPELINE_UID,
            panel_title="Since last successful poll",
            no_data="Alerting",
        ),
        AlertSpec(
            uid="qp-recon-drift",
            title="Reconciliation drift",
            group=ALERT_GROUP_PIPELINE,
            sql="""
                SELECT pbx_id,
                       round(100.0 * sum(corrected + inserted)
                             / nullif(sum(matched + inserted), 0), 2) AS drift_pct
                FROM reconciliation_runs
                WHERE $__timeFilter(started_at) AND status = 'ok'
                GROUP BY pbx_id
                HAVING sum(matched + inserted) > 0
            """,
            window_s=86400,
            op="gt",
            threshold=t.drift_pct_above,
            for_="0s",
            summary="Live polling got {{ $values.B }} % of the CDR's queue visits wrong or "
            "missed them on PBX {{ $labels.pbx_id }}",
            description=f"Over the last day, more than {t.drift_pct_above:g} % of the CDR's "
            "queue visits (matched + inserted) had to be corrected (a field live got wrong) or "
            "inserted (live missed them): the live view drifts from the PBX's records (check "
            "the attribution rules and poll gaps).",
            severity="warning",
            dashboard_uid=PIPELINE_UID,
            panel_title="Reconciliation runs",
        ),
        staffing_gap_alert(),
    )


def staffing_gap_alert(min_short: float = 0.0, for_: str = "5m") -> AlertSpec:
    """Agents forecast short in the next 30 minutes: the most agents any interval of the next
    30 minutes needs (``staffing_intervals``, written by ``queuepulse run forecast``) minus the
    agents logged in now (newest live gauge of the last 5 minutes), per queue."""
    return AlertSpec(
        uid="qp-staffing-gap",
        title="Staffing gap in the next 30 minutes",
        group=ALERT_GROUP_QUEUES,
        sql="""
            SELECT s.pbx_id, s.queue_dn,
                   (max(s.agents_needed) - max(l.agents_logged_in))::double precision
                       AS agents_short
            FROM staffing_intervals s
            JOIN LATERAL (
              SELECT coalesce(q.agents_logged_in, 0) AS agents_logged_in
              FROM queue_live q
              WHERE q.pbx_id = s.pbx_id AND q.queue_dn = s.queue_dn AND $__timeFilter(q.ts)
              ORDER BY q.ts DESC
              LIMIT 1
            ) l ON true
            WHERE s.kind = 'forecast'
              AND s.interval_start > now() - interval '15 minutes'
              AND s.interval_start < now() + interval '30 minutes'
            GROUP BY s.pbx_id, s.queue_dn
        """,
        window_s=300,
        op="gt",
        threshold=min_short,
        for_=for_,
        summary="Queue {{ $labels.queue_dn }} on {{ $labels.pbx_id }} is forecast "
        "{{ $values.B }} agent(s) short in the next 30 minutes",
        description="The agents needed to meet the SLA target in some 15-minute interval of "
        "the next 30 minutes (Erlang A on the arrival forecast) exceed the agents logged in "
        f"now by more than {min_short:g}, for {for_}.",
        severity="warning",
        dashboard_uid=STAFFING_UID,
        panel_title="Next 30 min: agents needed vs logged in",
    )


def _model(builder: Any) -> dict[str, Any]:
    encoded: dict[str, Any] = to_plain(builder.build())
    return encoded


def _expr_ref() -> dm.DataSourceRef:
    return dm.DataSourceRef(type_val=EXPR_UID, uid=EXPR_UID)


def rule_data(spec: AlertSpec, datasource_uid: str) -> list[dict[str, Any]]:
    """The rule's three steps: A = SQL, B = reduce(last) of A, C = threshold on B."""
    query = SqlQuery(dedent_sql(spec.sql), "table", "A").to_json()
    query |= {"intervalMs": 1000, "maxDataPoints": 43200}
    reduce = eb.TypeReduce().ref_id("B").expression("A").reducer("last").datasource(_expr_ref())
    threshold = (
        eb.TypeThreshold()
        .ref_id("C")
        .expression("B")
        .datasource(_expr_ref())
        .conditions(
            [
                eb.ExprTypeThresholdConditions().evaluator(
                    eb.ExprTypeThresholdConditionsEvaluator().type(spec.op).params([spec.threshold])
                )
            ]
        )
    )
    return [
        {
            "refId": "A",
            "queryType": "",
            "relativeTimeRange": {"from": spec.window_s, "to": 0},
            "datasourceUid": datasource_uid,
            "model": query,
        },
        {
            "refId": "B",
            "queryType": "",
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": EXPR_UID,
            "model": _model(reduce),
        },
        {
            "refId": "C",
            "queryType": "",
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": EXPR_UID,
            "model": _model(threshold),
        },
    ]


def rule(
    spec: AlertSpec, datasource_uid: str, panel_ids: dict[tuple[str, str], int]
) -> dict[str, Any]:
    """One rule in the file-provisioning shape (also the base of the HTTP API shape)."""
    return {
        "uid": spec.uid,
        "title": spec.title,
        "condition": "C",
        "data": rule_data(spec, datasource_uid),
        "dashboardUid": spec.dashboard_uid,
        "panelId": panel_ids[(spec.dashboard_uid, spec.panel_title)],
        "noDataState": spec.no_data,
        "execErrState": "Error",
        "for": spec.for_,
        "annotations": {
            "summary": spec.summary,
            "description": spec.description,
        },
        "labels": {"severity": spec.severity, "app": "queuepulse"},
        "isPaused": False,
    }


GROUP_INTERVALS: dict[str, str] = {ALERT_GROUP_QUEUES: "1m", ALERT_GROUP_PIPELINE: "20s"}


def rules_file(
    datasource_uid: str,
    panel_ids: dict[tuple[str, str], int],
    specs: tuple[AlertSpec, ...] | None = None,
) -> dict[str, Any]:
    """``provisioning/alerting/rules.yaml`` content (apiVersion 1, groups of rules)."""
    specs = alert_specs() if specs is None else specs
    groups: list[dict[str, Any]] = []
    for name, interval in GROUP_INTERVALS.items():
        members = [rule(s, datasource_uid, panel_ids) for s in specs if s.group == name]
        groups.append(
            {
                "orgId": 1,
                "name": name,
                "folder": FOLDER_TITLE,
                "interval": interval,
                "rules": members,
            }
        )
    return {"apiVersion": 1, "groups": groups}


def api_rule(provisioned: dict[str, Any], group: str) -> dict[str, Any]:
    """A file-provisioning rule turned into the provisioning HTTP API's body."""
    body = dict(provisioned)
    body |= {"folderUID": FOLDER_UID, "ruleGroup": group, "orgID": 1}
    return body


def group_seconds(interval: str) -> int:
    """``1m`` / ``20s`` → seconds (the HTTP API wants the group interval in seconds)."""
    unit = interval[-1]
    value = int(interval[:-1])
    return value * {"s": 1, "m": 60, "h": 3600}[unit]
