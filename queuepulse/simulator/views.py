"""XAPI entity shapes of the simulated PBX (ActiveCall, Queue, QueueAgent, User, SystemStatus,
OfficeHours, TimeZone, CallHistoryView, CallLogData), as plain dicts in wire format; field names
follow ``queue-subset.json`` (OfficeHours and TimeZone: the full OpenAPI document) exactly.
"""

from __future__ import annotations

import json
from typing import Any

from queuepulse.simulator.formats import fmt_duration, fmt_ms
from queuepulse.simulator.model.engine import (
    ACT_ABANDONED,
    ACT_ANSWERED,
    ACT_DROPPED,
    ACT_ENDED,
    ACT_REJECTED,
    ACT_TRANSFERRED,
    DN_EXTERNAL,
    Engine,
)
from queuepulse.simulator.model.entities import (
    KIND_INTERNAL,
    KIND_OUTBOUND,
    Agent,
    Call,
    NoiseUser,
    Queue,
    Segment,
)
from queuepulse.simulator.model.truth import call_key
from queuepulse.simulator.spec_fields import (
    ACTIVE_CALL_PROPERTIES,
    CALL_HISTORY_PROPERTIES,
    CALL_LOG_PROPERTIES,
    OFFICE_HOURS_PROPERTIES,
    QUEUE_AGENT_PROPERTIES,
    QUEUE_PROPERTIES,
    SYSTEM_STATUS_PROPERTIES,
    TIME_ZONE_PROPERTIES,
    USER_PROPERTIES,
)

ACTIVE_CALL_FIELDS = ACTIVE_CALL_PROPERTIES


def active_call_fragment(call: Call) -> str:
    """JSON of one call up to (and including the opening quote of) its ServerNow value."""
    frag = call.frag
    if frag is None:
        frag = (
            f'{{"Id":{call.id},"Caller":{json.dumps(call.caller)},'
            f'"Callee":{json.dumps(call.callee)},"Status":{json.dumps(call.status)},'
            f'"LastChangeStatus":"{fmt_ms(call.status_ms)}",'
            f'"EstablishedAt":"{fmt_ms(call.record.established_ms)}","ServerNow":"'
        )
        call.frag = frag
    return frag


def active_call_row(call: Call, server_now: str) -> dict[str, Any]:
    """One ActiveCall as a dict."""
    return {
        "Id": call.id,
        "Caller": call.caller,
        "Callee": call.callee,
        "Status": call.status,
        "LastChangeStatus": fmt_ms(call.status_ms),
        "EstablishedAt": fmt_ms(call.record.established_ms),
        "ServerNow": server_now,
    }


def queue_agent(a: Agent, skill_group: str | None = None) -> dict[str, Any]:
    """A Pbx.QueueAgent."""
    return {"Id": a.user_id, "Number": a.dn, "Name": a.name, "SkillGroup": skill_group,
            "Tags": []}


def queue_agents(engine: Engine, q: Queue) -> list[dict[str, Any]]:
    """The queue's Pbx.QueueAgent rows, with their skill groups."""
    return [queue_agent(engine.agents[i], q.skills.get(i)) for i in q.agents]


def queue_managers(engine: Engine, q: Queue) -> list[dict[str, Any]]:
    """Pbx.QueueManager rows: as written, else the queue's first member supervises it."""
    if q.managers is None:
        people: list[Agent | NoiseUser] = [engine.agents[i] for i in q.agents[:1]]
    else:
        everyone: list[Agent | NoiseUser] = [*engine.agents, *engine.noise_users]
        by_dn = {u.dn: u for u in everyone}
        people = [by_dn[n] for n in q.managers if n in by_dn]
    return [{"Id": a.user_id, "Number": a.dn, "Name": a.name, "Tags": []} for a in people]


def queue_entity(engine: Engine, q: Queue, expand: tuple[str, ...] = ()) -> dict[str, Any]:
    """A Pbx.Queue (monitoring fields; Agents/Managers only when expanded)."""
    if q.overflow_to >= 0 and not engine.queues[q.overflow_to].deleted:
        target = engine.queues[q.overflow_to]
        fwd: dict[str, Any] = {"To": "Queue", "Type": "Queue", "Number": target.dn,
                               "Name": target.name, "External": None, "Tags": []}
    else:
        fwd = {"To": "VoiceMail", "Type": "None", "Number": None, "Name": None,
               "External": None, "Tags": []}
    row: dict[str, Any] = {
        "Id": q.id,
        "Number": q.dn,
        "Name": q.name,
        "IsRegistered": True,
        "PollingStrategy": q.strategy,
        "PriorityQueue": False,
        "RingTimeout": 20,
        "MasterTimeout": q.master_timeout_s or None,
        "SLATime": q.sla_s,
        "WrapUpTime": q.wrapup_s,
        "MaxCallersInQueue": q.max_callers or None,
        "AgentAvailabilityMode": False,
        "AutoLogoutMissedCalls": 0,
        "AnnounceQueuePosition": False,
        "AnnouncementInterval": 60,
        "AnnounceEstimatedWaitTime": False,
        "CallbackEnableTime": None,
        "CallbackOfferOnly": False,
        "ForwardNoAnswer": fwd,
        "Recording": "Disabled",
        "ResetStatisticsScheduleEnabled": False,
        "NotifyCodes": [],
        "MaxWaitTimeSkillGroupValues": [],
    }
    row.update(q.settings)  # fields written through the XAPI read back as written
    if "Agents" in expand:
        row["Agents"] = queue_agents(engine, q)
    if "Managers" in expand:
        row["Managers"] = queue_managers(engine, q)
    return row


QUEUE_FIELDS = QUEUE_PROPERTIES
QUEUE_AGENT_FIELDS = QUEUE_AGENT_PROPERTIES

#: User fields that hold secrets: accepted in $select, never emitted.
USER_SECRET_FIELDS = frozenset({"AuthPassword", "AccessPassword", "VMPIN", "DeskphonePassword"})


def user_entity(u: Agent | NoiseUser) -> dict[str, Any]:
    """A Pbx.User (monitoring fields; never a secret)."""
    if isinstance(u, Agent):
        queue_status = "LoggedIn" if u.logged_in else "LoggedOut"
        profile = u.profile
    else:
        queue_status, profile = "LoggedOut", "Available"
    return {
        "Id": u.user_id,
        "Number": u.dn,
        "FirstName": u.first_name,
        "LastName": u.last_name,
        "DisplayName": u.name,
        "EmailAddress": f"{u.first_name.lower()}.{u.last_name.lower()}.{u.dn}@example.com",
        "Enabled": True,
        "IsRegistered": u.registered,
        "QueueStatus": queue_status,
        "CurrentProfileName": profile,
        "OfficeHoursProps": [],
        "Tags": [],
        "AIAgent": False,
        "Internal": False,
        "AuthID": u.dn,
    }


USER_FIELDS = USER_PROPERTIES


def system_status(engine: Engine, version: str, fqdn: str) -> dict[str, Any]:
    """The Pbx.SystemStatus singleton."""
    registered = sum(1 for a in engine.agents if a.registered) + sum(
        1 for u in engine.noise_users if u.registered)
    total = len(engine.agents) + len(engine.noise_users)
    return {
        "Id": 1,
        "Version": version,
        "FQDN": fqdn,
        "CallsActive": len(engine.active),
        "MaxSimCalls": max(32, 2 * len(engine.active)),
        "ExtensionsRegistered": registered,
        "ExtensionsTotal": total,
        "UserExtensions": total,
        "MaxUserExtensions": max(total, 10),
        "TrunksRegistered": 1,
        "TrunksTotal": 1,
        "HasNotRunningServices": False,
        "LicenseActive": True,
        "Activated": True,
        "ExpirationDate": fmt_ms(engine.now + 365 * 86_400_000),
        "OS": "Linux",
        "Ip": "127.0.0.1",
        "IpV4": "127.0.0.1",
        "Support": False,
    }


SYSTEM_STATUS_FIELDS = SYSTEM_STATUS_PROPERTIES

#: The time zones the simulated PBX lists (``/Defs/TimeZones``): Id, display name, Windows
#: name, IANA name. A configured zone not among them is appended with the next Id.
TIME_ZONES: tuple[tuple[str, str, str, str], ...] = (
    ("1", "(UTC) Coordinated Universal Time", "UTC", "UTC"),
    ("2", "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", "GMT Standard Time",
     "Europe/London"),
    ("3", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
     "W. Europe Standard Time", "Europe/Berlin"),
    ("4", "(UTC+02:00) Athens, Bucharest", "GTB Standard Time", "Europe/Athens"),
    ("5", "(UTC-05:00) Eastern Time (US & Canada)", "Eastern Standard Time", "America/New_York"),
    ("6", "(UTC-06:00) Central Time (US & Canada)", "Central Standard Time", "America/Chicago"),
    ("7", "(UTC-08:00) Pacific Time (US & Canada)", "Pacific Standard Time",
     "America/Los_Angeles"),
    ("8", "(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi", "India Standard Time",
     "Asia/Kolkata"),
    ("9", "(UTC+09:00) Osaka, Sapporo, Tokyo", "Tokyo Standard Time", "Asia/Tokyo"),
    ("10", "(UTC+10:00) Canberra, Melbourne, Sydney", "AUS Eastern Standard Time",
     "Australia/Sydney"),
)


def time_zones(zone: str | None) -> list[dict[str, Any]]:
    """The Pbx.TimeZone items of ``/Defs/TimeZones`` (``zone``, the PBX's, always among them)."""
    rows = [{"Id": i, "Name": name, "WindowsName": windows, "IanaName": iana}
            for i, name, windows, iana in TIME_ZONES]
    if zone is not None and all(r["IanaName"] != zone for r in rows):
        rows.append({"Id": str(len(rows) + 1), "Name": zone, "WindowsName": zone,
                     "IanaName": zone})
    return rows


def office_hours(zone: str | None) -> dict[str, Any]:
    """The Pbx.OfficeHours singleton: the PBX's zone as ``TimeZoneId`` (null when unset)."""
    zone_id = next((r["Id"] for r in time_zones(zone) if r["IanaName"] == zone), None)
    return {"TimeZoneId": zone_id, "SystemLanguage": "en", "OfficeHolidays": []}


OFFICE_HOURS_FIELDS = OFFICE_HOURS_PROPERTIES
TIME_ZONE_FIELDS = TIME_ZONE_PROPERTIES


def _party(prefix: str, party: tuple[int, str, int, str, str], participant: int) -> dict[str, Any]:
    pid, dn, dn_type, number, name = party
    external = dn_type == DN_EXTERNAL
    return {
        f"{prefix}Id": pid,
        f"{prefix}Dn": dn,
        f"{prefix}DnType": dn_type,
        f"{prefix}CallerNumber": number,
        f"{prefix}DisplayName": name or None,
        f"{prefix}ExtendedDisplayName": f"{name} ({number})" if name else number,
        f"{prefix}Internal": not external,
        f"{prefix}External": external,
        f"{prefix}ParticipantId": participant,
        f"{prefix}RecId": None,
    }


def call_history_row(seg: Segment) -> dict[str, Any]:
    """A Pbx.CallHistoryView row for one finished segment."""
    row: dict[str, Any] = {
        "SegmentId": seg.segment_id,
        "SegmentStartTime": fmt_ms(seg.start_ms),
        "SegmentEndTime": fmt_ms(seg.end_ms),
        "SegmentActionId": seg.action_id,
        "SegmentType": seg.type,
        "CallTime": fmt_duration((seg.end_ms - seg.start_ms) / 1000),
        "CallAnswered": seg.answered,
    }
    row.update(_party("Src", seg.src, seg.segment_id * 2))
    row.update(_party("Dst", seg.dst, seg.segment_id * 2 + 1))
    return row


CALL_HISTORY_FIELDS = CALL_HISTORY_PROPERTIES

_REASONS = {
    ACT_ANSWERED: "Answered", ACT_ABANDONED: "Abandoned", ACT_TRANSFERRED: "Transferred",
    ACT_ENDED: "Completed", ACT_REJECTED: "Rejected", ACT_DROPPED: "Dropped",
}


def call_log_row(seg: Segment, indent: int) -> dict[str, Any]:
    """A Pbx.CallLogData row (GetCallLogData) for one segment."""
    rec = seg.record
    key = call_key(rec.call_id, rec.established_ms)
    duration = (seg.end_ms - seg.start_ms) / 1000
    queue_seg = seg.type == 1
    direction = {KIND_INTERNAL: "Internal", KIND_OUTBOUND: "Outbound"}.get(rec.kind, "Inbound")
    agent_dn = seg.visit.agent_dn if seg.visit is not None else None
    return {
        "CdrId": f"{key}#{seg.segment_id}",
        "CallId": rec.call_id,
        "MainCallHistoryId": key,
        "CallHistoryId": key,
        "SegmentId": seg.segment_id,
        "Indent": indent,
        "SubrowDescNumber": indent,
        "StartTime": fmt_ms(seg.start_ms),
        "RingingDuration": fmt_duration(duration if queue_seg or not seg.answered else 0),
        "TalkingDuration": fmt_duration(0 if queue_seg or not seg.answered else duration),
        "Answered": seg.answered,
        "Direction": direction,
        "CallType": "Queue" if rec.kind == "queue" else direction,
        "Status": "Answered" if seg.answered else "Unanswered",
        "Reason": _REASONS.get(seg.action_id),
        "CallCost": None,
        "SourceType": seg.src[2],
        "SourceDn": seg.src[1],
        "SourceCallerId": seg.src[3],
        "SourceDisplayName": seg.src[4] or None,
        "DestinationType": seg.dst[2],
        "DestinationDn": seg.dst[1],
        "DestinationCallerId": seg.dst[3],
        "DestinationDisplayName": seg.dst[4] or None,
        "ActionType": seg.action_id,
        "ActionDnType": 1 if agent_dn else None,
        "actionDnDn": agent_dn,
        "ActionDnCallerId": agent_dn,
        "ActionDnDisplayName": None,
        "SrcRecId": None,
        "DstRecId": None,
        "RecordingUrl": None,
        "Recordings": [],
        "QualityReport": False,
        "SentimentScore": None,
        "Summary": None,
        "Transcription": None,
    }


CALL_LOG_FIELDS = CALL_LOG_PROPERTIES
