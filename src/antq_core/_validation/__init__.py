"""Validation: structural, duplicate, double-counting, rule and text checks of a dataset.

Private package; the public names are exported from :mod:`antq_core`.
"""

from antq_core._validation.expr import Bounds, Expression, MetricRef
from antq_core._validation.issues import (
    CODES,
    Issue,
    IssueCode,
    Location,
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
from antq_core._validation.run import validate, validate_json

__all__ = [
    "CODES",
    "Bounds",
    "Expression",
    "Issue",
    "IssueCode",
    "Location",
    "MetricRef",
    "MissingValueStrategy",
    "RuleImportance",
    "RuleOperator",
    "Severity",
    "ValidationReport",
    "ValidationRule",
    "builtin_rules",
    "validate",
    "validate_json",
]
