"""Observations against their metric: units that convert, qualifiers it takes, valid values.

Each distinct (metric, unit) and (metric, qualifier) pair is checked once and
the rows of a bad pair are one issue; values are checked row by row only
where they can be wrong (negative, or stored apart as exact decimals).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final

from antq_core._entities import MetricKind
from antq_core._validation.checks.context import Context, rows_text
from antq_core._validation.issues import Issue, IssueCode, Location, Severity, declare, issue
from antq_core._values.quantity import Qualifier

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
    metric_of = context.metric_definitions
    bad_units: dict[tuple[int, int], dict[str, Any]] = {}
    for m, u in context.distinct_pairs("metric", "unit"):
        metric, unit = metric_of[m], cols.units[u]
        if metric is not None and not unit.compatible(metric.unit):
            bad_units[m, u] = {
                "metric": metric.id,
                "unit": unit.code,
                "metric_unit": metric.unit.code,
            }
    for pair, rows in sorted(context.pair_rows("metric", "unit", bad_units).items()):
        yield issue(
            "unit-incompatible",
            Location.observation(rows[0], "unit"),
            **bad_units[pair],
            rows=rows_text(rows),
            count=len(rows),
        )
    bad_qualifiers: dict[tuple[int, int], dict[str, Any]] = {}
    for m, q in context.distinct_pairs("metric", "qualifier"):
        metric, qualifier = metric_of[m], cols.qualifiers[q]
        if metric is None:
            continue
        reason = _qualifier_problem(metric.kind, qualifier)
        if reason is not None:
            bad_qualifiers[m, q] = {
                "metric": metric.id,
                "kind": metric.kind.value,
                "qualifier": qualifier.value,
                "reason": reason,
            }
    for pair, rows in sorted(context.pair_rows("metric", "qualifier", bad_qualifiers).items()):
        yield issue(
            "qualifier-not-allowed",
            Location.observation(rows[0], "qualifier"),
            **bad_qualifiers[pair],
            rows=rows_text(rows),
            count=len(rows),
        )


def _qualifier_problem(kind: MetricKind, qualifier: Qualifier) -> str | None:
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
    if min(cols.value) < 0:
        bad.extend(
            (i, "a reported amount cannot be negative") for i, v in enumerate(cols.value) if v < 0
        )
    for i, v in cols.exact.items():
        unit = cols.units[cols.unit[i]]
        if isinstance(v, Decimal) and not v.is_finite():
            bad.append((i, "not a finite number"))
        elif v < 0:
            bad.append((i, "a reported amount cannot be negative"))
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
