"""A form's template offers Vietnamese labels in its drop-downs; the reader takes them back."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import Dataset
from antq_core.errors import TabularLoadError
from antq_core.io.tabular import read_submission, write_template

openpyxl = pytest.importorskip("openpyxl")

VI_QUALIFIERS = {
    "chính xác": "exact",
    "trên / ít nhất": "at_least",
    "dưới / nhiều nhất": "at_most",
    "khoảng": "approximately",
}
EN_QUALIFIERS = {
    "exact": "exact",
    "at least": "at_least",
    "at most": "at_most",
    "approximately": "approximately",
}


@pytest.fixture
def two_way(ds: Dataset, monthly_form: Any) -> Dataset:
    """The monthly form, with the members broken down by organization kind and sex."""
    lines = [line.model_dump() for line in monthly_form().metrics]
    lines[3]["categories"] = ["organization_kind", "sex"]
    return ds.replace(forms=[monthly_form(metrics=lines)])


def _template(tmp_path: Path, ds: Dataset, lang: str = "vi") -> Path:
    return write_template(
        tmp_path / f"ban-giang-{lang}.xlsx",
        dataset=ds,
        form="monthly",
        unit="00101",
        period="2025-05",
        lang=lang,
    )


def _choices(book: Any, sheet: Any, cell: str) -> list[str]:
    """The values a cell's list drop-down offers, read from the range it names."""
    (validation,) = [v for v in sheet.data_validations.dataValidation if cell in v.sqref]
    assert validation.type == "list"
    where, cells = validation.formula1.rsplit("!", 1)
    source = book[where.strip("'").replace("''", "'")]
    return [c.value for (c,) in source[cells.replace("$", "")]]


def test_the_drop_downs_offer_vietnamese_labels(tmp_path: Path, two_way: Dataset) -> None:
    book = openpyxl.load_workbook(_template(tmp_path, two_way))
    assert book.sheetnames == ["Báo cáo", "Hướng dẫn", "Danh mục"]
    sheet = book["Báo cáo"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    for i in range(2, len(rows) + 2):
        assert _choices(book, sheet, f"I{i}") == list(VI_QUALIFIERS)
    broken_down = [i for i, r in enumerate(rows, start=2) if r[6] is not None]
    # Every kind of organization times the 2 sexes, each a row with its label filled in.
    kinds = two_way.category("organization_kind").options
    assert len(broken_down) == len(kinds) * 2
    labels = [rows[i - 2][6] for i in broken_down]
    assert "Loại tổ chức: Tổ bảo vệ an ninh, trật tự ở cơ sở; Giới tính: Nữ" in labels
    for i in broken_down:
        assert _choices(book, sheet, f"G{i}") == labels
    # No code among the choices: the codes are beside them on the lists sheet.
    assert not any("=" in label or "_" in label for label in labels)
    lists = book["Danh mục"]
    pairs = {(r[3], r[4]): (r[5], r[6]) for r in lists.iter_rows(min_row=2, values_only=True)}
    assert pairs[("Giới tính", "Nữ")] == ("sex", "female")


def test_every_sheet_prints_cleanly(tmp_path: Path, two_way: Dataset) -> None:
    book = openpyxl.load_workbook(_template(tmp_path, two_way))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.fitToWidth == 1, sheet.title
        assert sheet.page_setup.fitToHeight == 0, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        wrapped = [c.alignment.wrap_text for row in sheet.iter_rows(min_row=2) for c in row]
        assert wrapped, sheet.title
        assert all(wrapped), sheet.title
    assert book["Báo cáo"].print_title_rows == "$1:$1"
    assert book["Danh mục"].print_title_rows == "$1:$1"
    guide = [c.value for (c,) in book["Hướng dẫn"].iter_rows()]
    assert any("chính xác; trên / ít nhất; dưới / nhiều nhất; khoảng" in str(g) for g in guide)


def test_labels_read_back_to_codes(tmp_path: Path, two_way: Dataset, on: Any) -> None:
    target = _template(tmp_path, two_way)
    book = openpyxl.load_workbook(target)
    sheet = book["Báo cáo"]
    sheet["H2"], sheet["I2"] = 7, "trên / ít nhất"
    sheet["H3"], sheet["I3"] = 4, "khoảng"
    sheet["H6"] = 12  # the first breakdown row, its label as the template wrote it
    sheet["H7"], sheet["G7"] = 3, "Loại tổ chức: Tổ hòa giải; Giới tính: Nữ"  # chosen anew
    book.save(target)
    for dataset in (None, two_way):  # the workbook's own lists, or the dataset's categories
        filled = read_submission(target, dataset=dataset)
        got = [
            (i.metric, i.value, i.qualifier.value, dict(i.disaggregation)) for i in filled.items
        ]
        assert got == [
            ("tips_received", 7, "at_least", {}),
            ("mediation_cases", 4, "approximately", {}),
            (
                "mass_organization_members",
                12,
                "exact",
                {"organization_kind": "people_security_team", "sex": "male"},
            ),
            (
                "mass_organization_members",
                3,
                "exact",
                {"organization_kind": "mediation_team", "sex": "female"},
            ),
        ]
    new, summary = two_way.apply(filled, now=on(2))
    assert (summary.imported, summary.conflicts) == (4, ())
    assert len(new.observations) == 4


def test_codes_and_nfd_labels_are_read_too(tmp_path: Path, two_way: Dataset) -> None:
    target = _template(tmp_path, two_way)
    book = openpyxl.load_workbook(target)
    sheet = book["Báo cáo"]
    sheet["H2"], sheet["I2"] = 7, "at_most"
    sheet["H3"], sheet["I3"] = 4, unicodedata.normalize("NFD", " khoảng ")
    sheet["H6"], sheet["G6"] = 12, "organization_kind=mediation_team, sex=female"
    sheet["H7"] = 3
    sheet["G7"] = unicodedata.normalize("NFD", "Loại tổ chức: Tổ hòa giải; Giới tính: Nữ")
    book.save(target)
    items = read_submission(target).items
    assert [i.qualifier.value for i in items] == ["at_most", "approximately", "exact", "exact"]
    assert dict(items[2].disaggregation) == dict(items[3].disaggregation)


@pytest.mark.parametrize(
    ("cell", "text", "field"),
    [
        ("I3", "Khoảng", "qualifier"),  # exactly: not another case
        ("I3", "xấp xỉ", "qualifier"),
        ("G6", "Giới tính: Nữ; Loại tổ chức: Tổ dân phố", "disaggregation"),
        ("G6", "Giới tính: nữ", "disaggregation"),
    ],
)
def test_an_unknown_label_is_a_located_problem(
    tmp_path: Path, two_way: Dataset, cell: str, text: str, field: str
) -> None:
    target = _template(tmp_path, two_way)
    book = openpyxl.load_workbook(target)
    sheet = book["Báo cáo"]
    sheet["H3"], sheet["H6"] = 4, 12
    sheet[cell] = text
    book.save(target)
    with pytest.raises(TabularLoadError) as raised:
        read_submission(target, dataset=two_way)
    (problem,) = raised.value.problems
    where = problem.location
    assert (where.sheet, where.row, where.cell, where.field) == (
        "Báo cáo",
        int(cell[1:]),
        cell,
        field,
    )
    assert problem.input is not None
    assert text in problem.input
    assert "drop-down" in problem.message_en
    assert "danh sách" in problem.message_vi


def test_an_english_template_offers_english_labels(tmp_path: Path, two_way: Dataset) -> None:
    target = _template(tmp_path, two_way, lang="en")
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["Report", "Instructions", "Lists"]
    sheet = book["Report"]
    assert _choices(book, sheet, "I2") == list(EN_QUALIFIERS)
    kind, sex = two_way.category("organization_kind"), two_way.category("sex")
    assert sheet["G6"].value == (
        f"{kind.name_en}: {kind.options[0].name_en}; {sex.name_en}: {sex.options[0].name_en}"
    )
    sheet["H6"], sheet["I6"] = 5, "at least"
    book.save(target)
    (item,) = read_submission(target).items
    assert item.qualifier.value == "at_least"
    assert set(item.disaggregation) == {"organization_kind", "sex"}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_choice_reads_back_to_its_code(
    tmp_path_factory: pytest.TempPathFactory, two_way: Dataset, data: st.DataObject
) -> None:
    """Law: whatever label (or code) is chosen in a row, the row reads back to its codes."""
    target = _template(tmp_path_factory.mktemp("labels"), two_way)
    book = openpyxl.load_workbook(target)
    sheet = book["Báo cáo"]
    lists = book["Danh mục"]
    pairs = {
        f"{r[3]}: {r[4]}": (r[5], r[6])
        for r in lists.iter_rows(min_row=2, values_only=True)
        if r[3]
    }
    breakdowns = [r[6] for r in sheet.iter_rows(min_row=2, values_only=True) if r[6]]
    rows = sheet.max_row
    expected = []
    for i in range(2, rows + 1):
        if not data.draw(st.booleans(), label=f"fill row {i}"):
            continue
        value = data.draw(st.integers(min_value=0, max_value=10**6))
        word, code = data.draw(
            st.sampled_from([*VI_QUALIFIERS.items(), *((c, c) for c in VI_QUALIFIERS.values())])
        )
        sheet[f"H{i}"], sheet[f"I{i}"] = value, word
        breakdown: dict[str, str] = {}
        if sheet[f"G{i}"].value is not None:
            label = data.draw(st.sampled_from(breakdowns))
            sheet[f"G{i}"] = label
            breakdown = dict(pairs[part] for part in label.split("; "))
        expected.append((i, value, code, breakdown))
    buffer = io.BytesIO()
    book.save(buffer)
    items = read_submission(buffer.getvalue()).items
    got = [(i.row, i.value, i.qualifier.value, dict(i.disaggregation)) for i in items]
    assert got == expected
