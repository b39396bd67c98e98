"""Ratios on the polars engine give the Python engine's rows, row for row.

The polars engine finishes ratios as columns (numerator and denominator rows
joined, exactness tested with integer arithmetic); the law: its table is the
Python engine's, keys, value, unit, qualifier, observations, missing units,
source, unplaceable and excluded observations, ``to_dicts`` and ``to_polars``,
for quotients that terminate, that do not (a third), that must be whole, zero
denominators, parts missing from a group, parts with no observations and
signed parts (change figures, some negative: those go the Python way). When
the parts alone are finished as columns, so are the ratios made of them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

pytest.importorskip("polars")
pytest.importorskip("pyarrow")

from antq_core import (
    AdminUnit,
    AggregateTable,
    AntqError,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    MetricKind,
    Observation,
    Qualifier,
    Quantity,
    Unit,
    aggregate,
)
from antq_core.testing.strategies import aggregation_datasets

_COUNTED = ("cases", "resolved", "teams")


def _ratio(metric_id: str, numerator: str, denominator: str, unit: str, factor: int) -> Any:
    return MetricDefinition(
        id=metric_id,
        name_vi=metric_id,
        name_en=metric_id,
        unit=Unit.get(unit),
        kind=MetricKind.RATIO,
        numerator=numerator,
        denominator=denominator,
        factor=factor,
    )


@st.composite
def _ratio_datasets(draw: st.DrawFn) -> Dataset:
    """:func:`aggregation_datasets` with small counts (many zeros) and more ratios."""
    # Nested figures (a unit's beside its districts'): a ratio's source is ``reported``
    # where either part used a figure enclosing others.
    base = draw(aggregation_datasets(max_observations=40, nested=draw(st.booleans())))
    small = st.integers(0, 9) | st.sampled_from([3, 7, 21, 40, 125, 999, 10**12, 3 * 10**15])
    signed = draw(st.sampled_from([(), ("resolved",), ("cases", "resolved")]))
    if signed and draw(st.booleans()):  # a change figure may fall
        small = small | st.integers(-9, -1)
    rows = [
        Observation(
            metric=o.metric,
            subject=o.subject,
            period=o.period,
            unit=o.unit,
            value=draw(small),
            qualifier=o.qualifier,
        )
        if o.metric in _COUNTED
        else o
        for o in base.observations
    ]
    factor = st.sampled_from([1, 3, 7, 100, 1000, 10**9])
    extra = [
        _ratio("cases_per_team", "cases", "teams", "case", draw(factor)),  # whole: rounded to 1
        _ratio("resolved_share", "resolved", "cases", "percent", draw(factor)),
        _ratio("teams_per_case", "teams", "resolved", "percent", draw(factor)),
        _ratio("area_per_case", "area", "cases", "m2", draw(factor)),  # decimals, ha and m²
        _ratio("of_nothing", "unreported", "cases", "percent", 1),  # a part with no rows
        _ratio("over_nothing", "cases", "unreported", "percent", 1),
        MetricDefinition(
            id="unreported", name_vi="x", name_en="x", unit=Unit.get("case"), kind=MetricKind.FLOW
        ),
    ]
    metrics = [
        m.model_copy(update={"signed": True}) if m.id in signed else m
        for m in base.metrics.values()
    ]
    return base.replace(metrics=[*metrics, *extra], observations=rows)


_RATIOS = (
    "resolved_rate",
    "cases_per_team",
    "resolved_share",
    "teams_per_case",
    "area_per_case",
    "of_nothing",
    "over_nothing",
)
_PARTS = ("cases", "resolved", "teams", "area", "unreported")
_BY: tuple[list[str], ...] = (
    [],
    ["district"],
    ["province", "year"],
    ["month"],
    ["commune", "quarter"],
    ["year", "province"],
)


def _plain(table: AggregateTable) -> Any:
    rows = tuple(
        (
            tuple(row.keys.items()),
            row.metric,
            row.quantity,
            None if row.quantity is None else type(row.quantity.value),
            None if row.quantity is None else row.quantity.qualifier,
            row.observations,
            row.missing,
            row.source,
        )
        for row in table
    )
    return (table.by, rows, table.unplaceable, table.excluded)


def _columnar(table: AggregateTable) -> bool:
    """Whether the table keeps its rows as columns (the path under test was taken)."""
    # A private field, read (never set) only to say which path a case took.
    return table._columns is not None


def _parts_of(ds: Dataset, metrics: list[str]) -> list[str]:
    """``metrics`` with each ratio replaced by its numerator and denominator."""
    found: list[str] = []
    for metric_id in metrics:
        metric = ds.metrics[metric_id]
        ids = [metric_id]
        if metric.kind is MetricKind.RATIO:
            ids = [metric.numerator or "", metric.denominator or ""]
        found.extend(i for i in ids if i not in found)
    return found


def _outcome(ds: Dataset, engine: str, request: dict[str, Any]) -> Any:
    try:
        table = aggregate(ds, engine=engine, **request)
    except AntqError as e:
        return (type(e), str(e))
    # Each way of reading the table on its own copy: rows, dicts, frame.
    dicts = aggregate(ds, engine=engine, **request).to_dicts()
    frame = aggregate(ds, engine=engine, **request).to_polars().to_dicts()
    return (_plain(table), dicts, frame)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ds=_ratio_datasets(),
    by=st.sampled_from(_BY),
    ratios=st.lists(st.sampled_from(_RATIOS), min_size=1, max_size=3, unique=True),
    parts=st.lists(st.sampled_from(_PARTS), max_size=2, unique=True),
    data=st.data(),
)
def test_polars_ratios_are_the_python_ratios(
    ds: Dataset, by: list[str], ratios: list[str], parts: list[str], data: st.DataObject
) -> None:
    metrics = data.draw(st.permutations([*ratios, *parts]))
    overlap = data.draw(st.sampled_from(("error", "prefer_reported")))
    request = {"metrics": metrics, "by": by, "space_overlap": overlap}
    python = _outcome(ds, "python", request)
    assert _outcome(ds, "polars", request) == python
    if isinstance(python[0], type):
        return  # refused alike
    made = aggregate(ds, engine="polars", **request)
    event(f"columnar: {_columnar(made)}")
    alone = aggregate(ds, **{**request, "engine": "polars", "metrics": _parts_of(ds, metrics)})
    if _columnar(alone):  # parts finished as columns: their ratios too (none converts units)
        assert _columnar(made)
    values = [r[2] for r in python[0][1] if r[1] in ratios]
    event(f"no value: {any(v is None for v in values)}")
    rounded = any(v is not None and v.qualifier.value == "approximately" for v in values)
    event(f"approximately: {rounded}")
    event(f"reported: {any(r[7].value == 'reported' for r in python[0][1] if r[1] in ratios)}")


# -- one case, by hand ---------------------------------------------------------


def _gazetteer() -> Gazetteer:
    return Gazetteer(
        "test",
        [
            AdminUnit(code="01", name="Hà Nội", level="province"),
            AdminUnit(code="001", name="Ba Đình", level="district", parent="01"),
            AdminUnit(code="01001", name="Phúc Xá", level="commune", parent="001"),
            AdminUnit(code="01002", name="Trúc Bạch", level="commune", parent="001"),
            AdminUnit(code="01003", name="Vĩnh Phúc", level="commune", parent="001"),
            AdminUnit(code="01004", name="Cống Vị", level="commune", parent="001"),
            AdminUnit(code="01005", name="Liễu Giai", level="commune", parent="001"),
        ],
    )


def _figure(metric: str, commune: str, value: int, qualifier: str = "exact") -> Observation:
    unit = "case" if metric != "teams" else "organization"
    return Observation(
        metric=metric,
        subject=f"unit:{commune}",
        period="2017-01",
        unit=unit,
        value=value,
        qualifier=qualifier,
    )


def test_ratios_of_parts_finished_as_columns_are_finished_as_columns() -> None:
    # Per commune: 3/4 (terminates), 1/3 (does not), 2/0 (no value), no
    # denominator, no numerator; a bound on the denominator bounds the ratio
    # the other way.
    metrics = [
        MetricDefinition(id=m, name_vi=m, name_en=m, unit=Unit.get("case"), kind=MetricKind.FLOW)
        for m in ("cases", "resolved")
    ]
    ds = Dataset(
        gazetteer=_gazetteer(),
        metadata=DatasetMetadata(title_vi="Tỷ lệ"),
        metrics=[
            *metrics,
            _ratio("share", "resolved", "cases", "percent", 100),
            _ratio("per_case", "resolved", "cases", "case", 1),
        ],
        observations=[
            _figure("resolved", "01001", 3),
            _figure("cases", "01001", 4, "at_least"),
            _figure("resolved", "01002", 1),
            _figure("cases", "01002", 3),
            _figure("resolved", "01003", 2),
            _figure("cases", "01003", 0),
            _figure("resolved", "01004", 5),
            _figure("cases", "01005", 6),
        ],
    )
    request: dict[str, Any] = {"metrics": ["share", "per_case", "cases"], "by": ["commune"]}
    python = aggregate(ds, engine="python", **request)
    polars = aggregate(ds, engine="polars", **request)
    assert _columnar(polars)
    assert not _columnar(python)
    share = [(r.keys["commune"], r.quantity, r.observations, r.missing) for r in polars][:5]
    assert share == [
        ("01001", Quantity(75, "percent", Qualifier.AT_MOST), 2, 0),
        ("01002", Quantity(Decimal("33.3333"), "percent", Qualifier.APPROXIMATELY), 2, 0),
        ("01003", None, 2, 0),
        ("01004", None, 1, 0),
        ("01005", None, 1, 0),
    ]
    per_case = [r.quantity for r in polars if r.metric == "per_case"]
    assert per_case[:2] == [
        Quantity(1, "case", Qualifier.APPROXIMATELY),  # 0.75 of a case, as a whole case
        Quantity(0, "case", Qualifier.APPROXIMATELY),  # a third of a case, as a whole case
    ]
    assert list(polars) == list(python)
    assert polars.to_dicts() == python.to_dicts()
    assert aggregate(ds, engine="polars", **request).to_polars().equals(python.to_polars())
