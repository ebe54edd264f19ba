"""The simulated PBX over HTTP: ``/connect/token``, ``/xapi/v1/...`` and ``/simulator/...``.

A small ASGI app using Starlette's ``Request``/``Response``; routing is a handful of regular
expressions because XAPI paths carry OData keys and function calls (``/Queues(Number='800')``,
``/ReportX/Pbx.GetXData(a=1,b='x')``). The ActiveCalls hot path serves a cached byte body and
never touches pydantic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import struct
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from queuepulse.simulator import config_writes
from queuepulse.simulator.auth import TokenError
from queuepulse.simulator.faults import FaultRule, FaultSpecError, parse_fault_spec
from queuepulse.simulator.formats import fmt_ms
from queuepulse.simulator.model.entities import Agent, NoiseUser
from queuepulse.simulator.odata import (
    ODataError,
    apply_options,
    bad_request,
    collection,
    parse_function_params,
    parse_options,
)
from queuepulse.simulator.reports import REPORTS, datetime_param
from queuepulse.simulator.runtime import Simulator
from queuepulse.simulator.views import (
    ACTIVE_CALL_FIELDS,
    CALL_HISTORY_FIELDS,
    CALL_LOG_FIELDS,
    OFFICE_HOURS_FIELDS,
    QUEUE_AGENT_FIELDS,
    QUEUE_FIELDS,
    SYSTEM_STATUS_FIELDS,
    TIME_ZONE_FIELDS,
    USER_FIELDS,
    USER_SECRET_FIELDS,
    active_call_row,
    call_history_row,
    call_log_row,
    office_hours,
    queue_agents,
    queue_entity,
    queue_managers,
    system_status,
    time_zones,
    user_entity,
)
from queuepulse.simulator.write_validation import validate_body

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

XAPI = "/xapi/v1"
_JSON = "application/json; charset=utf-8"
_HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)

_ROUTES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^/ActiveCalls$"), "GET", "ActiveCalls"),
    (re.compile(r"^/ActiveCalls\((?P<id>-?\d+)\)/Pbx\.DropCall$"), "POST", "DropCall"),
    (re.compile(r"^/CallHistoryView$"), "GET", "CallHistoryView"),
    (re.compile(r"^/ReportCallLogData/Pbx\.GetCallLogData\((?P<args>.*)\)$", re.S), "GET",
     "CallLogData"),
    (re.compile(r"^/Queues$"), "GET", "Queues"),
    (re.compile(r"^/Queues$"), "POST", "CreateQueue"),
    (re.compile(r"^/Queues\((?P<id>-?\d+)\)$"), "GET", "Queues"),
    (re.compile(r"^/Queues\((?P<id>-?\d+)\)$"), "PATCH", "UpdateQueue"),
    (re.compile(r"^/Queues\((?P<id>-?\d+)\)$"), "DELETE", "DeleteQueue"),
    (re.compile(r"^/Queues\((?P<id>-?\d+)\)/Pbx\.ResetQueueStatistics$"), "POST",
     "ResetQueueStatistics"),
    (re.compile(r"^/Queues/Pbx\.GetFirstAvailableQueueNumber\(\)$"), "GET",
     "GetFirstAvailableQueueNumber"),
    (re.compile(r"^/Queues\(Number=(?P<number>.*)\)$", re.S), "GET", "Queues"),
    (re.compile(r"^/Queues\((?P<id>-?\d+)\)/(?P<nav>Agents|Managers)$"), "GET", "Queues"),
    (re.compile(r"^/Users$"), "GET", "Users"),
    (re.compile(r"^/Users\((?P<id>-?\d+)\)$"), "GET", "Users"),
    (re.compile(r"^/Users\((?P<id>-?\d+)\)$"), "PATCH", "UpdateUser"),
    (re.compile(r"^/Users\(Number=(?P<number>.*)\)$", re.S), "GET", "Users"),
    (re.compile(r"^/SystemStatus$"), "GET", "SystemStatus"),
    (re.compile(r"^/OfficeHours$"), "GET", "OfficeHours"),
    (re.compile(r"^/Defs/TimeZones$"), "GET", "TimeZones"),
    (re.compile(r"^/Report(?P<x>\w+)/Pbx\.Get(?P<y>\w+)Data\((?P<args>.*)\)$", re.S), "GET",
     "Report"),
]



def endpoint_names() -> tuple[str, ...]:
    """The names the routes give their endpoints (fault rules match these), ``Report`` aside:
    each report is ``Report<X>``."""
    return tuple(dict.fromkeys(name for _, _, name in _ROUTES if name != "Report"))

def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    return Response(data, status_code=status, media_type=_JSON, headers=headers)


def _odata_error(status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> Response:
    return _json(ODataError(status, code, message).body(), status, headers)


def _number_literal(raw: str) -> str:
    text = raw.strip()
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if text == "null":
        raise bad_request("Number must not be null")
    return text


def _select_one(row: dict[str, Any], params: Any, fields: frozenset[str]) -> dict[str, Any]:
    opts = parse_options({k: v for k, v in params.items() if k in ("$select", "$expand")}, fields)
    if opts.select:
        return {k: row[k] for k in opts.select if k in row}
    return row


def _abort(receive: Receive) -> bool:
    """Reset the client's TCP connection (uvicorn exposes its transport on ``receive``)."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    return True


class SimulatorApp:
    """The ASGI application of one :class:`Simulator`."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _serve_lifespan(receive, send, [self.sim])
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = scope["path"]
        try:
            if path == "/connect/token":
                await self._token(request, scope, receive, send)
                return
            if path.startswith(XAPI + "/") or path == XAPI:
                await self._xapi(request, path[len(XAPI):], scope, receive, send)
                return
            if path.startswith("/simulator/") or path in ("/healthz", "/metrics"):
                response = await self._control(request, path)
            else:
                response = _odata_error(404, "NotFound", f"no resource at {path}")
        except ODataError as exc:
            response = _json(exc.body(), exc.status)
        await response(scope, receive, send)

    # ------------------------------------------------------------------ faults
    async def _pre_faults(self, endpoint: str, receive: Receive,
                          client_id: str | None) -> tuple[Response | None, list[FaultRule], bool]:
        """Apply latency/reset/restart/error faults; return (response, remaining faults, reset)."""
        sim = self.sim
        fired = sim.faults.decide(endpoint, (sim.now_ms() - sim.clock.start_ms) / 1000)
        if not fired:
            return None, [], False
        delay = sum(r.arg or 0.0 for r in fired if r.kind == "latency")
        if delay > 0:
            await asyncio.sleep(delay)
        rest: list[FaultRule] = []
        for rule in fired:
            kind = rule.kind
            if kind == "reset" and _abort(receive):
                return None, [], True
            if kind == "restart":
                self.sim.restart()
            elif kind == "401":
                self.sim.tokens.revoke(client_id)
                if endpoint == "token":
                    body = {"error": "invalid_client",
                            "error_description": "client authentication failed"}
                    return _json(body, 401), [], False
                return _odata_error(401, "Unauthorized", "the access token was revoked",
                                    {"WWW-Authenticate": 'Bearer error="invalid_token"'}), [], False
            elif kind == "status":
                code = int(rule.arg or 503)
                return _odata_error(code, "ServiceUnavailable" if code == 503 else "ServerError",
                                    f"simulated server error {code}"), [], False
            elif kind == "429":
                retry = rule.arg if rule.arg is not None else 1.0
                return _odata_error(429, "TooManyRequests", "rate limit exceeded",
                                    {"Retry-After": f"{retry:g}"}), [], False
            elif kind == "html":
                return HTMLResponse(_HTML_PAGE, status_code=502), [], False
            elif kind != "latency":
                rest.append(rule)
        return None, rest, False

    async def _send_with_faults(self, body: bytes, status: int, faults: list[FaultRule],
                                scope: Scope, receive: Receive, send: Send) -> None:
        kinds = {r.kind for r in faults}
        if "malformed" in kinds:
            body = body[: max(1, len(body) // 2)] + b'"},{"Id":,]'
        if "truncated" in kinds:
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", _JSON.encode()),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body[: len(body) // 2],
                        "more_body": True})
            if not _abort(receive):
                raise RuntimeError("simulated truncated body")  # closes the connection
            return
        await Response(body, status_code=status, media_type=_JSON)(scope, receive, send)

    # ------------------------------------------------------------------ token
    async def _token(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        if request.method != "POST":
            await _json({"error": "invalid_request", "error_description": "use POST"},
                        405)(scope, receive, send)
            return
        form = {k: str(v) for k, v in (await request.form()).items()}
        response, rest, reset = await self._pre_faults("token", receive, form.get("client_id"))
        if reset:
            return
        if response is None:
            try:
                reply = self.sim.tokens.issue(form)
            except TokenError as exc:
                response = _json({"error": exc.error, "error_description": exc.description},
                                 exc.status)
            else:
                await self._send_with_faults(json.dumps(reply).encode(), 200, rest,
                                             scope, receive, send)
                return
        await response(scope, receive, send)

    # ------------------------------------------------------------------ XAPI
    async def _xapi(self, request: Request, sub: str, scope: Scope, receive: Receive,
                    send: Send) -> None:
        match = None
        endpoint = "unknown"
        method_ok = False
        for pattern, method, name in _ROUTES:
            m = pattern.match(sub)
            if m and (match is None or request.method == method):
                match, endpoint = m, name
                method_ok = request.method == method
                if method_ok:
                    break
        if match is not None and endpoint == "Report":
            endpoint = "Report" + match.group("x")
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        client_id = self.sim.tokens.check(token) if token else None
        response, rest, reset = await self._pre_faults(endpoint, receive, client_id)
        if reset:
            return
        if response is None and client_id is None:
            response = _odata_error(401, "Unauthorized",
                                    "missing, unknown, revoked or expired bearer token; "
                                    "get a new one from /connect/token",
                                    {"WWW-Authenticate": "Bearer"})
        if response is None and match is None:
            response = _odata_error(404, "NotFound", f"no XAPI resource at {sub}")
        if response is None and not method_ok:
            response = _odata_error(405, "MethodNotAllowed",
                                    f"{request.method} is not allowed on {sub}")
        if response is not None:
            await response(scope, receive, send)
            return
        assert match is not None
        try:
            if endpoint in _WRITES:
                status, body = self._write(endpoint, match, await _json_body(request))
            else:
                status, body = 200, self._handle(endpoint, match, request, rest)
        except ODataError as exc:
            await _json(exc.body(), exc.status)(scope, receive, send)
            return
        if status == 204:
            if any(r.kind == "truncated" for r in rest) and _abort(receive):
                return  # applied, but the answer is lost
            await Response(status_code=204)(scope, receive, send)
            return
        await self._send_with_faults(body, status, rest, scope, receive, send)

    def _handle(self, endpoint: str, match: re.Match[str], request: Request,
                faults: list[FaultRule]) -> bytes:
        params = request.query_params
        sim = self.sim
        if endpoint == "ActiveCalls":
            return self._active_calls(params, faults)
        with sim.lock:
            sim.sync()
            engine = sim.engine
            if endpoint == "DropCall":
                if not sim.drop_call(int(match.group("id"))):
                    raise ODataError(404, "NotFound", f"no active call with Id {match.group('id')}")
                return b"{}"
            if endpoint == "CallHistoryView":
                opts = parse_options(params, CALL_HISTORY_FIELDS)
                history = (call_history_row(s) for s in engine.segments
                           if s.record.ended_ms >= 0)
                page, total = apply_options(history, opts)
                return _dump(collection(page, total, opts))
            if endpoint == "CallLogData":
                fparams = parse_function_params(match.group("args"))
                lo = datetime_param(fparams, "periodFrom")
                hi = datetime_param(fparams, "periodTo")
                opts = parse_options(params, CALL_LOG_FIELDS)
                seen: dict[int, int] = {}
                rows_list = []
                for s in engine.segments:
                    if lo <= s.start_ms < hi and s.record.ended_ms >= 0:
                        n = seen.get(id(s.record), 0)
                        seen[id(s.record)] = n + 1
                        rows_list.append(call_log_row(s, n))
                page, total = apply_options(rows_list, opts)
                return _dump(collection(page, total, opts))
            if endpoint == "Queues":
                return self._queues(match, params)
            if endpoint == "GetFirstAvailableQueueNumber":
                return _dump({"Number": engine.first_available_queue_number()})
            if endpoint == "Users":
                return self._users(match, params)
            if endpoint == "SystemStatus":
                row = system_status(engine, sim.config.version, sim.config.fqdn)
                return _dump(_select_one(row, params, SYSTEM_STATUS_FIELDS))
            if endpoint == "OfficeHours":
                row = office_hours(sim.config.time_zone)
                return _dump(_select_one(row, params, OFFICE_HOURS_FIELDS))
            if endpoint == "TimeZones":
                opts = parse_options(params, TIME_ZONE_FIELDS)
                page, total = apply_options(time_zones(sim.config.time_zone), opts)
                return _dump(collection(page, total, opts))
            # a report function
            x, y = match.group("x"), match.group("y")
            if x != y or x not in REPORTS:
                raise ODataError(404, "NotFound", f"no report function Report{x}/Pbx.Get{y}Data")
            func, required = REPORTS[x]
            fparams = parse_function_params(match.group("args"))
            missing = [name for name in required if name not in fparams]
            if missing:
                raise bad_request(
                    f"Get{x}Data needs every parameter; missing: {', '.join(missing)}"
                )
            rows = func(engine, fparams)
            fields = frozenset(rows[0]) if rows else None
            opts = parse_options(params, fields)
            page, total = apply_options(rows, opts)
            return _dump(collection(page, total, opts))

    def _active_calls(self, params: Any, faults: list[FaultRule]) -> bytes:
        sim = self.sim
        kinds = {r.kind for r in faults}
        if "stale" in kinds and sim.last_active_body is not None:
            return sim.last_active_body
        skew_ms = round(sum(r.arg or 0.0 for r in faults if r.kind == "skew") * 1000)
        opts = parse_options(params, ACTIVE_CALL_FIELDS)
        if opts.plain and opts.top is None and not opts.skip:
            body = sim.active_calls_body(opts.count, skew_ms)
        else:
            with sim.lock:
                server_now = fmt_ms(sim.sync() + skew_ms)
                rows = [active_call_row(c, server_now) for c in sim.engine.active.values()]
            page, total = apply_options(rows, opts)
            body = _dump(collection(page, total, opts))
        sim.last_active_body = body
        return body

    def _queues(self, match: re.Match[str], params: Any) -> bytes:
        engine = self.sim.engine
        groups = match.groupdict()
        if groups.get("nav"):
            q = self._queue_by_id(int(groups["id"]))
            if groups["nav"] == "Agents":
                rows = queue_agents(engine, q)
            else:
                rows = queue_managers(engine, q)
            opts = parse_options(params, QUEUE_AGENT_FIELDS)
            page, total = apply_options(rows, opts)
            return _dump(collection(page, total, opts))
        if groups.get("id") is not None:
            q = self._queue_by_id(int(groups["id"]))
            opts = parse_options(params, QUEUE_FIELDS)
            return _dump(_project(queue_entity(engine, q, opts.expand), opts.projection))
        if groups.get("number") is not None:
            number = _number_literal(groups["number"])
            found = engine.queue_by_dn.get(number)
            if found is None:
                raise ODataError(404, "NotFound", f"no queue with Number '{number}'")
            opts = parse_options(params, QUEUE_FIELDS)
            return _dump(_project(queue_entity(engine, found, opts.expand), opts.projection))
        opts = parse_options(params, QUEUE_FIELDS)
        rows = [queue_entity(engine, q, opts.expand) for q in engine.live_queues()]
        page, total = apply_options(rows, opts)
        return _dump(collection(page, total, opts))

    def _queue_by_id(self, qid: int) -> Any:
        engine = self.sim.engine
        index = qid - 100_001
        if 0 <= index < len(engine.queues) and not engine.queues[index].deleted:
            return engine.queues[index]
        raise ODataError(404, "NotFound", f"no queue with Id {qid}")

    # ------------------------------------------------------------------ writes
    def _write(self, endpoint: str, match: re.Match[str],
               body: dict[str, Any] | None) -> tuple[int, bytes]:
        """A write operation: (status, body). Bodies are validated against the document's
        schema before anything changes."""
        sim = self.sim
        with sim.lock:
            sim.sync()
            if endpoint == "CreateQueue":
                return 201, _dump(config_writes.create_queue(sim.engine, _need(body, "Pbx.Queue")))
            if endpoint == "UpdateUser":
                config_writes.update_user(sim.engine, int(match.group("id")),
                                         _need(body, "Pbx.User"))
                return 204, b""
            q = self._queue_by_id(int(match.group("id")))
            if endpoint == "UpdateQueue":
                config_writes.update_queue(sim.engine, q, _need(body, "Pbx.Queue"))
            elif endpoint == "DeleteQueue":
                sim.engine.delete_queue(q)
            elif endpoint == "ResetQueueStatistics":
                sim.engine.reset_queue_statistics(q)
            return 204, b""

    def _users(self, match: re.Match[str], params: Any) -> bytes:
        engine = self.sim.engine
        users: list[Agent | NoiseUser] = [*engine.agents, *engine.noise_users]
        groups = match.groupdict()
        opts = parse_options(params, USER_FIELDS)
        select = tuple(s for s in opts.select if s not in USER_SECRET_FIELDS)
        if groups.get("id") is not None or groups.get("number") is not None:
            if groups.get("id") is not None:
                uid = int(groups["id"])
                found = [u for u in users if u.user_id == uid]
                what = f"Id {uid}"
            else:
                number = _number_literal(groups["number"])
                found = [u for u in users if u.dn == number]
                what = f"Number '{number}'"
            if not found:
                raise ODataError(404, "NotFound", f"no user with {what}")
            return _dump(_project(user_entity(found[0]), select))
        rows = [user_entity(u) for u in users]
        page, total = apply_options(rows, opts)
        if opts.select:
            page = [_project(r, select) for r in page]
        return _dump(collection(page, total, opts))

    # ------------------------------------------------------------------ /simulator
    async def _control(self, request: Request, path: str) -> Response:
        sim = self.sim
        q = request.query_params
        if path == "/healthz":  # off the event loop: it may wait for the model's lock
            ok, report = await asyncio.to_thread(sim.health)
            return JSONResponse(report, status_code=200 if ok else 503)
        if path == "/metrics":
            return Response(_metrics_text(sim.state()), media_type=_METRICS_CONTENT_TYPE)
        if request.method == "GET":
            if path == "/simulator/state":
                return JSONResponse(sim.state())
            start, end = q.get("from"), q.get("to")
            try:
                if path == "/simulator/truth/visits":
                    return _json({"value": sim.truth.visits(start, end)})
                if path == "/simulator/truth/kpi_1m":
                    short = float(q.get("short_abandon_s", "5"))
                    return _json({"value": sim.truth.kpi_1m(start, end, short)})
                if path == "/simulator/truth/entry_kpi_1m":
                    short = float(q.get("short_abandon_s", "5"))
                    return _json({"value": sim.truth.entry_kpi_1m(start, end, short)})
                if path == "/simulator/truth/calls":
                    return _json({"value": sim.truth.calls(start, end)})
                if path == "/simulator/truth/agent_states":
                    return _json({"value": sim.truth.agent_states(start, end)})
                if path == "/simulator/truth/queue_changes":
                    return _json({"value": sim.truth.queue_changes(start, end)})
                if path == "/simulator/truth/queues":
                    return _json({"value": sim.truth.queues()})
            except ValueError as exc:
                raise bad_request(str(exc)) from None
        if request.method == "POST":
            payload: dict[str, Any] = {}
            raw = await request.body()
            if raw.strip():
                try:
                    loaded = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise bad_request(f"control body is not JSON: {exc}") from None
                if isinstance(loaded, dict):
                    payload = loaded
                elif isinstance(loaded, list):
                    payload = {"rules": loaded}
            payload.update(dict(q.items()))
            if path == "/simulator/control/advance":
                before = sim.now_ms()
                try:
                    if "to" in payload:
                        now = sim.advance_to(str(payload["to"]))
                    else:
                        now = sim.advance(float(payload.get("seconds", 0)))
                except ValueError as exc:
                    raise bad_request(str(exc)) from None
                return JSONResponse({"now": fmt_ms(now), "advanced_s": (now - before) / 1000})
            if path == "/simulator/control/restart":
                sim.restart()
                return JSONResponse(sim.state())
            if path == "/simulator/control/revoke":
                return JSONResponse({"revoked": sim.tokens.revoke(payload.get("client_id"))})
            if path == "/simulator/control/faults":
                try:
                    if "rules" in payload:
                        rules = parse_fault_spec(json.dumps(payload["rules"]))
                    else:
                        rules = parse_fault_spec(str(payload.get("spec", "")))
                except FaultSpecError as exc:
                    raise bad_request(str(exc)) from None
                sim.faults.set_rules(rules)
                return JSONResponse({"rules": len(rules)})
            if path == "/simulator/control/drop":
                return JSONResponse({"dropped": sim.drop_call(int(payload.get("id", -1)))})
        return _odata_error(404, "NotFound", f"no simulator resource {request.method} {path}")


_WRITES = frozenset({"CreateQueue", "UpdateQueue", "DeleteQueue", "ResetQueueStatistics",
                     "UpdateUser"})


async def _json_body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object body (None when empty); 400 when it is not a JSON object."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        loaded = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(loaded, dict):
        raise bad_request("the request body must be a JSON object")
    return loaded


def _need(body: dict[str, Any] | None, schema: str) -> dict[str, Any]:
    if body is None:
        raise bad_request(f"this operation needs a {schema} request body")
    return validate_body(body, schema)


def _project(row: dict[str, Any], select: tuple[str, ...]) -> dict[str, Any]:
    if not select:
        return row
    return {k: row[k] for k in select if k in row}


def _dump(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def create_app(sim: Simulator) -> SimulatorApp:
    """The ASGI app serving ``sim``."""
    return SimulatorApp(sim)


class FleetApp:
    """Many simulated PBXs on one port: PBX ``i`` lives under ``/pbx/{i}`` (its own model,
    clock, tokens and faults), e.g. ``/pbx/3/connect/token`` and ``/pbx/3/xapi/v1/ActiveCalls``.

    This is a managed service's shape: hundreds of small PBXs, one token each.
    """

    def __init__(self, sims: list[Simulator]) -> None:
        self.apps = [SimulatorApp(sim) for sim in sims]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _serve_lifespan(receive, send, [a.sim for a in self.apps])
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        m = re.match(r"^/pbx/(\d+)(/.*)?$", path)
        if m is None or int(m.group(1)) >= len(self.apps):
            await _odata_error(404, "NotFound", f"no PBX at {path}; use /pbx/0 .. "
                               f"/pbx/{len(self.apps) - 1}")(scope, receive, send)
            return
        child = dict(scope)
        child["path"] = m.group(2) or "/"
        child["root_path"] = scope.get("root_path", "") + f"/pbx/{m.group(1)}"
        await self.apps[int(m.group(1))](child, receive, send)


async def _serve_lifespan(receive: Receive, send: Send, sims: list[Simulator]) -> None:
    """ASGI lifespan: while serving, advance every real-time simulator in the background.

    One ticker for all of ``sims``, at the shortest ``background_tick_s`` among those that
    want one (manual-clock simulators move only when told).
    """
    ticker: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            ticks = [s.config.background_tick_s for s in sims
                     if s.config.background_tick_s > 0 and not s.config.manual_clock]
            if ticks:
                ticker = asyncio.create_task(_tick(sims, min(ticks)))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if ticker is not None:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _tick(sims: list[Simulator], seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        for sim in sims:
            try:
                sim.sync()
            except Exception:  # pragma: no cover - keep serving whatever happens
                log.exception("simulator tick failed", extra={"pbx_id": sim.config.pbx_id})
            await asyncio.sleep(0)


_METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _metrics_text(state: dict[str, Any]) -> bytes:
    """Prometheus text of the simulated PBX's state (``GET /metrics``), labelled by ``pbx_id``:
    levels as gauges, running counts as counters (``*_total``), plus the standard families
    (process, ``python_info``, ``queuepulse_build_info``)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

    from queuepulse.health import add_standard_collectors

    pbx_id = str(state["pbx_id"])
    families: list[Metric] = []
    for name, key, doc in (
        ("active_calls", "active_calls", "Calls in ActiveCalls now"),
        ("waiting_calls", "waiting", "Calls waiting in a queue now"),
    ):
        gauge = GaugeMetricFamily(f"queuepulse_simulator_{name}", doc, labels=["pbx_id"])
        gauge.add_metric([pbx_id], float(state[key]))
        families.append(gauge)
    for name, key, doc in (
        ("calls_started", "calls_total", "Calls started since the simulator started"),
        ("queue_visits", "visits_total", "Queue visits since the simulator started"),
        ("restarts", "restarts", "Simulated PBX restarts"),
        ("tokens_issued", "tokens_issued", "Access tokens issued"),
    ):
        counter = CounterMetricFamily(f"queuepulse_simulator_{name}", doc, labels=["pbx_id"])
        counter.add_metric([pbx_id], float(state[key]))
        families.append(counter)
    fired = CounterMetricFamily("queuepulse_simulator_faults_fired", "Injected faults by kind",
                                labels=["pbx_id", "kind"])
    for kind, count in state["faults_fired"].items():
        fired.add_metric([pbx_id, str(kind)], float(count))
    families.append(fired)

    class _State:
        def collect(self) -> list[Metric]:
            return families

    registry = CollectorRegistry()
    add_standard_collectors(registry)
    registry.register(_State())
    return generate_latest(registry)
