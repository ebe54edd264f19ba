"""CDR rows as sent (raw dicts) → typed segments and call references, or dead letters.

Rows are checked one by one, so one bad row costs that row only: it becomes a
:class:`DeadLetter` with the reason and the row verbatim, and is counted.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from queuepulse.domain.privacy import CallerPolicy, protect_number, redact_digits
from queuepulse.xapi.models import CallHistoryView, CallLogData

__all__ = [
    "HISTORY_ENDPOINT",
    "LOG_ENDPOINT",
    "CallRef",
    "CdrSegment",
    "DeadLetter",
    "parse_history_rows",
    "parse_log_rows",
    "redact_letter",
]

HISTORY_ENDPOINT = "CallHistoryView"
LOG_ENDPOINT = "ReportCallLogData/Pbx.GetCallLogData"
_NS = uuid.UUID("6f0d3c1e-2a43-4b8e-9a55-3b1f1d2e7c90")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A CDR row that could not be used: which endpoint, why, and the row as sent."""

    endpoint: str
    reason: str
    body: Mapping[str, Any]

    def letter_id(self, pbx_id: str) -> uuid.UUID:
        """Deterministic id (same row, same reason: same letter), so re-runs add nothing."""
        digest = hashlib.sha256(
            json.dumps(self.body, sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()
        return uuid.uuid5(_NS, f"{pbx_id}|{self.endpoint}|{self.reason}|{digest}")


@dataclass(frozen=True, slots=True)
class CdrSegment:
    """One ``CallHistoryView`` row: a leg of a call between two parties."""

    segment_id: int
    start: datetime
    end: datetime
    seg_type: int | None
    action_id: int | None
    answered: bool | None
    src_dn: str | None
    src_dn_type: int | None
    src_number: str | None
    src_name: str | None
    dst_dn: str | None
    dst_dn_type: int | None
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CallRef:
    """What ``GetCallLogData`` adds to a segment: the call it belongs to (and the agent)."""

    segment_id: int
    call_id: int | None
    history_id: str | None
    agent_dn: str | None
    raw: Mapping[str, Any]


#: Number fields of a party, each with the display-name fields that go with it.
_PARTY_FIELDS: dict[str, tuple[str, ...]] = {
    "SrcCallerNumber": ("SrcDisplayName", "SrcExtendedDisplayName"),
    "SrcDn": ("SrcDisplayName", "SrcExtendedDisplayName"),
    "DstCallerNumber": ("DstDisplayName", "DstExtendedDisplayName"),
    "DstDn": ("DstDisplayName", "DstExtendedDisplayName"),
    "SourceCallerId": ("SourceDisplayName",),
    "SourceDn": ("SourceDisplayName",),
    "DestinationCallerId": ("DestinationDisplayName",),
    "DestinationDn": ("DestinationDisplayName",),
    "CallerId": (),
}
_EXTENSION_DIGITS = 6


def _is_phone_number(value: object) -> bool:
    return isinstance(value, str) and sum(ch.isdigit() for ch in value) > _EXTENSION_DIGITS


def _is_identifier(name: str) -> bool:
    """Ids and times are not personal data (and stay readable for an investigation)."""
    return name.endswith(("Id", "Time", "Date"))


def redact_letter(letter: DeadLetter, policy: CallerPolicy) -> DeadLetter:
    """The letter with caller numbers protected by the privacy policy (``mask``/``hash``):
    number fields holding more than six digits (not an extension or queue DN) are masked or
    hashed and the display names beside them dropped; any other text field (ids and times
    aside) loses its long digit runs, so a number in a field we do not know is not kept either.
    ``keep`` changes nothing."""
    if policy.mode == "keep":
        return letter
    body = dict(letter.body)
    protected: set[str] = set()
    for name, names in _PARTY_FIELDS.items():
        value = body.get(name)
        if _is_phone_number(value):
            body[name] = protect_number(str(value), policy)
            protected.add(name)
            for display in names:
                if body.get(display) is not None:
                    body[display] = None
    for name, value in body.items():
        if isinstance(value, str) and name not in protected and not _is_identifier(name):
            body[name] = redact_digits(value)
    return DeadLetter(letter.endpoint, letter.reason, body)


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(p) for p in first["loc"]) or "row"
    return f"{loc}: {first['msg']}"


def parse_history_rows(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[list[CdrSegment], list[DeadLetter]]:
    """``CallHistoryView`` rows → segments; rows failing the schema or lacking the segment id,
    times, or with an end before the start, become dead letters."""
    segments: list[CdrSegment] = []
    dead: list[DeadLetter] = []
    for raw in rows:
        if not isinstance(raw, Mapping):
            dead.append(DeadLetter(HISTORY_ENDPOINT, "row is not a JSON object",
                                   {"row": raw}))
            continue
        try:
            m = CallHistoryView.model_validate(dict(raw))
        except ValidationError as exc:
            dead.append(DeadLetter(HISTORY_ENDPOINT,
                                   f"does not match the XAPI schema ({_first_error(exc)})", raw))
            continue
        missing = [
            name for name, value in (
                ("SegmentId", m.segment_id), ("SegmentStartTime", m.segment_start_time),
                ("SegmentEndTime", m.segment_end_time),
            ) if value is None
        ]
        if missing:
            dead.append(DeadLetter(HISTORY_ENDPOINT, f"missing {', '.join(missing)}", raw))
            continue
        assert m.segment_id is not None
        assert m.segment_start_time is not None
        assert m.segment_end_time is not None
        if m.segment_end_time < m.segment_start_time:
            dead.append(DeadLetter(HISTORY_ENDPOINT,
                                   "SegmentEndTime is before SegmentStartTime", raw))
            continue
        segments.append(CdrSegment(
            segment_id=m.segment_id,
            start=m.segment_start_time,
            end=m.segment_end_time,
            seg_type=m.segment_type,
            action_id=m.segment_action_id,
            answered=m.call_answered,
            src_dn=m.src_dn,
            src_dn_type=m.src_dn_type,
            src_number=m.src_caller_number,
            src_name=m.src_display_name,
            dst_dn=m.dst_dn,
            dst_dn_type=m.dst_dn_type,
            raw=raw,
        ))
    return segments, dead


def parse_log_rows(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[dict[int, CallRef], list[DeadLetter]]:
    """``GetCallLogData`` rows → call references by ``SegmentId``; rows failing the schema or
    without a ``SegmentId`` or any call identity become dead letters."""
    refs: dict[int, CallRef] = {}
    dead: list[DeadLetter] = []
    for raw in rows:
        if not isinstance(raw, Mapping):
            dead.append(DeadLetter(LOG_ENDPOINT, "row is not a JSON object", {"row": raw}))
            continue
        try:
            m = CallLogData.model_validate(dict(raw))
        except ValidationError as exc:
            dead.append(DeadLetter(LOG_ENDPOINT,
                                   f"does not match the XAPI schema ({_first_error(exc)})", raw))
            continue
        if m.segment_id is None:
            dead.append(DeadLetter(LOG_ENDPOINT, "missing SegmentId", raw))
            continue
        history = m.main_call_history_id or m.call_history_id
        if history is None and m.call_id is None:
            dead.append(DeadLetter(LOG_ENDPOINT,
                                   "no MainCallHistoryId, CallHistoryId or CallId", raw))
            continue
        refs[m.segment_id] = CallRef(m.segment_id, m.call_id, history, m.action_dn_dn, raw)
    return refs, dead
