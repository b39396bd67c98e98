"""A workbook for one unit's report on one form and period, that reads back as a submission."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Final

from antq_core._util.atomic import atomic_write
from antq_core._util.extras import require
from antq_core._values.quantity import Qualifier
from antq_core.errors import InvalidValueError

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
_QUALIFIERS_VI: Final = {
    Qualifier.EXACT: "chính xác",
    Qualifier.AT_LEAST: "trên / ít nhất",
    Qualifier.AT_MOST: "dưới / nhiều nhất",
    Qualifier.APPROXIMATELY: "khoảng",
}


def _lines(dataset: Dataset, form: ReportingForm) -> list[tuple[str, str, str, str]]:
    """Each row to fill in: metric id, its name, its unit, the breakdown (``sex=female``)."""
    rows = []
    for line in form.metrics:
        metric = dataset.metric(line.metric, referenced_from=f"form {form.id}")
        name = metric.name_vi + (" (bắt buộc)" if line.compulsory else "")
        rows.append((metric.id, name, metric.unit.code, ""))
        options = []
        for category_id in line.categories:
            category = dataset.category(category_id, referenced_from=f"form {form.id}")
            options.append([(category.id, o.id, o.name_vi) for o in category.options])
        for combination in itertools.product(*options) if options else ():
            breakdown = ", ".join(f"{c}={o}" for c, o, _ in combination)
            label = ", ".join(n for _, _, n in combination)
            rows.append((metric.id, f"{metric.name_vi}: {label}", metric.unit.code, breakdown))
    return rows


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
    for metric, name, unit_code, breakdown in _lines(dataset, found):
        sheet.append(
            [found.id, f"unit:{unit}", str(wanted), metric, name, unit_code, breakdown or None]
        )
    widths = (14, 14, 12, 30, 50, 14, 24, 14, 16, 40)
    for column, width in zip("ABCDEFGHIJ", widths, strict=True):
        sheet.column_dimensions[column].width = width
        sheet.column_dimensions[column].number_format = "@" if column != "H" else "General"
    sheet.freeze_panes = "H2"
    last = sheet.max_row
    choices = ",".join(q.value for q in Qualifier)
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
    validation.error = "Chọn một mức trong danh sách / pick one from the list"
    validation.showErrorMessage = True
    sheet.add_data_validation(validation)
    validation.add(f"I2:I{max(last, 2)}")
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
    qualifiers = "; ".join(f"{q.value}: {label}" for q, label in _QUALIFIERS_VI.items())
    lines = [
        f"{found.name_vi} — {place.full_name}, kỳ {wanted}",
        f"Hạn nộp đúng hạn: {due:%d/%m/%Y}"
        + (f"; khóa nhập sau ngày {closes:%d/%m/%Y}." if closes else "."),
        "Ghi số liệu vào cột 'Giá trị' (số, hoặc chữ như 'trên 58 nghìn'); để trống dòng "
        "nào không có số liệu. Không sửa các cột Biểu mẫu, Đối tượng, Kỳ báo cáo, Chỉ tiêu, "
        "Phân tổ.",
        f"Cột 'Mức chính xác' (chọn trong danh sách): {qualifiers}.",
        "Các chỉ tiêu ghi '(bắt buộc)' phải có số liệu.",
        "",
        f"{found.name_en} — {place.full_name}, period {wanted}. Due {due.isoformat()}"
        + (f"; entry closes after {closes.isoformat()}." if closes else "."),
        "Fill in the 'Giá trị' (value) column; leave a row blank when there is no figure; do "
        "not change the form, subject, period, metric or breakdown columns.",
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

    target = Path(path)
    buffer = io.BytesIO()
    book.save(buffer)
    atomic_write(target, buffer.getbuffer())
    return target
