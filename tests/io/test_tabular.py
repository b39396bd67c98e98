"""CSV and Excel: export, template, import, round trips and spreadsheet safety."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import Dataset, Initiative, Observation, Participant, Source
from antq_core._cli import main
from antq_core.errors import ExportError, InvalidValueError, MissingExtraError, TabularLoadError
from antq_core.io.tabular import export_tabular, read_tabular, write_template
from antq_core.testing.strategies import datasets

HOSTILE = (
    "_x000D_ literal escape",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'already quoted",
    "''two quotes",
)


def _rebuilt(dataset: Dataset, **changes: Any) -> Dataset:
    return dataset.replace(**changes)


def _round_trip(dataset: Dataset, tmp: Path, fmt: str, lang: str) -> Dataset:
    target = tmp / (f"out-{lang}.xlsx" if fmt == "xlsx" else f"out-{lang}")
    export_tabular(dataset, target, fmt, lang=lang, include_sensitive=True)
    return read_tabular(target)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_round_trips(lai_chau: Dataset, tmp_path: Path, fmt: str, lang: str) -> None:
    back = _round_trip(lai_chau, tmp_path, fmt, lang)
    assert back == lai_chau
    assert back.gazetteer == lai_chau.gazetteer
    assert list(back.observations) == list(lai_chau.observations)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=20))
def test_csv_round_trip_is_identity(dataset: Dataset) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("vi", "en"):
            back = _round_trip(dataset, Path(tmp), "csv", lang)
            assert back.to_dict(include_sensitive=True) == dataset.to_dict(include_sensitive=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(max_observations=10))
def test_xlsx_round_trip_is_identity(dataset: Dataset) -> None:
    import tempfile
    import warnings

    from antq_core.errors import TabularNotice

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", TabularNotice)
        back = _round_trip(dataset, Path(tmp), "xlsx", "vi")
        assert back.to_dict(include_sensitive=True) == dataset.to_dict(include_sensitive=True)
    # A number Excel would round is written as text, with a notice, and still reads back.
    for w in seen:
        assert issubclass(w.category, TabularNotice), w
        assert "significant digits" in str(w.message)


def test_personal_data_is_left_out_unless_asked(lai_chau: Dataset, tmp_path: Path) -> None:
    person = Participant(
        id="p-x",
        roles=["released_prisoner"],
        full_name="Lò Văn Ẩn",
        identity_number="012345678901",
    )
    dataset = _rebuilt(lai_chau, participants=[*lai_chau.participants.values(), person])
    export_tabular(dataset, tmp_path / "plain", "csv")
    text = "".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "plain").iterdir())
    assert "Lò Văn Ẩn" not in text
    assert "012345678901" not in text
    assert "p-x" in text
    back = read_tabular(tmp_path / "plain")
    assert back.participants["p-x"].full_name is None
    export_tabular(dataset, tmp_path / "full.xlsx", "xlsx", include_sensitive=True)
    assert read_tabular(tmp_path / "full.xlsx").participants["p-x"].full_name == "Lò Văn Ẩn"


def _hostile_dataset(lai_chau: Dataset) -> Dataset:
    sources = [
        Source(id=f"hostile-{i}", title=text, note=text, publisher=text)
        for i, text in enumerate(HOSTILE)
    ]
    first = next(iter(lai_chau.initiatives.values()))
    renamed = first.model_copy(update={"name_vi": HOSTILE[0], "lead_bodies": HOSTILE[:3]})
    initiatives = [renamed if i.id == first.id else i for i in lai_chau.initiatives.values()]
    notes = [
        o.model_copy(update={"note": HOSTILE[i % len(HOSTILE)]})
        for i, o in enumerate(lai_chau.observations)
    ]
    return _rebuilt(
        lai_chau,
        sources=[*lai_chau.sources.values(), *sources],
        initiatives=initiatives,
        observations=notes,
    )


def test_csv_cells_never_start_a_formula(lai_chau: Dataset, tmp_path: Path) -> None:
    dataset = _hostile_dataset(lai_chau)
    export_tabular(dataset, tmp_path / "out", "csv", lang="en", include_sensitive=True)
    for path in (tmp_path / "out").glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as file:
            for row in csv.reader(file):
                for cell in row:
                    assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
                    if cell.startswith("-"):  # only numbers may start with a minus
                        float(cell)
    assert read_tabular(tmp_path / "out") == dataset


def test_xlsx_holds_no_formula_and_restores_text(lai_chau: Dataset, tmp_path: Path) -> None:
    dataset = _hostile_dataset(lai_chau)
    export_tabular(dataset, tmp_path / "out.xlsx", "xlsx", include_sensitive=True)
    workbook = openpyxl.load_workbook(tmp_path / "out.xlsx")
    texts = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts += 1
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert texts > 0
    assert read_tabular(tmp_path / "out.xlsx") == dataset


def test_negative_numbers_are_numbers_not_escaped_text(tmp_path: Path, lai_chau: Dataset) -> None:
    # A rate or a loan in VND is never negative in this catalog, so the check is on the
    # writer: a numeric cell never gets the quote.
    export_tabular(lai_chau, tmp_path / "out.xlsx", "xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Số liệu"]
    values = [row[3].value for row in ws.iter_rows(min_row=2)]
    assert values
    assert all(isinstance(v, int | float) for v in values)


def test_xlsx_numbers_are_numeric_with_grouping_and_dates_are_dates(
    lai_chau: Dataset, tmp_path: Path
) -> None:
    export_tabular(lai_chau, tmp_path / "out.xlsx", "xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "out.xlsx")
    ws = workbook["Số liệu"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["Chỉ tiêu", "Đối tượng", "Kỳ", "Giá trị", "Đơn vị tính"]
    cells = [row[3] for row in ws.iter_rows(min_row=2)]
    assert {c.number_format for c in cells if isinstance(c.value, int)} == {"#,##0"}
    meta = workbook["Bộ dữ liệu"]
    report_date = next(r[1].value for r in meta.iter_rows() if r[0].value == "report_date")
    assert report_date == dt.datetime(2017, 7, 13)


def test_english_headers_and_sheet_names(lai_chau: Dataset, tmp_path: Path) -> None:
    export_tabular(lai_chau, tmp_path / "en.xlsx", "xlsx", lang="en")
    workbook = openpyxl.load_workbook(tmp_path / "en.xlsx", read_only=True)
    assert "observations" in workbook.sheetnames
    assert "sites" in workbook.sheetnames
    ws = workbook["observations"]
    assert [c.value for c in next(ws.iter_rows(max_row=1))][:3] == ["metric", "subject", "period"]


def test_csv_values_follow_the_language(tmp_path: Path, lai_chau: Dataset) -> None:
    area = Observation(
        metric="poppy_area_destroyed",
        subject="unit:12",
        period="2016/2017",
        value=Decimal("5.8"),
        unit="ha",
    )
    dataset = _rebuilt(lai_chau, observations=[area])
    for lang, written in (("vi", "5,8"), ("en", "5.8")):
        export_tabular(dataset, tmp_path / lang, "csv", lang=lang, include_sensitive=True)
        text = (tmp_path / lang / "observations.csv").read_text(encoding="utf-8-sig")
        rows = list(csv.reader(text.splitlines()))
        assert rows[1][3] == written
        assert read_tabular(tmp_path / lang) == dataset


def _csv_dir(tmp_path: Path, lai_chau: Dataset, lang: str = "vi") -> Path:
    target = tmp_path / f"csv-{lang}"
    export_tabular(lai_chau, target, "csv", lang=lang)
    return target


def _set_observations(directory: Path, rows: list[list[str]]) -> None:
    path = directory / "observations.csv"
    with path.open(encoding="utf-8-sig", newline="") as file:
        header = next(csv.reader(file))
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def test_vietnamese_quantity_text_in_value_cells(tmp_path: Path, lai_chau: Dataset) -> None:
    directory = _csv_dir(tmp_path, lai_chau)
    _set_observations(
        directory,
        [
            [
                "poppy_area_destroyed",
                "unit:12",
                "2016/2017",
                "trên 58 nghìn",
                "m2",
                "",
                "",
                "",
                "",
            ],
            ["outreach_meetings", "unit:12", "2017", "4.810", "meeting", "", "", "", ""],
            ["tips_received", "unit:12", "2017", "hàng nghìn", "tip", "at_least", "", "", ""],
            [
                "poppy_area_destroyed",
                "unit:12",
                "2016/2017",
                "khoảng 1,2 ha",
                "m2",
                "",
                "",
                "",
                "",
            ],
        ],
    )
    dataset = read_tabular(directory)
    got = [(o.value, o.unit.code, o.qualifier.value) for o in dataset.observations]
    assert got == [
        (58_000, "m2", "at_least"),
        (4810, "meeting", "exact"),
        (1000, "tip", "at_least"),
        (12_000, "m2", "approximately"),
    ]


def test_a_qualifier_in_the_text_must_agree_with_the_column(
    tmp_path: Path, lai_chau: Dataset
) -> None:
    directory = _csv_dir(tmp_path, lai_chau)
    _set_observations(
        directory,
        [["tips_received", "unit:12", "2017", "trên 500", "tip", "exact", "", "", ""]],
    )
    with pytest.raises(TabularLoadError) as info:
        read_tabular(directory)
    (problem,) = info.value.problems
    assert (problem.location.row, problem.location.field) == (2, "Giá trị")
    assert "at_least" in problem.message_en
    assert "exact" in problem.message_vi


def test_every_bad_row_is_reported_with_its_place_in_both_languages(
    tmp_path: Path, lai_chau: Dataset
) -> None:
    directory = _csv_dir(tmp_path, lai_chau, "en")
    good = ["tips_received", "unit:12", "2017", "12", "tip", "", "", "", ""]
    _set_observations(
        directory,
        [
            good,
            ["tips_received", "unit:12", "2017Q9", "12", "tip", "", "", "", ""],
            good,
            ["tips_received", "unit:12", "2017", "many", "tip", "", "", "", ""],
            ["tips_received", "unit:12", "2017", "12", "parsec", "", "", "", ""],
            ["", "unit:12", "2017", "12", "tip", "", "", "", ""],
            ["tips_received", "unit:12", "2017", "12", "tip", "perhaps", "", "", ""],
        ],
    )
    with pytest.raises(TabularLoadError) as info:
        read_tabular(directory)
    found = [(p.location.row, p.location.field) for p in info.value.problems]
    assert found == [
        (3, "period"),
        (5, "value"),
        (6, "unit"),
        (7, "metric"),
        (8, "qualifier"),
    ]
    for problem in info.value.problems:
        assert (problem.location.file or "").endswith("observations.csv")
        assert problem.message_vi
        assert problem.message_en
        assert problem.message_vi != problem.message_en
    assert "observations.csv, row 3, column 'period'" in str(info.value)


def test_entity_problems_are_located(tmp_path: Path, lai_chau: Dataset) -> None:
    directory = _csv_dir(tmp_path, lai_chau, "en")
    path = directory / "organizations.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    rows.append(["bad id!", "not_a_kind", "Tổ X", "12", "2017-02-30", "-3", "", ""])
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        csv.writer(file).writerows(rows)
    with pytest.raises(TabularLoadError) as info:
        read_tabular(directory)
    row = len(rows)
    found = {(p.location.row, p.location.field) for p in info.value.problems}
    assert found == {
        (row, "established_on"),
        (row, "id"),
        (row, "kind"),
        (row, "member_count"),
    }


def test_template_has_lists_and_instructions(tmp_path: Path) -> None:
    path = write_template(tmp_path / "mau.xlsx")
    workbook = openpyxl.load_workbook(path)
    guide = workbook["Hướng dẫn"]
    text = "\n".join(str(c.value) for c in guide["A"] if c.value)
    assert "trên 58 nghìn" in text
    assert "4.810" in text
    assert "more than 58 thousand" in text  # the English half
    organizations = workbook["Tổ chức quần chúng"]
    validations = organizations.data_validations.dataValidation
    assert validations
    lists = workbook["_lists"]
    assert lists.sheet_state == "hidden"
    columns = {col[0].value: [c.value for c in col[1:] if c.value] for col in lists.iter_cols()}
    assert "people_security_team" in columns["organization_kind"]
    assert "community_reintegration" in columns["theme"]
    assert {"exact", "at_least", "at_most", "approximately"} == set(columns["qualifier"])
    assert "m2" in columns["unit"]
    formulas = {v.formula1 for v in validations}
    assert any("_lists" in f for f in formulas)


def test_a_filled_template_imports(tmp_path: Path) -> None:
    path = write_template(tmp_path / "mau.xlsx")
    workbook = openpyxl.load_workbook(path)
    meta = workbook["Bộ dữ liệu"]
    for row in meta.iter_rows(min_row=2):
        if row[0].value == "title_vi":
            row[1].value = "Báo cáo xã Mường So"
        if row[0].value == "gazetteer_version":
            row[1].value = "xa-muong-so"
    units = workbook["Đơn vị hành chính"]
    units.append(["03388", "Mường So", "commune"])
    workbook["Chỉ tiêu"].append(["tips_received", "Nguồn tin", "Tips received", "tip", "flow"])
    observations = workbook["Số liệu"]
    observations.append(["tips_received", "unit:03388", "2017", "trên 1.200", "tip"])
    observations.append(["tips_received", "unit:03388", "2016", 950, "tip", "exact"])
    workbook.save(path)
    dataset = read_tabular(path)
    assert dataset.metadata.title_vi == "Báo cáo xã Mường So"
    assert [(o.value, o.qualifier.value) for o in dataset.observations] == [
        (1200, "at_least"),
        (950, "exact"),
    ]


def test_template_in_english(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", lang="en"))
    assert workbook.sheetnames[0] == "instructions"
    assert "observations" in workbook.sheetnames


def test_bad_choices(tmp_path: Path, lai_chau: Dataset) -> None:
    with pytest.raises(InvalidValueError):
        export_tabular(lai_chau, tmp_path / "x", "ods")
    with pytest.raises(InvalidValueError):
        export_tabular(lai_chau, tmp_path / "x", "csv", lang="fr")
    with pytest.raises(InvalidValueError):
        write_template(tmp_path / "x.csv", "csv")


def test_a_csv_export_reads_back_whole(tmp_path: Path, lai_chau: Dataset) -> None:
    export_tabular(lai_chau, tmp_path / "d", "csv", include_sensitive=True)
    assert read_tabular(tmp_path / "d") == lai_chau


def test_lists_with_semicolons_survive(tmp_path: Path, lai_chau: Dataset) -> None:
    first = next(iter(lai_chau.initiatives.values()))
    odd = first.model_copy(update={"lead_bodies": ("Công an xã; Đồn biên phòng", "[Hội]")})
    initiatives = [odd if i.id == first.id else i for i in lai_chau.initiatives.values()]
    dataset = _rebuilt(lai_chau, initiatives=initiatives)
    for fmt, target in (("csv", tmp_path / "c"), ("xlsx", tmp_path / "x.xlsx")):
        export_tabular(dataset, target, fmt)
        back = read_tabular(target)
        assert back.initiatives[first.id].lead_bodies == odd.lead_bodies


def test_cli_export_import_round_trip(tmp_path: Path, lai_chau: Dataset) -> None:
    out = tmp_path / "book.xlsx"
    args = ["export", "--format", "xlsx", "--out", str(out), "--lang", "en", "--include-sensitive"]
    assert main(args) == 0
    assert (
        main(["import", str(out), "--out", str(tmp_path / "d.json"), "--include-sensitive"]) == 0
    )
    assert Dataset.load(tmp_path / "d.json") == lai_chau
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "observations.csv").exists()


def test_cli_import_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--out", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    assert main(["import", str(tmp_path / "c")]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "antq-dataset"


def test_cli_template(tmp_path: Path) -> None:
    assert main(["template", "--out", str(tmp_path / "t.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "t.xlsx")["Hướng dẫn"]["A1"].value


def test_cli_import_lists_every_problem(
    tmp_path: Path, lai_chau: Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = _csv_dir(tmp_path, lai_chau, "en")
    _set_observations(
        directory,
        [
            ["tips_received", "unit:12", "2017Q9", "12", "tip", "", "", "", ""],
            ["tips_received", "unit:12", "2017", "12", "parsec", "", "", "", ""],
        ],
    )
    out = tmp_path / "never.json"
    assert main(["import", str(directory), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "row 2, column 'period'" in err
    assert "row 3, column 'unit'" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x")]) == 2
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["export", "--out", str(blocker / "sub")]) == 2
    assert main(["template", "--out", str(blocker / "t.xlsx")]) == 2
    assert main(["import", str(tmp_path / "nothing-here")]) == 2
    assert "antq" in capsys.readouterr().err


def test_initiative_outcomes_and_category_options_round_trip(
    tmp_path: Path, lai_chau: Dataset
) -> None:
    with_outcomes = [i for i in lai_chau.initiatives.values() if i.outcomes]
    assert with_outcomes  # the sample states outcomes; they have a table of their own
    export_tabular(lai_chau, tmp_path / "c", "csv", lang="en")
    back = read_tabular(tmp_path / "c")
    for initiative in with_outcomes:
        assert back.initiatives[initiative.id].outcomes == initiative.outcomes
    assert isinstance(back.initiatives[with_outcomes[0].id], Initiative)
    assert back.categories == lai_chau.categories


_TRIGGERS = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "''", "_x000D_", ""])


@st.composite
def _hostile_datasets(draw: st.DrawFn) -> Dataset:
    """Generated datasets whose free texts start with what a spreadsheet would run."""
    dataset = draw(datasets(max_observations=10))

    def hostile(text: str | None) -> str | None:
        return None if text is None else draw(_TRIGGERS) + text

    observations = [
        o.model_copy(update={"note": hostile(o.note) or draw(_TRIGGERS) or None})
        for o in dataset.observations
    ]
    sources = [s.model_copy(update={"note": hostile(s.note)}) for s in dataset.sources.values()]
    initiatives = [
        i.model_copy(update={"description_vi": hostile(i.description_vi)})
        for i in dataset.initiatives.values()
    ]
    return _rebuilt(dataset, observations=observations, sources=sources, initiatives=initiatives)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hostile_datasets())
def test_hostile_texts_round_trip_through_csv(dataset: Dataset) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        back = _round_trip(dataset, Path(tmp), "csv", "en")
        assert back.to_dict(include_sensitive=True) == dataset.to_dict(include_sensitive=True)
        for path in Path(tmp, "out-en").glob("*.csv"):
            with path.open(encoding="utf-8-sig", newline="") as file:
                rows = list(csv.reader(file))
            for row in rows:
                assert not any(c.startswith(("=", "+", "@", "\t")) for c in row)


# Generated values may need more than Excel's 15 digits: written as text, with a notice
# (tests/io/test_xlsx_corpus.py checks the notice); here only the round trip matters.
@pytest.mark.filterwarnings("ignore::antq_core.errors.TabularNotice")
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_hostile_datasets())
def test_hostile_texts_round_trip_through_xlsx(dataset: Dataset) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        back = _round_trip(dataset, Path(tmp), "xlsx", "vi")
        assert back.to_dict(include_sensitive=True) == dataset.to_dict(include_sensitive=True)


def test_without_openpyxl_the_error_names_the_extra(
    lai_chau: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if the [excel] extra were absent
    attempts: list[Callable[[], object]] = [
        lambda: export_tabular(lai_chau, tmp_path / "x.xlsx", "xlsx"),
        lambda: write_template(tmp_path / "t.xlsx"),
    ]
    for attempt in attempts:
        with pytest.raises(MissingExtraError) as info:
            attempt()
        assert "antq_core[excel]" in str(info.value)
        assert info.value.extra == "excel"
    export_tabular(lai_chau, tmp_path / "c", "csv")  # CSV needs no extra


def test_a_control_character_cannot_go_into_a_workbook(lai_chau: Dataset, tmp_path: Path) -> None:
    source = Source(id="ctl", title="Báo", note="bell \x07 inside")
    dataset = _rebuilt(lai_chau, sources=[*lai_chau.sources.values(), source])
    with pytest.raises(ExportError) as info:
        export_tabular(dataset, tmp_path / "x.xlsx", "xlsx")
    assert "control character" in str(info.value)
    export_tabular(dataset, tmp_path / "c", "csv", include_sensitive=True)
    assert read_tabular(tmp_path / "c") == dataset


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exhaustive_category_keeps_its_flag(
    lai_chau: Dataset, tmp_path: Path, fmt: str
) -> None:
    first = next(iter(lai_chau.categories.values()))
    assert not first.exhaustive
    flagged = _rebuilt(
        lai_chau,
        categories=[
            c.evolve(exhaustive=True) if c.id == first.id else c
            for c in lai_chau.categories.values()
        ],
    )
    back = _round_trip(flagged, tmp_path, fmt, "vi")
    assert back.categories[first.id].exhaustive
    assert back == flagged
