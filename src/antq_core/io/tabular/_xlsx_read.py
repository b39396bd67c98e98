"""Reading a workbook (``.xlsx``) without trusting anything in it.

A workbook is a zip of XML parts. This module reads the few it needs itself,
with :mod:`defusedxml` (the ``[excel]`` extra) and a streaming parser, instead
of handing the file to a spreadsheet library that trusts it:

- every part is size-checked before it is parsed (declared size) and while it
  is read (actual bytes), and the number of shared strings and of cells is
  capped, each with a clear problem instead of minutes of work and gigabytes;
- every row that is in a sheet is read, whatever its ``<dimension>`` declares;
- every cell is converted here, and a cell that holds what its type cannot
  (a number cell with text or ``1e400``, a boolean ``x``, a date
  ``2017-02-30``, a shared string that does not exist, an error value, a
  date serial Excel itself gets wrong) becomes a :class:`~._cells.BadCell`,
  which the reader reports at its row and column; formulas, array formulas
  included, arrive as :class:`~._cells.Formula`;
- a broken part (truncated XML, a damaged zip member) stops that sheet with
  a problem naming it; a sheet the workbook declares but does not hold is a
  problem; hidden sheets and rows are read, with a notice.
"""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final, cast
from xml.etree.ElementTree import Element, ParseError

import attrs

from antq_core._util.extras import require
from antq_core._util.progress import progress_bar
from antq_core.errors import ProblemList
from antq_core.io.tabular._cells import BadCell, Formula
from antq_core.io.tabular._layout import TABLES, table_by_name
from antq_core.io.tabular._read import Sheet, problem_in

__all__ = [
    "MAX_CELLS",
    "MAX_PART_BYTES",
    "MAX_SHARED_STRINGS",
    "MAX_WORKBOOK_BYTES",
    "column_letters",
    "read_workbook",
]

MAX_WORKBOOK_BYTES: Final = 64 * 1024 * 1024
"""Largest workbook :func:`read_workbook` opens; bigger data goes through CSV."""
MAX_PART_BYTES: Final = 256 * 1024 * 1024
"""Largest decompressed part (a sheet, the shared strings) that is parsed."""
MAX_META_BYTES: Final = 16 * 1024 * 1024
"""Largest decompressed workbook, relationships or styles part."""
MAX_SHARED_STRINGS: Final = 2_000_000
"""Most shared strings a workbook may hold."""
MAX_CELLS: Final = 10_000_000
"""Most cells, over all sheets, that are read."""
MAX_CELL_CHARS: Final = 32_767
"""Excel's own limit on the text of one cell."""
MAX_ROWS: Final = 1_048_576
MAX_COLUMNS: Final = 16_384
MAX_NUMBER_CHARS: Final = 400
MAX_MERGED: Final = 10_000
SHOWN: Final = 10
INSTRUCTIONS: Final = ("Hướng dẫn", "instructions")
LISTS: Final = "_lists"

_OOXML_CHAR: Final = re.compile(r"_x([0-9A-Fa-f]{4})_")
_REF: Final = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_NUMBER: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,17}")
_DIGITS: Final = re.compile(r"[+-]?[0-9]+")
_ISO_DATE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?Z?)?"
)
_BUILTIN_DATES: Final = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
"""Built-in number formats that show dates or times (ECMA-376 18.8.30, East Asian ones too)."""
_NOT_IN_FORMAT: Final = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_DATE_CODES: Final = re.compile(r"[dmyhsDMYHS]")
_EXCEL_LAST: Final = 2_958_465
"""Serial of 9999-12-31 in the 1900 date system."""


def from_ooxml_text(text: str) -> str:
    """Undo the ``_xHHHH_`` escapes that Excel (and this library) write for control characters."""
    if "_x" not in text:
        return text
    return _OOXML_CHAR.sub(lambda m: chr(int(m.group(1), 16)), text)


def column_letters(column: int) -> str:
    """``"A"`` for column 0, ``"AA"`` for 26."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index - 1


def _reference(row: int, column: int) -> str:
    return f"{column_letters(column)}{row}"


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


class _Stop(Exception):  # noqa: N818 - internal signal, always turned into a problem
    """A part that cannot be read on; ``vi`` and ``en`` say why."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en


def _too_large(what_vi: str, what_en: str, limit: int) -> _Stop:
    return _Stop(
        f"{what_vi} quá lớn khi giải nén (quá {limit // 1048576} MB); xuất ra CSV rồi nhập CSV",
        f"{what_en} is too large once decompressed (over {limit // 1048576} MB); "
        "save the data as CSV files and import those",
    )


class _Capped:
    """A zip member's stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, stream: IO[bytes], limit: int, what: tuple[str, str]) -> None:
        self.stream = stream
        self.left = limit
        self.limit = limit
        self.what = what

    def __enter__(self) -> _Capped:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if 0 <= size <= self.left + 1 else self.left + 1)
        self.left -= len(data)
        if self.left < 0:
            raise _too_large(*self.what, self.limit)
        return data


_BROKEN: Final = (ParseError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError)
"""What a damaged part raises while it is read (defusedxml's refusals are ValueErrors)."""


@attrs.define
class _Book:
    """An open workbook: its zip, the parser, where problems go."""

    archive: zipfile.ZipFile
    iterparse: Any
    name: str
    problems: ProblemList
    cells: int = 0

    def open(self, member: str, limit: int, what: tuple[str, str]) -> _Capped:
        info = self.archive.getinfo(member)
        if info.file_size > limit:
            raise _too_large(*what, limit)
        return _Capped(self.archive.open(info), limit, what)

    def tree(self, member: str, what: tuple[str, str]) -> Element:
        """A small part (workbook, relationships, styles) parsed whole."""
        try:
            with self.open(member, MAX_META_BYTES, what) as stream:
                root = None
                for _, element in self.iterparse(stream, events=("end",), forbid_dtd=True):
                    root = element
        except _Stop:
            raise
        except _BROKEN as e:
            raise _Stop(
                f"{what[0]} ({member}) bị hỏng; lưu lại tệp từ Excel",
                f"{what[1]} ({member}) is damaged ({type(e).__name__}: {e}); "
                "save the workbook again from Excel",
            ) from None
        assert root is not None  # noqa: S101 - a parse that ends without error has a root
        return cast("Element", root)

    def fail(self, sheet: str | None, vi: str, en: str, row: int | None = None) -> None:
        self.problems.add(problem_in(self.name, vi, en, sheet=sheet, row=row))


def _relationships(book: _Book, part: str) -> dict[str, tuple[str, str]]:
    """The relationships of ``part``: id → (type, member in the zip)."""
    folder, file = posixpath.split(part)
    member = posixpath.join(folder, "_rels", file + ".rels")
    if member not in book.archive.NameToInfo:
        return {}
    found = {}
    for element in book.tree(member, ("Danh sách liên kết", "a relationships part")):
        if _local(element.tag) != "Relationship" or element.get("TargetMode") == "External":
            continue
        target = element.get("Target") or ""
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        found[element.get("Id") or ""] = (element.get("Type") or "", resolved)
    return found


def _workbook_part(book: _Book) -> str:
    for kind, member in _relationships(book, "").values():
        if kind.endswith("/officeDocument"):
            return member
    return "xl/workbook.xml"


@attrs.frozen
class _SheetEntry:
    name: str
    state: str
    member: str | None


def _sheets(book: _Book, part: str) -> tuple[list[_SheetEntry], bool, dict[str, str]]:
    """The sheets the workbook declares, whether it counts dates from 1904, its other parts."""
    root = book.tree(part, ("Phần mô tả bảng tính", "the workbook part"))
    relations = _relationships(book, part)
    by_kind = {kind.rpartition("/")[2]: member for kind, member in relations.values()}
    date1904 = False
    entries = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "workbookPr":
            date1904 = (element.get("date1904") or "").lower() in ("1", "true")
        elif tag == "sheet":
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            kind_member = relations.get(rid)
            entries.append(
                _SheetEntry(
                    element.get("name") or "",
                    element.get("state") or "visible",
                    kind_member[1] if kind_member is not None else None,
                )
            )
    return entries, date1904, by_kind


def is_date_format(code: str) -> bool:
    """Whether a number format shows a date or a time (``dd/mm/yyyy``, ``h:mm``)."""
    return _DATE_CODES.search(_NOT_IN_FORMAT.sub("", code)) is not None


def _date_styles(book: _Book, member: str | None) -> list[bool]:
    """For each cell style (``s`` of a cell), whether it shows a date."""
    if member is None or member not in book.archive.NameToInfo:
        return []
    root = book.tree(member, ("Phần định dạng", "the styles part"))
    custom: dict[int, bool] = {}
    dates: list[bool] = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "numFmt":
            number = element.get("numFmtId") or ""
            if number.isdigit():
                custom[int(number)] = is_date_format(element.get("formatCode") or "")
        elif tag == "cellXfs":
            for xf in element:
                number = xf.get("numFmtId") or "0"
                index = int(number) if number.isdigit() else 0
                dates.append(custom.get(index, index in _BUILTIN_DATES))
    return dates


def _text_of(element: Element) -> str:
    """The text of a shared string or inline string: its ``t``, or its runs' ``t`` (no ruby)."""
    parts = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(g.text or "" for g in child if _local(g.tag) == "t")
    return "".join(parts)


def _shared_strings(book: _Book, member: str | None) -> list[str]:
    if member is None or member not in book.archive.NameToInfo:
        return []
    what = ("Bảng chuỗi dùng chung", "the shared strings part")
    strings: list[str] = []
    root: Element | None = None
    try:
        with book.open(member, MAX_PART_BYTES, what) as stream:
            for event, element in book.iterparse(stream, events=("start", "end"), forbid_dtd=True):
                if root is None:
                    root = element
                    declared = element.get("uniqueCount") or ""
                    if declared.isdigit() and int(declared) > MAX_SHARED_STRINGS:
                        raise _too_many_strings()
                    continue
                if event == "end" and _local(element.tag) == "si":
                    strings.append(_text_of(element))
                    root.clear()
                    if len(strings) > MAX_SHARED_STRINGS:
                        raise _too_many_strings()
    except _Stop:
        raise
    except _BROKEN as e:
        raise _Stop(
            "Bảng chuỗi dùng chung bị hỏng; lưu lại tệp từ Excel",
            f"the shared strings part is damaged ({type(e).__name__}: {e}); "
            "save the workbook again from Excel",
        ) from None
    return strings


def _too_many_strings() -> _Stop:
    return _Stop(
        f"Tệp có quá nhiều chuỗi (quá {MAX_SHARED_STRINGS:,}); xuất ra CSV rồi nhập CSV",
        f"the workbook holds more than {MAX_SHARED_STRINGS:,} shared strings; "
        "save the data as CSV files and import those",
    )


# -- cells ---------------------------------------------------------------------------


def _bad(text: str | None, vi: str, en: str) -> BadCell:
    return BadCell(text or "", vi, en)


def _number(text: str) -> int | float | BadCell:
    text = text.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DIGITS.fullmatch(text):
        return _bad(
            text,
            "Số có quá nhiều chữ số cho một ô số; nhập dạng chữ",
            "a number with more digits than a number cell keeps; type it as text",
        )
    if len(text) > MAX_NUMBER_CHARS or not _NUMBER.fullmatch(text):
        return _bad(text, "Ô kiểu số nhưng không chứa số", "a number cell that holds no number")
    number = float(text)
    if not math.isfinite(number):
        return _bad(text, "Số quá lớn", "the number is beyond what a number cell can hold")
    return number


def _serial_date(serial: float, date1904: bool) -> dt.datetime | BadCell:
    """A date cell's serial number as the date it shows, or why it shows none.

    In the 1900 system Excel counts 29 February 1900, a day that never was
    (serial 60), and shows serial 0 as 0 January 1900; neither is a date.
    """
    shown = repr(serial) if not float(serial).is_integer() else str(int(serial))
    if date1904:
        base, first = dt.datetime(1904, 1, 1), 0.0
    elif serial < 60:  # noqa: PLR2004
        base, first = dt.datetime(1899, 12, 31), 1.0
    else:
        base, first = dt.datetime(1899, 12, 30), 61.0
    if not date1904 and 60 <= serial < 61:  # noqa: PLR2004
        return _bad(
            shown,
            "Ngày 29/02/1900 không có thật (lỗi năm nhuận của Excel); nhập lại ngày",
            "serial 60 is 29 February 1900, a day Excel counts but that never was; "
            "type the date again",
        )
    if serial < first or serial > _EXCEL_LAST:
        return _bad(
            shown,
            "Ô ngày có số ngày âm hoặc ngoài lịch; nhập lại ngày dạng 2017-07-13",
            "a date cell whose serial number is negative, zero or past 9999; "
            "type the date as 2017-07-13",
        )
    days = math.floor(serial)
    micro = round((serial - days) * 86_400_000_000)
    return base + dt.timedelta(days=days, microseconds=micro)


def _iso_date(text: str) -> dt.datetime | BadCell:
    match = _ISO_DATE.fullmatch(text.strip())
    if match is not None:
        y, m, d, hh, mm, ss = (int(p) if p else 0 for p in match.groups())
        try:
            return dt.datetime(y, m, d, hh, mm, ss)
        except ValueError:
            pass
    return _bad(text, "Ô ngày chứa ngày không có thật", "a date cell that holds no real date")


def _string(text: str) -> str | BadCell | None:
    if len(text) > MAX_CELL_CHARS:
        return _bad(
            text[:60],
            f"Chữ dài quá {MAX_CELL_CHARS:,} ký tự (giới hạn của Excel)",
            f"the text is longer than {MAX_CELL_CHARS:,} characters, Excel's own limit",
        )
    return from_ooxml_text(text) if text else None


@attrs.define
class _CellReader:
    strings: list[str]
    dates: list[bool]
    date1904: bool

    def value(self, cell: Element) -> object:
        kind = cell.get("t") or "n"
        v = f = inline = None
        for child in cell:
            tag = _local(child.tag)
            if tag == "v":
                v = child
            elif tag == "f":
                f = child
            elif tag == "is":
                inline = child
        if f is not None:
            text = f.text or ("(array formula)" if f.get("t") == "array" else "(shared formula)")
            return Formula("=" + text)
        if kind == "inlineStr":
            return None if inline is None else _string(_text_of(inline))
        raw = None if v is None else v.text
        if raw is None:
            return None
        if kind == "s":
            index = raw.strip()
            if index.isdigit() and int(index) < len(self.strings):
                return _string(self.strings[int(index)])
            return _bad(
                raw,
                "Ô trỏ tới chuỗi dùng chung không có trong tệp; tệp bị hỏng",
                "the cell points at a shared string the workbook does not hold",
            )
        if kind == "str":
            return _string(raw)
        if kind == "b":
            if raw.strip() in ("0", "1"):
                return raw.strip() == "1"
            return _bad(
                raw, "Ô đúng/sai chứa giá trị khác", "a TRUE/FALSE cell that holds neither"
            )
        if kind == "e":
            return _bad(
                raw,
                "Ô chứa lỗi của Excel (như #N/A, #DIV/0!); nhập giá trị",
                "the cell holds an Excel error value (such as #N/A); type the value",
            )
        if kind == "d":
            return _iso_date(raw)
        if kind != "n":
            return _bad(raw, "Ô có kiểu dữ liệu không rõ", f"a cell of unknown type {kind[:10]!r}")
        number = _number(raw)
        if isinstance(number, BadCell) or not self.is_date(cell.get("s")):
            return number
        return _serial_date(number, self.date1904)

    def is_date(self, style: str | None) -> bool:
        if not style:
            return False
        index = int(style) if style.isdigit() else -1
        return 0 <= index < len(self.dates) and self.dates[index]


# -- sheets --------------------------------------------------------------------------


class _SheetReader:
    """The rows of one sheet, streamed, each cell converted by :class:`_CellReader`."""

    def __init__(
        self, book: _Book, member: str, sheet: Sheet, cells: _CellReader, title: str
    ) -> None:
        self.book = book
        self.member = member
        self.sheet = sheet
        self.cells = cells
        self.title = title
        self.hidden: list[int] = []
        self.merged: list[str] = []
        self.last = 0
        self.pending: tuple[int, list[Any]] | None = None

    def stop(self, vi: str, en: str, row: int | None = None) -> None:
        self.sheet.complete = False
        self.book.fail(self.title, vi, en, row)

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        try:
            for row in self._rows():
                yield row
                if self.pending is not None:
                    yield self.pending
                    self.pending = None
        except _Stop as e:
            self.stop(e.vi, e.en)
        except _BROKEN as e:
            after = f" sau dòng {self.last}" if self.last else ""
            after_en = f" after row {self.last}" if self.last else ""
            if type(e).__module__.startswith("defusedxml"):
                self.stop(
                    "Trang tính chứa khai báo DTD hay thực thể XML, điều mà không bảng tính nào "
                    "cần; không đọc",
                    f"the sheet holds an XML DTD or entities ({type(e).__name__}), which no "
                    "workbook needs; it was not read",
                )
                return
            self.stop(
                f"Trang tính bị hỏng{after} (tệp bị cắt cụt?); lưu lại tệp từ Excel",
                f"the sheet's XML is damaged{after_en} ({type(e).__name__}: {e}); the file "
                "may be truncated: save it again from Excel",
            )
        self._report()

    def _report(self) -> None:
        for ref in self.merged:
            first = _REF.match(ref.split(":", maxsplit=1)[0])
            self.book.problems.add(
                problem_in(
                    self.book.name,
                    f"Ô gộp {ref}: bỏ gộp ô và điền giá trị vào từng ô",
                    f"merged cells {ref}: unmerge them and fill every cell",
                    sheet=self.title,
                    row=int(first.group(2)) if first else None,
                    cell=ref,
                )
            )
        if self.hidden:
            shown = ", ".join(map(str, self.hidden[:SHOWN])) + (
                ", ..." if len(self.hidden) > SHOWN else ""
            )
            self.book.problems.notice(
                problem_in(
                    self.book.name,
                    f"Đã nhập {len(self.hidden)} dòng bị ẩn ({shown})",
                    f"{len(self.hidden)} hidden row(s) were imported ({shown})",
                    sheet=self.title,
                    row=self.hidden[0],
                )
            )

    def _rows(self) -> Iterator[tuple[int, list[Any]]]:
        with self.book.open(self.member, MAX_PART_BYTES, ("Trang tính", "the sheet")) as stream:
            yield from self._parse(stream)

    def _parse(self, stream: _Capped) -> Iterator[tuple[int, list[Any]]]:
        events = self.book.iterparse(stream, events=("start", "end"), forbid_dtd=True)
        stack: list[Element] = []  # the open elements, root first
        in_data = in_cell = in_row = False
        number = 0
        values: list[Any] = []
        column = -1
        for event, element in events:
            tag = _local(element.tag)
            if event == "start":
                stack.append(element)
                if tag == "sheetData":
                    in_data = True
                elif tag == "row" and in_data and not in_row:
                    in_row = True
                    number = self._row_number(element.get("r"))
                    values, column = [], -1
                    if (element.get("hidden") or "").lower() in ("1", "true"):
                        self.hidden.append(number)
                elif tag == "c" and in_row:
                    in_cell = True
                continue
            stack.pop()
            if tag == "c" and in_cell:
                in_cell = False
                column = self._cell(element, number, column, values)
            elif in_cell:
                continue  # a part of the cell (v, f, is): read with the cell
            elif tag == "row" and in_row:
                in_row = False
                row = self._row(number, values)
                if row is not None:
                    yield row
            elif tag == "mergeCell" and len(self.merged) < MAX_MERGED:
                self.merged.append((element.get("ref") or "?")[:30])
            elif tag == "sheetData":
                in_data = False
            if stack:  # done with it: drop it, so memory stays flat however long the sheet
                stack[-1].remove(element)

    def _row(self, number: int, values: list[Any]) -> tuple[int, list[Any]] | None:
        if number <= self.last:
            self.sheet.complete = False
            self.book.problems.add(
                problem_in(
                    self.book.name,
                    "Dòng lặp lại hoặc sai thứ tự; tệp bị hỏng",
                    f"row {number} comes again or out of order (after row {self.last})",
                    sheet=self.title,
                    row=number,
                )
            )
            return None
        first = self.last == 0
        self.last = number
        while values and values[-1] is None:
            values.pop()
        if first and number > 1:
            self.pending = (number, values)
            return 1, []  # the header is row 1, even when it is empty
        return number, values

    def _row_number(self, given: str | None) -> int:
        if given is None:
            return self.last + 1
        if not given.isdigit() or not 1 <= int(given) <= MAX_ROWS:
            raise _Stop(
                "Số dòng không hợp lệ; tệp bị hỏng",
                f"a row number {given[:20]!r} that no sheet has (1 to {MAX_ROWS:,})",
            )
        return int(given)

    def _cell(self, element: Element, number: int, column: int, values: list[Any]) -> int:
        self.book.cells += 1
        if self.book.cells > MAX_CELLS:
            raise _Stop(
                f"Tệp có quá nhiều ô (quá {MAX_CELLS:,}); xuất ra CSV rồi nhập CSV",
                f"the workbook holds more than {MAX_CELLS:,} cells; "
                "save the data as CSV files and import those",
            )
        ref = element.get("r")
        if ref is None:
            column += 1
        else:
            match = _REF.fullmatch(ref)
            if match is None or int(match.group(2)) != number:
                self._cell_problem(number, ref, "Ô không thuộc dòng này", "a cell out of its row")
                return column
            at = _column_index(match.group(1))
            if at <= column:
                self._cell_problem(number, ref, "Ô lặp lại", "the cell comes twice in its row")
                return column
            column = at
        if column >= MAX_COLUMNS:
            self._cell_problem(
                number, ref, "Cột ngoài bảng tính", f"a column beyond the last ({MAX_COLUMNS:,})"
            )
            return column
        value = self.cells.value(element)
        if value is not None:
            values.extend([None] * (column - len(values)))
            values.append(value)
        return column

    def _cell_problem(self, number: int, ref: str | None, vi: str, en: str) -> None:
        self.sheet.complete = False
        self.book.problems.add(
            problem_in(
                self.book.name,
                f"{vi}; tệp bị hỏng",
                en,
                sheet=self.title,
                row=number,
                cell=(ref or "?")[:20],
            )
        )


# -- the workbook --------------------------------------------------------------------


def read_workbook(
    path: Path | IO[bytes],
    problems: ProblemList,
    *,
    progress: bool | None,
    name: str | None = None,
) -> Iterator[Sheet]:
    """The tables of a workbook (a file, or a seekable binary file object), one per known sheet."""
    if name is None:
        name = str(path) if isinstance(path, Path) else "<upload>"
    label = path.name if isinstance(path, Path) else name

    def fail(vi: str, en: str) -> None:
        problems.add(problem_in(name, vi, en))

    try:
        if isinstance(path, Path):
            size = path.stat().st_size
        else:
            size = path.seek(0, 2)
            path.seek(0)
    except OSError as e:
        fail(f"Không đọc được tệp: {e.strerror}", f"cannot read: {e.strerror}")
        return
    if size == 0:
        fail("Tệp rỗng", "the file is empty")
        return
    if size > MAX_WORKBOOK_BYTES:
        fail(
            f"Tệp quá lớn ({size // 1048576} MB) để đọc dạng Excel; xuất ra CSV rồi nhập CSV",
            f"the workbook is too large ({size // 1048576} MB, at most "
            f"{MAX_WORKBOOK_BYTES // 1048576} MB); save it as CSV files and import those",
        )
        return
    if not zipfile.is_zipfile(path):
        fail(
            "Không phải tệp Excel .xlsx (tệp .xls cũ hay CSV đổi tên?)",
            "not an .xlsx workbook (an old .xls, or a renamed CSV?)",
        )
        return
    iterparse = require("defusedxml.ElementTree", "excel").iterparse
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        fail(f"Không mở được tệp Excel: {e}", f"cannot open the workbook: {e}")
        return
    with archive, progress_bar(size, label, enabled=progress) as update:
        book = _Book(archive, iterparse, name, problems)
        try:
            part = _workbook_part(book)
            if part not in archive.NameToInfo:
                fail(
                    "Không phải tệp Excel .xlsx (thiếu phần mô tả bảng tính)",
                    f"not an .xlsx workbook: it has no {part}",
                )
                return
            entries, date1904, parts = _sheets(book, part)
            cells = _CellReader(
                _shared_strings(book, parts.get("sharedStrings")),
                _date_styles(book, parts.get("styles")),
                date1904,
            )
        except _Stop as e:
            fail(e.vi, e.en)
            return
        for entry in entries:
            sheet = _sheet(book, entry, cells)
            if sheet is not None:
                yield sheet
            update(size)
        _missing_tables(book, entries)


def _sheet(book: _Book, entry: _SheetEntry, cells: _CellReader) -> Sheet | None:
    title = entry.name
    if title in INSTRUCTIONS or title == LISTS:
        return None
    table = table_by_name(title)
    if table is None:
        known = ", ".join(t.name("vi") for t in TABLES)
        book.fail(
            title,
            f"Trang tính không thuộc mẫu (các trang: {known}); đổi tên hoặc xoá",
            "unknown sheet: rename or remove it (the sheets are "
            + ", ".join(t.key for t in TABLES)
            + ")",
        )
        return None
    if entry.member is None or entry.member not in book.archive.NameToInfo:
        book.fail(
            title,
            "Tệp khai báo trang tính này nhưng không chứa nó; tệp bị hỏng, lưu lại từ Excel",
            "the workbook declares this sheet but does not hold it "
            f"({entry.member or 'no part'}); save the workbook again from Excel",
        )
        return None
    if entry.state != "visible":
        book.problems.notice(
            problem_in(
                book.name,
                "Trang tính bị ẩn; đã nhập như mọi trang khác",
                "the sheet is hidden; it was imported like the others",
                sheet=title,
            )
        )
    sheet = Sheet(table, book.name, title, [], iter(()), _reference)
    reader = _SheetReader(book, entry.member, sheet, cells, title)
    rows = reader.rows()
    try:
        _, sheet.header = next(rows)
    except StopIteration:
        if sheet.complete:
            book.fail(
                title,
                "Trang tính trống (không có dòng tiêu đề)",
                "the sheet is empty (no header row)",
            )
        return None
    sheet.rows = rows
    return sheet


def _missing_tables(book: _Book, entries: list[_SheetEntry]) -> None:
    """A table without its sheet is reported: a workbook that was exported has them all."""
    present = {t.key for e in entries if (t := table_by_name(e.name)) is not None}
    for table in TABLES:
        if table.key not in present:
            book.fail(
                None,
                f"Thiếu trang tính {table.name('vi')!r}; thêm trang với dòng tiêu đề "
                "(có thể không có dòng nào khác)",
                f"the sheet of the table {table.key!r} is missing; add it with its header row "
                "(it may have no other rows)",
            )
