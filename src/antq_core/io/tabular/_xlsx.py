"""Writing Excel workbooks (``.xlsx``) through openpyxl, the ``[excel]`` extra.

openpyxl is imported only here, when a workbook is written; reading is
:mod:`._xlsx_read`'s, which trusts nothing in the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import warnings
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from antq_core._util.atomic import atomic_write
from antq_core._util.extras import require
from antq_core._values.quantity import Unit
from antq_core.errors import ExportError, Location, Problem, TabularNotice, safe_repr
from antq_core.io.tabular._cells import escape, join_list, write_bool, write_number
from antq_core.io.tabular._layout import CHOICES, TABLES, Column, Kind, Table
from antq_core.io.tabular._rows import columns_of, observation_columns, table_rows
from antq_core.io.tabular._xlsx_read import INSTRUCTIONS, LISTS

if TYPE_CHECKING:
    from antq_core._dataset.dataset import Dataset

__all__ = ["write_template_workbook", "write_workbook"]

INTEGER_FORMAT: Final = "#,##0"
"""Thousands grouped; Excel shows 4.810 on a Vietnamese system, 4,810 on an English one."""
DECIMAL_FORMAT: Final = "#,##0.0##########"
DATE_FORMAT: Final = "dd/mm/yyyy"
MAX_EXACT_FLOAT: Final = 2**53
EXCEL_DIGITS: Final = 15
"""Significant digits Excel keeps of a number (it rounds what it reads to 15)."""


def _openpyxl() -> Any:
    return require("openpyxl", "excel")


_OOXML_ESCAPE: Final = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def ooxml_text(text: str) -> str:
    """Text as a workbook stores it: a carriage return as ``_x000D_``, as Excel writes it.

    XML turns a bare carriage return into a line feed, so Excel (and this
    module) write it as the escape ``_x000D_``, and a literal ``_x000D_``
    in the text as ``_x005F_x000D_``.
    """
    if "_x" in text:
        text = _OOXML_ESCAPE.sub(r"_x005F_\1", text)
    return text.replace("\r", "_x000D_")


_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters XML 1.0 cannot hold, which openpyxl refuses."""


class _IllegalText(Exception):  # noqa: N818 - internal signal, re-raised as ExportError
    """A text a workbook cannot store; caught by :func:`write_workbook`."""


def _significant_digits(value: int | Decimal) -> int:
    digits = str(abs(value)) if isinstance(value, int) else format(abs(value), "f")
    return len(digits.replace(".", "").strip("0"))


def _exact_float(value: int | Decimal) -> float | None:
    """``value`` as a float when the float, and Excel, hold exactly that number, else ``None``.

    Excel keeps 15 significant digits of a number and rounds the rest away on
    reading, so a number needing more (``0.30000000000000004``,
    ``9007199254740991``) is not written as a number.
    """
    if _significant_digits(value) > EXCEL_DIGITS:
        return None
    if isinstance(value, int):
        return float(value) if abs(value) < MAX_EXACT_FLOAT else None
    if value == value.to_integral_value():
        return None  # a whole decimal (5.0) keeps its form as text
    f = float(value)
    return f if repr(f) == format(value, "f") else None


class _Cells:
    """Builds write-only cells with the right type and number format."""

    def __init__(self, ws: Any, lang: str) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        self.ws = ws
        self.lang = lang
        self.make = WriteOnlyCell
        self.bold = Font(bold=True)
        self.row = 1  # the row being built (1: the header)
        # Numbers written as text to keep every digit: column key -> (count, first row).
        self.as_text: dict[str, tuple[int, int]] = {}

    def header(self, columns: tuple[Column, ...]) -> list[Any]:
        cells = []
        for column in columns:
            cell = self.make(self.ws, value=column.header(self.lang))
            cell.font = self.bold
            cells.append(cell)
        return cells

    def cell(self, column: Column, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            return write_bool(value, self.lang)
        if isinstance(value, dt.date):
            cell = self.make(self.ws, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if isinstance(value, int | Decimal):
            number = _exact_float(value)
            if number is None:
                whole_decimal = isinstance(value, Decimal) and value == value.to_integral_value()
                if not whole_decimal or _significant_digits(value) > EXCEL_DIGITS:
                    count, first = self.as_text.get(column.key, (0, self.row))
                    self.as_text[column.key] = (count + 1, first)
                return write_number(value, self.lang)  # text the reader parses back exactly
            cell = self.make(self.ws, value=value if isinstance(value, int) else number)
            cell.number_format = INTEGER_FORMAT if isinstance(value, int) else DECIMAL_FORMAT
            return cell
        text = join_list(value) if column.kind is Kind.LIST else str(value)
        bad = _ILLEGAL.search(text)
        if bad is not None:
            # A personal value is never quoted, not even to say what is wrong with it.
            shown = "(not shown: personal data)" if column.sensitive else safe_repr(text, 40)
            reason = (
                f"column {column.key!r}: the text {shown} holds the control "
                f"character {bad.group()!r}, which a workbook cannot store"
            )
            raise _IllegalText(reason)
        return ooxml_text(escape(text))


def _sheet_title(table: Table, lang: str) -> str:
    return table.name(lang)


def write_workbook(dataset: Dataset, path: Path, *, lang: str, include_sensitive: bool) -> None:
    """Write the dataset as one workbook: one sheet per table."""
    openpyxl = _openpyxl()
    workbook = openpyxl.Workbook(write_only=True)
    notices: list[TabularNotice] = []
    for table in TABLES:
        columns = columns_of(table, include_sensitive=include_sensitive)
        ws = workbook.create_sheet(_sheet_title(table, lang))
        _widths(ws, columns)
        ws.freeze_panes = "A2"
        cells = _Cells(ws, lang)
        ws.append(cells.header(columns))
        try:
            if table.key == "observations":
                data = observation_columns(dataset)
                rows: Any = zip(*[data[c.key] for c in columns], strict=True)
            else:
                rows = table_rows(dataset, table, columns, lang)
            for row in rows:
                cells.row += 1
                ws.append([cells.cell(c, v) for c, v in zip(columns, row, strict=True)])
        except _IllegalText as e:
            _close_sheets(workbook)
            raise ExportError(str(path), f"sheet {ws.title!r}, {e}") from None
        notices += _as_text_notices(path, ws.title, columns, cells, lang)
    try:
        _save(workbook, path)
    finally:
        _close_sheets(workbook)
    for notice in notices:  # once the workbook is written
        warnings.warn(notice, stacklevel=4)


def _as_text_notices(
    path: Path, title: str, columns: tuple[Column, ...], cells: _Cells, lang: str
) -> list[TabularNotice]:
    """A notice for each column where numbers were written as text to keep their digits."""
    from openpyxl.utils import get_column_letter

    found = []
    for i, column in enumerate(columns, start=1):
        if column.key not in cells.as_text:
            continue
        count, first = cells.as_text[column.key]
        where = Location(
            file=str(path),
            sheet=title,
            field=column.header(lang),
            cell=f"{get_column_letter(i)}{first}",
        )
        en = (
            f"{count} number(s) need more than {EXCEL_DIGITS} significant digits, which Excel "
            "would round away: written as text with every digit (antq import reads them back "
            "exactly; Excel shows them as text)"
        )
        vi = (
            f"{count} số cần hơn {EXCEL_DIGITS} chữ số có nghĩa, Excel sẽ làm tròn: đã ghi dạng "
            "chữ, đủ mọi chữ số (antq import đọc lại chính xác; Excel hiển thị dạng chữ)"
        )
        found.append(TabularNotice(Problem(where, en, vi)))
    return found


def _save(workbook: Any, path: Path) -> None:
    """Save ``workbook`` over ``path`` atomically.

    The zip is built in memory first: a zipfile whose file fails under it
    tries again to write when it is collected, and prints a traceback.
    """
    buffer = io.BytesIO()
    workbook.save(buffer)
    atomic_write(path, buffer.getbuffer())


def _close_sheets(workbook: Any) -> None:
    """Finish every sheet writer a failed save left open, quietly.

    A write-only sheet streams its rows through a generator; left open, it
    prints "Exception ignored" tracebacks when the interpreter collects it.
    """
    for ws in workbook.worksheets:
        if not ws.closed:
            with contextlib.suppress(Exception):
                ws.close()


def _widths(ws: Any, columns: tuple[Column, ...]) -> None:
    from openpyxl.utils import get_column_letter

    for i, column in enumerate(columns, start=1):
        wide = column.kind in (Kind.TEXT, Kind.LIST) and column.key not in ("id", "unit")
        ws.column_dimensions[get_column_letter(i)].width = 28 if wide else 16


# -- the template --------------------------------------------------------------------

_INSTRUCTIONS_VI: Final = (
    "Mẫu nhập số liệu phong trào toàn dân bảo vệ an ninh Tổ quốc (antq_core)",
    "",
    "1. Mỗi trang tính là một bảng; dòng 1 là tiêu đề cột, không sửa, không gộp ô.",
    "2. Bảng 'Bộ dữ liệu' cần ít nhất: title_vi (tiêu đề) và gazetteer_version (phiên bản danh "
    "mục hành chính).",
    "3. Cột 'Giá trị' của bảng 'Số liệu' nhận số hoặc chữ số kiểu Việt Nam: 4.810 (bốn nghìn "
    "tám trăm mười), "
    "5,8 (năm phẩy tám), 'trên 58 nghìn', 'khoảng 1,2 ha', 'hàng nghìn'.",
    "   Chữ 'trên', 'hơn', 'gần', 'khoảng' ghi mức độ chính xác; nếu cột 'Mức độ chính xác' "
    "cũng được điền "
    "thì hai nơi phải khớp nhau.",
    "4. Kỳ báo cáo viết dạng chữ: 2017, 2017Q3, 2017-05, 2017-07-13, 2016/2017 (niên vụ), "
    "2016-01-01/2017-07-13 (từ ngày đến ngày). Cột kỳ đã định dạng Text để Excel không tự đổi "
    "sang ngày.",
    "5. Ngày (ngày thành lập, ngày đăng...) nhập ô ngày tháng hoặc chữ dạng 2017-07-13.",
    "6. Danh sách nhiều mục (mã đơn vị, vai trò, nguồn) cách nhau bằng dấu chấm phẩy: 12; 105; "
    "03388.",
    "7. Phân tổ viết mã_phân_tổ=mã_lựa_chọn, ví dụ: capital_source=family; sex=female.",
    "8. Các cột có danh sách chọn (loại tổ chức, loại mô hình, đơn vị tính, mức độ chính xác) "
    "chỉ nhận các mã trong danh sách.",
    "9. Không nhập công thức: ô có công thức bị báo lỗi, không được tính.",
    "10. Lỗi được báo theo tệp, trang, dòng và cột, bằng tiếng Việt và tiếng Anh; một dòng lỗi "
    "không bị bỏ qua.",
)
_INSTRUCTIONS_EN: Final = (
    "Data entry template of the all-people movement to protect national security (antq_core)",
    "",
    "1. Each sheet is one table; row 1 holds the column headers: do not change them or merge "
    "cells.",
    "2. The 'dataset' table needs at least title_vi and gazetteer_version.",
    "3. Value cells of the observations take numbers, or Vietnamese quantity text in a Vietnamese "
    "workbook: 4.810 (four thousand eight hundred and ten), 5,8 (five point eight), "
    "'trên 58 nghìn' (more than 58 thousand), 'khoảng 1,2 ha', 'hàng nghìn' (thousands).",
    "   Words such as 'trên', 'gần', 'khoảng' set the qualifier; if the qualifier column is "
    "filled "
    "too, the two must agree.",
    "4. Periods are text: 2017, 2017Q3, 2017-05, 2017-07-13, 2016/2017 (crop season), "
    "2016-01-01/2017-07-13 (a date range). Period columns are formatted as Text so Excel does not "
    "turn them into dates.",
    "5. Dates (founded, published...) take a date cell or text like 2017-07-13.",
    "6. Lists (unit codes, roles, sources) are separated by semicolons: 12; 105; 03388.",
    "7. A disaggregation is category=option, e.g. capital_source=family; sex=female.",
    "8. Columns with a drop-down list (organization kind, theme, unit, qualifier) take only its "
    "codes.",
    "9. Do not enter formulas: a formula cell is reported as an error, never evaluated.",
    "10. Problems are reported by file, sheet, row and column, in Vietnamese and English; "
    "no bad row is skipped silently.",
)


def write_template_workbook(path: Path, *, lang: str, themes: tuple[str, ...]) -> None:
    """An empty workbook to fill in: headers, drop-down lists, and instructions."""
    openpyxl = _openpyxl()
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    guide = workbook.active
    guide.title = INSTRUCTIONS[0] if lang == "vi" else INSTRUCTIONS[1]
    guide.column_dimensions["A"].width = 120
    first, second = (
        (_INSTRUCTIONS_VI, _INSTRUCTIONS_EN)
        if lang == "vi"
        else (_INSTRUCTIONS_EN, _INSTRUCTIONS_VI)
    )
    for line in (*first, "", *second):
        guide.append([line])
    guide["A1"].font = Font(bold=True)
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)

    lists = workbook.create_sheet(LISTS)
    choices = {
        **CHOICES,
        "theme": themes,
        "unit": tuple(sorted(Unit.all())),
    }
    choices["yes_no"] = CHOICES["yes_no_vi"] if lang == "vi" else CHOICES["yes_no_en"]
    ranges = {}
    for i, (name, codes) in enumerate(choices.items(), start=1):
        letter = get_column_letter(i)
        lists.cell(row=1, column=i, value=name)
        for j, code in enumerate(codes, start=2):
            lists.cell(row=j, column=i, value=code)
        ranges[name] = f"'{LISTS}'!${letter}$2:${letter}${len(codes) + 1}"
    lists.sheet_state = "hidden"

    for table in TABLES:
        columns = columns_of(table, include_sensitive=True)
        ws = workbook.create_sheet(_sheet_title(table, lang))
        ws.append([c.header(lang) for c in columns])
        ws.freeze_panes = "A2"
        for i, column in enumerate(columns, start=1):
            letter = get_column_letter(i)
            ws.cell(row=1, column=i).font = Font(bold=True)
            dimension = ws.column_dimensions[letter]
            dimension.width = 24
            if column.kind not in (Kind.INT, Kind.VALUE, Kind.DATE):
                dimension.number_format = "@"  # text: Excel must not turn 2017-05 into a date
            choice = "yes_no" if column.kind is Kind.BOOL else column.choices
            if choice is not None:
                validation = DataValidation(type="list", formula1=ranges[choice], allow_blank=True)
                validation.error = "Chọn một mã trong danh sách / pick a code from the list"
                validation.showErrorMessage = True
                ws.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}100000")
        if table.key == "dataset":
            meaning = 0 if lang == "vi" else 1
            from antq_core.io.tabular._layout import DATASET_FIELDS

            for key, labels in DATASET_FIELDS.items():
                value: Any = None
                if key == "format":
                    value = "antq-dataset"
                elif key == "format_version":
                    value = 1
                ws.append([key, value, labels[meaning]])
    _save(workbook, path)
