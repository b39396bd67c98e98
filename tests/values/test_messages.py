"""Error messages show numbers as a person writes them, never as Python reprs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import AntqError, InvalidValueError, Quantity, SubjectRef


@pytest.mark.parametrize(
    ("make", "shown"),
    [
        (lambda: Quantity(Decimal("4.5"), "person"), "4.5 person"),
        (lambda: Quantity(Decimal("-4.810"), "m2"), "-4.810 m2"),
        (lambda: Quantity(-3, "case"), "-3 case"),
        (lambda: SubjectRef.parse(Decimal("1.50")), "1.50"),  # type: ignore[arg-type]
    ],
)
def test_a_number_in_a_message_is_written_plainly(make: object, shown: str) -> None:
    with pytest.raises(AntqError) as info:
        make()  # type: ignore[operator]
    message = str(info.value)
    assert shown in message
    assert "Decimal(" not in message


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3))
def test_no_decimal_is_shown_as_a_repr(value: Decimal) -> None:
    assert "Decimal" not in str(InvalidValueError("value", value, "not wanted"))
    assert str(value) in str(InvalidValueError("value", value, "not wanted"))


def test_a_huge_int_is_described_not_printed() -> None:
    message = str(InvalidValueError("value", 10**10_000, "too big"))
    assert "digits" in message
    assert len(message) < 200
