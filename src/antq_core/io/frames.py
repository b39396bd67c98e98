"""Data frames: the observations as one tidy Arrow table, for polars, pandas and DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from antq_core._util.atomic import atomic_file
from antq_core._util.extras import require
from antq_core._values.geo import AdminLevel
from antq_core._values.quantity import dump_value
from antq_core._values.refs import SubjectKind, SubjectRef
from antq_core.errors import AntqError, ValuesDoNotFitError

if TYPE_CHECKING:
    from antq_core._dataset.dataset import Dataset

__all__ = [
    "FRAME_COLUMNS",
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
            raise ValuesDoNotFitError(digits, scale, precision=DECIMAL_PRECISION)
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
