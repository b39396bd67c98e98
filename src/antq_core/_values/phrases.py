"""Reading and writing quantities the way Vietnamese and English reports write them."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Final, Literal

import attrs

from antq_core._values.exact import add, divide, multiply, tidy
from antq_core._values.period import DEFAULT_SEASON_START_MONTH, Period, PeriodKind
from antq_core._values.quantity import MAX_DIGITS, Number, Qualifier, Quantity, Unit
from antq_core._values.text import fold, nfc
from antq_core.errors import InvalidValueError, QuantityParseError

__all__ = [
    "Lang",
    "Phrase",
    "format_date",
    "format_number",
    "format_period",
    "format_phrase",
    "format_quantity",
    "parse_number",
    "parse_phrase",
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


def parse_quantity(
    text: str, lang: Lang = "vi", *, unit: Unit | str | None = None, signed: bool = False
) -> Quantity:
    """Read a quantity phrase from a report into a :class:`~antq_core.Quantity`.

    Understands an optional qualifier word before the number ("trên", "hơn",
    "gần", "khoảng"... / "more than", "about"...), "trở lên" / "or more" after
    it, a multiplier ("nghìn", "triệu", "tỷ" / "thousand", "million"), plural
    multipliers that are themselves lower bounds ("hàng nghìn" = at least 1,000,
    "thousands"), a unit word ("m2", "ha", "đồng", "người", "lượt hộ"...), and
    a restatement of the figure in brackets, which must agree with it
    (:func:`parse_phrase` keeps it).

    >>> parse_quantity("trên 58 nghìn m2")
    Quantity(58000, 'm2', 'at_least')
    >>> parse_quantity("hàng nghìn", unit="tip")
    Quantity(1000, 'tip', 'at_least')
    >>> parse_quantity("gần 7 tỷ đồng")
    Quantity(7000000000, 'vnd', 'at_most')
    >>> parse_quantity("95 tỷ", unit="vnd")
    Quantity(95000000000, 'vnd')
    >>> parse_quantity("8.450 m2 (hơn 0,8 ha)")
    Quantity(8450, 'm2')

    The change figure of a metric declared ``signed`` starts with its
    direction, "giảm" (down) or "tăng" (up) / "down", "up", and may end with
    what it is compared with ("so với niên vụ trước" / "compared with ...").
    Down is negative, and a bound on a decrease bounds the change the other
    way: "giảm hơn 3.000 m²" is at most -3,000 m².

    >>> parse_quantity("giảm khoảng 3.000 m² so với niên vụ trước", signed=True)
    Quantity(-3000, 'm2', 'approximately', signed=True)
    >>> parse_quantity("giảm hơn 3.000 m²", signed=True)
    Quantity(-3000, 'm2', 'at_most', signed=True)
    >>> parse_quantity("tăng 5", unit="case", signed=True)
    Quantity(5, 'case', signed=True)

    Args:
        text: The phrase.
        lang: Its language, which fixes the number format ("1.500" is 1500 in
            ``vi`` and 1.5 in ``en``).
        unit: The unit when the phrase has none, or the unit the phrase's own
            unit word must agree with (converted into it when both measure area).
        signed: Read a change figure (of a metric declared ``signed``): a
            direction word, then a phrase as above, then what it is compared
            with. Without it, "giảm" and "tăng" are not understood.

    Raises:
        QuantityParseError: The phrase is not a quantity, has no unit anywhere,
            is not a number at all ("hàng chục", "nhiều"), or its restatement
            does not agree with it.
    """
    return parse_phrase(text, lang, unit=unit, signed=signed).quantity


@attrs.frozen
class Phrase:
    """A figure as a report wrote it: the :class:`~antq_core.Quantity`, and the words that said it.

    :func:`format_phrase` writes it back with the same words, so a figure
    read from "gần 7 tỷ đồng" is printed as "gần 7 tỷ đồng", not as
    "không quá 7.000.000.000 đồng".

    >>> p = parse_phrase("gần 7 tỷ đồng")
    >>> p.quantity, p.qualifier_word, p.multiplier_word
    (Quantity(7000000000, 'vnd', 'at_most'), 'gần', 'tỷ')
    >>> format_phrase(p)
    'gần 7 tỷ đồng'

    Attributes:
        quantity: The figure.
        lang: The language it was written in.
        qualifier_word: The qualifier before the number as written ("gần",
            "hơn", "từ", "hàng nghìn"...), NFC; ``None`` when there is none.
        multiplier_word: The multiplier as written ("tỷ", "nghìn"...); ``None``
            when there is none.
        closing_word: "trở lên" / "or more" as written after the figure
            ("từ 2 triệu đồng trở lên"); ``None`` when there is none.
        restatement: The same figure in other words, from brackets after it
            ("8.450 m2 (hơn 0,8 ha)"), already checked to agree; ``None`` when
            there is none.
        direction_word: For a change figure (``signed``): "giảm", "tăng"...
            as written; ``None`` otherwise.
        comparison: For a change figure: what it is compared with, as
            written ("so với niên vụ trước"); ``None`` when not said.
    """

    quantity: Quantity
    lang: Lang = "vi"
    qualifier_word: str | None = None
    multiplier_word: str | None = None
    closing_word: str | None = None
    restatement: Phrase | None = None
    direction_word: str | None = None
    comparison: str | None = None


def parse_phrase(
    text: str, lang: Lang = "vi", *, unit: Unit | str | None = None, signed: bool = False
) -> Phrase:
    """Read a quantity phrase as :func:`parse_quantity` does, keeping its own words.

    A restatement in brackets ("8.450 m2 (hơn 0,8 ha)") is read too and must
    agree with the figure: the two must be able to describe the same amount
    once converted into one unit. A restatement is a rounded figure by nature,
    so a plain one stands for every amount that rounds to it at its last
    significant digit (0,8 ha for 0,75 to 0,85 ha); "hơn", "gần" and the like
    bound it as they say.

    >>> p = parse_phrase("8.450 m2 (hơn 0,8 ha)")
    >>> p.quantity, p.restatement.quantity
    (Quantity(8450, 'm2'), Quantity(Decimal('0.8'), 'ha', 'at_least'))
    >>> parse_phrase("8.450 m2 (hơn 0,9 ha)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    antq_core.errors.QuantityParseError: ... 'hơn 0,9 ha' does not agree with 8.450 m²

    >>> p = parse_phrase("giảm khoảng 3.000 m² so với niên vụ trước", signed=True)
    >>> p.quantity, p.direction_word, p.comparison
    (Quantity(-3000, 'm2', 'approximately', signed=True), 'giảm', 'so với niên vụ trước')
    >>> format_phrase(p)
    'giảm khoảng 3.000 m² so với niên vụ trước'

    Args:
        text: The phrase.
        lang: Its language.
        unit: As for :func:`parse_quantity`.
        signed: As for :func:`parse_quantity`.

    Raises:
        QuantityParseError: As :func:`parse_quantity`. Its message quotes the
            phrase as written, and its position indexes the phrase in NFC.
    """
    check_lang(lang)
    original = nfc(text)
    folded, starts = _fold_map(original)
    if signed:
        return _parse_change(text, lang, original, folded, starts, unit)
    for word in _DIRECTIONS[lang]:
        if folded.startswith(word + " "):
            reason = (
                f"{_written(original, starts, 0, len(word))!r} states a change, read only for "
                "a metric declared signed (signed=True)"
            )
            raise QuantityParseError(text, lang, 0, reason)
    restated: Phrase | None = None
    main_end = len(folded)
    if folded.endswith(")") and " (" in folded:
        open_at = folded.rindex(" (")
        inner_start, inner_end = open_at + 2, len(folded) - 1
        inner = original[starts[inner_start] : starts[inner_end]].strip()
        try:
            restated = parse_phrase(inner, lang)
        except QuantityParseError as e:
            raise QuantityParseError(
                text, lang, starts[inner_start] + e.position, f"in the brackets: {e.reason}"
            ) from None
        main_end = open_at
    phrase = _parse_main(_Source(text, lang, original, folded[:main_end], starts), unit)
    if restated is None:
        return phrase
    if not _agree(phrase.quantity, restated.quantity):
        where = starts[main_end + 2]
        said = original[where : starts[len(folded) - 1]].strip()
        raise QuantityParseError(
            text,
            lang,
            where,
            f"the restatement {said!r} does not agree with "
            f"{format_quantity(phrase.quantity, lang)}",
        )
    return attrs.evolve(phrase, restatement=restated)


_DIRECTIONS: Final[dict[str, dict[str, int]]] = {
    "vi": {"giam": -1, "tang": 1},
    "en": {"down": -1, "up": 1, "a decrease of": -1, "an increase of": 1},
}
"""Folded direction words of a change figure, and the sign each gives."""
_COMPARISONS: Final[dict[str, tuple[str, ...]]] = {
    "vi": ("so voi",),
    "en": ("compared with", "compared to", "on"),
}
"""Folded words that start what a change figure is compared with."""
_DIRECTION_WORDS: Final = {"vi": {True: "giảm", False: "tăng"}, "en": {True: "down", False: "up"}}
"""How :func:`format_quantity` writes the direction of a change figure (down: ``True``)."""
_SWAPPED: Final = {Qualifier.AT_LEAST: Qualifier.AT_MOST, Qualifier.AT_MOST: Qualifier.AT_LEAST}


def _parse_change(  # noqa: PLR0917 - the parts of one phrase being read
    text: str,
    lang: Lang,
    original: str,
    folded: str,
    starts: list[int],
    unit: Unit | str | None,
) -> Phrase:
    """A change figure: direction word, phrase, comparison (see :func:`parse_quantity`)."""
    sign, direction = 1, None
    pos = 0
    for word, word_sign in sorted(_DIRECTIONS[lang].items(), key=lambda kv: -len(kv[0])):
        if folded.startswith(word + " "):
            sign, direction, pos = word_sign, _written(original, starts, 0, len(word)), len(word)
            break
    end = len(folded)
    comparison = None
    for word in _COMPARISONS[lang]:
        at = folded.find(" " + word + " ", pos)
        if at >= 0:
            end = at
            comparison = original[starts[at + 1] :].strip()
            break
    inner_start = pos + 1 if direction is not None else 0
    inner = original[starts[inner_start] : starts[end] if end < len(folded) else len(original)]
    try:
        phrase = parse_phrase(inner.strip(), lang, unit=unit)
    except QuantityParseError as e:
        raise QuantityParseError(text, lang, starts[inner_start] + e.position, e.reason) from None
    q = phrase.quantity
    qualifier = _SWAPPED.get(q.qualifier, q.qualifier) if sign < 0 else q.qualifier
    value = -q.value if sign < 0 else q.value
    changed = Quantity(value, q.unit, qualifier, signed=True)
    restated = phrase.restatement
    if restated is not None:
        r = restated.quantity
        r_qualifier = _SWAPPED.get(r.qualifier, r.qualifier) if sign < 0 else r.qualifier
        r_value = -r.value if sign < 0 else r.value
        restated = attrs.evolve(
            restated, quantity=Quantity(r_value, r.unit, r_qualifier, signed=True)
        )
    return attrs.evolve(
        phrase,
        quantity=changed,
        restatement=restated,
        direction_word=direction,
        comparison=comparison,
    )


@attrs.frozen
class _Source:
    """A phrase being read: as given, in NFC, folded, and where each folded character came from."""

    text: str
    lang: Lang
    original: str
    folded: str
    starts: list[int]

    def fail(self, pos: int, reason: str) -> QuantityParseError:
        """The error for folded position ``pos``, placed in the phrase as written."""
        return QuantityParseError(
            self.text, self.lang, self.starts[min(pos, len(self.starts) - 1)], reason
        )

    def written(self, pos: int, length: int) -> str:
        """The words as written behind folded positions ``pos`` to ``pos + length``."""
        return _written(self.original, self.starts, pos, length)


def _parse_main(source: _Source, unit: Unit | str | None) -> Phrase:
    """The figure of ``source.folded`` (the phrase without its bracketed restatement)."""
    folded, lang, fail, written = source.folded, source.lang, source.fail, source.written
    qualifier = Qualifier.EXACT
    qualifier_word: str | None = None
    multiplier_word: str | None = None
    pos = 0
    for word, qual in sorted(_PREFIXES[lang].items(), key=lambda kv: -len(kv[0])):
        if folded.startswith(word + " "):
            qualifier, pos = qual, len(word) + 1
            qualifier_word = written(0, len(word))
            break
    value: Number
    for word, amount in _PLURAL_MULTIPLIERS[lang].items():
        if folded[pos:] == word or folded.startswith(word + " ", pos):
            if qualifier is not Qualifier.EXACT:
                raise fail(pos, f"{written(pos, len(word))!r} takes no qualifier")
            qualifier_word = written(pos, len(word))
            value, qualifier, pos = amount, Qualifier.AT_LEAST, pos + len(word)
            if lang == "en" and folded.startswith(" of", pos):
                pos += 3
            break
    else:
        value, multiplier_word, pos = _read_amount(source, pos)
    rest = folded[pos:].strip()
    from_word = lang == "vi" and folded.startswith("tu ")
    closing_word: str | None = None
    for tail in _OR_MORE[lang]:
        if rest == tail or rest.endswith(" " + tail):
            at = pos + folded[pos:].rindex(tail)
            rest = rest[: -len(tail)].strip()
            if qualifier is not Qualifier.EXACT:
                raise fail(pos, "two qualifiers for one number")
            qualifier = Qualifier.AT_LEAST
            closing_word = written(at, len(tail))
    if from_word and qualifier is Qualifier.EXACT:
        raise fail(0, "'từ' (from) needs 'trở lên' (or more)")
    found = _read_unit(source, rest, pos)
    target = Unit.get(unit) if unit is not None else None
    if found is None and target is None:
        raise fail(len(folded), "no unit in the phrase or given")
    quantity_unit = found or target
    assert quantity_unit is not None  # noqa: S101 - narrowed by the check above
    try:
        quantity = Quantity(value, quantity_unit, qualifier)
        if target is not None and found is not None and found is not target:
            quantity = quantity.to(target)
    except (ValueError, TypeError) as e:
        raise fail(0, str(e)) from None
    return Phrase(quantity, lang, qualifier_word, multiplier_word, closing_word)


def _read_amount(source: _Source, pos: int) -> tuple[Number, str | None, int]:
    """The number at ``pos`` times its multiplier, the multiplier as written, and the end."""
    folded, lang = source.folded, source.lang
    try:
        value, pos = _read_number(folded, pos, lang)
    except QuantityParseError as e:
        raise source.fail(e.position, e.reason) from None
    for word, factor in _MULTIPLIERS[lang].items():
        end = pos + len(word) + 1
        if folded.startswith(" " + word, pos) and (
            len(folded) == end or not folded[end].isalpha()
        ):
            return tidy(multiply(value, factor)), source.written(pos + 1, len(word)), end
    return value, None, pos


def _written(original: str, starts: list[int], pos: int, length: int) -> str:
    """The text of ``original`` behind folded positions ``pos`` to ``pos + length``."""
    end = starts[pos + length] if pos + length < len(starts) else len(original)
    return original[starts[pos] : end].strip()


def _fold_map(text: str) -> tuple[str, list[int]]:
    """:func:`fold` of ``text``, and for each of its characters, where it came from.

    ``starts[i]`` is the index in ``text`` of the character that gave the
    folded character ``i``; one more entry, ``len(text)``, closes the list so
    that slices up to the end work. Quoting ``text`` through it shows the
    user's own words, never their folded key.
    """
    out: list[str] = []
    starts: list[int] = []
    for i, char in enumerate(text):
        if char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                starts.append(i)
            continue
        for piece in fold(char):
            out.append(piece)
            starts.append(i)
    if out and out[-1] == " ":
        out.pop()
        starts.pop()
    starts.append(len(text.rstrip()))
    return "".join(out), starts


def _bounds(quantity: Quantity) -> tuple[Decimal, Decimal]:
    """The amounts ``quantity`` can stand for, in its unit's base, as a restatement."""
    value = Decimal(multiply(quantity.value, quantity.unit.factor))
    q = quantity.qualifier
    if q is Qualifier.AT_LEAST:
        return value, Decimal("Infinity")
    if q is Qualifier.AT_MOST:
        return Decimal(0), value
    exponent = Decimal(quantity.value).normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # noqa: S101 - finite: quantities are checked
    half = multiply(Decimal(5).scaleb(exponent - 1), quantity.unit.factor)
    return Decimal(add(value, -half)), Decimal(add(value, half))


def _agree(figure: Quantity, restatement: Quantity) -> bool:
    """Whether ``restatement`` can describe ``figure`` (see :func:`parse_phrase`)."""
    if figure.unit.dimension != restatement.unit.dimension:
        return False
    base = Decimal(multiply(figure.value, figure.unit.factor))
    q = figure.qualifier
    low = base if q in (Qualifier.EXACT, Qualifier.AT_LEAST) else Decimal(0)
    high = base if q in (Qualifier.EXACT, Qualifier.AT_MOST) else Decimal("Infinity")
    if q is Qualifier.APPROXIMATELY:
        low, high = _bounds(attrs.evolve(figure, qualifier=Qualifier.EXACT))
    r_low, r_high = _bounds(restatement)
    return max(low, r_low) <= min(high, r_high)


def _read_unit(source: _Source, rest: str, pos: int) -> Unit | None:
    if not rest:
        return None
    tail = source.folded[pos:]
    at = pos + len(tail) - len(tail.lstrip())
    if source.lang == "en" and rest.startswith("of "):
        rest, at = rest[3:], at + 3
    unit = _unit_words().get(rest)
    if unit is None:
        raise source.fail(at, f"unknown unit {source.written(at, len(rest))!r}")
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
    >>> format_quantity(Quantity(-3000, "m2", "at_most", signed=True))
    'giảm trên 3.000 m²'

    A lower bound of exactly 100, 1,000 or 1,000,000 is written "hàng trăm",
    "hàng nghìn", "hàng triệu" ("hundreds", "thousands", "millions"), the way
    reports state them.

    Args:
        quantity: What to write.
        lang: ``"vi"`` or ``"en"``.
        unit: Whether to write the unit word after the number.
    """
    check_lang(lang)
    if quantity.signed and quantity.value:
        # A change figure: its direction in words, as parse_quantity(signed=True) reads it.
        down = quantity.value < 0
        amount = Quantity(
            -quantity.value if down else quantity.value,
            quantity.unit,
            _SWAPPED.get(quantity.qualifier, quantity.qualifier) if down else quantity.qualifier,
        )
        word = _DIRECTION_WORDS[lang][down]
        return f"{word} {format_quantity(amount, lang, unit=unit)}"
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


def format_phrase(phrase: Phrase, *, unit: bool = True) -> str:
    """Write ``phrase`` back with its own words: "gần 7 tỷ đồng" stays "gần 7 tỷ đồng".

    The number is written the phrase's language's way and the unit by its
    label ("m2" comes back as "m²"); the qualifier, multiplier and "trở lên"
    are the words the report used. A restatement follows in brackets.

    >>> format_phrase(parse_phrase("từ 2 triệu đồng trở lên"))
    'từ 2 triệu đồng trở lên'
    >>> format_phrase(parse_phrase("8.450 m2 (hơn 0,8 ha)"))
    '8.450 m² (hơn 0,8 ha)'

    Args:
        phrase: What to write.
        unit: Whether to write the unit word.
    """
    if phrase.direction_word is not None:
        return _format_change(phrase, unit=unit)
    lang, quantity = phrase.lang, phrase.quantity
    label = _unit_label(quantity, lang) if unit else ""
    value = quantity.value
    if (
        phrase.qualifier_word is not None
        and fold(phrase.qualifier_word) in _PLURAL_MULTIPLIERS[lang]
    ):
        words = phrase.qualifier_word
        text = (
            words if not label else f"{words} of {label}" if lang == "en" else f"{words} {label}"
        )
    else:
        if phrase.multiplier_word is not None:
            factor = _MULTIPLIERS[lang][fold(phrase.multiplier_word)]
            number = f"{format_number(divide(value, factor), lang)} {phrase.multiplier_word}"
        else:
            number = format_number(value, lang)
        if phrase.qualifier_word is not None:
            number = f"{phrase.qualifier_word} {number}"
        elif phrase.closing_word is None and quantity.qualifier is not Qualifier.EXACT:
            number = f"{_QUALIFIER_WORDS[lang][quantity.qualifier]} {number}"
        text = f"{number} {label}" if label else number
        if phrase.closing_word is not None:
            text = f"{text} {phrase.closing_word}"
    if phrase.restatement is not None:
        text = f"{text} ({format_phrase(phrase.restatement, unit=unit)})"
    return text


def _format_change(phrase: Phrase, *, unit: bool) -> str:
    """A change figure with its own direction word and comparison, the amount unsigned."""

    def unsigned(p: Phrase) -> Phrase:
        q = p.quantity
        if q.value >= 0:
            return attrs.evolve(p, quantity=Quantity(q.value, q.unit, q.qualifier))
        qualifier = _SWAPPED.get(q.qualifier, q.qualifier)
        return attrs.evolve(p, quantity=Quantity(-q.value, q.unit, qualifier))

    plain = unsigned(phrase)
    restated = None if phrase.restatement is None else unsigned(phrase.restatement)
    amount = format_phrase(
        attrs.evolve(plain, direction_word=None, comparison=None, restatement=restated),
        unit=unit,
    )
    text = f"{phrase.direction_word} {amount}"
    return f"{text} {phrase.comparison}" if phrase.comparison else text


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
