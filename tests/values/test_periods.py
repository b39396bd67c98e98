"""Period: canonical strings, bounds, containment, order, sub-periods, pydantic."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from antq_core import DEFAULT_SEASON_START_MONTH, AntqError, Period, PeriodKind
from antq_core.errors import InvalidValueError, PeriodError
from antq_core.testing.strategies import periods

NATURAL_KINDS = [k for k in PeriodKind if k is not PeriodKind.RANGE]
DAY = dt.timedelta(days=1)


# -- canonical strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "strategy"), [(k, periods(kinds=[k])) for k in PeriodKind], ids=list(PeriodKind)
)
@given(data=st.data())
def test_every_kind_parses_back_from_its_string(
    kind: PeriodKind, strategy: st.SearchStrategy[Period], data: st.DataObject
) -> None:
    p = data.draw(strategy)
    text = str(p)
    assert Period.parse(text) == p
    assert str(Period.parse(text)) == text
    assert p.kind is kind


@given(periods())
def test_repr_evaluates_back(p: Period) -> None:
    assert eval(repr(p), {"Period": Period}) == p  # noqa: S307 - our own repr


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2017-07-13", "day", "2017-07-13", "2017-07-13"),
        ("2017W05", "week", "2017-01-30", "2017-02-05"),
        ("2015W01", "week", "2014-12-29", "2015-01-04"),  # ISO week 1 starts in 2014
        ("2020W53", "week", "2020-12-28", "2021-01-03"),  # a 53-week year
        ("2017-02", "month", "2017-02-01", "2017-02-28"),
        ("2016-02", "month", "2016-02-01", "2016-02-29"),
        ("2017Q3", "quarter", "2017-07-01", "2017-09-30"),
        ("2017Q4", "quarter", "2017-10-01", "2017-12-31"),
        ("2017S1", "half_year", "2017-01-01", "2017-06-30"),
        ("2017S2", "half_year", "2017-07-01", "2017-12-31"),
        ("2017", "year", "2017-01-01", "2017-12-31"),
        ("2016/2017", "crop_season", "2016-09-01", "2017-08-31"),
        ("2016/2017@10", "crop_season", "2016-10-01", "2017-09-30"),
        ("2016/2017@02", "crop_season", "2016-02-01", "2017-01-31"),
        ("2012-01-01/2017-07-13", "range", "2012-01-01", "2017-07-13"),
        ("2017-07-13/2017-07-13", "range", "2017-07-13", "2017-07-13"),
    ],
)
def test_worked_examples(text: str, kind: str, start: str, end: str) -> None:
    p = Period.parse(text)
    assert p.kind is PeriodKind(kind)
    assert (p.start, p.end) == (dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert p.days == (p.end - p.start).days + 1
    assert str(p) == text


def test_crop_season_keeps_its_start_month() -> None:
    assert Period.crop_season(2016) == Period.parse("2016/2017")
    assert Period.parse("2016/2017").season_start_month == DEFAULT_SEASON_START_MONTH
    assert Period.parse("2016/2017@10").season_start_month == 10
    assert Period.parse("2017").season_start_month is None
    assert str(Period.crop_season(2016, 10)) == "2016/2017@10"


@pytest.mark.parametrize(
    "text",
    [
        "2017Q5",
        "2017Q0",
        "2017-13",
        "2017-00",
        "2021W53",  # 2021 has 52 ISO weeks
        "2017W00",
        "2017S3",
        "2016/2018",
        "2016/2017@09",  # the default start month is written without @09
        "2016/2017@01",
        "2016/2017@13",
        "2017/2018@9",
        "2017-02-30",
        "2017-02-29",
        "2017-01-00",
        "2017-05-01/2017-04-30",
        "2017-07-13/2017-07",
        "0000",
        "",
        "2017 ",
        " 2017",
        "abc",
        "17",
        "2017-5",
        "2017q3",
        "２０１７",  # full-width digits are not canonical
        "2017\n",
    ],
)
def test_bad_strings_raise_period_error_naming_the_string(text: str) -> None:
    with pytest.raises(PeriodError) as info:
        Period.parse(text)
    assert info.value.text == text
    assert repr(text) in str(info.value)
    assert info.value.reason


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(PeriodError):
        Period.parse(2017)


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("month", dt.date(2017, 5, 2), dt.date(2017, 5, 31)),
        ("year", dt.date(2017, 1, 1), dt.date(2017, 12, 30)),
        ("week", dt.date(2017, 1, 31), dt.date(2017, 2, 6)),  # not a Monday
        ("crop_season", dt.date(2016, 1, 1), dt.date(2016, 12, 31)),  # a calendar year
        ("range", dt.date(2017, 1, 2), dt.date(2017, 1, 1)),
        ("year", dt.datetime(2017, 1, 1), dt.datetime(2017, 12, 31)),
    ],
)
def test_constructor_checks_bounds_fit_the_kind(kind: str, start: dt.date, end: dt.date) -> None:
    with pytest.raises(PeriodError):
        Period(kind, start, end)


def test_unknown_kind_is_an_antq_error() -> None:
    with pytest.raises(InvalidValueError):
        Period("fortnight", dt.date(2017, 1, 1), dt.date(2017, 1, 14))
    with pytest.raises(InvalidValueError):
        Period.containing(dt.date(2017, 1, 1), "fortnight")


@pytest.mark.parametrize(
    ("make", "args"),
    [
        (Period.month, (2017, 13)),
        (Period.quarter, (2017, 5)),
        (Period.half_year, (2017, 3)),
        (Period.year, (0,)),
        (Period.year, (9999,)),
        (Period.week, (2021, 53)),
        (Period.crop_season, (2016, 1)),
        (Period.crop_season, (9998,)),
    ],
)
def test_factories_reject_periods_that_cannot_exist(make: object, args: tuple[int, ...]) -> None:
    with pytest.raises(PeriodError):
        make(*args)  # type: ignore[operator]


# -- containment and overlap -----------------------------------------------------------


@given(periods())
def test_a_period_contains_and_overlaps_itself(p: Period) -> None:
    assert p.contains(p)
    assert p.overlaps(p)
    assert p.contains(p.start)
    assert p.contains(p.end)
    assert not p.contains(p.start - DAY)
    assert not p.contains(p.end + DAY)


@given(periods(), periods())
def test_overlap_is_symmetric_and_implied_by_containment(a: Period, b: Period) -> None:
    assert a.overlaps(b) == b.overlaps(a)
    if a.contains(b):
        assert a.overlaps(b)
    if a.contains(b) and b.contains(a):
        assert (a.start, a.end) == (b.start, b.end)
    shared_day = max(a.start, b.start)
    assert a.overlaps(b) == (a.contains(shared_day) and b.contains(shared_day))


@given(periods(), st.data())
def test_containment_of_ranges_inside(outer: Period, data: st.DataObject) -> None:
    first = data.draw(st.dates(outer.start, outer.end))
    last = data.draw(st.dates(first, outer.end))
    inner = Period.range(first, last)
    assert outer.contains(inner)
    assert outer.overlaps(inner)
    assert inner.overlaps(outer)
    assert inner.contains(outer) == (inner.start == outer.start and inner.end == outer.end)
    before = Period.range(outer.start - 10 * DAY, outer.start - DAY)
    assert not outer.overlaps(before)
    assert not before.overlaps(outer)


@given(periods(), periods(), periods())
def test_containment_is_transitive(a: Period, b: Period, c: Period) -> None:
    if a.contains(b) and b.contains(c):
        assert a.contains(c)


@pytest.mark.parametrize("kind", NATURAL_KINDS)
@given(date=st.dates(), season_start=st.integers(2, 12))
@example(date=dt.date.min, season_start=9)
@example(date=dt.date(1, 3, 1), season_start=9)  # its season would start in year 0
@example(date=dt.date(9998, 10, 1), season_start=9)  # its season would end in 9999
@example(date=dt.date.max, season_start=2)
def test_containing_contains_the_date(kind: PeriodKind, date: dt.date, season_start: int) -> None:
    try:
        p = Period.containing(date, kind, season_start_month=season_start)
    except PeriodError:
        # Only at the ends of the calendar are there periods that cannot be written.
        assert date.year in (1, 9998, 9999)
        return
    assert p.kind is kind
    assert p.contains(date)
    assert Period.parse(str(p)) == p
    if kind is PeriodKind.CROP_SEASON:
        assert p.season_start_month == season_start


def test_containing_a_range_is_an_error() -> None:
    with pytest.raises(PeriodError):
        Period.containing(dt.date(2017, 7, 13), "range")


def test_containing_worked_examples() -> None:
    d = dt.date(2017, 7, 13)
    assert str(Period.containing(d, "week")) == "2017W28"
    assert str(Period.containing(d, "quarter")) == "2017Q3"
    assert str(Period.containing(d, "crop_season")) == "2016/2017"
    assert str(Period.containing(dt.date(2017, 9, 1), "crop_season")) == "2017/2018"
    assert str(Period.containing(d, "crop_season", season_start_month=10)) == "2016/2017@10"
    assert str(Period.containing(dt.date(2016, 1, 1), "week")) == "2015W53"


@given(periods())
def test_next_follows_without_gap(p: Period) -> None:
    n = p.next()
    assert n.start == p.end + DAY
    assert n.kind is p.kind
    if p.kind is PeriodKind.RANGE:
        assert n.days == p.days
    assert not n.overlaps(p)


# -- order -------------------------------------------------------------------------------


@given(st.lists(periods(), max_size=12))
def test_sorting_orders_by_start_then_end(ps: list[Period]) -> None:
    ordered = sorted(ps)
    assert [(p.start, p.end) for p in ordered] == sorted((p.start, p.end) for p in ps)


@given(periods(), periods())
def test_order_is_total_and_agrees_with_equality(a: Period, b: Period) -> None:
    assert [a < b, a == b, a > b].count(True) == 1
    assert (a <= b) == (a < b or a == b)
    assert (a >= b) == (a > b or a == b)
    assert (a < b) == (b > a)
    if a == b:
        assert hash(a) == hash(b)


@given(periods(), periods(), periods())
def test_order_is_transitive(a: Period, b: Period, c: Period) -> None:
    if a <= b <= c:
        assert a <= c


def test_same_days_different_kinds_are_different_but_ordered() -> None:
    day = Period.parse("2017-01-01")
    one_day_range = Period.parse("2017-01-01/2017-01-01")
    assert day != one_day_range
    assert sorted([one_day_range, day]) == [day, one_day_range]
    assert Period.parse("2017") != Period.parse("2017-01-01/2017-12-31")


def test_comparing_with_other_types() -> None:
    p = Period.parse("2017")
    assert p != "2017"  # type: ignore[comparison-overlap]
    with pytest.raises(TypeError):
        p < "2018"  # type: ignore[operator]  # noqa: B015


# -- sub-periods ---------------------------------------------------------------------------


def _assert_tiles(parent: Period, parts: list[Period]) -> None:
    assert parts, parent
    assert parts == sorted(parts)
    assert all(parent.contains(p) for p in parts)
    assert parts[0].start == parent.start
    assert parts[-1].end == parent.end
    for before, after in itertools.pairwise(parts):
        assert after.start == before.end + DAY  # ordered, disjoint, no gap
    assert sum(p.days for p in parts) == parent.days


@given(periods(kinds=["year", "half_year", "quarter", "crop_season", "month"]))
def test_months_tile_years_quarters_and_seasons(parent: Period) -> None:
    months = parent.sub_periods("month")
    _assert_tiles(parent, months)
    assert len(months) == {"month": 1, "quarter": 3, "half_year": 6}.get(parent.kind, 12)


@given(periods(kinds=["year"]))
def test_quarters_halves_and_days_tile_a_year(year: Period) -> None:
    _assert_tiles(year, year.sub_periods("quarter"))
    _assert_tiles(year, year.sub_periods("half_year"))
    _assert_tiles(year, year.sub_periods(PeriodKind.DAY))
    assert year.sub_periods("year") == [year]


@given(periods(kinds=["year", "crop_season", "range"], min_year=2010, max_year=2030))
def test_weeks_inside_are_whole_ordered_and_disjoint(parent: Period) -> None:
    weeks = parent.sub_periods("week")
    assert weeks == sorted(weeks)
    assert all(parent.contains(w) and w.days == 7 for w in weeks)
    for before, after in itertools.pairwise(weeks):
        assert after.start == before.end + DAY
    if weeks:  # the partial weeks at the ends are left out, nothing else
        assert (weeks[0].start - parent.start).days < 7
        assert (parent.end - weeks[-1].end).days < 7


def test_sub_periods_worked_examples() -> None:
    assert [str(p) for p in Period.parse("2017S2").sub_periods("quarter")] == ["2017Q3", "2017Q4"]
    season = Period.parse("2016/2017").sub_periods("month")
    assert (str(season[0]), str(season[-1])) == ("2016-09", "2017-08")
    assert Period.parse("2017-05").sub_periods("year") == []
    with pytest.raises(PeriodError):
        Period.parse("2017").sub_periods("range")


@given(periods(kinds=["month", "week", "range"], min_year=2010, max_year=2030))
def test_iter_days_lists_every_day(p: Period) -> None:
    days = list(p.iter_days())
    assert len(days) == p.days
    assert (days[0], days[-1]) == (p.start, p.end)


# -- pydantic ---------------------------------------------------------------------------------


class _Report(BaseModel):
    period: Period


@given(periods())
def test_pydantic_field_validates_from_the_string_and_dumps_to_it(p: Period) -> None:
    model = _Report.model_validate({"period": str(p)})
    assert model.period == p
    assert model.model_dump() == {"period": str(p)}
    assert json.loads(model.model_dump_json()) == {"period": str(p)}
    assert _Report.model_validate_json(model.model_dump_json()) == model
    assert _Report(period=p).period is p


@pytest.mark.parametrize("value", ["2017Q5", "", 2017, 2017.0, None, ["2017"]])
def test_pydantic_field_rejects_what_is_not_a_period(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        _Report.model_validate({"period": value})
    assert info.value.errors()[0]["loc"] == ("period",)


def test_json_schema_is_a_string_with_a_pattern() -> None:
    schema = _Report.model_json_schema()["properties"]["period"]
    assert schema["type"] == "string"
    assert schema["pattern"].startswith("^")
    assert schema["pattern"].endswith("$")
    for text in schema.get("examples", []):
        Period.parse(text)


@given(periods())
def test_canonical_strings_match_the_json_schema_pattern(p: Period) -> None:
    pattern = _Report.model_json_schema()["properties"]["period"]["pattern"]
    assert re.search(pattern, str(p), flags=re.ASCII)


def test_period_errors_are_antq_errors() -> None:
    assert issubclass(PeriodError, AntqError)
    assert issubclass(PeriodError, ValueError)  # so pydantic reports it with a location
