"""Queue configuration writes over the XAPI: typed request bodies and safe write calls.

Documented operations only: ``POST /Queues`` (CreateQueue), ``PATCH /Queues({Id})``
(UpdateQueue, whose ``Agents`` and ``Managers`` collections replace the queue's members),
``DELETE /Queues({Id})`` (DeleteQueue), ``GET /Queues/Pbx.GetFirstAvailableQueueNumber()``,
``POST /Queues({Id})/Pbx.ResetQueueStatistics`` and ``PATCH /Users({Id})`` with ``QueueStatus``
(UpdateUser: an agent's queue login flag — the only write path 3CX offers for it).

Request bodies are pydantic models whose aliases are the ``Pbx.Queue`` / ``Pbx.User`` property
names; they refuse unknown fields and values outside the declared enums and int32 range, so a
bad body fails here, before the PBX sees it.

Writes are never retried blindly: each is sent once (:meth:`XapiClient.write`). When it fails
without an answer (timeout, connection lost, 5xx) the entity is read back first; a write found
applied is done, one found not applied is sent once more, and when the read-back fails too the
outcome is reported as unknown (:class:`WriteOutcomeUnknownError`) — never guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.errors import NotFoundError, PayloadError, UnavailableError, XapiError
from queuepulse.xapi.models import Queue, User, to_jsonable
from queuepulse.xapi.odata import key_path

log = logging.getLogger(__name__)

Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1, strict=True)]

PollingStrategyType = Literal[
    "Hunt", "RingAll", "HuntRandomStart", "NextAgent", "LongestWaiting", "LeastTalkTime",
    "FewestAnswered", "HuntBy3s", "First3Available", "SkillBasedRouting_RingAll",
    "SkillBasedRouting_HuntRandomStart", "SkillBasedRouting_RoundRobin",
    "SkillBasedRouting_FewestAnswered",
]
"""``Pbx.PollingStrategyType``: how a queue rings its agents."""
QueueRecordingType = Literal["Disabled", "AllowToOptOut", "AskToOptIn"]
"""``Pbx.QueueRecording``."""
QueueNotifyCodeType = Literal[
    "Callback", "CallbackFail", "SLATimeBreached", "CallLost", "AgentAutoLogout"
]
"""``Pbx.QueueNotifyCode``: events the queue's managers are e-mailed about."""
QueueStatusValue = Literal["LoggedOut", "LoggedIn"]
"""``Pbx.QueueStatusType``."""


class _WriteModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    def body(self) -> dict[str, Any]:
        """The JSON request body: spec names, only the fields that were set."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class QueueAgentWrite(_WriteModel):
    """A ``Pbx.QueueAgent`` in a write: the member's extension number and skill group."""

    number: str = Field(alias="Number")
    skill_group: str | None = Field(None, alias="SkillGroup")


class QueueManagerWrite(_WriteModel):
    """A ``Pbx.QueueManager`` in a write: the manager's extension number."""

    number: str = Field(alias="Number")


class QueueWrite(_WriteModel):
    """The settable part of a ``Pbx.Queue`` (CreateQueue / UpdateQueue body). Times are in
    seconds as 3CX's console shows them."""

    number: str | None = Field(None, alias="Number")
    name: str | None = Field(None, alias="Name")
    polling_strategy: PollingStrategyType | None = Field(None, alias="PollingStrategy")
    sla_time: Int32 | None = Field(None, alias="SLATime")
    ring_timeout: Int32 | None = Field(None, alias="RingTimeout")
    master_timeout: Int32 | None = Field(None, alias="MasterTimeout")
    wrap_up_time: Int32 | None = Field(None, alias="WrapUpTime")
    max_callers_in_queue: Int32 | None = Field(None, alias="MaxCallersInQueue")
    priority_queue: bool | None = Field(None, alias="PriorityQueue")
    agent_availability_mode: bool | None = Field(None, alias="AgentAvailabilityMode")
    auto_logout_missed_calls: Int32 | None = Field(None, alias="AutoLogoutMissedCalls")
    announce_queue_position: bool | None = Field(None, alias="AnnounceQueuePosition")
    announcement_interval: Int32 | None = Field(None, alias="AnnouncementInterval")
    announce_estimated_wait_time: bool | None = Field(None, alias="AnnounceEstimatedWaitTime")
    announce_estimated_wait_time_interval: Int32 | None = Field(
        None, alias="AnnounceEstimatedWaitTimeInterval"
    )
    callback_enable_time: Int32 | None = Field(None, alias="CallbackEnableTime")
    callback_offer_only: bool | None = Field(None, alias="CallbackOfferOnly")
    callback_prefix: str | None = Field(None, alias="CallbackPrefix")
    recording: QueueRecordingType | None = Field(None, alias="Recording")
    notify_codes: list[QueueNotifyCodeType] | None = Field(None, alias="NotifyCodes")
    agents: list[QueueAgentWrite] | None = Field(None, alias="Agents")
    managers: list[QueueManagerWrite] | None = Field(None, alias="Managers")


class UserQueueStatusWrite(_WriteModel):
    """The ``Pbx.User`` body that logs an agent in or out of its queues."""

    queue_status: QueueStatusValue = Field(alias="QueueStatus")


class WriteOutcomeUnknownError(UnavailableError):
    """A write got no answer and the entity could not be read back either: it may or may not
    have been applied. Re-running (plan, then apply) settles it."""


def queue_write(fields: Mapping[str, Any]) -> QueueWrite:
    """A :class:`QueueWrite` from spec-named fields; :class:`ValueError` naming each bad one."""
    try:
        return QueueWrite.model_validate(dict(fields))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise ValueError(f"invalid Pbx.Queue write: {problems}") from None


def _members(rows: Any, with_skill: bool) -> list[tuple[str, str | None]]:
    out = []
    for row in rows or []:
        number = str(row.get("Number") if isinstance(row, Mapping) else row)
        skill = row.get("SkillGroup") if with_skill and isinstance(row, Mapping) else None
        out.append((number, skill))
    return sorted(out)


def write_applied(body: Mapping[str, Any], entity: Mapping[str, Any]) -> bool:
    """Whether ``entity`` (a Queue read back with Agents and Managers) already shows every
    field of the write ``body``."""
    for key, wanted in body.items():
        have = entity.get(key)
        if key in ("Agents", "Managers"):
            skill = key == "Agents"
            if _members(wanted, skill) != _members(have, skill):
                return False
        elif key == "NotifyCodes":
            if sorted(wanted or []) != sorted(have or []):
                return False
        elif wanted != have:
            return False
    return True


_QUEUE = TypeAdapter(Queue)


class QueueWriter:
    """The queue configuration writes of one :class:`XapiClient`."""

    def __init__(self, xapi: XapiClient) -> None:
        self.xapi = xapi
        self.requests = 0
        """Write and read-back requests this writer made (for benchmarks and reports)."""

    async def _once_then_check(
        self,
        send: Callable[[], Awaitable[Any]],
        applied: Callable[[], Awaitable[bool]],
        what: str,
    ) -> Any:
        """Send; if no answer came, read back; send again only when it was not applied."""
        self.requests += 1
        try:
            return await send()
        except UnavailableError as first:
            self.requests += 1
            try:
                done = await applied()
            except UnavailableError as exc:
                raise WriteOutcomeUnknownError(
                    f"{what}: no answer ({first}); reading it back failed too ({exc}). It may "
                    "or may not have been applied: run plan again once the PBX answers.",
                    endpoint=first.endpoint,
                ) from None
            if done:
                log.warning("xapi write applied despite the error", extra={
                    "write": what, "error": str(first)})
                return None
            log.warning("xapi write not applied; sending it once more", extra={
                "write": what, "error": str(first)})
            self.requests += 1
            return await send()

    async def first_available_queue_number(self) -> str:
        """``GET /Queues/Pbx.GetFirstAvailableQueueNumber()``: the number a new queue gets."""
        self.requests += 1
        path = "/Queues/Pbx.GetFirstAvailableQueueNumber()"
        doc = await self.xapi.read_json(path)
        number = doc.get("Number") if isinstance(doc, dict) else None
        if not isinstance(number, str) or not number:
            raise PayloadError(f"GET {path} returned no Number: {doc!r}", endpoint=f"GET {path}")
        return number

    async def find_queue(self, number: str) -> Queue | None:
        """The queue with ``number`` (members and managers expanded), or None."""
        self.requests += 1
        return await self._find_queue(number)

    async def _find_queue(self, number: str) -> Queue | None:
        try:
            return await self.xapi.get_queue_by_number(
                number, expand_agents=True, expand_managers=True
            )
        except NotFoundError:
            return None

    async def create_queue(self, queue: QueueWrite) -> Queue:
        """``POST /Queues``. Without a number the first available one is asked for first, so the
        queue can be found again if the answer is lost. Returns the created queue."""
        if not queue.number:
            queue = queue.model_copy(update={"number": await self.first_available_queue_number()})
        number = str(queue.number)
        body = queue.body()

        async def send() -> Any:
            return await self.xapi.write("POST", "/Queues", body)

        async def applied() -> bool:
            return await self._find_queue(number) is not None

        response = await self._once_then_check(send, applied, f"create queue {number}")
        if response is not None and response.content.strip():
            try:
                created: Queue = _QUEUE.validate_json(response.content)
                return created
            except ValidationError:
                pass
        found = await self.find_queue(number)
        if found is None:
            raise XapiError(f"POST /Queues answered but queue {number} cannot be read back",
                            endpoint="POST /Queues")
        return found

    async def update_queue(self, queue_id: int, queue: QueueWrite) -> None:
        """``PATCH /Queues({Id})`` with the fields set on ``queue`` (``Agents``/``Managers``
        replace the whole collections)."""
        body = queue.body()
        path = key_path("/Queues", queue_id)

        async def send() -> Any:
            return await self.xapi.write("PATCH", path, body)

        async def applied() -> bool:
            entity = await self.xapi.get_queue(queue_id, expand_agents=True, expand_managers=True)
            return write_applied(body, to_jsonable(entity))

        await self._once_then_check(send, applied, f"update queue {queue.number or queue_id}")

    async def delete_queue(self, queue_id: int) -> None:
        """``DELETE /Queues({Id})``; a queue already gone counts as deleted."""
        path = key_path("/Queues", queue_id)

        async def send() -> Any:
            try:
                return await self.xapi.write("DELETE", path)
            except NotFoundError:
                return None

        async def applied() -> bool:
            try:
                await self.xapi.get_queue(queue_id)
            except NotFoundError:
                return True
            return False

        await self._once_then_check(send, applied, f"delete queue {queue_id}")

    async def reset_queue_statistics(self, queue_id: int) -> None:
        """``POST /Queues({Id})/Pbx.ResetQueueStatistics``: sent once; not repeated on a lost
        answer (nothing can be read back to tell whether it happened)."""
        self.requests += 1
        await self.xapi.write("POST", f"{key_path('/Queues', queue_id)}/Pbx.ResetQueueStatistics")

    async def set_queue_status(self, user_id: int, status: QueueStatusValue) -> None:
        """``PATCH /Users({Id})`` with ``{"QueueStatus": status}``: log an agent in or out."""
        body = UserQueueStatusWrite(queue_status=status).body()
        path = key_path("/Users", user_id)

        async def send() -> Any:
            return await self.xapi.write("PATCH", path, body)

        async def applied() -> bool:
            user: User = await self.xapi.get_user(user_id)
            return user.queue_status == status

        await self._once_then_check(send, applied, f"set user {user_id} {status}")
