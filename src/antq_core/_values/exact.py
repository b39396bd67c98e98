"""Exact arithmetic on reported numbers: the one place that adds, multiplies, divides and converts.

Reported numbers are ``int`` or :class:`~decimal.Decimal`, never ``float``.
Integers add and multiply as Python integers, without limit. Decimals are
computed in one :class:`decimal.Context` of :data:`PRECISION` digits that
traps every result it would have to round (``Inexact``, ``Rounded``,
``Overflow``): an operation here is exact or raises
:class:`~antq_core.errors.QuantityError`, never a silently rounded number.
(Python's default context keeps 28 digits, so ``Decimal`` arithmetic outside
this module turns 99999999999999999999999999999.25 into 1E+29.)

Values have at most 30 digits before the decimal mark and 90 in all
(:data:`antq_core._values.quantity.MAX_DIGITS`): sums of any number of them
that a computer can hold, and their products with unit factors, stay far
inside :data:`PRECISION`.

:func:`divide_rounded` is the one operation that rounds, on purpose: a mean
or ratio that cannot be written exactly is rounded half-even, and its caller
says so (``approximately``).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal
from typing import Final

from antq_core.errors import QuantityError

__all__ = [
    "DECIMAL128_DIGITS",
    "PRECISION",
    "Number",
    "add",
    "convert",
    "divide",
    "divide_rounded",
    "fraction_digits",
    "multiply",
    "tidy",
    "total",
]

Number = int | Decimal
"""A quantity's value: ``int`` or :class:`~decimal.Decimal`, never ``float``."""

PRECISION: Final = 200
"""Most significant digits of an exact decimal result."""

DECIMAL128_DIGITS: Final = 38
"""Digits of Arrow's ``decimal128`` type, the widest that polars and pandas both read."""


def fraction_digits(value: Decimal) -> int:
    """Digits after the decimal mark in ``value`` as written (0 for an exponent >= 0)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


_EXACT: Final = decimal.Context(
    prec=PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Inexact,
        decimal.Rounded,
    ],
)
_ROUNDING: Final = decimal.Context(
    prec=PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_NOT_EXACT: Final = (decimal.Inexact, decimal.Rounded, decimal.Overflow)


def _refuse(operation: str, value: Number, unit: str) -> QuantityError:
    return QuantityError(value, unit, f"cannot {operation} exactly within {PRECISION} digits")


def tidy(value: Number) -> Number:
    """A whole value as ``int``; a fractional one without trailing zeros.

    >>> tidy(Decimal("5.80")), tidy(Decimal("12.000"))
    (Decimal('5.8'), 12)
    """
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    try:
        return value.normalize(_EXACT)
    except _NOT_EXACT:
        raise _refuse("write", value, "") from None


def _whole(value: Decimal) -> Number:
    return int(value) if value == value.to_integral_value() else value


def add(a: Number, b: Number, *, unit: str = "") -> Number:
    """``a + b``, exactly: an ``int`` when it is whole, else a :class:`~decimal.Decimal`.

    >>> add(Decimal("99999999999999999999999999999.25"), Decimal("0.75"))
    100000000000000000000000000000

    Args:
        a: One number.
        b: The other.
        unit: The unit's code, named by the error.

    Raises:
        QuantityError: The sum needs more than :data:`PRECISION` digits.
    """
    if type(a) is int and type(b) is int:
        return a + b
    try:
        return _whole(_EXACT.add(a, b))
    except _NOT_EXACT:
        raise _refuse("add", a, unit) from None


def total(values: Iterable[Number], *, unit: str = "") -> Number:
    """The exact sum of ``values`` (0 for none), as :func:`add` gives it.

    Raises:
        QuantityError: The sum needs more than :data:`PRECISION` digits.
    """
    ints = 0
    rest: list[Decimal] = []
    for v in values:
        if isinstance(v, Decimal):
            rest.append(v)
        else:
            ints += v
    if not rest:
        return ints
    found: Decimal = rest[0]
    try:
        for v in rest[1:]:
            found = _EXACT.add(found, v)
        return _whole(_EXACT.add(found, ints))
    except _NOT_EXACT:
        raise _refuse("add", found, unit) from None


def multiply(a: Number, b: Number, *, unit: str = "") -> Number:
    """``a × b``, exactly: an ``int`` when it is whole, else a :class:`~decimal.Decimal`.

    Raises:
        QuantityError: The product needs more than :data:`PRECISION` digits.
    """
    if type(a) is int and type(b) is int:
        return a * b
    try:
        return _whole(_EXACT.multiply(a, b))
    except _NOT_EXACT:
        raise _refuse("multiply", a, unit) from None


def divide(numerator: Number, denominator: Number, *, unit: str = "") -> Number:
    """``numerator / denominator``, exactly and tidied (see :func:`tidy`).

    >>> divide(3, 4), divide(10, 5)
    (Decimal('0.75'), 2)

    Raises:
        QuantityError: The quotient cannot be written in :data:`PRECISION` digits (1/3).
        ZeroDivisionError: ``denominator`` is zero.
    """
    try:
        return tidy(_EXACT.divide(numerator, denominator))
    except _NOT_EXACT:
        raise _refuse("divide", numerator, unit) from None


def divide_rounded(numerator: Number, denominator: Number, step: Decimal) -> Number:
    """``numerator / denominator`` rounded half-even to a multiple of ``step``, tidied.

    ``step`` is a power of ten: ``Decimal(1)`` for a whole number,
    ``Decimal("0.0001")`` for four decimal places.

    >>> divide_rounded(2, 3, Decimal("0.0001")), divide_rounded(5, 2, Decimal(1))
    (Decimal('0.6667'), 2)

    Raises:
        ZeroDivisionError: ``denominator`` is zero.
    """
    quotient = _ROUNDING.divide(numerator, denominator)
    return tidy(quotient.quantize(step, context=_ROUNDING))


def convert(value: Number, factor_from: Decimal, factor_to: Decimal, *, unit: str = "") -> Number:
    """``value`` of a unit of ``factor_from`` base units, in a unit of ``factor_to``, tidied.

    >>> convert(Decimal("1.5"), Decimal(10_000), Decimal(1))  # 1.5 ha in m²
    15000

    Args:
        value: The number, in the unit converted from.
        factor_from: Base units in one of the unit converted from.
        factor_to: Base units in one of the unit converted into.
        unit: Code of the unit converted from, named by the error.

    Raises:
        QuantityError: The result cannot be written exactly in :data:`PRECISION`
            digits (a third of a unit).
    """
    try:
        return tidy(_EXACT.divide(_EXACT.multiply(value, factor_from), factor_to))
    except _NOT_EXACT:
        raise _refuse("convert", value, unit) from None
