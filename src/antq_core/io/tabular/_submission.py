"""A submission from one table: a CSV file or a sheet of a workbook, a figure per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

import attrs
from pydantic import ValidationError

from antq_core._entities import DisaggregationCategory, Submission
from antq_core._util.extras import require
from antq_core._util.inputs import UTF8_BOM
from antq_core._values.phrases import parse_quantity
from antq_core._values.text import nfc
from antq_core.errors import AntqError, Location, Problem, TabularLoadError, cannot_read
from antq_core.io.tabular._labels import LISTS_HEADERS, LISTS_SHEET, Vocabulary
from antq_core.io.tabular._xlsx_read import column_letters

__all__ = ["HEADERS", "Source", "read_submission_table"]

Source = str | Path | bytes | IO[bytes]
"""Where a table comes from: a path, its bytes, or a binary file object (a web upload)."""

HEADERS: Final = {
    "form": ("biểu mẫu", "form"),
    "subject": ("đối tượng", "đơn vị báo cáo", "subject", "reporting unit"),
    "period": ("kỳ báo cáo", "period"),
    "metric": ("chỉ tiêu", "mã chỉ tiêu", "metric"),
    "value": ("giá trị", "số liệu", "value"),
    "unit": ("đơn vị tính", "unit"),
    "qualifier": ("mức chính xác", "qualifier"),
    "disaggregation": ("phân tổ", "disaggregation"),
    "source": ("nguồn", "source"),
    "note": ("ghi chú", "note"),
}
"""Each field of a submission's table and the headers (Vietnamese, English) it may have.

Other columns (a metric's name, for the reader) are left alone.
"""
_BY_HEADER: Final = {h: field for field, names in HEADERS.items() for h in names}
_SHARED: Final = ("form", "subject", "period")


def _bytes(source: Source) -> tuple[bytes, str]:
    """The bytes of ``source`` and a name for it in messages."""
    if isinstance(source, bytes):
        return source, "<bytes>"
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            return path.read_bytes(), str(path)
        except OSError as e:
            problem = cannot_read(e, Location(file=str(path)))
            raise TabularLoadError(str(path), [problem]) from e
    data = source.read()
    name = getattr(source, "name", None)
    return data, name if isinstance(name, str) else "<upload>"


def _csv_rows(data: bytes, name: str, problems: list[Problem]) -> Iterator[list[Any]]:
    data = data.removeprefix(UTF8_BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(
            Problem(
                Location(file=name),
                f"not UTF-8 text (byte {e.start}); save the file as CSV UTF-8",
                "Tệp không phải văn bản UTF-8; hãy lưu dạng CSV UTF-8",
            )
        )
        return
    yield from csv.reader(io.StringIO(text, newline=""))


def _lists_options(rows: list[list[Any]], vocabulary: Vocabulary) -> None:
    """Teach ``vocabulary`` the options a template's lists sheet names, with their codes."""
    if not rows:
        return
    header = [_cell_text(c) for c in rows[0]]
    for headers in LISTS_HEADERS.values():
        wanted = headers[3:7]
        if all(h in header for h in wanted):
            at = [header.index(h) for h in wanted]
            break
    else:
        return
    for raw in rows[1:]:
        cells = [_cell_text(raw[j]) if j < len(raw) else None for j in at]
        category_label, option_label, category, option = cells
        if category_label and option_label and category and option:
            vocabulary.add_option(f"{category_label}: {option_label}", category, option)


def _xlsx_rows(
    data: bytes, name: str, sheet: str | None, problems: list[Problem], vocabulary: Vocabulary
) -> tuple[str | None, list[list[Any]]]:
    openpyxl = require("openpyxl", "excel")
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as e:
        problems.append(
            Problem(
                Location(file=name),
                f"not an .xlsx workbook ({type(e).__name__})",
                "Không phải tệp Excel .xlsx",
            )
        )
        return None, []
    try:
        names = list(book.sheetnames)
        title = sheet if sheet is not None else names[0]
        if title not in names:
            problems.append(
                Problem(
                    Location(file=name, sheet=title),
                    f"no sheet {title!r} (sheets: {', '.join(names)})",
                    f"Không có trang {title!r}",
                )
            )
            return title, []
        rows = [list(r) for r in book[title].iter_rows(values_only=True)]
        for lists in LISTS_SHEET.values():
            if lists in names and lists != title:
                _lists_options(
                    [list(r) for r in book[lists].iter_rows(values_only=True)], vocabulary
                )
    finally:
        book.close()
    return title, rows


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = nfc(value).strip()
        return text or None
    return str(value)


def read_submission_table(  # noqa: PLR0915 - one table's reading, step by step
    source: Source,
    *,
    format: str | None = None,  # noqa: A002 - the CLI option's name
    sheet: str | None = None,
    form: str | None = None,
    subject: str | None = None,
    period: str | None = None,
    stored_by: str | None = None,
    units: dict[str, str] | None = None,
    categories: Iterable[DisaggregationCategory] = (),
) -> Submission:
    """See :func:`antq_core.io.tabular.read_submission`."""
    units = units or {}
    vocabulary = Vocabulary()
    data, name = _bytes(source)
    problems: list[Problem] = []
    if format is None:
        format = "xlsx" if data[:4] == b"PK\x03\x04" else "csv"  # noqa: A001
    sheet_name: str | None = None
    if format == "xlsx":
        sheet_name, rows = _xlsx_rows(data, name, sheet, problems, vocabulary)
    else:
        rows = list(_csv_rows(data, name, problems))
    for category in categories:  # the dataset's labels, after the workbook's own
        vocabulary.add_category(
            category.id,
            (category.name_vi, category.name_en),
            ((o.id, (o.name_vi, o.name_en)) for o in category.options),
        )
    if problems:
        raise TabularLoadError(name, problems)
    if not rows:
        raise TabularLoadError(
            name,
            [Problem(Location(file=name, sheet=sheet_name), "the table is empty", "Bảng rỗng")],
        )

    def where(row: int, column: int | None = None, field: str | None = None) -> Location:
        cell = None if column is None or format != "xlsx" else f"{column_letters(column)}{row}"
        return Location(row=row, field=field, file=name, sheet=sheet_name, cell=cell)

    columns: dict[str, int] = {}
    for j, header in enumerate(rows[0]):
        text = _cell_text(header)
        field = _BY_HEADER.get(text.casefold()) if text else None
        if field is None:
            continue
        if field in columns:
            problems.append(
                Problem(where(1, j, text), f"column {field!r} appears twice", "Cột bị lặp")
            )
        columns[field] = j
    for needed in ("metric", "value"):
        if needed not in columns:
            vi = f"Thiếu cột {HEADERS[needed][0]!r}"
            problems.append(Problem(where(1), f"no column {HEADERS[needed][-1]!r}", vi))
    shared: dict[str, str | None] = {"form": form, "subject": subject, "period": period}
    items: list[dict[str, Any]] = []
    for i, raw in enumerate(rows[1:], start=2):
        cells = {f: raw[j] if j < len(raw) else None for f, j in columns.items()}
        for field in _SHARED:
            text = _cell_text(cells.get(field))
            if text is None:
                continue
            if shared[field] is None:
                shared[field] = text
            elif shared[field] != text:
                problems.append(
                    Problem(
                        where(i, columns[field], field),
                        f"one submission has one {field}: {shared[field]!r} above, {text!r} here",
                        f"Một báo cáo chỉ có một {HEADERS[field][0]}",
                        text,
                    )
                )
        if all(_cell_text(cells.get(f)) is None for f in ("value", "qualifier", "note")):
            continue  # a blank row, or a template's line left empty: no figure
        item = _item(
            cells,
            i,
            where=where,
            columns=columns,
            problems=problems,
            units=units,
            vocabulary=vocabulary,
        )
        if item is not None:
            item["row"] = i
            if format == "xlsx":
                item["sheet"] = sheet_name
                item["cell"] = f"{column_letters(columns['value'])}{i}"
            items.append(item)
    problems.extend(
        Problem(
            Location(file=name, sheet=sheet_name),
            f"no {field}: give a {field!r} column or the {field}= argument",
            f"Chưa có {HEADERS[field][0]}",
        )
        for field in ("subject", "period")
        if shared[field] is None
    )
    if problems:
        raise TabularLoadError(name, problems)
    try:
        return Submission.model_validate(
            {
                "form": shared["form"],
                "subject": shared["subject"],
                "period": shared["period"],
                "items": items,
                "stored_by": stored_by,
                "file": name,
            }
        )
    except ValidationError as e:
        found = [
            Problem(
                Location(file=name, sheet=sheet_name, field=".".join(map(str, err["loc"]))),
                str(err["msg"]),
                "Giá trị không hợp lệ",
            )
            for err in e.errors(include_url=False)
        ]
        raise TabularLoadError(name, found) from e


def _item(
    cells: dict[str, Any],
    row: int,
    *,
    where: Any,
    columns: dict[str, int],
    problems: list[Problem],
    units: dict[str, str],
    vocabulary: Vocabulary,
) -> dict[str, Any] | None:
    """One row's item, or ``None`` after noting what is wrong with it."""
    metric = _cell_text(cells.get("metric"))
    if metric is None:
        problems.append(
            Problem(where(row, columns["metric"], "metric"), "no metric", "Thiếu mã chỉ tiêu")
        )
        return None
    item: dict[str, Any] = {"metric": metric}
    raw = cells.get("value")
    qualifier = _cell_text(cells.get("qualifier"))
    if qualifier is not None:
        chosen = vocabulary.qualifier(qualifier)
        if chosen is None:
            problems.append(
                _not_a_qualifier(where(row, columns["qualifier"], "qualifier"), qualifier)
            )
            return None
        qualifier = chosen.value
    if isinstance(raw, bool):
        problems.append(
            Problem(where(row, columns["value"], "value"), "a value is a number", "Giá trị là số")
        )
        return None
    if isinstance(raw, int):
        item["value"] = raw
    elif isinstance(raw, float):
        exact = Decimal(repr(raw))
        item["value"] = int(exact) if exact == exact.to_integral_value() else str(exact)
    elif (_cell_text(raw) or "x").isascii() and (_cell_text(raw) or "x").isdigit():
        item["value"] = int(_cell_text(raw) or "0")  # a plain whole number, as CSV writes it
    elif _cell_text(raw) is not None:
        text = _cell_text(raw) or ""
        unit_text = _cell_text(cells.get("unit")) or units.get(metric)
        if unit_text is None:
            problems.append(
                Problem(
                    where(row, columns["value"], "value"),
                    "a value written as text needs its unit: fill the unit column, or read "
                    "with the dataset",
                    "Số liệu ghi bằng chữ cần đơn vị tính: điền cột đơn vị tính",
                    text,
                )
            )
            return None
        try:
            quantity = parse_quantity(text, "vi", unit=unit_text)
        except AntqError as e:
            problems.append(
                Problem(
                    where(row, columns["value"], "value"),
                    f"not a figure: {e}",
                    "Không đọc được số liệu",
                    text,
                )
            )
            return None
        item["value"] = quantity.value
        item["unit"] = quantity.unit.code
        if quantity.qualifier.value != "exact":
            if qualifier not in (None, quantity.qualifier.value):
                problems.append(
                    Problem(
                        where(row, columns["value"], "value"),
                        f"the text says {quantity.qualifier.value}, the qualifier column "
                        f"{qualifier}",
                        "Mức chính xác trong số liệu khác cột mức chính xác",
                        text,
                    )
                )
                return None
            qualifier = quantity.qualifier.value
    unit = _cell_text(cells.get("unit"))
    if unit is not None:
        item["unit"] = unit
    if qualifier is not None:
        item["qualifier"] = qualifier
    return _with_breakdown(
        item, cells, where(row, columns.get("disaggregation")), vocabulary, problems
    )


def _with_breakdown(
    item: dict[str, Any],
    cells: dict[str, Any],
    place: Location,
    vocabulary: Vocabulary,
    problems: list[Problem],
) -> dict[str, Any] | None:
    """``item`` with its breakdown, source and note; ``None`` after noting a bad breakdown."""
    breakdown = _cell_text(cells.get("disaggregation"))
    if breakdown is not None:
        found = _breakdown(breakdown, vocabulary)
        if isinstance(found, tuple):
            problems.append(
                Problem(attrs.evolve(place, field="disaggregation"), *found, breakdown)
            )
            return None
        item["disaggregation"] = found
    for field in ("source", "note"):
        extra = _cell_text(cells.get(field))
        if extra is not None:
            item[field] = extra
    return item


def _breakdown(text: str, vocabulary: Vocabulary) -> dict[str, str] | tuple[str, str]:
    """A breakdown cell read: the template's labels, or codes; else why not (en, vi)."""
    found = vocabulary.breakdown(text)
    if found is not None:
        return found
    if vocabulary.ambiguous(text):
        return (
            "two options have this label: write the codes, category=option",
            "Nhãn phân tổ này trùng cho hai lựa chọn: ghi mã dạng nhóm=lựa chọn",
        )
    pairs = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if pairs and all("=" in p for p in pairs):
        return dict(p.split("=", 1) for p in pairs)
    return (
        "not a breakdown of the form: pick one from the drop-down ('Giới tính: Nữ'), or "
        "write the codes as category=option, separated by commas",
        "Phân tổ không có trong danh mục: chọn trong danh sách ('Giới tính: Nữ'), hoặc ghi mã "
        "dạng nhóm=lựa chọn, cách nhau bởi dấu phẩy",
    )


def _not_a_qualifier(where: Location, text: str) -> Problem:
    return Problem(
        where,
        "not a qualifier: pick one from the drop-down (chính xác, trên / ít nhất, "
        "dưới / nhiều nhất, khoảng) or write its code (exact, at_least, at_most, "
        "approximately)",
        "Mức chính xác không có trong danh sách: chọn trong danh sách (chính xác, "
        "trên / ít nhất, dưới / nhiều nhất, khoảng)",
        text,
    )
