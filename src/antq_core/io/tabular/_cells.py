"""Cells: spreadsheet-safe text, and each column kind written and read."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Final

import attrs

from antq_core._values.phrases import parse_number
from antq_core._values.quantity import Number
from antq_core._values.text import nfc

__all__ = [
    "BadCell",
    "CellError",
    "Formula",
    "escape",
    "join_list",
    "read_bool",
    "read_date",
    "read_int",
    "read_list",
    "read_slice",
    "read_text",
    "unescape",
    "write_bool",
    "write_number",
]

_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet run a cell as a formula (OWASP, CSV injection)."""


class CellError(Exception):
    """A cell that cannot be read: why, in Vietnamese and in English."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en


class Formula(str):
    """The text of a formula cell in a workbook: never evaluated, always an error."""

    __slots__ = ()


@attrs.frozen(repr=False)
class BadCell:
    """A workbook cell that holds what its type cannot: reported where it is, never guessed.

    Attributes:
        text: What the cell holds, as written in the file (shortened in messages).
        vi: Why it cannot be read, in Vietnamese.
        en: Why it cannot be read, in English.
    """

    text: str
    vi: str
    en: str

    def __repr__(self) -> str:
        return repr(self.text[:60])

    def __str__(self) -> str:
        return self.text


def escape(text: str) -> str:
    """Neutralise ``text`` for a spreadsheet: ``'`` before a formula trigger or a ``'``.

    A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
    would run as a formula when a spreadsheet opens the file; the ``'`` makes
    it text. A genuine leading ``'`` is doubled, so :func:`unescape` always
    gives back the original.

    >>> escape("=HYPERLINK(1)"), escape("'quoted"), escape("Bản Giang")
    ("'=HYPERLINK(1)", "''quoted", 'Bản Giang')
    """
    if text.startswith((*_TRIGGERS, "'")):
        return "'" + text
    return text


def unescape(text: str) -> str:
    """Undo :func:`escape`: drop one leading ``'``."""
    return text[1:] if text.startswith("'") else text


def read_text(raw: object) -> str | None:
    """A text cell as the library takes it: unescaped, NFC; ``None`` when empty."""
    if raw is None:
        return None
    if isinstance(raw, BadCell):
        raise CellError(raw.vi, raw.en)
    if isinstance(raw, Formula):
        raise _formula(raw)
    if isinstance(raw, bool):
        raise CellError(
            "Ô này cần chữ, không phải đúng/sai", "this cell takes text, not TRUE/FALSE"
        )
    if isinstance(raw, int | Decimal):
        return str(raw)  # a code such as 12 typed as a number
    if isinstance(raw, float):
        return _float_text(raw)
    if isinstance(raw, dt.datetime | dt.date):
        raise CellError(
            "Ô này cần chữ nhưng là ngày tháng (Excel đã tự đổi); định dạng cột là Text",
            "this cell takes text but holds a date (Excel converted it); "
            "format the column as Text",
        )
    text = str(raw)
    if text == "":
        return None
    return nfc(unescape(text))


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _formula(raw: str) -> CellError:
    return CellError(
        f"Ô chứa công thức ({raw[:40]}); công thức không được tính: nhập giá trị",
        f"the cell holds a formula ({raw[:40]}); formulas are not evaluated: type the value",
    )


def read_int(raw: object, lang: str) -> int | None:
    """A whole number: a numeric cell, or digits written the ``lang`` way."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise CellError("Cần một số nguyên", "expected a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = read_text(raw)
    assert text is not None  # noqa: S101 - only None and "" are empty
    try:
        value = parse_number(text, lang)  # type: ignore[arg-type]
    except ValueError:
        value = None
    if isinstance(value, int):
        return value
    raise CellError(
        f"Cần một số nguyên viết kiểu {_LOCALE_VI[lang]}", f"expected a whole number ({lang})"
    )


_LOCALE_VI: Final = {"vi": "Việt Nam (4.810)", "en": "tiếng Anh (4,810)"}


def write_number(value: Number, lang: str) -> str:
    """A number as CSV text in ``lang``, ungrouped: ``5,8`` in ``vi``, ``5.8`` in ``en``."""
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    return text.replace(".", ",") if lang == "vi" else text


_YES: Final = {"có", "co", "x", "yes", "y", "true", "1", "đúng"}
_NO: Final = {"không", "khong", "no", "n", "false", "0", "sai"}


def write_bool(value: bool, lang: str) -> str:
    """``có``/``không`` in Vietnamese, ``yes``/``no`` in English."""
    if lang == "vi":
        return "có" if value else "không"
    return "yes" if value else "no"


def read_bool(raw: object) -> bool | None:
    """Yes or no in either language (có, không, yes, no, x, TRUE, FALSE...)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    text = read_text(raw)
    key = (text or "").strip().casefold()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError("Cần 'có' hoặc 'không'", "expected yes or no (có / không)")


_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_date(raw: object) -> dt.date | None:
    """A date cell, or ISO text ``2017-07-13``.

    An Excel serial number or ``13/07/2017`` is an error, never a guess.
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        if raw.time() != dt.time(0):
            raise CellError(
                "Ngày có kèm giờ; chỉ nhập ngày", "the date has a time of day; give a date"
            )
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        raise CellError(
            f"Số {raw} không phải ngày (có thể là số ngày kiểu Excel); định dạng ô là ngày "
            "hoặc viết 2017-07-13",
            f"{raw} is a number, not a date (an Excel serial number?); format the cell as a "
            "date or write 2017-07-13",
        )
    text = read_text(raw)
    assert text is not None  # noqa: S101 - only None and "" are empty
    if _ISO_DATE.fullmatch(text.strip()):
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise CellError(
        f"Không đọc được ngày {text[:40]!r}; viết theo dạng 2017-07-13",
        f"cannot read the date {text[:40]!r}; write it as 2017-07-13",
    )


def join_list(items: tuple[str, ...]) -> str:
    """Items as ``a; b; c``; as a JSON array when that would not read back the same."""
    plain = all(
        item and item == item.strip() and ";" not in item and "\n" not in item for item in items
    ) and not (items and items[0].startswith("["))
    if plain:
        return "; ".join(items)
    return json.dumps(list(items), ensure_ascii=False)


def read_list(raw: object) -> tuple[str, ...]:
    """``a; b; c`` (or a JSON array of strings) as a tuple; empty is ``()``."""
    text = read_text(raw)
    if text is None:
        return ()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise CellError(
                "Danh sách bắt đầu bằng '[' phải là mảng JSON các chuỗi",
                "a list that starts with '[' must be a JSON array of strings",
            )
        return tuple(nfc(i) for i in items)
    return tuple(item.strip() for item in text.split(";") if item.strip())


def read_slice(raw: object) -> dict[str, str]:
    """``sex=male; capital_source=family`` as a dict; empty is the total."""
    result: dict[str, str] = {}
    for item in read_list(raw):
        category, sep, option = item.partition("=")
        if not sep or not category.strip() or not option.strip():
            raise CellError(
                f"Phân tổ {item!r} cần dạng mã_phân_tổ=mã_lựa_chọn",
                f"the slice {item!r} needs the form category=option",
            )
        if category.strip() in result:
            raise CellError(
                f"Phân tổ {category.strip()!r} lặp lại",
                f"the category {category.strip()!r} repeats",
            )
        result[category.strip()] = option.strip()
    return result


def decimal_from_float(value: float) -> Number:
    """A float from a numeric cell as the exact decimal it shows: 5.8 → Decimal('5.8')."""
    try:
        number = Decimal(repr(value))
    except InvalidOperation:  # pragma: no cover - repr of a float is always a decimal
        raise CellError("Không phải số", "not a number") from None
    if not number.is_finite():
        raise CellError("Không phải số hữu hạn", "not a finite number")
    if number == number.to_integral_value():
        return int(number)
    return number
