"""Queueing models of a call queue: Erlang C (M/M/n) and Erlang A (M/M/n+M), pure and stable.

Inputs are rates in calls per second and times in seconds. ``n`` agents answer calls arriving as
a Poisson stream at rate ``lam``; handle times are exponential with mean ``aht_s``; in Erlang A
each waiting caller hangs up after an exponential patience with mean ``patience_s`` (infinite
patience is Erlang C). Offered load ``a = lam * aht_s`` (Erlangs).

Numerical method (no factorials, hundreds of agents, thousands of calls an hour):

* Erlang B by its recursion ``B(k) = a B(k-1) / (k + a B(k-1))``, which stays in [0, 1];
  Erlang C from B: ``C = n B / (n - a (1 - B))``.
* Erlang A from the birth-death chain: the states with ``j`` callers queued have weight
  ``w_j = y^j / ((x+1)...(x+j))`` relative to "all agents busy, nobody queued", with
  ``x = n mu / theta`` and ``y = lam / theta``. The series ``F(x, y) = sum_j w_j`` (a scaled lower
  incomplete gamma function) is summed in log space from its largest term outwards, so it never
  overflows. The offered wait of a caller who finds ``j`` queued is a sum of exponential stages
  with rates ``n mu + i theta`` (``i = 0..j``); mixing those over ``w_j`` gives the closed forms of
  the waiting-time distribution used below (Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with
  applications to call centers", 2007).

Service level is the share of all offered calls answered within ``T`` seconds (an abandoned call
counts against it), the definition of ``queue_kpi_1m.sla_pct`` without short abandons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "QueueFigures",
    "agents_needed",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_probability",
    "figures",
]

_EPS = 1e-17
_MAX_TERMS = 1_000_000
#: Beyond this many callers-per-patience the series would take millions of terms; the queue is
#: then Erlang C (stable) or its fluid limit (overloaded), to far better than a per mille.
_HUGE = 1e6


def _check(lam: float, aht_s: float, n: int) -> None:
    if not (lam >= 0 and math.isfinite(lam)):
        raise ValueError(f"arrival rate must be a finite number >= 0, got {lam}")
    if not (aht_s > 0 and math.isfinite(aht_s)):
        raise ValueError(f"handle time must be a finite number > 0, got {aht_s}")
    if n < 0:
        raise ValueError(f"agents must be >= 0, got {n}")


def erlang_b(n: int, a: float) -> float:
    """Blocking probability of M/M/n/n with offered load ``a`` Erlangs (1.0 for n = 0)."""
    if n < 0 or a < 0:
        raise ValueError(f"need n >= 0 and a >= 0, got n={n}, a={a}")
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_c_probability(n: int, a: float) -> float:
    """Probability that a call waits in M/M/n (1.0 when ``a >= n``: the queue grows forever)."""
    if a <= 0:
        return 0.0
    if a >= n:
        return 1.0
    b = erlang_b(n, a)
    return n * b / (n - a * (1.0 - b))


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """What a queue with ``agents`` agents is predicted to show, in the product's units."""

    agents: int
    #: Offered load in Erlangs (arrivals per second x handle time).
    load_erlangs: float
    #: Probability that a caller has to wait (0..1).
    prob_wait: float
    #: Share of offered calls answered within the target time, 0..100.
    service_level_pct: float
    #: Average wait of the answered calls, seconds (``inf`` when the queue is unstable).
    asa_s: float
    #: Share of offered calls that abandon, 0..100 (0 in Erlang C).
    abandon_pct: float
    #: Share of the agents' time spent handling calls, 0..100.
    occupancy_pct: float
    #: Average wait of every offered call until it is answered or hangs up, seconds.
    mean_wait_s: float


def erlang_c(n: int, lam: float, aht_s: float, target_s: float) -> QueueFigures:
    """M/M/n: wait probability, service level within ``target_s``, ASA, occupancy."""
    _check(lam, aht_s, n)
    a = lam * aht_s
    if a == 0:
        return QueueFigures(n, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 0.0)
    if a >= n:
        occupancy = 100.0 if n else 0.0
        return QueueFigures(n, a, 1.0, 0.0, math.inf, 0.0, occupancy, math.inf)
    c = erlang_c_probability(n, a)
    spare = (n - a) / aht_s  # rate at which the queue drains
    sl = 1.0 - c * math.exp(-spare * target_s)
    asa = c / spare
    return QueueFigures(n, a, c, _pct(sl), asa, 0.0, 100.0 * a / n, asa)


def _log_series(x: float, z: float) -> tuple[float, float]:
    """``log F(x, z)`` with ``F = sum_j z^j / ((x+1)...(x+j))``, and ``sum_j j t_j / F``.

    Summed from the largest term (index ``floor(z - x)`` when ``z > x``) outwards, each term
    relative to it, until the terms stop mattering.
    """
    if z <= 0:
        return 0.0, 0.0
    log_z = math.log(z)
    peak = max(0, math.floor(z - x))
    log_peak = peak * log_z - (math.lgamma(x + peak + 1.0) - math.lgamma(x + 1.0))
    total = 1.0
    first = float(peak)
    term = 1.0
    j = peak
    while j < peak + _MAX_TERMS:
        j += 1
        term *= z / (x + j)
        total += term
        first += j * term
        if term < _EPS * total:
            break
    term = 1.0
    j = peak
    while j > 0:
        term *= (x + j) / z
        j -= 1
        total += term
        first += j * term
        if term < _EPS * total:
            break
    return log_peak + math.log(total), first / total


def erlang_a(n: int, lam: float, aht_s: float, patience_s: float, target_s: float) -> QueueFigures:
    """M/M/n+M (Erlang A): service level, abandon rate, ASA and occupancy with abandonment.

    ``patience_s = inf`` gives Erlang C (for a stable queue; an unstable one has no Erlang C
    steady state and shows SLA 0 and infinite waits).
    """
    _check(lam, aht_s, n)
    if not patience_s > 0:
        raise ValueError(f"mean patience must be > 0 seconds, got {patience_s}")
    if math.isinf(patience_s):
        return erlang_c(n, lam, aht_s, target_s)
    a = lam * aht_s
    if a == 0:
        return QueueFigures(n, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 0.0)
    theta = 1.0 / patience_s
    n_mu = n / aht_s
    x = n_mu / theta
    y = lam / theta
    if max(x, y) > _HUGE:
        return _patient_limit(n, lam, aht_s, patience_s, target_s)
    b = erlang_b(n, a)
    log_f, mean_queued = _log_series(x, y)
    # P(wait) = B F / (1 + B (F - 1)) = 1 / (1 + (1 - B) / (B F)), without overflow.
    if b <= 0.0:
        p_wait = 0.0
    elif b >= 1.0:
        p_wait = 1.0
    else:
        ratio = math.log1p(-b) - math.log(b) - log_f
        p_wait = 0.0 if ratio > 700 else 1.0 / (1.0 + math.exp(ratio))
    # Abandonment: theta E[Q] / lam, with E[Q] = P(wait) * mean queue seen by a waiting arrival.
    p_abandon = min(1.0, theta * p_wait * mean_queued / lam)
    # Answered within T among those who wait (closed form; see the module docstring):
    # x/(x+1) [F(x+1, y) - u^(x+1) e^(y(1-u)) F(x+1, y u)] / F(x, y), u = exp(-theta T).
    served_if_wait = max(0.0, 1.0 - p_abandon / p_wait) if p_wait > 0 else 1.0
    late = 0.0
    if p_wait > 0 and n > 0:
        u = math.exp(-theta * target_s)
        log_late_f, _ = _log_series(x + 1.0, y * u)
        log_late = (math.log(x / (x + 1.0)) - (x + 1.0) * theta * target_s
                    + y * (-math.expm1(-theta * target_s)) + log_late_f - log_f)
        late = math.exp(log_late) if log_late < 700 else served_if_wait
    answered_in_time = (1.0 - p_wait) + p_wait * max(0.0, served_if_wait - late)
    answered = 1.0 - p_abandon
    # Mean wait of the answered: per queued state j, P(served | j) * sum of stage means.
    asa = _answered_wait(n_mu, theta, x, y, log_f, p_wait, answered)
    mean_wait = p_abandon / theta
    occupancy = 100.0 * lam * answered * aht_s / n if n else 0.0
    return QueueFigures(n, a, p_wait, _pct(answered_in_time), asa, _pct(p_abandon),
                        min(100.0, occupancy), mean_wait)


def _patient_limit(n: int, lam: float, aht_s: float, patience_s: float,
                   target_s: float) -> QueueFigures:
    """Erlang A when patience dwarfs everything else (``lam * patience`` or
    ``n / aht * patience`` above a million): Erlang C for a stable queue; for an overloaded one
    the fluid limit — everybody waits, the excess ``1 - n / a`` abandons, the queue holds about
    ``(lam - n / aht) * patience`` callers, so waits are of the order of the patience."""
    a = lam * aht_s
    if a < n:
        c = erlang_c(n, lam, aht_s, target_s)
        # P(abandon) = theta E[Q] / lam = E[wait] / patience, to first order
        return QueueFigures(n, a, c.prob_wait, c.service_level_pct, c.asa_s,
                            100.0 * c.mean_wait_s / patience_s, c.occupancy_pct, c.mean_wait_s)
    abandon = 1.0 - n / a
    # the line ahead of a new caller drains at n / aht + theta * (its length): ln(a / n) patiences
    asa = patience_s * math.log(a / n) if n else math.inf
    return QueueFigures(n, a, 1.0, 0.0, asa, 100.0 * abandon, 100.0 if n else 0.0,
                        abandon * patience_s)


def _answered_wait(n_mu: float, theta: float, x: float, y: float, log_f: float, p_wait: float,
                   answered: float) -> float:
    """ASA of Erlang A: ``E[W; served] / P(served)`` summed over the queued states."""
    if p_wait <= 0 or answered <= 0 or n_mu <= 0:
        return 0.0 if p_wait <= 0 else math.inf
    # Terms relative to the largest, as in _log_series; stage means 1 / (n mu + (i+1) theta).
    peak = max(0, math.floor(y - x))
    weights: dict[int, float] = {peak: 1.0}
    term, j = 1.0, peak
    while j < peak + _MAX_TERMS:
        j += 1
        term *= y / (x + j)
        weights[j] = term
        if term < _EPS:
            break
    term, j = 1.0, peak
    while j > 0:
        term *= (x + j) / y
        j -= 1
        weights[j] = term
        if term < _EPS:
            break
    total = sum(weights.values())
    stages = 0.0
    acc = 0.0
    for k in range(0, max(weights) + 1):
        stages += 1.0 / (n_mu + (k + 1) * theta)
        w = weights.get(k)
        if w is not None:
            acc += w * n_mu / (n_mu + (k + 1) * theta) * stages
    served_wait = p_wait * acc / total
    return served_wait / answered


def figures(n: int, lam: float, aht_s: float, target_s: float,
            patience_s: float | None = None) -> QueueFigures:
    """Erlang A when a mean patience is given, else Erlang C."""
    if patience_s is None:
        return erlang_c(n, lam, aht_s, target_s)
    return erlang_a(n, lam, aht_s, patience_s, target_s)


def agents_needed(lam: float, aht_s: float, target_pct: float, target_s: float,
                  patience_s: float | None = None, max_occupancy: float = 1.0,
                  max_agents: int = 100_000) -> QueueFigures:
    """The fewest agents whose service level is at least ``target_pct`` (0..100) within
    ``target_s`` and whose occupancy is at most ``max_occupancy`` (0..1]; their figures.

    Erlang A with ``patience_s``, Erlang C without. Service level rises and occupancy falls with
    every added agent, so the answer is found by walking from a square-root-staffing guess.
    """
    _check(lam, aht_s, 0)
    if not 0 <= target_pct <= 100:
        raise ValueError(f"target must be 0..100 %, got {target_pct}")
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"maximum occupancy must be in (0, 1], got {max_occupancy}")
    if target_pct >= 100 and lam > 0:
        raise ValueError("a 100 % service level needs infinitely many agents; aim lower")
    a = lam * aht_s
    if a == 0:
        return figures(0, lam, aht_s, target_s, patience_s)

    def ok(n: int) -> tuple[bool, QueueFigures]:
        f = figures(n, lam, aht_s, target_s, patience_s)
        return (f.service_level_pct >= target_pct - 1e-9
                and f.occupancy_pct <= 100.0 * max_occupancy + 1e-9), f

    n = max(1, math.ceil(a + math.sqrt(a)))
    good, f = ok(n)
    while not good:  # step up (by more than one when far off) until the target is met
        if n >= max_agents:
            raise ValueError(f"more than {max_agents} agents needed; check the inputs")
        step = max(1, (n - math.ceil(a)) // 2) if n > a else 1
        n += step
        good, f = ok(n)
    # walk back to the smallest number that still meets the target
    while n > 1:
        lower_good, lower = ok(n - 1)
        if not lower_good:
            break
        n, f = n - 1, lower
    return f


def _pct(share: float) -> float:
    return 100.0 * min(1.0, max(0.0, share))
