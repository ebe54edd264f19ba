"""The async 3CX XAPI client: the only door to the PBX.

One :class:`XapiClient` per PBX (per API client id) and process: it owns the
:class:`~queuepulse.xapi.auth.TokenManager` every request shares, the retry policy and the circuit
breaker. Every method maps to one documented operation of the official OpenAPI document and
returns typed models, except :meth:`XapiClient.poll_active_calls` and the queues/users variants:
they return the body decoded once (a :class:`RawPoll`, with the raw bytes and the local receive
time) for the poller, the sync and the recorder, which parse its rows tolerantly.

Errors are the :mod:`queuepulse.xapi.errors` tree, never an ``httpx`` or ``pydantic`` exception.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from queuepulse.errors import ConfigError
from queuepulse.schedule import utcnow
from queuepulse.settings import PbxSettings, Settings
from queuepulse.xapi import report_calls as rc
from queuepulse.xapi import reports as rp
from queuepulse.xapi.auth import TokenManager
from queuepulse.xapi.errors import (
    ForbiddenError,
    NotFoundError,
    PayloadError,
    UnavailableError,
    XapiError,
    error_from_response,
    excerpt,
)
from queuepulse.xapi.models import (
    USER_MONITORING_FIELDS,
    ActiveCall,
    CallHistoryView,
    CallLogData,
    Collection,
    OfficeHours,
    Page,
    Queue,
    QueueAgent,
    QueueManager,
    SystemStatus,
    TimeZone,
    User,
)
from queuepulse.xapi.odata import ODataQuery, format_datetime, function_path, iter_pages, key_path
from queuepulse.xapi.resilience import BreakerState, CircuitBreaker, RetryPolicy

log = logging.getLogger(__name__)

API_PREFIX = "/xapi/v1"
USER_SECRET_FIELDS = frozenset(
    {"AuthPassword", "AccessPassword", "VMPIN", "DeskphonePassword", "AuthID", "SIPID"}
)
"""User fields never requested: credentials and PINs."""

M = TypeVar("M", bound=BaseModel)
Clock = Callable[[], float]
WallClock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

#: The fields of the presence poll (:meth:`XapiClient.poll_presence`): who the user is and
#: the three facts an agent's state needs besides being on a call.
USER_PRESENCE_FIELDS: tuple[str, ...] = ("Number", "QueueStatus", "CurrentProfileName",
                                         "IsRegistered")



@dataclass(frozen=True)
class RawPoll:
    """One collection poll (ActiveCalls, Queues or Users): the body as the PBX sent it, decoded
    once. Its rows are not validated here: :func:`queuepulse.domain.snapshot.poll_from_body`
    and :func:`queuepulse.domain.pbx_config.parse_config` read them field by field, so one malformed
    row never costs the others."""

    kind: str
    """``active_calls``, ``queues`` or ``users`` (the replay file's ``kind``)."""
    received_at: datetime
    """Local (UTC) time the complete response was received."""
    content: bytes
    """The response body bytes, exactly as sent."""
    body: dict[str, Any]
    """The decoded collection envelope: a JSON object whose ``value`` is an array."""
    elapsed_s: float
    """Time the call took, retries included."""

    @property
    def rows(self) -> list[Any]:
        """The envelope's ``value``: the rows as decoded (objects, unless the PBX erred)."""
        rows: list[Any] = self.body["value"]
        return rows

    @property
    def count(self) -> int | None:
        """``@odata.count`` when the PBX sent it."""
        count = self.body.get("@odata.count")
        return count if isinstance(count, int) and not isinstance(count, bool) else None

    @property
    def size_bytes(self) -> int:
        """Length of the body."""
        return len(self.content)


@dataclass
class ClientStats:
    """Counters for ``/metrics`` and the record command's progress line."""

    requests: int = 0
    successes: int = 0
    retries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    """Failed calls by error class name (``UnavailableError``, ``AuthError``...)."""
    skips: Counter[str] = field(default_factory=Counter)
    """Answers skipped as unusable, by reason (``pbx_time_zone_unset``...); logged too."""
    bytes_received: int = 0
    last_success_at: datetime | None = None
    last_latency_s: float | None = None


@cache
def _default_tls_context() -> ssl.SSLContext:
    """httpx's verifying TLS context, built once per process: building one loads the CA store
    (~17 ms), which ``verify=True`` repeated in every client, one per PBX of hundreds."""
    return httpx.create_ssl_context()


class XapiClient:
    """Async client for the XAPI endpoints queuepulse uses.

    ``transport`` replaces the network (``httpx.MockTransport`` in tests); ``clock`` (monotonic
    seconds), ``wall_clock`` (aware UTC datetime) and ``sleep`` are injectable so tests never wait.
    Use as ``async with XapiClient(settings.pbx) as xapi: ...``.
    """

    def __init__(
        self,
        settings: PbxSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
        wall_clock: WallClock = utcnow,
        sleep: Sleep = asyncio.sleep,
        jitter: bool = True,
        bulk_budget_s: float | None = None,
    ) -> None:
        self.settings = settings
        self.bulk_budget_s = (
            bulk_budget_s
            if bulk_budget_s is not None
            else max(settings.retry_budget_s, 3 * settings.timeout_s)
        )
        """Budget of calls other than ActiveCalls polls (sync, reports, history, DropCall)."""
        self.pbx_url = settings.url.rstrip("/")
        self._clock = clock
        self._wall_clock = wall_clock
        self.auth = TokenManager(
            self.pbx_url, settings.client_id, settings.require_client_secret(), clock=clock
        )
        self.breaker = CircuitBreaker(
            settings.breaker_failures, settings.breaker_reset_s, clock=clock, name=settings.pbx_id
        )
        self.retry = RetryPolicy(
            budget_s=settings.retry_budget_s, sleep=sleep, clock=clock, jitter=jitter
        )
        self.stats = ClientStats()
        self._verify: ssl.SSLContext | bool = settings.verify_tls
        if settings.verify_tls and settings.ca_bundle is not None:
            try:
                self._verify = ssl.create_default_context(cafile=str(settings.ca_bundle))
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(
                    f"cannot load the CA bundle {settings.ca_bundle} (QUEUEPULSE_PBX__CA_BUNDLE): "
                    f"{exc}; point it at a PEM file of the CA that signed the PBX's certificate"
                ) from None
        self._transport = transport
        self._http = self._new_http()
        self._http_loop: asyncio.AbstractEventLoop | None = None

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.pbx_url + API_PREFIX,
            auth=self.auth,
            transport=self._transport,
            verify=_default_tls_context() if self._verify is True else self._verify,
            timeout=self.settings.timeout_s,
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def _http_for_loop(self) -> httpx.AsyncClient:
        """The connection pool, renewed when the client is used from a new event loop.

        Pooled connections belong to the loop that opened them; code that calls
        ``asyncio.run`` repeatedly with one client (a sync facade, a thread) gets a fresh pool
        instead of "Event loop is closed". The token manager (and its token) is kept.
        """
        loop = asyncio.get_running_loop()
        if self._http_loop is not loop:
            if self._http_loop is not None and self._transport is None:
                self._http = self._new_http()
            self._http_loop = loop
        return self._http

    @classmethod
    def from_settings(cls, settings: PbxSettings | Settings, **kwargs: Any) -> XapiClient:
        """A client for ``settings.pbx`` (or a :class:`PbxSettings`); ``kwargs`` as ``__init__``."""
        pbx = settings.pbx if isinstance(settings, Settings) else settings
        return cls(pbx, **kwargs)

    def __repr__(self) -> str:
        return f"XapiClient(pbx_id={self.settings.pbx_id!r}, url={self.pbx_url!r})"

    async def __aenter__(self) -> XapiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (of the current event loop)."""
        await self._http_for_loop().aclose()

    async def authenticate(self) -> None:
        """Fetch an access token now (no retries): :class:`AuthError` when the PBX refuses the
        client id or secret, :class:`UnavailableError` when it cannot be reached — a check a
        command runs before any work."""
        endpoint = f"POST {httpx.URL(self.auth.token_url).path}"
        request = self.auth.build_token_request()
        request.extensions["timeout"] = httpx.Timeout(self.settings.timeout_s).as_dict()
        try:
            reply = await self._http_for_loop().send(request, auth=None)
        except httpx.TransportError as exc:
            raise self._unreachable(endpoint, exc) from None
        self.auth.accept_token_response(reply)

    @property
    def breaker_state(self) -> BreakerState:
        """The circuit breaker's state (0 closed, 1 half-open, 2 open) for metrics."""
        return self.breaker.state

    # --- plumbing --------------------------------------------------------------------------

    def _unreachable(self, endpoint: str, exc: httpx.TransportError) -> UnavailableError:
        return UnavailableError(
            f"{endpoint} could not reach the PBX at {self.pbx_url}: {type(exc).__name__}: {exc}",
            endpoint=endpoint,
        )

    async def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        endpoint: str,
        remaining_s: float,
        body: Any = None,
    ) -> httpx.Response:
        timeout = min(self.settings.timeout_s, remaining_s)
        self.stats.requests += 1
        try:
            http = self._http_for_loop()
            response = await http.request(
                method, path, params=params, timeout=timeout, json=body
            )
        except httpx.TimeoutException as exc:
            raise UnavailableError(
                f"{endpoint} timed out after {timeout:.2f} s ({type(exc).__name__}); "
                f"is the PBX at {self.pbx_url} up and reachable?",
                endpoint=endpoint,
            ) from None
        except httpx.DecodingError as exc:
            raise PayloadError(
                f"{endpoint} sent a body that cannot be decoded: {exc}", endpoint=endpoint
            ) from None
        except httpx.TransportError as exc:
            raise self._unreachable(endpoint, exc) from None
        if response.is_success:
            return response
        raise error_from_response(response, endpoint)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        endpoint: str | None = None,
        poll: bool = False,
        body: Any = None,
        retry: bool = True,
    ) -> tuple[httpx.Response, float]:
        """One call with retries, budget and breaker; returns the response and elapsed time.

        ActiveCalls polls (``poll=True``) get ``settings.retry_budget_s``, which the poller keeps
        below its interval; every other call gets :attr:`bulk_budget_s`. ``body`` is sent as
        JSON; ``retry=False`` makes exactly one attempt (configuration writes: the caller
        re-reads before deciding to send again).
        """
        budget = self.settings.retry_budget_s if poll else self.bulk_budget_s
        endpoint = endpoint or f"{method} {path.split('?', 1)[0]}"
        started = self._clock()
        try:
            self.breaker.before_call(endpoint)
        except XapiError as exc:
            self.stats.errors[type(exc).__name__] += 1
            raise

        def on_retry(exc: BaseException, delay: float) -> None:
            self.stats.retries += 1
            log.warning(
                "xapi retry",
                extra={"endpoint": endpoint, "error": str(exc), "delay_s": round(delay, 3)},
            )

        try:
            if retry:
                response = await self.retry.call(
                    lambda remaining: self._attempt(
                        method, path, params, endpoint, remaining, body
                    ),
                    on_retry=on_retry,
                    budget_s=budget,
                )
            else:
                response = await self._attempt(method, path, params, endpoint, budget, body)
        except UnavailableError as exc:
            self.breaker.record_failure()
            self.stats.errors[type(exc).__name__] += 1
            raise
        except XapiError as exc:
            self.breaker.record_success()  # the PBX answered, just not as hoped
            self.stats.errors[type(exc).__name__] += 1
            raise
        except BaseException:
            self.breaker.release_probe()
            raise
        self.breaker.record_success()
        elapsed = self._clock() - started
        self.stats.successes += 1
        self.stats.bytes_received += len(response.content)
        self.stats.last_success_at = self._wall_clock()
        self.stats.last_latency_s = elapsed
        return response, elapsed

    def _reject_html(self, response: httpx.Response, endpoint: str) -> None:
        """:class:`PayloadError` when a proxy or login page answered instead of the XAPI."""
        content = response.content
        ctype = response.headers.get("content-type", "")
        head = content.lstrip()[:1]
        if "html" in ctype.lower() or head == b"<":
            self.stats.errors["PayloadError"] += 1
            raise PayloadError(
                f"{endpoint} returned an HTML page instead of JSON "
                f"(HTTP {response.status_code}, {ctype or 'no content type'}) — a proxy or login "
                f"page in front of the PBX? Body starts: {excerpt(content)}",
                endpoint=endpoint,
                status=response.status_code,
                excerpt=excerpt(content),
            )

    def _decode(self, response: httpx.Response, endpoint: str) -> Any:
        """The JSON body, or :class:`PayloadError` naming the endpoint with an excerpt."""
        self._reject_html(response, endpoint)
        content = response.content
        try:
            return json.loads(content)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deep nesting too
            self.stats.errors["PayloadError"] += 1
            pos = getattr(exc, "pos", None)
            msg = str(getattr(exc, "msg", ""))
            truncated = msg.startswith("Unterminated string") or (
                pos is not None and pos >= len(content.rstrip()) - 1
            )
            what = "truncated JSON (ends early)" if truncated else "not valid JSON"
            where = f" at byte {pos}" if pos is not None else ""
            raise PayloadError(
                f"{endpoint} returned {what}{where} of {len(content)} bytes: {excerpt(content)}",
                endpoint=endpoint,
                status=response.status_code,
                excerpt=excerpt(content),
            ) from None

    def _validate(self, adapter: TypeAdapter[Any], data: Any, endpoint: str) -> Any:
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            self.stats.errors["PayloadError"] += 1
            first = exc.errors(include_url=False, include_input=False)[0]
            loc = ".".join(str(p) for p in first["loc"])
            text = excerpt(json.dumps(data, default=str))
            raise PayloadError(
                f"{endpoint} returned data that does not match the XAPI schema "
                f"({exc.error_count()} error(s); first at {loc or 'top level'}: {first['msg']}): "
                f"{text}",
                endpoint=endpoint,
                excerpt=text,
            ) from None

    def _page(
        self, response: httpx.Response, adapter: TypeAdapter[Collection[M]], endpoint: str
    ) -> Page[M]:
        """Parse a collection body straight from bytes (pydantic's JSON parser: one pass)."""
        content = response.content
        self._reject_html(response, endpoint)
        try:
            with _gc_paused(len(content) >= _GC_PAUSE_BYTES):
                envelope = adapter.validate_json(content)
        except ValidationError as exc:
            self.stats.errors["PayloadError"] += 1
            raise self._collection_error(exc, content, endpoint) from None
        return Page(items=envelope.value, count=envelope.odata_count)

    @staticmethod
    def _collection_error(exc: ValidationError, content: bytes, endpoint: str) -> PayloadError:
        first = exc.errors(include_url=False, include_input=False)[0]
        text = excerpt(content)
        if first["type"] == "json_invalid":
            detail = str(first.get("ctx", {}).get("error", first["msg"]))
            what = "truncated JSON (ends early)" if "EOF" in detail else "not valid JSON"
            return PayloadError(
                f"{endpoint} returned {what} ({detail}) of {len(content)} bytes: {text}",
                endpoint=endpoint,
                excerpt=text,
            )
        loc = tuple(first["loc"])
        if loc in ((), ("value",)):
            return PayloadError(
                f"{endpoint} did not return the collection envelope "
                f'{{"@odata.count": ..., "value": [...]}} ({first["msg"]}): {text}',
                endpoint=endpoint,
                excerpt=text,
            )
        where = ".".join(str(p) for p in loc)
        return PayloadError(
            f"{endpoint} returned data that does not match the XAPI schema "
            f"({exc.error_count()} error(s); first at {where}: {first['msg']}): {text}",
            endpoint=endpoint,
            excerpt=text,
        )

    async def _get_page(
        self, path: str, adapter: TypeAdapter[Collection[M]], query: ODataQuery | None
    ) -> Page[M]:
        endpoint = f"GET {_endpoint_path(path)}"
        response, _ = await self._send(
            "GET",
            path,
            params=(query or ODataQuery()).to_params(),
            endpoint=endpoint,
            poll=path == "/ActiveCalls",
        )
        return self._page(response, adapter, endpoint)

    async def _get_all(
        self,
        path: str,
        adapter: TypeAdapter[Collection[M]],
        query: ODataQuery | None,
        page_size: int | None,
    ) -> list[M]:
        if page_size is None:
            return (await self._get_page(path, adapter, query)).items
        return [item async for item in self._iter(path, adapter, query, page_size)]

    def _iter(
        self,
        path: str,
        adapter: TypeAdapter[Collection[M]],
        query: ODataQuery | None,
        page_size: int,
    ) -> AsyncIterator[M]:
        async def fetch(q: ODataQuery) -> tuple[list[M], int | None]:
            page = await self._get_page(path, adapter, q)
            return page.items, page.count

        return iter_pages(fetch, query, page_size=page_size,
                          endpoint=f"GET {_endpoint_path(path)}")

    async def _get_one(self, path: str, model: type[M], query: ODataQuery | None) -> M:
        endpoint = f"GET {_endpoint_path(path)}"
        params = (query or ODataQuery()).single_entity_params()
        response, _ = await self._send("GET", path, params=params, endpoint=endpoint)
        doc = self._decode(response, endpoint)
        if not isinstance(doc, dict):
            self.stats.errors["PayloadError"] += 1
            raise PayloadError(
                f"{endpoint} returned {type(doc).__name__}, expected an object: "
                f"{excerpt(json.dumps(doc))}",
                endpoint=endpoint,
            )
        result: M = self._validate(_adapter(model), doc, endpoint)
        return result

    async def _raw_poll(self, kind: str, path: str, query: ODataQuery | None) -> RawPoll:
        endpoint = f"GET {path}"
        params = (query or ODataQuery()).to_params()
        response, elapsed = await self._send(
            "GET", path, params=params, endpoint=endpoint, poll=path == "/ActiveCalls"
        )
        received_at = self._wall_clock()
        with _gc_paused(len(response.content) >= _GC_PAUSE_BYTES):
            body = self._decode(response, endpoint)
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            self.stats.errors["PayloadError"] += 1
            text = excerpt(response.content)
            raise PayloadError(
                f"{endpoint} did not return the collection envelope "
                f'{{"@odata.count": ..., "value": [...]}}: {text}',
                endpoint=endpoint,
                status=response.status_code,
                excerpt=text,
            )
        return RawPoll(kind, received_at, response.content, body, elapsed)

    # --- ActiveCalls -----------------------------------------------------------------------

    async def list_active_calls(self, query: ODataQuery | None = None) -> list[ActiveCall]:
        """``GET /ActiveCalls`` (ListActiveCall)."""
        return (await self._get_page("/ActiveCalls", _collection_adapter(ActiveCall), query)).items

    async def poll_active_calls(self, query: ODataQuery | None = None) -> RawPoll:
        """``GET /ActiveCalls`` decoded once, with the raw bytes and the local receive time
        (for the poller and the recorder)."""
        return await self._raw_poll("active_calls", "/ActiveCalls", query)

    async def drop_call(self, call_id: int) -> None:
        """``POST /ActiveCalls({Id})/Pbx.DropCall`` (DropCall); the reply is an empty object."""
        path = f"{key_path('/ActiveCalls', call_id)}/Pbx.DropCall"
        endpoint = f"POST {path}"
        response, _ = await self._send("POST", path, endpoint=endpoint)
        if response.content.strip():
            self._decode(response, endpoint)  # must at least be JSON

    # --- Queues ----------------------------------------------------------------------------

    @staticmethod
    def _queue_query(
        query: ODataQuery | None, expand_agents: bool, expand_managers: bool = False
    ) -> ODataQuery | None:
        extra = (("Agents",) if expand_agents else ()) + (
            ("Managers",) if expand_managers else ()
        )
        if not extra:
            return query
        base = query or ODataQuery()
        return base.replace(expand=(*base.expand, *extra))

    async def list_queues(
        self,
        query: ODataQuery | None = None,
        *,
        expand_agents: bool = False,
        expand_managers: bool = False,
        page_size: int | None = None,
    ) -> list[Queue]:
        """``GET /Queues`` (ListQueue); ``expand_agents``/``expand_managers`` add
        ``$expand=Agents``/``Managers``.

        With ``page_size`` the collection is read page by page (``$top``/``$skip``).
        """
        q = self._queue_query(query, expand_agents, expand_managers)
        return await self._get_all("/Queues", _collection_adapter(Queue), q, page_size)

    async def poll_queues(self, *, expand_agents: bool = True) -> RawPoll:
        """``GET /Queues?$expand=Agents`` decoded once, with the raw bytes (for the poller, the
        sync and the recorder)."""
        q = self._queue_query(None, expand_agents)
        return await self._raw_poll("queues", "/Queues", q)

    async def get_queue(
        self, queue_id: int, *, expand_agents: bool = False, expand_managers: bool = False
    ) -> Queue:
        """``GET /Queues({Id})`` (GetQueue)."""
        q = self._queue_query(None, expand_agents, expand_managers)
        return await self._get_one(key_path("/Queues", queue_id), Queue, q)

    async def get_queue_by_number(
        self, number: str, *, expand_agents: bool = False, expand_managers: bool = False
    ) -> Queue:
        """``GET /Queues(Number='800')`` (GetQueueByNumber); the number is a string literal."""
        q = self._queue_query(None, expand_agents, expand_managers)
        return await self._get_one(key_path("/Queues", str(number), "Number"), Queue, q)

    async def list_queue_agents(
        self, queue_id: int, query: ODataQuery | None = None
    ) -> list[QueueAgent]:
        """``GET /Queues({Id})/Agents`` (ListAgents)."""
        path = f"{key_path('/Queues', queue_id)}/Agents"
        return (await self._get_page(path, _collection_adapter(QueueAgent), query)).items

    async def list_queue_managers(
        self, queue_id: int, query: ODataQuery | None = None
    ) -> list[QueueManager]:
        """``GET /Queues({Id})/Managers`` (ListManagers)."""
        path = f"{key_path('/Queues', queue_id)}/Managers"
        return (await self._get_page(path, _collection_adapter(QueueManager), query)).items

    async def write(
        self, method: str, path: str, body: Any = None, *, endpoint: str | None = None
    ) -> httpx.Response:
        """One configuration write (``POST``, ``PATCH``, ``DELETE``), sent exactly once: never
        retried here, because a write that timed out may have been applied. The caller
        (:mod:`queuepulse.xapi.queue_writes`) re-reads the entity before any new attempt.
        """
        endpoint = endpoint or f"{method} {_endpoint_path(path)}"
        response, _ = await self._send(method, path, endpoint=endpoint, body=body, retry=False)
        return response

    async def read_json(self, path: str, *, endpoint: str | None = None) -> Any:
        """``GET path`` (with retries) decoded as JSON, for the few documented functions that
        have no typed method (``Pbx.GetFirstAvailableQueueNumber()``)."""
        endpoint = endpoint or f"GET {path}"
        response, _ = await self._send("GET", path, endpoint=endpoint)
        return self._decode(response, endpoint)

    # --- Users (always with $select: the entity carries passwords) --------------------------

    @staticmethod
    def _user_query(query: ODataQuery | None) -> ODataQuery:
        base = query or ODataQuery()
        asked = set(base.select)
        secret = sorted(asked & USER_SECRET_FIELDS)
        if secret:
            raise ValueError(f"refusing to $select User secrets {secret}")
        extra = tuple(f for f in base.select if f not in USER_MONITORING_FIELDS)
        return base.replace(select=(*USER_MONITORING_FIELDS, *extra))

    async def list_users(
        self, query: ODataQuery | None = None, *, page_size: int | None = None
    ) -> list[User]:
        """``GET /Users`` (ListUser), always with ``$select`` of the monitoring fields."""
        return await self._get_all(
            "/Users", _collection_adapter(User), self._user_query(query), page_size
        )

    async def poll_users(self) -> RawPoll:
        """``GET /Users?$select=<monitoring fields>`` decoded once, with the raw bytes."""
        return await self._raw_poll("users", "/Users", self._user_query(None))

    async def poll_presence(self) -> RawPoll:
        """``GET /Users?$select=Number,QueueStatus,CurrentProfileName,IsRegistered``: the light
        presence poll (no names, no other fields), decoded once, with the raw bytes."""
        return await self._raw_poll("presence", "/Users",
                                    ODataQuery(select=USER_PRESENCE_FIELDS))

    async def get_user(self, user_id: int) -> User:
        """``GET /Users({Id})`` (GetUser) with ``$select``."""
        return await self._get_one(key_path("/Users", user_id), User, self._user_query(None))

    async def get_user_by_number(self, number: str) -> User:
        """``GET /Users(Number='100')`` (GetUserByNumber) with ``$select``."""
        path = key_path("/Users", str(number), "Number")
        return await self._get_one(path, User, self._user_query(None))

    # --- SystemStatus ----------------------------------------------------------------------

    async def get_system_status(self, query: ODataQuery | None = None) -> SystemStatus:
        """``GET /SystemStatus`` (GetSystemStatus)."""
        return await self._get_one("/SystemStatus", SystemStatus, query)

    # --- OfficeHours and Defs/TimeZones: the PBX's own time zone ---------------------------

    async def get_office_hours(self, query: ODataQuery | None = None) -> OfficeHours:
        """``GET /OfficeHours`` (GetOfficeHours, singleton)."""
        return await self._get_one("/OfficeHours", OfficeHours, query)

    async def list_time_zones(self, query: ODataQuery | None = None) -> list[TimeZone]:
        """``GET /Defs/TimeZones`` (ListTimeZones): the zones the PBX knows, with IANA names."""
        return await self._get_all("/Defs/TimeZones", _collection_adapter(TimeZone), query, None)

    async def get_pbx_time_zone(self) -> str | None:
        """The PBX's own time zone as an IANA name: the ``TimeZoneId`` of its office hours
        (``GET /OfficeHours?$select=TimeZoneId``) looked up by ``Id`` in ``GET /Defs/TimeZones``
        (its ``IanaName``).

        None — a logged skip, counted in ``stats.skips`` by reason — when the PBX sets no zone,
        the id is not in the list, the IANA name is missing or unknown here (zoneinfo), or an
        endpoint is absent or forbidden to this API client (404/403). Other errors (PBX away,
        bad payload) raise as usual.
        """
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        def skip(reason: str, **extra: object) -> None:
            self.stats.skips[reason] += 1
            log.warning("PBX time zone not used", extra={
                "pbx_id": self.settings.pbx_id, "reason": reason, **extra})

        try:
            hours = await self.get_office_hours(ODataQuery(select=("TimeZoneId",)))
            zone_id = (hours.time_zone_id or "").strip()
            if not zone_id:
                skip("pbx_time_zone_unset")
                return None
            zones = await self.list_time_zones()
        except (NotFoundError, ForbiddenError) as exc:
            skip("pbx_time_zone_unavailable", error=str(exc))
            return None
        match = next((z for z in zones if z.id == zone_id), None)
        if match is None:
            skip("pbx_time_zone_unknown_id", time_zone_id=zone_id)
            return None
        iana = (match.iana_name or "").strip()
        try:
            if not iana:
                raise ValueError(iana)
            ZoneInfo(iana)
        except (ZoneInfoNotFoundError, ValueError):
            skip("pbx_time_zone_not_iana", time_zone_id=zone_id, iana_name=match.iana_name)
            return None
        return iana

    # --- CallHistoryView -------------------------------------------------------------------

    def iter_call_history_view(
        self,
        start: datetime,
        end: datetime,
        *,
        query: ODataQuery | None = None,
        page_size: int = 500,
    ) -> AsyncIterator[CallHistoryView]:
        """Segments with ``start <= SegmentStartTime < end`` (ListCallHistoryView), paged.

        ``query.filter``, when given, is and-ed with the time window; the order is
        ``SegmentStartTime, SegmentId`` unless ``query.orderby`` says otherwise.
        """
        base = query or ODataQuery()
        window = (
            f"SegmentStartTime ge {format_datetime(start)} "
            f"and SegmentStartTime lt {format_datetime(end)}"
        )
        flt = f"{window} and ({base.filter})" if base.filter else window
        orderby = base.orderby or ("SegmentStartTime asc", "SegmentId asc")
        q = base.replace(filter=flt, orderby=orderby)
        return self._iter("/CallHistoryView", _collection_adapter(CallHistoryView), q, page_size)

    # --- ReportCallLogData -----------------------------------------------------------------

    @staticmethod
    def _call_log_path(values: Sequence[tuple[str, object]]) -> str:
        return function_path("/ReportCallLogData/Pbx.GetCallLogData", values)

    async def get_call_log_data(
        self,
        period_from: datetime,
        period_to: datetime,
        *,
        source_type: int = 0,
        source_filter: str | None = None,
        destination_type: int = 0,
        destination_filter: str | None = None,
        calls_type: int = 0,
        call_time_filter_type: int = 0,
        call_time_filter_from: str | None = None,
        call_time_filter_to: str | None = None,
        hide_pcalls: bool = False,
        query: ODataQuery | None = None,
        page_size: int | None = None,
    ) -> list[CallLogData]:
        """``ReportCallLogData/Pbx.GetCallLogData(...)`` (GetCallLogData), every parameter sent.

        The integer codes (``sourceType``, ``callsType``...) have no enum in the spec; 0 is
        what public integrations pass for "all".
        """
        path = self._call_log_path(
            [
                ("periodFrom", period_from),
                ("periodTo", period_to),
                ("sourceType", source_type),
                ("sourceFilter", source_filter),
                ("destinationType", destination_type),
                ("destinationFilter", destination_filter),
                ("callsType", calls_type),
                ("callTimeFilterType", call_time_filter_type),
                ("callTimeFilterFrom", call_time_filter_from),
                ("callTimeFilterTo", call_time_filter_to),
                ("hidePcalls", hide_pcalls),
            ]
        )
        return await self._get_all(path, _collection_adapter(CallLogData), query, page_size)

    # --- queue reports ---------------------------------------------------------------------

    async def get_report(
        self,
        spec: rp.ReportSpec[M],
        params: Mapping[str, object],
        query: ODataQuery | None = None,
        *,
        page_size: int | None = None,
    ) -> list[M]:
        """Any report of :data:`~queuepulse.xapi.reports.REPORTS`, parameters by spec name."""
        path = spec.path(params)
        return await self._get_all(path, _collection_adapter(spec.row), query, page_size)

    # One typed method per report, all served by get_report (see report_calls.py).
    get_queue_performance_overview = rc.window(rp.QUEUE_PERFORMANCE_OVERVIEW)
    get_queue_performance_totals = rc.window(rp.QUEUE_PERFORMANCE_TOTALS)
    get_abandoned_queue_calls = rc.window(rp.ABANDONED_QUEUE_CALLS)
    get_statistic_sla = rc.window(rp.STATISTIC_SLA)
    """3CX's SLA report: bad-SLA calls over received."""
    get_breaches_sla = rc.window(rp.BREACHES_SLA)
    get_agents_in_queue_statistics = rc.window(rp.AGENTS_IN_QUEUE_STATISTICS)
    get_team_queue_general_statistics = rc.window(rp.TEAM_QUEUE_GENERAL_STATISTICS)
    get_detailed_queue_statistics = rc.window(rp.DETAILED_QUEUE_STATISTICS)
    get_queue_answered_calls_by_wait_time = rc.window(rp.QUEUE_ANSWERED_CALLS_BY_WAIT_TIME)
    get_queue_callbacks = rc.callbacks(rp.QUEUE_CALLBACKS)
    get_queue_failed_callbacks = rc.callbacks(rp.QUEUE_FAILED_CALLBACKS)
    get_agent_login_history = rc.login_history(rp.AGENT_LOGIN_HISTORY)
    get_average_queue_waiting_time = rc.chart(rp.AVERAGE_QUEUE_WAITING_TIME)
    get_queue_an_un_calls = rc.chart(rp.QUEUE_AN_UN_CALLS)


def _endpoint_path(path: str) -> str:
    """A path for messages: a function's parameter list shortened to ``(...)``."""
    head, sep, _ = path.partition("Pbx.Get")
    if not sep:
        return path
    name = _.split("(", 1)[0]
    return f"{head}Pbx.Get{name}(...)"


_GC_PAUSE_BYTES = 64 * 1024


@contextmanager
def _gc_paused(pause: bool) -> Iterator[None]:
    """Pause the cyclic garbage collector around a bulk parse.

    Parsing 10,000 active calls allocates ~50,000 objects; with the collector on, the
    generation sweeps they trigger cost more than the parse itself (measured: 57 ms → 20 ms CPU
    per 10,000-call poll). The new objects hold no reference cycles, so nothing is lost by
    collecting later; the collector is re-enabled (if it was on) as soon as the parse ends.
    """
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}
_COLLECTION_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}


def _adapter(model: type[M]) -> TypeAdapter[M]:
    if model not in _ADAPTERS:
        _ADAPTERS[model] = TypeAdapter(model)
    return _ADAPTERS[model]


def _collection_adapter(model: type[M]) -> TypeAdapter[Collection[M]]:
    if model not in _COLLECTION_ADAPTERS:
        _COLLECTION_ADAPTERS[model] = TypeAdapter(Collection[model])  # type: ignore[valid-type]
    return _COLLECTION_ADAPTERS[model]
