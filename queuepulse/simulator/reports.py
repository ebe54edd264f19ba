"""The queue report functions of the 3CX XAPI, computed from the simulator's own history.

Every function takes the engine and the parsed function parameters (by name) and returns rows
in wire format. Conventions of this simulator (the spec leaves them open):

* A visit belongs to a period when it *entered* the queue in ``[from, to)``.
* Queue/agent list parameters (``queueDns``, ``queueDnStr``, ``agentDnStr``) are comma-separated
  DNs; empty or null means all.
* ``waitInterval``/``answerInterval`` (``H:MM:SS``): in the SLA reports, the SLA threshold
  (default: the queue's ``SLATime``); in AbandonedQueueCalls and QueueAnsweredCallsByWaitTime, the
  minimum wait of a listed call. ``clientTimeZone`` and ``chartBy`` are ignored (UTC, hourly).
* "Bad SLA" = a visit whose wait exceeded the threshold (answered late, or abandoned or moved on
  after it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from queuepulse.simulator.formats import fmt_duration, fmt_ms, parse_datetime_ms
from queuepulse.simulator.model.engine import Engine
from queuepulse.simulator.model.entities import Agent, Queue, Visit
from queuepulse.simulator.model.truth import call_key
from queuepulse.simulator.odata import bad_request

Row = dict[str, Any]
Params = Mapping[str, Any]


def datetime_param(params: Params, name: str) -> int:
    """A required date-time function parameter as epoch ms (400 when absent or invalid)."""
    raw = params.get(name)
    if raw is None or raw == "":
        raise bad_request(f"function parameter {name} (a date-time) is required")
    try:
        return parse_datetime_ms(str(raw))
    except ValueError:
        raise bad_request(f"function parameter {name}={raw!r} is not a date-time") from None


def _interval_s(params: Params, name: str) -> float | None:
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError:
        raise bad_request(f"function parameter {name}={raw!r} is not H:MM:SS") from None
    seconds = 0.0
    for p in parts:
        seconds = seconds * 60 + p
    return seconds


def _dn_set(params: Params, *names: str) -> set[str] | None:
    for name in names:
        raw = params.get(name)
        if raw is not None and str(raw).strip():
            return {p.strip() for p in str(raw).split(",") if p.strip()}
    return None


def _queues(engine: Engine, params: Params) -> list[Queue]:
    wanted = _dn_set(params, "queueDns", "queueDnStr")
    return [q for q in engine.queues if wanted is None or q.dn in wanted]


def _visits(engine: Engine, from_ms: int, to_ms: int, queues: Iterable[Queue]) -> list[Visit]:
    keep = {q.index for q in queues}
    return [v for v in engine.visits
            if from_ms <= v.entered_ms < to_ms and v.queue.index in keep]


def _period(params: Params) -> tuple[int, int]:
    if "periodFrom" in params:
        return datetime_param(params, "periodFrom"), datetime_param(params, "periodTo")
    return datetime_param(params, "startDt"), datetime_param(params, "endDt")


def _visits_by_queue(engine: Engine, params: Params) -> list[tuple[Queue, list[Visit]]]:
    """The selected queues in order, each with its visits of the period."""
    from_ms, to_ms = _period(params)
    queues = _queues(engine, params)
    by_q: dict[int, list[Visit]] = defaultdict(list)
    for v in _visits(engine, from_ms, to_ms, queues):
        by_q[v.queue.index].append(v)
    return [(q, by_q[q.index]) for q in queues]


def _wait_s(v: Visit) -> float:
    return v.wait_ms / 1000 if v.wait_ms >= 0 else 0.0


def _talk_ended(v: Visit) -> bool:
    return v.answered_ms >= 0 and v.talk_ms >= 0


def _bad_sla(v: Visit, threshold: float | None) -> bool:
    limit = threshold if threshold is not None else v.sla_s
    return v.wait_ms >= 0 and v.wait_ms > limit * 1000


def queue_performance_totals(engine: Engine, params: Params) -> list[Row]:
    """Per queue: received (visits), answered, abandoned ("dropped")."""
    return [{
        "QueueDn": q.dn,
        "QueueDisplayName": q.name,
        "QueueReceivedCount": len(vs),
        "ExtensionAnsweredCount": sum(1 for v in vs if v.answered_ms >= 0),
        "ExtensionDroppedCount": sum(1 for v in vs if v.outcome == "abandoned"),
    } for q, vs in _visits_by_queue(engine, params)]


def queue_performance_overview(engine: Engine, params: Params) -> list[Row]:
    """Per queue and member agent: answered by the agent, calls lost while it rang, talk time."""
    from_ms, to_ms = _period(params)
    queues = _queues(engine, params)
    visits = _visits(engine, from_ms, to_ms, queues)
    received: dict[int, int] = defaultdict(int)
    q_answered: dict[int, int] = defaultdict(int)
    answered: dict[tuple[int, str], int] = defaultdict(int)
    dropped: dict[tuple[int, str], int] = defaultdict(int)
    talk: dict[tuple[int, str], int] = defaultdict(int)
    for v in visits:
        qi = v.queue.index
        received[qi] += 1
        if v.answered_ms >= 0 and v.agent_dn is not None:
            q_answered[qi] += 1
            answered[(qi, v.agent_dn)] += 1
            if v.talk_ms >= 0:
                talk[(qi, v.agent_dn)] += v.talk_ms
        elif v.outcome == "abandoned" and v.ring_agent is not None:
            dropped[(qi, v.ring_agent.dn)] += 1
    rows = []
    for q in queues:
        for order, ai in enumerate(q.agents):
            a = engine.agents[ai]
            rows.append({
                "QueueDn": q.dn,
                "QueueDisplayName": q.name,
                "ExtensionDn": a.dn,
                "ExtensionDisplayName": a.name,
                "QueueReceivedCount": received[q.index],
                "ExtensionAnsweredCount": answered[(q.index, a.dn)],
                "ExtensionDroppedCount": dropped[(q.index, a.dn)],
                "QueueAnsweredCount": q_answered[q.index],
                "TalkTime": fmt_duration(talk[(q.index, a.dn)] / 1000),
                "SortOrder": order,
            })
    return rows


def abandoned_queue_calls(engine: Engine, params: Params) -> list[Row]:
    """One row per abandoned visit (waiting at least ``waitInterval`` when given)."""
    from_ms, to_ms = _period(params)
    min_wait = _interval_s(params, "waitInterval") or 0.0
    rows = []
    for v in _visits(engine, from_ms, to_ms, _queues(engine, params)):
        if v.outcome != "abandoned" or _wait_s(v) < min_wait:
            continue
        ring: Agent | None = v.ring_agent
        rows.append({
            "QueueDn": v.queue.dn,
            "QueueDisplayName": v.queue.name,
            "CallHistoryId": call_key(v.call.call_id, v.call.established_ms),
            "CallerId": v.call.caller_number,
            "CallTime": fmt_ms(v.entered_ms),
            "CallTimeForCsv": fmt_ms(v.entered_ms),
            "WaitTime": fmt_duration(_wait_s(v)),
            "ExtensionDn": ring.dn if ring else None,
            "ExtensionDisplayName": ring.name if ring else None,
            "IsLoggedIn": ring.logged_in if ring else None,
            "PollingAttempts": v.polling_attempts,
        })
    return rows


def statistic_sla(engine: Engine, params: Params) -> list[Row]:
    """Per queue: received visits and those over the SLA threshold (3CX's own SLA view)."""
    from_ms, to_ms = _period(params)
    threshold = _interval_s(params, "waitInterval")
    queues = _queues(engine, params)
    received: dict[int, int] = defaultdict(int)
    bad: dict[int, int] = defaultdict(int)
    for v in _visits(engine, from_ms, to_ms, queues):
        received[v.queue.index] += 1
        if _bad_sla(v, threshold):
            bad[v.queue.index] += 1
    return [{"QueueDnNumber": q.dn, "Dn": q.name, "ReceivedCount": received[q.index],
             "BadSlaCallsCount": bad[q.index]} for q in queues]


def breaches_sla(engine: Engine, params: Params) -> list[Row]:
    """One row per visit over the SLA threshold."""
    from_ms, to_ms = _period(params)
    threshold = _interval_s(params, "waitInterval")
    return [{
        "CallTime": fmt_ms(v.entered_ms),
        "Queue": v.queue.name,
        "CallerId": v.call.caller_number,
        "QueueDnNumber": v.queue.dn,
        "WaitingTime": fmt_duration(_wait_s(v)),
    } for v in _visits(engine, from_ms, to_ms, _queues(engine, params)) if _bad_sla(v, threshold)]


def _logged_in_ms(engine: Engine, agent: Agent, from_ms: int, to_ms: int) -> int:
    total = 0
    for a, start, end in engine.logins:
        if a is not agent:
            continue
        stop = end if end >= 0 else engine.now
        total += max(0, min(stop, to_ms) - max(start, from_ms))
    return total


def agents_in_queue_statistics(engine: Engine, params: Params) -> list[Row]:
    """Per queue and member agent: logged-in time, answered, lost, ring and talk times."""
    from_ms, to_ms = _period(params)
    queues = _queues(engine, params)
    answered: dict[tuple[int, str], list[Visit]] = defaultdict(list)
    lost: dict[tuple[int, str], int] = defaultdict(int)
    for v in _visits(engine, from_ms, to_ms, queues):
        if v.answered_ms >= 0 and v.agent_dn:
            answered[(v.queue.index, v.agent_dn)].append(v)
        elif v.outcome == "abandoned" and v.ring_agent is not None:
            lost[(v.queue.index, v.ring_agent.dn)] += 1
    rows = []
    for q in queues:
        for ai in q.agents:
            a = engine.agents[ai]
            mine = answered[(q.index, a.dn)]
            n = len(mine)
            lost_n = lost[(q.index, a.dn)]
            ring_ms = sum(v.answered_ms - v.ring_ms for v in mine)
            talk_ms = sum(v.talk_ms for v in mine if v.talk_ms >= 0)
            talk_n = sum(1 for v in mine if v.talk_ms >= 0)
            logged = _logged_in_ms(engine, a, from_ms, to_ms)
            rows.append({
                "Dn": a.dn,
                "DnDisplayName": a.name,
                "Queue": q.dn,
                "QueueDisplayName": q.name,
                "LoggedInTime": fmt_duration(logged / 1000),
                "LostCount": lost_n,
                "AnsweredCount": n,
                "AnsweredPercent": round(100 * n / (n + lost_n)) if n + lost_n else 0,
                "AnsweredPerHourCount": round(n / (logged / 3_600_000)) if logged else 0,
                "RingTime": fmt_duration(ring_ms / 1000),
                "AvgRingTime": fmt_duration(ring_ms / n / 1000 if n else 0),
                "TalkTime": fmt_duration(talk_ms / 1000),
                "AvgTalkTime": fmt_duration(talk_ms / talk_n / 1000 if talk_n else 0),
            })
    return rows


def queue_answered_calls_by_wait_time(engine: Engine, params: Params) -> list[Row]:
    """One row per answered visit (waiting at least ``answerInterval`` when given)."""
    from_ms, to_ms = _period(params)
    min_wait = _interval_s(params, "answerInterval") or 0.0
    return [{
        "CallTime": fmt_ms(v.entered_ms),
        "AnsweredTime": fmt_ms(v.answered_ms),
        "Dn": v.queue.dn,
        "Source": v.call.caller_number,
        "Destination": v.agent_dn or "",
        "DnNumber": v.queue.dn,
        "RingTime": fmt_duration(_wait_s(v)),
        "SentimentScore": None,
    } for v in _visits(engine, from_ms, to_ms, _queues(engine, params))
        if v.answered_ms >= 0 and _wait_s(v) >= min_wait]


def agent_login_history(engine: Engine, params: Params) -> list[Row]:
    """One row per login interval overlapping the period, per queue of the agent."""
    from_ms, to_ms = _period(params)
    queues = {q.index for q in _queues(engine, params)}
    agents = _dn_set(params, "agentDnStr")
    talk_by: dict[tuple[int, int], list[Visit]] = defaultdict(list)
    for v in engine.visits:
        if v.answered_ms >= 0 and v.talk_ms >= 0 and v.agent_dn is not None:
            talk_by[(v.queue.index, int(v.agent_dn))].append(v)
    items = []
    for a, start, end in engine.logins:
        if agents is not None and a.dn not in agents:
            continue
        stop = end if end >= 0 else engine.now
        lo, hi = max(start, from_ms), min(stop, to_ms)
        if hi <= lo and not (start == stop and from_ms <= start < to_ms):
            continue
        for qi in a.queues:
            if qi not in queues:
                continue
            talk = sum(min(v.ended_ms, hi) - max(v.answered_ms, lo)
                       for v in talk_by[(qi, int(a.dn))]
                       if v.answered_ms < hi and v.ended_ms > lo)
            items.append((qi, a, start, end, max(0, hi - lo), talk))
    day_in: dict[tuple[int, str, int], int] = defaultdict(int)
    day_talk: dict[tuple[int, str, int], int] = defaultdict(int)
    tot_in: dict[tuple[int, str], int] = defaultdict(int)
    tot_talk: dict[tuple[int, str], int] = defaultdict(int)
    for qi, a, start, _end, logged, talk in items:
        day = start - start % 86_400_000
        day_in[(qi, a.dn, day)] += logged
        day_talk[(qi, a.dn, day)] += talk
        tot_in[(qi, a.dn)] += logged
        tot_talk[(qi, a.dn)] += talk
    rows = []
    for qi, a, start, end, logged, talk in items:
        q = engine.queues[qi]
        day = start - start % 86_400_000
        rows.append({
            "QueueNo": q.dn,
            "AgentNo": a.dn,
            "Agent": a.name,
            "Day": fmt_ms(day),
            "loggedInDt": fmt_ms(start),
            "LoggedOutDt": fmt_ms(end) if end >= 0 else None,
            "LoggedInInterval": fmt_duration(logged / 1000),
            "LoggedInDayInterval": fmt_duration(day_in[(qi, a.dn, day)] / 1000),
            "LoggedInTotalInterval": fmt_duration(tot_in[(qi, a.dn)] / 1000),
            "TalkingInterval": fmt_duration(talk / 1000),
            "TalkingDayInterval": fmt_duration(day_talk[(qi, a.dn, day)] / 1000),
            "TalkingTotalInterval": fmt_duration(tot_talk[(qi, a.dn)] / 1000),
        })
    return rows


def team_queue_general_statistics(engine: Engine, params: Params) -> list[Row]:
    """Per queue: agents, received, answered, talk times."""
    rows = []
    for q, vs in _visits_by_queue(engine, params):
        talks = [v.talk_ms for v in vs if _talk_ended(v)]
        rows.append({
            "QueueDnNumber": q.dn,
            "Dn": q.name,
            "AgentsInQueueCount": len(q.agents),
            "ReceivedCount": len(vs),
            "AnsweredCount": sum(1 for v in vs if v.answered_ms >= 0),
            "AvgTalkTime": fmt_duration(sum(talks) / len(talks) / 1000 if talks else 0),
            "TotalTalkTime": fmt_duration(sum(talks) / 1000),
        })
    return rows


def detailed_queue_statistics(engine: Engine, params: Params) -> list[Row]:
    """Per queue: calls, answered, wait ("ring") and talk times."""
    rows = []
    for q, vs in _visits_by_queue(engine, params):
        ans = [v for v in vs if v.answered_ms >= 0]
        ring = sum(v.wait_ms for v in ans)
        talks = [v.talk_ms for v in ans if v.talk_ms >= 0]
        rows.append({
            "QueueDnNumber": q.dn,
            "QueueDn": q.name,
            "CallsCount": len(vs),
            "AnsweredCount": len(ans),
            "CallbacksCount": 0,
            "RingTime": fmt_duration(ring / 1000),
            "AvgRingTime": fmt_duration(ring / len(ans) / 1000 if ans else 0),
            "TalkTime": fmt_duration(sum(talks) / 1000),
            "AvgTalkTime": fmt_duration(sum(talks) / len(talks) / 1000 if talks else 0),
        })
    return rows


def queue_callbacks(engine: Engine, params: Params) -> list[Row]:
    """Per queue: received; the simulator offers no callbacks."""
    return [{"QueueDnNumber": r["QueueDnNumber"], "Dn": r["Dn"],
             "ReceivedCount": r["ReceivedCount"], "CallbacksCount": 0, "FailCallbacksCount": 0}
            for r in statistic_sla(engine, params)]


def queue_failed_callbacks(engine: Engine, params: Params) -> list[Row]:
    """No callbacks, so no failed ones (parameters are still checked)."""
    _period(params)
    return []


def _hourly(engine: Engine, params: Params, values: Callable[[list[Visit]], tuple[int, int]]
            ) -> list[Row]:
    day_ms = datetime_param(params, "chartDate")
    day_ms -= day_ms % 86_400_000
    queues = _queues(engine, params)
    rows = []
    for h in range(24):
        lo = day_ms + h * 3_600_000
        y1, y2 = values(_visits(engine, lo, lo + 3_600_000, queues))
        rows.append({"XValue": fmt_ms(lo), "YValue1": y1, "YValue2": y2})
    return rows


def average_queue_waiting_time(engine: Engine, params: Params) -> list[Row]:
    """Per hour of ``chartDate``'s day: mean and max wait (whole seconds) of answered visits."""
    def f(vs: list[Visit]) -> tuple[int, int]:
        waits = [v.wait_ms for v in vs if v.answered_ms >= 0]
        return (round(sum(waits) / len(waits) / 1000) if waits else 0,
                round(max(waits) / 1000) if waits else 0)
    return _hourly(engine, params, f)


def queue_an_un_calls(engine: Engine, params: Params) -> list[Row]:
    """Per hour of ``chartDate``'s day: answered and unanswered visits."""
    def f(vs: list[Visit]) -> tuple[int, int]:
        ans = sum(1 for v in vs if v.answered_ms >= 0)
        return ans, sum(1 for v in vs if v.ended_ms >= 0 and v.answered_ms < 0)
    return _hourly(engine, params, f)


#: Report name X (as in ``/Report<X>/Pbx.Get<X>Data(...)``) → (function, required params).
REPORTS: dict[str, tuple[Callable[[Engine, Params], list[Row]], tuple[str, ...]]] = {
    "QueuePerformanceOverview": (queue_performance_overview,
                                 ("periodFrom", "periodTo", "queueDns", "waitInterval")),
    "QueuePerformanceTotals": (queue_performance_totals,
                               ("periodFrom", "periodTo", "queueDns", "waitInterval")),
    "AbandonedQueueCalls": (abandoned_queue_calls,
                            ("periodFrom", "periodTo", "queueDns", "waitInterval")),
    "StatisticSla": (statistic_sla, ("queueDnStr", "startDt", "endDt", "waitInterval")),
    "BreachesSla": (breaches_sla, ("queueDnStr", "startDt", "endDt", "waitInterval")),
    "AgentsInQueueStatistics": (agents_in_queue_statistics,
                                ("queueDnStr", "startDt", "endDt", "waitInterval")),
    "TeamQueueGeneralStatistics": (team_queue_general_statistics,
                                   ("queueDnStr", "startDt", "endDt", "waitInterval")),
    "DetailedQueueStatistics": (detailed_queue_statistics,
                                ("queueDnStr", "startDt", "endDt", "waitInterval")),
    "QueueAnsweredCallsByWaitTime": (queue_answered_calls_by_wait_time,
                                     ("queueDnStr", "startDt", "endDt", "answerInterval")),
    "QueueCallbacks": (queue_callbacks, ("queueDnStr", "startDt", "endDt")),
    "QueueFailedCallbacks": (queue_failed_callbacks, ("queueDnStr", "startDt", "endDt")),
    "AgentLoginHistory": (agent_login_history,
                          ("clientTimeZone", "startDt", "endDt", "queueDnStr", "agentDnStr")),
    "AverageQueueWaitingTime": (average_queue_waiting_time,
                                ("chartDate", "chartBy", "queueDnStr", "waitInterval",
                                 "clientTimeZone")),
    "QueueAnUnCalls": (queue_an_un_calls,
                       ("chartDate", "chartBy", "queueDnStr", "clientTimeZone", "waitInterval")),
}
