"""Property names of the XAPI entities, as declared in the official OpenAPI subset
(``queue-subset.json``, 3cx/xapi-tutorial commit 1c6947c). ``$select``, ``$filter`` and
``$orderby`` accept exactly these; properties the simulator does not model are left out of
its rows (the spec makes every non-error property optional)."""

from __future__ import annotations

ACTIVE_CALL_PROPERTIES: frozenset[str] = frozenset({
    "Callee", "Caller", "EstablishedAt", "Id", "LastChangeStatus", "ServerNow", "Status",
})

QUEUE_PROPERTIES: frozenset[str] = frozenset({
    "AgentAvailabilityMode", "Agents", "AnnounceEstimatedWaitTime",
    "AnnounceEstimatedWaitTimeInterval", "AnnounceQueuePosition", "AnnouncementInterval",
    "AutoLogoutMissedCalls", "BreakRoute", "CallUsEnableChat", "CallUsEnablePhone",
    "CallUsEnableVideo", "CallUsRequirement", "CallbackEnableTime", "CallbackOfferOnly",
    "CallbackOfferPrompt", "CallbackPrefix", "ClickToCallId", "ComfortPrompts",
    "ComfortPromptsEnabled", "ComfortPromptsInterval", "DestinationNoAnswerPrompt", "EnableIntro",
    "ForwardNoAnswer", "GreetingFile", "Groups", "HolidaysRoute", "Id", "IntroFile",
    "IsRegistered", "Managers", "MasterTimeout", "MaxCallersInQueue", "MaxWaitStrategyEnabled",
    "MaxWaitTimeSkillGroupValues", "Name", "NotifyCodes", "Number", "OnHoldFile",
    "OutOfOfficeRoute", "PlayFullPrompt", "PollingStrategy", "PriorityQueue", "PromptSet",
    "Recording", "ResetQueueStatisticsSchedule", "ResetStatisticsScheduleEnabled", "RingTimeout",
    "SLATime", "SkillBasedRingAllCumulativePollingEnabled", "StopBackgroundWhenPrompt",
    "TranscriptionMode", "TypeOfChatOwnershipType", "VMEmailList", "VMEmailOptions", "WrapUpTime",
})

QUEUE_AGENT_PROPERTIES: frozenset[str] = frozenset({
    "Id", "Name", "Number", "SkillGroup", "Tags",
})

QUEUE_MANAGER_PROPERTIES: frozenset[str] = frozenset({
    "Id", "Name", "Number", "Tags",
})

USER_PROPERTIES: frozenset[str] = frozenset({
    "AIAgent", "AccessPassword", "AgentSettings", "AllowLanOnly", "AllowOwnRecordings", "AuthID",
    "AuthPassword", "Blfs", "BlockTunnel", "BreakTime", "CallScreening", "CallUsEnableChat",
    "CallUsEnablePhone", "CallUsEnableVideo", "CallUsRequirement", "ClickToCallId", "ContactImage",
    "CurrentProfileName", "DatevEnabled", "DeskphonePassword", "DisplayName", "EmailAddress",
    "EmergencyAdditionalInfo", "EmergencyLocationId", "Enable2FA", "EnableHotdesking", "Enabled",
    "FirstName", "ForbidRecording", "ForwardingExceptions", "ForwardingProfiles",
    "GoogleCalendarEnabled", "GoogleContactsEnabled", "GoogleSignInEnabled", "Greetings", "Groups",
    "HideInPhonebook", "HotdeskingAssignment", "Hours", "Id", "Internal", "IsRegistered",
    "Language", "LastName", "MS365CalendarEnabled", "MS365ContactsEnabled", "MS365SignInEnabled",
    "MS365TeamsEnabled", "Mobile", "MyPhoneAllowDeleteRecordings", "MyPhoneHideForwardings",
    "MyPhonePush", "MyPhoneShowRecordings", "Number", "OfficeHoursProps", "OutboundCallerID",
    "PbxDeliversAudio", "Phones", "PinProtectTimeout", "PinProtected", "PrimaryGroupId",
    "PromptSet", "QueueStatus", "RecordCalls", "RecordEmailNotify", "RecordExternalCallsOnly",
    "Require2FA", "SIPID", "SRTPMode", "SendEmailMissedCalls", "Tags", "TranscriptionMode",
    "VMDisablePinAuth", "VMEmailOptions", "VMEnabled", "VMPIN", "VMPlayCallerID",
    "VMPlayMsgDateTime", "WebMeetingApproveParticipants", "WebMeetingFriendlyName",
})

SYSTEM_STATUS_PROPERTIES: frozenset[str] = frozenset({
    "Activated", "AutoUpdateEnabled", "AvailableLocalIps", "BackupScheduled", "CallsActive",
    "ChatUsedSpace", "CurrentLocalIp", "DBMaintenanceInProgress", "DiskUsage", "ExpirationDate",
    "ExtensionsRegistered", "ExtensionsTotal", "FQDN", "FreeDiskSpace", "HasNotRunningServices",
    "HasUnregisteredSystemExtensions", "Id", "Ip", "IpV4", "IpV6", "IsAuditLogEnabled",
    "IsChatLogEnabled", "IsRecordingArchiveEnabled", "LastBackupDateTime", "LastCheckForUpdates",
    "LastSuccessfulUpdate", "LicenseActive", "LicenseKey", "LocalIpValid", "LogUsedSpace",
    "MaintenanceExpiresAt", "MaxSimCalls", "MaxUserExtensions", "OS", "OutboundRules",
    "ProductCode", "RecordingQuota", "RecordingQuotaReached", "RecordingStopped",
    "RecordingUsedSpace", "RemoteConfigurationRequired", "RemoteStorageEnabled",
    "RemoteStorageStatus", "ResellerName", "Support", "TotalDiskSpace", "TrunksRegistered",
    "TrunksTotal", "UserExtensions", "Version", "VoicemailQuotaReached", "VoicemailStopped",
})

OFFICE_HOURS_PROPERTIES: frozenset[str] = frozenset({
    "BreakTime", "Hours", "OfficeHolidays", "SystemLanguage", "TimeZoneId",
})
"""Pbx.OfficeHours (the ``/OfficeHours`` singleton; the full OpenAPI document, not the subset)."""

TIME_ZONE_PROPERTIES: frozenset[str] = frozenset({"IanaName", "Id", "Name", "WindowsName"})
"""Pbx.TimeZone (``/Defs/TimeZones``; the full OpenAPI document, not the subset)."""

CALL_HISTORY_PROPERTIES: frozenset[str] = frozenset({
    "CallAnswered", "CallTime", "DstCallerNumber", "DstDisplayName", "DstDn", "DstDnType",
    "DstExtendedDisplayName", "DstExternal", "DstId", "DstInternal", "DstParticipantId",
    "DstRecId", "SegmentActionId", "SegmentEndTime", "SegmentId", "SegmentStartTime",
    "SegmentType", "SrcCallerNumber", "SrcDisplayName", "SrcDn", "SrcDnType",
    "SrcExtendedDisplayName", "SrcExternal", "SrcId", "SrcInternal", "SrcParticipantId",
    "SrcRecId",
})

CALL_LOG_PROPERTIES: frozenset[str] = frozenset({
    "ActionDnCallerId", "ActionDnDisplayName", "ActionDnType", "ActionType", "Answered",
    "CallCost", "CallHistoryId", "CallId", "CallType", "CdrId", "DestinationCallerId",
    "DestinationDisplayName", "DestinationDn", "DestinationType", "Direction", "DstRecId",
    "Indent", "MainCallHistoryId", "QualityReport", "Reason", "RecordingUrl", "Recordings",
    "RingingDuration", "SegmentId", "SentimentScore", "SourceCallerId", "SourceDisplayName",
    "SourceDn", "SourceType", "SrcRecId", "StartTime", "Status", "SubrowDescNumber", "Summary",
    "TalkingDuration", "Transcription", "actionDnDn",
})

