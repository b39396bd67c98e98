"""``antq aggregate``."""

from __future__ import annotations

from pathlib import Path

import pytest

from antq_core import Dataset, MetricDefinition, Observation, Participant, sample
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


def _nested(tmp_path: Path) -> Path:
    ds = sample()
    cases = MetricDefinition(id="cases", name_vi="Vụ", name_en="Cases", unit="case", kind="flow")
    rows = [
        Observation(metric="cases", subject=s, period="2017", value=v, unit="case")
        for s, v in (("unit:12", 5000), ("unit:106", 800))
    ]
    path = tmp_path / "nested.json"
    Dataset(gazetteer=ds.gazetteer, metadata=ds.metadata, metrics=[cases], observations=rows).dump(
        path
    )
    return path


def test_a_figure_and_its_parts_over_space(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _nested(tmp_path)
    assert main(["aggregate", str(path), "-m", "cases", "-b", "province"]) == 1
    assert "would be summed: row 0 (unit:12) contains rows [1] (unit:106)" in (
        capsys.readouterr().err
    )
    args = ["aggregate", str(path), "-m", "cases", "-b", "province"]
    assert main([*args, "--space-overlap", "prefer_reported"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[-1] == "source"
    assert out[1].split()[:6] == ["12", "cases", "5000", "case", "exact", "1"]
    assert out[1].split()[-1] == "reported"
    assert out[2].startswith("excluded: 1 observation(s), covered_by_reported: e.g. ")
    assert main([*args, "--space-overlap", "prefer_reported", "--list-excluded"]) == 0
    assert "excluded: observation 1 (cases, unit:106, 2017): covered_by_reported" in (
        capsys.readouterr().out
    )


def test_no_row_is_said_with_the_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One kind of organization only, and no total: the parts do not make the whole.
    ds = sample()
    row = Observation(
        metric="mass_organizations",
        subject="unit:106",
        period="2024",
        value=3,
        unit="organization",
        disaggregation={"organization_kind": "people_security_team"},
    )
    path = tmp_path / "parts.json"
    Dataset(
        gazetteer=ds.gazetteer,
        metadata=ds.metadata,
        categories=ds.categories.values(),
        metrics=ds.metrics.values(),
        observations=[row],
    ).dump(path)
    assert main(["aggregate", str(path), "-m", "mass_organizations", "-b", "province"]) == 0
    out = capsys.readouterr().out
    assert "excluded: 1 observation(s), parts_incomplete: e.g. " in out
    assert out.rstrip().endswith("no row: 0 figure(s) unplaceable and 1 excluded, as listed above")


def test_a_category_prefix_and_an_ambiguous_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["aggregate", "-m", "mass_organizations", "-b", "organization_kind"]) == 2
    assert "category:organization_kind" in capsys.readouterr().err
    args = ["aggregate", "-m", "released_prisoners_employed", "-b", "category:capital_source"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[0] == "category:capital_source"
    assert "excluded: 1 observation(s), not_broken_down" in out


def test_suppress_below_hides_small_counts_of_people(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    villages = ["03589.01"] * 6 + ["03589.02"] * 2 + ["03589.03"] * 9
    people = [
        Participant(id=f"p{i}", roles=["released_prisoner"], admin_unit=unit)
        for i, unit in enumerate(villages)
    ]
    observations = [
        Observation.model_validate(
            {
                "metric": "released_prisoners_supported_distinct",
                "subject": f"participant:{p.id}",
                "period": "2017",
                "unit": "person",
                "value": 1,
            }
        )
        for p in people
    ]
    path = tmp_path / "d.json"
    sample().replace(participants=people, observations=observations).dump(path)
    args = ["aggregate", str(path), "-m", "released_prisoners_supported_distinct", "-b", "village"]
    assert main(args) == 0
    plain = capsys.readouterr().out
    assert " 2 " in plain  # the small count, unprotected
    assert main([*args, "--suppress-below", "3"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[-1] == "suppressed"
    by_village = {line.split()[0]: line for line in lines[1:] if line.startswith("03589")}
    assert "fewer than 3 people" in by_village["03589.02"]
    assert "hidden too" in by_village["03589.01"]  # complementary: the smallest other cell
    assert " 9 " in by_village["03589.03"]
    assert " 2 " not in out
    assert " 6 " not in out


def test_suppress_below_names_a_total_it_cannot_protect(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["aggregate", "-m", "released_prisoners_employed", "-b", "district"]
    assert main([*args, "--suppress-below", "30"]) == 0
    out = capsys.readouterr().out
    assert "fewer than 30 people" in out
    assert "withheld: the total of released_prisoners_employed over district" in out
    # 0 turns suppression off (the default); a negative threshold is refused.
    assert main([*args, "--suppress-below", "0"]) == 0
    assert "suppressed" not in capsys.readouterr().out
    assert main([*args, "--suppress-below", "-1"]) == 2
    assert "threshold" in capsys.readouterr().err
