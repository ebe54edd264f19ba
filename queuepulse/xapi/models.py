"""Typed pydantic v2 models of the XAPI responses queuepulse uses.

Attributes are snake_case; each has the **exact** spec name as its alias (``Id``, ``SLATime``,
``actionDnDn``, ``loggedInDt``), and models validate from either. Every field is optional — the
spec makes almost everything nullable and ``$select`` can leave any field out — and fields the spec
declares but queuepulse does not name are kept as extras (``extra="allow"``), so a round trip
through :func:`to_jsonable` loses nothing. Arrays, never nullable in the spec, default to ``[]``.

Quirks of 3CX's answers handled: ISO-8601 durations become :class:`~datetime.timedelta` (``P`` and
``PT`` are zero), ``CallLogData.CallCost`` is a possibly fractional :class:`~decimal.Decimal`,
date-times without an offset are taken as UTC, enum values stay plain strings (unknown members
are kept, not rejected). Report rows live in :mod:`queuepulse.xapi.reports`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as TimeOfDay
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from queuepulse.xapi.durations import format_duration, parse_duration


def _duration_in(value: object) -> object:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, timedelta):
        return value
    raise ValueError(f"expected an ISO-8601 duration string, got {type(value).__name__}")


def _assume_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _reject_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    return value


XDuration = Annotated[
    timedelta,
    BeforeValidator(_duration_in),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""An XAPI duration (``PT1M30.5S``) as a timedelta; serialized back to the same notation."""

XDateTime = Annotated[datetime, AfterValidator(_assume_utc)]
"""An XAPI date-time; always timezone-aware (naive values are taken as UTC)."""

XDecimal = Annotated[
    Decimal,
    BeforeValidator(_reject_bool),
    PlainSerializer(float, return_type=float, when_used="json"),
]
"""The spec's ``integer``/``decimal`` numbers (``CallCost``): possibly fractional."""


class QueueStatusType(StrEnum):
    """``Pbx.QueueStatusType``: an agent's (global) queue login flag."""

    LOGGED_OUT = "LoggedOut"
    LOGGED_IN = "LoggedIn"


class XapiModel(BaseModel):
    """Base of every XAPI model: tolerant, immutable, validates by spec name or attribute."""

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
    )


ModelT = TypeVar("ModelT", bound=BaseModel)


class Collection(BaseModel, Generic[ModelT]):
    """The collection envelope ``{"@odata.count": i64?, "value": [...]}``."""

    model_config = ConfigDict(extra="allow", validate_by_name=True, validate_by_alias=True)

    odata_count: int | None = Field(None, alias="@odata.count")
    value: list[ModelT]


@dataclass(frozen=True)
class Page(Generic[ModelT]):
    """One page of a collection: its items and ``@odata.count`` when asked for."""

    items: list[ModelT]
    count: int | None = None


def to_jsonable(model: BaseModel) -> dict[str, Any]:
    """A model back as the JSON-able dict the XAPI would send (spec names, extras kept)."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


class ActiveCall(XapiModel):
    """A call in progress (``GET /ActiveCalls``); queuepulse keys it by (Id, EstablishedAt)."""

    callee: str | None = Field(None, alias="Callee")
    caller: str | None = Field(None, alias="Caller")
    established_at: XDateTime | None = Field(None, alias="EstablishedAt")
    id: int | None = Field(None, alias="Id")
    last_change_status: XDateTime | None = Field(None, alias="LastChangeStatus")
    server_now: XDateTime | None = Field(None, alias="ServerNow")
    status: str | None = Field(None, alias="Status")


class Destination(XapiModel):
    """``Pbx.Destination``: where a route sends a call."""

    external: str | None = Field(None, alias="External")
    name: str | None = Field(None, alias="Name")
    number: str | None = Field(None, alias="Number")
    tags: list[str] = Field(default_factory=list, alias="Tags")
    to: str | None = Field(None, alias="To")
    type: str | None = Field(None, alias="Type")


class Route(XapiModel):
    """``Pbx.Route``: a queue's out-of-office / break / holidays route."""

    is_prompt_enabled: bool | None = Field(None, alias="IsPromptEnabled")
    prompt: str | None = Field(None, alias="Prompt")
    route: Destination | None = Field(None, alias="Route")


class ResetQueueStatisticsSchedule(XapiModel):
    """``Pbx.ResetQueueStatisticsSchedule``."""

    day: str | None = Field(None, alias="Day")
    frequency: str | None = Field(None, alias="Frequency")
    time: TimeOfDay | None = Field(None, alias="Time")


class QueueAgent(XapiModel):
    """A queue member (``Queue.Agents``, ``GET /Queues({Id})/Agents``). No status field."""

    id: int | None = Field(None, alias="Id")
    name: str | None = Field(None, alias="Name")
    number: str | None = Field(None, alias="Number")
    skill_group: str | None = Field(None, alias="SkillGroup")
    tags: list[str] = Field(default_factory=list, alias="Tags")


class QueueManager(XapiModel):
    """A queue manager (``Queue.Managers``, ``GET /Queues({Id})/Managers``)."""

    id: int | None = Field(None, alias="Id")
    name: str | None = Field(None, alias="Name")
    number: str | None = Field(None, alias="Number")
    tags: list[str] = Field(default_factory=list, alias="Tags")


class Queue(XapiModel):
    """A call queue (``GET /Queues``): the monitoring fields; the rest are kept as extras."""

    id: int | None = Field(None, alias="Id")
    number: str | None = Field(None, alias="Number")
    name: str | None = Field(None, alias="Name")
    is_registered: bool | None = Field(None, alias="IsRegistered")
    polling_strategy: str | None = Field(None, alias="PollingStrategy")
    priority_queue: bool | None = Field(None, alias="PriorityQueue")
    ring_timeout: int | None = Field(None, alias="RingTimeout")
    master_timeout: int | None = Field(None, alias="MasterTimeout")
    sla_time: int | None = Field(None, alias="SLATime")
    wrap_up_time: int | None = Field(None, alias="WrapUpTime")
    max_callers_in_queue: int | None = Field(None, alias="MaxCallersInQueue")
    agent_availability_mode: bool | None = Field(None, alias="AgentAvailabilityMode")
    auto_logout_missed_calls: int | None = Field(None, alias="AutoLogoutMissedCalls")
    agents: list[QueueAgent] = Field(default_factory=list, alias="Agents")
    managers: list[QueueManager] = Field(default_factory=list, alias="Managers")
    groups: list[dict[str, Any]] = Field(default_factory=list, alias="Groups")
    max_wait_strategy_enabled: bool | None = Field(None, alias="MaxWaitStrategyEnabled")
    max_wait_time_skill_group_values: list[int] = Field(
        default_factory=list, alias="MaxWaitTimeSkillGroupValues"
    )
    skill_based_ring_all_cumulative_polling_enabled: bool | None = Field(
        None, alias="SkillBasedRingAllCumulativePollingEnabled"
    )
    notify_codes: list[str] = Field(default_factory=list, alias="NotifyCodes")
    announce_queue_position: bool | None = Field(None, alias="AnnounceQueuePosition")
    announcement_interval: int | None = Field(None, alias="AnnouncementInterval")
    announce_estimated_wait_time: bool | None = Field(None, alias="AnnounceEstimatedWaitTime")
    announce_estimated_wait_time_interval: int | None = Field(
        None, alias="AnnounceEstimatedWaitTimeInterval"
    )
    callback_enable_time: int | None = Field(None, alias="CallbackEnableTime")
    callback_offer_only: bool | None = Field(None, alias="CallbackOfferOnly")
    callback_prefix: str | None = Field(None, alias="CallbackPrefix")
    reset_statistics_schedule_enabled: bool | None = Field(
        None, alias="ResetStatisticsScheduleEnabled"
    )
    reset_queue_statistics_schedule: ResetQueueStatisticsSchedule | None = Field(
        None, alias="ResetQueueStatisticsSchedule"
    )
    forward_no_answer: Destination | None = Field(None, alias="ForwardNoAnswer")
    out_of_office_route: Route | None = Field(None, alias="OutOfOfficeRoute")
    break_route: Route | None = Field(None, alias="BreakRoute")
    holidays_route: Route | None = Field(None, alias="HolidaysRoute")
    recording: str | None = Field(None, alias="Recording")


class User(XapiModel):
    """A user (extension), monitoring subset only: always fetched with ``$select`` (secrets)."""

    id: int | None = Field(None, alias="Id")
    number: str | None = Field(None, alias="Number")
    first_name: str | None = Field(None, alias="FirstName")
    last_name: str | None = Field(None, alias="LastName")
    display_name: str | None = Field(None, alias="DisplayName")
    email_address: str | None = Field(None, alias="EmailAddress")
    enabled: bool | None = Field(None, alias="Enabled")
    is_registered: bool | None = Field(None, alias="IsRegistered")
    queue_status: str | None = Field(None, alias="QueueStatus")
    current_profile_name: str | None = Field(None, alias="CurrentProfileName")
    office_hours_props: list[str] = Field(default_factory=list, alias="OfficeHoursProps")
    tags: list[str] = Field(default_factory=list, alias="Tags")
    ai_agent: bool | None = Field(None, alias="AIAgent")


class OfficeHours(XapiModel):
    """``GET /OfficeHours`` (singleton): the PBX's office hours; queuepulse reads only its
    time zone (``TimeZoneId``, an ``Id`` of ``GET /Defs/TimeZones``)."""

    time_zone_id: str | None = Field(None, alias="TimeZoneId")
    system_language: str | None = Field(None, alias="SystemLanguage")


class TimeZone(XapiModel):
    """An item of ``GET /Defs/TimeZones``: a time zone the PBX knows, with its IANA name."""

    id: str | None = Field(None, alias="Id")
    iana_name: str | None = Field(None, alias="IanaName")
    name: str | None = Field(None, alias="Name")
    windows_name: str | None = Field(None, alias="WindowsName")


class SystemStatus(XapiModel):
    """``GET /SystemStatus`` (singleton)."""

    activated: bool | None = Field(None, alias="Activated")
    auto_update_enabled: bool | None = Field(None, alias="AutoUpdateEnabled")
    available_local_ips: str | None = Field(None, alias="AvailableLocalIps")
    backup_scheduled: bool | None = Field(None, alias="BackupScheduled")
    calls_active: int | None = Field(None, alias="CallsActive")
    chat_used_space: int | None = Field(None, alias="ChatUsedSpace")
    current_local_ip: str | None = Field(None, alias="CurrentLocalIp")
    db_maintenance_in_progress: bool | None = Field(None, alias="DBMaintenanceInProgress")
    disk_usage: int | None = Field(None, alias="DiskUsage")
    expiration_date: XDateTime | None = Field(None, alias="ExpirationDate")
    extensions_registered: int | None = Field(None, alias="ExtensionsRegistered")
    extensions_total: int | None = Field(None, alias="ExtensionsTotal")
    fqdn: str | None = Field(None, alias="FQDN")
    free_disk_space: int | None = Field(None, alias="FreeDiskSpace")
    has_not_running_services: bool | None = Field(None, alias="HasNotRunningServices")
    has_unregistered_system_extensions: bool | None = Field(
        None, alias="HasUnregisteredSystemExtensions"
    )
    id: int | None = Field(None, alias="Id")
    ip: str | None = Field(None, alias="Ip")
    ip_v4: str | None = Field(None, alias="IpV4")
    ip_v6: str | None = Field(None, alias="IpV6")
    is_audit_log_enabled: bool | None = Field(None, alias="IsAuditLogEnabled")
    is_chat_log_enabled: bool | None = Field(None, alias="IsChatLogEnabled")
    is_recording_archive_enabled: bool | None = Field(None, alias="IsRecordingArchiveEnabled")
    last_backup_date_time: XDateTime | None = Field(None, alias="LastBackupDateTime")
    last_check_for_updates: XDateTime | None = Field(None, alias="LastCheckForUpdates")
    last_successful_update: XDateTime | None = Field(None, alias="LastSuccessfulUpdate")
    license_active: bool | None = Field(None, alias="LicenseActive")
    license_key: str | None = Field(None, alias="LicenseKey")
    local_ip_valid: bool | None = Field(None, alias="LocalIpValid")
    log_used_space: int | None = Field(None, alias="LogUsedSpace")
    maintenance_expires_at: XDateTime | None = Field(None, alias="MaintenanceExpiresAt")
    max_sim_calls: int | None = Field(None, alias="MaxSimCalls")
    max_user_extensions: int | None = Field(None, alias="MaxUserExtensions")
    os: str | None = Field(None, alias="OS")
    outbound_rules: int | None = Field(None, alias="OutboundRules")
    product_code: str | None = Field(None, alias="ProductCode")
    recording_quota: int | None = Field(None, alias="RecordingQuota")
    recording_quota_reached: bool | None = Field(None, alias="RecordingQuotaReached")
    recording_stopped: bool | None = Field(None, alias="RecordingStopped")
    recording_used_space: int | None = Field(None, alias="RecordingUsedSpace")
    remote_configuration_required: bool | None = Field(None, alias="RemoteConfigurationRequired")
    remote_storage_enabled: bool | None = Field(None, alias="RemoteStorageEnabled")
    remote_storage_status: str | None = Field(None, alias="RemoteStorageStatus")
    reseller_name: str | None = Field(None, alias="ResellerName")
    support: bool | None = Field(None, alias="Support")
    total_disk_space: int | None = Field(None, alias="TotalDiskSpace")
    trunks_registered: int | None = Field(None, alias="TrunksRegistered")
    trunks_total: int | None = Field(None, alias="TrunksTotal")
    user_extensions: int | None = Field(None, alias="UserExtensions")
    version: str | None = Field(None, alias="Version")
    voicemail_quota_reached: bool | None = Field(None, alias="VoicemailQuotaReached")
    voicemail_stopped: bool | None = Field(None, alias="VoicemailStopped")


class CallHistoryView(XapiModel):
    """One call segment from ``GET /CallHistoryView`` (``CallTime`` is a duration here)."""

    call_answered: bool | None = Field(None, alias="CallAnswered")
    call_time: XDuration | None = Field(None, alias="CallTime")
    dst_caller_number: str | None = Field(None, alias="DstCallerNumber")
    dst_display_name: str | None = Field(None, alias="DstDisplayName")
    dst_dn: str | None = Field(None, alias="DstDn")
    dst_dn_type: int | None = Field(None, alias="DstDnType")
    dst_extended_display_name: str | None = Field(None, alias="DstExtendedDisplayName")
    dst_external: bool | None = Field(None, alias="DstExternal")
    dst_id: int | None = Field(None, alias="DstId")
    dst_internal: bool | None = Field(None, alias="DstInternal")
    dst_participant_id: int | None = Field(None, alias="DstParticipantId")
    dst_rec_id: int | None = Field(None, alias="DstRecId")
    segment_action_id: int | None = Field(None, alias="SegmentActionId")
    segment_end_time: XDateTime | None = Field(None, alias="SegmentEndTime")
    segment_id: int | None = Field(None, alias="SegmentId")
    segment_start_time: XDateTime | None = Field(None, alias="SegmentStartTime")
    segment_type: int | None = Field(None, alias="SegmentType")
    src_caller_number: str | None = Field(None, alias="SrcCallerNumber")
    src_display_name: str | None = Field(None, alias="SrcDisplayName")
    src_dn: str | None = Field(None, alias="SrcDn")
    src_dn_type: int | None = Field(None, alias="SrcDnType")
    src_extended_display_name: str | None = Field(None, alias="SrcExtendedDisplayName")
    src_external: bool | None = Field(None, alias="SrcExternal")
    src_id: int | None = Field(None, alias="SrcId")
    src_internal: bool | None = Field(None, alias="SrcInternal")
    src_participant_id: int | None = Field(None, alias="SrcParticipantId")
    src_rec_id: int | None = Field(None, alias="SrcRecId")


class XReportRecording(XapiModel):
    """``Pbx.XReportRecording``: a recording attached to a call-log row."""

    id: int | None = Field(None, alias="Id")
    sentiment_score: int | None = Field(None, alias="SentimentScore")
    summary: str | None = Field(None, alias="Summary")
    transcription: str | None = Field(None, alias="Transcription")


class CallLogData(XapiModel):
    """A row of ``ReportCallLogData/Pbx.GetCallLogData`` (CDR)."""

    action_dn_caller_id: str | None = Field(None, alias="ActionDnCallerId")
    action_dn_display_name: str | None = Field(None, alias="ActionDnDisplayName")
    action_dn_dn: str | None = Field(None, alias="actionDnDn")
    action_dn_type: int | None = Field(None, alias="ActionDnType")
    action_type: int | None = Field(None, alias="ActionType")
    answered: bool | None = Field(None, alias="Answered")
    call_cost: XDecimal | None = Field(None, alias="CallCost")
    call_history_id: str | None = Field(None, alias="CallHistoryId")
    call_id: int | None = Field(None, alias="CallId")
    call_type: str | None = Field(None, alias="CallType")
    cdr_id: str | None = Field(None, alias="CdrId")
    destination_caller_id: str | None = Field(None, alias="DestinationCallerId")
    destination_display_name: str | None = Field(None, alias="DestinationDisplayName")
    destination_dn: str | None = Field(None, alias="DestinationDn")
    destination_type: int | None = Field(None, alias="DestinationType")
    direction: str | None = Field(None, alias="Direction")
    dst_rec_id: int | None = Field(None, alias="DstRecId")
    indent: int | None = Field(None, alias="Indent")
    main_call_history_id: str | None = Field(None, alias="MainCallHistoryId")
    quality_report: bool | None = Field(None, alias="QualityReport")
    reason: str | None = Field(None, alias="Reason")
    recordings: list[XReportRecording] = Field(default_factory=list, alias="Recordings")
    recording_url: str | None = Field(None, alias="RecordingUrl")
    ringing_duration: XDuration | None = Field(None, alias="RingingDuration")
    segment_id: int | None = Field(None, alias="SegmentId")
    sentiment_score: int | None = Field(None, alias="SentimentScore")
    source_caller_id: str | None = Field(None, alias="SourceCallerId")
    source_display_name: str | None = Field(None, alias="SourceDisplayName")
    source_dn: str | None = Field(None, alias="SourceDn")
    source_type: int | None = Field(None, alias="SourceType")
    src_rec_id: int | None = Field(None, alias="SrcRecId")
    start_time: XDateTime | None = Field(None, alias="StartTime")
    status: str | None = Field(None, alias="Status")
    subrow_desc_number: int | None = Field(None, alias="SubrowDescNumber")
    summary: str | None = Field(None, alias="Summary")
    talking_duration: XDuration | None = Field(None, alias="TalkingDuration")
    transcription: str | None = Field(None, alias="Transcription")


USER_MONITORING_FIELDS: tuple[str, ...] = tuple(
    field.alias or name for name, field in User.model_fields.items()
)
"""The ``$select`` every Users request carries: the User entity also holds passwords and PINs."""
