"""One integer per row for a tuple of the store's code columns, built in C.

Checks that group rows (duplicates, series, the rules' subject and period)
need a key per row made of several columns. A ``zip`` of the columns makes a
tuple per row, and hashing a million tuples is most of what such a check
costs. Here the columns' bytes are interleaved instead, with extended slice
assignment on a :class:`bytearray` (a copy in C), into one unsigned 64-bit
integer per row: the first column in the most significant bytes, each taking
as many bytes as its largest code needs. Equal tuples give equal keys and
keys sort as their tuples do.

When the columns need more than 8 bytes together, the leading ones are first
replaced by their rank among the distinct values they take (order kept), so
a key always fits; that costs a pass over a dictionary, and happens only
with tables of millions of distinct subjects.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from typing import Final

__all__ = ["byte_width", "key_codes", "low_shift"]

_WIDTH: Final = 8
_LITTLE: Final = sys.byteorder == "little"


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
