"""aggregate_rollup over four levels, each rolled up from the one below (worked cases)."""

from __future__ import annotations

from typing import Any

import pytest

from antq_core import (
    AdminUnit,
    AggregateTable,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    Observation,
    aggregate,
    aggregate_rollup,
)

pytest.importorskip("polars")

GAZ = Gazetteer(
    "rollup-levels",
    [
        AdminUnit(code="71", name="Tỉnh Bảy Một", level="province"),
        AdminUnit(code="711", name="Huyện Một", level="district", parent="71"),
        AdminUnit(code="712", name="Huyện Hai", level="district", parent="71"),
        AdminUnit(code="71101", name="Xã Một", level="commune", parent="711"),
        AdminUnit(code="71102", name="Xã Hai", level="commune", parent="711"),
        AdminUnit(code="71201", name="Xã Ba", level="commune", parent="712"),
        *(
            AdminUnit(code=f"{c}{v}", name=f"Thôn {c}-{v}", level="village", parent=c)
            for c in ("71101", "71102", "71201")
            for v in ("1", "2")
        ),
    ],
)
METRICS = [
    MetricDefinition(id="tips", name_vi="Nguồn tin", name_en="Tips", unit="tip", kind="flow"),
    MetricDefinition(id="teams", name_vi="Tổ", name_en="Teams", unit="organization", kind="stock"),
]


def _obs(metric: str, unit: str, period: str, value: int) -> Observation:
    units = {"tips": "tip", "teams": "organization"}
    return Observation(
        metric=metric, subject=f"unit:{unit}", period=period, unit=units[metric], value=value
    )


def _dataset() -> Dataset:
    rows = [
        # Villages, every month of a quarter; one village reports nothing in March.
        *(
            _obs("tips", f"{c}{v}", f"2024-0{m}", 10 * m + int(v))
            for c in ("71101", "71102", "71201")
            for v in ("1", "2")
            for m in (1, 2, 3)
            if (c, v, m) != ("71102", "2", 3)
        ),
        # Figures anchored above the villages, in months of their own (no overlap):
        # placed only at their own level and above.
        _obs("tips", "71101", "2024-04", 7),
        _obs("tips", "711", "2024-05", 5),
        _obs("tips", "71", "2024-06", 3),
        # A stock: its last value in the period per unit, then summed.
        *(
            _obs("teams", f"71101{v}", f"2024-0{m}", m + int(v))
            for v in ("1", "2")
            for m in (1, 2)
        ),
        _obs("teams", "71201", "2024-02", 4),
    ]
    return Dataset(
        gazetteer=GAZ,
        metadata=DatasetMetadata(title_vi="Cuộn lên theo cấp"),
        metrics=METRICS,
        observations=rows,
    )


def _plain(table: AggregateTable) -> dict[str, Any]:
    return {
        "rows": table.to_dicts(),
        "unplaceable": [(u.row, u.metric) for u in table.unplaceable],
        "excluded": [(e.row, e.metric, e.reason) for e in table.excluded],
    }


LEVELS = ("province", "district", "commune", "village")


@pytest.mark.parametrize("engine", ["python", "polars"])
@pytest.mark.parametrize("period", ["month", "quarter", "year"])
@pytest.mark.parametrize("within", [None, ["711"], ["71102", "712"]])
def test_each_level_equals_its_own_aggregate(
    engine: str, period: str, within: list[str] | None
) -> None:
    ds = _dataset()
    metrics = ["tips", "teams"]
    tables = aggregate_rollup(ds, metrics, by=["village", period], within=within, engine=engine)
    assert list(tables) == list(LEVELS)
    for level, table in tables.items():
        own = aggregate(ds, metrics, by=[level, period], within=within, engine=engine)
        assert _plain(table) == _plain(own), level
        assert table.engine == engine


@pytest.mark.parametrize("period", ["month", "year"])
def test_the_engines_roll_up_alike(period: str) -> None:
    ds = _dataset()
    python = aggregate_rollup(ds, ["tips", "teams"], by=[period, "village"], engine="python")
    polars = aggregate_rollup(ds, ["tips", "teams"], by=[period, "village"], engine="polars")
    for level in LEVELS:
        assert _plain(polars[level]) == _plain(python[level])


def test_figures_above_a_level_count_from_their_own_level_up() -> None:
    ds = _dataset()
    tables = aggregate_rollup(ds, "tips", by=["village", "year"], engine="polars")
    villages = sum(r.quantity.value for r in tables["village"] if r.quantity is not None)
    totals = {
        level: sum(r.quantity.value for r in table if r.quantity is not None)
        for level, table in tables.items()
    }
    assert totals == {
        "village": villages,
        "commune": villages + 7,
        "district": villages + 7 + 5,
        "province": villages + 7 + 5 + 3,
    }
    assert len(tables["village"].unplaceable) == 3
    assert len(tables["commune"].unplaceable) == 2
    assert len(tables["district"].unplaceable) == 1
    assert tables["province"].unplaceable == ()
    # The village that reported nothing in March is missing from its commune's month.
    march = aggregate_rollup(ds, "tips", by=["commune", "month"], engine="polars")["commune"]
    missing = {
        (r.keys["commune"], str(r.keys["month"])): r.missing for r in march if r.metric == "tips"
    }
    assert missing[("71102", "2024-03")] == 1
    assert missing[("71101", "2024-03")] == 0


# A map where one commune sits right under the province (no district above it) and
# villages of it report: at the district level they have no unit to go to, so
# their groups there cannot come from the commune level's; each level must still
# be its own aggregate().
GAZ_GAPPED = Gazetteer(
    "rollup-gapped",
    [
        AdminUnit(code="81", name="Tỉnh Tám Một", level="province"),
        AdminUnit(code="811", name="Huyện Một", level="district", parent="81"),
        AdminUnit(code="81101", name="Xã Một", level="commune", parent="811"),
        AdminUnit(code="81900", name="Xã Thẳng", level="commune", parent="81"),
        *(
            AdminUnit(code=f"{c}{v}", name=f"Thôn {c}-{v}", level="village", parent=c)
            for c in ("81101", "81900")
            for v in ("1", "2")
        ),
    ],
)


@pytest.mark.parametrize("engine", ["python", "polars"])
@pytest.mark.parametrize("within", [None, ["81"], ["81900"]])
def test_a_level_missing_above_some_units(engine: str, within: list[str] | None) -> None:
    rows = [
        *(
            _obs("tips", f"{c}{v}", f"2024-0{m}", 10 * m + int(v))
            for c in ("81101", "81900")
            for v in ("1", "2")
            for m in (1, 2)
        ),
        _obs("tips", "81900", "2024-03", 7),
        _obs("tips", "811", "2024-04", 5),
    ]
    ds = Dataset(
        gazetteer=GAZ_GAPPED,
        metadata=DatasetMetadata(title_vi="Bản đồ thiếu cấp"),
        metrics=METRICS,
        observations=rows,
    )
    tables = aggregate_rollup(ds, "tips", by=["village", "month"], within=within, engine=engine)
    assert list(tables) == list(LEVELS)
    for level, table in tables.items():
        own = aggregate(ds, "tips", by=[level, "month"], within=within, engine=engine)
        assert _plain(table) == _plain(own), level
    # The straight commune's villages are unplaceable at the district level, placed above.
    assert {u.row for u in tables["district"].unplaceable} >= {4, 5, 6, 7, 8}
    assert tables["province"].unplaceable == ()
