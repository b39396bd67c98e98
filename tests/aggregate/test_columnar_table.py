"""A table the polars engine keeps as columns reads as the reference engine's table.

For sums the polars engine finishes the rows as columns and makes
:class:`AggregateRow` values only when the table is iterated or indexed; every
way of reading the table must give what the pure-Python engine's table gives:
length, indexing (one row at a time, negative, out of range), iteration,
``to_dicts``, ``to_dict``, ``to_polars``, ``excluded`` and ``unplaceable``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("polars")
pytest.importorskip("pyarrow")

from antq_core import (
    AggregateTable,
    AggregationType,
    AntqError,
    Dataset,
    MetricKind,
    aggregate,
    aggregate_rollup,
)
from antq_core.testing.strategies import aggregation_datasets

_NAMES = ("province", "district", "commune", "village", "month", "quarter", "year", "period")


def _sum_metrics(ds: Dataset) -> list[str]:
    return sorted(
        m.id
        for m in ds.metrics.values()
        if m.kind is not MetricKind.RATIO
        and m.time_aggregation is AggregationType.SUM
        and m.space_aggregation is AggregationType.SUM
    )


def _tables(ds: Dataset, request: dict[str, Any]) -> tuple[AggregateTable, AggregateTable] | None:
    try:
        python = aggregate(ds, engine="python", **request)
    except AntqError:
        return None
    return python, aggregate(ds, engine="polars", **request)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Dataset, dict[str, Any]]:
    ds = draw(aggregation_datasets(max_observations=40))
    metrics = _sum_metrics(ds)
    assume(metrics)
    chosen = draw(st.lists(st.sampled_from(metrics), min_size=1, max_size=3, unique=True))
    by = draw(st.lists(st.sampled_from(_NAMES), max_size=2, unique=True))
    return ds, {"metrics": chosen, "by": by}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_cases(), data=st.data())
def test_a_columnar_table_reads_as_the_reference_table(
    case: tuple[Dataset, dict[str, Any]], data: st.DataObject
) -> None:
    ds, request = case
    tables = _tables(ds, request)
    assume(tables is not None)
    assert tables is not None
    python, _ = tables
    expected = list(python)

    def fresh() -> AggregateTable:
        return aggregate(ds, engine="polars", **request)

    assert len(fresh()) == len(expected)
    # One row at a time, before any other row is made.
    if expected:
        i = data.draw(st.integers(-len(expected), len(expected) - 1))
        assert fresh()[i] == expected[i]
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


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_cases())
def test_rolled_up_columnar_tables_read_as_the_reference_ones(
    case: tuple[Dataset, dict[str, Any]],
) -> None:
    ds, request = case
    level = "commune"
    by = [name for name in request["by"] if name not in _NAMES[:4]] + [level]
    try:
        python = aggregate_rollup(ds, request["metrics"], by, engine="python")
    except AntqError as e:
        with pytest.raises(type(e)):
            aggregate_rollup(ds, request["metrics"], by, engine="polars")
        return
    polars = aggregate_rollup(ds, request["metrics"], by, engine="polars")
    assert list(polars) == list(python)
    for name, table in python.items():
        assert list(polars[name]) == list(table)
        assert polars[name].to_dicts() == table.to_dicts()
        assert polars[name].unplaceable == table.unplaceable
