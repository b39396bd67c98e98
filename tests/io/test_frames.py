"""Data frames: the tidy observations table in Arrow, polars, pandas and Parquet."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings

from antq_core import AdminLevel, Dataset, SubjectKind
from antq_core.errors import InvalidValueError, MissingExtraError, ValuesDoNotFitError
from antq_core.io.frames import FRAME_COLUMNS, to_arrow, to_pandas, to_polars, write_parquet
from antq_core.testing.strategies import datasets

LEVELS = ("province", "district", "commune", "village")


def expected_rows(dataset: Dataset) -> list[dict[str, Any]]:
    """The table, row by row, computed from the observation models (the slow, obvious way)."""
    rows = []
    for o in dataset.observations:
        subject = o.subject
        code: str | None
        if subject.kind is SubjectKind.UNIT:
            code = subject.id
        elif subject.kind is SubjectKind.SITE:
            try:
                code = dataset.site_anchor(dataset.site(subject.id)).code
            except InvalidValueError:  # its units lie in different provinces
                code = None
        elif subject.kind is SubjectKind.ORGANIZATION:
            code = dataset.organization(subject.id).admin_unit
        elif subject.kind is SubjectKind.PARTICIPANT:
            code = dataset.participant(subject.id).admin_unit
        else:
            code = dataset.initiative(subject.id).scope
        levels: dict[str, str | None] = dict.fromkeys(LEVELS)
        if code is not None:
            for name in LEVELS:  # the frame's level columns (no country column)
                unit = dataset.gazetteer.ancestor_at(code, AdminLevel(name))
                levels[name] = None if unit is None else unit.code
        rows.append(
            {
                "metric": o.metric,
                "subject_kind": subject.kind.value,
                "subject_id": subject.id,
                **levels,
                "period": str(o.period),
                "period_start": o.period.start,
                "period_end": o.period.end,
                "period_kind": o.period.kind.value,
                "value": o.value,
                "unit": o.unit.code,
                "qualifier": o.qualifier.value,
                "source": o.source,
                "note": o.note,
                **{f"by_{c}": v for c, v in o.disaggregation.items()},
            }
        )
    return rows


def check_table(dataset: Dataset, table: pa.Table) -> None:
    categories = sorted({c for o in dataset.observations for c in o.disaggregation})
    assert table.column_names == [*FRAME_COLUMNS, *(f"by_{c}" for c in categories)]
    assert table.num_rows == len(dataset.observations)
    for name in table.column_names:
        kind = table.schema.field(name).type
        if name in ("period_start", "period_end"):
            assert kind == pa.date32()
        elif name == "value":
            assert pa.types.is_decimal128(kind)
        else:
            assert pa.types.is_dictionary(kind), name
            assert kind.value_type == pa.string()
    got = table.to_pylist()
    for row, want in zip(got, expected_rows(dataset), strict=True):
        assert row == {**dict.fromkeys(f"by_{c}" for c in categories), **want}
        assert isinstance(row["value"], Decimal)


def test_sample_table(lai_chau: Dataset) -> None:
    table = to_arrow(lai_chau)
    check_table(lai_chau, table)
    assert table.column("value").type == pa.decimal128(38, 0)
    rows = table.to_pylist()
    cluster = rows[-1]
    assert cluster["subject_id"] == "site-cum-giap-ranh"
    assert (cluster["province"], cluster["district"], cluster["commune"]) == ("12", "106", None)
    assert cluster["value"] == 4810
    poppy = next(r for r in rows if r["metric"] == "poppy_area_destroyed")
    assert (poppy["period_kind"], poppy["period_start"], poppy["qualifier"]) == (
        "crop_season",
        dt.date(2016, 9, 1),
        "at_least",
    )
    parts = [r["by_capital_source"] for r in rows if r["metric"] == "released_prisoners_employed"]
    assert parts == [None, "policy_bank_or_credit_fund", "family", "own_effort"]


def test_no_personal_data(lai_chau: Dataset) -> None:
    names = [p.full_name for p in lai_chau.participants.values() if p.full_name]
    assert names  # the sample names its exemplars
    text = str(to_arrow(lai_chau).to_pylist())
    assert not any(name in text for name in names)


def _with_values(lai_chau: Dataset, values: list[Any]) -> Dataset:
    document = lai_chau.to_dict(include_sensitive=True)
    document["observations"] = [
        {"metric": "poppy_area_destroyed", "subject": "unit:12", "period": f"{2000 + i}",
         "unit": "ha", "value": value}
        for i, value in enumerate(values)
    ]  # fmt: skip
    return Dataset.from_dict(document)


def test_decimals_keep_every_digit(lai_chau: Dataset) -> None:
    values = [3, "5.8", "0.0001", 2**63 - 1, "12345678901234567890.5"]
    dataset = _with_values(lai_chau, values)
    table = to_arrow(dataset)
    assert table.column("value").type == pa.decimal128(38, 4)
    assert table.column("value").to_pylist() == [Decimal(str(v)) for v in values]
    check_table(dataset, table)
    strings = to_arrow(dataset, values="string").column("value")
    assert strings.type == pa.string()
    assert strings.to_pylist() == [str(v) for v in values]
    # polars and pandas keep them exact too
    assert to_polars(dataset)["value"].to_list() == [Decimal(str(v)) for v in values]
    assert list(to_pandas(dataset)["value"]) == [Decimal(str(v)) for v in values]


def test_values_too_wide_for_decimal128(lai_chau: Dataset) -> None:
    wide = "123456789012345678901234567890.123456789"
    dataset = _with_values(lai_chau, [wide])
    with pytest.raises(ValuesDoNotFitError, match="values='string'") as caught:
        to_arrow(dataset)
    assert (caught.value.digits, caught.value.scale) == (30, 9)
    assert to_arrow(dataset, values="string").column("value").to_pylist() == [wide]


def test_empty_dataset(lai_chau: Dataset) -> None:
    dataset = _with_values(lai_chau, [])
    table = to_arrow(dataset)
    assert table.num_rows == 0
    assert table.column_names == list(FRAME_COLUMNS)
    assert to_polars(dataset).height == 0


def test_polars_and_pandas_types(lai_chau: Dataset) -> None:
    frame = to_polars(lai_chau)
    assert frame.columns == to_arrow(lai_chau).column_names
    assert frame.schema["metric"] == pl.Categorical
    assert frame.schema["period_start"] == pl.Date
    assert isinstance(frame.schema["value"], pl.Decimal)
    total = frame.filter(pl.col("metric") == "mass_organizations")["value"].sum()
    assert total == Decimal(5817)
    pandas = to_pandas(lai_chau)
    assert isinstance(pandas["metric"].dtype, pd.CategoricalDtype)
    assert pandas["subject_id"].tolist() == [str(o.subject.id) for o in lai_chau.observations]


def test_parquet_round_trip(lai_chau: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "observations.parquet"
    write_parquet(lai_chau, path)
    back = pq.read_table(path)
    assert back.to_pylist() == to_arrow(lai_chau).to_pylist()
    assert back.schema.field("value").type == pa.decimal128(38, 0)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=30))
def test_generated_tables(dataset: Dataset) -> None:
    check_table(dataset, to_arrow(dataset))
    strings = to_arrow(dataset, values="string").column("value").to_pylist()
    assert [Decimal(s) for s in strings] == [o.value for o in dataset.observations]


@pytest.mark.parametrize(
    ("function", "missing"),
    [
        (to_arrow, "pyarrow"),
        (to_polars, "polars"),
        (to_pandas, "pandas"),
        (write_parquet, "pyarrow.parquet"),
    ],
)
def test_missing_extra(
    function: Any, missing: str, lai_chau: Dataset, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    args = (tmp_path / "x.parquet",) if function is write_parquet else ()
    with pytest.raises(MissingExtraError, match=r"pip install 'antq_core\[dataframe\]'") as caught:
        function(lai_chau, *args)
    assert (caught.value.module, caught.value.extra) == (missing, "dataframe")
    assert isinstance(caught.value, ImportError)


def test_subjects_that_cannot_be_placed(lai_chau: Dataset) -> None:
    """Dangling references and broken geography give nulls, not errors: validation reports them."""
    document = lai_chau.to_dict(include_sensitive=True)
    document["gazetteer"]["units"].append(
        {"code": "999", "name": "Orphan", "level": "commune", "parent": "998"}
    )
    document["observations"] = [
        {"metric": "recidivists", "subject": subject, "period": "2017", "unit": "person",
         "value": 1}
        for subject in ("site:nowhere", "unit:999", "unit:00000", "organization:none",
                        "initiative:none", "unit:03589")
    ]  # fmt: skip
    dataset = Dataset.from_dict(document)
    rows = to_arrow(dataset).to_pylist()
    places = [tuple(row[level] for level in LEVELS) for row in rows]
    assert places[:5] == [(None, None, None, None)] * 5
    assert places[5] == ("12", "109", "03589", None)
