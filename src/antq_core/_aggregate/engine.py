"""The engine contract: what a plan gives an engine, and what the engine gives back.

An aggregate runs in three steps:

1. **Plan** (:func:`._plan.make_plan`, pure Python, shared): resolve the
   request against the dataset's shared tables. Every distinct subject gets a
   group code, every distinct period a bucket code and two ranks; metrics are
   sorted by :class:`ScanKind`. Nothing here looks at rows.
2. **Scan** (the engine): one pass over the observation rows
   (:attr:`Plan.columns`), looking codes up and accumulating *cells*, as
   :class:`Scan` describes. This is the only step whose cost grows with the
   number of observations, and the only one an engine implements.
3. **Finish** (:func:`._finish.finish`, pure Python, shared): turn cells into
   rows: units converted, qualifiers combined, series combined over space,
   ratios divided, overlaps refused, unplaceable rows listed, expected units
   counted. When an engine also gives its cells as frames (``sum_cells``,
   ``pick_cells``, ``reported_pairs``), sums and stocks are finished as
   columnar expressions instead (:mod:`._columnar`), and the table keeps its
   rows as columns until iterated; the rest is finished in Python, per cell.

An engine is any object with a ``name`` and a ``scan(plan) -> Scan`` method;
:data:`ENGINES` registers them by name and :func:`select_engine` picks one.
Because the plan and the finish are shared, two engines that produce the
same cells produce the same table, row for row; a test holds them to it.

Cell keys use the codes of :class:`~antq_core.ObservationColumns` (metric,
subject, disaggregation, unit, qualifier) and of the :class:`Plan` (group
code ``plan.subject_group[subject]``, bucket code
``plan.period_bucket[period]``). Codes may be negative (excluded or
unplaceable): an engine keeps those cells as they are, the finishing step
reads them. An engine may also return cells of metrics that are not in the
scan kind's set (the finishing step ignores them) but must return every cell
of those that are.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

import attrs

from antq_core._values.quantity import Number
from antq_core.errors import InvalidValueError

if TYPE_CHECKING:
    from antq_core._aggregate.plan import Plan

__all__ = [
    "ENGINES",
    "DistinctCell",
    "DistinctFacts",
    "Engine",
    "LazyCells",
    "Scan",
    "SeriesCell",
    "SumCell",
    "select_engine",
]

_K = TypeVar("_K")
_V = TypeVar("_V")

SumCell = tuple[int, int, int, int, int, int]
"""(metric, group code ``plan.subject_group[subject]``, bucket code, disaggregation, unit,
qualifier)."""
SeriesCell = tuple[int, int, int, int, int, int]
"""(metric, subject, bucket code, disaggregation, unit, qualifier)."""
PickCell = tuple[int, int, int, int]
"""(metric, subject, bucket code, disaggregation): one series in one bucket."""
DistinctCell = tuple[int, int, int, int]
"""(metric, group code, bucket code, slice code ``plan.slice_of[disaggregation]``)."""
DistinctFacts = tuple[int, int, frozenset[int], frozenset[int]]
"""(distinct participants, rows, qualifier codes, unit codes) of one :data:`DistinctCell`."""


@attrs.frozen(eq=False)
class Scan:
    """The cells an engine computes from the rows.

    Attributes:
        sums: For metrics in ``plan.scans[ScanKind.GROUP_SUM]``, per
            (metric, group code, bucket code, disaggregation, unit,
            qualifier): the exact sum of the values (``int`` or
            :class:`~decimal.Decimal`) and the number of rows.
        series: For metrics in ``plan.scans[ScanKind.SERIES]``, per
            (metric, **subject**, bucket code, disaggregation, unit,
            qualifier): sum, number of rows, smallest and largest value.
        picks: For metrics in ``plan.scans[ScanKind.LAST]`` (and ``FIRST``),
            per (metric, subject, bucket code, disaggregation): the row index
            whose period has the highest ``plan.last_rank`` (``first_rank``).
        ties: The pick cells where another row has the very same period as
            the chosen one; any row of that period may be the pick. A
            superset is fine (the finishing step looks again); it may be
            empty when ``repeated`` is ``False``.
        repeated: ``False`` only if no two rows of the metrics in
            ``plan.summed`` share metric, subject, period and
            disaggregation (then there are no duplicates to look for).
        reported: For each subject code, the distinct period codes of its
            rows, of any metric: who reported when, for counting expected
            units that reported nothing.
        distinct: Optional, for the metrics in :attr:`counted`: per
            (metric, group code, bucket code, slice code), the group's finished
            distinct count, from the rows that are placed there (group, bucket
            and slice codes ``>= 0``) and are about participants: how many
            different subjects, how many rows, and the qualifier and unit
            codes they use.
        counted: The distinct-count metrics (time operation ``distinct``)
            whose placed participant rows the engine counted into
            :attr:`distinct` itself. For these, :attr:`series` holds the cells
            of their *other* rows only (unplaceable, excluded, or not about a
            participant), which the finishing step still reports. An engine
            that leaves this empty returns every series cell, and the
            finishing step counts the people itself; both give the same rows.
        sum_cells: Optional: :attr:`sums` as a polars DataFrame (columns
            ``metric``, ``group``, ``bucket``, ``disaggregation``, ``unit``,
            ``qualifier``, ``sum``, ``count``), given only when it holds every
            cell exactly (no value the store keeps aside). The finishing step
            may then finish sums as columns (:mod:`._columnar`) instead of
            reading :attr:`sums` cell by cell.
        pick_cells: Optional: :attr:`picks` as a polars DataFrame or
            LazyFrame (columns ``metric``, ``subject``, ``bucket``,
            ``disaggregation``, ``row``, and the chosen row's ``value``,
            ``unit``, ``qualifier`` and ``period``). Lazy, the finishing step
            reads it inside its own query (polars computes the picks there).
        reported_pairs: Optional: :attr:`reported` as a polars DataFrame of
            distinct (``subject``, ``period``) pairs. An engine that gives it
            gives :attr:`sum_cells` and :attr:`pick_cells` too, for the metrics
            of those scan kinds (``sum_cells`` may be ``None`` only when some
            value is kept aside).
    """

    sums: Mapping[SumCell, tuple[Number, int]]
    series: Mapping[SeriesCell, tuple[Number, int, Number, Number]]
    picks: Mapping[PickCell, int]
    ties: frozenset[PickCell]
    repeated: bool
    reported: Mapping[int, Collection[int]]
    distinct: Mapping[DistinctCell, DistinctFacts] = attrs.field(factory=dict)
    counted: frozenset[int] = frozenset()
    sum_cells: Any = None
    pick_cells: Any = None
    sum_cells_sorted: bool = False
    """Whether :attr:`sum_cells`' rows are in the order of their (``metric``,
    ``group``, ``bucket``, ``disaggregation``, ``unit``, ``qualifier``) codes.
    An engine sorts them when that is the output's order
    (:func:`._plan.rows_in_code_order`, :func:`._plan.slices_rise`), so that
    the finishing step need not sort its rows; a scan derived with other
    cells (:func:`._rollup.rolled_up_levels`) says ``False``."""
    reported_pairs: Any = None
    unit_spans: Any = None
    """Optional: per (``metric``, ``unit``) code pair of the store's rows, the
    lowest and highest value (``low``, ``high``) and the number of rows
    (``n``), as a polars DataFrame, for every row whatever the plan (a value
    the store keeps aside counts as 0). A columnar finish reads it to know that
    no value needs converting or a sign check without reading the cells."""
    distinct_cells: Any = None
    """Optional: :attr:`distinct` as a polars DataFrame (columns ``metric``,
    ``group``, ``bucket``, ``slice``, ``people``, ``count``, the lowest and
    highest non-exact qualifier code ``q_low``/``q_high`` (null when every row
    is exact), and the lowest and highest unit code ``unit_low``/``unit_high``).
    The other rows of the :attr:`counted` metrics (not placed, or not about a
    participant) are in :attr:`series`; when there are any, an engine gives
    this frame only with :attr:`series_cells`."""
    series_cells: Any = None
    """Optional: :attr:`series` as a polars DataFrame (columns ``metric``,
    ``subject``, ``bucket``, ``disaggregation``, ``unit``, ``qualifier``,
    ``sum``, ``count``, ``min``, ``max``), given only when it holds every cell
    exactly (no value the store keeps aside)."""


class LazyCells(Mapping[_K, _V]):
    """Cells made into a dict only when the Python finishing step reads them."""

    def __init__(self, build: Callable[[], dict[_K, _V]]) -> None:
        self._build: Callable[[], dict[_K, _V]] | None = build
        self._cells: dict[_K, _V] = {}

    def _made(self) -> dict[_K, _V]:
        if self._build is not None:
            self._cells = self._build()
            self._build = None
        return self._cells

    def __getitem__(self, key: _K) -> _V:
        return self._made()[key]

    def __iter__(self) -> Iterator[_K]:
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())


class Engine(Protocol):
    """An implementation of the scan step."""

    @property
    def name(self) -> str:
        """Name callers pass as ``engine=``; reported by :attr:`AggregateTable.engine`."""

    def scan(self, plan: Plan) -> Scan:
        """Compute the cells of ``plan`` (see :class:`Scan`)."""


ENGINES: Final[dict[str, Engine]] = {}
"""Engines by name. The pure-Python reference engine is always there."""


def select_engine(name: str, plan: Plan) -> Engine:
    """The engine called ``name``; ``"auto"`` picks one for ``plan``.

    Raises:
        InvalidValueError: No engine has that name.
    """
    if name == "auto":
        from antq_core._util.extras import prefer_polars

        if "polars" in ENGINES and prefer_polars(len(plan.columns)):
            return ENGINES["polars"]
        return ENGINES["python"]
    engine = ENGINES.get(name)
    if engine is None:
        choices = ", ".join(repr(n) for n in ["auto", *ENGINES])
        raise InvalidValueError("engine", name, f"choose one of {choices}")
    return engine
