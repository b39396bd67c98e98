"""CSV: a directory with one UTF-8 file per table (``sites.csv``, ``observations.csv``...)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from antq_core._dataset.document import utf_problem
from antq_core._util.atomic import atomic_dir, new_file
from antq_core._util.progress import progress_bar
from antq_core.errors import TabularProblem
from antq_core.io.tabular._cells import escape, join_list, write_bool, write_number
from antq_core.io.tabular._layout import TABLES, Column, Kind, table_by_name
from antq_core.io.tabular._read import Problems, Sheet
from antq_core.io.tabular._rows import columns_of, observation_columns, table_rows

if TYPE_CHECKING:
    from antq_core._dataset.dataset import Dataset

__all__ = ["read_csv_dir", "write_csv_dir"]

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_BATCH: Final = 50_000


def _cell(column: Column, value: Any, lang: str) -> str:
    """One value as CSV text: ``'``-escaped where a spreadsheet would run it."""
    if value is None:
        return ""
    kind = column.kind
    if isinstance(value, bool):
        return write_bool(value, lang)
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind in (Kind.INT, Kind.VALUE) or isinstance(value, int):
        return write_number(value, lang)
    if kind is Kind.LIST:
        return escape(join_list(value))
    return escape(str(value))


def write_csv_dir(
    dataset: Dataset, directory: Path, *, lang: str, include_sensitive: bool
) -> list[Path]:
    """Write one CSV file per table as the directory ``directory``; the files written.

    Files are UTF-8 with a byte-order mark, so that Excel shows Vietnamese
    text correctly when it opens them. The files go into a new directory
    beside ``directory``, which then replaces it (:func:`atomic_dir`): a failure
    half-way leaves the previous export whole, never a mix of old and new files.
    An existing ``directory`` holding anything but the table files is not
    replaced (:class:`~antq_core.errors.ExportError`).
    """
    names = {f"{t.key}.csv" for t in TABLES}
    with atomic_dir(directory, replaceable=lambda e: e.name in names and e.is_file()) as fresh:
        for table in TABLES:
            columns = columns_of(table, include_sensitive=include_sensitive)
            with new_file(fresh / f"{table.key}.csv", encoding="utf-8-sig", newline="") as file:
                writer = csv.writer(file)
                writer.writerow([c.header(lang) for c in columns])
                if table.key == "observations":
                    _write_observations(writer, dataset, columns, lang)
                else:
                    for row in table_rows(dataset, table, columns, lang):
                        writer.writerow(
                            [_cell(c, v, lang) for c, v in zip(columns, row, strict=True)]
                        )
    return [directory / f"{t.key}.csv" for t in TABLES]


def _write_observations(
    writer: Any, dataset: Dataset, columns: tuple[Column, ...], lang: str
) -> None:
    data = observation_columns(dataset)
    escaped: dict[str, str] = {}

    def text(values: list[Any]) -> list[str]:
        out = []
        for v in values:
            if v is None:
                out.append("")
                continue
            e = escaped.get(v)
            if e is None:
                e = escaped[v] = escape(v)
            out.append(e)
        return out

    series = []
    for column in columns:
        values = data[column.key]
        if column.key == "value":
            series.append([str(v) if type(v) is int else write_number(v, lang) for v in values])
        else:
            series.append(text(values))
    writer.writerows(zip(*series, strict=True))


# -- reading -------------------------------------------------------------------------


def read_csv_dir(directory: Path, problems: Problems, *, progress: bool | None) -> Iterator[Sheet]:
    """The tables of a CSV directory, one :class:`Sheet` per known file.

    A file is a CSV file by its extension in any case (``sites.CSV`` too), as
    the table names are read in any case. A table without its file is a
    problem: an export writes every table, an empty one with its header.
    """
    try:
        entries = sorted(p for p in directory.iterdir() if p.is_file())
    except OSError as e:
        problems.add(_problem(directory, None, f"Không đọc được thư mục: {e.strerror}", str(e)))
        return
    files = [p for p in entries if p.suffix.lower() == ".csv"]
    if not files:
        problems.add(
            TabularProblem(
                str(directory),
                None,
                None,
                None,
                "Thư mục không có tệp CSV nào",
                "the directory has no CSV files",
            )
        )
        return
    others = [p.name for p in entries if p.suffix.lower() != ".csv"]
    for name in others:
        problems.add(
            TabularProblem(
                str(directory / name),
                None,
                None,
                None,
                "Tệp không phải CSV của bộ dữ liệu; bỏ ra khỏi thư mục",
                "not a CSV file of the dataset; move it out of the directory",
            )
        )
    present = {t.key for p in files if (t := table_by_name(p.stem)) is not None}
    for missing in TABLES:
        if missing.key not in present:
            problems.add(
                _problem(
                    directory / f"{missing.key}.csv",
                    None,
                    f"Thiếu tệp của bảng {missing.name('vi')!r}; thêm tệp với dòng tiêu đề "
                    "(có thể không có dòng nào khác)",
                    f"the file of the table {missing.key!r} is missing; add it with its "
                    "header row (it may have no other rows)",
                )
            )
    for path in files:
        table = table_by_name(path.stem)
        if table is None:
            known = ", ".join(f"{t.key}.csv" for t in TABLES)
            problems.add(
                TabularProblem(
                    str(path),
                    None,
                    None,
                    None,
                    f"Tên tệp không thuộc mẫu (các tệp: {known})",
                    f"unknown file name (the files are {known})",
                )
            )
            continue
        sheet = _open(path, table, problems, progress=progress)
        if sheet is not None:
            yield sheet


def _problem(path: Path, row: int | None, vi: str, en: str) -> TabularProblem:
    return TabularProblem(str(path), None, row, None, vi, en)


def _open(path: Path, table: Any, problems: Problems, *, progress: bool | None) -> Sheet | None:
    try:
        size = path.stat().st_size
        with path.open("rb") as probe:
            head = probe.read(64)
    except OSError as e:
        problems.add(_problem(path, None, f"Không đọc được tệp: {e}", f"cannot read: {e}"))
        return None
    if not head:
        problems.add(
            _problem(
                path, None, "Tệp rỗng (không có dòng tiêu đề)", "the file is empty (no header row)"
            )
        )
        return None
    reason = utf_problem(head)
    if reason is not None:
        problems.add(
            _problem(path, None, "Tệp không phải UTF-8; lưu lại dưới dạng CSV UTF-8", reason)
        )
        return None
    sheet = Sheet(table, str(path), None, [], iter(()))
    batches = _batches(
        path,
        size,
        problems,
        sheet,
        progress=progress if table.key == "observations" else False,
    )
    try:
        numbers, rows = next(batches)
    except StopIteration:
        return None
    sheet.header = rows[0]
    sheet.batches = chain([(numbers[1:], rows[1:])], batches)
    return sheet


def _batches(
    path: Path, size: int, problems: Problems, sheet: Sheet, *, progress: bool | None
) -> Iterator[tuple[list[int], list[list[Any]]]]:
    """Row numbers and cells of the records, a batch at a time.

    When the file cannot be read on (not UTF-8, a broken CSV record), a problem
    is added, ``sheet.complete`` is cleared, and the batches end.
    """
    number = 1
    with path.open("rb") as raw, progress_bar(size, path.name, enabled=progress) as update:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, strict=True)
        batch: list[list[str]] = []
        try:
            while True:
                batch = []
                batch.extend(islice(reader, _BATCH))
                if not batch:
                    break
                yield list(range(number, number + len(batch))), batch
                number += len(batch)
                update(raw.tell())
            update(size)
        except UnicodeDecodeError as e:
            sheet.complete = False
            where = number + len(batch)
            problems.add(
                _problem(
                    path,
                    where,
                    "Tệp không phải UTF-8 (có thể là Windows-1258 hay bảng mã cũ khác); "
                    "lưu lại dưới dạng CSV UTF-8",
                    f"not UTF-8 near row {where} (Windows-1258 or another legacy "
                    f"encoding?): {e.reason}; save the file as CSV UTF-8",
                )
            )
        except csv.Error as e:
            sheet.complete = False
            where = number + len(batch)
            problems.add(
                _problem(
                    path,
                    where,
                    f"Dòng CSV không đọc được ({e}); ô quá dài hoặc dấu ngoặc kép không đóng",
                    f"cannot read the CSV record: {e}",
                )
            )
        if not sheet.complete and batch:  # the rows read before the failure are checked too
            yield list(range(number, number + len(batch))), batch
