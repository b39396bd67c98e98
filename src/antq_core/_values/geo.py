"""Administrative geography: units, levels and versioned gazetteers."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import attrs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from antq_core._util.atomic import atomic_write
from antq_core._util.inputs import read_input
from antq_core._util.plaintext import PlainSchema
from antq_core._values.patterns import NOT_BLANK
from antq_core._values.schema import (
    Date,
    JsonPattern,
    JsonWholeNumber,
    format_problems,
    validated,
    value_schema,
)
from antq_core._values.text import NfcStr, fold, nfc
from antq_core.errors import (
    AmbiguousNameError,
    DatasetLoadError,
    GazetteerCycleError,
    InvalidValueError,
    Problem,
    UnknownAdminUnitError,
    enum_member,
)

__all__ = ["AdminLevel", "AdminUnit", "Gazetteer", "GazetteerDocument", "GazetteerSource"]

GAZETTEER_FORMAT: Final = "antq-gazetteer"
GAZETTEER_FORMAT_VERSION: Final = 1


class AdminLevel(PlainSchema, enum.StrEnum):
    """Tier of the administrative hierarchy, from the top.

    Before 1 July 2025: (country >) tỉnh (province) > huyện (district) > xã
    (commune) > thôn/bản (village). Since then districts no longer exist and
    communes sit directly under provinces; the level names stay the same. The
    national gazetteers put one country unit (``"VN"``) above the provinces, so
    that a national total is an ordinary roll-up; a provincial gazetteer may
    leave it out.
    """

    COUNTRY = "country"
    """The whole country (Việt Nam), the root of a national gazetteer.

    .. versionadded:: 0.1.0
    """
    PROVINCE = "province"
    """Tỉnh / thành phố trực thuộc trung ương."""
    DISTRICT = "district"
    """Huyện / quận / thị xã / thành phố thuộc tỉnh (abolished from 1 July 2025)."""
    COMMUNE = "commune"
    """Xã / phường / thị trấn / đặc khu."""
    VILLAGE = "village"
    """Thôn / bản / tổ dân phố."""

    @property
    def depth(self) -> int:
        """Depth, from 0 (country) to 4 (village); a child is deeper than its parent."""
        return _DEPTH[self]


_DEPTH: Final = {level: depth for depth, level in enumerate(AdminLevel)}


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(what, value, "give a non-empty string")
    return nfc(value)


def _code(value: object) -> str:
    return _text(value, "unit code")


def _name(value: object) -> str:
    return _text(value, "unit name")


def _parent(value: object) -> str | None:
    return None if value is None else _text(value, "parent code")


def _kind(value: object) -> str | None:
    return None if value is None else _text(value, "kind word")


def _aliases(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise InvalidValueError("aliases", value, "give a sequence of names, not one string")
    return tuple(_text(v, "alias") for v in value)


def _to_level(value: AdminLevel | str) -> AdminLevel:
    if isinstance(value, AdminLevel):
        return value  # planning asks per unit: skip the enum's lookup
    return enum_member(AdminLevel, value, "administrative level")


@attrs.frozen
class AdminUnit:
    """An administrative unit (đơn vị hành chính): a province, district, commune or village.

    Attributes:
        code: Official GSO code as a zero-padded string (``"12"``, ``"03589"``),
            or a local code (:attr:`local`) for units GSO does not number.
        name: Name without the kind word, NFC (``"Mường So"``).
        level: Tier in the hierarchy.
        parent: Code of the unit above, ``None`` for a province.
        kind_vi: The kind word as written before the name (``"xã"``, ``"thị trấn"``).
        valid_from: First day the unit existed in this form, if known.
        valid_to: Last day it existed in this form, if it has ended.
        local: Whether :attr:`code` is a local code rather than an official one.
        aliases: Other spellings of the name met in official lists or reports
            (``"Ma Li Pho"`` for ``"Ma Ly Pho"``); lookups by name find them too.
            Spellings that differ only in tone-mark placement (``"Hoà"`` and
            ``"Hòa"``) or diacritics need none.
    """

    code: str = attrs.field(converter=_code)
    name: str = attrs.field(converter=_name)
    level: AdminLevel = attrs.field(converter=_to_level)
    parent: str | None = attrs.field(default=None, converter=_parent)
    kind_vi: str | None = attrs.field(default=None, converter=_kind)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    local: bool = False
    aliases: tuple[str, ...] = attrs.field(default=(), converter=_aliases)

    def __attrs_post_init__(self) -> None:
        for bound in (self.valid_from, self.valid_to):
            if bound is not None and type(bound) is not dt.date:
                raise InvalidValueError("validity date", bound, "give a date, or None")
        if type(self.local) is not bool:
            raise InvalidValueError("local flag", self.local, "give True or False")

    @property
    def full_name(self) -> str:
        """Kind word and name, as a Vietnamese text writes them (``"xã Mường So"``)."""
        return f"{self.kind_vi} {self.name}" if self.kind_vi else self.name

    def valid_on(self, date: dt.date) -> bool:
        """Whether the unit existed on ``date`` (unknown bounds count as open)."""
        after_start = self.valid_from is None or self.valid_from <= date
        before_end = self.valid_to is None or date <= self.valid_to
        return after_start and before_end

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from the gazetteer file's unit object; serialise back to it."""
        return value_schema(_validate_admin_unit, _unit_record)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The JSON Schema of a unit object in a gazetteer file."""
        # Through the handler, so the record's definitions join the enclosing schema's.
        return handler(AdminUnitRecord.__pydantic_core_schema__)


_NotBlank = Annotated[str, JsonPattern(NOT_BLANK)]


class AdminUnitRecord(PlainSchema, BaseModel):
    """An administrative unit as a gazetteer file writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A unit checks that each of these is more than spaces (AdminUnit); the
    # published schema says so with a pattern.
    code: _NotBlank = Field(min_length=1, description="Official GSO code, or a local code.")
    name: Annotated[NfcStr, JsonPattern(NOT_BLANK)] = Field(
        min_length=1, description="Name without the kind word (Mường So)."
    )
    level: AdminLevel = Field(description="Tier in the hierarchy.")
    parent: _NotBlank | None = Field(default=None, description="Code of the unit above.")
    kind_vi: Annotated[NfcStr, JsonPattern(NOT_BLANK)] | None = Field(
        default=None, description="Kind word (xã, thị trấn)."
    )
    valid_from: Date | None = Field(default=None, description="First day it existed so.")
    valid_to: Date | None = Field(default=None, description="Last day it existed so.")
    local: StrictBool = Field(default=False, description="The code is local, not official.")
    aliases: tuple[NfcStr, ...] = Field(
        default=(), description="Other spellings of the name (Ma Li Pho for Ma Ly Pho)."
    )


class GazetteerSource(PlainSchema, BaseModel):
    """Where a gazetteer's codes and names come from.

    Attributes:
        id: Short identifier.
        title: What the source is.
        note: What was taken from it and how.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Short identifier of the source.")
    title: NfcStr = Field(description="What the source is.")
    note: NfcStr | None = Field(default=None, description="What was taken from it and how.")


class GazetteerDocument(BaseModel):
    """An ``antq-gazetteer`` document: one version of the administrative geography."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Gazetteer")

    # Any string or integer passes here so that _from_document can say what it
    # expected; the JSON Schema states the one value allowed.
    format: str = Field(json_schema_extra={"const": GAZETTEER_FORMAT})
    format_version: JsonWholeNumber = Field(json_schema_extra={"const": GAZETTEER_FORMAT_VERSION})
    version: str = Field(min_length=1, description="Version of the geography (vn-2017).")
    title: NfcStr | None = Field(default=None, description="Human description.")
    valid_from: Date | None = Field(default=None, description="First day it describes.")
    valid_to: Date | None = Field(default=None, description="Last day it describes.")
    sources: tuple[GazetteerSource, ...] = Field(
        default=(), description="Where the codes and names come from."
    )
    counts: dict[str, dict[str, StrictInt]] | None = Field(
        default=None,
        description="Units by level and by kind, as the file's maker counted them "
        "(documentation: the units themselves are what counts).",
    )
    build_notes: dict[str, tuple[NfcStr, ...]] = Field(
        default_factory=dict,
        description="What the file's maker had to decide between its sources, by topic.",
    )
    units: tuple[AdminUnitRecord, ...] = Field(description="The administrative units.")


_DOCUMENT: Final = TypeAdapter(GazetteerDocument)

_Scoped = dict[tuple[str, str], list[str]]
"""Codes by (the code of a unit above them, a lookup key)."""


class Gazetteer:
    """A versioned set of administrative units (danh mục đơn vị hành chính).

    A code is only meaningful within one gazetteer version: the same code can
    name different units before and after the 2025 reform. Lookups are by code
    or by diacritic-insensitive name within a parent.

    >>> from antq_core import sample
    >>> gaz = sample().gazetteer
    >>> tl = gaz.find("Ta Leng", level="commune")
    >>> tl.name, tl.code, gaz.unit(tl.parent).name
    ('Tả Lèng', '03400', 'Tam Đường')
    >>> gaz.common_ancestor(["03400", "03406", "03418"]).name
    'Tam Đường'

    Units whose parents are missing or form a cycle are kept as given (a
    validation report names them); only the lookups that follow parents raise.

    Attributes:
        version: Identifier of this version of the geography (``"vn-2017"``).
        title: Human description.
        valid_from: First day this version describes, if bounded.
        valid_to: Last day this version describes, if it has ended.
        sources: Where the codes and names come from.
        notes: What the maker of the data had to decide between its sources, by
            topic (the national gazetteers list every disagreement there).
    """

    def __init__(
        self,
        version: str,
        units: Iterable[AdminUnit],
        *,
        title: str | None = None,
        valid_from: dt.date | None = None,
        valid_to: dt.date | None = None,
        sources: Sequence[GazetteerSource] = (),
        notes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.version = version
        self.title = None if title is None else nfc(title)  # as from_dict() reads it
        self.valid_from = valid_from
        self.valid_to = valid_to
        self.sources = tuple(sources)
        self.notes = {nfc(k): tuple(nfc(t) for t in v) for k, v in (notes or {}).items()}
        self._units: dict[str, AdminUnit] = {}
        self._duplicates: list[AdminUnit] = []
        for unit in units:
            if unit.code in self._units:
                self._duplicates.append(unit)
                continue
            self._units[unit.code] = unit
        self._caches()

    def _caches(self) -> None:
        """The indexes built on first use: by parent, by name, by squashed name, ancestries."""
        self._children_index: dict[str | None, list[str]] | None = None
        self._by_name_index: dict[tuple[str | None, str], list[str]] | None = None
        self._keys_of: dict[str, set[str]] = {}  # filled with the index by name
        self._ancestry: dict[str, tuple[str, ...]] = {}
        self._squashed: dict[str, list[str]] | None = None  # built by the first resolve()
        self._within_index: (
            tuple[
                dict[tuple[str, str], list[str]], dict[tuple[str, str], list[str]], dict[str, int]
            ]
            | None
        ) = None

    def __repr__(self) -> str:
        return f"<Gazetteer {self.version!r}: {len(self._units)} units>"

    def __len__(self) -> int:
        return len(self._units)

    def __iter__(self) -> Iterator[AdminUnit]:
        return iter(self._units.values())

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Gazetteer):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    @property
    def duplicates(self) -> tuple[AdminUnit, ...]:
        """Units whose code was already taken when the gazetteer was built (kept, not used)."""
        return tuple(self._duplicates)

    # -- lookups ----------------------------------------------------------

    def unit(self, code: str) -> AdminUnit:
        """The unit with this code.

        Raises:
            UnknownAdminUnitError: No unit has this code in this version.
        """
        try:
            return self._units[code]
        except KeyError:
            raise UnknownAdminUnitError(code, self.version) from None

    def get(self, code: str) -> AdminUnit | None:
        """The unit with this code, or ``None``."""
        return self._units.get(code)

    def children(self, code: str | None) -> list[AdminUnit]:
        """Units directly under ``code`` (``None``: the top-level units)."""
        return [self._units[c] for c in self._children.get(code, ())]

    @property
    def _children(self) -> dict[str | None, list[str]]:
        """Codes by parent code, in the order of the units; built on the first use."""
        if self._children_index is None:
            index: dict[str | None, list[str]] = {}
            for unit in self._units.values():
                index.setdefault(unit.parent, []).append(unit.code)
            self._children_index = index
        return self._children_index

    @property
    def _by_name(self) -> dict[tuple[str | None, str], list[str]]:
        """Codes by (parent, folded name or alias), and by (None, key) for any parent.

        Built on the first lookup by name: folding ten thousand names costs more
        than reading them, and many uses of a gazetteer never look a name up.
        """
        if self._by_name_index is None:
            index: dict[tuple[str | None, str], list[str]] = {}
            keys_of: dict[str, set[str]] = {}
            for unit in self._units.values():
                keys = keys_of[unit.code] = _name_keys(unit)
                for key in keys:
                    index.setdefault((unit.parent, key), []).append(unit.code)
                    if unit.parent is not None:  # a top-level unit is already under None
                        index.setdefault((None, key), []).append(unit.code)
            self._keys_of = keys_of  # each unit's folded keys, for the other indexes
            self._by_name_index = index
        return self._by_name_index

    def find(
        self,
        name: str,
        *,
        parent: str | None = None,
        level: AdminLevel | str | None = None,
    ) -> AdminUnit:
        """The unit called ``name``, ignoring case and diacritics.

        Args:
            name: The name, with or without diacritics or kind word removed
                (``"Ta Leng"`` finds ``"Tả Lèng"``).
            parent: Look only directly under this unit's code.
            level: Keep only units of this level.

        Raises:
            UnknownAdminUnitError: Nothing matches.
            AmbiguousNameError: Several units match; their codes are listed.
        """
        codes = self._by_name.get((parent, _folded(name)), [])
        if level is not None:
            wanted = _to_level(level)
            codes = [c for c in codes if self._units[c].level is wanted]
        if not codes:
            raise UnknownAdminUnitError(name, self.version, parent)
        if len(codes) > 1:
            raise AmbiguousNameError(name, codes)
        return self._units[codes[0]]

    def resolve(self, address: str) -> AdminUnit:
        """The unit an address names, from its lowest part up to the province.

        The address lists units from the lowest up, separated by commas, each
        with or without its kind word, abbreviated or not (``xã``/``X.``,
        ``phường``/``P.``, ``thị trấn``/``TT.``, ``huyện``/``H.``, ``quận``/``Q.``,
        ``thị xã``/``TX.``, ``thành phố``/``TP.``, ``tỉnh``/``T.``,
        ``đặc khu``/``ĐK.``). Names match ignoring case, diacritics and where the
        tone mark sits (``Hòa``/``Hoà``); then, if nothing matches, ignoring
        spaces and hyphens too (``Ea Bar``/``EaBar``). Known other spellings
        (:attr:`AdminUnit.aliases`) match as the name does. Each part is looked
        for only inside the units the parts after it matched, at any depth, so
        a district may be left out. Nothing is guessed: several matches raise.

        >>> from antq_core import bundled_gazetteer
        >>> gaz = bundled_gazetteer("lai_chau_2017")
        >>> gaz.resolve("xã Tả Lèng, huyện Tam Đường, tỉnh Lai Châu").code
        '03400'
        >>> gaz.resolve("X. Ta Leng, Lai Chau").code
        '03400'

        Args:
            address: The address, e.g. ``"X. Tả Lèng, H. Tam Đường, Lai Châu"``.

        Raises:
            UnknownAdminUnitError: A part matches no unit inside the parts after
                it (its parent is the lowest unit those matched, if only one).
            AmbiguousNameError: The lowest part matches several units; each is
                listed with its code and the units above it.
            InvalidValueError: The address names nothing.

        .. versionadded:: 0.1.0
        """
        parts = [p.strip() for p in address.split(",")]
        if not parts or not all(parts):
            raise InvalidValueError("address", address, "give unit names separated by commas")
        scope: set[str] | None = None
        found: list[str] = []
        for part in reversed(parts):
            found = self._matches(part, scope)
            if not found:
                parent = next(iter(scope)) if scope is not None and len(scope) == 1 else None
                raise UnknownAdminUnitError(part, self.version, parent)
            scope = set(found)
        if len(found) > 1:
            described = [self._describe(c) for c in found]
            raise AmbiguousNameError(parts[0], found, described)
        return self._units[found[0]]

    def _matches(self, part: str, scope: set[str] | None) -> list[str]:
        """Codes of the units ``part`` may name inside ``scope`` (``None``: anywhere).

        Hash lookups only: by name (then by name without spaces) anywhere, or
        under each unit of ``scope`` at any depth; the units found are in the
        gazetteer's order.
        """
        units = self._units
        for kinds, name, squashed in _readings(part):
            for codes in self._candidates(name, squashed, scope):
                if not codes:
                    continue
                found = [
                    code
                    for code in dict.fromkeys(codes)
                    if kinds is None or units[code].kind_vi in kinds
                ]
                if found:  # a kind word wins over the bare reading; a spelling over spaces
                    return found
        return []

    def _candidates(
        self, name: str, squashed: str, scope: set[str] | None
    ) -> Iterator[list[str] | None]:
        """The codes with the folded ``name``, then those with the ``squashed`` one, in scope."""
        if scope is None:
            yield self._by_name.get((None, name))
            yield self._squashed_index().get(squashed)
        else:
            spelled, flat, position = self._within()
            yield _under(spelled, scope, name, position)
            yield _under(flat, scope, squashed, position)

    def _within(self) -> tuple[_Scoped, _Scoped, dict[str, int]]:
        """Indexes for lookups inside units; built on the first one.

        Codes by (a unit above, at any depth; folded name or alias), the same by
        squashed name, and each code's position in the gazetteer. A unit whose
        parents are missing or form a cycle lies under no unit here.
        """
        if self._within_index is None:
            self._by_name  # noqa: B018 - builds the folded keys (folding is the cost)
            spelled: _Scoped = {}
            flat: _Scoped = {}
            for unit in self._units.values():
                if unit.parent is None:  # a top-level unit lies under nothing
                    continue
                try:
                    above = self.lineage(unit.code)[1:]
                except (UnknownAdminUnitError, GazetteerCycleError):
                    continue
                keys = self._keys_of[unit.code]
                flat_keys = {_SQUASH.sub("", k) for k in keys}
                for code in above:
                    for key in keys:
                        spelled.setdefault((code, key), []).append(unit.code)
                    for key in flat_keys:
                        flat.setdefault((code, key), []).append(unit.code)
            position = {code: i for i, code in enumerate(self._units)}
            self._within_index = (spelled, flat, position)
        return self._within_index

    def _squashed_index(self) -> dict[str, list[str]]:
        if self._squashed is None:
            self._by_name  # noqa: B018 - builds the folded keys
            index: dict[str, list[str]] = {}
            for code, keys in self._keys_of.items():  # in the units' order
                for key in {_SQUASH.sub("", k) for k in keys}:  # _squash, from the folded key
                    index.setdefault(key, []).append(code)
            self._squashed = index
        return self._squashed

    def _describe(self, code: str) -> str:
        unit = self._units[code]
        try:
            chain = self.ancestors(code)
        except (UnknownAdminUnitError, GazetteerCycleError):  # a candidate with broken parents
            return f"{unit.full_name} ({code}), parents not found"
        above = [u.full_name for u in chain if u.level is not AdminLevel.COUNTRY]
        return ", ".join([f"{unit.full_name} ({code})", *above])

    def ancestors(self, code: str) -> tuple[AdminUnit, ...]:
        """The units above ``code``, nearest first (a commune: its district, then its province).

        Raises:
            UnknownAdminUnitError: ``code`` or one of its ancestors is missing.
            GazetteerCycleError: Following parents comes back to a unit already seen.
        """
        return tuple(self._units[c] for c in self.lineage(code)[1:])

    def lineage(self, code: str) -> tuple[str, ...]:
        """``code`` and the codes of the units above it, nearest first; cached.

        >>> from antq_core import bundled_gazetteer
        >>> bundled_gazetteer().lineage("03604")  # Thân Thuộc, Tân Uyên, Lai Châu
        ('03604', '111', '12')

        Raises:
            UnknownAdminUnitError: ``code`` or one of its ancestors is missing.
            GazetteerCycleError: Following parents comes back to a unit already seen.
        """
        cached = self._ancestry.get(code)
        if cached is not None:
            return cached
        chain = [code]
        seen = {code}
        current = self.unit(code)
        while current.parent is not None:
            if current.parent in seen:
                raise GazetteerCycleError([*chain, current.parent])
            if current.parent not in self._units:
                raise UnknownAdminUnitError(current.parent, self.version)
            chain.append(current.parent)
            seen.add(current.parent)
            current = self._units[current.parent]
        result = tuple(chain)
        self._ancestry[code] = result
        return result

    def ancestor_at(self, code: str, level: AdminLevel | str) -> AdminUnit | None:
        """The unit at ``level`` that contains ``code`` (itself if at that level), or ``None``."""
        wanted = _to_level(level)
        for c in self.lineage(code):
            if self._units[c].level is wanted:
                return self._units[c]
        return None

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether ``code`` is ``ancestor`` or lies under it."""
        return ancestor in self.lineage(code)

    def common_ancestor(self, codes: Iterable[str]) -> AdminUnit:
        """The lowest unit that contains every unit in ``codes``.

        That is one of them if it contains the others.

        This is where a site spanning several communes is counted once.

        Raises:
            InvalidValueError: ``codes`` is empty, or the units share no ancestor.
            UnknownAdminUnitError: A code, or one of its ancestors, is missing.
        """
        chains = [self.lineage(c) for c in codes]
        if not chains:
            raise InvalidValueError("units", [], "no units given")
        shared = set(chains[0]).intersection(*chains[1:])
        for code in chains[0]:
            if code in shared:
                return self._units[code]
        codes = sorted({c[0] for c in chains})
        raise InvalidValueError("units", codes, f"they share no ancestor in {self.version!r}")

    # -- files ------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> Gazetteer:
        """Read a gazetteer from a JSON file (format ``antq-gazetteer`` version 1).

        Raises:
            DatasetLoadError: The file cannot be read, is not JSON, or does not
                match the format; every problem is listed with its JSON path.
        """
        data = read_input(Path(path), DatasetLoadError)
        return cls.from_json(data, source=str(path))

    @classmethod
    def from_json(cls, data: bytes | str, *, source: str = "<memory>") -> Gazetteer:
        """Read a gazetteer from JSON text; see :meth:`load`."""
        fast = cls._from_plain_json(data)
        if fast is not None:
            return fast
        doc = validated(_DOCUMENT.validate_json, data, source)
        return cls._from_document(doc, source, "$")

    @classmethod
    def _from_plain_json(cls, data: bytes | str) -> Gazetteer | None:
        """The gazetteer, read without pydantic when every unit is plainly well formed.

        A national gazetteer has ten thousand units; validating each as a model
        costs several times the parsing. Units whose fields all have exactly the
        expected JSON types go straight to :class:`AdminUnit`, whose converters
        check what is left (blank strings, NFC, the level). Anything else, and
        any document the header's model rejects, returns ``None``: the full
        path then reads it and locates every problem.
        """
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError):  # the full path says what is wrong
            return None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("units"), list):
            return None
        raw_units: list[object] = parsed["units"]
        try:
            header = _DOCUMENT.validate_python({**parsed, "units": ()})
        except ValidationError:
            return None
        if (header.format, header.format_version) != (GAZETTEER_FORMAT, GAZETTEER_FORMAT_VERSION):
            return None
        units = []
        try:
            for record in raw_units:
                unit = _plain_unit(record)
                if unit is None:
                    return None
                units.append(unit)
        except (InvalidValueError, ValueError):
            return None
        return cls(
            header.version,
            units,
            title=header.title,
            valid_from=header.valid_from,
            valid_to=header.valid_to,
            sources=header.sources,
            notes=header.build_notes,
        )

    @classmethod
    def from_dict(cls, data: object, *, source: str = "<memory>", path: str = "$") -> Gazetteer:
        """Build a gazetteer from its parsed JSON document; see :meth:`load`."""
        doc = validated(_DOCUMENT.validate_python, data, source, root=path)
        return cls._from_document(doc, source, path)

    @classmethod
    def _from_document(cls, doc: GazetteerDocument, source: str, path: str) -> Gazetteer:
        problems = format_problems(
            (doc.format, GAZETTEER_FORMAT), (doc.format_version, GAZETTEER_FORMAT_VERSION), path
        )
        units = []
        for i, record in enumerate(doc.units):
            try:
                units.append(AdminUnit(**record.model_dump()))
            except InvalidValueError as e:  # "" or blank where a code or name belongs
                field = _UNIT_FIELDS.get(e.what, "")
                problems.append(
                    Problem.at(
                        f"{path}.units[{i}]{field}",
                        e.reason,
                        "Đơn vị hành chính không hợp lệ",
                        e.value,
                    )
                )
        if problems:
            raise DatasetLoadError(source, problems)
        return cls(
            doc.version,
            units,
            title=doc.title,
            valid_from=doc.valid_from,
            valid_to=doc.valid_to,
            sources=doc.sources,
            notes=doc.build_notes,
        )

    def to_dict(self) -> dict[str, Any]:
        """The gazetteer as a JSON-ready document that :meth:`from_dict` reads back."""
        units = [*self._units.values(), *self._duplicates]
        return {
            "format": GAZETTEER_FORMAT,
            "format_version": GAZETTEER_FORMAT_VERSION,
            "version": self.version,
            **({"title": self.title} if self.title is not None else {}),
            **({"valid_from": self.valid_from.isoformat()} if self.valid_from else {}),
            **({"valid_to": self.valid_to.isoformat()} if self.valid_to else {}),
            "sources": [s.model_dump(exclude_none=True) for s in self.sources],
            **({"build_notes": {k: list(v) for k, v in self.notes.items()}} if self.notes else {}),
            "units": [_unit_record(u) for u in units],
        }

    def dump(self, path: str | Path) -> None:
        """Write the gazetteer as a JSON file that :meth:`load` reads back."""
        atomic_write(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n")


def checked_gazetteer(data: bytes | str) -> Gazetteer | None:
    """The gazetteer in ``data``, a document already proved valid, read without re-checking it.

    For the bundled files only, whose bytes :func:`~antq_core.bundled_gazetteer`
    has matched against the SHA-256 recorded in ``data/digests.json``: the test
    suite reads each of those files through the full checks (pydantic's models,
    then :class:`AdminUnit`'s converters) and asserts that this function gives
    the same gazetteer, unit for unit, and that the recorded digests are the
    files'. So each unit is made from its JSON object as it is (no type, blank
    or NFC check per field; a national file has ten thousand units and those
    checks cost twice the parsing). What is still checked here costs little:
    the header, through its model (sources, dates and notes become the same
    objects as on the full path), and that no code is given twice. Any
    surprise (a missing key, a level the enum lacks, a repeated code) returns
    ``None``, and the caller then reads the file the checked way.
    """
    parsed = json.loads(data)
    if type(parsed) is not dict or type(parsed.get("units")) is not list:
        return None
    records: list[dict[str, Any]] = parsed["units"]
    try:
        header = _DOCUMENT.validate_python({**parsed, "units": ()})
    except ValidationError:
        return None
    if (header.format, header.format_version) != (GAZETTEER_FORMAT, GAZETTEER_FORMAT_VERSION):
        return None
    try:
        units = _units_of(records)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    if len(units) != len(records):  # a code given twice: the checked path keeps the duplicate
        return None
    gaz = Gazetteer.__new__(Gazetteer)
    gaz.version = header.version
    gaz.title = header.title
    gaz.valid_from = header.valid_from
    gaz.valid_to = header.valid_to
    gaz.sources = header.sources
    gaz.notes = {nfc(k): v for k, v in header.build_notes.items()}  # the values are NfcStr
    gaz._units = units  # the constructor's own fields, set in bulk
    gaz._duplicates = []
    gaz._caches()
    return gaz


def _units_of(records: list[dict[str, Any]]) -> dict[str, AdminUnit]:
    """The units of already checked JSON objects, by code, made field by field."""
    (
        set_code,
        set_name,
        set_parent,
        set_kind,
        set_level,
        set_from,
        set_to,
        set_local,
        set_aliases,
    ) = _UNIT_SETTERS
    levels = _LEVEL_BY_VALUE
    days = _DAYS
    new = object.__new__
    units: dict[str, AdminUnit] = {}
    for record in records:
        get = record.get
        unit = new(AdminUnit)
        code = record["code"]
        set_code(unit, code)
        set_name(unit, record["name"])
        set_parent(unit, get("parent"))
        set_kind(unit, get("kind_vi"))
        set_level(unit, levels[record["level"]])
        day = get("valid_from")
        set_from(unit, None if day is None else days.get(day) or _checked_day(day))
        day = get("valid_to")
        set_to(unit, None if day is None else days.get(day) or _checked_day(day))
        set_local(unit, get("local", False))
        set_aliases(unit, tuple(get("aliases", ())))
        units[code] = unit
    return units


def _checked_day(value: object) -> dt.date:
    day = _day(value)
    if not day:
        raise ValueError(value)
    return day


def _under(
    index: _Scoped, scope: set[str], key: str, position: Mapping[str, int]
) -> list[str] | None:
    """The codes ``index`` has under any unit of ``scope`` for ``key``, in gazetteer order."""
    if len(scope) == 1:
        return index.get((next(iter(scope)), key))
    hits = {code for above in scope for code in index.get((above, key), ())}
    return sorted(hits, key=position.__getitem__)


_UNIT_KEYS: Final = frozenset(AdminUnitRecord.model_fields)
_OPTIONAL_TEXT: Final = ("parent", "kind_vi")


def _plain_unit(record: object) -> AdminUnit | None:
    """``record`` as a unit if every field has exactly its JSON type and a valid value.

    The checks are those of :class:`AdminUnit`'s converters (non-blank text in
    NFC, a known level, dates as ``YYYY-MM-DD``), made inline; anything they
    do not accept returns ``None`` for the full path to report.
    """
    if type(record) is not dict or not record.keys() <= _UNIT_KEYS:
        return None
    get = record.get
    texts = (get("code"), get("name"), get("parent"), get("kind_vi"))
    for i, text in enumerate(texts):
        if text is None and i >= 2:  # noqa: PLR2004 - parent and kind are optional
            continue
        if type(text) is not str or not text.strip() or not _is_nfc("NFC", text):
            return None
    level = _LEVEL_BY_VALUE.get(get("level"))  # type: ignore[arg-type]
    local = get("local", False)
    aliases = get("aliases", ())
    if level is None or type(local) is not bool or type(aliases) not in (list, tuple):
        return None
    for alias in aliases:
        if type(alias) is not str or not alias.strip() or not _is_nfc("NFC", alias):
            return None
    valid_from, valid_to = _day(get("valid_from")), _day(get("valid_to"))
    if valid_from is False or valid_to is False:
        return None
    unit = object.__new__(AdminUnit)
    # The values are what the converters would make of them: set them as they are.
    for setter, value in zip(
        _UNIT_SETTERS,
        (*texts, level, valid_from, valid_to, local, tuple(aliases)),
        strict=True,
    ):
        setter(unit, value)
    return unit


def _day(value: object) -> dt.date | Literal[False] | None:
    """A ``YYYY-MM-DD`` string as a date (``None`` for none, ``False`` if not one)."""
    if value is None:
        return None
    if type(value) is not str:
        return False
    day = _DAYS.get(value)
    if day is None:
        if not _ISO_DAY.fullmatch(value):
            return False
        day = _DAYS[value] = dt.date.fromisoformat(value)  # ValueError for 2017-02-30
    return day


_DAYS: dict[str, dt.date] = {}  # the few dates of a gazetteer file, parsed once


# The slots' own setters: an attrs frozen class refuses setattr, not its descriptors.
_UNIT_SETTERS: Final = tuple(
    getattr(AdminUnit, name).__set__
    for name in (
        "code",
        "name",
        "parent",
        "kind_vi",
        "level",
        "valid_from",
        "valid_to",
        "local",
        "aliases",
    )
)
_LEVEL_BY_VALUE: Final = {level.value: level for level in AdminLevel}
_is_nfc: Final = unicodedata.is_normalized


_ISO_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


_folded: Final = functools.lru_cache(maxsize=1 << 16)(fold)
"""``fold``, remembered: the same names are looked up again and again."""


def _name_keys(unit: AdminUnit) -> set[str]:
    return {fold(n) for n in (unit.name, *unit.aliases)}


def _squash(name: str) -> str:
    """A lookup key that also ignores spaces, hyphens, dots and apostrophes."""
    return _SQUASH.sub("", fold(name))


_SQUASH: Final = re.compile(r"[\s\-'.\u2019\u2013]")

# Kind words and their abbreviations as addresses write them, folded (so "Xã",
# "xa" and "XÃ" are one), each with the kind words (kind_vi) it may stand for.
# Longer forms come first, so that "thị xã" is not read as "thị" + "xã".
_KIND_PREFIXES: Final = tuple(
    (fold(prefix) + (" " if prefix.endswith(" ") else ""), frozenset(kinds))
    for prefix, kinds in (
        ("thành phố ", {"thành phố"}),
        ("thị trấn ", {"thị trấn"}),
        ("thị xã ", {"thị xã"}),
        ("đặc khu ", {"đặc khu"}),
        ("phường ", {"phường"}),
        ("huyện ", {"huyện"}),
        ("quận ", {"quận"}),
        ("tỉnh ", {"tỉnh"}),
        ("xã ", {"xã"}),
        ("tp.", {"thành phố"}),
        ("tp ", {"thành phố"}),
        ("tt.", {"thị trấn"}),
        ("tt ", {"thị trấn"}),
        ("tx.", {"thị xã"}),
        ("tx ", {"thị xã"}),
        ("đk.", {"đặc khu"}),
        ("p.", {"phường"}),
        ("h.", {"huyện"}),
        ("q.", {"quận"}),
        ("t.", {"tỉnh"}),
        ("x.", {"xã"}),
    )
)


@functools.lru_cache(maxsize=1 << 16)
def _readings(part: str) -> tuple[tuple[frozenset[str] | None, str, str], ...]:
    """Ways to read one part of an address: (kind words it allows, the name).

    A part that starts with a kind word or an abbreviation is read as that kind
    and the rest of the part; it is also read whole, with no kind (phường
    Phường Đúc is called "Phường Đúc").
    """
    folded = fold(part)
    readings: list[tuple[frozenset[str] | None, str, str]] = []
    for prefix, kinds in _KIND_PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            rest = folded[len(prefix) :].strip()
            if rest:
                readings.append((kinds, rest, _squash(rest)))
            break
    readings.append((None, folded, _squash(folded)))
    return tuple(readings)


_UNIT_FIELDS: Final = {
    "unit code": ".code",
    "unit name": ".name",
    "parent code": ".parent",
    "kind word": ".kind_vi",
}


def _validate_admin_unit(value: object) -> AdminUnit:
    if isinstance(value, AdminUnit):
        return value
    return AdminUnit(**AdminUnitRecord.model_validate(value).model_dump())


def _unit_record(unit: AdminUnit) -> dict[str, Any]:
    """One unit as the document writes it: defaults and unknowns left out."""
    record = AdminUnitRecord(**attrs.asdict(unit, recurse=False))
    return record.model_dump(mode="json", exclude_defaults=True) | {"level": unit.level.value}
