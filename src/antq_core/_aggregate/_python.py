"""The reference engine: the scan step in plain Python, core dependencies only.

It reads the store's columns with :func:`zip` and looks codes up in the plan's
lists; no model, :class:`~antq_core.Quantity` or function call per row. A
GROUP_SUM cell accumulates one integer per row, the sum shifted left by
:data:`_SHIFT` bits plus one: sum and count in a single dictionary update.
Values the store keeps aside (decimals, huge integers) are read as 0 in the
pass and added afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from antq_core._quantity import Number

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
        return Scan(
            sums=sums,
            series=series,
            picks=picks,
            ties=frozenset(ties),
            repeated=_repeated(plan) if plan.summed else False,
        )


def _group_sums(plan: Plan) -> dict[SumCell, tuple[Number, int]]:
    cols = plan.columns
    group, bucket = plan.subject_group, plan.period_bucket
    acc: dict[tuple[int, ...], int] = {}
    get = acc.get
    plain = not any(cols.disaggregation) and not any(cols.qualifier)
    if plain:
        # Every row is an exact total: the key needs no disaggregation or qualifier.
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
    aside: dict[tuple[int, ...], Number] = {}
    for i, value in cols.exact.items():
        m, g, b = cols.metric[i], group[cols.subject[i]], bucket[cols.period[i]]
        if plain:
            k = (m, g, b, cols.unit[i])
        else:
            k = (m, g, b, cols.disaggregation[i], cols.unit[i], cols.qualifier[i])
        aside[k] = aside.get(k, 0) + value
    wanted = plan.scans[ScanKind.GROUP_SUM]
    out: dict[SumCell, tuple[Number, int]] = {}
    for k, packed in acc.items():
        if k[0] not in wanted:
            continue
        total: Number = packed >> _SHIFT
        extra = aside.get(k)
        if extra is not None:
            total = _add(total, extra)
        cell = (k[0], k[1], k[2], 0, k[3], 0) if plain else k
        out[cell] = (total, packed & _COUNT)  # type: ignore[index]
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
    ranks: list[int] | tuple[int, ...] | object,
    picks: dict[PickCell, int],
    ties: set[PickCell],
) -> None:
    cols = plan.columns
    bucket = plan.period_bucket
    high = [r << _ROW_BITS for r in ranks]  # type: ignore[attr-defined]
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


def _repeated(plan: Plan) -> bool:
    cols = plan.columns
    keys = zip(cols.metric, cols.subject, cols.period, cols.disaggregation, strict=True)
    return len(set(keys)) != len(cols)


ENGINES.setdefault(PythonEngine.name, PythonEngine())
