"""Finishing as columns: the finishing step of :mod:`._finish`, on polars.

When an engine gives its cells as polars DataFrames
(:attr:`Scan.sum_cells <._engine.Scan.sum_cells>`, ``pick_cells``,
``reported_pairs``) and every requested metric either sums over time and
over space, or takes the last (first) value of each series and sums those
over space (stocks), the rows are finished with columnar
expressions instead of one Python step per group: cells are placed
(slice codes gathered, unplaceable metrics found), grouped by (metric,
group, bucket, slice), their qualifiers combined (from the lowest and the
highest non-exact qualifier code), their observations counted, the expected
units that reported nothing counted per (group, bucket) from the reported
(subject, period) pairs, figures covered by a reported one flagged, and the
rows sorted as :func:`._finish.finish_rows` sorts them (by metric as
requested, then by the rank of each ``by`` value). The table keeps the frame;
:class:`~antq_core.AggregateRow` values are made when the table is iterated or
indexed (:class:`SumRows`).

Distinct counts of people, minima, maxima, counts of series and
``last_in_period`` stocks are finished as columns too, by
:mod:`._columnar_kinds`. Everything else goes the Python way, row for row
the same: ratios, means, ``none``, ``last_average_org_unit``, unit
conversions, values kept aside by the store, negative values. The semantics
stay in :mod:`._semantics`; this module only computes the same rows faster,
and the engines-agree tests hold it to that.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from antq_core._aggregate.columnar_kinds import (
    at_period_end,
    combined_qualifier,
    distinct_groups,
    distinct_ready,
    in_period_ready,
    in_python_order,
    reported_counts,
    reported_places,
    series_groups,
    series_ready,
)
from antq_core._aggregate.columnar_ratio import Parts, finish_ratios
from antq_core._aggregate.engine import Scan
from antq_core._aggregate.finish import (
    Result,
    excluded_lister,
    finish_rows,
    list_unplaceable,
    refuse_overlaps,
    row_keys,
    signed_part,
)
from antq_core._aggregate.plan import (
    EXCLUDED,
    MetricPlan,
    Plan,
    rows_in_code_order,
    unique_placed,
)
from antq_core._aggregate.semantics import ScanKind
from antq_core._aggregate.store_facts import key_strides, key_type, scaled_key, sums_fit_int64
from antq_core._aggregate.table import AggregateRow, AggregateTable, SpaceSource
from antq_core._entities import AggregationType
from antq_core._util.extras import polars_and_arrow
from antq_core._values.quantity import Qualifier, Quantity, Unit

if TYPE_CHECKING:
    import polars

__all__ = ["SumRows", "finish", "finish_columns"]

_QUALIFIERS: Final = tuple(Qualifier)
_EXACT: Final = _QUALIFIERS.index(Qualifier.EXACT)
_INT64_MAX: Final = 2**63 - 1

_FINAL_ENGINE: Final = "streaming"
"""The engine of the finish's last query (joins and the sort): the default in-memory
one ran it about a fifth slower at millions of rows."""


@functools.cache
def _has_engine(pl: Any) -> bool:
    """Whether this polars has :data:`_FINAL_ENGINE` (1.23 and later), asked of an empty query."""
    try:
        pl.LazyFrame().collect(engine=_FINAL_ENGINE)
    except (TypeError, ValueError):  # older versions name no such engine
        return False
    return True


def _collected(pl: Any, query: Any) -> Any:
    """``query`` collected on :data:`_FINAL_ENGINE` where this polars has it."""
    return query.collect(engine=_FINAL_ENGINE) if _has_engine(pl) else query.collect()


def finish(plan: Plan, scan: Scan, engine: str) -> AggregateTable:
    """:func:`._finish.finish`, with rows finished as columns when the cells allow it.

    Raises:
        As :func:`._finish.finish`.
    """
    refuse_overlaps(plan, scan)
    table = finish_columns(plan, scan, engine)
    return table if table is not None else finish_rows(plan, scan, engine)


def finish_columns(plan: Plan, scan: Scan, engine: str) -> AggregateTable | None:
    """The table finished as columns, once overlaps are refused; ``None``: take the Python way.

    The Python way (:func:`._finish.finish_rows`) gives the same table; this
    one does not read the rows of picked values (they are in ``pick_cells``).
    """
    if scan.reported_pairs is None:
        return None
    if plan.ratios:  # the parts as columns, then each ratio from them
        return finish_ratios(plan, scan, engine, _parts)
    found = _parts(plan, scan)
    if found is None:
        return None
    return AggregateTable(
        rows=None,
        by=plan.by,
        engine=engine,
        unplaceable=found.unplaceable,
        list_excluded=found.list_excluded,
        columns=SumRows(plan, found.groups),
    )


def _parts(plan: Plan, scan: Scan) -> Parts | None:
    """A plan without ratios finished as columns; ``None``: take the Python way."""
    return _finish_columns(plan, scan) if _columnar(plan, scan) else None


_PICKED: Final = frozenset({ScanKind.LAST, ScanKind.FIRST})
_PLAIN_PICKS: Final = frozenset({AggregationType.LAST, AggregationType.FIRST})


def _columnar(plan: Plan, scan: Scan) -> bool:
    """Whether every metric sums, picks and sums, or is a distinct count given as columns."""
    if plan.ratios:
        return False
    return all(
        p.scan is ScanKind.GROUP_SUM
        or (p.scan in _PICKED and p.time in _PLAIN_PICKS and p.space is AggregationType.SUM)
        or distinct_ready(p, scan)
        or series_ready(p, scan)
        or in_period_ready(p, scan)
        for p in plan.metrics.values()
    )


def _lookup(pl: Any, values: Sequence[int]) -> Any:
    return pl.Series(list(values), dtype=pl.Int64)


def _placed(
    pl: Any, plan: Plan, cells: Any, by_code: Mapping[int, MetricPlan], result: Result
) -> Any | None:
    """The cells placed in a group, bucket and slice; ``None`` if one needs the Python way.

    Metrics with cells carrying a reason code are recorded as unplaceable.
    When the plan's tables place every subject, period and disaggregation,
    every cell is placed and nothing is filtered; the units and the lowest
    value are then read in one small group-by per (metric, unit).
    """
    if not _all_placed(plan):
        g, b, sl = pl.col("group"), pl.col("bucket"), pl.col("slice")
        # A cell with an excluded code is outside the question; one with a reason code
        # below it makes its metric's observations listed as unplaceable.
        outside = (g == EXCLUDED) | (b == EXCLUDED) | (sl == EXCLUDED)
        below = (g < EXCLUDED) | (b < EXCLUDED) | (sl < EXCLUDED)
        unplaced = cells.filter(~outside & below)["metric"].unique().to_list()
        result.unplaceable_metrics.update(unplaced)
        cells = cells.filter((g >= 0) & (b >= 0) & (sl >= 0))
    used = cells.lazy().group_by("metric", "unit").agg(pl.col("value").min().alias("low"))
    return cells if _in_units(plan, used.collect(), by_code) else None


def _spans_allow(
    pl: Any, plan: Plan, scan: Scan, metrics: Sequence[int], by_code: Mapping[int, MetricPlan]
) -> bool:
    """Whether every cell of ``metrics`` is placed and in its metric's unit, unread.

    From the plan's tables (:func:`_all_placed`) and the store's per (metric,
    unit) value spans (:attr:`Scan.unit_spans`); never for metrics with values
    the store keeps aside (they count as 0 in the spans).
    """
    spans = scan.unit_spans
    if spans is None or not _all_placed(plan):
        return False
    metric_of = plan.columns.metric
    if any(metric_of[i] in by_code for i in plan.columns.exact):
        return False
    return _in_units(plan, spans.filter(pl.col("metric").is_in(metrics)), by_code)


def _all_placed(plan: Plan) -> bool:
    """Whether every cell is placed, read from the plan's tables, not from the cells.

    A cell's ``group``, ``bucket`` and ``slice`` codes come from the plan's
    subject, period and disaggregation tables: when no table holds a negative
    code, no cell does.
    """
    return (
        min(plan.subject_group, default=0) >= 0
        and min(plan.period_bucket, default=0) >= 0
        and min(plan.slice_of, default=0) >= 0
    )


_KEYS: Final = ("metric", "group", "bucket", "slice")


def _sizes(plan: Plan) -> list[int]:
    """How many codes each of :data:`_KEYS` can take (placed cells: all codes ``>= 0``)."""
    tables = (plan.columns.metrics, plan.row_groups, plan.buckets, plan.slices)
    return [max(len(t), 1) for t in tables]


def _packed(pl: Any, names: Sequence[str], sizes: Sequence[int]) -> Any | None:
    """The columns ``names`` (each in ``range(size)``) as one integer (:func:`key_type`)."""
    kind = key_type(pl, sizes)
    if kind is None:
        return None
    key = pl.lit(0, dtype=kind)
    for name, size in zip(names, sizes, strict=True):
        key = key * size + pl.col(name).cast(kind)
    return key


def _unpacked(pl: Any, sizes: Sequence[int]) -> list[Any]:
    """:data:`_KEYS` as Int64 columns out of a ``_key`` column packed by :func:`_packed`."""
    key = pl.col("_key").cast(pl.Int64)
    return [
        ((key // stride) % size).alias(name)
        for name, size, stride in zip(_KEYS, sizes, key_strides(sizes), strict=True)
    ]


def _combined(pl: Any, plan: Plan, placed: Any, count: Any, *, ordered: bool) -> Any:
    """Per (metric, group, bucket, slice): the sum, the observations, the qualifier.

    ``placed``: a DataFrame of placed cells. The qualifier spans are left out
    when every cell is exact. ``ordered``: as :func:`_combined_query`.
    """
    qualifiers = placed["qualifier"]
    exact = bool(placed.height) and qualifiers.min() == qualifiers.max() == _EXACT
    query = _combined_query(pl, plan, placed.lazy(), count, exact=exact, ordered=ordered)
    return query.collect()


def _combined_query(
    pl: Any,
    plan: Plan,
    placed: Any,
    count: Any,
    *,
    exact: bool,
    ordered: bool = False,
    key: Any = None,
) -> Any:
    """:func:`_combined` as a LazyFrame over the LazyFrame ``placed``.

    One lazy query (polars runs it on its streaming engine, several times
    faster than an eager group-by of as many groups), on one packed Int64 key
    when the codes fit. ``exact``: every cell is exact (no qualifier spans).
    ``ordered``: the groups sorted by their codes (metric, group, bucket,
    slice), on the packed key while the groups are few columns. ``key``: that
    packed key made another way (:func:`_subject_key`), in place of
    :func:`_packed` of the columns.
    """
    q = pl.col("qualifier")
    aggs = [pl.col("value").sum().alias("value"), count.alias("observations")]
    if not exact:
        unusual = pl.when(q != _EXACT).then(q.cast(pl.Int64))
        aggs += [unusual.min().alias("q_low"), unusual.max().alias("q_high")]
    # Exact: no spans, added after the sort (two columns fewer to move).
    spans = [pl.lit(None, dtype=pl.Int64).alias(n) for n in ("q_low", "q_high")] if exact else []
    sizes = _sizes(plan)
    key = _packed(pl, _KEYS, sizes) if key is None else key
    if key is None:
        grouped = placed.group_by(*_KEYS).agg(*aggs)
        return _qualified(pl, (grouped.sort(_KEYS) if ordered else grouped).with_columns(spans))
    # Hashing one integer a cell is much cheaper than four columns.
    grouped = placed.group_by(key.alias("_key")).agg(*aggs)
    groups = (grouped.sort("_key") if ordered else grouped).with_columns(
        *spans, *_unpacked(pl, sizes)
    )
    return _qualified(pl, groups)


def _one_to_one(plan: Plan, placed: Any) -> bool:
    """Whether each placed sum cell is one output cell already (no second group-by needed).

    Sum cells are unique per (metric, group, bucket, disaggregation, unit,
    qualifier) (``Scan.sum_cells``). :func:`_placed` let through only cells in
    their metric's unit, so the unit follows from the metric; when every cell
    has one qualifier too, and no two disaggregation codes share a slice, no two
    cells share (metric, group, bucket, slice).
    """
    if not unique_placed(plan.slice_of):
        return False
    q = placed["qualifier"]
    return bool(placed.height == 0 or q.min() == q.max())


def _as_groups(pl: Any, placed: Any) -> Any:
    """:func:`_combined` of cells that are one to one with output cells (:func:`_one_to_one`).

    One qualifier in a cell is its combined qualifier (exact or not).
    """
    return placed.select(
        pl.col("metric", "group", "bucket", "slice").cast(pl.Int64),
        "value",
        pl.col("count").cast(pl.Int64).alias("observations"),
        pl.col("qualifier").cast(pl.Int64),
    )


def _qualified(pl: Any, groups: Any) -> Any:
    """The combined qualifier from the lowest and highest non-exact code (lazy in, lazy out)."""
    qualifier = combined_qualifier(pl).alias("qualifier")
    return groups.with_columns(
        qualifier,
        pl.col("metric", "group", "bucket", "slice", "observations").cast(pl.Int64),
    ).select("metric", "group", "bucket", "slice", "value", "observations", "qualifier")


def _finish_columns(plan: Plan, scan: Scan) -> Parts | None:
    """The rows as a frame; ``None`` when a cell needs the Python way."""
    pl, _ = polars_and_arrow()
    by_code = {p.code: p for p in plan.metrics.values() if p.code >= 0}
    result = Result()
    slice_of = pl.lit(_lookup(pl, plan.slice_of)).gather(pl.col("disaggregation"))
    parts: list[Any] = []
    most = 0  # rows the parts hold at most (a lazy part: its source's rows)
    ordered = False  # whether the only part's rows are in the output's order already
    summed = sorted(plan.scans[ScanKind.GROUP_SUM] & by_code.keys())
    if summed:
        if scan.sum_cells is None:
            return None
        ordered = rows_in_code_order(plan, summed)
        cells = (
            scan.sum_cells.lazy()
            .filter(pl.col("metric").is_in(summed))
            .with_columns(slice=slice_of)
            .rename({"sum": "value"})
        )
        if _spans_allow(pl, plan, scan, summed, by_code) and _one_to_one(plan, scan.sum_cells):
            # Every cell placed, in its metric's unit, one cell a row: nothing to read
            # before the last query, which this part joins lazily.
            parts.append(_as_groups(pl, cells))
            most += scan.sum_cells.height
            # Filtered and given columns, the cells keep their order (the engine's).
            ordered = ordered and scan.sum_cells_sorted
        else:
            placed = _placed(pl, plan, cells.collect(), by_code, result)
            if placed is None:
                return None
            if _one_to_one(plan, placed):
                parts.append(_as_groups(pl, placed))
                ordered = False
            else:
                parts.append(_combined(pl, plan, placed, pl.col("count").sum(), ordered=ordered))
    picked = sorted((plan.scans[ScanKind.LAST] | plan.scans[ScanKind.FIRST]) & by_code.keys())
    if picked:
        if scan.pick_cells is None:
            return None
        ordered = not parts and rows_in_code_order(plan, picked)
        picks = _picks(pl, plan, scan, picked, by_code=by_code, result=result, ordered=ordered)
        if picks is None:
            return None
        parts.append(picks)
    if any(distinct_ready(p, scan) for p in by_code.values()):
        counted = distinct_groups(pl, plan, scan, by_code, result)
        if counted is None:
            return None
        parts.append(counted)
    if any(series_ready(p, scan) for p in by_code.values()):
        ranged = series_groups(pl, plan, scan, by_code, result.unplaceable_metrics)
        if ranged is None:
            return None
        parts.append(ranged)
    if not parts:
        return None
    most += sum(part.height for part in parts if isinstance(part, pl.DataFrame))
    lazy_parts = [part.lazy() for part in parts]
    groups = pl.concat(lazy_parts, how="vertical_relaxed") if len(parts) > 1 else lazy_parts[0]
    # Missing units, sources and the order in one lazy query: one pass, one result.
    lazy, gathered = _with_missing(pl, plan, scan, groups, most)
    lazy = _with_source(pl, plan, lazy)
    if not (ordered and len(parts) == 1 and gathered and not plan.covered):
        lazy = _sorted(pl, plan, lazy)  # a join, or parts one after another: sort
    groups = _collected(pl, lazy)
    unplaceable = list_unplaceable(plan, result) if result.unplaceable_metrics else ()
    return Parts(groups, unplaceable, excluded_lister(plan, scan, result))


def _picks(
    pl: Any,
    plan: Plan,
    scan: Scan,
    picked: Sequence[int],
    *,
    by_code: Mapping[int, MetricPlan],
    result: Result,
    ordered: bool,
) -> Any | None:
    """The stocks' rows: their picks summed per cell; ``None``: the Python way.

    ``ordered``: sorted by their codes (:func:`_combined_query`).

    When no stock is ``last_in_period`` and the store's value spans vouch for
    every cell (:func:`_spans_allow`), the picks (a LazyFrame from the polars
    engine) are summed in one query, unread. Otherwise they are read, checked
    and summed in steps.
    """
    cells = (
        scan.pick_cells.lazy()
        .filter(pl.col("metric").is_in(picked))
        .with_columns(
            group=pl.lit(_lookup(pl, plan.subject_group)).gather(pl.col("subject")),
            slice=pl.lit(_lookup(pl, plan.slice_of)).gather(pl.col("disaggregation")),
        )
    )
    in_period = any(by_code[m].time is AggregationType.LAST_IN_PERIOD for m in picked)
    if not in_period and _spans_allow(pl, plan, scan, picked, by_code):
        spans = scan.unit_spans.filter(pl.col("metric").is_in(picked))
        if not sums_fit_int64(spans):  # sums of the picks may pass 64 bits
            cells = cells.with_columns(pl.col("value").cast(pl.Int128))
        # Every stored figure of these metrics exact (the store's qualifier spans): no
        # qualifier to combine, two conditional aggregations over every row saved.
        exact = spans.height > 0 and spans["q_low"].min() == spans["q_high"].max() == _EXACT
        if _each_its_own(plan):
            return _own_cells(pl, plan, cells, exact=exact, ordered=ordered).collect()
        key = _subject_key(pl, plan)
        query = _combined_query(pl, plan, cells, pl.len(), exact=exact, ordered=ordered, key=key)
        return query.collect()
    aside = sorted(plan.columns.exact)
    cells = cells.collect()
    if aside and cells["row"].is_in(aside).any():
        return None  # a chosen value the store keeps aside: the Python way
    cells = at_period_end(pl, plan, cells, by_code, result.not_at_end)
    placed = _placed(pl, plan, cells, by_code, result)
    if placed is None:
        return None
    bound = max(abs(placed["value"].min() or 0), abs(placed["value"].max() or 0))
    if bound * placed.height > _INT64_MAX:
        placed = placed.with_columns(pl.col("value").cast(pl.Int128))
    return _combined(pl, plan, placed, pl.len(), ordered=ordered)


def _subject_key(pl: Any, plan: Plan) -> Any | None:
    """:func:`_packed` (metric, group, bucket, slice) of placed picks, from their subject codes.

    The group and slice terms are the plan's tables scaled before they are
    gathered by subject and disaggregation (:func:`.store_facts.scaled_key`),
    so no group or slice column is made and cast. ``None``: too wide.
    """
    sizes = _sizes(plan)
    kind = key_type(pl, sizes)
    if kind is None:
        return None
    columns = ("metric", "subject", "bucket", "disaggregation")
    tables = (None, plan.subject_group, None, plan.slice_of)
    parts = zip(columns, sizes, key_strides(sizes), tables, strict=True)
    return scaled_key(pl, kind, [(c, 0, size, st, t) for c, size, st, t in parts])


def _each_its_own(plan: Plan) -> bool:
    """Whether no two placed subjects share a group and no two disaggregations a slice.

    A stock's picks are one per (metric, subject, bucket, disaggregation);
    then each is alone in its (metric, group, bucket, slice) cell, as when
    villages are grouped by village.
    """
    return unique_placed(plan.subject_group) and unique_placed(plan.slice_of)


def _own_cells(pl: Any, plan: Plan, picks: Any, *, exact: bool, ordered: bool) -> Any:
    """:func:`_combined_query` of picks that are each alone in their cell (:func:`_each_its_own`).

    No group-by: a pick is its cell's value, its one observation, its qualifier
    (one qualifier is its own combination; ``exact``: every one is exact).
    ``ordered``: sorted by codes, on one packed key and the values, before the
    codes are unpacked from it (sorting seven columns took three times as long).
    """
    codes = pl.col(*_KEYS).cast(pl.Int64)
    qualifier = pl.lit(_EXACT, dtype=pl.Int64) if exact else pl.col("qualifier").cast(pl.Int64)
    one = pl.lit(1, dtype=pl.Int64).alias("observations")
    sizes = _sizes(plan)
    key = _packed(pl, _KEYS, sizes) if ordered else None
    if key is None:
        cells = picks.select(codes, "value", one, qualifier.alias("qualifier"))
        return cells.sort(_KEYS) if ordered else cells
    narrow = picks.select(key.alias("_key"), "value", *([] if exact else ["qualifier"]))
    return narrow.sort("_key").select(
        *_unpacked(pl, sizes), "value", one, qualifier.alias("qualifier")
    )


def _in_units(plan: Plan, used: Any, by_code: Mapping[int, MetricPlan]) -> bool:
    """Whether the (metric, unit, low) rows of ``used`` need no conversion and no sign check."""
    units = plan.columns.units
    for m, u, low in used.select("metric", "unit", "low").iter_rows():
        if low < 0:
            return False  # a negative amount: Quantity's own checks decide, in Python
        target = by_code[m].definition.unit
        if units[u] is not target or by_code[m].unit is not target:
            return False  # a conversion (or a refusal to convert): the Python way
    return True


# A dense (group, bucket) table of reported counts is used when it holds at most
# this many cells, or not many more than there are rows to look up in it.
_DENSE_CELLS: Final = 1 << 22
_DENSE_PER_ROW: Final = 4


def _with_missing(pl: Any, plan: Plan, scan: Scan, groups: Any, rows: int) -> tuple[Any, bool]:
    """``missing``: per (group, bucket), expected units under the group that reported nothing.

    ``groups`` is a LazyFrame of at most ``rows`` rows, and so is the result.
    The reported counts are looked up by position in a dense (group, bucket)
    table when it is small (:data:`_DENSE_CELLS`, or a few cells a row), else joined.
    Returned with whether they were looked up (the rows keep their order) and not joined.
    """
    sizes = _lookup(pl, [len(units) for units in plan.expected])
    expected = pl.lit(sizes).gather(pl.col("group"))
    counted = reported_counts(pl, plan, scan)  # one packed key, by resolution
    if counted is not None:
        n_buckets = max(len(plan.buckets), 1)
        cells = max(len(plan.row_groups), 1) * n_buckets
        if cells <= max(_DENSE_CELLS, _DENSE_PER_ROW * rows):
            dense = pl.zeros(cells, dtype=pl.Int64, eager=True)
            if counted.height:
                dense = dense.scatter(
                    counted["group"] * n_buckets + counted["bucket"], counted["reported"]
                )
            at = pl.col("group") * n_buckets + pl.col("bucket")
            return groups.with_columns(missing=expected - pl.lit(dense).gather(at)), True
        return (
            groups.join(counted.lazy(), on=["group", "bucket"], how="left")
            .with_columns(missing=expected - pl.col("reported").fill_null(0))
            .drop("reported")
        ), False
    pairs, first = reported_places(pl, plan, scan)  # by resolution: few, kept per dataset
    children: dict[str, int] = {}
    subject_child = plan.subject_child
    child_of = [
        -1 if c is None else children.setdefault(c, len(children))
        for c in map(subject_child.__getitem__, first)
    ]
    group_of = list(map(plan.subject_group.__getitem__, first))
    expected_g: list[int] = []
    expected_c: list[int] = []
    for group, units in enumerate(plan.expected):
        for unit in units:
            code = children.get(unit)
            if code is not None:  # a unit no subject reports for never reports
                expected_g.append(group)
                expected_c.append(code)
    units = pl.DataFrame(
        {"group": expected_g, "child": expected_c}, schema={"group": pl.Int64, "child": pl.Int64}
    )
    reported = (
        pairs.lazy()
        .with_columns(
            group=pl.lit(_lookup(pl, group_of)).gather(pl.col("subject")),
            child=pl.lit(_lookup(pl, child_of)).gather(pl.col("subject")),
            bucket=pl.lit(_lookup(pl, plan.period_bucket)).gather(pl.col("period")),
        )
        .filter((pl.col("group") >= 0) & (pl.col("child") >= 0) & (pl.col("bucket") >= 0))
        .select("group", "child", "bucket")
        .join(units.lazy(), on=["group", "child"], how="inner")
        .unique()
        .group_by("group", "bucket")
        .agg(pl.len().cast(pl.Int64).alias("reported"))
    )
    return (
        groups.join(reported, on=["group", "bucket"], how="left")
        .with_columns(missing=expected - pl.col("reported").fill_null(0))
        .drop("reported")
    ), False


def _with_source(pl: Any, plan: Plan, groups: Any) -> Any:
    """``reported``: whether a figure enclosing others was used (``space_overlap``); lazy."""
    if not plan.covered:
        return groups.with_columns(reported=pl.lit(value=False))
    keys = ("metric", "group", "bucket", "slice")
    covered = pl.DataFrame(
        [list(cell) for cell in sorted(plan.covered)],
        schema=dict.fromkeys(keys, pl.Int64),
        orient="row",
    ).with_columns(reported=pl.lit(value=True))
    return groups.join(covered.lazy(), on=list(keys), how="left", coalesce=True).with_columns(
        pl.col("reported").fill_null(value=False)
    )


def _sorted(pl: Any, plan: Plan, groups: Any) -> Any:
    """The rows in the Python path's order: metric as requested, then the ``by`` values."""
    position = [-1] * len(plan.columns.metrics)
    for i, metric_id in enumerate(plan.requested):
        code = plan.metrics[metric_id].code
        if code >= 0:
            position[code] = i
    first = pl.lit(_lookup(pl, position)).gather(pl.col("metric"))
    return in_python_order(pl, plan, groups, first, len(plan.requested))


class SumRows:
    """The rows of a columnar finish: a frame, made into rows on demand (see the module)."""

    def __init__(self, plan: Plan, frame: polars.DataFrame) -> None:
        self._plan = plan
        self._frame = frame
        by_code = {p.code: p for p in plan.metrics.values() if p.code >= 0}
        self._units: dict[int, Unit] = {m: p.unit for m, p in by_code.items()}
        self._signed: dict[int, bool] = {m: signed_part(p) for m, p in by_code.items()}

    def __len__(self) -> int:
        return self._frame.height

    def _make(self, values: tuple[Any, ...]) -> AggregateRow:
        m, group, bucket, sl, value, count, qualifier, missing, reported = values
        plan = self._plan
        return AggregateRow(
            row_keys(plan, (group, bucket, sl)),
            plan.columns.metrics[m],
            Quantity(value, self._units[m], _QUALIFIERS[qualifier], signed=self._signed[m]),
            count,
            missing,
            SpaceSource.REPORTED if reported else SpaceSource.SUMMED,
        )

    _COLUMNS: Final = (
        "metric",
        "group",
        "bucket",
        "slice",
        "value",
        "observations",
        "qualifier",
        "missing",
        "reported",
    )

    def row(self, index: int) -> AggregateRow:
        """The row at ``index``."""
        return self._make(self._frame.select(self._COLUMNS).row(index))

    def rows(self) -> tuple[AggregateRow, ...]:
        """Every row, in order."""
        return tuple(map(self._make, self._frame.select(self._COLUMNS).iter_rows()))

    def to_polars(self) -> polars.DataFrame | None:
        """The rows as :meth:`AggregateTable.to_polars` writes them (``None``: past Int64)."""
        pl, _ = polars_and_arrow()
        plan, frame = self._plan, self._frame
        value = frame["value"]
        if value.dtype != pl.Int64:
            high: Any = value.max()
            if high is not None and high > _INT64_MAX:
                return None
            value = value.cast(pl.Int64)
        columns: dict[str, Any] = {}
        for name in plan.by:
            if name in plan.space_names:
                i = plan.space_names.index(name)
                column, table = "group", [str(rg[i]) for rg in plan.row_groups]
            elif name in plan.time_names:
                i = plan.time_names.index(name)
                column, table = "bucket", [str(bk[i]) for bk in plan.buckets]
            else:
                i = plan.category_names.index(name)
                column, table = "slice", [str(s[i]) for s in plan.slices]
            columns[name] = pl.Series(table, dtype=pl.String).gather(frame[column])
        metric_ids = pl.Series(list(plan.columns.metrics), dtype=pl.String)
        unit_codes = pl.Series(
            [self._units[m].code if m in self._units else "" for m in range(len(metric_ids))],
            dtype=pl.String,
        )
        qualifiers = pl.Series([q.value for q in _QUALIFIERS], dtype=pl.String)
        columns["metric"] = metric_ids.gather(frame["metric"])
        columns["value"] = value
        columns["unit"] = unit_codes.gather(frame["metric"])
        columns["qualifier"] = qualifiers.gather(frame["qualifier"])
        columns["observations"] = frame["observations"].cast(pl.Int64)
        columns["missing"] = frame["missing"].cast(pl.Int64)
        columns["source"] = pl.Series(["summed", "reported"], dtype=pl.String).gather(
            frame["reported"].cast(pl.Int64)
        )
        out: polars.DataFrame = pl.DataFrame(
            {name: series.alias(name) for name, series in columns.items()}
        )
        return out
