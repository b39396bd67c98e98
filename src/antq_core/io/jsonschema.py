"""JSON Schema (draft 2020-12) of the wire format, for front ends that build forms from it."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel

from antq_core._dataset.crosswalk import CrosswalkSource
from antq_core._dataset.document import DATASET_FORMAT, DATASET_FORMAT_VERSION, DOCUMENT
from antq_core._entities import (
    CategoryOption,
    CoordinationAgreement,
    DatasetMetadata,
    DisaggregationCategory,
    FormMetric,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    Observation,
    Participant,
    ReportingForm,
    Site,
    Source,
    Statement,
    Submission,
    SubmissionItem,
)
from antq_core._util.plaintext import tidy_descriptions
from antq_core._validation import ValidationRule
from antq_core._values.geo import AdminUnitRecord, GazetteerSource
from antq_core.errors import InvalidValueError
from antq_core.io.dhis2 import Dhis2Mapping, Dhis2OptionCombo

__all__ = ["JSON_SCHEMA_DIALECT", "SCHEMA_ENTITIES", "dataset_json_schema", "entity_json_schema"]

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The ``$schema`` every schema here declares: JSON Schema draft 2020-12."""

SENSITIVE_KEYWORD_COMMENT: Final = (
    '"x-sensitive": true marks personal data, an annotation that asserts nothing. Strict '
    "validators must be told of the keyword: in ajv, "
    'ajv.addKeyword({keyword: "x-sensitive", schemaType: "boolean"}).'
)

_TYPES: Final[dict[str, type[BaseModel]]] = {
    "AdminUnit": AdminUnitRecord,
    "CategoryOption": CategoryOption,
    "CoordinationAgreement": CoordinationAgreement,
    "CrosswalkSource": CrosswalkSource,
    "DatasetMetadata": DatasetMetadata,
    "Dhis2Mapping": Dhis2Mapping,
    "Dhis2OptionCombo": Dhis2OptionCombo,
    "DisaggregationCategory": DisaggregationCategory,
    "FormMetric": FormMetric,
    "GazetteerSource": GazetteerSource,
    "Initiative": Initiative,
    "InitiativeTheme": InitiativeTheme,
    "MassOrganization": MassOrganization,
    "MetricDefinition": MetricDefinition,
    "Observation": Observation,
    "Participant": Participant,
    "ReportingForm": ReportingForm,
    "Site": Site,
    "Source": Source,
    "Statement": Statement,
    "Submission": Submission,
    "SubmissionItem": SubmissionItem,
    "ValidationRule": ValidationRule,
}

SCHEMA_ENTITIES: Final = tuple(_TYPES)
"""Names that :func:`entity_json_schema` knows, in alphabetical order.

Every entity model, the administrative unit as a gazetteer file writes it, the
legal source a crosswalk cites, a validation rule, and the DHIS2 mapping file
(:class:`~antq_core.io.dhis2.Dhis2Mapping`) with its entries.
"""

# Docstrings become descriptions; a form shows them as help text, so only their
# first paragraph is kept, with Sphinx markup turned into plain text (the models'
# own schemas are made so already; this covers every other part).
_tidy = tidy_descriptions


def _published(schema: dict[str, Any], title: str, description: str | None) -> dict[str, Any]:
    tidy: dict[str, Any] = _tidy(schema)  # type: ignore[assignment]
    head: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$comment": SENSITIVE_KEYWORD_COMMENT,
        "title": title,
    }
    description = description if description is not None else tidy.get("description")
    if description is not None:
        head["description"] = description
    return head | {key: value for key, value in tidy.items() if key not in head}


def entity_json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one entity, as its JSON objects are written.

    Generated from the pydantic model, in validation mode (what a form may
    send), with ``$schema`` set and descriptions cut to their first
    paragraph. Personal fields carry ``"x-sensitive": true``, an annotation of
    ours: validators that refuse keywords they do not know (ajv's strict mode)
    must be told of it, ``ajv.addKeyword({keyword: "x-sensitive", schemaType:
    "boolean"})``, as the schema's ``$comment`` says. Patterns mean the same in
    ECMA-262 and Python's ``re`` (ASCII digits only, no final newline), and the
    calendar is in them: ``2017-02-30`` and ``2017W53`` do not match.

    >>> schema = entity_json_schema("Observation")
    >>> schema["required"]
    ['metric', 'subject', 'period', 'unit', 'value']
    >>> schema["$defs"]["Period"]["examples"][:2]
    ['2017', '2017Q3']

    Args:
        name: One of :data:`SCHEMA_ENTITIES` (``"Observation"``, ``"Site"``...),
            case-insensitive.

    Raises:
        InvalidValueError: ``name`` is not one of them.

    .. versionadded:: 0.1.0
    """
    wanted = {n.lower(): n for n in SCHEMA_ENTITIES}.get(str(name).lower())
    if wanted is None:
        reason = f"choose one of {', '.join(SCHEMA_ENTITIES)}"
        raise InvalidValueError("entity name", name, reason)
    return _published(_TYPES[wanted].model_json_schema(), wanted, None)


def dataset_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a whole ``antq-dataset`` document.

    The document that :meth:`Dataset.load <antq_core.Dataset.load>` reads and
    :meth:`Dataset.dump <antq_core.Dataset.dump>` writes: metadata, the
    gazetteer (its units and sources), every entity list and the observations,
    each typed as in :func:`entity_json_schema`.

    >>> schema = dataset_json_schema()
    >>> schema["properties"]["format"]["const"], sorted(schema["required"])
    ('antq-dataset', ['format', 'format_version', 'gazetteer', 'metadata'])

    .. versionadded:: 0.1.0
    """
    description = (
        f"A dataset of the ANTQ movement: format {DATASET_FORMAT!r} version "
        f"{DATASET_FORMAT_VERSION}, as antq_core reads and writes it."
    )
    return _published(DOCUMENT.json_schema(), "Dataset", description)
