"""The report and the ``antq`` command."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import antq_core
from antq_core import AdminUnit, Dataset, Gazetteer, Initiative, Site
from antq_core._cli import main
from antq_core.errors import InvalidValueError
from antq_core.report import render_report
from antq_core.testing.strategies import datasets

EXEMPLARS = ("Nguyễn Văn A (tên giả định)", "Trần Thị B (tên giả định)", "Lê Thị C (tên giả định)")


def _report(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["report", *args]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def test_vietnamese_report(capsys: pytest.CaptureFixture[str]) -> None:
    out = _report(capsys)
    for text in ("5.817", "35.122", "4.810", "trên 58.000 m²", "hàng nghìn", "niên vụ 2016–2017"):
        assert text in out, text
    assert "huyện Tam Đường" in out  # where the cluster counts once
    assert not any(name in out for name in EXEMPLARS)


def test_english_report(capsys: pytest.CaptureFixture[str]) -> None:
    out = _report(capsys, "--lang", "en")
    for text in ("5,817", "35,122", "4,810", "more than 58,000 m²", "thousands"):
        assert text in out, text
    assert "2016–2017 crop season" in out
    assert not any(name in out for name in EXEMPLARS)


def test_report_of_a_file_is_the_report_of_its_dataset(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, lai_chau: Dataset
) -> None:
    path = tmp_path / "lai_chau.json"
    lai_chau.dump(path)
    assert _report(capsys, str(path)) == render_report(lai_chau)
    assert _report(capsys, str(path), "--lang", "en") == render_report(lai_chau, "en")


def test_a_missing_file_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "missing.json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "missing.json" in captured.err


def test_a_file_with_errors_names_the_json_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sample_document: dict[str, Any]
) -> None:
    doc = copy.deepcopy(sample_document)
    doc["observations"][3]["period"] = "2017Q5"
    doc["observations"][5]["value"] = -5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert main(["report", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "$.observations[3].period" in captured.err
    assert "$.observations[5].value" in captured.err
    assert str(path) in captured.err


def test_not_json_is_an_input_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("5.817 tổ chức", encoding="utf-8")
    assert main(["report", str(path)]) == 2
    assert "$" in capsys.readouterr().err


def test_a_site_across_two_provinces_is_reported(lai_chau: Dataset) -> None:
    # Border clusters can join communes of two provinces, which share no ancestor.
    gazetteer = Gazetteer(
        "two-provinces",
        [
            AdminUnit(code="12", name="Lai Châu", level="province"),
            AdminUnit(code="03400", name="Tả Lèng", level="commune", parent="12"),
            AdminUnit(code="10", name="Lào Cai", level="province"),
            AdminUnit(code="02800", name="Sàng Ma Sáo", level="commune", parent="10"),
        ],
    )
    initiative = Initiative(id="mh", name_vi="Cụm liên tỉnh", theme="border_cluster", typical=True)
    site = Site(id="s", initiative="mh", admin_units=["03400", "02800"])
    ds = Dataset(
        gazetteer=gazetteer, metadata=lai_chau.metadata, initiatives=[initiative], sites=[site]
    )
    for lang in ("vi", "en"):
        text = render_report(ds, lang)
        assert "Tả Lèng" in text
        assert "Sàng Ma Sáo" in text


@pytest.mark.parametrize("argv", [[], ["report", "--lang", "fr"], ["frobnicate"]])
def test_bad_arguments_exit_with_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert antq_core.__version__ in capsys.readouterr().out


def test_the_installed_command_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("antq")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "antq_core._cli"]
    result = subprocess.run(  # noqa: S603 - our own command
        [*command, "report", "--lang", "en"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "4,810" in result.stdout


def test_render_report_rejects_other_languages(lai_chau: Dataset) -> None:
    with pytest.raises(InvalidValueError):
        render_report(lai_chau, "fr")


# Each example is a whole dataset, and the round trip tests already draw a hundred.
@settings(max_examples=50, deadline=None)
@given(datasets(max_observations=20))
def test_any_dataset_can_be_reported_without_printing_names(ds: Dataset) -> None:
    # Give every participant a name that can only come from their record.
    people = [
        p.model_copy(update={"full_name": f"Secret Name {n}"})
        for n, p in enumerate(ds.participants.values())
    ]
    ds = ds.replace(participants=people)
    for lang in ("vi", "en"):
        text = render_report(ds, lang)
        assert text.endswith("\n")
        assert "Secret Name" not in text


# -- small counts of participants ---------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "hidden", "note"),
    [
        (
            "en",
            "Exemplary persons named: fewer than 5",
            "Counts of fewer than 5 people are hidden",
        ),
        ("vi", "Cá nhân điển hình được nêu: dưới 5 người", "Số người dưới 5 được ẩn"),
    ],
)
def test_the_report_hides_small_counts_of_participants_by_default(
    capsys: pytest.CaptureFixture[str], lang: str, hidden: str, note: str
) -> None:
    out = _report(capsys, "--lang", lang)
    assert hidden in out
    assert out.rstrip().endswith("1 count(s).") or out.rstrip().endswith("1 số liệu.")
    assert note in out.splitlines()[-1]
    assert ": 3 (" not in out  # the three exemplars are not counted aloud
    # 0 turns it off; a threshold at or below the count shows it.
    for k in ("0", "3"):
        shown = _report(capsys, "--lang", lang, "--suppress-below", k)
        assert hidden not in shown
        assert note not in shown
        assert ": 3 (" in shown
    # The command prints what the function returns.
    assert out == render_report(antq_core.sample(), lang)
    assert _report(capsys, "--lang", lang, "--suppress-below", "0") == render_report(
        antq_core.sample(),
        lang,
        suppress_below=None,
    )


@pytest.mark.parametrize("k", ["-1", "x", "2.5"])
def test_a_bad_threshold_is_a_usage_error(k: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["report", "--suppress-below", k])
    assert info.value.code == 2
    assert "--suppress-below" in capsys.readouterr().err


@pytest.mark.parametrize("k", [0, -3, 2.5, True, "5"])
def test_render_report_checks_its_threshold(lai_chau: Dataset, k: object) -> None:
    with pytest.raises(InvalidValueError, match="suppress_below"):
        render_report(lai_chau, "en", suppress_below=k)


def _with_people(lai_chau: Dataset, n: int) -> Dataset:
    """The sample with ``n`` participant records counted by a distinct-people metric."""
    people = [
        antq_core.Participant(id=f"p{i}", roles=["released_prisoner"], admin_unit="03589.01")
        for i in range(n)
    ]
    records = [
        antq_core.Observation.model_validate(
            {
                "metric": "released_prisoners_supported_distinct",
                "subject": f"participant:p{i}",
                "period": "2017",
                "unit": "person",
                "value": 1,
            }
        )
        for i in range(n)
    ]
    return lai_chau.replace(
        participants=[*lai_chau.participants.values(), *people],
        observations=[*lai_chau.observations, *records],
    )


def test_participant_records_are_counted_not_listed(lai_chau: Dataset) -> None:
    few, many = _with_people(lai_chau, 3), _with_people(lai_chau, 7)
    text = render_report(few, "en")
    assert "participant:p" not in text
    assert "Participants (distinct)" in text
    assert "fewer than 5 (small counts are hidden)" in text.split("Participants (distinct)")[1]
    assert text.splitlines()[-1].endswith("2 count(s).")  # the exemplars and these three
    text = render_report(many, "en")
    assert "participant:p" not in text
    assert text.split("Participants (distinct)")[1].splitlines()[1].endswith(": 7 persons")
    assert text.splitlines()[-1].endswith("1 count(s).")
    # Off: each record is printed under its subject, as before.
    assert "participant:p0" in render_report(few, "en", suppress_below=None)
