"""The columnar engine: the scan step on polars, for large datasets.

It computes the same cells as the reference engine (:mod:`._python`; the
contract is in :mod:`._engine`), with polars group-bys instead of a Python
loop. The store's columns are buffers (``array.array``), so they become Arrow
arrays and polars series without copying or any per-row Python work; the
plan's per-subject and per-period tables (group, bucket and rank codes) are
gathered onto the rows in polars. Only the cells come back to Python.

Values the store keeps aside (decimals, integers beyond 64 bits) are few: the
group-bys read them as missing and they are added to their cells afterwards,
in Python and exactly, as the reference engine does. Sums are taken in 64-bit
integers when no sum can overflow them, else in 128-bit integers.

polars and pyarrow are imported only when a scan runs; without them the scan
raises :class:`~antq_core.errors.MissingExtraError` naming the
``antq_core[dataframe]`` extra.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from antq_core._aggregate.engine import (
    ENGINES,
    DistinctCell,
    DistinctFacts,
    LazyCells,
    PickCell,
    Scan,
    SeriesCell,
    SumCell,
)
from antq_core._aggregate.plan import EXCLUDED, rows_in_code_order, slices_rise, unique_placed
from antq_core._aggregate.semantics import ScanKind
from antq_core._aggregate.store_facts import (
    columnar_facts,
    key_strides,
    key_type,
    scaled_key,
    sums_fit_int64,
)
from antq_core._entities import AggregationType
from antq_core._util.extras import arrow_over, polars_and_arrow
from antq_core._values.exact import add
from antq_core._values.quantity import Number, Qualifier
from antq_core._values.refs import SubjectKind

if TYPE_CHECKING:
    from antq_core._aggregate.plan import Plan

__all__ = ["PolarsEngine"]

_INT64_MAX: Final = 2**63 - 1
_ROW_BITS: Final = 32
_ROW_MASK: Final = 2**_ROW_BITS - 1
_SERIES_PERIOD: Final = ("metric", "subject", "period", "disaggregation")
_CELL: Final = ("metric", "group", "bucket", "slice")


class PolarsEngine:
    """The scan on polars (see :mod:`._engine` for the contract)."""

    name: Final = "polars"

    def scan(self, plan: Plan) -> Scan:
        """Compute the cells of ``plan``.

        Raises:
            MissingExtraError: polars or pyarrow is not installed.
        """
        pl, pa = polars_and_arrow()
        facts = columnar_facts(pl, pa, plan.store)
        frame = _Frame(pl, pa, plan, facts.units)
        scans = plan.scans
        sums: Mapping[SumCell, tuple[Number, int]] = {}
        sum_cells = None
        sum_cells_sorted = False
        if scans[ScanKind.GROUP_SUM]:
            sums, sum_cells, sum_cells_sorted = frame.group_sums(
                scans[ScanKind.GROUP_SUM], repeated=facts.repeated
            )
        counted = frozenset(
            p.code
            for p in plan.metrics.values()
            if plan.engine_distinct
            and p.code in scans[ScanKind.SERIES]
            and p.time is AggregationType.DISTINCT
        )
        distinct: Mapping[DistinctCell, DistinctFacts] = {}
        distinct_cells = None
        others = scans[ScanKind.SERIES]
        every = bool(counted) and frame.all_counted()
        if counted:
            if every:
                others = others - counted  # no row of theirs is left for the series
            # The columnar finish reads the frame; the dict only if the Python way is taken.
            distinct_cells = frame.distinct_cells(counted, every=every)
            distinct = LazyCells(lambda: frame.distinct(counted))
        series: Mapping[SeriesCell, tuple[Number, int, Number, Number]] = {}
        series_cells = None
        if others:
            series, series_cells = frame.series(others, counted)
        if not every and series_cells is None:
            distinct_cells = None  # the other rows of the counted metrics are not all in a frame
        chosen: list[Any] = []
        ties: set[PickCell] = set()
        for kind, ranks in ((ScanKind.LAST, plan.last_rank), (ScanKind.FIRST, plan.first_rank)):
            if scans[kind]:
                chosen.append(frame.pick(scans[kind], ranks, ties, repeated=facts.repeated))
        picks: Mapping[PickCell, int] = LazyCells(lambda: _picked(chosen))
        pick_cells = frame.pl.concat(chosen) if chosen else None  # lazy if each part is
        return Scan(
            sums=sums,
            series=series,
            picks=picks,
            ties=frozenset(ties),
            repeated=facts.repeated,
            reported=facts.reported,
            distinct=distinct,
            counted=counted,
            sum_cells=sum_cells,
            sum_cells_sorted=sum_cells_sorted,
            pick_cells=pick_cells,
            reported_pairs=facts.pairs,
            unit_spans=facts.units,
            distinct_cells=distinct_cells,
            series_cells=series_cells,
        )


_PICK_KEYS: Final = ("metric", "subject", "bucket", "disaggregation")


def _picked(frames: Sequence[Any]) -> dict[PickCell, int]:
    """The picks of :meth:`_Frame.pick`'s frames as the dict :attr:`Scan.picks` describes."""
    picks: dict[PickCell, int] = {}
    for frame in frames:
        cells = frame.lazy().collect()  # the polars engine's picks may be lazy
        picks.update(zip(_tuples(cells, _PICK_KEYS), cells["row"].to_list(), strict=True))
    return picks


def _tuples(frame: Any, names: Sequence[str]) -> Any:
    """The rows of ``frame``'s columns ``names`` as Python tuples (column-wise, fast)."""
    return zip(*(frame[name].to_list() for name in names), strict=True)


class _Frame:
    """The rows of one plan as a polars DataFrame of codes, and the scans over it."""

    def __init__(self, pl: Any, pa: Any, plan: Plan, spans: Any) -> None:
        self.pl = pl
        self.plan = plan
        self.spans = spans  # the store's per (metric, unit) spans (``Scan.unit_spans``)
        cols = plan.columns
        n = len(cols)
        self.n = n

        def column(view: memoryview, arrow_type: Any) -> Any:
            # A store column is an array.array: wrap its buffer, no copy.
            return pl.from_arrow(arrow_over(pa, arrow_type, view, n))

        self.exact = cols.exact
        metric = column(cols.metric, pa.uint32())
        subject = column(cols.subject, pa.uint32())
        period = column(cols.period, pa.uint32())
        self.frame = pl.DataFrame(
            {
                "metric": metric,
                "subject": subject,
                "period": period,
                # The plan's codes: parts it leaves out carry codes past the store's.
                "disaggregation": column(memoryview(plan.disaggregation), pa.uint32()),
                "unit": column(cols.unit, pa.uint16()),
                "qualifier": column(cols.qualifier, pa.uint8()),
                "value": column(cols.value, pa.int64()),
            }
        )
        self.raw_disaggregation = column(cols.disaggregation, pa.uint32())
        self.group = self._lookup(plan.subject_group)
        self.bucket = self._lookup(plan.period_bucket)
        self._person_group: Any = None
        self._slice: Any = None

    def _lookup(self, table: Sequence[int]) -> Any:
        return self.pl.Series(list(table), dtype=self.pl.Int64)

    def _rows(self, metrics: frozenset[int], *, row: bool = False, skip: Any = None) -> Any:
        """The rows of ``metrics`` with their bucket code (and row index if ``row``), lazily.

        ``skip``: an expression over the frame; rows where it holds are left out.
        """
        pl = self.pl
        frame = self.frame.lazy()
        if row:
            frame = frame.with_row_index("row")
        keep = pl.col("metric").is_in(sorted(metrics))
        if skip is not None:
            keep = keep & ~skip
        # Lazy: the group-by that reads these rows runs on polars' streaming engine.
        return frame.filter(keep).with_columns(bucket=pl.lit(self.bucket).gather(pl.col("period")))

    def _codes(self) -> tuple[Any, Any]:
        """Subject -> group code, participants only (others -1); disaggregation -> slice."""
        if self._person_group is None:
            plan = self.plan
            participant = SubjectKind.PARTICIPANT
            person_group = [
                g if s.kind is participant else EXCLUDED
                for s, g in zip(plan.columns.subjects, plan.subject_group, strict=True)
            ]
            self._person_group = self._lookup(person_group)
            self._slice = self._lookup(plan.slice_of)
        return self._person_group, self._slice

    def all_counted(self) -> bool:
        """Whether every row is placed and about a participant (from the plan's tables)."""
        person_group, slice_of = self._codes()
        lowest = (person_group.min(), self.bucket.min(), slice_of.min())
        return all(low is not None and low >= 0 for low in lowest)

    def _counted(self, metrics: frozenset[int]) -> Any:
        """Rows of ``metrics`` that are placed and about a participant (see ``Scan.counted``)."""
        pl = self.pl
        person_group, slice_of = self._codes()
        return (
            pl.col("metric").is_in(sorted(metrics))
            & (pl.lit(person_group).gather(pl.col("subject")) >= 0)
            & (pl.lit(self.bucket).gather(pl.col("period")) >= 0)
            & (pl.lit(slice_of).gather(pl.col("disaggregation")) >= 0)
        )

    def _distinct_rows(self, metrics: frozenset[int]) -> Any:
        """The placed participant rows of ``metrics``, with group, bucket and slice codes."""
        pl = self.pl
        person_group, slice_of = self._codes()
        return (
            self.frame.lazy()
            .filter(pl.col("metric").is_in(sorted(metrics)))
            .with_columns(
                group=pl.lit(person_group).gather(pl.col("subject")),
                bucket=pl.lit(self.bucket).gather(pl.col("period")),
                slice=pl.lit(slice_of).gather(pl.col("disaggregation")),
            )
            .filter((pl.col("group") >= 0) & (pl.col("bucket") >= 0) & (pl.col("slice") >= 0))
        )

    def distinct_cells(self, metrics: frozenset[int], *, every: bool) -> Any:
        """The distinct counts of :meth:`distinct` as a frame (see ``Scan.distinct_cells``).

        ``every``: :meth:`all_counted` holds, so every row is placed and about a
        participant and no row is left out but those of other metrics; the cell
        key is then one Int64 summed from looked-up, pre-scaled codes (a part
        that takes one value is left out). Otherwise the placed participant
        rows are kept first (:meth:`_distinct_rows`). Qualifier and unit spans
        are taken per cell only when the store's rows are not all exact and of
        one unit.
        """
        pl = self.pl
        person_group, slice_of = self._codes()
        cols = self.plan.columns
        exact_code = tuple(Qualifier).index(Qualifier.EXACT)  # codes index Qualifier
        q, unit = self.frame["qualifier"], self.frame["unit"]
        people = (
            pl.col("subject").n_unique().cast(pl.Int64).alias("people"),
            pl.len().cast(pl.Int64).alias("count"),
        )
        plain = q.min() == q.max() == exact_code and unit.min() == unit.max()
        if plain:
            only = unit[0] if len(unit) else 0
            spans: tuple[Any, ...] = ()
            constant: tuple[Any, ...] = (
                pl.lit(None, dtype=q.dtype).alias("q_low"),
                pl.lit(None, dtype=q.dtype).alias("q_high"),
                pl.lit(only, dtype=unit.dtype).alias("unit_low"),
                pl.lit(only, dtype=unit.dtype).alias("unit_high"),
            )
        else:
            unusual = pl.col("qualifier").filter(pl.col("qualifier") != exact_code)
            spans = (
                unusual.min().alias("q_low"),
                unusual.max().alias("q_high"),
                pl.col("unit").min().alias("unit_low"),
                pl.col("unit").max().alias("unit_high"),
            )
            constant = ()
        # Codes are >= 0 here (all_counted); sizes come from the tables, not the rows.
        parts = [
            ("metric", "metric", self._lookup(range(len(cols.metrics)))),
            ("group", "subject", person_group),
            ("bucket", "period", self.bucket),
            ("slice", "disaggregation", slice_of),
        ]
        sizes = [max(int(codes.max() or 0) + 1, 1) for _, _, codes in parts]
        if not every or math.prod(sizes) > _INT64_MAX:
            cells = self._grouped(self._distinct_rows(metrics), _CELL, *people, *spans)
            return cells.with_columns(*constant)
        rows = self.frame.lazy()
        if len(metrics) < len(cols.metrics):
            rows = rows.filter(pl.col("metric").is_in(sorted(metrics)))
        strides = key_strides(sizes)
        key: Any = pl.lit(0, dtype=pl.Int64)
        for (_, column, codes), size, stride in zip(parts, sizes, strides, strict=True):
            if size > 1:
                key = key + pl.lit(codes * stride).gather(pl.col(column))
        cells = rows.group_by(key.alias("_key")).agg(*people, *spans).collect()
        return cells.select(
            *(
                ((pl.col("_key") // stride) % size).alias(name)
                for (name, _, _), size, stride in zip(parts, sizes, strides, strict=True)
            ),
            pl.all().exclude("_key"),
            *constant,
        )

    def distinct(self, metrics: frozenset[int]) -> dict[DistinctCell, DistinctFacts]:
        """Finished distinct counts of the placed participant rows of ``metrics``."""
        pl = self.pl
        person_group, slice_of = self._codes()
        rows = (
            self.frame.lazy()
            .filter(pl.col("metric").is_in(sorted(metrics)))
            .with_columns(
                group=pl.lit(person_group).gather(pl.col("subject")),
                bucket=pl.lit(self.bucket).gather(pl.col("period")),
                slice=pl.lit(slice_of).gather(pl.col("disaggregation")),
            )
            .filter((pl.col("group") >= 0) & (pl.col("bucket") >= 0) & (pl.col("slice") >= 0))
        )
        keys = ("metric", "group", "bucket", "slice")
        people = (pl.col("subject").n_unique().alias("people"), pl.len().alias("count"))
        # Qualifier and unit sets: one value per cell is the rule; their lowest
        # and highest say so cheaply, and only mixed cells need the full sets.
        spans = [pl.col(name).min().alias(f"{name}_low") for name in ("qualifier", "unit")] + [
            pl.col(name).max().alias(f"{name}_high") for name in ("qualifier", "unit")
        ]
        cells = self._grouped(rows, keys, *people, *spans)
        mixed = (cells["qualifier_low"] != cells["qualifier_high"]) | (
            cells["unit_low"] != cells["unit_high"]
        )
        if mixed.any():
            sets = (pl.col("qualifier").unique().alias("qualifiers"), pl.col("unit").unique())
            cells = self._grouped(rows, keys, *people, *sets)
            qualifiers: Iterable[frozenset[int]] = map(frozenset, cells["qualifiers"].to_list())
            units: Iterable[frozenset[int]] = map(frozenset, cells["unit"].to_list())
        else:
            qualifiers = (frozenset((q,)) for q in cells["qualifier_low"].to_list())
            units = (frozenset((u,)) for u in cells["unit_low"].to_list())
        facts = zip(
            cells["people"].to_list(), cells["count"].to_list(), qualifiers, units, strict=True
        )
        return dict(zip(_tuples(cells, keys), facts, strict=True))

    def _range(self, name: str) -> tuple[int, int]:
        """(lowest code, number of codes) a key column can hold, from the tables."""
        plan, cols = self.plan, self.plan.columns
        codes: Sequence[int] | None = {
            "group": plan.subject_group,
            "bucket": plan.period_bucket,
            "slice": plan.slice_of,
        }.get(name)
        if codes is not None:
            low = min(codes, default=0)
            return low, max(codes, default=0) - low + 1
        table: Sequence[object] = {
            "metric": cols.metrics,
            "subject": cols.subjects,
            "period": cols.periods,
            "disaggregation": plan.slice_of,
            "unit": cols.units,
            "qualifier": cols.qualifiers,
        }[name]
        return 0, max(len(table), 1)

    def _grouped(self, rows: Any, keys: Sequence[str], *aggs: Any) -> Any:
        """``rows.group_by(keys).agg(*aggs)``, faster.

        When the key columns' code ranges (known from the plan's tables, not
        from the rows) multiply to less than 2**63, the keys are packed into
        one Int64 (mixed radix), grouped on that and unpacked: hashing one
        integer per row costs a fraction of hashing several columns.
        """
        pl = self.pl
        ranges = [self._range(name) for name in keys]
        sizes = [size for _, size in ranges]
        if math.prod(sizes) > _INT64_MAX:
            cells = rows.group_by(keys).agg(*aggs)
            return cells.collect() if isinstance(cells, pl.LazyFrame) else cells
        strides = key_strides(sizes)
        packed = pl.lit(0, dtype=pl.Int64)
        for name, (low, _), stride in zip(keys, ranges, strides, strict=True):
            packed = packed + (pl.col(name).cast(pl.Int64) - low) * stride
        cells = rows.with_columns(packed.alias("_key")).group_by("_key").agg(*aggs)
        if isinstance(cells, pl.LazyFrame):
            cells = cells.collect()
        return cells.with_columns(
            ((pl.col("_key") // stride) % size + low).alias(name)
            for name, (low, size), stride in zip(keys, ranges, strides, strict=True)
        )

    def _sum_type(self, spans: Any = None) -> Any:
        """Int64 when no sum of any rows can overflow it, else Int128.

        ``spans``: the store's (metric, unit) spans of the metrics summed
        (:attr:`spans`, filtered), by default of every metric.
        """
        pl = self.pl
        return pl.Int64 if sums_fit_int64(self.spans if spans is None else spans) else pl.Int128

    def _sums_packed(
        self, metrics: frozenset[int], spans: Any, *, ordered: bool, alone: bool
    ) -> Any | None:
        """The sum cells of ``metrics`` grouped on one packed Int64; ``None`` if it cannot fit.

        ``ordered``: sorted by the key, which is the order of their codes
        (metric, group, bucket, disaggregation, unit, qualifier), while the
        cells are three columns (key, sum, count) and not yet eight.
        ``alone``: each row is alone in its cell (:meth:`_alone`): no group-by.

        The key is a sum of pre-scaled terms: the group and bucket tables are
        scaled before they are gathered by subject and period (no group or
        bucket column is made), and a key part that takes one value among the
        rows asked about (often the unit, the qualifier, the disaggregation)
        is left out and put back as that value. The ranges of metric, unit and
        qualifier come from the store's spans, the others from the plan's tables.
        """
        pl, plan = self.pl, self.plan
        if spans.height == 0:
            return None

        def span(low: str, high: str) -> tuple[int, int]:
            least = int(spans[low].min())
            return least, int(spans[high].max()) - least + 1

        # (output name, column read, lowest code, number of codes, table gathered by the column)
        named = [
            ("metric", "metric", *span("metric", "metric"), None),
            ("group", "subject", *self._range("group"), plan.subject_group),
            ("bucket", "period", *self._range("bucket"), plan.period_bucket),
            ("disaggregation", "disaggregation", *self._range("disaggregation"), None),
            ("unit", "unit", *span("unit", "unit"), None),
            ("qualifier", "qualifier", *span("q_low", "q_high"), None),
        ]
        sizes = [size for _, _, _, size, _ in named]
        # Every term is at least 0 (codes minus their lowest).
        kind = key_type(pl, sizes)
        if kind is None:
            return None
        strides = key_strides(sizes)
        parts = [
            (name, column, low, size, stride, table)
            for (name, column, low, size, table), stride in zip(named, strides, strict=True)
        ]
        key = scaled_key(pl, kind, [(c, low, size, st, t) for _, c, low, size, st, t in parts])
        rows = self.frame.lazy()
        if set(spans["metric"].to_list()) != set(self.spans["metric"].to_list()):
            rows = rows.filter(pl.col("metric").is_in(sorted(metrics)))
        value = pl.col("value").cast(self._sum_type(spans))
        if alone:
            one = pl.lit(1, dtype=pl.UInt32).alias("count")
            cells = rows.select(key.alias("_key"), value.alias("sum"), one)
        else:
            cells = rows.group_by(key.alias("_key")).agg(
                value.sum().alias("sum"), pl.len().alias("count")
            )
        if ordered:
            cells = cells.sort("_key")
        return (
            cells.with_columns(pl.col("_key").cast(pl.Int64))
            .select(
                *(
                    (
                        ((pl.col("_key") // stride) % size + low)
                        if size > 1
                        else pl.lit(low, dtype=pl.Int64)
                    ).alias(name)
                    for name, _, low, size, stride, _ in parts
                ),
                "sum",
                "count",
            )
            .collect()
        )

    def _aside(self, metrics: frozenset[int]) -> dict[int, Number]:
        """Row -> value, for the rows of ``metrics`` whose value the store keeps aside."""
        metric = self.plan.columns.metric
        return {i: v for i, v in self.exact.items() if metric[i] in metrics}

    def _alone(self, *, repeated: bool) -> bool:
        """Whether each row is alone in its sum cell, so that its cell's sum is its value.

        So when no two rows share metric, subject, period and disaggregation
        (the store's fact, ``repeated`` false), the plan keeps each
        disaggregation as it is, and no two subjects share a group code nor two
        periods a bucket code (villages by village and month, of monthly figures).
        """
        plan = self.plan
        if repeated or plan.projected:
            return False
        return all(
            len(set(codes)) == len(codes) for codes in (plan.subject_group, plan.period_bucket)
        )

    def group_sums(
        self, metrics: frozenset[int], *, repeated: bool
    ) -> tuple[Mapping[SumCell, tuple[Number, int]], Any, bool]:
        """The sum cells of ``metrics``: as a mapping made on first use, as a frame, and sorted?

        The frame is ``None`` when some values are kept aside (it would not be
        exact). It is sorted by its codes (:attr:`Scan.sum_cells_sorted`) when
        that is the output's order (:func:`._plan.rows_in_code_order`,
        :func:`._plan.slices_rise`) and its key could be packed.
        """
        pl = self.pl
        keys = ("metric", "group", "bucket", "disaggregation", "unit", "qualifier")
        spans = self.spans.filter(pl.col("metric").is_in(sorted(metrics)))
        ordered = rows_in_code_order(self.plan, metrics) and slices_rise(self.plan)
        alone = self._alone(repeated=repeated)
        cells = self._sums_packed(metrics, spans, ordered=ordered, alone=alone)
        if cells is None:  # too wide to pack: the columns themselves
            ordered = False
            rows = self._rows(metrics).with_columns(
                group=pl.lit(self.group).gather(pl.col("subject"))
            )
            total = pl.col("value").cast(self._sum_type(spans)).sum()
            cells = self._grouped(rows, keys, total.alias("sum"), pl.len().alias("count"))
        aside = self._aside(metrics)
        plan = self.plan

        def build() -> dict[SumCell, tuple[Number, int]]:
            out: dict[SumCell, tuple[Number, int]] = dict(
                zip(_tuples(cells, keys), _tuples(cells, ("sum", "count")), strict=True)
            )
            cols = plan.columns
            for i, value in aside.items():
                key = (
                    cols.metric[i],
                    plan.subject_group[cols.subject[i]],
                    plan.period_bucket[cols.period[i]],
                    plan.disaggregation[i],
                    cols.unit[i],
                    cols.qualifier[i],
                )
                s, c = out[key]
                out[key] = (add(s, value), c)
            return out

        frame = None if aside else cells.select(*keys, "sum", "count")
        return LazyCells(build), frame, ordered and frame is not None

    def series(
        self, metrics: frozenset[int], counted: frozenset[int]
    ) -> tuple[Mapping[SeriesCell, tuple[Number, int, Number, Number]], Any]:
        """Series cells of ``metrics``, but not of the rows :meth:`distinct` counts.

        As a mapping made on first use, and as a frame (``Scan.series_cells``),
        ``None`` when some values are kept aside (it would not be exact).
        """
        pl = self.pl
        aside = self._aside(metrics)
        if counted and aside:
            plan, cols = self.plan, self.plan.columns
            participant = SubjectKind.PARTICIPANT
            aside = {
                i: v
                for i, v in aside.items()
                if not (
                    cols.metric[i] in counted
                    and cols.subjects[cols.subject[i]].kind is participant
                    and plan.subject_group[cols.subject[i]] >= 0
                    and plan.period_bucket[cols.period[i]] >= 0
                    and plan.slice_of[plan.disaggregation[i]] >= 0
                )
            }
        skip = self._counted(counted) if counted else None
        rows = self._rows(metrics, row=bool(aside), skip=skip)
        value = pl.col("value")
        if aside:
            # Aside rows hold 0 in the column: leave them out of min and max.
            value = pl.when(pl.col("row").is_in(sorted(aside))).then(None).otherwise(value)
        keys = ("metric", "subject", "bucket", "disaggregation", "unit", "qualifier")
        cells = self._grouped(
            rows,
            keys,
            value.cast(self._sum_type()).sum().alias("sum"),
            pl.len().alias("count"),
            value.min().alias("min"),
            value.max().alias("max"),
        )
        plan = self.plan

        def build() -> dict[SeriesCell, tuple[Number, int, Number, Number]]:
            values = _tuples(cells, ("sum", "count", "min", "max"))
            out: dict[SeriesCell, tuple[Number, int, Number, Number]] = dict(
                zip(_tuples(cells, keys), values, strict=True)
            )
            cols = plan.columns
            for i, v in aside.items():
                key = (
                    cols.metric[i],
                    cols.subject[i],
                    plan.period_bucket[cols.period[i]],
                    plan.disaggregation[i],
                    cols.unit[i],
                    cols.qualifier[i],
                )
                # A cell of aside rows only has no min or max from polars yet.
                total, c, low, high = out[key]
                lowest: Number | None = low
                highest: Number | None = high
                out[key] = (
                    add(total, v),
                    c,
                    v if lowest is None or v < lowest else lowest,
                    v if highest is None or v > highest else highest,
                )
            return out

        frame = None if aside else cells.select(*keys, "sum", "count", "min", "max")
        return LazyCells(build), frame

    def pick(
        self,
        metrics: frozenset[int],
        ranks: Sequence[int],
        ties: set[PickCell],
        *,
        repeated: bool = True,
    ) -> Any:
        """The chosen row of each series of ``metrics``, with its value, unit and qualifier.

        A frame of (metric, subject, bucket, disaggregation, row, value, unit,
        qualifier, period); the series whose choice is tied go into ``ties``.
        ``repeated``: the store's fact (``Scan.repeated``); when no two of its
        rows share metric, subject, period and disaggregation there is no tie
        to look for, as the reference engine's pick says, and the frame is
        returned lazy (a LazyFrame): the finish reads it in its own query.

        The chosen row is the one whose packed (rank, row) integer is the
        largest of its series: a window filter, several times faster than a
        group-by and a gather. When, besides, no two periods share a bucket and
        the plan keeps every disaggregation as it is, every placed series is
        one row, its own pick, with no window (:meth:`_single`).
        """
        pl = self.pl
        keys = _PICK_KEYS
        rows = (
            self.frame.lazy()
            .with_row_index("row")
            .filter(pl.col("metric").is_in(sorted(metrics)))
            .with_columns(bucket=pl.lit(self.bucket).gather(pl.col("period")))
        )
        if repeated or self.plan.projected:
            # Highest rank first, then lowest row (as the reference engine keeps the
            # first row it meets among equals): one maximum of a packed integer.
            rank = pl.lit(self._lookup(ranks)).gather(pl.col("period"))
            best = rank * 2**_ROW_BITS + (_ROW_MASK - pl.col("row").cast(pl.Int64))
        else:
            # A period has one rank, and no two rows of a series share a period (the
            # store's fact; the plan keeps each disaggregation): the rank alone decides.
            best = pl.lit(pl.Series(list(ranks), dtype=pl.UInt32)).gather(pl.col("period"))
        # Columns first: a window over an expression is many times slower than over a column.
        series = self._series_key()
        rows = rows.with_columns(
            best.alias("_best"), *([] if series is None else [series.alias("_series")])
        )
        top = pl.col("_best").max().over(list(keys) if series is None else "_series")
        columns = (pl.col(*keys, "row").cast(pl.Int64), "value", "unit", "qualifier", "period")
        if not repeated and self._single():
            # Placed series are one row each: only the others need the window.
            own = rows.filter(pl.col("bucket") >= 0).select(*columns)
            if min(self.plan.period_bucket, default=0) >= 0:
                cells = own
            else:
                others = rows.filter(pl.col("bucket") < 0).filter(pl.col("_best") == top)
                cells = pl.concat([own, others.select(*columns)])
        else:
            cells = rows.filter(pl.col("_best") == top).select(*columns)
        if not repeated:
            return cells
        cells = cells.collect()
        self._ties(self._rows(metrics, row=True).collect(), cells, ties)
        return cells

    def _series_key(self) -> Any | None:
        """(metric, subject, bucket, disaggregation) as one integer if it fits, else ``None``.

        A sum of scaled codes; the bucket's is a pre-scaled table gathered by
        period, and a part with one code is left out. A UInt32 when every key
        fits in one (a window over 32-bit keys runs about a fifth faster).
        """
        pl = self.pl
        ranges = [self._range(name) for name in _PICK_KEYS]
        sizes = [size for _, size in ranges]
        kind = key_type(pl, sizes)
        if kind is None:
            return None
        parts: list[tuple[str, int, int, int, Sequence[int] | None]] = []
        for i, (name, (low, size)) in enumerate(zip(_PICK_KEYS, ranges, strict=True)):
            stride = math.prod(sizes[i + 1 :])
            if name == "bucket":  # the bucket of each row's period, from the plan's table
                parts.append(("period", low, size, stride, self.plan.period_bucket))
            else:
                parts.append((name, low, size, stride, None))
        return scaled_key(pl, kind, parts)

    def _single(self) -> bool:
        """Whether no two placed periods share a bucket and disaggregations are the store's."""
        plan = self.plan
        if plan.projected:
            return False
        return unique_placed(plan.period_bucket)

    def _ties(self, rows: Any, cells: Any, ties: set[PickCell]) -> None:
        pl = self.pl
        keys = _PICK_KEYS
        if not self._duplicates(rows):
            return  # two rows of a series share a rank only if they share a period
        # A tie: another row of the series has the chosen row's period.
        chosen = cells.select(*keys, "row").join(
            rows.select("row", "period"), on="row", how="left"
        )
        same = rows.group_by(*keys, "period").agg(pl.len().alias("n")).filter(pl.col("n") > 1)
        tied = chosen.join(same, on=[*keys, "period"], how="inner")
        ties.update(_tuples(tied, keys))

    def _key(self) -> Any | None:
        """(metric, subject, period, disaggregation) as one Int64 expression, if it fits."""
        pl = self.pl
        cols = self.plan.columns
        sizes = [len(t) for t in (cols.metrics, cols.subjects, cols.periods)]
        sizes.append(max(len(cols.disaggregations), len(self.plan.slice_of)))
        if math.prod(sizes) > _INT64_MAX:
            return None
        key = pl.lit(0, dtype=pl.Int64)
        for name, size in zip(_SERIES_PERIOD, sizes, strict=True):
            key = key * size + pl.col(name).cast(pl.Int64)
        return key

    def _duplicates(self, rows: Any) -> bool:
        """Whether two of ``rows`` share metric, subject, period and disaggregation."""
        key = self._key()
        if key is None:
            distinct = rows.select(_SERIES_PERIOD).n_unique()
        else:
            # One 64-bit key per row hashes much faster than four columns.
            distinct = rows.select(key.n_unique()).item()
        return bool(distinct != rows.height)


ENGINES.setdefault(PolarsEngine.name, PolarsEngine())
