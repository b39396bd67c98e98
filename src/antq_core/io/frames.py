"""Data frames: the observations as one tidy Arrow table (for polars, pandas, DuckDB) and back."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from antq_core._dataset.store import INT64_MAX, QUALIFIER_INDEX, StoreBuilder
from antq_core._entities import TEXT_LIMIT
from antq_core._util.atomic import atomic_file
from antq_core._util.extras import require
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
from antq_core._values.text import nfc
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

DECIMAL_PRECISION: Final = 38
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


def _column(pa: Any, view: memoryview, kind: Any) -> Any:
    """An Arrow array over a store column, without copying it."""
    return pa.Array.from_buffers(kind, len(view), [None, pa.py_buffer(view)])


def _scale(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _values(pa: Any, pc: Any, columns: Any, values: Literal["decimal", "string"]) -> Any:
    """The value column: exact decimals (or their strings), from the integer array and the rest."""
    np = require("numpy", "dataframe")
    base = _column(pa, columns.value, pa.int64())
    exact = columns.exact
    rows = sorted(exact)
    mask = np.zeros(len(columns), dtype=bool)
    mask[rows] = True
    if values == "string":
        replacement: Any = pa.array([str(dump_value(exact[r])) for r in rows], type=pa.string())
        column = pc.cast(base, pa.string())
    else:
        decimals = [Decimal(exact[r]) for r in rows]
        scale = max((_scale(d) for d in decimals), default=0)
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
        return _column(pa, view, kind)

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
# Columns to_arrow derives from the others; on reading they are checked against what
# the dataset derives, never taken as they are.
_DERIVED_COLUMNS: Final = (
    *(level.value for level in _LEVELS),
    "period_start",
    "period_end",
    "period_kind",
)
_FIELD_RANK: Final = {name: rank for rank, name in enumerate(FRAME_COLUMNS)}
_DERIVED_EN: Final = "does not agree with the row's subject and period, from which it is derived"
_DERIVED_VI: Final = "Không khớp với đối tượng và kỳ của dòng (cột này suy ra từ chúng)"
_NULL_EN: Final = "a value is required"
_NULL_VI: Final = "Thiếu giá trị bắt buộc"
_NULL_CODE: Final = -2  # a null where a value is required (-1: a value that does not parse)
_INT64_DIGITS: Final = 18  # every number of this many digits fits in 64 bits


class _Found:
    """The problems of one read: by row and column, each column listing at most the cap."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[tuple[int, int, Problem]] = []
        self.omitted = 0

    def add(self, row: int | None, column: str, en: str, vi: str, value: object = None) -> None:
        where = Location(file=self.source, row=row, field=column)
        shown = None if value is None else safe_repr(value)
        rank = _FIELD_RANK.get(column.split("_", 1)[0] if column.startswith("by_") else column, 99)
        self.items.append((-1 if row is None else row, rank, Problem(where, en, vi, shown)))

    def rows(self, rows: Any, column: str, en: str, vi: str, value: object = None) -> None:
        """The same problem at each of ``rows`` (a numpy array of row indexes)."""
        for row in rows[:MAX_LISTED_PROBLEMS].tolist():
            self.add(row, column, en, vi, value)
        self.omitted += max(len(rows) - MAX_LISTED_PROBLEMS, 0)

    def raise_any(self) -> None:
        if not self.items and not self.omitted:
            return
        self.items.sort(key=lambda item: item[:2])
        kept = [problem for _, _, problem in self.items[:MAX_LISTED_PROBLEMS]]
        omitted = self.omitted + max(len(self.items) - MAX_LISTED_PROBLEMS, 0)
        raise DatasetLoadError(self.source, kept, omitted=omitted)


class _Codes:
    """One dictionary column: its distinct values and each row's index into them.

    Nulls get the index ``len(values)``, one past the last value, so that a
    lookup table one longer than ``values`` says what a null becomes.
    """

    def __init__(self, pa: Any, pc: Any, np: Any, column: Any) -> None:
        chunks = column.chunks if hasattr(column, "chunks") else [column]
        if not pa.types.is_dictionary(column.type):
            whole = pa.concat_arrays(chunks) if chunks else pa.array([], column.type)
            encoded = pc.dictionary_encode(whole)
            self.values: list[Any] = encoded.dictionary.to_pylist()
            indices = [encoded.indices]
        else:  # the table's dictionaries are unified: every chunk shares the first one's
            self.values = chunks[0].dictionary.to_pylist() if chunks else []
            indices = [chunk.indices for chunk in chunks]
        n = len(self.values)
        parts = [np.asarray(pc.fill_null(i.cast(pa.int64()), n), dtype=np.int64) for i in indices]
        self.index: Any = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        self.nulls = sum(i.null_count for i in indices)


def _lookup(
    np: Any,
    codes: _Codes,
    *,
    parse: Callable[[Any], int],
    found: _Found,
    column: str,
    vi: str,
    null: int | None,
) -> Any:
    """Each row's code in the store's table: ``parse`` on each distinct value, located if it fails.

    ``null`` is the code of a null (``None``: a null is a problem).
    """
    table = []
    for value in codes.values:
        try:
            table.append(-1 if value is None else parse(value))
        except (ValueError, TypeError) as e:
            table.append(-1)
            found.rows(np.flatnonzero(codes.index == len(table) - 1), column, str(e), vi, value)
    table.append(_NULL_CODE if null is None else null)
    lut = np.asarray(table, dtype=np.int64)
    result = lut[codes.index]
    if null is None and codes.nulls:
        found.rows(np.flatnonzero(result == _NULL_CODE), column, _NULL_EN, _NULL_VI)
    return result


def _store_array(np: Any, typecode: str, codes: Any) -> array[int]:
    """A store column of ``typecode`` from a numpy array (of codes; for ``q``, of values).

    Called once every row is known to be good: no code is negative.
    """
    dtype = {"I": np.uint32, "H": np.uint16, "B": np.uint8, "q": np.int64}[typecode]
    column = array(typecode)
    column.frombytes(memoryview(np.ascontiguousarray(codes, dtype=dtype)).cast("B"))
    return column


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

    .. versionadded:: 0.1.0
    """
    pa = require("pyarrow", "dataframe")
    pc = require("pyarrow.compute", "dataframe")
    np = require("numpy", "dataframe")
    if not isinstance(table, pa.Table) and hasattr(table, "to_arrow"):
        table = table.to_arrow()
    if not isinstance(table, pa.Table):
        msg = f"from_arrow reads a pyarrow.Table, not {type(table).__name__}"
        raise TypeError(msg)
    table = table.unify_dictionaries()
    found = _Found(source)
    names = table.column_names
    for name in names:
        if name not in FRAME_COLUMNS and not name.startswith("by_"):
            found.add(
                None,
                name,
                "not a column of the observations table",
                "Không phải cột của bảng số liệu",
            )
    for name in _REQUIRED_COLUMNS:
        if name not in names:
            found.add(None, name, "the column is missing", "Thiếu cột này")
    if len(set(names)) != len(names):
        for name in sorted({n for n in names if names.count(n) > 1}):
            found.add(None, name, "the column appears twice", "Cột xuất hiện hai lần")
    found.raise_any()
    builder = StoreBuilder()
    n = table.num_rows

    def codes(name: str) -> _Codes:
        return _Codes(pa, pc, np, table.column(name))

    def text_id(add: Callable[[str], int]) -> Callable[[Any], int]:
        def parse(raw: Any) -> int:
            if not isinstance(raw, str) or ID_RE.fullmatch(raw) is None:
                msg = "ids use ASCII letters, digits, '.', '_' and '-'"
                raise ValueError(msg)
            return add(raw)

        return parse

    texts = builder.texts
    zeros = np.zeros(n, dtype=np.int64)

    def field(name: str, parse: Callable[[Any], int], null: int | None = None) -> Any:
        if name not in names:
            return zeros
        vi = OBSERVATION_FIELDS_VI[name]
        return _lookup(np, codes(name), parse=parse, found=found, column=name, vi=vi, null=null)

    metric = field("metric", text_id(builder.metrics.add))
    subject = _subjects(np, codes("subject_kind"), codes("subject_id"), builder, found)
    period = field("period", lambda raw: builder.periods.add(Period.parse(raw)))
    unit = field("unit", lambda raw: builder.units.add(Unit.get(raw)))
    qualifier = field("qualifier", _qualifier_code, null=0)
    source_column = field("source", text_id(texts.add), null=0)
    note = field("note", lambda raw: texts.add(_note_text(raw)), null=0)
    breakdowns = sorted(name for name in names if name.startswith("by_"))
    disaggregation = _disaggregations(np, [(b[3:], codes(b)) for b in breakdowns], builder, found)
    if disaggregation is None:
        disaggregation = zeros
    signed = {m.id for m in dataset.metrics.values() if m.signed}
    value, exact = _read_values(
        pa,
        pc,
        np,
        table.column("value"),
        metric=metric,
        unit=unit,
        builder=builder,
        signed=signed,
        found=found,
    )
    found.raise_any()
    builder.extend(
        metric=_store_array(np, "I", metric),
        subject=_store_array(np, "I", subject),
        period=_store_array(np, "I", period),
        unit=_store_array(np, "H", unit),
        value=_store_array(np, "q", value),
        qualifier=_store_array(np, "B", qualifier),
        disaggregation=_store_array(np, "I", disaggregation),
        source=_store_array(np, "I", source_column),
        note=_store_array(np, "I", note),
        exact=exact,
    )
    result = dataset.replace(observations=builder.build())
    _check_derived(pa, np, table, result, subject=subject, period=period, found=found)
    found.raise_any()
    return result


def _qualifier_code(raw: Any) -> int:
    """The store's code of the qualifier written ``raw``."""
    for qualifier, code in QUALIFIER_INDEX.items():
        if qualifier.value == raw:
            return code
    msg = "not one of exact, at_least, at_most, approximately"
    raise ValueError(msg)


def _note_text(raw: Any) -> str:
    if not isinstance(raw, str):
        msg = "a note is text"
        raise TypeError(msg)
    text = nfc(raw)
    if len(text) > TEXT_LIMIT:
        msg = f"a note has at most {TEXT_LIMIT} characters"
        raise ValueError(msg)
    return text


def _present(np: Any, combined: Any, size: int) -> tuple[list[int], Any]:
    """The distinct values of ``combined`` (in ``range(size)``), and each row's place among them.

    For a small ``size`` (one count per possible value) the second is
    ``None``: rows are gathered by value.
    """
    if size <= max(4 * len(combined), 1 << 20):
        return np.flatnonzero(np.bincount(combined, minlength=size)).tolist(), None
    distinct, inverse = np.unique(combined, return_inverse=True)
    return distinct.tolist(), inverse


def _gather(
    np: Any, present: list[int], inverse: Any, codes: list[int], *, combined: Any, size: int
) -> Any:
    """Each row's code: ``codes[k]`` for the row whose value is ``present[k]``."""
    if inverse is not None:
        return np.asarray(codes, dtype=np.int64)[inverse]
    table = np.full(size, -1, dtype=np.int64)
    table[np.asarray(present, dtype=np.int64)] = codes
    return table[combined]


def _subjects(np: Any, kinds: _Codes, ids: _Codes, builder: StoreBuilder, found: _Found) -> Any:
    """The subject column: each distinct (kind, id) pair parsed once."""
    width = len(ids.values) + 1
    combined = kinds.index * width + ids.index
    size = (len(kinds.values) + 1) * width
    present, inverse = _present(np, combined, size)
    codes: list[int] = []
    vi = OBSERVATION_FIELDS_VI["subject"]
    for pair in present:
        k, i = divmod(pair, width)
        kind = kinds.values[k] if k < len(kinds.values) else None
        id_ = ids.values[i] if i < len(ids.values) else None
        code = -1
        where = np.flatnonzero(combined == pair) if kind is None or id_ is None else None
        if kind is None:
            found.rows(where, "subject_kind", _NULL_EN, _NULL_VI)
        elif id_ is None:
            found.rows(where, "subject_id", _NULL_EN, _NULL_VI)
        else:
            try:
                subject_kind = SubjectKind(kind)
            except ValueError:
                kinds_text = ", ".join(k.value for k in SubjectKind)
                found.rows(
                    np.flatnonzero(combined == pair),
                    "subject_kind",
                    f"the kind must be one of {kinds_text}",
                    vi,
                    kind,
                )
            else:
                try:
                    code = builder.subjects.add(SubjectRef(subject_kind, id_))
                except (ValueError, TypeError) as e:
                    found.rows(np.flatnonzero(combined == pair), "subject_id", str(e), vi, id_)
        codes.append(code)
    return _gather(np, present, inverse, codes, combined=combined, size=size)


def _disaggregations(
    np: Any, columns: list[tuple[str, _Codes]], builder: StoreBuilder, found: _Found
) -> Any:
    """The breakdown column: each distinct combination of the ``by_*`` columns made once."""
    n = len(columns[0][1].index) if columns else 0
    if not columns:
        return None
    vi = OBSERVATION_FIELDS_VI["disaggregation"]
    ok = True
    for category, codes in columns:
        if ID_RE.fullmatch(category) is None:
            found.add(
                None,
                f"by_{category}",
                "a category id uses ASCII letters, digits, '.', '_' and '-'",
                vi,
            )
            ok = False
        for k, option in enumerate(codes.values):
            if not isinstance(option, str) or ID_RE.fullmatch(option) is None:
                found.rows(
                    np.flatnonzero(codes.index == k),
                    f"by_{category}",
                    "an option id uses ASCII letters, digits, '.', '_' and '-'",
                    vi,
                    option,
                )
                ok = False
    if not ok:
        return np.zeros(n, dtype=np.int64)
    size = 1
    combined = np.zeros(n, dtype=np.int64)
    for _, codes in columns:
        width = len(codes.values) + 1
        if size * width >= 1 << 62:  # pragma: no cover - thousands of options in many columns
            msg = "too many breakdown combinations to read"
            raise DatasetLoadError(found.source, [Problem(Location(file=found.source), msg, vi)])
        combined = combined * width + codes.index
        size *= width
    present, inverse = _present(np, combined, size)
    made: list[int] = []
    for combination in present:
        options: dict[str, str] = {}
        rest = combination
        for category, codes in reversed(columns):
            rest, k = divmod(rest, len(codes.values) + 1)
            if k < len(codes.values):
                options[category] = codes.values[k]
        made.append(builder.disaggregations.add(Disaggregation(options)))
    return _gather(np, present, inverse, made, combined=combined, size=size)


def _read_values(
    pa: Any,
    pc: Any,
    np: Any,
    column: Any,
    *,
    metric: Any,
    unit: Any,
    builder: StoreBuilder,
    signed: set[str],
    found: _Found,
) -> tuple[Any, dict[int, Number]]:
    """The 64-bit values (0 elsewhere) and the others by row, checked as the loaders check them.

    Whole values within 64 bits are taken in bulk; only the others (fractions,
    larger numbers, text) go through :func:`check_value` one by one.
    """
    vi = OBSERVATION_FIELDS_VI["value"]
    col = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    n = len(col)
    kind = col.type
    valid = (
        np.asarray(pc.fill_null(pc.is_valid(col), False), dtype=bool) if n else np.zeros(0, bool)
    )
    if col.null_count:
        found.rows(np.flatnonzero(~valid), "value", _NULL_EN, _NULL_VI)
    if pa.types.is_decimal(kind):
        zero = pa.scalar(Decimal(0), kind)
        fast = (
            pc.fill_null(pc.equal(col, pc.round(col, 0)), False)
            if kind.scale
            else pc.is_valid(col)
        )
        if kind.precision - kind.scale > _INT64_DIGITS:  # a value may lie outside 64 bits
            low = pa.scalar(Decimal(-INT64_MAX - 1), kind)
            high = pa.scalar(Decimal(INT64_MAX), kind)
            within = pc.and_(pc.greater_equal(col, low), pc.less_equal(col, high))
            fast = pc.and_(fast, pc.fill_null(within, False))
        taken = pc.cast(pc.if_else(fast, col, zero), pa.int64(), safe=False)
    elif pa.types.is_integer(kind):
        if kind == pa.uint64():
            fast = pc.fill_null(pc.less_equal(col, pa.scalar(INT64_MAX, kind)), False)
            taken = pc.cast(pc.if_else(fast, col, pa.scalar(0, kind)), pa.int64())
        else:
            fast = pc.is_valid(col)
            taken = pc.cast(col, pa.int64())
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        fast = pa.array(np.zeros(n, dtype=bool))
        taken = pa.array(np.zeros(n, dtype=np.int64))
    else:
        found.add(
            None,
            "value",
            f"the value column is {kind}: write exact decimals, integers or decimal strings"
            " (never floats)",
            vi,
        )
        return np.zeros(n, dtype=np.int64), {}
    fast_rows = np.asarray(fast, dtype=bool) if n else np.zeros(0, bool)
    values = np.array(pc.fill_null(taken, 0), dtype=np.int64) if n else np.zeros(0, np.int64)
    values[~fast_rows] = 0
    special = np.flatnonzero(valid & ~fast_rows)
    raws = col.take(pa.array(special)).to_pylist() if len(special) else []
    exact = _exact_values(
        special.tolist(), raws, values=values, unit=unit, units=builder.units.values, found=found
    )
    metrics = builder.metrics.values
    negative = np.flatnonzero(values < 0).tolist() + sorted(r for r, v in exact.items() if v < 0)
    for row in negative:
        m = int(metric[row])
        if m >= 0 and metrics[m] not in signed:
            shown = exact.get(row, int(values[row]))
            found.add(
                row, "value", f"{NEGATIVE_REASON} (metric {metrics[m]} is not signed)", vi, shown
            )
    return values, exact


def _exact_values(
    rows: list[int], raws: list[Any], *, values: Any, unit: Any, units: list[Unit], found: _Found
) -> dict[int, Number]:
    """The values not taken in bulk, one by one: into ``values`` if 64-bit, else by row."""
    vi = OBSERVATION_FIELDS_VI["value"]
    exact: dict[int, Number] = {}
    for row, raw in zip(rows, raws, strict=True):
        number: Number
        if isinstance(raw, str):
            if not is_decimal_text(raw):
                found.add(
                    row, "value", "a value is an integer or a decimal string like '5.8'", vi, raw
                )
                continue
            try:
                number = decimal_from_text(raw)
            except QuantityError as e:
                found.add(row, "value", e.reason, vi, raw)
                continue
        else:
            number = raw
        u = int(unit[row])
        if u < 0:
            continue  # the unit is wrong: the value cannot be checked against it
        try:
            number = check_value(number, units[u], signed=True)
        except QuantityError as e:
            found.add(row, "value", e.reason, vi, raw)
            continue
        if isinstance(number, Decimal):
            number = number.normalize() if number != number.to_integral_value() else int(number)
        if type(number) is int and -INT64_MAX - 1 <= number <= INT64_MAX:
            values[row] = number
        else:
            exact[row] = number
    return exact


def _check_derived(
    pa: Any, np: Any, table: Any, dataset: Dataset, *, subject: Any, period: Any, found: _Found
) -> None:
    """Each derived column present agrees, row by row, with what ``dataset`` derives."""
    names = table.column_names
    subjects = dataset.observations.columns().subjects
    periods = dataset.observations.columns().periods
    expected: dict[str, tuple[Any, list[Any]]] = {}
    if any(level.value in names for level in _LEVELS):
        placed = [_levels(dataset, s) for s in subjects]
        for i, level in enumerate(_LEVELS):
            expected[level.value] = (subject, [p[i] for p in placed])
    expected["period_start"] = (period, [p.start for p in periods])
    expected["period_end"] = (period, [p.end for p in periods])
    expected["period_kind"] = (period, [p.kind.value for p in periods])
    for name, (codes, by_code) in expected.items():
        if name not in names or not len(codes):
            continue
        given = _Codes(pa, pa.compute, np, table.column(name))
        labels: dict[Any, int] = {}
        given_lut = [labels.setdefault(v, len(labels)) for v in given.values]
        given_lut.append(labels.setdefault(None, len(labels)))
        want_lut = [labels.setdefault(v, len(labels)) for v in by_code]
        wrong = (
            np.asarray(given_lut, dtype=np.int64)[given.index]
            != np.asarray(want_lut, dtype=np.int64)[np.maximum(codes, 0)]
        )
        rows = np.flatnonzero(wrong)
        if len(rows):
            found.rows(rows, name, _DERIVED_EN, _DERIVED_VI)


def read_parquet(path: str | Path, *, dataset: Dataset) -> Dataset:
    """Read a Parquet file of :func:`write_parquet` back as the observations of ``dataset``.

    As :func:`from_arrow`, which it calls on the file's table; problems name
    the file. A whole file is read into memory (DuckDB can aggregate one
    that is larger than memory without loading it).

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
        table = parquet.read_table(path)
    except (OSError, pa.ArrowException) as e:
        reason = f"cannot read the Parquet file: {type(e).__name__}"
        vi = "Không đọc được tệp Parquet"
        raise DatasetLoadError(source, [Problem(Location(file=source), reason, vi)]) from None
    return from_arrow(table, dataset=dataset, source=source)
