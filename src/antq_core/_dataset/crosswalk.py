"""Geography versions: a crosswalk from one gazetteer version to the next, and remapping."""

from __future__ import annotations

import datetime as dt
import enum
import json
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import compress
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import attrs
from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter

from antq_core._dataset.catalog import bundled_gazetteer
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.store import (
    INT64_MAX,
    QUALIFIER_INDEX,
    FigureAudit,
    Interner,
    ObservationColumns,
    ObservationStore,
    Row,
    StoreBuilder,
    shared_column,
)
from antq_core._entities import (
    TEXT_LIMIT,
    Initiative,
    MassOrganization,
    Observation,
    Participant,
    Site,
)
from antq_core._util.atomic import atomic_write
from antq_core._util.data import bundled_bytes, bundled_names, bundled_version, data_source
from antq_core._util.extras import numpy_available, require
from antq_core._util.inputs import read_input
from antq_core._util.plaintext import PlainSchema
from antq_core._values.geo import Gazetteer
from antq_core._values.phrases import format_date
from antq_core._values.quantity import Number, Qualifier
from antq_core._values.refs import SubjectKind, SubjectRef
from antq_core._values.schema import Date, format_problems, validated
from antq_core._values.text import NfcStr
from antq_core.errors import (
    DatasetLoadError,
    InvalidValueError,
    Problem,
    SplitUnitError,
    UnmappedUnitError,
)

__all__ = [
    "Crosswalk",
    "CrosswalkEntry",
    "CrosswalkRelationship",
    "CrosswalkSource",
    "bundled_crosswalk",
]

CROSSWALK_FORMAT: Final = "antq-crosswalk"
CROSSWALK_FORMAT_VERSION: Final = 1

OnSplit = Literal["refuse", "approximate", "apportion"]
"""What :meth:`Crosswalk.remap` does with a figure recorded on a unit that was split."""

_ON_SPLIT: Final = ("refuse", "approximate", "apportion")

NUMPY_ROWS: Final = 100_000
"""Rows from which :meth:`Crosswalk.remap` recodes the subject column with numpy, if installed.

Both ways give the same columns; numpy's gather is about 20 times faster per
row than a Python ``map`` and its import (about 0.1 s) pays from here.
"""


class CrosswalkRelationship(enum.StrEnum):
    """How one old unit relates to the new units it maps to."""

    SAME = "same"
    """The unit goes on unchanged (same area, same code in the new version)."""
    MERGE = "merge"
    """The whole old unit became part of exactly one new unit, so its figures move exactly."""
    SPLIT = "split"
    """The old unit was divided among several new units; a figure on it cannot be divided."""
    DISSOLVED = "dissolved"
    """The level no longer exists (districts from 1 July 2025).

    The whole unit lies in the one new unit given (its province), where its figures are
    placed, exactly but on a coarser unit.
    """


class CrosswalkSource(PlainSchema, BaseModel):
    """A legal document (or other source) that a crosswalk's mappings are read from.

    Attributes:
        id: Short identifier that entries cite.
        title: Title of the document.
        issuer: Body that issued it (Ủy ban Thường vụ Quốc hội...).
        number: Its number (``1670/NQ-UBTVQH15``).
        date: Date it was issued or adopted.
        url: Where it can be read, if public.
        note: What was taken from it and how.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="Short identifier that entries cite.")
    title: NfcStr = Field(min_length=1, description="Title of the document.")
    issuer: NfcStr | None = Field(default=None, description="Body that issued it.")
    number: NfcStr | None = Field(default=None, description="Its number.")
    date: Date | None = Field(default=None, description="Date it was issued or adopted.")
    url: str | None = Field(default=None, description="Where it can be read, if public.")
    note: NfcStr | None = Field(default=None, description="What was taken from it and how.")


class _EntryRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str = Field(alias="from", min_length=1)
    to: tuple[str, ...] = Field(min_length=1)
    relationship: CrosswalkRelationship
    source: str = Field(min_length=1)
    article: NfcStr | None = None
    largest: str | None = None
    default: str | None = None
    shares: dict[str, Decimal] | None = None
    note: NfcStr | None = None


class _CrosswalkDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str
    format_version: StrictInt
    id: str = Field(min_length=1)
    title: NfcStr | None = None
    from_version: str = Field(min_length=1)
    to_version: str = Field(min_length=1)
    effective: Date
    coverage_note: NfcStr | None = None
    sources: tuple[CrosswalkSource, ...] = ()
    checks: dict[str, dict[str, StrictInt]] | None = None
    build_notes: dict[str, tuple[NfcStr, ...]] = Field(default_factory=dict)
    entries: tuple[_EntryRecord, ...]


_DOCUMENT: Final = TypeAdapter(_CrosswalkDocument)


def _frozen_shares(value: Mapping[str, Decimal] | None) -> Mapping[str, Decimal] | None:
    return None if value is None else MappingProxyType(dict(value))


@attrs.frozen
class CrosswalkEntry:
    """Where one old unit went.

    Attributes:
        old: Code of the unit in the old version.
        new: Codes of the unit(s) in the new version: one, except for a split.
        relationship: Same, merge, split or dissolved.
        source: Id of the :class:`CrosswalkSource` that says so.
        article: Article or clause of the source, if known (``"Điều 1"``).
        largest: For a split, the new unit that received the largest part, if
            the source says.
        default: For a split, the part the source places a figure or an
            address in when nothing more precise is known, if it names one.
        shares: For a split, each new unit's share of the old unit's area
            (fractions summing to 1), if the source gives them.
        note: What the source says of this unit.
    """

    old: str
    new: tuple[str, ...]
    relationship: CrosswalkRelationship
    source: str
    article: str | None = None
    largest: str | None = None
    note: str | None = None
    default: str | None = None
    shares: Mapping[str, Decimal] | None = attrs.field(default=None, converter=_frozen_shares)

    @property
    def exact(self) -> bool:
        """Whether a figure on the old unit belongs wholly to one new unit."""
        return self.relationship is not CrosswalkRelationship.SPLIT


class Crosswalk:
    """Một bảng chuyển đổi: where each unit of one gazetteer version went in the next.

    Vietnam abolished districts and merged communes on 1 July 2025. Figures
    recorded on the 2017 units are carried to today's units through a
    crosswalk: exact where units merged, marked or refused where a unit was
    split (a figure on it cannot be divided).

    >>> from antq_core import bundled_crosswalk
    >>> cw = bundled_crosswalk("lai_chau_2017_2025")
    >>> e = cw.entry("03589")
    >>> e.new, e.relationship.value, cw.target.unit(e.new[0]).full_name
    (('03549',), 'merge', 'xã Phong Thổ')
    >>> cw.source(e.source).number
    '1670/NQ-UBTVQH15'

    Attributes:
        id: Identifier (``"lai_chau_2017_2025"``).
        title: What it maps.
        from_version: Gazetteer version of the old units (``"vn-2017"``).
        to_version: Gazetteer version of the new units (``"vn-2025"``).
        effective: First day of the new units.
        target: The gazetteer of the new units.
        sources: The documents the mappings are read from.
        coverage_note: Which units it covers, and why others are left out.
        notes: What the maker of the data had to decide between its sources,
            by topic (the national crosswalk lists its cross-checks there).
    """

    def __init__(
        self,
        id: str,  # noqa: A002
        entries: Iterable[CrosswalkEntry],
        *,
        target: Gazetteer,
        from_version: str,
        effective: dt.date,
        title: str | None = None,
        sources: Sequence[CrosswalkSource] = (),
        coverage_note: str | None = None,
        notes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.id = id
        self.title = title
        self.from_version = from_version
        self.to_version = target.version
        self.effective = effective
        self.target = target
        self.sources = tuple(sources)
        self.coverage_note = coverage_note
        self.notes = {k: tuple(v) for k, v in (notes or {}).items()}
        self._entries = {e.old: e for e in entries}
        self._unit_refs: dict[str, SubjectRef] = {}  # new unit code -> its subject, made once
        self._new_names: dict[str, str] = {}  # new unit code -> how remarks name it
        problems = _check_entries(self, "$.entries")
        if problems:
            raise DatasetLoadError(f"crosswalk {id}", problems)

    def __repr__(self) -> str:
        return (
            f"<Crosswalk {self.id!r}: {self.from_version} -> {self.to_version}, "
            f"{len(self._entries)} units>"
        )

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[CrosswalkEntry]:
        return iter(self._entries.values())

    def __contains__(self, code: object) -> bool:
        return code in self._entries

    def entry(self, code: str) -> CrosswalkEntry:
        """Where the old unit ``code`` went.

        Raises:
            UnmappedUnitError: The crosswalk does not cover ``code``.
        """
        try:
            return self._entries[code]
        except KeyError:
            raise UnmappedUnitError([code], self.id, {}) from None

    def source(self, id: str) -> CrosswalkSource:  # noqa: A002
        """The source ``id``.

        Raises:
            InvalidValueError: The crosswalk cites no such source.
        """
        for s in self.sources:
            if s.id == id:
                return s
        raise InvalidValueError("crosswalk source", id, f"crosswalk {self.id!r} has none")

    # -- files ------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path, *, target: Gazetteer) -> Crosswalk:
        """Read a crosswalk from a JSON file (format ``antq-crosswalk`` version 1).

        Args:
            path: The file.
            target: The gazetteer of the new units; every code the crosswalk
                maps to must be in it.

        Raises:
            DatasetLoadError: The file cannot be read, is not JSON, does not
                match the format, or maps to units ``target`` lacks; every
                problem is listed with its JSON path.
        """
        data = read_input(Path(path), DatasetLoadError)
        return cls.from_json(data, target=target, source=str(path))

    @classmethod
    def from_json(
        cls, data: bytes | str, *, target: Gazetteer, source: str = "<memory>"
    ) -> Crosswalk:
        """Read a crosswalk from JSON text; see :meth:`load`."""
        doc = validated(_DOCUMENT.validate_json, data, source)
        return cls._from_document(doc, target, source)

    @classmethod
    def from_dict(cls, data: object, *, target: Gazetteer, source: str = "<memory>") -> Crosswalk:
        """Build a crosswalk from its parsed JSON document; see :meth:`load`."""
        doc = validated(_DOCUMENT.validate_python, data, source)
        return cls._from_document(doc, target, source)

    @classmethod
    def _from_document(cls, doc: _CrosswalkDocument, target: Gazetteer, source: str) -> Crosswalk:
        problems = format_problems(
            (doc.format, CROSSWALK_FORMAT), (doc.format_version, CROSSWALK_FORMAT_VERSION)
        )
        if doc.to_version != target.version:
            problems.append(
                Problem.at(
                    "$.to_version",
                    f"the target gazetteer is version {target.version!r}",
                    f"Danh mục hành chính đích là phiên bản {target.version!r}",
                    repr(doc.to_version),
                )
            )
        seen: dict[str, int] = {}
        for i, r in enumerate(doc.entries):
            if r.from_ in seen:
                first = f"$.entries[{seen[r.from_]}]"
                problems.append(
                    Problem.at(
                        f"$.entries[{i}].from",
                        f"unit already mapped at {first}",
                        f"Đơn vị đã được chuyển đổi tại {first}",
                        repr(r.from_),
                    )
                )
            else:
                seen[r.from_] = i
        if problems:
            raise DatasetLoadError(source, problems)
        entries = [
            CrosswalkEntry(
                old=r.from_,
                new=r.to,
                relationship=r.relationship,
                source=r.source,
                article=r.article,
                largest=r.largest,
                note=r.note,
                default=r.default,
                shares=r.shares,
            )
            for r in doc.entries
        ]
        try:
            return cls(
                doc.id,
                entries,
                target=target,
                from_version=doc.from_version,
                effective=doc.effective,
                title=doc.title,
                sources=doc.sources,
                coverage_note=doc.coverage_note,
                notes=doc.build_notes,
            )
        except DatasetLoadError as e:
            raise DatasetLoadError(source, e.problems) from None

    def to_dict(self) -> dict[str, Any]:
        """The crosswalk as a JSON-ready document that :meth:`from_dict` reads back."""
        return {
            "format": CROSSWALK_FORMAT,
            "format_version": CROSSWALK_FORMAT_VERSION,
            "id": self.id,
            **({"title": self.title} if self.title is not None else {}),
            "from_version": self.from_version,
            "to_version": self.to_version,
            "effective": self.effective.isoformat(),
            **({"coverage_note": self.coverage_note} if self.coverage_note is not None else {}),
            "sources": [s.model_dump(mode="json", exclude_none=True) for s in self.sources],
            **({"build_notes": {k: list(v) for k, v in self.notes.items()}} if self.notes else {}),
            "entries": [_entry_record(e) for e in self._entries.values()],
        }

    def dump(self, path: str | Path) -> None:
        """Write the crosswalk as a JSON file that :meth:`load` reads back."""
        atomic_write(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n")

    # -- remapping --------------------------------------------------------

    def remap(
        self, dataset: Dataset, *, on_split: OnSplit = "refuse", combine: bool = False
    ) -> Dataset:
        """The same dataset re-expressed on the new gazetteer.

        Sites' units, organizations' and participants' units, initiatives'
        scopes, the dataset's province and observations recorded on a unit
        (``unit:...`` subjects) are mapped; everything else is kept as is.

        - A unit that went on unchanged or merged whole into one new unit maps
          exactly to it: a site whose communes merged covers the new communes.
        - A dissolved district maps to the new unit that contains all of it
          (the province): exact for the province's totals, and marked in the
          note of the observation or entity, since it is no longer on a
          district.
        - A split unit cannot be divided exactly. With ``on_split="refuse"``
          (the default) a :class:`~antq_core.errors.SplitUnitError` names every such unit. With
          ``"approximate"`` a figure or entity on it goes to the crosswalk's
          default part of the split if it names one (the national crosswalk
          does), else to the unit that received the largest part if it says
          which, else to the lowest common ancestor of its parts. With
          ``"apportion"`` a figure on it is divided among its parts by the
          crosswalk's area shares (counts of whole things by largest
          remainder, so the parts add up to the figure), and an entity goes
          where ``"approximate"`` puts it; a split without shares is refused.
          Either way an observation's qualifier becomes ``approximately`` and
          its note says why (and which qualifier it had). A site covering a
          split unit covers all of its parts.

        Values and units never change, except by ``"apportion"``; the number of
        observations changes only by it, and by ``combine``.

        Figures of two old units that merged into one new unit land on the
        same unit: for the same metric, period, unit and breakdown they are
        two figures of one unit and period, which :func:`~antq_core.aggregate`
        refuses to add (it cannot tell them from a figure entered twice). With
        ``combine=True`` such figures, when they come from different old units,
        become one observation: their sum, qualified as adding them qualifies
        it, with a note naming each part. Figures of one old unit are never
        combined, so a figure entered twice is still refused.

        >>> from antq_core import bundled_crosswalk, sample
        >>> ds = sample()
        >>> new = bundled_crosswalk("lai_chau_2017_2025").remap(ds)
        >>> new.gazetteer.version, new.sites["site-cum-giap-ranh"].admin_units
        ('vn-2025', ('03408', '03405'))
        >>> new.site_anchor(new.sites["site-cum-giap-ranh"]).name
        'Lai Châu'

        Args:
            dataset: A dataset on the crosswalk's old gazetteer version.
            on_split: ``"refuse"``, ``"approximate"`` or ``"apportion"``.
            combine: Add up the figures of different old units that now fall
                on the same new unit, metric, period, unit and breakdown.

        Raises:
            InvalidValueError: ``dataset`` is not on :attr:`from_version`, or
                ``on_split`` is neither choice.
            UnmappedUnitError: The dataset refers to units the crosswalk lacks;
                all are named.
            SplitUnitError: With ``on_split="refuse"``, the dataset refers to
                split units; with ``"apportion"``, to split units without area
                shares; all are named.
        """
        if on_split not in _ON_SPLIT:
            raise InvalidValueError(
                "on_split", on_split, "choose 'refuse', 'approximate' or 'apportion'"
            )
        if dataset.gazetteer.version != self.from_version:
            reason = f"crosswalk {self.id!r} maps from {self.from_version!r}"
            raise InvalidValueError("gazetteer version", dataset.gazetteer.version, reason)
        return _Remapper(self, dataset, on_split, combine=combine).run()


def _check_entries(cw: Crosswalk, path: str) -> list[Problem]:
    """What a crosswalk's entries must satisfy against its sources and target gazetteer."""
    problems = []
    source_ids = {s.id for s in cw.sources}
    version = cw.target.version
    for i, e in enumerate(cw):
        at = f"{path}[{i}]"
        for j, code in enumerate(e.new):
            if code not in cw.target:
                problems.append(
                    Problem.at(
                        f"{at}.to[{j}]",
                        f"no unit {code!r} in the target gazetteer {version!r}",
                        f"Không có đơn vị {code!r} trong danh mục hành chính đích {version!r}",
                        repr(code),
                    )
                )
        new = repr(e.new)
        if len(set(e.new)) != len(e.new):
            problems.append(
                Problem.at(f"{at}.to", "a unit is listed twice", "Một đơn vị ghi hai lần", new)
            )
        if e.relationship is CrosswalkRelationship.SPLIT:
            if len(e.new) < 2:  # noqa: PLR2004
                en = "a split goes to two or more new units"
                vi = "Đơn vị bị chia tách phải sang từ hai đơn vị mới trở lên"
                problems.append(Problem.at(f"{at}.to", en, vi, new))
        elif len(e.new) != 1:
            en = f"a {e.relationship.value} goes to exactly one new unit"
            vi = f"Quan hệ {e.relationship.value} sang đúng một đơn vị mới"
            problems.append(Problem.at(f"{at}.to", en, vi, new))
        is_split = e.relationship is CrosswalkRelationship.SPLIT
        for name, name_vi in (("largest", "phần lớn nhất"), ("default", "phần mặc định")):
            part = getattr(e, name)
            if part is not None and (not is_split or part not in e.new):
                en = f"only a split names a {name} part, and it is one of its new units"
                vi = (
                    f"Chỉ đơn vị bị chia tách mới ghi {name_vi}, và đó là một trong các đơn vị mới"
                )
                problems.append(Problem.at(f"{at}.{name}", en, vi, repr(part)))
        if e.shares is not None:
            shown = repr(dict(e.shares))
            if not is_split or set(e.shares) != set(e.new):
                en = "only a split has shares, one for each of its new units"
                vi = "Chỉ đơn vị bị chia tách mới có tỷ lệ, mỗi đơn vị mới một tỷ lệ"
                problems.append(Problem.at(f"{at}.shares", en, vi, shown))
            elif any(v <= 0 for v in e.shares.values()) or sum(e.shares.values()) != 1:
                en = "shares are positive and sum to 1"
                vi = "Các tỷ lệ phải dương và cộng lại bằng 1"
                problems.append(Problem.at(f"{at}.shares", en, vi, shown))
        if e.source not in source_ids:
            en = "no source with this id in $.sources"
            vi = "Không có nguồn mang mã này trong $.sources"
            problems.append(Problem.at(f"{at}.source", en, vi, repr(e.source)))
    return problems


def _entry_record(e: CrosswalkEntry) -> dict[str, Any]:
    record: dict[str, Any] = {
        "from": e.old,
        "to": list(e.new),
        "relationship": e.relationship.value,
        "source": e.source,
    }
    for name in ("article", "largest", "default", "note"):
        value = getattr(e, name)
        if value is not None:
            record[name] = value
    if e.shares is not None:
        record["shares"] = {code: str(v) for code, v in e.shares.items()}
    return record


@attrs.frozen
class _Placement:
    """Where a reference to one old unit goes: its new code(s) and how sure that is."""

    codes: tuple[str, ...]  # a single code, except a site's split unit
    approximate: bool
    remark: str | None  # said in notes when the placement is coarser or approximate
    remark_vi: str | None = None  # the same in Vietnamese, for Vietnamese notes


class _Remapper:
    """One run of :meth:`Crosswalk.remap`: each old unit is looked up once."""

    def __init__(
        self, cw: Crosswalk, dataset: Dataset, on_split: OnSplit, *, combine: bool = False
    ) -> None:
        self.combine = combine
        self.cw = cw
        self.ds = dataset
        self.on_split = on_split
        self.old = dataset.gazetteer
        self.single: dict[str, _Placement] = {}
        self.spread: dict[str, _Placement] = {}

    # -- looking up --------------------------------------------------------

    def check(self) -> None:
        """Every referenced unit is mapped (and, when refusing, none was split).

        Each distinct code is checked once; what refers to each (for the error)
        is worked out only when there is an error to report.
        """
        entries = self.cw._entries
        codes = dict.fromkeys(code for code, _ in self.references(described=False))
        missing = [c for c in codes if c not in entries]
        if missing:
            raise UnmappedUnitError(missing, self.cw.id, self._first_references())
        if self.on_split != "approximate":
            split = {
                c: entries[c].new
                for c in codes
                if entries[c].relationship is CrosswalkRelationship.SPLIT
                and (self.on_split == "refuse" or entries[c].shares is None)
            }
            if split:
                raise SplitUnitError(
                    split, self._first_references(), shares_missing=self.on_split == "apportion"
                )

    def _first_references(self) -> dict[str, str]:
        """For each referenced code, the first thing that refers to it."""
        first: dict[str, str] = {}
        for code, where in self.references():
            first.setdefault(code, where)
        return first

    def references(self, *, described: bool = True) -> Iterator[tuple[str, str]]:
        """Each reference to a unit code, with what makes it (``""`` unless ``described``)."""
        ds = self.ds
        if ds.metadata.province is not None:
            yield ds.metadata.province, "the dataset's province"
        for i in ds.initiatives.values():
            if i.scope is not None:
                yield i.scope, f"initiative {i.id}"
        for s in ds.sites.values():
            for code in s.admin_units:
                yield code, f"site {s.id}"
        for o in ds.organizations.values():
            yield o.admin_unit, f"organization {o.id}"
        for p in ds.participants.values():
            if p.admin_unit is not None:
                yield p.admin_unit, f"participant {p.id}"
        unit = SubjectKind.UNIT
        for subject in ds.observations.subjects:
            if subject.kind is unit:
                yield subject.id, f"observations of {subject}" if described else ""

    def place(self, code: str) -> _Placement:
        """Where a figure or an entity recorded on ``code`` goes: one new unit."""
        cached = self.single.get(code)
        if cached is not None:
            return cached
        e = self.cw.entry(code)
        if e.relationship is CrosswalkRelationship.SPLIT:
            name = self._name(code)
            if e.default is not None:
                to = e.default
                how = f"its default part, {self._new_name(to)}"
            elif e.largest is not None:
                to = e.largest
                how = f"the unit that received its largest part, {self._new_name(to)}"
            else:
                to = self.cw.target.common_ancestor(e.new).code
                how = f"the lowest unit containing all of them, {self._new_name(to)}"
            remark = (
                f"{name} ({self.cw.from_version}) was split between "
                f"{', '.join(self._new_name(c) for c in e.new)} on {self.cw.effective}; "
                f"a figure on it cannot be divided, so it is placed at {how} "
                f"(crosswalk {self.cw.id})."
            )
            remark_vi = (
                f"{name} ({self.cw.from_version}) được chia cho "
                f"{', '.join(self._new_name(c) for c in e.new)} từ ngày "
                f"{format_date(self.cw.effective, 'vi')}; không chia được nên ghi vào "
                f"{self._new_name(to)} (bảng chuyển đổi {self.cw.id})."
            )
            placement = _Placement((to,), approximate=True, remark=remark, remark_vi=remark_vi)
        elif e.relationship is CrosswalkRelationship.DISSOLVED:
            name = self._name(code)
            remark = (
                f"{name} ({self.cw.from_version}) no longer exists from {self.cw.effective}; "
                f"placed at {self._new_name(e.new[0])}, which contains all of it "
                f"(crosswalk {self.cw.id})."
            )
            remark_vi = (
                f"{name} ({self.cw.from_version}) không còn từ ngày "
                f"{format_date(self.cw.effective, 'vi')}; ghi vào {self._new_name(e.new[0])}, "
                f"đơn vị bao trọn địa bàn cũ (bảng chuyển đổi {self.cw.id})."
            )
            placement = _Placement(e.new, approximate=False, remark=remark, remark_vi=remark_vi)
        else:
            placement = _Placement(e.new, approximate=False, remark=None)
        self.single[code] = placement
        return placement

    def cover(self, code: str) -> _Placement:
        """The new units a place on ``code`` covers: all parts of a split unit."""
        cached = self.spread.get(code)
        if cached is not None:
            return cached
        e = self.cw.entry(code)
        if e.relationship is CrosswalkRelationship.SPLIT:
            remark = (
                f"It covered {self._name(code)} ({self.cw.from_version}), which was split on "
                f"{self.cw.effective}: it is taken to cover part of each of "
                f"{', '.join(self._new_name(c) for c in e.new)} (crosswalk {self.cw.id})."
            )
            placement = _Placement(e.new, approximate=True, remark=remark)
        else:
            placement = self.place(code)
        self.spread[code] = placement
        return placement

    def _name(self, code: str) -> str:
        unit = self.old.get(code)
        return f"{unit.full_name} ({code})" if unit is not None else code

    def _new_name(self, code: str) -> str:
        names = self.cw._new_names  # the target never changes: each name is written once
        name = names.get(code)
        if name is None:
            name = names[code] = f"{self.cw.target.unit(code).full_name} ({code})"
        return name

    # -- rewriting ---------------------------------------------------------

    def run(self) -> Dataset:
        self.check()
        ds = self.ds
        metadata = ds.metadata
        update: dict[str, Any] = {
            "description": _joined(
                metadata.description,
                f"Re-expressed on gazetteer {self.cw.to_version} from {self.cw.from_version} "
                f"through crosswalk {self.cw.id}.",
            )
        }
        if metadata.province is not None:
            update["province"] = self.place(metadata.province).codes[0]
        return ds.replace(
            gazetteer=self.cw.target,
            metadata=metadata.model_copy(update=update),
            initiatives=[self._initiative(i) for i in ds.initiatives.values()],
            sites=[self._site(s) for s in ds.sites.values()],
            organizations=[self._organization(o) for o in ds.organizations.values()],
            participants=[self._participant(p) for p in ds.participants.values()],
            observations=self._observations(),
        )

    def _initiative(self, i: Initiative) -> Initiative:
        if i.scope is None:
            return i
        p = self.place(i.scope)
        return i.model_copy(update={"scope": p.codes[0], "note": _joined(i.note, p.remark)})

    def _site(self, s: Site) -> Site:
        codes: dict[str, None] = {}
        remarks: dict[str, None] = {}
        for code in s.admin_units:
            p = self.cover(code)
            codes.update(dict.fromkeys(p.codes))
            if p.remark is not None:
                remarks[p.remark] = None
        note = s.note
        for remark in remarks:
            note = _joined(note, remark)
        return s.model_copy(update={"admin_units": tuple(codes), "note": note})

    def _organization(self, o: MassOrganization) -> MassOrganization:
        p = self.place(o.admin_unit)
        return o.model_copy(update={"admin_unit": p.codes[0], "note": _joined(o.note, p.remark)})

    def _participant(self, person: Participant) -> Participant:
        if person.admin_unit is None:
            return person
        p = self.place(person.admin_unit)
        update: dict[str, Any] = {"admin_unit": p.codes[0]}
        if p.remark_vi is not None:
            update["note_vi"] = _joined(person.note_vi, p.remark_vi)
        return person.model_copy(update=update)

    def _subject_table(
        self, old_subjects: Sequence[SubjectRef], subjects: Interner[SubjectRef]
    ) -> tuple[list[int], list[_Placement | None], dict[int, CrosswalkEntry], list[str | None]]:
        """Each old subject placed once, its new subject added to ``subjects``.

        Returns, by old subject code: its new subject code, its placement when
        that adds a remark, the entries of the subjects apportioned (by code), and
        the old unit code of each unit subject (``None`` for other subjects).
        A unit that merged or went on unchanged needs no placement: its one new
        code, whose subject the crosswalk makes once for all its remaps.
        """
        recode: list[int] = []  # old subject code -> new subject code
        placement: list[_Placement | None] = []  # per old subject, when it adds a remark
        shares: dict[int, CrosswalkEntry] = {}  # old subject codes apportioned
        origin_of: list[str | None] = []
        entries, refs = self.cw._entries, self.cw._unit_refs
        new_code: dict[str, int] = {}  # new unit code -> its code in ``subjects``
        unit, apportioning = SubjectKind.UNIT, self.on_split == "apportion"
        exact_kinds = (CrosswalkRelationship.SAME, CrosswalkRelationship.MERGE)
        for code, old in enumerate(old_subjects):
            if old.kind is not unit:
                recode.append(subjects.add(old))
                placement.append(None)
                origin_of.append(None)
                continue
            origin_of.append(old.id)
            e = entries[old.id]  # check() made sure of it
            if e.relationship in exact_kinds:  # no remark: no placement needed
                to, p = e.new[0], None
            elif apportioning and e.shares is not None:
                shares[code] = e
                for part in e.new:
                    subjects.add(SubjectRef(unit, part))
                recode.append(0)  # every row on it is divided below
                placement.append(None)
                continue
            else:
                p = self.place(old.id)
                to = p.codes[0]
            k = new_code.get(to)
            if k is None:
                ref = refs.get(to)
                if ref is None:
                    ref = refs[to] = SubjectRef(unit, to)
                k = new_code[to] = subjects.add(ref)
            recode.append(k)
            placement.append(p if p is not None and p.remark is not None else None)
        return recode, placement, shares, origin_of

    def _observations(self) -> ObservationStore:
        """The observations remapped a column at a time.

        Each distinct subject is looked up once; the subject column is recoded
        through a table of codes, and only the rows on a unit whose placement
        adds a remark (a dissolved district, a split unit) have their qualifier
        and note rewritten; rows on a split unit with shares are divided under
        ``"apportion"``. The rows, their order and their values are those of
        rewriting each observation as a model.
        """
        store = self.ds.observations
        cols = store.columns()
        texts: Interner[str | None] = Interner(cols.texts)
        subjects: Interner[SubjectRef] = Interner()
        recode, placement, shares, origin_of = self._subject_table(cols.subjects, subjects)
        subject = _recoded(cols.subject, recode)
        remarked = any(p is not None for p in placement)
        # A store never changes once built: the new one shares the columns that stay the
        # same (copied only where rows are rewritten).
        qualifier = (_copied if remarked else shared_column)(cols.qualifier, "B")
        note = (_copied if remarked else shared_column)(cols.note, "I")
        rewritten = _remarked(cols, placement, texts, qualifier, note) if remarked else set()
        columns: list[array[int]] = [
            shared_column(cols.metric, "I"),
            subject,
            shared_column(cols.period, "I"),
            shared_column(cols.unit, "H"),
            qualifier,
            shared_column(cols.disaggregation, "I"),
            shared_column(cols.source, "I"),
            note,
            shared_column(cols.value, "q"),
        ]
        exact = dict(cols.exact)
        # The old subject of each row, for combine (the same column: never written to).
        origins = shared_column(cols.subject, "I")
        if shares:
            columns, exact, origins = self._divided(
                cols, columns, exact, shares=shares, subjects=subjects, texts=texts
            )
        builder = StoreBuilder(
            metrics=cols.metrics, periods=cols.periods, units=cols.units, subjects=subjects.values
        )
        for value in cols.disaggregations[1:]:
            builder.disaggregations.add(value)
        replaced = rewritten
        if shares:
            flags = [code in shares for code in range(len(cols.subjects))]
            replaced |= set(compress(cols.note, map(flags.__getitem__, cols.subject)))
        for text in _used_texts(texts, columns[6], columns[7], replaced):
            builder.texts.add(text)
        used = builder.texts.index
        if len(used) != len(texts.values):
            to = [used.get(t, 0) for t in texts.values]
            columns[6] = array("I", map(to.__getitem__, columns[6]))
            columns[7] = array("I", map(to.__getitem__, columns[7]))
        builder.extend(
            metric=columns[0],
            subject=columns[1],
            period=columns[2],
            unit=columns[3],
            qualifier=columns[4],
            disaggregation=columns[5],
            source=columns[6],
            note=columns[7],
            value=columns[8],
            exact=exact,
        )
        out = builder.build()
        if self.combine:
            out = self._combined_store(out, origins, origin_of, len(subjects.values))
        return out

    def _divided(
        self,
        cols: ObservationColumns,
        columns: list[array[int]],
        exact: dict[int, Number],
        *,
        shares: Mapping[int, CrosswalkEntry],
        subjects: Interner[SubjectRef],
        texts: Interner[str | None],
    ) -> tuple[list[array[int]], dict[int, Number], array[int]]:
        """The columns with each row on an apportioned unit replaced by its parts."""
        out = [array(c.typecode) for c in columns]
        origins = array("I")
        new_exact: dict[int, Number] = {}
        old_subject = cols.subject
        flags = [code in shares for code in range(len(cols.subjects))]
        start = 0
        shift = 0  # rows added so far

        def kept(a: int, b: int) -> None:
            for o, c in zip(out, columns, strict=True):
                o.extend(c[a:b])
            origins.extend(old_subject[a:b])
            for r in range(a, b):
                if r in exact:
                    new_exact[r + shift] = exact[r]

        for row in _rows_on(old_subject, flags):
            kept(start, row)
            start = row + 1
            e = shares[old_subject[row]]
            o = _model_of(cols, row)
            for part in self._apportioned(o, e, e.shares or {}):
                slot = len(out[0])
                for j, code in enumerate(
                    (
                        columns[0][row],
                        subjects.add(part.subject),
                        columns[2][row],
                        columns[3][row],
                        QUALIFIER_INDEX[part.qualifier],
                        columns[5][row],
                        columns[6][row],
                        texts.add(part.note),
                    )
                ):
                    out[j].append(code)
                v = part.value
                if type(v) is int and -INT64_MAX - 1 <= v <= INT64_MAX:
                    out[8].append(v)
                else:
                    out[8].append(0)
                    new_exact[slot] = v
                origins.append(old_subject[row])
            shift += len(e.new) - 1
        kept(start, len(cols))
        return out, new_exact, origins

    def _combined_store(
        self,
        store: ObservationStore,
        origins: array[int],
        origin_of: Sequence[str | None],
        n_subjects: int,
    ) -> ObservationStore:
        """``store`` with the figures of different old units on one new key added up.

        Only a new unit that received figures of two or more old units can
        hold such a key: its rows alone are rewritten as models.
        """
        cols = store.columns()
        sources: list[set[int]] = [set() for _ in range(n_subjects)]
        for new, old in set(zip(cols.subject, origins, strict=True)):
            if origin_of[old] is not None:
                sources[new].add(old)
        shared = [len(s) > 1 for s in sources]
        if not any(shared):
            return store
        rows = list(_rows_on(cols.subject, shared))
        replaced = self._combined([store[r] for r in rows], [origin_of[origins[r]] for r in rows])
        replace: dict[int, tuple[Row, FigureAudit | None]] = {}
        remove: list[int] = []
        for k, o in replaced.items():
            if o is None:
                remove.append(rows[k])
            else:
                row: Row = (
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
                replace[rows[k]] = (row, None)
        if not replace:
            return store
        changed = store.with_changes(replace=replace, remove=remove)
        changed.columns()  # joined once here, so that the result is one set of columns
        return changed

    def _combined(
        self, out: Sequence[Observation], origins: Sequence[str | None]
    ) -> dict[int, Observation | None]:
        """The figures of different old units on one new key in ``out``, added up.

        Returns, by position in ``out``, the sum that replaces the first figure
        of each such key, and ``None`` for each other figure added into it.
        """
        groups: dict[tuple[object, ...], list[int]] = {}
        for i, o in enumerate(out):
            if origins[i] is not None:
                key = (o.metric, o.subject, o.period, o.unit, o.disaggregation)
                groups.setdefault(key, []).append(i)
        replaced: dict[int, Observation | None] = {}
        for members in groups.values():
            olds = [origins[i] for i in members]
            if len(members) < 2 or len(set(olds)) < len(olds):  # noqa: PLR2004
                continue  # one figure, or one old unit twice: left for aggregate to refuse
            parts = [out[i] for i in members]
            total = parts[0].quantity  # signed when negative (a change figure)
            for o in parts[1:]:
                total = total + o.quantity
            listed = ", ".join(
                f"{self._name(olds[k] or '')}: {o.value}" for k, o in enumerate(parts)
            )
            remark = (
                f"Sum of the figures of units that merged on {self.cw.effective} "
                f"({listed}; crosswalk {self.cw.id})."
            )
            sources = {o.source for o in parts}
            first = parts[0]
            replaced[members[0]] = first.model_copy(
                update={
                    "value": total.value,
                    "qualifier": total.qualifier,
                    "source": first.source if len(sources) == 1 else None,
                    "note": _joined(
                        None, "\n\n".join([*(o.note for o in parts if o.note), remark])
                    ),
                }
            )
            replaced.update(dict.fromkeys(members[1:]))
        return replaced

    def _apportioned(
        self, o: Observation, e: CrosswalkEntry, shares: Mapping[str, Decimal]
    ) -> list[Observation]:
        """``o``, on a split unit, divided among its parts by area share."""
        parts = apportion(o.value, [shares[c] for c in e.new], whole=o.unit.whole)
        listed = ", ".join(f"{self._new_name(c)} {shares[c]:.4g}" for c in e.new)
        remark = (
            f"Part of a figure of {o.value} on {self._name(e.old)} ({self.cw.from_version}), "
            f"which was split on {self.cw.effective}; divided by area share ({listed}), "
            f"crosswalk {self.cw.id}."
        )
        if o.qualifier is not Qualifier.APPROXIMATELY:
            remark += f" Its qualifier was {o.qualifier.value!r}."
        note = _joined(o.note, remark)
        return [
            o.model_copy(
                update={
                    "subject": SubjectRef(SubjectKind.UNIT, code),
                    "value": value,
                    "qualifier": Qualifier.APPROXIMATELY,
                    "note": note,
                }
            )
            for code, value in zip(e.new, parts, strict=True)
        ]


def apportion(value: Number, shares: Sequence[Decimal], *, whole: bool) -> list[Number]:
    """``value`` divided by ``shares`` (which sum to 1), the parts adding up to ``value``.

    Whole counts are divided by largest remainder (ties to the earlier share);
    other amounts exactly, the last part taking what rounding leaves.

    >>> apportion(10, [Decimal("0.32"), Decimal("0.68")], whole=True)
    [3, 7]
    >>> apportion(Decimal("1.5"), [Decimal("0.5"), Decimal("0.5")], whole=False)
    [Decimal('0.75'), Decimal('0.75')]
    """
    if whole:
        exact = [Decimal(value) * s for s in shares]
        floors = [int(x) for x in exact]  # values and shares are not negative
        left = int(value) - sum(floors)
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
        for i in order[:left]:
            floors[i] += 1
        return list(floors)
    parts: list[Number] = [Decimal(value) * s for s in shares[:-1]]
    parts.append(Decimal(value) - sum(parts, Decimal(0)))
    return parts


def _remarked(
    cols: ObservationColumns,
    placement: Sequence[_Placement | None],
    texts: Interner[str | None],
    qualifier: array[int],
    note: array[int],
) -> set[int]:
    """Rewrite, in ``qualifier`` and ``note``, the rows on a subject whose placement adds a remark.

    Each distinct (subject, qualifier, note) is rewritten once. Returns the
    codes of the notes rewritten (they may be used by no row now).
    """
    remarked = [p is not None for p in placement]
    rewritten: dict[tuple[int, int, int], tuple[int, int]] = {}
    if not any(remarked):
        return set()
    s_col, q_col, n_col = cols.subject, cols.qualifier, cols.note
    np = _numpy(len(cols))
    if np is not None:
        return _remarked_numpy(
            np, cols, placement=placement, texts=texts, qualifier=qualifier, note=note
        )
    for row in _rows_on(s_col, remarked):
        key = (s_col[row], q_col[row], n_col[row])
        done = rewritten.get(key)
        if done is None:
            done = rewritten[key] = _rewrite(cols, placement, texts, key)
        qualifier[row], note[row] = done
    return {key[2] for key in rewritten}


def _rewrite(
    cols: ObservationColumns,
    placement: Sequence[_Placement | None],
    texts: Interner[str | None],
    key: tuple[int, int, int],
) -> tuple[int, int]:
    """The qualifier and note codes of a row with codes ``key`` (subject, qualifier, note)."""
    p = placement[key[0]]
    if p is None or p.remark is None:  # pragma: no cover - only remarked rows come here
        return key[1], key[2]
    q, remark = cols.qualifiers[key[1]], p.remark
    if p.approximate and q is not Qualifier.APPROXIMATELY:
        q = Qualifier.APPROXIMATELY
        remark += f" Its qualifier was {cols.qualifiers[key[1]].value!r}."
    return QUALIFIER_INDEX[q], texts.add(_joined(cols.texts[key[2]], remark))


def _remarked_numpy(
    np: Any,
    cols: ObservationColumns,
    *,
    placement: Sequence[_Placement | None],
    texts: Interner[str | None],
    qualifier: array[int],
    note: array[int],
) -> set[int]:
    """:func:`_remarked` with numpy: each distinct key rewritten once, in order of first row."""
    s_col = np.frombuffer(cols.subject, dtype=np.uint32)
    flags = np.asarray([p is not None for p in placement], dtype=bool)
    rows = np.flatnonzero(flags[s_col])
    if not len(rows):
        return set()
    s = s_col[rows].astype(np.uint64)
    q = np.frombuffer(cols.qualifier, dtype=np.uint8)[rows].astype(np.uint64)
    t = np.frombuffer(cols.note, dtype=np.uint32)[rows].astype(np.uint64)
    n_texts = len(cols.texts)
    keys = (s * len(cols.qualifiers) + q) * n_texts + t
    space = len(cols.subjects) * len(cols.qualifiers) * n_texts
    if space <= _DENSE_KEYS + 4 * len(rows):
        # Few possible keys (the usual case: few notes): a table over all of them
        # instead of sorting the rows' keys. Its entries are the first row of each key.
        at = np.full(space, len(rows), dtype=np.int64)
        np.minimum.at(at, keys, np.arange(len(rows), dtype=np.int64))
        present = np.flatnonzero(at < len(rows))
        first = at[present]
        code_of = np.zeros(space, dtype=np.int64)
        code_of[present] = np.arange(len(present))
        inverse = code_of[keys]
    else:
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    new_q = np.zeros(len(first), dtype=np.uint8)
    new_t = np.zeros(len(first), dtype=np.uint32)
    for k in np.argsort(first, kind="stable").tolist():  # as rows meet them
        r = int(first[k])
        new_q[k], new_t[k] = _rewrite(cols, placement, texts, (int(s[r]), int(q[r]), int(t[r])))
    q_out = np.frombuffer(qualifier, dtype=np.uint8)
    t_out = np.frombuffer(note, dtype=np.uint32)
    q_out[rows] = new_q[inverse]
    t_out[rows] = new_t[inverse]
    return set(t[first].tolist())


_DENSE_KEYS: Final = 1 << 20
"""Keys (subject, qualifier, note) :func:`_remarked_numpy` tables densely rather than sorts."""


def _numpy(rows: int) -> Any:
    """numpy, when ``rows`` is enough for it to pay and it is installed; else ``None``."""
    return require("numpy", "dataframe") if rows >= NUMPY_ROWS and numpy_available() else None


def _recoded(column: memoryview, table: Sequence[int]) -> array[int]:
    """``column``'s codes (``I``) through ``table``: ``table[code]`` for each row."""
    np = _numpy(len(column))
    if np is None:
        return array("I", map(table.__getitem__, column))
    out = array("I", [0]) * len(column)
    # Gathered straight into the new column: no temporary array, no copy of it. Every
    # code is an index into ``table`` (one entry per subject), so no index is clipped.
    np.take(
        np.asarray(table, dtype=np.uint32),
        np.frombuffer(column, dtype=np.uint32),
        out=np.frombuffer(out, dtype=np.uint32),
        mode="clip",
    )
    return out


def _rows_on(column: memoryview, flags: Sequence[bool]) -> Iterable[int]:
    """The rows whose code in ``column`` is flagged, in order."""
    np = _numpy(len(column))
    if np is None:
        return compress(range(len(column)), map(flags.__getitem__, column))
    codes = np.frombuffer(column, dtype=np.uint32)
    rows: list[int] = np.flatnonzero(np.asarray(flags, dtype=bool)[codes]).tolist()
    return rows


def _copied(column: memoryview, typecode: str) -> array[int]:
    """A column of codes copied into a new array (in C)."""
    out = array(typecode)
    out.frombytes(column.cast("B"))
    return out


def _model_of(cols: ObservationColumns, row: int) -> Observation:
    """Row ``row`` of ``cols`` as a model (for the few rows rewritten one by one)."""
    value = cols.exact.get(row)
    return Observation.model_construct(
        metric=cols.metrics[cols.metric[row]],
        subject=cols.subjects[cols.subject[row]],
        period=cols.periods[cols.period[row]],
        unit=cols.units[cols.unit[row]],
        value=cols.value[row] if value is None else value,
        qualifier=cols.qualifiers[cols.qualifier[row]],
        disaggregation=cols.disaggregations[cols.disaggregation[row]],
        source=cols.texts[cols.source[row]],
        note=cols.texts[cols.note[row]],
    )


def _used_texts(
    texts: Interner[str | None], source: array[int], note: array[int], replaced: set[int]
) -> list[str | None]:
    """The texts some row uses, in table order (``None`` first).

    A text stays in use unless it is one of the ``replaced`` notes (rewritten
    on some rows): only then are the columns scanned.
    """
    if not replaced - {0}:
        return list(texts.values)
    used = set(source) | set(note) | {0}
    return [t for k, t in enumerate(texts.values) if k in used]


def _joined(note: str | None, remark: str | None) -> str | None:
    """``note`` with ``remark`` added as a new paragraph.

    Raises:
        InvalidValueError: The result would exceed the notes' length limit.
    """
    if remark is None:
        return note
    text = remark if not note else f"{note}\n\n{remark}"
    if len(text) > TEXT_LIMIT:
        reason = f"adding the remap remark would pass the {TEXT_LIMIT}-character limit of notes"
        raise InvalidValueError("note", note, reason)
    return text


def bundled_crosswalk(name: str = "lai_chau_2017_2025") -> Crosswalk:
    """A crosswalk that ships with the library, by name, with its target gazetteer.

    ``"lai_chau_2017_2025"``: Lai Châu's 2017 units (``vn-2017``) to the units
    from 1 July 2025 (``vn-2025``, :func:`~antq_core.bundled_gazetteer`
    ``"lai_chau_2025"``), after Nghị quyết 1670/NQ-UBTVQH15 of 16 June 2025.
    It covers the province, its districts and the units the bundled sample
    names; see its :attr:`~Crosswalk.coverage_note`.

    >>> cw = bundled_crosswalk()
    >>> cw.from_version, cw.to_version, len(cw.target.children("12"))
    ('vn-2017', 'vn-2025', 38)

    Raises:
        InvalidValueError: No bundled crosswalk has that name.
    """
    raw = bundled_bytes("crosswalk", name)
    target = _bundled_gazetteer_of_version(bundled_version("crosswalk", name))
    return Crosswalk.from_json(raw, target=target, source=data_source(f"crosswalk_{name}.json"))


def _bundled_gazetteer_of_version(version: str) -> Gazetteer:
    for name in bundled_names("gazetteer"):
        if bundled_version("gazetteer", name) == version:
            return bundled_gazetteer(name)
    raise InvalidValueError(  # pragma: no cover - the bundled data is checked by the tests
        "gazetteer version", version, "no bundled gazetteer has it"
    )
