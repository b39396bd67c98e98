"""Parts and totals: the parts of a figure never add up to more than the figure.

A figure broken down by categories (a slice) is a part of every reported
figure that fixes some of its categories to the same options (see
:func:`_part_of`); the lowest bounds of the slices that break one figure down
by the same categories add up to a lowest bound of it. The common case is
decided in C (:func:`_parts_suspects`); only the (metric, subject, period)
keys that may be wrong are added up exactly, with bounds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import accumulate, combinations, compress, repeat
from operator import add, eq, gt, mul, ne, not_, rshift, sub
from typing import Any, Final, NamedTuple

from antq_core._dataset.keys import column_keys, low_shift, rows_with
from antq_core._dataset.overlap import KEY
from antq_core._dataset.store import ObservationColumns
from antq_core._validation.checks.context import Context
from antq_core._validation.expr import Bounds
from antq_core._validation.issues import Issue, IssueCode, Location, Severity, declare, issue
from antq_core._values import exact
from antq_core._values.quantity import Qualifier
from antq_core._values.refs import Disaggregation

__all__ = ["CODES", "MAX_CATEGORIES_EVERY_WHOLE", "check"]

CODES: Final = declare(
    IssueCode(
        "parts-exceed-total",
        Severity.ERROR,
        "Tổng các phần theo '{category}' của {metric} ({subject}, {period}) là {parts}, "
        "lớn hơn tổng số {total}.",
        "The parts by '{category}' of {metric} ({subject}, {period}) add to {parts}, "
        "more than the total {total}.",
    ),
    IssueCode(
        "parts-may-exceed-total",
        Severity.WARNING,
        "Tổng các phần theo '{category}' của {metric} ({subject}, {period}) là {parts}, "
        "có thể lớn hơn tổng số {total} (số ước tính).",
        "The parts by '{category}' of {metric} ({subject}, {period}) add to {parts}, "
        "which may be more than the total {total} (estimates).",
    ),
    IssueCode(
        "parts-exceed-subtotal",
        Severity.ERROR,
        "Tổng các phần theo '{category}' của {metric} ({subject}, {period}) trong nhóm "
        "{within} là {parts}, lớn hơn số {total} đã báo cáo cho chính nhóm đó.",
        "The parts by '{category}' of {metric} ({subject}, {period}) within {within} "
        "add to {parts}, more than the {total} reported for {within} itself.",
    ),
    IssueCode(
        "parts-may-exceed-subtotal",
        Severity.WARNING,
        "Tổng các phần theo '{category}' của {metric} ({subject}, {period}) trong nhóm "
        "{within} là {parts}, có thể lớn hơn số {total} đã báo cáo cho chính nhóm đó "
        "(số ước tính).",
        "The parts by '{category}' of {metric} ({subject}, {period}) within {within} "
        "add to {parts}, which may be more than the {total} reported for {within} itself "
        "(estimates).",
    ),
)
"""The codes this check emits."""


def check(context: Context) -> Iterator[Issue]:
    """Parts against each reported figure they break down (see :func:`_part_of`)."""
    cols = context.cols
    if len(cols.disaggregations) < 2:  # noqa: PLR2004 - only the empty one
        return
    breakdowns = _part_of(cols.disaggregations)
    suspects = _parts_suspects(cols, breakdowns)
    if not suspects:
        return
    wholes, category_set, category_sets = breakdowns
    found: dict[tuple[int, int, int], dict[int, list[int]]] = defaultdict(
        lambda: defaultdict(list)
    )
    metric, subject, period = cols.metric, cols.subject, cols.period
    disaggregation = cols.disaggregation
    for i in suspects:
        found[metric[i], subject[i], period[i]][disaggregation[i]].append(i)
    table = cols.disaggregations

    def order(group: tuple[int, int]) -> tuple[Any, ...]:
        whole, parts_set = group  # the total first, then slices; by fewer categories first
        categories = category_sets[parts_set]
        return (len(table[whole]), tuple(table[whole].items()), len(categories), categories)

    for key, slices in sorted(found.items()):
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for d in slices:
            for whole in wholes[d]:
                if whole in slices:
                    groups[whole, category_set[d]].append(d)
        for group in sorted(groups, key=order):
            whole, parts_set = group
            fixed = table[whole]
            varying = tuple(c for c in category_sets[parts_set] if c not in fixed)
            parts = {d: slices[d] for d in groups[group]}
            yield from _parts_within(cols, key, slices[whole], parts, fixed, varying)


def _parts_within(  # noqa: PLR0917 - the parts of one figure, worded
    cols: ObservationColumns,
    key: tuple[int, int, int],
    whole_rows: Sequence[int],
    parts: Mapping[int, Sequence[int]],
    fixed: Mapping[str, str],
    varying: Sequence[str],
) -> Iterator[Issue]:
    """Report the parts (rows by slice, one slice per option) if they exceed their whole."""
    factors = [u.factor for u in cols.units]
    dims = [u.dimension for u in cols.units]
    whole = _bounds_of(cols, whole_rows, factors)
    dimension = dims[cols.unit[whole_rows[0]]]
    # A part in another dimension than its whole is reported as unit-incompatible.
    options = [
        kept
        for rows in parts.values()
        if (kept := [i for i in rows if dims[cols.unit[i]] == dimension])
    ]
    bounds = [_bounds_of(cols, rs, factors) for rs in options]
    low = Decimal(exact.total(b.low for b in bounds))
    if low <= whole.high:
        return
    approximate = whole.approximate or any(b.approximate for b in bounds)
    rows = sorted(i for rs in options for i in rs)
    details: dict[str, Any] = {
        "metric": cols.metrics[key[0]],
        "subject": str(cols.subjects[key[1]]),
        "period": str(cols.periods[key[2]]),
        "category": " × ".join(varying),
    }
    if len(varying) > 1 or fixed:
        details["categories"] = tuple(varying)
    if fixed:
        details["within"] = tuple(f"{c}={o}" for c, o in fixed.items())
        code = "parts-may-exceed-subtotal" if approximate else "parts-exceed-subtotal"
    else:
        code = "parts-may-exceed-total" if approximate else "parts-exceed-total"
    yield issue(
        code,
        Location.observation(rows[0], "value"),
        **details,
        parts=low,
        total=whole.high,
        rows=tuple(str(r) for r in (*whole_rows, *rows)),
    )


MAX_CATEGORIES_EVERY_WHOLE: Final = 4
"""Parts by at most this many categories are compared with every figure that fixes some."""


class _Breakdowns(NamedTuple):
    """What :func:`_part_of` finds in the table of disaggregations, by code."""

    wholes: list[list[int]]
    """For each slice, the slices it is a part of (the total, code 0, first)."""
    category_set: list[int]
    """For each slice, the id of its set of categories (the total's is unused)."""
    categories: list[tuple[str, ...]]
    """For each id of a set of categories, the categories."""


def _part_of(disaggregations: Sequence[Disaggregation]) -> _Breakdowns:
    """Which figures each slice is a part of, and with which other parts it adds up.

    A slice (``{sex: female, organization_kind: mediation_team}``) is a part of
    every figure that fixes some of its categories to the same options (here
    the total, ``{sex: female}`` and ``{organization_kind: mediation_team}``),
    when such a figure is reported anywhere (it is in the table). Within one
    figure, slices by the same set of categories are disjoint: they differ in
    the option of at least one category the figure leaves free, and options of
    a category exclude each other. Their lowest bounds add up to a lowest
    bound of the figure. Slices by other sets of categories are never added
    to them: that would count some things twice.

    Slices by more than :data:`MAX_CATEGORIES_EVERY_WHOLE` categories (none in
    the catalog) are compared only with the total and the figures that fix all
    their categories but one, so the work stays linear in their categories.

    Parts add up with the slices of the same whole and the same set of categories.
    """
    code_of = {tuple(d.items()): code for code, d in enumerate(disaggregations)}
    set_ids: dict[tuple[str, ...], int] = {}
    wholes: list[list[int]] = [[]]  # the total is a part of nothing
    category_set = [0]
    for d in disaggregations[1:]:
        categories = tuple(d)
        category_set.append(set_ids.setdefault(categories, len(set_ids)))
        n = len(categories)
        sizes = range(n) if n <= MAX_CATEGORIES_EVERY_WHOLE else (0, n - 1)
        found = []
        for size in dict.fromkeys(sizes):
            for fixed in combinations(categories, size):
                whole = code_of.get(tuple((c, o) for c, o in d.items() if c in fixed))
                if whole is not None:
                    found.append(whole)
        wholes.append(found)
    return _Breakdowns(wholes, category_set, list(set_ids))


def _parts_suspects(cols: ObservationColumns, breakdowns: _Breakdowns) -> list[int]:
    """The rows of each (metric, subject, period) whose parts might exceed a whole.

    Decided in C for the common case, without a loop over rows in Python. Each
    part row is repeated once per figure it may be a part of (:func:`_part_of`:
    one for a slice by one category, three for a slice by two), and these
    memberships are grouped by (whole, set of categories). A (metric, subject,
    period) is left out when in each of its groups whose whole is reported
    the slices are reported once each, in the unit of the whole's last row (a
    unit of factor 1), and their values add up to at most that row's value.
    What :func:`check` finds then is silence too: it
    adds each slice's lowest bound (at most its value) and compares with the
    whole's highest bound (at least its last row's value). Values beyond 64
    bits are kept. Everything else is kept for the exact check: the rows of
    the keys kept, in order.
    """
    metric = cols.metric
    disaggregation, unit = cols.disaggregation, cols.unit
    n_slices = len(cols.disaggregations)
    everything = range(len(cols))
    part_rows = list(compress(everything, disaggregation))  # 0 is the total
    if not part_rows:
        return []
    # One integer per (metric, subject, period, slice); the slice in the low bits, so that
    # ``key - slice + whole`` is the key of the same (metric, subject, period)'s whole.
    every_key = column_keys(cols, *KEY)
    shift = low_shift(n_slices)
    part_slices = list(map(disaggregation.__getitem__, part_rows))
    bases = list(map(sub, map(every_key.__getitem__, part_rows), part_slices))
    member_rows, member_slices, member_wholes = _memberships(
        breakdowns.wholes, part_rows, part_slices, bases
    )
    needed = set(member_wholes)
    # Wholes are rows of the metrics that have parts: look only at those (found in C).
    with_parts = rows_with(metric, set(map(metric.__getitem__, part_rows)), len(cols.metrics))
    whole_rows = list(
        compress(with_parts, map(needed.__contains__, map(every_key.__getitem__, with_parts)))
    )
    whole_of = dict(zip(map(every_key.__getitem__, whole_rows), whole_rows, strict=True))
    reported = list(map(whole_of.__contains__, member_wholes))
    member_rows = list(compress(member_rows, reported))
    member_slices = list(compress(member_slices, reported))
    member_wholes = list(compress(member_wholes, reported))
    if not member_rows:
        return []
    suspect: set[int] = set()
    plain_unit = bytes(u.factor == 1 for u in cols.units)
    whole_units = list(map(unit.__getitem__, whole_of.values()))
    suspect.update(compress(whole_of, map(not_, map(plain_unit.__getitem__, whole_units))))
    n_rows = len(cols)
    suspect.update(every_key[i] - disaggregation[i] for i in cols.exact if i < n_rows)
    suspect.update(
        _groups_suspects(cols, breakdowns, (member_rows, member_slices, member_wholes), whole_of)
    )
    if not suspect:
        return []
    # From keys of wholes (or rows) to keys of (metric, subject, period), and their rows.
    keys = set(map(rshift, suspect, repeat(shift)))
    keys &= set(map(rshift, member_wholes, repeat(shift)))  # nothing to compare without
    kept = set(compress(part_rows, map(keys.__contains__, map(rshift, bases, repeat(shift)))))
    near = map(rshift, map(every_key.__getitem__, whole_rows), repeat(shift))
    kept.update(compress(whole_rows, map(keys.__contains__, near)))
    return sorted(kept)


def _memberships(
    wholes: Sequence[Sequence[int]],
    part_rows: Sequence[int],
    part_slices: Sequence[int],
    bases: Sequence[int],
) -> tuple[list[int], list[int], list[int]]:
    """Each part row once per slice it may be a part of: (rows, slices, keys of the wholes).

    ``bases`` are the rows' keys with the slice taken out; a whole's key is its base plus
    its slice's code. Built in C, one pass per rank of whole (three for slices by two
    categories).
    """
    member_rows: list[int] = []
    member_slices: list[int] = []
    member_wholes: list[int] = []
    positions = range(len(part_rows))
    for j in range(max(map(len, wholes))):
        has = bytes(len(w) > j for w in wholes)
        jth = [w[j] if len(w) > j else 0 for w in wholes]
        chosen = list(compress(positions, map(has.__getitem__, part_slices)))
        slices = list(map(part_slices.__getitem__, chosen))
        member_rows += map(part_rows.__getitem__, chosen)
        member_slices += slices
        member_wholes += map(add, map(bases.__getitem__, chosen), map(jth.__getitem__, slices))
    return member_rows, member_slices, member_wholes


def _groups_suspects(
    cols: ObservationColumns,
    breakdowns: _Breakdowns,
    members: tuple[Sequence[int], Sequence[int], Sequence[int]],
    whole_of: Mapping[int, int],
) -> set[int]:
    """Keys of the wholes whose parts are not settled in C (see :func:`_parts_suspects`).

    ``members`` are :func:`_memberships` whose whole is reported, and ``whole_of`` the
    last row of each whole by its key. They are sorted by (whole, set of categories,
    slice): a slice reported twice is kept, so is a part in another unit than its
    whole's last row, and so is a group whose values add to more than that row's value.
    """
    member_rows, member_slices, member_wholes = members
    unit, value = cols.unit, cols.value
    n_slices, n_sets = len(cols.disaggregations), len(breakdowns.categories)
    set_of = breakdowns.category_set
    groups = list(
        map(add, map(mul, member_wholes, repeat(n_sets)), map(set_of.__getitem__, member_slices))
    )
    slots = list(map(add, map(mul, groups, repeat(n_slices)), member_slices))
    order = sorted(range(len(member_rows)), key=slots.__getitem__)
    rows = list(map(member_rows.__getitem__, order))
    slots = list(map(slots.__getitem__, order))
    groups = list(map(groups.__getitem__, order))
    wholes = list(map(member_wholes.__getitem__, order))
    whole_unit = list(map(unit.__getitem__, map(whole_of.__getitem__, wholes)))
    suspect = set(compress(wholes, map(ne, map(unit.__getitem__, rows), whole_unit)))
    suspect.update(compress(wholes, map(eq, slots[1:], slots[:-1])))  # a slice twice
    running = list(accumulate(map(value.__getitem__, rows), initial=0))
    starts = [0, *compress(range(1, len(rows)), map(ne, groups[1:], groups[:-1]))]
    ends = [*starts[1:], len(rows)]
    sums = map(sub, map(running.__getitem__, ends), map(running.__getitem__, starts))
    group_wholes = list(map(wholes.__getitem__, starts))
    totals = map(value.__getitem__, map(whole_of.__getitem__, group_wholes))
    suspect.update(compress(group_wholes, map(gt, sums, totals)))
    return suspect


def _bounds_of(
    cols: ObservationColumns, rows: Sequence[int], factors: Sequence[Decimal]
) -> Bounds:
    """What the rows (reports of one figure) say of it, in base units: the hull of their bounds."""
    low, high, approximate = None, None, False
    for i in rows:
        raw = cols.exact.get(i)
        value = Decimal(
            exact.multiply(cols.value[i] if raw is None else raw, factors[cols.unit[i]])
        )
        q = cols.qualifiers[cols.qualifier[i]]
        lo = value if q is not Qualifier.AT_MOST else Decimal(0)
        hi = value if q is not Qualifier.AT_LEAST else Decimal("Infinity")
        approximate = approximate or q is Qualifier.APPROXIMATELY
        low = lo if low is None else min(low, lo)
        high = hi if high is None else max(high, hi)
    if low is None or high is None:  # pragma: no cover - rows is never empty
        return Bounds(Decimal(0), Decimal("Infinity"))
    return Bounds(low, high, approximate)
