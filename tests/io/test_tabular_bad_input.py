"""Bad input to CSV and Excel import: each a clear, located error, never a traceback."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest

from antq_core import Dataset
from antq_core.errors import TabularLoadError, TabularProblem
from antq_core.io.tabular import export_tabular, read_tabular

if TYPE_CHECKING:
    from antq_core.io.tabular._layout import Column


@pytest.fixture
def csv_dir(tmp_path: Path, lai_chau: Dataset) -> Path:
    target = tmp_path / "csv"
    export_tabular(lai_chau, target, "csv", lang="vi", include_sensitive=True)
    return target


@pytest.fixture
def workbook(tmp_path: Path, lai_chau: Dataset) -> Path:
    target = tmp_path / "book.xlsx"
    export_tabular(lai_chau, target, "xlsx", lang="vi", include_sensitive=True)
    return target


def _problems(path: Path) -> tuple[TabularProblem, ...]:
    with pytest.raises(TabularLoadError) as info:
        read_tabular(path)
    assert info.value.problems
    text = str(info.value)
    assert "Traceback" not in text
    for problem in info.value.problems:
        assert problem.message_vi
        assert problem.message_en
    return info.value.problems


def _rewrite(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    text = buffer.getvalue()
    if encoding == "cp1258":  # Windows-1258 writes tone marks as combining characters
        text = unicodedata.normalize("NFD", text)
    path.write_bytes(text.encode(encoding, errors="replace"))


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


# -- files ---------------------------------------------------------------------------


def test_empty_csv_file(csv_dir: Path) -> None:
    (csv_dir / "observations.csv").write_bytes(b"")
    (problem,) = _problems(csv_dir)
    assert problem.file.endswith("observations.csv")
    assert "empty" in problem.message_en


def test_empty_workbook_file(tmp_path: Path) -> None:
    (tmp_path / "empty.xlsx").write_bytes(b"")
    (problem,) = _problems(tmp_path / "empty.xlsx")
    assert "empty" in problem.message_en


def test_empty_directory_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    (problem,) = _problems(tmp_path / "none")
    assert "no CSV files" in problem.message_en
    (missing,) = _problems(tmp_path / "absent")
    assert "no such file" in missing.message_en


def test_one_csv_file_instead_of_the_directory(csv_dir: Path) -> None:
    (problem,) = _problems(csv_dir / "observations.csv")
    assert "directory" in problem.message_en


def test_unknown_and_stray_files(csv_dir: Path) -> None:
    (csv_dir / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (csv_dir / "readme.txt").write_text("hello", encoding="utf-8")
    problems = _problems(csv_dir)
    assert {Path(p.file).name for p in problems} == {"notes.csv", "readme.txt"}


def test_missing_dataset_table(csv_dir: Path) -> None:
    (csv_dir / "dataset.csv").unlink()
    (problem,) = _problems(csv_dir)
    assert "dataset" in problem.message_en


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 4000)  # an old .xls
    (problem,) = _problems(path)
    assert ".xlsx" in problem.message_en


def test_a_100_mb_workbook_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as file:
        file.truncate(100 * 1024 * 1024)
    (problem,) = _problems(path)
    assert "too large" in problem.message_en
    assert "CSV" in problem.message_en


def test_a_100_mb_csv_with_a_runaway_cell(csv_dir: Path) -> None:
    path = csv_dir / "observations.csv"
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write(header + "\r\n")
        file.write('tips_received,unit:12,2017,"')  # a quote that never closes
        line = "x" * 1023 + "\n"
        for _ in range(100 * 1024):
            file.write(line)
    (problem,) = _problems(csv_dir)
    assert problem.row == 2
    assert "field larger than field limit" in problem.message_en


# -- encodings -----------------------------------------------------------------------


def test_utf8_with_and_without_bom(csv_dir: Path, lai_chau: Dataset) -> None:
    for path in csv_dir.glob("*.csv"):
        path.write_bytes(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    assert read_tabular(csv_dir) == lai_chau
    for path in csv_dir.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_tabular(csv_dir) == lai_chau


def test_windows_1258_is_named(csv_dir: Path) -> None:
    path = csv_dir / "sites.csv"
    _rewrite(path, _rows(path), encoding="cp1258")
    (problem,) = _problems(csv_dir)
    assert problem.file.endswith("sites.csv")
    assert "Windows-1258" in problem.message_en
    assert "UTF-8" in problem.message_vi


def test_utf16_is_named(csv_dir: Path) -> None:
    path = csv_dir / "initiatives.csv"
    _rewrite(path, _rows(path), encoding="utf-16")
    (problem,) = _problems(csv_dir)
    assert "UTF-16" in problem.message_en


def test_utf16_without_a_mark_is_named(csv_dir: Path) -> None:
    path = csv_dir / "initiatives.csv"
    _rewrite(path, _rows(path), encoding="utf-16-le")
    (problem,) = _problems(csv_dir)
    assert "UTF-16" in problem.message_en


# -- headers -------------------------------------------------------------------------


def test_wrong_headers(csv_dir: Path) -> None:
    path = csv_dir / "sites.csv"
    rows = _rows(path)
    rows[0][0] = "Mã số điểm"  # not a header of the template
    _rewrite(path, rows)
    problems = _problems(csv_dir)
    assert (problems[0].row, problems[0].column) == (1, None)
    assert "'Mã số điểm'" in problems[0].message_en
    assert any("required column 'id'" in p.message_en for p in problems)


def test_repeated_header(csv_dir: Path) -> None:
    path = csv_dir / "themes.csv"
    rows = _rows(path)
    rows[0].append(rows[0][1])
    _rewrite(path, rows)
    (problem,) = _problems(csv_dir)
    assert "repeats" in problem.message_en


def test_empty_header_row(csv_dir: Path) -> None:
    path = csv_dir / "themes.csv"
    rows = _rows(path)
    rows[0] = ["" for _ in rows[0]]
    _rewrite(path, rows)
    (problem,) = _problems(csv_dir)
    assert problem.row == 1
    assert "header" in problem.message_en


def test_a_value_beyond_the_last_header(csv_dir: Path) -> None:
    path = csv_dir / "themes.csv"
    rows = _rows(path)
    rows[1].append("stray")
    _rewrite(path, rows)
    (problem,) = _problems(csv_dir)
    assert problem.row == 2
    assert "no header" in problem.message_en


def test_english_headers_in_a_vietnamese_workbook_still_read(
    csv_dir: Path, lai_chau: Dataset
) -> None:
    path = csv_dir / "sites.csv"
    rows = _rows(path)
    rows[0] = [c.key for c in _site_columns()]
    _rewrite(path, rows)
    assert read_tabular(csv_dir) == lai_chau


def _site_columns() -> list[Column]:
    from antq_core.io.tabular._layout import TABLES

    return list(next(t for t in TABLES if t.key == "sites").columns)


# -- cells ---------------------------------------------------------------------------


def _sheet_row(workbook: Path, sheet: str, values: list[object]) -> int:
    book = openpyxl.load_workbook(workbook)
    ws = book[sheet]
    ws.append(values)
    row: int = ws.max_row
    book.save(workbook)
    return row


def test_formula_cell_is_an_error_not_evaluated(workbook: Path) -> None:
    row = _sheet_row(workbook, "Số liệu", ["tips_received", "unit:12", "2017", "=2+3", "tip"])
    (problem,) = _problems(workbook)
    assert (problem.sheet, problem.row, problem.column, problem.cell) == (
        "Số liệu",
        row,
        "Giá trị",
        f"D{row}",
    )
    assert "formula" in problem.message_en
    assert "công thức" in problem.message_vi


def test_merged_cells(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    ws = book["Mô hình"]
    ws.merge_cells("B2:C3")
    book.save(workbook)
    problems = _problems(workbook)
    merged = [p for p in problems if p.cell == "B2:C3"]
    assert merged
    assert merged[0].sheet == "Mô hình"
    assert merged[0].row == 2
    assert "merged" in merged[0].message_en


def test_dates_typed_as_text_or_serial_numbers(workbook: Path) -> None:
    text_row = _sheet_row(
        workbook, "Tổ chức quần chúng", ["org-a", "mediation_team", "Tổ A", "12", "13/07/2017"]
    )
    serial_row = _sheet_row(
        workbook, "Tổ chức quần chúng", ["org-b", "mediation_team", "Tổ B", "12", 42929]
    )
    ok_row = _sheet_row(
        workbook,
        "Tổ chức quần chúng",
        ["org-c", "mediation_team", "Tổ C", "12", dt.datetime(2017, 7, 13)],
    )
    problems = _problems(workbook)
    located = {(p.row, p.column): p for p in problems}
    assert set(located) == {(text_row, "Ngày thành lập"), (serial_row, "Ngày thành lập")}
    assert "2017-07-13" in located[text_row, "Ngày thành lập"].message_en
    assert "serial" in located[serial_row, "Ngày thành lập"].message_en
    assert ok_row not in {p.row for p in problems}


def test_a_period_that_excel_turned_into_a_date(workbook: Path) -> None:
    row = _sheet_row(
        workbook, "Số liệu", ["tips_received", "unit:12", dt.datetime(2017, 5, 1), 3, "tip"]
    )
    (problem,) = _problems(workbook)
    assert (problem.row, problem.column) == (row, "Kỳ")
    assert "Text" in problem.message_en


def test_numbers_in_the_wrong_locale(csv_dir: Path) -> None:
    path = csv_dir / "observations.csv"
    rows = _rows(path)
    rows[1:] = [
        ["tips_received", "unit:12", "2017", "1,500", "tip", "", "", "", ""],
        ["tips_received", "unit:12", "2017", "1.5", "tip", "", "", "", ""],
    ]
    _rewrite(path, rows)
    first, second = _problems(csv_dir)
    assert (first.row, first.column, second.row, second.column) == (2, "Giá trị", 3, "Giá trị")
    assert "other locale" in first.message_en
    assert "1.500" in first.message_vi
    assert "1,5" in second.message_vi or "1,5" in second.message_en


def test_english_numbers_in_the_wrong_locale(tmp_path: Path, lai_chau: Dataset) -> None:
    export_tabular(lai_chau, tmp_path / "en", "csv", lang="en")
    path = tmp_path / "en" / "observations.csv"
    rows = _rows(path)
    rows[1:] = [["tips_received", "unit:12", "2017", "1.500", "tip", "", "", "", ""]]
    _rewrite(path, rows)
    (problem,) = _problems(tmp_path / "en")
    assert "other locale" in problem.message_en


def test_duplicate_ids_across_rows(csv_dir: Path) -> None:
    path = csv_dir / "sites.csv"
    rows = _rows(path)
    rows.append(list(rows[1]))
    _rewrite(path, rows)
    (problem,) = _problems(csv_dir)
    assert (problem.row, problem.column) == (len(rows), "Mã")
    assert "first at row 2" in problem.message_en


def test_bad_cells_of_every_kind_are_all_reported(csv_dir: Path) -> None:
    path = csv_dir / "initiatives.csv"
    rows = _rows(path)
    header = rows[0]
    bad = dict.fromkeys(header, "")
    bad |= {
        "Mã": "mh-bad",
        "Tên mô hình": "Mô hình lỗi",
        "Loại mô hình": "community_reintegration",
        "Tiêu biểu": "có lẽ",
        "Bắt đầu (kỳ)": "năm ngoái",
        "Nguồn": '["unterminated',
    }
    rows.append([bad[h] for h in header])
    _rewrite(path, rows)
    problems = _problems(csv_dir)
    assert {p.column for p in problems} == {"Tiêu biểu", "Bắt đầu (kỳ)", "Nguồn"}
    assert {p.row for p in problems} == {len(rows)}


def test_bad_disaggregation_and_counts(csv_dir: Path) -> None:
    path = csv_dir / "observations.csv"
    rows = _rows(path)
    rows[1:] = [
        ["tips_received", "unit:12", "2017", "3", "tip", "", "sex", "", ""],
        ["tips_received", "unit:12", "2017", "3", "tip", "", "sex=a; sex=b", "", ""],
        ["tips_received", "unit:12", "2017", "", "tip", "", "", "", ""],
    ]
    _rewrite(path, rows)
    problems = _problems(csv_dir)
    assert [(p.row, p.column) for p in problems] == [
        (2, "Phân tổ"),
        (3, "Phân tổ"),
        (4, "Giá trị"),
    ]


def test_unknown_children_and_orphans(csv_dir: Path) -> None:
    path = csv_dir / "outcomes.csv"
    rows = _rows(path)
    rows.append(["no-such-initiative", "Kết quả", "", ""])
    _rewrite(path, rows)
    options = csv_dir / "category_options.csv"
    option_rows = _rows(options)
    option_rows.append(["no-such-category", "x", "X", "X"])
    _rewrite(options, option_rows)
    problems = _problems(csv_dir)
    assert {Path(p.file).name for p in problems} == {"outcomes.csv", "category_options.csv"}


def test_dataset_table_problems(csv_dir: Path) -> None:
    path = csv_dir / "dataset.csv"
    rows = _rows(path)
    rows.append(["colour", "blue", ""])
    rows.append(["title_vi", "again", ""])
    for row in rows:
        if row[0] == "format_version":
            row[1] = "2"
        if row[0] == "report_date":
            row[1] = "July 2017"
    _rewrite(path, rows)
    problems = _problems(csv_dir)
    messages = " | ".join(p.message_en for p in problems)
    assert "unknown field 'colour'" in messages
    assert "repeats" in messages
    assert "version 1" in messages
    assert "2017-07-13" in messages


def test_gazetteer_problems_point_at_their_rows(csv_dir: Path) -> None:
    path = csv_dir / "admin_units.csv"
    rows = _rows(path)
    rows[1][2] = "kingdom"  # not a level
    _rewrite(path, rows)
    (problem,) = _problems(csv_dir)
    assert Path(problem.file).name == "admin_units.csv"
    assert problem.row == 2


def test_more_than_a_thousand_problems_are_counted(csv_dir: Path) -> None:
    path = csv_dir / "observations.csv"
    rows = _rows(path)
    rows[1:] = [["tips_received", "unit:12", "2017Q9", "3", "tip", "", "", "", ""]] * 1250
    _rewrite(path, rows)
    with pytest.raises(TabularLoadError) as info:
        read_tabular(csv_dir)
    assert len(info.value.problems) == 1000
    assert info.value.omitted == 250
    assert "1250 problems" in str(info.value)
    assert [p.row for p in info.value.problems] == list(range(2, 1002))


def test_typed_cells_in_a_workbook(workbook: Path) -> None:
    sheet = "Tổ chức quần chúng"
    fine = _sheet_row(workbook, sheet, ["org-1", "mediation_team", "Tổ 1", 12.0, None, 25.0])
    grouped = _sheet_row(workbook, sheet, ["org-2", "mediation_team", "Tổ 2", 12, None, "1.234"])
    flag = _sheet_row(workbook, sheet, ["org-3", "mediation_team", True, "12", None, True])
    when = _sheet_row(
        workbook, sheet, ["org-4", "mediation_team", dt.datetime(2017, 1, 1), "12", None, "1,5"]
    )
    timed = _sheet_row(
        workbook, sheet, ["org-5", "mediation_team", "Tổ 5", "12", dt.datetime(2017, 1, 1, 9, 30)]
    )
    problems = _problems(workbook)
    located = {(p.row, p.column) for p in problems}
    assert located == {
        (flag, "Tên tổ chức"),
        (flag, "Số thành viên"),
        (when, "Tên tổ chức"),
        (when, "Số thành viên"),
        (timed, "Ngày thành lập"),
    }
    assert not {fine, grouped} & {p.row for p in problems}


def test_yes_no_cells(csv_dir: Path, lai_chau: Dataset) -> None:
    path = csv_dir / "sites.csv"
    rows = _rows(path)
    column = rows[0].index("Điển hình")
    answers = ["x", "yes", "TRUE", "0", "sai", "không"]
    for row, answer in zip(rows[1:], answers, strict=False):
        row[column] = answer
    _rewrite(path, rows)
    dataset = read_tabular(csv_dir)
    got = [dataset.sites[row[0]].example for row in rows[1:]]
    assert got == [True, True, True, False][: len(got)]


def test_cli_import_write_failure_and_many_problems(
    csv_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from antq_core._cli import main

    assert main(["import", str(csv_dir), "--out", str(tmp_path / "no" / "such" / "d.json")]) == 2
    assert "cannot write" in capsys.readouterr().err
    path = csv_dir / "observations.csv"
    rows = _rows(path)
    rows[1:] = [["tips_received", "unit:12", "2017Q9", "3", "tip", "", "", "", ""]] * 1005
    _rewrite(path, rows)
    assert main(["import", str(csv_dir)]) == 2
    err = capsys.readouterr().err
    assert "1005 problem(s)" in err
    assert "and 5 more not listed" in err


def test_blank_rows_are_skipped_not_reported(csv_dir: Path, lai_chau: Dataset) -> None:
    path = csv_dir / "observations.csv"
    rows = _rows(path)
    rows.insert(3, ["" for _ in rows[0]])
    rows.insert(5, [])
    _rewrite(path, rows)
    assert read_tabular(csv_dir) == lai_chau


def test_blank_rows_in_a_workbook(workbook: Path, lai_chau: Dataset) -> None:
    book = openpyxl.load_workbook(workbook)
    ws = book["Số liệu"]
    ws.insert_rows(4)
    book.save(workbook)
    assert read_tabular(workbook) == lai_chau


def test_a_stray_cell_beside_an_observation(csv_dir: Path) -> None:
    path = csv_dir / "observations.csv"
    rows = _rows(path)
    rows[2].append("stray")
    _rewrite(path, rows)
    (problem,) = _problems(csv_dir)
    assert (problem.row, problem.column) == (3, None)


def test_agreement_and_threshold_problems_point_at_their_columns(csv_dir: Path) -> None:
    sites = csv_dir / "sites.csv"
    rows = _rows(sites)
    rows[1][rows[0].index("Các bên ký quy chế")] = "Công an xã"  # one party: two are needed
    _rewrite(sites, rows)
    metrics = csv_dir / "metrics.csv"
    metric_rows = _rows(metrics)
    metric_rows[1][metric_rows[0].index("Đơn vị ngưỡng")] = "parsec"
    metric_rows[1][metric_rows[0].index("Ngưỡng")] = "5"
    _rewrite(metrics, metric_rows)
    problems = _problems(csv_dir)
    located = {(Path(p.file).name, p.row, p.column) for p in problems}
    assert ("sites.csv", 2, "Các bên ký quy chế") in located
    assert {("metrics.csv", 2, "Ngưỡng"), ("metrics.csv", 2, "Đơn vị ngưỡng")} & located


def test_a_dataset_without_a_title(csv_dir: Path) -> None:
    path = csv_dir / "dataset.csv"
    rows = [r for r in _rows(path) if r[0] != "title_vi"]
    _rewrite(path, rows)
    (problem,) = _problems(csv_dir)
    assert "title_vi" in problem.message_en
    assert "Thiếu" in problem.message_vi


# -- file names (issue 12) ---------------------------------------------------------------


def test_a_csv_extension_in_capitals_is_read(csv_dir: Path, lai_chau: Dataset) -> None:
    (csv_dir / "sites.csv").rename(csv_dir / "sites.CSV")
    assert read_tabular(csv_dir) == lai_chau


def test_one_table_in_two_files_is_reported(csv_dir: Path) -> None:
    (csv_dir / "Sites.CSV").write_bytes((csv_dir / "sites.csv").read_bytes())
    problems = _problems(csv_dir)
    assert any("appears twice" in p.message_en for p in problems)


def test_a_missing_table_file_is_reported_not_read_as_empty(csv_dir: Path) -> None:
    (csv_dir / "sites.csv").unlink()
    (problem,) = _problems(csv_dir)
    assert problem.file == str(csv_dir / "sites.csv")
    assert "'sites' is missing" in problem.message_en
