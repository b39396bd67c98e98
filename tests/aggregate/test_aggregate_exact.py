"""Aggregation of huge and long decimals is exact, with both engines and in roll-ups.

Values may have 30 digits before the decimal mark and 90 in all; Python's
default decimal context keeps 28. Every sum, mean and conversion of the
engines and of the finishing step goes through :mod:`antq_core._values.exact`,
so no row is ever rounded on the way (a mean that cannot be written exactly is
rounded on purpose, and says ``approximately``).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("polars")
pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

from antq_core import (
    AggregateTable,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    Observation,
    Qualifier,
    aggregate,
    aggregate_rollup,
)

ENGINES = ("python", "polars", "duckdb")
HUGE = "99999999999999999999999999999.25"  # 29 digits before the mark, 31 in all

_GAZETTEER = Gazetteer.from_dict(
    {
        "format": "antq-gazetteer",
        "format_version": 1,
        "version": "t",
        "units": [
            {"code": "01", "name": "Tỉnh", "level": "province"},
            {"code": "001", "name": "Huyện Một", "level": "district", "parent": "01"},
            {"code": "002", "name": "Huyện Hai", "level": "district", "parent": "01"},
        ],
    }
)
_SUBJECTS = ("001", "002")


def _dataset(values: list[int | str], *, unit: str = "m2", **aggregation: str) -> Dataset:
    """One area metric; value ``i`` about district ``i % 2`` in month ``i // 2``."""
    return Dataset(
        gazetteer=_GAZETTEER,
        metadata=DatasetMetadata(title_vi="Thử"),
        metrics=[
            MetricDefinition(
                id="area",
                name_vi="Diện tích",
                name_en="Area",
                unit="m2",
                kind="flow",
                **aggregation,
            )
        ],
        observations=[
            Observation(
                metric="area",
                subject=f"unit:{_SUBJECTS[i % 2]}",
                period=f"2017-{i // 2 + 1:02d}",
                unit=unit,
                value=v,
            )
            for i, v in enumerate(values)
        ],
    )


def _plain(table: AggregateTable) -> list[tuple[Any, ...]]:
    return [
        (
            tuple(r.keys.items()),
            None if r.quantity is None else (r.quantity.value, r.quantity.qualifier),
            r.observations,
        )
        for r in table
    ]


def _by_engine(ds: Dataset, by: list[str]) -> list[tuple[Any, ...]]:
    """The rows of ``area`` by ``by``; every engine must give the very same rows."""
    python, *others = (_plain(aggregate(ds, ["area"], by=by, engine=e)) for e in ENGINES)
    for other in others:
        assert other == python
    return python


@st.composite
def _values(draw: st.DrawFn) -> list[int | str]:
    """Up to 12 values as the wire writes them: ints, and decimals of up to 30 decimals.

    Each is below 10^29, so that their sum stays a value a quantity may hold.
    """
    found: list[int | str] = []
    for _ in range(draw(st.integers(1, 12))):
        places = draw(st.integers(0, 30))
        coefficient = draw(st.integers(0, 10 ** (29 + places) - 1))
        if places == 0 and draw(st.booleans()):
            found.append(coefficient)
        else:
            found.append(format(Decimal(f"{coefficient}E-{places}"), "f"))
    return found


def _exact(values: list[int | str]) -> list[Fraction]:
    return [Fraction(Decimal(v)) if isinstance(v, str) else Fraction(v) for v in values]


_LAWS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_LAWS
@given(values=_values())
def test_sums_are_exact_and_the_engines_agree(values: list[int | str]) -> None:
    ds = _dataset(values)
    exact = _exact(values)
    [(_, (total, qualifier), n)] = _by_engine(ds, [])
    assert Fraction(total) == sum(exact)
    assert (qualifier, n) == (Qualifier.EXACT, len(values))
    per_district = {keys: q for keys, q, _ in _by_engine(ds, ["district"])}
    for d, code in enumerate(_SUBJECTS[: len(values)]):
        found = per_district[(("district", code),)]
        assert found is not None
        assert Fraction(found[0]) == sum(exact[d::2])


@_LAWS
@given(values=_values())
def test_series_sums_and_extremes_are_exact(values: list[int | str]) -> None:
    exact = _exact(values)
    districts = [exact[d::2] for d in range(2) if exact[d::2]]
    # Summed over time, the largest district: the sum of a series, not of a group.
    ds = _dataset(values, time_aggregation="sum", space_aggregation="max")
    [(_, (top, _q), _n)] = _by_engine(ds, [])
    assert Fraction(top) == max(sum(d) for d in districts)
    # The largest month of each district, summed over districts.
    ds = _dataset(values, time_aggregation="max", space_aggregation="sum")
    [(_, (total, _q), _n)] = _by_engine(ds, [])
    assert Fraction(total) == sum(max(d) for d in districts)


@_LAWS
@given(values=_values())
def test_means_are_exact_when_they_can_be_written(values: list[int | str]) -> None:
    ds = _dataset(values, time_aggregation="average", space_aggregation="average")
    exact = _exact(values)
    districts = [exact[d::2] for d in range(2) if exact[d::2]]
    mean = sum((sum(d, Fraction(0)) / len(d) for d in districts), Fraction(0)) / len(districts)
    [(_, (found, qualifier), _n)] = _by_engine(ds, [])
    if qualifier is Qualifier.EXACT:
        assert Fraction(found) == mean
    else:  # rounded to 4 decimal places, half to even, and said so
        assert qualifier is Qualifier.APPROXIMATELY
        assert abs(Fraction(found) - mean) <= Fraction(1, 10**4)


@_LAWS
@given(values=_values(), engine=st.sampled_from(ENGINES))
def test_rolled_up_sums_are_exact(values: list[int | str], engine: str) -> None:
    ds = _dataset(values)
    tables = aggregate_rollup(ds, ["area"], by=["district"], engine=engine)
    for level, table in tables.items():
        assert _plain(table) == _plain(aggregate(ds, ["area"], by=[level], engine=engine))
    [province] = tables["province"]
    assert province.quantity is not None
    assert Fraction(province.quantity.value) == sum(_exact(values))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_huge_decimal_keeps_every_digit(engine: str) -> None:
    # Python's default context would give 1E+29 for each of these.
    ds = _dataset([HUGE, 1, HUGE, "0.5"])
    [row] = aggregate(ds, ["area"], engine=engine)
    assert row.quantity is not None
    assert row.quantity.value == 2 * 10**29
    by_district = aggregate(ds, ["area"], by=["district"], engine=engine)
    assert [r.quantity.value for r in by_district if r.quantity] == [
        Decimal("199999999999999999999999999998.5"),
        Decimal("1.5"),
    ]
    rolled = aggregate_rollup(ds, ["area"], by=["district"], engine=engine)
    assert _plain(rolled["province"]) == _plain(aggregate(ds, ["area"], by=["province"]))
    assert _plain(rolled["district"]) == _plain(by_district)


@pytest.mark.parametrize("engine", ENGINES)
def test_huge_values_convert_from_hectares_exactly(engine: str) -> None:
    long = "9999999999999999999999999.123456789012345678901234567891"
    [row] = aggregate(_dataset([long, "0.5"], unit="ha"), ["area"], engine=engine)
    assert row.quantity is not None
    assert Fraction(row.quantity.value) == Fraction(Decimal(long)) * 10_000 + 5_000
