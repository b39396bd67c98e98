"""One scan rolled up to several administrative levels, for :func:`aggregate_rollup`.

The scan of a :func:`._plan.scan_plan` keys its sum cells on how each subject
resolves (a code per distinct anchor, initiative and organization kind), not on
groups. Each level's cells are those cells with the resolution codes replaced
by the level's group codes (:func:`._plan.level_groups`), and cells that then
share a key added up: sums and counts add, so this is exact.

As the references do with grouping sets, the levels are rolled up one from
the next, deepest first: a level's cells are the cells of the level below
moved up by their group there (every unit of the level below lies in one unit
of this level), plus the scan's own cells of the subjects the level below
could not place (anchored above it), which may be placed here. So each level
adds up the cells of the level below, not every cell of the scan; and where no
two codes share a group (the deepest level, when each village is its own
anchor) the cells only have their codes replaced, with no group-by at all.

The cells that a Python finish reads (:attr:`Scan.sums`) are rolled up from
the scan's own, when first read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import attrs

from antq_core._aggregate.engine import LazyCells, Scan, SumCell
from antq_core._aggregate.plan import Plan
from antq_core._aggregate.store_facts import key_strides
from antq_core._util.extras import require
from antq_core._values.exact import add
from antq_core._values.quantity import Number

__all__ = ["fewer_pairs", "rolled_up", "rolled_up_levels"]

_KEYS: Final = ("metric", "group", "bucket", "disaggregation", "unit", "qualifier")
_INT64_MAX: Final = 2**63 - 1


def rolled_up(scan: Scan, groups: Sequence[int]) -> Scan:
    """``scan`` with its sum cells moved from resolution codes to one level's groups."""
    return rolled_up_levels(scan, [groups])[0]


def rolled_up_levels(scan: Scan, levels: Sequence[Sequence[int]]) -> list[Scan]:
    """``scan`` rolled up to each level of ``levels``, given deepest first.

    ``levels[i][c]`` is the group code of resolution code ``c`` at level
    ``i``. Each returned scan holds the same cells as :func:`rolled_up` of
    that level alone would.
    """
    frames = _frames(scan.sum_cells, levels)
    return [
        attrs.evolve(
            scan, sums=LazyCells(_builder(scan, groups)), sum_cells=frame, sum_cells_sorted=False
        )
        for groups, frame in zip(levels, frames, strict=True)
    ]


def fewer_pairs(scan: Scan, plan: Plan, first: Sequence[int]) -> Scan:
    """``scan`` with fewer reported (subject, period) pairs, telling every level the same.

    Each level's finish counts, per group and bucket, the expected units that
    reported nothing, from :attr:`Scan.reported_pairs`; it reads a pair only
    through the subject's group and reporting unit and the period's bucket.
    Subjects of one resolution code (``plan`` is the :func:`._plan.scan_plan`)
    have the same group and unit at every level, and periods of one bucket the
    same bucket, so each pair is replaced by the first subject of its code and
    the first period of its bucket, once for all the levels: at yearly buckets
    twelve monthly reports of a village become one pair.
    """
    pairs = scan.reported_pairs
    if pairs is None or pairs.height == 0:
        return scan
    pl = require("polars", "dataframe")
    subject = [first[c] if c >= 0 else s for s, c in enumerate(plan.subject_group)]
    first_of: dict[int, int] = {}
    period = [first_of.setdefault(b, p) if b >= 0 else p for p, b in enumerate(plan.period_bucket)]
    if subject == list(range(len(subject))) and period == list(range(len(period))):
        return scan  # nothing to merge
    schema = pairs.schema
    fewer = (
        pairs.lazy()
        .with_columns(
            subject=_gather(pl, subject, pl.col("subject")).cast(schema["subject"]),
            period=_gather(pl, period, pl.col("period")).cast(schema["period"]),
        )
        .unique()
        .collect()
    )
    return attrs.evolve(scan, reported_pairs=fewer)


def _builder(scan: Scan, groups: Sequence[int]) -> Any:
    def build() -> dict[SumCell, tuple[Number, int]]:
        sums: dict[SumCell, tuple[Number, int]] = {}
        for (m, c, b, d, u, q), (total, n) in scan.sums.items():
            key = (m, groups[c] if c >= 0 else c, b, d, u, q)
            found = sums.get(key)
            sums[key] = (total, n) if found is None else (add(found[0], total), found[1] + n)
        return sums

    return build


def _frames(cells: Any, levels: Sequence[Sequence[int]]) -> list[Any]:
    """The sum-cell frame of each level (``None`` each when the scan gave none)."""
    if cells is None:
        return [None] * len(levels)
    pl = require("polars", "dataframe")
    group = pl.col("group")
    # Cells the scan could place nowhere (negative codes) keep their code at every level.
    unresolved = cells.filter(group < 0) if cells.height and cells["group"].min() < 0 else None
    resolved = cells if unresolved is None else cells.filter(group >= 0)
    frames: list[Any] = []
    below: Sequence[int] | None = None
    for groups in levels:
        step = None if below is None else _up(below, groups)
        if step is None:
            # From the scan's cells: the deepest level, or levels that do not nest.
            moved = resolved.with_columns(group=_gather(pl, groups, group))
            parts = [moved] if unresolved is None else [moved, unresolved]
            # Unresolved cells keep negative codes: they never share a key with placed ones.
            merge = not _distinct(groups)
        else:
            up, pending = step
            # From the level below: its placed cells move up by their group there ...
            last = frames[-1]
            if last.height and last["group"].min() < 0:  # one column read, not a copy of all
                last = last.filter(group >= 0)
            parts = [last.with_columns(group=_gather(pl, up, group))]
            # ... and the cells it could not place (anchored above it) are placed anew.
            if pending:
                keep = pl.col("group").is_in(pending)
                parts.append(resolved.filter(keep).with_columns(group=_gather(pl, groups, group)))
            if unresolved is not None:
                parts.append(unresolved)
            merge = True
        frame = pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]
        frames.append(_added_up(pl, frame) if merge else frame)
        below = groups
    return frames


def _gather(pl: Any, table: Sequence[int], column: Any) -> Any:
    """``table[column]`` for every row (``column`` holds codes ``>= 0``)."""
    return pl.lit(pl.Series(list(table), dtype=pl.Int64)).gather(column)


def _distinct(groups: Sequence[int]) -> bool:
    """Whether no two codes share a group and every code is placed (nothing to add up)."""
    return min(groups, default=0) >= 0 and len(set(groups)) == len(groups)


def _up(below: Sequence[int], groups: Sequence[int]) -> tuple[list[int], list[int]] | None:
    """Per group code of the level below, its group here; and the codes it did not place.

    ``None`` if a group of the level below is not in one group of this level.
    """
    size = max(below, default=-1) + 1
    up = [0] * size
    seen = [False] * size
    pending: list[int] = []
    for c, (g, h) in enumerate(zip(below, groups, strict=True)):
        if g < 0:
            pending.append(c)
        elif not seen[g]:
            up[g], seen[g] = h, True
        elif up[g] != h:
            return None  # one group of the level below in two of this one
    return up, pending


def _added_up(pl: Any, frame: Any) -> Any:
    """The cells of ``frame`` that share a key added up (sums and counts)."""
    if frame.height == 0:
        return frame
    bounds = frame.select(
        *(pl.col(k).min().alias(f"{k}_low") for k in _KEYS),
        *(pl.col(k).max().alias(f"{k}_high") for k in _KEYS),
    ).row(0)
    lows = [int(x) for x in bounds[: len(_KEYS)]]
    sizes = [int(high) - low + 1 for low, high in zip(lows, bounds[len(_KEYS) :], strict=True)]
    aggs = (pl.col("sum").sum(), pl.col("count").sum())
    if math.prod(sizes) > _INT64_MAX:
        return frame.group_by(_KEYS).agg(*aggs).select(*_KEYS, "sum", "count")
    # One packed Int64 key (mixed radix): hashing one integer, not six columns. A
    # column with one value (often the unit, qualifier and disaggregation) is left
    # out of the key and put back as that value.
    strides = key_strides(sizes)
    varying = [size > 1 for size in sizes]
    key = pl.lit(0, dtype=pl.Int64)
    for name, low, stride, vary in zip(_KEYS, lows, strides, varying, strict=True):
        if vary:
            key = key + (pl.col(name).cast(pl.Int64) - low) * stride
    schema = frame.schema
    return (
        frame.lazy()
        .group_by(key.alias("_key"))
        .agg(*aggs)
        .select(
            *(
                (((pl.col("_key") // stride) % size + low) if vary else pl.lit(low))
                .cast(schema[name])
                .alias(name)
                for name, low, size, stride, vary in zip(
                    _KEYS, lows, sizes, strides, varying, strict=True
                )
            ),
            "sum",
            "count",
        )
        .collect()
    )
