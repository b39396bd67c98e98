"""Dataset: every entity of one body of data, with indexes, loading and dumping."""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import compress
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, NamedTuple, NotRequired, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict

from antq_core._dataset.store import _INT64, _QUALIFIER_INDEX, ObservationStore
from antq_core._entities import (
    TEXT_LIMIT,
    DatasetMetadata,
    DisaggregationCategory,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    Observation,
    Participant,
    Site,
    Source,
)
from antq_core._util.inputs import encoding_problem, undecodable
from antq_core._util.progress import gc_paused
from antq_core._values.geo import AdminUnit, Gazetteer, _GazetteerDocument
from antq_core._values.period import Period
from antq_core._values.quantity import (
    Number,
    Unit,
    _check_value,
    _is_decimal_text,
)
from antq_core._values.refs import _ID, Disaggregation, SubjectRef
from antq_core._values.schema import OBSERVATION_FIELDS_VI, JsonSchemaOf, problems_from
from antq_core._values.text import nfc
from antq_core.errors import (
    DatasetLoadError,
    DuplicateIdError,
    Location,
    Problem,
    QuantityError,
    UnresolvedReferenceError,
    cannot_read,
    safe_repr,
)

__all__ = [
    "DATASET_FORMAT",
    "DATASET_FORMAT_VERSION",
    "STREAM_THRESHOLD",
    "Dataset",
]

DATASET_FORMAT: Final = "antq-dataset"
DATASET_FORMAT_VERSION: Final = 1
"""Version of the ``antq-dataset`` JSON document this release reads and writes."""
STREAM_THRESHOLD: Final = 32 * 1024 * 1024
"""Size in bytes above which :meth:`Dataset.load` reads a file in chunks."""

_E = TypeVar("_E", bound=BaseModel)
_K = TypeVar("_K")


@with_config(ConfigDict(extra="forbid", strict=True))
class _ObservationRow(TypedDict):
    metric: str
    subject: str
    period: str
    unit: str
    value: Any  # int or decimal string; checked by _build_store so the error sits at .value
    qualifier: NotRequired[str]
    disaggregation: NotRequired[dict[str, str]]
    source: NotRequired[str | None]
    note: NotRequired[str | None]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["antq-dataset"]
    format_version: Literal[1]
    metadata: DatasetMetadata
    # Both are read loosely here and checked later with located errors; their JSON
    # Schema is that of what they hold, so that the published schema is complete.
    gazetteer: Annotated[
        dict[str, Any], JsonSchemaOf(lambda: _GazetteerDocument.__pydantic_core_schema__)
    ]
    sources: tuple[Source, ...] = ()
    themes: tuple[InitiativeTheme, ...] = ()
    categories: tuple[DisaggregationCategory, ...] = ()
    metrics: tuple[MetricDefinition, ...] = ()
    initiatives: tuple[Initiative, ...] = ()
    sites: tuple[Site, ...] = ()
    organizations: tuple[MassOrganization, ...] = ()
    participants: tuple[Participant, ...] = ()
    observations: Annotated[
        list[_ObservationRow], JsonSchemaOf(lambda: _OBSERVATIONS.core_schema)
    ] = Field(default_factory=list)


_OBSERVATIONS: Final = TypeAdapter(list[Observation])


_DOCUMENT: Final = TypeAdapter(_Document)
_ENTITY_LISTS: Final = (
    "sources",
    "themes",
    "categories",
    "metrics",
    "initiatives",
    "sites",
    "organizations",
    "participants",
)


def _by_id(kind: str, items: Iterable[_E]) -> Mapping[str, _E]:
    table: dict[str, _E] = {}
    for item in items:
        key: str = getattr(item, "id")  # noqa: B009 - every entity list here has ids
        if key in table:
            raise DuplicateIdError(kind, key)
        table[key] = item
    return MappingProxyType(table)


class Dataset:
    """Một bộ dữ liệu: a gazetteer, a metric catalog and every entity of one body of data.

    Entities that number in thousands (initiatives, sites, organizations...)
    are pydantic models in read-only mappings by id; observations, which can
    number in millions, live in a column-wise :class:`ObservationStore`.

    References between entities are not checked here: a site may name an
    initiative the dataset lacks. The lookup methods (:meth:`initiative`,
    :meth:`site`...) then raise :class:`~antq_core.errors.UnresolvedReferenceError`
    naming what is missing; validation reports every such reference at once.

    >>> from antq_core import sample
    >>> ds = sample()
    >>> len(ds.initiatives), len(ds.sites), ds.metadata.report_date
    (7, 4, datetime.date(2017, 7, 13))

    Raises:
        DuplicateIdError: Two entities of one kind share an id.
    """

    def __init__(
        self,
        *,
        gazetteer: Gazetteer,
        metadata: DatasetMetadata,
        sources: Iterable[Source] = (),
        themes: Iterable[InitiativeTheme] = (),
        categories: Iterable[DisaggregationCategory] = (),
        metrics: Iterable[MetricDefinition] = (),
        initiatives: Iterable[Initiative] = (),
        sites: Iterable[Site] = (),
        organizations: Iterable[MassOrganization] = (),
        participants: Iterable[Participant] = (),
        observations: Iterable[Observation] | ObservationStore = (),
    ) -> None:
        self._gazetteer = gazetteer
        self._metadata = metadata
        self._sources = _by_id("source", sources)
        self._themes = _by_id("theme", themes)
        self._categories = _by_id("category", categories)
        self._metrics = _by_id("metric", metrics)
        self._initiatives = _by_id("initiative", initiatives)
        self._sites = _by_id("site", sites)
        self._organizations = _by_id("organization", organizations)
        self._participants = _by_id("participant", participants)
        self._observations = (
            observations
            if isinstance(observations, ObservationStore)
            else ObservationStore.from_observations(observations)
        )

    def replace(
        self,
        *,
        gazetteer: Gazetteer | None = None,
        metadata: DatasetMetadata | None = None,
        sources: Iterable[Source] | None = None,
        themes: Iterable[InitiativeTheme] | None = None,
        categories: Iterable[DisaggregationCategory] | None = None,
        metrics: Iterable[MetricDefinition] | None = None,
        initiatives: Iterable[Initiative] | None = None,
        sites: Iterable[Site] | None = None,
        organizations: Iterable[MassOrganization] | None = None,
        participants: Iterable[Participant] | None = None,
        observations: Iterable[Observation] | ObservationStore | None = None,
    ) -> Dataset:
        """A new dataset with the parts given replaced and every other part shared.

        The dataset itself never changes; this is how to derive one with, say,
        more observations or one site corrected.

        >>> from antq_core import sample
        >>> ds = sample()
        >>> fewer = ds.replace(observations=ds.observations[:2])
        >>> len(fewer.observations), len(ds.observations), fewer.sites == ds.sites
        (2, 14, True)

        Raises:
            DuplicateIdError: Two entities of one kind share an id.
        """

        def keep(new: Iterable[_E] | None, old: Mapping[str, _E]) -> Iterable[_E]:
            return old.values() if new is None else new

        return Dataset(
            gazetteer=self._gazetteer if gazetteer is None else gazetteer,
            metadata=self._metadata if metadata is None else metadata,
            sources=keep(sources, self._sources),
            themes=keep(themes, self._themes),
            categories=keep(categories, self._categories),
            metrics=keep(metrics, self._metrics),
            initiatives=keep(initiatives, self._initiatives),
            sites=keep(sites, self._sites),
            organizations=keep(organizations, self._organizations),
            participants=keep(participants, self._participants),
            observations=self._observations if observations is None else observations,
        )

    def __repr__(self) -> str:
        return (
            f"<Dataset {self._metadata.title_vi!r}: {len(self._initiatives)} initiatives, "
            f"{len(self._sites)} sites, {len(self._observations)} observations>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dataset):
            return NotImplemented
        return self.to_dict(include_sensitive=True) == other.to_dict(include_sensitive=True)

    __hash__ = None  # type: ignore[assignment]

    # -- contents ---------------------------------------------------------

    @property
    def gazetteer(self) -> Gazetteer:
        """The administrative units that codes in this dataset refer to."""
        return self._gazetteer

    @property
    def metadata(self) -> DatasetMetadata:
        """Title, report date and description."""
        return self._metadata

    @property
    def sources(self) -> Mapping[str, Source]:
        """Cited documents, by id."""
        return self._sources

    @property
    def themes(self) -> Mapping[str, InitiativeTheme]:
        """Initiative themes (loại mô hình), by id."""
        return self._themes

    @property
    def categories(self) -> Mapping[str, DisaggregationCategory]:
        """Disaggregation categories, by id."""
        return self._categories

    @property
    def metrics(self) -> Mapping[str, MetricDefinition]:
        """The metric catalog, by id."""
        return self._metrics

    @property
    def initiatives(self) -> Mapping[str, Initiative]:
        """Initiatives (mô hình), by id."""
        return self._initiatives

    @property
    def sites(self) -> Mapping[str, Site]:
        """Sites (điểm), by id."""
        return self._sites

    @property
    def organizations(self) -> Mapping[str, MassOrganization]:
        """Mass organizations, by id."""
        return self._organizations

    @property
    def participants(self) -> Mapping[str, Participant]:
        """Participants, by id. Their personal fields are sensitive."""
        return self._participants

    @property
    def observations(self) -> ObservationStore:
        """Every observation, column-wise; index or iterate it for models."""
        return self._observations

    # -- lookups that follow references -----------------------------------

    def _lookup(self, table: Mapping[str, _E], kind: str, id_: str, by: str | None) -> _E:
        try:
            return table[id_]
        except KeyError:
            raise UnresolvedReferenceError(kind, id_, by) from None

    def initiative(self, id: str, *, referenced_from: str | None = None) -> Initiative:  # noqa: A002
        """The initiative ``id``.

        Raises:
            UnresolvedReferenceError: The dataset has none with that id.
        """
        return self._lookup(self._initiatives, "initiative", id, referenced_from)

    def site(self, id: str, *, referenced_from: str | None = None) -> Site:  # noqa: A002
        """The site ``id``.

        Raises:
            UnresolvedReferenceError: The dataset has none with that id.
        """
        return self._lookup(self._sites, "site", id, referenced_from)

    def metric(self, id: str, *, referenced_from: str | None = None) -> MetricDefinition:  # noqa: A002
        """The metric definition ``id``.

        Raises:
            UnresolvedReferenceError: The catalog has none with that id.
        """
        return self._lookup(self._metrics, "metric", id, referenced_from)

    def theme(self, id: str, *, referenced_from: str | None = None) -> InitiativeTheme:  # noqa: A002
        """The initiative theme ``id``.

        Raises:
            UnresolvedReferenceError: The dataset has none with that id.
        """
        return self._lookup(self._themes, "theme", id, referenced_from)

    def source(self, id: str, *, referenced_from: str | None = None) -> Source:  # noqa: A002
        """The source ``id``.

        Raises:
            UnresolvedReferenceError: The dataset has none with that id.
        """
        return self._lookup(self._sources, "source", id, referenced_from)

    def organization(
        self,
        id: str,  # noqa: A002
        *,
        referenced_from: str | None = None,
    ) -> MassOrganization:
        """The mass organization ``id``.

        Raises:
            UnresolvedReferenceError: The dataset has none with that id.
        """
        return self._lookup(self._organizations, "organization", id, referenced_from)

    def participant(
        self,
        id: str,  # noqa: A002
        *,
        referenced_from: str | None = None,
    ) -> Participant:
        """The participant ``id``.

        Raises:
            UnresolvedReferenceError: The dataset has none with that id.
        """
        return self._lookup(self._participants, "participant", id, referenced_from)

    def category(
        self,
        id: str,  # noqa: A002
        *,
        referenced_from: str | None = None,
    ) -> DisaggregationCategory:
        """The disaggregation category ``id``.

        Raises:
            UnresolvedReferenceError: The dataset has none with that id.
        """
        return self._lookup(self._categories, "category", id, referenced_from)

    def sites_of(self, initiative: str) -> list[Site]:
        """The sites of ``initiative``, in dataset order."""
        return [s for s in self._sites.values() if s.initiative == initiative]

    def site_units(self, site: Site) -> tuple[AdminUnit, ...]:
        """The administrative units ``site`` covers.

        Raises:
            UnresolvedReferenceError: A code is not in the gazetteer.
        """
        units = []
        for code in site.admin_units:
            unit = self._gazetteer.get(code)
            if unit is None:
                raise UnresolvedReferenceError("administrative unit", code, f"site {site.id}")
            units.append(unit)
        return tuple(units)

    def site_anchor(self, site: Site) -> AdminUnit:
        """The lowest unit containing every unit ``site`` covers: where it counts once.

        For the cluster site of Bản Giang, Hồ Thầu and Tả Lèng that is the
        district Tam Đường.
        """
        self.site_units(site)
        return self._gazetteer.common_ancestor(site.admin_units)

    def observations_of(
        self, subject: SubjectRef | str, metric: str | None = None
    ) -> list[Observation]:
        """The observations about ``subject`` (``"site:mh3-s1"``), optionally of one metric."""
        ref = subject if isinstance(subject, SubjectRef) else SubjectRef.parse(subject)
        store = self._observations
        return [store[i] for i in store.rows_for(subject=ref, metric=metric)]

    # -- documents --------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        stream: bool | None = None,
        progress: bool | None = None,
    ) -> Dataset:
        """Read a dataset from a JSON file (format ``antq-dataset`` version 1).

        Every problem in the file is collected, each with its JSON path
        (``$.observations[12].period``), before one error is raised.
        References between entities are not checked (see ``validate()``
        in a later release, and the lookups above).

        A file larger than :data:`STREAM_THRESHOLD` bytes is read in chunks:
        the observations array is parsed a batch at a time straight into the
        column store, so memory follows the entities and the columns, not the
        text. That reading stops listing problems after the first
        :data:`~antq_core.errors.MAX_LISTED_PROBLEMS` and counts the rest
        (:attr:`~antq_core.errors.LoadError.omitted`).

        Args:
            path: The JSON file.
            stream: Read in chunks (``True``), all at once (``False``), or by
                size (``None``, the default).
            progress: Show a progress bar on stderr while reading in chunks;
                ``None`` (the default) shows one when stderr is a terminal.
                The bar comes from ``rich`` when it is installed
                (``pip install 'antq_core[cli]'``), plain text otherwise.

        Raises:
            DatasetLoadError: The file cannot be read, is not JSON, or has
                problems; :attr:`~antq_core.errors.LoadError.problems` lists them.
        """
        path = Path(path)
        try:
            size = path.stat().st_size
            if stream or (stream is None and size > STREAM_THRESHOLD):
                from antq_core._dataset.stream import load_stream

                return load_stream(cls, path, size, progress=progress)
            data = path.read_bytes()
        except OSError as e:
            raise DatasetLoadError(str(path), [cannot_read(e)]) from e
        return cls.from_json(data, source=str(path))

    @classmethod
    def from_json(cls, data: bytes | str, *, source: str = "<memory>") -> Dataset:
        """Read a dataset from JSON text or bytes; see :meth:`load`."""
        if isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        elif isinstance(data, str) and data.startswith("\ufeff"):
            data = data[1:]
        try:
            with gc_paused():  # a million row dicts, none in a cycle: see gc_paused
                doc = _DOCUMENT.validate_json(data)
        except ValidationError as e:
            encoding = _encoding_problems(data)
            if encoding:
                raise DatasetLoadError(source, encoding) from e
            try:
                raw = json.loads(data)
            except (ValueError, RecursionError):
                raise DatasetLoadError(source, problems_from(e)) from e
            raise DatasetLoadError(source, _every_problem(raw, e, source)) from e
        return cls._from_document(doc, source)

    @classmethod
    def from_dict(cls, data: object, *, source: str = "<memory>") -> Dataset:
        """Build a dataset from a parsed JSON document (as :meth:`to_dict` gives)."""
        try:
            doc = _DOCUMENT.validate_python(data)
        except ValidationError as e:
            raise DatasetLoadError(source, _every_problem(data, e, source)) from e
        return cls._from_document(doc, source)

    @classmethod
    def _from_document(cls, doc: _Document, source: str) -> Dataset:
        problems: list[Problem] = []
        gazetteer = _check_document(doc, source, problems)
        with gc_paused():
            store = _build_store(doc.observations, problems)
        if problems:
            raise DatasetLoadError(source, problems)
        return cls._assemble(doc, gazetteer, store)

    @classmethod
    def _assemble(cls, doc: _Document, gazetteer: Gazetteer, store: ObservationStore) -> Dataset:
        """The dataset of a checked document and the observations read from it."""
        return cls(
            gazetteer=gazetteer,
            metadata=doc.metadata,
            sources=doc.sources,
            themes=doc.themes,
            categories=doc.categories,
            metrics=doc.metrics,
            initiatives=doc.initiatives,
            sites=doc.sites,
            organizations=doc.organizations,
            participants=doc.participants,
            observations=store,
        )

    def to_dict(self, *, include_sensitive: bool = False) -> dict[str, Any]:
        """The dataset as a JSON-ready document that :meth:`from_dict` reads back.

        Args:
            include_sensitive: Keep participants' personal fields. ``False`` by
                default: only :meth:`dump`, the owner's own store, keeps them
                unless told otherwise.
        """
        context = {"include_sensitive": include_sensitive}

        def dump(items: Iterable[BaseModel]) -> list[dict[str, Any]]:
            return [i.model_dump(mode="json", exclude_none=True, context=context) for i in items]

        return {
            "format": DATASET_FORMAT,
            "format_version": DATASET_FORMAT_VERSION,
            "metadata": self._metadata.model_dump(mode="json", exclude_none=True),
            "gazetteer": self._gazetteer.to_dict(),
            "sources": dump(self._sources.values()),
            "themes": dump(self._themes.values()),
            "categories": dump(self._categories.values()),
            "metrics": dump(self._metrics.values()),
            "initiatives": dump(self._initiatives.values()),
            "sites": dump(self._sites.values()),
            "organizations": dump(self._organizations.values()),
            "participants": dump(self._participants.values()),
            # The model writes the wire format; defaults are left out to keep rows short.
            "observations": [
                o.model_dump(mode="json", exclude_defaults=True) for o in self._observations
            ],
        }

    def dumps(self, *, include_sensitive: bool = False) -> str:
        """The dataset as JSON text: entities indented, one observation per line.

        Args:
            include_sensitive: Keep participants' personal fields (default: leave
                them out, as for anything that may leave the owner's hands).
        """
        document = self.to_dict(include_sensitive=include_sensitive)
        rows = document.pop("observations")
        head = json.dumps(document, ensure_ascii=False, indent=1)
        lines = ",\n  ".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows
        )
        body = f'"observations": [\n  {lines}\n ]' if rows else '"observations": []'
        return f"{head[:-2]},\n {body}\n}}\n"

    def dump(self, path: str | Path, *, include_sensitive: bool = True) -> None:
        """Write the dataset as a JSON file that :meth:`load` reads back, losing nothing."""
        Path(path).write_text(self.dumps(include_sensitive=include_sensitive), encoding="utf-8")


def _encoding_problems(data: bytes | str) -> list[Problem]:
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


def _note(raw: str) -> str:
    """A note as the Observation model takes it: NFC, at most TEXT_LIMIT characters."""
    text = nfc(raw)
    if len(text) > TEXT_LIMIT:
        msg = f"a note has at most {TEXT_LIMIT} characters"
        raise ValueError(msg)
    return text


def _check_document(doc: _Document, source: str, problems: list[Problem]) -> Gazetteer:
    """Check what pydantic cannot: the gazetteer document and duplicate ids."""
    try:
        gazetteer = Gazetteer.from_dict(doc.gazetteer, source=source, path="$.gazetteer")
    except DatasetLoadError as e:
        problems.extend(e.problems)
        gazetteer = Gazetteer("invalid", [])
    for name in _ENTITY_LISTS:
        problems.extend(_duplicate_ids(name, getattr(doc, name)))
    return gazetteer


_ROW: Final = TypeAdapter(_ObservationRow)
_ENTITY_ADAPTERS: Final[dict[str, TypeAdapter[Any]]] = {
    name: TypeAdapter(_Document.model_fields[name].annotation or Any) for name in _ENTITY_LISTS
}


def _every_problem(raw: object, error: ValidationError, source: str) -> list[Problem]:
    """All problems of a document that pydantic rejected, not only pydantic's.

    pydantic stops at the shape: a document with one malformed observation
    would hide every other problem until it is fixed. This slow path, taken
    only when loading fails, checks the document without its observations,
    then each observation row on its own, then runs the row checks of
    :func:`_build_store` on the rows that have the right shape.
    """
    rows = raw.get("observations", []) if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(rows, list):
        return problems_from(error)
    problems: list[Problem] = []
    shell = {**raw, "observations": []} | {name: [] for name in _ENTITY_LISTS}
    try:
        doc = _DOCUMENT.validate_python(shell)
    except ValidationError as e:
        problems.extend(problems_from(e))
    else:
        _check_document(doc, source, problems)
    for name, adapter in _ENTITY_ADAPTERS.items():
        try:
            entities = adapter.validate_python(raw.get(name, []))
        except ValidationError as e:
            problems.extend(problems_from(e, f"$.{name}"))
        else:
            problems.extend(_duplicate_ids(name, entities))
    shaped: list[_ObservationRow] = []
    row_numbers: list[int] = []
    for i, row in enumerate(rows):
        try:
            shaped.append(_ROW.validate_python(row))
        except ValidationError as e:
            problems.extend(problems_from(e, f"$.observations[{i}]"))
        else:
            row_numbers.append(i)
    _build_store(shaped, problems, row_numbers)
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


class _Table(dict[_K, int]):
    """Maps raw keys (strings, or a disaggregation's items) to a store table index.

    Each distinct key is parsed once, when first looked up (``__missing__``),
    so a column is turned into indexes by one C-level lookup a row. A key
    that does not parse maps to -1 and its reason is kept in :attr:`reasons`,
    so callers never catch or parse twice.
    """

    __slots__ = ("parse", "reasons")

    def __init__(self, parse: Callable[[_K], int]) -> None:
        super().__init__()
        self.reasons: dict[_K, str] = {}
        self.parse = parse

    def __missing__(self, raw: _K) -> int:
        try:
            index = self.parse(raw)
        except (ValueError, TypeError) as e:
            index = -1
            self.reasons[raw] = str(e)
        self[raw] = index
        return index

    def get(self, raw: _K) -> int:  # type: ignore[override]
        """The index of ``raw`` (-1 if it does not parse)."""
        return self[raw]

    def codes(self, raws: list[_K]) -> list[int]:
        """The index of each of ``raws``, interning distinct keys in order of first appearance."""
        return list(map(self.__getitem__, raws))


def _id_parser(add: Callable[[str], int]) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        if _ID.match(raw) is None:
            msg = "ids use ASCII letters, digits, '.', '_' and '-'"
            raise ValueError(msg)
        return add(raw)

    return parse


# Problems within one row are reported in this order, as a row-by-row reading would.
_FIELD_ORDER: Final = {
    field: rank
    for rank, field in enumerate(
        (
            "metric",
            "subject",
            "period",
            "unit",
            "qualifier",
            "value",
            "disaggregation",
            "source",
            "note",
        )
    )
}
# The keys every row has (``__required_keys__`` cannot tell: the annotations are strings).
_REQUIRED_FIELDS: Final = len(("metric", "subject", "period", "unit", "value"))
_QUALIFIER_CODES: Final = {q.value: i for q, i in _QUALIFIER_INDEX.items()}
_BAD_QUALIFIER: Final = "not one of exact, at_least, at_most, approximately"
_BAD_VALUE: Final = "a value is an integer or a decimal string like '5.8'"


def _build_store(
    rows: list[_ObservationRow],
    problems: list[Problem],
    row_numbers: Sequence[int] | None = None,
    store: ObservationStore | None = None,
) -> ObservationStore:
    """Fill a store from rows that pydantic has type-checked, a column at a time.

    This is the hot path of :meth:`Dataset.load`, so it leaves the work per row
    to C-level built-ins wherever it can: it pulls one field out of every row
    (``map(itemgetter(...))``), parses each distinct string once (metric ids,
    subjects, periods and units repeat heavily), turns the column into table
    indexes through a dict, and hands whole lists to the store's arrays.
    Python code visits only the rows that need it: those with optional fields
    (qualifier, disaggregation, source, note), those whose value is a decimal
    string, negative or beyond 64 bits, and, when some string did not parse,
    the rows that hold it.

    Problems come out as a row-by-row reading gives them: each with its JSON
    path, by row, and within a row in the order of :data:`_FIELD_ORDER`. A
    value is checked against its unit (whole, not negative) whenever the row's
    unit is known, whatever else is wrong in the row. If there is any
    problem the store returned is empty: the caller raises. ``row_numbers``
    gives each row's index in the document when ``rows`` is a selection.

    With ``store``, the rows are appended to it (a file read in batches) and
    it is returned; after a problem it is left half-filled, and the caller
    must not use it.
    """
    columns = RowColumns(
        metric=list(map(itemgetter("metric"), rows)),
        subject=list(map(itemgetter("subject"), rows)),
        period=list(map(itemgetter("period"), rows)),
        unit=list(map(itemgetter("unit"), rows)),
        value=list(map(itemgetter("value"), rows)),
        # Most rows have only the required fields: find the others without a Python loop.
        extras=[
            (i, rows[i])
            for i in compress(range(len(rows)), map(_REQUIRED_FIELDS.__ne__, map(len, rows)))
        ],
    )
    return _build_columns(columns, problems, row_numbers, store)


class RowColumns(NamedTuple):
    """Observation rows as columns: the required fields whole, the optional ones sparse.

    ``extras`` lists ``(i, fields)`` for the rows that have any optional field
    (qualifier, disaggregation, source, note), ``fields`` holding them by name.
    """

    metric: list[str]
    subject: list[str]
    period: list[str]
    unit: list[str]
    value: list[Any]
    extras: list[tuple[int, Mapping[str, Any]]]


def _build_columns(
    columns: RowColumns,
    problems: list[Problem],
    row_numbers: Sequence[int] | None = None,
    store: ObservationStore | None = None,
) -> ObservationStore:
    """:func:`_build_store` for rows already split into columns (as CSV files give them)."""
    builder = _StoreBuilder(row_numbers, store)
    store = builder.store
    metric = builder.required(columns.metric, "metric", _id_parser(store._metrics.add))
    subject = builder.required(
        columns.subject, "subject", lambda raw: store._subjects.add(SubjectRef.parse(raw))
    )
    period = builder.required(
        columns.period, "period", lambda raw: store._periods.add(Period.parse(raw))
    )
    unit = builder.required(columns.unit, "unit", lambda raw: store._units.add(Unit.get(raw)))
    builder.optional(len(columns.metric), columns.extras)
    value = builder.values(columns.value, unit)
    if builder.found:
        builder.found.sort(key=lambda found: found[:2])
        problems.extend(problem for _, _, problem in builder.found)
        return ObservationStore()
    store._metric.fromlist(metric)
    store._subject.fromlist(subject)
    store._period.fromlist(period)
    store._unit.fromlist(unit)
    store._value.fromlist(value)
    return store


class _StoreBuilder:
    """The steps of :func:`_build_store`, and the problems they find."""

    def __init__(
        self, row_numbers: Sequence[int] | None = None, store: ObservationStore | None = None
    ) -> None:
        self.row_numbers = row_numbers
        self.store = ObservationStore() if store is None else store
        self.base = len(self.store)  # rows already in the store: appended rows come after
        self.found: list[tuple[int, int, Problem]] = []
        self.blocked: set[int] = set()  # rows whose value is not checked against their unit

    def bad(self, i: int, field: str, reason: str, value: object) -> None:
        rank = _FIELD_ORDER[field]
        row = i if self.row_numbers is None else self.row_numbers[i]
        where = Location(path=f"$.observations[{row}].{field}", row=row, field=field)
        problem = Problem(where, reason, OBSERVATION_FIELDS_VI[field], safe_repr(value))
        self.found.append((i, rank, problem))
        if field == "unit":
            self.blocked.add(i)

    def required(self, raws: list[str], field: str, parse: Callable[[str], int]) -> list[int]:
        """The table index of a required string field of every row."""
        table: _Table[str] = _Table(parse)
        codes = table.codes(raws)
        if table.reasons:  # some string did not parse: find the rows that hold it
            for i, raw in enumerate(raws):
                reason = table.reasons.get(raw)
                if reason is not None:
                    self.bad(i, field, reason, raw)
        return codes

    def optional(self, n: int, extras: list[tuple[int, Mapping[str, Any]]]) -> None:
        """Fill the columns of the optional fields; most rows keep the defaults (0)."""
        store = self.store
        qualifier = array("B", [0]) * n
        disaggregation = array("I", [0]) * n
        source = array("I", [0]) * n
        note = array("I", [0]) * n
        disaggregations: _Table[tuple[tuple[str, str], ...]] = _Table(
            lambda items: store._disaggregations.add(Disaggregation(dict(items)))
        )
        sources: _Table[str] = _Table(_id_parser(store._texts.add))
        notes: _Table[str] = _Table(lambda raw: store._texts.add(_note(raw)))
        for i, row in extras:
            raw_qualifier = row.get("qualifier")
            if raw_qualifier is not None:
                q = _QUALIFIER_CODES.get(raw_qualifier, -1)
                if q < 0:
                    self.bad(i, "qualifier", _BAD_QUALIFIER, raw_qualifier)
                else:
                    qualifier[i] = q
            raw_d = row.get("disaggregation")
            if raw_d:
                key = tuple(sorted(raw_d.items()))
                d = disaggregations.get(key)
                if d < 0:
                    self.bad(i, "disaggregation", disaggregations.reasons[key], raw_d)
                else:
                    disaggregation[i] = d
            raw_source = row.get("source")
            if raw_source is not None:
                s = sources.get(raw_source)
                if s < 0:
                    self.bad(i, "source", sources.reasons[raw_source], raw_source)
                else:
                    source[i] = s
            raw_note = row.get("note")
            if raw_note is not None:
                n = notes.get(raw_note)
                if n < 0:
                    self.bad(i, "note", notes.reasons[raw_note], raw_note)
                else:
                    note[i] = n
        store._qualifier.extend(qualifier)
        store._disaggregation.extend(disaggregation)
        store._source.extend(source)
        store._note.extend(note)

    def values(self, raws: list[Any], unit_codes: list[int]) -> list[int]:
        """The 64-bit value of every row; others go to the store's exact values.

        Call after the unit column is read: a value is checked against its
        unit whenever that unit is known. ``raws`` is changed in place.
        """
        values: list[Any] = raws
        units = self.store._units.values
        exact = self.store._exact
        base = self.base
        special = [i for i, v in enumerate(values) if type(v) is not int or not 0 <= v <= _INT64]
        for i in special:
            raw = values[i]
            values[i] = 0
            if isinstance(raw, str) and _is_decimal_text(raw):
                value: Number = Decimal(raw)
            elif type(raw) is int:
                value = raw
            else:
                self.bad(i, "value", _BAD_VALUE, raw)
                continue
            if i in self.blocked:
                continue
            try:
                value = _check_value(value, units[unit_codes[i]])
            except QuantityError as e:
                self.bad(i, "value", e.reason, raw)
                continue
            if type(value) is int and value <= _INT64:
                values[i] = value
            else:
                exact[base + i] = value
        return values
