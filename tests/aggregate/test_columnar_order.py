"""The polars engine's rows come in the reference engine's order, however they were made.

When every figure is placed, the polars engine sorts its cells once, while
they are a packed key and two values, and then skips the finish's sort of
the whole output, if the order of the codes is the output's order (metrics
requested in the order of their codes, ``by`` names reading space, then
time, then categories, and codes given in the order of their values).
These cases are dense (every village reports every metric every month) so
that path is the one taken, and they vary everything that decides whether
it may be: the order of the metrics, of the ``by`` names, and of the units in
the gazetteer (so that codes need not follow the units' codes).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("polars")
pytest.importorskip("pyarrow")

from antq_core import (
    AdminUnit,
    AggregateTable,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    Observation,
    Period,
    Unit,
    aggregate,
)

_MONTHS = tuple(Period.month(2016 + k // 12, k % 12 + 1) for k in range(15))


def _metric(id_: str, name_vi: str, name_en: str, unit: str, **kind: str) -> MetricDefinition:
    return MetricDefinition(id=id_, name_vi=name_vi, name_en=name_en, unit=Unit.get(unit), **kind)


_STOCK = {"kind": "stock", "time_aggregation": "last"}
_METRICS = (
    _metric("cases", "Số vụ", "Cases", "case", kind="flow"),
    _metric("meetings", "Số buổi", "Meetings", "case", kind="flow"),
    _metric("teams", "Số tổ", "Teams", "organization", **_STOCK),
    _metric("groups", "Số nhóm", "Groups", "organization", **_STOCK),
)
_FLOWS = ("cases", "meetings")
_STOCKS = ("teams", "groups")
_NAMES = ("province", "district", "commune", "village", "month", "quarter", "year")


def _units() -> list[AdminUnit]:
    units = [AdminUnit(code="01", name="Tỉnh", level="province")]
    for d in range(2):
        district = f"00{d + 1}"
        units.append(AdminUnit(code=district, name=f"Huyện {d}", level="district", parent="01"))
        for c in range(3):
            commune = f"0{d + 1}00{c + 1}"
            units.append(AdminUnit(code=commune, name=f"Xã {c}", level="commune", parent=district))
            units += [
                AdminUnit(
                    code=f"{commune}.0{v + 1}", name=f"Thôn {v}", level="village", parent=commune
                )
                for v in range(2)
            ]
    return units


@st.composite
def _datasets(draw: st.DrawFn) -> Dataset:
    """Every village, every metric, every month; units and figures in order or shuffled."""
    units = _units()
    villages = [u.code for u in units if u.level.value == "village"]
    values = st.integers(0, 30)
    observations = [
        Observation(
            metric=metric.id,
            subject=f"unit:{village}",
            period=month,
            unit=metric.unit,
            value=draw(values),
        )
        for metric in _METRICS
        for village in villages
        for month in _MONTHS
    ]
    # As given (codes then follow the values) or shuffled (they need not).
    if draw(st.booleans()):
        units = draw(st.permutations(units))
    if draw(st.booleans()):
        observations = draw(st.permutations(observations))
    return Dataset(
        gazetteer=Gazetteer("test", units),
        metadata=DatasetMetadata(title_vi="Thứ tự"),
        metrics=list(_METRICS),
        observations=observations,
    )


def _rows(table: AggregateTable) -> list[Any]:
    return [(tuple(r.keys.items()), r.metric, r.quantity, r.observations) for r in table]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ds=_datasets(),
    kind=st.sampled_from((_FLOWS, _STOCKS)),
    data=st.data(),
)
def test_rows_come_in_the_reference_order(
    ds: Dataset, kind: tuple[str, ...], data: st.DataObject
) -> None:
    metrics = data.draw(st.permutations(kind))
    by = data.draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3, unique=True))
    python = aggregate(ds, metrics, by=by, engine="python")
    polars = aggregate(ds, metrics, by=by, engine="polars")
    assert _rows(polars) == _rows(python)
    assert polars.to_polars().equals(python.to_polars())
