"""Observations against their metric: units that convert, qualifiers it takes, valid values.

Each distinct (metric, unit) and (metric, qualifier) pair is checked once and
the rows of a bad pair are one issue; values are checked row by row only
where they can be wrong (negative, or stored apart as exact decimals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Final

from antq_core._entities import MetricDefinition, MetricKind
from antq_core._validation.checks.context import Context, rows_text
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.quantity import Qualifier
from antq_core.errors import Location

__all__ = ["CODES", "check_units", "check_values"]

CODES: Final = declare(
    IssueCode(
        "unit-incompatible",
        Severity.ERROR,
        "Số liệu {metric} tính bằng {unit}, không quy đổi được sang đơn vị của chỉ tiêu "
        "({metric_unit}).",
        "Figure {metric} is in {unit}, which does not convert to the metric's unit "
        "({metric_unit}).",
    ),
    IssueCode(
        "qualifier-not-allowed",
        Severity.ERROR,
        "Chỉ tiêu {metric} ({kind}) không nhận giá trị '{qualifier}': {reason}.",
        "Metric {metric} ({kind}) does not take '{qualifier}' values: {reason}.",
    ),
    IssueCode(
        "value-invalid",
        Severity.ERROR,
        "Giá trị {value} của {metric} không hợp lệ với đơn vị {unit}: {reason}.",
        "Value {value} of {metric} is not valid in {unit}: {reason}.",
    ),
)
"""The codes these checks emit."""


def check_units(context: Context) -> Iterator[Issue]:
    """Each observation's unit and qualifier against its metric's unit and kind."""
    cols = context.cols
    if not len(cols):
        return
    yield from _bad_pairs(context, "unit", "unit-incompatible", _unit_problem)
    yield from _bad_pairs(context, "qualifier", "qualifier-not-allowed", _qualifier_problem)


def _bad_pairs(
    context: Context,
    column: str,
    code: str,
    problem: Callable[[Context, MetricDefinition, int], dict[str, Any] | None],
) -> Iterator[Issue]:
    """One issue of ``code`` for the rows of each (metric, ``column``) pair with a problem.

    ``problem`` says what is wrong with a metric and a code of ``column``, as
    the issue's details, or ``None``; it is asked once per distinct pair.
    """
    metric_of = context.metric_definitions
    bad: dict[tuple[int, int], dict[str, Any]] = {}
    for m, c in context.distinct_pairs("metric", column):
        metric = metric_of[m]
        if metric is not None and (details := problem(context, metric, c)) is not None:
            bad[m, c] = details
    for pair, rows in sorted(context.pair_rows("metric", column, bad).items()):
        yield issue(
            code,
            Location.observation(rows[0], column),
            **bad[pair],
            rows=rows_text(rows),
            count=len(rows),
        )


def _unit_problem(context: Context, metric: MetricDefinition, code: int) -> dict[str, Any] | None:
    unit = context.cols.units[code]
    if unit.compatible(metric.unit):
        return None
    return {"metric": metric.id, "unit": unit.code, "metric_unit": metric.unit.code}


def _qualifier_problem(
    context: Context, metric: MetricDefinition, code: int
) -> dict[str, Any] | None:
    qualifier = context.cols.qualifiers[code]
    reason = _qualifier_reason(metric.kind, qualifier)
    if reason is None:
        return None
    return {
        "metric": metric.id,
        "kind": metric.kind.value,
        "qualifier": qualifier.value,
        "reason": reason,
    }


def _qualifier_reason(kind: MetricKind, qualifier: Qualifier) -> str | None:
    if kind is MetricKind.DISTINCT and qualifier is not Qualifier.EXACT:
        return "a count of distinct people is computed from records, so it is exact"
    if kind is MetricKind.RATIO and qualifier in (Qualifier.AT_LEAST, Qualifier.AT_MOST):
        return "a bound on a rate says nothing of its numerator and denominator"
    return None


def check_values(context: Context) -> Iterator[Issue]:
    """Values within what their unit allows (a dataset built in code may bypass loading)."""
    cols = context.cols
    if not len(cols):
        return
    bad: list[tuple[int, str]] = []
    signed = context.signed
    negative = "a reported amount cannot be negative (the metric is not declared signed)"
    if min(cols.value) < 0:
        bad.extend(
            (i, negative)
            for i, v in enumerate(cols.value)
            if v < 0 and cols.metric[i] not in signed
        )
    for i, v in cols.exact.items():
        unit = cols.units[cols.unit[i]]
        if isinstance(v, Decimal) and not v.is_finite():
            bad.append((i, "not a finite number"))
        elif v < 0 and cols.metric[i] not in signed:
            bad.append((i, negative))
        elif unit.whole and v != int(v):
            bad.append((i, "this unit counts whole things"))
    for i, reason in sorted(bad):
        raw = cols.exact.get(i)
        yield issue(
            "value-invalid",
            Location.observation(i, "value"),
            metric=cols.metrics[cols.metric[i]],
            value=str(cols.value[i] if raw is None else raw),
            unit=cols.units[cols.unit[i]].code,
            reason=reason,
        )
