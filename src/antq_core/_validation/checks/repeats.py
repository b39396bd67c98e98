"""Repeats: one figure recorded twice, with the same value (a duplicate) or not.

Reports that differ are judged by what they mean: each is an interval (exact: a
point; at least, at most: a ray; approximately: an estimate), after converting
units (m² and ha). They conflict only when the intervals cannot all hold; when
they can ("8.450 m2" and "hơn 0,8 ha"), it is the same figure reported twice,
approximately, and a warning at most.

A figure is a (metric, subject, period, disaggregation); the rows of each are
found by the engine :func:`~antq_core.validate` was given
(:attr:`Context.repeats <antq_core._validation.checks.context.Context.repeats>`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final

from antq_core._dataset.store import ObservationColumns
from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._validation.rules import row_bounds
from antq_core._values import exact
from antq_core.errors import Location

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "duplicate-observation",
        Severity.WARNING,
        "Số liệu {metric} của {subject} ({period}) được ghi {count} lần với cùng giá trị "
        "(dòng {rows}).",
        "Figure {metric} of {subject} ({period}) is recorded {count} times with the same "
        "value (rows {rows}).",
    ),
    IssueCode(
        "approximately-duplicate-observation",
        Severity.WARNING,
        "Số liệu {metric} của {subject} ({period}) được ghi {count} lần với các giá trị "
        "không mâu thuẫn nhau: {values} (dòng {rows}; nguồn {sources}): có lẽ là cùng một "
        "số liệu được báo cáo hai lần, một lần ước tính.",
        "Figure {metric} of {subject} ({period}) is recorded {count} times with values that "
        "can all hold: {values} (rows {rows}; sources {sources}): approximately the same "
        "figure reported twice.",
    ),
    IssueCode(
        "possibly-conflicting-observations",
        Severity.WARNING,
        "Số liệu {metric} của {subject} ({period}) có các giá trị khác nhau: {values} "
        "(dòng {rows}; nguồn {sources}); có số ước tính nên có thể không mâu thuẫn.",
        "Figure {metric} of {subject} ({period}) has different values: {values} "
        "(rows {rows}; sources {sources}); estimates are involved, so they may not conflict.",
    ),
    IssueCode(
        "conflicting-observations",
        Severity.ERROR,
        "Số liệu {metric} của {subject} ({period}) có các giá trị khác nhau: {values} "
        "(dòng {rows}; nguồn {sources}).",
        "Figure {metric} of {subject} ({period}) has different values: {values} "
        "(rows {rows}; sources {sources}).",
    ),
)
"""The codes this check emits."""

_MARKS: Final = {"exact": "", "at_least": "≥", "at_most": "≤", "approximately": "~"}


def check(context: Context) -> Iterator[Issue]:
    """Each group of rows of one figure: a duplicate if their values agree, else a conflict."""
    cols, period_text = context.cols, context.period_text
    for group in context.repeats.duplicates:
        first = group[0]
        base: dict[str, Any] = {
            "metric": cols.metrics[cols.metric[first]],
            "subject": str(cols.subjects[cols.subject[first]]),
            "period": period_text[cols.period[first]],
            "rows": tuple(str(r) for r in group),
            "count": len(group),
        }
        d = cols.disaggregations[cols.disaggregation[first]]
        if d:
            base["disaggregation"] = tuple(f"{k}={v}" for k, v in d.items())
        where = Location.observation(group[1], "value")
        if len({_value_key(cols, r) for r in group}) == 1:
            yield issue("duplicate-observation", where, **base)
            continue
        sources = tuple(str(cols.texts[cols.source[r]] or "-") for r in group)
        values = tuple(_value_text(cols, r) for r in group)
        code = _judged(cols, group, context.signed)
        yield issue(code, where, **base, values=values, sources=sources)


def _judged(cols: ObservationColumns, group: tuple[int, ...], signed: frozenset[int]) -> str:
    """The code for reports of one figure whose values differ: do their intervals meet?

    Each report is an interval, as rules read it (``rules.row_bounds``): "8.450 m2" is
    the point 8,450 m², "hơn 0,8 ha" is [8,000 m², ∞). The truth is one number, so
    the reports agree when every interval holds it: when they all meet. Reports in
    different dimensions never agree.
    """
    if len({cols.units[cols.unit[r]].dimension for r in group}) > 1:
        return "conflicting-observations"
    factors = [u.factor for u in cols.units]
    bounds = [row_bounds(cols, r, factors, signed) for r in group]
    if max(b.low for b in bounds) <= min(b.high for b in bounds):
        return "approximately-duplicate-observation"
    if any(b.approximate for b in bounds):
        return "possibly-conflicting-observations"
    return "conflicting-observations"


def _value_key(cols: ObservationColumns, row: int) -> tuple[Any, ...]:
    raw = cols.exact.get(row)
    value = cols.value[row] if raw is None else raw
    unit = cols.units[cols.unit[row]]
    return (Decimal(exact.multiply(value, unit.factor)), unit.dimension, cols.qualifier[row])


def _value_text(cols: ObservationColumns, row: int) -> str:
    raw = cols.exact.get(row)
    value = cols.value[row] if raw is None else raw
    mark = _MARKS[cols.qualifiers[cols.qualifier[row]].value]
    return f"{mark}{value} {cols.units[cols.unit[row]].code}"
