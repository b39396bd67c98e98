"""Laws of conservation on generated data: nothing lost, nothing counted twice.

- Every observation of a requested metric is in one row's ``observations``,
  or listed once, in ``unplaceable`` or ``excluded``, whatever the grouping
  (levels, periods, categories by bare or prefixed name, several at once).
- No figure is summed with the figures of its own parts: adding a complete
  breakdown of a counted figure, or (with ``prefer_reported``) a figure of a
  unit under a reporting unit, changes no value; over time, a figure and one
  of its sub-periods in one group are refused.
- The reference and columnar engines give the same rows and lists.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import (
    AggregateTable,
    Dataset,
    DisaggregationCategory,
    Observation,
    Period,
    PeriodKind,
    Qualifier,
    SubjectKind,
    SubjectRef,
    aggregate,
    aggregate_rollup,
)
from antq_core.errors import AggregationError, OverlappingPeriodsError, SpaceOverlapError
from antq_core.testing.strategies import aggregation_datasets

COLOUR = DisaggregationCategory(
    id="colour",
    name_vi="Màu",
    name_en="Colour",
    options=[
        {"id": "red", "name_vi": "Đỏ", "name_en": "Red"},
        {"id": "blue", "name_vi": "Xanh", "name_en": "Blue"},
    ],
)
SIZE = DisaggregationCategory(
    id="size",
    name_vi="Cỡ",
    name_en="Size",
    options=[
        {"id": "small", "name_vi": "Nhỏ", "name_en": "Small"},
        {"id": "large", "name_vi": "Lớn", "name_en": "Large"},
        {"id": "other", "name_vi": "Khác", "name_en": "Other"},
    ],
    exhaustive=True,
)
OPTIONS = {c.id: [o.id for o in c.options] for c in (COLOUR, SIZE)}
COUNTED = ["cases", "resolved", "area", "teams"]
GROUPINGS = [
    [],
    ["province"],
    ["district", "quarter"],
    ["commune"],
    ["year"],
    ["period"],
    ["colour"],
    ["category:size"],
    ["province", "category:colour", "size"],
    ["district", "year", "category:size"],
]


def rebuild(ds: Dataset, observations: Sequence[Observation]) -> Dataset:
    return Dataset(
        gazetteer=ds.gazetteer,
        metadata=ds.metadata,
        themes=ds.themes.values(),
        initiatives=ds.initiatives.values(),
        categories=[COLOUR, SIZE],
        metrics=[
            m if m.kind.value == "ratio" else m.with_categories("colour", "size")
            for m in ds.metrics.values()
        ],
        sites=ds.sites.values(),
        observations=observations,
    )


@st.composite
def broken_down(draw: st.DrawFn, *, nested: bool = False) -> Dataset:
    """Aggregation datasets where some figures come as parts, with or without a total."""
    base = draw(aggregation_datasets(max_observations=12, years=1, nested=nested))
    figures = list(base.observations)
    if nested:
        # Some figures again at the unit above theirs: a figure and one of its parts.
        taken = {(o.metric, o.subject, o.period) for o in figures}
        for o in base.observations:
            unit = base.gazetteer.get(o.subject.id) if o.subject.kind is SubjectKind.UNIT else None
            if unit is None or unit.parent is None or not draw(st.booleans()):
                continue
            above = SubjectRef(SubjectKind.UNIT, unit.parent)
            if (o.metric, above, o.period) not in taken:
                taken.add((o.metric, above, o.period))
                figures.append(
                    Observation(
                        metric=o.metric,
                        subject=above,
                        period=o.period,
                        value=draw(st.integers(0, 100)),
                        unit=o.quantity.unit,
                    )
                )
    rows: list[Observation] = []
    for o in figures:
        pattern = draw(st.sampled_from(["total", "parts", "both", "some parts"]))
        names = draw(st.sampled_from([("colour",), ("size",), ("colour", "size")]))
        combos = [
            dict(zip(names, v, strict=True))
            for v in itertools.product(*(OPTIONS[k] for k in names))
        ]
        if pattern == "some parts":
            combos = draw(st.lists(st.sampled_from(combos), min_size=1, unique_by=str))
        if pattern in ("total", "both"):
            rows.append(o)
        if pattern != "total":
            shares = draw(st.lists(st.integers(0, 50), min_size=len(combos), max_size=len(combos)))
            for combo, share in zip(combos, shares, strict=True):
                rows.append(
                    Observation(
                        metric=o.metric,
                        subject=o.subject,
                        period=o.period,
                        value=share,
                        unit=o.quantity.unit,
                        qualifier=o.quantity.qualifier,
                        disaggregation=combo,
                    )
                )
    return rebuild(base, rows)


def accounted(table: AggregateTable, ds: Dataset, metric: str) -> None:
    counted = sum(r.observations for r in table if r.metric == metric)
    listed = [u.row for u in table.unplaceable if u.metric == metric]
    listed += [e.row for e in table.excluded if e.metric == metric]
    assert len(set(listed)) == len(listed), "an observation is listed twice"
    mine = [i for i, o in enumerate(ds.observations) if o.metric == metric]
    assert set(listed) <= set(mine)
    assert counted + len(listed) == len(mine)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(broken_down(nested=True), st.sampled_from(GROUPINGS), st.sampled_from(COUNTED))
def test_every_observation_is_counted_once_or_listed(
    ds: Dataset, by: list[str], metric: str
) -> None:
    table = aggregate(ds, [metric], by=by, space_overlap="prefer_reported")
    accounted(table, ds, metric)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(broken_down(), st.sampled_from(GROUPINGS))
def test_conservation_holds_for_several_metrics_at_once(ds: Dataset, by: list[str]) -> None:
    table = aggregate(ds, [*COUNTED, "resolved_rate"], by=by)
    for metric in COUNTED:
        accounted(table, ds, metric)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(broken_down(), st.sampled_from(GROUPINGS), st.data())
def test_adding_a_complete_breakdown_of_a_counted_figure_changes_nothing(
    ds: Dataset, by: list[str], data: st.DataObject
) -> None:
    totals = [i for i, o in enumerate(ds.observations) if not o.disaggregation]
    if not totals:
        return
    o = ds.observations[data.draw(st.sampled_from(totals))]
    if o.quantity.qualifier is not Qualifier.EXACT or not isinstance(o.quantity.value, int):
        return
    # Its parts by colour, both options, adding up to it: a partition of the figure.
    whole = o.quantity.value
    red = data.draw(st.integers(0, whole))
    parts = [
        Observation(
            metric=o.metric,
            subject=o.subject,
            period=o.period,
            value=v,
            unit=o.quantity.unit,
            disaggregation={"colour": c, "size": "other"},
        )
        for c, v in (("red", red), ("blue", whole - red))
    ]
    seen = {
        (q.metric, q.subject, q.period, tuple(sorted(q.disaggregation.items())))
        for q in ds.observations
    }
    if any(
        (p.metric, p.subject, p.period, tuple(sorted(p.disaggregation.items()))) in seen
        for p in parts
    ):
        return
    wider = rebuild(ds, [*ds.observations, *parts])
    if any(name in by for name in ("colour", "category:colour", "size", "category:size")):
        return  # grouped by a category, the parts are the figure's rows there
    before = aggregate(ds, COUNTED, by=by)
    after = aggregate(wider, COUNTED, by=by)
    assert [(r.keys, r.metric, r.quantity) for r in after] == [
        (r.keys, r.metric, r.quantity) for r in before
    ]
    for metric in COUNTED:
        accounted(after, wider, metric)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(aggregation_datasets(max_observations=15), st.data())
def test_a_figure_under_a_reporting_unit_is_never_added_to_it(
    ds: Dataset, data: st.DataObject
) -> None:
    units = [
        (i, o)
        for i, o in enumerate(ds.observations)
        if o.subject.kind is SubjectKind.UNIT
        and o.metric in ("cases", "area")
        and ds.gazetteer.children(o.subject.id)
    ]
    if not units:
        return
    _, o = data.draw(st.sampled_from(units))
    child = data.draw(st.sampled_from(ds.gazetteer.children(o.subject.id)))
    inner = Observation(
        metric=o.metric,
        subject=f"unit:{child.code}",
        period=o.period,
        value=data.draw(st.integers(0, 100)),
        unit=o.quantity.unit,
    )
    if any(
        x.metric == inner.metric and x.subject == inner.subject and x.period == inner.period
        for x in ds.observations
    ):
        return
    wider = rebuild(ds, [*ds.observations, inner])
    by = data.draw(st.sampled_from([[], ["province"], ["year"], ["quarter", "province"]]))
    with pytest.raises(SpaceOverlapError) as info:
        aggregate(wider, [o.metric], by=by)
    assert len(ds.observations) in {r for g in info.value.rows for r in g[1:]}
    before = aggregate(rebuild(ds, ds.observations), [o.metric], by=by)
    after = aggregate(wider, [o.metric], by=by, space_overlap="prefer_reported")
    assert [(r.keys, r.quantity) for r in after] == [(r.keys, r.quantity) for r in before]
    accounted(after, wider, o.metric)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(aggregation_datasets(max_observations=15, sites=False), st.data())
def test_a_figure_and_one_of_its_sub_periods_are_never_added(
    ds: Dataset, data: st.DataObject
) -> None:
    months = [o for o in ds.observations if o.metric in ("cases", "area")]
    if not months:
        return
    o = data.draw(st.sampled_from(months))
    quarter = Period.containing(o.period.start, PeriodKind.QUARTER)
    wider = rebuild(
        ds,
        [
            *ds.observations,
            Observation(
                metric=o.metric,
                subject=o.subject,
                period=quarter,
                value=1,
                unit=o.quantity.unit,
            ),
        ],
    )
    # The quarter may also enclose, over space, a figure of a unit under its subject for
    # another month of the quarter; then that refusal comes first. Either way: never a sum.
    with pytest.raises((OverlappingPeriodsError, SpaceOverlapError)):
        aggregate(wider, [o.metric], by=data.draw(st.sampled_from([[], ["year"], ["quarter"]])))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(broken_down(nested=True), st.sampled_from(GROUPINGS))
def test_engines_agree_on_parts_and_space(ds: Dataset, by: list[str]) -> None:
    pytest.importorskip("polars")
    pytest.importorskip("duckdb")
    metrics = [*COUNTED, "resolved_rate"]
    tables = [
        aggregate(ds, metrics, by=by, engine=e, space_overlap="prefer_reported")
        for e in ("python", "polars", "duckdb")
    ]
    for other in tables[1:]:
        assert other.rows == tables[0].rows
        assert other.unplaceable == tables[0].unplaceable
        assert other.excluded == tables[0].excluded


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    broken_down(nested=True),
    st.sampled_from([["commune"], ["district", "year"], ["category:size", "district"]]),
)
def test_rollup_levels_conserve_and_equal_aggregate(ds: Dataset, by: list[str]) -> None:
    tables = aggregate_rollup(ds, COUNTED, by=by, space_overlap="prefer_reported")
    level = next(n for n in by if n in {"commune", "district"})
    for name, table in tables.items():
        alone = aggregate(
            ds,
            COUNTED,
            by=[name if n == level else n for n in by],
            space_overlap="prefer_reported",
        )
        assert table.rows == alone.rows
        assert table.excluded == alone.excluded
        for metric in COUNTED:
            accounted(table, ds, metric)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(aggregation_datasets(max_observations=12, sites=False), st.data())
def test_a_figure_and_the_parts_of_a_period_around_it_are_never_added(
    ds: Dataset, data: st.DataObject
) -> None:
    months = [o for o in ds.observations if o.metric in ("cases", "area")]
    if not months:
        return
    o = data.draw(st.sampled_from(months))
    quarter = Period.containing(o.period.start, PeriodKind.QUARTER)
    parts = [
        Observation(
            metric=o.metric,
            subject=o.subject,
            period=quarter,
            value=data.draw(st.integers(0, 9)),
            unit=o.quantity.unit,
            disaggregation={"colour": colour, "size": "other"},
        )
        for colour in OPTIONS["colour"]
    ]
    wider = rebuild(ds, [*ds.observations, *parts])
    by = data.draw(st.sampled_from([[], ["year"], ["quarter"], ["province", "year"]]))
    # Refused over time, or first over space when the quarter's parts also
    # enclose a figure of a unit under theirs: never added either way.
    with pytest.raises(AggregationError) as info:
        aggregate(wider, [o.metric], by=by)
    assert isinstance(info.value, (OverlappingPeriodsError, SpaceOverlapError))
    # By month, the quarter's parts fit no month: listed, not added to the month.
    by_month = aggregate(wider, [o.metric], by=["month"])
    n = len(ds.observations)
    assert {n, n + 1} <= {u.row for u in by_month.unplaceable}
    accounted(by_month, wider, o.metric)


def _overlap_outcome(ds: Dataset, metrics: list[str], by: list[str]) -> object:
    """What ``aggregate`` says of the space overlaps: the refusal, and the settled table."""
    try:
        aggregate(ds, metrics, by=by)
        refused: object = None
    except SpaceOverlapError as e:
        refused = (str(e), e.rows, e.subjects)
    table = aggregate(ds, metrics, by=by, space_overlap="prefer_reported")
    return refused, table.rows, table.unplaceable, table.excluded


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(broken_down(nested=True), st.sampled_from(GROUPINGS))
def test_the_bulk_subject_table_finds_the_same_overlaps(ds: Dataset, by: list[str]) -> None:
    # Large stores find who reported which metric by one numpy scatter, small ones
    # by a set of pairs: on the same rows, the same refusal and the same table.
    pytest.importorskip("numpy")
    from unittest import mock

    from antq_core._aggregate import space

    metrics = [*COUNTED, "resolved_rate"]
    by_set = _overlap_outcome(rebuild(ds, ds.observations), metrics, by)
    with mock.patch.object(space, "_BULK_ROWS", 0):
        by_bulk = _overlap_outcome(rebuild(ds, ds.observations), metrics, by)
    assert by_bulk == by_set
