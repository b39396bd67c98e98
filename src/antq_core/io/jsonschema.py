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
from antq_core._values.schema import PERSONAL_DATA_COMMENT
from antq_core.errors import InvalidValueError
from antq_core.io.dhis2 import Dhis2Mapping, Dhis2OptionCombo

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "PERSONAL_DATA_REF",
    "SCHEMA_ENTITIES",
    "dataset_json_schema",
    "entity_json_schema",
    "personal_data_paths",
]

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The ``$schema`` every schema here declares: JSON Schema draft 2020-12."""

PERSONAL_DATA_REF: Final = "#/$defs/PersonalData"
"""The ``$ref`` that marks a personal field in every published schema.

Each personal field (a participant's ``full_name``, ``identity_number`` and
``birth_date``) refers to the definition ``PersonalData``, which holds only a
title and a description: it accepts every value, so the reference changes
nothing a validator decides, and standard keywords alone say which fields are
personal. Strict validators (ajv's strict mode) accept it with no extra
keyword; :func:`personal_data_paths` lists the fields that carry it.
"""

_PERSONAL_DATA: Final[dict[str, Any]] = {
    "title": "Personal data",
    "description": (
        "Marks a field that holds personal data (dữ liệu cá nhân, Decree 13/2023/NĐ-CP): "
        "antq_core leaves it out of exports unless the caller asks for it and never shows "
        "its value in an error. A form should protect it. This definition accepts every "
        "value; the field's own keywords say what is valid."
    ),
}

_HEAD_COMMENT: Final = (
    f"Personal fields refer to {PERSONAL_DATA_REF} (annotation only: it accepts every value). "
    "Every keyword here is standard draft 2020-12; strict validators need no extra keyword."
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


def _mark_personal(node: object) -> bool:
    """Point every personal field of ``node`` at :data:`PERSONAL_DATA_REF`; whether one was."""
    found = False
    if isinstance(node, dict):
        if node.get("$comment") == PERSONAL_DATA_COMMENT:
            node["$ref"] = PERSONAL_DATA_REF
            found = True
        for value in node.values():
            found = _mark_personal(value) or found
    elif isinstance(node, list):
        for item in node:
            found = _mark_personal(item) or found
    return found


def _published(schema: dict[str, Any], title: str, description: str | None) -> dict[str, Any]:
    tidy: dict[str, Any] = _tidy(schema)  # type: ignore[assignment]
    if _mark_personal(tidy):
        tidy["$defs"] = {**tidy.get("$defs", {}), "PersonalData": dict(_PERSONAL_DATA)}
    head: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "$comment": _HEAD_COMMENT,
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
    paragraph. Personal fields refer to :data:`PERSONAL_DATA_REF`, an
    annotation-only definition (standard keywords only: ajv's strict mode
    accepts the schema as it is), and their descriptions say so. Patterns mean the same in
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


def personal_data_paths(schema: dict[str, Any]) -> list[str]:
    """JSON Pointers (RFC 6901) of the subschemas in ``schema`` that are personal fields.

    Those that refer to :data:`PERSONAL_DATA_REF`, in document order: what a
    client reads to find the fields it must protect, in any schema of this
    module.

    >>> personal_data_paths(entity_json_schema("Participant"))
    ['/properties/full_name', '/properties/identity_number', '/properties/birth_date']
    >>> personal_data_paths(dataset_json_schema())[0]
    '/$defs/Participant/properties/full_name'
    >>> personal_data_paths(entity_json_schema("Site"))
    []

    Args:
        schema: A schema as :func:`entity_json_schema` or
            :func:`dataset_json_schema` gives it (or as parsed from its JSON).

    .. versionadded:: 0.1.0
    """
    found: list[str] = []

    def walk(node: object, pointer: str) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == PERSONAL_DATA_REF:
                found.append(pointer)
            for key, value in node.items():
                walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{pointer}/{index}")

    walk(schema, "")
    return found
