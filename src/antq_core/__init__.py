"""antq_core: typed data of Vietnam's all-people movement to protect national security.

Phong trào toàn dân bảo vệ an ninh Tổ quốc (ANTQ): its models (mô hình), the
sites they run at, the mass organizations and their members, the people they
serve, and the figures they report, with the values, entities and dataset that
make those figures add up.

This package holds the core API, listed in ``__all__`` one group per layer.
The rest is public in topic modules, each with its own ``__all__``:

- :mod:`antq_core.errors`: every exception (all derive from :class:`AntqError`)
  and the located problems they carry;
- :mod:`antq_core.text`: Vietnamese text, numbers, quantities, dates and
  periods in words;
- :mod:`antq_core.io.tabular`, :mod:`antq_core.io.dhis2`,
  :mod:`antq_core.io.frames`, :mod:`antq_core.io.jsonschema`: adapters to
  other formats;
- :mod:`antq_core.report`: summaries for people;
- :mod:`antq_core.testing.strategies`: Hypothesis strategies.

Everything in a module whose name starts with ``_`` is private.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the same names, for type checkers and editors; at run time see _LAZY
    from antq_core._aggregate import (
        AggregateRow,
        AggregateTable,
        Excluded,
        ExclusionReason,
        SpaceSource,
        Unplaceable,
        aggregate,
        aggregate_parquet,
        aggregate_rollup,
    )
    from antq_core._aggregate.counts import (
        EntityCount,
        EntityCounts,
        KindCount,
        Reconciliation,
        Tolerance,
        Unplaced,
        count_entities,
        reconcile,
    )
    from antq_core._cycle import (
        CompletenessReport,
        GradeThresholds,
        ReportingRate,
        UnitCompleteness,
        completeness,
        grade_for,
    )
    from antq_core._dataset.catalog import (
        Catalog,
        builtin_catalog,
        bundled_gazetteer,
        bundled_group_sets,
        sample,
    )
    from antq_core._dataset.crosswalk import (
        Crosswalk,
        CrosswalkEntry,
        CrosswalkRelationship,
        CrosswalkSource,
        bundled_crosswalk,
    )
    from antq_core._dataset.dataset import Dataset
    from antq_core._dataset.document import DATASET_FORMAT_VERSION
    from antq_core._dataset.store import FigureAudit, ObservationColumns, ObservationStore
    from antq_core._dataset.summary import ImportConflict, ImportStrategy, ImportSummary
    from antq_core._entities import (
        AggregationType,
        CategoryOption,
        CoordinationAgreement,
        DatasetMetadata,
        DisaggregationCategory,
        FormMetric,
        Initiative,
        InitiativeTheme,
        MassOrganization,
        MetricDefinition,
        MetricKind,
        Observation,
        OrganizationKind,
        Participant,
        ParticipantRole,
        ReportingForm,
        Site,
        Source,
        Statement,
        Submission,
        SubmissionItem,
    )
    from antq_core._validation import (
        Bounds,
        Expression,
        Issue,
        MetricRef,
        MissingValueStrategy,
        RuleImportance,
        RuleOperator,
        Severity,
        SubmissionCheck,
        ValidationReport,
        ValidationRule,
        builtin_rules,
        check_submission,
        validate,
        validate_json,
    )
    from antq_core._values.geo import AdminLevel, AdminUnit, Gazetteer, GazetteerSource
    from antq_core._values.groups import UnitGroup, UnitGroupSet, read_group_sets
    from antq_core._values.period import DEFAULT_SEASON_START_MONTH, Period, PeriodKind
    from antq_core._values.quantity import Qualifier, Quantity, Unit
    from antq_core._values.refs import Disaggregation, SubjectKind, SubjectRef
    from antq_core.errors import AntqError

# `import antq_core` stays cheap: pydantic models, the aggregation engines and the
# validation rules load only when a program touches them. Keep in step with the
# TYPE_CHECKING imports above (tests/test_public_api.py checks both against __all__).
_LAZY: dict[str, str] = {
    "AggregateRow": "antq_core._aggregate",
    "AggregateTable": "antq_core._aggregate",
    "Excluded": "antq_core._aggregate",
    "ExclusionReason": "antq_core._aggregate",
    "SpaceSource": "antq_core._aggregate",
    "Unplaceable": "antq_core._aggregate",
    "aggregate": "antq_core._aggregate",
    "aggregate_parquet": "antq_core._aggregate",
    "aggregate_rollup": "antq_core._aggregate",
    "EntityCount": "antq_core._aggregate.counts",
    "EntityCounts": "antq_core._aggregate.counts",
    "KindCount": "antq_core._aggregate.counts",
    "Reconciliation": "antq_core._aggregate.counts",
    "Tolerance": "antq_core._aggregate.counts",
    "Unplaced": "antq_core._aggregate.counts",
    "count_entities": "antq_core._aggregate.counts",
    "reconcile": "antq_core._aggregate.counts",
    "CompletenessReport": "antq_core._cycle",
    "UnitCompleteness": "antq_core._cycle",
    "ReportingRate": "antq_core._cycle",
    "completeness": "antq_core._cycle",
    "GradeThresholds": "antq_core._cycle",
    "grade_for": "antq_core._cycle",
    "Catalog": "antq_core._dataset.catalog",
    "builtin_catalog": "antq_core._dataset.catalog",
    "bundled_gazetteer": "antq_core._dataset.catalog",
    "bundled_group_sets": "antq_core._dataset.catalog",
    "sample": "antq_core._dataset.catalog",
    "Crosswalk": "antq_core._dataset.crosswalk",
    "CrosswalkEntry": "antq_core._dataset.crosswalk",
    "CrosswalkRelationship": "antq_core._dataset.crosswalk",
    "CrosswalkSource": "antq_core._dataset.crosswalk",
    "bundled_crosswalk": "antq_core._dataset.crosswalk",
    "Dataset": "antq_core._dataset.dataset",
    "DATASET_FORMAT_VERSION": "antq_core._dataset.document",
    "FigureAudit": "antq_core._dataset.store",
    "ObservationColumns": "antq_core._dataset.store",
    "ObservationStore": "antq_core._dataset.store",
    "ImportConflict": "antq_core._dataset.summary",
    "ImportStrategy": "antq_core._dataset.summary",
    "ImportSummary": "antq_core._dataset.summary",
    "AggregationType": "antq_core._entities",
    "CategoryOption": "antq_core._entities",
    "CoordinationAgreement": "antq_core._entities",
    "DatasetMetadata": "antq_core._entities",
    "DisaggregationCategory": "antq_core._entities",
    "FormMetric": "antq_core._entities",
    "Initiative": "antq_core._entities",
    "InitiativeTheme": "antq_core._entities",
    "MassOrganization": "antq_core._entities",
    "MetricDefinition": "antq_core._entities",
    "MetricKind": "antq_core._entities",
    "Observation": "antq_core._entities",
    "OrganizationKind": "antq_core._entities",
    "Participant": "antq_core._entities",
    "ParticipantRole": "antq_core._entities",
    "ReportingForm": "antq_core._entities",
    "Site": "antq_core._entities",
    "Source": "antq_core._entities",
    "Statement": "antq_core._entities",
    "Submission": "antq_core._entities",
    "SubmissionItem": "antq_core._entities",
    "Bounds": "antq_core._validation",
    "Expression": "antq_core._validation",
    "Issue": "antq_core._validation",
    "MetricRef": "antq_core._validation",
    "MissingValueStrategy": "antq_core._validation",
    "RuleImportance": "antq_core._validation",
    "RuleOperator": "antq_core._validation",
    "Severity": "antq_core._validation",
    "SubmissionCheck": "antq_core._validation",
    "ValidationReport": "antq_core._validation",
    "ValidationRule": "antq_core._validation",
    "builtin_rules": "antq_core._validation",
    "check_submission": "antq_core._validation",
    "validate": "antq_core._validation",
    "validate_json": "antq_core._validation",
    "AdminLevel": "antq_core._values.geo",
    "AdminUnit": "antq_core._values.geo",
    "Gazetteer": "antq_core._values.geo",
    "GazetteerSource": "antq_core._values.geo",
    "UnitGroup": "antq_core._values.groups",
    "UnitGroupSet": "antq_core._values.groups",
    "read_group_sets": "antq_core._values.groups",
    "DEFAULT_SEASON_START_MONTH": "antq_core._values.period",
    "Period": "antq_core._values.period",
    "PeriodKind": "antq_core._values.period",
    "Qualifier": "antq_core._values.quantity",
    "Quantity": "antq_core._values.quantity",
    "Unit": "antq_core._values.quantity",
    "Disaggregation": "antq_core._values.refs",
    "SubjectKind": "antq_core._values.refs",
    "SubjectRef": "antq_core._values.refs",
    "AntqError": "antq_core.errors",
}

# Grouped by layer, lowest first, each group sorted; tests/test_public_api.py checks that
# every name of a group is imported from the layer its comment names.
__all__ = [  # noqa: RUF022 - grouped by layer, not one sorted list
    # values (antq_core._values): periods, quantities and units, references, geography.
    "DEFAULT_SEASON_START_MONTH",
    "AdminLevel",
    "AdminUnit",
    "Disaggregation",
    "Gazetteer",
    "GazetteerSource",
    "Period",
    "PeriodKind",
    "Qualifier",
    "Quantity",
    "SubjectKind",
    "SubjectRef",
    "Unit",
    "UnitGroup",
    "UnitGroupSet",
    "read_group_sets",
    # entities (antq_core._entities): the pydantic models of one body of data.
    "AggregationType",
    "CategoryOption",
    "CoordinationAgreement",
    "DatasetMetadata",
    "DisaggregationCategory",
    "FormMetric",
    "Initiative",
    "InitiativeTheme",
    "MassOrganization",
    "MetricDefinition",
    "MetricKind",
    "Observation",
    "OrganizationKind",
    "Participant",
    "ParticipantRole",
    "ReportingForm",
    "Site",
    "Source",
    "Statement",
    "Submission",
    "SubmissionItem",
    # dataset (antq_core._dataset): the container, its columns, bundled data, crosswalks.
    "DATASET_FORMAT_VERSION",
    "Catalog",
    "Crosswalk",
    "CrosswalkEntry",
    "CrosswalkRelationship",
    "CrosswalkSource",
    "Dataset",
    "FigureAudit",
    "ImportConflict",
    "ImportStrategy",
    "ImportSummary",
    "ObservationColumns",
    "ObservationStore",
    "builtin_catalog",
    "bundled_crosswalk",
    "bundled_gazetteer",
    "bundled_group_sets",
    "sample",
    # cycle (antq_core._cycle): completeness and timeliness of reports; grades.
    "CompletenessReport",
    "GradeThresholds",
    "ReportingRate",
    "UnitCompleteness",
    "completeness",
    "grade_for",
    # aggregation (antq_core._aggregate): roll-ups of figures and of registered entities.
    "AggregateRow",
    "AggregateTable",
    "EntityCount",
    "EntityCounts",
    "Excluded",
    "ExclusionReason",
    "KindCount",
    "Reconciliation",
    "SpaceSource",
    "Tolerance",
    "Unplaceable",
    "Unplaced",
    "aggregate",
    "aggregate_parquet",
    "aggregate_rollup",
    "count_entities",
    "reconcile",
    # validation (antq_core._validation): checks, rules and their report.
    "Bounds",
    "Expression",
    "Issue",
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
    # errors (antq_core.errors): the base of every exception; the rest live there.
    "AntqError",
    # the package itself.
    "__version__",
]

# Public submodules, reachable as attributes (``antq_core.errors.AntqError``) after a bare
# ``import antq_core``, as they were when the package imported everything eagerly.
_SUBMODULES = frozenset({"errors", "io", "report", "testing", "text"})


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use, then keep the name here."""
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"antq_core.{name}")
    elif name == "__version__":
        from importlib.metadata import version

        value = version("antq_core")
    else:
        msg = f"module 'antq_core' has no attribute {name!r}"
        raise AttributeError(msg)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
