"""Results of an aggregation: typed rows, a table of them, and what could not be placed."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import attrs

from antq_core._cycle.completeness import ReportingRate
from antq_core._util.extras import require
from antq_core._values.exact import DECIMAL128_DIGITS, fraction_digits
from antq_core._values.period import Period
from antq_core._values.quantity import Number, Quantity, dump_value
from antq_core._values.refs import SubjectRef
from antq_core.errors import ValuesDoNotFitError, web_result

if TYPE_CHECKING:
    import pandas
    import polars

__all__ = [
    "AggregateRow",
    "AggregateTable",
    "ColumnarRows",
    "Excluded",
    "ExclusionReason",
    "KeyValue",
    "RowReporting",
    "SpaceSource",
    "Suppression",
    "Unplaceable",
    "WithheldTotal",
]

KeyValue = str | Period
"""A group's value for one ``by`` name: a code or id, or a :class:`~antq_core.Period`."""


def _freeze(keys: Mapping[str, KeyValue]) -> Mapping[str, KeyValue]:
    return MappingProxyType(dict(keys))


class SpaceSource(enum.StrEnum):
    """Where a row's value comes from over space (see ``space_overlap`` in :doc:`/aggregation`)."""

    SUMMED = "summed"
    """The figures placed in the group, added as the metric says (the usual case)."""
    REPORTED = "reported"
    """A figure reported for a unit (or an initiative) was used instead of the
    figures of the units (or sites) under it, for the same metric, breakdown
    and overlapping period, which were left out
    (``space_overlap="prefer_reported"``); other figures of the group are
    added as usual."""


_ROW_JSON_SCHEMA: Final[dict[str, Any]] = {
    "title": "AggregateRow",
    "description": (
        "One metric's aggregate for one group: the group's key values (one property per "
        "grouping name, as strings), then the metric, value, unit, qualifier and counts. "
        "value, unit and qualifier are null when no value can be given."
    ),
    "type": "object",
    "properties": {
        "metric": {"type": "string", "description": "Id of the metric."},
        "value": {
            "anyOf": [
                {"type": "integer"},
                {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"},
                {"type": "null"},
            ],
            "description": "The aggregate: an integer, or a decimal string.",
        },
        "unit": {"type": ["string", "null"], "description": "Unit code of the value."},
        "qualifier": {
            "type": ["string", "null"],
            "enum": ["exact", "at_least", "at_most", "approximately", None],
            "description": "Exact, at least, at most or approximately.",
        },
        "observations": {
            "type": ["integer", "null"],
            "minimum": 0,
            "description": "Observations used; null when the row is suppressed.",
        },
        "missing": {
            "type": "integer",
            "minimum": 0,
            "description": "Expected units under the group that reported nothing.",
        },
        "source": {
            "type": "string",
            "enum": ["summed", "reported"],
            "description": (
                "summed: the group's figures added; reported: a figure reported for the "
                "enclosing unit used instead of the figures under it."
            ),
        },
        "reporting": {
            "title": "ReportingRate",
            "description": (
                "Present when asked for (aggregate(..., reporting=form)): the reports on the "
                "form of the reporting units under the row's unit for the row's period."
            ),
            "type": "object",
            "properties": {
                "form": {"type": "string"},
                "units": {"type": "integer", "minimum": 0},
                "expected": {"type": "integer", "minimum": 0},
                "actual": {"type": "integer", "minimum": 0},
                "on_time": {"type": "integer", "minimum": 0},
                "unknown_time": {"type": "integer", "minimum": 0},
                "rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                "timely_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            },
            "required": [
                "form",
                "units",
                "expected",
                "actual",
                "on_time",
                "unknown_time",
                "rate",
                "timely_rate",
            ],
            "additionalProperties": False,
        },
        "suppressed": {
            "type": ["string", "null"],
            "enum": ["primary", "complementary", None],
            "description": (
                "Present when the table was suppressed: why the row's value is hidden "
                "(primary: fewer people than the threshold; complementary: hidden so that "
                "no hidden cell follows from a total), or null when it is published."
            ),
        },
    },
    "required": ["metric", "value", "unit", "qualifier", "observations", "missing", "source"],
    "additionalProperties": {"type": "string", "description": "A group's key value."},
}

_UNPLACEABLE_JSON_SCHEMA: Final[dict[str, Any]] = {
    "title": "Unplaceable",
    "description": "An observation that could not be placed in one group, and why.",
    "type": "object",
    "properties": {
        "row": {"type": "integer", "minimum": 0, "description": "Its row in the dataset."},
        "metric": {"type": "string", "description": "Id of its metric."},
        "subject": {"type": "string", "description": "What it is about, kind:id."},
        "period": {"type": "string", "description": "Its period."},
        "reason": {"type": "string", "description": "Why it fits in no single group."},
    },
    "required": ["row", "metric", "subject", "period", "reason"],
    "additionalProperties": False,
}

_EXCLUDED_JSON_SCHEMA: Final[dict[str, Any]] = {
    "title": "Excluded",
    "description": "An observation that passes the filters but is in no row on purpose, and why.",
    "type": "object",
    "properties": {
        "row": {"type": "integer", "minimum": 0, "description": "Its row in the dataset."},
        "metric": {"type": "string", "description": "Id of its metric."},
        "subject": {"type": "string", "description": "What it is about, kind:id."},
        "period": {"type": "string", "description": "Its period."},
        "disaggregation": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Its breakdown: category id to option id (empty for a total).",
        },
        "code": {
            "type": "string",
            "enum": [
                "not_broken_down",
                "part_of_counted",
                "parts_incomplete",
                "not_additive",
                "superseded",
                "not_at_period_end",
                "covered_by_reported",
            ],
            "description": "Why, as a code.",
        },
        "reason": {"type": "string", "description": "Why, in a sentence."},
    },
    "required": ["row", "metric", "subject", "period", "disaggregation", "code", "reason"],
    "additionalProperties": False,
}

_TABLE_JSON_SCHEMA: Final[dict[str, Any]] = {
    "title": "AggregateTable",
    "description": "The result of an aggregation: rows, and what could not be placed.",
    "type": "object",
    "properties": {
        "by": {"type": "array", "items": {"type": "string"}, "description": "Grouping names."},
        "engine": {"type": "string", "description": "The engine that scanned the data."},
        "rows": {"type": "array", "items": _ROW_JSON_SCHEMA},
        "unplaceable": {"type": "array", "items": _UNPLACEABLE_JSON_SCHEMA},
        "excluded": {"type": "array", "items": _EXCLUDED_JSON_SCHEMA},
        "suppressed_below": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "Counts of people from 1 to this minus 1 were hidden; null: none.",
        },
        "withheld": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "metric": {"type": "string"},
                    "over": {"type": "string"},
                    "fixed": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["metric", "over", "fixed"],
                "additionalProperties": False,
            },
            "description": "Totals that must not be published beside the table.",
        },
    },
    "required": ["by", "engine", "rows", "unplaceable", "excluded"],
    "additionalProperties": False,
}


class Suppression(enum.StrEnum):
    """Why a cell is not published."""

    PRIMARY = "primary"
    """It counts fewer people than the threshold (and more than none)."""
    COMPLEMENTARY = "complementary"
    """It is hidden so that a primary cell cannot be worked out from a total."""

    def reason(self, threshold: int, lang: str = "en") -> str:
        """The reason in words, in Vietnamese (``"vi"``) or English."""
        if self is Suppression.PRIMARY:
            if lang == "vi":
                return f"Ẩn: ít hơn {threshold} người"
            return f"hidden: fewer than {threshold} people"
        if lang == "vi":
            return "Ẩn thêm để không suy ra được ô bị ẩn từ tổng"
        return "hidden too, so that no hidden cell can be worked out from a total"


def _freeze_text(keys: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(keys))


@attrs.frozen
class WithheldTotal:
    """A total that must not be published beside the table: no cell could protect it.

    The cells of the group (``metric``, the ``fixed`` keys, every value of
    ``over``) hold one hidden cell and no other cell that could be hidden
    with it, so the group's total would give that cell away.

    Attributes:
        metric: Id of the metric.
        over: The ``by`` name the total runs over, or ``"parent:NAME"`` for
            the total of the cells of NAME under one parent.
        fixed: The keys every cell of the group shares (and, for a parent
            total, ``"parent"``: the parent's value).
    """

    metric: str
    over: str
    fixed: Mapping[str, str] = attrs.field(converter=_freeze_text, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain values: metric, over, and the fixed keys as a dict."""
        return {"metric": self.metric, "over": self.over, "fixed": dict(self.fixed)}


def _json_row(row: AggregateRow) -> dict[str, Any]:
    data = row.to_dict()
    if data["value"] is not None:
        data["value"] = dump_value(data["value"])
    return data


@web_result(lambda: _ROW_JSON_SCHEMA, dump=_json_row)
@attrs.frozen
class AggregateRow:
    """One metric's aggregate for one group.

    >>> from antq_core import aggregate, sample
    >>> row = aggregate(sample(), ["cases_resolved_jointly"], by=["district"]).rows[0]
    >>> dict(row.keys), row.quantity, row.observations
    ({'district': '106'}, Quantity(22, 'case'), 1)

    Attributes:
        keys: The group: a value for each name in ``by``, in that order
            (unit codes and ids as strings, periods as
            :class:`~antq_core.Period`).
        metric: Id of the metric.
        quantity: The aggregate, in the metric's unit, with its qualifier;
            ``None`` when the group holds observations but no value can be
            given (a ratio missing a part or dividing by zero; ``none``
            aggregation with several values). A group with no data has no row:
            missing is not zero.
        observations: How many observations contributed.
        missing: How many expected units under the group reported nothing
            (see :doc:`/aggregation`).
        source: Whether the value adds up the figures placed in the group
            (``summed``), or, under ``space_overlap="prefer_reported"``, used
            a figure reported at a unit instead of those of the units under it.
        reporting: With ``aggregate(..., reporting=form)``: the reports on
            the form of the reporting units under the row's unit for the
            row's period (:class:`~antq_core.ReportingRate`); else ``None``.
        suppressed: Why the value is hidden (``aggregate(...,
            suppress_below=k)``), or ``None``: published. A suppressed row
            has no ``quantity``; it keeps its ``observations`` so that
            every observation stays accounted for, but :meth:`to_dict` and
            every export write them as ``None`` (for distinct people, one
            observation is one person).
    """

    keys: Mapping[str, KeyValue] = attrs.field(converter=_freeze, hash=False)
    metric: str
    quantity: Quantity | None
    observations: int
    missing: int
    source: SpaceSource = SpaceSource.SUMMED
    reporting: ReportingRate | None = None
    suppressed: Suppression | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain values: keys as strings, then metric, value, unit, qualifier, counts, source.

        With a reporting rate, it follows as ``"reporting"``
        (:meth:`ReportingRate.to_dict <antq_core.ReportingRate.to_dict>`).
        A suppressed row adds ``"suppressed"`` (the :class:`~antq_core.privacy.Suppression`
        code) and writes ``observations`` as ``None``.
        """
        q = self.quantity
        data: dict[str, Any] = {
            **{name: str(value) for name, value in self.keys.items()},
            "metric": self.metric,
            "value": None if q is None else q.value,
            "unit": None if q is None else q.unit.code,
            "qualifier": None if q is None else q.qualifier.value,
            "observations": self.observations,
            "missing": self.missing,
            "source": self.source.value,
        }
        if self.reporting is not None:
            data["reporting"] = self.reporting.to_dict()
        if self.suppressed is not None:
            data["observations"] = None
            data["suppressed"] = self.suppressed.value
        return data


@attrs.frozen
class RowReporting:
    """The reporting rate of each row of a table, by the row's space and time keys.

    Attributes:
        form: The form's id.
        names: The ``by`` names the rate depends on (levels, groups, periods).
        rates: Per tuple of those names' values (as strings): the rate.
    """

    form: str
    names: tuple[str, ...]
    rates: Mapping[tuple[str, ...], ReportingRate]

    def of(self, keys: Mapping[str, KeyValue]) -> ReportingRate:
        """The rate of a row with ``keys``."""
        return self.rates[tuple(str(keys[n]) for n in self.names)]

    def annotate(self, row: AggregateRow) -> AggregateRow:
        """``row`` carrying its rate."""
        return attrs.evolve(row, reporting=self.of(row.keys))


@attrs.frozen
class Unplaceable:
    """An observation that could not be placed in one group, and why.

    Attributes:
        row: Its index in :attr:`Dataset.observations <antq_core.Dataset.observations>`.
        metric: Id of its metric.
        subject: What it is about.
        period: Its period.
        reason: Why it fits in no single group (in English).
    """

    row: int
    metric: str
    subject: SubjectRef
    period: Period
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain values: subject and period as their canonical strings."""
        return {
            "row": self.row,
            "metric": self.metric,
            "subject": str(self.subject),
            "period": str(self.period),
            "reason": self.reason,
        }


class ExclusionReason(enum.StrEnum):
    """Why an observation that passes the filters is deliberately in no row.

    Each code names a rule of :doc:`/aggregation`; an :class:`Excluded` entry
    carries one, with the observation's row.
    """

    NOT_BROKEN_DOWN = "not_broken_down"
    """It is not broken down by every category in ``by`` (an undivided
    total, or a breakdown by other categories), so it fits no category row."""
    PART_OF_COUNTED = "part_of_counted"
    """It is a part of a figure that is counted already, as the undivided (or
    coarser) figure of the same metric, subject, period and slice, or as another
    complete breakdown of it. Adding it would count the same thing twice."""
    PARTS_INCOMPLETE = "parts_incomplete"
    """It is a part, the figure has no undivided value, and its parts do not
    make up the whole: an option of a category is missing and the category
    is not declared ``exhaustive``."""
    NOT_ADDITIVE = "not_additive"
    """It is a part of a figure whose metric does not add up over space
    (a mean, a minimum, a count of series...), and no undivided value
    exists: parts of a mean do not give the mean."""
    SUPERSEDED = "superseded"
    """A value of a ``last``/``first`` series in the group's period other
    than the one chosen (an earlier, or later, stock level)."""
    NOT_AT_PERIOD_END = "not_at_period_end"
    """A ``last_in_period`` series whose latest value does not end with the
    group's period, so the group takes no value from it."""
    COVERED_BY_REPORTED = "covered_by_reported"
    """A figure of a unit (or a site) under a unit that reported the same
    metric, breakdown and overlapping period itself; with
    ``space_overlap="prefer_reported"`` the reported figure is used instead."""


@attrs.frozen
class Excluded:
    """An observation that passes the filters but is in no row on purpose, and why.

    Attributes:
        row: Its index in :attr:`Dataset.observations <antq_core.Dataset.observations>`.
        metric: Id of its metric.
        subject: What it is about.
        period: Its period.
        disaggregation: Its breakdown (category id -> option id; empty: a total).
        code: Why, as a code (see :class:`ExclusionReason`).
        reason: The same, in a sentence (in English).
    """

    row: int
    metric: str
    subject: SubjectRef
    period: Period
    disaggregation: Mapping[str, str] = attrs.field(converter=_freeze, hash=False)
    code: ExclusionReason
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain values: subject and period as their canonical strings, the code as its value."""
        return {
            "row": self.row,
            "metric": self.metric,
            "subject": str(self.subject),
            "period": str(self.period),
            "disaggregation": dict(self.disaggregation),
            "code": self.code.value,
            "reason": self.reason,
        }


_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_T = TypeVar("_T")


def _given(values: Iterable[_T | None]) -> Iterator[_T]:
    """The values that are not ``None``."""
    return (v for v in values if v is not None)


def _no_exclusions() -> tuple[Excluded, ...]:
    return ()


class ColumnarRows(Protocol):
    """Rows an engine keeps as columns, made into :class:`AggregateRow` values on demand."""

    def __len__(self) -> int:
        """How many rows."""

    def row(self, index: int) -> AggregateRow:
        """The row at ``index`` (``0 <= index < len(self)``)."""

    def rows(self) -> tuple[AggregateRow, ...]:
        """Every row, in order."""

    def to_polars(self) -> polars.DataFrame | None:
        """The rows as :meth:`AggregateTable.to_polars` gives them, or ``None``: make the rows."""


@web_result(lambda: _TABLE_JSON_SCHEMA)
@attrs.frozen(eq=False)
class AggregateTable(Sequence[AggregateRow]):
    """The result of :func:`~antq_core.aggregate`: rows, and what could not be placed.

    Iterate it (or index it) for :class:`AggregateRow` values, ordered by
    metric (as requested) then group. The columnar engine keeps its rows as
    columns: :class:`AggregateRow` values are made when first iterated or
    indexed, and :meth:`to_polars` reads the columns directly.

    Attributes:
        by: The grouping names, in order.
        engine: Name of the engine that scanned the observations.
        unplaceable: Observations of the requested metrics that fit in no
            single group, with the reason; they are in no row.
        suppressed_below: With ``aggregate(..., suppress_below=k)``: ``k``;
            the rows say which values are hidden (:attr:`AggregateRow.suppressed`).
            ``None``: nothing was suppressed.
        withheld: Totals that must not be published beside a suppressed
            table (a hidden cell alone in its group, which nothing can protect).

    Every observation of the requested metrics (of a requested ratio's
    parts) that passes the filters is in exactly one of: the
    ``observations`` of one row, :attr:`unplaceable`, or :attr:`excluded`.
    """

    _given: tuple[AggregateRow, ...] | None = attrs.field(alias="rows", repr=False)
    by: tuple[str, ...]
    engine: str
    unplaceable: tuple[Unplaceable, ...]
    _list_excluded: Callable[[], tuple[Excluded, ...]] = attrs.field(
        default=_no_exclusions, alias="list_excluded", repr=False
    )
    _columns: ColumnarRows | None = attrs.field(default=None, alias="columns", repr=False)
    _reporting: RowReporting | None = attrs.field(default=None, alias="reporting", repr=False)
    suppressed_below: int | None = None
    withheld: tuple[WithheldTotal, ...] = ()
    _found: list[tuple[Excluded, ...]] = attrs.field(factory=list, init=False, repr=False)
    _made: list[tuple[AggregateRow, ...]] = attrs.field(factory=list, init=False, repr=False)

    @property
    def rows(self) -> tuple[AggregateRow, ...]:
        """The rows (made from the columns on first use, then kept)."""
        reporting = self._reporting
        if self._given is not None and reporting is None:
            return self._given
        if not self._made:
            columns = self._columns
            if self._given is not None:
                made = self._given
            else:
                made = () if columns is None else columns.rows()
            if reporting is not None:
                made = tuple(reporting.annotate(row) for row in made)
            self._made.append(made)
        return self._made[0]

    @property
    def reporting_form(self) -> str | None:
        """The form whose reporting rate each row carries (``aggregate(..., reporting=)``)."""
        return None if self._reporting is None else self._reporting.form

    @property
    def excluded(self) -> tuple[Excluded, ...]:
        """Observations that pass the filters but are in no row on purpose, with the reason.

        Listed on first use (a pass over the rows), then kept.
        """
        if not self._found:
            self._found.append(self._list_excluded())
        return self._found[0]

    def __len__(self) -> int:
        if self._given is None and not self._made and self._columns is not None:
            return len(self._columns)
        return len(self.rows)

    def __iter__(self) -> Iterator[AggregateRow]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> AggregateRow:  # type: ignore[override]
        columns = self._columns
        if self._given is None and not self._made and columns is not None:
            # One row from the columns, without making the others.
            if not isinstance(index, int):
                return self.rows[index]  # type: ignore[unreachable]
            n = len(columns)
            if not -n <= index < n:
                raise IndexError("AggregateTable index out of range")
            row = columns.row(index % n)
            return row if self._reporting is None else self._reporting.annotate(row)
        return self.rows[index]

    def __repr__(self) -> str:
        # The excluded list is counted only once listed: a repr does not pay for it.
        excluded = f" {len(self._found[0])} excluded," if self._found else ""
        hidden = ""
        if self.suppressed_below is not None:
            n = sum(r.suppressed is not None for r in self.rows)
            hidden = f" {n} suppressed below {self.suppressed_below},"
        return (
            f"<AggregateTable by {list(self.by)}: {len(self)} rows,"
            f" {len(self.unplaceable)} unplaceable,{excluded}{hidden} engine {self.engine!r}>"
        )

    def _row_dicts(self) -> list[dict[str, Any]]:
        data = [row.to_dict() for row in self.rows]
        if self.suppressed_below is not None:
            for d in data:
                d.setdefault("suppressed", None)
        return data

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every row as :meth:`AggregateRow.to_dict` gives it."""
        if self._given is None and not self._made and self._columns is not None:
            frame = self._columns.to_polars()
            if frame is not None:
                found: list[dict[str, Any]] = frame.to_dicts()
                reporting = self._reporting
                if reporting is not None:
                    for data in found:
                        key = tuple(data[n] for n in reporting.names)
                        data["reporting"] = reporting.rates[key].to_dict()
                return found
        return self._row_dicts()

    def to_dict(self) -> dict[str, Any]:
        """The whole table as JSON-ready data.

        Its keys are ``by``, ``engine``, ``rows``, ``unplaceable`` and
        ``excluded``, and for a suppressed table also ``suppressed_below``
        and ``withheld``. Values are written as the wire format writes them:
        integers, or decimal strings.
        """
        data: dict[str, Any] = {
            "by": list(self.by),
            "engine": self.engine,
            "rows": [_json_row(row) for row in self.rows],
            "unplaceable": [u.to_dict() for u in self.unplaceable],
            "excluded": [e.to_dict() for e in self.excluded],
        }
        if self.suppressed_below is not None:
            for row in data["rows"]:
                row.setdefault("suppressed", None)
            data["suppressed_below"] = self.suppressed_below
            data["withheld"] = [w.to_dict() for w in self.withheld]
        return data

    def to_pandas(self) -> pandas.DataFrame:
        """The rows as a pandas DataFrame (needs the ``dataframe`` extra).

        The same columns and types as :meth:`to_polars` (decimal values as
        Python decimals in an object column, integers as ``int64``).

        Raises:
            MissingExtraError: pandas, polars or pyarrow is not installed.
        """
        require("pandas", "dataframe")
        require("pyarrow", "dataframe")
        frame: pandas.DataFrame = self.to_polars().to_pandas()
        return frame

    def to_polars(self) -> polars.DataFrame:
        """The rows as a polars DataFrame (needs the ``dataframe`` extra).

        Key columns are strings; ``value`` is an ``Int64`` column, or a
        ``Decimal(38, s)`` one when any value has a fraction or lies past
        64-bit integers (``s``: the most digits after the decimal mark).
        With a reporting rate (``aggregate(..., reporting=)``), the integer columns
        ``reports_units``, ``reports_expected``, ``reports_actual``,
        ``reports_on_time`` and ``reports_unknown_time`` follow; the exact
        rates are their quotients (``reports_actual / reports_expected``).

        Raises:
            MissingExtraError: polars is not installed.
            ValuesDoNotFitError: A value needs more than 38 digits.
        """
        frame = self._frame()
        reporting = self._reporting
        if reporting is None:
            return frame
        pl = require("polars", "dataframe")
        if reporting.names:
            keys = zip(*(frame[n].to_list() for n in reporting.names), strict=True)
            found = [reporting.rates[tuple(k)] for k in keys]
        else:
            found = [reporting.rates[()]] * frame.height if frame.height else []
        columns = {
            f"reports_{field}": pl.Series([getattr(r, field) for r in found], dtype=pl.Int64)
            for field in ("units", "expected", "actual", "on_time", "unknown_time")
        }
        return frame.with_columns(**columns)

    def _frame(self) -> polars.DataFrame:
        pl = require("polars", "dataframe")
        if self._given is None and self._columns is not None:
            columnar = self._columns.to_polars()
            if columnar is not None:
                return columnar
        data = self._row_dicts()
        values: list[Number | None] = [d["value"] for d in data]
        columns: dict[str, Any] = {name: [d[name] for d in data] for name in self.by}
        schema: dict[str, Any] = dict.fromkeys(self.by, pl.String)
        given: Iterator[Number] = _given(values)
        wide = (isinstance(v, Decimal) or not _INT64_MIN <= v <= _INT64_MAX for v in given)
        if any(wide):
            exact = [None if v is None else Decimal(v) for v in values]
            scale = max((fraction_digits(v) for v in _given(exact)), default=0)
            digits = max((v.adjusted() + 1 for v in _given(exact) if v), default=0)
            if digits + scale > DECIMAL128_DIGITS:
                raise ValuesDoNotFitError(
                    digits, scale, DECIMAL128_DIGITS, "read the table's rows for exact values"
                )
            columns["value"] = exact
            schema["value"] = pl.Decimal(DECIMAL128_DIGITS, scale)
        else:
            columns["value"] = values
            schema["value"] = pl.Int64
        for name, dtype in (
            ("metric", pl.String),
            ("unit", pl.String),
            ("qualifier", pl.String),
            ("observations", pl.Int64),
            ("missing", pl.Int64),
            ("source", pl.String),
            ("suppressed", pl.String),
        ):
            if name == "suppressed" and self.suppressed_below is None:
                continue
            columns[name] = [d[name] for d in data]
            schema[name] = dtype
        order = [
            *self.by,
            *("metric", "value", "unit", "qualifier", "observations", "missing", "source"),
            *(() if self.suppressed_below is None else ("suppressed",)),
        ]
        frame: polars.DataFrame = pl.DataFrame(
            {k: columns[k] for k in order}, schema={k: schema[k] for k in order}
        )
        return frame
