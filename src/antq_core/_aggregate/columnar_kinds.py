"""Finishing as columns for the kinds beyond sums and stocks: distinct counts of people.

:mod:`._columnar` finishes sums and stocks on polars. This module adds the
distinct counts of participants (time operation ``distinct``) when the engine
counted them itself and gave them as a frame (:attr:`Scan.distinct_cells
<._engine.Scan.distinct_cells>`): every row of those metrics is placed and
about a participant, so each cell is one output row whose value is the
number of different people, whose observations are the cell's rows, and
whose qualifier combines the cell's qualifiers exactly as
:func:`._semantics.combine_qualifiers` does for the Python
path (the lowest and highest non-exact code). A cell whose rows use a unit
other than the metric's goes the Python way, which converts or refuses.
The semantics stay in :mod:`._semantics`; the engines-agree tests hold this
path to the Python one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from antq_core._aggregate.semantics import ScanKind
from antq_core._entities import AggregationType
from antq_core._values.quantity import Qualifier

if TYPE_CHECKING:
    from collections.abc import Mapping

    from antq_core._aggregate.engine import Scan
    from antq_core._aggregate.plan import MetricPlan, Plan

__all__ = ["distinct_groups", "distinct_ready", "reported_places"]

_QUALIFIERS: Final = tuple(Qualifier)
_EXACT: Final = _QUALIFIERS.index(Qualifier.EXACT)
_APPROXIMATELY: Final = _QUALIFIERS.index(Qualifier.APPROXIMATELY)


def distinct_ready(mplan: MetricPlan, scan: Scan) -> bool:
    """Whether ``mplan`` is a distinct count the engine gave as columns.

    A distinct count with no rows in the store (code ``-1``) has no row either way.
    """
    if mplan.time is AggregationType.DISTINCT and mplan.code < 0:
        return True
    return (
        mplan.scan is ScanKind.SERIES
        and mplan.time is AggregationType.DISTINCT
        and mplan.code in scan.counted
        and scan.distinct_cells is not None
    )


def distinct_groups(pl: Any, plan: Plan, scan: Scan, by_code: Mapping[int, MetricPlan]) -> Any:
    """The distinct-count rows as :mod:`._columnar`'s group frame; ``None``: the Python way.

    Columns: ``metric``, ``group``, ``bucket``, ``slice``, ``value`` (people),
    ``observations``, ``qualifier``.
    """
    wanted = sorted(
        p.code for p in by_code.values() if p.time is AggregationType.DISTINCT and p.code >= 0
    )
    cells = scan.distinct_cells.filter(pl.col("metric").is_in(wanted))
    units = plan.columns.units
    for m, low, high in cells.select("metric", "unit_low", "unit_high").unique().iter_rows():
        target = by_code[m].definition.unit
        if low != high or units[low] is not target or by_code[m].unit is not target:
            return None  # a conversion (or a refusal to convert): the Python way
    qualifier = (
        pl.when(pl.col("q_low").is_null())
        .then(pl.lit(_EXACT))
        .when(pl.col("q_low") == pl.col("q_high"))
        .then(pl.col("q_low"))
        .otherwise(pl.lit(_APPROXIMATELY))
        .cast(pl.Int64)
        .alias("qualifier")
    )
    return cells.select(
        pl.col("metric", "group", "bucket", "slice").cast(pl.Int64),
        pl.col("people").cast(pl.Int64).alias("value"),
        pl.col("count").cast(pl.Int64).alias("observations"),
        qualifier,
    )


def reported_places(pl: Any, plan: Plan, scan: Scan) -> tuple[Any, list[int]]:
    """Who reported when, by resolution: for counting the expected units that reported nothing.

    Subjects that resolve alike (the people of one village) land in the same
    group and under the same child unit in every plan (:attr:`Plan.resolution`),
    so :attr:`Scan.reported_pairs` shrinks to its distinct (resolution, period)
    pairs, once per dataset (kept in :attr:`Plan.memo`): a million pairs of
    people and months become some thousands of villages and months.

    Returns:
        The pairs as a frame (``subject``: the resolution code, ``period``), and
        per resolution code the subject whose group and child it takes.
    """
    pairs = scan.reported_pairs
    if len(plan.resolution) != len(plan.columns.subjects):
        return pairs, list(range(len(plan.columns.subjects)))  # no resolutions: as they are
    memo = plan.memo.get("reported_places")
    if isinstance(memo, tuple) and memo[0] is pairs:
        return memo[1], list(plan.resolved_first)
    resolution = pl.Series(list(plan.resolution), dtype=pl.Int64)
    places = pairs.select(
        pl.lit(resolution).gather(pl.col("subject")).alias("subject"), "period"
    ).unique()
    plan.memo["reported_places"] = (pairs, places)
    return places, list(plan.resolved_first)
