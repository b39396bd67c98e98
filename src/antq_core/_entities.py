"""Entities: the records of the movement, as pydantic models."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import hmac
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Final, Self, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    JsonValue,
    ModelWrapValidatorHandler,
    PlainSerializer,
    PlainValidator,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from antq_core._util.plaintext import tidied
from antq_core._values.geo import AdminLevel
from antq_core._values.patterns import NOT_BLANK_TRIMMED, WHOLE_TEXT, whole
from antq_core._values.period import Period, PeriodKind
from antq_core._values.quantity import (
    VALUE_JSON_SCHEMA,
    Number,
    Qualifier,
    Quantity,
    Unit,
    dump_value,
    parse_value,
)
from antq_core._values.refs import (
    EMPTY_DISAGGREGATION,
    ID_JSON_PATTERN,
    ID_PATTERN,
    Disaggregation,
    SubjectRef,
)
from antq_core._values.schema import (
    PERSONAL_DATA_COMMENT,
    PERSONAL_DATA_NOTE,
    SENSITIVE_FIELDS,
    Date,
    JsonPattern,
    redacted,
)
from antq_core._values.text import NfcStr, nfc
from antq_core.errors import InvalidValueError

__all__ = [
    "MIN_PSEUDONYM_KEY_BYTES",
    "AggregationType",
    "CategoryOption",
    "CoordinationAgreement",
    "DatasetMetadata",
    "DisaggregationCategory",
    "EntityId",
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
    "Source",
    "Statement",
    "Submission",
    "SubmissionItem",
    "pseudonym_id",
]

EntityId = Annotated[str, StringConstraints(pattern=ID_PATTERN), JsonPattern(ID_JSON_PATTERN)]
"""An entity id: ASCII letters, digits, ``.``, ``_``, ``-``; at most 100 characters."""

# Strip and check the length in the str schema, then normalise: with the constraints
# after NfcStr, pydantic checked the length before stripping, so "   " became "".
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500, strip_whitespace=True),
    AfterValidator(nfc),
    JsonPattern(NOT_BLANK_TRIMMED),  # "   " is stripped to "", which is too short
]
TEXT_LIMIT: Final = 20_000
"""Most characters a free-text field (description, note) may hold."""
Text = Annotated[NfcStr, StringConstraints(max_length=TEXT_LIMIT)]

Value = Annotated[
    Number,
    PlainValidator(parse_value),
    PlainSerializer(dump_value),
    WithJsonSchema(VALUE_JSON_SCHEMA),
]


def _without_serializer(schema: core_schema.CoreSchema) -> core_schema.CoreSchema:
    """``schema`` without the model's own serializer, also under a wrapping validator."""
    if schema.get("serialization") is not None:
        return cast(
            core_schema.CoreSchema, {k: v for k, v in schema.items() if k != "serialization"}
        )
    inner = schema.get("schema")
    if schema["type"].startswith("function-") and isinstance(inner, dict):
        return cast(core_schema.CoreSchema, {**schema, "schema": _without_serializer(inner)})
    return schema


class _Entity(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
    )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's JSON Schema with plain-text descriptions (no doctests, no Sphinx roles).

        A model whose serializer leaves fields out unless asked (``Participant``'s
        personal fields) still lists its fields in the output schema, each optional.
        """
        if handler.mode == "serialization":
            schema = _without_serializer(schema)
        return tidied(handler(schema), handler)

    def evolve(self, **changes: Any) -> Self:
        """A copy with ``changes``, checked as a new entity would be.

        Unlike pydantic's ``model_copy(update=...)``, which skips validation
        (a list stays a list, and the entity can no longer be hashed), every
        field is validated again; fields given no value when this entity was
        made take their defaults anew (a metric whose ``kind`` changes gets
        that kind's aggregation types).

        >>> theme = InitiativeTheme(id="t", name_vi="Tự quản", name_en="Self-management")
        >>> theme.evolve(name_en="Self-governance").name_en
        'Self-governance'

        Raises:
            pydantic.ValidationError: A change is not valid for the field.
        """
        kept = {name: getattr(self, name) for name in self.model_fields_set - self._derived()}
        return self.model_validate(kept | changes)

    def _derived(self) -> set[str]:
        """Fields whose values were derived from others, to be derived again on ``evolve()``."""
        return set()


class Statement(_Entity):
    """A qualitative outcome as the source states it, with no number.

    "Ngăn chặn, đẩy lùi được tình trạng di cư tự do vào địa bàn" (unplanned
    migration into the area stopped and pushed back) is a statement, not a figure.
    """

    text_vi: Name = Field(description="The statement in Vietnamese, as the source gives it.")
    text_en: Name | None = Field(default=None, description="An English rendering.")
    source: EntityId | None = Field(default=None, description="Id of the Source that states it.")


class Source(_Entity):
    """Nguồn: a document that figures and statements are cited from."""

    id: EntityId = Field(description="Identifier used in citations.")
    title: Name = Field(description="Title as published.")
    publisher: Name | None = Field(default=None, description="Newspaper, agency or office.")
    published_on: Date | None = Field(default=None, description="Date of publication.")
    author: Name | None = Field(default=None, description="Author or byline.")
    quoted: Name | None = Field(
        default=None, description="Person quoted as the source of figures."
    )
    url: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, description="Where it can be read, if public."
    )
    note: Text | None = Field(default=None, description="Anything a reader needs to know.")


class InitiativeTheme(_Entity):
    """Loại mô hình: the type of an initiative, such as community reintegration."""

    id: EntityId = Field(description="Identifier, snake_case (``community_reintegration``).")
    name_vi: Name = Field(description="Vietnamese name.")
    name_en: Name = Field(description="English name.")
    description: Text | None = Field(default=None, description="What initiatives of it do.")


class Initiative(_Entity):
    """Mô hình: a named model of the movement run in a place.

    "Tái hòa nhập cộng đồng" in commune Mường So is one initiative; the
    places it runs are its :class:`Site` records. Called ``Initiative`` in code
    so that it never collides with pydantic's models.
    """

    id: EntityId = Field(description="Identifier.")
    name_vi: Name = Field(description="Name of the mô hình as reports write it.")
    name_en: Name | None = Field(default=None, description="English rendering of the name.")
    theme: EntityId = Field(description="Id of its InitiativeTheme.")
    scope: str | None = Field(
        default=None, description="Code of the administrative unit that runs it, if stated."
    )
    started: Period | None = Field(
        default=None,
        description="Period in which it began: a year when the source says 'từ năm 2012'.",
    )
    typical: StrictBool = Field(
        default=False, description="Counted among the typical models (mô hình tiêu biểu)."
    )
    lead_bodies: tuple[Name, ...] = Field(
        default=(), description="Bodies that lead it (e.g. commune police)."
    )
    partner_bodies: tuple[Name, ...] = Field(
        default=(), description="Mass organizations and sectors that take part."
    )
    description_vi: Text | None = Field(default=None, description="What it does, in Vietnamese.")
    description_en: Text | None = Field(default=None, description="What it does, in English.")
    outcomes: tuple[Statement, ...] = Field(
        default=(), description="Qualitative outcomes; figures are Observations."
    )
    sources: tuple[EntityId, ...] = Field(default=(), description="Ids of Sources describing it.")
    note: Text | None = Field(default=None, description="Editorial note on how it was recorded.")


class CoordinationAgreement(_Entity):
    """Quy chế phối hợp: an agreement signed by the units that run a site together."""

    title_vi: Name | None = Field(default=None, description="Title of the agreement.")
    parties: tuple[Name, ...] = Field(min_length=2, description="The bodies that signed it.")
    signed: Period | None = Field(
        default=None, description="When it was signed (a day, or a coarser period if unknown)."
    )
    source: EntityId | None = Field(default=None, description="Id of the Source that reports it.")


class Site(_Entity):
    """Điểm mô hình: a place where an initiative runs.

    A site covers one or more administrative units; a cluster site (cụm giáp
    ranh) spans several communes and counts once, at the lowest unit that
    contains all of them.
    """

    id: EntityId = Field(description="Identifier.")
    initiative: EntityId = Field(description="Id of the Initiative run here.")
    admin_units: tuple[str, ...] = Field(
        min_length=1, description="Codes of the administrative units it covers."
    )
    name_vi: Name | None = Field(default=None, description="Name of the site, if it has one.")
    started: Period | None = Field(default=None, description="Period in which it began.")
    coordination_agreement: CoordinationAgreement | None = Field(
        default=None, description="Agreement signed by the units that run it together."
    )
    example: StrictBool = Field(
        default=False,
        description="The source names it as an example ('điển hình như'), not as the full list.",
    )
    note: Text | None = Field(default=None, description="Editorial note.")

    @field_validator("admin_units")
    @classmethod
    def _distinct_units(cls, units: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(units)) != len(units):
            msg = "a site lists each administrative unit once"
            raise ValueError(msg)
        return units


class OrganizationKind(enum.StrEnum):
    """Kinds of mass organization for security and order (tổ chức quần chúng bảo vệ ANTT)."""

    PEOPLE_SECURITY_TEAM = "people_security_team"
    """Tổ an ninh nhân dân."""
    SELF_MANAGEMENT_TEAM = "self_management_team"
    """Tổ tự quản (by clan, along the border line...)."""
    MEDIATION_TEAM = "mediation_team"
    """Tổ hòa giải, under the Law on Grassroots Mediation 2013."""
    SECURITY_ORDER_TEAM = "security_order_team"
    """Tổ bảo vệ an ninh, trật tự ở cơ sở, under Law 30/2023/QH15, from 1 July 2024."""
    YOUTH_SHOCK_TEAM = "youth_shock_team"
    """Đội thanh niên xung kích."""
    CIVIL_DEFENSE_TEAM = "civil_defense_team"
    """Đội dân phòng."""
    NEIGHBOURHOOD_GUARD = "neighbourhood_guard"
    """Bảo vệ dân phố (merged into the security and order teams in 2024)."""
    OTHER = "other"
    """Any other kind; say which in the organization's name."""


class MassOrganization(_Entity):
    """Tổ chức quần chúng bảo vệ ANTT: a mass organization for security and order."""

    id: EntityId = Field(description="Identifier.")
    kind: OrganizationKind = Field(description="Kind of organization.")
    name_vi: Name = Field(description="Name as registered.")
    admin_unit: str = Field(description="Code of the administrative unit it works in.")
    established_on: Date | None = Field(default=None, description="Date it was set up.")
    member_count: Annotated[int, Field(ge=0, strict=True)] | None = Field(
        default=None, description="Number of members as reported (not a distinct-person count)."
    )
    initiative: EntityId | None = Field(
        default=None, description="Id of the Initiative it belongs to, if any."
    )
    note: Text | None = Field(default=None, description="Editorial note.")


class ParticipantRole(enum.StrEnum):
    """Roles a person can have in the movement's records."""

    MEMBER = "member"
    """Thành viên / hội viên of an organization."""
    LEADER = "leader"
    """Tổ trưởng."""
    DEPUTY = "deputy"
    """Tổ phó."""
    PRESTIGIOUS_PERSON = "prestigious_person"
    """Người có uy tín in an ethnic-minority community."""
    RELEASED_PRISONER = "released_prisoner"
    """Người chấp hành xong án phạt tù (sensitive)."""
    SUBJECT_OF_CONCERN = "subject_of_concern"
    """Đối tượng, an offender or at-risk person (sensitive)."""
    EXEMPLAR = "exemplar"
    """Điển hình tiên tiến, a person officially praised or publicly cited as an example."""


_SENSITIVE: Final[dict[str, JsonValue]] = {"$comment": PERSONAL_DATA_COMMENT}


class Participant(_Entity):
    """Người tham gia: a person the records name, with their roles.

    Names, identity numbers and birth dates are personal data. They are
    optional, hidden from ``repr``, and left out of
    :meth:`~pydantic.BaseModel.model_dump`,
    :meth:`~pydantic.BaseModel.model_dump_json` and every export unless the caller passes
    ``context={"include_sensitive": True}``; :meth:`Dataset.dump
    <antq_core.Dataset.dump>`, the owner's own store, keeps them.

    >>> p = Participant(id="p1", roles=["exemplar"], full_name="Nguyễn Văn A")
    >>> (
    ...     "full_name" in p.model_dump(),
    ...     p.model_dump(context={"include_sensitive": True})["full_name"],
    ... )
    (False, 'Nguyễn Văn A')
    >>> "Nguyễn" in repr(p)
    False
    """

    # Personal values must not travel in error messages either.
    model_config = ConfigDict(hide_input_in_errors=True)

    id: EntityId = Field(description="Identifier; never derived from the name or ID number.")
    roles: tuple[ParticipantRole, ...] = Field(min_length=1, description="Roles of the person.")
    admin_unit: str | None = Field(default=None, description="Code of the unit they live in.")
    initiative: EntityId | None = Field(default=None, description="Initiative they take part in.")
    organization: EntityId | None = Field(default=None, description="Organization they belong to.")
    note_vi: Text | None = Field(
        default=None, description="Public note (no names): what the source says of them."
    )
    full_name: Name | None = Field(
        default=None,
        repr=False,
        description=f"Full name. {PERSONAL_DATA_NOTE}",
        json_schema_extra=dict(_SENSITIVE),
    )
    identity_number: (
        Annotated[
            str,
            StringConstraints(pattern=r"^[0-9]{9}([0-9]{3})?$"),
            JsonPattern(whole("[0-9]{9}(?:[0-9]{3})?")),
        ]
        | None
    ) = Field(
        default=None,
        repr=False,
        description=f"CMND (9 digits) or CCCD (12 digits) number. {PERSONAL_DATA_NOTE}",
        json_schema_extra=dict(_SENSITIVE),
    )
    birth_date: Date | None = Field(
        default=None,
        repr=False,
        description=f"Date of birth. {PERSONAL_DATA_NOTE}",
        json_schema_extra=dict(_SENSITIVE),
    )

    @model_validator(mode="wrap")
    @classmethod
    def _redact_errors(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        # Not even pydantic's own error may carry a personal value (see redacted()).
        try:
            return handler(data)
        except ValidationError as e:
            raise redacted(e, _PUBLIC_FIELDS) from None

    @model_serializer(mode="wrap")
    def _hide_sensitive(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        context = info.context if isinstance(info.context, dict) else {}
        # Only True opens them: a truthy "no" or 1 is a mistake, not a request.
        if context.get("include_sensitive") is not True:
            for name in SENSITIVE_FIELDS:
                data.pop(name, None)
        return data

    @field_validator("roles")
    @classmethod
    def _distinct_roles(cls, roles: tuple[ParticipantRole, ...]) -> tuple[ParticipantRole, ...]:
        if len(set(roles)) != len(roles):
            msg = "each role is listed once"
            raise ValueError(msg)
        return roles

    @property
    def has_sensitive_data(self) -> bool:
        """Whether any personal field is filled in."""
        return any(getattr(self, name) is not None for name in SENSITIVE_FIELDS)

    def pseudonymised(self, key: bytes) -> Self:
        """A copy with personal fields removed and the id replaced by a keyed pseudonym.

        The pseudonym is :func:`~antq_core.privacy.pseudonym_id` of the id under ``key``: the same
        person gets the same pseudonym with the same key, and nobody without
        the key can go back. Other records that point at this participant
        must be mapped with the same key: :func:`~antq_core.privacy.pseudonymise` does
        it for a whole dataset.

        Raises:
            InvalidValueError: ``key`` is not bytes, or is shorter than
                :data:`~antq_core.privacy.MIN_PSEUDONYM_KEY_BYTES`.
        """
        cleared = dict.fromkeys(SENSITIVE_FIELDS)
        return self.model_copy(update={"id": pseudonym_id(self.id, key), **cleared})


MIN_PSEUDONYM_KEY_BYTES: Final = 16
"""The shortest key a pseudonym accepts, in bytes (128 bits, too many to guess by trying)."""

_PSEUDONYM_DOMAIN: Final = b"antq_core participant pseudonym v1\x00"


def pseudonym_id(id: str, key: bytes) -> str:  # noqa: A002 - an entity id
    """The keyed pseudonym of participant id ``id``: ``p-`` and 20 hex digits.

    HMAC-SHA256 under ``key`` of the id (with a fixed domain prefix), cut to
    80 bits: the same id gives the same pseudonym under the same key, in any
    dataset; without the key it can be neither reversed nor recomputed from a
    guessed id.

    Raises:
        InvalidValueError: ``key`` is not bytes, or is shorter than
            :data:`~antq_core.privacy.MIN_PSEUDONYM_KEY_BYTES`.
    """
    if not isinstance(key, bytes):
        raise InvalidValueError("pseudonym key", type(key).__name__, "give bytes")
    if len(key) < MIN_PSEUDONYM_KEY_BYTES:
        reason = f"give at least {MIN_PSEUDONYM_KEY_BYTES} bytes (secrets.token_bytes(32))"
        raise InvalidValueError("pseudonym key", f"{len(key)} bytes", reason)
    digest = hmac.new(key, _PSEUDONYM_DOMAIN + id.encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:20]}"


# Fields whose bad values an error may quote; free text (the note) may hold a name, so not it.
_PUBLIC_FIELDS: Final = frozenset(Participant.model_fields) - {*SENSITIVE_FIELDS, "note_vi"}


class CategoryOption(_Entity):
    """One option of a disaggregation category (e.g. ``family`` of ``capital_source``)."""

    id: EntityId = Field(description="Identifier within its category.")
    name_vi: Name = Field(description="Vietnamese label.")
    name_en: Name = Field(description="English label.")


class DisaggregationCategory(_Entity):
    """A way of breaking a figure down, as DHIS2's categories do: sex, capital source..."""

    id: EntityId = Field(description="Identifier (``capital_source``).")
    name_vi: Name = Field(description="Vietnamese label.")
    name_en: Name = Field(description="English label.")
    options: tuple[CategoryOption, ...] = Field(min_length=1, description="Its options.")
    exhaustive: StrictBool = Field(
        default=False,
        description=(
            "Whether a figure's parts by this category make up the whole figure even when"
            " an option is left out (an option not reported is none of it). Otherwise parts"
            " make up the whole only when every option is reported."
        ),
    )

    @field_validator("options")
    @classmethod
    def _distinct_options(cls, options: tuple[CategoryOption, ...]) -> tuple[CategoryOption, ...]:
        ids = [o.id for o in options]
        if len(set(ids)) != len(ids):
            msg = "option ids repeat within the category"
            raise ValueError(msg)
        return options


class MetricKind(enum.StrEnum):
    """How a figure behaves over time, which fixes how it may be added up."""

    FLOW = "flow"
    """Happens during the period (cases, meetings, area destroyed); sums over time and space."""
    STOCK = "stock"
    """A level at the end of the period (organizations, members).

    Last value over time, sum over space.
    """
    DISTINCT = "distinct"
    """A count of distinct people, computed from participant-level records, never summed."""
    RATIO = "ratio"
    """numerator / denominator × factor, computed after aggregating both parts."""


class AggregationType(enum.StrEnum):
    """How values combine along one axis (time or space), with DHIS2's meanings."""

    SUM = "sum"
    AVERAGE = "average"
    AVERAGE_SUM_ORG_UNIT = "average_sum_org_unit"
    """Average over time, then sum over units."""
    LAST = "last"
    """The most recent value in the period, per unit."""
    LAST_AVERAGE_ORG_UNIT = "last_average_org_unit"
    LAST_IN_PERIOD = "last_in_period"
    """The value of the period's last sub-period only, per unit."""
    FIRST = "first"
    MIN = "min"
    MAX = "max"
    COUNT = "count"
    """The number of values reported, as in DHIS2 (not a count of people)."""
    DISTINCT = "distinct"
    """The number of distinct participants, from participant-level records.

    Each person counts once across units and periods; DHIS2's aggregate model
    has no such type.
    """
    NONE = "none"
    """Not aggregated; only the reported value itself is shown."""


_DEFAULT_AGGREGATION: Final = {
    MetricKind.FLOW: (AggregationType.SUM, AggregationType.SUM),
    MetricKind.STOCK: (AggregationType.SUM, AggregationType.LAST),
    MetricKind.DISTINCT: (AggregationType.DISTINCT, AggregationType.DISTINCT),
    MetricKind.RATIO: (AggregationType.NONE, AggregationType.NONE),
}


class MetricDefinition(_Entity):
    """Chỉ tiêu: a figure reports give, with its unit and how it aggregates.

    The aggregation over space and over time default from :attr:`kind`
    (flow: sum and sum; stock: sum over units, last over time; distinct:
    count of distinct people; ratio: computed from its parts) and can be set
    explicitly with DHIS2's aggregation types.
    """

    id: EntityId = Field(description="Identifier, snake_case (``cases_resolved_jointly``).")
    name_vi: Name = Field(description="Vietnamese name as reports write it.")
    name_en: Name = Field(description="English name.")
    unit: Unit = Field(description="Unit values are reported in.")
    kind: MetricKind = Field(description="Flow, stock, distinct count or ratio.")
    space_aggregation: AggregationType = Field(
        default=AggregationType.SUM, description="How values of several units combine."
    )
    time_aggregation: AggregationType = Field(
        default=AggregationType.SUM, description="How values of several periods combine."
    )
    categories: tuple[EntityId, ...] = Field(
        default=(), description="Ids of the disaggregation categories it may be broken down by."
    )
    numerator: EntityId | None = Field(default=None, description="For a ratio: the metric above.")
    denominator: EntityId | None = Field(
        default=None, description="For a ratio: the metric below."
    )
    factor: Annotated[int, Field(gt=0, strict=True)] = Field(
        default=1, description="For a ratio: multiplier (100 for a percentage)."
    )
    threshold: Quantity | None = Field(
        default=None,
        description="For a count of people above a level: the level (2 triệu đồng/tháng).",
    )
    description: Text | None = Field(default=None, description="What exactly is counted.")

    @model_validator(mode="before")
    @classmethod
    def _default_aggregation(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" in data:
            try:
                kind = MetricKind(data["kind"])
            except ValueError:
                return data  # the field validator reports it
            space, time = _DEFAULT_AGGREGATION[kind]
            data = {"space_aggregation": space, "time_aggregation": time, **data}
        return data

    def _derived(self) -> set[str]:
        # Aggregation types equal to the kind's defaults came from the kind.
        space, time = _DEFAULT_AGGREGATION[self.kind]
        derived = set()
        if self.space_aggregation is space:
            derived.add("space_aggregation")
        if self.time_aggregation is time:
            derived.add("time_aggregation")
        return derived

    def with_categories(self, *categories: str) -> Self:
        """This metric, also broken down by ``categories`` (ids of disaggregation categories).

        The way to extend a built-in metric for a dataset of one's own: the
        result is validated (see ``evolve()``); categories it already has are
        not repeated. Whether the categories exist is checked by
        :func:`~antq_core.validate` against the dataset's categories.

        >>> from antq_core import builtin_catalog
        >>> tips = builtin_catalog().metric("tips_received")
        >>> tips.with_categories("sex").categories
        ('sex',)
        """
        return self.evolve(categories=tuple(dict.fromkeys((*self.categories, *categories))))

    @model_validator(mode="after")
    def _ratio_parts(self) -> Self:
        is_ratio = self.kind is MetricKind.RATIO
        has_parts = self.numerator is not None or self.denominator is not None
        if is_ratio and (self.numerator is None or self.denominator is None):
            msg = "a ratio needs a numerator and a denominator"
            raise ValueError(msg)
        if not is_ratio and (has_parts or self.factor != 1):
            msg = "only a ratio has a numerator, a denominator and a factor"
            raise ValueError(msg)
        return self


def _whole_units_are_whole(schema: dict[str, Any]) -> None:
    """JSON Schema: in a unit that counts whole things, the value is a whole number."""
    whole_units = [code for code, unit in Unit.all().items() if unit.whole]
    schema["if"] = {"properties": {"unit": {"enum": whole_units}}, "required": ["unit"]}
    schema["then"] = {
        "properties": {
            "value": {
                "anyOf": [{"type": "integer"}, {"type": "string", "pattern": whole(WHOLE_TEXT)}]
            }
        }
    }


class Observation(_Entity):
    """Số liệu: one reported figure: a metric's value for a subject in a period.

    ``22 cases resolved jointly at the cluster site, since 2016 to
    13 July 2017`` is one observation. The :class:`~antq_core.Dataset` stores
    observations column-wise and hands these models out as views.

    >>> o = Observation(
    ...     metric="cases_resolved_jointly",
    ...     subject="site:mh3-s1",
    ...     period="2016-01-01/2017-07-13",
    ...     value=22,
    ...     unit="case",
    ... )
    >>> o.quantity
    Quantity(22, 'case')
    >>> o.model_dump(mode="json")["period"]
    '2016-01-01/2017-07-13'
    """

    model_config = ConfigDict(json_schema_extra=_whole_units_are_whole)

    metric: EntityId = Field(description="Id of the MetricDefinition.")
    subject: SubjectRef = Field(description="What it is about, ``kind:id``.")
    period: Period = Field(description="The period the figure belongs to.")
    unit: Unit = Field(description="Unit of the value; must fit the metric's unit.")
    value: Value = Field(description="The number: an integer, or a decimal string.")
    qualifier: Qualifier = Field(
        default=Qualifier.EXACT, description="Exact, at least, at most or approximately."
    )
    disaggregation: Disaggregation = Field(
        default=EMPTY_DISAGGREGATION,
        description="Which slice of the figure: category id → option id; empty for the total.",
    )
    source: EntityId | None = Field(default=None, description="Id of the Source it is cited from.")
    note: Text | None = Field(default=None, description="How it was read from the source.")

    @field_validator("value", mode="after")
    @classmethod
    def _valid_for_unit(cls, value: Number, info: ValidationInfo) -> Number:
        unit = info.data.get("unit")
        return value if unit is None else Quantity(value, unit).value

    @property
    def quantity(self) -> Quantity:
        """Value, unit and qualifier as one :class:`~antq_core.Quantity`."""
        return Quantity(self.value, self.unit, self.qualifier)


class DatasetMetadata(_Entity):
    """What a dataset is: its title, report date and what it was compiled from."""

    title_vi: Name = Field(description="Title in Vietnamese.")
    title_en: Name | None = Field(default=None, description="Title in English.")
    report_date: Date | None = Field(
        default=None,
        description="Date the figures are reported as of (the publication date of a report).",
    )
    province: str | None = Field(
        default=None, description="Code of the province the dataset covers, if one."
    )
    description: Text | None = Field(
        default=None, description="What it holds and how it was made."
    )
    license: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="Terms of reuse."
    )


# -- the reporting cycle ---------------------------------------------------------------


class FormMetric(_Entity):
    """One line of a reporting form: a metric it asks for, and how.

    >>> FormMetric(metric="tips_received", compulsory=True).compulsory
    True
    """

    metric: EntityId = Field(description="Id of the MetricDefinition asked for.")
    compulsory: StrictBool = Field(
        default=False, description="A report without this figure is incomplete (bắt buộc)."
    )
    categories: tuple[EntityId, ...] = Field(
        default=(),
        description="Ids of the categories the form breaks the figure down by (a subset of the "
        "metric's); empty for the total only.",
    )


class ReportingForm(_Entity):
    """Biểu mẫu báo cáo: what a unit reports, for which periods, by when (DHIS2's data set).

    The units that must report are given one way: every unit of a level
    (``assigned_level``, optionally only under ``assigned_under``), a list of
    unit codes (``assigned_units``), or a unit group (``assigned_group``,
    ``"<group set>:<group>"``, such as ``"vn_regions:red_river_delta"``).

    Dates are counted in days after the period's last day: entry opens
    ``open_days`` after it (0: the day after it ends; negative: before it
    ends), a report is on time up to ``timely_days`` after it (DHIS2's timely
    days) and entry closes ``expiry_days`` after it (DHIS2's expiry days;
    ``None``: never).

    >>> form = ReportingForm(
    ...     id="monthly",
    ...     name_vi="Báo cáo tháng",
    ...     name_en="Monthly report",
    ...     period_kind="month",
    ...     metrics=[{"metric": "tips_received", "compulsory": True}],
    ...     assigned_level="commune",
    ...     timely_days=5,
    ...     expiry_days=15,
    ... )
    >>> from antq_core import Period
    >>> form.due(Period.parse("2025-08")), form.closes(Period.parse("2025-08"))
    (datetime.date(2025, 9, 5), datetime.date(2025, 9, 15))
    """

    id: EntityId = Field(description="Identifier.")
    name_vi: Name = Field(description="Vietnamese name of the form.")
    name_en: Name = Field(description="English name of the form.")
    period_kind: PeriodKind = Field(description="The kind of period reported (month, year...).")
    metrics: tuple[FormMetric, ...] = Field(min_length=1, description="The metrics it asks for.")
    assigned_level: AdminLevel | None = Field(
        default=None, description="Every unit of this level reports."
    )
    assigned_under: str | None = Field(
        default=None,
        description="With assigned_level: only the units under this unit's code.",
    )
    assigned_units: tuple[str, ...] = Field(
        default=(), description="Codes of the units that report."
    )
    assigned_group: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+:[A-Za-z0-9._-]+$")] | None
    ) = Field(default=None, description="A unit group, ``set:group``, whose units report.")
    open_days: Annotated[int, Field(strict=True, ge=-366, le=366)] = Field(
        default=-366,
        description="Days after the period's end that entry opens (negative: before it ends). "
        "The default, -366, opens every period from its start.",
    )
    timely_days: Annotated[int, Field(strict=True, ge=0, le=3660)] = Field(
        default=0, description="Days after the period's end a report counts as on time."
    )
    expiry_days: Annotated[int, Field(strict=True, ge=0, le=3660)] | None = Field(
        default=None,
        description="Days after the period's end after which entry is closed; none: never.",
    )
    description: Text | None = Field(default=None, description="What the form is for.")

    @field_validator("metrics")
    @classmethod
    def _distinct_metrics(cls, metrics: tuple[FormMetric, ...]) -> tuple[FormMetric, ...]:
        ids = [m.metric for m in metrics]
        if len(set(ids)) != len(ids):
            msg = "a form lists each metric once"
            raise ValueError(msg)
        return metrics

    @field_validator("assigned_units")
    @classmethod
    def _distinct_units(cls, units: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(units)) != len(units):
            msg = "a form lists each assigned unit once"
            raise ValueError(msg)
        return units

    @model_validator(mode="after")
    def _one_assignment(self) -> Self:
        given = [
            self.assigned_level is not None,
            bool(self.assigned_units),
            self.assigned_group is not None,
        ]
        if sum(given) != 1:
            msg = "give exactly one of assigned_level, assigned_units and assigned_group"
            raise ValueError(msg)
        if self.assigned_under is not None and self.assigned_level is None:
            msg = "assigned_under narrows assigned_level; give a level too"
            raise ValueError(msg)
        if self.expiry_days is not None and self.expiry_days < self.timely_days:
            msg = "entry cannot close (expiry_days) before reports stop being on time"
            raise ValueError(msg)
        return self

    @functools.cached_property
    def lines(self) -> Mapping[str, FormMetric]:
        """The form's lines by metric id."""
        return MappingProxyType({m.metric: m for m in self.metrics})

    @functools.cached_property
    def compulsory(self) -> tuple[str, ...]:
        """Ids of the metrics a report must give."""
        return tuple(m.metric for m in self.metrics if m.compulsory)

    def metric(self, id: str) -> FormMetric | None:  # noqa: A002
        """The form's line for metric ``id``, or ``None`` if the form does not ask for it."""
        return self.lines.get(id)

    def _after_end(self, period: Period, days: int) -> dt.date:
        return period.end + dt.timedelta(days=days)

    def opens(self, period: Period) -> dt.date:
        """The first day on which figures for ``period`` may be entered."""
        return max(period.start, self._after_end(period, self.open_days))

    def due(self, period: Period) -> dt.date:
        """The last day on which a report for ``period`` is on time."""
        return self._after_end(period, self.timely_days)

    def closes(self, period: Period) -> dt.date | None:
        """The last day on which figures for ``period`` may be entered; ``None``: never closes."""
        return None if self.expiry_days is None else self._after_end(period, self.expiry_days)

    def is_open(self, period: Period, on: dt.date) -> bool:
        """Whether figures for ``period`` may be entered on day ``on``."""
        closes = self.closes(period)
        return self.opens(period) <= on and (closes is None or on <= closes)


class SubmissionItem(_Entity):
    """One figure of a submission, with where it was read from.

    The metric, value and the rest are an :class:`Observation`'s; the
    subject and period are the submission's. ``unit`` defaults to the
    metric's. ``sheet``, ``row`` and ``cell`` say where in the file it was
    read, so that a conflict points at it.
    """

    metric: EntityId = Field(description="Id of the MetricDefinition.")
    value: Value | None = Field(
        default=None, description="The number; none only for an item of a deletion."
    )
    unit: Unit | None = Field(default=None, description="Unit of the value; the metric's if none.")
    qualifier: Qualifier = Field(
        default=Qualifier.EXACT, description="Exact, at least, at most or approximately."
    )
    disaggregation: Disaggregation = Field(
        default=EMPTY_DISAGGREGATION, description="Which slice: category id → option id."
    )
    source: EntityId | None = Field(default=None, description="Id of the Source it is cited from.")
    note: Text | None = Field(default=None, description="Note on the figure.")
    sheet: Name | None = Field(default=None, description="Sheet of the workbook it was read from.")
    row: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        default=None, description="Row of the file it was read from (the header is row 1)."
    )
    cell: Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,3}[0-9]{1,7}$")] | None = Field(
        default=None, description="Cell of the value, in a workbook (``D7``)."
    )


class Submission(_Entity):
    """Báo cáo của một đơn vị: one unit's report on one form for one period.

    Read one from JSON with ``Submission.model_validate(...)``, or from a
    filled CSV or Excel table with :func:`antq_core.io.tabular.read_submission`;
    apply it with :meth:`Dataset.apply <antq_core.Dataset.apply>`. A DHIS2
    payload is imported straight into a dataset by
    :func:`antq_core.io.dhis2.from_dhis2_data_value_set`, with the same summary.

    >>> s = Submission(
    ...     form="monthly",
    ...     subject="unit:12",
    ...     period="2025-08",
    ...     items=[{"metric": "tips_received", "value": 7}],
    ...     stored_by="cand.ttd",
    ... )
    >>> s.items[0].value, str(s.period)
    (7, '2025-08')
    """

    form: EntityId | None = Field(
        default=None, description="Id of the ReportingForm; none for figures outside any form."
    )
    subject: SubjectRef = Field(description="Who reports: ``unit:CODE`` (or a site...).")
    period: Period = Field(description="The period reported.")
    items: tuple[SubmissionItem, ...] = Field(description="The figures, in the order given.")
    stored_by: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="Account of whoever entered it (DHIS2's storedBy)."
    )
    submitted: dt.datetime | None = Field(
        default=None,
        description="When it was submitted (timezone-aware); when applied, if none.",
    )
    complete: StrictBool = Field(
        default=True, description="The unit marks its report complete (DHIS2's complete)."
    )
    file: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        default=None, description="The file it was read from, if one."
    )

    @field_validator("submitted")
    @classmethod
    def _aware(cls, when: dt.datetime | None) -> dt.datetime | None:
        if when is not None and when.utcoffset() is None:
            msg = "give the time zone (2025-09-03T08:00:00+07:00)"
            raise ValueError(msg)
        return when
