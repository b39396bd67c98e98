"""Small value types that entities share: subject references and disaggregations."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

import attrs
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from antq_core._values.patterns import whole
from antq_core._values.schema import value_schema
from antq_core.errors import InvalidValueError, enum_member

__all__ = [
    "ID_JSON_PATTERN",
    "ID_PATTERN",
    "ID_RE",
    "Disaggregation",
    "SubjectKind",
    "SubjectRef",
]

_ID_BODY: Final = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
ID_PATTERN: Final = f"^{_ID_BODY}$"
"""Entity ids: ASCII letters, digits, ``.``, ``_`` and ``-``, at most 100 characters.

For pydantic, which reads ``$`` as the end of the text; the published JSON Schema
uses :data:`ID_JSON_PATTERN`.
"""
ID_JSON_PATTERN: Final = whole(_ID_BODY)
"""The same as :data:`ID_PATTERN`, read alike by ECMA-262 and Python's ``re``."""

ID_RE: Final = re.compile(ID_PATTERN)
""":data:`ID_PATTERN`, compiled: use ``fullmatch`` (``match`` takes a final newline)."""


class SubjectKind(enum.StrEnum):
    """What an observation is about."""

    SITE = "site"
    """A :class:`~antq_core.Site` (điểm mô hình)."""
    INITIATIVE = "initiative"
    """An :class:`~antq_core.Initiative` (mô hình) as a whole."""
    ORGANIZATION = "organization"
    """A :class:`~antq_core.MassOrganization` (tổ chức quần chúng)."""
    UNIT = "unit"
    """An administrative unit of the dataset's gazetteer, by code."""
    PARTICIPANT = "participant"
    """A :class:`~antq_core.Participant`: a participant-level record.

    Distinct counts of people (:attr:`AggregationType.DISTINCT
    <antq_core.AggregationType.DISTINCT>`) are counted from these: one
    observation says that this person was counted by the metric in the period.
    """


def _to_subject_kind(value: SubjectKind | str) -> SubjectKind:
    return enum_member(SubjectKind, value, "subject kind")


@attrs.frozen(repr=False)
class SubjectRef:
    """Reference to what an observation is about, written ``kind:id``.

    >>> SubjectRef.parse("unit:12")
    SubjectRef.parse('unit:12')
    >>> SubjectRef(SubjectKind.SITE, "mh3-s1").kind
    <SubjectKind.SITE: 'site'>

    Attributes:
        kind: Kind of the subject.
        id: Its id (for ``unit``: the administrative unit's code).
    """

    kind: SubjectKind = attrs.field(converter=_to_subject_kind)
    id: str

    def __attrs_post_init__(self) -> None:
        if ID_RE.fullmatch(self.id) is None:
            reason = "ids use ASCII letters, digits, '.', '_' and '-'"
            raise InvalidValueError("subject id", self.id, reason)

    @classmethod
    def parse(cls, text: str) -> SubjectRef:
        """Read ``kind:id``.

        Raises:
            InvalidValueError: Not a string of that form, or an unknown kind.
        """
        if not isinstance(text, str):
            raise InvalidValueError("subject", text, "write kind:id, e.g. 'site:mh3-s1'")
        kind, sep, id_ = text.partition(":")
        if not sep:
            raise InvalidValueError("subject", text, "write kind:id, e.g. 'site:mh3-s1'")
        try:
            subject_kind = SubjectKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in SubjectKind)
            reason = f"the kind must be one of {kinds}"
            raise InvalidValueError("subject", text, reason) from None
        return cls(subject_kind, id_)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    def __repr__(self) -> str:
        return f"SubjectRef.parse({str(self)!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from ``kind:id``; serialise to it."""
        return value_schema(_validate_subject, str)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A ``kind:id`` string."""
        kinds = "|".join(k.value for k in SubjectKind)
        return {
            "type": "string",
            "title": "SubjectRef",
            "pattern": whole(f"(?:{kinds}):{_ID_BODY}"),
            "examples": ["site:mh3-s1", "unit:12"],
        }


def _validate_subject(value: object) -> SubjectRef:
    if isinstance(value, SubjectRef):
        return value
    if isinstance(value, str):
        return SubjectRef.parse(value)
    raise InvalidValueError("subject", value, "a subject is written as a 'kind:id' string")


def _sorted_items(mapping: Mapping[Any, Any]) -> tuple[tuple[str, str], ...]:
    items = dict(mapping).items()
    for key, value in items:
        if not (isinstance(key, str) and isinstance(value, str)):
            reason = "categories and options are strings"
            raise InvalidValueError("disaggregation", mapping, reason)
    return tuple(sorted(items))


@attrs.frozen(repr=False)
class Disaggregation(Mapping[str, str]):
    """Which slice of a figure an observation is: category id → option id.

    ``{"capital_source": "family"}`` says "of the people who found work, those
    who got capital from their family". Empty means the total. Immutable and
    hashable; compares equal to a ``dict`` with the same items.

    >>> d = Disaggregation({"sex": "female"})
    >>> d["sex"], len(d), d == {"sex": "female"}
    ('female', 1, True)
    """

    items_: tuple[tuple[str, str], ...] = attrs.field(converter=_sorted_items, alias="items")

    def __attrs_post_init__(self) -> None:
        for key, value in self.items_:
            if ID_RE.fullmatch(key) is None or ID_RE.fullmatch(value) is None:
                reason = f"{key!r}: {value!r} is not an id (use ids, not labels)"
                raise InvalidValueError("disaggregation", dict(self.items_), reason)

    def __getitem__(self, key: str) -> str:
        for k, v in self.items_:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.items_)

    def __len__(self) -> int:
        return len(self.items_)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Disaggregation):
            return self.items_ == other.items_
        if isinstance(other, Mapping):
            return dict(self.items_) == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.items_)

    def __repr__(self) -> str:
        return f"Disaggregation({dict(self.items_)!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from a ``{category: option}`` object; serialise to it."""
        return value_schema(_validate_disaggregation, lambda d: dict(d.items_))

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """An object of category id → option id."""
        return {
            "type": "object",
            "title": "Disaggregation",
            "propertyNames": {"pattern": ID_JSON_PATTERN},
            "additionalProperties": {"type": "string", "pattern": ID_JSON_PATTERN},
        }


EMPTY_DISAGGREGATION: Final = Disaggregation({})


def _validate_disaggregation(value: object) -> Disaggregation:
    if isinstance(value, Disaggregation):
        return value
    if isinstance(value, Mapping):
        return Disaggregation(value)
    raise InvalidValueError("disaggregation", value, "write an object of category: option")
