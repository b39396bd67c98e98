"""A key written twice is refused wherever it stands and however it is written.

The readers count before they parse again (``antq_core._dataset.repeats``):
a count can only prove that no key repeats, so a hostile document must
never get past it. The sample document is written here by hand, member by
member, and one member of one object (the top level, the metadata, the
gazetteer, an entity, an observation row, a row's disaggregation) is written
twice: its copy before it, just after it or last; with the same value or
another; the name of either spelt with a ``\\u`` escape; white space (any of
JSON's four kinds) between the copy's name and its colon, or between every
name and its colon. Some documents also hold key-like text in a note
(``"metric":``, ``"metric" :``, a colon after a space). Every reader, whole
(bytes and text) and streamed, must refuse a document with the copy with
exactly one repeated-key problem, at the object's JSON path and naming the
key; and read one without it as the dataset it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import antq_core
from antq_core import Dataset
from antq_core.errors import DatasetLoadError

SAMPLE: dict[str, Any] = antq_core.sample().to_dict(include_sensitive=True)
GAPS = ("", " ", "\t", "\n", "\r", " \n", "\r\n\t ")
DECOYS = ('said "metric": twice', 'said "metric" : twice', "a : b", 'x\\":y', '"unit":"person",')


def _objects(value: object, path: str = "$") -> Iterator[tuple[str, list[str]]]:
    """The JSON path and the keys of every non-empty object in ``value``, in document order."""
    if isinstance(value, dict):
        if value:
            yield path, list(value)
        for key, item in value.items():
            yield from _objects(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _objects(item, f"{path}[{i}]")


# The objects by kind (their path without indexes), so that each kind is drawn
# alike however many objects it has; the rows, which are counted, more often.
KINDS: dict[str, list[tuple[str, list[str]]]] = {}
for _path, _keys in _objects(SAMPLE):
    KINDS.setdefault(re.sub(r"\[\d+\]", "[]", _path), []).append((_path, _keys))
ROWS = ("$.observations[]", "$.observations[].disaggregation")
DRAWN = (*sorted(KINDS), *ROWS * 4)


@dataclass(frozen=True)
class Copy:
    """One member written twice: where, how, and with what."""

    path: str
    key: str
    place: str  # "before", "after" or "last"
    value: str | None  # the copy's value as JSON text; None: the same as the original's
    gap: str  # white space between the copy's name and its colon
    escaped_copy: bool
    escaped_original: bool


def _name(key: str, *, escaped: bool) -> str:
    written = json.dumps(key, ensure_ascii=False)
    if escaped and key and ord(key[0]) < 0x10000:
        return f'"\\u{ord(key[0]):04x}{written[2:]}' if key[0] != '"' else written
    return written


def _write(value: object, path: str, copy: Copy | None, gap: str) -> str:
    """``value`` as JSON, with every name followed by ``gap`` and the copy put in."""
    if isinstance(value, dict):
        members = [
            (_name(key, escaped=False), gap, _write(item, f"{path}.{key}", copy, gap))
            for key, item in value.items()
        ]
        if copy is not None and copy.path == path:
            i = list(value).index(copy.key)
            original = members[i][2]
            if copy.escaped_original:
                members[i] = (_name(copy.key, escaped=True), gap, original)
            twice = (
                _name(copy.key, escaped=copy.escaped_copy),
                copy.gap,
                original if copy.value is None else copy.value,
            )
            at = {"before": i, "after": i + 1, "last": len(members)}[copy.place]
            members.insert(at, twice)
        written = [f"{name}{space}:{text}" for name, space, text in members]
        if path == "$":  # as Dataset.dumps writes it: a member a line
            return "{\n " + ",\n ".join(written) + "\n}\n"
        return "{" + ",".join(written) + "}"
    if isinstance(value, list):
        items = [_write(item, f"{path}[{i}]", copy, gap) for i, item in enumerate(value)]
        if path == "$.observations":  # as Dataset.dumps writes them: a row a line
            return "[\n  " + ",\n  ".join(items) + "\n ]" if items else "[]"
        return "[" + ",".join(items) + "]"
    return json.dumps(value, ensure_ascii=False)


@st.composite
def copies(draw: st.DrawFn) -> Copy:
    path, keys = draw(st.sampled_from(KINDS[draw(st.sampled_from(DRAWN))]))
    return Copy(
        path=path,
        key=draw(st.sampled_from(keys)),
        place=draw(st.sampled_from(["before", "after", "last"])),
        value=draw(st.sampled_from([None, None, '"x"', "0", "null", "{}"])),
        gap=draw(st.sampled_from(GAPS)),
        escaped_copy=draw(st.booleans()),
        escaped_original=draw(st.booleans()),
    )


@st.composite
def documents(draw: st.DrawFn) -> tuple[dict[str, Any], Copy | None, str]:
    """A document, the member written twice in it (or none), and its text."""
    doc = json.loads(json.dumps(SAMPLE))
    if draw(st.booleans()):
        row = draw(st.sampled_from(doc["observations"]))
        row["note"] = draw(st.sampled_from(DECOYS))
    copy = draw(st.none() | copies())
    gap = draw(st.sampled_from(GAPS)) if draw(st.integers(0, 3)) == 0 else ""
    return doc, copy, _write(doc, "$", copy, gap)


def _refusal(read: Callable[[], object]) -> list[tuple[str, str]] | None:
    """The (path, key) of each repeated-key problem when ``read()`` refuses; None if it reads."""
    try:
        read()
    except DatasetLoadError as e:
        found = []
        for problem in e.problems:
            assert problem.location.path, problem
            if "written more than once" in problem.message_en:
                assert "xuất hiện nhiều lần" in problem.message_vi
                found.append((problem.location.path, problem.message_en.split("'")[1]))
        return found
    return None


@settings(max_examples=150, deadline=None)
@given(documents())
def test_a_key_written_twice_is_refused_at_its_object(
    written: tuple[dict[str, Any], Copy | None, str],
) -> None:
    doc, copy, text = written
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.json"
        path.write_text(text, encoding="utf-8")
        readers: dict[str, Callable[[], Dataset]] = {
            "bytes": lambda: Dataset.from_json(text.encode()),
            "text": lambda: Dataset.from_json(text),
            "stream": lambda: Dataset.load(path, stream=True, progress=False),
        }
        if copy is None:
            expected = Dataset.from_json(json.dumps(doc, ensure_ascii=False))
            for name, read in readers.items():
                assert read() == expected, name
            return
        for name, read in readers.items():
            assert _refusal(read) == [(copy.path, copy.key)], name
