"""Validation: structural, duplicate, double-counting, rule and text checks of a dataset.

Private package; the public names are exported from :mod:`antq_core`.
"""

from antq_core._validation.expr import Bounds, Expression, MetricRef
from antq_core._validation.issues import (
    CODES,
    Issue,
    IssueCode,
    Severity,
    ValidationReport,
)
from antq_core._validation.rules import (
    MissingValueStrategy,
    RuleImportance,
    RuleOperator,
    ValidationRule,
    builtin_rules,
)
from antq_core._validation.run import check_submission, validate, validate_json
from antq_core._validation.submission import SubmissionCheck

__all__ = [
    "CODES",
    "Bounds",
    "Expression",
    "Issue",
    "IssueCode",
    "MetricRef",
    "MissingValueStrategy",
    "RuleImportance",
    "RuleOperator",
    "Severity",
    "SubmissionCheck",
    "ValidationReport",
    "ValidationRule",
    "builtin_rules",
    "check_submission",
    "validate",
    "validate_json",
]
