"""Unit groups and group sets: named sets of administrative units, such as regions.

As in DHIS2's organisation unit groups: a group lists its member units (of any
level) for each gazetteer version; a unit belongs to a group when it or a unit
above it is a member. A group set gathers groups of one kind (the six
socio-economic regions); an *exclusive* set lets no unit be in two of its groups,
since a figure would then be counted twice in a roll-up by group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Final

import attrs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
)

from antq_core._values.geo import Gazetteer
from antq_core._values.schema import Date, format_problems, validated
from antq_core._values.text import NfcStr
from antq_core.errors import DatasetLoadError, InvalidValueError, Problem

__all__ = ["UnitGroup", "UnitGroupSet", "read_group_sets"]

GROUPS_FORMAT: Final = "antq-groups"
GROUPS_FORMAT_VERSION: Final = 1


def _frozen_members(value: Mapping[str, Sequence[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({version: tuple(codes) for version, codes in value.items()})


@attrs.frozen
class UnitGroup:
    """A named set of administrative units (nhóm đơn vị), per gazetteer version.

    Attributes:
        id: Identifier within its group set (``"red_river_delta"``).
        name_vi: Vietnamese name (``"Đồng bằng sông Hồng"``).
        members: For each gazetteer version, the codes of the member units.
        source: Id of the source that defines the group, if any.

    .. versionadded:: 0.1.0
    """

    id: str
    name_vi: str
    members: Mapping[str, tuple[str, ...]] = attrs.field(converter=_frozen_members)
    source: str | None = None

    def contains(self, gazetteer: Gazetteer, code: str) -> bool:
        """Whether unit ``code`` of ``gazetteer`` is a member or lies under one."""
        members = set(self.members.get(gazetteer.version, ()))
        return any(u in members for u in (code, *(a.code for a in gazetteer.ancestors(code))))


def _groups_tuple(value: Iterable[UnitGroup]) -> tuple[UnitGroup, ...]:
    return tuple(value)


@attrs.frozen
class UnitGroupSet:
    """A set of unit groups of one kind (bộ nhóm), such as the socio-economic regions.

    >>> from antq_core import bundled_gazetteer, bundled_group_sets
    >>> regions = bundled_group_sets()["region"]
    >>> regions.group_of(bundled_gazetteer("vn_2025_07"), "03549").name_vi
    'Trung du và miền núi phía Bắc'

    Attributes:
        id: Identifier (``"region"``), as ``group:<id>`` names it.
        name_vi: Vietnamese name.
        name_en: English name, if any.
        exclusive: Whether a unit may be in at most one of its groups.
        groups: The groups, in order.

    .. versionadded:: 0.1.0
    """

    id: str
    name_vi: str
    groups: tuple[UnitGroup, ...] = attrs.field(converter=_groups_tuple)
    exclusive: bool = False
    name_en: str | None = None

    def group(self, id: str) -> UnitGroup:  # noqa: A002
        """The group ``id``.

        Raises:
            InvalidValueError: The set has no such group.
        """
        for g in self.groups:
            if g.id == id:
                return g
        choices = ", ".join(g.id for g in self.groups)
        raise InvalidValueError(f"group of {self.id!r}", id, f"choose one of {choices}")

    def groups_of(self, gazetteer: Gazetteer, code: str) -> list[UnitGroup]:
        """Every group of the set that contains unit ``code`` of ``gazetteer``."""
        above = {code, *(a.code for a in gazetteer.ancestors(code))}
        return [g for g in self.groups if above.intersection(g.members.get(gazetteer.version, ()))]

    def group_of(self, gazetteer: Gazetteer, code: str) -> UnitGroup | None:
        """The one group that contains ``code``, or ``None``.

        Raises:
            InvalidValueError: ``code`` is in several groups of the set.
        """
        found = self.groups_of(gazetteer, code)
        if len(found) > 1:
            ids = ", ".join(g.id for g in found)
            raise InvalidValueError("unit", code, f"it is in several groups of {self.id!r}: {ids}")
        return found[0] if found else None

    def overlaps(self, gazetteer: Gazetteer) -> dict[str, tuple[str, ...]]:
        """Units of ``gazetteer`` in two or more groups: code -> group ids.

        For an exclusive set these are errors: a figure on such a unit would be
        counted once in each of its groups.
        """
        out: dict[str, tuple[str, ...]] = {}
        for unit in gazetteer:
            found = self.groups_of(gazetteer, unit.code)
            if len(found) > 1:
                out[unit.code] = tuple(g.id for g in found)
        return out


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    title: NfcStr = Field(min_length=1)
    issuer: NfcStr | None = None
    number: NfcStr | None = None
    date: Date | None = None
    url: str | None = None
    note: NfcStr | None = None


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name_vi: NfcStr = Field(min_length=1)
    source: str | None = None
    members: dict[str, tuple[str, ...]]


class _GroupSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name_vi: NfcStr = Field(min_length=1)
    name_en: NfcStr | None = None
    exclusive: StrictBool = False
    membership: NfcStr | None = None
    groups: tuple[_Group, ...]


class _GroupsDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str
    format_version: StrictInt
    id: str = Field(min_length=1)
    title: NfcStr | None = None
    sources: tuple[_Source, ...] = ()
    build_notes: dict[str, tuple[NfcStr, ...]] = Field(default_factory=dict)
    group_sets: tuple[_GroupSet, ...]


_DOCUMENT: Final = TypeAdapter(_GroupsDocument)


def read_group_sets(data: bytes | str, *, source: str = "<memory>") -> dict[str, UnitGroupSet]:
    """The group sets of an ``antq-groups`` JSON document, by id.

    Raises:
        DatasetLoadError: The document does not match the format; every problem
            is listed with its JSON path.
    """
    doc = validated(_DOCUMENT.validate_json, data, source)
    problems = format_problems(
        (doc.format, GROUPS_FORMAT), (doc.format_version, GROUPS_FORMAT_VERSION)
    )
    source_ids = {s.id for s in doc.sources}
    for i, gs in enumerate(doc.group_sets):
        for j, g in enumerate(gs.groups):
            if g.source is not None and g.source not in source_ids:
                at = f"$.group_sets[{i}].groups[{j}].source"
                en = "no source with this id in $.sources"
                vi = "Không có nguồn nào mang mã này trong $.sources"
                problems.append(Problem.at(at, en, vi, g.source))
    if problems:
        raise DatasetLoadError(source, problems)
    return {
        gs.id: UnitGroupSet(
            id=gs.id,
            name_vi=gs.name_vi,
            name_en=gs.name_en,
            exclusive=gs.exclusive,
            groups=[UnitGroup(g.id, g.name_vi, g.members, g.source) for g in gs.groups],
        )
        for gs in doc.group_sets
    }
