"""``antq aggregate``."""

from __future__ import annotations

from pathlib import Path

import pytest

from antq_core import Dataset, MetricDefinition, Observation, sample
from antq_core._cli import main


def test_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "aggregate",
            "-m",
            "cases_resolved_jointly",
            "-m",
            "poppy_area_destroyed",
            "-b",
            "province",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].split() == [
        "province",
        "metric",
        "value",
        "unit",
        "qualifier",
        "observations",
        "missing",
    ]
    assert out[1].split()[:6] == ["12", "cases_resolved_jointly", "22", "case", "exact", "1"]
    assert out[2].split()[:5] == ["12", "poppy_area_destroyed", "58000", "m2", "at_least"]


def test_lists_unplaceable_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["aggregate", "-m", "cases_resolved_jointly", "-b", "commune"]) == 0
    out = capsys.readouterr().out
    assert "unplaceable: observation 11 (cases_resolved_jointly, site:site-cum-giap-ranh," in out
    assert "above the commune level" in out


def test_filters(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["aggregate", "-m", "cases_resolved_jointly", "--within", "106", "--periods", "2017"]
    assert main([*args, "--initiative", "mh-cum-giap-ranh-tam-duong"]) == 0
    assert "runs beyond the filter 2017" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "nope"],
        ["-m", "cases_resolved_jointly", "-b", "county"],
        ["-m", "x", "--periods", "20x"],
    ],
)
def test_bad_requests_are_input_errors(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["aggregate", *args]) == 2
    assert capsys.readouterr().err.startswith("antq: ")


def test_a_missing_file_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["aggregate", "missing.json", "-m", "x"]) == 2


def test_double_counting_is_a_data_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = sample()
    cases = MetricDefinition(id="cases", name_vi="Vụ", name_en="Cases", unit="case", kind="flow")
    rows = [
        Observation(metric="cases", subject="unit:03400", period=p, value=1, unit="case")
        for p in ("2017", "2017Q1")
    ]
    path = tmp_path / "twice.json"
    Dataset(gazetteer=ds.gazetteer, metadata=ds.metadata, metrics=[cases], observations=rows).dump(
        path
    )
    assert main(["aggregate", str(path), "-m", "cases"]) == 1
    assert "overlapping periods" in capsys.readouterr().err
