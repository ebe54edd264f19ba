"""Caller patience and handle time of a queue, estimated from its own history.

Patience is modelled as exponential (the Erlang A assumption). Every queue visit that waited is
an observation: an abandoned visit shows its patience ran out after ``wait_s``; an answered one
shows the patience was longer than its wait (a censored observation). The maximum-likelihood
estimate of the exponential rate from such data is ``abandons / total waiting time`` (answered
and abandoned visits alike), so the mean patience is ``total waiting time / abandons``. With no
abandons the data only bound the patience from below: the estimate is ``None`` (use Erlang C or
a configured default) and ``lower_bound_s`` says how far it is known to reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Patience", "TalkTime", "estimate_patience", "estimate_talk_time"]


@dataclass(frozen=True, slots=True)
class Patience:
    """A mean-patience estimate and the data it rests on."""

    #: Mean patience in seconds; ``None`` when no caller abandoned (the data only bound it).
    mean_s: float | None
    abandons: int
    #: Visits that ended waiting by an answer or an abandon (the observations).
    visits: int
    #: Total waiting time of those visits, seconds.
    wait_s_total: float
    #: Approximate 95 % interval of ``mean_s`` (chi-square for censored exponential data).
    low_s: float | None
    high_s: float | None

    @property
    def lower_bound_s(self) -> float:
        """What the data prove at least: with no abandon, a 95 % lower bound of the mean."""
        return self.wait_s_total / 3.0  # -ln(0.05) ~ 3: no event in that exposure


@dataclass(frozen=True, slots=True)
class TalkTime:
    """Average talk time of a queue and how many talks it rests on (handle time adds the
    queue's wrap-up: :func:`queuepulse.domain.kpi.handle_time_s`)."""

    mean_s: float | None
    talks: int


def estimate_patience(abandons: int, answered: int, wait_abandoned_s: float,
                      wait_answered_s: float) -> Patience:
    """The exponential-patience MLE from counts and summed waits (``queue_kpi_1m`` sums)."""
    if min(abandons, answered) < 0 or min(wait_abandoned_s, wait_answered_s) < 0:
        raise ValueError("counts and waits must be >= 0")
    exposure = wait_abandoned_s + wait_answered_s
    visits = abandons + answered
    if abandons == 0 or exposure <= 0:
        return Patience(None, abandons, visits, exposure, None, None)
    mean = exposure / abandons
    # 95 % interval: 2 * exposure / mean ~ chi2(2 * abandons); Wilson-Hilferty approximation.
    low = 2 * exposure / _chi2_quantile(0.975, 2 * abandons)
    high = 2 * exposure / _chi2_quantile(0.025, 2 * abandons)
    return Patience(mean, abandons, visits, exposure, low, high)


def estimate_talk_time(talk_s_total: float, talks: int) -> TalkTime:
    """Average talk time from summed talk time and the number of ended talks."""
    if talks < 0 or talk_s_total < 0:
        raise ValueError("talk time and count must be >= 0")
    return TalkTime(talk_s_total / talks if talks else None, talks)


def _chi2_quantile(p: float, dof: int) -> float:
    """Wilson-Hilferty approximation of the chi-square quantile (good to ~1 % for dof >= 2)."""
    z = _normal_quantile(p)
    k = float(dof)
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3


def _normal_quantile(p: float) -> float:
    # Acklam's rational approximation is overkill for two fixed quantiles.
    return {0.975: 1.959963984540054, 0.025: -1.959963984540054}[p]
