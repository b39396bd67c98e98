"""Nothing goes missing: every figure counts in one row or is listed with a reason.

Worked cases from small data made up here (not the sample): parts without an
undivided figure, a name that is both a dimension and a category, parts that
do not make up the whole, stocks' superseded values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from antq_core import (
    AdminUnit,
    AggregateTable,
    Dataset,
    DatasetMetadata,
    DisaggregationCategory,
    ExclusionReason,
    Gazetteer,
    MassOrganization,
    MetricDefinition,
    Observation,
    Quantity,
    aggregate,
    aggregate_rollup,
    builtin_catalog,
)
from antq_core.errors import AmbiguousGroupingError, InvalidValueError

GAZ = Gazetteer(
    "cons-test",
    [
        AdminUnit(code="01", name="Một", level="province"),
        AdminUnit(code="001", name="Huyện Một", level="district", parent="01"),
        AdminUnit(code="00001", name="Xã Một", level="commune", parent="001"),
        AdminUnit(code="00002", name="Xã Hai", level="commune", parent="001"),
        AdminUnit(code="02", name="Hai", level="province"),
        AdminUnit(code="002", name="Huyện Hai", level="district", parent="02"),
    ],
)
CATALOG = builtin_catalog()
KINDS = [o.id for c in CATALOG.categories if c.id == "organization_kind" for o in c.options]
SEX = DisaggregationCategory(
    id="gender",
    name_vi="Giới tính",
    name_en="Sex",
    options=[
        {"id": "male", "name_vi": "Nam", "name_en": "Male"},
        {"id": "female", "name_vi": "Nữ", "name_en": "Female"},
    ],
)
CHANNEL = DisaggregationCategory(
    id="channel",
    name_vi="Kênh",
    name_en="Channel",
    options=[
        {"id": "hotline", "name_vi": "Đường dây nóng", "name_en": "Hotline"},
        {"id": "visit", "name_vi": "Trực tiếp", "name_en": "Visit"},
        {"id": "letter", "name_vi": "Thư", "name_en": "Letter"},
    ],
    exhaustive=True,
)
TIPS = MetricDefinition(
    id="tips",
    name_vi="Nguồn tin",
    name_en="Tips",
    unit="tip",
    kind="flow",
    categories=["gender", "channel"],
)


def obs(metric: str, subject: str, period: str, value: int, unit: str, **by: str) -> Observation:
    return Observation(
        metric=metric, subject=subject, period=period, value=value, unit=unit, disaggregation=by
    )


def dataset(observations: Iterable[Observation], **extra: Any) -> Dataset:
    return Dataset(
        gazetteer=GAZ,
        metadata=DatasetMetadata(title_vi="Thử"),
        categories=[*CATALOG.categories, SEX, CHANNEL],
        metrics=[*CATALOG.metrics, TIPS],
        observations=observations,
        **extra,
    )


def accounted(table: AggregateTable, ds: Dataset, metric: str) -> None:
    """Each observation of ``metric`` is counted once or listed once."""
    counted = sum(r.observations for r in table if r.metric == metric)
    listed = [u.row for u in table.unplaceable if u.metric == metric]
    listed += [e.row for e in table.excluded if e.metric == metric]
    assert len(set(listed)) == len(listed)
    total = sum(1 for o in ds.observations if o.metric == metric)
    assert counted + len(listed) == total


def org_counts(**values: int) -> list[Observation]:
    return [
        obs("mass_organizations", "unit:001", "2024", v, "organization", organization_kind=k)
        for k, v in values.items()
    ]


def test_parts_by_the_catalog_category_without_a_total_are_added() -> None:
    # Every option of organization_kind is reported: the parts make up the whole.
    ds = dataset(org_counts(**dict.fromkeys(KINDS, 3)))
    table = aggregate(ds, ["mass_organizations"], by=["province"])
    assert [(dict(r.keys), r.quantity, r.observations) for r in table] == [
        ({"province": "01"}, Quantity(3 * len(KINDS), "organization"), len(KINDS))
    ]
    accounted(table, ds, "mass_organizations")


def test_the_bare_name_organization_kind_is_refused_naming_both_meanings() -> None:
    ds = dataset(org_counts(**dict.fromkeys(KINDS, 3)))
    with pytest.raises(AmbiguousGroupingError) as info:
        aggregate(ds, ["mass_organizations"], by=["province", "organization_kind"])
    message = str(info.value)
    assert "category:organization_kind" in message
    assert "dimension:organization_kind" in message
    assert info.value.name == "organization_kind"
    assert isinstance(info.value, InvalidValueError)


def test_category_prefix_groups_by_the_category() -> None:
    ds = dataset(org_counts(**dict.fromkeys(KINDS, 2)))
    table = aggregate(ds, ["mass_organizations"], by=["province", "category:organization_kind"])
    assert {r.keys["category:organization_kind"]: r.quantity for r in table} == dict.fromkeys(
        KINDS, Quantity(2, "organization")
    )
    accounted(table, ds, "mass_organizations")


def test_dimension_prefix_groups_by_the_organizations_kind() -> None:
    org = MassOrganization(
        id="o1", name_vi="Tổ một", kind="people_security_team", admin_unit="001"
    )
    rows = [obs("mass_organizations", "organization:o1", "2024", 1, "organization")]
    ds = dataset(rows, organizations=[org])
    table = aggregate(ds, ["mass_organizations"], by=["dimension:organization_kind"])
    assert [(dict(r.keys), r.quantity) for r in table] == [
        ({"dimension:organization_kind": "people_security_team"}, Quantity(1, "organization"))
    ]


def test_a_total_wins_over_its_parts_which_are_listed() -> None:
    rows = [
        obs("tips", "unit:00001", "2024", 10, "tip"),
        obs("tips", "unit:00001", "2024", 4, "tip", gender="male"),
        obs("tips", "unit:00001", "2024", 6, "tip", gender="female"),
    ]
    ds = dataset(rows)
    table = aggregate(ds, ["tips"], by=["district"])
    assert [r.quantity for r in table] == [Quantity(10, "tip")]
    assert sorted((e.row, e.code) for e in table.excluded) == [
        (1, ExclusionReason.PART_OF_COUNTED),
        (2, ExclusionReason.PART_OF_COUNTED),
    ]
    accounted(table, ds, "tips")
    by_sex = aggregate(ds, ["tips"], by=["gender"])
    assert {r.keys["gender"]: r.quantity.value for r in by_sex if r.quantity} == {
        "male": 4,
        "female": 6,
    }
    assert [(e.row, e.code) for e in by_sex.excluded] == [(0, ExclusionReason.NOT_BROKEN_DOWN)]
    accounted(by_sex, ds, "tips")


def test_incomplete_parts_are_listed_and_exhaustive_ones_added() -> None:
    rows = [
        obs("tips", "unit:00001", "2024", 4, "tip", gender="male"),  # no female part: incomplete
        obs("tips", "unit:00002", "2024", 5, "tip", channel="hotline"),  # exhaustive: whole
        obs("tips", "unit:00002", "2024", 1, "tip", channel="letter"),
    ]
    ds = dataset(rows)
    table = aggregate(ds, ["tips"], by=["commune"])
    assert [(r.keys["commune"], r.quantity) for r in table] == [("00002", Quantity(6, "tip"))]
    assert [(e.row, e.code) for e in table.excluded] == [(0, ExclusionReason.PARTS_INCOMPLETE)]
    assert "gender" in table.excluded[0].reason
    accounted(table, ds, "tips")


def test_two_complete_breakdowns_of_one_figure_count_once() -> None:
    rows = [
        obs("tips", "unit:00001", "2024", 4, "tip", gender="male"),
        obs("tips", "unit:00001", "2024", 6, "tip", gender="female"),
        obs("tips", "unit:00001", "2024", 10, "tip", channel="visit"),
    ]
    ds = dataset(rows)
    table = aggregate(ds, ["tips"])
    # channel (exhaustive) and sex both make the whole; the first by id is used.
    assert [r.quantity for r in table] == [Quantity(10, "tip")]
    assert [r.observations for r in table] == [1]
    assert {e.code for e in table.excluded} == {ExclusionReason.PART_OF_COUNTED}
    accounted(table, ds, "tips")


def test_finer_parts_project_onto_the_requested_category() -> None:
    rows = [
        obs("tips", "unit:00001", "2024", 1, "tip", gender="male", channel="visit"),
        obs("tips", "unit:00001", "2024", 2, "tip", gender="male", channel="letter"),
        obs("tips", "unit:00001", "2024", 3, "tip", gender="female", channel="visit"),
    ]
    ds = dataset(rows)
    table = aggregate(ds, ["tips"], by=["category:gender"])
    assert {r.keys["category:gender"]: r.quantity.value for r in table if r.quantity} == {
        "male": 3,
        "female": 3,
    }
    accounted(table, ds, "tips")


def test_superseded_stock_values_are_listed() -> None:
    rows = [
        obs("mass_organizations", "unit:001", "2024-03", 5, "organization"),
        obs("mass_organizations", "unit:001", "2024-06", 7, "organization"),
    ]
    ds = dataset(rows)
    table = aggregate(ds, ["mass_organizations"], by=["year"])
    assert [r.quantity for r in table] == [Quantity(7, "organization")]
    assert [(e.row, e.code) for e in table.excluded] == [(0, ExclusionReason.SUPERSEDED)]
    accounted(table, ds, "mass_organizations")


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_engines_agree_on_parts(engine: str) -> None:
    pytest.importorskip("polars")
    rows = [
        *org_counts(**dict.fromkeys(KINDS, 3)),
        obs("tips", "unit:00001", "2024", 10, "tip"),
        obs("tips", "unit:00001", "2024", 4, "tip", gender="male"),
        obs("tips", "unit:00002", "2024", 4, "tip", gender="male"),
    ]
    ds = dataset(rows)
    for by in (["province"], ["district", "category:gender"], ["commune"]):
        table = aggregate(ds, ["tips", "mass_organizations"], by=by, engine=engine)
        reference = aggregate(ds, ["tips", "mass_organizations"], by=by, engine="python")
        assert table.rows == reference.rows
        assert table.excluded == reference.excluded
        assert table.unplaceable == reference.unplaceable


def test_rollup_accounts_at_every_level() -> None:
    rows = [
        *org_counts(**dict.fromkeys(KINDS, 3)),
        obs(
            "mass_organizations", "unit:01", "2024", 2, "organization", organization_kind=KINDS[0]
        ),
    ]
    ds = dataset(rows)
    tables = aggregate_rollup(ds, ["mass_organizations"], by=["district"])
    for table in tables.values():
        accounted(table, ds, "mass_organizations")
    assert [r.quantity for r in tables["province"]] == [Quantity(3 * len(KINDS), "organization")]
