"""Ratios finished as columns: numerator / denominator × factor, from the parts' rows.

:mod:`._columnar` finishes the parts of a requested ratio (sums, stocks,
distinct counts, minima, maxima, counts) as a frame of rows; this module
joins each ratio's numerator rows and denominator rows on (group, bucket,
slice), as :func:`._finish._ratio` does for the Python path, and computes
every quotient's exactness, qualifier, observations, missing units and
source with columnar expressions, row for row the same:

- a group with only one of the parts, or a zero denominator, has a row with
  no value; its observations are the parts' together, its missing units the
  denominator's (the numerator's when the denominator has no row);
- ``T = factor × numerator`` and ``D = denominator`` are integers (the
  columnar parts have integer values). ``T / D`` is kept exact when it can
  be written exactly: for a unit counted in whole numbers when ``D`` divides
  ``T``; otherwise when ``T / D`` in lowest terms has a denominator whose only
  prime factors are 2 and 5, that is when ``D`` without its factors 2 and 5
  divides ``T`` (integer arithmetic, Int128). Such a quotient of integers
  below 2**127 always fits the exact context's :data:`.exact.PRECISION`
  digits. Otherwise it is rounded (half-even, to a whole number or to
  :data:`._semantics.ROUNDING`) and marked ``approximately``;
- the qualifier combines the numerator's with the reversed denominator's
  (a bound on the denominator bounds the ratio the other way), looked up in
  a table made with :meth:`Qualifier.combine` and :func:`._semantics.reverse`.

The decimal value itself is computed by :func:`._semantics.divide`, the
Python path's own function, when a row is made (:class:`RatioRows`). Ratios
of ratios, parts that convert units, negative parts and values past Int128
go the Python way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs

from antq_core._aggregate.columnar_kinds import in_python_order
from antq_core._aggregate.finish import row_keys, signed_part
from antq_core._aggregate.semantics import divide, reverse
from antq_core._aggregate.table import (
    AggregateRow,
    AggregateTable,
    Excluded,
    SpaceSource,
    Unplaceable,
)
from antq_core._util.extras import polars_and_arrow
from antq_core._values.quantity import Qualifier, Quantity, Unit

if TYPE_CHECKING:
    import polars

    from antq_core._aggregate.engine import Scan
    from antq_core._aggregate.plan import Plan
    from antq_core._entities import MetricDefinition

__all__ = ["RatioRows", "finish_ratios"]

_QUALIFIERS: Final = tuple(Qualifier)
_N: Final = len(_QUALIFIERS)
_INT128_MAX: Final = 2**127 - 1
_KEYS: Final = ("group", "bucket", "slice")
_COLUMNS: Final = (
    "output",
    "group",
    "bucket",
    "slice",
    "value",
    "den",
    "qualifier",
    "observations",
    "missing",
    "reported",
)


def _qualifier_table() -> list[int]:
    """Per ``(numerator q × N + denominator q) × 2 + rounded``: the ratio's qualifier code.

    As :func:`._finish._ratio` combines them for a numerator that is not negative.
    """
    table: list[int] = []
    for top in _QUALIFIERS:
        for bottom in _QUALIFIERS:
            q = top.combine(reverse(bottom))
            table.append(_QUALIFIERS.index(q))
            table.append(_QUALIFIERS.index(q.combine(Qualifier.APPROXIMATELY)))
    return table


_TABLE: Final = _qualifier_table()


@attrs.frozen
class _Output:
    """What a row of one requested metric is made with."""

    metric_id: str
    unit: Unit
    ratio: bool = False
    signed: bool = False


@attrs.frozen
class Parts:
    """A plan without ratios finished as columns: its rows' frame, and what is in no row.

    ``groups`` has a row per (metric, group, bucket, slice) with ``value``,
    ``observations``, ``qualifier``, ``missing`` and ``reported``, ordered as
    the table's rows; ``unplaceable`` and ``list_excluded`` are the table's.
    """

    groups: Any
    unplaceable: tuple[Unplaceable, ...]
    list_excluded: Callable[[], tuple[Excluded, ...]]


def finish_ratios(
    plan: Plan, scan: Scan, engine: str, parts: Callable[[Plan, Scan], Parts | None]
) -> AggregateTable | None:
    """The table of a request with ratios, finished as columns; ``None``: the Python way.

    ``parts`` finishes a plan without ratios as columns (``columnar._parts``),
    or gives ``None``.
    """
    metrics = plan.metrics
    for ratio in plan.ratios:
        top, bottom = metrics.get(ratio.numerator or ""), metrics.get(ratio.denominator or "")
        if top is None or bottom is None:
            return None  # a ratio of ratios: the Python way
        if bottom.unit is not top.unit and bottom.unit.compatible(top.unit):
            return None  # the denominator converts into the numerator's unit: the Python way
    sub = attrs.evolve(plan, ratios=(), requested=tuple(metrics))
    done = parts(sub, scan)
    if done is None:
        return None
    pl, _ = polars_and_arrow()
    frame = done.groups.select(
        "metric", *_KEYS, "value", "observations", "qualifier", "missing", "reported"
    )
    outputs: list[_Output] = []
    pieces: list[Any] = []
    high = frame["value"].max() if frame.height else 0
    for position, metric_id in enumerate(plan.requested):
        found = metrics.get(metric_id)
        if found is not None:
            outputs.append(_Output(metric_id, found.unit, signed=signed_part(found)))
            pieces.append(
                frame.filter(pl.col("metric") == found.code).select(
                    pl.lit(position, dtype=pl.Int64).alias("output"),
                    *_KEYS,
                    pl.col("value").cast(pl.Int128),
                    pl.lit(None, dtype=pl.Int128).alias("den"),
                    "qualifier",
                    "observations",
                    "missing",
                    "reported",
                )
            )
            continue
        ratio = next(r for r in plan.ratios if r.id == metric_id)
        if ratio.factor * int(high or 0) > _INT128_MAX:
            return None
        top, bottom = metrics[ratio.numerator or ""], metrics[ratio.denominator or ""]
        outputs.append(_Output(metric_id, ratio.unit, ratio=True, signed=signed_part(top)))
        pieces.append(
            _ratio_rows(
                pl, plan, frame, position=position, ratio=ratio, codes=(top.code, bottom.code)
            )
        )
    rows = pl.concat(pieces, how="vertical_relaxed") if pieces else None
    if rows is None:
        return None
    rows = _sorted(pl, plan, rows.select(_COLUMNS))
    return AggregateTable(
        rows=None,
        by=plan.by,
        engine=engine,
        unplaceable=done.unplaceable,
        list_excluded=done.list_excluded,
        columns=RatioRows(plan, rows, outputs),
    )


def _ratio_rows(
    pl: Any,
    plan: Plan,
    frame: Any,
    *,
    position: int,
    ratio: MetricDefinition,
    codes: tuple[int, int],
) -> Any:
    """The rows of one ratio (see the module), before sorting; ``codes``: its parts'."""
    top_code, bottom_code = codes
    factor = ratio.factor
    part_columns = ("value", "observations", "qualifier", "missing", "reported")

    def part(code: int, prefix: str) -> Any:
        return frame.filter(pl.col("metric") == code).select(
            *_KEYS, *(pl.col(c).alias(prefix + c) for c in part_columns)
        )

    joined = part(top_code, "n_").join(
        part(bottom_code, "d_"), on=list(_KEYS), how="full", coalesce=True
    )
    t = pl.col("n_value").cast(pl.Int128) * pl.lit(factor, dtype=pl.Int128)
    d = pl.col("d_value").cast(pl.Int128)
    valued = pl.col("n_value").is_not_null() & d.is_not_null() & (d != 0)
    joined = joined.with_columns(
        t.alias("value"), pl.when(valued).then(d).otherwise(None).alias("den")
    )
    stripped = _without_twos_and_fives(pl, joined["den"])
    joined = joined.with_columns(stripped.alias("_odd"))
    divisor = pl.col("den") if ratio.unit.whole else pl.col("_odd")
    rounded = (pl.col("value") % divisor != 0).cast(pl.Int64)
    index = (pl.col("n_qualifier") * _N + pl.col("d_qualifier")) * 2 + rounded
    qualifier = pl.lit(pl.Series(_TABLE, dtype=pl.Int64)).gather(index)
    joined = _covered(pl, plan, joined, (top_code, bottom_code))
    return joined.select(
        pl.lit(position, dtype=pl.Int64).alias("output"),
        *_KEYS,
        pl.when(pl.col("den").is_not_null()).then(pl.col("value")).otherwise(None).alias("value"),
        "den",
        pl.when(pl.col("den").is_not_null()).then(qualifier).otherwise(None).alias("qualifier"),
        (pl.col("n_observations").fill_null(0) + pl.col("d_observations").fill_null(0)).alias(
            "observations"
        ),
        pl.when(pl.col("d_missing").is_not_null())
        .then(pl.col("d_missing"))
        .otherwise(pl.col("n_missing"))
        .alias("missing"),
        "reported",
    )


def _without_twos_and_fives(pl: Any, den: Any) -> Any:
    """``den`` (positive, or null) divided by its factors 2 and 5, as a series."""
    frame = pl.DataFrame({"x": den.fill_null(1).cast(pl.Int128)})
    x = pl.col("x")
    for p in (2, 5):
        step = pl.lit(p, dtype=pl.Int128)
        while frame.select((x % step == 0).any()).item():
            frame = frame.select(pl.when(x % step == 0).then(x // step).otherwise(x).alias("x"))
    return frame["x"]


def _covered(pl: Any, plan: Plan, joined: Any, codes: Sequence[int]) -> Any:
    """``joined`` with ``reported``: whether a figure enclosing others was used in either part.

    As ``space_overlap`` marks it per (metric, group, bucket, slice); joined, not looked up
    row by row.
    """
    mine = sorted({cell[1:] for cell in plan.covered if cell[0] in codes})
    if not mine:
        return joined.with_columns(reported=pl.lit(value=False))
    cells = pl.DataFrame(mine, schema=dict.fromkeys(_KEYS, pl.Int64), orient="row")
    marked = cells.with_columns(reported=pl.lit(value=True))
    return joined.join(marked, on=list(_KEYS), how="left", coalesce=True).with_columns(
        pl.col("reported").fill_null(value=False)
    )


def _sorted(pl: Any, plan: Plan, rows: Any) -> Any:
    """The rows in the Python path's order: metric as requested, then the ``by`` values."""
    return in_python_order(pl, plan, rows, pl.col("output"), len(plan.requested))


class RatioRows:
    """The rows of a columnar finish with ratios: a frame, made into rows on demand."""

    def __init__(self, plan: Plan, frame: polars.DataFrame, outputs: Sequence[_Output]) -> None:
        self._plan = plan
        self._frame = frame
        self._outputs = tuple(outputs)

    def __len__(self) -> int:
        return self._frame.height

    def _make(self, values: tuple[Any, ...]) -> AggregateRow:
        o, group, bucket, sl, value, den, qualifier, count, missing, reported = values
        out = self._outputs[o]
        quantity: Quantity | None = None
        if not out.ratio:
            quantity = Quantity(value, out.unit, _QUALIFIERS[qualifier], signed=out.signed)
        elif den is not None:
            found, _ = divide(value, den, whole=out.unit.whole)
            quantity = Quantity(found, out.unit, _QUALIFIERS[qualifier], signed=out.signed)
        return AggregateRow(
            row_keys(self._plan, (group, bucket, sl)),
            out.metric_id,
            quantity,
            count,
            missing,
            SpaceSource.REPORTED if reported else SpaceSource.SUMMED,
        )

    def row(self, index: int) -> AggregateRow:
        """The row at ``index``."""
        return self._make(self._frame.row(index))

    def rows(self) -> tuple[AggregateRow, ...]:
        """Every row, in order."""
        return tuple(map(self._make, self._frame.iter_rows()))

    def to_polars(self) -> polars.DataFrame | None:
        """``None``: the table makes its rows (decimal quotients are made per row)."""
        return None
