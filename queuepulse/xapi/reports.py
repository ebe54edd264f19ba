"""The 14 queue report functions of the official 3CX OpenAPI document: their row models and
parameter lists.

Every report is ``GET /Report<X>/Pbx.Get<X>Data(name=value,...)``, takes all eight query options
and returns the collection envelope of its row schema. Every function parameter is required (even
the nullable ones), so :data:`REPORTS` lists each report's parameters in the spec's path order and
:meth:`ReportSpec.path` refuses a missing or unknown one. Nullable string parameters whose format
the spec leaves open (``waitInterval``, ``queueDns``, ``chartBy``, ``clientTimeZone``...) are
passed through as given, formatted as OData string literals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic

from pydantic import BaseModel, Field

from queuepulse.xapi.models import ModelT, XapiModel, XDateTime, XDuration
from queuepulse.xapi.odata import function_path


class QueuePerformanceOverview(XapiModel):
    """Row of ``ReportQueuePerformanceOverview/Pbx.GetQueuePerformanceOverviewData``."""

    extension_answered_count: int | None = Field(None, alias="ExtensionAnsweredCount")
    extension_display_name: str | None = Field(None, alias="ExtensionDisplayName")
    extension_dn: str | None = Field(None, alias="ExtensionDn")
    extension_dropped_count: int | None = Field(None, alias="ExtensionDroppedCount")
    queue_answered_count: int | None = Field(None, alias="QueueAnsweredCount")
    queue_display_name: str | None = Field(None, alias="QueueDisplayName")
    queue_dn: str | None = Field(None, alias="QueueDn")
    queue_received_count: int | None = Field(None, alias="QueueReceivedCount")
    sort_order: int | None = Field(None, alias="SortOrder")
    talk_time: XDuration | None = Field(None, alias="TalkTime")


class QueuePerformanceTotals(XapiModel):
    """Row of ``ReportQueuePerformanceTotals/Pbx.GetQueuePerformanceTotalsData``."""

    extension_answered_count: int | None = Field(None, alias="ExtensionAnsweredCount")
    extension_dropped_count: int | None = Field(None, alias="ExtensionDroppedCount")
    queue_display_name: str | None = Field(None, alias="QueueDisplayName")
    queue_dn: str | None = Field(None, alias="QueueDn")
    queue_received_count: int | None = Field(None, alias="QueueReceivedCount")


class AbandonedQueueCalls(XapiModel):
    """Row of ``ReportAbandonedQueueCalls/Pbx.GetAbandonedQueueCallsData``."""

    caller_id: str | None = Field(None, alias="CallerId")
    call_history_id: str | None = Field(None, alias="CallHistoryId")
    call_time: XDateTime | None = Field(None, alias="CallTime")
    call_time_for_csv: XDateTime | None = Field(None, alias="CallTimeForCsv")
    extension_display_name: str | None = Field(None, alias="ExtensionDisplayName")
    extension_dn: str | None = Field(None, alias="ExtensionDn")
    is_logged_in: bool | None = Field(None, alias="IsLoggedIn")
    polling_attempts: int | None = Field(None, alias="PollingAttempts")
    queue_display_name: str | None = Field(None, alias="QueueDisplayName")
    queue_dn: str | None = Field(None, alias="QueueDn")
    wait_time: XDuration | None = Field(None, alias="WaitTime")


class StatisticSla(XapiModel):
    """Row of ``ReportStatisticSla/Pbx.GetStatisticSlaData``."""

    bad_sla_calls_count: int | None = Field(None, alias="BadSlaCallsCount")
    dn: str | None = Field(None, alias="Dn")
    queue_dn_number: str | None = Field(None, alias="QueueDnNumber")
    received_count: int | None = Field(None, alias="ReceivedCount")


class BreachesSla(XapiModel):
    """Row of ``ReportBreachesSla/Pbx.GetBreachesSlaData``."""

    caller_id: str | None = Field(None, alias="CallerId")
    call_time: XDateTime | None = Field(None, alias="CallTime")
    queue: str | None = Field(None, alias="Queue")
    queue_dn_number: str | None = Field(None, alias="QueueDnNumber")
    waiting_time: XDuration | None = Field(None, alias="WaitingTime")


class AgentsInQueueStatistics(XapiModel):
    """Row of ``ReportAgentsInQueueStatistics/Pbx.GetAgentsInQueueStatisticsData``."""

    answered_count: int | None = Field(None, alias="AnsweredCount")
    answered_percent: int | None = Field(None, alias="AnsweredPercent")
    answered_per_hour_count: int | None = Field(None, alias="AnsweredPerHourCount")
    avg_ring_time: XDuration | None = Field(None, alias="AvgRingTime")
    avg_talk_time: XDuration | None = Field(None, alias="AvgTalkTime")
    dn: str | None = Field(None, alias="Dn")
    dn_display_name: str | None = Field(None, alias="DnDisplayName")
    logged_in_time: XDuration | None = Field(None, alias="LoggedInTime")
    lost_count: int | None = Field(None, alias="LostCount")
    queue: str | None = Field(None, alias="Queue")
    queue_display_name: str | None = Field(None, alias="QueueDisplayName")
    ring_time: XDuration | None = Field(None, alias="RingTime")
    talk_time: XDuration | None = Field(None, alias="TalkTime")


class TeamQueueGeneralStatistics(XapiModel):
    """Row of ``ReportTeamQueueGeneralStatistics/Pbx.GetTeamQueueGeneralStatisticsData``."""

    agents_in_queue_count: int | None = Field(None, alias="AgentsInQueueCount")
    answered_count: int | None = Field(None, alias="AnsweredCount")
    avg_talk_time: XDuration | None = Field(None, alias="AvgTalkTime")
    dn: str | None = Field(None, alias="Dn")
    queue_dn_number: str | None = Field(None, alias="QueueDnNumber")
    received_count: int | None = Field(None, alias="ReceivedCount")
    total_talk_time: XDuration | None = Field(None, alias="TotalTalkTime")


class DetailedQueueStatistics(XapiModel):
    """Row of ``ReportDetailedQueueStatistics/Pbx.GetDetailedQueueStatisticsData``."""

    answered_count: int | None = Field(None, alias="AnsweredCount")
    avg_ring_time: XDuration | None = Field(None, alias="AvgRingTime")
    avg_talk_time: XDuration | None = Field(None, alias="AvgTalkTime")
    callbacks_count: int | None = Field(None, alias="CallbacksCount")
    calls_count: int | None = Field(None, alias="CallsCount")
    queue_dn: str | None = Field(None, alias="QueueDn")
    queue_dn_number: str | None = Field(None, alias="QueueDnNumber")
    ring_time: XDuration | None = Field(None, alias="RingTime")
    talk_time: XDuration | None = Field(None, alias="TalkTime")


class QueueAnsweredCallsByWaitTime(XapiModel):
    """Row of ``ReportQueueAnsweredCallsByWaitTime/Pbx.GetQueueAnsweredCallsByWaitTimeData``."""

    answered_time: XDateTime | None = Field(None, alias="AnsweredTime")
    call_time: XDateTime | None = Field(None, alias="CallTime")
    destination: str | None = Field(None, alias="Destination")
    dn: str | None = Field(None, alias="Dn")
    dn_number: str | None = Field(None, alias="DnNumber")
    ring_time: XDuration | None = Field(None, alias="RingTime")
    sentiment_score: int | None = Field(None, alias="SentimentScore")
    source: str | None = Field(None, alias="Source")


class QueueCallbacks(XapiModel):
    """Row of ``ReportQueueCallbacks/Pbx.GetQueueCallbacksData``."""

    callbacks_count: int | None = Field(None, alias="CallbacksCount")
    dn: str | None = Field(None, alias="Dn")
    fail_callbacks_count: int | None = Field(None, alias="FailCallbacksCount")
    queue_dn_number: str | None = Field(None, alias="QueueDnNumber")
    received_count: int | None = Field(None, alias="ReceivedCount")


class QueueFailedCallbacks(XapiModel):
    """Row of ``ReportQueueFailedCallbacks/Pbx.GetQueueFailedCallbacksData``."""

    callback_no: str | None = Field(None, alias="CallbackNo")
    call_time: XDateTime | None = Field(None, alias="CallTime")
    dn: str | None = Field(None, alias="Dn")
    queue_dn_number: str | None = Field(None, alias="QueueDnNumber")
    ring_time: XDuration | None = Field(None, alias="RingTime")


class AgentLoginHistory(XapiModel):
    """Row of ``ReportAgentLoginHistory/Pbx.GetAgentLoginHistoryData``."""

    agent: str | None = Field(None, alias="Agent")
    agent_no: str | None = Field(None, alias="AgentNo")
    day: XDateTime | None = Field(None, alias="Day")
    logged_in_day_interval: XDuration | None = Field(None, alias="LoggedInDayInterval")
    logged_in_dt: XDateTime | None = Field(None, alias="loggedInDt")
    logged_in_interval: XDuration | None = Field(None, alias="LoggedInInterval")
    logged_in_total_interval: XDuration | None = Field(None, alias="LoggedInTotalInterval")
    logged_out_dt: XDateTime | None = Field(None, alias="LoggedOutDt")
    queue_no: str | None = Field(None, alias="QueueNo")
    talking_day_interval: XDuration | None = Field(None, alias="TalkingDayInterval")
    talking_interval: XDuration | None = Field(None, alias="TalkingInterval")
    talking_total_interval: XDuration | None = Field(None, alias="TalkingTotalInterval")


class TimeReportData(XapiModel):
    """``Pbx.TimeReportData``: a chart point (``YValue1``/``YValue2`` have no declared meaning)."""

    x_value: XDateTime | None = Field(None, alias="XValue")
    y_value1: int | None = Field(None, alias="YValue1")
    y_value2: int | None = Field(None, alias="YValue2")


@dataclass(frozen=True)
class ReportSpec(Generic[ModelT]):
    """One report function: ``X`` of ``Report<X>/Pbx.Get<X>Data``, its parameters, its row."""

    name: str
    params: tuple[str, ...]
    row: type[ModelT]

    @property
    def base_path(self) -> str:
        """``/Report<X>/Pbx.Get<X>Data`` (without the parameter list)."""
        return f"/Report{self.name}/Pbx.Get{self.name}Data"

    @property
    def operation_id(self) -> str:
        """The spec's operationId, ``Get<X>Data``."""
        return f"Get{self.name}Data"

    def by_role(self, **roles: object) -> dict[str, object]:
        """Parameter values by spec name from values by role (``start=``, ``queue_dns=``...).

        The reports name one thing differently (``periodFrom`` / ``startDt``, ``queueDns`` /
        ``queueDnStr``, ``waitInterval`` / ``answerInterval``); :data:`ROLE_PARAMS` maps each
        role to its spellings. A role this report does not take raises :class:`ValueError`
        unless its value is ``None``.
        """
        out: dict[str, object] = {}
        for role, value in roles.items():
            names = [n for n in ROLE_PARAMS[role] if n in self.params]
            if names:
                out[names[0]] = value
            elif value is not None:
                raise ValueError(
                    f"{self.operation_id} takes no {role} ({', '.join(ROLE_PARAMS[role])}); "
                    f"its parameters are ({', '.join(self.params)})"
                )
        return out

    def path(self, values: Mapping[str, object]) -> str:
        """The function path with every parameter formatted as an OData literal.

        Raises :class:`ValueError` naming missing or unknown parameters.
        """
        missing = [p for p in self.params if p not in values]
        unknown = sorted(set(values) - set(self.params))
        if missing or unknown:
            raise ValueError(
                f"{self.operation_id} takes exactly ({', '.join(self.params)}); "
                f"missing {missing or 'none'}, unknown {unknown or 'none'} "
                "(pass None for a null parameter: every parameter is required)"
            )
        return function_path(self.base_path, [(p, values[p]) for p in self.params])


ROLE_PARAMS: dict[str, tuple[str, ...]] = {
    "start": ("periodFrom", "startDt"),
    "end": ("periodTo", "endDt"),
    "queue_dns": ("queueDns", "queueDnStr"),
    "interval": ("waitInterval", "answerInterval"),
    "agent_dns": ("agentDnStr",),
    "time_zone": ("clientTimeZone",),
    "chart_date": ("chartDate",),
    "chart_by": ("chartBy",),
}
"""The spellings of each report parameter role (see :meth:`ReportSpec.by_role`)."""

_P = ("periodFrom", "periodTo", "queueDns", "waitInterval")
_S = ("queueDnStr", "startDt", "endDt", "waitInterval")

QUEUE_PERFORMANCE_OVERVIEW = ReportSpec("QueuePerformanceOverview", _P, QueuePerformanceOverview)
QUEUE_PERFORMANCE_TOTALS = ReportSpec("QueuePerformanceTotals", _P, QueuePerformanceTotals)
ABANDONED_QUEUE_CALLS = ReportSpec("AbandonedQueueCalls", _P, AbandonedQueueCalls)
STATISTIC_SLA = ReportSpec("StatisticSla", _S, StatisticSla)
BREACHES_SLA = ReportSpec("BreachesSla", _S, BreachesSla)
AGENTS_IN_QUEUE_STATISTICS = ReportSpec("AgentsInQueueStatistics", _S, AgentsInQueueStatistics)
TEAM_QUEUE_GENERAL_STATISTICS = ReportSpec(
    "TeamQueueGeneralStatistics", _S, TeamQueueGeneralStatistics
)
DETAILED_QUEUE_STATISTICS = ReportSpec("DetailedQueueStatistics", _S, DetailedQueueStatistics)
QUEUE_ANSWERED_CALLS_BY_WAIT_TIME = ReportSpec(
    "QueueAnsweredCallsByWaitTime",
    ("queueDnStr", "startDt", "endDt", "answerInterval"),
    QueueAnsweredCallsByWaitTime,
)
QUEUE_CALLBACKS = ReportSpec("QueueCallbacks", ("queueDnStr", "startDt", "endDt"), QueueCallbacks)
QUEUE_FAILED_CALLBACKS = ReportSpec(
    "QueueFailedCallbacks", ("queueDnStr", "startDt", "endDt"), QueueFailedCallbacks
)
AGENT_LOGIN_HISTORY = ReportSpec(
    "AgentLoginHistory",
    ("clientTimeZone", "startDt", "endDt", "queueDnStr", "agentDnStr"),
    AgentLoginHistory,
)
AVERAGE_QUEUE_WAITING_TIME = ReportSpec(
    "AverageQueueWaitingTime",
    ("chartDate", "chartBy", "queueDnStr", "waitInterval", "clientTimeZone"),
    TimeReportData,
)
QUEUE_AN_UN_CALLS = ReportSpec(
    "QueueAnUnCalls",
    ("chartDate", "chartBy", "queueDnStr", "clientTimeZone", "waitInterval"),
    TimeReportData,
)

REPORTS: dict[str, ReportSpec[BaseModel]] = {
    spec.name: spec  # type: ignore[misc]
    for spec in (
        QUEUE_PERFORMANCE_OVERVIEW,
        QUEUE_PERFORMANCE_TOTALS,
        ABANDONED_QUEUE_CALLS,
        STATISTIC_SLA,
        BREACHES_SLA,
        AGENTS_IN_QUEUE_STATISTICS,
        TEAM_QUEUE_GENERAL_STATISTICS,
        DETAILED_QUEUE_STATISTICS,
        QUEUE_ANSWERED_CALLS_BY_WAIT_TIME,
        QUEUE_CALLBACKS,
        QUEUE_FAILED_CALLBACKS,
        AGENT_LOGIN_HISTORY,
        AVERAGE_QUEUE_WAITING_TIME,
        QUEUE_AN_UN_CALLS,
    )
}
"""Every report by its ``X`` name."""
