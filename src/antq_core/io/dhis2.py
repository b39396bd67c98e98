"""DHIS2 dataValueSets: observations out to DHIS2's aggregate data format, and back in."""

from __future__ import annotations

import datetime as dt
import json
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
from antq_core._dataset.store import FigureAudit, Row
from antq_core._dataset.summary import ImportConflict, ImportStrategy, ImportSummary
from antq_core._entities import EntityId, Observation, Submission, SubmissionItem
from antq_core._util.inputs import read_input
from antq_core._util.plaintext import PlainSchema
from antq_core._values.patterns import whole
from antq_core._values.period import Period, PeriodKind
from antq_core._values.quantity import MAX_DIGITS, NEGATIVE_REASON, Qualifier, Unit, dump_value
from antq_core._values.refs import EMPTY_DISAGGREGATION, Disaggregation, SubjectKind, SubjectRef
from antq_core._values.schema import Date, JsonPattern, problems_from, validated
from antq_core.errors import AntqError, Dhis2MappingError, Location, PeriodError, safe_repr

__all__ = [
    "COMMENT_LIMIT",
    "DHIS2_UID_PATTERN",
    "DHIS2_VERSION",
    "FINANCIAL_YEARS",
    "Dhis2Conflict",
    "Dhis2Export",
    "Dhis2Import",
    "Dhis2ImportCount",
    "Dhis2Mapping",
    "Dhis2OptionCombo",
    "Dhis2Skipped",
    "Dhis2Submission",
    "dhis2_period",
    "from_dhis2_data_value_set",
    "period_from_dhis2",
    "submission_from_dhis2",
    "to_dhis2_data_value_set",
]

DHIS2_UID_PATTERN: Final = r"^[A-Za-z][A-Za-z0-9]{10}$"
"""The form of a DHIS2 identifier (UID), eleven letters and digits, the first a letter."""

Uid = Annotated[
    str,
    StringConstraints(pattern=DHIS2_UID_PATTERN),
    JsonPattern(whole("[A-Za-z][A-Za-z0-9]{10}")),
]


class Dhis2OptionCombo(PlainSchema, BaseModel):
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


class Dhis2Mapping(PlainSchema, BaseModel):
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
        return validated(cls.model_validate_json, data, source, error=Dhis2MappingError)

    @classmethod
    def load(cls, path: str | Path) -> Dhis2Mapping:
        """Read a mapping from a JSON file; see :meth:`from_json`.

        Raises:
            Dhis2MappingError: The file cannot be read or is not a valid mapping.
        """
        data = read_input(Path(path), Dhis2MappingError)
        return cls.from_json(data, source=str(path))


# -- periods ------------------------------------------------------------------------------

DHIS2_VERSION: Final = "2.42"
"""The DHIS2 release whose periods, limits and import summary this adapter follows.

The newest release line whose ``POST /api/dataValueSets`` still reports what DHIS2's
documentation describes (imports and updates counted apart); its period parser also
has the September financial year. ``tests/corpus/dhis2/SOURCES.md`` gives every fact
with the DHIS2 source file it comes from.
"""

# DHIS2 2.42's forms for the period types that have a kind here (DateUnitType); Java's
# \d is ASCII-only, so is re.ASCII's.
_DHIS2_PERIODS: Final = (
    (PeriodKind.DAY, re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})", re.ASCII)),
    (PeriodKind.DAY, re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)),
    (PeriodKind.WEEK, re.compile(r"([0-9]{4})W([0-9]{1,2})", re.ASCII)),
    (PeriodKind.MONTH, re.compile(r"([0-9]{4})-?([0-9]{2})", re.ASCII)),
    (PeriodKind.QUARTER, re.compile(r"([0-9]{4})Q([0-9])", re.ASCII)),
    (PeriodKind.HALF_YEAR, re.compile(r"([0-9]{4})S([0-9])", re.ASCII)),
    (PeriodKind.YEAR, re.compile(r"([0-9]{4})", re.ASCII)),
    (PeriodKind.CROP_SEASON, re.compile(r"([0-9]{4})(April|July|Sep|Oct|Nov)", re.ASCII)),
)

FINANCIAL_YEARS: Final = {4: "April", 7: "July", 9: "Sep", 10: "Oct", 11: "Nov"}
"""Start month → suffix of the DHIS2 financial year that a crop season starting then is.

``2016April``, ``2016July``, ``2016Sep`` and ``2016Oct`` name the year they start in;
``2017Nov`` names the year it ends in (1 November 2016 to 31 October 2017), as DHIS2's
``FinancialNovemberPeriodType`` writes it.
"""
_FINANCIAL_MONTHS: Final = {suffix: month for month, suffix in FINANCIAL_YEARS.items()}
_NOVEMBER: Final = 11


def dhis2_period(period: Period) -> str | None:
    """The period in DHIS2's canonical form, or ``None`` when DHIS2 has no such period.

    Days ``20170713``, ISO weeks ``2017W5`` (not zero-padded), months
    ``201705``, quarters ``2017Q3``, half-years ``2017S1``, years ``2017``, and
    crop seasons that start in April, July, September, October or November as
    DHIS2's financial years (:data:`~antq_core.io.dhis2.FINANCIAL_YEARS`). Other
    crop seasons and free date ranges have no DHIS2 period type.

    >>> [dhis2_period(Period.parse(p)) for p in ("2017-07-13", "2017W05", "2017-05")]
    ['20170713', '2017W5', '201705']
    >>> [dhis2_period(Period.parse(p)) for p in ("2016/2017", "2016/2017@11", "2016/2017@02")]
    ['2016Sep', '2017Nov', None]

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
    if kind is PeriodKind.CROP_SEASON and start.month in FINANCIAL_YEARS:
        year = start.year + 1 if start.month == _NOVEMBER else start.year
        return f"{year:04d}{FINANCIAL_YEARS[start.month]}"
    return None


def _java_trim(text: str) -> str:
    """``String.trim()``: DHIS2 trims a period before it parses it (characters up to U+0020)."""
    return text.strip("".join(map(chr, range(0x21))))


def period_from_dhis2(text: str) -> Period:
    """Read a period in any form DHIS2 2.42 accepts for a kind of period we have.

    Days ``20170713`` and ``2017-07-13``, ISO weeks ``2017W5`` and ``2017W05``,
    months ``201705`` and ``2017-05``, quarters ``2017Q3``, half-years
    ``2017S1``, years ``2017``, and financial years ``2016April``,
    ``2016July``, ``2016Sep``, ``2016Oct``, ``2017Nov`` as crop seasons
    (:data:`~antq_core.io.dhis2.FINANCIAL_YEARS`). Like DHIS2, it ignores spaces and control
    characters around the period.

    >>> [str(period_from_dhis2(p)) for p in ("2017W5", "201705", "2017-07-13", "2016Oct")]
    ['2017W05', '2017-05', '2017-07-13', '2016/2017@10']

    Raises:
        PeriodError: Not one of those forms, or a period that does not exist
            (``2017W53``, ``20170230``).

    .. versionadded:: 0.1.0
    """
    if isinstance(text, str):
        trimmed = _java_trim(text)
        for kind, pattern in _DHIS2_PERIODS:
            match = pattern.fullmatch(trimmed)
            if match is None:
                continue
            try:
                return _dhis2_period_of(kind, match.groups())
            except PeriodError as e:
                raise PeriodError(text, e.reason) from None
            except ValueError as e:
                raise PeriodError(text, str(e)) from None
    reason = (
        "not a DHIS2 period of a supported type (2017, 2017Q3, 2017S1, 201705, 2017W5, "
        "20170713, 2016April, 2016July, 2016Sep, 2016Oct, 2017Nov)"
    )
    raise PeriodError(safe_repr(text), reason)


def _dhis2_period_of(kind: PeriodKind, groups: tuple[str, ...]) -> Period:
    year = int(groups[0])
    if kind is PeriodKind.CROP_SEASON:
        month = _FINANCIAL_MONTHS[groups[1]]
        return Period.crop_season(year - 1 if month == _NOVEMBER else year, month)
    numbers = [int(g) for g in groups[1:]]
    if kind is PeriodKind.DAY:
        return Period.day(dt.date(year, *numbers))
    if kind is PeriodKind.WEEK:
        return Period.week(year, *numbers)
    if kind is PeriodKind.MONTH:
        return Period.month(year, *numbers)
    if kind is PeriodKind.QUARTER:
        return Period.quarter(year, *numbers)
    if kind is PeriodKind.HALF_YEAR:
        return Period.half_year(year, *numbers)
    return Period.year(year)


# -- comments -----------------------------------------------------------------------------

_QUALIFIER_TAG: Final = "qualifier="
_SOURCE_TAG: Final = "source="
_NOTE_TAG: Final = "note="
_SEP: Final = "; "

COMMENT_LIMIT: Final = 5_000
"""Most characters (UTF-16 code units, as Java counts) an exported comment has.

DHIS2 2.42 refuses comments over 50,000 (``E7620``); 2.43 and later over 5,000
(``E8125``). A longer comment is shortened to this, so that the payload is taken by
both, and the export says so
(:attr:`Dhis2Export.shortened <antq_core.io.dhis2.Dhis2Export.shortened>`).
"""
_CUT: Final = "…"


def _utf16_length(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)  # noqa: PLR2004


def _shortened(comment: str) -> str:
    """``comment`` cut to :data:`COMMENT_LIMIT` code units, ending with ``…``."""
    room = COMMENT_LIMIT - _utf16_length(_CUT)
    kept = []
    for char in comment:
        room -= 2 if ord(char) > 0xFFFF else 1  # noqa: PLR2004
        if room < 0:
            break
        kept.append(char)
    return "".join(kept) + _CUT


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
    """An observation that was not exported (or was, shortened), and why.

    Attributes:
        row: Its index in the dataset's observations.
        observation: The observation.
        reason: Why it has no place in the payload, or what was cut.
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
        shortened: Every observation sent with its comment shortened to
            :data:`~antq_core.io.dhis2.COMMENT_LIMIT` (its note cut, ending with
            ``…``), with the reason.
    """

    payload: dict[str, Any]
    skipped: tuple[Dhis2Skipped, ...]
    shortened: tuple[Dhis2Skipped, ...] = ()

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
        value["comment"] = (
            comment if _utf16_length(comment) <= COMMENT_LIMIT else _shortened(comment)
        )
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
    ``qualifier=at_least; source=blc-2017-07-13; note=...``, shortened (its
    note cut, ending with ``…``) when it would exceed DHIS2's limit of
    :data:`~antq_core.io.dhis2.COMMENT_LIMIT` characters, which :attr:`Dhis2Export.shortened` then
    records. The mapping's
    ``dataSet`` and ``attributeOptionCombo``, and ``period`` and ``orgUnit``
    when every value shares them, are also given at the top.

    An observation that cannot be sent as it is (a crop season not starting
    in April, July, September, October or November, or a free date range,
    which DHIS2 has no period for; a metric, place or
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
    shortened: list[Dhis2Skipped] = []
    taken: dict[tuple[str, ...], int] = {}
    for row, o in enumerate(dataset.observations):
        value = _data_value(o, dataset, mapping, combos)
        if isinstance(value, dict):
            key = (value["dataElement"], value["period"], value["orgUnit"])
            first = taken.setdefault((*key, value.get("categoryOptionCombo", "")), row)
            if first == row:
                values.append(value)
                full = _comment(o)
                if full is not None and value["comment"] != full:
                    reason = (
                        f"its comment has {_utf16_length(full)} characters, more than DHIS2 "
                        f"takes ({COMMENT_LIMIT}): the note was cut"
                    )
                    shortened.append(Dhis2Skipped(row, o, reason))
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
    return Dhis2Export(payload, tuple(skipped), tuple(shortened))


# -- import -------------------------------------------------------------------------------


class _Row(BaseModel):
    """One data value as DHIS2 writes it; unknown DHIS2 fields (storedBy...) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    dataElement: str  # noqa: N815 - DHIS2's names
    period: str | None = None
    orgUnit: str | None = None  # noqa: N815
    categoryOptionCombo: str | None = None  # noqa: N815
    attributeOptionCombo: str | None = None  # noqa: N815
    value: Any = None  # text as DHIS2 writes it; a JSON number is read as the model reads it
    comment: str | None = None
    deleted: bool = False
    storedBy: Any = None  # noqa: N815 - kept with each figure it stores, when text


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
            dataset holds already (which DHIS2 too ignores without a conflict).
        deleted: Observations removed by rows marked ``"deleted": true``.
    """

    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0


@attrs.frozen
class Dhis2Conflict:
    """One conflict of an import summary, as DHIS2 2.42's ``ImportConflict`` has it.

    Rows with the same error code and the same objects share one conflict,
    which lists them all, as in DHIS2.

    Attributes:
        object: What is wrong, as the payload gives it: a period (``"2016/2017"``),
            a UID, a value; never quoted again.
        property: The data value's field it is in (``"period"``), or ``None``
            for a conflict DHIS2 has no error code for.
        value: The message: DHIS2's text for the error code, then why here
            (``Period not valid: `2016/2017` (...)``).
        indexes: Every row of ``dataValues`` with this conflict (none when the
            whole payload was refused).
        error_code: DHIS2's error code (``"E7611"``), ``None`` for a conflict
            DHIS2 has no code for (a row repeating another).
        objects: DHIS2's ``objects``: the type of each object involved, with its
            identifier (``(("period", "2016/2017"),)``).
    """

    object: str
    property: str | None
    value: str
    indexes: tuple[int, ...]
    error_code: str | None = None
    objects: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The conflict as DHIS2's JSON writes it (fields without a value are left out)."""
        written: dict[str, Any] = {}
        if self.error_code is not None:
            written["errorCode"] = self.error_code
        written["object"] = self.object
        written["value"] = self.value
        if self.property is not None:
            written["property"] = self.property
        if self.objects:
            written["objects"] = dict(self.objects)
        if self.indexes:
            written["indexes"] = list(self.indexes)
        return written


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
        rejected_indexes: The rows refused, in order (DHIS2's ``rejectedIndexes``).
        aborted: The payload itself was refused (another data set, an unknown
            organisation unit or attribute option combo for every row): no row
            was read, as DHIS2 aborts such an import.
    """

    dataset: Dataset
    observations: tuple[Observation, ...]
    import_count: Dhis2ImportCount
    conflicts: tuple[Dhis2Conflict, ...]
    rejected_indexes: tuple[int, ...] = ()
    aborted: bool = False

    @property
    def status(self) -> Literal["SUCCESS", "WARNING", "ERROR"]:
        """The status by DHIS2 2.42's rules.

        ``ERROR`` when the import was :attr:`aborted`; otherwise ``SUCCESS``
        without conflicts and ``WARNING`` with some, however many rows were taken.
        """
        if self.aborted:
            return "ERROR"
        return "WARNING" if self.conflicts else "SUCCESS"

    @property
    def import_summary(self) -> ImportSummary:
        """The import as the library's one summary type, :class:`~antq_core.ImportSummary`.

        The same counts and conflicts as :meth:`summary`, each conflict located at
        its rows of the payload (``$.dataValues[3]``), with a Vietnamese message too.
        """
        conflicts = _import_conflicts(self.conflicts)
        return ImportSummary(
            imported=self.import_count.imported,
            updated=self.import_count.updated,
            ignored=self.import_count.ignored,
            deleted=self.import_count.deleted,
            conflicts=conflicts,
            aborted=self.aborted,
            rejected_indexes=self.rejected_indexes,
        )

    def summary(self) -> dict[str, Any]:
        """The import summary in the shape DHIS2 2.42's ``ImportSummary`` has in JSON.

        ``responseType``, ``status``, ``description``, ``importCount``,
        ``conflicts`` (:meth:`Dhis2Conflict.to_json`), ``rejectedIndexes`` and
        ``dataSetComplete``, which is ``"false"``: the import does not register
        a data set as complete. There are no ``importOptions``.
        """
        description = (
            "Import process was aborted"
            if self.aborted
            else "Import process completed successfully"
        )
        return {
            "responseType": "ImportSummary",
            "status": self.status,
            "description": description,
            "importCount": attrs.asdict(self.import_count),
            "conflicts": [c.to_json() for c in self.conflicts],
            "rejectedIndexes": list(self.rejected_indexes),
            "dataSetComplete": "false",
        }


def _import_conflicts(conflicts: Iterable[Dhis2Conflict]) -> list[ImportConflict]:
    """DHIS2's conflicts as the library's, each located at its rows of ``dataValues``."""
    return [
        ImportConflict(
            code=c.error_code or "dhis2",
            what=c.object,
            message_vi=_vi(c),
            message_en=c.value,
            indexes=c.indexes,
            locations=[Location(path=f"$.dataValues[{i}]") for i in c.indexes],
            property=c.property,
            dhis2_code=c.error_code,
        )
        for c in conflicts
    ]


# DHIS2 2.42's conflicts for what a data value or a payload can get wrong here
# (DataValueImportConflict, DataValueSetImportConflict, ErrorCode): the code, the
# data value's property, the type of the object in `objects`, the message.
_DATA_SET: Final = ("E7600", "dataSet", "dataSet", "Data set not found or not accessible: `{0}`")
_PAYLOAD_ORG_UNIT: Final = (
    "E7603",
    "orgUnit",
    "organisationUnit",
    "Org unit not found or not accessible: `{0}`",
)
_PAYLOAD_ATTRIBUTE: Final = (
    "E7604",
    "attributeOptionCombo",
    "categoryOptionCombo",
    "Attribute option combo not found or not accessible: `{0}`",
)
_ELEMENT: Final = (
    "E7610",
    "dataElement",
    "dataElement",
    "Data element not found or not accessible: `{0}`",
)
_PERIOD: Final = ("E7611", "period", "period", "Period not valid: `{0}`")
_ORG_UNIT: Final = (
    "E7612",
    "orgUnit",
    "organisationUnit",
    "Organisation unit not found or not accessible: `{0}`",
)
_COMBO: Final = (
    "E7613",
    "categoryOptionCombo",
    "categoryOptionCombo",
    "Category option combo not found or not accessible for writing data: `{0}`",
)
_ATTRIBUTE: Final = (
    "E7615",
    "attributeOptionCombo",
    "categoryOptionCombo",
    "Attribute option combo not found or not accessible for writing data: `{0}`",
)
_NO_VALUE: Final = (
    "E7618",
    "value",
    "dataElement",
    "Data value or comment not specified for data element: `{0}`",
)
_VALUE: Final = (
    "E7619",
    "value",
    "dataElement",
    "Value must match value type of data element `{0}`: `{1}`",
)
_COMMENT: Final = ("E7620", "comment", "comment", "Invalid comment: {0}")
_BY_FIELD: Final = {
    "dataElement": _ELEMENT,
    "period": _PERIOD,
    "orgUnit": _ORG_UNIT,
    "categoryOptionCombo": _COMBO,
    "attributeOptionCombo": _ATTRIBUTE,
    "value": _VALUE,
    "comment": _COMMENT,
}
_Code = tuple[str, str, str, str]


_VI: Final = {
    "E7600": "Không tìm thấy tập dữ liệu (dataSet)",
    "E7603": "Không tìm thấy đơn vị (orgUnit) của gói dữ liệu",
    "E7604": "Không tìm thấy attributeOptionCombo của gói dữ liệu",
    "E7610": "Không tìm thấy phần tử dữ liệu (dataElement)",
    "E7611": "Kỳ báo cáo không hợp lệ",
    "E7612": "Không tìm thấy đơn vị (orgUnit)",
    "E7613": "Không tìm thấy categoryOptionCombo",
    "E7615": "Không tìm thấy attributeOptionCombo",
    "E7618": "Thiếu giá trị hoặc ghi chú",
    "E7619": "Giá trị không đúng kiểu của phần tử dữ liệu",
    "E7620": "Ghi chú không hợp lệ",
}


def _vi(conflict: Dhis2Conflict) -> str:
    """A Vietnamese message for a conflict: what DHIS2's code means, and the object."""
    head = _VI.get(conflict.error_code or "", "Dòng dữ liệu không nhận được")
    return f"{head}: {conflict.object}" + (
        f" (DHIS2 {conflict.error_code})" if conflict.error_code else ""
    )


def _shown(raw: object) -> str:
    """What the payload holds, as text: a string as it is, anything else as JSON.

    Past 200 characters it is cut, saying how long it was (a 5,000-digit value
    is not sent back whole).
    """
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = json.dumps(raw, ensure_ascii=False)
        except (TypeError, ValueError):
            text = safe_repr(raw)
    if len(text) <= _SHOWN_CHARS:
        return text
    return f"{text[:60]}… ({len(text):,} characters)"


_SHOWN_CHARS: Final = 200


class _Conflicts:
    """Collects conflicts; those of one code and the same objects share one, as in DHIS2."""

    def __init__(self) -> None:
        self.found: dict[tuple[object, ...], Dhis2Conflict] = {}
        self.rows: dict[tuple[object, ...], list[int]] = {}

    def add(self, index: int | None, code: _Code, obj: str, why: str, *more: str) -> None:
        """A conflict ``code`` about ``obj`` (and ``more`` objects), and ``why`` it is one."""
        error, prop, kind, template = code
        objects = [(kind, obj)]
        if code is _VALUE:
            objects.append(("value", more[0]))
        message = template.format(obj, *more)
        if why:
            message += f" ({why})"
        key = (error, *(v for _, v in objects))
        self.put(key, Dhis2Conflict(obj, prop, message, (), error, tuple(objects)), index)

    def informal(self, index: int, obj: str, message: str) -> None:
        """A conflict DHIS2 has no error code for: an object and a message only."""
        self.put((obj, message), Dhis2Conflict(obj, None, message, ()), index)

    def put(self, key: tuple[object, ...], conflict: Dhis2Conflict, index: int | None) -> None:
        self.found.setdefault(key, conflict)
        rows = self.rows.setdefault(key, [])
        if index is not None:
            rows.append(index)

    def result(self) -> tuple[Dhis2Conflict, ...]:
        return tuple(
            attrs.evolve(conflict, indexes=tuple(self.rows[key]))
            for key, conflict in self.found.items()
        )


def _key(o: Observation) -> tuple[str, SubjectRef, Period, Disaggregation]:
    return (o.metric, o.subject, o.period, o.disaggregation)


def _stored_by(row: _Row) -> str | None:
    by = row.storedBy
    return by if isinstance(by, str) and by.strip() else None


def _row_of(o: Observation) -> Row:
    return (
        o.metric,
        o.subject,
        o.period,
        o.unit,
        o.qualifier,
        o.disaggregation,
        o.source,
        o.note,
        o.value,
    )


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
        # The first of observations sharing a key is the one an export sends (the
        # others are skipped there), so it is the one a row updates: the store's
        # key index finds that one, without reading the dataset's rows.
        self.store = dataset.observations
        self.when = dt.datetime.now(dt.UTC)
        self.append: list[Row] = []
        self.append_audit: list[FigureAudit | None] = []
        self.replace: dict[int, tuple[Row, FigureAudit | None]] = {}
        self.remove: list[int] = []
        self.seen: dict[tuple[str, SubjectRef, Period, Disaggregation], int] = {}
        self.read: list[Observation] = []
        self.rejected: list[int] = []
        self.count = {"imported": 0, "updated": 0, "ignored": 0, "deleted": 0}
        self.aborted = False

    def abort_if_refused(self) -> bool:
        """Refuse the whole payload, as DHIS2 does, when its own fields do not fit the mapping."""
        document, mapping = self.document, self.mapping
        data_set = document.dataSet
        if mapping.data_set is not None and data_set not in (None, mapping.data_set):
            why = f"the mapping's dataSet is {mapping.data_set}"
            self.conflicts.add(None, _DATA_SET, data_set or "", why)
        if document.orgUnit is not None and document.orgUnit not in self.places:
            why = "no subject maps to this organisationUnit"
            self.conflicts.add(None, _PAYLOAD_ORG_UNIT, document.orgUnit, why)
        attribute = document.attributeOptionCombo
        if attribute is not None and attribute != mapping.attribute_option_combo:
            why = f"the mapping's attributeOptionCombo is {mapping.attribute_option_combo}"
            self.conflicts.add(None, _PAYLOAD_ATTRIBUTE, attribute, why)
        self.aborted = bool(self.conflicts.found)
        return self.aborted

    def refuse(self, index: int) -> None:
        self.rejected.append(index)
        self.count["ignored"] += 1

    def parsed(self, index: int, raw: object) -> tuple[_Row, Observation] | None:
        """Row ``index`` and its observation, or ``None`` after recording why it is refused."""
        if not isinstance(raw, Mapping):
            self.conflicts.informal(index, _shown(raw), "A data value is a JSON object")
            self.refuse(index)
            return None
        try:
            row = _ROW.validate_python(raw)
        except ValidationError as e:
            for error in e.errors(include_url=False):
                field = str(error["loc"][0]) if error["loc"] else ""
                shown = _shown(raw.get(field, ""))
                code = _BY_FIELD.get(field)
                if code is None:
                    self.conflicts.informal(index, shown, f"{field}: {_reason(error)}")
                elif code is _VALUE:
                    element = _shown(raw.get("dataElement", ""))
                    self.conflicts.add(index, code, element, "", f"{shown}: {_reason(error)}")
                else:
                    self.conflicts.add(index, code, shown, _reason(error))
            self.refuse(index)
            return None
        observation = self.observation(index, row)
        if observation is None:
            self.refuse(index)
            return None
        key = _key(observation)
        if key in self.seen:
            message = f"Row {index} is the same data value as row {self.seen[key]}"
            self.conflicts.informal(index, row.dataElement, message)
            self.refuse(index)
            return None
        self.seen[key] = index
        return row, observation

    def row(self, index: int, raw: object) -> None:
        """Read row ``index`` and apply it, or record why it is ignored."""
        found = self.parsed(index, raw)
        if found is None:
            return
        row, observation = found
        key = _key(observation)
        position = self.store.find(*key)
        if row.deleted:
            if position is None:
                message = f"Row {index} deletes a data value that does not exist"
                self.conflicts.informal(index, row.dataElement, message)
                self.refuse(index)
            else:
                self.remove.append(position)
                self.count["deleted"] += 1
            return
        self.read.append(observation)
        values = _row_of(observation)
        if position is None:
            self.append.append(values)
            self.append_audit.append(FigureAudit(_stored_by(row), self.when, self.when))
            self.count["imported"] += 1
        elif self.store.stored(position) == values:
            self.count["ignored"] += 1  # DHIS2 too ignores a value it already holds
        else:
            before = self.store.stored_audit(position)
            created = before.created if before is not None else None
            audit = FigureAudit(_stored_by(row), created, self.when)
            self.replace[position] = (values, audit)
            self.count["updated"] += 1

    def observation(self, index: int, row: _Row) -> Observation | None:
        """The observation of one row, or ``None`` after recording every conflict it has."""
        problems = _Problems(index, self.conflicts)
        metric_id = self.elements.get(row.dataElement)
        metric = self.dataset.metrics.get(metric_id) if metric_id is not None else None
        if metric_id is None:
            problems.add(_ELEMENT, row.dataElement, "no metric maps to this dataElement")
        elif metric is None:
            problems.add(_ELEMENT, row.dataElement, f"the dataset has no metric {metric_id!r}")
        period_text = row.period or self.document.period
        period: Period | None = None
        if period_text is None:
            problems.add(_PERIOD, "", "no period, in the row or the payload")
        else:
            try:
                period = period_from_dhis2(period_text)
            except PeriodError as e:
                problems.add(_PERIOD, period_text, e.reason)
        org_unit = row.orgUnit or self.document.orgUnit
        subject = self.places.get(org_unit) if org_unit is not None else None
        if subject is None:
            problems.add(_ORG_UNIT, org_unit or "", "no subject maps to this organisationUnit")
        disaggregation: Disaggregation | None = EMPTY_DISAGGREGATION
        if row.categoryOptionCombo is not None:
            disaggregation = self.combos.get(row.categoryOptionCombo)
            if disaggregation is None:
                why = "no disaggregation maps to this categoryOptionCombo"
                problems.add(_COMBO, row.categoryOptionCombo, why)
        attribute = row.attributeOptionCombo or self.document.attributeOptionCombo
        wanted = self.mapping.attribute_option_combo
        if attribute != wanted:
            why = f"the mapping's attributeOptionCombo is {wanted}"
            problems.add(_ATTRIBUTE, attribute or "", why)
        if row.value is None and not row.deleted:
            problems.add(_NO_VALUE, row.dataElement, "")
        if metric is None or problems.any:
            return None
        built = self.build(row, problems, metric.id, metric.unit, subject, period, disaggregation)
        if built is not None and built.value < 0 and not metric.signed:
            # The model reads a negative value; only a signed metric (a change figure) has one.
            why = f"{_shown(row.value)}: {NEGATIVE_REASON} (the metric is not declared signed)"
            problems.add(_VALUE, row.dataElement, "", why)
            return None
        return built

    @staticmethod
    def build(
        row: _Row, problems: _Problems, metric: str, unit: Unit, *parts: Any
    ) -> Observation | None:
        """The observation, or ``None`` after recording what the model finds wrong."""
        subject, period, disaggregation = parts
        qualifier, source, note = _read_comment(row.comment)
        value = row.value
        if value is None and row.deleted:
            value = 0  # a deletion names a data value; what it held does not matter
        if (
            isinstance(value, str)
            and value.isascii()
            and value.isdigit()
            and len(value) <= MAX_DIGITS
        ):
            # DHIS2 writes every value as text; an integer stays one. A longer run of digits
            # stays text, for the model to refuse with its digit cap (int() of 5,000
            # digits would raise Python's own conversion limit instead).
            value = int(value)
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
            for error in e.errors(include_url=False):
                field = str(error["loc"][0]) if error["loc"] else "value"
                if field in _COMMENT_FIELDS:
                    problems.add(_COMMENT, f"{field}: {_reason(error)}", "")
                else:
                    why = f"{_shown(row.value)}: {_reason(error)}"
                    problems.add(_VALUE, row.dataElement, "", why)
            return None

    def result(self) -> Dhis2Import:
        dataset = self.dataset
        if self.append or self.replace or self.remove:
            store = self.store.with_changes(
                append=self.append,
                append_audit=self.append_audit,
                replace=self.replace,
                remove=self.remove,
            )
            updated = dataset.replace(observations=store)
        else:
            updated = dataset
        count = Dhis2ImportCount(**self.count)
        conflicts = self.conflicts.result()
        return Dhis2Import(
            updated, tuple(self.read), count, conflicts, tuple(self.rejected), self.aborted
        )


def _reason(error: Any) -> str:
    """Why pydantic refused a field: our error's reason when it is ours, else its message."""
    cause = error.get("ctx", {}).get("error")
    reason = getattr(cause, "reason", None)
    return reason if isinstance(reason, str) else str(error["msg"])


def _long_int(text: str) -> int | str:
    """A JSON integer literal: an ``int``, or its digits as text past :data:`MAX_DIGITS`."""
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else text


def _with_long_numbers(payload: object, error: ValidationError) -> _Payload | None:
    """The payload read again when its only trouble is a number too long for the JSON parser.

    pydantic's JSON parser refuses a whole document for one integer literal of
    thousands of digits; DHIS2 reads any value as text. Read that way (the long
    literal kept as its digits), the value is refused on its own row, as a
    located conflict. ``None`` when that is not the trouble.
    """
    out_of_range = any(
        item["type"] == "json_invalid" and "number out of range" in item["msg"]
        for item in error.errors(include_url=False)
    )
    if not out_of_range or not isinstance(payload, str | bytes):
        return None
    try:
        data = json.loads(payload, parse_int=_long_int, parse_constant=_no_constant)
        json.dumps(data, ensure_ascii=False).encode()  # no lone surrogate slipped through
        return _Payload.model_validate(data)
    except (ValueError, RecursionError, UnicodeError, ValidationError):
        return None


def _no_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not JSON


class _Problems:
    """The conflicts of one row, as they are found."""

    def __init__(self, index: int, conflicts: _Conflicts) -> None:
        self.index = index
        self.conflicts = conflicts
        self.any = False

    def add(self, code: _Code, obj: str, why: str, *more: str) -> None:
        self.conflicts.add(self.index, code, obj, why, *more)
        self.any = True


def from_dhis2_data_value_set(
    payload: Mapping[str, Any] | str | bytes,
    mapping: Dhis2Mapping,
    dataset: Dataset,
) -> Dhis2Import:
    """Read a DHIS2 ``dataValueSets`` payload into observations of ``dataset``.

    The reverse of :func:`to_dhis2_data_value_set` with the same mapping: UIDs
    become metric ids, subjects (an org unit named in the mapping's
    ``subjects`` becomes that subject, any other an ``unit:CODE`` subject) and
    disaggregations; periods are read in every form DHIS2 accepts for them
    (:func:`period_from_dhis2`); each value is checked against its metric's
    unit in ``dataset``; the comment gives back qualifier, source and note
    (any other comment becomes the note).

    A row whose metric, subject, period and disaggregation match an
    observation of ``dataset`` updates it; other rows are imported; rows marked
    ``"deleted": true`` remove the matching observation. No row is dropped
    silently: a row that cannot be read is ignored and named, by its index in
    ``dataValues``, in a conflict with DHIS2's error code, the offending object
    and the reason, and in the rejected indexes, as DHIS2 2.42's import
    summary does (:meth:`Dhis2Import.summary`). When the payload's own
    ``dataSet``, ``orgUnit`` or ``attributeOptionCombo`` does not fit the
    mapping, the whole import is refused, as DHIS2 aborts it
    (:attr:`Dhis2Import.aborted`).

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
        reread = _with_long_numbers(payload, e)
        if reread is None:
            raise Dhis2MappingError("dataValueSets payload", problems_from(e)) from e
        document = reread
    reader = _Reader(document, mapping, dataset)
    if not reader.abort_if_refused():
        for index, raw in enumerate(document.dataValues):
            reader.row(index, raw)
    return reader.result()


@attrs.frozen
class Dhis2Submission:
    """What :func:`submission_from_dhis2` read: one unit's report, and the rows it refused.

    Attributes:
        submission: The report, one item per row read (``None`` when no row
            could be read, or the payload itself was refused).
        indexes: For each item of :attr:`submission`, its row in ``dataValues``.
        conflicts: Why each refused row was refused, located at its row
            (``$.dataValues[3]``), with DHIS2's error code where DHIS2 has one.
        rejected_indexes: The rows refused while reading, in order.
        aborted: The payload itself was refused, as DHIS2 aborts an import
            (another data set, an unknown ``orgUnit`` or ``attributeOptionCombo``).

    .. versionadded:: 0.1.0
    """

    submission: Submission | None
    indexes: tuple[int, ...]
    conflicts: tuple[ImportConflict, ...]
    rejected_indexes: tuple[int, ...] = ()
    aborted: bool = False

    def apply(
        self,
        dataset: Dataset,
        strategy: ImportStrategy = "create_and_update",
        *,
        dry_run: bool = False,
        force: bool = False,
        now: dt.datetime | None = None,
    ) -> tuple[Dataset, ImportSummary]:
        """Apply the submission with :meth:`Dataset.apply <antq_core.Dataset.apply>`.

        The summary counts every row of ``dataValues`` once: the rows refused
        while reading are ignored, with their conflicts; every conflict of the
        apply names the rows of its items (``indexes``, and locations
        ``$.dataValues[i]``), not their positions in the submission.
        """
        read = ImportSummary(
            ignored=len(self.rejected_indexes),
            conflicts=self.conflicts,
            strategy=strategy,
            dry_run=dry_run,
            aborted=self.aborted,
            rejected_indexes=self.rejected_indexes,
        )
        if self.submission is None:
            return dataset, read
        new, summary = dataset.apply(
            self.submission, strategy, dry_run=dry_run, force=force, now=now
        )
        rows = self.indexes

        def located(c: ImportConflict) -> ImportConflict:
            at = tuple(rows[i] for i in c.indexes)
            suffix = f".{c.property}" if c.property else ""
            where = [Location(path=f"$.dataValues[{i}]{suffix}", field=c.property) for i in at]
            return attrs.evolve(c, indexes=at, locations=where)

        return new, attrs.evolve(
            summary,
            ignored=summary.ignored + read.ignored,
            conflicts=(*self.conflicts, *map(located, summary.conflicts)),
            rejected_indexes=tuple(
                sorted((*self.rejected_indexes, *(rows[i] for i in summary.rejected_indexes)))
            ),
        )


_OTHER: Final = {
    "subject": (
        "other_subject",
        "Dòng này thuộc đơn vị khác với báo cáo ({0}): mỗi báo cáo là của một đơn vị",
        "This row is for another unit than the report's ({0}): a report is one unit's",
    ),
    "period": (
        "other_period",
        "Dòng này thuộc kỳ khác với báo cáo ({0}): mỗi báo cáo là của một kỳ",
        "This row is for another period than the report's ({0}): a report is one period's",
    ),
    "deleted": (
        "deleted_row",
        "Dòng đánh dấu xóa (deleted): báo cáo không xóa số liệu; "
        "dùng from_dhis2_data_value_set hoặc strategy='delete'",
        "A row marked deleted: a report does not delete figures; "
        "use from_dhis2_data_value_set or strategy='delete'",
    ),
}


def submission_from_dhis2(
    payload: Mapping[str, Any] | str | bytes,
    mapping: Dhis2Mapping,
    dataset: Dataset,
    *,
    form: str | None = None,
    stored_by: str | None = None,
) -> Dhis2Submission:
    """Read a DHIS2 ``dataValueSets`` payload as one unit's :class:`~antq_core.Submission`.

    Each row is read as :func:`from_dhis2_data_value_set` reads it (UIDs to
    metric, subject and disaggregation through ``mapping``, the period in any
    form DHIS2 takes, the value checked against its metric's unit in
    ``dataset``, qualifier, source and note from the comment), but becomes an
    item of a submission instead of changing ``dataset``: apply it with
    :meth:`Dhis2Submission.apply` (or :meth:`Dataset.apply
    <antq_core.Dataset.apply>`), which checks it against the form, the period's
    deadlines and what is stored, as for a submission from any other source.

    A submission is one unit's report for one period: the subject and period
    are those of the first row read; a later row for another unit or period is
    refused, as is a row marked ``"deleted": true``. Every refused row is in
    a conflict located at its index in ``dataValues``; the item of every other
    row keeps that index (:attr:`Dhis2Submission.indexes`).

    Args:
        payload: The payload, parsed or as JSON text.
        mapping: The mapping it was made with.
        dataset: Where the metrics and their units come from.
        form: The id of the reporting form it answers, if one.
        stored_by: The account entering it; by default the ``storedBy`` of
            the rows read, when they all give the same one of at most 200
            characters (a submission's limit); otherwise none.

    Raises:
        Dhis2MappingError: ``payload`` is not a dataValueSets document at all.

    .. versionadded:: 0.1.0
    """
    try:
        if isinstance(payload, str | bytes):
            document = _Payload.model_validate_json(payload)
        else:
            document = _Payload.model_validate(payload)
    except ValidationError as e:
        reread = _with_long_numbers(payload, e)
        if reread is None:
            raise Dhis2MappingError("dataValueSets payload", problems_from(e)) from e
        document = reread
    reader = _Reader(document, mapping, dataset)
    own: list[ImportConflict] = []
    items: list[SubmissionItem] = []
    indexes: list[int] = []
    who: set[str | None] = set()
    first: Observation | None = None
    if not reader.abort_if_refused():
        for index, raw in enumerate(document.dataValues):
            found = reader.parsed(index, raw)
            if found is None:
                continue
            row, o = found
            other = "deleted" if row.deleted else None
            if first is not None and o.subject != first.subject:
                other = other or "subject"
            if first is not None and o.period != first.period:
                other = other or "period"
            if other is not None:
                code, vi, en = _OTHER[other]
                shown = "" if first is None else str(getattr(first, other, ""))
                own.append(
                    ImportConflict(
                        code,
                        row.dataElement,
                        vi.format(shown),
                        en.format(shown),
                        (index,),
                        (Location(path=f"$.dataValues[{index}]"),),
                    )
                )
                reader.rejected.append(index)
                continue
            first = first or o
            who.add(_stored_by(row))
            indexes.append(index)
            items.append(
                SubmissionItem(
                    metric=o.metric,
                    value=o.value,
                    unit=o.unit,
                    qualifier=o.qualifier,
                    disaggregation=o.disaggregation,
                    source=o.source,
                    note=o.note,
                )
            )
    conflicts = (*_import_conflicts(reader.conflicts.result()), *own)
    submission = None
    if first is not None:
        by = stored_by if stored_by is not None else (who.pop() if len(who) == 1 else None)
        submission = Submission(
            form=form,
            subject=first.subject,
            period=first.period,
            items=tuple(items),
            stored_by=by if by is None or len(by) <= _STORED_BY_CHARS else None,
        )
    return Dhis2Submission(
        submission, tuple(indexes), conflicts, tuple(sorted(reader.rejected)), reader.aborted
    )


_STORED_BY_CHARS: Final = 200
