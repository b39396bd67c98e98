"""``aggregate_parquet``: the loaded dataset's table, from Parquet files DuckDB reads.

The law over generated datasets is in ``test_aggregate_engines.py``
(``test_parquet_gives_the_in_memory_table``); these are worked cases: the
bundled sample, several files, stocks, errors and refusals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

import pyarrow as pa
import pyarrow.parquet as pq

from antq_core import (
    AggregateTable,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    Initiative,
    InitiativeTheme,
    MetricDefinition,
    Observation,
    Site,
    aggregate,
    aggregate_parquet,
    sample,
)
from antq_core.errors import (
    InvalidValueError,
    OverlappingPeriodsError,
    SpaceOverlapError,
    UnsupportedAggregationError,
)
from antq_core.io.frames import write_parquet


def _plain(table: AggregateTable) -> tuple[Any, ...]:
    rows = tuple(
        (
            tuple(row.keys.items()),
            row.metric,
            row.quantity,
            row.observations,
            row.missing,
            row.source,
        )
        for row in table
    )
    return rows, table.unplaceable, table.excluded


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parquet") / "observations.parquet"
    write_parquet(sample(), path)
    return path


@pytest.mark.parametrize(
    "by",
    [[], ["province"], ["district"], ["commune"], ["village"], ["district", "year"], ["period"]],
)
def test_every_metric_of_the_sample(sample_file: Path, by: list[str]) -> None:
    ds = sample()
    for metric in sorted(ds.metrics):
        loaded = aggregate(ds, [metric], by=by, engine="python")
        table = aggregate_parquet(ds, sample_file, [metric], by=by)
        assert table.engine == "duckdb"
        assert _plain(table) == _plain(loaded)


def test_parts_stand_for_a_figure_as_in_memory(sample_file: Path) -> None:
    # The cluster site's employed figure is reported undivided and by capital
    # source: the undivided value counts and its parts are excluded (grouped by
    # district), or the parts count (grouped by capital source), decided per figure.
    ds = sample()
    metric = "released_prisoners_employed"
    for by in (["district"], ["district", "capital_source"]):
        table = aggregate_parquet(ds, sample_file, metric, by=by)
        assert len(table) > 0
        assert _plain(table) == _plain(aggregate(ds, metric, by=by))
    excluded = aggregate_parquet(ds, sample_file, metric, by=["district"]).excluded
    assert {e.code.value for e in excluded} == {"part_of_counted"}


def test_qualifiers_missing_counts_and_unplaceable_rows(sample_file: Path) -> None:
    ds = sample()
    metrics = sorted(m for m in ds.metrics if m != "released_prisoners_employed")
    loaded = aggregate(ds, metrics, by=["commune"])
    table = aggregate_parquet(ds, sample_file, metrics, by=["commune"])
    assert table.unplaceable  # the cluster site spans three communes
    assert table.unplaceable == loaded.unplaceable
    assert [r.missing for r in table] == [r.missing for r in loaded]
    assert _plain(table) == _plain(loaded)
    by_province = aggregate_parquet(ds, sample_file, metrics, by=["province"])
    qualifiers = {r.quantity.qualifier for r in by_province if r.quantity is not None}
    assert len(qualifiers) > 1  # "at least" figures as well as exact ones
    assert _plain(by_province) == _plain(aggregate(ds, metrics, by=["province"]))
    by_district = aggregate_parquet(ds, sample_file, metrics, by=["district"])
    assert any(r.missing for r in by_district)


def test_several_files_in_order_and_a_directory(tmp_path: Path) -> None:
    ds = sample()
    n = len(ds.observations)
    first, second = tmp_path / "a-part1.parquet", tmp_path / "b-part2.parquet"
    write_parquet(ds.replace(observations=ds.observations[: n // 2]), first)
    write_parquet(ds.replace(observations=ds.observations[n // 2 :]), second)
    metrics = ["cases_resolved_jointly", "mass_organizations", "initiatives"]
    loaded = aggregate(ds, metrics, by=["commune"])
    # Row indexes count on from one file to the next, as in the loaded dataset.
    for source in ([first, second], tmp_path):
        table = aggregate_parquet(ds, source, metrics, by=["commune"])
        assert _plain(table) == _plain(loaded)


def _gazetteer() -> Gazetteer:
    return Gazetteer.from_dict(
        {
            "format": "antq-gazetteer",
            "format_version": 1,
            "version": "t",
            "units": [
                {"code": "01", "name": "Tỉnh", "level": "province"},
                {"code": "001", "name": "Huyện Một", "level": "district", "parent": "01"},
                {"code": "002", "name": "Huyện Hai", "level": "district", "parent": "01"},
                {"code": "003", "name": "Huyện Ba", "level": "district", "parent": "01"},
            ],
        }
    )


def _stocks(rows: list[tuple[str, str, int | str, str]]) -> Dataset:
    return Dataset(
        gazetteer=_gazetteer(),
        metadata=DatasetMetadata(title_vi="Thử"),
        metrics=[
            MetricDefinition(
                id="teams", name_vi="Tổ", name_en="Teams", unit="organization", kind="stock"
            ),
            MetricDefinition(
                id="area", name_vi="Diện tích", name_en="Area", unit="ha", kind="flow"
            ),
        ],
        observations=[
            Observation(
                metric="teams" if unit == "organization" else "area",
                subject=f"unit:{code}",
                period=period,
                unit=unit,
                value=value,
                qualifier="at_least" if code == "003" else "exact",
            )
            for code, period, value, unit in rows
        ],
    )


def test_stocks_take_the_last_value_per_unit_then_sum(tmp_path: Path) -> None:
    ds = _stocks(
        [
            ("001", "2017-03", 4, "organization"),
            ("001", "2017-11", 6, "organization"),
            ("002", "2017-05", 3, "organization"),
            ("003", "2017-12", 2, "organization"),
            ("001", "2017-01", "1.25", "ha"),
            ("002", "2017-02", "2.5", "ha"),
            ("003", "2017-02", 7, "ha"),
        ]
    )
    write_parquet(ds, tmp_path / "obs.parquet")
    for by in (["province", "year"], ["district", "quarter"], ["year"]):
        loaded = aggregate(ds, ["teams", "area"], by=by)
        table = aggregate_parquet(ds, tmp_path, ["teams", "area"], by=by)
        assert _plain(table) == _plain(loaded)
    (teams, area) = aggregate_parquet(ds, tmp_path, ["teams", "area"], by=["province", "year"])
    assert teams.quantity is not None
    assert area.quantity is not None
    assert (teams.quantity.value, str(teams.quantity.qualifier)) == (11, "at_least")
    assert area.quantity.value == 7 + 2.5 + 1.25


def test_repeated_figures_are_refused_with_the_same_rows(tmp_path: Path) -> None:
    ds = _stocks(
        [("001", "2017-01", 1, "ha"), ("002", "2017-01", 2, "ha"), ("001", "2017-01", 3, "ha")]
    )
    write_parquet(ds, tmp_path / "obs.parquet")
    with pytest.raises(OverlappingPeriodsError) as loaded:
        aggregate(ds, "area", by=["province"])
    with pytest.raises(OverlappingPeriodsError) as parquet:
        aggregate_parquet(ds, tmp_path, "area", by=["province"])
    assert parquet.value.rows == loaded.value.rows == ((0, 2),)
    assert str(parquet.value) == str(loaded.value)


def test_figures_that_enclose_others_as_in_memory(tmp_path: Path) -> None:
    ds = _stocks(
        [("01", "2017-01", 9, "ha"), ("001", "2017-01", 2, "ha"), ("002", "2017-01", 1, "ha")]
    )
    write_parquet(ds, tmp_path / "obs.parquet")
    with pytest.raises(SpaceOverlapError) as loaded:
        aggregate(ds, "area", by=["province"])
    with pytest.raises(SpaceOverlapError) as parquet:
        aggregate_parquet(ds, tmp_path, "area", by=["province"])
    assert str(parquet.value) == str(loaded.value)
    preferred = aggregate_parquet(
        ds, tmp_path, "area", by=["province"], space_overlap="prefer_reported"
    )
    assert _plain(preferred) == _plain(
        aggregate(ds, "area", by=["province"], space_overlap="prefer_reported")
    )
    (row,) = preferred
    assert row.quantity is not None
    assert (row.quantity.value, row.source.value) == (9, "reported")
    assert len(preferred.excluded) == 2


def _communes() -> Gazetteer:
    return Gazetteer.from_dict(
        {
            "format": "antq-gazetteer",
            "format_version": 1,
            "version": "t",
            "units": [
                {"code": "01", "name": "Tỉnh", "level": "province"},
                {"code": "001", "name": "Huyện Một", "level": "district", "parent": "01"},
                {"code": "002", "name": "Huyện Hai", "level": "district", "parent": "01"},
                {"code": "00101", "name": "Xã Một", "level": "commune", "parent": "001"},
                {"code": "00102", "name": "Xã Hai", "level": "commune", "parent": "001"},
                {"code": "00201", "name": "Xã Ba", "level": "commune", "parent": "002"},
            ],
        }
    )


def _figures(rows: list[tuple[str, str, int]]) -> Dataset:
    theme = InitiativeTheme(id="t", name_vi="t", name_en="t")
    return Dataset(
        gazetteer=_communes(),
        metadata=DatasetMetadata(title_vi="Thử"),
        metrics=[
            MetricDefinition(
                id="area", name_vi="Diện tích", name_en="Area", unit="ha", kind="flow"
            )
        ],
        themes=[theme],
        initiatives=[Initiative(id="i", name_vi="i", theme="t")],
        sites=[Site(id="s", initiative="i", admin_units=["00201"])],
        observations=[
            Observation(metric="area", subject=subject, period=period, unit="ha", value=value)
            for subject, period, value in rows
        ],
    )


@pytest.mark.parametrize(
    "rows",
    [
        # A district's figure and one of its communes' (the other district's commune adds up).
        [("unit:001", "2017-01", 9), ("unit:00101", "2017-01", 2), ("unit:00201", "2017-01", 5)],
        # A province's figure and a commune's two levels under it, no district between.
        [("unit:01", "2017", 20), ("unit:00201", "2017-03", 4), ("unit:00102", "2017-04", 1)],
        # The same, beside a unit missing from the gazetteer (unplaceable, not enclosing).
        [("unit:001", "2017", 9), ("unit:00102", "2017-02", 3), ("unit:99999", "2017", 7)],
        # A site's figure and the commune it lies in.
        [("site:s", "2017-01", 6), ("unit:00201", "2017-01", 8), ("unit:00101", "2017-01", 1)],
    ],
)
def test_enclosing_figures_are_found_as_by_every_engine(
    tmp_path: Path, rows: list[tuple[str, str, int]]
) -> None:
    ds = _figures(rows)
    write_parquet(ds, tmp_path / "obs.parquet")
    with pytest.raises(SpaceOverlapError) as parquet:
        aggregate_parquet(ds, tmp_path, "area", by=["province"])
    for engine in ("python", "polars", "duckdb"):
        with pytest.raises(SpaceOverlapError) as loaded:
            aggregate(ds, "area", by=["province"], engine=engine)
        assert str(parquet.value) == str(loaded.value)
        assert parquet.value.rows == loaded.value.rows
    for by in (["province"], ["province", "year"], []):
        preferred = aggregate_parquet(ds, tmp_path, "area", by=by, space_overlap="prefer_reported")
        assert preferred.excluded
        assert {str(e.code) for e in preferred.excluded} == {"covered_by_reported"}
        for engine in ("python", "polars", "duckdb"):
            assert _plain(preferred) == _plain(
                aggregate(ds, "area", by=by, space_overlap="prefer_reported", engine=engine)
            )


def test_values_written_as_strings_are_refused(tmp_path: Path) -> None:
    write_parquet(sample(), tmp_path / "obs.parquet", values="string")
    with pytest.raises(UnsupportedAggregationError, match="VARCHAR"):
        aggregate_parquet(sample(), tmp_path, "cases_resolved_jointly", by="district")


def test_files_without_the_written_columns_are_refused(tmp_path: Path) -> None:
    pq.write_table(pa.table({"metric": ["cases"], "value": [1]}), tmp_path / "other.parquet")
    with pytest.raises(UnsupportedAggregationError, match="no column subject_kind"):
        aggregate_parquet(sample(), tmp_path, "cases_resolved_jointly", by="district")


def test_no_such_source(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError, match="no such Parquet file"):
        aggregate_parquet(sample(), tmp_path / "missing.parquet", "cases_resolved_jointly")
    with pytest.raises(InvalidValueError, match="no Parquet file found"):
        aggregate_parquet(sample(), tmp_path, "cases_resolved_jointly")


def test_suppression_and_duckdb_settings(sample_file: Path) -> None:
    ds = sample()
    metric = "mass_organization_members"
    loaded = aggregate(ds, metric, by=["district"], suppress_below=5)
    table = aggregate_parquet(
        ds,
        sample_file,
        metric,
        by=["district"],
        suppress_below=5,
        duckdb_config={"memory_limit": "256MB", "threads": "1"},
    )
    assert _plain(table) == _plain(loaded)
    assert table.suppressed_below == 5


def test_rows_with_unknown_labels_are_refused_not_dropped(tmp_path: Path) -> None:
    write_parquet(sample(), tmp_path / "obs.parquet")
    table = pq.read_table(tmp_path / "obs.parquet")
    qualifiers = table.column("qualifier").to_pylist()
    qualifiers[0] = "roughly"  # none of the qualifiers
    changed = table.set_column(
        table.schema.get_field_index("qualifier"), "qualifier", pa.array(qualifiers)
    )
    pq.write_table(changed, tmp_path / "obs.parquet")
    with pytest.raises(InvalidValueError, match="1 of 14 rows"):
        aggregate_parquet(sample(), tmp_path, "cases_resolved_jointly", by="district")


def test_excluded_rows_are_read_again_from_unchanged_files(tmp_path: Path) -> None:
    ds = sample()
    metric = "released_prisoners_employed"
    write_parquet(ds, tmp_path / "obs.parquet")
    table = aggregate_parquet(ds, tmp_path, metric, by=["district"])
    assert table.excluded == aggregate(ds, metric, by=["district"]).excluded
    changed = aggregate_parquet(ds, tmp_path, metric, by=["district"])
    write_parquet(ds.replace(observations=ds.observations[:3]), tmp_path / "obs.parquet")
    with pytest.raises(InvalidValueError, match="the files changed"):
        _ = changed.excluded
