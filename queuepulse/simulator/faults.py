"""Fault injection: per-endpoint rules fired by probability or by a request-count schedule.

A rule names an endpoint (``fnmatch`` pattern over ``token``, ``ActiveCalls``, ``DropCall``,
``CallHistoryView``, ``CallLogData``, ``Queues``, ``Users``, ``SystemStatus``, ``Report<X>``;
the writes ``CreateQueue``, ``UpdateQueue``, ``DeleteQueue``, ``ResetQueueStatistics``,
``GetFirstAvailableQueueNumber``, ``UpdateUser``;
``*`` = all), a kind, an optional argument and a trigger:

==============  ==============================================================  ===========
kind            effect                                                          arg
==============  ==============================================================  ===========
``latency``     wait before answering (combines with other faults)              seconds
``status``      an OData error with that HTTP status                            code (503)
``429``         Too Many Requests with ``Retry-After``                          seconds (1)
``401``         revoke the client's token and answer 401                        -
``malformed``   200 with a body that is not valid JSON                          -
``html``        a 502 HTML error page (as a reverse proxy would send)           -
``truncated``   200 whose body stops halfway (connection closed)                -
``reset``       TCP reset before any response                                   -
``stale``       ActiveCalls: repeat the previous body (same ``ServerNow``)      -
``restart``     PBX restart: active calls vanish, call ids start over           -
``skew``        shift ``ServerNow`` in this response                            seconds
==============  ==============================================================  ===========

Triggers: ``p0.1`` (probability), ``every5`` (every 5th matching request), ``n3`` (the 3rd
matching request), ``n3-5`` (3rd to 5th), ``t30-90`` (while the simulated clock is 30 s to 90 s
past the start: an outage window, deterministic under a manual clock), none = every matching
request.
Spec strings join rules with ``;``: ``"ActiveCalls:status=503@p0.2; token:401@n3; *:latency=0.3"``;
JSON (a list of objects with the :class:`FaultRule` field names) is accepted too.
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

FAULT_KINDS = frozenset({
    "latency", "status", "429", "401", "malformed", "html", "truncated", "reset", "stale",
    "restart", "skew",
})


class FaultSpecError(ValueError):
    """A fault spec that cannot be parsed."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One fault: where, what, and when."""

    kind: str
    endpoint: str = "*"
    arg: float | None = None
    probability: float | None = None
    every: int | None = None
    first: int | None = None
    last: int | None = None
    from_s: float | None = None
    until_s: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise FaultSpecError(
                f"unknown fault kind {self.kind!r}; use one of {', '.join(sorted(FAULT_KINDS))}"
            )


def _route_endpoints() -> tuple[str, ...]:
    from queuepulse.simulator.app import endpoint_names

    return ("token", *endpoint_names())


def fault_endpoints() -> tuple[str, ...]:
    """Every endpoint name a rule's pattern can match (``Report<X>`` for each report)."""
    from queuepulse.simulator.reports import REPORTS

    return _route_endpoints() + tuple(f"Report{name}" for name in REPORTS)


def _check_endpoint(rule: FaultRule) -> FaultRule:
    """``rule`` if its endpoint pattern matches a served endpoint (a typo would never fire)."""
    if not any(fnmatch.fnmatchcase(name, rule.endpoint) for name in fault_endpoints()):
        raise FaultSpecError(
            f"fault endpoint {rule.endpoint!r} matches no endpoint; use one of "
            f"{', '.join(_route_endpoints())}, Report<X> (e.g. ReportStatisticSla) or a pattern "
            "such as * or Report*"
        )
    return rule


_RULE_FIELDS = frozenset(FaultRule.__dataclass_fields__)


def _rule_from_json(item: object, index: int) -> FaultRule:
    """One rule of a JSON spec: an object with :class:`FaultRule`'s field names only."""
    if not isinstance(item, dict):
        raise FaultSpecError(f"JSON fault rule {index} is not an object")
    unknown = sorted(str(k) for k in item if k not in _RULE_FIELDS)
    if unknown:
        raise FaultSpecError(
            f"JSON fault rule {index}: unknown key(s) {', '.join(unknown)}; known keys: "
            f"{', '.join(FaultRule.__dataclass_fields__)}"
        )
    if "kind" not in item:
        raise FaultSpecError(f"JSON fault rule {index}: 'kind' is missing")
    return FaultRule(**item)


_RULE_RE = re.compile(
    r"^\s*(?P<ep>[^:@=\s]+)\s*:\s*(?P<kind>[A-Za-z0-9_]+)\s*(=\s*(?P<arg>[-+0-9.]+))?\s*"
    r"(@\s*(?P<trig>\S+))?\s*$"
)


def _parse_trigger(text: str, rule: str) -> dict[str, float | int]:
    if m := re.fullmatch(r"p(0?\.\d+|1(\.0+)?|0)", text):
        return {"probability": float(m.group(1))}
    if m := re.fullmatch(r"every(\d+)", text):
        return {"every": int(m.group(1))}
    if m := re.fullmatch(r"t(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", text):
        return {"from_s": float(m.group(1)), "until_s": float(m.group(2))}
    if m := re.fullmatch(r"n(\d+)(-(\d+))?", text):
        first = int(m.group(1))
        return {"first": first, "last": int(m.group(3)) if m.group(3) else first}
    raise FaultSpecError(
        f"bad trigger {text!r} in fault rule {rule!r}: use p0.1, every5, n3, n3-5 or t30-90"
    )


def parse_fault_spec(spec: str) -> tuple[FaultRule, ...]:
    """Parse a spec string (``ep:kind[=arg][@trigger];...``) or a JSON list of rule objects.
    Unknown kinds, JSON keys and endpoint patterns that match no endpoint are
    :class:`FaultSpecError`."""
    text = spec.strip()
    if not text:
        return ()
    if text.startswith(("[", "{")):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FaultSpecError(f"bad JSON fault spec: {exc}") from None
        if not isinstance(items, list):
            raise FaultSpecError("a JSON fault spec must be a list of rule objects")
        return tuple(_check_endpoint(_rule_from_json(item, index))
                     for index, item in enumerate(items))
    rules = []
    for raw in text.split(";"):
        if not raw.strip():
            continue
        m = _RULE_RE.match(raw)
        if not m:
            raise FaultSpecError(
                f"bad fault rule {raw.strip()!r}: expected endpoint:kind[=arg][@trigger]"
            )
        trig = _parse_trigger(m.group("trig"), raw.strip()) if m.group("trig") else {}
        arg = float(m.group("arg")) if m.group("arg") else None
        rules.append(_check_endpoint(FaultRule(kind=m.group("kind"), endpoint=m.group("ep"),
                                               arg=arg, **trig)))  # type: ignore[arg-type]
    return tuple(rules)


class FaultInjector:
    """Decides, per request, which rules fire (thread-safe, seeded)."""

    def __init__(self, rules: Iterable[FaultRule] = (), seed: int = 0) -> None:
        self._rules = list(rules)
        self._counts = [0] * len(self._rules)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.fired: dict[str, int] = {}

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        """The active rules."""
        return tuple(self._rules)

    def set_rules(self, rules: Iterable[FaultRule]) -> None:
        """Replace the rules (counters start over)."""
        with self._lock:
            self._rules = list(rules)
            self._counts = [0] * len(self._rules)

    def decide(self, endpoint: str, elapsed_s: float = 0.0) -> list[FaultRule]:
        """The rules that fire for this request to ``endpoint``, ``elapsed_s`` simulated
        seconds after the start."""
        fired: list[FaultRule] = []
        with self._lock:
            for i, rule in enumerate(self._rules):
                if not fnmatch.fnmatchcase(endpoint, rule.endpoint):
                    continue
                self._counts[i] += 1
                n = self._counts[i]
                if rule.from_s is not None:
                    until = rule.until_s if rule.until_s is not None else float("inf")
                    hit = rule.from_s <= elapsed_s < until
                elif rule.first is not None:
                    hit = rule.first <= n <= (rule.last if rule.last is not None else rule.first)
                elif rule.every:
                    hit = n % rule.every == 0
                elif rule.probability is not None:
                    hit = self._rng.random() < rule.probability
                else:
                    hit = True
                if hit:
                    fired.append(rule)
                    self.fired[rule.kind] = self.fired.get(rule.kind, 0) + 1
        return fired
