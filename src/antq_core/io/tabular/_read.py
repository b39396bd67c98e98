"""Reading tables back into a dataset, with every problem located and in two languages.

The format adapters (:mod:`._csv`, :mod:`._xlsx`) turn a file into
:class:`Sheet` objects: a table, its header cells and its rows of raw cells.
This module reads them: headers to columns, cells to values, rows to
entities (validated by their pydantic models) and observations (checked by
the same column builder as a JSON file, a batch at a time). Nothing stops at
the first problem; a dataset comes out only when there is none.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import compress, repeat
from operator import is_not
from typing import Any, Final

import attrs
from pydantic import BaseModel, ValidationError

from antq_core._dataset.dataset import Dataset
from antq_core._dataset.rows import RowColumns, append_columns, signed_problems
from antq_core._dataset.store import ObservationStore, StoreBuilder
from antq_core._entities import (
    CategoryOption,
    DatasetMetadata,
    DisaggregationCategory,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    Participant,
    Site,
    Source,
    Statement,
)
from antq_core._values.geo import GAZETTEER_FORMAT, GAZETTEER_FORMAT_VERSION, Gazetteer
from antq_core._values.phrases import parse_quantity
from antq_core._values.quantity import Qualifier
from antq_core._values.schema import HIDDEN_INPUT, SENSITIVE_FIELDS, pydantic_vi
from antq_core._values.text import nfc
from antq_core.errors import (
    AntqError,
    DatasetLoadError,
    Location,
    Problem,
    ProblemList,
    TabularLoadError,
    safe_repr,
)
from antq_core.io.tabular._cells import (
    CellError,
    decimal_from_float,
    read_bool,
    read_date,
    read_int,
    read_list,
    read_slice,
    read_text,
)
from antq_core.io.tabular._layout import DATASET_DATES, DATASET_FIELDS, TABLES, Column, Kind, Table

__all__ = ["Sheet", "build_dataset", "problem_in"]

_BATCH: Final = 50_000


@attrs.define
class Sheet:
    """One table as a format adapter reads it.

    Attributes:
        table: The table it holds.
        file: The file it is in.
        sheet: The sheet name in a workbook; ``None`` for a CSV file.
        header: The header row's raw cells.
        rows: Row number (the header is 1) and raw cells of each further row.
        cell: Cell reference of a row and a 0-based column (``"C14"``), or ``None``.
        complete: Whether every row could be read.
        batches: The rows as batches of row numbers and rows, if the adapter gives them so
            (CSV does, for speed); then :attr:`rows` is empty, and readers that want
            rows one by one use :meth:`each_row`.
    """

    table: Table
    file: str
    sheet: str | None
    header: list[Any]
    rows: Iterator[tuple[int, list[Any]]]
    cell: Callable[[int, int], str | None] = lambda row, column: None
    complete: bool = True
    batches: Iterator[tuple[list[int], list[list[Any]]]] | None = None
    """The rows in batches (row numbers, rows), when the adapter reads them so; ``rows`` is then
    empty."""
    """``False`` once the adapter had to stop reading the rows (bad encoding, broken CSV)."""


def each_row(sheet: Sheet) -> Iterator[tuple[int, list[Any]]]:
    """The rows of ``sheet`` one by one, whether the adapter gave them in batches or not."""
    if sheet.batches is not None:
        for numbers, rows in sheet.batches:
            yield from zip(numbers, rows, strict=True)
    yield from sheet.rows


def problem_in(
    file: str,
    vi: str,
    en: str,
    *,
    sheet: str | None = None,
    row: int | None = None,
    cell: str | None = None,
) -> Problem:
    """A problem of a file, or of a sheet, row or cell of it, with no column to blame."""
    return Problem(Location(file=file, sheet=sheet, row=row, cell=cell), en, vi)


class _Located:
    """Makes problems for one sheet: file, sheet, the header of each column."""

    def __init__(self, sheet: Sheet, problems: ProblemList) -> None:
        self.sheet = sheet
        self.problems = problems
        self.headers: dict[str, tuple[int, str]] = {}  # field → (index, header as written)
        self.held: list[tuple[int, int, Problem]] | None = None

    def hold(self) -> None:
        """Keep problems back until :meth:`release`, which adds them in row order."""
        self.held = []

    def release(self) -> None:
        held, self.held = self.held or [], []
        held.sort(key=lambda item: item[:2])
        for _, _, problem in held:
            self.problems.add(problem)

    def add(
        self,
        row: int | None,
        field: str | None,
        vi: str,
        en: str,
        raw: object = None,
        *,
        index: int | None = None,
    ) -> None:
        header = None
        if field is not None and field in self.headers:
            index, header = self.headers[field]
        elif field is not None:
            header = field
        shown = None
        if raw is not None and field not in SENSITIVE_FIELDS and raw != HIDDEN_INPUT:
            shown = safe_repr(raw)
        if field in SENSITIVE_FIELDS and raw is not None and _quotes(raw, vi, en):
            # A personal cell's value never goes into a message, even a bad one.
            vi, en = _PERSONAL_CELL
        cell = None if row is None or index is None else self.sheet.cell(row, index)
        where = Location(
            file=self.sheet.file, sheet=self.sheet.sheet, row=row, field=header, cell=cell
        )
        problem = Problem(where, en, vi, shown)
        if self.held is None:
            self.problems.add(problem)
        else:
            self.held.append((row or 0, -1 if index is None else index, problem))

    def pydantic(
        self,
        row: int,
        error: ValidationError,
        column_of: Callable[[tuple[Any, ...]], str | None],
        reported: set[str],
    ) -> None:
        """Add pydantic's errors, but none for a cell already reported as unreadable."""
        for item in error.errors(include_url=False):
            field = column_of(tuple(item["loc"]))
            if field in reported:
                continue
            vi = pydantic_vi(item["type"])
            raw = None if item["type"] == "missing" else item.get("input")
            if isinstance(raw, dict | list | tuple):
                raw = None
            self.add(row, field, vi, item["msg"], raw)


_PERSONAL_CELL: Final = (
    "Không đọc được giá trị (không hiển thị: dữ liệu cá nhân)",
    "cannot read the value (not shown: personal data)",
)


def _quotes(raw: object, *messages: str) -> bool:
    """Whether any of ``messages`` quotes ``raw`` (whole, shortened or escaped)."""
    text = str(raw)
    pieces = {text, text[:40], repr(text[:40])[1:-1], text.strip()[:40]}
    return any(piece and piece in message for piece in pieces for message in messages)


def _header_key(raw: object) -> str:
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    return nfc(text).strip().casefold()


def _map_header(sheet: Sheet, located: _Located) -> tuple[list[Column | None], str] | None:
    """Each cell's column, and the table's language; ``None`` if the header is unusable."""
    by_name: dict[str, tuple[Column, str]] = {}
    for column in sheet.table.columns:
        by_name[column.key.casefold()] = (column, "en")
        by_name.setdefault(nfc(column.vi).casefold(), (column, "vi"))
    columns: list[Column | None] = []
    langs = {"vi": 0, "en": 0}
    seen: set[str] = set()
    if not any(_header_key(c) for c in sheet.header):
        located.add(1, None, "Thiếu dòng tiêu đề (dòng 1)", "no header row (row 1 is empty)")
        return None
    for index, raw in enumerate(sheet.header):
        key = _header_key(raw)
        if not key:
            columns.append(None)
            continue
        found = by_name.get(key)
        if found is None:
            located.add(
                1,
                None,
                f"Cột không có trong mẫu: {str(raw)[:60]!r}",
                f"unknown column {str(raw)[:60]!r}",
                index=index,
            )
            columns.append(None)
            continue
        column, lang = found
        if column.key in seen:
            located.add(1, None, "Cột bị lặp lại", f"the column {column.key!r} repeats", raw)
            columns.append(None)
            continue
        seen.add(column.key)
        langs[lang] += 1
        located.headers[column.key] = (index, str(raw).strip())
        columns.append(column)
    missing = [c for c in sheet.table.columns if c.required and c.key not in seen]
    for column in missing:
        located.add(
            1,
            None,
            f"Thiếu cột bắt buộc {column.vi!r}",
            f"the required column {column.key!r} is missing",
        )
    if missing:
        return None
    return columns, "en" if langs["en"] > langs["vi"] else "vi"


def _empty(cells: list[Any]) -> bool:
    return all(c is None or c == "" for c in cells)


def _decode(column: Column, raw: object, lang: str) -> Any:
    kind = column.kind
    if kind is Kind.TEXT:
        return read_text(raw)
    if kind is Kind.PERIOD:
        if isinstance(raw, dt.date):
            raise CellError(
                "Kỳ là ngày tháng do Excel tự đổi; định dạng cột là Text và viết 2017-07-13",
                "the period is a date that Excel converted; format the column as Text "
                "and write 2017-07-13",
            )
        return read_text(raw)
    if kind is Kind.INT:
        return read_int(raw, lang)
    if kind is Kind.BOOL:
        return read_bool(raw)
    if kind is Kind.DATE:
        return read_date(raw)
    if kind is Kind.LIST:
        return read_list(raw) or None
    if kind is Kind.SLICE:
        return read_slice(raw) or None
    return read_value(raw, lang, None)[0]


_PLAIN_INT: Final = re.compile(r"[0-9]+")
_PLAIN: Final = {
    "vi": (re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+"), ".", re.compile(r"[0-9]+,[0-9]+")),
    "en": (re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+"), ",", re.compile(r"[0-9]+\.[0-9]+")),
}
_OTHER_LOCALE: Final = {
    "vi": re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+"),
    "en": re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+"),
}


def read_value(raw: object, lang: str, unit: str | None) -> tuple[int | str | None, str | None]:
    """A value cell: the wire value (int or decimal text) and the qualifier its text states.

    Numeric cells are taken as they are; text is a number written the
    ``lang`` way ("4.810", "5,8" in Vietnamese) or a quantity phrase
    ("trên 58 nghìn", "khoảng 1,2 ha") read by :func:`~antq_core.text.parse_quantity`
    in the row's unit.
    """
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, bool):
        raise CellError("Cần một số", "expected a number")
    if isinstance(raw, int):
        return raw, None
    if isinstance(raw, float):
        number = decimal_from_float(raw)
        return (number if isinstance(number, int) else format(number, "f")), None
    if isinstance(raw, Decimal):
        return format(raw, "f"), None
    text = read_text(raw)
    assert text is not None  # noqa: S101 - only None and "" are empty
    text = text.strip()
    if text[:1] in ("-", "\u2212") and text[1:2].isdigit():
        # A change figure of a signed metric (the store refuses it for any other metric).
        magnitude, stated = read_value(text[1:], lang, unit)
        if stated is None and magnitude is not None:
            return (-magnitude if isinstance(magnitude, int) else f"-{magnitude}"), None
    if _PLAIN_INT.fullmatch(text):
        return int(text), None
    grouped, group, decimal_ = _PLAIN[lang]
    if grouped.fullmatch(text):
        return int(text.replace(group, "")), None
    if decimal_.fullmatch(text):
        return text.replace(",", "."), None
    try:
        quantity = parse_quantity(text, lang, unit=unit)  # type: ignore[arg-type]
    except (ValueError, TypeError) as e:
        raise CellError(
            f"Không đọc được giá trị {text[:40]!r} (số viết kiểu "
            f"{'4.810 hay 5,8' if lang == 'vi' else '4,810 hay 5.8'}, hoặc như 'trên 58 nghìn')",
            f"cannot read the value {text[:40]!r}: {e}",
        ) from None
    value = quantity.value
    qualifier = None if quantity.qualifier is Qualifier.EXACT else quantity.qualifier.value
    return (value if isinstance(value, int) else format(value, "f")), qualifier


# -- observations ------------------------------------------------------------------


class _Observations:
    """Decodes observation rows and feeds them to one store, a batch at a time."""

    def __init__(self, problems: ProblemList) -> None:
        self.problems = problems
        self.builder: StoreBuilder | None = StoreBuilder()  # None after a problem
        self.where: list[tuple[_Located, int]] = []  # the sheet row of each stored observation

    def signs(self, store: ObservationStore, metrics: list[Any]) -> None:
        """Refuse, located, negative values of metrics not declared ``signed``."""
        for problem in signed_problems(store, {m.id for m in metrics if m.signed}):
            i = problem.location.row
            assert i is not None  # noqa: S101 - signed_problems locates by row
            located, number = self.where[i]
            located.add(
                number,
                "value",
                "Giá trị âm chỉ được dùng cho chỉ tiêu khai báo có dấu (signed, số thay đổi)",
                problem.message_en,
                store.value(i),
            )

    def read(
        self, sheet: Sheet, located: _Located, columns: list[Column | None], lang: str
    ) -> None:
        """Read every row of ``sheet``, a batch of rows at a time, column by column."""
        reader = _ColumnReader(sheet, located, columns, lang)
        rows: list[list[Any]] = []
        numbers: list[int] = []
        located.hold()
        if sheet.batches is not None:
            for given_numbers, given_rows in sheet.batches:
                if not all(map(any, given_rows)):
                    kept = [k for k, cells in enumerate(given_rows) if not _empty(cells)]
                    given_numbers = [given_numbers[k] for k in kept]  # noqa: PLW2901
                    given_rows = [given_rows[k] for k in kept]  # noqa: PLW2901
                self.feed(*reader.batch(given_rows, given_numbers), located, lang)
        for number, cells in sheet.rows:
            if not any(cells) and _empty(cells):
                continue
            rows.append(cells)
            numbers.append(number)
            if len(rows) >= _BATCH:
                self.feed(*reader.batch(rows, numbers), located, lang)
                rows, numbers = [], []
        self.feed(*reader.batch(rows, numbers), located, lang)
        if reader.bad:
            self.builder = None
        located.held = None

    def feed(
        self,
        batch: RowColumns,
        numbers: list[int],
        raws: dict[int, object],
        located: _Located,
        lang: str,
    ) -> None:
        if not batch.metric:
            located.release()
            return
        found: list[Problem] = []
        # After a problem the rows are still checked, in a builder thrown away.
        builder = StoreBuilder() if self.builder is None else self.builder
        append_columns(builder, batch, found, numbers)
        if not found and self.builder is not None:
            self.where.extend(zip(repeat(located), numbers))
        for problem in found:
            number, field = problem.location.row, problem.location.field
            assert number is not None  # noqa: S101 - append_columns locates by row and field
            assert field is not None  # noqa: S101
            en, vi = problem.message_en, problem.message_vi
            raw = raws.get(number)
            if field == "value" and isinstance(raw, str) and _OTHER_LOCALE[lang].fullmatch(raw):
                vi += f" ({raw!r}: trong tệp tiếng Việt dấu ',' là dấu thập phân; viết 1.500)"
                en += f" ({raw!r} looks like a number written the other locale's way)"
                if lang == "en":
                    vi = vi.replace(
                        "tiếng Việt dấu ',' là dấu thập phân; viết 1.500",
                        "tiếng Anh dấu '.' là dấu thập phân; viết 1,500",
                    )
            located.add(number, field, vi, en, problem.input)
        located.release()
        if found:
            self.builder = None


_NOT_PLAIN: Final = object()


class _ColumnReader:
    """Turns a batch of raw observation rows into rows for the store, a column at a time.

    Metric ids, subjects, periods, units and the rest repeat heavily, so each
    distinct cell is decoded once per sheet; values that are plain digits are
    read in one pass, and only the others one by one.
    """

    def __init__(
        self, sheet: Sheet, located: _Located, columns: list[Column | None], lang: str
    ) -> None:
        self.sheet = sheet
        self.located = located
        self.lang = lang
        self.width = len(columns)
        self.index = {c.key: i for i, c in enumerate(columns) if c is not None}
        self.caches: dict[str, dict[Any, Any]] = {k: {} for k in self.index if k != "value"}
        self.bad = False

    def column(self, raws: tuple[Any, ...], key: str) -> list[Any]:
        """The decoded cells of column ``key``: a value, ``None`` or a :class:`CellError`."""
        cache = self.caches[key]
        for raw in dict.fromkeys(raws):
            if raw not in cache:
                try:
                    cache[raw] = _observation_cell(key, raw, self.lang, self.sheet.table)
                except CellError as e:
                    cache[raw] = e
        return list(map(cache.__getitem__, raws))

    def batch(
        self, rows: list[list[Any]], numbers: list[int]
    ) -> tuple[RowColumns, list[int], dict[int, object]]:
        """The rows without problems as columns, their numbers, and value cells given as text."""
        width = self.width
        located = self.located
        lengths = set(map(len, rows))
        for k, cells in enumerate(rows if lengths - {width} else ()):
            if len(cells) != width:
                if len(cells) > width and not _empty(cells[width:]):
                    located.add(
                        numbers[k],
                        None,
                        "Có giá trị ở cột không có tiêu đề",
                        "a value in a column with no header",
                    )
                rows[k] = (cells + [None] * width)[:width]
        n = len(rows)
        transposed = list(zip(*rows, strict=True)) if rows else [()] * width
        decoded: dict[str, list[Any]] = {}
        for key in _STORE_FIELDS:
            if key == "value":
                continue
            i = self.index.get(key)
            decoded[key] = [None] * n if i is None else self.column(transposed[i], key)
        bad: set[int] = set()
        for key, values in decoded.items():
            required = key in _REQUIRED_KEYS
            cache = self.caches.get(key, {})
            if not any(
                isinstance(v, CellError) or (v is None and required) for v in cache.values()
            ):
                continue  # nothing wrong in this column
            for k, value in enumerate(values):
                if value is None and required:
                    located.add(numbers[k], key, "Thiếu giá trị bắt buộc", f"the {key} is empty")
                    bad.add(k)
                elif isinstance(value, CellError):
                    raw = rows[k][self.index[key]]
                    located.add(numbers[k], key, value.vi, value.en, raw)
                    bad.add(k)
        raw_values = transposed[self.index["value"]]
        values, stated, texts = self.values(raw_values, numbers, decoded, bad)
        extras: dict[int, dict[str, Any]] = {}
        qualifiers = decoded["qualifier"]
        for k, qualifier in stated.items():
            if qualifiers[k] is None:
                extras[k] = {"qualifier": qualifier}
        for key in ("qualifier", "disaggregation", "source", "note"):
            if all(v is None for v in self.caches.get(key, {}).values()):
                continue
            column = decoded[key]
            for k in compress(range(n), map(is_not, column, repeat(None))):
                extras.setdefault(k, {})[key] = column[k]
        keep: list[int] | None = None
        if bad:
            self.bad = True
            keep = [k for k in range(n) if k not in bad]

        def kept(column: list[Any]) -> list[Any]:
            return column if keep is None else [column[k] for k in keep]

        if keep is None:
            extra_rows = sorted(extras.items())
        else:
            position = {k: j for j, k in enumerate(keep)}
            extra_rows = sorted((position[k], e) for k, e in extras.items() if k in position)
        columns = RowColumns(
            metric=kept(decoded["metric"]),
            subject=kept(decoded["subject"]),
            period=kept(decoded["period"]),
            unit=kept(decoded["unit"]),
            value=kept(values),
            extras=list(extra_rows),
        )
        return columns, kept(numbers), {numbers[k]: raw for k, raw in texts.items()}

    def values(
        self,
        raws: tuple[Any, ...],
        numbers: list[int],
        decoded: dict[str, list[Any]],
        bad: set[int],
    ) -> tuple[list[Any], dict[int, str], dict[int, object]]:
        """Values, the qualifiers their text states, and the cells that were text."""
        values: list[Any] = [
            int(v) if type(v) is str and v.isdigit() and v.isascii() else _NOT_PLAIN for v in raws
        ]
        stated: dict[int, str] = {}
        texts: dict[int, object] = {}
        units = decoded["unit"]
        given = decoded["qualifier"]
        located = self.located
        for k, value in enumerate(values):
            if value is not _NOT_PLAIN:
                continue
            raw = raws[k]
            unit = units[k] if isinstance(units[k], str) else None
            try:
                number, qualifier = read_value(raw, self.lang, unit)
            except CellError as e:
                located.add(numbers[k], "value", e.vi, e.en, raw)
                bad.add(k)
                continue
            if number is None:
                located.add(numbers[k], "value", "Thiếu giá trị", "the value is empty")
                bad.add(k)
                continue
            values[k] = number
            if isinstance(raw, str):
                texts[k] = raw
            if qualifier is None:
                continue
            if isinstance(given[k], str) and given[k] != qualifier:
                located.add(
                    numbers[k],
                    "value",
                    f"Giá trị ghi '{qualifier}' nhưng cột mức độ chính xác ghi '{given[k]}'",
                    f"the value says {qualifier} but the qualifier column says {given[k]}",
                    raw,
                )
                bad.add(k)
            stated[k] = qualifier
        return values, stated, texts


_STORE_FIELDS: Final = (
    "metric",
    "subject",
    "period",
    "unit",
    "value",
    "qualifier",
    "disaggregation",
    "source",
    "note",
)
_REQUIRED_KEYS: Final = ("metric", "subject", "period", "unit", "value")


def _observation_cell(key: str, raw: object, lang: str, table: Table) -> Any:
    if key == "disaggregation":
        return read_slice(raw) or None
    if key == "period" and isinstance(raw, dt.date):
        column = next(c for c in table.columns if c.key == key)
        return _decode(column, raw, lang)
    return read_text(raw)


# -- entities ------------------------------------------------------------------------

_MODELS: Final[dict[str, type[BaseModel]]] = {
    "sources": Source,
    "themes": InitiativeTheme,
    "metrics": MetricDefinition,
    "initiatives": Initiative,
    "sites": Site,
    "organizations": MassOrganization,
    "participants": Participant,
    "outcomes": Statement,
    "category_options": CategoryOption,
    "categories": DisaggregationCategory,
}
_AGREEMENT: Final = {
    "title_vi": "agreement_title_vi",
    "parties": "agreement_parties",
    "signed": "agreement_signed",
    "source": "agreement_source",
}
_THRESHOLD: Final = {
    "value": "threshold_value",
    "unit": "threshold_unit",
    "qualifier": "threshold_qualifier",
}


def _column_of(loc: tuple[Any, ...]) -> str | None:
    if not loc:
        return None
    first = str(loc[0])
    if first == "coordination_agreement":
        return _AGREEMENT.get(str(loc[1])) if len(loc) > 1 else "agreement_parties"
    if first == "threshold":
        return (
            _THRESHOLD.get(str(loc[1]), "threshold_value") if len(loc) > 1 else "threshold_value"
        )
    return first


@attrs.define
class _Record:
    row: int
    values: dict[str, Any]
    located: _Located
    bad: set[str]  # columns whose cell could not be read (already reported)


class _Records:
    """The decoded rows of the entity tables, by table."""

    def __init__(self) -> None:
        self.tables: dict[str, list[_Record]] = {t.key: [] for t in TABLES}
        self.located: dict[str, _Located] = {}
        self.sheets: dict[str, Sheet] = {}

    def readable(self, key: str) -> bool:
        """Whether the table ``key`` was read whole (so a missing parent is a real problem)."""
        sheet = self.sheets.get(key)
        return sheet is not None and sheet.complete and key in self.located

    def read(
        self, sheet: Sheet, located: _Located, columns: list[Column | None], lang: str
    ) -> None:
        self.located[sheet.table.key] = located
        self.sheets[sheet.table.key] = sheet
        records = self.tables[sheet.table.key]
        width = len(columns)
        for number, cells in each_row(sheet):
            if _empty(cells):
                continue
            if len(cells) > width and not _empty(cells[width:]):
                located.add(
                    number,
                    None,
                    "Có giá trị ở cột không có tiêu đề",
                    "a value in a column with no header",
                )
            values: dict[str, Any] = {}
            bad: set[str] = set()
            for column, raw in zip(columns, cells, strict=False):
                if column is None:
                    continue
                try:
                    if sheet.table.key == "dataset" and column.key == "value":
                        value = raw  # read by field below
                    elif column.kind is Kind.VALUE:
                        value = read_value(raw, lang, None)
                    else:
                        value = _decode(column, raw, lang)
                except CellError as e:
                    located.add(number, column.key, e.vi, e.en, raw)
                    bad.add(column.key)
                    continue
                if value is not None and value != (None, None):
                    values[column.key] = value
            records.append(_Record(number, values, located, bad))


def _validated(model: type[BaseModel], record: _Record, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        record.located.pydantic(record.row, e, _column_of, record.bad)
        return None


def _entities(records: _Records, key: str) -> list[Any]:
    """The entities of a table whose rows map one to one onto model fields."""
    out = []
    first: dict[str, int] = {}
    for record in records.tables[key]:
        data = dict(record.values)
        entity = _validated(_MODELS[key], record, data)
        ident = data.get("id")
        if isinstance(ident, str):
            if ident in first:
                record.located.add(
                    record.row,
                    "id",
                    f"Mã {ident!r} trùng với dòng {first[ident]}",
                    f"duplicate id {ident!r} (first at row {first[ident]})",
                    ident,
                )
                continue
            first[ident] = record.row
        if entity is not None and not record.bad:
            out.append(entity)
    return out


def _metrics(records: _Records) -> None:
    """Join each metric's threshold columns into one ``threshold`` value."""
    for record in records.tables["metrics"]:
        values = record.values
        parts = {k: values.pop(c) for k, c in _THRESHOLD.items() if c in values}
        if parts:
            raw, stated = parts.get("value", (None, None))
            threshold = {
                "value": raw,
                "unit": parts.get("unit"),
                "qualifier": parts.get("qualifier") or stated or "exact",
            }
            values["threshold"] = {k: v for k, v in threshold.items() if v is not None}


def _sites(records: _Records) -> None:
    """Join each site's agreement columns into one ``coordination_agreement``."""
    for record in records.tables["sites"]:
        values = record.values
        parts = {k: values.pop(c) for k, c in _AGREEMENT.items() if c in values}
        if parts:
            values["coordination_agreement"] = parts


def _grouped(
    records: _Records,
    parent_key: str,
    child_table: str,
    parent_table: str,
    parents: set[str],
) -> dict[str, list[Any]]:
    """Child rows (outcomes, category options) by the id of their parent row."""
    children: dict[str, list[Any]] = {}
    check = records.readable(parent_table)
    model = _MODELS[child_table]
    for record in records.tables[child_table]:
        data = dict(record.values)
        parent = data.pop(parent_key, None)
        child = _validated(model, record, data)
        if isinstance(parent, str) and parent not in parents and check:
            record.located.add(
                record.row,
                parent_key,
                f"Không có dòng nào mang mã {parent!r} ở bảng cha",
                f"no row has the id {parent!r} in the parent table",
                parent,
            )
            continue
        if child is not None and isinstance(parent, str) and not record.bad:
            children.setdefault(parent, []).append(child)
    return children


def _dataset_fields(records: _Records) -> tuple[dict[str, Any], dict[str, int]]:
    fields: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for record in records.tables["dataset"]:
        name = record.values.get("field")
        raw = record.values.get("value")
        if not isinstance(name, str):
            continue
        key = name.strip()
        if key not in DATASET_FIELDS:
            record.located.add(
                record.row,
                "field",
                f"Trường không có trong mẫu: {key!r}",
                f"unknown field {key!r}",
                key,
            )
            continue
        if key in rows:
            record.located.add(
                record.row,
                "field",
                f"Trường {key!r} lặp lại (dòng {rows[key]})",
                f"the field {key!r} repeats (first at row {rows[key]})",
                key,
            )
            continue
        rows[key] = record.row
        try:
            if key in DATASET_DATES:
                value: Any = read_date(raw)
            elif key == "format_version":
                value = read_int(raw, "en")
            else:
                value = read_text(raw)
        except CellError as e:
            record.located.add(record.row, "value", e.vi, e.en, raw)
            continue
        if value is not None:
            fields[key] = value
    return fields, rows


def _check_format(fields: dict[str, Any], rows: dict[str, int], records: _Records) -> None:
    located = records.located.get("dataset")
    if located is None:
        return
    if fields.get("format", "antq-dataset") != "antq-dataset":
        located.add(
            rows["format"],
            "value",
            "Không phải tệp bộ dữ liệu antq",
            "expected 'antq-dataset'",
            fields["format"],
        )
    if fields.get("format_version", 1) != 1:
        located.add(
            rows["format_version"],
            "value",
            "Thư viện này đọc phiên bản 1",
            "this library reads version 1",
            fields["format_version"],
        )


def _gazetteer(
    records: _Records, fields: dict[str, Any], rows: dict[str, int], problems: ProblemList
) -> Gazetteer | None:
    units = records.tables["admin_units"]
    sources = records.tables["gazetteer_sources"]
    document = {
        "format": GAZETTEER_FORMAT,
        "format_version": GAZETTEER_FORMAT_VERSION,
        "version": fields.get("gazetteer_version"),
        "title": fields.get("gazetteer_title"),
        "valid_from": fields.get("gazetteer_valid_from"),
        "valid_to": fields.get("gazetteer_valid_to"),
        "sources": [dict(r.values) for r in sources],
        "units": [dict(r.values) for r in units],
    }
    document = {k: v for k, v in document.items() if v is not None}
    try:
        return Gazetteer.from_dict(document, source="gazetteer")
    except DatasetLoadError as e:
        for problem in e.problems:
            _gazetteer_problem(problem, records, units, sources, rows)
    except AntqError as e:
        located = records.located.get("admin_units") or records.located.get("dataset")
        if located is not None:
            located.add(None, None, "Danh mục đơn vị hành chính không hợp lệ", str(e))
        else:  # pragma: no cover - the dataset table is required
            problems.add(problem_in("", "Danh mục không hợp lệ", str(e)))
    return None


_GAZETTEER_PATH: Final = re.compile(r"\$\.(units|sources)\[(\d+)\](?:\.(\w+))?")


def _gazetteer_problem(
    problem: Problem,
    records: _Records,
    units: list[_Record],
    sources: list[_Record],
    rows: dict[str, int],
) -> None:
    path = problem.location.path or "$"
    match = _GAZETTEER_PATH.match(path)
    if match is not None:
        table = units if match.group(1) == "units" else sources
        record = table[int(match.group(2))]
        record.located.add(
            record.row,
            match.group(3),
            "Đơn vị hành chính không hợp lệ",
            problem.message_en,
            problem.input,
        )
        return
    located = records.located.get("dataset")
    if located is None:
        # The dataset table could not be read (no usable header, or no table): that is
        # reported already, and the gazetteer fields it should hold are missing because of it.
        return
    field = "gazetteer_" + path.removeprefix("$.").split(".")[0]
    shown = None if problem.message_en == "Field required" else problem.input
    located.add(
        rows.get(field),
        "value",
        f"Thông tin danh mục hành chính không hợp lệ ({field})",
        f"{field}: {problem.message_en}",
        shown,
    )


def build_dataset(sheets: Iterable[Sheet], source: str, problems: ProblemList) -> Dataset:
    """Read ``sheets`` into a dataset; ``problems`` may hold some from the adapter already.

    Raises:
        TabularLoadError: Anything is wrong; every problem is listed, located.
    """
    records = _Records()
    observations = _Observations(problems)
    seen: set[str] = set()
    for sheet in sheets:
        located = _Located(sheet, problems)
        if sheet.table.key in seen:
            located.add(
                None,
                None,
                "Bảng này xuất hiện hai lần",
                f"the table {sheet.table.key!r} appears twice",
            )
            continue
        seen.add(sheet.table.key)
        mapped = _map_header(sheet, located)
        if mapped is None:
            for _ in each_row(sheet):  # read on: the adapter reports problems of the file itself
                pass
            continue
        columns, lang = mapped
        if sheet.table.key == "observations":
            observations.read(sheet, located, columns, lang)
        else:
            records.read(sheet, located, columns, lang)
    if "dataset" not in seen:
        if len(problems):  # the file or the dataset table could not be read at all
            raise TabularLoadError(source, problems.kept, omitted=problems.omitted)
        problems.add(
            problem_in(
                source,
                "Thiếu bảng 'Bộ dữ liệu' (dataset): tiêu đề và danh mục hành chính",
                "the 'dataset' table (title, gazetteer) is missing",
            )
        )
        raise TabularLoadError(source, problems.kept, omitted=problems.omitted)
    fields, rows = _dataset_fields(records)
    _check_format(fields, rows, records)
    gazetteer = _gazetteer(records, fields, rows, problems)
    metadata = None
    meta = {
        k: fields[k]
        for k in ("title_vi", "title_en", "report_date", "province", "description", "license")
        if k in fields
    }
    try:
        metadata = DatasetMetadata.model_validate(meta)
    except ValidationError as e:
        # Without a readable dataset table (reported already) its fields are missing too.
        table = records.located.get("dataset")
        for item in e.errors(include_url=False):
            field = str(item["loc"][0]) if item["loc"] else None
            if table is None:
                break
            table.add(
                rows.get(field or ""),
                "value",
                f"{field}: {pydantic_vi(item['type'])}",
                f"{field}: {item['msg']}",
            )
    entities = _all_entities(records)
    if len(problems) or gazetteer is None or metadata is None or observations.builder is None:
        raise TabularLoadError(source, problems.kept, omitted=problems.omitted)
    store = observations.builder.build()
    observations.signs(store, entities["metrics"])
    if len(problems):
        raise TabularLoadError(source, problems.kept, omitted=problems.omitted)
    return Dataset(gazetteer=gazetteer, metadata=metadata, observations=store, **entities)


def _all_entities(records: _Records) -> dict[str, list[Any]]:
    """Every entity table's models, children (options, outcomes) joined to their parents."""
    _metrics(records)
    _sites(records)
    entities: dict[str, list[Any]] = {}
    for key in ("sources", "themes", "metrics", "organizations", "participants"):
        entities[key] = _entities(records, key)
    category_ids = {r.values.get("id") for r in records.tables["categories"]}
    options = _grouped(
        records,
        "category",
        "category_options",
        "categories",
        {i for i in category_ids if isinstance(i, str)},
    )
    for record in records.tables["categories"]:
        record.values["options"] = options.get(record.values.get("id"), [])  # type: ignore[arg-type]
    entities["categories"] = _entities(records, "categories")
    initiative_ids = {r.values.get("id") for r in records.tables["initiatives"]}
    outcomes = _grouped(
        records,
        "initiative",
        "outcomes",
        "initiatives",
        {i for i in initiative_ids if isinstance(i, str)},
    )
    for record in records.tables["initiatives"]:
        found = outcomes.get(record.values.get("id"))  # type: ignore[arg-type]
        if found:
            record.values["outcomes"] = found
    entities["initiatives"] = _entities(records, "initiatives")
    entities["sites"] = _entities(records, "sites")
    return entities
