"""DHIS2 dataValueSets: observations out to DHIS2's aggregate data format, and back in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self

import attrs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from antq_core._dataset.dataset import Dataset
from antq_core._dataset.store import ObservationStore
from antq_core._entities import EntityId, Observation
from antq_core._values.period import Period, PeriodKind
from antq_core._values.quantity import Qualifier, Unit, dump_value
from antq_core._values.refs import EMPTY_DISAGGREGATION, Disaggregation, SubjectKind, SubjectRef
from antq_core._values.schema import Date, problems_from
from antq_core.errors import AntqError, Dhis2MappingError, LoadProblem, PeriodError, safe_repr

__all__ = [
    "DHIS2_UID_PATTERN",
    "Dhis2Conflict",
    "Dhis2Export",
    "Dhis2Import",
    "Dhis2ImportCount",
    "Dhis2Mapping",
    "Dhis2OptionCombo",
    "Dhis2Skipped",
    "dhis2_period",
    "from_dhis2_data_value_set",
    "period_from_dhis2",
    "to_dhis2_data_value_set",
]

DHIS2_UID_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9]{10}$"
"""The form of a DHIS2 identifier (UID), eleven letters and digits, the first a letter."""

Uid = Annotated[str, StringConstraints(pattern=DHIS2_UID_PATTERN)]


class Dhis2OptionCombo(BaseModel):
    """One disaggregation and the DHIS2 category option combo that stands for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    disaggregation: Disaggregation = Field(
        description="Category id → option id; empty for the total (DHIS2's default combo)."
    )
    category_option_combo: Uid = Field(description="UID of the categoryOptionCombo.")


def _repeated(pairs: Iterable[tuple[str, str]], what: str) -> list[str]:
    """Messages for every UID that two keys share (the mapping could not be read back)."""
    seen: dict[str, str] = {}
    found = []
    for key, uid in pairs:
        if uid in seen:
            found.append(f"{what} {uid} stands for both {seen[uid]!r} and {key!r}")
        else:
            seen[uid] = key
    return found


class Dhis2Mapping(BaseModel):
    """How the dataset's ids become DHIS2 UIDs, for :func:`to_dhis2_data_value_set`.

    Read it from JSON with :meth:`load` or :meth:`from_json`. Each UID stands
    for one thing only (two metrics on one data element could not be told
    apart on the way back), which the mapping checks when it is built.

    Subjects become organisation units: an ``unit:CODE`` subject through
    :attr:`org_units`; any subject named in :attr:`subjects` through that
    entry (a site registered in DHIS2 as its own org unit); any other site
    through the org unit of its anchor, the lowest unit containing every unit
    it covers (:meth:`Dataset.site_anchor <antq_core.Dataset.site_anchor>`).
    Initiatives and organizations need an entry in :attr:`subjects`.

    >>> mapping = Dhis2Mapping.model_validate(
    ...     {
    ...         "data_set": "pBOMPrpg1QX",
    ...         "data_elements": {"cases_resolved_jointly": "fbfJHSPpUQD"},
    ...         "org_units": {"105": "DiszpKrYNg8"},
    ...     }
    ... )
    >>> mapping.data_elements["cases_resolved_jointly"]
    'fbfJHSPpUQD'

    .. versionadded:: 0.1.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_set: Uid | None = Field(default=None, description="UID of the DHIS2 dataSet.")
    data_elements: dict[EntityId, Uid] = Field(description="Metric id → dataElement UID.")
    org_units: dict[Annotated[str, StringConstraints(min_length=1)], Uid] = Field(
        default_factory=dict, description="Administrative unit code → organisationUnit UID."
    )
    subjects: dict[SubjectRef, Uid] = Field(
        default_factory=dict,
        description="Subject (kind:id) → organisationUnit UID, for subjects that are not "
        "administrative units; takes precedence over a site's anchor.",
    )
    category_option_combos: tuple[Dhis2OptionCombo, ...] = Field(
        default=(),
        description="Disaggregation → categoryOptionCombo UID. Without an entry for the "
        "empty disaggregation, totals are sent without one and DHIS2 uses its default.",
    )
    attribute_option_combo: Uid | None = Field(
        default=None, description="attributeOptionCombo UID for every value, if any."
    )

    @model_validator(mode="after")
    def _one_thing_per_uid(self) -> Self:
        problems = _repeated(((k, v) for k, v in self.data_elements.items()), "dataElement")
        places = [(f"unit:{k}", v) for k, v in self.org_units.items()]
        places += [(str(k), v) for k, v in self.subjects.items()]
        problems += _repeated(places, "organisationUnit")
        combos = [
            (repr(dict(c.disaggregation)), c.category_option_combo)
            for c in self.category_option_combos
        ]
        problems += _repeated(combos, "categoryOptionCombo")
        keys = [c.disaggregation for c in self.category_option_combos]
        if len(set(keys)) != len(keys):
            problems.append("a disaggregation is listed twice in category_option_combos")
        if self.subjects and any(k.kind is SubjectKind.UNIT for k in self.subjects):
            problems.append("map administrative units in org_units, not in subjects")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def from_json(cls, data: str | bytes, *, source: str = "<memory>") -> Dhis2Mapping:
        """Read a mapping from JSON text.

        Raises:
            Dhis2MappingError: It is not JSON or not a valid mapping; every
                problem is listed with its JSON path.
        """
        try:
            return cls.model_validate_json(data)
        except ValidationError as e:
            raise Dhis2MappingError(source, problems_from(e)) from e

    @classmethod
    def load(cls, path: str | Path) -> Dhis2Mapping:
        """Read a mapping from a JSON file; see :meth:`from_json`.

        Raises:
            Dhis2MappingError: The file cannot be read or is not a valid mapping.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise Dhis2MappingError(str(path), [LoadProblem("$", f"cannot read: {e}")]) from e
        return cls.from_json(data, source=str(path))


# -- periods ------------------------------------------------------------------------------

_DHIS2_PERIODS: Final = (
    (PeriodKind.DAY, re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)),
    (PeriodKind.WEEK, re.compile(r"(\d{4})W([1-9]\d?)", re.ASCII)),
    (PeriodKind.MONTH, re.compile(r"(\d{4})(\d{2})", re.ASCII)),
    (PeriodKind.QUARTER, re.compile(r"(\d{4})Q([1-4])", re.ASCII)),
    (PeriodKind.HALF_YEAR, re.compile(r"(\d{4})S([12])", re.ASCII)),
    (PeriodKind.YEAR, re.compile(r"(\d{4})", re.ASCII)),
)


def dhis2_period(period: Period) -> str | None:
    """The DHIS2 ISO period for ``period``, or ``None`` when DHIS2 has none.

    Days ``20170713``, ISO weeks ``2017W5`` (not zero-padded), months
    ``201705``, quarters ``2017Q3``, half-years ``2017S1``, years ``2017``.
    Crop seasons and free date ranges have no DHIS2 period type.

    >>> [dhis2_period(Period.parse(p)) for p in ("2017-07-13", "2017W05", "2017-05", "2016/2017")]
    ['20170713', '2017W5', '201705', None]

    .. versionadded:: 0.1.0
    """
    start = period.start
    kind = period.kind
    if kind is PeriodKind.DAY:
        return f"{start.year:04d}{start.month:02d}{start.day:02d}"
    if kind is PeriodKind.WEEK:
        iso = start.isocalendar()
        return f"{iso.year:04d}W{iso.week}"
    if kind is PeriodKind.MONTH:
        return f"{start.year:04d}{start.month:02d}"
    if kind in (PeriodKind.QUARTER, PeriodKind.HALF_YEAR, PeriodKind.YEAR):
        return str(period)  # the canonical strings are DHIS2's: 2017Q3, 2017S1, 2017
    return None


def period_from_dhis2(text: str) -> Period:
    """Read a DHIS2 ISO period (the forms :func:`dhis2_period` writes).

    >>> str(period_from_dhis2("2017W5")), str(period_from_dhis2("201705"))
    ('2017W05', '2017-05')

    Raises:
        PeriodError: Not one of those forms, or a period that does not exist.

    .. versionadded:: 0.1.0
    """
    if isinstance(text, str):
        for kind, pattern in _DHIS2_PERIODS:
            match = pattern.fullmatch(text)
            if match is None:
                continue
            numbers = [int(g) for g in match.groups()]
            try:
                if kind is PeriodKind.DAY:
                    return Period.day(dt.date(*numbers))
                if kind is PeriodKind.WEEK:
                    return Period.week(*numbers)
                if kind is PeriodKind.MONTH:
                    return Period.month(*numbers)
                if kind is PeriodKind.QUARTER:
                    return Period.quarter(*numbers)
                if kind is PeriodKind.HALF_YEAR:
                    return Period.half_year(*numbers)
                return Period.year(*numbers)
            except PeriodError as e:
                raise PeriodError(text, e.reason) from None
            except ValueError as e:
                raise PeriodError(text, str(e)) from None
    reason = (
        "not a DHIS2 period of a supported type (2017, 2017Q3, 2017S1, 201705, 2017W5, 20170713)"
    )
    raise PeriodError(safe_repr(text), reason)


# -- comments -----------------------------------------------------------------------------

_QUALIFIER_TAG: Final = "qualifier="
_SOURCE_TAG: Final = "source="
_NOTE_TAG: Final = "note="
_SEP: Final = "; "


def _comment(o: Observation) -> str | None:
    """``qualifier=at_least; source=blc-2017-07-13; note=...``: what DHIS2 has no field for.

    The note comes last, so it may hold anything; qualifiers and source ids
    never contain ``"; "``, so the comment reads back unambiguously.
    """
    parts = []
    if o.qualifier is not Qualifier.EXACT:
        parts.append(_QUALIFIER_TAG + o.qualifier.value)
    if o.source is not None:
        parts.append(_SOURCE_TAG + o.source)
    if o.note is not None:
        parts.append(_NOTE_TAG + o.note)
    return _SEP.join(parts) or None


def _read_comment(comment: str | None) -> tuple[str, str | None, str | None]:
    """Qualifier, source and note from a comment; text not in that form is the note."""
    qualifier, source, rest = Qualifier.EXACT.value, None, comment or ""
    if rest.startswith(_QUALIFIER_TAG):
        head, _, tail = rest.partition(_SEP)
        qualifier, rest = head.removeprefix(_QUALIFIER_TAG), tail
    if rest.startswith(_SOURCE_TAG):
        head, _, tail = rest.partition(_SEP)
        source, rest = head.removeprefix(_SOURCE_TAG), tail
    note = rest.removeprefix(_NOTE_TAG) if rest else None
    return qualifier, source, note


# -- export -------------------------------------------------------------------------------


@attrs.frozen
class Dhis2Skipped:
    """An observation that was not exported, and why.

    Attributes:
        row: Its index in the dataset's observations.
        observation: The observation.
        reason: Why it has no place in the payload.
    """

    row: int
    observation: Observation
    reason: str


@attrs.frozen
class Dhis2Export:
    """What :func:`to_dhis2_data_value_set` produced.

    Attributes:
        payload: The ``dataValueSets`` document, ready for ``json.dumps``.
        skipped: Every observation left out, with the reason; nothing else is left out.
    """

    payload: dict[str, Any]
    skipped: tuple[Dhis2Skipped, ...]

    @property
    def exported(self) -> int:
        """Number of data values in the payload."""
        return len(self.payload["dataValues"])


def _org_unit(
    subject: SubjectRef, dataset: Dataset, mapping: Dhis2Mapping
) -> tuple[str | None, str]:
    """The orgUnit UID of ``subject``, or ``None`` and the reason."""
    explicit = mapping.subjects.get(subject)
    if explicit is not None:
        return explicit, ""
    if subject.kind is SubjectKind.UNIT:
        code = subject.id
    elif subject.kind is SubjectKind.SITE:
        try:
            code = dataset.site_anchor(dataset.site(subject.id)).code
        except AntqError as e:
            return None, f"cannot place site {subject.id}: {e}"
    elif subject.kind is SubjectKind.PARTICIPANT:
        return None, (
            f"{subject} is a record about one person, not aggregate data: "
            "aggregate it first (antq_core.aggregate) and send the totals"
        )
    else:
        return None, f"no organisationUnit for {subject}: add it to the mapping's subjects"
    uid = mapping.org_units.get(code)
    if uid is None:
        return None, f"no organisationUnit for administrative unit {code!r} in org_units"
    return uid, ""


def _data_value(
    o: Observation,
    dataset: Dataset,
    mapping: Dhis2Mapping,
    combos: Mapping[Disaggregation, str],
) -> dict[str, str] | str:
    """The data value of ``o``, or why it has none."""
    element = mapping.data_elements.get(o.metric)
    if element is None:
        return f"no dataElement for metric {o.metric!r} in the mapping"
    period = dhis2_period(o.period)
    if period is None:
        return f"DHIS2 has no period type for a {o.period.kind.value} ({o.period})"
    org_unit, where = _org_unit(o.subject, dataset, mapping)
    if org_unit is None:
        return where
    combo = combos.get(o.disaggregation)
    if combo is None and o.disaggregation != EMPTY_DISAGGREGATION:
        return f"no categoryOptionCombo for {dict(o.disaggregation)} in the mapping"
    metric = dataset.metrics.get(o.metric)
    if metric is None:
        return f"the dataset has no metric {o.metric!r}, so no unit for its data element"
    try:
        # A data element has one unit: the metric's. Convert exactly, or not at all.
        number = o.value if o.unit is metric.unit else o.quantity.to(metric.unit).value
    except AntqError as e:
        return f"cannot express {o.value} {o.unit} in the metric's unit {metric.unit}: {e}"
    value = {"dataElement": element, "period": period, "orgUnit": org_unit}
    if combo is not None:
        value["categoryOptionCombo"] = combo
    if mapping.attribute_option_combo is not None:
        value["attributeOptionCombo"] = mapping.attribute_option_combo
    value["value"] = str(dump_value(number))
    comment = _comment(o)
    if comment is not None:
        value["comment"] = comment
    return value


def to_dhis2_data_value_set(
    dataset: Dataset,
    mapping: Dhis2Mapping,
    *,
    complete_date: dt.date | None = None,
) -> Dhis2Export:
    """The dataset's observations as a DHIS2 ``dataValueSets`` payload.

    Each observation becomes one data value: its metric's ``dataElement``, its
    period in DHIS2's ISO form (:func:`dhis2_period`), its subject's
    ``orgUnit`` (see :class:`Dhis2Mapping`), its disaggregation's
    ``categoryOptionCombo``, its value as a string written exactly (``"5.8"``,
    never a float) in the metric's unit (a DHIS2 data element has one unit, so
    a value in ha for a metric in m² is converted, exactly), and a
    ``comment`` holding what DHIS2 has no field for:
    ``qualifier=at_least; source=blc-2017-07-13; note=...``. The mapping's
    ``dataSet`` and ``attributeOptionCombo``, and ``period`` and ``orgUnit``
    when every value shares them, are also given at the top.

    An observation that cannot be sent as it is (a crop season or a free
    date range, which DHIS2 has no period for; a metric, place or
    disaggregation the mapping lacks; two observations that would land on the
    same DHIS2 data value, so that one would overwrite the other) is not
    guessed at: it is listed in :attr:`Dhis2Export.skipped` with the reason.

    Args:
        dataset: The dataset to export.
        mapping: How its ids become DHIS2 UIDs.
        complete_date: Written as ``completeDate`` when given.

    .. versionadded:: 0.1.0
    """
    combos = {c.disaggregation: c.category_option_combo for c in mapping.category_option_combos}
    values: list[dict[str, str]] = []
    skipped: list[Dhis2Skipped] = []
    taken: dict[tuple[str, ...], int] = {}
    for row, o in enumerate(dataset.observations):
        value = _data_value(o, dataset, mapping, combos)
        if isinstance(value, dict):
            key = (value["dataElement"], value["period"], value["orgUnit"])
            first = taken.setdefault((*key, value.get("categoryOptionCombo", "")), row)
            if first == row:
                values.append(value)
                continue
            value = f"same DHIS2 data value as observation {first}; it would overwrite it"
        skipped.append(Dhis2Skipped(row, o, value))
    payload: dict[str, Any] = {}
    if mapping.data_set is not None:
        payload["dataSet"] = mapping.data_set
    if complete_date is not None:
        payload["completeDate"] = complete_date.isoformat()
    for field in ("period", "orgUnit"):
        shared = {v[field] for v in values}
        if len(shared) == 1:
            payload[field] = shared.pop()
    if mapping.attribute_option_combo is not None:
        payload["attributeOptionCombo"] = mapping.attribute_option_combo
    payload["dataValues"] = values
    return Dhis2Export(payload, tuple(skipped))


# -- import -------------------------------------------------------------------------------


class _Row(BaseModel):
    """One data value as DHIS2 writes it; unknown DHIS2 fields (storedBy...) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    dataElement: str  # noqa: N815 - DHIS2's names
    period: str | None = None
    orgUnit: str | None = None  # noqa: N815
    categoryOptionCombo: str | None = None  # noqa: N815
    attributeOptionCombo: str | None = None  # noqa: N815
    value: str | int | None = None
    comment: str | None = None
    deleted: bool = False


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    dataSet: str | None = None  # noqa: N815
    completeDate: Date | None = None  # noqa: N815
    period: str | None = None
    orgUnit: str | None = None  # noqa: N815
    attributeOptionCombo: str | None = None  # noqa: N815
    dataValues: list[Any] = Field(default_factory=list)  # noqa: N815


_ROW: Final = TypeAdapter(_Row)


@attrs.frozen
class Dhis2ImportCount:
    """DHIS2's ``importCount``.

    Attributes:
        imported: New observations.
        updated: Observations that replaced one with the same metric, subject,
            period and disaggregation.
        ignored: Rows not taken: each with a conflict, or identical to what the
            dataset holds already.
        deleted: Observations removed by rows marked ``"deleted": true``.
    """

    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0


@attrs.frozen
class Dhis2Conflict:
    """One reason rows were not imported, in DHIS2's shape.

    Attributes:
        object: The offending value or UID (``"2016/2017"``, ``"fbfJHSPpUQD"``).
        property: The data value's field it is in (``"period"``), or ``"dataValueSet"``.
        value: What is wrong, in English.
        indexes: The indexes of every row in ``dataValues`` with this problem.
    """

    object: str
    property: str
    value: str
    indexes: tuple[int, ...]


@attrs.frozen
class Dhis2Import:
    """What :func:`from_dhis2_data_value_set` read.

    Attributes:
        dataset: The dataset given, with the rows applied: new observations
            appended, updated ones replaced where they were, deleted ones removed.
        observations: The observations read from the payload, in row order
            (those imported or updated, and those identical to existing ones).
        import_count: How many rows were imported, updated, ignored or deleted.
        conflicts: Every problem, with the rows that have it; every row that
            is neither imported, updated, deleted nor identical is in one.
    """

    dataset: Dataset
    observations: tuple[Observation, ...]
    import_count: Dhis2ImportCount
    conflicts: tuple[Dhis2Conflict, ...]

    @property
    def status(self) -> Literal["SUCCESS", "WARNING", "ERROR"]:
        """The status as DHIS2 gives it.

        ``SUCCESS`` without conflicts, ``WARNING`` with some, ``ERROR`` when no row was taken.
        """
        if not self.conflicts:
            return "SUCCESS"
        count = self.import_count
        taken = count.imported + count.updated + count.deleted
        return "WARNING" if taken or len(self.observations) else "ERROR"

    def summary(self) -> dict[str, Any]:
        """The import summary as DHIS2's JSON writes it (``responseType``, ``importCount``...)."""
        return {
            "responseType": "ImportSummary",
            "status": self.status,
            "importCount": attrs.asdict(self.import_count),
            "conflicts": [
                {
                    "object": c.object,
                    "property": c.property,
                    "value": c.value,
                    "indexes": list(c.indexes),
                }
                for c in self.conflicts
            ],
        }


class _Conflicts:
    """Collects conflicts, one per (object, property, reason), with every row index."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], list[int]] = {}

    def add(self, index: int, obj: object, prop: str, reason: str) -> None:
        text = obj if isinstance(obj, str) else safe_repr(obj)
        self.rows.setdefault((text, prop, reason), []).append(index)

    def result(self) -> tuple[Dhis2Conflict, ...]:
        return tuple(
            Dhis2Conflict(obj, prop, reason, tuple(indexes))
            for (obj, prop, reason), indexes in self.rows.items()
        )


def _key(o: Observation) -> tuple[str, SubjectRef, Period, Disaggregation]:
    return (o.metric, o.subject, o.period, o.disaggregation)


_COMMENT_FIELDS: Final = frozenset({"qualifier", "source", "note"})


class _Reader:
    """The state of one import: lookups from UIDs, the observations so far, the counts."""

    def __init__(self, document: _Payload, mapping: Dhis2Mapping, dataset: Dataset) -> None:
        self.document = document
        self.mapping = mapping
        self.dataset = dataset
        self.elements = {uid: metric for metric, uid in mapping.data_elements.items()}
        self.places: dict[str, SubjectRef] = {
            uid: SubjectRef(SubjectKind.UNIT, code) for code, uid in mapping.org_units.items()
        } | {uid: subject for subject, uid in mapping.subjects.items()}
        self.combos = {
            c.category_option_combo: c.disaggregation for c in mapping.category_option_combos
        }
        self.conflicts = _Conflicts()
        self.current: list[Observation | None] = list(dataset.observations)
        # The first of observations sharing a key is the one an export sends (the
        # others are skipped there), so it is the one a row updates.
        self.existing: dict[tuple[str, SubjectRef, Period, Disaggregation], int] = {}
        for i, o in enumerate(dataset.observations):
            self.existing.setdefault(_key(o), i)
        self.seen: dict[tuple[str, SubjectRef, Period, Disaggregation], int] = {}
        self.read: list[Observation] = []
        self.count = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}

    def ignore(self, index: int, obj: str, prop: str, reason: str) -> None:
        self.conflicts.add(index, obj, prop, reason)
        self.count["ignored"] += 1

    def row(self, index: int, raw: object) -> None:
        """Read row ``index`` and apply it, or record why it is ignored."""
        try:
            row = _ROW.validate_python(raw)
        except ValidationError as e:
            for problem in problems_from(e, f"dataValues[{index}]"):
                self.conflicts.add(index, problem.input or "", problem.location, problem.message)
            self.count["ignored"] += 1
            return
        observation = self.observation(index, row)
        if observation is None:
            self.count["ignored"] += 1
            return
        key = _key(observation)
        subject = str(observation.subject)
        if key in self.seen:
            self.ignore(index, subject, "dataValue", f"same data value as row {self.seen[key]}")
            return
        self.seen[key] = index
        position = self.existing.get(key)
        if row.deleted:
            if position is None or self.current[position] is None:
                self.ignore(index, subject, "dataValue", "nothing to delete")
            else:
                self.current[position] = None
                self.count["deleted"] += 1
            return
        self.read.append(observation)
        if position is None:
            self.existing[key] = len(self.current)
            self.current.append(observation)
            self.count["imported"] += 1
        elif self.current[position] == observation:
            self.count["ignored"] += 1  # DHIS2 too ignores a value it already holds
        else:
            self.current[position] = observation
            self.count["updated"] += 1

    def observation(self, index: int, row: _Row) -> Observation | None:
        """The observation of one row, or ``None`` after recording every conflict it has."""
        problems: list[tuple[str, str, str]] = []
        metric_id = self.elements.get(row.dataElement)
        metric = self.dataset.metrics.get(metric_id) if metric_id is not None else None
        if metric_id is None:
            problems.append((row.dataElement, "dataElement", "no metric maps to this dataElement"))
        elif metric is None:
            reason = f"the dataset has no metric {metric_id!r}"
            problems.append((row.dataElement, "dataElement", reason))
        period_text = row.period or self.document.period
        period: Period | None = None
        if period_text is None:
            problems.append(("", "period", "no period, in the row or the payload"))
        else:
            try:
                period = period_from_dhis2(period_text)
            except PeriodError as e:
                problems.append((period_text, "period", e.reason))
        org_unit = row.orgUnit or self.document.orgUnit
        subject = self.places.get(org_unit) if org_unit is not None else None
        if subject is None:
            reason = "no subject maps to this organisationUnit"
            problems.append((org_unit or "", "orgUnit", reason))
        disaggregation: Disaggregation | None = EMPTY_DISAGGREGATION
        if row.categoryOptionCombo is not None:
            disaggregation = self.combos.get(row.categoryOptionCombo)
            if disaggregation is None:
                reason = "no disaggregation maps to this categoryOptionCombo"
                problems.append((row.categoryOptionCombo, "categoryOptionCombo", reason))
        attribute = row.attributeOptionCombo or self.document.attributeOptionCombo
        wanted = self.mapping.attribute_option_combo
        if attribute != wanted:
            reason = f"the mapping's attributeOptionCombo is {wanted!r}"
            problems.append((attribute or "", "attributeOptionCombo", reason))
        if metric is not None and not problems:
            observation = self.build(row, metric.id, metric.unit, subject, period, disaggregation)
            if isinstance(observation, Observation):
                return observation
            problems = observation
        for obj, prop, reason in problems:
            self.conflicts.add(index, obj, prop, reason)
        return None

    @staticmethod
    def build(
        row: _Row, metric: str, unit: Unit, *parts: Any
    ) -> Observation | list[tuple[str, str, str]]:
        """The observation, or the problems the model finds in value and comment."""
        subject, period, disaggregation = parts
        qualifier, source, note = _read_comment(row.comment)
        value = row.value
        if value is None and row.deleted:
            value = 0  # a deletion names a data value; what it held does not matter
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)  # DHIS2 writes every value as text; an integer stays one
        try:
            return Observation.model_validate(
                {
                    "metric": metric,
                    "subject": subject,
                    "period": period,
                    "unit": unit,
                    "value": value,
                    "qualifier": qualifier,
                    "disaggregation": disaggregation,
                    "source": source,
                    "note": note,
                }
            )
        except ValidationError as e:
            problems = []
            for error in e.errors(include_url=False):
                field = str(error["loc"][0]) if error["loc"] else "value"
                prop = "comment" if field in _COMMENT_FIELDS else "value"
                shown = row.comment if prop == "comment" else row.value
                problems.append((safe_repr(shown), prop, f"{field}: {error['msg']}"))
            return problems

    def result(self) -> Dhis2Import:
        dataset = self.dataset
        kept = ObservationStore.from_observations(o for o in self.current if o is not None)
        updated = dataset.replace(observations=kept)
        count = Dhis2ImportCount(**self.count)
        return Dhis2Import(updated, tuple(self.read), count, self.conflicts.result())


def from_dhis2_data_value_set(
    payload: Mapping[str, Any] | str | bytes,
    mapping: Dhis2Mapping,
    dataset: Dataset,
) -> Dhis2Import:
    """Read a DHIS2 ``dataValueSets`` payload into observations of ``dataset``.

    The reverse of :func:`to_dhis2_data_value_set` with the same mapping: UIDs
    become metric ids, subjects (an org unit named in the mapping's
    ``subjects`` becomes that subject, any other an ``unit:CODE`` subject) and
    disaggregations; periods are read from DHIS2's ISO forms; each value is
    checked against its metric's unit in ``dataset``; the comment gives back
    qualifier, source and note (any other comment becomes the note).

    A row whose metric, subject, period and disaggregation match an
    observation of ``dataset`` updates it; other rows are imported; rows marked
    ``"deleted": true`` remove the matching observation. No row is dropped
    silently: a row that cannot be read is ignored and named, by its index in
    ``dataValues``, in a conflict with the offending object and the reason,
    as DHIS2's own import summary does (:meth:`Dhis2Import.summary`).

    Args:
        payload: The payload, parsed or as JSON text.
        mapping: The mapping it was made with.
        dataset: Where the metrics and their units come from, and what the rows update.

    Raises:
        Dhis2MappingError: ``payload`` is not a dataValueSets document at all
            (not JSON, not an object, ``dataValues`` not a list).

    .. versionadded:: 0.1.0
    """
    try:
        if isinstance(payload, str | bytes):
            document = _Payload.model_validate_json(payload)
        else:
            document = _Payload.model_validate(payload)
    except ValidationError as e:
        raise Dhis2MappingError("dataValueSets payload", problems_from(e)) from e
    reader = _Reader(document, mapping, dataset)
    if mapping.data_set is not None and document.dataSet not in (None, mapping.data_set):
        for index in range(len(document.dataValues)):
            reader.ignore(index, document.dataSet, "dataSet", "not the mapping's dataSet")
    else:
        for index, raw in enumerate(document.dataValues):
            reader.row(index, raw)
    return reader.result()
