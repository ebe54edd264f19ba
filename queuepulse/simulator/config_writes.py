"""The simulated PBX's configuration writes: CreateQueue, UpdateQueue (with its ``Agents`` and
``Managers`` collections) and UpdateUser's ``QueueStatus``, with 3CX's observable rules.

Bodies arrive already validated against the document's schema; these functions check what the
schema cannot (numbers in use, unknown members, a changed queue number) and change the model.
Every refusal is an OData 400 whose ``target`` names the field.
"""

from __future__ import annotations

from typing import Any

from queuepulse.simulator.model.engine import Engine
from queuepulse.simulator.model.entities import Agent, Queue
from queuepulse.simulator.odata import ODataError
from queuepulse.simulator.views import queue_entity

_READ_ONLY = frozenset({"Id", "IsRegistered", "Groups"})


def _refuse(target: str, message: str) -> ODataError:
    return ODataError(400, "BadRequest", message, target=target, details=[(target, message)])


def _members(engine: Engine, rows: list[dict[str, Any]],
             target: str) -> list[tuple[Agent, str | None]]:
    by_dn = {a.dn: a for a in engine.agents}
    noise = {u.dn for u in engine.noise_users}
    out: list[tuple[Agent, str | None]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        number = row.get("Number")
        where = f"{target}[{i}].Number"
        if not number:
            raise _refuse(where, f"{where} is required")
        if number in seen:
            raise _refuse(where, f"{where}: extension {number} is listed twice")
        seen.add(number)
        agent = by_dn.get(number)
        if agent is None:
            why = ("is not a queue agent in this simulated PBX" if number in noise
                   else "is not an extension of this PBX")
            raise _refuse(where, f"{where}: {number} {why}")
        out.append((agent, row.get("SkillGroup")))
    return out


def _managers(engine: Engine, rows: list[dict[str, Any]]) -> list[str]:
    users = {a.dn for a in engine.agents} | {u.dn for u in engine.noise_users}
    numbers: list[str] = []
    for i, row in enumerate(rows):
        number = row.get("Number")
        where = f"Managers[{i}].Number"
        if not number or number not in users:
            raise _refuse(where, f"{where}: {number!r} is not an extension of this PBX")
        numbers.append(str(number))
    return numbers


def _apply(engine: Engine, q: Queue, body: dict[str, Any]) -> None:
    members = _members(engine, body["Agents"], "Agents") if "Agents" in body else None
    managers = _managers(engine, body["Managers"]) if "Managers" in body else None
    fields = {k: v for k, v in body.items() if k not in _READ_ONLY}
    engine.configure_queue(q, fields)
    if members is not None:
        engine.set_members(q, members)
    if managers is not None:
        engine.set_managers(q, managers)


def create_queue(engine: Engine, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /Queues``: a new queue, numbered with the first free number when the body has
    none; returns the created entity (with its members)."""
    number = body.get("Number")
    if number is None or number == "":
        number = engine.first_available_queue_number()
    elif number in engine.queue_by_dn or number in (
            {a.dn for a in engine.agents} | {u.dn for u in engine.noise_users}):
        raise _refuse("Number", f"Number: {number} is already in use")
    if "Agents" in body:
        _members(engine, body["Agents"], "Agents")  # refuse before creating anything
    if "Managers" in body:
        _managers(engine, body["Managers"])
    q = engine.create_queue(str(number), str(body.get("Name") or f"Queue {number}"))
    _apply(engine, q, {k: v for k, v in body.items() if k != "Number"})
    return queue_entity(engine, q, ("Agents", "Managers"))


def update_queue(engine: Engine, q: Queue, body: dict[str, Any]) -> None:
    """``PATCH /Queues({Id})``: the given fields change; ``Agents``/``Managers`` replace the
    collections. The number cannot change (sending the queue's own number is fine)."""
    number = body.get("Number", q.dn)
    if number != q.dn:
        raise _refuse("Number", f"Number: a queue's number cannot be changed ({q.dn} -> {number})")
    if "Id" in body and body["Id"] != q.id:
        raise _refuse("Id", f"Id: {body['Id']} does not match the queue's Id {q.id}")
    _apply(engine, q, body)


def update_user(engine: Engine, user_id: int, body: dict[str, Any]) -> None:
    """``PATCH /Users({Id})``: ``QueueStatus`` logs the agent in or out of its queues. Other
    valid User fields are accepted and not modelled."""
    agent = next((a for a in engine.agents if a.user_id == user_id), None)
    if agent is None:
        if any(u.user_id == user_id for u in engine.noise_users):
            if "QueueStatus" in body:
                raise _refuse("QueueStatus", f"QueueStatus: user {user_id} is in no queue")
            return
        raise ODataError(404, "NotFound", f"no user with Id {user_id}")
    if "Id" in body and body["Id"] != user_id:
        raise _refuse("Id", f"Id: {body['Id']} does not match the user's Id {user_id}")
    status = body.get("QueueStatus")
    if status is not None:
        engine.set_queue_status(agent, status == "LoggedIn")
