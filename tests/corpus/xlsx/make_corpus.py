"""Build the crafted workbooks of this folder: one hostile case of issue 12 each.

Run ``python tests/corpus/xlsx/make_corpus.py`` (with antq_core and its
``[excel]`` extra installed) to write them again. Each starts from the bundled
sample exported in English (no theme, no document properties, so each file
stays under 30 KB) and changes one part of the zip as a hostile or careless
tool would. The expectations live in ``tests/io/test_xlsx_corpus.py``; cell
``D2`` is the value of the first observation.
"""

from __future__ import annotations

import re
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
OBSERVATIONS = "xl/worksheets/sheet14.xml"
"""The observations sheet: the last of the 14 tables an export writes."""
FIRST_VALUE = re.compile(rb'<c r="D2" s="2" t="n"><v>32</v></c>')
DATE_STYLE = 3
"""The cell style of an export's date cells (dd/mm/yyyy)."""
SST_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
SST_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"

Parts = dict[str, bytes]


def base() -> Parts:
    """The parts of the sample exported as an English workbook."""
    from antq_core import sample
    from antq_core.io.tabular import export_tabular

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "base.xlsx"
        export_tabular(sample(), path, "xlsx", lang="en", include_sensitive=True)
        with zipfile.ZipFile(path) as archive:
            parts = {i.filename: archive.read(i) for i in archive.infolist()}
    for unused in ("docProps/app.xml", "docProps/core.xml", "xl/theme/theme1.xml"):
        parts.pop(unused, None)
    return parts


def _edit(parts: Parts, member: str, old: bytes | re.Pattern[bytes], new: bytes) -> Parts:
    data = parts[member]
    changed = (
        old.sub(new, data, count=1) if isinstance(old, re.Pattern) else data.replace(old, new, 1)
    )
    assert changed != data, f"nothing to change in {member}"
    return {**parts, member: changed}


def _first_value(cell: bytes) -> Callable[[Parts], Parts]:
    return lambda parts: _edit(parts, OBSERVATIONS, FIRST_VALUE, cell)


def _with_shared_strings(parts: Parts, sst: bytes) -> Parts:
    parts = _edit(
        parts,
        "xl/_rels/workbook.xml.rels",
        b"</Relationships>",
        f'<Relationship Type="{SST_TYPE}" Target="sharedStrings.xml" Id="rIdSst"/>'
        "</Relationships>".encode(),
    )
    parts = _edit(
        parts,
        "[Content_Types].xml",
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_CONTENT}"/>'
        "</Types>".encode(),
    )
    return {**parts, "xl/sharedStrings.xml": sst}


_SST = (
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
    b'uniqueCount="1"><si><t>initiatives</t></si></sst>'
)


def _shared_string(index: bytes) -> Callable[[Parts], Parts]:
    def build(parts: Parts) -> Parts:
        parts = _with_shared_strings(parts, _SST)
        return _edit(
            parts, OBSERVATIONS, FIRST_VALUE, b'<c r="D2" t="s"><v>' + index + b"</v></c>"
        )

    return build


def _date_serial(serial: bytes) -> Callable[[Parts], Parts]:
    cell = f'<c r="D2" s="{DATE_STYLE}" t="n"><v>'.encode() + serial + b"</v></c>"
    return _first_value(cell)


def _truncated(parts: Parts) -> Parts:
    data = parts[OBSERVATIONS]
    return {**parts, OBSERVATIONS: data[: len(data) // 2]}


def _missing_part(parts: Parts) -> Parts:
    return {k: v for k, v in parts.items() if k != OBSERVATIONS}


def _undeclared_sheet(parts: Parts) -> Parts:
    return _edit(
        parts,
        "xl/workbook.xml",
        re.compile(rb'<sheet name="participants" [^>]*/>'),
        b"",
    )


def _small_dimension(parts: Parts) -> Parts:
    return _edit(parts, OBSERVATIONS, b"<sheetViews>", b'<dimension ref="A1:I10" /><sheetViews>')


def _hidden(parts: Parts) -> Parts:
    parts = _edit(
        parts,
        "xl/workbook.xml",
        b'<sheet name="sites" sheetId="11" state="visible"',
        b'<sheet name="sites" sheetId="11" state="hidden"',
    )
    return _edit(parts, OBSERVATIONS, b'<row r="3">', b'<row r="3" hidden="1">')


def _doctype(parts: Parts) -> Parts:
    head = b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">]>'
    return {**parts, OBSERVATIONS: head + parts[OBSERVATIONS]}


def _huge_string_count(parts: Parts) -> Parts:
    sst = _SST.replace(b'uniqueCount="1"', b'uniqueCount="100000000"')
    return _with_shared_strings(parts, sst)


CASES: dict[str, Callable[[Parts], Parts]] = {
    "dimension_too_small": _small_dimension,
    "hidden_sheet_and_row": _hidden,
    "number_1e400": _first_value(b'<c r="D2" t="n"><v>1e400</v></c>'),
    "number_text": _first_value(b'<c r="D2" t="n"><v>abc</v></c>'),
    "number_5000_digits": _first_value(b'<c r="D2" t="n"><v>' + b"9" * 5000 + b"</v></c>"),
    "bool_x": _first_value(b'<c r="D2" t="b"><v>x</v></c>'),
    "date_2017_02_30": _first_value(b'<c r="D2" t="d"><v>2017-02-30</v></c>'),
    "error_value": _first_value(b'<c r="D2" t="e"><v>#N/A</v></c>'),
    "array_formula": _first_value(b'<c r="D2"><f t="array" ref="D2">SUM(D3:D4*2)</f><v>3</v></c>'),
    "shared_string_out_of_range": _shared_string(b"99"),
    "shared_string_minus_one": _shared_string(b"-1"),
    "date_serial_60": _date_serial(b"60"),
    "date_serial_negative": _date_serial(b"-5"),
    "date_serial_zero": _date_serial(b"0"),
    "truncated_sheet": _truncated,
    "declared_sheet_missing": _missing_part,
    "sheet_not_declared": _undeclared_sheet,
    "doctype_entities": _doctype,
    "shared_strings_declared_too_many": _huge_string_count,
}


def write(parts: Parts, path: Path) -> None:
    """A zip of ``parts`` that is the same bytes every time."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def main() -> int:
    parts = base()
    for name, build in CASES.items():
        write(build(parts), HERE / f"{name}.xlsx")
    print(f"wrote {len(CASES)} workbooks into {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
