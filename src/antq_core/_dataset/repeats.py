r"""Repeated member names in a JSON object: found, located and refused.

JSON parsers disagree on ``{"a": 1, "a": 2}``: Python's keeps the last
member, others the first or both. A dataset document with a repeated name
is therefore ambiguous, and both readers refuse it with a problem at the
object's JSON path naming the key.

Looking for repeated names in every object costs a second parse of the
document, so the readers count first: in JSON text every member name is a
string followed by ``:``, and a ``"`` inside a string is escaped, so when
the text holds no ``\"`` before a ``:`` and no space between a name and its
``:``, the number of ``":`` in it is the number of members written
(:func:`members_written`). When that equals the number of members the
parser kept (:func:`rows_kept`, for observation rows; the rest of a document is small and
parsed again), no name was repeated; only otherwise
(or when the text is not that plain) is the text parsed again with
:func:`repeated_keys` to say where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence, Sized
from itertools import repeat
from typing import Any, Final

from antq_core.errors import Problem, safe_repr

__all__ = [
    "REPEATS_DECODER",
    "members_written",
    "repeated_in",
    "repeated_key_problem",
    "repeated_keys",
    "rows_kept",
]

# A ``:`` after white space (a name written ``"a" :``, or a string holding " :") or
# after an escaped quote: there counting ``":`` may be wrong, so the text is parsed.
# (One search for ``:`` with a look back: several times faster than searching for each.)
_NOT_PLAIN: Final = re.compile(r':(?:(?<=[ \t\n\r]:)|(?<=\\":))')
_NOT_PLAIN_BYTES: Final = re.compile(rb':(?:(?<=[ \t\n\r]:)|(?<=\\":))')


def members_written(text: str | bytes, start: int = 0, end: int | None = None) -> int | None:
    """Members written in ``text[start:end]`` (JSON), or ``None`` when counting would not be exact.

    (The bounds save copying a large text to count in a part of it.)
    """
    stop = len(text) if end is None else end
    if isinstance(text, bytes):
        if _NOT_PLAIN_BYTES.search(text, start, stop):
            return None
        return text.count(b'":', start, stop)
    if _NOT_PLAIN.search(text, start, stop):
        return None
    return text.count('":', start, stop)


def rows_kept(rows: Sequence[Mapping[str, object]]) -> int:
    """Members of observation rows (flat but for ``disaggregation``), quickly.

    Every loop runs in C (``map``, ``filter``): a Python loop over a million
    rows cost about twice as much. A ``disaggregation`` that is not an object
    (which validated rows never hold) is counted by its length too: any
    disagreement sends the caller to the exact parse, never past it.
    """
    # Rows are dicts (validated TypedDicts): ``dict.get`` is the C method, no Python call.
    parts: Iterable[Sized] = filter(None, map(dict.get, rows, repeat("disaggregation")))  # type: ignore[arg-type]
    return sum(map(len, rows)) + sum(map(len, parts))


class _Repeated(dict[str, Any]):
    """An object in which some names were written more than once."""

    repeated: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    kept = dict(pairs)
    if len(kept) == len(pairs):
        return kept
    repeated = _Repeated(kept)
    seen: set[str] = set()
    names: list[str] = []
    for name, _ in pairs:
        if name in seen and name not in names:
            names.append(name)
        seen.add(name)
    repeated.repeated = names
    return repeated


REPEATS_DECODER: Final = json.JSONDecoder(object_pairs_hook=_pairs)
"""A decoder whose objects say which names were repeated (see :func:`repeated_in`)."""


def repeated_keys(text: str | bytes) -> list[tuple[str, str]]:
    """``(JSON path of the object, repeated name)`` for each repeat in ``text``.

    ``[]`` when ``text`` is not JSON (the caller reports that).
    """
    try:
        value = json.loads(text, object_pairs_hook=_pairs)
    except (ValueError, RecursionError):
        return []
    return repeated_in(value)


def repeated_in(value: object, path: str = "$") -> list[tuple[str, str]]:
    """The repeats recorded in ``value``, parsed by :data:`REPEATS_DECODER`, in document order."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, object]] = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node, _Repeated):
                found.extend((where, name) for name in node.repeated)
            stack.extend((f"{where}.{k}", v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return found


def repeated_key_problem(path: str, name: str) -> Problem:
    """The problem of an object at ``path`` that names ``name`` more than once."""
    shown = safe_repr(name)
    return Problem.at(
        path,
        f"the key {shown} is written more than once in this object"
        " (which one counts is ambiguous)",
        f"Khóa {shown} xuất hiện nhiều lần trong đối tượng này (không rõ giá trị nào được dùng)",
    )
