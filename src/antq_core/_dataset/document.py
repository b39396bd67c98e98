"""The native JSON document of a dataset (``antq-dataset``): its model, its rows, its checks.

:class:`DatasetDocument` is the document as pydantic reads it: the entities
whole, the gazetteer loosely (checked after, with located errors), the
observations as :class:`ObservationRow` dicts that
:func:`~antq_core._dataset.rows.append_rows` turns into columns. The functions
here parse a document and collect every problem in it, each with its JSON
path. :class:`~antq_core.Dataset` (one document in memory),
:mod:`~antq_core._dataset.stream` (a large file in chunks) and
:mod:`antq_core.io.jsonschema` (its published schema) share them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Final, Literal, NotRequired

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    with_config,
)
from typing_extensions import TypedDict

from antq_core._dataset.repeats import (
    members_written,
    plainly_unrepeated,
    repeated_key_problem,
    repeated_keys,
    rows_kept,
)
from antq_core._dataset.rows import Negative, append_rows, sign_problems
from antq_core._dataset.store import FigureAudit, ObservationStore, StoreBuilder
from antq_core._entities import (
    DatasetMetadata,
    DisaggregationCategory,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    Observation,
    Participant,
    ReportingForm,
    Site,
    Source,
)
from antq_core._util.inputs import encoding_problem, undecodable
from antq_core._util.progress import gc_paused
from antq_core._values.geo import Gazetteer, GazetteerDocument
from antq_core._values.patterns import AWARE_TIME, whole
from antq_core._values.schema import (
    JsonPattern,
    JsonSchemaOf,
    json_whole_number,
    problems_from,
)
from antq_core.errors import DatasetLoadError, Problem

__all__ = [
    "DATASET_FORMAT",
    "DATASET_FORMAT_VERSION",
    "DOCUMENT",
    "ENTITY_LISTS",
    "ROW",
    "ROWS",
    "DatasetDocument",
    "ObservationRow",
    "StoredObservation",
    "audit_fields",
    "check_document",
    "encoding_problems",
    "every_problem",
    "parse_json",
    "parse_python",
    "read_document",
    "repeat_problems",
    "signed_metrics",
    "sorted_by_row",
]

DATASET_FORMAT: Final = "antq-dataset"
"""The ``format`` of the dataset JSON document."""
DATASET_FORMAT_VERSION: Final = 1
"""Version of the ``antq-dataset`` JSON document this release reads and writes."""


@with_config(ConfigDict(extra="forbid", strict=True))
class ObservationRow(TypedDict):
    """One observation as the document writes it: the shape, which pydantic checks.

    :func:`~antq_core._dataset.rows.append_rows` checks the rest.
    """

    metric: str
    subject: str
    period: str
    unit: str
    value: Any  # int or decimal string; checked by append_rows so the error sits at .value
    qualifier: NotRequired[str]
    disaggregation: NotRequired[dict[str, str]]
    source: NotRequired[str | None]
    note: NotRequired[str | None]
    # Who stored the figure and when (FigureAudit); checked by append_rows, located.
    stored_by: NotRequired[str | None]
    created: NotRequired[str | None]
    last_updated: NotRequired[str | None]


class DatasetDocument(BaseModel):
    """An ``antq-dataset`` document as read, before its gazetteer and observations are checked."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["antq-dataset"]
    format_version: Annotated[Literal[1], BeforeValidator(json_whole_number)]
    metadata: DatasetMetadata
    # Both are read loosely here and checked later with located errors; their JSON
    # Schema is that of what they hold, so that the published schema is complete.
    gazetteer: Annotated[
        dict[str, Any], JsonSchemaOf(lambda: GazetteerDocument.__pydantic_core_schema__)
    ]
    sources: tuple[Source, ...] = ()
    themes: tuple[InitiativeTheme, ...] = ()
    categories: tuple[DisaggregationCategory, ...] = ()
    metrics: tuple[MetricDefinition, ...] = ()
    initiatives: tuple[Initiative, ...] = ()
    sites: tuple[Site, ...] = ()
    organizations: tuple[MassOrganization, ...] = ()
    participants: tuple[Participant, ...] = ()
    forms: tuple[ReportingForm, ...] = ()
    observations: Annotated[
        list[ObservationRow], JsonSchemaOf(lambda: _OBSERVATIONS.core_schema)
    ] = Field(default_factory=list)


class StoredObservation(Observation):
    """An observation row of the document: the figure, and who stored it and when.

    Only its JSON Schema is used (the published schema of ``observations``):
    the rows themselves are read as :class:`ObservationRow` and checked by
    :func:`~antq_core._dataset.rows.append_rows`. The three audit fields are
    those of :class:`~antq_core.FigureAudit`; a row has them all or none, but
    ``created`` may be left out (stored before any record was kept).
    """

    model_config = ConfigDict(title="StoredObservation")

    stored_by: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="Account of whoever stored the figure (DHIS2's storedBy)."
    )
    created: Annotated[dt.datetime, JsonPattern(whole(AWARE_TIME))] | None = Field(
        default=None,
        description="When the figure was first stored, with its time zone; none if not recorded.",
    )
    last_updated: Annotated[dt.datetime, JsonPattern(whole(AWARE_TIME))] | None = Field(
        default=None,
        description="When the figure was last changed, with its time zone; "
        "required with stored_by or created.",
    )


_OBSERVATIONS: Final = TypeAdapter(list[StoredObservation])


def _time_text(when: dt.datetime) -> str:
    """``when`` as the document writes it: in UTC, so that the same moment is the same text.

    (Two datasets are equal when their documents are; a store gives its times in UTC.)
    """
    return when.astimezone(dt.UTC).isoformat()


def audit_fields(audit: FigureAudit) -> dict[str, str]:
    """The fields of an observation row that say who stored it and when (the reader's inverse)."""
    fields = {} if audit.stored_by is None else {"stored_by": audit.stored_by}
    if audit.created is not None:
        fields["created"] = _time_text(audit.created)
    fields["last_updated"] = _time_text(audit.last_updated)
    return fields


DOCUMENT: Final = TypeAdapter(DatasetDocument)
"""Reads a whole document (``validate_json`` on bytes is the fast path)."""
ROW: Final = TypeAdapter(ObservationRow)
"""Reads one observation row."""
ROWS: Final = TypeAdapter(list[ObservationRow])
"""Reads a JSON array of observation rows (a batch of the chunked reader)."""
ENTITY_LISTS: Final = (
    "sources",
    "themes",
    "categories",
    "metrics",
    "initiatives",
    "sites",
    "organizations",
    "participants",
    "forms",
)
"""The document's lists of entities, each of which has ids."""


def parse_json(data: bytes | str, source: str) -> DatasetDocument:
    """The document in JSON ``data`` (a UTF-8 byte-order mark is skipped).

    Raises:
        DatasetLoadError: Not UTF-8, not JSON, or not a document; every problem is listed.
    """
    if isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif isinstance(data, str) and data.startswith("\ufeff"):
        data = data[1:]
    try:
        with gc_paused():  # a million row dicts, none in a cycle: see gc_paused
            doc = DOCUMENT.validate_json(data)
    except ValidationError as e:
        encoding = encoding_problems(data)
        if encoding:
            raise DatasetLoadError(source, encoding) from e
        try:
            raw = json.loads(data)
        except (ValueError, RecursionError):
            raise DatasetLoadError(source, problems_from(e)) from e
        problems = [*repeat_problems(data), *every_problem(raw, e, source)]
        raise DatasetLoadError(source, problems) from e
    if not _plainly_unrepeated(data, doc):
        repeats = repeat_problems(data)
        if repeats:
            try:
                read_document(doc, source)
            except DatasetLoadError as e:
                repeats.extend(e.problems)
            raise DatasetLoadError(source, repeats)
    return doc


def _plainly_unrepeated(data: bytes | str, doc: DatasetDocument) -> bool:
    """Whether counting shows no repeated key in ``data``, read as ``doc``; see ``repeats``.

    The head (all but the observations) is small: parsed again by :func:`json.loads`
    and counted; the rows are counted against what pydantic kept. ``False``
    means: look again, exactly.
    """
    text = data if isinstance(data, bytes) else data.encode()
    # The first "observations" names the top-level array when that array runs to the
    # last "]", just before the closing "}", with no "]" inside (rows hold no arrays).
    name = b'"observations":'
    found = text.find(name)
    if found < 0:
        return not repeated_keys(text)
    after = found + len(name)
    start = text.find(b"[", after)
    end = text.rfind(b"]")
    if (
        start < 0
        or text[after:start].strip()
        or end < start
        or text[end + 1 :].strip() != b"}"
        or text.find(b"]", start + 1, end) >= 0
    ):
        return not repeated_keys(text)
    if not plainly_unrepeated(text[:start] + b"[]" + text[end + 1 :]):
        return False
    return members_written(text, start, end + 1) == rows_kept(doc.observations)


def repeat_problems(data: bytes | str) -> list[Problem]:
    """A problem for each object of the JSON ``data`` that names a key more than once."""
    return [repeated_key_problem(path, name) for path, name in repeated_keys(data)]


def parse_python(data: object, source: str) -> DatasetDocument:
    """The document in ``data``, as :func:`json.loads` gives it.

    Raises:
        DatasetLoadError: Not a document; every problem is listed.
    """
    try:
        return DOCUMENT.validate_python(data)
    except ValidationError as e:
        raise DatasetLoadError(source, every_problem(data, e, source)) from e


def read_document(doc: DatasetDocument, source: str) -> tuple[Gazetteer, ObservationStore]:
    """The gazetteer and the observations of ``doc``, checked.

    Raises:
        DatasetLoadError: Some problem in the gazetteer, the ids or the observations;
            every one is listed.
    """
    problems: list[Problem] = []
    gazetteer = check_document(doc, source, problems)
    builder = StoreBuilder()
    negatives: list[Negative] = []
    with gc_paused():
        append_rows(builder, doc.observations, problems, negatives=negatives)
    problems.extend(sign_problems(negatives, signed_metrics(doc.metrics)))
    if problems:
        raise DatasetLoadError(source, sorted_by_row(problems))
    return gazetteer, builder.build()


def sorted_by_row(problems: list[Problem]) -> list[Problem]:
    """``problems`` with those of observations in row order (a sign problem found last)."""
    if not any(_in_observations(p) for p in problems):
        return problems
    rows = sorted(
        (p for p in problems if _in_observations(p)),
        key=lambda p: -1 if p.location.row is None else p.location.row,
    )
    return [p for p in problems if not _in_observations(p)] + rows


def _in_observations(problem: Problem) -> bool:
    return (problem.location.path or "").startswith("$.observations[")


def signed_metrics(metrics: Iterable[MetricDefinition]) -> set[str]:
    """Ids of the metrics declared ``signed``, whose values may be negative."""
    return {m.id for m in metrics if m.signed}


def encoding_problems(data: bytes | str) -> list[Problem]:
    """Say so when the bytes are not UTF-8: a file saved as UTF-16 or Windows-1258."""
    if not isinstance(data, bytes):
        return []
    found = encoding_problem(data[:64])
    if found is not None:
        return [found]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return [undecodable(e, data)]
    return []


def check_document(doc: DatasetDocument, source: str, problems: list[Problem]) -> Gazetteer:
    """Check what pydantic cannot: the gazetteer document and duplicate ids."""
    try:
        gazetteer = Gazetteer.from_dict(doc.gazetteer, source=source, path="$.gazetteer")
    except DatasetLoadError as e:
        problems.extend(e.problems)
        gazetteer = Gazetteer("invalid", [])
    for name in ENTITY_LISTS:
        problems.extend(_duplicate_ids(name, getattr(doc, name)))
    return gazetteer


_ENTITY_ADAPTERS: Final[dict[str, TypeAdapter[Any]]] = {
    name: TypeAdapter(DatasetDocument.model_fields[name].annotation or Any)
    for name in ENTITY_LISTS
}


def every_problem(raw: object, error: ValidationError, source: str) -> list[Problem]:
    """All problems of a document that pydantic rejected, not only pydantic's.

    pydantic stops at the shape: a document with one malformed observation
    would hide every other problem until it is fixed. This slow path, taken
    only when loading fails, checks the document without its observations,
    then each observation row on its own, then runs the row checks of
    :func:`~antq_core._dataset.rows.append_rows` on the rows that have the right shape.
    """
    rows = raw.get("observations", []) if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(rows, list):
        return problems_from(error)
    problems: list[Problem] = []
    shell = {**raw, "observations": []} | {name: [] for name in ENTITY_LISTS}
    try:
        doc = DOCUMENT.validate_python(shell)
    except ValidationError as e:
        problems.extend(problems_from(e))
    else:
        check_document(doc, source, problems)
    signed: set[str] = set()
    for name, adapter in _ENTITY_ADAPTERS.items():
        try:
            entities = adapter.validate_python(raw.get(name, []))
        except ValidationError as e:
            problems.extend(problems_from(e, f"$.{name}"))
        else:
            problems.extend(_duplicate_ids(name, entities))
            if name == "metrics":
                signed = signed_metrics(entities)
    shaped: list[ObservationRow] = []
    row_numbers: list[int] = []
    for i, row in enumerate(rows):
        try:
            shaped.append(ROW.validate_python(row))
        except ValidationError as e:
            problems.extend(problems_from(e, f"$.observations[{i}]"))
        else:
            row_numbers.append(i)
    negatives: list[Negative] = []
    found: list[Problem] = []
    append_rows(StoreBuilder(), shaped, found, row_numbers, negatives)
    found.extend(sign_problems(negatives, signed))
    problems.extend(sorted_by_row(found))
    # Python's json module and pydantic's parser disagree on a few inputs (lone
    # surrogates, for one): then pydantic's own account is the problem list.
    return problems or problems_from(error)


def _duplicate_ids(name: str, items: Sequence[BaseModel]) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for i, item in enumerate(items):
        key = getattr(item, "id")  # noqa: B009
        if key in first:
            at = f"$.{name}[{first[key]}]"
            problems.append(
                Problem.at(
                    f"$.{name}[{i}].id",
                    f"duplicate id (first at {at})",
                    f"Mã trùng (xuất hiện lần đầu tại {at})",
                    repr(key),
                )
            )
        else:
            first[key] = i
    return problems
