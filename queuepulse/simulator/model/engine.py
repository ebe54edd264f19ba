"""The discrete-event engine of the simulated call centre.

Events live in one heap of ``(time_ms, seq, kind, obj, token, arg)`` tuples; ``seq`` breaks ties
so runs are deterministic, and ``token`` lets a call's transitions cancel its pending events lazily
(an event whose token no longer matches its call is skipped). Every event does O(queue members)
work at most, never O(calls), so 10,000 concurrent calls stay cheap.

All randomness comes from one ``random.Random(seed)`` consumed in event order, so a run depends
only on the config, the seed and external commands (drop, restart) — not on how often
:meth:`Engine.advance_to` is called.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from typing import Any

from queuepulse.simulator.model import names
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.model.entities import (
    KIND_INTERNAL,
    KIND_OUTBOUND,
    KIND_QUEUE,
    Agent,
    Call,
    CallRecord,
    NoiseUser,
    Queue,
    Segment,
    Visit,
)

# event kinds
E_ARRIVAL, E_NOISE, E_ABANDON, E_OVERFLOW, E_ANSWER, E_TALK_END, E_ENTER = range(7)
E_WRAPUP_END, E_AGENT, E_NOISE_ANSWER, E_NOISE_END = range(7, 11)
# agent sub-events
A_BREAK, A_BREAK_END, A_LOGOUT, A_LOGIN, A_UNREG, A_REREG = range(6)

# CallHistoryView codes (the spec declares them as bare int32; these are the simulator's own)
DN_NONE, DN_EXTENSION, DN_QUEUE, DN_EXTERNAL = 0, 1, 2, 9
SEG_QUEUE, SEG_TALK, SEG_RING = 1, 2, 3
ACT_ANSWERED, ACT_ABANDONED, ACT_TRANSFERRED = 1, 2, 3
ACT_ENDED, ACT_REJECTED, ACT_DROPPED = 4, 5, 6

_RETRY_BUSY_MS = 30_000
_MAX_I32 = 2_147_483_647


class Engine:
    """A seeded call centre advanced in simulated time (integer epoch milliseconds)."""

    def __init__(self, config: ModelConfig, start_ms: int) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.now = start_ms
        self.start_ms = start_ms
        self._heap: list[tuple[int, int, int, Any, int, Any]] = []
        self._seq = 0
        self._profile = config.profile_values()
        self._profile_max = max(self._profile)
        self.queues: list[Queue] = []
        self.agents: list[Agent] = []
        self.noise_users: list[NoiseUser] = []
        self.queue_by_dn: dict[str, Queue] = {}
        self.active: dict[int, Call] = {}
        self.next_call_id = config.first_call_id
        #: Bumped whenever ActiveCalls would look different (besides ServerNow).
        self.version = 0
        self.restarts = 0
        # ground truth
        self.calls: list[CallRecord] = []
        self.visits: list[Visit] = []
        self.segments: list[Segment] = []
        self.agent_states: list[tuple[int, str, str, str, bool, bool]] = []
        #: [agent, queue-independent login ms, logout ms or -1]
        self.logins: list[list[Any]] = []
        self._open_login: dict[int, list[Any]] = {}
        self._segment_id = 0
        #: Configuration written through the XAPI: (ms, action, queue number, fields).
        self.config_changes: list[tuple[int, str, str, dict[str, Any]]] = []
        self._build()

    # ------------------------------------------------------------------ setup
    def _build(self) -> None:
        cfg, rng = self.config, self.rng
        if cfg.queues < 1 or cfg.agents < 0:
            raise ValueError(f"need at least 1 queue and 0 agents, got {cfg.queues}/{cfg.agents}")
        first_dn = cfg.first_queue_dn()
        strategies = cfg.strategies or ("RingAll",)
        for i in range(cfg.queues):
            q = Queue(i, str(first_dn + i), names.queue_name(i), strategies[i % len(strategies)],
                      cfg.sla_s, cfg.wrapup_s, cfg.max_callers, rng.uniform(0.5, 1.5))
            self.queues.append(q)
            self.queue_by_dn[q.dn] = q
        self._cum_weights = list(itertools.accumulate(q.weight for q in self.queues))
        self._total_weight = self._cum_weights[-1]
        if cfg.queues > 1:
            for q in self.queues:
                if rng.random() < cfg.overflow_fraction:
                    q.overflow_to = (q.index + 1) % cfg.queues
                    q.master_timeout_s = cfg.master_timeout_s
        user_id = 1
        for i in range(cfg.agents):
            first, last = names.person(rng)
            a = Agent(i, user_id, str(cfg.agent_dn_start + i), first, last)
            user_id += 1
            picks = {i % cfg.queues}
            want = min(cfg.queues_per_agent, cfg.queues)
            while len(picks) < want:
                picks.add(rng.randrange(cfg.queues))
            a.queues = sorted(picks)
            for qi in a.queues:
                self.queues[qi].agents.append(i)
            self.agents.append(a)
        noise_dn = cfg.agent_dn_start + cfg.agents
        for j in range(cfg.noise_users):
            first, last = names.person(rng)
            self.noise_users.append(NoiseUser(user_id, str(noise_dn + j), first, last))
            user_id += 1
        now = self.now
        for a in self.agents:
            a.logged_in = rng.random() < cfg.logged_in_prob
            a.registered = rng.random() < 0.99
            a.profile = "Available" if rng.random() < 0.9 else "Away"
            a.last_free_ms = now - rng.randrange(0, 600_000)
            if a.logged_in:
                self._open_interval(a)
                self._schedule(now + self._exp(cfg.logout_every_s), E_AGENT, a, 0, A_LOGOUT)
            else:
                self._schedule(now + self._exp(cfg.logout_mean_s), E_AGENT, a, 0, A_LOGIN)
            if a.profile == "Away":
                self._schedule(now + self._exp(cfg.break_mean_s), E_AGENT, a, 0, A_BREAK_END)
            else:
                self._schedule(now + self._exp(cfg.break_every_s), E_AGENT, a, 0, A_BREAK)
            if a.registered:
                self._schedule(now + self._exp(cfg.unregister_every_s), E_AGENT, a, 0, A_UNREG)
            else:
                self._schedule(now + self._exp(cfg.unregister_mean_s), E_AGENT, a, 0, A_REREG)
            self._record_agent(a)
        self._next_arrival(now)
        self._next_noise(now)

    # ------------------------------------------------------------------ helpers
    def _schedule(self, t: int, kind: int, obj: Any = None, token: int = 0,
                  arg: Any = None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, obj, token, arg))

    def _exp(self, mean_s: float) -> int:
        """An exponential delay in ms with the given mean (at least 1 ms)."""
        if mean_s <= 0:
            return 1
        return max(1, round(self.rng.expovariate(1.0 / mean_s) * 1000))

    def _lognormal(self, mean_s: float, sigma: float) -> int:
        mu = math.log(max(mean_s, 0.001)) - sigma * sigma / 2
        return max(1000, round(self.rng.lognormvariate(mu, sigma) * 1000))

    def _uniform_ms(self, lo_s: float, hi_s: float) -> int:
        return max(1, round(self.rng.uniform(lo_s, hi_s) * 1000))

    def _profile_at(self, t_ms: int) -> float:
        return self._profile[(t_ms // 3_600_000) % 24]

    def _new_call_id(self) -> int:
        cid = self.next_call_id
        while cid in self.active:
            cid = cid + 1 if cid < _MAX_I32 else 1
        self.next_call_id = cid + 1 if cid < _MAX_I32 else 1
        return cid

    def _touch(self, call: Call) -> None:
        call.frag = None
        self.version += 1

    def _event(self, call: Call, kind: str, queue_dn: str | None = None,
               agent_dn: str | None = None) -> None:
        call.record.events.append((self.now, kind, queue_dn, agent_dn))

    def _record_agent(self, a: Agent) -> None:
        self.agent_states.append(
            (self.now, a.dn, "LoggedIn" if a.logged_in else "LoggedOut", a.profile,
             a.registered, a.call is not None)
        )

    def _open_interval(self, a: Agent) -> None:
        rec = [a, self.now, -1]
        self.logins.append(rec)
        self._open_login[a.index] = rec
        a.login_since_ms = self.now

    def _segment(self, call: Call, start: int, src: tuple[int, str, int, str, str],
                 dst: tuple[int, str, int, str, str], answered: bool, seg_type: int,
                 action: int, visit: Visit | None) -> None:
        self._segment_id += 1
        self.segments.append(Segment(self._segment_id, call.record, start, self.now, src, dst,
                                     answered, seg_type, action, visit))

    @staticmethod
    def _caller_party(call: Call) -> tuple[int, str, int, str, str]:
        rec = call.record
        name = rec.caller[len(rec.caller_number):].strip()
        return (0, rec.caller_number, DN_EXTERNAL, rec.caller_number, name)

    @staticmethod
    def _queue_party(q: Queue) -> tuple[int, str, int, str, str]:
        return (q.id, q.dn, DN_QUEUE, q.dn, q.name)

    @staticmethod
    def _agent_party(a: Agent) -> tuple[int, str, int, str, str]:
        return (a.user_id, a.dn, DN_EXTENSION, a.dn, a.name)

    # ------------------------------------------------------------------ running
    def advance_to(self, t_ms: int) -> int:
        """Process every event up to simulated time ``t_ms``; return how many ran."""
        heap = self._heap
        done = 0
        while heap and heap[0][0] <= t_ms:
            t, _, kind, obj, token, arg = heapq.heappop(heap)
            self.now = t
            self._dispatch(kind, obj, token, arg)
            done += 1
        if t_ms > self.now:
            self.now = t_ms
        return done

    def _dispatch(self, kind: int, obj: Any, token: int, arg: Any) -> None:
        if kind == E_ARRIVAL:
            self._on_arrival()
        elif kind == E_NOISE:
            self._on_noise()
        elif kind == E_AGENT:
            self._on_agent(obj, arg)
        elif kind == E_WRAPUP_END:
            self._on_wrapup_end(obj, token)
        elif obj.token != token:
            return  # a stale event of a call that moved on
        elif kind == E_ABANDON:
            self._on_abandon(obj)
        elif kind == E_OVERFLOW:
            self._on_overflow(obj)
        elif kind == E_ANSWER:
            self._on_answer(obj)
        elif kind == E_TALK_END:
            self._on_talk_end(obj)
        elif kind == E_ENTER:
            self._enter_queue(obj, arg, fresh_patience=False)
        elif kind == E_NOISE_ANSWER:
            self._on_noise_answer(obj)
        elif kind == E_NOISE_END:
            self._on_noise_end(obj)

    # ------------------------------------------------------------------ queue calls
    def _next_arrival(self, now: int) -> None:
        cfg = self.config
        total = self._total_weight * cfg.calls_per_min_per_queue / 60.0
        rate = total * self._profile_max
        if rate > 0:
            self._schedule(now + self._exp(1.0 / rate), E_ARRIVAL)

    def _on_arrival(self) -> None:
        now, rng = self.now, self.rng
        self._next_arrival(now)
        if rng.random() * self._profile_max > self._profile_at(now):
            return  # thinned out: the profile is below its peak now
        pick = rng.random() * self._total_weight
        index = bisect.bisect_right(self._cum_weights, pick)
        target = self.queues[min(index, len(self.queues) - 1)]
        number = names.external_number(rng)
        cid = self._new_call_id()
        rec = CallRecord(cid, now, names.caller_label(number, rng), number, KIND_QUEUE)
        self.calls.append(rec)
        call = Call(cid, rec, KIND_QUEUE)
        self.active[cid] = call
        self._event(call, "call_started")
        self._touch(call)
        self._enter_queue(call, target, fresh_patience=True)

    def _patience_ms(self) -> int:
        cfg = self.config
        if self.rng.random() < cfg.short_abandon_prob:
            return self._uniform_ms(0.5, 5.0)
        return self._exp(cfg.patience_s)

    def _enter_queue(self, call: Call, q: Queue, fresh_patience: bool, hops: int = 0) -> None:
        now = self.now
        if q.deleted:  # moved towards a queue deleted meanwhile
            self._event(call, "rejected", q.dn)
            self._end_call(call, "rejected")
            return
        if q.max_callers and q.n_waiting >= q.max_callers:
            self._event(call, "rejected", q.dn)
            if q.overflow_to >= 0 and hops < 3:
                self._enter_queue(call, self.queues[q.overflow_to], fresh_patience, hops + 1)
            else:
                self._end_call(call, "rejected")
            return
        entry = call.record.visits[0].queue.dn if call.record.visits else q.dn
        visit = Visit(call.record, q, now, entry)
        call.record.visits.append(visit)
        self.visits.append(visit)
        call.queue = q
        call.visit = visit
        call.agent = None
        call.status = self.config.waiting_status
        call.callee = q.label
        call.status_ms = now
        call.token += 1
        self._touch(call)
        self._event(call, "queue_entered", q.dn)
        q.waiting.append((call, call.token))
        q.n_waiting += 1
        if fresh_patience:
            call.deadline_ms = now + self._patience_ms()
        self._schedule(max(call.deadline_ms, now + 1000), E_ABANDON, call, call.token)
        if q.overflow_to >= 0 and q.master_timeout_s > 0:
            self._schedule(now + q.master_timeout_s * 1000, E_OVERFLOW, call, call.token)
        self._dispatch_queue(q)

    def _pick_agent(self, q: Queue) -> Agent | None:
        agents = self.agents
        free = [agents[i] for i in q.agents if agents[i].available()]
        if not free:
            return None
        strategy = q.strategy
        if strategy == "Hunt":
            return free[0]
        if strategy == "LongestWaiting":
            return min(free, key=lambda a: (a.last_free_ms, a.index))
        if strategy == "HuntRandomStart":
            start = self.rng.randrange(len(free))
            return free[start]
        if strategy == "NextAgent":
            for a in free:
                if a.index > q.rr:
                    q.rr = a.index
                    return a
            q.rr = free[0].index
            return free[0]
        if strategy == "LeastTalkTime":
            return min(free, key=lambda a: (a.talk_ms, a.index))
        if strategy == "FewestAnswered":
            return min(free, key=lambda a: (a.answered, a.index))
        return self.rng.choice(free)  # RingAll: whoever picks up first

    def _head(self, q: Queue) -> Call | None:
        waiting = q.waiting
        while waiting:
            call, tok = waiting[0]
            if call.token == tok and call.queue is q and call.agent is None:
                return call
            waiting.popleft()
        return None

    def _dispatch_queue(self, q: Queue) -> None:
        while q.n_waiting > 0:
            head = self._head(q)
            if head is None:
                q.n_waiting = 0
                return
            agent = self._pick_agent(q)
            if agent is None:
                return
            q.waiting.popleft()
            q.n_waiting -= 1
            self._reserve(head, agent)

    def _reserve(self, call: Call, agent: Agent) -> None:
        call.agent = agent
        agent.busy = True
        agent.call = call
        visit = call.visit
        assert visit is not None
        visit.polling_attempts += 1
        visit.ring_agent = agent
        visit.ring_ms = self.now
        self._record_agent(agent)
        cfg = self.config
        self._schedule(self.now + self._uniform_ms(cfg.ring_min_s, cfg.ring_max_s),
                       E_ANSWER, call, call.token)

    def _serve_agent(self, agent: Agent) -> None:
        """An agent just became available: give it the longest-waiting call of its queues."""
        if not agent.available():
            return
        best: Call | None = None
        best_q: Queue | None = None
        for qi in agent.queues:
            q = self.queues[qi]
            if q.n_waiting <= 0:
                continue
            head = self._head(q)
            if head is None:
                q.n_waiting = 0
                continue
            assert head.visit is not None
            if best is None or head.visit.entered_ms < best.visit.entered_ms:  # type: ignore[union-attr]
                best, best_q = head, q
        if best is not None and best_q is not None:
            best_q.waiting.popleft()
            best_q.n_waiting -= 1
            self._reserve(best, agent)

    def _release_agent(self, agent: Agent, wrapup_s: int) -> None:
        agent.call = None
        self._record_agent(agent)
        if wrapup_s > 0:
            self._schedule(self.now + wrapup_s * 1000, E_WRAPUP_END, agent, 0)
        else:
            self._free(agent)

    def _free(self, agent: Agent) -> None:
        agent.busy = False
        agent.last_free_ms = self.now
        self._serve_agent(agent)

    def _on_wrapup_end(self, agent: Agent, _token: int) -> None:
        if agent.call is None:
            self._free(agent)

    def _on_answer(self, call: Call) -> None:
        visit, agent, q = call.visit, call.agent, call.queue
        assert visit is not None
        assert agent is not None
        assert q is not None
        now = self.now
        visit.answered_ms = now
        visit.outcome = "answered"
        visit.agent_dn = agent.dn
        agent.answered += 1
        call.status = "Talking"
        call.callee = q.label if self.config.answered_callee == "queue" else agent.label
        call.status_ms = now
        call.token += 1
        self._touch(call)
        self._event(call, "answered", q.dn, agent.dn)
        self._segment(call, visit.entered_ms, self._caller_party(call), self._queue_party(q),
                      True, SEG_QUEUE, ACT_ANSWERED, visit)
        # the queue segment ends at the answer; the talk segment starts there
        self.segments[-1].end_ms = now
        talk = self._lognormal(self.config.aht_s, self.config.aht_sigma)
        self._schedule(now + talk, E_TALK_END, call, call.token)

    def _on_talk_end(self, call: Call) -> None:
        visit, agent, q = call.visit, call.agent, call.queue
        assert visit is not None
        assert agent is not None
        assert q is not None
        now = self.now
        visit.ended_ms = now
        visit.talk_ms = now - visit.answered_ms
        agent.talk_ms += visit.talk_ms
        self._segment(call, visit.answered_ms, self._caller_party(call), self._agent_party(agent),
                      True, SEG_TALK, ACT_ENDED, visit)
        call.agent = None
        self._release_agent(agent, q.wrapup_s)
        cfg = self.config
        if cfg.queues > 1 and self.rng.random() < cfg.transfer_prob:
            target = self.rng.randrange(cfg.queues - 1)
            if target >= q.index:
                target += 1
            call.status = cfg.transfer_status
            call.status_ms = now
            call.token += 1
            self._touch(call)
            self._event(call, "transferred", q.dn, agent.dn)
            call.deadline_ms = now + round(cfg.moving_s * 1000) + self._patience_ms()
            self._schedule(now + round(cfg.moving_s * 1000), E_ENTER, call, call.token,
                           self.queues[target])
        else:
            self._end_call(call, "completed")

    def _on_overflow(self, call: Call) -> None:
        if call.agent is not None:
            return  # an agent's phone is already ringing: let it answer
        q, visit = call.queue, call.visit
        assert q is not None
        if q.overflow_to < 0:
            return  # the overflow target was deleted since the call entered
        assert visit is not None
        now = self.now
        visit.ended_ms = now
        visit.outcome = "transferred"
        q.n_waiting -= 1
        cfg = self.config
        call.status = cfg.overflow_status
        call.status_ms = now
        call.token += 1
        self._touch(call)
        self._event(call, "transferred", q.dn)
        self._segment(call, visit.entered_ms, self._caller_party(call), self._queue_party(q),
                      False, SEG_QUEUE, ACT_TRANSFERRED, visit)
        self._schedule(now + round(cfg.moving_s * 1000), E_ENTER, call, call.token,
                       self.queues[q.overflow_to])

    def _on_abandon(self, call: Call) -> None:
        self._abandon(call, "abandoned", ACT_ABANDONED)

    def _abandon(self, call: Call, reason: str, action: int) -> None:
        q, visit = call.queue, call.visit
        assert q is not None
        assert visit is not None
        visit.ended_ms = self.now
        visit.outcome = "abandoned"
        agent = call.agent
        if agent is not None:
            call.agent = None
        else:
            q.n_waiting -= 1
        call.token += 1
        self._event(call, "abandoned", q.dn)
        self._segment(call, visit.entered_ms, self._caller_party(call), self._queue_party(q),
                      False, SEG_QUEUE, action, visit)
        self._end_call(call, reason)
        if agent is not None:
            agent.call = None
            self._record_agent(agent)
            self._free(agent)

    def _end_call(self, call: Call, reason: str) -> None:
        call.token += 1
        rec = call.record
        rec.ended_ms = self.now
        rec.end_reason = reason
        self._event(call, "call_ended")
        self.active.pop(call.id, None)
        self.version += 1

    # ------------------------------------------------------------------ noise calls
    def _next_noise(self, now: int) -> None:
        rate = self.config.noise_calls_per_min / 60.0
        if rate > 0 and self.noise_users:
            self._schedule(now + self._exp(1.0 / rate), E_NOISE)

    def _on_noise(self) -> None:
        now, rng, cfg = self.now, self.rng, self.config
        self._next_noise(now)
        users = self.noise_users
        src: NoiseUser | Agent = rng.choice(users)
        agent: Agent | None = None
        if self.agents and rng.random() < cfg.agent_noise_share:
            candidate = rng.choice(self.agents)
            if candidate.available():
                src = agent = candidate
        internal = agent is None and len(users) > 1 and rng.random() < 0.5
        if internal:
            dst = rng.choice([u for u in users if u is not src]) if len(users) < 64 else src
            while dst is src:
                dst = rng.choice(users)
            callee = dst.label
            kind = KIND_INTERNAL
        else:
            callee = names.external_number(rng)
            kind = KIND_OUTBOUND
        cid = self._new_call_id()
        rec = CallRecord(cid, now, src.label, src.dn, kind)
        self.calls.append(rec)
        call = Call(cid, rec, kind)
        call.callee = callee
        call.status = "Ringing"
        call.token += 1
        if agent is not None:
            # an agent's own outbound call: busy for queues, but not a queue call
            agent.busy = True
            agent.call = call
            call.agent = agent
            self._record_agent(agent)
        self.active[cid] = call
        self._touch(call)
        self._event(call, "call_started")
        ring = self._uniform_ms(2.0, 8.0)
        if rng.random() < cfg.noise_unanswered_prob:
            self._schedule(now + ring, E_NOISE_END, call, call.token)
        else:
            self._schedule(now + ring, E_NOISE_ANSWER, call, call.token)

    def _on_noise_answer(self, call: Call) -> None:
        call.status = "Talking"
        call.status_ms = self.now
        call.token += 1
        self._touch(call)
        self._event(call, "answered")
        talk = self._lognormal(self.config.noise_talk_s, 0.7)
        self._schedule(self.now + talk, E_NOISE_END, call, call.token)

    def _noise_parties(self, call: Call) -> tuple[tuple[int, str, int, str, str],
                                                  tuple[int, str, int, str, str]]:
        rec = call.record
        src_name = rec.caller[len(rec.caller_number):].strip()
        src = (0, rec.caller_number, DN_EXTENSION, rec.caller_number, src_name)
        dn, _, name = call.callee.partition(" ")
        dst_type = DN_EXTENSION if call.kind == KIND_INTERNAL else DN_EXTERNAL
        return src, (0, dn, dst_type, dn, name)

    def _on_noise_end(self, call: Call) -> None:
        answered = call.status == "Talking"
        src, dst = self._noise_parties(call)
        self._segment(call, call.record.established_ms, src, dst, answered,
                      SEG_TALK if answered else SEG_RING, ACT_ENDED, None)
        self._end_call(call, "completed" if answered else "unanswered")
        self._release_noise_agent(call)

    def _release_noise_agent(self, call: Call) -> None:
        agent = call.agent
        if agent is not None:
            call.agent = None
            agent.call = None
            self._record_agent(agent)
            self._free(agent)

    # ------------------------------------------------------------------ agents
    def _on_agent(self, a: Agent, sub: int) -> None:
        cfg, now = self.config, self.now
        if sub in (A_BREAK, A_LOGOUT, A_UNREG) and a.busy:
            self._schedule(now + _RETRY_BUSY_MS, E_AGENT, a, 0, sub)
            return
        if sub == A_BREAK:
            a.profile = "Away"
            self._schedule(now + self._exp(cfg.break_mean_s), E_AGENT, a, 0, A_BREAK_END)
        elif sub == A_BREAK_END:
            a.profile = "Available"
            self._schedule(now + self._exp(cfg.break_every_s), E_AGENT, a, 0, A_BREAK)
        elif sub in (A_LOGOUT, A_LOGIN) and a.logged_in == (sub == A_LOGIN):
            # set by an XAPI write meanwhile: keep the agent's login rhythm going from there
            nxt = A_LOGOUT if a.logged_in else A_LOGIN
            mean = cfg.logout_every_s if a.logged_in else cfg.logout_mean_s
            self._schedule(now + self._exp(mean), E_AGENT, a, 0, nxt)
            return
        elif sub == A_LOGOUT:
            a.logged_in = False
            rec = self._open_login.pop(a.index, None)
            if rec is not None:
                rec[2] = now
            self._schedule(now + self._exp(cfg.logout_mean_s), E_AGENT, a, 0, A_LOGIN)
        elif sub == A_LOGIN:
            a.logged_in = True
            self._open_interval(a)
            self._schedule(now + self._exp(cfg.logout_every_s), E_AGENT, a, 0, A_LOGOUT)
        elif sub == A_UNREG:
            a.registered = False
            self._schedule(now + self._exp(cfg.unregister_mean_s), E_AGENT, a, 0, A_REREG)
        elif sub == A_REREG:
            a.registered = True
            self._schedule(now + self._exp(cfg.unregister_every_s), E_AGENT, a, 0, A_UNREG)
        self._record_agent(a)
        if sub in (A_BREAK_END, A_LOGIN, A_REREG):
            self._serve_agent(a)

    # ------------------------------------------------------------------ commands
    def drop_call(self, call_id: int) -> bool:
        """Hang up an active call now (``Pbx.DropCall``); False when no such call is active."""
        call = self.active.get(call_id)
        if call is None:
            return False
        self._drop(call, "dropped")
        return True

    def _drop(self, call: Call, reason: str) -> None:
        now = self.now
        if call.kind != KIND_QUEUE:
            src, dst = self._noise_parties(call)
            answered = call.status == "Talking"
            self._segment(call, call.record.established_ms, src, dst, answered,
                          SEG_TALK if answered else SEG_RING, ACT_DROPPED, None)
            self._end_call(call, reason)
            self._release_noise_agent(call)
            return
        visit = call.visit
        if visit is not None and visit.outcome == "waiting":
            self._abandon(call, reason, ACT_DROPPED)
            return
        if visit is not None and visit.outcome == "answered" and visit.ended_ms < 0:
            agent, q = call.agent, call.queue
            assert agent is not None
            assert q is not None
            visit.ended_ms = now
            visit.talk_ms = now - visit.answered_ms
            agent.talk_ms += visit.talk_ms
            self._segment(call, visit.answered_ms, self._caller_party(call),
                          self._agent_party(agent), True, SEG_TALK, ACT_DROPPED, visit)
            call.agent = None
            self._end_call(call, reason)
            self._release_agent(agent, q.wrapup_s)
            return
        self._end_call(call, reason)  # moving between queues

    def prune(self, before_ms: int) -> int:
        """Forget calls that ended before ``before_ms`` (with their visits and CDR segments),
        agent-state rows and closed logins older than that; return how many calls went.

        Keeps memory flat in long runs; truth and reports then cover only what remains.
        """
        def kept(rec: CallRecord) -> bool:
            return rec.ended_ms < 0 or rec.ended_ms >= before_ms

        calls = [c for c in self.calls if kept(c)]
        dropped = len(self.calls) - len(calls)
        if dropped:
            self.calls = calls
            self.visits = [v for v in self.visits if kept(v.call)]
            self.segments = [g for g in self.segments if kept(g.record)]
        self.agent_states = [a for a in self.agent_states if a[0] >= before_ms]
        self.logins = [r for r in self.logins if r[2] < 0 or r[2] >= before_ms]
        return dropped

    def restart(self) -> None:
        """A PBX restart: every active call is cut off and call ids start over."""
        for call in list(self.active.values()):
            self._drop(call, "restart")
        self.next_call_id = self.config.first_call_id
        self.restarts += 1
        self.version += 1

    # ------------------------------------------------------------------ configuration (XAPI writes)
    def live_queues(self) -> list[Queue]:
        """Queues not deleted, in creation order."""
        return [q for q in self.queues if not q.deleted]

    def _reweigh(self) -> None:
        self._cum_weights = list(itertools.accumulate(
            0.0 if q.deleted else q.weight for q in self.queues))
        self._total_weight = self._cum_weights[-1]

    def first_available_queue_number(self) -> str:
        """The lowest free extension number from the first queue's number up (queues and users
        share the number space)."""
        used = {q.dn for q in self.live_queues()}
        used.update(a.dn for a in self.agents)
        used.update(u.dn for u in self.noise_users)
        n = self.config.first_queue_dn()
        while str(n) in used:
            n += 1
        return str(n)

    def create_queue(self, number: str, name: str) -> Queue:
        """A new, empty queue that takes calls from now on (weight 1)."""
        q = Queue(len(self.queues), number, name, "RingAll", self.config.sla_s,
                  self.config.wrapup_s, 0, 1.0)
        self.queues.append(q)
        self.queue_by_dn[number] = q
        self._reweigh()
        self._log_change("created", q, {"Number": number, "Name": name})
        return q

    def configure_queue(self, q: Queue, fields: dict[str, Any]) -> None:
        """Apply written queue fields (spec names): the ones the model routes by change its
        behaviour; every field is shown back as written."""
        for key, value in fields.items():
            if key in ("Agents", "Managers", "Id", "Number", "Groups"):
                continue
            q.settings[key] = value
            if key == "Name":
                q.name = str(value or "")
                q.label = f"{q.dn} {q.name}"
            elif key == "PollingStrategy" and value:
                q.strategy = str(value)
            elif key == "SLATime":
                q.sla_s = int(value or 0)
            elif key == "WrapUpTime":
                q.wrapup_s = int(value or 0)
            elif key == "MaxCallersInQueue":
                q.max_callers = int(value or 0)
            elif key == "MasterTimeout":
                q.master_timeout_s = int(value or 0)
        changed = {k: v for k, v in fields.items() if k not in ("Id", "Number")}
        if changed:
            self._log_change("updated", q, changed)
        self._dispatch_queue(q)

    def set_members(self, q: Queue, members: list[tuple[Agent, str | None]]) -> None:
        """Replace the queue's agents (with skill groups); new members take waiting calls now."""
        new = [a.index for a, _ in members]
        for i in q.agents:
            if i not in new:
                self.agents[i].queues.remove(q.index)
        for a, _ in members:
            if q.index not in a.queues:
                a.queues.append(q.index)
                a.queues.sort()
        q.agents = new
        q.skills = {a.index: skill for a, skill in members if skill is not None}
        self._dispatch_queue(q)

    def set_managers(self, q: Queue, numbers: list[str]) -> None:
        """Replace the queue's managers (extension numbers)."""
        q.managers = list(numbers)

    def delete_queue(self, q: Queue) -> int:
        """Delete a queue: its waiting callers are cut off (dropped), members leave it, queues
        overflowing into it stop doing so. Returns how many waiting calls were dropped."""
        waiting = [c for c in self.active.values()
                   if c.queue is q and c.visit is not None and c.visit.outcome == "waiting"]
        for call in waiting:
            self._abandon(call, "queue_deleted", ACT_DROPPED)
        for i in q.agents:
            if q.index in self.agents[i].queues:
                self.agents[i].queues.remove(q.index)
        q.agents = []
        q.deleted = True
        q.n_waiting = 0
        q.waiting.clear()
        self.queue_by_dn.pop(q.dn, None)
        for other in self.queues:
            if other.overflow_to == q.index:
                other.overflow_to = -1
        self._reweigh()
        self._log_change("deleted", q, {"dropped_calls": len(waiting)})
        return len(waiting)

    def set_queue_status(self, a: Agent, logged_in: bool) -> None:
        """An agent's queue login flag set through ``PATCH /Users({Id})``."""
        if a.logged_in == logged_in:
            return
        a.logged_in = logged_in
        if logged_in:
            self._open_interval(a)
        else:
            rec = self._open_login.pop(a.index, None)
            if rec is not None:
                rec[2] = self.now
        self._record_agent(a)
        if logged_in:
            self._serve_agent(a)

    def reset_queue_statistics(self, q: Queue) -> None:
        """``Pbx.ResetQueueStatistics``: remembered, nothing else in the model depends on it."""
        q.stats_reset_ms = self.now
        self._log_change("statistics_reset", q, {})

    def _log_change(self, action: str, q: Queue, fields: dict[str, Any]) -> None:
        self.config_changes.append((self.now, action, q.dn, dict(fields)))
