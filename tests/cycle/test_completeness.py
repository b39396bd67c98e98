"""Completeness and timeliness: a district of eight communes, two late and one silent."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from antq_core import Dataset, completeness
from antq_core._cli import main
from antq_core.errors import InvalidValueError

# As the conftest's `may` has them.
LATE = ("00104", "00107")
SILENT = "00108"


def test_the_worked_example(may: Dataset, communes: dict[str, str]) -> None:
    result = completeness(may, form="monthly", period="2025-05", parent="001")
    assert (result.expected, result.actual, result.on_time) == (8, 7, 5)
    assert result.rate == Fraction(7, 8)
    assert result.timely_rate == Fraction(5, 8)
    assert result.silent == ((SILENT, f"xã {communes[SILENT]}"),)
    by_code = {u.code: u for u in result.units}
    assert [u.code for u in result.units] == list(communes)
    for code in LATE:
        assert (by_code[code].actual, by_code[code].on_time) == (1, 0)
        assert [str(p) for p in by_code[code].late] == ["2025-05"]
    assert [str(p) for p in by_code[SILENT].missing] == ["2025-05"]
    assert [u.code for u in result.not_reported] == [SILENT]
    text = result.describe("vi")
    assert "7/8" in text
    assert "87,5%" in text
    assert f"{SILENT} xã {communes[SILENT]}" in text.split("Chưa báo cáo:")[1]
    assert "87.5%" in result.describe("en")


def test_rolled_up_to_the_district(may: Dataset) -> None:
    result = completeness(may, form="monthly", period="2025-05", level="district")
    (district,) = result.units
    assert (district.code, district.name) == ("001", "huyện Tam Đường")
    assert (district.expected, district.actual, district.on_time) == (8, 7, 5)


def test_a_year_of_monthly_reports(may: Dataset) -> None:
    result = completeness(may, form="monthly", period="2025", parent="001")
    assert len(result.periods) == 12
    assert (result.expected, result.actual) == (96, 7)
    assert len(result.silent) == 1


def test_compulsory_metrics_decide_whether_a_report_is_given(
    ds: Dataset, report: Any, on: Any
) -> None:
    partial, _ = ds.apply(report("00101", mediation_cases=3), now=on(2))
    result = completeness(partial, form="monthly", period="2025-05")
    assert result.actual == 0  # tips_received is compulsory


def test_figures_loaded_without_a_record_count_with_an_unknown_time(may: Dataset) -> None:
    document = may.to_dict()
    for row in document["observations"]:  # a document written before figures had a record
        for field in ("stored_by", "created", "last_updated"):
            row.pop(field, None)
    result = completeness(Dataset.from_dict(document), form="monthly", period="2025-05")
    assert (result.actual, result.on_time) == (7, 0)
    assert sum(u.unknown_time for u in result.units) == 7


def test_reloaded_figures_keep_their_time(may: Dataset) -> None:
    reloaded = Dataset.from_dict(may.to_dict())
    result = completeness(reloaded, form="monthly", period="2025-05")
    assert (result.actual, result.on_time) == (7, 5)
    assert result == completeness(may, form="monthly", period="2025-05")


def test_wrong_questions_are_typed_errors(may: Dataset) -> None:
    with pytest.raises(InvalidValueError):
        completeness(may, form="nope", period="2025-05")
    with pytest.raises(InvalidValueError):
        completeness(may, form="monthly", period="2025-05-03")
    with pytest.raises(InvalidValueError):
        completeness(may, form="monthly", period="2025-05", parent="999")


def test_the_command(
    may: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str], communes: dict[str, str]
) -> None:
    path = tmp_path / "district.json"
    may.dump(path)
    code = main(["completeness", str(path), "--form", "monthly", "--period", "2025-05"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Chưa báo cáo:" in out
    assert communes[SILENT] in out
    code = main(
        ["completeness", str(path), "--form", "monthly", "--period", "2025-05", "--lang", "en"]
    )
    assert "Not reported:" in capsys.readouterr().out
    code = main(["completeness", str(path), "--form", "monthly", "--period", "2025-05", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert (document["expected"], document["actual"]) == (8, 7)
    assert document["silent"] == [{"code": SILENT, "name": f"xã {communes[SILENT]}"}]
    assert main(["completeness", str(path), "--form", "nope", "--period", "2025-05"]) == 2
