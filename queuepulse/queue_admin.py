"""Queues as code against one PBX: read its queue configuration, plan a file against it, apply
the plan safely, log agents in and out — every write audited.

The pure parts (fields, file format, the diff) live in :mod:`queuepulse.domain.queue_config`
and :mod:`queuepulse.domain.queue_file`; the XAPI writes in :mod:`queuepulse.xapi.queue_writes`.

Apply is careful by construction:

* each queue is read again right before it is written; if it no longer matches what the plan
  saw, apply stops there (:class:`ConcurrentChangeError`) and writes nothing more;
* a queue with calls waiting is not deleted unless forced;
* the first write that fails stops the run: the report lists what was applied, what failed and
  what was not attempted, and running apply again plans only what is left (writes are re-read
  after a lost answer, so nothing is created twice).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from queuepulse.domain.queue_config import (
    FIELD_BY_KEY,
    FieldChange,
    Plan,
    QueueChange,
    QueueConfig,
    changed_fields,
    config_from_entity,
    plan,
    show_value,
    waiting_by_queue,
)
from queuepulse.domain.rules import Rules
from queuepulse.errors import QueuepulseError
from queuepulse.schedule import utcnow
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.errors import XapiError
from queuepulse.xapi.models import User, to_jsonable
from queuepulse.xapi.queue_writes import (
    QueueStatusValue,
    QueueWriter,
    WriteOutcomeUnknownError,
    queue_write,
)

log = logging.getLogger(__name__)

Outcome = Literal["applied", "failed", "refused", "not_attempted", "unknown"]


class ConcurrentChangeError(QueuepulseError):
    """A queue changed on the PBX between the plan and its write."""


@dataclass(frozen=True)
class PbxState:
    """The PBX's queues (every settable field, members expanded) and users by number."""

    queues: tuple[QueueConfig, ...]
    users: dict[str, User]

    def queue(self, number: str) -> QueueConfig | None:
        """The queue with ``number``, or None."""
        return next((q for q in self.queues if q.number == number), None)


async def read_pbx(xapi: XapiClient) -> PbxState:
    """Read every queue (with Agents and Managers) and every user of the PBX."""
    queues = await xapi.list_queues(expand_agents=True, expand_managers=True)
    users = await xapi.list_users()
    return PbxState(
        tuple(config_from_entity(to_jsonable(q)) for q in queues),
        {u.number: u for u in users if u.number},
    )


@dataclass(frozen=True)
class ChangeResult:
    """How one planned queue change went."""

    change: QueueChange
    outcome: Outcome
    error: str | None = None


@dataclass
class ApplyReport:
    """What apply did, change by change, in plan order."""

    results: list[ChangeResult] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    requests: int = 0

    @property
    def ok(self) -> bool:
        """Every change applied."""
        return all(r.outcome == "applied" for r in self.results)

    def count(self, outcome: Outcome) -> int:
        """Changes with ``outcome``."""
        return sum(1 for r in self.results if r.outcome == outcome)


AuditSink = Callable[[list[dict[str, Any]]], None]


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, tuple | list):
        return json.dumps([
            {"number": v.number, "skill_group": v.skill_group} if hasattr(v, "skill_group")
            and v.skill_group else getattr(v, "number", v)
            for v in value
        ])
    return json.dumps(value)


def audit_rows(
    result: ChangeResult, *, pbx_id: str, client_id: str, run_id: str, at: datetime
) -> list[dict[str, Any]]:
    """The ``queue_config_changes`` rows of one change: one per field (one for a delete)."""
    change = result.change
    base = {
        "changed_at": at, "pbx_id": pbx_id, "client_id": client_id, "run_id": run_id,
        "queue_dn": change.number, "agent_dn": None, "action": change.action,
        "outcome": result.outcome, "error": result.error,
    }
    fields: Sequence[FieldChange | None] = change.fields or (None,)
    return [
        {**base, "change_id": str(uuid.uuid4()),
         "field": f.key if f else None,
         "old_value": _json(f.old) if f else None,
         "new_value": _json(f.new) if f else None}
        for f in fields
    ]


class QueueApplier:
    """Applies a :class:`Plan` to one PBX through a :class:`QueueWriter`."""

    def __init__(
        self,
        xapi: XapiClient,
        *,
        audit: AuditSink | None = None,
        rules: Rules | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.xapi = xapi
        self.writer = QueueWriter(xapi)
        self.audit = audit
        self.rules = rules or Rules()
        self.clock = clock

    def _audit(self, report: ApplyReport, result: ChangeResult) -> None:
        if self.audit is None:
            return
        self.audit(audit_rows(result, pbx_id=self.xapi.settings.pbx_id,
                              client_id=self.xapi.settings.client_id, run_id=report.run_id,
                              at=self.clock()))

    async def _waiting(self) -> dict[str, int]:
        poll = await self.xapi.poll_active_calls()
        self.writer.requests += 1
        return waiting_by_queue((r for r in poll.rows if isinstance(r, dict)), self.rules)

    async def _check_unchanged(self, change: QueueChange) -> None:
        now = await self.writer.find_queue(change.number)
        if change.action == "create":
            if now is not None:
                raise ConcurrentChangeError(
                    f"queue {change.number} was created on the PBX since the plan was made")
            return
        if now is None:
            raise ConcurrentChangeError(
                f"queue {change.number} was deleted on the PBX since the plan was made")
        assert change.before is not None
        moved = changed_fields(change.before, config_from_entity(to_jsonable(now)))
        if moved:
            what = "; ".join(f"{f.key} {show_value(f.old)} -> {show_value(f.new)}"
                             for f in moved)
            raise ConcurrentChangeError(
                f"queue {change.number} changed on the PBX since the plan was made ({what})")

    async def _write(self, change: QueueChange) -> None:
        if change.action == "create":
            await self.writer.create_queue(queue_write(change.api_body()))
        elif change.action == "update":
            assert change.queue_id is not None
            await self.writer.update_queue(change.queue_id, queue_write(change.api_body()))
        else:
            assert change.queue_id is not None
            await self.writer.delete_queue(change.queue_id)

    async def apply(self, the_plan: Plan, *, force: bool = False) -> ApplyReport:
        """Apply every change in order; stop at a concurrent change or the first failure."""
        report = ApplyReport()
        waiting: dict[str, int] | None = None
        stopped: str | None = None
        for change in the_plan.changes:
            if stopped is not None:
                result = ChangeResult(change, "not_attempted", stopped)
                report.results.append(result)
                self._audit(report, result)
                continue
            try:
                await self._check_unchanged(change)
                if change.action == "delete" and not force:
                    if waiting is None:
                        waiting = await self._waiting()
                    n = waiting.get(change.number, 0)
                    if n:
                        result = ChangeResult(
                            change, "refused",
                            f"{n} call(s) waiting in queue {change.number}; "
                            "use --force to delete it anyway (the callers are cut off)")
                        report.results.append(result)
                        self._audit(report, result)
                        continue
                await self._write(change)
            except ConcurrentChangeError as exc:
                stopped = f"not attempted: {exc}"
                result = ChangeResult(change, "not_attempted", str(exc))
            except WriteOutcomeUnknownError as exc:
                stopped = f"not attempted after queue {change.number} failed"
                result = ChangeResult(change, "unknown", str(exc))
            except (XapiError, ValueError) as exc:
                stopped = f"not attempted after queue {change.number} failed"
                result = ChangeResult(change, "failed", str(exc))
            else:
                result = ChangeResult(change, "applied")
            report.results.append(result)
            self._audit(report, result)
            log.info("queue change", extra={
                "queue": change.number, "action": change.action, "outcome": result.outcome})
        report.requests = self.writer.requests
        return report


async def set_agents_queue_status(
    xapi: XapiClient,
    numbers: Iterable[str],
    logged_in: bool,
    *,
    audit: AuditSink | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> list[tuple[str, Outcome, str | None]]:
    """Log agents in or out of their queues (``User.QueueStatus``); one result per agent."""
    status: QueueStatusValue = "LoggedIn" if logged_in else "LoggedOut"
    users = {u.number: u for u in await xapi.list_users() if u.number}
    writer = QueueWriter(xapi)
    run_id = str(uuid.uuid4())
    results: list[tuple[str, Outcome, str | None]] = []
    for number in numbers:
        user = users.get(number)
        outcome: Outcome
        error: str | None = None
        old = user.queue_status if user is not None else None
        if user is None or user.id is None:
            outcome, error = "refused", f"extension {number} is not a user of this PBX"
        elif user.queue_status == status:
            outcome = "applied"  # already so: nothing to write
        else:
            try:
                await writer.set_queue_status(user.id, status)
                outcome = "applied"
            except WriteOutcomeUnknownError as exc:
                outcome, error = "unknown", str(exc)
            except XapiError as exc:
                outcome, error = "failed", str(exc)
        results.append((number, outcome, error))
        log.info("agent queue status", extra={
            "agent": number, "queue_status": status, "outcome": outcome})
        if audit is not None and (old != status or outcome != "applied"):
            audit([{
                "change_id": str(uuid.uuid4()), "changed_at": clock(),
                "pbx_id": xapi.settings.pbx_id, "client_id": xapi.settings.client_id,
                "run_id": run_id, "queue_dn": None, "agent_dn": number,
                "action": "agent_login" if logged_in else "agent_logout",
                "field": "QueueStatus", "old_value": _json(old), "new_value": _json(status),
                "outcome": outcome, "error": error,
            }])
    return results


def plan_lines(the_plan: Plan) -> list[str]:
    """The plan as text, field by field (``+`` create, ``~`` update, ``-`` delete)."""
    lines: list[str] = []
    for change in the_plan.changes:
        mark = {"create": "+", "update": "~", "delete": "-"}[change.action]
        lines.append(f"{mark} queue {change.number} ({change.action})")
        for f in change.fields:
            unit = " s" if FIELD_BY_KEY.get(f.key) and "seconds" in FIELD_BY_KEY[f.key].help \
                else ""
            if change.action == "create":
                lines.append(f"    {f.key}: {show_value(f.new)}{unit if f.new is not None else ''}")
            else:
                lines.append(f"    {f.key}: {show_value(f.old)} -> {show_value(f.new)}")
    counts = the_plan.counts()
    lines.append(
        f"plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete" if not the_plan.empty else "no changes"
    )
    return lines


__all__ = ["ApplyReport", "ChangeResult", "ConcurrentChangeError", "PbxState", "QueueApplier",
           "audit_rows", "plan", "plan_lines", "read_pbx", "set_agents_queue_status"]
