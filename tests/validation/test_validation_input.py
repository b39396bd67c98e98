"""Bad input: loading and validating raise only DatasetLoadError, and every problem shows.

Hypothesis throws arbitrary JSON documents and mutations of the sample at
``validate_json``; the interesting inputs it found are kept as files in
``tests/corpus/validation/`` and run one by one. A corpus file is a JSON object:

- ``description``: what the case is;
- one input: ``raw`` (text, which need not be JSON), ``input`` (any JSON value),
  or ``patch`` (operations applied to the sample document: ``set``, ``delete``,
  ``append``; a path step that is an object picks the list item whose fields
  match it; a string value ``"@raw:TEXT"`` is written as TEXT, for ``NaN``);
- ``expect``: ``load_problems`` (JSON paths that must be among the load
  problems) or ``codes`` (issue codes that must appear) and ``ok``.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from antq_core import ValidationReport, sample, validate_json
from antq_core._cli import main
from antq_core.errors import DatasetLoadError

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "validation"
CASES = sorted(CORPUS.glob("*.json"))
_RAW = re.compile(r'"@raw:([^"]*)"')


def _document() -> dict[str, Any]:
    return sample().to_dict()


def _step(node: Any, step: Any) -> Any:
    if isinstance(step, dict):
        return next(
            i for i, item in enumerate(node) if all(item.get(k) == v for k, v in step.items())
        )
    return step


def _apply(doc: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    for operation in patch:
        *parents, last = operation["path"]
        node: Any = doc
        for step in parents:
            node = node[_step(node, step)]
        key = _step(node, last)
        if operation["op"] == "set":
            node[key] = operation["value"]
        elif operation["op"] == "delete":
            del node[key]
        else:
            node[key].append(operation["value"])
    return doc


def _input_of(case: dict[str, Any]) -> str:
    if "raw" in case:
        return str(case["raw"])
    data = case["input"] if "input" in case else _apply(_document(), case["patch"])
    return _RAW.sub(r"\1", json.dumps(data, ensure_ascii=False))


def _validated(data: str | bytes) -> ValidationReport | DatasetLoadError:
    """The report, or the load error; anything else propagates and fails the test."""
    try:
        return validate_json(data, source="case.json")
    except DatasetLoadError as e:
        error = e
    assert error.problems
    assert all(p.location.startswith("$") for p in error.problems)
    assert error.source == "case.json"
    return error


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_corpus(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    result = _validated(_input_of(case))
    expect = case["expect"]
    if "load_problems" in expect:
        assert isinstance(result, DatasetLoadError), case["description"]
        locations = {p.location for p in result.problems}
        assert set(expect["load_problems"]) <= locations, locations
    else:
        assert isinstance(result, ValidationReport), case["description"]
        assert set(expect["codes"]) <= {i.code for i in result}, result.to_text("en")
        assert result.ok is expect["ok"]


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 10


# -- generated input ---------------------------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(_JSON)
def test_arbitrary_json_is_a_load_error(value: Any) -> None:
    result = _validated(json.dumps(value))
    assert isinstance(result, DatasetLoadError)


@given(st.binary(max_size=64))
def test_arbitrary_bytes_are_a_load_error(data: bytes) -> None:
    assert isinstance(_validated(data), DatasetLoadError)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            found.extend(_paths(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found.extend(_paths(v, (*path, i)))
    return found


BASE = _document()
PATHS = [p for p in _paths(BASE) if p]
_ODD_VALUES = _JSON | st.sampled_from(
    ["@raw:NaN", "@raw:Infinity", 10**40, -1, -(10**25), "", " ", "x" * 600]
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(
    st.lists(st.tuples(st.sampled_from(PATHS), st.booleans(), _ODD_VALUES), min_size=1, max_size=4)
)
def test_mutations_of_the_sample_never_crash(
    mutations: list[tuple[tuple[Any, ...], bool, Any]],
) -> None:
    doc = copy.deepcopy(BASE)
    for path, delete, value in mutations:
        node: Any = doc
        try:
            for step in path[:-1]:
                node = node[step]
            if delete:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation changed the shape
    _validated(_RAW.sub(r"\1", json.dumps(doc, ensure_ascii=False)))


def _references() -> list[tuple[tuple[Any, ...], str]]:
    refs: list[tuple[tuple[Any, ...], str]] = []
    for i, _ in enumerate(BASE["sites"]):
        refs.append((("sites", i, "initiative"), "{}"))
        refs.append((("sites", i, "admin_units", 0), "{}"))
    for i, _ in enumerate(BASE["observations"]):
        refs.append((("observations", i, "metric"), "{}"))
        refs.append((("observations", i, "subject"), "site:{}"))
        refs.append((("observations", i, "subject"), "unit:{}"))
        refs.append((("observations", i, "source"), "{}"))
    for i, _ in enumerate(BASE["initiatives"]):
        refs.append((("initiatives", i, "theme"), "{}"))
    return refs


@given(st.sampled_from(_references()), st.from_regex(r"[a-z][a-z0-9-]{2,12}", fullmatch=True))
def test_every_dangling_reference_shows(reference: tuple[tuple[Any, ...], str], name: str) -> None:
    path, form = reference
    doc = copy.deepcopy(BASE)
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    target = f"zz-{name}"
    node[path[-1]] = form.format(target)
    report = _validated(json.dumps(doc, ensure_ascii=False))
    assert isinstance(report, ValidationReport)
    targets = {i.details.get("target") for i in report if i.code == "reference-unresolved"}
    assert target in targets
    assert not report.ok


UNITS = [u["code"] for u in BASE["gazetteer"]["units"]]


@given(st.sampled_from(UNITS), st.data())
def test_every_cycle_shows(code: str, data: st.DataObject) -> None:
    doc = copy.deepcopy(BASE)
    units = {u["code"]: u for u in doc["gazetteer"]["units"]}
    chain = [code]
    while units[chain[-1]].get("parent"):
        chain.append(units[chain[-1]]["parent"])
    top = data.draw(st.sampled_from(chain))  # the unit itself or one of its ancestors
    units[top]["parent"] = code
    report = _validated(json.dumps(doc, ensure_ascii=False))
    assert isinstance(report, ValidationReport)
    cycles = [i for i in report if i.code == "gazetteer-cycle"]
    assert len(cycles) == 1
    assert set(str(cycles[0].details["cycle"]).split(" -> ")) == set(chain[: chain.index(top) + 1])


NAMES = [
    p
    for p in PATHS
    if p[0] in ("initiatives", "themes", "sites", "sources", "metrics")
    and isinstance(p[-1], str)
    and p[-1].startswith(("name", "title", "description"))
]


@given(st.sampled_from(NAMES))
def test_every_decomposed_name_shows(path: tuple[Any, ...]) -> None:
    doc = copy.deepcopy(BASE)
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    text = node[path[-1]]
    assume(unicodedata.normalize("NFD", text) != text)
    node[path[-1]] = unicodedata.normalize("NFD", text)
    report = _validated(json.dumps(doc, ensure_ascii=False))
    assert isinstance(report, ValidationReport)
    expected = "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path)
    assert [i.where.path for i in report if i.code == "text-not-nfc"] == [expected]
    assert report.ok


@given(st.integers(0, len(BASE["observations"]) - 1), st.integers(max_value=-1))
def test_every_negative_count_shows(row: int, value: int) -> None:
    doc = copy.deepcopy(BASE)
    doc["observations"][row]["value"] = value
    error = _validated(json.dumps(doc))
    assert isinstance(error, DatasetLoadError)
    assert [p.location for p in error.problems] == [f"$.observations[{row}].value"]


# -- the command -------------------------------------------------------------------------------


def test_cli_sample_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "0 lỗi, 1 cảnh báo, 4 thông tin." in out
    assert main(["validate", "--lang", "en", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert [i["code"] for i in data["issues"]] == [
        "period-ongoing",
        "reconcile-mismatch",
        "reconcile-registry-partial",
        "reconcile-nothing-registered",
        "reconcile-nothing-registered",
    ]


def test_cli_data_errors_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _document()
    doc["sites"][0]["initiative"] = "mh-gone"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert main(["validate", str(path), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: 1 errors")
    assert "ERROR [reference-unresolved] site site-muong-so (initiative)" in out
    assert main(["validate", str(path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["issues"][0]["where"]["path"] == "$.sites[0].initiative"


def test_cli_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    doc = _document()
    doc["observations"][3]["period"] = "2017-13"
    path = tmp_path / "bad-period.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert "$.observations[3].period" in err
    assert main(["validate", str(path), "--format", "json"]) == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["ok"] is False
    assert data["load_error"]["file"] == str(path)
    assert data["load_error"]["problems"][0]["path"] == "$.observations[3].period"


def test_cli_as_a_program() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "antq_core._cli", "validate", "--lang", "en"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "0 errors, 1 warnings, 4 infos." in done.stdout


@given(
    st.text(
        alphabet="aAoOuU ơưđ\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b\u1100\u1161\u212b",
        min_size=1,
        max_size=12,
    ),
    st.booleans(),
)
def test_text_not_nfc_exactly_when_it_is_not(text: str, ascii_only: bool) -> None:
    doc = copy.deepcopy(BASE)
    doc["initiatives"][0]["description_vi"] = text
    report = _validated(json.dumps(doc, ensure_ascii=ascii_only))
    assert isinstance(report, ValidationReport)
    found = [i.where.path for i in report if i.code == "text-not-nfc"]
    expected = (
        [] if unicodedata.is_normalized("NFC", text) else ["$.initiatives[0].description_vi"]
    )
    assert found == expected
