"""Reading and writing numbers, quantities, dates and periods as reports write them."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import Period, Quantity
from antq_core.errors import InvalidValueError, QuantityParseError
from antq_core.testing.strategies import periods, quantities
from antq_core.text import (
    format_date,
    format_number,
    format_period,
    format_quantity,
    parse_number,
    parse_quantity,
)

LANGS = ["vi", "en"]


@pytest.mark.parametrize(
    ("phrase", "unit", "expected"),
    [
        ("4.810", "household_attendance", Quantity(4_810, "household_attendance")),
        ("35.122", "member", Quantity(35_122, "member")),
        ("5.817", "organization", Quantity(5_817, "organization")),
        ("trên 58 nghìn m2", None, Quantity(58_000, "m2", "at_least")),
        ("2 triệu đồng", None, Quantity(2_000_000, "vnd")),
        ("hàng nghìn", "tip", Quantity(1_000, "tip", "at_least")),
        ("hàng nghìn nguồn tin", None, Quantity(1_000, "tip", "at_least")),
        ("từ 2 triệu đồng/tháng trở lên", None, Quantity(2_000_000, "vnd_per_month", "at_least")),
        ("5,8 ha", None, Quantity(Decimal("5.8"), "ha")),
        ("29 người", None, Quantity(29, "person")),
        ("22 vụ", None, Quantity(22, "case")),
        ("12 buổi", None, Quantity(12, "meeting")),
        ("4.810 lượt hộ gia đình", None, Quantity(4_810, "household_attendance")),
        ("khoảng 200 hộ", None, Quantity(200, "household", "approximately")),
        ("gần 5 ha", None, Quantity(5, "ha", "at_most")),
        # The phrase's own unit converted into the unit asked for.
        ("trên 58 nghìn m2", "ha", Quantity(Decimal("5.8"), "ha", "at_least")),
    ],
)
def test_seed_phrases(phrase: str, unit: str | None, expected: Quantity) -> None:
    assert parse_quantity(phrase, unit=unit) == expected
    assert parse_quantity(unicodedata.normalize("NFD", phrase), unit=unit) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("more than 58,000 m²", Quantity(58_000, "m2", "at_least")),
        ("thousands of tips", Quantity(1_000, "tip", "at_least")),
        ("5.8 ha", Quantity(Decimal("5.8"), "ha")),
        ("4,810 household attendances", Quantity(4_810, "household_attendance")),
        ("2 million VND", Quantity(2_000_000, "vnd")),
        ("about 200 households", Quantity(200, "household", "approximately")),
    ],
)
def test_english_phrases(phrase: str, expected: Quantity) -> None:
    assert parse_quantity(phrase, "en") == expected


@pytest.mark.parametrize("lang", LANGS)
@given(q=quantities())
def test_quantities_read_back_from_how_they_are_written(lang: str, q: Quantity) -> None:
    written = format_quantity(q, lang)
    assert parse_quantity(written, lang) == q


@pytest.mark.parametrize("lang", LANGS)
@given(q=quantities())
def test_quantities_without_their_unit_read_back_given_the_unit(lang: str, q: Quantity) -> None:
    written = format_quantity(q, lang, unit=False)
    assert parse_quantity(written, lang, unit=q.unit) == q


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (0, "0", "0"),
        (999, "999", "999"),
        (4_810, "4.810", "4,810"),
        (35_122, "35.122", "35,122"),
        (1_000_000, "1.000.000", "1,000,000"),
        (Decimal("5.8"), "5,8", "5.8"),
        (Decimal("5.80"), "5,80", "5.80"),
        (Decimal("1234.5"), "1.234,5", "1,234.5"),
    ],
)
def test_format_number_groups_the_way_each_language_does(value: int, vi: str, en: str) -> None:
    assert format_number(value) == vi
    assert format_number(value, "en") == en
    assert parse_number(vi) == value
    assert parse_number(en, "en") == value


@pytest.mark.parametrize("lang", LANGS)
@given(
    value=st.integers(min_value=0, max_value=10**15)
    | st.decimals(min_value=0, max_value=10**9, places=3)
)
def test_numbers_read_back_from_how_they_are_written(lang: str, value: int | Decimal) -> None:
    assert parse_number(format_number(value, lang), lang) == value


def test_the_same_text_is_a_different_number_in_each_language() -> None:
    assert parse_number("1.500") == 1_500
    assert parse_number("1.500", "en") == Decimal("1.500")
    assert parse_number("1,500", "en") == 1_500
    assert parse_number("1,500") == Decimal("1.500")


@pytest.mark.parametrize(
    ("phrase", "lang", "at"),
    [
        ("1.5", "vi", ".5"),  # '.' groups thousands in Vietnamese: three digits must follow
        ("1,5", "en", ",5"),
        ("1.2345 ha", "vi", None),
        ("hàng chục", "vi", "hàng chục"),  # "tens of": not a number
        ("nhiều", "vi", "nhiều"),  # "many"
        ("12 xyz", "vi", "xyz"),  # unknown unit
        ("12", "vi", ""),  # no unit anywhere
        ("hàng nghìn", "vi", ""),
        ("", "vi", ""),
        ("-5 người", "vi", "-5"),
        ("từ 2 triệu đồng", "vi", None),  # "từ" (from) needs "trở lên" (or more)
        ("trên 5 người trở lên", "vi", None),  # two qualifiers
        ("1,5 người", "vi", None),  # a person is counted whole
    ],
)
def test_bad_phrases_raise_with_a_position(phrase: str, lang: str, at: str | None) -> None:
    with pytest.raises(QuantityParseError) as info:
        parse_quantity(phrase, lang)
    error = info.value
    assert error.text == phrase
    assert error.lang == lang
    assert 0 <= error.position <= len(phrase)
    assert repr(phrase) in str(error)
    if at is not None:  # the position points at (or just before) what could not be read
        assert phrase[error.position :].strip().startswith(at)


@pytest.mark.parametrize("text", ["1.5", "abc", "", "1.2.3", "12 người", "1.5000"])
def test_parse_number_rejects_what_is_not_a_vietnamese_number(text: str) -> None:
    with pytest.raises(QuantityParseError):
        parse_number(text)


def test_format_quantity_worked_examples() -> None:
    assert format_quantity(Quantity(58_000, "m2", "at_least")) == "trên 58.000 m²"
    assert format_quantity(Quantity(58_000, "m2", "at_least"), "en") == "more than 58,000 m²"
    assert format_quantity(Quantity(1_000, "tip", "at_least")) == "hàng nghìn nguồn tin"
    assert format_quantity(Quantity(1_000, "tip", "at_least"), "en") == "thousands of tips"
    assert format_quantity(Quantity(4_810, "household_attendance")) == "4.810 lượt hộ"
    assert format_quantity(Quantity(1, "person"), "en") == "1 person"
    assert format_quantity(Quantity(Decimal("5.8"), "ha"), unit=False) == "5,8"


def test_format_date() -> None:
    day = dt.date(2017, 7, 13)
    assert format_date(day) == "13/07/2017"
    assert format_date(day, "en") == "13 July 2017"


@pytest.mark.parametrize(
    ("period", "vi", "en"),
    [
        ("2016/2017", "niên vụ 2016–2017", "2016–2017 crop season"),
        (
            "2016/2017@10",
            "niên vụ 2016–2017 (từ tháng 10)",
            "2016–2017 crop season (from October)",
        ),
        ("2017Q3", "quý III/2017", "Q3 2017"),
        ("2017S1", "6 tháng đầu năm 2017", "first half of 2017"),
        ("2017", "năm 2017", "2017"),
        ("2017-07", "tháng 7/2017", "July 2017"),
        ("2017W05", "tuần 5/2017", "week 5 of 2017"),
        ("2017-07-13", "ngày 13/07/2017", "13 July 2017"),
        (
            "2012-01-01/2017-07-13",
            "từ 01/01/2012 đến 13/07/2017",
            "1 January 2012 to 13 July 2017",
        ),
    ],
)
def test_format_period(period: str, vi: str, en: str) -> None:
    assert format_period(Period.parse(period)) == vi
    assert format_period(Period.parse(period), "en") == en


@pytest.mark.parametrize("lang", LANGS)
@given(p=periods())
def test_every_period_can_be_written(lang: str, p: Period) -> None:
    text = format_period(p, lang)
    assert text
    assert str(p.start.year) in text or str(p.start.isocalendar().year) in text


@pytest.mark.parametrize("lang", ["fr", "VI", None])
def test_every_function_that_takes_a_language_checks_it(lang: Any) -> None:
    calls: list[Callable[[], object]] = [
        lambda: parse_quantity("5 m2", lang),
        lambda: parse_number("5", lang),
        lambda: format_number(5, lang),
        lambda: format_quantity(Quantity(5, "m2"), lang),
        lambda: format_period(Period.parse("2017"), lang),
        lambda: format_date(dt.date(2017, 7, 13), lang),
    ]
    for call in calls:
        with pytest.raises(InvalidValueError) as info:
            call()
        assert info.value.what == "language"


@pytest.mark.parametrize("text", ["４.８１０", "٤٨١٠", "1" * 91])
def test_only_ascii_digits_of_sane_length_are_numbers(text: str) -> None:
    with pytest.raises(QuantityParseError):
        parse_number(text)
