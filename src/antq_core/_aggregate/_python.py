"""The reference engine: the scan step in plain Python, core dependencies only.

It reads the store's columns with :func:`zip` and looks codes up in the plan's
lists; no model, :class:`~antq_core.Quantity` or function call per row. A
GROUP_SUM cell accumulates one integer per row, the sum shifted left by
:data:`_SHIFT` bits plus one: sum and count in a single dictionary update.
Values the store keeps aside (decimals, huge integers) are read as 0 in the
pass and added afterwards.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Final

from antq_core._quantity import Number
from antq_core._store import ObservationStore

from ._engine import ENGINES, PickCell, Scan, SeriesCell, SumCell
from ._plan import Plan
from ._semantics import ScanKind

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
        sums = _group_sums(plan) if scans[ScanKind.GROUP_SUM] else {}
        series = _series(plan) if scans[ScanKind.SERIES] else {}
        picks: dict[PickCell, int] = {}
        ties: set[PickCell] = set()
        for kind, ranks in ((ScanKind.LAST, plan.last_rank), (ScanKind.FIRST, plan.first_rank)):
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
    plain = not any(cols.disaggregation) and not any(cols.qualifier)
    one_unit = plain and len(cols.units) == 1
    if one_unit:
        # One unit and only exact totals: the key is what a bare loop would use.
        for m, s, p, v in zip(cols.metric, cols.subject, cols.period, cols.value, strict=True):
            k = (m, group[s], bucket[p])
            acc[k] = get(k, 0) + (v << _SHIFT | 1)
    elif plain:
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
            cols.disaggregation,
            cols.unit,
            cols.qualifier,
            cols.value,
            strict=True,
        ):
            k = (m, group[s], bucket[p], d, u, q)
            acc[k] = get(k, 0) + (v << _SHIFT | 1)

    def cell(k: tuple[int, ...]) -> SumCell:
        if one_unit:
            return (k[0], k[1], k[2], 0, 0, 0)
        if plain:
            return (k[0], k[1], k[2], 0, k[3], 0)
        return k  # type: ignore[return-value]

    aside: dict[SumCell, Number] = {}
    for i, value in cols.exact.items():
        key = (
            cols.metric[i],
            group[cols.subject[i]],
            bucket[cols.period[i]],
            cols.disaggregation[i],
            cols.unit[i],
            cols.qualifier[i],
        )
        aside[key] = _add(aside.get(key, 0), value)
    wanted = plan.scans[ScanKind.GROUP_SUM]
    out: dict[SumCell, tuple[Number, int]] = {}
    for k, packed in acc.items():
        if k[0] in wanted:
            full = cell(k)
            extra = aside.get(full)
            total: Number = packed >> _SHIFT
            out[full] = (total if extra is None else _add(total, extra), packed & _COUNT)
    return out


def _add(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    total = Decimal(a) + Decimal(b)
    return int(total) if total == total.to_integral_value() else total


def _rows(
    plan: Plan, wanted: frozenset[int]
) -> Iterator[tuple[int, int, int, int, int, int, int]]:
    cols = plan.columns
    for i, (m, s, p, d, u, q) in enumerate(
        zip(
            cols.metric,
            cols.subject,
            cols.period,
            cols.disaggregation,
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
        cell[0] = _add(cell[0], v)
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
    for i, (m, s, p, d) in enumerate(
        zip(cols.metric, cols.subject, cols.period, cols.disaggregation, strict=True)
    ):
        k = (m, s, bucket[p], d)
        x = high[p] | i
        c = get(k)
        if c is None:
            acc[k] = x
        elif x >> _ROW_BITS == c >> _ROW_BITS:
            found.append(k)
        elif x > c:
            acc[k] = x
    low = (1 << _ROW_BITS) - 1
    for k, x in acc.items():
        if k[0] in wanted:
            picks[k] = x & low
    # A tie matters only if it is a tie with the row finally chosen.
    for k in found:
        if k[0] in wanted:
            ties.add(k)


class _Facts:
    """What a store's rows hold, whatever the question: computed once per store."""

    __slots__ = ("repeated", "reported")

    def __init__(self, store: ObservationStore) -> None:
        cols = store.columns()
        self.reported = frozenset(zip(cols.subject, cols.period, strict=True))
        keys = zip(cols.metric, cols.subject, cols.period, cols.disaggregation, strict=True)
        self.repeated = len(set(keys)) != len(cols)


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
