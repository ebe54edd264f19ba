"""Lifecycle events (rows of the ``call_events`` table) and their deterministic ids."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "EVENT_NAMESPACE",
    "EVENT_TYPES",
    "PBX_CALL_KEY",
    "CallEvent",
    "EventType",
    "event_id",
]

EventType = Literal[
    "call_started",
    "queue_entered",
    "status_changed",
    "answered",
    "transferred",
    "abandoned",
    "call_ended",
    "gap_started",
    "gap_ended",
    "anomaly",
]
EVENT_TYPES: tuple[str, ...] = (
    "call_started", "queue_entered", "status_changed", "answered", "transferred", "abandoned",
    "call_ended", "gap_started", "gap_ended", "anomaly",
)

#: The ``call_key`` of events about the PBX rather than one call (gaps, poll-level anomalies).
PBX_CALL_KEY = "pbx"

#: Fixed namespace of queuepulse's UUIDv5 event ids (never change it: ids are stored).
EVENT_NAMESPACE = uuid.UUID("6f1c2f4e-8a53-5d0e-9b7a-3c9f0d2b7e41")


_NS_BYTES = EVENT_NAMESPACE.bytes


def event_id(pbx_id: str, call_key: str, event_type: str, sequence: int) -> str:
    """UUIDv5 of (PBX, call key, event type, per-call sequence number), as text.

    Equal to ``str(uuid.uuid5(EVENT_NAMESPACE, name))``, computed without building UUID objects.
    """
    name = f"{pbx_id}\x1f{call_key}\x1f{event_type}\x1f{sequence}"
    digest = bytearray(hashlib.sha1(_NS_BYTES + name.encode("utf-8")).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def event_id_reference(pbx_id: str, call_key: str, event_type: str, sequence: int) -> str:
    """:func:`event_id` through :func:`uuid.uuid5` (the definition; used by tests)."""
    name = f"{pbx_id}\x1f{call_key}\x1f{event_type}\x1f{sequence}"
    return str(uuid.uuid5(EVENT_NAMESPACE, name))


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One derived lifecycle event; field names are the ``call_events`` columns.

    ``occurred_at`` is PBX time (``LastChangeStatus``, else ``ServerNow``, else the receive time
    translated by the measured skew); ``observed_at`` is the local receive time of the poll that
    revealed it. ``details`` is JSON-serialisable.
    """

    event_id: str
    pbx_id: str
    call_key: str
    call_id: int | None
    event_type: str
    occurred_at: datetime
    observed_at: datetime
    queue_dn: str | None = None
    agent_dn: str | None = None
    status: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=True)
