"""Rules: the validation rules (:class:`~antq_core.ValidationRule`) over the dataset's figures.

The rule language and its evaluation are :mod:`antq_core._validation.rules`;
this module runs them as a check and declares the codes of what they find. A
rule's importance sets the severity of a violation, so these codes may come
at more than their usual severity.
"""

from __future__ import annotations

from typing import Final

from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare
from antq_core._validation.rules import check_rules

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "rule-violated",
        Severity.ERROR,
        "Quy tắc '{rule_name}' không thỏa với {subject}, {period}: {comparison} "
        "(quy tắc: {left_text} {operator} {right_text}).",
        "Rule '{rule_name}' fails for {subject}, {period}: {comparison} "
        "(the rule: {left_text} {operator} {right_text}).",
        other_severities={Severity.WARNING, Severity.INFO},
    ),
    IssueCode(
        "rule-possibly-violated",
        Severity.WARNING,
        "Quy tắc '{rule_name}' có thể không thỏa với {subject}, {period} (có số ước tính): "
        "{comparison} (quy tắc: {left_text} {operator} {right_text}).",
        "Rule '{rule_name}' may fail for {subject}, {period} (estimates involved): "
        "{comparison} (the rule: {left_text} {operator} {right_text}).",
        other_severities={Severity.INFO},
    ),
    IssueCode(
        "rule-inconclusive",
        Severity.INFO,
        "Quy tắc '{rule_name}' chưa kết luận được với {subject}, {period}: các số liệu "
        "(cận trên, cận dưới) chưa đủ để kết luận ({left_text} = {left}, "
        "{right_text} = {right}).",
        "Rule '{rule_name}' cannot be decided for {subject}, {period}: the figures as "
        "reported (bounds) do not settle it ({left_text} = {left}, {right_text} = {right}).",
    ),
    IssueCode(
        "rule-unknown-reference",
        Severity.ERROR,
        "Quy tắc '{rule_name}' dùng {target_kind} '{target}' không có trong bộ dữ liệu.",
        "Rule '{rule_name}' uses {target_kind} '{target}', which the dataset does not have.",
    ),
    IssueCode(
        "rule-invalid",
        Severity.ERROR,
        "Quy tắc '{rule_name}' không dùng được: {reason}.",
        "Rule '{rule_name}' cannot be used: {reason}.",
    ),
)
"""The codes this check emits."""


def check(context: Context) -> list[Issue]:
    """Evaluate the caller's rules (the built-in ones if none were given).

    Records how many (rule, subject, period) evaluations ran in
    :attr:`Context.rules_evaluated
    <antq_core._validation.checks.context.Context.rules_evaluated>`.
    """
    issues, context.rules_evaluated = check_rules(
        context.dataset, context.cols, context.options.rules
    )
    return issues
