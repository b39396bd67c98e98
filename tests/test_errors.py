"""The errors module: every exception lives there, and located problems read one way."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import pytest

import antq_core
from antq_core import Dataset, sample
from antq_core.errors import (
    AntqError,
    DatasetLoadError,
    Dhis2MappingError,
    LoadError,
    Location,
    Problem,
    TabularLoadError,
)
from antq_core.errors import __all__ as errors_all


def _modules() -> list[str]:
    walked = pkgutil.walk_packages(antq_core.__path__, "antq_core.")
    return ["antq_core", *(info.name for info in walked)]


def test_every_exception_is_defined_in_the_errors_module() -> None:
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, AntqError):
                found[obj.__name__] = obj.__module__
    assert found  # the walk saw the library
    assert {n: m for n, m in found.items() if m != "antq_core.errors"} == {}
    assert set(found) <= set(errors_all)


def _problems(n: int) -> list[Problem]:
    return [Problem.at(f"$.observations[{i}].unit", "bad unit", "Sai đơn vị") for i in range(n)]


@pytest.mark.parametrize("error", [DatasetLoadError, TabularLoadError, Dhis2MappingError])
@pytest.mark.parametrize(
    ("kept", "omitted", "tail"),
    [(2, 0, None), (20, 0, None), (25, 0, 5), (5, 3, 3), (25, 10, 15), (1000, 500, 1480)],
)
def test_every_load_error_ends_its_list_the_same_way(
    error: type[LoadError], kept: int, omitted: int, tail: int | None
) -> None:
    e = error("data.json", _problems(kept), omitted=omitted)
    lines = str(e).splitlines()
    n = kept + omitted
    assert lines[0] == f"{error.failed} data.json: {n} problem{'s' * (n != 1)}"
    listed = [line for line in lines[1:] if line.startswith("  $")]
    assert len(listed) == min(kept, LoadError.max_shown)
    if tail is None:
        assert len(lines) == 1 + len(listed)
    else:
        assert lines[-1] == f"  ... and {tail} more"
    assert e.describe().count("\n  $") == kept  # every kept problem, for the CLI


def test_a_problem_reads_as_where_what_and_in_both_languages() -> None:
    p = Problem(Location(path="$.metadata.title_vi"), "Field required", "Thiếu giá trị bắt buộc")
    assert str(p) == "$.metadata.title_vi: Field required / Thiếu giá trị bắt buộc"
    assert p.to_dict() == {
        "where": {"path": "$.metadata.title_vi"},
        "message_vi": "Thiếu giá trị bắt buộc",
        "message_en": "Field required",
    }


@pytest.mark.parametrize(
    ("location", "text"),
    [
        (Location("site", "s1", field="initiative"), "site s1 (initiative)"),
        (Location.observation(4, "unit"), "observation #4 (unit)"),
        (Location("file", path="$.sites[0].name_vi", file="d.json"), "d.json: $.sites[0].name_vi"),
        (Location(path="$.observations[4].unit", row=4, field="unit"), "$.observations[4].unit"),
        (Location(file="sites.csv"), "sites.csv"),
        (Location(file="sites.csv", row=3, field="Mã"), "sites.csv, row 3, column 'Mã'"),
        (
            Location(file="b.xlsx", sheet="Điểm", row=2, cell="B2:C3"),
            "b.xlsx, sheet 'Điểm', cell B2:C3, row 2",
        ),
    ],
)
def test_one_location_type_for_documents_tables_and_entities(
    location: Location, text: str
) -> None:
    assert str(location) == text


def test_json_loading_problems_say_what_is_wrong_in_vietnamese_too() -> None:
    doc = sample().to_dict()
    doc["format_version"] = 2
    doc["metadata"].pop("title_vi")
    doc["sites"][1]["id"] = doc["sites"][0]["id"]
    doc["observations"][0]["period"] = "2017Q9"
    doc["observations"][1]["colour"] = "red"
    with pytest.raises(DatasetLoadError) as info:
        Dataset.from_json(json.dumps(doc))
    problems = info.value.problems
    assert len(problems) == 5
    for p in problems:
        assert p.message_vi
        assert p.message_vi != p.message_en
        assert p.location.path is not None
    period = next(p for p in problems if p.location.path == "$.observations[0].period")
    assert (period.location.row, period.location.field) == (0, "period")
    assert period.message_vi.startswith("Không đọc được kỳ")
