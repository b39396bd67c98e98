"""Data frames: the observations as one tidy Arrow table (for polars, pandas, DuckDB) and back."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from antq_core._dataset.rows import ID_REASON, id_parser, note_text, qualifier_code
from antq_core._dataset.store import INT64_MAX, StoreBuilder
from antq_core._util.atomic import atomic_file
from antq_core._util.extras import arrow_over, require
from antq_core._values.exact import DECIMAL128_DIGITS, fraction_digits
from antq_core._values.geo import AdminLevel
from antq_core._values.period import Period
from antq_core._values.quantity import (
    NEGATIVE_REASON,
    Number,
    Unit,
    check_value,
    decimal_from_text,
    dump_value,
    is_decimal_text,
)
from antq_core._values.refs import ID_RE, Disaggregation, SubjectKind, SubjectRef
from antq_core._values.schema import OBSERVATION_FIELDS_VI
from antq_core.errors import (
    MAX_LISTED_PROBLEMS,
    AntqError,
    DatasetLoadError,
    Location,
    Problem,
    QuantityError,
    ValuesDoNotFitError,
    safe_repr,
)

if TYPE_CHECKING:
    from antq_core._dataset.dataset import Dataset

__all__ = [
    "FRAME_COLUMNS",
    "from_arrow",
    "read_parquet",
    "to_arrow",
    "to_pandas",
    "to_polars",
    "write_parquet",
]

FRAME_COLUMNS: Final = (
    "metric",
    "subject_kind",
    "subject_id",
    "province",
    "district",
    "commune",
    "village",
    "period",
    "period_start",
    "period_end",
    "period_kind",
    "value",
    "unit",
    "qualifier",
    "source",
    "note",
)
"""The columns of :func:`to_arrow`'s table, in order, before one ``by_CATEGORY``
column per disaggregation category (in alphabetical order of the category id)."""

DECIMAL_PRECISION: Final = DECIMAL128_DIGITS
"""Digits of Arrow's ``decimal128`` type, the widest that polars and pandas both read."""


_LEVELS: Final = (AdminLevel.PROVINCE, AdminLevel.DISTRICT, AdminLevel.COMMUNE, AdminLevel.VILLAGE)


def _anchor_code(dataset: Dataset, subject: SubjectRef) -> str | None:
    """The administrative unit a subject is placed at, or ``None`` if it has none."""
    if subject.kind is SubjectKind.UNIT:
        return subject.id
    if subject.kind is SubjectKind.SITE:
        site = dataset.sites.get(subject.id)
        if site is None:
            return None
        try:
            return dataset.site_anchor(site).code
        except AntqError:
            return None
    if subject.kind is SubjectKind.ORGANIZATION:
        organization = dataset.organizations.get(subject.id)
        return None if organization is None else organization.admin_unit
    if subject.kind is SubjectKind.PARTICIPANT:
        participant = dataset.participants.get(subject.id)
        return None if participant is None else participant.admin_unit
    initiative = dataset.initiatives.get(subject.id)
    return None if initiative is None else initiative.scope


def _levels(dataset: Dataset, subject: SubjectRef) -> list[str | None]:
    """The codes of the subject's unit and the units above it, one per level."""
    code = _anchor_code(dataset, subject)
    found: list[str | None] = [None] * len(_LEVELS)
    if code is None or code not in dataset.gazetteer:
        return found
    try:
        for i, level in enumerate(_LEVELS):
            unit = dataset.gazetteer.ancestor_at(code, level)
            found[i] = None if unit is None else unit.code
    except AntqError:
        return [None] * len(_LEVELS)
    return found


def _coded(pa: Any, codes: Any, labels: Sequence[str | None]) -> Any:
    """A dictionary column: ``labels[codes[i]]`` per row, built without touching rows.

    Labels repeat; each distinct one becomes one dictionary entry, and a
    ``None`` label a null.
    """
    distinct: dict[str, int] = {}
    positions = [
        None if label is None else distinct.setdefault(label, len(distinct)) for label in labels
    ]
    table = pa.array(positions, type=pa.int32())
    indices = table.take(codes)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(distinct), type=pa.string()))


def _values(pa: Any, pc: Any, columns: Any, values: Literal["decimal", "string"]) -> Any:
    """The value column: exact decimals (or their strings), from the integer array and the rest."""
    np = require("numpy", "dataframe")
    base = arrow_over(pa, pa.int64(), columns.value)
    exact = columns.exact
    rows = sorted(exact)
    mask = np.zeros(len(columns), dtype=bool)
    mask[rows] = True
    if values == "string":
        replacement: Any = pa.array([str(dump_value(exact[r])) for r in rows], type=pa.string())
        column = pc.cast(base, pa.string())
    else:
        decimals = [Decimal(exact[r]) for r in rows]
        scale = max((fraction_digits(d) for d in decimals), default=0)
        largest = pc.max(base).as_py() if len(base) else 0
        digits = max((d.adjusted() + 1 for d in decimals if d), default=0)
        digits = max(digits, len(str(largest or 0)))
        if digits + scale > DECIMAL_PRECISION:
            raise ValuesDoNotFitError(digits, scale, DECIMAL_PRECISION)
        kind = pa.decimal128(DECIMAL_PRECISION, scale)
        replacement = pa.array(decimals, type=kind)
        column = pc.cast(base, kind)
    if not rows:
        return column
    return pc.replace_with_mask(column, pa.array(mask), replacement)


def to_arrow(dataset: Dataset, *, values: Literal["decimal", "string"] = "decimal") -> Any:
    """The observations as one tidy :class:`pyarrow.Table`, a row per observation.

    Columns (:data:`FRAME_COLUMNS`, then one per disaggregation category):

    - ``metric``, ``subject_kind``, ``subject_id``;
    - ``province``, ``district``, ``commune``, ``village``: the codes of the
      unit the subject is placed at and of every unit above it; null at the
      levels below it or where the geography has none. A unit subject is
      placed at itself, a site at its anchor (the lowest unit containing all
      it covers), an organization at its ``admin_unit``, an initiative at its
      ``scope``; a subject whose unit is not in the gazetteer gets nulls
      (validation reports it);
    - ``period`` (the canonical string), ``period_start``, ``period_end``
      (``date32``), ``period_kind``;
    - ``value``: exact. By default ``decimal128(38, s)``, ``s`` the most
      fractional digits any value has, so integers and decimals alike keep
      every digit and nothing passes through a float; with
      ``values="string"``, the decimal strings of the wire format;
    - ``unit`` (the code of the value's unit), ``qualifier``, ``source``, ``note``;
    - ``by_CATEGORY`` for each disaggregation category used: the option id,
      null for rows not broken down by it.

    Every text column is dictionary-encoded. The table is built column by
    column from :meth:`ObservationStore.columns
    <antq_core.ObservationStore.columns>`: no observation model is made. It
    holds no personal data: participants are not observations.

    >>> from antq_core import sample
    >>> table = to_arrow(sample())
    >>> table.num_rows, table.column("value").type
    (14, Decimal128Type(decimal128(38, 0)))
    >>> table.column("district").to_pylist()[-1]  # the cluster site counts at Tam Đường
    '106'

    Args:
        dataset: The dataset.
        values: ``"decimal"`` (default) or ``"string"``, the type of the value column.

    Raises:
        MissingExtraError: pyarrow is not installed (``antq_core[dataframe]``).
        ValuesDoNotFitError: With ``values="decimal"``, some value needs more than
            38 digits at the dataset's scale.

    .. versionadded:: 0.1.0
    """
    pa = require("pyarrow", "dataframe")
    pc = require("pyarrow.compute", "dataframe")
    columns = dataset.observations.columns()
    u32 = pa.uint32()

    def codes(view: memoryview, kind: Any = u32) -> Any:
        return arrow_over(pa, kind, view)

    subjects = columns.subjects
    subject_codes = codes(columns.subject)
    data: dict[str, Any] = {
        "metric": _coded(pa, codes(columns.metric), columns.metrics),
        "subject_kind": _coded(pa, subject_codes, [s.kind.value for s in subjects]),
        "subject_id": _coded(pa, subject_codes, [s.id for s in subjects]),
    }
    placed = [_levels(dataset, s) for s in subjects]
    for i, level in enumerate(_LEVELS):
        data[level.value] = _coded(pa, subject_codes, [p[i] for p in placed])
    periods = columns.periods
    period_codes = codes(columns.period)
    data["period"] = _coded(pa, period_codes, [str(p) for p in periods])
    data["period_start"] = pa.array([p.start for p in periods], pa.date32()).take(period_codes)
    data["period_end"] = pa.array([p.end for p in periods], pa.date32()).take(period_codes)
    data["period_kind"] = _coded(pa, period_codes, [p.kind.value for p in periods])
    data["value"] = _values(pa, pc, columns, values)
    data["unit"] = _coded(pa, codes(columns.unit, pa.uint16()), [u.code for u in columns.units])
    data["qualifier"] = _coded(
        pa, codes(columns.qualifier, pa.uint8()), [q.value for q in columns.qualifiers]
    )
    data["source"] = _coded(pa, codes(columns.source), columns.texts)
    data["note"] = _coded(pa, codes(columns.note), columns.texts)
    disaggregation_codes = codes(columns.disaggregation)
    categories = sorted({c for d in columns.disaggregations for c in d})
    for category in categories:
        options = [d.get(category) for d in columns.disaggregations]
        data[f"by_{category}"] = _coded(pa, disaggregation_codes, options)
    return pa.table(data)


def to_polars(dataset: Dataset, *, values: Literal["decimal", "string"] = "decimal") -> Any:
    """The table of :func:`to_arrow` as a :class:`polars.DataFrame`.

    Dictionary columns become ``Categorical``; ``value`` stays an exact ``Decimal``.

    Raises:
        MissingExtraError: polars or pyarrow is not installed (``antq_core[dataframe]``).

    .. versionadded:: 0.1.0
    """
    pl = require("polars", "dataframe")
    return pl.from_arrow(to_arrow(dataset, values=values))


def to_pandas(dataset: Dataset, *, values: Literal["decimal", "string"] = "decimal") -> Any:
    """The table of :func:`to_arrow` as a :class:`pandas.DataFrame`.

    Dictionary columns become ``category``; ``value`` holds :class:`~decimal.Decimal`
    objects (pandas has no exact decimal type of its own), dates ``datetime.date``.

    Raises:
        MissingExtraError: pandas or pyarrow is not installed (``antq_core[dataframe]``).

    .. versionadded:: 0.1.0
    """
    require("pandas", "dataframe")
    return to_arrow(dataset, values=values).to_pandas()


def write_parquet(
    dataset: Dataset, path: str | Path, *, values: Literal["decimal", "string"] = "decimal"
) -> None:
    """Write the table of :func:`to_arrow` as a Parquet file: the hand-off to DuckDB and others.

    ``SELECT metric, sum(value) FROM 'observations.parquet' GROUP BY metric``
    then runs in DuckDB as it is; the decimal column keeps every digit.

    The file is replaced atomically: on any failure the previous file is intact.

    Raises:
        MissingExtraError: pyarrow is not installed (``antq_core[dataframe]``).
        ExportError: The file cannot be written; it names ``path``.

    .. versionadded:: 0.1.0
    """
    parquet = require("pyarrow.parquet", "dataframe")
    table = to_arrow(dataset, values=values)
    with atomic_file(path) as file:
        parquet.write_table(table, file)


# ---------------------------------------------------------------- reading the table back

_REQUIRED_COLUMNS: Final = ("metric", "subject_kind", "subject_id", "period", "unit", "value")
_TEXT_FIELDS: Final = ("metric", "period", "unit", "qualifier", "source", "note")
_BATCH_ROWS: Final = 1 << 20  # rows read at a time: the file's own memory stays one batch
_FIELD_RANK: Final = {name: rank for rank, name in enumerate(FRAME_COLUMNS)}
_DERIVED_EN: Final = "does not agree with the row's subject and period, from which it is derived"
_DERIVED_VI: Final = "Không khớp với đối tượng và kỳ của dòng (cột này suy ra từ chúng)"
_NULL_EN: Final = "a value is required"
_NULL_VI: Final = "Thiếu giá trị bắt buộc"
_INT64_DIGITS: Final = 18  # every number of this many digits fits in 64 bits
_BAD: Final = -1  # a code for a value that does not parse (its reason is kept)


class _Found:
    """The problems of one read, by row and column; each batch's column lists at most the cap."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[tuple[int, int, Problem]] = []
        self.omitted = 0

    def add(self, row: int | None, column: str, en: str, vi: str, value: object = None) -> None:
        where = Location(file=self.source, row=row, field=column)
        shown = None if value is None else safe_repr(value)
        rank = _FIELD_RANK.get("by_" if column.startswith("by_") else column, len(_FIELD_RANK))
        self.items.append((-1 if row is None else row, rank, Problem(where, en, vi, shown)))

    def rows(
        self, rows: Any, offset: int, column: str, en: str, vi: str, *, value: object = None
    ) -> None:
        """The same problem at each of ``rows`` (positions in a batch from row ``offset``)."""
        for row in rows[:MAX_LISTED_PROBLEMS].tolist():
            self.add(offset + row, column, en, vi, value)
        self.omitted += max(len(rows) - MAX_LISTED_PROBLEMS, 0)

    def raise_any(self) -> None:
        if not self.items and not self.omitted:
            return
        self.items.sort(key=lambda item: item[:2])
        kept = [problem for _, _, problem in self.items[:MAX_LISTED_PROBLEMS]]
        omitted = self.omitted + max(len(self.items) - MAX_LISTED_PROBLEMS, 0)
        raise DatasetLoadError(self.source, kept, omitted=omitted)


class _Reader:
    """One read of a table, batch by batch, into one store builder.

    Each distinct raw value of a column is parsed once for the whole read
    (the caches outlive the batches, whose dictionaries differ), and a
    batch's column becomes store codes by one gather.
    """

    def __init__(self, dataset: Dataset, names: Sequence[str], source: str) -> None:
        self.pa = require("pyarrow", "dataframe")
        self.pc = require("pyarrow.compute", "dataframe")
        self.np = require("numpy", "dataframe")
        self.dataset = dataset
        self.found = _Found(source)
        self.names = list(names)
        self.builder = StoreBuilder()
        self.rows = 0
        b = self.builder
        texts = b.texts
        self.parsers: dict[str, Callable[[Any], int]] = {
            "metric": id_parser(b.metrics.add),
            "period": lambda raw: b.periods.add(Period.parse(raw)),
            "unit": lambda raw: b.units.add(Unit.get(raw)),
            "qualifier": qualifier_code,
            "source": id_parser(texts.add),
            "note": lambda raw: texts.add(note_text(raw)),
        }
        self.caches: dict[str, dict[Any, int]] = {name: {} for name in (*_TEXT_FIELDS, "subject")}
        self.reasons: dict[tuple[str, Any], str] = {}
        self.breakdowns = sorted(name for name in names if name.startswith("by_"))
        self.signed = {m.id for m in dataset.metrics.values() if m.signed}
        self.placed: dict[int, list[str | None]] = {}
        self._check_columns()

    def _check_columns(self) -> None:
        names, found = self.names, self.found
        for name in names:
            if name not in FRAME_COLUMNS and not name.startswith("by_"):
                vi = "Không phải cột của bảng số liệu"
                found.add(None, name, "not a column of the observations table", vi)
            elif name.startswith("by_") and ID_RE.fullmatch(name[3:]) is None:
                found.add(
                    None, name, f"a category {ID_REASON}", OBSERVATION_FIELDS_VI["disaggregation"]
                )
        for name in _REQUIRED_COLUMNS:
            if name not in names:
                found.add(None, name, "the column is missing", "Thiếu cột này")
        for name in sorted({n for n in names if names.count(n) > 1}):
            found.add(None, name, "the column appears twice", "Cột xuất hiện hai lần")
        found.raise_any()

    # -- one column of a batch

    def _dictionary(self, column: Any) -> tuple[list[Any], Any]:
        """A column's distinct values and each row's index into them (``len(values)``: null)."""
        pa, pc, np = self.pa, self.pc, self.np
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        values = column.dictionary.to_pylist()
        index = np.asarray(
            pc.fill_null(column.indices.cast(pa.int32()), len(values)), dtype=np.int32
        )
        return values, index

    def _codes(self, name: str, column: Any, offset: int, *, null: int | None) -> Any:
        """The store codes of a text column; ``null`` is a null's code (``None``: a problem)."""
        np = self.np
        values, index = self._dictionary(column)
        cache, parse = self.caches[name], self.parsers[name]
        table = []
        for value in values:
            code = cache.get(value)
            if code is None:
                try:
                    code = parse(value)
                except (ValueError, TypeError) as e:
                    code = _BAD
                    self.reasons[name, value] = str(e)
                cache[value] = code
            table.append(code)
        table.append(_BAD if null is None else null)
        lut = np.asarray(table, dtype=np.int64)
        bad = np.flatnonzero(lut < 0)
        vi = OBSERVATION_FIELDS_VI[name]
        for k in bad.tolist():
            rows = np.flatnonzero(index == k)
            if k == len(values):
                self.found.rows(rows, offset, name, _NULL_EN, _NULL_VI)
            else:
                reason = self.reasons[name, values[k]]
                self.found.rows(rows, offset, name, reason, vi, value=values[k])
        return np.maximum(lut, 0).astype(np.uint32)[index]

    def _subjects(self, kinds: Any, ids: Any, offset: int) -> Any:
        """The subject codes: each distinct (kind, id) pair made once."""
        np = self.np
        kind_values, kind_index = self._dictionary(kinds)
        id_values, id_index = self._dictionary(ids)
        width = len(id_values) + 1
        combined = kind_index.astype(np.int64) * width + id_index
        size = (len(kind_values) + 1) * width
        if size <= max(4 * len(combined), 1 << 20):
            present = np.flatnonzero(np.bincount(combined, minlength=size))
            inverse = None
        else:
            present, inverse = np.unique(combined, return_inverse=True)
        cache = self.caches["subject"]
        codes = []
        for pair in present.tolist():
            k, i = divmod(pair, width)
            kind = kind_values[k] if k < len(kind_values) else None
            id_ = id_values[i] if i < len(id_values) else None
            code = cache.get((kind, id_))
            if code is None or code == _BAD:  # a bad pair is reported in every batch
                code = cache[kind, id_] = self._subject(kind, id_, (combined, pair), offset)
            codes.append(max(code, 0))
        if inverse is not None:
            return np.asarray(codes, dtype=np.uint32)[inverse]
        table = np.zeros(size, dtype=np.uint32)
        table[present] = codes
        return table[combined]

    def _subject(self, kind: Any, id_: Any, where: tuple[Any, int], offset: int) -> int:
        """The code of a subject, or a problem at the batch's rows where ``combined == pair``."""
        found, vi = self.found, OBSERVATION_FIELDS_VI["subject"]

        def rows() -> Any:  # found only when a problem needs them
            combined, pair = where
            return self.np.flatnonzero(combined == pair)

        if kind is None or id_ is None:
            found.rows(
                rows(),
                offset,
                "subject_kind" if kind is None else "subject_id",
                _NULL_EN,
                _NULL_VI,
            )
            return _BAD
        try:
            subject_kind = SubjectKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in SubjectKind)
            found.rows(
                rows(), offset, "subject_kind", f"the kind must be one of {kinds}", vi, value=kind
            )
            return _BAD
        try:
            return self.builder.subjects.add(SubjectRef(subject_kind, id_))
        except (ValueError, TypeError) as e:
            found.rows(rows(), offset, "subject_id", str(e), vi, value=id_)
            return _BAD

    def _disaggregations(self, batch: Any, offset: int) -> Any:
        """The breakdown codes: each distinct combination of the ``by_*`` columns made once."""
        np = self.np
        n = batch.num_rows
        if not self.breakdowns:
            return None
        vi = OBSERVATION_FIELDS_VI["disaggregation"]
        columns = []
        combined = np.zeros(n, dtype=np.int64)
        size = 1
        for name in self.breakdowns:
            values, index = self._dictionary(batch.column(name))
            for k, option in enumerate(values):
                if not isinstance(option, str) or ID_RE.fullmatch(option) is None:
                    rows = np.flatnonzero(index == k)
                    self.found.rows(rows, offset, name, f"an option {ID_REASON}", vi, value=option)
            width = len(values) + 1
            if size * width >= 1 << 62:  # pragma: no cover - thousands of options in many columns
                msg = "too many combinations of breakdowns in one batch"
                self.found.add(None, name, msg, vi)
                return None
            combined = combined * width + index
            size *= width
            columns.append((name[3:], values))
        present, inverse = np.unique(combined, return_inverse=True)
        made = []
        for combination in present.tolist():
            options: dict[str, str] = {}
            rest = combination
            for category, values in reversed(columns):
                rest, k = divmod(rest, len(values) + 1)
                if k < len(values) and isinstance(values[k], str):
                    options[category] = values[k]
            try:
                made.append(self.builder.disaggregations.add(Disaggregation(options)))
            except (ValueError, TypeError):
                made.append(0)  # its options are reported above
        return np.asarray(made, dtype=np.uint32)[inverse]

    # -- the values

    def _values(
        self, column: Any, metric: Any, unit: Any, offset: int
    ) -> tuple[Any, dict[int, Number]]:
        """The 64-bit values (0 elsewhere) and the others by row, checked as the loaders check.

        Whole values within 64 bits are taken in bulk; only the others
        (fractions, larger numbers, text) go through :func:`check_value` one by one.
        """
        pa, pc, np = self.pa, self.pc, self.np
        vi = OBSERVATION_FIELDS_VI["value"]
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        n, kind = len(column), column.type
        valid = np.asarray(pc.is_valid(column), dtype=bool)
        if column.null_count:
            self.found.rows(np.flatnonzero(~valid), offset, "value", _NULL_EN, _NULL_VI)
        if pa.types.is_decimal(kind):
            fast = pc.equal(column, pc.round(column, 0)) if kind.scale else pc.is_valid(column)
            if kind.precision - kind.scale > _INT64_DIGITS:  # a value may lie outside 64 bits
                low = pa.scalar(Decimal(-INT64_MAX - 1), kind)
                within = pc.and_(
                    pc.greater_equal(column, low),
                    pc.less_equal(column, pa.scalar(Decimal(INT64_MAX), kind)),
                )
                fast = pc.and_(fast, within)
            fast = pc.fill_null(fast, False)
            taken = pc.cast(
                pc.if_else(fast, column, pa.scalar(Decimal(0), kind)), pa.int64(), safe=False
            )
        elif pa.types.is_integer(kind):
            fast = (
                pc.fill_null(pc.less_equal(column, pa.scalar(INT64_MAX, kind)), False)
                if kind == pa.uint64()
                else pc.is_valid(column)
            )
            taken = pc.cast(pc.if_else(fast, column, pa.scalar(0, kind)), pa.int64())
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            fast = pa.array(np.zeros(n, dtype=bool))
            taken = pa.array(np.zeros(n, dtype=np.int64))
        else:
            msg = (
                f"the value column is {kind}: write exact decimals, integers or decimal"
                " strings (never floats)"
            )
            self.found.add(None, "value", msg, vi)
            return np.zeros(n, dtype=np.int64), {}
        fast_rows = np.asarray(fast, dtype=bool)
        values = np.array(pc.fill_null(taken, 0), dtype=np.int64)
        values[~fast_rows] = 0
        special = np.flatnonzero(valid & ~fast_rows)
        raws = column.take(pa.array(special)).to_pylist() if len(special) else []
        exact = self._exact(special.tolist(), raws, values=values, unit=unit, offset=offset)
        metrics = self.builder.metrics.values
        negative = np.flatnonzero(values < 0).tolist() + sorted(
            r for r, v in exact.items() if v < 0
        )
        for row in negative:
            m = metrics[int(metric[row])]
            if m not in self.signed:
                shown = exact.get(row, int(values[row]))
                self.found.add(
                    offset + row,
                    "value",
                    f"{NEGATIVE_REASON} (metric {m} is not signed)",
                    vi,
                    shown,
                )
        return values, exact

    def _exact(
        self, rows: list[int], raws: list[Any], *, values: Any, unit: Any, offset: int
    ) -> dict[int, Number]:
        """The values not taken in bulk, one by one: into ``values`` if 64-bit, else by row."""
        vi = OBSERVATION_FIELDS_VI["value"]
        units = self.builder.units.values
        exact: dict[int, Number] = {}
        for row, raw in zip(rows, raws, strict=True):
            number: Number
            if isinstance(raw, str):
                if not is_decimal_text(raw):
                    msg = "a value is an integer or a decimal string like '5.8'"
                    self.found.add(offset + row, "value", msg, vi, raw)
                    continue
                try:
                    number = decimal_from_text(raw)
                except QuantityError as e:
                    self.found.add(offset + row, "value", e.reason, vi, raw)
                    continue
            else:
                number = raw
            try:
                number = check_value(number, units[int(unit[row])], signed=True)
            except QuantityError as e:
                self.found.add(offset + row, "value", e.reason, vi, raw)
                continue
            if isinstance(number, Decimal):
                integral = number == number.to_integral_value()
                number = int(number) if integral else number.normalize()
            if type(number) is int and -INT64_MAX - 1 <= number <= INT64_MAX:
                values[row] = number
            else:
                exact[row] = number
        return exact

    # -- derived columns

    def _check_derived(self, batch: Any, subject: Any, period: Any, offset: int) -> None:
        """Each derived column present agrees, row by row, with what the dataset derives."""
        np, names = self.np, batch.schema.names
        subjects = self.builder.subjects.values
        periods = self.builder.periods.values
        wanted: list[tuple[str, Any, list[Any]]] = []
        if any(level.value in names for level in _LEVELS):
            for code in range(len(subjects)):
                if code not in self.placed:
                    self.placed[code] = _levels(self.dataset, subjects[code])
            placed = [self.placed[code] for code in range(len(subjects))]
            for i, level in enumerate(_LEVELS):
                wanted.append((level.value, subject, [p[i] for p in placed]))
        wanted.append(("period_start", period, [p.start for p in periods]))
        wanted.append(("period_end", period, [p.end for p in periods]))
        wanted.append(("period_kind", period, [p.kind.value for p in periods]))
        for name, codes, by_code in wanted:
            if name not in names:
                continue
            values, index = self._dictionary(batch.column(name))
            labels: dict[Any, int] = {}
            given = [labels.setdefault(v, len(labels)) for v in values]
            given.append(labels.setdefault(None, len(labels)))
            want = np.asarray([labels.setdefault(v, len(labels)) for v in by_code], dtype=np.int64)
            wrong = np.asarray(given, dtype=np.int64)[index] != want[codes]
            if wrong.any():
                self.found.rows(np.flatnonzero(wrong), offset, name, _DERIVED_EN, _DERIVED_VI)

    # -- a batch

    def read(self, batch: Any) -> None:
        """Read one record batch; its rows follow the previous batches'."""
        offset = self.rows
        self.rows += batch.num_rows
        names = batch.schema.names
        before = len(self.found.items) + self.found.omitted
        np = self.np

        def text(name: str, null: int | None = None) -> Any:
            if name not in names:
                return None
            return self._codes(name, batch.column(name), offset, null=null)

        metric = text("metric")
        subject = self._subjects(batch.column("subject_kind"), batch.column("subject_id"), offset)
        period = text("period")
        unit = text("unit")
        qualifier, source, note = text("qualifier", 0), text("source", 0), text("note", 0)
        disaggregation = self._disaggregations(batch, offset)
        value, exact = self._values(batch.column("value"), metric, unit, offset)
        if len(self.found.items) + self.found.omitted > before:
            return  # the rows are not stored: the read will fail
        self._check_derived(batch, subject, period, offset)

        def store(typecode: str, codes: Any) -> array[int] | None:
            if codes is None:
                return None
            dtype = {"I": np.uint32, "H": np.uint16, "B": np.uint8, "q": np.int64}[typecode]
            column = array(typecode)
            column.frombytes(memoryview(np.ascontiguousarray(codes, dtype=dtype)).cast("B"))
            return column

        self.builder.extend(
            metric=store("I", metric),  # type: ignore[arg-type]
            subject=store("I", subject),  # type: ignore[arg-type]
            period=store("I", period),  # type: ignore[arg-type]
            unit=store("H", unit),  # type: ignore[arg-type]
            value=store("q", value),  # type: ignore[arg-type]
            qualifier=store("B", qualifier),
            disaggregation=store("I", disaggregation),
            source=store("I", source),
            note=store("I", note),
            exact=exact,
        )

    def finish(self) -> Dataset:
        self.found.raise_any()
        return self.dataset.replace(observations=self.builder.build())


def from_arrow(table: Any, *, dataset: Dataset, source: str = "<arrow>") -> Dataset:
    """Read a tidy table of :func:`to_arrow`'s shape back as the observations of ``dataset``.

    The inverse of :func:`to_arrow`: ``from_arrow(to_arrow(ds), dataset=ds)``
    has the same observations as ``ds`` (but not who stored each figure and
    when, which the table does not carry). The table holds observations
    only; the gazetteer, metrics and entities come from ``dataset``, whose
    own observations are replaced. It is read column by column: each
    distinct metric, subject, period, unit, breakdown, source and note is
    checked once, as the JSON loaders check them, and the values in bulk;
    no observation model is made.

    The columns ``province`` ... ``village``, ``period_start``,
    ``period_end`` and ``period_kind`` are derived from the subject and the
    period; they may be left out, and where present each row must agree
    with what ``dataset`` derives. A column of another name is refused, so
    nothing in the table is silently left behind. Like the other loaders,
    this does not check that metrics or subjects exist in ``dataset``:
    :func:`~antq_core.validate` does.

    >>> from antq_core import sample
    >>> ds = sample()
    >>> again = from_arrow(to_arrow(ds), dataset=ds)
    >>> again.observations == ds.observations
    True

    Args:
        table: A :class:`pyarrow.Table` (or anything with ``to_arrow()``, such
            as a polars DataFrame).
        dataset: The dataset the observations belong to.
        source: How problems name the table.

    Raises:
        MissingExtraError: pyarrow is not installed (``antq_core[dataframe]``).
        DatasetLoadError: Some row or column is not valid; each problem names
            the row (its index, which becomes the observation's index) and
            the column.
        TypeError: ``table`` is not a table.

    .. versionadded:: 0.1.0
    """
    pa = require("pyarrow", "dataframe")
    if not isinstance(table, pa.Table) and hasattr(table, "to_arrow"):
        table = table.to_arrow()
    if not isinstance(table, pa.Table):
        msg = f"from_arrow reads a pyarrow.Table, not {type(table).__name__}"
        raise TypeError(msg)
    reader = _Reader(dataset, table.column_names, source)
    for batch in table.to_batches(max_chunksize=_BATCH_ROWS):
        reader.read(batch)
    return reader.finish()


def read_parquet(path: str | Path, *, dataset: Dataset) -> Dataset:
    """Read a Parquet file of :func:`write_parquet` back as the observations of ``dataset``.

    As :func:`from_arrow`, batch by batch: the file's own memory is one batch
    of about a million rows at a time, besides the store it fills. Problems
    name the file.

    >>> import tempfile, pathlib
    >>> from antq_core import sample
    >>> ds = sample()
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "observations.parquet"
    ...     write_parquet(ds, path)
    ...     again = read_parquet(path, dataset=ds)
    >>> again.observations == ds.observations
    True

    Raises:
        MissingExtraError: pyarrow is not installed (``antq_core[dataframe]``).
        DatasetLoadError: The file is not a Parquet table of observations, or
            some row is not valid (each problem names the file, row and column).

    .. versionadded:: 0.1.0
    """
    parquet = require("pyarrow.parquet", "dataframe")
    pa = require("pyarrow", "dataframe")
    source = str(path)
    try:
        file = parquet.ParquetFile(path)
        reader = _Reader(dataset, file.schema_arrow.names, source)
        for batch in file.iter_batches(batch_size=_BATCH_ROWS):
            reader.read(batch)
    except (OSError, pa.ArrowException) as e:
        reason = f"cannot read the Parquet file: {type(e).__name__}"
        vi = "Không đọc được tệp Parquet"
        raise DatasetLoadError(source, [Problem(Location(file=source), reason, vi)]) from None
    return reader.finish()
