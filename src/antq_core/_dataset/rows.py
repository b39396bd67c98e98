"""Observation rows into the column store: each distinct string parsed once, problems located.

The JSON document (:mod:`~antq_core._dataset.document`), the chunked reader
(:mod:`~antq_core._dataset.stream`) and the tabular reader all hand their
observation rows to :func:`append_rows` or :func:`append_columns`, which
check them and append them to a :class:`~antq_core._dataset.store.StoreBuilder`.
Problems carry the JSON path of the row and field
(``$.observations[12].period``).
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import compress
from operator import itemgetter
from typing import Any, Final, NamedTuple, TypeVar

from antq_core._dataset.store import (
    INT64_MAX,
    QUALIFIER_INDEX,
    FigureAudit,
    ObservationStore,
    StoreBuilder,
)
from antq_core._entities import TEXT_LIMIT
from antq_core._values.patterns import AWARE_TIME
from antq_core._values.period import Period
from antq_core._values.quantity import (
    NEGATIVE_REASON,
    Number,
    Unit,
    check_value,
    decimal_from_text,
    is_decimal_text,
    whole_float,
)
from antq_core._values.refs import ID_RE, Disaggregation, SubjectRef
from antq_core._values.schema import OBSERVATION_FIELDS_VI
from antq_core._values.text import nfc
from antq_core.errors import Location, Problem, QuantityError, safe_repr

__all__ = [
    "ID_REASON",
    "Negative",
    "RowColumns",
    "append_columns",
    "append_rows",
    "id_parser",
    "note_text",
    "qualifier_code",
    "sign_problems",
    "signed_problems",
]

_K = TypeVar("_K")


def note_text(raw: str) -> str:
    """A note as the Observation model takes it: NFC, at most TEXT_LIMIT characters."""
    text = nfc(raw)
    if len(text) > TEXT_LIMIT:
        msg = f"a note has at most {TEXT_LIMIT} characters"
        raise ValueError(msg)
    return text


class _Table(dict[_K, int]):
    """Maps raw keys (strings, or a disaggregation's items) to a store table index.

    Each distinct key is parsed once, when first looked up (``__missing__``),
    so a column is turned into indexes by one C-level lookup a row. A key
    that does not parse maps to -1 and its reason is kept in :attr:`reasons`,
    so callers never catch or parse twice.
    """

    __slots__ = ("parse", "reasons")

    def __init__(self, parse: Callable[[_K], int]) -> None:
        super().__init__()
        self.reasons: dict[_K, str] = {}
        self.parse = parse

    def __missing__(self, raw: _K) -> int:
        try:
            index = self.parse(raw)
        except (ValueError, TypeError) as e:
            index = -1
            self.reasons[raw] = str(e)
        self[raw] = index
        return index

    def get(self, raw: _K) -> int:  # type: ignore[override]
        """The index of ``raw`` (-1 if it does not parse)."""
        return self[raw]

    def codes(self, raws: list[_K]) -> list[int]:
        """The index of each of ``raws``, interning distinct keys in order of first appearance."""
        return list(map(self.__getitem__, raws))


ID_REASON: Final = "ids use ASCII letters, digits, '.', '_' and '-'"
"""Why a string is not an id (the readers' message)."""


def id_parser(add: Callable[[str], int]) -> Callable[[str], int]:
    """``add`` for strings that are ids; anything else raises ``ValueError``."""

    def parse(raw: str) -> int:
        if ID_RE.fullmatch(raw) is None:
            raise ValueError(ID_REASON)
        return add(raw)

    return parse


def qualifier_code(raw: str) -> int:
    """The store's code of the qualifier written ``raw``; else ``ValueError``."""
    code = _QUALIFIER_CODES.get(raw, -1)
    if code < 0:
        raise ValueError(_BAD_QUALIFIER)
    return code


# Problems within one row are reported in this order, as a row-by-row reading would.
_FIELD_ORDER: Final = {
    field: rank
    for rank, field in enumerate(
        (
            "metric",
            "subject",
            "period",
            "unit",
            "qualifier",
            "value",
            "disaggregation",
            "source",
            "note",
            "stored_by",
            "created",
            "last_updated",
        )
    )
}
# The keys every row has (``__required_keys__`` cannot tell: the annotations are strings).
_REQUIRED_FIELDS: Final = len(("metric", "subject", "period", "unit", "value"))
_QUALIFIER_CODES: Final = {q.value: i for q, i in QUALIFIER_INDEX.items()}
_BAD_QUALIFIER: Final = "not one of exact, at_least, at_most, approximately"
_BAD_VALUE: Final = "a value is an integer or a decimal string like '5.8'"
_STORED_BY_LIMIT: Final = 200
_NO_LAST_UPDATED: Final = "a figure with stored_by or created needs its last_updated time"
_AUDIT_FIELDS: Final = ("stored_by", "created", "last_updated")
_AWARE_TIME: Final = re.compile(AWARE_TIME)


def _aware_time(raw: str) -> dt.datetime:
    """A time with its offset, as the document writes ``created`` and ``last_updated``."""
    if _AWARE_TIME.fullmatch(raw) is None:
        msg = "not a time with its offset like 2025-09-03T08:00:00+07:00 (at most microseconds)"
        raise ValueError(msg)
    return dt.datetime.fromisoformat(raw)


def _stored_by(raw: str) -> str:
    text = nfc(raw)
    if not 1 <= len(text) <= _STORED_BY_LIMIT:
        msg = f"stored_by has 1 to {_STORED_BY_LIMIT} characters"
        raise ValueError(msg)
    return text


class _Audits:
    """The audit fields of the rows that have them: each distinct string parsed once."""

    def __init__(self, batch: _Batch) -> None:
        self.batch = batch
        self.found: dict[int, FigureAudit] = {}
        self.times: dict[str, dt.datetime | str] = {}  # a parsed time, or why it did not parse
        self.names: dict[str, str | ValueError] = {}
        self.made: dict[tuple[str | None, dt.datetime | None, dt.datetime], FigureAudit] = {}

    def time(self, i: int, field: str, raw: str) -> dt.datetime | None:
        when = self.times.get(raw)
        if when is None:
            try:
                when = _aware_time(raw)
            except ValueError as e:
                when = str(e)
            self.times[raw] = when
        if isinstance(when, str):
            self.batch.bad(i, field, when, raw)
            return None
        return when

    def read(self, i: int, row: Mapping[str, Any]) -> None:
        raw_by, raw_created, raw_updated = map(row.get, _AUDIT_FIELDS)
        if raw_by is None and raw_created is None and raw_updated is None:
            return
        ok = True
        by: str | None = None
        if raw_by is not None:
            name = self.names.get(raw_by)
            if name is None:
                try:
                    name = _stored_by(raw_by)
                except ValueError as e:
                    name = e
                self.names[raw_by] = name
            if isinstance(name, ValueError):
                self.batch.bad(i, "stored_by", str(name), raw_by)
                ok = False
            else:
                by = name
        created = None
        if raw_created is not None:
            created = self.time(i, "created", raw_created)
            ok = ok and created is not None
        if raw_updated is None:
            self.batch.bad(i, "last_updated", _NO_LAST_UPDATED, None)
            return
        updated = self.time(i, "last_updated", raw_updated)
        if not ok or updated is None:
            return
        key = (by, created, updated)
        audit = self.made.get(key)
        if audit is None:
            audit = self.made[key] = FigureAudit(by, created, updated)
        self.found[i] = audit


def append_rows(
    builder: StoreBuilder,
    rows: Sequence[Mapping[str, Any]],
    problems: list[Problem],
    row_numbers: Sequence[int] | None = None,
    negatives: list[Negative] | None = None,
) -> None:
    """Check rows that pydantic has type-checked; append them to ``builder``, a column at a time.

    The rows have the shape of :class:`~antq_core._dataset.document.ObservationRow`.
    This is the hot path of :meth:`Dataset.load <antq_core.Dataset.load>`, so
    it leaves the work per row to C-level built-ins wherever it can: it pulls
    one field out of every row (``map(itemgetter(...))``), parses each
    distinct string once (metric ids, subjects, periods and units repeat
    heavily), turns the column into table indexes through a dict, and hands
    whole lists to the store's arrays.
    Python code visits only the rows that need it: those with optional fields
    (qualifier, disaggregation, source, note, and who stored the figure and
    when: stored_by, created, last_updated), those whose value is a decimal
    string, negative or beyond 64 bits, and, when some string did not parse,
    the rows that hold it.

    Problems come out as a row-by-row reading gives them: each with its JSON
    path, by row, and within a row in the order of :data:`_FIELD_ORDER`. A
    value is checked against its unit (whole, not negative) whenever the row's
    unit is known, whatever else is wrong in the row. If there is any
    problem, nothing is appended (but the builder's tables may have grown):
    the caller raises. ``row_numbers`` gives each row's index in the document
    when ``rows`` is a selection. Call it once per batch of a file read in
    batches. Negative values are read (a ``signed`` metric has them) and, when
    ``negatives`` is given, listed there for :func:`sign_problems`, which
    refuses those of other metrics once the document's metrics are known.
    """
    columns = RowColumns(
        metric=list(map(itemgetter("metric"), rows)),
        subject=list(map(itemgetter("subject"), rows)),
        period=list(map(itemgetter("period"), rows)),
        unit=list(map(itemgetter("unit"), rows)),
        value=list(map(itemgetter("value"), rows)),
        # Most rows have only the required fields: find the others without a Python loop.
        extras=[
            (i, rows[i])
            for i in compress(range(len(rows)), map(_REQUIRED_FIELDS.__ne__, map(len, rows)))
        ],
    )
    append_columns(builder, columns, problems, row_numbers, negatives)


class Negative(NamedTuple):
    """A negative value read by :func:`append_rows`: where, of which metric, what."""

    row: int
    metric: str
    value: Number


def sign_problems(negatives: Iterable[Negative], signed: Collection[str]) -> list[Problem]:
    """A located problem for each negative value whose metric is not in ``signed``.

    Only a metric declared ``signed`` (a change figure) has negative values;
    the rows cannot be judged until the document's metrics are known (a
    streamed file may list them after its observations), so the readers
    collect ``negatives`` while reading and call this once at the end.
    """
    return [
        _negative_problem(n.row, n.metric, n.value)
        for n in sorted(negatives)
        if n.metric not in signed
    ]


def _negative_problem(row: int, metric: str, value: Number) -> Problem:
    where = Location(path=f"$.observations[{row}].value", row=row, field="value")
    en = f"{NEGATIVE_REASON}: metric '{metric}' is not declared signed (a change figure)"
    vi = (
        "Giá trị âm chỉ dùng cho chỉ tiêu khai báo có dấu (signed, số tăng/giảm); "
        f"chỉ tiêu '{metric}' không khai báo như vậy"
    )
    return Problem(where, en, vi, safe_repr(value))


def signed_problems(store: ObservationStore, signed: Collection[str]) -> list[Problem]:
    """:func:`sign_problems` for the rows of a store (row ``i``: the i-th row stored)."""
    cols = store.columns()
    if not len(cols):
        return []
    found: list[Problem] = []
    negative = [i for i, v in enumerate(cols.value) if v < 0] if min(cols.value) < 0 else []
    negative.extend(i for i, v in cols.exact.items() if v < 0)
    for i in sorted(negative):
        metric = cols.metrics[cols.metric[i]]
        if metric not in signed:
            found.append(_negative_problem(i, metric, cols.exact.get(i, cols.value[i])))
    return found


class RowColumns(NamedTuple):
    """Observation rows as columns: the required fields whole, the optional ones sparse.

    ``extras`` lists ``(i, fields)`` for the rows that have any optional field
    (qualifier, disaggregation, source, note, stored_by, created, last_updated),
    ``fields`` holding them by name.
    """

    metric: list[str]
    subject: list[str]
    period: list[str]
    unit: list[str]
    value: list[Any]
    extras: list[tuple[int, Mapping[str, Any]]]


def append_columns(
    builder: StoreBuilder,
    columns: RowColumns,
    problems: list[Problem],
    row_numbers: Sequence[int] | None = None,
    negatives: list[Negative] | None = None,
) -> None:
    """:func:`append_rows` for rows already split into columns (as CSV files give them)."""
    batch = _Batch(builder, row_numbers)
    metric = batch.required(columns.metric, "metric", id_parser(builder.metrics.add))
    subjects, periods, units = builder.subjects, builder.periods, builder.units
    subject = batch.required(
        columns.subject, "subject", lambda raw: subjects.add(SubjectRef.parse(raw))
    )
    period = batch.required(columns.period, "period", lambda raw: periods.add(Period.parse(raw)))
    unit = batch.required(columns.unit, "unit", lambda raw: units.add(Unit.get(raw)))
    qualifier, disaggregation, source, note, audit = batch.optional(
        len(columns.metric), columns.extras
    )
    value, exact = batch.values(columns.value, unit)
    if negatives is not None:
        negatives.extend(
            Negative(batch.number(i), columns.metric[i], v)
            for i, v in batch.negative
            if type(columns.metric[i]) is str
        )
    if batch.found:
        batch.found.sort(key=lambda found: found[:2])
        problems.extend(problem for _, _, problem in batch.found)
        return
    builder.extend(
        metric=metric,
        subject=subject,
        period=period,
        unit=unit,
        value=value,
        qualifier=qualifier,
        disaggregation=disaggregation,
        source=source,
        note=note,
        exact=exact,
        audit=audit,
    )


class _Batch:
    """One batch through :func:`append_columns`: its steps, and the problems they find."""

    def __init__(self, builder: StoreBuilder, row_numbers: Sequence[int] | None = None) -> None:
        self.row_numbers = row_numbers
        self.builder = builder
        self.found: list[tuple[int, int, Problem]] = []
        self.blocked: set[int] = set()  # rows whose value is not checked against their unit
        self.negative: list[tuple[int, Number]] = []  # rows whose value is below 0

    def number(self, i: int) -> int:
        """Row ``i``'s index in the document."""
        return i if self.row_numbers is None else self.row_numbers[i]

    def bad(self, i: int, field: str, reason: str, value: object) -> None:
        rank = _FIELD_ORDER[field]
        row = i if self.row_numbers is None else self.row_numbers[i]
        where = Location(path=f"$.observations[{row}].{field}", row=row, field=field)
        problem = Problem(where, reason, OBSERVATION_FIELDS_VI[field], safe_repr(value))
        self.found.append((i, rank, problem))
        if field == "unit":
            self.blocked.add(i)

    def required(self, raws: list[str], field: str, parse: Callable[[str], int]) -> list[int]:
        """The table index of a required string field of every row."""
        table: _Table[str] = _Table(parse)
        codes = table.codes(raws)
        if table.reasons:  # some string did not parse: find the rows that hold it
            for i, raw in enumerate(raws):
                reason = table.reasons.get(raw)
                if reason is not None:
                    self.bad(i, field, reason, raw)
        return codes

    def optional(
        self, n: int, extras: list[tuple[int, Mapping[str, Any]]]
    ) -> tuple[array[int], array[int], array[int], array[int], dict[int, FigureAudit]]:
        """The columns of the optional fields; most rows keep the defaults (0).

        Last comes who stored each row and when, for the rows that say so.
        """
        builder = self.builder
        qualifier = array("B", [0]) * n
        disaggregation = array("I", [0]) * n
        source = array("I", [0]) * n
        note = array("I", [0]) * n
        disaggregations: _Table[tuple[tuple[str, str], ...]] = _Table(
            lambda items: builder.disaggregations.add(Disaggregation(dict(items)))
        )
        texts = builder.texts
        sources: _Table[str] = _Table(id_parser(texts.add))
        notes: _Table[str] = _Table(lambda raw: texts.add(note_text(raw)))
        audits = _Audits(self)
        for i, row in extras:
            raw_qualifier = row.get("qualifier")
            if raw_qualifier is not None:
                q = _QUALIFIER_CODES.get(raw_qualifier, -1)
                if q < 0:
                    self.bad(i, "qualifier", _BAD_QUALIFIER, raw_qualifier)
                else:
                    qualifier[i] = q
            raw_d = row.get("disaggregation")
            if raw_d:
                key = tuple(sorted(raw_d.items()))
                d = disaggregations.get(key)
                if d < 0:
                    self.bad(i, "disaggregation", disaggregations.reasons[key], raw_d)
                else:
                    disaggregation[i] = d
            raw_source = row.get("source")
            if raw_source is not None:
                s = sources.get(raw_source)
                if s < 0:
                    self.bad(i, "source", sources.reasons[raw_source], raw_source)
                else:
                    source[i] = s
            raw_note = row.get("note")
            if raw_note is not None:
                n = notes.get(raw_note)
                if n < 0:
                    self.bad(i, "note", notes.reasons[raw_note], raw_note)
                else:
                    note[i] = n
            audits.read(i, row)
        return qualifier, disaggregation, source, note, audits.found

    def values(
        self, raws: list[Any], unit_codes: list[int]
    ) -> tuple[list[int], dict[int, Number]]:
        """The 64-bit value of every row (0 for the others), and the others by row.

        Call after the unit column is read: a value is checked against its
        unit whenever that unit is known. ``raws`` is changed in place.
        """
        values: list[Any] = raws
        units = self.builder.units.values
        exact: dict[int, Number] = {}
        special = [
            i for i, v in enumerate(values) if type(v) is not int or not 0 <= v <= INT64_MAX
        ]
        for i in special:
            raw = values[i]
            values[i] = 0
            if isinstance(raw, str) and is_decimal_text(raw):
                try:
                    value: Number = decimal_from_text(raw)
                except QuantityError as e:
                    self.bad(i, "value", e.reason, raw)
                    continue
            elif type(raw) is int:
                value = raw
            elif type(raw) is float and (whole := whole_float(raw)) is not None:
                value = whole  # 32.0 is the number 32 in JSON
            else:
                self.bad(i, "value", _BAD_VALUE, raw)
                continue
            if i in self.blocked:
                continue
            try:
                # Negative values are refused by sign_problems(), which knows the metrics.
                value = check_value(value, units[unit_codes[i]], signed=True)
            except QuantityError as e:
                self.bad(i, "value", e.reason, raw)
                continue
            if value < 0:
                self.negative.append((i, value))
            if type(value) is int and -INT64_MAX - 1 <= value <= INT64_MAX:
                values[i] = value
            else:
                exact[i] = value
        return values, exact
