"""Finishing: from an engine's cells to rows, following :mod:`._semantics`.

Shared by every engine. Its cost grows with the number of cells (groups ×
buckets, or series), not with the number of observations, except for two
extra passes over the rows that run only when needed: listing unplaceable
observations (when some exist) and finding overlapping or duplicate rows
(when the plan's periods or the engine say there may be some).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from antq_core._aggregate.engine import Scan
from antq_core._aggregate.plan import EXCLUDED, MetricPlan, Plan
from antq_core._aggregate.semantics import (
    ScanKind,
    combine_qualifiers,
    convert,
    divide,
    reverse,
)
from antq_core._aggregate.table import (
    AggregateRow,
    AggregateTable,
    Excluded,
    ExclusionReason,
    KeyValue,
    SpaceSource,
    Unplaceable,
)
from antq_core._dataset.overlap import duplicate_rows, overlapping_rows
from antq_core._dataset.store import ObservationColumns
from antq_core._entities import AggregationType, MetricDefinition
from antq_core._values import exact
from antq_core._values.quantity import Number, Qualifier, Quantity, Unit
from antq_core._values.refs import SubjectKind
from antq_core.errors import OverlappingPeriodsError

__all__ = [
    "Result",
    "excluded_lister",
    "finish",
    "finish_rows",
    "list_unplaceable",
    "refuse_overlaps",
    "row_keys",
    "signed_part",
]

_A = AggregationType
_QUALIFIERS: Final = tuple(Qualifier)
_RowKey = tuple[int, int, int]  # (row group, bucket, slice)

_NOT_PARTICIPANT: Final = (
    "a distinct count is counted from participant records (participant:ID), not from a"
    " reported total"
)


class _Group:
    """What the series (or cells) of one group and one metric add up to."""

    __slots__ = ("count", "people", "qualifiers", "undefined", "values")

    def __init__(self) -> None:
        self.values: list[Number] = []
        self.qualifiers: set[int] = set()
        self.count = 0
        self.undefined = False
        self.people = -1  # a distinct count the engine finished (-1: count ``values``)


class Result:
    """Per metric id, per row key: quantity (or None), contributing count, missing count."""

    def __init__(self) -> None:
        self.by_metric: dict[str, dict[_RowKey, tuple[Quantity | None, int, int]]] = {}
        self.unplaceable_metrics: set[int] = set()
        self.distinct_metrics: set[int] = set()
        self.not_at_end: set[tuple[int, int, int, int]] = set()  # pick cells left out


def finish(plan: Plan, scan: Scan, engine: str) -> AggregateTable:
    """Turn ``scan``'s cells into an :class:`AggregateTable` (see :mod:`._semantics`).

    Raises:
        OverlappingPeriodsError: Overlapping or duplicate observations would be summed,
            or ``last``/``first`` would have to choose between duplicates.
        IncompatibleUnitsError: An observation's unit cannot convert to its metric's.
    """
    refuse_overlaps(plan, scan)
    return finish_rows(plan, scan, engine)


def finish_rows(plan: Plan, scan: Scan, engine: str) -> AggregateTable:
    """:func:`finish` once overlaps are refused: the cells to rows, in Python."""
    result = Result()
    by_code = {p.code: p for p in plan.metrics.values() if p.code >= 0}
    groups: dict[int, dict[_RowKey, _Group]] = {code: {} for code in by_code}
    _from_sums(plan, scan, by_code, groups, result)
    _from_series(plan, scan, by_code, groups, result)
    _from_distinct(plan, scan, by_code, groups)
    _from_picks(plan, scan, by_code, groups, result)
    reported = _reported(plan, scan)
    for metric_id, mplan in plan.metrics.items():
        done = groups.get(mplan.code, {})
        result.by_metric[metric_id] = {
            key: (
                _space(mplan, g),
                g.count,
                len(plan.expected[key[0]] - reported.get((key[0], key[1]), _NOBODY)),
            )
            for key, g in done.items()
        }
    for ratio in plan.ratios:
        result.by_metric[ratio.id] = _ratio(ratio, result.by_metric)
    rows = _rows(plan, result)
    unplaceable = list_unplaceable(plan, result) if result.unplaceable_metrics else ()
    return AggregateTable(
        rows=rows,
        by=plan.by,
        engine=engine,
        unplaceable=unplaceable,
        list_excluded=excluded_lister(plan, scan, result),
    )


# -- cells to groups ----------------------------------------------------------

_NOBODY: Final[frozenset[str]] = frozenset()


def _reported(plan: Plan, scan: Scan) -> dict[tuple[int, int], set[str]]:
    """Per (group, bucket): the expected units under which something was reported."""
    group, child, bucket = plan.subject_group, plan.subject_child, plan.period_bucket
    # Subjects that resolve alike (the people of one village) land alike in
    # every plan: gather their periods once per dataset, then place them.
    memo = plan.memo.get("reported")
    if isinstance(memo, tuple) and memo[0] is scan.reported:
        by_resolution: dict[int, set[int]] = memo[1]
    else:
        by_resolution = defaultdict(set)
        resolution = plan.resolution
        for s, periods in scan.reported.items():
            by_resolution[resolution[s]].update(periods)
        plan.memo["reported"] = (scan.reported, by_resolution)
    periods_of: dict[tuple[int, str], set[int]] = defaultdict(set)
    first = plan.resolved_first
    for r, periods in by_resolution.items():
        s = first[r]
        g, c = group[s], child[s]
        if g < 0 or c is None:
            continue
        periods_of[g, c].update(periods)
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    for (g, c), periods in periods_of.items():
        for b in {bucket[p] for p in periods}:
            if b >= 0:
                found[g, b].add(c)
    return found


def _group(groups: dict[_RowKey, _Group], key: _RowKey) -> _Group:
    found = groups.get(key)
    if found is None:
        found = groups[key] = _Group()
    return found


def _placed(plan: Plan, result: Result, *, m: int, g: int, b: int, d: int) -> int | None:
    """The slice code if the cell is placed; record unplaceable cells."""
    sl = plan.slice_of[d]
    if EXCLUDED in (g, b, sl):
        return None
    if g < EXCLUDED or b < EXCLUDED or sl < EXCLUDED:
        result.unplaceable_metrics.add(m)
        return None
    return sl


def _from_sums(
    plan: Plan,
    scan: Scan,
    by_code: Mapping[int, MetricPlan],
    groups: dict[int, dict[_RowKey, _Group]],
    result: Result,
) -> None:
    wanted = plan.scans[ScanKind.GROUP_SUM]
    units = plan.columns.units
    for (m, g, b, d, u, q), (total, n) in scan.sums.items():
        if m not in wanted:
            continue
        sl = _placed(plan, result, m=m, g=g, b=b, d=d)
        if sl is None:
            continue
        group = _group(groups[m], (g, b, sl))
        group.values.append(convert(total, units[u], by_code[m].definition.unit))
        group.qualifiers.add(q)
        group.count += n


def _from_distinct(
    plan: Plan,
    scan: Scan,
    by_code: Mapping[int, MetricPlan],
    groups: dict[int, dict[_RowKey, _Group]],
) -> None:
    """The distinct counts an engine finished itself (see :attr:`Scan.counted`)."""
    wanted = plan.scans[ScanKind.SERIES] & scan.counted
    units = plan.columns.units
    for (m, g, b, sl), (people, n, qualifiers, used) in scan.distinct.items():
        if m not in wanted:
            continue
        target = by_code[m].definition.unit
        for u in used:
            convert(0, units[u], target)  # raises as the series path would
        group = _group(groups[m], (g, b, sl))
        group.people = people
        group.count += n
        group.qualifiers |= qualifiers


class _Series:
    __slots__ = ("count", "maximum", "minimum", "qualifiers", "total")

    def __init__(self) -> None:
        self.total: Number = 0
        self.count = 0
        self.minimum: Number | None = None
        self.maximum: Number | None = None
        self.qualifiers: set[int] = set()


def _from_series(
    plan: Plan,
    scan: Scan,
    by_code: Mapping[int, MetricPlan],
    groups: dict[int, dict[_RowKey, _Group]],
    result: Result,
) -> None:
    wanted = plan.scans[ScanKind.SERIES]
    cols = plan.columns
    series: dict[tuple[int, int, int, int], _Series] = {}
    for (m, s, b, d, u, q), (total, n, low, high) in scan.series.items():
        if m not in wanted:
            continue
        mplan = by_code[m]
        sl = _placed(plan, result, m=m, g=plan.subject_group[s], b=b, d=d)
        if sl is None:
            continue
        if mplan.time is _A.DISTINCT and cols.subjects[s].kind is not SubjectKind.PARTICIPANT:
            result.unplaceable_metrics.add(m)
            result.distinct_metrics.add(m)
            continue
        key = (m, s, b, sl)
        one = series.get(key)
        if one is None:
            one = series[key] = _Series()
        target = mplan.definition.unit
        if mplan.time is not _A.COUNT:
            unit = cols.units[u]
            one.total = exact.add(one.total, convert(total, unit, target), unit=target.code)
            small, big = convert(low, unit, target), convert(high, unit, target)
            one.minimum = small if one.minimum is None else min(one.minimum, small)
            one.maximum = big if one.maximum is None else max(one.maximum, big)
        one.count += n
        one.qualifiers.add(q)
    for (m, s, b, sl), one in series.items():
        group = _group(groups[m], (plan.subject_group[s], b, sl))
        group.count += one.count
        _add_series(by_code[m], group, one, s)


def _add_series(mplan: MetricPlan, group: _Group, one: _Series, subject: int) -> None:
    t = mplan.time
    if t is _A.DISTINCT:
        group.values.append(subject)  # distinct subjects are counted in _space
        group.qualifiers |= one.qualifiers
        return
    if t is _A.COUNT:
        group.values.append(one.count)
        return
    group.qualifiers |= one.qualifiers
    if t is _A.NONE and one.count != 1:
        group.undefined = True
        return
    if t is _A.AVERAGE:
        value, rounded = divide(one.total, one.count, whole=False)
        if rounded:
            group.qualifiers.add(_QUALIFIERS.index(Qualifier.APPROXIMATELY))
        group.values.append(value)
        return
    if t is _A.MIN:
        group.values.append(one.minimum)  # type: ignore[arg-type]
        return
    if t is _A.MAX:
        group.values.append(one.maximum)  # type: ignore[arg-type]
        return
    group.values.append(one.total)  # SUM over time, combined over space otherwise


def _from_picks(
    plan: Plan,
    scan: Scan,
    by_code: Mapping[int, MetricPlan],
    groups: dict[int, dict[_RowKey, _Group]],
    result: Result,
) -> None:
    cols = plan.columns
    wanted = plan.scans[ScanKind.LAST] | plan.scans[ScanKind.FIRST]
    periods, period_of, bucket_end = cols.periods, cols.period, plan.bucket_end
    subject_group, slice_of = plan.subject_group, plan.slice_of
    in_period = {m for m in wanted if by_code[m].time is _A.LAST_IN_PERIOD}
    chosen: dict[tuple[int, int, int, int], list[int]] = {}
    for (m, s, b, d), i in scan.picks.items():
        g, sl = subject_group[s], slice_of[d]
        if g < 0 or b < 0 or sl < 0:
            if m in wanted:
                _placed(plan, result, m=m, g=g, b=b, d=d)
            continue
        if m in in_period and periods[period_of[i]].end != bucket_end[b]:
            result.not_at_end.add((m, s, b, d))  # nothing in the group's last sub-period
            continue
        key = (m, g, b, sl)
        rows = chosen.get(key)
        if rows is None:
            chosen[key] = [i]
        else:
            rows.append(i)
    for (m, g, b, sl), rows in chosen.items():
        if m in wanted:
            group = groups[m][g, b, sl] = _Group()
            group.values = _values(cols, rows, by_code[m].definition.unit)
            group.qualifiers = set(map(cols.qualifier.__getitem__, rows))
            group.count = len(rows)


def _values(cols: ObservationColumns, rows: list[int], target: Unit) -> list[Number]:
    """The values of ``rows`` in ``target``, read column-wise when they need no conversion."""
    units = set(map(cols.unit.__getitem__, rows))
    exact = cols.exact
    if len(units) == 1 and cols.units[units.pop()] is target and exact.keys().isdisjoint(rows):
        return list(map(cols.value.__getitem__, rows))
    return [
        convert(exact[i] if i in exact else cols.value[i], cols.units[cols.unit[i]], target)
        for i in rows
    ]


# -- over space -----------------------------------------------------------------


def signed_part(mplan: MetricPlan) -> bool:
    """Whether a row of ``mplan`` holds a signed quantity (a change figure's sum, minimum...).

    Distinct counts and counts of series count things: never signed.
    """
    if mplan.time is _A.DISTINCT or mplan.space is _A.COUNT:
        return False
    return mplan.definition.signed


def _space(mplan: MetricPlan, group: _Group) -> Quantity | None:
    op, unit = mplan.space, mplan.unit
    signed = signed_part(mplan)  # a change figure: values and sums may be negative
    if group.undefined:
        return None
    values = group.values
    qualifier = combine_qualifiers(_QUALIFIERS[q] for q in group.qualifiers)
    if mplan.time is _A.DISTINCT:
        people = group.people if group.people >= 0 else len(set(values))
        return Quantity(people, unit, qualifier)
    if op is _A.COUNT:
        return Quantity(len(values), unit)
    if op is _A.NONE:
        if len(values) != 1:
            return None
        return Quantity(values[0], unit, qualifier, signed=signed)
    if op is _A.MIN:
        return Quantity(min(values), unit, qualifier, signed=signed)
    if op is _A.MAX:
        return Quantity(max(values), unit, qualifier, signed=signed)
    total = exact.tidy(exact.total(values, unit=unit.code))
    rounded = False
    if op is _A.AVERAGE:
        total, rounded = divide(total, len(values), whole=False)
    if unit.whole and total != int(total):
        total, rounded = divide(total, 1, whole=True)
    if rounded:
        qualifier = qualifier.combine(Qualifier.APPROXIMATELY)
    return Quantity(total, unit, qualifier, signed=signed)


def _ratio(
    ratio: MetricDefinition,
    done: Mapping[str, Mapping[_RowKey, tuple[Quantity | None, int, int]]],
) -> dict[_RowKey, tuple[Quantity | None, int, int]]:
    top = done[ratio.numerator or ""]
    bottom = done[ratio.denominator or ""]
    out: dict[_RowKey, tuple[Quantity | None, int, int]] = {}
    for key in top.keys() | bottom.keys():
        num, n_count, n_missing = top.get(key, (None, 0, 0))
        den, d_count, d_missing = bottom.get(key, (None, 0, n_missing))
        quantity = None
        if num is not None and den is not None and den.value != 0:
            den_value = den.value
            if den.unit.compatible(num.unit):
                den_value = convert(den.value, den.unit, num.unit)
            top_value = exact.multiply(ratio.factor, num.value, unit=num.unit.code)
            value, rounded = divide(top_value, den_value, whole=ratio.unit.whole)
            # A bound on the denominator bounds the ratio the other way, unless the
            # numerator (a change figure) is negative: -6 / (at least 3) is at least -2.
            den_qualifier = den.qualifier if num.value < 0 else reverse(den.qualifier)
            qualifier = num.qualifier.combine(den_qualifier)
            if rounded:
                qualifier = qualifier.combine(Qualifier.APPROXIMATELY)
            quantity = Quantity(value, ratio.unit, qualifier, signed=num.signed)
        out[key] = (quantity, n_count + d_count, d_missing)
    return out


# -- rows -------------------------------------------------------------------------


def row_keys(plan: Plan, key: _RowKey) -> dict[str, KeyValue]:
    row_group, b, sl = key
    values: dict[str, KeyValue] = dict(
        zip(plan.space_names, plan.row_groups[row_group], strict=True)
    )
    values.update(zip(plan.time_names, plan.buckets[b], strict=True))
    values.update(zip(plan.category_names, plan.slices[sl], strict=True))
    return {name: values[name] for name in plan.by}


def _rows(plan: Plan, result: Result) -> tuple[AggregateRow, ...]:
    rows: list[AggregateRow] = []
    covered = plan.covered
    for metric_id in plan.requested:
        done = result.by_metric[metric_id]
        keyed = [(row_keys(plan, key), key, value) for key, value in done.items()]
        keyed.sort(key=lambda item: tuple(item[0].values()))
        codes = _codes_of(plan, metric_id) if covered else ()
        for keys, (g, b, sl), (quantity, count, missing) in keyed:
            source = SpaceSource.SUMMED
            if any((m, g, b, sl) in covered for m in codes):
                source = SpaceSource.REPORTED
            rows.append(AggregateRow(keys, metric_id, quantity, count, missing, source))
    return tuple(rows)


def _codes_of(plan: Plan, metric_id: str) -> tuple[int, ...]:
    """The metric codes a row of ``metric_id`` is made of (a ratio: its parts')."""
    found = plan.metrics.get(metric_id)
    if found is not None:
        return (found.code,)
    ratio = next(r for r in plan.ratios if r.id == metric_id)
    return tuple(
        plan.metrics[part].code
        for part in (ratio.numerator, ratio.denominator)
        if part is not None and part in plan.metrics
    )


def list_unplaceable(plan: Plan, result: Result) -> tuple[Unplaceable, ...]:
    cols = plan.columns
    metrics = result.unplaceable_metrics
    distinct = result.distinct_metrics
    found: list[Unplaceable] = []
    group, bucket, slice_of = plan.subject_group, plan.period_bucket, plan.slice_of
    for i, (m, s, p, d) in enumerate(
        zip(cols.metric, cols.subject, cols.period, plan.disaggregation, strict=True)
    ):
        if m not in metrics:
            continue
        g, b, sl = group[s], bucket[p], slice_of[d]
        if EXCLUDED in (g, b, sl):
            continue
        if g < EXCLUDED:
            reason = plan.reason(g)
        elif b < EXCLUDED:
            reason = plan.reason(b)
        elif sl < EXCLUDED:
            if plan.exclusion(sl) is not None:
                continue  # listed in the table's ``excluded``
            reason = plan.reason(sl)
        elif m in distinct and cols.subjects[s].kind is not SubjectKind.PARTICIPANT:
            reason = _NOT_PARTICIPANT
        else:
            continue
        found.append(Unplaceable(i, cols.metrics[m], cols.subjects[s], cols.periods[p], reason))
    return tuple(found)


# -- overlaps -----------------------------------------------------------------------


def _counted(plan: Plan, rows: Sequence[int]) -> list[int]:
    """The rows that a sum would use (placed, in a bucket, in the slice)."""
    cols = plan.columns
    return [
        i
        for i in rows
        if plan.subject_group[cols.subject[i]] >= 0
        and plan.period_bucket[cols.period[i]] >= 0
        and plan.slice_of[plan.disaggregation[i]] >= 0
    ]


def excluded_lister(plan: Plan, scan: Scan, result: Result) -> Callable[[], tuple[Excluded, ...]]:
    """What lists the table's excluded observations when first asked (a pass over the rows)."""
    not_at_end = frozenset(result.not_at_end)

    def run() -> tuple[Excluded, ...]:
        cols = plan.columns
        wanted = {p.code: p for p in plan.metrics.values() if p.code >= 0}
        picking = {m for m, p in wanted.items() if p.scan in (ScanKind.LAST, ScanKind.FIRST)}
        group, bucket, slice_of = plan.subject_group, plan.period_bucket, plan.slice_of
        picks = scan.picks
        found: list[Excluded] = []

        def add(i: int, code: ExclusionReason, reason: str) -> None:
            found.append(
                Excluded(
                    row=i,
                    metric=cols.metrics[cols.metric[i]],
                    subject=cols.subjects[cols.subject[i]],
                    period=cols.periods[cols.period[i]],
                    disaggregation=cols.disaggregations[cols.disaggregation[i]],
                    code=code,
                    reason=reason,
                )
            )

        for i, (m, s, p, d) in enumerate(
            zip(cols.metric, cols.subject, cols.period, plan.disaggregation, strict=True)
        ):
            if m not in wanted:
                continue
            g, b, sl = group[s], bucket[p], slice_of[d]
            if g < 0 or b < 0:
                continue  # outside the filters, or unplaceable (listed there)
            if sl < 0:
                kind = plan.exclusion(sl)
                if kind is not None:
                    add(i, kind, plan.reason(sl))
                continue
            if m in picking:
                key = (m, s, b, d)
                if key in not_at_end:
                    add(i, ExclusionReason.NOT_AT_PERIOD_END, _NOT_AT_END)
                elif picks.get(key) != i:
                    which = "latest" if wanted[m].scan is ScanKind.LAST else "earliest"
                    add(i, ExclusionReason.SUPERSEDED, f"the group takes the {which} value")
        return tuple(found)

    return run


_NOT_AT_END: Final = (
    "the series' latest value does not end with the group's period (last_in_period)"
)


def _may_overlap(plan: Plan) -> bool:
    """Whether two different periods of the store overlap and share a bucket."""
    by_bucket: dict[int, list[int]] = defaultdict(list)
    for p, b in enumerate(plan.period_bucket):
        if b >= 0:
            by_bucket[b].append(p)
    periods = plan.columns.periods
    for codes in by_bucket.values():
        ordered = sorted((periods[p] for p in codes), key=lambda x: (x.start, x.end))
        end = None
        for x in ordered:
            if end is not None and x.start <= end:
                return True
            end = x.end if end is None else max(end, x.end)
    return False


def refuse_overlaps(plan: Plan, scan: Scan) -> None:
    cols = plan.columns
    summed_ids = {cols.metrics[m] for m in plan.summed}
    problems: dict[str, list[tuple[int, ...]]] = defaultdict(list)
    if summed_ids and _may_overlap(plan):
        for rows in overlapping_rows(plan.store, summed_ids):
            by_bucket: dict[int, list[int]] = defaultdict(list)
            for i in _counted(plan, rows):
                by_bucket[plan.period_bucket[cols.period[i]]].append(i)
            for same in by_bucket.values():
                if _overlap_inside(plan, same):
                    problems[cols.metrics[cols.metric[same[0]]]].append(tuple(same))
    if summed_ids and plan.projected and _may_overlap(plan):
        _projected_overlaps(plan, problems)
    if summed_ids and scan.repeated:
        for rows in duplicate_rows(plan.store, summed_ids):
            counted = _counted(plan, rows)
            if len(counted) > 1:
                problems[cols.metrics[cols.metric[counted[0]]]].append(tuple(counted))
    if scan.ties:
        _check_ties(plan, scan, problems)
    for metric_id, groups in problems.items():
        groups.sort()
        raise OverlappingPeriodsError(
            metric_id,
            groups,
            [[str(cols.periods[cols.period[i]]) for i in g] for g in groups],
        )


def _projected_overlaps(plan: Plan, problems: dict[str, list[tuple[int, ...]]]) -> None:
    """Overlapping periods across breakdowns: a year's total and its first quarter's parts.

    Parts used in place of a figure's undivided value (see :mod:`._plan`) land
    in the slice of that value: a total of 2024 and parts of 2024Q1 would be
    added in one group. Looked for only when the store has parts and two of
    its periods overlap in one bucket (one pass over the summed rows).
    """
    cols = plan.columns
    group, bucket, slice_of = plan.subject_group, plan.period_bucket, plan.slice_of
    summed = plan.summed
    cells: dict[tuple[int, int, int, int], list[int]] = defaultdict(list)
    for i, (m, s, p, d) in enumerate(
        zip(cols.metric, cols.subject, cols.period, plan.disaggregation, strict=True)
    ):
        if m in summed and group[s] >= 0 and bucket[p] >= 0 and slice_of[d] >= 0:
            cells[m, s, bucket[p], slice_of[d]].append(i)
    raw = cols.disaggregation
    for rows in cells.values():
        if len({raw[i] for i in rows}) > 1 and _overlap_inside(plan, rows):
            problems[cols.metrics[cols.metric[rows[0]]]].append(tuple(rows))


def _overlap_inside(plan: Plan, rows: Sequence[int]) -> bool:
    periods = [plan.columns.periods[plan.columns.period[i]] for i in rows]
    return any(a != b and a.overlaps(b) for n, a in enumerate(periods) for b in periods[n + 1 :])


def _check_ties(plan: Plan, scan: Scan, problems: dict[str, list[tuple[int, ...]]]) -> None:
    cols = plan.columns
    wanted = {cols.metrics[k[0]] for k in scan.ties}
    ties = scan.ties
    for rows in duplicate_rows(plan.store, wanted):
        i = rows[0]
        key = (
            cols.metric[i],
            cols.subject[i],
            plan.period_bucket[cols.period[i]],
            plan.disaggregation[i],
        )
        if key not in ties or scan.picks.get(key) not in rows:
            continue
        seen = {(cols.exact.get(j, cols.value[j]), cols.unit[j], cols.qualifier[j]) for j in rows}
        counted = _counted(plan, rows)
        if len(seen) > 1 and counted:
            problems[cols.metrics[cols.metric[i]]].append(tuple(rows))
