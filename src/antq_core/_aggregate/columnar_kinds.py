"""Finishing as columns for the kinds beyond sums and stocks, and the missing units.

:mod:`._columnar` finishes sums and stocks on polars; this module adds:

- **Distinct counts of participants** (time operation ``distinct``), when the
  engine counted them itself and gave them as a frame (:attr:`Scan.distinct_cells
  <._engine.Scan.distinct_cells>`): every row of those metrics is placed and
  about a participant, so each cell is one output row whose value is the
  number of different people, whose observations are the cell's rows.
- **Minima, maxima and counts of series** (``min``/``min``, ``max``/``max``,
  ``count``/``count``), from the series cells as a frame
  (``Scan.series_cells``): a group's smallest value is the smallest of its
  rows, its count the number of subjects with a row.
- **``last_in_period`` stocks**: the picks of :mod:`._columnar`'s stocks, less
  the series whose chosen period does not end with the group's.
- **The expected units that reported nothing**, counted from who reported
  when, by resolution (the people of one village alike).

Qualifiers combine exactly as :func:`._semantics.combine_qualifiers` does for
the Python path (from the lowest and highest non-exact code). A cell whose
rows use a unit other than the metric's, or a negative value, goes the Python
way, which converts or refuses. The semantics stay in :mod:`._semantics`; the
engines-agree tests hold this path to the Python one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

from antq_core._aggregate.plan import EXCLUDED, increasing, order_columns, recall, remember
from antq_core._aggregate.semantics import ScanKind
from antq_core._entities import AggregationType
from antq_core._values.quantity import Qualifier

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from antq_core._aggregate.engine import Scan
    from antq_core._aggregate.finish import Result
    from antq_core._aggregate.plan import MetricPlan, Plan

__all__ = [
    "at_period_end",
    "combined_qualifier",
    "distinct_groups",
    "distinct_ready",
    "in_period_ready",
    "in_python_order",
    "reported_counts",
    "reported_places",
    "series_groups",
    "series_ready",
]

_A = AggregationType
# (over time, over space) of the series kinds finished here, and what a group's value is.
_SERIES_KINDS: Final = {
    (_A.MIN, _A.MIN): "min",  # the smallest value of the group's rows
    (_A.MAX, _A.MAX): "max",  # the largest
    (_A.COUNT, _A.COUNT): "series",  # the number of series (subjects) with a value
}

_INT64_MAX: Final = 2**63 - 1
_QUALIFIERS: Final = tuple(Qualifier)
_EXACT: Final = _QUALIFIERS.index(Qualifier.EXACT)
_APPROXIMATELY: Final = _QUALIFIERS.index(Qualifier.APPROXIMATELY)


def combined_qualifier(pl: Any, exact: Any = None) -> Any:
    """The qualifier of a cell from its lowest and highest non-exact code (``q_low``/``q_high``).

    No non-exact row: exact; one kind of them: that one; several: approximately.
    ``exact``, a boolean expression, makes a cell exact whatever its rows (counts
    of series count rows, whatever their qualifier).
    """
    none_unusual = pl.col("q_low").is_null()
    return (
        pl.when(none_unusual if exact is None else exact | none_unusual)
        .then(pl.lit(_EXACT))
        .when(pl.col("q_low") == pl.col("q_high"))
        .then(pl.col("q_low"))
        .otherwise(pl.lit(_APPROXIMATELY))
        .cast(pl.Int64)
    )


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


def distinct_groups(
    pl: Any, plan: Plan, scan: Scan, by_code: Mapping[int, MetricPlan], result: Result
) -> Any:
    """The distinct-count rows as :mod:`._columnar`'s group frame; ``None``: the Python way.

    Columns: ``metric``, ``group``, ``bucket``, ``slice``, ``value`` (people),
    ``observations``, ``qualifier``. The metrics' other rows (in
    ``Scan.series_cells``) are recorded in ``result``: one that cannot be
    placed, or is placed but not about a participant, makes its metric's rows
    listed as unplaceable (the latter with the distinct count's reason).
    """
    wanted = sorted(
        p.code for p in by_code.values() if p.time is AggregationType.DISTINCT and p.code >= 0
    )
    if scan.series_cells is not None:
        _leftovers(pl, plan, scan.series_cells.filter(pl.col("metric").is_in(wanted)), result)
    cells = scan.distinct_cells.filter(pl.col("metric").is_in(wanted))
    units = plan.columns.units
    for m, low, high in cells.select("metric", "unit_low", "unit_high").unique().iter_rows():
        target = by_code[m].definition.unit
        if low != high or units[low] is not target or by_code[m].unit is not target:
            return None  # a conversion (or a refusal to convert): the Python way
    qualifier = combined_qualifier(pl).alias("qualifier")
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


def series_ready(mplan: MetricPlan, scan: Scan) -> bool:
    """Whether ``mplan`` is a minimum, maximum or count the engine gave as columns.

    The smallest (largest) value of a group is the smallest (largest) of its
    series' smallest (largest): :data:`_SERIES_KINDS` reads it from the rows'
    cells directly; a count of series is the number of subjects with a row.
    """
    if (mplan.time, mplan.space) not in _SERIES_KINDS:
        return False
    return mplan.code < 0 or (
        mplan.scan is ScanKind.SERIES
        and mplan.code not in scan.counted
        and scan.series_cells is not None
    )


def series_groups(
    pl: Any, plan: Plan, scan: Scan, by_code: Mapping[int, MetricPlan], unplaceable: set[int]
) -> Any:
    """The minimum, maximum and count rows as :mod:`._columnar`'s group frame.

    ``None``: the Python way (a unit to convert or refuse, a negative value).
    Metrics with cells that cannot be placed are added to ``unplaceable``.
    Qualifiers of minima and maxima combine over every row used; counts are exact.
    """
    kind_of = {
        m: _SERIES_KINDS[p.time, p.space] for m, p in by_code.items() if series_ready(p, scan)
    }
    cells = (
        scan.series_cells.lazy()
        .filter(pl.col("metric").is_in(sorted(kind_of)))
        .with_columns(
            group=pl.lit(_codes(pl, plan.subject_group)).gather(pl.col("subject")),
            slice=pl.lit(_codes(pl, plan.slice_of)).gather(pl.col("disaggregation")),
        )
        .collect()
    )
    g, b, sl = pl.col("group"), pl.col("bucket"), pl.col("slice")
    outside = (g == EXCLUDED) | (b == EXCLUDED) | (sl == EXCLUDED)
    below = (g < EXCLUDED) | (b < EXCLUDED) | (sl < EXCLUDED)
    unplaceable.update(cells.filter(~outside & below)["metric"].unique().to_list())
    placed = cells.filter((g >= 0) & (b >= 0) & (sl >= 0))
    counts = sorted(m for m, kind in kind_of.items() if kind == "series")
    valued = placed.filter(~pl.col("metric").is_in(counts))
    if valued.height and valued["min"].min() < 0:
        return None  # a negative value: Quantity's own checks decide, in Python
    units = plan.columns.units
    for m, u in valued.select("metric", "unit").unique().iter_rows():
        target = by_code[m].definition.unit
        if units[u] is not target or by_code[m].unit is not target:
            return None  # a conversion (or a refusal to convert): the Python way
    q = pl.col("qualifier")
    unusual = pl.when(q != _EXACT).then(q.cast(pl.Int64))
    groups = (
        placed.lazy()
        .group_by("metric", "group", "bucket", "slice")
        .agg(
            pl.col("min").min().alias("low"),
            pl.col("max").max().alias("high"),
            pl.col("subject").n_unique().alias("series"),
            pl.col("count").sum().alias("observations"),
            unusual.min().alias("q_low"),
            unusual.max().alias("q_high"),
        )
    )
    metric = pl.col("metric")
    value = (
        pl.when(metric.is_in(counts))
        .then(pl.col("series").cast(pl.Int64))
        .when(metric.is_in(sorted(m for m, k in kind_of.items() if k == "min")))
        .then(pl.col("low").cast(pl.Int64))
        .otherwise(pl.col("high").cast(pl.Int64))
    )
    qualifier = combined_qualifier(pl, exact=metric.is_in(counts))
    return groups.select(
        pl.col("metric", "group", "bucket", "slice").cast(pl.Int64),
        value.alias("value"),
        pl.col("observations").cast(pl.Int64),
        qualifier.alias("qualifier"),
    ).collect()


def _codes(pl: Any, table: Any) -> Any:
    return pl.Series(list(table), dtype=pl.Int64)


def in_period_ready(mplan: MetricPlan, scan: Scan) -> bool:
    """Whether ``mplan`` is a ``last_in_period`` stock whose picks the engine gave as columns.

    The pick frame must carry the chosen row's ``period`` (an engine that
    leaves it out has its ``last_in_period`` stocks finished the Python way).
    """
    return (
        mplan.scan is ScanKind.LAST
        and mplan.time is _A.LAST_IN_PERIOD
        and mplan.space is _A.SUM
        and (
            mplan.code < 0
            or (
                scan.pick_cells is not None
                and "period" in scan.pick_cells.lazy().collect_schema().names()
            )
        )
    )


def at_period_end(
    pl: Any, plan: Plan, cells: Any, by_code: Mapping[int, MetricPlan], not_at_end: set[Any]
) -> Any:
    """The pick ``cells`` without the ``last_in_period`` series not reported at their group's end.

    ``cells`` (:attr:`Scan.pick_cells` with ``group`` and ``slice`` codes) keep
    every row of other metrics and every row that is not placed (which the
    finish lists as unplaceable). A placed ``last_in_period`` series whose
    chosen period does not end on the last day of its bucket is left out, and
    its (metric, subject, bucket, disaggregation) added to ``not_at_end``
    (the table lists its rows as ``not_at_period_end``).
    """
    in_period = sorted(m for m, p in by_code.items() if p.time is _A.LAST_IN_PERIOD)
    if not in_period or not plan.bucket_end:
        return cells  # no such stock, or no bucket to place a row in (none is late)
    ends = pl.Series([p.end.toordinal() for p in plan.columns.periods], dtype=pl.Int64)
    bucket_ends = pl.Series([d.toordinal() for d in plan.bucket_end], dtype=pl.Int64)
    g, b, sl = pl.col("group"), pl.col("bucket"), pl.col("slice")
    late = (
        pl.col("metric").is_in(in_period)
        & (g >= 0)
        & (b >= 0)
        & (sl >= 0)
        & (
            pl.lit(ends).gather(pl.col("period"))
            != pl.lit(bucket_ends).gather(b.clip(lower_bound=0))
        )
    )
    marked = cells.with_columns(late.alias("_late"))
    left = marked.filter(pl.col("_late"))
    if left.height:
        keys = ("metric", "subject", "bucket", "disaggregation")
        not_at_end.update(zip(*(left[k].to_list() for k in keys), strict=True))
    return marked.filter(~pl.col("_late")).drop("_late")


def reported_counts(pl: Any, plan: Plan, scan: Scan) -> Any:
    """Per (group, bucket): how many of its expected units reported (``reported``).

    From :func:`reported_places`: each resolution code's group and child unit
    are looked up once (a child that is not one of its group's expected units,
    or a group or child that is not placed, drops the code), packed with the
    period's bucket into one Int64, made distinct and counted per (group,
    bucket); ``None`` if the packed key would not fit in 64 bits.
    """
    pairs, first = reported_places(pl, plan, scan)
    subject_group, subject_child, expected = plan.subject_group, plan.subject_child, plan.expected
    children: dict[str, int] = {}
    # Per resolution code: its group and child code, or -1 (never counts as an
    # expected unit reporting). Plain integers: no container per code for the
    # garbage collector to track.
    groups: list[int] = []
    child_codes: list[int] = []
    for s in first:
        g, c = subject_group[s], subject_child[s]
        if g < 0 or c is None or c not in expected[g]:
            groups.append(-1)
            child_codes.append(0)
        else:
            groups.append(g)
            child_codes.append(children.setdefault(c, len(children)))
    n_children = max(len(children), 1)
    n_buckets = max(len(plan.buckets), 1)
    if len(plan.row_groups) * n_children * n_buckets > _INT64_MAX:
        return None
    codes = [-1 if g < 0 else g * n_children + c for g, c in zip(groups, child_codes, strict=True)]
    # The same question again (a dashboard's refresh, a roll-up's repeat) counts alike:
    # the last few answers are kept with the dataset, keyed by everything they read.
    key = (id(pairs), tuple(codes), tuple(plan.period_bucket), n_children, n_buckets)
    found = recall(plan.memo, "reported_counts", key)
    if isinstance(found, tuple) and found[0] is pairs:  # the same pairs, not a reused id
        return found[1]
    counted = _reported_counts(pl, pairs, codes, plan.period_bucket, (n_children, n_buckets))
    remember(plan.memo, "reported_counts", key, (pairs, counted), _KEPT_COUNTS)
    return counted


_KEPT_COUNTS: Final = 8


def _reported_counts(
    pl: Any,
    pairs: Any,
    codes: Sequence[int],
    period_bucket: Sequence[int],
    sizes: tuple[int, int],
) -> Any:
    """:func:`reported_counts` of the (group, child) ``codes`` of each resolution code.

    ``sizes``: how many child codes and buckets there are.
    """
    n_children, n_buckets = sizes
    packed = pl.lit(pl.Series(codes, dtype=pl.Int64)).gather(pl.col("subject"))
    bucket = pl.lit(pl.Series(list(period_bucket), dtype=pl.Int64)).gather(pl.col("period"))
    span = n_children * n_buckets
    return (
        pairs.lazy()
        .select(packed.alias("gc"), bucket.alias("bucket"))
        .filter((pl.col("gc") >= 0) & (pl.col("bucket") >= 0))
        .select((pl.col("gc") * n_buckets + pl.col("bucket")).alias("key"))
        .unique()
        .group_by(((pl.col("key") // span) * n_buckets + pl.col("key") % n_buckets).alias("gb"))
        .agg(pl.len().cast(pl.Int64).alias("reported"))
        .select(
            (pl.col("gb") // n_buckets).alias("group"),
            (pl.col("gb") % n_buckets).alias("bucket"),
            "reported",
        )
        .collect()
    )


def _leftovers(pl: Any, plan: Plan, cells: Any, result: Result) -> None:
    """Record the distinct metrics' rows the engine did not count (see :func:`distinct_groups`)."""
    if not cells.height:
        return
    cells = cells.with_columns(
        group=pl.lit(_codes(pl, plan.subject_group)).gather(pl.col("subject")),
        slice=pl.lit(_codes(pl, plan.slice_of)).gather(pl.col("disaggregation")),
    )
    g, b, sl = pl.col("group"), pl.col("bucket"), pl.col("slice")
    outside = (g == EXCLUDED) | (b == EXCLUDED) | (sl == EXCLUDED)
    below = (g < EXCLUDED) | (b < EXCLUDED) | (sl < EXCLUDED)
    result.unplaceable_metrics.update(cells.filter(~outside & below)["metric"].unique().to_list())
    # Placed rows left uncounted are not about a participant (the engine counted those).
    others = cells.filter((g >= 0) & (b >= 0) & (sl >= 0))["metric"].unique().to_list()
    result.unplaceable_metrics.update(others)
    result.distinct_metrics.update(others)


def _ranks(values: Sequence[object]) -> list[int]:
    """Each value's rank among the distinct values (they sort as the Python path sorts)."""
    order = {v: i for i, v in enumerate(sorted(set(values)))}  # type: ignore[type-var]
    return [order[v] for v in values]


def in_python_order(pl: Any, plan: Plan, frame: Any, first: Any, first_size: int) -> Any:
    """``frame``'s rows in the Python path's order: by ``first``, then the ``by`` values.

    ``first`` is an expression giving each row's output (a metric's position
    among those requested), in ``range(first_size)``; the rows' ``group``,
    ``bucket`` and ``slice`` codes are ranked as their key values sort. The
    ranks are packed into one integer to sort on when it fits in an Int64.
    """
    ranks: list[Any] = [first]
    sizes = [max(first_size, 1)]
    for column, table in order_columns(plan):
        if increasing(table):  # codes given in the order of their values: each its own rank
            ranks.append(pl.col(column))
        else:
            ranks.append(pl.lit(pl.Series(_ranks(table), dtype=pl.Int64)).gather(pl.col(column)))
        sizes.append(max(len(table), 1))
    names = [f"_rank{i}" for i in range(len(ranks))]
    ranked = frame.with_columns(r.alias(n) for r, n in zip(ranks, names, strict=True))
    if math.prod(sizes) > _INT64_MAX:
        return ranked.sort(names).drop(names)
    key = pl.lit(0, dtype=pl.Int64)
    for name, size in zip(names, sizes, strict=True):
        key = key * size + pl.col(name).cast(pl.Int64)
    return ranked.sort(key).drop(names)  # one integer to sort on, not several
