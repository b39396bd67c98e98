"""antq_core: typed data of Vietnam's all-people movement to protect national security.

Phong trào toàn dân bảo vệ an ninh Tổ quốc (ANTQ): its models (mô hình), the
sites they run at, the mass organizations and their members, the people they
serve, and the figures they report, with the values, entities and dataset that
make those figures add up.

The public names are listed in ``__all__``; everything in a module whose name
starts with ``_`` is private.
"""

from importlib.metadata import version as _version

from antq_core._aggregate import AggregateRow, AggregateTable, Unplaceable, aggregate
from antq_core._catalog import Catalog, builtin_catalog, bundled_gazetteer, sample
from antq_core._dataset import DATASET_FORMAT_VERSION, Dataset, DuplicateIdError
from antq_core._entities import (
    AggregationType,
    CategoryOption,
    CoordinationAgreement,
    DatasetMetadata,
    DisaggregationCategory,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    MetricKind,
    Observation,
    OrganizationKind,
    Participant,
    ParticipantRole,
    Site,
    Source,
    Statement,
)
from antq_core._errors import (
    AmbiguousNameError,
    AntqError,
    DatasetLoadError,
    GazetteerCycleError,
    IncompatibleUnitsError,
    InvalidValueError,
    LoadProblem,
    MissingExtraError,
    OverlappingPeriodsError,
    PeriodError,
    QuantityError,
    QuantityParseError,
    UnknownAdminUnitError,
    UnknownUnitError,
    UnresolvedReferenceError,
)
from antq_core._geo import AdminLevel, AdminUnit, Gazetteer, GazetteerSource
from antq_core._period import DEFAULT_SEASON_START_MONTH, Period, PeriodKind
from antq_core._phrases import (
    Lang,
    format_date,
    format_number,
    format_period,
    format_quantity,
    parse_number,
    parse_quantity,
)
from antq_core._quantity import Qualifier, Quantity, Unit
from antq_core._refs import Disaggregation, SubjectKind, SubjectRef
from antq_core._store import ObservationColumns, ObservationStore
from antq_core._text import fold, nfc

__version__ = _version("antq_core")

__all__ = [
    "DATASET_FORMAT_VERSION",
    "DEFAULT_SEASON_START_MONTH",
    "AdminLevel",
    "AdminUnit",
    "AggregateRow",
    "AggregateTable",
    "AggregationType",
    "AmbiguousNameError",
    "AntqError",
    "Catalog",
    "CategoryOption",
    "CoordinationAgreement",
    "Dataset",
    "DatasetLoadError",
    "DatasetMetadata",
    "Disaggregation",
    "DisaggregationCategory",
    "DuplicateIdError",
    "Gazetteer",
    "GazetteerCycleError",
    "GazetteerSource",
    "IncompatibleUnitsError",
    "Initiative",
    "InitiativeTheme",
    "InvalidValueError",
    "Lang",
    "LoadProblem",
    "MassOrganization",
    "MetricDefinition",
    "MetricKind",
    "MissingExtraError",
    "Observation",
    "ObservationColumns",
    "ObservationStore",
    "OrganizationKind",
    "OverlappingPeriodsError",
    "Participant",
    "ParticipantRole",
    "Period",
    "PeriodError",
    "PeriodKind",
    "Qualifier",
    "Quantity",
    "QuantityError",
    "QuantityParseError",
    "Site",
    "Source",
    "Statement",
    "SubjectKind",
    "SubjectRef",
    "Unit",
    "UnknownAdminUnitError",
    "UnknownUnitError",
    "Unplaceable",
    "UnresolvedReferenceError",
    "__version__",
    "aggregate",
    "builtin_catalog",
    "bundled_gazetteer",
    "fold",
    "format_date",
    "format_number",
    "format_period",
    "format_quantity",
    "nfc",
    "parse_number",
    "parse_quantity",
    "sample",
]
