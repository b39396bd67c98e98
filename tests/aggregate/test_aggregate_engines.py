"""The polars and DuckDB engines give the reference engine's table, row for row.

Every engine implements the scan step of one contract (planning and finishing
are shared), so the same request on the same dataset must give identical
tables: keys, metric, value, unit, qualifier, contributing and missing counts,
and the unplaceable observations; or raise the same error.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

pytest.importorskip("polars")
pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from antq_core import (
    AggregateTable,
    AggregationType,
    AntqError,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    Observation,
    Period,
    Qualifier,
    Unit,
    aggregate,
    aggregate_parquet,
    aggregate_rollup,
    sample,
)
from antq_core.errors import (
    InvalidValueError,
    MissingExtraError,
    ValuesDoNotFitError,
)
from antq_core.io.frames import write_parquet
from antq_core.testing.strategies import aggregation_datasets, datasets

_LEVELS = ("province", "district", "commune", "village")
_TIMES = ("month", "quarter", "half_year", "year", "crop_season", "period")
_ENTITIES = ("initiative", "theme", "organization_kind")


def _outcome(ds: Dataset, engine: str, request: dict[str, Any]) -> Any:
    """The table as plain data, or the error's type and message."""
    try:
        table = aggregate(ds, engine=engine, **request)
    except AntqError as e:
        return (type(e), str(e))
    assert table.engine == engine
    return _plain(table)


def _plain(table: AggregateTable) -> tuple[Any, ...]:
    rows = tuple(
        (
            tuple(row.keys.items()),
            row.metric,
            None if row.quantity is None else row.quantity.value,
            None if row.quantity is None else row.quantity.unit.code,
            None if row.quantity is None else row.quantity.qualifier,
            row.observations,
            row.missing,
        )
        for row in table
    )
    return (table.by, rows, table.unplaceable)


@st.composite
def _requests(draw: st.DrawFn, ds: Dataset) -> dict[str, Any]:
    """A request the dataset can answer (or refuse with a typed error)."""
    # Mostly metrics that have observations.
    metric_ids = sorted(ds.metrics) if draw(st.integers(0, 4)) == 0 else ds.observations.metric_ids
    metric_ids = metric_ids or sorted(ds.metrics)
    metrics = draw(st.lists(st.sampled_from(metric_ids), min_size=1, max_size=4, unique=True))
    categories = sorted({c for m in metrics for c in ds.metrics[m].categories})
    names = [*_LEVELS, *_TIMES, *_ENTITIES]
    by = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
    if categories and draw(st.integers(0, 3)) == 0:
        by.append(draw(st.sampled_from(categories)))
    request: dict[str, Any] = {"metrics": metrics, "by": by}
    periods = ds.observations.periods
    if periods and draw(st.integers(0, 3)) == 0:
        # A window around one of the data's own periods, so that it keeps some rows.
        start = draw(st.sampled_from(periods)).start
        kind = draw(st.sampled_from(("year", "half_year", "crop_season")))
        request["periods"] = Period.containing(start, kind)
    codes = sorted(u.code for u in ds.gazetteer)
    if codes and draw(st.integers(0, 3)) == 0:
        request["within"] = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=2))
    initiative_ids = sorted(ds.initiatives)
    if initiative_ids and draw(st.integers(0, 3)) == 0:
        request["initiatives"] = draw(
            st.lists(st.sampled_from(initiative_ids), min_size=1, max_size=2, unique=True)
        )
    return request


_PERIODS = (
    *(f"2017-{m:02d}" for m in range(1, 13)),
    *(f"2017Q{q}" for q in range(1, 5)),
    "2017S1",
    "2017",
    "2016-12",
    "2016/2017",
    "2016-01-01/2017-07-13",
    "2017-03-01/2017-03-31",
)


@st.composite
def _dense_datasets(draw: st.DrawFn, *, people_only: bool = False) -> Dataset:
    """A generated dataset whose observations pile up where aggregation is interesting.

    The entities come from :func:`antq_core.testing.strategies.datasets`; the
    observations are redrawn from few periods (months, quarters, years, a crop
    season and ranges of 2016-2017), about every subject of the dataset, units
    of the metric's dimension, some qualifiers, disaggregations and decimals,
    and repeated rows, so that groups hold several rows, stocks have ties,
    periods overlap and some observations cannot be placed.

    ``people_only``: only distinct counts, only about participants (the
    polars engine then counts every row itself, see ``Scan.counted``).
    """
    base = draw(datasets(max_observations=0))
    metrics = [m for m in base.metrics.values() if m.numerator is None]
    subjects = [f"unit:{u.code}" for u in base.gazetteer]
    for kind, ids in (
        ("site", base.sites),
        ("initiative", base.initiatives),
        ("organization", base.organizations),
        ("participant", base.participants),
    ):
        subjects += [f"{kind}:{i}" for i in ids]
    if people_only:
        distinct = AggregationType.DISTINCT
        metrics = [m for m in metrics if distinct in (m.time_aggregation, m.space_aggregation)]
        subjects = [f"participant:{i}" for i in base.participants]
        assume(metrics and subjects)
    periods = draw(st.lists(st.sampled_from(_PERIODS), min_size=1, max_size=5, unique=True))
    by_dimension: dict[str, list[str]] = {}
    for unit in Unit.all().values():
        by_dimension.setdefault(unit.dimension, []).append(unit.code)

    @st.composite
    def observation(draw: st.DrawFn) -> Observation:
        metric = draw(st.sampled_from(metrics))
        unit = Unit.get(draw(st.sampled_from(by_dimension[metric.unit.dimension])))
        value: int | str = draw(st.integers(0, 50))
        if not unit.whole and draw(st.integers(0, 4)) == 0:
            value = f"{value}.{draw(st.integers(1, 99))}"
        disaggregation = {}
        if metric.categories and draw(st.booleans()):
            for category in draw(st.lists(st.sampled_from(metric.categories), unique=True)):
                options = [o.id for o in base.categories[category].options]
                disaggregation[category] = draw(st.sampled_from(options))
        return Observation(
            metric=metric.id,
            subject=draw(st.sampled_from(subjects)),
            period=draw(st.sampled_from(periods)),
            unit=unit,
            value=value,
            qualifier=draw(st.sampled_from(Qualifier)) if draw(st.booleans()) else "exact",
            disaggregation=disaggregation,
        )

    rows = draw(st.lists(observation(), min_size=8, max_size=40))
    rows += draw(st.lists(st.sampled_from(rows), max_size=3)) if rows else []
    return base.replace(observations=draw(st.permutations(rows)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), ds=st.one_of(_dense_datasets(), aggregation_datasets(max_observations=40)))
def test_engines_agree_row_for_row(data: st.DataObject, ds: Dataset) -> None:
    request = data.draw(_requests(ds))
    python = _outcome(ds, "python", request)
    assert _outcome(ds, "polars", request) == python
    assert _outcome(ds, "duckdb", request) == python
    if isinstance(python[0], type):
        event(f"refused: {python[0].__name__}")
    else:
        event(f"rows: {min(len(python[1]), 3)}+, unplaceable: {bool(python[2])}")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data(), ds=_dense_datasets(people_only=True))
def test_engines_agree_on_distinct_counts_of_people(data: st.DataObject, ds: Dataset) -> None:
    # Every row is a placeable participant record: the polars engine finishes
    # the distinct counts itself, the reference engine counts them in finish.
    request = data.draw(_requests(ds))
    python = _outcome(ds, "python", request)
    assert _outcome(ds, "polars", request) == python
    assert _outcome(ds, "duckdb", request) == python
    event(f"rows: {min(len(python[1]), 3)}+" if not isinstance(python[0], type) else "refused")


_PICKS = (AggregationType.LAST, AggregationType.FIRST, AggregationType.LAST_IN_PERIOD)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), ds=_dense_datasets())
def test_engines_agree_when_every_series_is_one_row(data: st.DataObject, ds: Dataset) -> None:
    # No figure repeated and one bucket per period (each row's own period, or
    # months of monthly rows): every placed series of a stock is one row, which
    # the polars engine takes as its own pick, with no group-by; rows outside
    # the periods asked for, or not placeable, still go through the group-by.
    seen: set[tuple[Any, ...]] = set()
    rows = []
    for o in ds.observations:
        key = (o.metric, o.subject, o.period, tuple(sorted(o.disaggregation.items())))
        if key not in seen:
            seen.add(key)
            rows.append(o)
    ds = ds.replace(observations=rows)
    observed = ds.observations.metric_ids
    stocks = sorted(m for m in observed if ds.metrics[m].time_aggregation in _PICKS)
    assume(stocks)
    request = data.draw(_requests(ds))
    request["metrics"] = data.draw(st.lists(st.sampled_from(stocks), min_size=1, unique=True))
    others = [n for n in request["by"] if n not in _TIMES]
    request["by"] = [*others, data.draw(st.sampled_from(("period", "month")))]
    python = _outcome(ds, "python", request)
    assert _outcome(ds, "polars", request) == python
    event(f"rows: {min(len(python[1]), 3)}+" if not isinstance(python[0], type) else "refused")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    ds=st.one_of(_dense_datasets(), aggregation_datasets(max_observations=40)),
    engine=st.sampled_from(("python", "polars", "duckdb")),
)
def test_a_rollup_equals_one_aggregate_per_level(
    data: st.DataObject, ds: Dataset, engine: str
) -> None:
    # One scan rolled up level by level gives each level's own aggregate.
    request = data.draw(_requests(ds))
    if data.draw(st.booleans()):
        request = {"metrics": request["metrics"], "by": request["by"]}  # no filters
    # Few other names, so that groups hold several rows.
    by = [name for name in request["by"] if name not in _LEVELS][: data.draw(st.integers(0, 2))]
    level = data.draw(st.sampled_from(_LEVELS))
    by.insert(data.draw(st.integers(0, len(by))), level)
    request["by"] = by
    levels = _LEVELS[: _LEVELS.index(level) + 1]
    own = {
        upper: _outcome(ds, engine, {**request, "by": [upper if n == level else n for n in by]})
        for upper in levels
    }
    refused = [o for o in own.values() if isinstance(o[0], type)]
    if refused:
        # Levels are finished from the top: the first level's own error.
        with pytest.raises(refused[0][0]) as raised:
            aggregate_rollup(ds, engine=engine, **request)
        assert str(raised.value) == refused[0][1]
        event(f"refused: {refused[0][0].__name__}")
        return
    tables = aggregate_rollup(ds, engine=engine, **request)
    assert list(tables) == list(levels)
    assert {upper: _plain(table) for upper, table in tables.items()} == own
    rows = [min(len(t), 3) for t in tables.values()]
    event(f"rows at the top: {rows[0]}+, at the bottom: {rows[-1]}+")


def test_a_rollup_needs_one_level() -> None:
    with pytest.raises(InvalidValueError, match="exactly one administrative level"):
        aggregate_rollup(sample(), "cases_resolved_jointly", by=["year"])
    with pytest.raises(InvalidValueError, match="exactly one administrative level"):
        aggregate_rollup(sample(), "cases_resolved_jointly", by=["district", "commune"])


@pytest.mark.parametrize(
    ("metrics", "by"),
    [
        (["cases_resolved_jointly"], ["district"]),
        (["cases_resolved_jointly"], ["commune"]),
        (["mass_organizations", "mass_organization_members"], ["province", "year"]),
        (["mediation_success_rate"], ["district", "period"]),
    ],
)
def test_engines_agree_on_the_sample(metrics: list[str], by: list[str]) -> None:
    ds = sample()
    request = {"metrics": [m for m in metrics if m in ds.metrics], "by": by}
    assert request["metrics"]
    python = _outcome(ds, "python", request)
    assert _outcome(ds, "polars", request) == python
    assert _outcome(ds, "duckdb", request) == python


# -- values the columns do not hold as 64-bit integers ------------------------------


def _flat(
    values: list[int | str], *, unit: str = "case", metric: str = "cases", **aggregation: str
) -> Dataset:
    gazetteer = Gazetteer.from_dict(
        {
            "format": "antq-gazetteer",
            "format_version": 1,
            "version": "t",
            "units": [
                {"code": "01", "name": "Tỉnh", "level": "province"},
                {"code": "001", "name": "Huyện", "level": "district", "parent": "01"},
            ],
        }
    )
    kind = "stock" if metric == "stock" else "flow"
    return Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Thử"),
        metrics=[
            MetricDefinition(
                id=metric, name_vi="Số", name_en="N", unit=unit, kind=kind, **aggregation
            )
        ],
        observations=[
            Observation(
                metric=metric,
                subject=f"unit:{'001' if i % 2 else '01'}",
                period=f"2017-{i % 12 + 1:02d}",
                unit=unit,
                value=v,
            )
            for i, v in enumerate(values)
        ],
    )


@pytest.mark.parametrize(
    "values",
    [
        [2**62, 2**62, 2**62, 1],  # sums beyond 64 bits
        [2**70, 5, 7],  # a value beyond 64 bits, kept aside by the store
        [2**63 - 1, 2**63 - 1],  # the largest the columns hold, twice
    ],
)
@pytest.mark.parametrize("by", [["province"], ["district", "month"], []])
def test_big_integers_sum_exactly(values: list[int | str], by: list[str]) -> None:
    ds = _flat(values)
    python = aggregate(ds, ["cases"], by=by, engine="python")
    for engine in ("polars", "duckdb"):
        assert _plain(aggregate(ds, ["cases"], by=by, engine=engine)) == _plain(python)
    if by == []:
        assert python[0].quantity is not None
        assert python[0].quantity.value == sum(values)


@pytest.mark.parametrize("metric", ["cases", "stock"])
@pytest.mark.parametrize("by", [["province"], ["district", "year"], ["period"]])
def test_decimals_kept_aside_are_counted(metric: str, by: list[str]) -> None:
    ds = _flat(["1.5", 2, "0.25", "1000.125", 3, 4], unit="ha", metric=metric)
    # The stock's province and district figures of one year enclose each other.
    overlap = "prefer_reported"
    python = _plain(aggregate(ds, [metric], by=by, engine="python", space_overlap=overlap))
    for engine in ("polars", "duckdb"):
        assert _plain(aggregate(ds, [metric], by=by, engine=engine, space_overlap=overlap)) == (
            python
        )


@pytest.mark.parametrize(
    "aggregation",
    [
        {"time_aggregation": "max", "space_aggregation": "max"},
        {"time_aggregation": "min", "space_aggregation": "sum"},
        {"time_aggregation": "average", "space_aggregation": "average"},
        {"time_aggregation": "count", "space_aggregation": "count"},
    ],
)
@pytest.mark.parametrize("values", [["1.5", 2, "0.25", 7], ["0.5", "1.25"]])
def test_decimals_in_series_metrics(aggregation: dict[str, str], values: list[int | str]) -> None:
    ds = _flat(values, unit="ha", **aggregation)
    for by in (["province"], ["district", "month"], []):
        python = _plain(aggregate(ds, ["cases"], by=by, engine="python"))
        for engine in ("polars", "duckdb"):
            assert _plain(aggregate(ds, ["cases"], by=by, engine=engine)) == python


def test_keys_too_wide_to_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    # With no room in 64 bits the engine groups on the key columns themselves
    # (and sums in 128-bit integers); the table is the same.
    from antq_core._aggregate import polars_engine

    ds = sample()
    metrics = sorted(ds.metrics)
    expected = _plain(aggregate(ds, metrics, by=["district", "year"], engine="python"))
    monkeypatch.setattr(polars_engine, "_INT64_MAX", 0)
    assert _plain(aggregate(ds, metrics, by=["district", "year"], engine="polars")) == expected


def test_a_second_call_reuses_what_the_first_learnt() -> None:
    ds = _flat([1, 2, 3, 2, 1])
    first = _plain(aggregate(ds, ["cases"], by=["province"], engine="polars"))
    assert _plain(aggregate(ds, ["cases"], by=["province"], engine="polars")) == first
    assert first == _plain(aggregate(ds, ["cases"], by=["province"], engine="python"))


# -- choosing an engine -------------------------------------------------------------


def test_auto_picks_python_for_small_data() -> None:
    assert aggregate(sample(), ["cases_resolved_jointly"], by=["district"]).engine == "python"


def test_auto_picks_polars_from_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    from antq_core._util import extras

    monkeypatch.setattr(extras, "AUTO_THRESHOLD", len(sample().observations))
    table = aggregate(sample(), ["cases_resolved_jointly"], by=["district"])
    assert table.engine == "polars"
    forced = aggregate(sample(), ["cases_resolved_jointly"], by=["district"], engine="python")
    assert forced.engine == "python"
    assert _plain(table) == _plain(forced)


def test_auto_falls_back_to_python_without_polars(monkeypatch: pytest.MonkeyPatch) -> None:
    from antq_core._util import extras

    monkeypatch.setattr(extras, "AUTO_THRESHOLD", 0)
    monkeypatch.setattr(extras, "polars_available", lambda: False)
    assert aggregate(sample(), ["cases_resolved_jointly"], by=["district"]).engine == "python"


def test_polars_engine_without_polars_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    with pytest.raises(MissingExtraError, match=r"antq_core\[dataframe\]") as info:
        aggregate(sample(), ["cases_resolved_jointly"], by=["district"], engine="polars")
    assert info.value.extra == "dataframe"


def test_duckdb_engine_without_duckdb_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # makes `import duckdb` fail
    with pytest.raises(MissingExtraError, match=r"antq_core\[duckdb\]"):
        aggregate(sample(), ["cases_resolved_jointly"], by=["district"], engine="duckdb")


# -- over Parquet files, not loaded ---------------------------------------------------


def _parquet_outcome(ds: Dataset, folder: Path, request: dict[str, Any]) -> Any:
    """:func:`_outcome` of ``aggregate_parquet`` over ``ds``'s observations written to Parquet."""
    try:
        table = aggregate_parquet(ds, folder, **request)
    except AntqError as e:
        return (type(e), str(e))
    assert table.engine == "duckdb"
    return _plain(table)


def _written(ds: Dataset, folder: Path) -> bool:
    """Write ``ds``'s observations as ``write_parquet`` does; ``False`` if they do not fit."""
    try:
        write_parquet(ds, folder / "observations.parquet")
    except ValuesDoNotFitError:
        return False
    return True


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), ds=st.one_of(_dense_datasets(), aggregation_datasets(max_observations=40)))
def test_parquet_gives_the_in_memory_table(data: st.DataObject, ds: Dataset) -> None:
    # The same request over the observations written to Parquet (and never loaded)
    # gives the loaded dataset's table: rows, qualifiers, contributing and missing
    # counts, unplaceable rows (by their position in the file), excluded rows, or
    # the same error.
    request = data.draw(_requests(ds))
    request["space_overlap"] = data.draw(st.sampled_from(("error", "prefer_reported")))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        assume(_written(ds, folder))
        python = _outcome(ds, "python", request)
        parquet = _parquet_outcome(ds, folder, request)
        assert parquet == python
        if not isinstance(python[0], type):
            loaded = aggregate(ds, engine="python", **request)
            assert aggregate_parquet(ds, folder, **request).excluded == loaded.excluded
            event(f"rows: {min(len(python[1]), 3)}+, unplaceable: {bool(python[2])}")
        else:
            event(f"same error: {python[0].__name__}")
