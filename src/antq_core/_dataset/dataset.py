"""Dataset: every entity of one body of data, with indexes, loading and dumping."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, TypeVar

from pydantic import BaseModel

from antq_core._dataset.builtin import builtin_catalog
from antq_core._dataset.document import (
    DATASET_FORMAT,
    DATASET_FORMAT_VERSION,
    DatasetDocument,
    audit_fields,
    parse_json,
    parse_python,
    read_document,
)
from antq_core._dataset.merge import merge
from antq_core._dataset.store import ObservationStore
from antq_core._dataset.stream import load_stream
from antq_core._dataset.summary import ImportStrategy, ImportSummary
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
    Submission,
)
from antq_core._util.atomic import atomic_write
from antq_core._util.progress import gc_paused
from antq_core._values.geo import AdminUnit, Gazetteer
from antq_core._values.groups import UnitGroupSet
from antq_core._values.refs import SubjectRef
from antq_core.errors import (
    DatasetLoadError,
    DuplicateIdError,
    UnresolvedReferenceError,
    cannot_read,
)

__all__ = ["STREAM_THRESHOLD", "Dataset"]

STREAM_THRESHOLD: Final = 32 * 1024 * 1024
"""Size in bytes above which :meth:`Dataset.load <antq_core.Dataset.load>` reads in chunks."""

_E = TypeVar("_E", bound=BaseModel)


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

    The catalog (``themes``, ``categories``, ``metrics``) is the built-in one
    (:func:`~antq_core.builtin_catalog`) for each part not given, so a dataset
    built from scratch knows every built-in metric id; pass your own to replace
    a part (an empty list for none), and extend a built-in metric with
    :meth:`MetricDefinition.with_categories
    <antq_core.MetricDefinition.with_categories>`. Loading a document
    (:meth:`from_json`, :meth:`from_dict`) takes only what the document holds.

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
        themes: Iterable[InitiativeTheme] | None = None,
        categories: Iterable[DisaggregationCategory] | None = None,
        metrics: Iterable[MetricDefinition] | None = None,
        initiatives: Iterable[Initiative] = (),
        sites: Iterable[Site] = (),
        organizations: Iterable[MassOrganization] = (),
        participants: Iterable[Participant] = (),
        observations: Iterable[Observation] | ObservationStore = (),
        forms: Iterable[ReportingForm] = (),
    ) -> None:
        self._gazetteer = gazetteer
        self._metadata = metadata
        self._sources = _by_id("source", sources)
        builtin = builtin_catalog()
        self._themes = _by_id("theme", builtin.themes if themes is None else themes)
        self._categories = _by_id(
            "category", builtin.categories if categories is None else categories
        )
        self._metrics = _by_id("metric", builtin.metrics if metrics is None else metrics)
        self._initiatives = _by_id("initiative", initiatives)
        self._sites = _by_id("site", sites)
        self._organizations = _by_id("organization", organizations)
        self._participants = _by_id("participant", participants)
        self._forms = _by_id("form", forms)
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
        forms: Iterable[ReportingForm] | None = None,
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
        derived = Dataset.__new__(Dataset)
        derived.__dict__.update(self.__dict__)  # the parts not given: shared, never copied
        if gazetteer is not None:
            derived._gazetteer = gazetteer
        if metadata is not None:
            derived._metadata = metadata
        tables = (
            ("source", "_sources", sources),
            ("theme", "_themes", themes),
            ("category", "_categories", categories),
            ("metric", "_metrics", metrics),
            ("initiative", "_initiatives", initiatives),
            ("site", "_sites", sites),
            ("organization", "_organizations", organizations),
            ("participant", "_participants", participants),
            ("form", "_forms", forms),
        )
        for kind, name, given in tables:
            if given is not None:
                setattr(derived, name, _by_id(kind, given))
        if observations is not None:
            derived._observations = (
                observations
                if isinstance(observations, ObservationStore)
                else ObservationStore.from_observations(observations)
            )
        return derived

    def _with_store(self, store: ObservationStore) -> Dataset:
        """This dataset with ``store`` for its observations, every other part shared as it is."""
        derived = Dataset.__new__(Dataset)
        derived._take(self, store)
        return derived

    def _take(self, other: Dataset, store: ObservationStore) -> None:
        self.__dict__.update(other.__dict__)
        self._observations = store

    def apply(
        self,
        submission: Submission,
        strategy: ImportStrategy = "create_and_update",
        *,
        dry_run: bool = False,
        force: bool = False,
        now: dt.datetime | None = None,
        group_sets: Mapping[str, UnitGroupSet] | None = None,
    ) -> tuple[Dataset, ImportSummary]:
        """Nhập báo cáo: this dataset with ``submission`` applied, and what that did.

        The dataset itself is unchanged: the new one shares its columns, and
        the cost follows the submission, not the dataset. Each item is
        matched to a stored figure by metric, subject, period and
        disaggregation (the subject and period are the submission's):

        - ``"create_and_update"`` adds new figures and replaces stored ones
          that differ (an identical one is ignored);
        - ``"create"`` only adds: a figure already stored is a conflict;
        - ``"update"`` only replaces: a figure not stored is a conflict;
        - ``"delete"`` removes the figures the items name (their values do
          not matter); one not stored is a conflict.

        Each item that is not taken is in a conflict of the
        :class:`~antq_core.ImportSummary`, located in the submission (its
        file, sheet, row and cell, or ``$.items[i]``), with a code and a
        message in Vietnamese and English: an unknown metric or category, a
        metric not on the form, a unit that does not convert, a value the
        unit does not take, an item repeating another. The submission as a
        whole is refused (every item ignored, :attr:`~antq_core.ImportSummary.aborted`)
        when its form or subject is unknown, the subject is not assigned to
        the form, the period is of the wrong kind, or the period is not open
        for entry on the day (:meth:`~antq_core.ReportingForm.is_open`):
        closed after the form's expiry days, unless ``force``. Compulsory
        metrics of the form missing from the submission are conflicts that
        do not stop the rest.

        Who stored each figure and when is kept (:meth:`ObservationStore.audit`):
        the submission's ``stored_by``, and ``now`` (by default the
        submission's ``submitted`` time, else the current time).

        >>> from antq_core import sample, Submission
        >>> ds = sample()
        >>> report = Submission(
        ...     subject="site:site-cum-giap-ranh",
        ...     period="2017",
        ...     items=[{"metric": "cases_resolved_jointly", "value": 3}],
        ...     stored_by="officer1",
        ... )
        >>> new, summary = ds.apply(report)
        >>> summary.imported, len(new.observations) - len(ds.observations)
        (1, 1)
        >>> new.observations.audit(len(new.observations) - 1).stored_by
        'officer1'

        Args:
            submission: One unit's report.
            strategy: How its figures meet the stored ones.
            dry_run: Only say what applying would do: the dataset returned is this one.
            force: Take the submission even if its period is not open for entry.
            now: The time of the import (timezone-aware); see above.
            group_sets: Where a form's ``assigned_group`` is looked up (the bundled
                group sets by default).

        Raises:
            InvalidValueError: ``strategy`` is not one of the four, or ``now`` has no time zone.
        """
        store, summary = merge(
            self,
            submission,
            strategy,
            dry_run=dry_run,
            force=force,
            now=now,
            group_sets=group_sets,
        )
        return (self if store is None else self._with_store(store)), summary

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
    def forms(self) -> Mapping[str, ReportingForm]:
        """Reporting forms (biểu mẫu báo cáo), by id."""
        return self._forms

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

        A file larger than :data:`~antq_core._dataset.dataset.STREAM_THRESHOLD`
        bytes is read in chunks: the observations array is parsed a batch at a
        time straight into the column store, so memory follows the entities and
        the columns, not the text. That reading stops listing problems after the first
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
                return cls._assemble(*load_stream(path, size, progress=progress))
            data = path.read_bytes()
        except OSError as e:
            raise DatasetLoadError(str(path), [cannot_read(e)]) from e
        return cls.from_json(data, source=str(path))

    @classmethod
    def from_json(cls, data: bytes | str, *, source: str = "<memory>") -> Dataset:
        """Read a dataset from JSON text or bytes; see :meth:`load`."""
        # The document's row dicts are made and freed inside one pause of the
        # cyclic collector (see gc_paused): resumed while they lived, it walked
        # them all at least twice (about a tenth of the load at a million rows).
        with gc_paused():
            doc = parse_json(data, source)
            dataset = cls._assemble(doc, *read_document(doc, source))
            del doc
        return dataset

    @classmethod
    def from_dict(cls, data: object, *, source: str = "<memory>") -> Dataset:
        """Build a dataset from a parsed JSON document (as :meth:`to_dict` gives)."""
        doc = parse_python(data, source)
        return cls._assemble(doc, *read_document(doc, source))

    @classmethod
    def _assemble(
        cls, doc: DatasetDocument, gazetteer: Gazetteer, store: ObservationStore
    ) -> Dataset:
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
            forms=doc.forms,
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
            **({"forms": dump(self._forms.values())} if self._forms else {}),
            "observations": self._observation_rows(),
        }

    def _observation_rows(self) -> list[dict[str, Any]]:
        # The model writes the wire format; defaults are left out to keep rows short.
        rows = [o.model_dump(mode="json", exclude_defaults=True) for o in self._observations]
        # Who stored each figure and when, for the figures that have a record of it.
        for row, audit in self._observations.audits().items():
            rows[row].update(audit_fields(audit))
        return rows

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
        """Write the dataset as a JSON file that :meth:`load` reads back, losing nothing.

        The file is replaced atomically: on any failure the previous file is intact.

        Raises:
            ExportError: The file cannot be written; it names ``path``.
        """
        atomic_write(path, self.dumps(include_sensitive=include_sensitive))
