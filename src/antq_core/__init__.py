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
- :mod:`antq_core.privacy`: keyed pseudonyms and small-cell suppression;
- :mod:`antq_core.testing.strategies`: Hypothesis strategies.

Everything in a module whose name starts with ``_`` is private.
"""

from importlib.metadata import version as _version

from antq_core._aggregate import (
    AggregateRow,
    AggregateTable,
    Excluded,
    ExclusionReason,
    SpaceSource,
    Unplaceable,
    aggregate,
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
from antq_core._cycle import CompletenessReport, UnitCompleteness, completeness
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

__version__ = _version("antq_core")

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
    # cycle (antq_core._cycle): completeness and timeliness of reports.
    "CompletenessReport",
    "UnitCompleteness",
    "completeness",
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
