"""The reporting cycle above the dataset: completeness and timeliness of reports."""

from __future__ import annotations

from antq_core._cycle.completeness import (
    CompletenessReport,
    ReportingRate,
    UnitCompleteness,
    completeness,
)
from antq_core._cycle.grades import GradeThresholds, grade_for

__all__ = [
    "CompletenessReport",
    "GradeThresholds",
    "ReportingRate",
    "UnitCompleteness",
    "completeness",
    "grade_for",
]
