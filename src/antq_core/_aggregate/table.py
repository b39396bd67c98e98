"""Results of an aggregation: typed rows, a table of them, and what could not be placed."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import core_schema

from antq_core._util.extras import require
from antq_core._values.period import Period
from antq_core._values.quantity import Number, Quantity, dump_value
from antq_core._values.refs import SubjectRef
from antq_core.errors import result_core_schema

if TYPE_CHECKING:
    import pandas
    import polars

__all__ = ["AggregateRow", "AggregateTable", "KeyValue", "Unplaceable"]

KeyValue = str | Period
"""A group's value for one ``by`` name: a code or id, or a :class:`~antq_core.Period`."""


def _freeze(keys: Mapping[str, KeyValue]) -> Mapping[str, KeyValue]:
    return MappingProxyType(dict(keys))


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
        "observations": {"type": "integer", "minimum": 0, "description": "Observations used."},
        "missing": {
            "type": "integer",
            "minimum": 0,
            "description": "Expected units under the group that reported nothing.",
        },
    },
    "required": ["metric", "value", "unit", "qualifier", "observations", "missing"],
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

_TABLE_JSON_SCHEMA: Final[dict[str, Any]] = {
    "title": "AggregateTable",
    "description": "The result of an aggregation: rows, and what could not be placed.",
    "type": "object",
    "properties": {
        "by": {"type": "array", "items": {"type": "string"}, "description": "Grouping names."},
        "engine": {"type": "string", "description": "The engine that scanned the data."},
        "rows": {"type": "array", "items": _ROW_JSON_SCHEMA},
        "unplaceable": {"type": "array", "items": _UNPLACEABLE_JSON_SCHEMA},
    },
    "required": ["by", "engine", "rows", "unplaceable"],
    "additionalProperties": False,
}


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
    """

    keys: Mapping[str, KeyValue] = attrs.field(converter=_freeze, hash=False)
    metric: str
    quantity: Quantity | None
    observations: int
    missing: int

    def to_dict(self) -> dict[str, Any]:
        """Plain values: keys as strings, then metric, value, unit, qualifier, counts."""
        q = self.quantity
        return {
            **{name: str(value) for name, value in self.keys.items()},
            "metric": self.metric,
            "value": None if q is None else q.value,
            "unit": None if q is None else q.unit.code,
            "qualifier": None if q is None else q.qualifier.value,
            "observations": self.observations,
            "missing": self.missing,
        }

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Returned from a web endpoint, a row is written as JSON-ready :meth:`to_dict`."""
        return result_core_schema(cls, _json_row)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        """The JSON Schema of a row as a web endpoint writes it."""
        return copy.deepcopy(_ROW_JSON_SCHEMA)


def _json_row(row: AggregateRow) -> dict[str, Any]:
    data = row.to_dict()
    if data["value"] is not None:
        data["value"] = dump_value(data["value"])
    return data


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


@attrs.frozen(eq=False)
class AggregateTable(Sequence[AggregateRow]):
    """The result of :func:`~antq_core.aggregate`: rows, and what could not be placed.

    Iterate it (or index it) for :class:`AggregateRow` values, ordered by
    metric (as requested) then group.

    Attributes:
        rows: The rows.
        by: The grouping names, in order.
        engine: Name of the engine that scanned the observations.
        unplaceable: Observations of the requested metrics that fit in no
            single group, with the reason; they are in no row.
    """

    rows: tuple[AggregateRow, ...]
    by: tuple[str, ...]
    engine: str
    unplaceable: tuple[Unplaceable, ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[AggregateRow]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> AggregateRow:  # type: ignore[override]
        return self.rows[index]

    def __repr__(self) -> str:
        return (
            f"<AggregateTable by {list(self.by)}: {len(self.rows)} rows,"
            f" {len(self.unplaceable)} unplaceable, engine {self.engine!r}>"
        )

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every row as :meth:`AggregateRow.to_dict` gives it."""
        return [row.to_dict() for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        """The whole table as JSON-ready data: ``by``, ``engine``, ``rows``, ``unplaceable``.

        Values are written as the wire format writes them: integers, or
        decimal strings.
        """
        return {
            "by": list(self.by),
            "engine": self.engine,
            "rows": [_json_row(row) for row in self.rows],
            "unplaceable": [u.to_dict() for u in self.unplaceable],
        }

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Returned from a web endpoint, a table is written as :meth:`to_dict` gives it."""
        return result_core_schema(cls, cls.to_dict)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        """The JSON Schema of :meth:`to_dict`."""
        return copy.deepcopy(_TABLE_JSON_SCHEMA)

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

        Key columns are strings; ``value`` is an integer column, or a decimal
        one when any value has a fraction.

        Raises:
            MissingExtraError: polars is not installed.
        """
        pl = require("polars", "dataframe")
        data = self.to_dicts()
        values: list[Number | None] = [d["value"] for d in data]
        columns: dict[str, Any] = {name: [d[name] for d in data] for name in self.by}
        schema: dict[str, Any] = dict.fromkeys(self.by, pl.String)
        if any(isinstance(v, Decimal) for v in values):
            scale = max(
                -v.as_tuple().exponent  # type: ignore[operator]
                for v in values
                if isinstance(v, Decimal)
            )
            columns["value"] = [None if v is None else Decimal(v) for v in values]
            schema["value"] = pl.Decimal(38, max(scale, 0))
        else:
            columns["value"] = values
            schema["value"] = pl.Int64
        for name, dtype in (
            ("metric", pl.String),
            ("unit", pl.String),
            ("qualifier", pl.String),
            ("observations", pl.Int64),
            ("missing", pl.Int64),
        ):
            columns[name] = [d[name] for d in data]
            schema[name] = dtype
        order = [*self.by, "metric", "value", "unit", "qualifier", "observations", "missing"]
        frame: polars.DataFrame = pl.DataFrame(
            {k: columns[k] for k in order}, schema={k: schema[k] for k in order}
        )
        return frame
