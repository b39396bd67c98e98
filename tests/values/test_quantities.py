"""Qualifier, Unit and Quantity: combination, conversion, addition, valid values."""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from antq_core import Qualifier, Quantity, Unit
from antq_core.errors import (
    IncompatibleUnitsError,
    InvalidValueError,
    QuantityError,
    UnknownUnitError,
)
from antq_core.testing.strategies import qualifiers, quantities, units

E, L, M, A = (
    Qualifier.EXACT,
    Qualifier.AT_LEAST,
    Qualifier.AT_MOST,
    Qualifier.APPROXIMATELY,
)

# The semantics, written out: a sum of lower bounds is a lower bound, of upper
# bounds an upper bound; a lower plus an upper bound is only approximate.
EXPECTED_COMBINATIONS = {
    (E, E): E,
    (E, L): L,
    (E, M): M,
    (E, A): A,
    (L, E): L,
    (L, L): L,
    (L, M): A,
    (L, A): A,
    (M, E): M,
    (M, L): A,
    (M, M): M,
    (M, A): A,
    (A, E): A,
    (A, L): A,
    (A, M): A,
    (A, A): A,
}


def _docstring_table() -> dict[tuple[Qualifier, Qualifier], Qualifier]:
    """The combination table as the Qualifier docstring prints it."""
    doc = Qualifier.__doc__ or ""
    rows = [line.split() for line in doc.splitlines() if line.strip().startswith("``+``")]
    assert len(rows) == 1, "the table's header row starts with ``+``"
    header = rows[0][1:]
    table = {}
    names = {q.value for q in Qualifier}
    for line in doc.splitlines():
        cells = line.split()
        if cells and cells[0] in names and len(cells) == len(header) + 1:
            for column, cell in zip(header, cells[1:], strict=True):
                table[Qualifier(cells[0]), Qualifier(column)] = Qualifier(cell)
    return table


def test_docstring_table_matches_the_semantics() -> None:
    assert _docstring_table() == EXPECTED_COMBINATIONS


@pytest.mark.parametrize(("pair", "expected"), sorted(EXPECTED_COMBINATIONS.items()))
def test_combine_every_pair(pair: tuple[Qualifier, Qualifier], expected: Qualifier) -> None:
    left, right = pair
    assert left.combine(right) is expected


def test_combine_is_commutative_associative_with_exact_as_identity() -> None:
    for a, b in itertools.product(Qualifier, repeat=2):
        assert a.combine(b) is b.combine(a)
    for a, b, c in itertools.product(Qualifier, repeat=3):
        assert a.combine(b).combine(c) is a.combine(b.combine(c))
    for a in Qualifier:
        assert a.combine(E) is a
        assert a.combine(a) is a
        assert a.combine(A) is A


# -- addition and conversion -------------------------------------------------------------


def test_adding_area_in_different_units_converts_to_the_left_unit() -> None:
    poppy = Quantity(58_000, "m2", Qualifier.AT_LEAST)
    assert poppy + Quantity(Decimal("1.5"), "ha") == Quantity(73_000, "m2", "at_least")
    assert Quantity(Decimal("5.8"), "ha") + Quantity(2_000, "m2") == Quantity(6, "ha")
    assert Quantity(1, "ha") + Quantity(1, "m2") == Quantity(Decimal("1.0001"), "ha")


@given(quantities(units=units(dimension="area")), quantities(units=units(dimension="area")))
def test_addition_converts_units_and_combines_qualifiers(a: Quantity, b: Quantity) -> None:
    total = a + b
    assert total.unit is a.unit
    assert total.qualifier is a.qualifier.combine(b.qualifier)
    assert total.value == a.value + b.to(a.unit).value
    # The same amount whichever operand comes first.
    assert (a + b).to("m2").value == (b + a).to("m2").value


@given(st.lists(quantities(units=st.just(Unit.get("person"))), max_size=6))
def test_sum_adds_values_and_combines_qualifiers(items: list[Quantity]) -> None:
    total = Quantity.sum(items, "person")
    assert total.value == sum(q.value for q in items)
    expected = Qualifier.EXACT
    for q in items:
        expected = expected.combine(q.qualifier)
    assert total.qualifier is expected


def test_sum_worked_examples() -> None:
    parts = [Quantity(7, "person"), Quantity(11, "person"), Quantity(10, "person")]
    assert Quantity.sum(parts) == Quantity(28, "person")
    assert Quantity.sum([], "m2") == Quantity(0, "m2")
    assert Quantity.sum([Quantity(1, "ha"), Quantity(5_000, "m2")], "m2") == Quantity(15_000, "m2")
    assert Quantity.sum([Quantity(5, "case"), Quantity(1000, "case", "at_least")]).qualifier is L
    with pytest.raises(InvalidValueError):
        Quantity.sum([])


def test_persons_and_household_attendances_never_add() -> None:
    persons = Quantity(29, "person")
    attendances = Quantity(4_810, "household_attendance")
    with pytest.raises(IncompatibleUnitsError) as info:
        persons + attendances
    assert (info.value.left, info.value.right, info.value.operation) == (
        "person",
        "household_attendance",
        "add",
    )
    with pytest.raises(IncompatibleUnitsError):
        Quantity(4_810, "household_attendance") + Quantity(12, "household")
    with pytest.raises(IncompatibleUnitsError) as info:
        attendances.to("person")
    assert info.value.operation == "convert"
    with pytest.raises(IncompatibleUnitsError):
        Quantity.sum([persons, attendances])


@given(quantities(), quantities())
def test_units_of_different_dimensions_never_add(a: Quantity, b: Quantity) -> None:
    if a.unit.compatible(b.unit):
        assert (a + b).unit is a.unit
    else:
        with pytest.raises(IncompatibleUnitsError):
            a + b


def test_adding_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Quantity(1, "person") + 1


def test_to_worked_examples() -> None:
    poppy = Quantity(58_000, "m2", Qualifier.AT_LEAST)
    assert poppy.to("ha") == Quantity(Decimal("5.8"), "ha", "at_least")
    assert poppy.to("ha").to("m2") == poppy
    assert poppy.to("m2") is poppy
    assert Quantity(Decimal("5.80"), "ha").to("m2") == Quantity(58_000, "m2")


@given(quantities(units=units(dimension="area")))
def test_to_round_trips_exactly(q: Quantity) -> None:
    there = q.to("ha")
    back = there.to(q.unit)
    assert back.value == q.value
    assert back.qualifier is q.qualifier
    assert q.to("m2").to("ha").to("m2") == q.to("m2")


# -- valid values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        (1.5, "m2"),
        (1.0, "person"),
        (float("nan"), "m2"),
        (True, "person"),
        (False, "case"),
        (Decimal("NaN"), "m2"),
        (Decimal("sNaN"), "m2"),
        (Decimal("Infinity"), "ha"),
        (-1, "person"),
        (Decimal("-0.5"), "m2"),
        (Decimal("1.5"), "person"),
        (Decimal("0.1"), "household_attendance"),
        ("5", "person"),
        (None, "person"),
    ],
)
def test_invalid_values_raise_quantity_error(value: object, unit: str) -> None:
    with pytest.raises(QuantityError) as info:
        Quantity(value, unit)
    assert info.value.unit == unit
    assert info.value.reason


def test_whole_decimals_are_stored_as_int_and_fractional_decimals_kept() -> None:
    q = Quantity(Decimal("29.0"), "person")
    assert q.value == 29
    assert type(q.value) is int
    kept = Quantity(Decimal("5.80"), "ha").value
    assert isinstance(kept, Decimal)
    assert str(kept) == "5.80"


def test_negative_zero_is_zero() -> None:
    q = Quantity(Decimal("-0.00"), "m2")
    assert q.value == 0
    assert isinstance(q.value, Decimal)
    assert not q.value.is_signed()


def test_unknown_unit_and_qualifier() -> None:
    with pytest.raises(UnknownUnitError) as info:
        Quantity(1, "furlong")
    assert info.value.unit == "furlong"
    with pytest.raises(InvalidValueError):
        Quantity(1, "m2", "roughly")


@given(quantities())
def test_generated_values_suit_their_unit(q: Quantity) -> None:
    assert q.value >= 0
    assert isinstance(q.value, int | Decimal)
    if q.unit.whole:
        assert type(q.value) is int


@given(quantities())
def test_repr_evaluates_back(q: Quantity) -> None:
    assert eval(repr(q), {"Quantity": Quantity, "Decimal": Decimal}) == q  # noqa: S307


# -- units ------------------------------------------------------------------------------------


def test_unit_registry() -> None:
    area = Unit.get("m2")
    assert Unit.get("m2") is area
    assert Unit.get(area) is area
    assert Unit.get("ha").factor == 10_000
    assert area.compatible(Unit.get("ha"))
    assert not Unit.get("person").compatible(Unit.get("household_attendance"))
    assert {"person", "case", "meeting", "household_attendance", "m2", "ha"} <= set(Unit.all())
    assert repr(area) == "Unit.get('m2')"
    with pytest.raises(TypeError):
        Unit.all()["x"] = area  # type: ignore[index]


def test_a_unit_code_is_registered_once() -> None:
    with pytest.raises(InvalidValueError):
        Unit.register("m2", "area", name_vi="m²", name_en="m²")


@given(units())
def test_every_unit_has_labels_and_a_positive_factor(unit: Unit) -> None:
    assert unit.name_vi
    assert unit.name_en
    assert unit.plural_en
    assert unit.factor > 0
    assert Unit.get(unit.code) is unit


@given(qualifiers())
def test_qualifiers_read_back_from_their_values(q: Qualifier) -> None:
    assert Qualifier(q.value) is q


# -- pydantic ------------------------------------------------------------------------------------


class _Figure(BaseModel):
    quantity: Quantity


@given(quantities())
def test_pydantic_field_round_trip(q: Quantity) -> None:
    model = _Figure(quantity=q)
    dumped = json.loads(model.model_dump_json())["quantity"]
    assert set(dumped) == {"value", "unit", "qualifier"}
    assert isinstance(dumped["value"], int) or re.fullmatch(r"[0-9]+(\.[0-9]+)?", dumped["value"])
    assert _Figure.model_validate_json(model.model_dump_json()) == model


def test_pydantic_field_keeps_decimals_exact() -> None:
    model = _Figure.model_validate({"quantity": {"value": "5.80", "unit": "ha"}})
    assert str(model.quantity.value) == "5.80"
    assert '"5.80"' in model.model_dump_json()


@pytest.mark.parametrize(
    "value",
    [
        {"value": 1.5, "unit": "m2"},
        {"value": "abc", "unit": "m2"},
        {"value": -1, "unit": "person"},
        {"value": 1, "unit": "furlong"},
        {"value": 1},
        {"value": 1, "unit": "m2", "extra": 1},
        {"value": 1, "unit": "m2", "qualifier": "roughly"},
        "5 m2",
    ],
)
def test_pydantic_field_rejects_bad_quantities(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        _Figure.model_validate({"quantity": value})
    assert info.value.errors()[0]["loc"] == ("quantity",)


def test_conversion_and_addition_never_round() -> None:
    long = Decimal("1." + "1" * 40)
    assert Quantity(long, "ha").to("m2").value == Decimal("11111." + "1" * 36)
    assert Quantity(long, "ha").to("m2").to("ha") == Quantity(long, "ha")
    tiny = Decimal("0." + "0" * 50 + "1")
    expected = Decimal("1." + "1" * 40 + "0" * 10 + "1")
    assert (Quantity(long, "ha") + Quantity(tiny, "ha")).value == expected
