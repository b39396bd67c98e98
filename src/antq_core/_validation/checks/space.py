"""Double counting over space: a figure beside the figures of its own parts.

The same metric and disaggregation reported, for overlapping periods, for an
administrative unit and for what lies inside it (units under it, sites anchored
at it or under it), or for an initiative and for its own sites, must never be
added: the whole already holds its parts. Such a whole is compared with its
parts, each read as an interval (as the rules read qualifiers, see
:func:`~antq_core._validation.rules.row_bounds`):

- the parts' lowest bounds add up to more than the whole's highest bound: the
  whole cannot be smaller than its parts (``space-parts-exceed-whole``; a
  warning ``space-parts-may-exceed-whole`` when an estimate is involved);
- the parts' highest bounds add up to less than the whole's lowest bound: the
  parts may be incomplete (``space-parts-below-whole``, an info).

The parts of a whole are the *outermost* reporters inside it: a commune whose
district also reports is a part of the district, not a second time of the
province. A site is a part of the unit it is anchored at (the lowest unit that
holds all its units) and of every unit above; a unit is never taken as a part
of a site, since it holds more than the site's own work in it.

Flows (summed over time): a part's figure in the whole's period is the sum of
its figures for periods inside that period that do not overlap each other.
Stocks (last value over time): a part's figure is its last value inside the
whole's period, as aggregation takes it.

The work follows the data, not its square: the distinct (metric,
disaggregation, subject) triples are found in C and joined on the few
enclosing subjects of each (a unit's ancestors, a site's anchor and its
initiative); only the rows of triples that meet their whole are read.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import compress
from typing import Any, Final

from antq_core._entities import AggregationType, MetricDefinition
from antq_core._util.progress import gc_paused
from antq_core._validation.checks.context import MAX_ROWS_LISTED, Context, rows_text
from antq_core._validation.expr import INF
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values import exact
from antq_core._values.refs import SubjectKind
from antq_core.errors import (
    AntqError,
    GazetteerCycleError,
    InvalidValueError,
    Location,
    UnknownAdminUnitError,
)

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "space-parts-exceed-whole",
        Severity.ERROR,
        "Số liệu {metric} của {whole} ({period}) là {total} {unit}, nhỏ hơn tổng {parts} {unit} "
        "của {count} phần bên trong ({parts_list}; dòng {rows}): tổng số không thể nhỏ hơn "
        "các phần của nó, và không được cộng với chúng.",
        "Figure {metric} of {whole} ({period}) is {total} {unit}, less than the {parts} {unit} "
        "its {count} parts inside add to ({parts_list}; rows {rows}): a whole cannot be "
        "smaller than its parts, and must not be added to them.",
    ),
    IssueCode(
        "space-parts-may-exceed-whole",
        Severity.WARNING,
        "Số liệu {metric} của {whole} ({period}) là {total} {unit}, có thể nhỏ hơn tổng {parts} "
        "{unit} của {count} phần bên trong ({parts_list}; dòng {rows}; số ước tính); không "
        "được cộng tổng số với các phần của nó.",
        "Figure {metric} of {whole} ({period}) is {total} {unit}, which may be less than the "
        "{parts} {unit} its {count} parts inside add to ({parts_list}; rows {rows}; "
        "estimates); a whole must not be added to its parts.",
    ),
    IssueCode(
        "space-parts-below-whole",
        Severity.INFO,
        "Số liệu {metric} của {whole} ({period}) là {total} {unit}; {count} phần bên trong "
        "({parts_list}; dòng {rows}) cộng lại chỉ được {parts} {unit}: số của các phần có thể "
        "chưa đủ. Không được cộng tổng số với các phần của nó.",
        "Figure {metric} of {whole} ({period}) is {total} {unit}; its {count} parts inside "
        "({parts_list}; rows {rows}) add to only {parts} {unit}: the parts may be incomplete. "
        "A whole must not be added to its parts.",
    ),
)
"""The codes this check emits."""

_LAST: Final = frozenset({AggregationType.LAST, AggregationType.LAST_IN_PERIOD})


def _how(definition: MetricDefinition | None) -> str | None:
    """``"flow"`` or ``"stock"`` for a metric summed over space, else ``None`` (not compared)."""
    if definition is None or definition.space_aggregation is not AggregationType.SUM:
        return None
    if definition.time_aggregation is AggregationType.SUM:
        return "flow"
    if definition.time_aggregation in _LAST:
        return "stock"
    return None


def enclosing(context: Context) -> list[tuple[int, ...]]:
    """For each subject code of the columns, the codes of the subjects that hold it, nearest first.

    A unit is held by the units above it; a site by the unit it is anchored
    at and those above, and by its initiative. Only subjects that some row
    names are listed; subjects that cannot be placed (unknown units, a cycle,
    units with no common ancestor) hold and are held by nothing here: the
    reference, gazetteer and site checks report them.
    """
    ds, cols = context.dataset, context.cols
    gaz = ds.gazetteer
    code_of = {(s.kind, s.id): i for i, s in enumerate(cols.subjects)}
    found: list[tuple[int, ...]] = []
    for subject in cols.subjects:
        chain: tuple[str, ...] = ()
        extra: list[int] = []
        try:
            if subject.kind is SubjectKind.UNIT and subject.id in gaz:
                chain = gaz.lineage(subject.id)[1:]
            elif subject.kind is SubjectKind.SITE:
                site = ds.sites.get(subject.id)
                if site is not None:
                    chain = gaz.lineage(gaz.common_ancestor(site.admin_units).code)
                    held_by = code_of.get((SubjectKind.INITIATIVE, site.initiative))
                    if held_by is not None:
                        extra.append(held_by)
        except (UnknownAdminUnitError, GazetteerCycleError, InvalidValueError):
            chain = ()
        units = (code_of.get((SubjectKind.UNIT, c)) for c in chain)
        found.append((*(u for u in units if u is not None), *extra))
    return found


def check(context: Context) -> Iterator[Issue]:
    """Each whole against its outermost parts, for the metrics summed over space."""
    cols = context.cols
    if len(cols) == 0 or len(cols.subjects) < 2:  # noqa: PLR2004 - a whole and a part
        return
    how = [_how(d) for d in context.metric_definitions]
    if not any(how):
        return
    held = enclosing(context)
    if not any(held):
        return
    metric, disaggregation, subject = cols.metric, cols.disaggregation, cols.subject
    triples = set(zip(metric, disaggregation, subject, strict=True))  # in C
    involved: set[tuple[int, int, int]] = set()
    for m, d, s in triples:
        if how[m] is None:
            continue
        for p in held[s]:
            if (m, d, p) in triples:
                involved.add((m, d, s))
                involved.add((m, d, p))
    if not involved:
        return
    rows = list(
        compress(
            range(len(cols)),
            map(involved.__contains__, zip(metric, disaggregation, subject, strict=True)),
        )
    )
    by_series: dict[tuple[int, int], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i in rows:
        by_series[metric[i], disaggregation[i]][subject[i]].append(i)
    reader = _Reader(context)
    found: list[Issue] = []
    # The buckets are many small lists and dicts with no cycles: no collection walks them.
    with gc_paused(), decimal.localcontext(_EXACT):  # not across a yield
        for (m, d), by_subject in sorted(by_series.items()):
            found.extend(_series(reader, (m, d), by_subject, held, how[m] == "flow"))
    yield from found


def _series(
    reader: _Reader,
    series: tuple[int, int],
    by_subject: Mapping[int, list[int]],
    held: Sequence[tuple[int, ...]],
    flow: bool,
) -> Iterator[Issue]:
    """Wholes and parts of one (metric, disaggregation)."""
    cols = reader.cols
    periods, period = cols.periods, cols.period
    held_here = {p for s in by_subject for p in held[s] if p in by_subject}
    wholes: dict[int, dict[int, list[int]]] = {}  # subject -> period code -> rows
    for s in sorted(held_here):
        whole_rows: dict[int, list[int]] = defaultdict(list)
        for i in by_subject[s]:
            whole_rows[period[i]].append(i)
        wholes[s] = whole_rows
    # A part's rows, in each (whole, period of the whole) that holds them in space and time.
    # Wholes report few distinct sets of periods: which of them hold a period is found
    # once per (set of periods, period), not once per row.
    signature: dict[tuple[int, ...], int] = {}
    sig_of = {
        w: signature.setdefault(tuple(sorted(ps)), len(signature)) for w, ps in wholes.items()
    }
    containing: dict[tuple[int, int], list[int]] = {}
    inside: dict[tuple[int, int], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for s, rows in by_subject.items():
        holders = [w for w in held[s] if w in wholes]
        if not holders:
            continue
        per_period: dict[int, list[int]] = defaultdict(list)
        for i in rows:
            per_period[period[i]].append(i)
        # A period a nearer unit reports too: the part is not outermost in any unit above
        # (that nearer unit is a part there); left out now rather than filtered out below.
        nearer: set[int] = set()
        for w in holders:
            whole_periods, sig = wholes[w], sig_of[w]
            above = reader.is_unit[w]
            for q, same in per_period.items():
                if above and q in nearer:
                    continue
                found = containing.get((sig, q))
                if found is None:
                    within = periods[q]
                    found = [c for c in whole_periods if periods[c].contains(within)]
                    containing[sig, q] = found
                for c in found:
                    inside[w, c][s].extend(same)
            if above:
                nearer.update(q for q in per_period if q in whole_periods)
    for (w, c), parts in sorted(inside.items()):
        # The outermost parts: those no other part here holds.
        outer = {s: rs for s, rs in parts.items() if not any(h in parts for h in held[s])}
        yield from _compare(reader, series, (w, c), wholes[w][c], outer, flow)


_Bound = tuple[Any, Any, bool]
"""(low, high, approximate) of a figure in base units: ints, or decimals (∞ a decimal)."""

_EXACT: Final = decimal.Context(
    prec=120, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow]
)
"""Sums of values of at most 30 digits, over any number of rows, stay exact in it."""


class _Reader:
    """Each row's interval in base units, read once (ints where they can be: the common case)."""

    def __init__(self, context: Context) -> None:
        cols = self.cols = context.cols
        self.factors = [u.factor for u in cols.units]
        self.dims = [u.dimension for u in cols.units]
        self.qualifiers = [q.value for q in cols.qualifiers]
        self.is_unit = [subject.kind is SubjectKind.UNIT for subject in cols.subjects]
        self.signed = context.signed  # at most v reaches down to -∞, not to 0
        self.cache: dict[int, _Bound] = {}

    def bounds(self, i: int) -> _Bound:
        found = self.cache.get(i)
        if found is not None:
            return found
        cols = self.cols
        raw = cols.exact.get(i)
        value: Any = cols.value[i] if raw is None else raw
        factor = self.factors[cols.unit[i]]
        if factor != 1:
            value = exact.multiply(value, factor)
        q = self.qualifiers[cols.qualifier[i]]
        if q == "at_least":
            found = (value, INF, False)
        elif q == "at_most":
            found = (-INF if cols.metric[i] in self.signed else 0, value, False)
        else:
            found = (value, value, q == "approximately")
        self.cache[i] = found
        return found

    def hull(self, rows: Sequence[int]) -> _Bound:
        """Reports of one figure: the truth lies within the hull of their intervals."""
        if len(rows) == 1:
            return self.bounds(rows[0])
        found = [self.bounds(i) for i in rows]
        return (min(b[0] for b in found), max(b[1] for b in found), any(b[2] for b in found))


def _compare(  # noqa: PLR0917 - one whole and its parts, worded
    reader: _Reader,
    series: tuple[int, int],
    whole_key: tuple[int, int],
    whole_rows: Sequence[int],
    parts: Mapping[int, Sequence[int]],
    flow: bool,
) -> Iterator[Issue]:
    cols, dims = reader.cols, reader.dims
    unit_col = cols.unit
    dimension = dims[unit_col[whole_rows[0]]]
    w_low, w_high, w_approx = reader.hull(whole_rows)
    chosen: dict[int, list[int]] = {}
    lows: list[Any] = []
    highs: list[Any] = []
    approximate = w_approx
    for s, rows in parts.items():
        same = [i for i in rows if dims[unit_col[i]] == dimension]
        if not same:
            continue  # a part in another dimension: reported as a unit mismatch
        picked = _pick(cols, same, flow=flow)
        chosen[s] = [i for group in picked for i in group]
        for group in picked:
            low, high, approx = reader.hull(group)
            lows.append(low)
            highs.append(high)
            approximate = approximate or approx
    if not chosen:
        return
    parts_low, parts_high = sum(lows), sum(highs)
    if parts_low > w_high:
        code = "space-parts-may-exceed-whole" if approximate else "space-parts-exceed-whole"
        amounts = (parts_low, w_high)
    elif parts_high < w_low:
        code, amounts = "space-parts-below-whole", (parts_high, w_low)
    else:
        return
    unit = cols.units[unit_col[whole_rows[0]]]
    m, d = series
    w, c = whole_key
    names = [str(cols.subjects[s]) for s in sorted(chosen, key=lambda s: chosen[s][0])]
    listed = ", ".join(names[:MAX_ROWS_LISTED]) + (", ..." if len(names) > MAX_ROWS_LISTED else "")
    every_row = sorted({*whole_rows, *(i for rs in chosen.values() for i in rs)})
    details: dict[str, Any] = {
        "metric": cols.metrics[m],
        "whole": str(cols.subjects[w]),
        "period": str(cols.periods[c]),
        "unit_code": unit.code,
        "unit_vi": unit.name_vi,
        "unit_en": unit.plural_en,
        "parts": _in_unit(amounts[0], unit.factor),
        "total": _in_unit(amounts[1], unit.factor),
        "count": len(names),
        "subjects": tuple(names),
        "parts_list": listed,
        "rows": rows_text(every_row),
    }
    breakdown = cols.disaggregations[d]
    if breakdown:
        details["disaggregation"] = tuple(f"{k}={v}" for k, v in breakdown.items())
    yield issue(code, Location.observation(whole_rows[0], "value"), **details)


def _pick(cols: Any, rows: Sequence[int], *, flow: bool) -> list[list[int]]:
    """A part's rows that make its figure in the whole's period, grouped by period.

    Flow: periods that do not overlap each other (the longest first), so
    their sum is a figure of the part for the whole's period, or a part of it. Stock:
    the rows of the last period (latest end, then latest start).
    """
    if len(rows) == 1:
        return [list(rows)]
    periods, period = cols.periods, cols.period
    by_period: dict[int, list[int]] = defaultdict(list)
    for i in rows:
        by_period[period[i]].append(i)
    if len(by_period) == 1:
        return list(by_period.values())
    if not flow:
        last = max(by_period, key=lambda c: (periods[c].end, periods[c].start))
        return [by_period[last]]
    picked: list[list[int]] = []
    taken: list[int] = []
    for c in sorted(
        by_period, key=lambda c: (periods[c].start - periods[c].end, periods[c].start)
    ):
        if not any(periods[c].overlaps(periods[t]) for t in taken):
            picked.append(by_period[c])
            taken.append(c)
    return picked


def _in_unit(value: int | Decimal, factor: Decimal) -> int | Decimal:
    """A finite amount in base units, in the unit of ``factor``; in base units if not exact."""
    try:
        return exact.convert(value, Decimal(1), factor)
    except AntqError:  # pragma: no cover - a third of a unit of an odd factor
        return value
