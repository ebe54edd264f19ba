"""The KPI windows the live flow runs (:class:`queuepulse.live.kpi_window.KpiWindower`): however
the facts are batched or ordered, re-delivered or late, every value it emits is the full fold of
its bucket's facts, and a closed bucket is never overwritten with a partial value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queuepulse.domain.kpi import KpiFact, KpiKey, QueueKpi, bucket_of, fold_bucket
from queuepulse.live.kpi_window import KpiWindower, KpiWindowState

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PBX = "p1"
MINUTE = timedelta(minutes=1)

kinds = st.sampled_from(["offered", "answered", "abandoned", "transferred", "talk_ended"])


def fact_strategy(minutes: int) -> st.SearchStrategy[KpiFact]:
    """Facts of one queue over ``minutes`` buckets (ids may repeat: a re-delivered fact)."""
    return st.builds(
        lambda n, kind, sec, wait, talk, flag: KpiFact(
            f"f{n}", PBX, "800", "queue", kind, T0 + timedelta(seconds=sec), wait_s=wait,
            talk_s=talk, in_sla=flag if kind == "answered" else None,
            short=flag if kind == "abandoned" else None,
        ),
        st.integers(0, 60), kinds, st.floats(0, 60 * minutes - 0.001),
        st.floats(0, 600, allow_nan=False), st.floats(0, 3600, allow_nan=False), st.booleans(),
    )


def key_of(kpi: QueueKpi) -> KpiKey:
    return (kpi.pbx_id, kpi.queue_dn, kpi.scope, kpi.bucket)


def first_copies(facts: list[KpiFact]) -> dict[KpiKey, dict[str, KpiFact]]:
    """Facts by bucket, the first copy of each id (a fact id names one fact)."""
    out: dict[KpiKey, dict[str, KpiFact]] = {}
    for f in facts:
        out.setdefault(f.key, {}).setdefault(f.fact_id, f)
    return out


def _close(a: QueueKpi, b: QueueKpi) -> None:
    for name in QueueKpi.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, float) and isinstance(y, float):
            assert x == pytest.approx(y), name
        else:
            assert x == y, name


def feed(
    windower: KpiWindower, batches: list[list[KpiFact]], state: KpiWindowState | None = None
) -> tuple[KpiWindowState | None, dict[KpiKey, QueueKpi]]:
    latest: dict[KpiKey, QueueKpi] = {}
    for batch in batches:
        state, out = windower(state, batch)
        for kpi in out:
            latest[key_of(kpi)] = kpi
    return state, latest


@settings(max_examples=150, deadline=None)
@given(st.lists(fact_strategy(3), max_size=40), st.lists(st.integers(0, 40), max_size=6))
def test_any_batching_gives_one_fold_and_redelivery_changes_nothing(
    facts: list[KpiFact], cuts: list[int]
) -> None:
    """Associative: cutting the stream into batches anywhere gives the one-fold value of every
    bucket (late facts within the allowance re-emit their bucket in full)."""
    windower = KpiWindower(lateness_s=3600)  # nothing closes within three minutes
    points = sorted({min(c, len(facts)) for c in cuts} | {0, len(facts)})
    batches = [facts[a:b] for a, b in pairwise(points)]
    state, latest = feed(windower, batches)
    expected = first_copies(facts)
    assert set(latest) == set(expected)
    for key, found in expected.items():
        _close(latest[key], fold_bucket(found.values(), key))
    _, again = feed(windower, [facts], state)  # the whole stream re-delivered
    assert again == {}


@settings(max_examples=100, deadline=None)
@given(st.lists(fact_strategy(3), max_size=30, unique_by=lambda f: f.fact_id).flatmap(
    lambda fs: st.tuples(st.just(fs), st.permutations(fs))))
def test_any_order_gives_one_fold(pair: tuple[list[KpiFact], list[KpiFact]]) -> None:
    """Commutative: the arrival order of distinct facts does not change any bucket."""
    facts, shuffled = pair
    windower = KpiWindower(lateness_s=3600)
    _, in_order = feed(windower, [facts])
    _, one_by_one = feed(windower, [[f] for f in shuffled])
    assert set(in_order) == set(one_by_one)
    for key in in_order:
        _close(in_order[key], one_by_one[key])


@settings(max_examples=150, deadline=None)
@given(st.lists(fact_strategy(10), max_size=40), st.sampled_from([0.0, 30.0, 90.0]))
def test_buckets_close_and_late_facts_never_overwrite_them(
    facts: list[KpiFact], lateness_s: float
) -> None:
    """A bucket closes once the newest fact is past its end plus the allowance; a fact for it
    after that is dropped and counted; every value emitted is its bucket's full fold."""
    windower = KpiWindower(lateness_s=lateness_s)
    horizon = MINUTE + timedelta(seconds=lateness_s)
    state: KpiWindowState | None = None
    accepted: dict[KpiKey, dict[str, KpiFact]] = {}
    newest: datetime | None = None
    dropped = 0
    for f in facts:
        before = state.late_dropped if state is not None else 0
        state, out = windower(state, [f])
        if state.late_dropped > before:
            dropped += 1
            assert newest is not None
            assert bucket_of(f.at) + horizon < newest
            assert out == []
        else:
            bucket = accepted.setdefault(f.key, {})
            redelivered = f.fact_id in bucket
            bucket.setdefault(f.fact_id, f)
            assert [key_of(k) for k in out] == ([] if redelivered else [f.key])
            for kpi in out:
                _close(kpi, fold_bucket(accepted[f.key].values(), f.key))
        newest = f.at if newest is None else max(newest, f.at)
        assert all(b + horizon >= newest for b in state.buckets)  # closed ones are gone
    assert (state.late_dropped if state is not None else 0) == dropped


def test_late_fact_corrects_its_open_bucket_and_is_dropped_once_closed() -> None:
    windower = KpiWindower(lateness_s=60)

    def fact(i: int, at: datetime) -> KpiFact:
        return KpiFact(f"f{i}", PBX, "800", "queue", "offered", at)

    state, out = windower(None, [fact(1, T0 + timedelta(seconds=5))])
    assert [k.offered for k in out] == [1]
    state, out = windower(state, [fact(1, T0 + timedelta(seconds=5))])  # re-delivered
    assert out == []
    state, out = windower(state, [fact(2, T0 + timedelta(seconds=90))])
    state, out = windower(state, [fact(3, T0 + timedelta(seconds=30))])  # late, still open
    assert [(k.bucket, k.offered) for k in out] == [(T0, 2)]
    state, _ = windower(state, [fact(4, T0 + timedelta(minutes=5))])  # closes minute 0
    state, out = windower(state, [fact(5, T0 + timedelta(seconds=40))])
    assert out == []
    assert state.late_dropped == 1
    with pytest.raises(ValueError, match="lateness_s"):
        KpiWindower(lateness_s=-1)
