"""Kinds beyond sums and stocks, finished as columns, read as the reference engine's tables.

The polars engine finishes distinct counts of people as columns when it counted
every row of those metrics itself (every row placed and about a participant);
the table then keeps its rows as a frame. At fine groupings (commune or village
by month, a category) each group holds few people, so the law is checked where
the columnar path makes one output row per cell: every way of reading the
table (length, indexing, iteration, ``rows``, ``to_dicts``, ``to_dict``,
``to_polars``, ``excluded``, ``unplaceable``) gives what the pure-Python
engine's table gives, or both engines raise the same error.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

pytest.importorskip("polars")
pytest.importorskip("pyarrow")

from antq_core import (
    AdminUnit,
    AggregateTable,
    AntqError,
    CategoryOption,
    Dataset,
    DatasetMetadata,
    DisaggregationCategory,
    Gazetteer,
    MetricDefinition,
    Observation,
    Participant,
    Period,
    Qualifier,
    Unit,
    aggregate,
    aggregate_rollup,
)
from antq_core.testing.strategies import aggregation_datasets, gazetteers

_LEVELS = ("province", "district", "commune", "village")
_TIMES = ("month", "quarter", "year", "period")

_SEX = DisaggregationCategory(
    id="sex",
    name_vi="Giới tính",
    name_en="Sex",
    options=(
        CategoryOption(id="female", name_vi="Nữ", name_en="Female"),
        CategoryOption(id="male", name_vi="Nam", name_en="Male"),
    ),
    exhaustive=True,
)
_PEOPLE = (
    MetricDefinition(
        id="people_helped",
        name_vi="Số người được giúp đỡ",
        name_en="People helped",
        unit=Unit.get("person"),
        kind="distinct",
        categories=("sex",),
    ),
    MetricDefinition(
        id="people_met",
        name_vi="Số người được gặp",
        name_en="People met",
        unit=Unit.get("person"),
        kind="distinct",
    ),
)
_MONTHS = tuple(Period.month(2016 + k // 12, k % 12 + 1) for k in range(24))


@st.composite
def _people_datasets(draw: st.DrawFn) -> Dataset:
    """Participants living in generated units, counted month by month.

    Participants live in the lowest units (in some datasets, in units of any
    level); in some datasets a few live in none (a row about them cannot be
    placed by level, and the Python way is taken). Rows are months, in some
    datasets with quarters and years; a person is counted again in later
    months and in other metrics; in half the datasets qualifiers vary (in the
    others every row is exact); rows of ``people_helped`` are broken down by
    sex in all, none or some of them; in some datasets a row is in cases,
    which a count of people refuses, or about a unit, which it cannot count
    (unplaceable, while the rows about people are still counted as columns).
    """
    gazetteer = draw(gazetteers(max_provinces=2, max_children=3))
    # Mostly the lowest units, so that fine groupings place everyone.
    depth = max(u.level.depth for u in gazetteer)
    low = [u.code for u in gazetteer if u.level.depth == depth]
    codes = low if draw(st.integers(0, 3)) else [u.code for u in gazetteer]
    # Half the datasets are messy: someone lives nowhere, a row is a quarter or
    # a year, or in cases; rows of people_helped are broken down by sex in
    # some of them only. The others go the columnar way.
    messy = draw(st.booleans())
    homeless, odd, cases, units = (messy and draw(st.integers(0, 2)) == 0 for _ in range(4))
    broken = draw(st.sampled_from(("never", "always", "mixed") if messy else ("never", "always")))
    qualified = draw(st.booleans())  # else every row is exact
    homes = draw(
        st.lists(st.sampled_from([*codes, None] if homeless else codes), min_size=1, max_size=12)
    )
    participants = [
        Participant(id=f"p{i}", roles=("member",), admin_unit=home) for i, home in enumerate(homes)
    ]
    periods = st.one_of(
        st.sampled_from(_MONTHS),
        st.sampled_from((Period.parse("2016Q2"), Period.parse("2017"))),
    )
    person = Unit.get("person")

    @st.composite
    def observation(draw: st.DrawFn) -> Observation:
        metric = draw(st.sampled_from(_PEOPLE))
        disaggregation: dict[str, str] = {}
        if metric.categories and (
            broken == "always" or (broken == "mixed" and draw(st.booleans()))
        ):
            disaggregation["sex"] = draw(st.sampled_from(("female", "male")))
        unit = Unit.get("case") if cases and draw(st.integers(0, 9)) == 0 else person
        qualifier = "exact"
        if qualified and draw(st.integers(0, 3)) == 0:
            qualifier = draw(st.sampled_from(Qualifier))
        return Observation(
            metric=metric.id,
            subject=(
                f"unit:{draw(st.sampled_from(codes))}"
                if units and draw(st.integers(0, 3)) == 0
                else f"participant:{draw(st.sampled_from(participants)).id}"
            ),
            period=draw(periods)
            if odd and draw(st.booleans())
            else draw(st.sampled_from(_MONTHS)),
            unit=unit,
            value=1,
            qualifier=qualifier,
            disaggregation=disaggregation,
        )

    rows = draw(st.lists(observation(), min_size=3, max_size=40))
    return Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Người tham gia"),
        categories=[_SEX],
        metrics=_PEOPLE,
        participants=participants,
        observations=rows,
    )


@st.composite
def _people_requests(draw: st.DrawFn, ds: Dataset) -> dict[str, Any]:
    counted = sorted({o.metric for o in ds.observations})  # mostly metrics with rows
    metrics = draw(
        st.lists(
            st.sampled_from(counted if draw(st.integers(0, 4)) else [m.id for m in _PEOPLE]),
            min_size=1,
            max_size=2,
            unique=True,
        )
    )
    # Fine groupings mostly: the gazetteer's lowest level (or one above) and a month.
    present = [name for name in _LEVELS if any(u.level == name for u in ds.gazetteer)]
    by = [draw(st.sampled_from(present[-2:]))] if draw(st.integers(0, 4)) else []
    if draw(st.integers(0, 4)):
        by.append(draw(st.sampled_from(_TIMES)))
    broken = any(o.disaggregation for o in ds.observations)
    if metrics == ["people_helped"] and broken and draw(st.integers(0, 2)) == 0:
        by.append("sex")
    return {"metrics": metrics, "by": draw(st.permutations(by))}


def _columnar(table: AggregateTable) -> bool:
    """Whether the table keeps its rows as columns (the path under test was taken)."""
    # A private field, read (never set) only to say which path a case took.
    return table._columns is not None


def _read_alike(
    ds: Dataset, request: dict[str, Any], data: st.DataObject, label: str = ""
) -> None:
    """Every way of reading the polars table gives the Python table's answer."""
    refused: tuple[type[AntqError], str] | None = None
    try:
        python = aggregate(ds, engine="python", **request)
    except AntqError as e:
        refused = (type(e), str(e))
    if refused is not None:
        with pytest.raises(refused[0]) as raised:
            aggregate(ds, engine="polars", **request)
        assert str(raised.value) == refused[1]
        event(f"refused: {refused[0].__name__}")
        return
    expected = list(python)

    def fresh() -> AggregateTable:
        return aggregate(ds, engine="polars", **request)

    event(f"{label}columnar: {_columnar(fresh())}, rows: {min(len(expected), 5)}+")
    event(f"{label}unplaceable: {bool(python.unplaceable)}, excluded: {bool(python.excluded)}")
    assert len(fresh()) == len(expected)
    if expected:
        i = data.draw(st.integers(-len(expected), len(expected) - 1))
        assert fresh()[i] == expected[i]  # one row, before any other is made
    with pytest.raises(IndexError):
        fresh()[len(expected)]
    table = fresh()
    assert [table[i] for i in range(len(table))] == expected
    assert list(fresh()) == expected
    assert fresh().rows == python.rows
    assert fresh().to_dicts() == python.to_dicts()
    assert fresh().to_dict() == {**python.to_dict(), "engine": "polars"}
    assert fresh().to_polars().equals(python.to_polars())
    assert fresh().excluded == python.excluded
    assert fresh().unplaceable == python.unplaceable


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=_people_datasets(), data=st.data())
def test_columnar_distinct_counts_read_as_the_reference_table(
    ds: Dataset, data: st.DataObject
) -> None:
    _read_alike(ds, data.draw(_people_requests(ds)), data)


def test_distinct_counts_of_placed_people_are_finished_as_columns() -> None:
    # The path the law above is about is the one taken when every row is placed.
    ds = Dataset(
        gazetteer=_village_gazetteer(),
        metadata=DatasetMetadata(title_vi="Người tham gia"),
        categories=[_SEX],
        metrics=_PEOPLE,
        participants=[
            Participant(id="a", roles=("member",), admin_unit="01001.01"),
            Participant(id="b", roles=("member",), admin_unit="01001.01"),
            Participant(id="c", roles=("member",), admin_unit="01002.01"),
        ],
        observations=[
            _met("a", "2017-01"),
            _met("a", "2017-01", qualifier="approximately"),
            _met("b", "2017-01"),
            _met("a", "2017-02"),
            _met("c", "2017-02", qualifier="at_least"),
        ],
    )
    python = aggregate(ds, "people_met", by=["commune", "month"], engine="python")
    polars = aggregate(ds, "people_met", by=["commune", "month"], engine="polars")
    assert _columnar(polars)
    assert not _columnar(python)
    assert [(r.keys["commune"], str(r.keys["month"]), r.quantity) for r in polars] == [
        ("01001", "2017-01", python[0].quantity),
        ("01001", "2017-02", python[1].quantity),
        ("01002", "2017-02", python[2].quantity),
    ]
    assert [r.quantity.value for r in polars if r.quantity is not None] == [2, 1, 1]
    assert [r.observations for r in polars] == [3, 1, 1]
    assert list(polars) == list(python)


def _met(who: str, month: str, qualifier: str = "exact") -> Observation:
    return Observation(
        metric="people_met",
        subject=f"participant:{who}",
        period=month,
        unit="person",
        value=1,
        qualifier=qualifier,
    )


def _village_gazetteer() -> Gazetteer:
    return Gazetteer(
        "test",
        [
            AdminUnit(code="01", name="Hà Nội", level="province"),
            AdminUnit(code="001", name="Ba Đình", level="district", parent="01"),
            AdminUnit(code="01001", name="Phúc Xá", level="commune", parent="001"),
            AdminUnit(code="01002", name="Trúc Bạch", level="commune", parent="001"),
            AdminUnit(code="01001.01", name="Tổ 1", level="village", parent="01001"),
            AdminUnit(code="01002.01", name="Tổ 1", level="village", parent="01002"),
        ],
    )


# -- minima, maxima, counts and last_in_period -------------------------------------

_RANGED = (
    ("min", "min"),
    ("max", "max"),
    ("count", "count"),
    ("last_in_period", "sum"),
    ("sum", "sum"),
)


@st.composite
def _ranged_datasets(draw: st.DrawFn) -> Dataset:
    """:func:`aggregation_datasets` whose metrics take the smallest, largest, a count or a stock.

    ``cases``, ``resolved``, ``area`` and ``teams`` each get one of min/min,
    max/max, count/count, last_in_period/sum or sum/sum over time and space;
    ``area`` is reported in m² or ha (a conversion: the Python way). Rows are
    months: grouped by quarter or year, a ``last_in_period`` series not
    reported in the last month is left out (``not_at_period_end``).
    """
    ds = draw(aggregation_datasets(max_observations=40))
    assume(ds.observations)
    metrics = []
    for metric in ds.metrics.values():
        if metric.numerator is None:
            time, space = draw(st.sampled_from(_RANGED))
            fields = {**metric.model_dump(), "time_aggregation": time, "space_aggregation": space}
            metrics.append(MetricDefinition.model_validate(fields))
        else:
            metrics.append(metric)
    return ds.replace(metrics=metrics)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=_ranged_datasets(), data=st.data())
def test_columnar_minima_maxima_and_counts_read_as_the_reference_table(
    ds: Dataset, data: st.DataObject
) -> None:
    present = sorted({o.metric for o in ds.observations}) or ["cases"]
    metrics = data.draw(st.lists(st.sampled_from(present), min_size=1, max_size=3, unique=True))
    by = data.draw(st.lists(st.sampled_from((*_LEVELS, *_TIMES)), max_size=2, unique=True))
    kinds = sorted({ds.metrics[m].time_aggregation.value for m in metrics})
    _read_alike(ds, {"metrics": metrics, "by": by}, data, label=f"{'+'.join(kinds)}: ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=_ranged_datasets(), data=st.data())
def test_rolled_up_minima_maxima_and_counts_read_as_the_reference_ones(
    ds: Dataset, data: st.DataObject
) -> None:
    present = sorted({o.metric for o in ds.observations}) or ["cases"]
    metrics = data.draw(st.lists(st.sampled_from(present), min_size=1, max_size=3, unique=True))
    by = ["commune", *data.draw(st.lists(st.sampled_from(_TIMES), max_size=1))]
    try:
        python = aggregate_rollup(ds, metrics, by, engine="python")
    except AntqError as e:
        with pytest.raises(type(e)):
            aggregate_rollup(ds, metrics, by, engine="polars")
        return
    polars = aggregate_rollup(ds, metrics, by, engine="polars")
    assert list(polars) == list(python)
    for name, table in python.items():
        assert list(polars[name]) == list(table)
        assert polars[name].to_polars().equals(table.to_polars())
        assert polars[name].unplaceable == table.unplaceable


_TEAMS = MetricDefinition(
    id="teams",
    name_vi="Số tổ",
    name_en="Teams",
    unit=Unit.get("organization"),
    kind="stock",
    time_aggregation="last_in_period",
)


def test_a_stock_not_reported_at_the_period_end_is_left_out_alike() -> None:

    def teams_in(unit: str, month: str, value: int) -> Observation:
        return Observation(
            metric="teams", subject=f"unit:{unit}", period=month, unit="organization", value=value
        )

    ds = Dataset(
        gazetteer=_village_gazetteer(),
        metadata=DatasetMetadata(title_vi="Tổ"),
        metrics=[_TEAMS],
        observations=[
            teams_in("01001", "2017-11", 4),  # not reported in December: left out of 2017
            teams_in("01002", "2017-06", 2),
            teams_in("01002", "2017-12", 3),
        ],
    )
    python = aggregate(ds, "teams", by=["district", "year"], engine="python")
    polars = aggregate(ds, "teams", by=["district", "year"], engine="polars")
    assert _columnar(polars)
    assert [r.quantity.value for r in polars if r.quantity is not None] == [3]
    assert [e.code.value for e in polars.excluded] == ["not_at_period_end", "superseded"]
    assert list(polars) == list(python)
    assert polars.excluded == python.excluded


def test_a_stock_with_no_bucket_to_go_in_is_unplaceable_alike() -> None:
    # A yearly figure asked for by month within its year: no month bucket holds it.
    # The end-of-period check once looked up a bucket's end in an empty table.
    ds = Dataset(
        gazetteer=_village_gazetteer(),
        metadata=DatasetMetadata(title_vi="Tổ"),
        metrics=[_TEAMS],
        observations=[
            Observation(
                metric="teams", subject="unit:01001", period="2017", unit="organization", value=4
            )
        ],
    )
    request: dict[str, Any] = {"by": ["month"], "periods": Period.parse("2017")}
    python = aggregate(ds, "teams", engine="python", **request)
    polars = aggregate(ds, "teams", engine="polars", **request)
    assert list(polars) == list(python) == []
    assert [u.row for u in polars.unplaceable] == [0]
    assert polars.unplaceable == python.unplaceable


def test_people_counted_as_columns_beside_rows_they_cannot_count() -> None:
    # A row about a unit and one about someone living nowhere are unplaceable;
    # the people are still counted as columns, as the Python engine counts them.
    people = [
        Participant(id="a", roles=("member",), admin_unit="01001.01"),
        Participant(id="b", roles=("member",), admin_unit="01002.01"),
        Participant(id="nowhere", roles=("member",)),
    ]
    unit_row = Observation(
        metric="people_met", subject="unit:01001", period="2017-01", unit="person", value=3
    )
    ds = Dataset(
        gazetteer=_village_gazetteer(),
        metadata=DatasetMetadata(title_vi="Người tham gia"),
        categories=[_SEX],
        metrics=_PEOPLE,
        participants=people,
        observations=[
            _met("a", "2017-01"),
            _met("b", "2017-01"),
            _met("nowhere", "2017-01"),
            unit_row,
        ],
    )
    python = aggregate(ds, "people_met", by=["commune", "month"], engine="python")
    polars = aggregate(ds, "people_met", by=["commune", "month"], engine="polars")
    assert _columnar(polars)
    assert [r.quantity.value for r in polars if r.quantity is not None] == [1, 1]
    assert [u.row for u in polars.unplaceable] == [2, 3]
    assert list(polars) == list(python)
    assert polars.unplaceable == python.unplaceable
