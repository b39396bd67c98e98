"""Reporting forms: what they name (metrics, categories, units, groups) must exist."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "form-reference-unresolved",
        Severity.ERROR,
        "Biểu mẫu {form} tham chiếu tới {target_vi} '{target}' không có trong bộ dữ liệu.",
        "Form {form} refers to {target_en} '{target}', which the dataset does not have.",
    ),
    IssueCode(
        "form-category-not-allowed",
        Severity.ERROR,
        "Biểu mẫu {form} chia chỉ tiêu {metric} theo '{category}', "
        "nhưng chỉ tiêu không có phân tổ đó.",
        "Form {form} breaks metric {metric} down by '{category}', "
        "which the metric is not broken down by.",
    ),
)
"""The codes this check emits."""

_KINDS: Final = {
    "metric": ("chỉ tiêu", "metric"),
    "category": ("phân tổ", "category"),
    "admin_unit": ("đơn vị hành chính", "administrative unit"),
}


def _unresolved(context: Context, form: str, field: str, kind: str, target: str) -> Issue:
    vi, en = _KINDS[kind]
    where = context.at("forms", "form", form, field)
    return issue(
        "form-reference-unresolved",
        where,
        form=form,
        target=target,
        target_vi=vi,
        target_en=en,
    )


def check(context: Context) -> Iterator[Issue]:
    """Each form's metrics and their categories, and the units it assigns."""
    ds = context.dataset
    for form in ds.forms.values():
        for line in form.metrics:
            metric = ds.metrics.get(line.metric)
            if metric is None:
                yield _unresolved(context, form.id, "metrics", "metric", line.metric)
                continue
            for category in line.categories:
                if category not in ds.categories:
                    yield _unresolved(context, form.id, "metrics", "category", category)
                elif category not in metric.categories:
                    yield issue(
                        "form-category-not-allowed",
                        context.at("forms", "form", form.id, "metrics"),
                        form=form.id,
                        metric=metric.id,
                        category=category,
                    )
        for code in form.assigned_units:
            if code not in ds.gazetteer:
                yield _unresolved(context, form.id, "assigned_units", "admin_unit", code)
        under = form.assigned_under
        if under is not None and under not in ds.gazetteer:
            yield _unresolved(context, form.id, "assigned_under", "admin_unit", under)
