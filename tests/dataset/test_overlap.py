"""Duplicate and overlapping observations, and the store's column view."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import Dataset, MetricKind, Observation, ObservationStore, Period, sample
from antq_core._dataset.overlap import (
    duplicate_and_overlapping_rows,
    duplicate_rows,
    overlapping_rows,
)
from antq_core._dataset.overlap_polars import duplicate_and_overlapping_rows_polars
from antq_core.testing.strategies import datasets


def _obs(period: str, value: int = 1, subject: str = "unit:12", **extra: object) -> Observation:
    return Observation.model_validate(
        {
            "metric": "cases_resolved_jointly",
            "subject": subject,
            "period": period,
            "unit": "case",
            "value": value,
            **extra,
        }
    )


def test_columns_are_a_read_only_view() -> None:
    store = sample().observations
    cols = store.columns()
    assert len(cols) == len(store)
    for i, o in enumerate(store):
        assert cols.metrics[cols.metric[i]] == o.metric
        assert cols.subjects[cols.subject[i]] == o.subject
        assert cols.periods[cols.period[i]] == o.period
        assert cols.units[cols.unit[i]] == o.unit
        assert cols.qualifiers[cols.qualifier[i]] == o.qualifier
        assert cols.disaggregations[cols.disaggregation[i]] == o.disaggregation
        assert cols.texts[cols.source[i]] == o.source
        assert cols.texts[cols.note[i]] == o.note
        assert cols.exact.get(i, cols.value[i]) == o.value
    with pytest.raises(TypeError):
        cols.value[0] = 1


def test_a_year_and_its_quarter_overlap() -> None:
    store = ObservationStore.from_observations(
        [_obs("2017"), _obs("2016"), _obs("2017Q3"), _obs("2017Q3", subject="unit:1")]
    )
    assert overlapping_rows(store) == [(0, 2)]
    assert duplicate_rows(store) == []


def test_two_since_the_start_ranges_overlap_and_chains_join() -> None:
    store = ObservationStore.from_observations(
        [_obs("2016-01-01/2017-07-13"), _obs("2012-01-01/2016-06-30"), _obs("2010")]
    )
    assert overlapping_rows(store) == [(0, 1)]
    chained = ObservationStore.from_observations(
        [_obs("2017-01"), _obs("2017-01-15/2017-02-15"), _obs("2017-02"), _obs("2017-04")]
    )
    assert overlapping_rows(chained) == [(0, 1, 2)]


def test_same_period_is_a_duplicate_not_an_overlap() -> None:
    store = ObservationStore.from_observations([_obs("2017", 1), _obs("2017", 2)])
    assert duplicate_rows(store) == [(0, 1)]
    assert overlapping_rows(store) == []


def test_disaggregations_are_separate_series() -> None:
    store = ObservationStore.from_observations(
        [_obs("2017"), _obs("2017Q1", disaggregation={"sex": "female"})]
    )
    assert overlapping_rows(store) == []
    assert overlapping_rows(store, metrics={"other"}) == []
    assert duplicate_rows(store, metrics=set()) == []


def test_sample_has_no_overlap_or_duplicate() -> None:
    store = sample().observations
    assert overlapping_rows(store) == []
    assert duplicate_rows(store) == []


@given(
    st.lists(
        st.sampled_from(["2016", "2017", "2017Q1", "2017Q2", "2017-03", "2016/2017"]), max_size=12
    ),
    st.randoms(),
)
def test_order_never_changes_which_rows_overlap(texts: list[str], rnd: random.Random) -> None:
    obs = [_obs(t, i) for i, t in enumerate(texts)]
    shuffled = obs[:]
    rnd.shuffle(shuffled)

    def found(items: list[Observation]) -> set[frozenset[int]]:
        store = ObservationStore.from_observations(items)
        return {frozenset(int(items[i].value) for i in g) for g in overlapping_rows(store)}

    assert found(obs) == found(shuffled)
    # every pair in no group is disjoint or identical
    grouped = set().union(*found(obs)) if found(obs) else set()
    lone = [o for o in obs if o.value not in grouped]
    for a in lone:
        for b in obs:
            if a is not b and a.period != b.period:
                assert not a.period.overlaps(b.period)
    assert all(isinstance(o.period, Period) for o in obs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=40))
def test_one_pass_gives_both(ds: Dataset) -> None:
    flows = {m.id for m in ds.metrics.values() if m.kind is MetricKind.FLOW}
    store = ds.observations
    both = duplicate_and_overlapping_rows(store, flows)
    assert both == (duplicate_rows(store), overlapping_rows(store, flows))
    assert duplicate_and_overlapping_rows_polars(store, flows) == both
    assert duplicate_and_overlapping_rows(store)[1] == overlapping_rows(store)


# -- the fast paths against a plain reference -----------------------------------------------

_PERIODS = (
    "2016",
    "2017",
    "2017Q1",
    "2017Q2",
    "2017-02",
    "2017-05",
    "2017-03-01/2017-07-13",
    "2016-01-01/2016-03-31",
    "2016/2017",
    "2016/2017@03",
)
_SLICES = (None, {"sex": "female"}, {"sex": "male"})


def _reference(
    observations: list[Observation], metrics: set[str] | None
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Duplicates and overlaps the slow, obvious way: every pair of rows of a series."""
    series: dict[tuple[str, str, str], list[int]] = {}
    for i, o in enumerate(observations):
        if metrics is None or o.metric in metrics:
            key = (o.metric, str(o.subject), repr(sorted(o.disaggregation.items())))
            series.setdefault(key, []).append(i)
    duplicates: list[tuple[int, ...]] = []
    overlaps: list[tuple[int, ...]] = []
    for rows in series.values():
        for p in {observations[i].period for i in rows}:
            same = tuple(i for i in rows if observations[i].period == p)
            if len(same) > 1:
                duplicates.append(same)
        component = {i: i for i in rows}  # union-find over rows whose periods overlap

        def find(i: int, component: dict[int, int] = component) -> int:
            while component[i] != i:
                i = component[i]
            return i

        for a in rows:
            for b in rows:
                pa, pb = observations[a].period, observations[b].period
                if pa.start <= pb.end and pb.start <= pa.end:
                    component[find(a)] = find(b)
        chains: dict[int, list[int]] = {}
        for i in rows:
            chains.setdefault(find(i), []).append(i)
        overlaps.extend(
            tuple(sorted(chain))
            for chain in chains.values()
            if len({observations[i].period for i in chain}) > 1
        )
    return sorted(duplicates), sorted(overlaps)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("cases_resolved_jointly", "tips_received")),
            st.sampled_from(("unit:12", "unit:1", "site:s1")),
            st.sampled_from(_PERIODS),
            st.sampled_from(_SLICES),
            st.integers(0, 3),
        ),
        max_size=40,
    ),
    st.sampled_from((None, {"tips_received"}, set())),
    st.randoms(use_true_random=False),
)
def test_fast_paths_agree_with_the_reference(
    rows: list[tuple[str, str, str, dict[str, str] | None, int]],
    metrics: set[str] | None,
    rng: random.Random,
) -> None:
    observations = [
        _obs(period, value, subject, metric=metric, disaggregation=slice_ or {})
        for metric, subject, period, slice_, value in rows
    ]
    # Plant exact repeats of some rows, as real data has a few.
    observations += [rng.choice(observations) for _ in range(len(observations) // 5)]
    store = ObservationStore.from_observations(observations)
    duplicates, overlaps = _reference(observations, metrics)
    assert duplicate_rows(store, metrics) == duplicates
    assert overlapping_rows(store, metrics) == overlaps
    both = (_reference(observations, None)[0], overlaps)
    assert duplicate_and_overlapping_rows(store, metrics) == both
    assert duplicate_and_overlapping_rows_polars(store, metrics) == both
