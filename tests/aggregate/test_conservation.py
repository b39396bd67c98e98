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
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    Observation,
    Period,
    Quantity,
    Site,
    SpaceSource,
    UnitGroup,
    UnitGroupSet,
    aggregate,
    aggregate_rollup,
    builtin_catalog,
    bundled_gazetteer,
)
from antq_core.errors import (
    AggregationError,
    AmbiguousGroupingError,
    InvalidValueError,
    OverlappingPeriodsError,
    SpaceOverlapError,
)

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


# -- over space: a figure and the figures of its own parts -----------------------------------


def test_a_province_and_its_districts_are_never_added() -> None:
    rows = [
        obs("tips", "unit:01", "2024", 5000, "tip"),
        obs("tips", "unit:001", "2024", 800, "tip"),
    ]
    ds = dataset(rows)
    with pytest.raises(SpaceOverlapError) as info:
        aggregate(ds, ["tips"], by=["province"])
    assert info.value.metric == "tips"
    assert info.value.rows == ((0, 1),)
    assert info.value.subjects == (("unit:01", "unit:001"),)
    assert isinstance(info.value, AggregationError)
    table = aggregate(ds, ["tips"], by=["province"], space_overlap="prefer_reported")
    assert [(r.quantity, r.observations, r.source) for r in table] == [
        (Quantity(5000, "tip"), 1, SpaceSource.REPORTED)
    ]
    assert [(e.row, e.code) for e in table.excluded] == [(1, ExclusionReason.COVERED_BY_REPORTED)]
    accounted(table, ds, "tips")
    # By district the province's figure has no district: nothing is added to it.
    by_district = aggregate(ds, ["tips"], by=["district"])
    assert [(r.quantity, r.source) for r in by_district] == [
        (Quantity(800, "tip"), SpaceSource.SUMMED)
    ]
    accounted(by_district, ds, "tips")


def test_figures_of_other_periods_or_side_by_side_add_up() -> None:
    rows = [
        obs("tips", "unit:01", "2024-01", 50, "tip"),
        obs("tips", "unit:001", "2024-02", 8, "tip"),  # another month: not the same events
        obs("tips", "unit:00001", "2024-01", 1, "tip"),  # under 01 in January: refused below
    ]
    ds = dataset(rows)
    with pytest.raises(SpaceOverlapError) as info:
        aggregate(ds, ["tips"], by=["year"])
    assert info.value.rows == ((0, 2),)
    siblings = dataset(
        [
            obs("tips", "unit:00001", "2024", 1, "tip"),
            obs("tips", "unit:00002", "2024", 2, "tip"),
            obs("tips", "unit:002", "2024", 4, "tip"),
        ]
    )
    assert [r.quantity for r in aggregate(siblings, ["tips"])] == [Quantity(7, "tip")]


def test_an_initiative_and_its_own_sites() -> None:
    theme = InitiativeTheme(id="th", name_vi="Chủ đề", name_en="Theme")
    initiative = Initiative(id="ini", name_vi="Mô hình", theme="th", scope="001")
    sites = [
        Site(id="a", initiative="ini", admin_units=["00001"]),
        Site(id="b", initiative="ini", admin_units=["00001"]),
    ]
    rows = [
        obs("tips", "initiative:ini", "2024", 30, "tip"),
        obs("tips", "site:a", "2024", 10, "tip"),
        obs("tips", "site:b", "2024", 12, "tip"),
    ]
    ds = dataset(rows, themes=[theme], initiatives=[initiative], sites=sites)
    with pytest.raises(SpaceOverlapError) as info:
        aggregate(ds, ["tips"], by=["initiative"])
    assert info.value.rows == ((0, 1, 2),)
    table = aggregate(ds, ["tips"], by=["initiative"], space_overlap="prefer_reported")
    assert [r.quantity for r in table] == [Quantity(30, "tip")]
    accounted(table, ds, "tips")
    # Two sites of one commune are different places: they add up.
    only_sites = dataset(rows[1:], themes=[theme], initiatives=[initiative], sites=sites)
    assert [r.quantity for r in aggregate(only_sites, ["tips"], by=["commune"])] == [
        Quantity(22, "tip")
    ]


def test_a_unit_and_a_site_anchored_there() -> None:
    theme = InitiativeTheme(id="th", name_vi="Chủ đề", name_en="Theme")
    initiative = Initiative(id="ini", name_vi="Mô hình", theme="th")
    site = Site(id="a", initiative="ini", admin_units=["00001"])
    rows = [obs("tips", "unit:00001", "2024", 9, "tip"), obs("tips", "site:a", "2024", 4, "tip")]
    ds = dataset(rows, themes=[theme], initiatives=[initiative], sites=[site])
    with pytest.raises(SpaceOverlapError):
        aggregate(ds, ["tips"], by=["commune"])


def test_stocks_of_a_unit_and_its_units_in_one_year() -> None:
    rows = [
        obs("mass_organizations", "unit:01", "2024-12", 9, "organization"),
        obs("mass_organizations", "unit:001", "2024-06", 4, "organization"),
    ]
    ds = dataset(rows)
    # Both would be the latest of their series in 2024, and added.
    with pytest.raises(SpaceOverlapError):
        aggregate(ds, ["mass_organizations"], by=["year"])
    assert [r.quantity for r in aggregate(ds, ["mass_organizations"], by=["month"])] == [
        Quantity(4, "organization"),
        Quantity(9, "organization"),
    ]


def test_rollup_settles_each_level() -> None:
    rows = [
        obs("tips", "unit:01", "2024", 5000, "tip"),
        obs("tips", "unit:001", "2024", 800, "tip"),
        obs("tips", "unit:002", "2024", 70, "tip"),
    ]
    ds = dataset(rows)
    with pytest.raises(SpaceOverlapError):
        aggregate_rollup(ds, ["tips"], by=["district"])
    tables = aggregate_rollup(ds, ["tips"], by=["district"], space_overlap="prefer_reported")
    assert [
        (r.keys["province"], r.quantity.value, r.source) for r in tables["province"] if r.quantity
    ] == [
        ("01", 5000, SpaceSource.REPORTED),
        ("02", 70, SpaceSource.SUMMED),
    ]
    assert [(r.keys["district"], r.quantity.value) for r in tables["district"] if r.quantity] == [
        ("001", 800),
        ("002", 70),
    ]
    for table in tables.values():
        accounted(table, ds, "tips")


@pytest.mark.parametrize("overlap", ["error", "prefer_reported", "nope"])
def test_space_overlap_names_a_policy(overlap: str) -> None:
    ds = dataset([obs("tips", "unit:01", "2024", 1, "tip")])
    if overlap == "nope":
        with pytest.raises(InvalidValueError, match="prefer_reported"):
            aggregate(ds, ["tips"], space_overlap=overlap)
    else:
        assert len(aggregate(ds, ["tips"], space_overlap=overlap)) == 1


def test_engines_agree_when_the_reported_figure_is_preferred() -> None:
    pytest.importorskip("polars")
    rows = [
        obs("tips", "unit:01", "2024", 5000, "tip"),
        obs("tips", "unit:001", "2024", 800, "tip", gender="male"),
        obs("tips", "unit:001", "2024", 100, "tip", gender="female"),
        obs("mass_organizations", "unit:01", "2024-12", 9, "organization"),
        obs("mass_organizations", "unit:001", "2024-06", 4, "organization"),
    ]
    ds = dataset(rows)
    for by in (["province"], ["province", "category:gender"], ["year"], ["district"]):
        tables = [
            aggregate(
                ds,
                ["tips", "mass_organizations"],
                by=by,
                engine=engine,
                space_overlap="prefer_reported",
            )
            for engine in ("python", "polars")
        ]
        assert tables[0].rows == tables[1].rows
        assert tables[0].excluded == tables[1].excluded


# -- unit groups -------------------------------------------------------------------------


def group_set(*, exclusive: bool = True) -> UnitGroupSet:
    return UnitGroupSet(
        id="zone",
        name_vi="Vùng",
        exclusive=exclusive,
        groups=[
            UnitGroup(id="north", name_vi="Bắc", members={"cons-test": ["01"]}),
            UnitGroup(id="hills", name_vi="Đồi", members={"cons-test": ["00002", "002"]}),
        ],
    )


def test_group_by_a_group_set() -> None:
    rows = [
        obs("tips", "unit:00001", "2024", 1, "tip"),
        obs("tips", "unit:002", "2024", 4, "tip"),
        obs("tips", "unit:02", "2024-01", 9, "tip"),  # province 02 is in no group
    ]
    ds = dataset(rows)
    table = aggregate(ds, ["tips"], by=["group:zone"], group_sets=[group_set()])
    assert [(r.keys["group:zone"], r.quantity) for r in table] == [
        ("hills", Quantity(4, "tip")),
        ("north", Quantity(1, "tip")),
    ]
    # Expected units are the groups' members: 00002 of the hills reported nothing.
    assert [r.missing for r in table] == [1, 0]
    assert [(u.row, u.reason) for u in table.unplaceable] == [
        (2, "province Hai (02) is in no group of 'zone'")
    ]
    accounted(table, ds, "tips")


def test_a_unit_in_two_groups_is_listed_not_counted_twice() -> None:
    ds = dataset([obs("tips", "unit:00002", "2024", 3, "tip")])
    table = aggregate(ds, ["tips"], by=["group:zone"], group_sets={"zone": group_set()})
    assert len(table) == 0
    assert "several groups of 'zone' (north, hills)" in table.unplaceable[0].reason


def test_group_sets_and_other_names_together() -> None:
    rows = [obs("tips", "unit:00001", "2024", 1, "tip"), obs("tips", "unit:002", "2024", 4, "tip")]
    ds = dataset(rows)
    table = aggregate(
        ds, ["tips"], by=["year", "group:zone", "province"], group_sets=[group_set()]
    )
    assert [dict(r.keys) for r in table] == [
        {"year": Period.parse("2024"), "group:zone": "hills", "province": "02"},
        {"year": Period.parse("2024"), "group:zone": "north", "province": "01"},
    ]
    with pytest.raises(InvalidValueError, match="no unit group set 'nowhere'"):
        aggregate(ds, ["tips"], by=["group:nowhere"], group_sets=[group_set()])


def test_the_bundled_regions_group_the_national_map() -> None:
    gaz = bundled_gazetteer("vn_2025_07")
    lai_chau = gaz.resolve("Lai Châu").code
    ha_noi = gaz.resolve("Hà Nội").code
    ds = Dataset(
        gazetteer=gaz,
        metadata=DatasetMetadata(title_vi="Thử"),
        metrics=[TIPS],
        categories=[SEX, CHANNEL],
        observations=[
            obs("tips", f"unit:{lai_chau}", "2025", 2, "tip"),
            obs("tips", f"unit:{ha_noi}", "2025", 5, "tip"),
        ],
    )
    table = aggregate(ds, ["tips"], by=["group:region"])
    assert sorted(r.quantity.value for r in table if r.quantity) == [2, 5]
    assert len({r.keys["group:region"] for r in table}) == 2


def test_a_total_and_the_parts_of_one_of_its_sub_periods_are_never_added() -> None:
    rows = [
        obs("tips", "unit:00001", "2024", 30, "tip"),
        obs("tips", "unit:00001", "2024Q1", 4, "tip", gender="male"),
        obs("tips", "unit:00001", "2024Q1", 6, "tip", gender="female"),
    ]
    ds = dataset(rows)
    for engine in ("python", "polars"):
        with pytest.raises(OverlappingPeriodsError) as info:
            aggregate(ds, ["tips"], by=["year"], engine=engine)
        assert info.value.rows == ((0, 1, 2),)
    # By quarter the year's total fits no quarter, and the parts make the first one.
    by_quarter = aggregate(ds, ["tips"], by=["quarter"])
    assert [r.quantity for r in by_quarter] == [Quantity(10, "tip")]
    assert [u.row for u in by_quarter.unplaceable] == [0]
    accounted(by_quarter, ds, "tips")
