"""aggregate(): worked examples, each semantic rule, and bad requests."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminUnit,
    AggregateRow,
    AggregateTable,
    AggregationType,
    Dataset,
    Gazetteer,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    Observation,
    Participant,
    Period,
    Qualifier,
    Quantity,
    Site,
    aggregate,
    sample,
)
from antq_core.errors import (
    IncompatibleUnitsError,
    InvalidValueError,
    MissingExtraError,
    OverlappingPeriodsError,
    UnresolvedReferenceError,
    ValuesDoNotFitError,
)

SAMPLE = sample()
GAZ = SAMPLE.gazetteer
# Tam Đường (106) and three of its communes; Phong Thổ (109); Mường So (03589, in 109).
TAM_DUONG, PHONG_THO = "106", "109"
TA_LENG, HO_THAU, BAN_GIANG = "03400", "03406", "03418"
MUONG_SO = "03589"


def metric(id_: str, kind: str = "flow", unit: str = "case", **extra: Any) -> MetricDefinition:
    return MetricDefinition(id=id_, name_vi=id_, name_en=id_, unit=unit, kind=kind, **extra)


def obs(
    metric_id: str,
    subject: str,
    period: str,
    value: int | str,
    unit: str = "case",
    **extra: Any,
) -> Observation:
    return Observation(
        metric=metric_id, subject=subject, period=period, value=value, unit=unit, **extra
    )


def dataset(
    metrics: Iterable[MetricDefinition], observations: Iterable[Observation], **extra: Any
) -> Dataset:
    return Dataset(
        gazetteer=GAZ,
        metadata=SAMPLE.metadata,
        categories=SAMPLE.categories.values(),
        metrics=metrics,
        observations=observations,
        **extra,
    )


def values(table: AggregateTable) -> dict[tuple[Any, ...], Quantity | None]:
    return {tuple(r.keys.values()): r.quantity for r in table}


# -- worked examples -------------------------------------------------------------


def test_cluster_site_counts_once_for_tam_duong() -> None:
    table = aggregate(SAMPLE, ["cases_resolved_jointly"], by=["district"])
    assert [(dict(r.keys), r.quantity, r.observations) for r in table] == [
        ({"district": TAM_DUONG}, Quantity(22, "case"), 1)
    ]
    assert table.unplaceable == ()


def test_cluster_site_is_unplaceable_by_commune() -> None:
    table = aggregate(SAMPLE, ["cases_resolved_jointly"], by=["commune"])
    assert len(table) == 0
    [lost] = table.unplaceable
    assert lost.metric == "cases_resolved_jointly"
    assert str(lost.subject) == "site:site-cum-giap-ranh"
    assert "above the commune level" in lost.reason
    assert SAMPLE.observations[lost.row].value == 22


def test_dhis2_last_values_of_three_districts_sum_at_the_province() -> None:
    # DHIS2 docs: three districts whose last stock values are 100, 150, 200 give 450.
    stock = metric("stock_level", "stock", unit="organization")
    rows = []
    for district, last in (("105", 100), (TAM_DUONG, 150), ("107", 200)):
        rows.append(obs("stock_level", f"unit:{district}", "2017-03", 999, "organization"))
        rows.append(obs("stock_level", f"unit:{district}", "2017-11", last, "organization"))
    table = aggregate(dataset([stock], rows), ["stock_level"], by=["province", "year"])
    assert values(table) == {("12", Period.parse("2017")): Quantity(450, "organization")}


def test_reported_total_and_parts_are_never_added() -> None:
    total = aggregate(SAMPLE, ["released_prisoners_employed"], by=["province", "period"])
    assert [r.quantity for r in total] == [Quantity(29, "person")]
    parts = aggregate(SAMPLE, ["released_prisoners_employed"], by=["capital_source", "period"])
    assert sorted(r.quantity.value for r in parts if r.quantity) == [7, 10, 11]


def test_a_range_grouped_by_year_is_unplaceable_not_split() -> None:
    table = aggregate(SAMPLE, ["released_prisoners_employed"], by=["year"])
    assert len(table) == 0
    assert {u.reason for u in table.unplaceable} == {
        "period 2012-01-01/2017-07-13 does not fit in one year"
    }


def test_a_crop_season_fits_crop_seasons_not_years() -> None:
    by_season = aggregate(SAMPLE, ["poppy_area_destroyed"], by=["crop_season"])
    assert values(by_season) == {
        (Period.parse("2016/2017"),): Quantity(58000, "m2", Qualifier.AT_LEAST)
    }
    by_year = aggregate(SAMPLE, ["poppy_area_destroyed"], by=["year"])
    assert len(by_year) == 0
    assert len(by_year.unplaceable) == 1


# -- values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qualifiers", "expected"),
    [
        ((Qualifier.EXACT, Qualifier.EXACT), Qualifier.EXACT),
        ((Qualifier.EXACT, Qualifier.AT_LEAST), Qualifier.AT_LEAST),
        ((Qualifier.AT_MOST, Qualifier.AT_MOST), Qualifier.AT_MOST),
        ((Qualifier.AT_LEAST, Qualifier.AT_MOST), Qualifier.APPROXIMATELY),
        ((Qualifier.EXACT, Qualifier.APPROXIMATELY), Qualifier.APPROXIMATELY),
    ],
)
def test_qualifiers_propagate_through_sums(
    qualifiers: tuple[Qualifier, Qualifier], expected: Qualifier
) -> None:
    rows = [
        obs("cases", f"unit:{unit}", "2017", 10, qualifier=q)
        for unit, q in zip((TA_LENG, HO_THAU), qualifiers, strict=True)
    ]
    table = aggregate(dataset([metric("cases")], rows), ["cases"], by=["district"])
    assert values(table) == {(TAM_DUONG,): Quantity(20, "case", expected)}


def test_square_metres_and_hectares_sum_in_the_metric_unit() -> None:
    area = metric("area", unit="m2")
    rows = [
        obs("area", f"unit:{TA_LENG}", "2017", 5000, "m2"),
        obs("area", f"unit:{HO_THAU}", "2017", "1.5", "ha"),
    ]
    table = aggregate(dataset([area], rows), ["area"], by=["district"])
    assert values(table) == {(TAM_DUONG,): Quantity(20000, "m2")}


def test_incompatible_units_raise() -> None:
    rows = [
        obs("people", f"unit:{TA_LENG}", "2017", 5, "person"),
        obs("people", f"unit:{HO_THAU}", "2017", 7, "household_attendance"),
    ]
    ds = dataset([metric("people", unit="person")], rows)
    with pytest.raises(IncompatibleUnitsError):
        aggregate(ds, ["people"], by=["district"])


def test_decimal_values_sum_exactly() -> None:
    money = metric("money", unit="vnd")
    rows = [
        obs("money", f"unit:{TA_LENG}", "2017", "0.1", "vnd"),
        obs("money", f"unit:{HO_THAU}", "2017", "0.2", "vnd"),
        obs("money", f"unit:{BAN_GIANG}", "2017", 3, "vnd"),
    ]
    table = aggregate(dataset([money], rows), ["money"], by=["district"])
    assert values(table) == {(TAM_DUONG,): Quantity(Decimal("3.3"), "vnd")}


# -- missing is not zero -------------------------------------------------------------


def test_missing_counts_expected_units_that_reported_nothing() -> None:
    rows = [obs("cases", f"unit:{TA_LENG}", "2017", 0), obs("cases", f"unit:{HO_THAU}", "2017", 4)]
    [row] = aggregate(dataset([metric("cases")], rows), ["cases"], by=["district"])
    assert row.quantity == Quantity(4, "case")
    assert row.observations == 2
    assert row.missing == len(GAZ.children(TAM_DUONG)) - 2


def test_a_group_without_data_has_no_row() -> None:
    rows = [obs("cases", f"unit:{TA_LENG}", "2017", 3)]
    table = aggregate(dataset([metric("cases")], rows), ["cases"], by=["district"])
    assert [r.keys["district"] for r in table] == [TAM_DUONG]


# -- overlaps ----------------------------------------------------------------------------


def test_overlapping_periods_of_a_flow_raise() -> None:
    rows = [
        obs("cases", f"unit:{TA_LENG}", "2017", 10),
        obs("cases", f"unit:{TA_LENG}", "2017Q2", 3),
    ]
    ds = dataset([metric("cases")], rows)
    with pytest.raises(OverlappingPeriodsError) as caught:
        aggregate(ds, ["cases"], by=["district"])
    assert caught.value.metric == "cases"
    assert caught.value.rows == ((0, 1),)
    assert caught.value.periods == (("2017", "2017Q2"),)
    # Grouped by their own periods they are never added: no error.
    assert len(aggregate(ds, ["cases"], by=["district", "period"])) == 2


def test_two_since_the_start_ranges_raise() -> None:
    rows = [
        obs("cases", f"unit:{TA_LENG}", "2012-01-01/2016-12-31", 10),
        obs("cases", f"unit:{TA_LENG}", "2016-01-01/2017-07-13", 3),
    ]
    with pytest.raises(OverlappingPeriodsError):
        aggregate(dataset([metric("cases")], rows), ["cases"])


def test_overlapping_periods_of_a_stock_are_fine() -> None:
    stock = metric("teams", "stock", unit="organization")
    rows = [
        obs("teams", f"unit:{TA_LENG}", "2017", 10, "organization"),
        obs("teams", f"unit:{TA_LENG}", "2017Q2", 3, "organization"),
    ]
    table = aggregate(dataset([stock], rows), ["teams"], by=["district"])
    assert values(table) == {(TAM_DUONG,): Quantity(10, "organization")}


def test_duplicates_of_a_flow_raise() -> None:
    rows = [
        obs("cases", f"unit:{TA_LENG}", "2017", 10),
        obs("cases", f"unit:{TA_LENG}", "2017", 10),
    ]
    with pytest.raises(OverlappingPeriodsError, match="cases"):
        aggregate(dataset([metric("cases")], rows), ["cases"], by=["district"])


def test_last_refuses_to_choose_between_different_duplicates() -> None:
    stock = metric("teams", "stock", unit="organization")
    same = [obs("teams", f"unit:{TA_LENG}", "2017", 10, "organization")] * 2
    table = aggregate(dataset([stock], same), ["teams"], by=["district"])
    assert values(table) == {(TAM_DUONG,): Quantity(10, "organization")}
    different = [*same[:1], obs("teams", f"unit:{TA_LENG}", "2017", 11, "organization")]
    with pytest.raises(OverlappingPeriodsError):
        aggregate(dataset([stock], different), ["teams"], by=["district"])


# -- aggregation types ---------------------------------------------------------------------


def typed(time: str, space: str, unit: str = "case") -> MetricDefinition:
    return metric("x", unit=unit, time_aggregation=time, space_aggregation=space)


TWO_UNITS_TWO_MONTHS = [
    obs("x", f"unit:{TA_LENG}", "2017-01", 4),
    obs("x", f"unit:{TA_LENG}", "2017-06", 7),
    obs("x", f"unit:{HO_THAU}", "2017-02", 1),
    obs("x", f"unit:{HO_THAU}", "2017-12", 2),
]


@pytest.mark.parametrize(
    ("time", "space", "unit", "expected"),
    [
        ("sum", "sum", "case", Quantity(14, "case")),
        ("last", "last", "case", Quantity(9, "case")),
        ("last", "sum", "case", Quantity(9, "case")),
        ("first", "first", "case", Quantity(5, "case")),
        ("min", "min", "case", Quantity(1, "case")),
        ("max", "max", "case", Quantity(7, "case")),
        ("max", "sum", "case", Quantity(9, "case")),
        ("count", "count", "case", Quantity(2, "value")),
        ("count", "sum", "case", Quantity(4, "value")),
        # means 5.5 and 1.5, summed: exact
        ("average_sum_org_unit", "average_sum_org_unit", "case", Quantity(7, "case")),
        ("last_average_org_unit", "last_average_org_unit", "vnd", Quantity(Decimal("4.5"), "vnd")),
        ("average", "average", "vnd", Quantity(Decimal("3.5"), "vnd")),
        # the mean of 5.5 and 1.5 cases is 3.5 cases: not whole, so rounded and marked
        ("average", "average", "case", Quantity(4, "case", Qualifier.APPROXIMATELY)),
        ("last_in_period", "last_in_period", "case", Quantity(2, "case")),
        ("none", "none", "case", None),
    ],
)
def test_aggregation_types(time: str, space: str, unit: str, expected: Quantity | None) -> None:
    rows = [obs("x", str(o.subject), str(o.period), o.value, unit) for o in TWO_UNITS_TWO_MONTHS]
    ds = dataset([typed(time, space, unit)], rows)
    [row] = aggregate(ds, ["x"], by=["district", "year"])
    assert row.quantity == expected
    assert row.observations == (2 if time.startswith(("last", "first")) else 4) - (
        time == "last_in_period"
    )


def test_none_shows_a_single_value() -> None:
    ds = dataset([typed("none", "none")], TWO_UNITS_TWO_MONTHS[:1])
    [row] = aggregate(ds, ["x"], by=["district", "year"])
    assert row.quantity == Quantity(4, "case")


def test_last_in_period_needs_the_last_sub_period() -> None:
    ds = dataset([typed("last_in_period", "sum")], TWO_UNITS_TWO_MONTHS)
    rows = aggregate(ds, ["x"], by=["commune", "quarter"])
    assert values(rows) == {
        (HO_THAU, Period.parse("2017Q4")): Quantity(2, "case"),
        (TA_LENG, Period.parse("2017Q2")): Quantity(7, "case"),
    }


# -- ratios -----------------------------------------------------------------------------


def test_ratios_divide_aggregated_parts() -> None:
    metrics = [
        metric("ok"),
        metric("all"),
        metric("rate", "ratio", unit="percent", numerator="ok", denominator="all", factor=100),
    ]
    rows = [
        obs("ok", f"unit:{TA_LENG}", "2017", 1),
        obs("all", f"unit:{TA_LENG}", "2017", 2),
        obs("ok", f"unit:{HO_THAU}", "2017", 9, qualifier="at_least"),
        obs("all", f"unit:{HO_THAU}", "2017", 10),
    ]
    table = aggregate(dataset(metrics, rows), ["rate"], by=["district"])
    # 10 of 12, not the mean of 50% and 90%: 83.3333..., rounded and marked.
    assert values(table) == {
        (TAM_DUONG,): Quantity(Decimal("83.3333"), "percent", Qualifier.APPROXIMATELY)
    }
    [row] = table
    assert row.observations == 4


def test_a_ratio_missing_a_part_or_dividing_by_zero_has_no_value() -> None:
    metrics = [
        metric("ok"),
        metric("all"),
        metric("rate", "ratio", unit="percent", numerator="ok", denominator="all", factor=100),
    ]
    rows = [
        obs("ok", f"unit:{TA_LENG}", "2017", 1),
        obs("ok", "unit:03390", "2017", 1),
        obs("all", "unit:03390", "2017", 0),
        obs("ok", f"unit:{MUONG_SO}", "2017", 1),
        obs("all", f"unit:{MUONG_SO}", "2017", 4),
    ]
    table = aggregate(dataset(metrics, rows), ["rate"], by=["commune"])
    assert values(table) == {
        ("03390",): None,
        (MUONG_SO,): Quantity(25, "percent"),
        (TA_LENG,): None,
    }


def test_a_ratio_of_a_lower_bound_over_an_exact_denominator_is_a_lower_bound() -> None:
    metrics = [
        metric("ok"),
        metric("all"),
        metric("rate", "ratio", unit="percent", numerator="ok", denominator="all", factor=100),
    ]
    rows = [
        obs("ok", f"unit:{TA_LENG}", "2017", 1, qualifier="at_least"),
        obs("all", f"unit:{TA_LENG}", "2017", 4, qualifier="at_least"),
    ]
    [row] = aggregate(dataset(metrics, rows), ["rate"], by=["commune"])
    assert row.quantity == Quantity(25, "percent", Qualifier.APPROXIMATELY)
    rows[1] = obs("all", f"unit:{TA_LENG}", "2017", 4, qualifier="at_most")
    [row] = aggregate(dataset(metrics, rows), ["rate"], by=["commune"])
    assert row.quantity == Quantity(25, "percent", Qualifier.AT_LEAST)


def test_a_ratio_that_is_its_own_part_is_refused() -> None:
    loop = metric("r", "ratio", unit="percent", numerator="r", denominator="r")
    with pytest.raises(InvalidValueError, match="its own part"):
        aggregate(dataset([loop], []), ["r"])


# -- distinct people ------------------------------------------------------------------------


def people_dataset() -> Dataset:
    theme = InitiativeTheme(id="t", name_vi="t", name_en="t")
    initiative = Initiative(id="i", name_vi="i", theme="t", scope=TAM_DUONG)
    people = [
        Participant(id="p1", roles=["released_prisoner"], admin_unit=TA_LENG),
        Participant(id="p2", roles=["released_prisoner"], admin_unit=HO_THAU),
        Participant(id="p3", roles=["released_prisoner"], initiative="i"),
    ]
    supported = metric("supported", "distinct", unit="person")
    rows = [
        obs("supported", "participant:p1", "2017-01", 1, "person"),
        obs("supported", "participant:p1", "2017-05", 1, "person"),
        obs("supported", "participant:p2", "2017-05", 1, "person"),
        obs("supported", "participant:p3", "2016-05", 1, "person"),
        obs("supported", f"unit:{TA_LENG}", "2017", 40, "person"),
    ]
    return dataset(
        [supported], rows, themes=[theme], initiatives=[initiative], participants=people
    )


def test_distinct_people_count_once_across_periods_and_places() -> None:
    ds = people_dataset()
    assert values(aggregate(ds, ["supported"], by=["district"])) == {
        (TAM_DUONG,): Quantity(3, "person")
    }
    assert values(aggregate(ds, ["supported"], by=["commune", "year"])) == {
        (HO_THAU, Period.parse("2017")): Quantity(1, "person"),
        (TA_LENG, Period.parse("2017")): Quantity(1, "person"),
    }


def test_a_reported_total_of_a_distinct_metric_is_unplaceable() -> None:
    table = aggregate(people_dataset(), ["supported"], by=["district"])
    [lost] = table.unplaceable
    assert str(lost.subject) == f"unit:{TA_LENG}"
    assert "participant records" in lost.reason


# -- filters and groupings --------------------------------------------------------------------


def test_period_filter_keeps_inside_and_reports_crossing() -> None:
    rows = [
        obs("cases", f"unit:{TA_LENG}", "2017-03", 1),
        obs("cases", f"unit:{TA_LENG}", "2016-12", 5),
        obs("cases", f"unit:{HO_THAU}", "2016-06-01/2017-06-01", 9),
    ]
    table = aggregate(
        dataset([metric("cases")], rows), ["cases"], by=["district"], periods=Period.parse("2017")
    )
    assert values(table) == {(TAM_DUONG,): Quantity(1, "case")}
    assert [u.row for u in table.unplaceable] == [2]


def test_within_keeps_units_under_it_and_reports_anchors_above_it() -> None:
    table = aggregate(SAMPLE, ["cases_resolved_jointly"], within=TA_LENG)
    assert len(table) == 0
    assert "contains the filter unit" in table.unplaceable[0].reason
    inside = aggregate(SAMPLE, ["cases_resolved_jointly"], by=["province"], within=[TAM_DUONG])
    assert values(inside) == {("12",): Quantity(22, "case")}
    outside = aggregate(SAMPLE, ["cases_resolved_jointly"], within=PHONG_THO)
    assert (len(outside), outside.unplaceable) == (0, ())


def test_by_initiative_and_theme() -> None:
    table = aggregate(SAMPLE, ["released_prisoners_income_2m_plus"], by=["initiative", "theme"])
    assert values(table) == {
        ("mh-tai-hoa-nhap-muong-so", "community_reintegration"): Quantity(18, "person")
    }
    only = aggregate(SAMPLE, ["initiatives"], by=["initiative"])
    assert "belongs to no initiative" in only.unplaceable[0].reason


def test_initiative_filter() -> None:
    table = aggregate(SAMPLE, ["cases_resolved_jointly"], initiatives="mh-cum-giap-ranh-tam-duong")
    assert values(table) == {(): Quantity(22, "case")}
    other = aggregate(SAMPLE, ["cases_resolved_jointly"], initiatives=["mh-nguoi-uy-tin"])
    assert len(other) == 0


def test_by_organization_kind() -> None:
    orgs = [
        MassOrganization(id="o1", kind="mediation_team", name_vi="a", admin_unit=TA_LENG),
        MassOrganization(id="o2", kind="mediation_team", name_vi="b", admin_unit=HO_THAU),
        MassOrganization(id="o3", kind="youth_shock_team", name_vi="c", admin_unit=HO_THAU),
    ]
    rows = [
        obs("cases", "organization:o1", "2017", 1),
        obs("cases", "organization:o2", "2017", 2),
        obs("cases", "organization:o3", "2017", 4),
    ]
    table = aggregate(
        dataset([metric("cases")], rows, organizations=orgs),
        ["cases"],
        by=["organization_kind", "district"],
    )
    assert values(table) == {
        ("mediation_team", TAM_DUONG): Quantity(3, "case"),
        ("youth_shock_team", TAM_DUONG): Quantity(4, "case"),
    }


def test_an_initiative_without_scope_sits_at_its_sites_common_ancestor() -> None:
    theme = InitiativeTheme(id="t", name_vi="t", name_en="t")
    initiative = Initiative(id="i", name_vi="i", theme="t")
    sites = [
        Site(id="s1", initiative="i", admin_units=[TA_LENG]),
        Site(id="s2", initiative="i", admin_units=[HO_THAU]),
    ]
    rows = [obs("cases", "initiative:i", "2017", 5)]
    ds = dataset([metric("cases")], rows, themes=[theme], initiatives=[initiative], sites=sites)
    assert values(aggregate(ds, ["cases"], by=["district"])) == {(TAM_DUONG,): Quantity(5, "case")}


def test_unknown_subjects_are_unplaceable() -> None:
    rows = [obs("cases", "site:nowhere", "2017", 5), obs("cases", "unit:99999", "2017", 1)]
    table = aggregate(dataset([metric("cases")], rows), ["cases"], by=["district"])
    assert len(table) == 0
    assert [u.reason for u in table.unplaceable] == [
        "site:nowhere: no such site in the dataset",
        "unit 99999 is not in the gazetteer",
    ]


# -- results and bad requests ----------------------------------------------------------------


def test_table_to_dicts_and_repr() -> None:
    table = aggregate(SAMPLE, ["poppy_area_destroyed"], by=["province"])
    assert table.to_dicts() == [
        {
            "province": "12",
            "metric": "poppy_area_destroyed",
            "value": 58000,
            "unit": "m2",
            "qualifier": "at_least",
            "observations": 1,
            # districts Tam Đường (the cluster site) and Phong Thổ (Mường So) reported
            "missing": len(GAZ.children("12")) - 2,
            "source": "summed",
        }
    ]
    assert repr(table).startswith("<AggregateTable by ['province']: 1 rows")
    assert isinstance(table[0], AggregateRow)


def test_to_polars() -> None:
    pl = pytest.importorskip("polars")
    money = metric("money", unit="vnd")
    rows = [
        obs("money", f"unit:{TA_LENG}", "2017", "0.25", "vnd"),
        obs("money", f"unit:{MUONG_SO}", "2017", 3, "vnd"),
    ]
    frame = aggregate(dataset([money], rows), ["money"], by=["district", "year"]).to_polars()
    assert frame.columns == [
        "district",
        "year",
        "metric",
        "value",
        "unit",
        "qualifier",
        "observations",
        "missing",
        "source",
    ]
    assert frame["value"].dtype == pl.Decimal(38, 2)
    assert frame["year"].to_list() == ["2017", "2017"]
    ints = aggregate(SAMPLE, ["cases_resolved_jointly"], by=["district"]).to_polars()
    assert ints["value"].to_list() == [22]


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_to_polars_keeps_sums_past_64_bit_integers_exact(engine: str) -> None:
    # Two counts of 2**62 + 1 sum past Int64: the column is a decimal, not an
    # overflow, and the value is the exact sum.
    pl = pytest.importorskip("polars")
    big = 2**62 + 1
    rows = [
        obs("cases_resolved_jointly", f"unit:{TA_LENG}", "2017", big),
        obs("cases_resolved_jointly", f"unit:{MUONG_SO}", "2017", big),
    ]
    ds = dataset([metric("cases_resolved_jointly")], rows)
    frame = aggregate(ds, ["cases_resolved_jointly"], by=["province"], engine=engine).to_polars()
    assert frame["value"].dtype == pl.Decimal(38, 0)
    assert frame["value"].to_list() == [Decimal(2 * big)]


def test_to_polars_refuses_values_wider_than_38_digits() -> None:
    pytest.importorskip("polars")
    # 30 digits before the mark (the most a value may have) and 10 after it: exact in
    # the table, 40 digits for a column that holds 38.
    rows = [
        obs("money", f"unit:{TA_LENG}", "2017", 10**29, "vnd"),
        obs("money", f"unit:{MUONG_SO}", "2017", "0.0000000001", "vnd"),
    ]
    table = aggregate(dataset([metric("money", unit="vnd")], rows), ["money"], by=["province"])
    assert table[0].quantity is not None
    assert table[0].quantity.value == Decimal("1" + "0" * 29 + ".0000000001")
    with pytest.raises(ValuesDoNotFitError, match=r"30 digits before .* 10 after") as caught:
        table.to_polars()
    assert "read the table's rows" in str(caught.value)


_VALUES = st.one_of(
    st.integers(0, 10**29),
    st.decimals(min_value=0, max_value=10**29, places=12, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=60, deadline=None)
@example(values=[2**63], engine="python")  # just past Int64
@example(values=[10**29, Decimal("0.000000000001")], engine="polars")  # 42 digits
@given(
    values=st.lists(_VALUES, min_size=1, max_size=4), engine=st.sampled_from(["python", "polars"])
)
def test_to_polars_holds_the_rows_values_or_refuses(
    values: list[int | Decimal], engine: str
) -> None:
    # Whatever the rows hold (sums past Int64, fractions, both): the frame has the same
    # values, exactly, or to_polars refuses with ValuesDoNotFitError when they need more
    # than 38 digits; never polars' own error, never a rounded value.
    pytest.importorskip("polars")
    units = [TA_LENG, HO_THAU, BAN_GIANG, MUONG_SO]
    rows = [
        obs("money", f"unit:{u}", "2017", f"{v:f}" if isinstance(v, Decimal) else v, "vnd")
        for u, v in zip(units, values, strict=False)
    ]
    ds = dataset([metric("money", unit="vnd")], rows)
    table = aggregate(ds, ["money"], by=["district"], engine=engine)
    expected = [r.quantity.value if r.quantity else None for r in table]
    exact = [Decimal(v) for v in expected if v is not None]
    digits = max((d.adjusted() + 1 for d in exact if d), default=0)
    scale = max((max(-d.as_tuple().exponent, 0) for d in exact), default=0)  # type: ignore[operator]
    if digits + scale > 38:
        with pytest.raises(ValuesDoNotFitError):
            table.to_polars()
        return
    assert table.to_polars()["value"].to_list() == expected


def test_to_pandas_has_the_columns_and_values_of_to_polars() -> None:
    table = aggregate(SAMPLE, ["cases_resolved_jointly", "initiatives"], by=["district"])
    frame = table.to_pandas()
    assert list(frame.columns) == list(table.to_polars().columns)
    assert frame["value"].tolist() == [r.quantity.value for r in table if r.quantity]
    assert frame["district"].tolist() == [r.keys["district"] for r in table]


def test_to_polars_without_polars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    with pytest.raises(MissingExtraError, match=r"antq_core\[dataframe\]"):
        aggregate(SAMPLE, ["cases_resolved_jointly"]).to_polars()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"metrics": []}, InvalidValueError),
        ({"metrics": ["nope"]}, UnresolvedReferenceError),
        ({"metrics": [3]}, InvalidValueError),
        ({"by": ["county"]}, InvalidValueError),
        ({"by": ["year", "year"]}, InvalidValueError),
        ({"by": ["sex"]}, InvalidValueError),
        ({"periods": "2017"}, InvalidValueError),
        ({"within": "99999"}, UnresolvedReferenceError),
        ({"initiatives": "nope"}, UnresolvedReferenceError),
        ({"engine": "spark"}, InvalidValueError),
    ],
)
def test_bad_requests_raise_typed_errors(kwargs: dict[str, Any], error: type[Exception]) -> None:
    request: dict[str, Any] = {"metrics": ["cases_resolved_jointly"], **kwargs}
    with pytest.raises(error):
        aggregate(SAMPLE, **request)


def test_engine_python_is_the_reference() -> None:
    table = aggregate(SAMPLE, "cases_resolved_jointly", "district", engine="python")
    assert table.engine == "python"


def test_aggregation_type_table_covers_every_type() -> None:
    # Each declared type is accepted on both axes (distinct needs participants: above).
    for kind in AggregationType:
        if kind is AggregationType.DISTINCT:
            continue
        ds = dataset([typed(kind.value, kind.value)], TWO_UNITS_TWO_MONTHS[:1])
        assert len(aggregate(ds, ["x"], by=["district"])) == 1


# -- where each kind of subject lands ------------------------------------------------------


def two_provinces() -> Gazetteer:
    return Gazetteer(
        "test",
        [
            AdminUnit(code="01", name="Một", level="province"),
            AdminUnit(code="001", name="Huyện", level="district", parent="01"),
            AdminUnit(code="00001", name="Xã", level="commune", parent="001"),
            AdminUnit(code="00011", name="Xã Hai", level="commune", parent="001"),
            AdminUnit(code="02", name="Hai", level="province"),
            AdminUnit(code="00002", name="Xã Ba", level="commune", parent="02"),
        ],
    )


def test_every_kind_of_subject_is_placed_or_says_why() -> None:
    theme = InitiativeTheme(id="t", name_vi="t", name_en="t")
    initiatives = [
        Initiative(id="scoped", name_vi="a", theme="t", scope="001"),
        Initiative(id="bare", name_vi="b", theme="t"),
        Initiative(id="spread", name_vi="c", theme="t"),
    ]
    sites = [
        Site(id="far", initiative="spread", admin_units=["00001", "00002"]),
        Site(id="lost", initiative="scoped", admin_units=["99999"]),
        Site(id="orphan", initiative="gone", admin_units=["00001"]),
    ]
    orgs = [
        MassOrganization(
            id="o", kind="mediation_team", name_vi="o", admin_unit="00011", initiative="scoped"
        )
    ]
    people = [
        Participant(id="via-org", roles=["member"], organization="o"),
        Participant(id="via-initiative", roles=["member"], initiative="scoped"),
        Participant(id="nowhere", roles=["member"]),
    ]
    subjects = [
        "participant:via-org",
        "participant:via-initiative",
        "participant:nowhere",
        "participant:ghost",
        "organization:o",
        "organization:ghost",
        "initiative:scoped",
        "initiative:bare",
        "initiative:ghost",
        "site:far",
        "site:lost",
        "site:orphan",
        "unit:00002",
    ]
    ds = Dataset(
        gazetteer=two_provinces(),
        metadata=SAMPLE.metadata,
        themes=[theme],
        metrics=[metric("cases")],
        initiatives=initiatives,
        sites=sites,
        organizations=orgs,
        participants=people,
        observations=[obs("cases", s, "2017", n + 1) for n, s in enumerate(subjects)],
    )
    table = aggregate(ds, ["cases"], by=["district", "theme"])
    # via-org (1), via-initiative (2), the organization (5), the scoped initiative (7)
    assert values(table) == {("001", "t"): Quantity(15, "case")}
    reasons = {str(u.subject): u.reason for u in table.unplaceable}
    assert reasons == {
        "participant:nowhere": "participant:nowhere: the participant has no unit,"
        " organization unit or initiative place",
        "participant:ghost": "participant:ghost: no such participant in the dataset",
        "organization:ghost": "organization:ghost: no such organization in the dataset",
        "initiative:bare": "initiative:bare: the initiative has no scope and no placeable sites",
        "initiative:ghost": "initiative:ghost: no such initiative in the dataset",
        "site:far": "site:far: its units share no ancestor",
        "site:lost": "site:lost: unit 99999 is not in the gazetteer",
        "site:orphan": "site:orphan: initiative gone is not in the dataset",
        "unit:00002": "no district contains commune 00002",
    }
    kinds = aggregate(ds, ["cases"], by=["organization_kind"])
    assert values(kinds) == {("mediation_team",): Quantity(6, "case")}
    assert "participant:via-initiative: has no organization kind" in {
        u.reason for u in kinds.unplaceable
    }


def test_missing_without_a_space_grouping_counts_under_each_within_unit() -> None:
    rows = [obs("cases", "unit:00001", "2017", 1), obs("cases", "unit:00002", "2017", 1)]
    ds = Dataset(
        gazetteer=two_provinces(),
        metadata=SAMPLE.metadata,
        metrics=[metric("cases")],
        observations=rows,
    )
    [everywhere] = aggregate(ds, ["cases"])
    assert (everywhere.quantity, everywhere.missing) == (Quantity(2, "case"), 0)
    [inside] = aggregate(ds, ["cases"], within=["001", "02"])
    # under 001: 00001 reported, 00011 did not; under 02: 00002 reported
    assert (inside.quantity, inside.missing) == (Quantity(2, "case"), 1)


def test_whole_decimal_sums_become_integers_and_metrics_count_once() -> None:
    area = metric("area", unit="m2")
    rows = [
        obs("area", f"unit:{TA_LENG}", "2017", "0.5", "m2"),
        obs("area", f"unit:{HO_THAU}", "2017", "1.5", "m2"),
    ]
    table = aggregate(dataset([area], rows), ["area", "area"], by=["district"])
    [row] = table
    assert row.quantity == Quantity(2, "m2")
    assert type(row.quantity.value) is int


def test_one_request_mixing_every_scan() -> None:
    metrics = [
        metric("cases"),
        metric("teams", "stock", unit="organization"),
        metric("mean", unit="vnd", time_aggregation="average", space_aggregation="average"),
        metric("alone", time_aggregation="none", space_aggregation="none"),
    ]
    rows = [
        obs("cases", f"unit:{TA_LENG}", "2017-01", 2),
        obs("teams", f"unit:{TA_LENG}", "2017-01", 5, "organization"),
        obs("teams", f"unit:{TA_LENG}", "2017-01", 5, "organization"),  # the same figure twice
        obs("teams", f"unit:{TA_LENG}", "2017-02", 6, "organization"),
        obs("mean", f"unit:{TA_LENG}", "2017-01", 1, "vnd"),
        obs("mean", f"unit:{TA_LENG}", "2017-02", 1, "vnd"),
        obs("mean", f"unit:{TA_LENG}", "2017-03", 2, "vnd"),
        obs("alone", f"unit:{TA_LENG}", "2017-01", 1),
        obs("alone", f"unit:{HO_THAU}", "2017-01", 1),
    ]
    table = aggregate(dataset(metrics, rows), ["cases", "teams", "mean", "alone"], by="district")
    assert {r.metric: r.quantity for r in table} == {
        "cases": Quantity(2, "case"),
        "teams": Quantity(6, "organization"),
        "mean": Quantity(Decimal("1.3333"), "vnd", Qualifier.APPROXIMATELY),
        "alone": None,
    }
