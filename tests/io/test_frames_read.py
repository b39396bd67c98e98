"""Reading the tidy observations table back: from_arrow and read_parquet."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from antq_core import Dataset
from antq_core.errors import DatasetLoadError, ValuesDoNotFitError
from antq_core.io.frames import from_arrow, read_parquet, to_arrow, write_parquet
from antq_core.testing.strategies import datasets


def _with_values(
    lai_chau: Dataset, values: list[Any], metric: str = "poppy_area_destroyed"
) -> Dataset:
    document = lai_chau.to_dict(include_sensitive=True)
    unit = {"poppy_area_destroyed": "ha"}.get(metric, "case")
    document["observations"] = [
        {"metric": metric, "subject": "unit:12", "period": f"{2000 + i}", "unit": unit,
         "value": value}
        for i, value in enumerate(values)
    ]  # fmt: skip
    return Dataset.from_dict(document)


def _replaced(table: pa.Table, name: str, column: Any) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, column)


def _problems(table: pa.Table, dataset: Dataset) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(DatasetLoadError) as caught:
        from_arrow(table, dataset=dataset)
    return [(p.location.row, p.location.field, p.message_en) for p in caught.value.problems]


def test_the_sample_reads_back(lai_chau: Dataset, tmp_path: Path) -> None:
    again = from_arrow(to_arrow(lai_chau), dataset=lai_chau)
    assert again.observations == lai_chau.observations
    assert again.sites == lai_chau.sites  # the rest is the dataset's own
    path = tmp_path / "observations.parquet"
    write_parquet(lai_chau, path)
    assert read_parquet(path, dataset=lai_chau).observations == lai_chau.observations
    strings = to_arrow(lai_chau, values="string")
    assert from_arrow(strings, dataset=lai_chau).observations == lai_chau.observations
    frame = pl.from_arrow(to_arrow(lai_chau))
    assert from_arrow(frame, dataset=lai_chau).observations == lai_chau.observations


def test_values_keep_every_digit(lai_chau: Dataset) -> None:
    values = [3, "5.8", "0.0001", 2**63 - 1, "12345678901234567890.5", "98765432109876543210"]
    dataset = _with_values(lai_chau, values)
    again = from_arrow(to_arrow(dataset), dataset=dataset)
    assert [o.value for o in again.observations] == [Decimal(str(v)) for v in values]
    assert again.observations == dataset.observations
    # Trailing zeros of the table's scale are not part of a value: 5.8 is read, not 5.8000.
    assert str(again.observations[1].value) == "5.8"
    assert again.to_dict()["observations"][1]["value"] == "5.8"


def test_row_groups_with_their_own_dictionaries(lai_chau: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "groups.parquet"
    pq.write_table(to_arrow(lai_chau), path, row_group_size=3)
    assert pq.ParquetFile(path).num_row_groups > 1
    assert read_parquet(path, dataset=lai_chau).observations == lai_chau.observations


def test_plain_columns_and_no_derived_columns(lai_chau: Dataset) -> None:
    """Columns need not be dictionaries; derived ones may be left out; values may be integers."""
    table = to_arrow(lai_chau)
    plain = pa.table(
        {
            name: table.column(name).cast(pa.string())
            for name in ("metric", "subject_kind", "subject_id", "period", "unit", "qualifier")
        }
        | {"value": table.column("value").cast(pa.int64())}
        | {name: table.column(name) for name in table.column_names if name.startswith("by_")}
        | {"note": table.column("note"), "source": table.column("source")}
    )
    assert from_arrow(plain, dataset=lai_chau).observations == lai_chau.observations


def test_bad_rows_are_located(lai_chau: Dataset) -> None:
    table = to_arrow(lai_chau)
    n = table.num_rows
    periods = ["2017Q9" if i == 2 else p for i, p in enumerate(table.column("period").to_pylist())]
    found = _problems(_replaced(table, "period", pa.array(periods)), lai_chau)
    # Only the period: derived columns are compared once every row has read.
    assert [(row, field) for row, field, _ in found] == [(2, "period")]
    assert "quarter" in found[0][2]
    units = [
        "no-such-unit" if i == 0 else u for i, u in enumerate(table.column("unit").to_pylist())
    ]
    assert _problems(_replaced(table, "unit", pa.array(units)), lai_chau)[0][:2] == (0, "unit")
    metrics = [None if i == n - 1 else m for i, m in enumerate(table.column("metric").to_pylist())]
    assert _problems(_replaced(table, "metric", pa.array(metrics)), lai_chau) == [
        (n - 1, "metric", "a value is required")
    ]
    kinds = [
        "planet" if i == 1 else k for i, k in enumerate(table.column("subject_kind").to_pylist())
    ]
    assert _problems(_replaced(table, "subject_kind", pa.array(kinds)), lai_chau)[0][:2] == (
        1,
        "subject_kind",
    )
    qualifiers = ["roughly"] * n
    assert {
        r[1] for r in _problems(_replaced(table, "qualifier", pa.array(qualifiers)), lai_chau)
    } == {"qualifier"}


def test_values_are_checked(lai_chau: Dataset) -> None:
    table = to_arrow(_with_values(lai_chau, [1, 2, 3]))
    dataset = _with_values(lai_chau, [1, 2, 3])
    negative = _replaced(table, "value", pa.array([Decimal(1), Decimal(-2), Decimal(3)]))
    [(row, field, message)] = _problems(negative, dataset)
    assert (row, field) == (1, "value")
    assert "not signed" in message
    floats = _replaced(table, "value", pa.array([1.0, 2.0, 3.0]))
    [(row, field, message)] = _problems(floats, dataset)
    assert (row, field) == (None, "value")
    assert "never floats" in message
    nulls = _replaced(
        table, "value", pa.array([Decimal(1), None, Decimal(3)], pa.decimal128(38, 0))
    )
    assert _problems(nulls, dataset) == [(1, "value", "a value is required")]
    text = _replaced(table, "value", pa.array(["1", "zwei", "3"]))
    assert _problems(text, dataset)[0][:2] == (1, "value")
    # a whole-number unit refuses a fraction
    cases = to_arrow(_with_values(lai_chau, [1, 2], metric="tips_received"))
    cases_ds = _with_values(lai_chau, [1, 2], metric="tips_received")
    half = _replaced(
        cases, "value", pa.array([Decimal("1.5"), Decimal("2.0")], pa.decimal128(38, 1))
    )
    assert _problems(half, cases_ds)[0][:2] == (0, "value")
    whole = _replaced(
        cases, "value", pa.array([Decimal("1.0"), Decimal("2.0")], pa.decimal128(38, 1))
    )
    assert [o.value for o in from_arrow(whole, dataset=cases_ds).observations] == [1, 2]


def test_derived_columns_must_agree(lai_chau: Dataset) -> None:
    table = to_arrow(lai_chau)
    districts = [
        "999" if i == 4 else d for i, d in enumerate(table.column("district").to_pylist())
    ]
    assert _problems(_replaced(table, "district", pa.array(districts)), lai_chau) == [
        (
            4,
            "district",
            "does not agree with the row's subject and period, from which it is derived",
        )
    ]


def test_columns_are_checked(lai_chau: Dataset) -> None:
    table = to_arrow(lai_chau)
    extra = table.append_column("comment", pa.array(["x"] * table.num_rows))
    assert _problems(extra, lai_chau) == [
        (None, "comment", "not a column of the observations table")
    ]
    missing = table.drop_columns(["unit"])
    assert _problems(missing, lai_chau) == [(None, "unit", "the column is missing")]
    twice = table.append_column("note", table.column("note"))
    assert (None, "note", "the column appears twice") in _problems(twice, lai_chau)


def test_a_file_that_is_not_parquet(lai_chau: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "observations.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(DatasetLoadError) as caught:
        read_parquet(path, dataset=lai_chau)
    assert caught.value.problems[0].location.file == str(path)
    with pytest.raises(DatasetLoadError):
        read_parquet(tmp_path / "absent.parquet", dataset=lai_chau)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=30))
def test_generated_datasets_read_back(dataset: Dataset) -> None:
    for values in ("decimal", "string"):
        try:
            table = to_arrow(dataset, values=values)
        except ValuesDoNotFitError:  # too wide for decimal128: to_arrow's own refusal
            continue
        again = from_arrow(table, dataset=dataset)
        assert again.observations == dataset.observations
        assert [o.value for o in again.observations] == [o.value for o in dataset.observations]


def test_batches_number_rows_from_the_table_start(lai_chau: Dataset) -> None:
    table = to_arrow(lai_chau)
    n = table.num_rows
    periods = ["2017Q9" if i == 2 else p for i, p in enumerate(table.column("period").to_pylist())]
    bad = _replaced(table, "period", pa.array(periods).dictionary_encode())
    both = pa.concat_tables([table, bad], promote_options="permissive")
    assert len(both.to_batches()) == 2
    assert [(row, field) for row, field, _ in _problems(both, lai_chau)] == [(n + 2, "period")]
    good = pa.concat_tables([table, table], promote_options="permissive")
    again = from_arrow(good, dataset=lai_chau)
    assert list(again.observations) == [*lai_chau.observations, *lai_chau.observations]
