"""Exact arithmetic: sums, products, quotients and unit conversions never round silently."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core._values import exact
from antq_core.errors import AntqError, QuantityError

# The largest value a report may hold has 30 digits before the decimal mark
# (quantity.MAX_DIGITS); Python's default context keeps only 28.
HUGE = Decimal("99999999999999999999999999999.25")
LONG = Decimal("1." + "1" * 150)  # its square has 301 digits


@st.composite
def _decimals(draw: st.DrawFn, *, digits: int = 30, scale: int = 30) -> Decimal:
    """A non-negative decimal of up to ``digits`` integer digits and ``scale`` decimals.

    Built from its text, so no context rounds it on the way.
    """
    places = draw(st.integers(0, scale))
    coefficient = draw(st.integers(0, 10 ** (digits + places) - 1))
    return Decimal(f"{coefficient}E-{places}")


_NUMBERS = st.one_of(st.integers(0, 10**30), _decimals())


def _kind_fits(value: exact.Number) -> bool:
    """An exact result is an ``int`` exactly when it is whole."""
    whole = Fraction(value).denominator == 1
    return isinstance(value, int) is whole


@given(a=_NUMBERS, b=_NUMBERS)
def test_add_is_the_exact_sum(a: exact.Number, b: exact.Number) -> None:
    found = exact.add(a, b)
    assert Fraction(found) == Fraction(a) + Fraction(b)
    assert _kind_fits(found)
    assert exact.add(b, a) == found


@given(values=st.lists(_NUMBERS, max_size=40))
def test_total_is_the_exact_sum_in_any_order(values: list[exact.Number]) -> None:
    found = exact.total(values)
    assert Fraction(found) == sum(map(Fraction, values), Fraction(0))
    assert _kind_fits(found)
    assert exact.total(reversed(values)) == found


@given(a=_NUMBERS, b=_NUMBERS)
def test_multiply_is_the_exact_product(a: exact.Number, b: exact.Number) -> None:
    found = exact.multiply(a, b)
    assert Fraction(found) == Fraction(a) * Fraction(b)
    assert _kind_fits(found)


@given(value=_NUMBERS)
def test_converting_there_and_back_is_the_identity(value: exact.Number) -> None:
    ha, m2 = Decimal(10_000), Decimal(1)
    in_m2 = exact.convert(value, ha, m2)
    assert Fraction(in_m2) == Fraction(value) * 10_000
    assert exact.convert(in_m2, m2, ha) == exact.tidy(value)


@given(value=_NUMBERS)
def test_tidy_keeps_the_value_and_drops_trailing_zeros(value: exact.Number) -> None:
    found = exact.tidy(value)
    assert Fraction(found) == Fraction(value)
    assert _kind_fits(found)
    if isinstance(found, Decimal):
        assert found.as_tuple().digits[-1] != 0


@given(a=_NUMBERS, b=_NUMBERS)
def test_the_callers_context_does_not_matter(a: exact.Number, b: exact.Number) -> None:
    expected = (exact.add(a, b), exact.multiply(a, b), exact.tidy(a))
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[decimal.Inexact] = False
        assert (exact.add(a, b), exact.multiply(a, b), exact.tidy(a)) == expected


def test_huge_values_are_not_rounded_to_28_digits() -> None:
    rounded = HUGE + 0  # what Python's default context does
    assert rounded == Decimal("1.000000000000000000000000000E+29")
    assert exact.add(HUGE, 0) == HUGE
    assert exact.add(HUGE, Decimal("0.75")) == 10**29
    assert exact.total([HUGE, HUGE, 1]) == Decimal("199999999999999999999999999999.5")
    assert exact.tidy(Decimal("99999999999999999999999999999.250")) == HUGE
    assert exact.multiply(HUGE, 4) == 399999999999999999999999999997
    assert exact.convert(HUGE, Decimal(1), Decimal(10_000)) == Decimal(
        "9999999999999999999999999.999925"
    )


def test_whole_results_are_ints_and_ints_stay_ints() -> None:
    assert exact.add(10**100, 1) == 10**100 + 1
    assert type(exact.add(10**100, 1)) is int
    assert type(exact.multiply(10**40, 10**40)) is int
    assert exact.add(Decimal("1.50"), Decimal("0.50")) == 2
    assert type(exact.add(Decimal("1.50"), Decimal("0.50"))) is int
    assert exact.total([]) == 0
    assert exact.tidy(Decimal("5.80")) == Decimal("5.8")
    assert str(exact.tidy(Decimal("5.80"))) == "5.8"


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("add", lambda: exact.add(Decimal("1E+250"), Decimal("1E-10"), unit="m2")),
        ("add", lambda: exact.total([Decimal("1E+250"), Decimal("1E-10")], unit="m2")),
        ("multiply", lambda: exact.multiply(LONG, LONG, unit="m2")),
        ("divide", lambda: exact.divide(1, 3, unit="m2")),
        ("convert", lambda: exact.convert(1, Decimal(1), Decimal(3), unit="m2")),
    ],
)
def test_a_result_that_would_be_rounded_raises(
    operation: str, call: Callable[[], exact.Number]
) -> None:
    with pytest.raises(QuantityError) as info:
        call()
    assert isinstance(info.value, AntqError)
    assert info.value.unit == "m2"
    assert info.value.reason == f"cannot {operation} exactly within {exact.PRECISION} digits"


def test_divide_is_exact_or_refuses() -> None:
    assert exact.divide(3, 4) == Decimal("0.75")
    assert exact.divide(HUGE, 1) == HUGE
    assert type(exact.divide(10, 5)) is int
    with pytest.raises(ZeroDivisionError):
        exact.divide(1, 0)


@pytest.mark.parametrize(
    ("numerator", "denominator", "step", "expected"),
    [
        (2, 3, Decimal("0.0001"), Decimal("0.6667")),
        (1, 8, Decimal("0.01"), Decimal("0.12")),  # half to even
        (3, 8, Decimal("0.01"), Decimal("0.38")),
        (5, 2, Decimal(1), 2),
        (7, 2, Decimal(1), 4),
        (1, 2, Decimal("0.0001"), Decimal("0.5")),  # tidied
    ],
)
def test_divide_rounded_rounds_half_to_even(
    numerator: int, denominator: int, step: Decimal, expected: exact.Number
) -> None:
    found = exact.divide_rounded(numerator, denominator, step)
    assert found == expected
    assert str(found) == str(expected)
