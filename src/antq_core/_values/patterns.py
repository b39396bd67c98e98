r"""Patterns for the published JSON Schema that ECMA-262 and Python's ``re`` read alike.

A JSON Schema ``pattern`` runs on whatever engine the validator has: ECMA-262
in JavaScript (ajv), Python's ``re`` in the ``jsonschema`` package. Written
carelessly they disagree with each other and with the loader: Python's ``$``
also matches before a final newline, and Python's ``\d`` takes the digits of
every script (``٢٠١٧``). The patterns here use ``[0-9]``, never ``\d``, and
end with :data:`END`, which refuses a final newline in both engines. pydantic
itself checks strings with Rust's regex (where ``$`` is the end of the text,
and which has no look-ahead), so a field keeps its plain pattern for
validation and carries one of these in its JSON Schema
(:class:`~antq_core._values.schema.JsonPattern`).

The calendar is written out too, for the years periods may name: dates that
exist (leap years included), ISO weeks 53 only in years that have them, crop
seasons that run into the next year and ranges that do not end before they
start, so that a validator refuses exactly the periods
:meth:`Period.parse <antq_core.Period.parse>` refuses (``tests/values/
test_patterns.py`` checks every year, month, week and day).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

__all__ = [
    "AWARE_TIME",
    "DATE",
    "DECIMAL_TEXT",
    "END",
    "NOT_BLANK",
    "NOT_BLANK_TRIMMED",
    "PERIOD_KINDS",
    "WHOLE_TEXT",
    "whole",
]

END: Final = r"(?!\n)$"
"""The end of the text, in ECMA-262 and in Python (whose ``$`` alone also matches before a final
newline)."""


def whole(body: str) -> str:
    """A pattern that ``body`` must match from the first character to the last."""
    return f"^(?:{body}){END}"


_YEAR: Final = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"  # 0001-9999
_YEAR_98: Final = rf"(?!9999){_YEAR}"  # 0001-9998: periods made of months name their year
_LEAP: Final = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY: Final = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)

DATE: Final = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP}-02-29)"
"""A date ``YYYY-MM-DD`` that exists, 0001-01-01 to 9999-12-31."""
_HOUR_MINUTE: Final = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
AWARE_TIME: Final = rf"{DATE}T{_HOUR_MINUTE}:[0-5][0-9](?:\.[0-9]{{1,6}})?(?:Z|[+-]{_HOUR_MINUTE})"
"""A time with its offset, as RFC 3339 writes it and Python reads it exactly:
``2025-09-03T08:00:00+07:00``, at most microseconds, no leap second."""

# Two-digit centuries by their remainder modulo 4: the Gregorian calendar repeats
# every 400 years, so whether a year has an ISO week 53 depends on that and on its
# last two digits only.
_CENTURIES: Final = (
    r"(?:[02468][048]|[13579][26])",
    r"(?:[02468][159]|[13579][37])",
    r"(?:[02468][26]|[13579][048])",
    r"(?:[02468][37]|[13579][159])",
)


def _long_iso_years() -> str:
    """Years whose ISO calendar has a week 53 (28 December always lies in the last week)."""
    groups = []
    for remainder, centuries in enumerate(_CENTURIES):
        year = 2000 + 100 * remainder  # a century with that remainder
        tails = [
            f"{tail:02d}"
            for tail in range(100)
            if dt.date(year + tail, 12, 28).isocalendar().week == 53  # noqa: PLR2004
        ]
        groups.append(f"{centuries}(?:{'|'.join(tails)})")
    return f"(?:{'|'.join(groups)})"


_WEEK: Final = (
    # 9999W52 would end in the year 10000.
    rf"(?:(?!9999W52){_YEAR}W(?:0[1-9]|[1-4][0-9]|5[0-2])|(?!0000){_long_iso_years()}W53)"
)


def _next_year() -> str:
    """``YYYY/ZZZZ`` where ZZZZ is YYYY + 1: the shared digits are matched by back-reference."""
    alternatives: list[str] = []
    for kept in (3, 2, 1, 0):
        nines = "9" * (3 - kept)
        zeros = "0" * (3 - kept)
        group = len(alternatives) + 1
        head = f"([0-9]{{{kept}}})" if kept else ""
        same = f"\\{group}" if kept else ""
        pairs = "|".join(f"{d}{nines}/{same}[{d + 1}]{zeros}" for d in range(9))
        alternatives.append(f"{head}(?:{pairs})")
    return f"(?:{'|'.join(alternatives)})"


# 0000 is no year and a season starting in 9998 would end in 9999.
_SEASON: Final = rf"(?!0000/|9998/){_next_year()}(?:@(?:0[2-8]|1[0-2]))?"


def _not_before() -> str:
    """``A/B`` for two ten-character dates where B is not before A.

    Either both are the same, or at the first digit where they differ, B's is larger
    (the shared beginning is matched by back-reference).
    """
    alternatives = [r"([0-9-]{10})/\1"]
    for position in (0, 1, 2, 3, 5, 6, 8, 9):
        group = len(alternatives) + 1
        rest = 9 - position
        pairs = "|".join(f"{d}[0-9-]{{{rest}}}/\\{group}[{d + 1}-9]" for d in range(9))
        alternatives.append(f"([0-9-]{{{position}}})(?:{pairs})[0-9-]{{{rest}}}")
    return f"(?:{'|'.join(alternatives)})"


PERIOD_KINDS: Final = {
    "day": DATE,
    "week": _WEEK,
    "month": rf"{_YEAR_98}-(?:0[1-9]|1[0-2])",
    "quarter": rf"{_YEAR_98}Q[1-4]",
    "half_year": rf"{_YEAR_98}S[12]",
    "year": _YEAR_98,
    "crop_season": _SEASON,
    "range": rf"(?={DATE}/{DATE}{END}){_not_before()}",
}
"""For each period kind's value (``"day"``...), the canonical strings of that kind that exist."""

_INTEGER_DIGITS: Final = 30
_FRACTION_DIGITS: Final = 60
DECIMAL_TEXT: Final = rf"[0-9]{{1,{_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{_FRACTION_DIGITS}}})?"
"""A value written as a decimal string: at most 30 digits, then at most 60 after the mark."""
WHOLE_TEXT: Final = rf"[0-9]{{1,{_INTEGER_DIGITS}}}(?:\.0{{1,{_FRACTION_DIGITS}}})?"
"""A decimal string whose value is a whole number (``"32"``, ``"32.00"``)."""

NOT_BLANK: Final = (
    "[^\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
"""Somewhere a character that Python's ``str.strip`` keeps (search, do not anchor)."""
NOT_BLANK_TRIMMED: Final = (
    "[^\\t-\\r\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
"""Somewhere a character that pydantic's ``strip_whitespace`` (Unicode White_Space) keeps."""
