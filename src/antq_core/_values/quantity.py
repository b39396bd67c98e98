"""Units, qualifiers and quantities: the numbers a report states, with what they count."""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar, Final

import attrs
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from antq_core._util.plaintext import PlainSchema
from antq_core._values.exact import Number, add, convert, tidy
from antq_core._values.patterns import DECIMAL_TEXT, whole
from antq_core._values.schema import value_schema
from antq_core._values.text import nfc
from antq_core.errors import (
    IncompatibleUnitsError,
    InvalidValueError,
    QuantityError,
    UnknownUnitError,
    enum_member,
)

__all__ = ["Number", "Qualifier", "Quantity", "Unit", "check_value", "is_decimal_text"]


class Qualifier(PlainSchema, enum.StrEnum):
    """How a reported number relates to the true figure.

    Reports say "trên 58 nghìn m2" (more than 58,000 m²), "hàng nghìn nguồn tin"
    (thousands of tips), "khoảng 200 hộ" (about 200 households). The qualifier
    keeps that: a lower bound must never be read, summed or exported as an exact
    number.

    Combining two qualified numbers by addition (:meth:`combine`):

    ============== ============== ============== ============== ==============
    ``+``          exact          at_least       at_most        approximately
    ============== ============== ============== ============== ==============
    exact          exact          at_least       at_most        approximately
    at_least       at_least       at_least       approximately  approximately
    at_most        at_most        approximately  at_most        approximately
    approximately  approximately  approximately  approximately  approximately
    ============== ============== ============== ============== ==============

    A sum of lower bounds is a lower bound and a sum of upper bounds an upper
    bound; a lower bound plus an upper bound bounds nothing, so the result is
    only ``approximately`` the figure, the weakest statement there is.
    ``at_least`` includes the stated value: reports write "trên" (more than)
    loosely, so the library reads it as a bound, not as a strict inequality.
    """

    EXACT = "exact"
    """The number is the figure."""
    AT_LEAST = "at_least"
    """A lower bound; the figure is this number or more ("trên", "hơn", "hàng nghìn")."""
    AT_MOST = "at_most"
    """An upper bound; the figure is this number or less ("gần", "dưới", "không quá")."""
    APPROXIMATELY = "approximately"
    """An estimate with no stated direction ("khoảng", "chừng")."""

    def combine(self, other: Qualifier) -> Qualifier:
        """Return the qualifier of a sum of a number qualified ``self`` and one ``other``.

        >>> Qualifier.EXACT.combine(Qualifier.AT_LEAST)
        <Qualifier.AT_LEAST: 'at_least'>
        >>> Qualifier.AT_LEAST.combine(Qualifier.AT_MOST)
        <Qualifier.APPROXIMATELY: 'approximately'>
        """
        if self is other:
            return self
        if self is Qualifier.EXACT:
            return other
        if other is Qualifier.EXACT:
            return self
        return Qualifier.APPROXIMATELY


@attrs.frozen(repr=False)
class Unit:
    """A unit of measure: what a number counts or measures.

    Units with the same :attr:`dimension` convert into each other through
    :attr:`factor` (m² and ha); units of different dimensions never add
    (persons and household attendances). Get units by code with
    :meth:`Unit.get`; :meth:`Unit.all` lists the registry.

    >>> Unit.get("ha").dimension, Unit.get("ha").factor
    ('area', Decimal('10000'))

    Attributes:
        code: Stable identifier used in data files (``"m2"``, ``"household_attendance"``).
        dimension: What it measures; units convert only within one dimension.
        factor: How many base units of the dimension one of this unit is.
        whole: Whether values must be whole numbers (counts).
        name_vi: Vietnamese label, as a report writes it after a number.
        name_en: English label, singular.
        plural_en: English label, plural.
    """

    code: str
    dimension: str
    factor: Decimal
    whole: bool
    name_vi: str
    name_en: str
    plural_en: str

    _registry: ClassVar[dict[str, Unit]] = {}

    def __repr__(self) -> str:
        return f"Unit.get({self.code!r})"

    def __str__(self) -> str:
        return self.code

    @classmethod
    def get(cls, code: str | Unit) -> Unit:
        """Return the registered unit with this code.

        Raises:
            UnknownUnitError: No unit has this code.
        """
        if isinstance(code, Unit):
            return code
        try:
            return cls._registry[code]
        except KeyError:
            raise UnknownUnitError(code) from None

    @classmethod
    def all(cls) -> Mapping[str, Unit]:
        """Return every registered unit, by code, in registration order."""
        return MappingProxyType(cls._registry)

    @classmethod
    def register(
        cls,
        code: str,
        dimension: str,
        *,
        name_vi: str,
        name_en: str,
        plural_en: str | None = None,
        factor: int | Decimal = 1,
        whole: bool = True,
    ) -> Unit:
        """Add a unit to the registry and return it.

        Applications may register units their reports need. Registering a
        code again with the same definition returns the registered unit (so
        two modules, or two threads, may both declare a unit they share);
        with any other definition it is refused, since data already read in
        that unit would change meaning. Registration is thread-safe: of two
        threads registering one code differently, exactly one wins and the
        other gets the error.

        >>> Unit.register("m2", "area", name_vi="m²", name_en="m²", plural_en="m²", whole=False)
        Unit.get('m2')

        Args:
            code: Lower-case ASCII letters, digits and ``_``, starting with a
                letter, at most 64 characters (``"m2"``, ``"vnd_per_month"``).
            dimension: What it measures, written like a code.
            name_vi: Vietnamese label (non-blank).
            name_en: English label, singular (non-blank).
            plural_en: English plural (default: ``name_en + "s"``).
            factor: How many base units of the dimension one of this unit is:
                a positive ``int`` or finite ``Decimal`` (never a float, which
                would not be exact).
            whole: Whether values must be whole numbers (``True`` or ``False``).

        Raises:
            InvalidValueError: An argument is not as described, or the code is
                registered with another definition.
        """
        unit = cls(
            code=_code("unit code", code),
            dimension=_code("unit dimension", dimension),
            factor=_factor(factor),
            whole=_flag(whole),
            name_vi=_label("Vietnamese unit label", name_vi),
            name_en=_label("English unit label", name_en),
            plural_en=_label(
                "English plural label", name_en + "s" if plural_en is None else plural_en
            ),
        )
        with _REGISTRY_LOCK:
            known = cls._registry.get(unit.code)
            if known is None:
                cls._registry[unit.code] = unit
                return unit
        if known == unit:
            return known
        differs = [
            field.name
            for field in attrs.fields(Unit)
            if getattr(known, field.name) != getattr(unit, field.name)
        ]
        reason = f"already registered with another {', '.join(differs)}"
        raise InvalidValueError("unit code", unit.code, reason)

    def compatible(self, other: Unit) -> bool:
        """Whether quantities in ``self`` and ``other`` can be added (same dimension)."""
        return self.dimension == other.dimension

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate a unit from its code; serialise it as its code."""
        return value_schema(_validate_unit, str)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A string enumeration of the registered unit codes."""
        return {"type": "string", "enum": list(cls._registry), "title": "Unit"}


_REGISTRY_LOCK: Final = threading.Lock()
_MAX_LABEL: Final = 200
_UNIT_CODE: Final = re.compile(r"[a-z][a-z0-9_]{0,63}", re.ASCII)


def _code(what: str, value: object) -> str:
    if not isinstance(value, str) or _UNIT_CODE.fullmatch(value) is None:
        reason = (
            "use lower-case ASCII letters, digits and '_', starting with a letter (64 at most)"
        )
        raise InvalidValueError(what, value, reason)
    return value


def _label(what: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_LABEL:
        raise InvalidValueError(
            what, value, f"give a non-blank text of at most {_MAX_LABEL} characters"
        )
    return nfc(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidValueError("whole", value, "give True or False")
    return value


def _factor(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidValueError(
            "unit factor", value, "give a positive int or Decimal, not a float"
        )
    number = Decimal(value)
    if not number.is_finite() or number <= 0:
        raise InvalidValueError("unit factor", value, "give a positive, finite number")
    return number


def _validate_unit(value: object) -> Unit:
    if isinstance(value, Unit):
        return value
    if isinstance(value, str):
        return Unit.get(value)
    raise InvalidValueError("unit", value, "a unit is given by its code, a string")


_R = Unit.register
PERSON: Final = _R("person", "person", name_vi="người", name_en="person", plural_en="persons")
_R("case", "case", name_vi="vụ", name_en="case")
_R("meeting", "meeting", name_vi="buổi", name_en="meeting")
_R("household", "household", name_vi="hộ", name_en="household")
_R(
    "household_attendance",
    "household_attendance",
    name_vi="lượt hộ",
    name_en="household attendance",
)
_R("person_attendance", "person_attendance", name_vi="lượt người", name_en="person attendance")
_R("organization", "organization", name_vi="tổ chức", name_en="organization")
_R("member", "membership", name_vi="thành viên", name_en="member")
_R("site", "site", name_vi="điểm", name_en="site")
_R("initiative", "initiative", name_vi="mô hình", name_en="initiative")
_R("tip", "tip", name_vi="nguồn tin", name_en="tip")
_R("award", "award", name_vi="khen thưởng", name_en="award")
_R("admin_unit", "admin_unit", name_vi="đơn vị", name_en="administrative unit")
_R("m2", "area", name_vi="m²", name_en="m²", plural_en="m²", whole=False)
_R("ha", "area", name_vi="ha", name_en="ha", plural_en="ha", factor=10_000, whole=False)
_R("vnd", "money", name_vi="đồng", name_en="VND", plural_en="VND", whole=False)
_R(
    "vnd_per_month",
    "money_per_month",
    name_vi="đồng/tháng",
    name_en="VND/month",
    plural_en="VND/month",
    whole=False,
)
_R("value", "value", name_vi="giá trị", name_en="reported value")
_R("percent", "ratio", name_vi="%", name_en="%", plural_en="%", whole=False)
del _R


def _to_unit(unit: Unit | str) -> Unit:
    return Unit.get(unit)


def _to_qualifier(value: Qualifier | str) -> Qualifier:
    if value.__class__ is Qualifier:  # the usual case: skip Enum's slow call (~1 µs)
        return value
    return enum_member(Qualifier, value, "qualifier")


MAX_DIGITS: Final = 30
"""Most digits before the decimal mark a value may have (10^30 is beyond any real report)."""
_LIMIT: Final = 10**MAX_DIGITS
_TOO_LONG: Final = (
    f"more than {MAX_DIGITS} digits before the decimal mark, or {MAX_DIGITS * 3} in all"
)


def check_value(value: object, unit: Unit) -> Number:
    """``value`` as a :class:`Quantity` of ``unit`` holds it: never negative, whole if need be.

    Raises:
        QuantityError: Not an int or Decimal, not finite, too long, negative,
            or not whole where ``unit`` counts whole things.
    """
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        reason = (
            "floats are not allowed (use int or Decimal)"
            if isinstance(value, float)
            else f"a value is an int or a Decimal, not {type(value).__name__}"
        )
        raise QuantityError(value, unit.code, reason)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise QuantityError(value, unit.code, "the value is not a finite number")
        if value.adjusted() >= MAX_DIGITS or len(value.as_tuple().digits) > MAX_DIGITS * 3:
            raise QuantityError(value, unit.code, _TOO_LONG)
        if value.is_zero() and value.is_signed():
            value = value.copy_abs()  # -0 is zero; its "-" would not survive a dump
        if unit.whole:
            if value != value.to_integral_value():
                raise QuantityError(value, unit.code, "this unit counts whole things")
            value = int(value)
    if value < 0:
        raise QuantityError(value, unit.code, "a reported amount cannot be negative")
    if value >= _LIMIT:
        raise QuantityError(value, unit.code, _TOO_LONG)
    return value


@attrs.frozen(repr=False)
class Quantity:
    """A reported number with its unit and qualifier: ``trên 58.000 m²``.

    Values are ``int`` or :class:`~decimal.Decimal`, never ``float``, and never
    negative. Units that count whole things (persons, cases...) take whole
    values; a whole ``Decimal`` is stored as ``int``.

    Adding quantities converts the right operand into the left one's unit and
    combines qualifiers as :class:`Qualifier` describes; units of different
    dimensions raise :class:`~antq_core.errors.IncompatibleUnitsError`.

    >>> from decimal import Decimal
    >>> a = Quantity(58_000, "m2", Qualifier.AT_LEAST)
    >>> a + Quantity(Decimal("1.5"), "ha")
    Quantity(73000, 'm2', 'at_least')
    >>> a.to("ha")
    Quantity(Decimal('5.8'), 'ha', 'at_least')

    Attributes:
        value: The number.
        unit: What it counts or measures (a code is accepted and looked up).
        qualifier: How the number relates to the true figure.
    """

    value: Number
    unit: Unit = attrs.field(converter=_to_unit)
    qualifier: Qualifier = attrs.field(default=Qualifier.EXACT, converter=_to_qualifier)

    def __attrs_post_init__(self) -> None:
        checked = check_value(self.value, self.unit)
        if checked is not self.value:
            object.__setattr__(self, "value", checked)

    def __repr__(self) -> str:
        q = "" if self.qualifier is Qualifier.EXACT else f", {self.qualifier.value!r}"
        return f"Quantity({self.value!r}, {self.unit.code!r}{q})"

    def to(self, unit: Unit | str) -> Quantity:
        """Return this quantity expressed in ``unit`` (same dimension).

        Raises:
            IncompatibleUnitsError: ``unit`` measures something else.
        """
        target = Unit.get(unit)
        if target is self.unit:
            return self
        if not self.unit.compatible(target):
            raise IncompatibleUnitsError(self.unit.code, target.code, "convert")
        value = convert(self.value, self.unit.factor, target.factor, unit=self.unit.code)
        return Quantity(value, target, self.qualifier)

    def __add__(self, other: object) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        if not self.unit.compatible(other.unit):
            raise IncompatibleUnitsError(self.unit.code, other.unit.code, "add")
        right = other.to(self.unit)
        total = tidy(add(self.value, right.value, unit=self.unit.code))
        return Quantity(total, self.unit, self.qualifier.combine(other.qualifier))

    @classmethod
    def sum(cls, quantities: Iterable[Quantity], unit: Unit | str | None = None) -> Quantity:
        """Add up ``quantities`` in ``unit`` (default: the first one's unit).

        Raises:
            InvalidValueError: There is nothing to add and no unit to give a zero in.
            IncompatibleUnitsError: Two of them measure different things.
        """
        items = iter(quantities)
        if unit is None:
            first = next(items, None)
            if first is None:
                reason = "nothing to add, and no unit to give a zero in"
                raise InvalidValueError("sum", [], reason)
            total = first
        else:
            total = cls(0, unit)
        for q in items:
            total = total + q
        return total

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from ``{"value", "unit", "qualifier"}``; serialise back to it."""
        return value_schema(_validate_quantity, _dump_quantity)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """An object with a value (integer or decimal string), a unit and a qualifier."""
        return {
            "type": "object",
            "title": "Quantity",
            "properties": {
                "value": VALUE_JSON_SCHEMA,
                "unit": {"type": "string", "enum": list(Unit.all())},
                "qualifier": {"type": "string", "enum": [q.value for q in Qualifier]},
            },
            "required": ["value", "unit"],
            "additionalProperties": False,
        }


VALUE_JSON_SCHEMA: Final[dict[str, Any]] = {
    "oneOf": [
        {"type": "integer", "minimum": 0, "maximum": 10**MAX_DIGITS - 1},
        {"type": "string", "maxLength": 3 * MAX_DIGITS + 1, "pattern": whole(DECIMAL_TEXT)},
    ],
    "description": (
        f"An integer from 0 to 10^{MAX_DIGITS} - 1, or a decimal written as a string to keep "
        f"it exact, with at most {MAX_DIGITS} digits before the decimal mark and "
        f"{2 * MAX_DIGITS} after it ('5.8'; not '5.' or '.8'). A JSON number written with a "
        "fraction or exponent (32.0) is the whole number it equals, if it is one and below "
        "2^53; write larger numbers with digits only (a JSON Schema validator cannot tell "
        "1e20 from 100000000000000000000; the loader refuses the first). Validators that read "
        "JSON numbers as doubles judge integers close to 10^30 only approximately."
    ),
}


def parse_value(raw: object) -> Number:
    """Read a value as the wire format writes it: an int, or a decimal string.

    Raises:
        QuantityError: Anything else (floats, booleans, other strings).
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, str) and is_decimal_text(raw):
        return decimal_from_text(raw)
    raise QuantityError(raw, "", "a value is an integer or a decimal string like '5.8'")


EXACT_FLOAT_LIMIT: Final = 2**53
"""Below this, a JSON number such as ``32.0`` is read exactly by every JSON parser."""


def whole_float(raw: float) -> int | None:
    """The whole number a JSON number written ``32.0`` or ``3.2e1`` stands for, if it is exact.

    JSON (RFC 8259) and JSON Schema make ``32.0`` and ``32`` one number, and ECMAScript
    cannot tell them apart, so neither does the document loader. A fraction (``5.8`` as
    a float) or a number too large to be held exactly is not read.
    """
    if raw.is_integer() and abs(raw) < EXACT_FLOAT_LIMIT:
        return int(raw)
    return None


_TEXT_TOO_LONG: Final = (
    f"more than {MAX_DIGITS} digits before the decimal mark, or {2 * MAX_DIGITS} after it"
)


def is_decimal_text(text: str) -> bool:
    """Whether ``text`` is a value as the wire format writes one: ``5.8``, not ``5.`` or ``.8``.

    ASCII digits, then optionally a decimal mark and more digits.
    """
    head, mark, tail = text.partition(".")
    return _ascii_digits(head) and (not mark or _ascii_digits(tail))


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def decimal_from_text(text: str) -> Decimal:
    """The value of a decimal string (:func:`is_decimal_text`) within the written-digit caps.

    At most :data:`MAX_DIGITS` digits before the mark and twice that after it, counted as
    written, so that the published JSON Schema can say the same with a pattern.

    Raises:
        QuantityError: The string has more digits than that.
    """
    head, _, tail = text.partition(".")
    if len(head) > MAX_DIGITS or len(tail) > 2 * MAX_DIGITS:
        raise QuantityError(text, "", _TEXT_TOO_LONG)
    return Decimal(text)


def dump_value(value: Number) -> int | str:
    """Write a value the way :func:`parse_value` reads it back."""
    return value if isinstance(value, int) else format(value, "f")


def _validate_quantity(data: object) -> Quantity:
    if isinstance(data, Quantity):
        return data
    if not isinstance(data, dict):
        raise InvalidValueError("quantity", data, "write an object of value, unit, qualifier")
    extra = set(data) - {"value", "unit", "qualifier"}
    if extra:
        raise InvalidValueError("quantity", data, f"unexpected fields {sorted(extra)}")
    if "value" not in data or "unit" not in data:
        raise InvalidValueError("quantity", data, "a quantity needs a value and a unit")
    return Quantity(
        parse_value(data["value"]),
        _validate_unit(data["unit"]),
        Qualifier(data.get("qualifier", "exact")),
    )


def _dump_quantity(q: Quantity) -> dict[str, Any]:
    return {"value": dump_value(q.value), "unit": q.unit.code, "qualifier": q.qualifier.value}
