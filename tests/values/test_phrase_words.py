"""Figures keep a report's own words: restatements, qualifier words, its input in errors."""

from __future__ import annotations

import ast
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import Quantity
from antq_core.errors import QuantityParseError
from antq_core.text import format_phrase, parse_phrase, parse_quantity

# -- a figure restated in another unit -----------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "figure", "restated"),
    [
        (
            "8.450 m2 (hơn 0,8 ha)",
            Quantity(8_450, "m2"),
            Quantity(Decimal("0.8"), "ha", "at_least"),
        ),
        (
            "8.450 m2 (khoảng 0,8 ha)",
            Quantity(8_450, "m2"),
            Quantity(Decimal("0.8"), "ha", "approximately"),
        ),
        ("8.450 m2 (0,8 ha)", Quantity(8_450, "m2"), Quantity(Decimal("0.8"), "ha")),
        ("1,2 ha (12.000 m2)", Quantity(Decimal("1.2"), "ha"), Quantity(12_000, "m2")),
        (
            "hơn 0,8 ha (8.450 m2)",
            Quantity(Decimal("0.8"), "ha", "at_least"),
            Quantity(8_450, "m2"),
        ),
    ],
)
def test_a_restatement_that_agrees_is_kept(
    phrase: str, figure: Quantity, restated: Quantity
) -> None:
    read = parse_phrase(phrase)
    assert read.quantity == figure
    assert read.restatement is not None
    assert read.restatement.quantity == restated
    assert parse_quantity(phrase) == figure


@pytest.mark.parametrize(
    "phrase",
    [
        "8.450 m2 (hơn 0,9 ha)",  # 0.845 ha is not more than 0.9 ha
        "8.450 m2 (gần 0,8 ha)",  # nor at most 0.8 ha
        "8.450 m2 (0,9 ha)",  # 0.9 ha stands for 0.85 to 0.95 ha
        "8.450 m2 (12 người)",  # people are not an area
        "hơn 1 ha (5.000 m2)",
    ],
)
def test_a_restatement_that_disagrees_is_refused_where_it_is(phrase: str) -> None:
    with pytest.raises(QuantityParseError) as info:
        parse_phrase(phrase)
    assert phrase[info.value.position - 1] == "("
    assert "does not agree" in info.value.reason
    inner = phrase[phrase.index("(") + 1 : -1]
    assert repr(inner) in str(info.value)  # quoted as written


def test_a_bad_restatement_is_located_inside_the_brackets() -> None:
    with pytest.raises(QuantityParseError) as info:
        parse_phrase("8.450 m2 (hơn ha)")
    assert info.value.position == len("8.450 m2 (hơn ")
    assert "in the brackets" in info.value.reason


# -- the report's qualifier and multiplier words come back ----------------------------

SAID = [
    "gần 7 tỷ đồng",
    "95 tỷ đồng",
    "hơn 0,8 ha",
    "trên 58 nghìn m²",
    "khoảng 200 hộ",
    "từ 2 triệu đồng trở lên",
    "2 triệu đồng trở lên",
    "hàng nghìn nguồn tin",
    "8.450 m² (hơn 0,8 ha)",
    "4.810 lượt hộ",
]


@pytest.mark.parametrize("phrase", SAID)
def test_a_phrase_is_written_back_in_its_own_words(phrase: str) -> None:
    assert format_phrase(parse_phrase(phrase)) == phrase


def test_gan_reads_as_an_upper_bound_and_prints_as_gan() -> None:
    read = parse_phrase("gần 7 tỷ đồng")
    assert read.quantity == Quantity(7_000_000_000, "vnd", "at_most")
    assert (read.qualifier_word, read.multiplier_word) == ("gần", "tỷ")


WORDS = st.sampled_from(["", "trên ", "hơn ", "gần ", "khoảng ", "Khoảng ", "dưới ", "không quá "])
MULTIPLIERS = st.sampled_from(["", " nghìn", " ngàn", " triệu", " tỷ"])
UNITS = st.sampled_from(["đồng", "người", "ha", "hộ", "vụ", "nguồn tin"])


@given(WORDS, st.integers(1, 999), st.integers(0, 99), MULTIPLIERS, UNITS)
def test_format_after_parse_keeps_the_words(
    word: str, whole: int, cents: int, multiplier: str, unit: str
) -> None:
    number = f"{whole},{cents}" if cents % 10 and multiplier else str(whole)
    phrase = f"{word}{number}{multiplier} {unit}"
    try:
        read = parse_phrase(phrase)
    except QuantityParseError:
        return  # a fraction of whole things ("2,5 người") is refused, which is right
    assert format_phrase(read) == phrase
    assert parse_phrase(format_phrase(read)) == read


# -- errors quote what the user wrote ---------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "quoted"),
    [
        ("3 Hũ", "'Hũ'"),
        ("5 m2 (hơn 0,8 ha", "'m2 (hơn 0,8 ha'"),
        ("12 con trâu", "'con trâu'"),
        ("12   Lượt  Khách", "'Lượt  Khách'"),
    ],
)
def test_an_unknown_unit_is_quoted_as_written(phrase: str, quoted: str) -> None:
    with pytest.raises(QuantityParseError) as info:
        parse_quantity(phrase)
    assert f"unknown unit {quoted}" in str(info.value)
    assert phrase[info.value.position :].startswith(quoted.strip("'"))


@given(st.text(st.characters(categories=["L", "M", "Zs"]), min_size=1, max_size=12))
def test_an_unknown_unit_word_is_quoted_from_the_phrase_never_folded(word: str) -> None:
    phrase = f"12 {word}"
    try:
        parse_quantity(phrase)
    except QuantityParseError as e:
        if "unknown unit " in e.reason:
            quoted = e.reason.split("unknown unit ", 1)[1]
            assert ast.literal_eval(quoted) in unicodedata.normalize("NFC", phrase)
