"""One integer per row for a tuple of the store's code columns, built in C.

Checks that group rows (duplicates, series, the rules' subject and period)
need a key per row made of several columns. A ``zip`` of the columns makes a
tuple per row, and hashing a million tuples is most of what such a check
costs. Here the columns' bytes are interleaved instead, with extended slice
assignment on a :class:`bytearray` (a copy in C), into one unsigned 64-bit
integer per row: the first column in the most significant bytes, each taking
as many bytes as its largest code needs. Equal tuples give equal keys and
keys sort as their tuples do.

:func:`rows_with` finds the rows whose column holds one of a few codes
without a Python call a row: the column's bytes are translated to flags and
:func:`re.finditer` lists the flagged rows.

When the columns need more than 8 bytes together, the leading ones are first
replaced by their rank among the distinct values they take (order kept), so
a key always fits; that costs a pass over a dictionary, and happens only
with tables of millions of distinct subjects.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Sequence
from itertools import compress
from operator import itemgetter
from typing import Final

__all__ = [
    "TABLES",
    "byte_width",
    "column_keys",
    "columns",
    "key_codes",
    "low_shift",
    "rows_with",
    "take",
]

_WIDTH: Final = 8
_LITTLE: Final = sys.byteorder == "little"
TABLES: Final = {
    "metric": "metrics",
    "subject": "subjects",
    "period": "periods",
    "unit": "units",
    "qualifier": "qualifiers",
    "disaggregation": "disaggregations",
}
"""Each code column of :class:`~antq_core.ObservationColumns` and its table of distinct values."""


def byte_width(bound: int) -> int:
    """How many bytes a code below ``bound`` takes (at least one)."""
    return max(1, (max(bound, 1) - 1).bit_length() + 7 >> 3)


def _interleave(n: int, parts: Sequence[tuple[memoryview, int]]) -> memoryview:
    """Rows' keys from ``(column, bytes)`` parts, the first part most significant."""
    out = bytearray(_WIDTH * n)
    position = sum(width for _, width in parts)  # significance of the next byte, plus one
    for column, width in parts:
        raw = column.tobytes()
        size = column.itemsize
        for j in range(width - 1, -1, -1):  # the column's bytes, most significant first
            position -= 1
            source = j if _LITTLE else size - 1 - j
            target = position if _LITTLE else _WIDTH - 1 - position
            if j < size:
                out[target::_WIDTH] = raw[source::size]
    return memoryview(out).cast("Q")


def low_shift(bound: int) -> int:
    """The bits below the rest of a :func:`key_codes` key, for a last column of this bound."""
    return 8 * byte_width(bound)


def _ranks(codes: Sequence[int]) -> tuple[memoryview, int]:
    """Each code replaced by its rank among the distinct codes (order kept), and their count."""
    rank = {code: i for i, code in enumerate(sorted(set(codes)))}
    return memoryview(array("I", map(rank.__getitem__, codes))), len(rank)


def key_codes(*columns: tuple[memoryview, int]) -> Sequence[int]:
    """One integer per row for the tuple of the columns' codes.

    Each column is given with its bound (every code is below it, as a
    store's table size is). Keys are equal when the tuples are, and order
    as the tuples do. Columns must have the same length.

    The last column always takes the lowest bytes, so with ``shift =
    low_shift(bound)`` of its bound, ``key >> shift`` is a key of the other
    columns alone and ``key & ((1 << shift) - 1)`` its code; with two
    columns, ``key >> shift`` is the first column's code.
    """
    n = len(columns[0][0])
    parts: list[tuple[memoryview, int]] = []
    used = 0
    for column, bound in columns:
        width = byte_width(bound)
        if used + width > _WIDTH:
            ranked, count = _ranks(_interleave(n, parts))
            parts, used = [(ranked, byte_width(count))], byte_width(count)
        parts.append((column, width))
        used += width
    return _interleave(n, parts)


def rows_with(column: memoryview, codes: set[int], bound: int) -> list[int]:
    """The rows whose ``column`` holds one of ``codes`` (every code below ``bound``), in order.

    Found in C: each byte lane of the column that codes below ``bound`` use
    is translated to a flag (the byte is that byte of one of ``codes``), the
    lanes' flags are and-ed as big integers, and :func:`re.finditer` lists
    the flagged rows. With one lane, or one code, a flag is a match; else a
    flagged row may mix bytes of two codes, so the rows are checked once more.
    """
    size, raw, lanes = column.itemsize, column.tobytes(), byte_width(bound)

    def flagged(j: int) -> bytes:
        """For each row, 1 if byte ``j`` (from the least significant) is that of a code."""
        table = bytearray(256)
        for code in codes:
            table[code >> 8 * j & 0xFF] = 1
        return raw[(j if _LITTLE else size - 1 - j) :: size].translate(table)

    flags = flagged(0)
    for j in range(1, lanes):
        both = int.from_bytes(flags, "little") & int.from_bytes(flagged(j), "little")
        flags = both.to_bytes(len(flags), "little")
    rows = [m.start() for m in re.finditer(b"\x01", flags)]
    if lanes > 1 and len(codes) > 1:
        rows = list(compress(rows, map(codes.__contains__, map(column.__getitem__, rows))))
    return rows


def take(column: memoryview, rows: list[int]) -> array[int]:
    """The column's codes at ``rows``, as an array of the column's type."""
    if len(rows) < 2:  # noqa: PLR2004 - itemgetter of one index gives the item, not a tuple
        return array(column.format, map(column.__getitem__, rows))
    return array(column.format, itemgetter(*rows)(column))


def columns(cols: object, *names: str) -> list[tuple[memoryview, int]]:
    """The code columns ``names`` of ``cols`` (``"metric"``, ``"period"``...) with their bounds.

    ``cols`` is an :class:`~antq_core.ObservationColumns` (not named in the
    signature: the store imports this module).
    """
    return [(getattr(cols, name), len(getattr(cols, TABLES[name]))) for name in names]


def column_keys(cols: object, *names: str) -> Sequence[int]:
    """:func:`key_codes` of the code columns ``names`` of ``cols``, in that order."""
    return key_codes(*columns(cols, *names))
