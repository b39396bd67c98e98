"""The store's one builder: tables interned, whole columns appended, the store handed over."""

from __future__ import annotations

from array import array
from decimal import Decimal
from pathlib import Path

import pytest

from antq_core import (
    Dataset,
    ObservationStore,
    Period,
    Qualifier,
    SubjectRef,
    Unit,
    bundled_gazetteer,
)
from antq_core._dataset.store import QUALIFIER_INDEX, StoreBuilder, shared_column
from antq_core.errors import DatasetLoadError


def _builder() -> StoreBuilder:
    return StoreBuilder(
        metrics=["initiatives", "area"],
        subjects=[SubjectRef.parse("unit:12")],
        periods=[Period.parse("2017")],
        units=[Unit.get("initiative"), Unit.get("m2")],
    )


def test_batches_make_the_store_that_models_make(lai_chau: Dataset) -> None:
    rows = list(lai_chau.observations)
    builder = StoreBuilder()
    builder.append_all(rows[:5])
    builder.append_all(rows[5:])
    assert builder.build() == lai_chau.observations == ObservationStore.from_observations(rows)


def test_columns_of_several_batches_with_exact_values_and_defaults() -> None:
    b = _builder()
    at_least = QUALIFIER_INDEX[Qualifier.AT_LEAST]
    b.extend(metric=[0], subject=[0], period=[0], unit=[0], value=[32])
    b.extend(
        metric=array("I", [1, 1]),
        subject=[0, 0],
        period=[0, b.periods.add(Period.parse("2016"))],
        unit=array("H", [1, 1]),
        value=array("q", [0, 7]),
        qualifier=[0, at_least],
        note=[0, b.texts.add("ước tính")],
        exact={0: Decimal("5.8")},  # row 0 of this batch: row 1 of the store
    )
    store = b.build()
    assert [o.value for o in store] == [32, Decimal("5.8"), 7]
    assert [o.qualifier for o in store] == [Qualifier.EXACT, Qualifier.EXACT, Qualifier.AT_LEAST]
    assert [o.note for o in store] == [None, None, "ước tính"]
    assert store[2].period == Period.parse("2016")
    assert store.metric_ids == ("initiatives", "area")
    cols = store.columns()
    assert list(cols.unit) == [0, 1, 1]
    assert dict(cols.exact) == {1: Decimal("5.8")}


def test_a_built_store_never_changes() -> None:
    b = _builder()
    codes = array("I", [0])
    b.extend(metric=codes, subject=[0], period=[0], unit=[0], value=[1])
    store = b.build()
    with pytest.raises(RuntimeError, match="built"):
        b.extend(metric=[0], subject=[0], period=[0], unit=[0], value=[2])
    with pytest.raises(RuntimeError):
        b.metrics.add("other")
    with pytest.raises(RuntimeError):
        b.build()
    assert len(store) == 1
    assert store.metric_ids == ("initiatives", "area")


def test_a_lineage_is_the_unit_and_its_ancestors_nearest_first() -> None:
    gaz = bundled_gazetteer()
    lineage = gaz.lineage("03604")
    assert lineage == ("03604", *(u.code for u in gaz.ancestors("03604")))
    assert all(gaz.is_within("03604", c) for c in lineage)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ('{"format": "antq-dataset"}'.encode("utf-16"), "UTF-16"),
        ('{"format": "antq-dataset"}'.encode("utf-32"), "UTF-32"),
        ('{"format": "antq-dataset"}'.encode("utf-16-le"), "UTF-16"),
    ],
)
def test_both_readers_name_an_encoding_alike(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    messages = []
    for stream in (False, True):
        with pytest.raises(DatasetLoadError) as info:
            Dataset.load(path, stream=stream, progress=False)
        messages.append([p.message_en for p in info.value.problems])
    assert messages[0] == messages[1]
    assert name in messages[0][0]


def test_a_kept_column_is_shared_and_anything_else_copied() -> None:
    b = StoreBuilder(metrics=["m"], units=[Unit.get("case")])
    s = b.subjects.add(SubjectRef.parse("unit:12"))
    b.extend(metric=[0, 0, 0], subject=[s] * 3, period=[0] * 3, unit=[0] * 3, value=[1, 2, 3])
    cols = b.build().columns()
    value = shared_column(cols.value, "q")
    assert value is cols.value.obj  # the store's own array: no copy
    assert list(value) == [1, 2, 3]
    part = shared_column(cols.value[1:], "q")  # part of a column: a copy of it
    assert part is not cols.value.obj
    assert list(part) == [2, 3]
