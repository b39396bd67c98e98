"""The published JSON Schema judges every document as ``Dataset.from_json`` does.

Each file of ``tests/corpus/schema/accept/`` and ``tests/corpus/schema/refuse/``
changes the sample document (``patch``, as in ``tests/corpus/validation/``) into
one the loader must accept, or refuse with a problem at each of
``load_problems``. Two independent validators must say the same about it: the
``jsonschema`` package (Python's ``re``) and, when Node.js is installed, ajv in
strict mode with ajv-formats (ECMA-262 regular expressions), which ``make
pytest`` installs into ``tools/ajv``. Without Node.js the ajv tests skip; with
Node.js and without ajv installed they fail, so a missed install shows.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from antq_core import Dataset, Period
from antq_core import sample as load_sample
from antq_core.errors import DatasetLoadError, PeriodError
from antq_core.io.jsonschema import SCHEMA_ENTITIES, dataset_json_schema, entity_json_schema

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus" / "schema"
AJV = REPO / "tools" / "ajv"
CASES = sorted(CORPUS.glob("*/*.json"))
IDS = [f"{p.parent.name}/{p.stem}" for p in CASES]


def _step(node: Any, step: Any) -> Any:
    if isinstance(step, dict):
        return next(
            i for i, item in enumerate(node) if all(item.get(k) == v for k, v in step.items())
        )
    return step


@cache
def _sample() -> dict[str, Any]:
    return load_sample().to_dict()


def _document(case: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(_sample())
    for operation in case["patch"]:
        assert operation["op"] == "set"
        *parents, last = operation["path"]
        node: Any = document
        for step in parents:
            node = node[_step(node, step)]
        node[_step(node, last)] = operation["value"]
    return document


def _case(path: Path) -> tuple[dict[str, Any], str]:
    """The case, and its document as JSON text (as a file would hold it)."""
    case = json.loads(path.read_text(encoding="utf-8"))
    return case, json.dumps(_document(case), ensure_ascii=False)


@cache
def _validator() -> Draft202012Validator:
    schema = dataset_json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_corpus_has_every_case_of_the_issue() -> None:
    names = {p.stem for p in CASES}
    assert len(names) == len(CASES), "a name is used in both folders"
    wanted = {
        "identity-number-newline",
        "period-newline",
        "site-id-newline",
        "period-arabic-indic",
        "count-32.0",
        "period-week-53-2017",
        "period-week-00",
        "period-february-30",
        "period-crop-season-2016-2019",
        "value-31-digits",
        "gazetteer-parent-empty",
        "format-version-true",
        "value-trailing-dot",
    }
    assert wanted <= names


@pytest.mark.parametrize("path", CASES, ids=IDS)
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_the_loader_decides_as_the_corpus_says(path: Path, stream: bool, tmp_path: Path) -> None:
    case, text = _case(path)
    file = tmp_path / "case.json"
    file.write_text(text, encoding="utf-8")
    if path.parent.name == "accept":
        Dataset.load(file, stream=stream)
        return
    with pytest.raises(DatasetLoadError) as info:
        Dataset.load(file, stream=stream)
    assert set(case["load_problems"]) <= {p.location.path for p in info.value.problems}


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_jsonschema_agrees_with_the_loader(path: Path) -> None:
    case, text = _case(path)
    errors = [e.message for e in _validator().iter_errors(json.loads(text))]
    if path.parent.name == "accept":
        assert errors == [], case["description"]
    else:
        assert errors, case["description"]


# -- ajv ----------------------------------------------------------------------------------


@cache
def _ajv(schemas: str, documents: str) -> dict[str, Any]:
    """Run tools/ajv/validate.mjs once per distinct input (both given as JSON text)."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: ajv cannot run")
    if not (AJV / "node_modules" / "ajv").is_dir():
        pytest.fail("Node.js is installed but ajv is not: run `make ajv` (make pytest does)")
    node = shutil.which("node")
    assert node is not None
    payload = f'{{"schemas": {schemas}, "documents": {documents}}}'
    done = subprocess.run(  # noqa: S603 - our own script, our own input
        [node, str(AJV / "validate.mjs")],
        input=payload,
        capture_output=True,
        text=True,
        check=True,
        cwd=AJV,
        timeout=300,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@cache
def _ajv_corpus() -> dict[str, Any]:
    schemas = json.dumps({"Dataset": dataset_json_schema()})
    documents = "[" + ", ".join(f'["Dataset", {_case(p)[1]}]' for p in CASES) + "]"
    return _ajv(schemas, documents)


def test_ajv_strict_mode_compiles_every_schema() -> None:
    schemas = {name: entity_json_schema(name) for name in SCHEMA_ENTITIES}
    schemas["Dataset"] = dataset_json_schema()
    assert _ajv(json.dumps(schemas), "[]")["errors"] == {}


@pytest.mark.parametrize(("index", "path"), list(enumerate(CASES)), ids=IDS)
def test_ajv_agrees_with_the_loader(index: int, path: Path) -> None:
    result = _ajv_corpus()
    assert result["errors"] == {}
    valid, messages = result["results"][index]
    assert valid is (path.parent.name == "accept"), messages


def _period_strings() -> list[str]:
    """Strings around every calendar rule the period patterns encode."""
    found = ["2017\n", "٢٠١٧", "2017W5", "201705", "2016/2017@09", "2016/2017@1", "0000"]
    years = [*range(3), *range(1899, 1902), *range(1999, 2002), 2015, 2016, 2017, 2020, 2100]
    years += [2400, 9997, 9998, 9999]
    for year in years:
        y = f"{year:04d}"
        found += [y, f"{y}Q0", f"{y}Q4", f"{y}Q5", f"{y}S2", f"{y}S3", f"{y}-00", f"{y}-12"]
        found += [f"{y}W{w:02d}" for w in (0, 1, 52, 53, 54)]
        found += [f"{y}/{year + d:04d}" for d in (-1, 0, 1, 2)]
        found += [f"{y}/{year + 1:04d}@{m:02d}" for m in (1, 2, 9, 10, 12, 13)]
        found += [
            f"{y}-{m:02d}-{d:02d}" for m in (1, 2, 4, 12, 13) for d in (0, 1, 28, 29, 30, 31)
        ]
    for start in ("2017-07-13", "2016-02-29", "2000-01-01"):
        for end in ("2017-07-12", "2017-07-13", "2017-07-14", "2016-02-29", "2016-03-01"):
            found.append(f"{start}/{end}")
    found += ["2017-01-01/2017-02-30", "0001-01-01/9999-12-31", "2017-07-13/2017-07-13\n"]
    return found


def _parses(text: str) -> bool:
    try:
        Period.parse(text)
    except PeriodError:
        return False
    return True


def test_ajv_reads_the_period_patterns_as_the_parser_does() -> None:
    schema = entity_json_schema("Observation")["$defs"]["Period"]
    strings = _period_strings()
    result = _ajv(json.dumps({"Period": schema}), json.dumps([["Period", s] for s in strings]))
    judged = {s: bool(valid) for s, (valid, _) in zip(strings, result["results"], strict=True)}
    assert judged == {s: _parses(s) for s in strings}


def test_the_week_53_years_are_the_calendars() -> None:
    """Python's re, on every year: the 71 long ISO years in each 400 are the pattern's."""
    patterns = _python_period_patterns()
    for year in range(1, 10000):
        text = f"{year:04d}W53"
        long_year = dt.date(year, 12, 28).isocalendar().week == 53
        assert any(p.search(text) for p in patterns) is (long_year and year < 9999), text


def _python_period_patterns() -> list[re.Pattern[str]]:
    """The period patterns as the ``jsonschema`` package runs them (``re.search``)."""
    schema = entity_json_schema("Observation")["$defs"]["Period"]
    Draft202012Validator.check_schema(schema)
    return [re.compile(kind["pattern"]) for kind in schema["anyOf"]]


def test_python_reads_the_period_patterns_as_the_parser_does() -> None:
    patterns = _python_period_patterns()
    strings = _period_strings()
    strings += [f"{y:04d}-02-{d}" for y in range(10000) for d in (28, 29, 30)]
    strings += [f"{y:04d}/{y + 1:04d}" for y in range(0, 10000, 7)]
    wrong = [s for s in strings if any(p.search(s) for p in patterns) is not _parses(s)]
    assert wrong == []
    assert Draft202012Validator(entity_json_schema("Observation")["$defs"]["Period"]).is_valid(
        "2016-02-29"
    )
