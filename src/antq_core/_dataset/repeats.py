r"""Repeated member names in a JSON object: found, located and refused.

JSON parsers disagree on ``{"a": 1, "a": 2}``: Python's keeps the last
member, others the first or both. A dataset document with a repeated name
is therefore ambiguous, and both readers refuse it with a problem at the
object's JSON path naming the key.

Looking for repeated names in every object costs a second parse of the
document, so the readers count first. Every member is a name (a string,
ending in an unescaped ``"``), optional white space, then ``:``. When no
white space byte (space, tab, line feed, carriage return: the only ones
JSON allows, and the parser refuses a raw control character inside a
string) stands before a ``:``, every member puts a ``":`` in the text, so
the number of ``":`` (:func:`members_written`) is at least the number of
members written; it can be more (``"a\":b"`` or ``":x"`` inside a string),
never less. The members written are at least the members the parser kept
(:func:`rows_kept` for observation rows, :func:`members_kept` for any parsed
value), and more exactly when some object repeats a name. So a count equal
to the members kept proves that no name was repeated; any other count, or a
text that is not that plain, only sends the reader to the exact parse of
:func:`repeated_keys`, which says where.
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
    "members_kept",
    "members_written",
    "plainly_unrepeated",
    "repeated_in",
    "repeated_key_problem",
    "repeated_keys",
    "rows_kept",
]

# A ``:`` just after JSON white space: a member written ``"a" :`` would not be counted.
# One literal search each (a C loop over the text; several times faster than one
# search for ``:`` that looks back at the byte before it); tab and carriage return
# are first looked for alone, which is quicker still, and they are usually absent.
_SPACED: Final = (re.compile(" :"), re.compile("\n:"))
_SPACED_BYTES: Final = (re.compile(b" :"), re.compile(b"\n:"))
_RARE: Final = (("\t", re.compile("\t:")), ("\r", re.compile("\r:")))
_RARE_BYTES: Final = ((b"\t", re.compile(b"\t:")), (b"\r", re.compile(b"\r:")))


def members_written(text: str | bytes, start: int = 0, end: int | None = None) -> int | None:
    """At least the members written in ``text[start:end]`` (JSON); ``None`` when it cannot say.

    The count is that of ``":``: never fewer than the members, more when a
    string holds ``":``. ``None`` when some ``:`` follows white space, where a
    member could go uncounted. (The bounds save copying a large text to count
    in a part of it.)
    """
    stop = len(text) if end is None else end
    if isinstance(text, bytes):
        if any(spaced.search(text, start, stop) for spaced in _SPACED_BYTES) or any(
            text.find(alone, start, stop) >= 0 and spaced.search(text, start, stop)
            for alone, spaced in _RARE_BYTES
        ):
            return None
        return text.count(b'":', start, stop)
    if any(spaced.search(text, start, stop) for spaced in _SPACED) or any(
        text.find(alone, start, stop) >= 0 and spaced.search(text, start, stop)
        for alone, spaced in _RARE
    ):
        return None
    return text.count('":', start, stop)


def members_kept(value: object) -> int:
    """The members of every object in ``value``, as :func:`json.loads` gives it."""
    kept = 0
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            kept += len(node)
            stack.extend(node.values())
        elif type(node) is list:
            stack.extend(node)
    return kept


def plainly_unrepeated(text: str | bytes) -> bool:
    """Whether counting proves that the JSON ``text`` repeats no name in any object.

    ``False`` means: look exactly, with :func:`repeated_keys` (which also
    answers for a text that is not JSON). Quicker than that parse for a
    small document (a few hundred kilobytes): one parse in C, and a walk
    over what it gives.
    """
    written = members_written(text)
    if written is None:
        return False
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    return written == members_kept(value)


def rows_kept(rows: Sequence[Mapping[str, object]]) -> int:
    """Members of observation rows (flat but for ``disaggregation``), quickly.

    Every loop runs in C (``map``, ``filter``): a Python loop over a million
    rows cost about twice as much. The rows must be validated
    (:class:`~antq_core._dataset.document.ObservationRow`: a ``disaggregation``
    is an object of strings): a count above what was kept could hide a repeat.
    Members inside a ``value`` that is an object are not counted, which can
    only send the caller to the exact parse.
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
