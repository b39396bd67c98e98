"""A workbook for one unit's report on one form and period, that reads back as a submission."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from antq_core._util.atomic import atomic_write
from antq_core._util.extras import require
from antq_core._values.quantity import Qualifier
from antq_core.errors import InvalidValueError
from antq_core.io.tabular._labels import (
    LISTS_HEADERS,
    LISTS_SHEET,
    QUALIFIER_LABELS,
    breakdown_label,
    pair_label,
)

if TYPE_CHECKING:
    from antq_core._dataset.dataset import Dataset
    from antq_core._entities import ReportingForm

__all__ = ["write_form_template"]

_HEADERS: Final = {
    "vi": (
        "Biểu mẫu",
        "Đối tượng",
        "Kỳ báo cáo",
        "Chỉ tiêu",
        "Tên chỉ tiêu",
        "Đơn vị tính",
        "Phân tổ",
        "Giá trị",
        "Mức chính xác",
        "Ghi chú",
    ),
    "en": (
        "Form",
        "Subject",
        "Period",
        "Metric",
        "Metric name",
        "Unit",
        "Disaggregation",
        "Value",
        "Qualifier",
        "Note",
    ),
}
_SHEET: Final = {"vi": "Báo cáo", "en": "Report"}
_GUIDE: Final = {"vi": "Hướng dẫn", "en": "Instructions"}


def _lines(
    dataset: Dataset, form: ReportingForm, lang: str
) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str, str, str]]]:
    """Each row to fill in, and each option of the form's categories.

    A row is: metric id, its name, its unit, its breakdown's label
    (``"Giới tính: Nữ"``, empty for a total). An option is: its category's
    label, its own label, the category id, the option id.
    """
    rows = []
    options: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for line in form.metrics:
        metric = dataset.metric(line.metric, referenced_from=f"form {form.id}")
        name = metric.name_vi + (" (bắt buộc)" if line.compulsory else "")
        rows.append((metric.id, name, metric.unit.code, ""))
        choices = []
        for category_id in line.categories:
            category = dataset.category(category_id, referenced_from=f"form {form.id}")
            category_name = category.name_vi if lang == "vi" else category.name_en
            found = []
            for o in category.options:
                option_name = o.name_vi if lang == "vi" else o.name_en
                options[category.id, o.id] = (category_name, option_name, category.id, o.id)
                found.append((category_name, option_name, o.name_vi))
            choices.append(found)
        for combination in itertools.product(*choices) if choices else ():
            label = breakdown_label((c, o) for c, o, _ in combination)
            short = ", ".join(n for _, _, n in combination)
            rows.append((metric.id, f"{metric.name_vi}: {short}", metric.unit.code, label))
    return rows, list(options.values())


def _lists_sheet(
    book: Any,
    lang: str,
    lines: list[tuple[str, str, str, str]],
    options: list[tuple[str, str, str, str]],
) -> tuple[str, dict[str, tuple[int, int]]]:
    """Write the drop-downs' choices, with their codes, on a sheet of their own.

    Returns its title, and per metric with breakdowns the first and last row
    of its breakdowns' block (column I).
    """
    from openpyxl.styles import Alignment, Font

    title = LISTS_SHEET[lang]
    lists = book.create_sheet(title)
    lists.append(list(LISTS_HEADERS[lang]))
    for cell in lists[1]:
        cell.font = Font(bold=True)
    for i, (qualifier, label) in enumerate(QUALIFIER_LABELS[lang].items(), start=2):
        lists.cell(i, 1, label)
        lists.cell(i, 2, qualifier.value)
    for i, option in enumerate(options, start=2):
        for j, value in enumerate(option, start=4):
            lists.cell(i, j, value)
    row = 2
    blocks: dict[str, tuple[int, int]] = {}
    for metric, _, _, label in lines:
        if label:
            lists.cell(row, 9, label)
            lists.cell(row, 10, metric)
            blocks[metric] = (blocks.get(metric, (row, row))[0], row)
            row += 1
    for column, width in zip("ABCDEFGHIJ", (20, 16, 2, 24, 40, 18, 24, 2, 50, 30), strict=True):
        lists.column_dimensions[column].width = width
    for line in lists.iter_rows():
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.number_format = "@"
    lists.page_setup.orientation = "landscape"
    lists.page_setup.fitToWidth = 1
    lists.page_setup.fitToHeight = 0
    lists.sheet_properties.pageSetUpPr.fitToPage = True
    lists.print_title_rows = "1:1"
    return str(title), blocks


def write_form_template(  # noqa: PLR0915 - one workbook, laid out step by step
    path: str | Path, dataset: Dataset, form: str, unit: str, period: str, *, lang: str = "vi"
) -> Path:
    """See :func:`antq_core.io.tabular.write_template`."""
    openpyxl = require("openpyxl", "excel")
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from antq_core._values.period import Period

    found = dataset.forms.get(form)
    if found is None:
        raise InvalidValueError("form", form, "the dataset has no such reporting form")
    if unit not in dataset.gazetteer:
        raise InvalidValueError("unit", unit, "no such unit in the dataset's gazetteer")
    wanted = Period.parse(period)
    if wanted.kind is not found.period_kind:
        reason = f"form {form} is reported by {found.period_kind.value}"
        raise InvalidValueError("period", period, reason)
    place = dataset.gazetteer.unit(unit)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _SHEET[lang]
    sheet.append(list(_HEADERS[lang]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    to_fill, options = _lines(dataset, found, lang)
    for metric, name, unit_code, breakdown in to_fill:
        sheet.append(
            [found.id, f"unit:{unit}", str(wanted), metric, name, unit_code, breakdown or None]
        )
    widths = (14, 14, 12, 30, 50, 14, 36, 14, 18, 40)
    for column, width in zip("ABCDEFGHIJ", widths, strict=True):
        sheet.column_dimensions[column].width = width
        sheet.column_dimensions[column].number_format = "@" if column != "H" else "General"
    sheet.freeze_panes = "H2"
    last = sheet.max_row
    lists, blocks = _lists_sheet(book, lang, to_fill, options)
    quoted = "'" + lists.replace("'", "''") + "'"
    qualifiers_range = f"{quoted}!$A$2:$A${1 + len(Qualifier)}"
    validation = DataValidation(type="list", formula1=qualifiers_range, allow_blank=True)
    validation.error = "Chọn một mức trong danh sách / pick one from the list"
    validation.showErrorMessage = True
    sheet.add_data_validation(validation)
    validation.add(f"I2:I{max(last, 2)}")
    # Each metric's breakdown cells choose among that metric's breakdowns.
    for metric, (first, final) in blocks.items():
        rows_of = [i for i, line in enumerate(to_fill, start=2) if line[0] == metric and line[3]]
        choice = DataValidation(
            type="list", formula1=f"{quoted}!$I${first}:$I${final}", allow_blank=True
        )
        choice.error = "Chọn một phân tổ trong danh sách / pick a breakdown from the list"
        choice.showErrorMessage = True
        sheet.add_data_validation(choice)
        for i in rows_of:
            choice.add(f"G{i}")
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"

    guide = book.create_sheet(_GUIDE[lang])
    due, closes = found.due(wanted), found.closes(wanted)
    qualifiers = "; ".join(QUALIFIER_LABELS["vi"].values())
    lines = [
        f"{found.name_vi} — {place.full_name}, kỳ {wanted}",
        f"Hạn nộp đúng hạn: {due:%d/%m/%Y}"
        + (f"; khóa nhập sau ngày {closes:%d/%m/%Y}." if closes else "."),
        "Ghi số liệu vào cột 'Giá trị' (số, hoặc chữ như 'trên 58 nghìn'); để trống dòng "
        "nào không có số liệu. Không sửa các cột Biểu mẫu, Đối tượng, Kỳ báo cáo, Chỉ tiêu, "
        "Phân tổ.",
        f"Cột 'Mức chính xác' (chọn trong danh sách): {qualifiers}; để trống là chính xác.",
        "Cột 'Phân tổ' (chọn trong danh sách của từng chỉ tiêu) đã ghi sẵn, như "
        f"'{pair_label('Giới tính', 'Nữ')}'; trang '{lists}' ghi mã của từng lựa chọn.",
        "Các chỉ tiêu ghi '(bắt buộc)' phải có số liệu.",
        "",
        f"{found.name_en} — {place.full_name}, period {wanted}. Due {due.isoformat()}"
        + (f"; entry closes after {closes.isoformat()}." if closes else "."),
        "Fill in the 'Giá trị' (value) column; leave a row blank when there is no figure; do "
        "not change the form, subject, period, metric or breakdown columns. The qualifier "
        "and breakdown cells take a choice from their drop-down lists (Vietnamese labels; "
        f"the codes are on the sheet '{lists}', and are read too).",
    ]
    guide.column_dimensions["A"].width = 110
    for line in lines:
        guide.append([line])
    guide["A1"].font = Font(bold=True)
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)
    guide.page_setup.orientation = "landscape"
    guide.page_setup.fitToWidth = 1
    guide.page_setup.fitToHeight = 0
    guide.sheet_properties.pageSetUpPr.fitToPage = True

    book.move_sheet(lists, offset=len(book.sheetnames))  # the lists last, after the guide

    target = Path(path)
    buffer = io.BytesIO()
    book.save(buffer)
    atomic_write(target, buffer.getbuffer())
    return target
