"""The reporting cycle above the dataset: completeness and timeliness of reports."""

from __future__ import annotations

from antq_core._cycle.completeness import CompletenessReport, UnitCompleteness, completeness

__all__ = ["CompletenessReport", "UnitCompleteness", "completeness"]
