"""The reference engine: the scan step in plain Python, core dependencies only.

It reads the store's columns with :func:`zip` and looks codes up in the plan's
lists; no model, :class:`~antq_core.Quantity` or function call per row. A
GROUP_SUM cell accumulates one integer per row, the sum shifted left by
:data:`_SHIFT` bits plus one: sum and count in a single dictionary update.
Values the store keeps aside (decimals, huge integers) are read as 0 in the
pass and added afterwards. When a request holds both summed metrics and
stocks, one pass serves both.

Who reported when (distinct subject and period pairs) and whether any row is
repeated are facts of the store, not of the request: they are computed once
per store, at C speed (``set(zip(...))``), and kept while the store lives.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Final

from antq_core._aggregate.engine import ENGINES, PickCell, Scan, SeriesCell, SumCell
from antq_core._aggregate.plan import Plan
from antq_core._aggregate.semantics import ScanKind
from antq_core._dataset.store import ObservationColumns, ObservationStore
from antq_core._values.exact import add
from antq_core._values.quantity import Number

__all__ = ["PythonEngine"]

_SHIFT: Final = 40
_COUNT: Final = (1 << _SHIFT) - 1
_ROW_BITS: Final = 32


class PythonEngine:
    """The pure-Python scan (see :mod:`._engine` for the contract)."""

    name: Final = "python"

    def scan(self, plan: Plan) -> Scan:
        """Compute the cells of ``plan``."""
        scans = plan.scans
        picks: dict[PickCell, int] = {}
        ties: set[PickCell] = set()
        kinds = [ScanKind.LAST, ScanKind.FIRST]
        if scans[ScanKind.GROUP_SUM] and scans[ScanKind.LAST]:
            # Flows and stocks together (the usual request): one pass, not two.
            sums = _sums_and_last(plan, picks, ties)
            kinds.remove(ScanKind.LAST)
        else:
            sums = _group_sums(plan) if scans[ScanKind.GROUP_SUM] else {}
        series = _series(plan) if scans[ScanKind.SERIES] else {}
        for kind in kinds:
            ranks = plan.last_rank if kind is ScanKind.LAST else plan.first_rank
            if scans[kind]:
                _pick(plan, scans[kind], ranks, picks, ties)
        facts = _facts(plan.store)
        return Scan(
            sums=sums,
            series=series,
            picks=picks,
            ties=frozenset(ties),
            repeated=facts.repeated,
            reported=facts.reported,
        )


def _group_sums(plan: Plan) -> dict[SumCell, tuple[Number, int]]:
    cols = plan.columns
    group, bucket = plan.subject_group, plan.period_bucket
    acc: dict[tuple[int, ...], int] = {}
    get = acc.get
    k: tuple[int, ...]
    plain = not any(plan.disaggregation) and not any(cols.qualifier)
    unit_of = _facts(plan.store).unit_of if plain else None
    if unit_of is not None:
        # Each metric in one unit and only exact totals: the key is a bare loop's, and
        # so is the cell, a [sum, count] list added to in place (with small values that
        # is cheaper than one shifted integer, whose sums outgrow one machine word).
        cells: dict[tuple[int, ...], list[int]] = {}
        cell_get = cells.get
        for m, s, p, v in zip(cols.metric, cols.subject, cols.period, cols.value, strict=True):
            key = (m, group[s], bucket[p])
            entry = cell_get(key)
            if entry is None:
                cells[key] = [v, 1]
            else:
                entry[0] += v
                entry[1] += 1
        return _sum_cells(plan, cells, width=3)
    if plain:
        for m, s, p, u, v in zip(
            cols.metric, cols.subject, cols.period, cols.unit, cols.value, strict=True
        ):
            k = (m, group[s], bucket[p], u)
            acc[k] = get(k, 0) + (v << _SHIFT | 1)
    else:
        for m, s, p, d, u, q, v in zip(
            cols.metric,
            cols.subject,
            cols.period,
            plan.disaggregation,
            cols.unit,
            cols.qualifier,
            cols.value,
            strict=True,
        ):
            k = (m, group[s], bucket[p], d, u, q)
            acc[k] = get(k, 0) + (v << _SHIFT | 1)

    return _sum_cells(plan, acc, width=4 if plain else 6)


def _sum_cells(
    plan: Plan, acc: Mapping[tuple[int, ...], int | list[int]], width: int
) -> dict[SumCell, tuple[Number, int]]:
    """Unpack the accumulated sums and counts (packed, or [sum, count]); add those kept aside."""
    cols = plan.columns
    group, bucket = plan.subject_group, plan.period_bucket
    unit_of = _facts(plan.store).unit_of or ()

    def cell(k: tuple[int, ...]) -> SumCell:
        if width == 3:  # noqa: PLR2004 - (metric, group, bucket): the metric's one unit
            return (k[0], k[1], k[2], 0, unit_of[k[0]], 0)
        if width == 4:  # noqa: PLR2004 - (metric, group, bucket, unit)
            return (k[0], k[1], k[2], 0, k[3], 0)
        return k  # type: ignore[return-value]

    aside: dict[SumCell, Number] = {}
    for i, value in cols.exact.items():
        key = (
            cols.metric[i],
            group[cols.subject[i]],
            bucket[cols.period[i]],
            plan.disaggregation[i],
            cols.unit[i],
            cols.qualifier[i],
        )
        aside[key] = add(aside.get(key, 0), value)
    wanted = plan.scans[ScanKind.GROUP_SUM]
    out: dict[SumCell, tuple[Number, int]] = {}
    for k, packed in acc.items():
        if k[0] in wanted:
            full = cell(k)
            extra = aside.get(full)
            if isinstance(packed, list):
                total: Number = packed[0]
                count = packed[1]
            else:
                total, count = packed >> _SHIFT, packed & _COUNT
            out[full] = (total if extra is None else add(total, extra), count)
    return out


def _sums_and_last(
    plan: Plan, picks: dict[PickCell, int], ties: set[PickCell]
) -> dict[SumCell, tuple[Number, int]]:
    """GROUP_SUM cells and LAST picks in one pass over the rows."""
    cols = plan.columns
    group, bucket = plan.subject_group, plan.period_bucket
    last = plan.scans[ScanKind.LAST]
    is_last = [m in last for m in range(len(cols.metrics))]
    high = [r << _ROW_BITS for r in plan.last_rank]
    acc: dict[tuple[int, ...], int] = {}
    get = acc.get
    best: dict[PickCell, int] = {}
    best_get = best.get
    found: list[PickCell] = []
    repeated = _facts(plan.store).repeated  # without repeated rows there are no ties
    for i, (m, s, p, d, u, q, v) in enumerate(
        zip(
            cols.metric,
            cols.subject,
            cols.period,
            plan.disaggregation,
            cols.unit,
            cols.qualifier,
            cols.value,
            strict=True,
        )
    ):
        if is_last[m]:
            pk = (m, s, bucket[p], d)
            x = high[p] | i
            c = best_get(pk)
            if c is None:
                best[pk] = x
            elif repeated and x >> _ROW_BITS == c >> _ROW_BITS:
                found.append(pk)
            elif x > c:
                best[pk] = x
        else:
            k = (m, group[s], bucket[p], d, u, q)
            acc[k] = get(k, 0) + (v << _SHIFT | 1)
    _keep_picks(best, found, last, picks, ties)
    return _sum_cells(plan, acc, width=6)


def _keep_picks(
    best: dict[PickCell, int],
    found: list[PickCell],
    wanted: frozenset[int],
    picks: dict[PickCell, int],
    ties: set[PickCell],
) -> None:
    low = (1 << _ROW_BITS) - 1
    picks.update({k: x & low for k, x in best.items() if k[0] in wanted})
    # The finishing step checks whether a tie is with the row finally chosen.
    ties.update(k for k in found if k[0] in wanted)


def _rows(
    plan: Plan, wanted: frozenset[int]
) -> Iterator[tuple[int, int, int, int, int, int, int]]:
    cols = plan.columns
    for i, (m, s, p, d, u, q) in enumerate(
        zip(
            cols.metric,
            cols.subject,
            cols.period,
            plan.disaggregation,
            cols.unit,
            cols.qualifier,
            strict=True,
        )
    ):
        if m in wanted:
            yield i, m, s, p, d, u, q


def _series(plan: Plan) -> dict[SeriesCell, tuple[Number, int, Number, Number]]:
    cols = plan.columns
    bucket = plan.period_bucket
    values, exact = cols.value, cols.exact
    acc: dict[SeriesCell, list[Number]] = {}
    for i, m, s, p, d, u, q in _rows(plan, plan.scans[ScanKind.SERIES]):
        v: Number = exact[i] if i in exact else values[i]
        k = (m, s, bucket[p], d, u, q)
        cell = acc.get(k)
        if cell is None:
            acc[k] = [v, 1, v, v]
            continue
        cell[0] = add(cell[0], v)
        cell[1] += 1
        cell[2] = min(cell[2], v)
        cell[3] = max(cell[3], v)
    return {k: (c[0], int(c[1]), c[2], c[3]) for k, c in acc.items()}


def _pick(
    plan: Plan,
    wanted: frozenset[int],
    ranks: Sequence[int],
    picks: dict[PickCell, int],
    ties: set[PickCell],
) -> None:
    cols = plan.columns
    bucket = plan.period_bucket
    high = [r << _ROW_BITS for r in ranks]
    acc: dict[PickCell, int] = {}
    get = acc.get
    found: list[PickCell] = []
    rows = enumerate(zip(cols.metric, cols.subject, cols.period, plan.disaggregation, strict=True))
    if not _facts(plan.store).repeated:
        # No two rows share metric, subject, period and disaggregation, and distinct
        # periods have distinct ranks: there is no tie to look for.
        for i, (m, s, p, d) in rows:
            k = (m, s, bucket[p], d)
            x = high[p] | i
            c = get(k)
            if c is None or x > c:
                acc[k] = x
    else:
        for i, (m, s, p, d) in rows:
            k = (m, s, bucket[p], d)
            x = high[p] | i
            c = get(k)
            if c is None:
                acc[k] = x
            elif x >> _ROW_BITS == c >> _ROW_BITS:
                found.append(k)
            elif x > c:
                acc[k] = x
    _keep_picks(acc, found, wanted, picks, ties)


class _Facts:
    """What a store's rows hold, whatever the question: computed once per store."""

    __slots__ = ("repeated", "reported", "unit_of")

    def __init__(self, store: ObservationStore) -> None:
        cols = store.columns()
        # Per metric code, the one unit code its rows are in; None if some metric has
        # rows in several units (then the unit is part of each cell's key).
        pairs = set(zip(cols.metric, cols.unit, strict=True))
        units = dict(pairs)
        self.unit_of: list[int] | None = None
        if len(units) == len(pairs):
            self.unit_of = [units.get(m, 0) for m in range(len(cols.metrics))]
        periods: dict[int, list[int]] = {}
        for s, p in _pairs(cols):
            found = periods.get(s)
            if found is None:
                periods[s] = [p]
            else:
                found.append(p)
        self.reported = {s: tuple(ps) for s, ps in periods.items()}
        self.repeated = _distinct_keys(cols) != len(cols)


# Codes are unsigned 32-bit integers. On a little-endian machine two of them side
# by side read as one 64-bit integer, whose set is cheaper than a set of tuples.
_PACK: Final = sys.byteorder == "little"
_LOW: Final = (1 << 32) - 1
_HALF: Final = 1 << 16


def _pairs(cols: ObservationColumns) -> Iterable[tuple[int, int]]:
    """The distinct (subject, period) pairs of the rows."""
    if not _PACK:
        return set(zip(cols.subject, cols.period, strict=True))
    words = bytearray(8 * len(cols))
    view = memoryview(words).cast("I")
    view[0::2] = cols.subject
    view[1::2] = cols.period
    return ((x & _LOW, x >> 32) for x in set(memoryview(words).cast("Q")))


def _distinct_keys(cols: ObservationColumns) -> int:
    """How many distinct (metric, subject, period, disaggregation) the rows hold."""
    small = len(cols.metrics) < _HALF and len(cols.periods) < _HALF
    if not (_PACK and small) or any(cols.disaggregation):
        keys = zip(cols.metric, cols.subject, cols.period, cols.disaggregation, strict=True)
        return len(set(keys))
    # Only totals, and metric and period codes fit in 16 bits: one word per row.
    words = bytearray(8 * len(cols))
    halves = memoryview(words).cast("H")
    halves[0::4] = cols.metric.cast("B").cast("H")[0::2]
    halves[1::4] = cols.period.cast("B").cast("H")[0::2]
    memoryview(words).cast("I")[1::2] = cols.subject
    return len(set(memoryview(words).cast("Q")))


# A store never changes once built, so its facts hold as long as it lives.
_FACTS: dict[int, tuple[weakref.ref[ObservationStore], _Facts]] = {}


def _facts(store: ObservationStore) -> _Facts:
    key = id(store)
    found = _FACTS.get(key)
    if found is not None and found[0]() is store:
        return found[1]
    facts = _Facts(store)
    _FACTS[key] = (weakref.ref(store, lambda _, key=key: _FACTS.pop(key, None)), facts)  # type: ignore[misc]
    return facts


ENGINES.setdefault(PythonEngine.name, PythonEngine())
