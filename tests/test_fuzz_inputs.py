"""Structure-aware mutations of every input format: a typed, located answer, never a crash.

Each property starts from a valid input built from the bundled sample (the
dataset JSON document, a CSV directory, an xlsx workbook, a DHIS2 payload),
changes it the way a careless tool or a hostile user would (a value swapped
for another JSON type, a huge or malformed number, a key dropped or repeated,
a cell replaced, bytes of a workbook part flipped or cut), and reads it. The
only answers allowed are a dataset or the library's own error
(:class:`~antq_core.AntqError`) whose problems each carry a location. Any other
exception, including a ``ValueError`` or ``RecursionError`` from deep inside,
fails the property. Where the mutated input still loads, it must load the same
way twice and survive a dump and reload unchanged: nothing half-read.

The CI profile runs a few examples of each; ``make fuzz`` runs them (and every
other property) for about ten minutes with random seeds.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tempfile
import warnings
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import antq_core
from antq_core import Dataset
from antq_core.errors import AntqError, LoadError, TabularNotice
from antq_core.io.dhis2 import Dhis2Mapping, from_dhis2_data_value_set
from antq_core.io.tabular import export_tabular, read_tabular

CORPUS = Path(__file__).parent / "corpus"
FUZZING = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"


# A failing example here is a whole document: its repr is large, and that is no bug.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


def fuzz_settings(examples: int) -> settings:
    """``examples`` in CI; under ``make fuzz`` as many as the fuzz profile asks."""
    many = settings().max_examples if FUZZING else examples
    return settings(
        max_examples=many,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@cache
def _document() -> dict[str, Any]:
    return antq_core.sample().to_dict(include_sensitive=True)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in a JSON document."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@cache
def _all_paths() -> tuple[tuple[Any, ...], ...]:
    return tuple(p for p in _paths(_document()) if p)


# Values a careless or hostile writer puts where another belongs.
hostile_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**40), 10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(
        [
            "",
            " ",
            "32.",
            "1e400",
            "٢٠١٧",
            "2017W53",
            "2017-02-30",
            "9999W52",
            "participant:",
            "\u0000",
            "a\u0301",
            "=cmd|' /C calc'!A0",
            "9" * 5000,
            "x" * 30000,
        ]
    )
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> str:
    doc = copy.deepcopy(_document())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_all_paths()))
        parent: Any = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            action = draw(st.sampled_from(["set", "drop", "duplicate"]))
            if action == "set":
                parent[path[-1]] = draw(hostile_json)
            elif action == "drop":
                del parent[path[-1]]
            elif isinstance(parent, list):
                parent.append(copy.deepcopy(parent[path[-1]]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced the path
    text = json.dumps(doc, ensure_ascii=False)
    if draw(st.booleans()):  # a raw-text mutation: a repeated key, a huge literal, a cut
        where = draw(st.integers(0, len(text)))
        insert = draw(
            st.sampled_from(
                ['"format": "antq-dataset", ', "9" * 5000, '"\\udfff"', "[" * 3000, ""]
            )
        )
        text = text[:where] + insert + text[where:]
    return text


def _loaded_consistently(load: Any) -> Dataset | None:
    """``load()``'s dataset, or ``None`` after a located error; anything else fails."""
    failure: AntqError | None = None
    # A notice (a hidden sheet or row, imported as it is) is what the reader promises for
    # such input, not a failure; it must say where, as a problem does.
    with warnings.catch_warnings(record=True) as notices:
        warnings.simplefilter("always", TabularNotice)
        try:
            dataset = load()
        except AntqError as e:
            failure = e
    for notice in notices:
        message = notice.message
        assert isinstance(message, TabularNotice), notice
        where = message.problem.location
        assert where.file is not None, message
        assert where.sheet is not None, message
    if failure is not None:
        for problem in failure.problems if isinstance(failure, LoadError) else ():
            location = problem.location
            fields = ("path", "file", "sheet", "row", "field")
            assert any(getattr(location, f) is not None for f in fields), problem
        assert not isinstance(failure, LoadError) or failure.problems
        return None
    assert isinstance(dataset, Dataset)
    again = Dataset.from_json(dataset.dumps(include_sensitive=True))
    assert again == dataset  # what loaded is whole: it dumps and reloads unchanged
    return dataset


@fuzz_settings(30)
@given(mutated_documents(), st.booleans())
def test_mutated_json_documents(text: str, stream: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        loaded = _loaded_consistently(lambda: Dataset.load(path, stream=stream, progress=False))
        if loaded is not None and not stream:
            assert Dataset.from_json(text.encode("utf-8", "surrogatepass")) == loaded


@cache
def _csv_files() -> dict[str, list[list[str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        export_tabular(antq_core.sample(), Path(tmp) / "c", "csv", include_sensitive=True)
        files = {}
        for path in sorted((Path(tmp) / "c").iterdir()):
            with path.open(encoding="utf-8-sig", newline="") as f:
                files[path.name] = list(csv.reader(f))
        return files


hostile_cells = st.sampled_from(
    ["", " ", "1e400", "9" * 5000, "32.", "-1", "=1+1", "'", "2017-02-30", "x", "trên", "\x07"]
) | st.text(max_size=12)


@fuzz_settings(20)
@given(st.data())
def test_mutated_csv_directories(data: st.DataObject) -> None:
    files = copy.deepcopy(_csv_files())
    for _ in range(data.draw(st.integers(1, 3))):
        name = data.draw(st.sampled_from(sorted(files)))
        rows = files[name]
        action = data.draw(st.sampled_from(["cell", "drop-row", "drop-file", "header"]))
        if action == "drop-file" and len(files) > 1:
            del files[name]
        elif action == "drop-row" and len(rows) > 1:
            del rows[data.draw(st.integers(1, len(rows) - 1))]
        elif rows and rows[0]:
            r = 0 if action == "header" else data.draw(st.integers(0, len(rows) - 1))
            if rows[r]:
                c = data.draw(st.integers(0, len(rows[r]) - 1))
                rows[r][c] = data.draw(hostile_cells)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "c"
        folder.mkdir()
        for name, rows in files.items():
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            (folder / name).write_text(buffer.getvalue(), encoding="utf-8")
        _loaded_consistently(lambda: read_tabular(folder, progress=False))


@cache
def _workbook_parts() -> dict[str, bytes]:
    pytest.importorskip("openpyxl")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.xlsx"
        export_tabular(antq_core.sample(), path, "xlsx", lang="en", include_sensitive=True)
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


@fuzz_settings(20)
@given(st.data())
def test_mutated_workbooks(data: st.DataObject) -> None:
    parts = dict(_workbook_parts())
    name = data.draw(st.sampled_from(sorted(parts)))
    body = parts[name]
    action = data.draw(st.sampled_from(["flip", "cut", "insert", "drop"]))
    at = data.draw(st.integers(0, max(len(body) - 1, 0)))
    if action == "flip" and body:
        body = body[:at] + bytes([body[at] ^ data.draw(st.integers(1, 255))]) + body[at + 1 :]
    elif action == "cut":
        body = body[:at]
    elif action == "insert":
        crafted = data.draw(
            st.sampled_from(
                [
                    b'<c r="D2" t="n"><v>1e400</v></c>',
                    b'<c r="D2" t="s"><v>-1</v></c>',
                    b'<c r="D2" t="b"><v>x</v></c>',
                    b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]>",
                    b"<row r='999999999'/>",
                    b" " * 10000,
                ]
            )
        )
        body = body[:at] + crafted + body[at:]
    if action == "drop":
        del parts[name]
    else:
        parts[name] = body
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for part, content in parts.items():
                archive.writestr(part, content)
        _loaded_consistently(lambda: read_tabular(path, progress=False))


@cache
def _dhis2() -> tuple[dict[str, Any], Dhis2Mapping]:
    mapping = Dhis2Mapping.model_validate_json((CORPUS / "dhis2" / "mapping.json").read_bytes())
    payload = json.loads((CORPUS / "dhis2" / "payload.json").read_bytes())
    return payload, mapping


@fuzz_settings(40)
@given(st.data())
def test_mutated_dhis2_payloads(data: st.DataObject) -> None:
    payload, mapping = _dhis2()
    payload = copy.deepcopy(payload)
    values = payload["dataValues"]
    for _ in range(data.draw(st.integers(1, 3))):
        row = values[data.draw(st.integers(0, len(values) - 1))]
        field = data.draw(
            st.sampled_from(["value", "period", "orgUnit", "dataElement", "comment", "deleted"])
        )
        row[field] = data.draw(hostile_json)
    as_text = data.draw(st.booleans())
    try:
        result = from_dhis2_data_value_set(
            json.dumps(payload) if as_text else payload, mapping, antq_core.sample()
        )
    except AntqError:
        return
    summary = result.summary()
    assert summary["status"] in ("SUCCESS", "WARNING", "ERROR")
    rejected = set(summary["rejectedIndexes"])
    for conflict in summary["conflicts"]:
        assert conflict["indexes"] or conflict.get("errorCode") is None or rejected
    assert json.dumps(summary)  # JSON-ready as DHIS2 clients read it


# -- what `make fuzz` found, kept as regressions ------------------------------------------


def test_a_number_of_5000_digits_is_located_by_both_readers(tmp_path: Path) -> None:
    """The streaming reader raised Python's own int() limit as a bare ValueError."""
    text = antq_core.sample().dumps()
    start = text.index('"value": ') + len('"value": ')
    end = min(text.index(c, start) for c in ",\n}" if c in text[start:])
    path = tmp_path / "d.json"
    path.write_text(text[:start] + "9" * 5000 + text[end:], encoding="utf-8")
    for stream in (False, True):
        with pytest.raises(LoadError) as info:
            Dataset.load(path, stream=stream, progress=False)
        (problem,) = info.value.problems
        assert problem.location.path == "$"
        assert "number out of range" in problem.message_en


def test_a_dataset_table_without_its_header_is_located(tmp_path: Path) -> None:
    """A blank first header cell of dataset.csv raised KeyError('dataset')."""
    folder = tmp_path / "c"
    export_tabular(antq_core.sample(), folder, "csv")
    table = folder / "dataset.csv"
    rows = list(csv.reader(table.read_text(encoding="utf-8-sig").splitlines()))
    rows[0][0] = ""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    table.write_text(buffer.getvalue(), encoding="utf-8")
    with pytest.raises(LoadError) as info:
        read_tabular(folder, progress=False)
    assert any(p.location.file and "dataset" in p.location.file for p in info.value.problems)
