"""A running simulated PBX in-process: model + clock + tokens + faults, behind one lock.

``Simulator`` is what the HTTP app serves and what tests drive directly:
``sim.advance(30)`` (manual clock), ``sim.truth.visits()``, ``sim.truth.kpi_1m()``,
``sim.drop_call(id)``, ``sim.restart()``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from queuepulse.simulator.auth import TokenStore
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.faults import FaultInjector
from queuepulse.simulator.formats import datetime_to_ms, fmt_ms, parse_datetime_ms
from queuepulse.simulator.model.clock import SimClock
from queuepulse.simulator.model.engine import Engine
from queuepulse.simulator.model.truth import call_row, entry_kpi_1m, kpi_1m, visit_row
from queuepulse.simulator.views import active_call_fragment

TimeArg = datetime | str | int | None


def _to_ms(value: TimeArg, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, datetime):
        return datetime_to_ms(value)
    if isinstance(value, int):
        return value
    return parse_datetime_ms(value)


class Truth:
    """Ground truth of a simulator as rows (see :mod:`queuepulse.simulator.model.truth`).

    Time arguments take a datetime, an ISO string or epoch ms; ``None`` means unbounded.
    """

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    def visits(self, start: TimeArg = None, end: TimeArg = None) -> list[dict[str, Any]]:
        """``queue_calls``-shaped rows of visits that entered a queue in ``[start, end)``."""
        sim = self._sim
        with sim.lock:
            sim.sync()
            lo, hi = _to_ms(start, -(2**62)), _to_ms(end, 2**62)
            return [visit_row(v, sim.config.pbx_id) for v in sim.engine.visits
                    if lo <= v.entered_ms < hi]

    def kpi_1m(self, start: TimeArg = None, end: TimeArg = None,
               short_abandon_s: float = 5.0) -> list[dict[str, Any]]:
        """``queue_kpi_1m``-shaped rows for minute buckets starting in ``[start, end)``."""
        sim = self._sim
        with sim.lock:
            sim.sync()
            return kpi_1m(sim.engine.visits, _to_ms(start, -(2**62)), _to_ms(end, 2**62),
                          sim.config.pbx_id, short_abandon_s)

    def entry_kpi_1m(self, start: TimeArg = None, end: TimeArg = None,
                     short_abandon_s: float = 5.0) -> list[dict[str, Any]]:
        """End-to-end KPIs by entry queue (first queue; first answer anywhere), per minute."""
        sim = self._sim
        with sim.lock:
            sim.sync()
            return entry_kpi_1m(sim.engine.calls, _to_ms(start, -(2**62)), _to_ms(end, 2**62),
                                sim.config.pbx_id, short_abandon_s)

    def calls(self, start: TimeArg = None, end: TimeArg = None) -> list[dict[str, Any]]:
        """Every call established in ``[start, end)`` with its whole timeline."""
        sim = self._sim
        with sim.lock:
            sim.sync()
            lo, hi = _to_ms(start, -(2**62)), _to_ms(end, 2**62)
            return [call_row(c, sim.config.pbx_id) for c in sim.engine.calls
                    if lo <= c.established_ms < hi]

    def agent_states(self, start: TimeArg = None, end: TimeArg = None) -> list[dict[str, Any]]:
        """``agent_states``-shaped rows: every change of an agent's state in ``[start, end)``."""
        sim = self._sim
        with sim.lock:
            sim.sync()
            lo, hi = _to_ms(start, -(2**62)), _to_ms(end, 2**62)
            return [{"pbx_id": sim.config.pbx_id, "agent_dn": dn, "ts": fmt_ms(ts),
                     "queue_status": qs, "profile": prof, "registered": reg, "on_call": on}
                    for ts, dn, qs, prof, reg, on in sim.engine.agent_states if lo <= ts < hi]

    def queue_changes(self, start: TimeArg = None,
                      end: TimeArg = None) -> list[dict[str, Any]]:
        """Configuration written through the XAPI in ``[start, end)``: one row per write
        (``created``, ``updated``, ``deleted``, ``statistics_reset``) with the fields sent."""
        sim = self._sim
        with sim.lock:
            sim.sync()
            lo, hi = _to_ms(start, -(2**62)), _to_ms(end, 2**62)
            return [{"pbx_id": sim.config.pbx_id, "ts": fmt_ms(ts), "action": action,
                     "queue_dn": dn, "fields": fields}
                    for ts, action, dn, fields in sim.engine.config_changes if lo <= ts < hi]

    def queues(self) -> list[dict[str, Any]]:
        """The queues as they are now: number, name, strategy, SLA and members with their
        queue login state."""
        sim = self._sim
        with sim.lock:
            sim.sync()
            engine = sim.engine
            return [{"queue_dn": q.dn, "name": q.name, "strategy": q.strategy,
                     "sla_s": q.sla_s, "wrapup_s": q.wrapup_s, "max_callers": q.max_callers,
                     "waiting": q.n_waiting,
                     "members": [{"agent_dn": engine.agents[i].dn,
                                  "skill_group": q.skills.get(i),
                                  "logged_in": engine.agents[i].logged_in} for i in q.agents]}
                    for q in engine.live_queues()]

    def export(self, directory: Path) -> dict[str, int]:
        """Write visits, kpi_1m, calls and agent_states as JSON Lines; return row counts."""
        directory.mkdir(parents=True, exist_ok=True)
        counts = {}
        for name, rows in (("visits", self.visits()), ("kpi_1m", self.kpi_1m()),
                           ("entry_kpi_1m", self.entry_kpi_1m()),
                           ("calls", self.calls()), ("agent_states", self.agent_states())):
            with (directory / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps(row, sort_keys=True) + "\n")
            counts[name] = len(rows)
        return counts


class Simulator:
    """One simulated PBX. Thread-safe: every access to the model holds ``lock``."""

    def __init__(self, config: SimulatorConfig | None = None,
                 wall: Callable[[], float] = time.monotonic,
                 token_wall: Callable[[], float] = time.monotonic) -> None:
        self.config = config = config or SimulatorConfig()
        if config.start is not None:
            start_ms = datetime_to_ms(config.start)
        else:
            start_ms = (round((time.time() + config.clock_skew_s) * 1000) // 1000) * 1000
        warmup_ms = round(config.warmup_s * 1000)
        self.engine = Engine(config.model, start_ms - warmup_ms)
        self.engine.advance_to(start_ms)
        self.clock = SimClock(start_ms, config.speed, config.manual_clock, wall)
        clients = {config.client_id: config.client_secret, **dict(config.extra_clients)}
        self.tokens = TokenStore(clients, config.token_ttl_s, token_wall)
        self.faults = FaultInjector(config.faults, config.fault_seed)
        self.lock = threading.RLock()
        self.truth = Truth(self)
        self._body_key: tuple[int, int, bool] | None = None
        self._body = b""
        self.last_active_body: bytes | None = None
        self._pruned_at = start_ms
        self.health_timeout_s = 2.0
        """How long ``/healthz`` waits for the model's lock before it reports "busy"."""

    def sync(self) -> int:
        """Advance the model to the clock's current simulated time; return it (epoch ms)."""
        with self.lock:
            now = self.clock.now_ms()
            if now > self.engine.now:
                self.engine.advance_to(now)
            history = self.config.history_s
            if history is not None and now - self._pruned_at >= 60_000:
                self.engine.prune(now - round(history * 1000))
                self._pruned_at = now
            return self.engine.now

    def now_ms(self) -> int:
        """Simulated time now (after syncing the model)."""
        return self.sync()

    def advance(self, seconds: float) -> int:
        """Move simulated time forward (any clock mode) and run the model; return the new time."""
        with self.lock:
            self.clock.advance(seconds)
            return self.sync()

    def advance_to(self, when: TimeArg) -> int:
        """Move simulated time forward to ``when`` (no-op if already past)."""
        with self.lock:
            target = _to_ms(when, self.sync())
            now = self.sync()
            if target > now:
                self.clock.advance((target - now) / 1000)
            return self.sync()

    def drop_call(self, call_id: int) -> bool:
        """Hang up an active call (Pbx.DropCall)."""
        with self.lock:
            self.sync()
            return self.engine.drop_call(call_id)

    def restart(self) -> None:
        """Simulate a PBX restart: active calls vanish, ids start over."""
        with self.lock:
            self.sync()
            self.engine.restart()

    def active_calls_body(self, count: bool, skew_ms: int = 0) -> bytes:
        """The whole ActiveCalls collection as JSON bytes, cached per (model version, time)."""
        with self.lock:
            now = self.sync() + skew_ms
            key = (self.engine.version, now, count)
            if key == self._body_key:
                return self._body
            server_now = fmt_ms(now)
            tail = server_now + '"}'
            calls = self.engine.active.values()
            items = ",".join([active_call_fragment(c) + tail for c in calls])
            head = f'{{"@odata.count":{len(self.engine.active)},' if count else "{"
            body = f'{head}"value":[{items}]}}'.encode()
            self._body_key, self._body = key, body
            return body

    def health(self) -> tuple[bool, dict[str, Any]]:
        """``GET /healthz``: whether the simulator can answer ActiveCalls now — the model's
        lock is free within :attr:`health_timeout_s`, the model advances to the clock and the
        ActiveCalls body builds. ``(False, {"status", "reason"})`` says what is wrong."""
        if not self.lock.acquire(timeout=self.health_timeout_s):
            return False, {"status": "unavailable", "reason": (
                f"the model is busy: its lock was not free within {self.health_timeout_s:g} s")}
        try:
            due = self.clock.now_ms()
            now = self.sync()
            if now < due:
                return False, {"status": "unavailable", "reason": (
                    f"the model is behind its clock: at {fmt_ms(now)}, due {fmt_ms(due)}")}
            self.active_calls_body(False)
            active = len(self.engine.active)
        except Exception as exc:  # whatever breaks the model breaks ActiveCalls: report it
            return False, {"status": "failing", "reason": (
                f"ActiveCalls cannot be answered: {type(exc).__name__}: {exc}")}
        finally:
            self.lock.release()
        return True, {"status": "ok", "now": fmt_ms(now), "active_calls": active}

    def state(self) -> dict[str, Any]:
        """A summary for ``GET /simulator/state``."""
        with self.lock:
            now = self.sync()
            eng = self.engine
            return {
                "now": fmt_ms(now),
                "start": fmt_ms(self.clock.start_ms),
                "speed": self.clock.speed,
                "manual_clock": self.clock.manual,
                "active_calls": len(eng.active),
                "waiting": sum(q.n_waiting for q in eng.queues),
                "calls_total": len(eng.calls),
                "visits_total": len(eng.visits),
                "restarts": eng.restarts,
                "next_call_id": eng.next_call_id,
                "tokens_issued": self.tokens.issued,
                "faults_fired": dict(self.faults.fired),
                "queues": [q.dn for q in eng.queues],
                "agents": [a.dn for a in eng.agents],
                "pbx_id": self.config.pbx_id,
                "answered_callee": eng.config.answered_callee,
            }
