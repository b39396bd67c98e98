"""Reading and writing quantities the way Vietnamese and English reports write them."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from decimal import Decimal
from typing import Final, Literal

from antq_core._values.period import DEFAULT_SEASON_START_MONTH, Period, PeriodKind
from antq_core._values.quantity import MAX_DIGITS, Number, Qualifier, Quantity, Unit, _tidy
from antq_core._values.text import fold, nfc
from antq_core.errors import InvalidValueError, QuantityParseError

__all__ = [
    "Lang",
    "format_date",
    "format_number",
    "format_period",
    "format_quantity",
    "parse_number",
    "parse_quantity",
]

Lang = Literal["vi", "en"]
"""A supported language, ``"vi"`` (Vietnamese) or ``"en"`` (English)."""

_SEPARATORS: Final = {"vi": (".", ","), "en": (",", ".")}  # (grouping, decimal mark)

# Words before a number that qualify it, by language; keys are fold() forms.
_PREFIXES: Final[dict[str, dict[str, Qualifier]]] = {
    "vi": {
        "tren": Qualifier.AT_LEAST,
        "hon": Qualifier.AT_LEAST,
        "it nhat": Qualifier.AT_LEAST,
        "toi thieu": Qualifier.AT_LEAST,
        "gan": Qualifier.AT_MOST,
        "duoi": Qualifier.AT_MOST,
        "khong qua": Qualifier.AT_MOST,
        "toi da": Qualifier.AT_MOST,
        "khoang": Qualifier.APPROXIMATELY,
        "chung": Qualifier.APPROXIMATELY,
        "xap xi": Qualifier.APPROXIMATELY,
        "tu": Qualifier.EXACT,  # only with "trở lên" after the number: "từ 2 triệu trở lên"
    },
    "en": {
        "more than": Qualifier.AT_LEAST,
        "over": Qualifier.AT_LEAST,
        "at least": Qualifier.AT_LEAST,
        "nearly": Qualifier.AT_MOST,
        "almost": Qualifier.AT_MOST,
        "under": Qualifier.AT_MOST,
        "less than": Qualifier.AT_MOST,
        "at most": Qualifier.AT_MOST,
        "up to": Qualifier.AT_MOST,
        "about": Qualifier.APPROXIMATELY,
        "around": Qualifier.APPROXIMATELY,
        "approximately": Qualifier.APPROXIMATELY,
        "some": Qualifier.APPROXIMATELY,
    },
}
_OR_MORE: Final = {"vi": ("tro len",), "en": ("or more",)}

_MULTIPLIERS: Final[dict[str, dict[str, int]]] = {
    "vi": {"nghin": 10**3, "ngan": 10**3, "trieu": 10**6, "ty": 10**9, "ti": 10**9},
    "en": {"thousand": 10**3, "million": 10**6, "billion": 10**9},
}
# "hàng nghìn" / "thousands": a lower bound of one multiplier, no number.
_PLURAL_MULTIPLIERS: Final[dict[str, dict[str, int]]] = {
    "vi": {"hang tram": 100, "hang nghin": 10**3, "hang ngan": 10**3, "hang trieu": 10**6},
    "en": {"hundreds": 100, "thousands": 10**3, "millions": 10**6},
}
_PLURAL_WORDS: Final = {
    "vi": {100: "hàng trăm", 10**3: "hàng nghìn", 10**6: "hàng triệu"},
    "en": {100: "hundreds", 10**3: "thousands", 10**6: "millions"},
}
_QUALIFIER_WORDS: Final = {
    "vi": {
        Qualifier.AT_LEAST: "trên",
        Qualifier.AT_MOST: "không quá",
        Qualifier.APPROXIMATELY: "khoảng",
    },
    "en": {
        Qualifier.AT_LEAST: "more than",
        Qualifier.AT_MOST: "at most",
        Qualifier.APPROXIMATELY: "about",
    },
}

# Unit words beyond each unit's own labels (fold() forms).
_UNIT_ALIASES: Final = {
    "m2": (
        "m2",
        "m²",
        "met vuong",
        "square metre",
        "square metres",
        "square meter",
        "square meters",
    ),
    "ha": ("ha", "hec-ta", "hecta", "hectare", "hectares"),
    "vnd": ("dong", "d", "vnd", "vnđ", "dong viet nam"),
    "vnd_per_month": ("dong/thang", "d/thang", "vnd/thang", "vnd/month"),
    "person": ("nguoi", "person", "persons", "people"),
    "case": ("vu", "vu viec", "case", "cases"),
    "meeting": ("buoi", "cuoc hop", "meeting", "meetings"),
    "household_attendance": ("luot ho", "luot ho gia dinh"),
    "household": ("ho", "ho gia dinh"),
    "member": ("thanh vien", "hoi vien"),
    "tip": ("nguon tin", "tin"),
    "percent": ("%", "phan tram", "percent"),
}


def _unit_words() -> dict[str, Unit]:
    words: dict[str, Unit] = {}
    for unit in Unit.all().values():
        for word in (
            unit.name_vi,
            unit.name_en,
            unit.plural_en,
            unit.code,
            *_UNIT_ALIASES.get(unit.code, ()),
        ):
            words.setdefault(fold(word), unit)
    return words


def parse_number(text: str, lang: Lang = "vi") -> Number:
    """Read a plain number written the ``lang`` way: ``"4.810"`` in ``vi`` is 4810.

    Vietnamese groups thousands with ``.`` and marks decimals with ``,``;
    English the other way round. A group separator must be followed by exactly
    three digits, so ``"1.5"`` in Vietnamese is rejected rather than guessed.

    >>> parse_number("35.122"), parse_number("5,8"), parse_number("1,500", "en")
    (35122, Decimal('5.8'), 1500)

    Raises:
        QuantityParseError: ``text`` is not a number in that locale.
    """
    check_lang(lang)
    value, end = _read_number(text.strip(), 0, lang)
    if end != len(text.strip()):
        raise QuantityParseError(text, lang, end, "unexpected text after the number")
    return value


def _read_number(text: str, pos: int, lang: str) -> tuple[Number, int]:
    group, mark = _SEPARATORS[lang]
    pattern = re.compile(
        rf"(\d{{1,3}}(?:{re.escape(group)}\d{{3}})+|\d+)(?:{re.escape(mark)}(\d+))?",
        re.ASCII,  # "４.８１０" and other scripts' digits are not report numbers
    )
    match = pattern.match(text, pos)
    if match is None:
        raise QuantityParseError(text, lang, pos, "expected a number")
    end = match.end()
    if end < len(text) and (text[end].isdigit() or text[end] in ".,"):
        other = "1,5" if lang == "vi" else "1.5"
        raise QuantityParseError(
            text, lang, end, f"not a number in '{lang}' (decimals are written like {other})"
        )
    whole = match.group(1).replace(group, "")
    if len(whole) + len(match.group(2) or "") > 3 * MAX_DIGITS:
        raise QuantityParseError(text, lang, pos, f"more than {3 * MAX_DIGITS} digits")
    if match.group(2) is None:
        return int(whole), end
    return Decimal(f"{whole}.{match.group(2)}"), end


def parse_quantity(text: str, lang: Lang = "vi", *, unit: Unit | str | None = None) -> Quantity:
    """Read a quantity phrase from a report into a :class:`~antq_core.Quantity`.

    Understands an optional qualifier word before the number ("trên", "hơn",
    "gần", "khoảng"... / "more than", "about"...), "trở lên" / "or more" after
    it, a multiplier ("nghìn", "triệu", "tỷ" / "thousand", "million"), plural
    multipliers that are themselves lower bounds ("hàng nghìn" = at least 1,000,
    "thousands"), and a unit word ("m2", "ha", "đồng", "người", "lượt hộ"...).

    >>> parse_quantity("trên 58 nghìn m2")
    Quantity(58000, 'm2', 'at_least')
    >>> parse_quantity("hàng nghìn", unit="tip")
    Quantity(1000, 'tip', 'at_least')
    >>> parse_quantity("2 triệu đồng")
    Quantity(2000000, 'vnd')
    >>> parse_quantity("4.810", unit="household_attendance")
    Quantity(4810, 'household_attendance')

    Args:
        text: The phrase.
        lang: Its language, which fixes the number format ("1.500" is 1500 in
            ``vi`` and 1.5 in ``en``).
        unit: The unit when the phrase has none, or the unit the phrase's own
            unit word must agree with (converted into it when both measure area).

    Raises:
        QuantityParseError: The phrase is not a quantity, has no unit anywhere,
            or is not a number at all ("hàng chục", "nhiều").
    """
    check_lang(lang)
    original = text
    # Digits, separators and unit symbols survive fold(), so the whole phrase
    # is read from its folded form and positions refer to it.
    folded = fold(nfc(text))
    qualifier = Qualifier.EXACT
    pos = 0
    for word, qual in sorted(_PREFIXES[lang].items(), key=lambda kv: -len(kv[0])):
        if folded.startswith(word + " "):
            qualifier, pos = qual, len(word) + 1
            break
    value: Number
    for word, amount in _PLURAL_MULTIPLIERS[lang].items():
        if folded[pos:] == word or folded.startswith(word + " ", pos):
            if qualifier is not Qualifier.EXACT:
                raise QuantityParseError(original, lang, pos, f"{word!r} takes no qualifier")
            value, qualifier, pos = amount, Qualifier.AT_LEAST, pos + len(word)
            if lang == "en" and folded.startswith(" of", pos):
                pos += 3
            break
    else:
        try:
            value, pos = _read_number(folded, pos, lang)
        except QuantityParseError as e:
            raise QuantityParseError(original, lang, e.position, e.reason) from None
        for word, factor in _MULTIPLIERS[lang].items():
            if folded.startswith(" " + word, pos) and (
                len(folded) == pos + len(word) + 1 or not folded[pos + len(word) + 1].isalpha()
            ):
                with decimal.localcontext() as ctx:
                    ctx.prec = 4 * MAX_DIGITS  # exact: at most 3 * MAX_DIGITS digits + 9
                    value = _tidy(Decimal(value) * factor)
                pos += len(word) + 1
                break
    rest = folded[pos:].strip()
    from_word = lang == "vi" and folded.startswith("tu ")
    for tail in _OR_MORE[lang]:
        if rest == tail or rest.endswith(" " + tail):
            rest = rest[: -len(tail)].strip()
            if qualifier is not Qualifier.EXACT:
                raise QuantityParseError(original, lang, pos, "two qualifiers for one number")
            qualifier = Qualifier.AT_LEAST
    if from_word and qualifier is Qualifier.EXACT:
        raise QuantityParseError(original, lang, 0, "'từ' (from) needs 'trở lên' (or more)")
    found = _read_unit(original, lang, rest, pos)
    target = Unit.get(unit) if unit is not None else None
    if found is None and target is None:
        raise QuantityParseError(original, lang, len(original), "no unit in the phrase or given")
    quantity_unit = found or target
    assert quantity_unit is not None  # noqa: S101 - narrowed by the check above
    try:
        quantity = Quantity(value, quantity_unit, qualifier)
        if target is not None and found is not None and found is not target:
            quantity = quantity.to(target)
    except (ValueError, TypeError) as e:
        raise QuantityParseError(original, lang, 0, str(e)) from None
    return quantity


def _read_unit(original: str, lang: str, rest: str, pos: int) -> Unit | None:
    if not rest:
        return None
    if lang == "en" and rest.startswith("of "):
        rest = rest[3:]
    unit = _unit_words().get(rest)
    if unit is None:
        raise QuantityParseError(original, lang, pos, f"unknown unit {rest!r}")
    return unit


def check_lang(lang: object) -> None:
    """Raise :class:`~antq_core.errors.InvalidValueError` unless ``lang`` is "vi" or "en"."""
    if lang not in _SEPARATORS:
        raise InvalidValueError("language", lang, "use 'vi' or 'en'")


def format_number(value: Number, lang: Lang = "vi") -> str:
    """Write a number the ``lang`` way: 4810 is ``"4.810"`` in ``vi``, ``"4,810"`` in ``en``.

    Decimals keep their digits (no float rounding): ``Decimal("5.80")`` is
    ``"5,80"`` in Vietnamese.

    >>> format_number(35122), format_number(35122, "en"), format_number(Decimal("5.8"))
    ('35.122', '35,122', '5,8')
    """
    check_lang(lang)
    group, mark = _SEPARATORS[lang]
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    groups = []
    while len(whole) > 3:  # noqa: PLR2004
        groups.append(whole[-3:])
        whole = whole[:-3]
    groups.append(whole)
    out = sign + group.join(reversed(groups))
    return f"{out}{mark}{fraction}" if fraction else out


def format_quantity(quantity: Quantity, lang: Lang = "vi", *, unit: bool = True) -> str:
    """Write ``quantity`` as a report would, in ``lang``; :func:`parse_quantity` reads it back.

    >>> format_quantity(Quantity(58_000, "m2", "at_least"))
    'trên 58.000 m²'
    >>> format_quantity(Quantity(58_000, "m2", "at_least"), "en")
    'more than 58,000 m²'
    >>> (
    ...     format_quantity(Quantity(1000, "tip", "at_least")),
    ...     format_quantity(Quantity(1000, "tip", "at_least"), "en"),
    ... )
    ('hàng nghìn nguồn tin', 'thousands of tips')

    A lower bound of exactly 100, 1,000 or 1,000,000 is written "hàng trăm",
    "hàng nghìn", "hàng triệu" ("hundreds", "thousands", "millions"), the way
    reports state them.

    Args:
        quantity: What to write.
        lang: ``"vi"`` or ``"en"``.
        unit: Whether to write the unit word after the number.
    """
    check_lang(lang)
    value, q = quantity.value, quantity.qualifier
    label = _unit_label(quantity, lang) if unit else ""
    if q is Qualifier.AT_LEAST and isinstance(value, int) and value in _PLURAL_WORDS[lang]:
        words = _PLURAL_WORDS[lang][value]
        if not label:
            return words
        return f"{words} of {label}" if lang == "en" else f"{words} {label}"
    number = format_number(value, lang)
    prefix = _QUALIFIER_WORDS[lang].get(q)
    text = f"{prefix} {number}" if prefix else number
    return f"{text} {label}" if label else text


def _unit_label(quantity: Quantity, lang: str) -> str:
    u = quantity.unit
    if lang == "vi":
        return u.name_vi
    return (
        u.name_en if quantity.value == 1 and quantity.qualifier is Qualifier.EXACT else u.plural_en
    )


_MONTHS_EN: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ROMAN: Final = ("I", "II", "III", "IV")


def format_date(date: dt.date, lang: Lang = "vi") -> str:
    """A date as a reader expects it: ``13/07/2017`` in ``vi``, ``13 July 2017`` in ``en``."""
    check_lang(lang)
    if lang == "vi":
        return f"{date.day:02d}/{date.month:02d}/{date.year}"
    return f"{date.day} {_MONTHS_EN[date.month - 1]} {date.year}"


def format_period(period: Period, lang: Lang = "vi") -> str:
    """A period in words, as a report writes it.

    >>> format_period(Period.parse("2016/2017")), format_period(Period.parse("2016/2017"), "en")
    ('niên vụ 2016–2017', '2016–2017 crop season')
    >>> format_period(Period.parse("2017Q3")), format_period(Period.parse("2017-07-13"), "en")
    ('quý III/2017', '13 July 2017')
    """
    check_lang(lang)
    kind, start, vi = period.kind, period.start, lang == "vi"
    if kind is PeriodKind.DAY:
        return ("ngày " if vi else "") + format_date(start, lang)
    if kind is PeriodKind.WEEK:
        iso = start.isocalendar()
        return f"tuần {iso.week}/{iso.year}" if vi else f"week {iso.week} of {iso.year}"
    if kind is PeriodKind.MONTH:
        return (
            f"tháng {start.month}/{start.year}"
            if vi
            else f"{_MONTHS_EN[start.month - 1]} {start.year}"
        )
    if kind is PeriodKind.QUARTER:
        q = (start.month - 1) // 3 + 1
        return f"quý {_ROMAN[q - 1]}/{start.year}" if vi else f"Q{q} {start.year}"
    if kind is PeriodKind.HALF_YEAR:
        first = start.month == 1
        if vi:
            return f"6 tháng {'đầu' if first else 'cuối'} năm {start.year}"
        return f"{'first' if first else 'second'} half of {start.year}"
    if kind is PeriodKind.YEAR:
        return f"năm {start.year}" if vi else str(start.year)
    if kind is PeriodKind.CROP_SEASON:
        years = f"{start.year}–{start.year + 1}"
        text = f"niên vụ {years}" if vi else f"{years} crop season"
        if start.month != DEFAULT_SEASON_START_MONTH:
            text += (
                f" (từ tháng {start.month})" if vi else f" (from {_MONTHS_EN[start.month - 1]})"
            )
        return text
    if vi:
        return f"từ {format_date(start, lang)} đến {format_date(period.end, lang)}"
    return f"{format_date(start, lang)} to {format_date(period.end, lang)}"
