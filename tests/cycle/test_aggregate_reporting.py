"""Aggregate rows carrying the reporting rate of the units under them (``reporting=``)."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from antq_core import (
    AggregateRow,
    AggregateTable,
    Dataset,
    Period,
    ReportingRate,
    Submission,
    UnitGroup,
    UnitGroupSet,
    aggregate,
    aggregate_rollup,
    completeness,
)
from antq_core.errors import InvalidValueError

ENGINES = ("python", "polars", "duckdb")


# As the conftest's `may` has them.
LATE = ("00104", "00107")
SILENT = "00108"


@pytest.mark.parametrize("engine", ENGINES)
def test_the_district_roll_up_carries_its_communes_reporting_rate(
    may: Dataset, engine: str
) -> None:
    table = aggregate(
        may,
        ["tips_received", "mediation_cases"],
        by=["district", "month"],
        reporting="monthly",
        engine=engine,
    )
    assert table.reporting_form == "monthly"
    assert len(table) == 2
    for row in table:
        rate = row.reporting
        assert rate is not None
        assert (rate.units, rate.expected, rate.actual, rate.on_time) == (8, 8, 7, 5)
        assert rate.rate == Fraction(7, 8)
        assert rate.timely_rate == Fraction(5, 8)
    # The same counts as completeness rolled up to the district.
    (district,) = completeness(may, form="monthly", period="2025-05", level="district").units
    first = table[0].reporting
    assert first is not None
    assert (district.expected, district.actual, district.on_time) == (
        first.expected,
        first.actual,
        first.on_time,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_without_reporting_rows_carry_none(may: Dataset, engine: str) -> None:
    table = aggregate(may, "tips_received", by=["district", "month"], engine=engine)
    assert table.reporting_form is None
    assert all(row.reporting is None for row in table)
    assert "reporting" not in table.to_dicts()[0]
    assert "reports_expected" not in table.to_polars().columns


@pytest.mark.parametrize("engine", ENGINES)
def test_a_year_of_monthly_reports_per_commune(
    may: Dataset, engine: str, communes: dict[str, str]
) -> None:
    table = aggregate(
        may,
        "tips_received",
        by=["commune"],
        periods=Period.parse("2025"),
        reporting="monthly",
        engine=engine,
    )
    # The silent commune has no figure, so no row: its silence shows in the district's rate.
    assert sorted(str(row.keys["commune"]) for row in table) == sorted(set(communes) - {SILENT})
    for row in table:
        rate = row.reporting
        assert rate is not None
        assert (rate.units, rate.expected, rate.actual) == (1, 12, 1)
        assert rate.on_time == (0 if row.keys["commune"] in LATE else 1)
        assert rate.rate == Fraction(1, 12)


@pytest.mark.parametrize("engine", ENGINES)
def test_exports_carry_the_counts(may: Dataset, engine: str) -> None:
    table = aggregate(
        may, "tips_received", by=["district", "month"], reporting="monthly", engine=engine
    )
    (data,) = table.to_dicts()
    assert data["reporting"] == {
        "form": "monthly",
        "units": 8,
        "expected": 8,
        "actual": 7,
        "on_time": 5,
        "unknown_time": 0,
        "rate": 0.875,
        "timely_rate": 0.625,
    }
    frame = table.to_polars()
    assert frame.select(
        "reports_units", "reports_expected", "reports_actual", "reports_on_time"
    ).row(0) == (8, 8, 7, 5)
    assert table.to_dict()["rows"][0]["reporting"]["actual"] == 7
    # The published JSON Schemas accept them.
    for kind, value in ((AggregateTable, table), (AggregateRow, table[0])):
        adapter = TypeAdapter(kind)
        dumped = json.loads(adapter.dump_json(value))
        schema = adapter.json_schema(mode="serialization")
        jsonschema.validate(dumped, schema, cls=jsonschema.Draft202012Validator)
    assert dumped["reporting"]["rate"] == 0.875


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_by_a_group_set(may: Dataset, engine: str) -> None:
    version = may.gazetteer.version
    halves = UnitGroupSet(
        "halves",
        "Hai nửa huyện",
        groups=[
            UnitGroup("north", "Phía bắc", members={version: ("00101", "00102", "00103")}),
            UnitGroup("south", "Phía nam", members={version: ("00104", "00107", "00108")}),
        ],
    )
    table = aggregate(
        may,
        "tips_received",
        by=["group:halves", "month"],
        group_sets=[halves],
        reporting="monthly",
        engine=engine,
    )
    rates = {row.keys["group:halves"]: row.reporting for row in table}
    north, south = rates["north"], rates["south"]
    assert north is not None
    assert south is not None
    assert (north.units, north.actual, north.on_time) == (3, 3, 3)
    # Two late communes and the silent one.
    assert (south.units, south.actual, south.on_time) == (3, 2, 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_by_category_share_their_place_and_period_rate(
    ds: Dataset, report: Any, on: Any, engine: str
) -> None:
    current = ds
    for code, day in (("00101", 2), ("00102", 8)):
        current, _ = current.apply(report(code, tips_received=1), now=on(day))
    members = Submission.model_validate(
        {
            "form": "monthly",
            "subject": "unit:00101",
            "period": "2025-05",
            "items": [
                {"metric": "mass_organization_members", "value": n, "disaggregation": {"sex": s}}
                for s, n in (("male", 5), ("female", 7))
            ],
        }
    )
    current, summary = current.apply(members, now=on(3))
    assert summary.imported == 2
    table = aggregate(
        current,
        "mass_organization_members",
        by=["district", "sex"],
        periods=Period.parse("2025-05"),
        reporting="monthly",
        engine=engine,
    )
    assert len(table) == 2
    for row in table:
        # Whatever the breakdown, the district's communes: two reported, one on time.
        assert row.reporting == ReportingRate("monthly", 8, 8, 2, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_roll_up_carries_the_rate_at_every_level(may: Dataset, engine: str) -> None:
    tables = aggregate_rollup(
        may, "tips_received", by=["commune", "month"], reporting="monthly", engine=engine
    )
    (province,) = tables["province"]
    assert province.reporting == ReportingRate("monthly", 8, 8, 7, 5)
    (district,) = tables["district"]
    assert district.reporting == province.reporting
    communes = {row.keys["commune"]: row.reporting for row in tables["commune"]}
    assert communes["00104"] == ReportingRate("monthly", 1, 1, 1, 0)
    assert communes["00101"] == ReportingRate("monthly", 1, 1, 1, 1)


def test_within_limits_the_units_counted(may: Dataset) -> None:
    (row,) = aggregate(
        may, "tips_received", by=["month"], within=["00101", "00104"], reporting="monthly"
    )
    assert row.reporting == ReportingRate("monthly", 2, 2, 2, 1)


def test_only_the_units_the_form_assigns_count(may: Dataset) -> None:
    """The province holds nine communes; the form assigns the eight of district 001."""
    assert len([u for u in may.gazetteer if u.level.value == "commune"]) == 9
    (row,) = aggregate(may, "tips_received", by=["province", "month"], reporting="monthly")
    assert row.reporting == ReportingRate("monthly", 8, 8, 7, 5)


def test_wrong_questions_are_typed_errors(may: Dataset, monthly_form: Any) -> None:
    with pytest.raises(InvalidValueError, match="no such reporting form"):
        aggregate(may, "tips_received", by=["month"], reporting="nope")
    with pytest.raises(InvalidValueError, match="no period"):
        aggregate(may, "tips_received", by=["district"], reporting="monthly")
    yearly = monthly_form(id="yearly", period_kind="year")
    with pytest.raises(InvalidValueError, match="holds no year"):
        aggregate(may, "tips_received", by=["district", "month"], reporting=yearly)
    with pytest.raises(InvalidValueError, match="holds no year"):
        aggregate(
            may,
            "tips_received",
            by=["district"],
            periods=Period.parse("2025-05"),
            reporting=yearly,
        )


def test_a_form_given_itself_need_not_be_in_the_dataset(may: Dataset, monthly_form: Any) -> None:
    """A form passed as an object is used as it is (a yearly form over monthly figures)."""
    yearly = monthly_form(id="yearly", period_kind="year", expiry_days=400, timely_days=400)
    (row,) = aggregate(may, "tips_received", by=["district", "year"], reporting=yearly)
    assert row.reporting is not None
    # No commune has a yearly figure: 8 reports due, none given.
    assert (row.reporting.expected, row.reporting.actual) == (8, 0)


GROUPINGS: list[tuple[list[str], str | None]] = [
    (["commune", "month"], None),
    (["district", "month"], None),
    (["province", "quarter"], None),
    (["district", "year"], None),
    (["district"], "2025-05"),
    (["month"], None),
    (["commune", "period"], None),
    ([], "2025"),
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.lists(
        st.one_of(st.none(), st.integers(min_value=1, max_value=20)), min_size=16, max_size=16
    ),
    grouping=st.sampled_from(GROUPINGS),
)
def test_each_rows_rate_is_completeness_of_its_unit_and_period(  # noqa: PLR0917 - fixtures
    ds: Dataset,
    report: Any,
    on: Any,
    communes: dict[str, str],
    days: list[int | None],
    grouping: tuple[list[str], str | None],
) -> None:
    """Law: a row's rate is completeness() of the row's unit and period; the engines agree.

    Each commune reports May and June 2025 on a drawn day of the next month
    (or never); the rows are grouped by a drawn grouping.
    """
    current = ds
    for k, code in enumerate(communes):
        for month, day in ((5, days[2 * k]), (6, days[2 * k + 1])):
            if day is None:
                continue
            submission = report(code, f"2025-{month:02d}", tips_received=k + month)
            current, summary = current.apply(submission, now=on(day, month + 1), force=True)
            assert summary.imported == 1
    by, period = grouping
    wanted = None if period is None else Period.parse(period)
    tables = [
        aggregate(
            current, "tips_received", by=by, periods=wanted, reporting="monthly", engine=engine
        )
        for engine in ENGINES
    ]
    rates = [[row.reporting for row in table] for table in tables]
    assert rates[0] == rates[1]
    assert tables[0].to_dicts() == tables[1].to_dicts()
    levels = {"province", "district", "commune"}
    for row in tables[0]:
        rate = row.reporting
        assert rate is not None
        place = next((str(row.keys[n]) for n in by if n in levels), None)
        times = [row.keys[n] for n in by if n not in levels]
        periods = [p for p in times if isinstance(p, Period)]
        if wanted is not None:
            periods.append(wanted)
        row_period = min(periods, key=lambda p: p.days)
        if row_period.kind.value != "month" and not row_period.sub_periods("month"):
            assert rate.expected == 0
            continue
        expected = completeness(current, form="monthly", period=row_period, parent=place)
        assert (rate.expected, rate.actual, rate.on_time, rate.unknown_time) == (
            expected.expected,
            expected.actual,
            expected.on_time,
            sum(u.unknown_time for u in expected.units),
        )
        assert rate.rate == expected.rate
        assert rate.timely_rate == expected.timely_rate


@pytest.mark.parametrize("engine", ENGINES)
def test_a_form_whose_compulsory_figure_was_never_stored_has_no_report_given(
    ds: Dataset, report: Any, on: Any, engine: str
) -> None:
    # Only an optional figure is in: no unit has given the report (tips_received is compulsory).
    current, _ = ds.apply(report("00101", mediation_cases=3), now=on(2))
    table = aggregate(
        current, "mediation_cases", by=["district", "month"], reporting="monthly", engine=engine
    )
    (row,) = table
    assert row.quantity is not None
    assert row.quantity.value == 3
    rate = row.reporting
    assert rate is not None
    assert (rate.units, rate.expected, rate.actual, rate.on_time) == (8, 8, 0, 0)
