"""The Excel reader trusts nothing in the file (issue 12): each crafted workbook of
``tests/corpus/xlsx`` (built by its ``make_corpus.py``) is read whole or gives
located problems, never a traceback, never a silent change.
"""

from __future__ import annotations

import io
import json
import time
import warnings
import zipfile
from pathlib import Path

import pytest

import antq_core
from antq_core import Dataset
from antq_core._cli import main
from antq_core._values.quantity import parse_value
from antq_core.errors import Problem, TabularLoadError, TabularNotice
from antq_core.io.tabular import _xlsx_read, export_tabular, read_tabular
from antq_core.io.tabular._cells import BadCell

CORPUS = Path(__file__).parent.parent / "corpus" / "xlsx"


def _problems(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(TabularLoadError) as info:
        read_tabular(path)
    assert info.value.problems
    for problem in info.value.problems:
        assert problem.message_vi
        assert problem.message_en
        assert problem.location.file == str(path)
    return info.value.problems


def test_every_case_has_its_workbook_and_each_is_small() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files = {p.stem for p in CORPUS.glob("*.xlsx")}
    assert files == set(module.CASES)
    assert all(p.stat().st_size < 30_000 for p in CORPUS.glob("*.xlsx"))


# -- read whole, whatever the file declares --------------------------------------------


def test_a_dimension_too_small_does_not_hide_rows(lai_chau: Dataset) -> None:
    dataset = read_tabular(CORPUS / "dimension_too_small.xlsx")
    assert len(dataset.observations) == 14
    assert dataset == lai_chau


def test_hidden_sheets_and_rows_are_imported_with_a_notice(lai_chau: Dataset) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = read_tabular(CORPUS / "hidden_sheet_and_row.xlsx")
    assert dataset == lai_chau
    notices = [w.message for w in caught if isinstance(w.message, TabularNotice)]
    assert len(notices) == len(caught) == 2
    hidden_sheet, hidden_rows = sorted(notices, key=lambda n: n.problem.location.row or 0)
    assert hidden_sheet.problem.location.sheet == "sites"
    assert "hidden" in hidden_sheet.problem.message_en
    assert (hidden_rows.problem.location.sheet, hidden_rows.problem.location.row) == (
        "observations",
        3,
    )


def test_cli_import_prints_the_notices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.json"
    assert (
        main(
            [
                "import",
                str(CORPUS / "hidden_sheet_and_row.xlsx"),
                "--out",
                str(out),
                "--include-sensitive",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert err.count("antq: notice:") == 2
    assert "Traceback" not in err
    assert isinstance(Dataset.load(out), Dataset)


# -- one bad cell: one problem, at the cell ------------------------------------------------

BAD_CELLS = {
    "number_1e400": ("beyond what a number cell can hold", "'1e400'"),
    "number_text": ("holds no number", "'abc'"),
    "number_5000_digits": ("more digits than a number cell keeps", "'999"),
    "bool_x": ("TRUE/FALSE cell that holds neither", "'x'"),
    "date_2017_02_30": ("no real date", "'2017-02-30'"),
    "error_value": ("error value", "'#N/A'"),
    "array_formula": ("formula", "'=SUM(D3:D4*2)'"),
    "shared_string_out_of_range": ("shared string the workbook does not hold", "'99'"),
    "shared_string_minus_one": ("shared string the workbook does not hold", "'-1'"),
    "date_serial_60": ("29 February 1900", "'60'"),
    "date_serial_negative": ("negative", "'-5'"),
    "date_serial_zero": ("zero", "'0'"),
}


@pytest.mark.parametrize("case", sorted(BAD_CELLS))
def test_a_crafted_cell_is_one_located_problem(case: str) -> None:
    words, shown = BAD_CELLS[case]
    (problem,) = _problems(CORPUS / f"{case}.xlsx")
    assert (
        problem.location.sheet,
        problem.location.row,
        problem.location.field,
        problem.location.cell,
    ) == (
        "observations",
        2,
        "value",
        "D2",
    )
    assert words in problem.message_en
    assert problem.input is not None
    assert problem.input.startswith(shown)


# -- a broken part: a problem of its sheet -------------------------------------------------

BROKEN = {
    "truncated_sheet": ("observations", "damaged after row"),
    "declared_sheet_missing": ("observations", "declares this sheet but does not hold it"),
    "doctype_entities": ("observations", "DTD"),
    "sheet_not_declared": (None, "'participants' is missing"),
    "shared_strings_declared_too_many": (None, "more than 2,000,000 shared strings"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_part_is_a_problem_of_its_sheet(case: str) -> None:
    sheet, words = BROKEN[case]
    (problem,) = _problems(CORPUS / f"{case}.xlsx")
    assert problem.location.sheet == sheet
    assert words in problem.message_en


@pytest.mark.parametrize("case", sorted([*BAD_CELLS, *BROKEN]))
def test_cli_import_exits_2_without_a_traceback(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d.json"
    out.write_text("old")
    assert main(["import", str(CORPUS / f"{case}.xlsx"), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert ": 1 problem\n" in captured.err
    assert captured.out == ""
    assert out.read_text() == "old"


# -- limits, checked before the work -------------------------------------------------------


@pytest.fixture
def book(tmp_path: Path, lai_chau: Dataset) -> Path:
    path = tmp_path / "book.xlsx"
    export_tabular(lai_chau, path, "xlsx", lang="en")
    return path


def test_a_part_too_large_is_refused_before_it_is_parsed(
    book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Above the category options sheet (about 5.8 kB with the grade and recognition
    # options), below the four larger sheets.
    monkeypatch.setattr(_xlsx_read, "MAX_PART_BYTES", 6000)
    problems = _problems(book)
    assert {p.location.sheet for p in problems} == {
        "admin_units",
        "metrics",
        "initiatives",
        "observations",
    }
    assert all("too large once decompressed" in p.message_en for p in problems)


def test_too_many_cells(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_xlsx_read, "MAX_CELLS", 100)
    problems = _problems(book)
    assert any("more than 100 cells" in p.message_en for p in problems)
    assert all(p.location.sheet is not None for p in problems)


def test_too_many_shared_strings_counted_not_declared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _with_strings(CORPUS / "shared_string_out_of_range.xlsx", tmp_path, 10_000_000)
    assert path.stat().st_size < 400_000  # 130 MB of XML once decompressed
    monkeypatch.setattr(_xlsx_read, "MAX_SHARED_STRINGS", 20_000)
    start = time.perf_counter()
    (problem,) = _problems(path)
    assert time.perf_counter() - start < 5
    assert "more than 20,000 shared strings" in problem.message_en


def test_a_whitespace_bomb_is_refused_at_once(tmp_path: Path) -> None:
    source = CORPUS / "dimension_too_small.xlsx"
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as bomb:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/worksheets/sheet14.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (300 << 20))
            bomb.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1 << 20
    start = time.perf_counter()
    (problem,) = _problems(path)
    assert time.perf_counter() - start < 5
    assert problem.location.sheet == "observations"
    assert "too large once decompressed" in problem.message_en


def _with_strings(source: Path, tmp_path: Path, count: int) -> Path:
    """``source`` with ``count`` empty shared strings, and no count declared."""
    sst = io.BytesIO()
    sst.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    sst.write(b"<si><t/></si>" * count)
    sst.write(b"</sst>")
    path = tmp_path / "strings.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as out:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = sst.getvalue()
            out.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
    return path


def test_the_cell_type_rules() -> None:
    value = _xlsx_read._number
    assert value("32") == 32
    assert value("-7") == -7
    assert value("5.8") == 5.8
    assert value("1E3") == 1000.0
    serial = _xlsx_read._serial_date
    assert serial(42929, False).date().isoformat() == "2017-07-13"  # type: ignore[union-attr]
    assert serial(59, False).date().isoformat() == "1900-02-28"  # type: ignore[union-attr]
    assert serial(61, False).date().isoformat() == "1900-03-01"  # type: ignore[union-attr]
    assert serial(0, True).date().isoformat() == "1904-01-01"  # type: ignore[union-attr]
    assert isinstance(serial(2_958_466, False), BadCell)
    assert _xlsx_read.is_date_format("dd/mm/yyyy")
    assert _xlsx_read.is_date_format("[h]:mm")
    assert not _xlsx_read.is_date_format('#,##0" ngày"')
    assert not _xlsx_read.is_date_format("General")
    assert _xlsx_read.column_letters(0) == "A"
    assert _xlsx_read.column_letters(26) == "AA"
    assert _xlsx_read.column_letters(16_383) == "XFD"


# -- odd structures, crafted in the test -----------------------------------------------

SHEET = "xl/worksheets/sheet14.xml"
FIRST = b'<c r="D2" s="2" t="n"><v>32</v></c>'


def _edited(tmp_path: Path, member: str, old: bytes, new: bytes) -> Path:
    path = tmp_path / "edited.xlsx"
    with (
        zipfile.ZipFile(CORPUS / "dimension_too_small.xlsx") as original,
        zipfile.ZipFile(path, "w") as out,
    ):
        for info in original.infolist():
            data = original.read(info)
            if info.filename == member:
                assert old in data
                data = data.replace(old, new, 1)
            out.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
    return path


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (b'<row r="3">', b'<row r="2">', "comes again or out of order"),
        (b'<row r="3">', b'<row r="x">', "row number"),
        (FIRST, b'<c r="D9"><v>32</v></c>', "out of its row"),
        (FIRST, b'<c r="A2"><v>32</v></c>', "comes twice"),
        (FIRST, b'<c r="XFE2"><v>32</v></c>', "beyond the last"),
        (FIRST, b'<c r="D2" t="zz"><v>32</v></c>', "unknown type"),
        (FIRST, b'<c r="D2" t="str"><v>abc</v></c>', "cannot read the value"),
        (FIRST, b'<c r="D2" t="d"><v>2017-07-13T10:00:00Z</v></c>', "holds a date"),
        (FIRST, b'<c r="D2" t="inlineStr"><is><t>' + b"x" * 40_000 + b"</t></is></c>", "32,767"),
    ],
)
def test_odd_structures_are_located(tmp_path: Path, old: bytes, new: bytes, words: str) -> None:
    problems = _problems(_edited(tmp_path, SHEET, old, new))
    assert any(words in p.message_en for p in problems), problems
    assert all(p.location.sheet == "observations" for p in problems)


def test_cells_without_references_and_runs_of_rich_text(tmp_path: Path, lai_chau: Dataset) -> None:
    old = b'<c r="A2" t="inlineStr"><is><t>initiatives</t></is></c>'
    new = (
        b'<c t="inlineStr"><is><r><t>initia</t></r><r><t>tives</t></r><rPh><t>x</t></rPh></is></c>'
    )
    assert read_tabular(_edited(tmp_path, SHEET, old, new)) == lai_chau


# -- numbers Excel cannot hold exactly: text with every digit, and a notice -----------------


def _many_digits_dataset(lai_chau: Dataset) -> tuple[Dataset, dict[str, str]]:
    """The sample with one observation per value of ``many_digits.json``; each value's kind."""
    spec = json.loads((CORPUS / "many_digits.json").read_text(encoding="utf-8"))
    metric = {"m2": "poppy_area_destroyed", "person": "released_prisoners_employed"}
    base = {o.metric: o for o in lai_chau.observations}
    kinds: dict[str, str] = {}
    added = []
    for unit, groups in spec.items():
        if unit == "description":
            continue
        for kind, values in groups.items():
            for n, value in enumerate(values):
                template = base[metric[unit]]
                period = f"{1990 + n + (10 if kind == 'text' else 0)}"
                added.append(
                    template.model_copy(
                        update={
                            "period": antq_core.Period.parse(period),
                            "value": parse_value(value),
                        }
                    )
                )
                kinds[str(parse_value(value))] = kind
    return lai_chau.replace(observations=[*lai_chau.observations, *added]), kinds


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_numbers_excel_cannot_hold_are_exact_text_with_a_notice(
    lai_chau: Dataset, tmp_path: Path, lang: str
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    dataset, kinds = _many_digits_dataset(lai_chau)
    path = tmp_path / "book.xlsx"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_tabular(dataset, path, "xlsx", lang=lang, include_sensitive=True)
    notices = [w.message for w in caught if isinstance(w.message, TabularNotice)]
    assert len(notices) == 1  # one column: the observations' values
    text_count = sum(kind == "text" for kind in kinds.values())
    assert f"{text_count} " in notices[0].problem.message_en
    assert notices[0].problem.location.sheet is not None
    sheet = openpyxl.load_workbook(path).worksheets[-1]
    header = [c.value for c in sheet[1]]
    column = header.index("Giá trị" if lang == "vi" else "value")
    seen = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        cell = row[column]
        if isinstance(cell, str):
            seen[cell.replace(",", ".")] = "text"
        else:
            seen[str(parse_value(cell if isinstance(cell, int) else repr(cell)))] = "number"
    for value, kind in kinds.items():
        assert seen.get(value) == kind, (value, seen.get(value))
    assert read_tabular(path) == dataset  # every digit back


def test_cli_export_prints_the_notice(
    lai_chau: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset, _ = _many_digits_dataset(lai_chau)
    source = tmp_path / "d.json"
    dataset.dump(source)
    out = tmp_path / "book.xlsx"
    assert main(["export", str(source), "--format", "xlsx", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("antq: notice:") == 1
    assert "15" in err
