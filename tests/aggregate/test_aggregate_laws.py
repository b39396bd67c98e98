"""Laws every aggregate obeys, on generated datasets."""

from __future__ import annotations

import decimal
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminLevel,
    AggregateTable,
    Dataset,
    DatasetMetadata,
    MetricDefinition,
    Observation,
    Participant,
    Period,
    Quantity,
    SubjectKind,
    SubjectRef,
    aggregate,
)
from antq_core.testing.strategies import aggregation_datasets, gazetteers

SUMMED = ["cases", "resolved", "area"]


def rebuild(ds: Dataset, observations: list[Observation]) -> Dataset:
    return Dataset(
        gazetteer=ds.gazetteer,
        metadata=ds.metadata,
        themes=ds.themes.values(),
        initiatives=ds.initiatives.values(),
        metrics=ds.metrics.values(),
        sites=ds.sites.values(),
        observations=observations,
    )


def anchor(ds: Dataset, subject: SubjectRef) -> str:
    if subject.kind is SubjectKind.SITE:
        return ds.site_anchor(ds.site(subject.id)).code
    return subject.id


def province_of(ds: Dataset, subject: SubjectRef) -> str | None:
    found = ds.gazetteer.ancestor_at(anchor(ds, subject), AdminLevel.PROVINCE)
    return None if found is None else found.code


@given(aggregation_datasets(), st.sampled_from(SUMMED))
def test_a_parent_is_the_sum_of_its_children(ds: Dataset, metric: str) -> None:
    provinces = aggregate(ds, [metric], by=["province"])
    districts = aggregate(ds, [metric], by=["province", "district"])
    unit = ds.metric(metric).unit
    parts: dict[str, list[Quantity]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for row in districts:
        assert row.quantity is not None
        parts[str(row.keys["province"])].append(row.quantity)
        counts[str(row.keys["province"])] += row.observations
    # What is anchored at a province itself has no district, and says so.
    unplaced_anywhere = {u.row for u in provinces.unplaceable}
    for lost in districts.unplaceable:
        if lost.row in unplaced_anywhere:
            continue
        province = province_of(ds, lost.subject)
        assert province is not None
        parts[province].append(ds.observations[lost.row].quantity)
        counts[province] += 1
    assert {str(r.keys["province"]): r.quantity for r in provinces} == {
        p: Quantity.sum(qs, unit) for p, qs in parts.items()
    }
    assert {str(r.keys["province"]): r.observations for r in provinces} == dict(counts)


def rows_and_lost(
    table: AggregateTable,
) -> tuple[list[object], Counter[tuple[str, str, str, str]]]:
    lost = Counter((u.metric, str(u.subject), str(u.period), u.reason) for u in table.unplaceable)
    return list(table), lost


@given(
    aggregation_datasets(),
    st.sampled_from([["district"], ["commune", "quarter"], ["province", "year"], []]),
    st.randoms(use_true_random=False),
)
def test_shuffling_observations_changes_nothing(ds: Dataset, by: list[str], rnd: Random) -> None:
    shuffled = list(ds.observations)
    rnd.shuffle(shuffled)
    metrics = ["cases", "area", "teams", "resolved_rate"]
    before = aggregate(ds, metrics, by=by)
    after = aggregate(rebuild(ds, shuffled), metrics, by=by)
    assert rows_and_lost(before) == rows_and_lost(after)


@given(aggregation_datasets(), st.sampled_from(SUMMED))
def test_months_to_quarters_to_years_equals_months_to_years(ds: Dataset, metric: str) -> None:
    quarters = aggregate(ds, [metric], by=["district", "quarter"])
    again = [
        Observation(
            metric=metric,
            subject=SubjectRef(SubjectKind.UNIT, str(row.keys["district"])),
            period=row.keys["quarter"],
            unit=row.quantity.unit,
            value=row.quantity.value,
            qualifier=row.quantity.qualifier,
        )
        for row in quarters
        if row.quantity is not None
    ]
    twice = aggregate(rebuild(ds, again), [metric], by=["district", "year"])
    once = aggregate(ds, [metric], by=["district", "year"])
    assert [(dict(r.keys), r.quantity) for r in twice] == [
        (dict(r.keys), r.quantity) for r in once
    ]


@given(aggregation_datasets(sites=False), st.data())
def test_last_of_a_stock_over_a_year_is_its_last_reported_month(
    ds: Dataset, data: st.DataObject
) -> None:
    teams = [o for o in ds.observations if o.metric == "teams"]
    if not teams:
        return
    subject = data.draw(st.sampled_from([o.subject for o in teams]))
    series = [o for o in teams if o.subject == subject]
    table = aggregate(rebuild(ds, series), ["teams"], by=["year"])
    latest: dict[Period, Observation] = {}
    for o in series:
        year = Period.year(o.period.start.year)
        if year not in latest or latest[year].period < o.period:
            latest[year] = o
    assert {r.keys["year"]: r.quantity for r in table} == {
        y: o.quantity for y, o in latest.items()
    }


@given(aggregation_datasets(), st.sampled_from([["district"], ["province", "year"], []]))
def test_a_ratio_is_the_ratio_of_its_aggregated_parts(ds: Dataset, by: list[str]) -> None:
    table = aggregate(ds, ["resolved", "cases", "resolved_rate"], by=by)
    parts: dict[str, dict[tuple[object, ...], Quantity | None]] = defaultdict(dict)
    for row in table:
        parts[row.metric][tuple(row.keys.values())] = row.quantity
    keys = parts["resolved"].keys() | parts["cases"].keys()
    assert parts["resolved_rate"].keys() == keys
    for key in keys:
        num, den = parts["resolved"].get(key), parts["cases"].get(key)
        rate = parts["resolved_rate"][key]
        if num is None or den is None or den.value == 0:
            assert rate is None
            continue
        assert rate is not None
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            exact = Decimal(100 * num.value) / Decimal(den.value)
        assert abs(Decimal(rate.value) - exact) <= Decimal("0.00005")


def _totals(by: list[str]) -> Callable[[Dataset], dict[tuple[object, ...], Quantity | None]]:
    def run(ds: Dataset) -> dict[tuple[object, ...], Quantity | None]:
        return {tuple(r.keys.values()): r.quantity for r in aggregate(ds, ["cases"], by=by)}

    return run


@settings(max_examples=30)
@given(aggregation_datasets(max_observations=10))
def test_a_filter_is_a_subset_of_the_whole(ds: Dataset) -> None:
    everything = _totals(["province", "year"])(ds)
    for year in (2016, 2017):
        only = aggregate(ds, ["cases"], by=["province", "year"], periods=Period.year(year))
        for row in only:
            assert everything[tuple(row.keys.values())] == row.quantity


@st.composite
def people_datasets(draw: st.DrawFn) -> Dataset:
    gazetteer = draw(gazetteers(max_provinces=2, max_children=2))
    codes = [u.code for u in gazetteer]
    people = [
        Participant(
            id=f"p{n}", roles=["released_prisoner"], admin_unit=draw(st.sampled_from(codes))
        )
        for n in range(draw(st.integers(1, 6)))
    ]
    months = [Period.month(2017, m) for m in range(1, 13)] + [Period.month(2018, 1)]
    records = draw(
        st.lists(
            st.tuples(st.sampled_from([p.id for p in people]), st.sampled_from(months)),
            max_size=25,
            unique=True,
        )
    )
    supported = MetricDefinition(
        id="supported",
        name_vi="Người được giúp đỡ",
        name_en="People supported",
        unit="person",
        kind="distinct",
    )
    return Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Người"),
        metrics=[supported],
        participants=people,
        observations=[
            Observation(
                metric="supported", subject=f"participant:{p}", period=m, value=1, unit="person"
            )
            for p, m in records
        ],
    )


@given(people_datasets())
def test_each_person_counts_once_per_group(ds: Dataset) -> None:
    table = aggregate(ds, ["supported"], by=["province", "year"])
    expected: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for o in ds.observations:
        person = ds.participants[o.subject.id]
        assert person.admin_unit is not None
        province = ds.gazetteer.ancestor_at(person.admin_unit, AdminLevel.PROVINCE)
        assert province is not None
        expected[province.code, Period.year(o.period.start.year)].add(person.id)
    assert {tuple(r.keys.values()): r.quantity for r in table} == {
        key: Quantity(len(ids), "person") for key, ids in expected.items()
    }
    # A year never holds more people than its months together, and the months of a
    # person seen twice count them twice: distinct counts are not sums.
    months = aggregate(ds, ["supported"], by=["province", "month"])
    for row in table:
        assert row.quantity is not None
        within = [
            m.quantity.value
            for m in months
            if m.quantity is not None
            and m.keys["province"] == row.keys["province"]
            and row.keys["year"].contains(m.keys["month"])  # type: ignore[union-attr]
        ]
        assert row.quantity.value <= sum(within)
