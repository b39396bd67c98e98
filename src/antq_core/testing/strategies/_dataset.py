"""Strategies for whole datasets whose references all resolve.

Part of :mod:`antq_core.testing.strategies`, which re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol, TypeVar

import hypothesis.strategies as st

from antq_core import (
    AdminLevel,
    Dataset,
    Disaggregation,
    DisaggregationCategory,
    MetricDefinition,
    MetricKind,
    Observation,
    Statement,
    SubjectKind,
    SubjectRef,
)
from antq_core.testing.strategies._common import check_size, optional, texts
from antq_core.testing.strategies._entities import (
    dataset_metadata,
    disaggregation_categories,
    initiative_themes,
    initiatives,
    mass_organizations,
    metric_definitions,
    participants,
    quantities_of,
    sites,
    sources,
)
from antq_core.testing.strategies._values import gazetteers, periods


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_E = TypeVar("_E", bound=_HasId)


def _id_of(entity: _HasId) -> str:
    return entity.id


def _entities(
    strategy: st.SearchStrategy[_E], *, min_size: int = 0, max_size: int = 3
) -> st.SearchStrategy[list[_E]]:
    return st.lists(strategy, min_size=min_size, max_size=max_size, unique_by=_id_of)


class _Refs:
    """Draws references into the dataset being built.

    Entities are drawn once from strategies built at import (building
    strategies inside a draw is what makes generation slow), then pointed at
    each other here by drawing indexes into the lists of ids.
    """

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def one(self, ids: Sequence[str]) -> str:
        return ids[self.draw(st.integers(0, len(ids) - 1))]

    def maybe(self, ids: Sequence[str]) -> str | None:
        if not ids or not self.draw(st.booleans()):
            return None
        return self.one(ids)

    def some(self, ids: Sequence[str], *, min_size: int = 0, max_size: int = 3) -> tuple[str, ...]:
        indexes = st.integers(0, len(ids) - 1) if ids else st.nothing()
        drawn = self.draw(
            st.lists(indexes, min_size=min_size, max_size=min(max_size, len(ids)), unique=True)
        )
        return tuple(ids[i] for i in drawn)


# References are drawn by _Refs; the entities' own reference fields are placeholders.
_NO_REF: Final = st.just("ref")
_DATASET_SOURCES: Final = _entities(sources(), max_size=2)
_DATASET_THEMES: Final = _entities(initiative_themes(), min_size=1, max_size=2)
_DATASET_CATEGORIES: Final = _entities(disaggregation_categories(max_options=3), max_size=2)
_DATASET_METRICS: Final = _entities(
    metric_definitions(
        kinds=[MetricKind.FLOW, MetricKind.STOCK, MetricKind.DISTINCT], categories=_NO_REF
    ),
    min_size=1,
    max_size=3,
)
_DATASET_RATIOS: Final = _entities(
    metric_definitions(kinds=[MetricKind.RATIO], categories=_NO_REF, parts=_NO_REF),
    max_size=1,
)
_DATASET_INITIATIVES: Final = _entities(
    initiatives(themes=_NO_REF, admin_units=_NO_REF, sources=_NO_REF)
)
_DATASET_SITES: Final = _entities(sites(initiatives=_NO_REF, admin_units=_NO_REF, sources=_NO_REF))
_DATASET_ORGANIZATIONS: Final = _entities(
    mass_organizations(admin_units=_NO_REF, initiatives=_NO_REF), max_size=2
)
_DATASET_PARTICIPANTS: Final = _entities(
    participants(admin_units=_NO_REF, initiatives=_NO_REF, organizations=_NO_REF), max_size=2
)
_DATASET_METADATA: Final = dataset_metadata()
_DATASET_GAZETTEERS: Final = gazetteers(max_children=2)
_DATASET_PERIODS: Final = periods()
_SUBJECT_KINDS: Final = tuple(SubjectKind)


@st.composite
def _datasets_observations(
    draw: st.DrawFn,
    *,
    metrics: Sequence[MetricDefinition],
    subjects: dict[SubjectKind, list[str]],
    categories: Sequence[DisaggregationCategory],
    sources: Sequence[str],
) -> Observation:
    refs = _Refs(draw)
    metric = metrics[draw(st.integers(0, len(metrics) - 1))]
    quantity = draw(quantities_of(metric.unit.dimension))
    kinds = [k for k in _SUBJECT_KINDS if subjects[k]]
    kind = kinds[draw(st.integers(0, len(kinds) - 1))]
    slices = {}
    for category in categories:
        if category.id in metric.categories and draw(st.booleans()):
            slices[category.id] = refs.one([o.id for o in category.options])
    return Observation(
        metric=metric.id,
        subject=SubjectRef(kind, refs.one(subjects[kind])),
        period=draw(_DATASET_PERIODS),
        unit=quantity.unit,
        value=quantity.value,
        qualifier=quantity.qualifier,
        disaggregation=Disaggregation(slices),
        source=refs.maybe(sources),
        note=draw(optional(texts)),
    )


@st.composite
def _datasets(draw: st.DrawFn, max_observations: int) -> Dataset:
    refs = _Refs(draw)
    gazetteer = draw(_DATASET_GAZETTEERS)
    codes = [u.code for u in gazetteer]
    provinces = [u.code for u in gazetteer if u.level is AdminLevel.PROVINCE]
    source_list = draw(_DATASET_SOURCES)
    source_ids = [s.id for s in source_list]
    themes = draw(_DATASET_THEMES)
    categories = draw(_DATASET_CATEGORIES)
    category_ids = [c.id for c in categories]

    metrics = [
        m.model_copy(update={"categories": refs.some(category_ids, max_size=2)})
        for m in draw(_DATASET_METRICS)
    ]
    plain_ids = [m.id for m in metrics]
    metrics += [
        m.model_copy(
            update={
                "categories": refs.some(category_ids, max_size=2),
                "numerator": refs.one(plain_ids),
                "denominator": refs.one(plain_ids),
            }
        )
        for m in draw(_DATASET_RATIOS)
        if m.id not in plain_ids
    ]

    def cited(statements: tuple[Statement, ...]) -> tuple[Statement, ...]:
        return tuple(s.model_copy(update={"source": refs.maybe(source_ids)}) for s in statements)

    initiative_list = [
        i.model_copy(
            update={
                "theme": refs.one([t.id for t in themes]),
                "scope": refs.maybe(codes),
                "sources": refs.some(source_ids, max_size=2),
                "outcomes": cited(i.outcomes),
            }
        )
        for i in draw(_DATASET_INITIATIVES)
    ]
    initiative_ids = [i.id for i in initiative_list]
    site_list = []
    if initiative_ids:
        for site in draw(_DATASET_SITES):
            agreement = site.coordination_agreement
            if agreement is not None:
                agreement = agreement.model_copy(update={"source": refs.maybe(source_ids)})
            site_list.append(
                site.model_copy(
                    update={
                        "initiative": refs.one(initiative_ids),
                        "admin_units": refs.some(codes, min_size=1, max_size=3),
                        "coordination_agreement": agreement,
                    }
                )
            )
    organizations = [
        o.model_copy(
            update={"admin_unit": refs.one(codes), "initiative": refs.maybe(initiative_ids)}
        )
        for o in draw(_DATASET_ORGANIZATIONS)
    ]
    organization_ids = [o.id for o in organizations]
    people = [
        p.model_copy(
            update={
                "admin_unit": refs.maybe(codes),
                "initiative": refs.maybe(initiative_ids),
                "organization": refs.maybe(organization_ids),
            }
        )
        for p in draw(_DATASET_PARTICIPANTS)
    ]
    subjects = {
        SubjectKind.UNIT: codes,
        SubjectKind.SITE: [s.id for s in site_list],
        SubjectKind.INITIATIVE: initiative_ids,
        SubjectKind.ORGANIZATION: organization_ids,
        SubjectKind.PARTICIPANT: [p.id for p in people],
    }
    rows = draw(
        st.lists(
            _datasets_observations(
                metrics=metrics, subjects=subjects, categories=categories, sources=source_ids
            ),
            max_size=max_observations,
        )
    )
    metadata = draw(_DATASET_METADATA).model_copy(update={"province": refs.maybe(provinces)})
    return Dataset(
        gazetteer=gazetteer,
        metadata=metadata,
        sources=source_list,
        themes=themes,
        categories=categories,
        metrics=metrics,
        initiatives=initiative_list,
        sites=site_list,
        organizations=organizations,
        participants=people,
        observations=rows,
    )


def datasets(*, max_observations: int = 50) -> st.SearchStrategy[Dataset]:
    """Coherent datasets: every reference resolves within the dataset.

    Each dataset has a generated gazetteer, sources, themes, disaggregation
    categories, metrics (ratios refer to other metrics of the dataset),
    initiatives, sites, organizations and participants; every id, code and
    category they mention exists in it. Observations use its metrics, its
    categories and options, its sources, and subjects that exist (sites,
    initiatives, organizations, or units of the gazetteer).

    Args:
        max_observations: The most observations in a dataset.

    Returns:
        A strategy of :class:`~antq_core.Dataset`.

    Raises:
        InvalidArgument: ``max_observations`` is negative.
    """
    check_size("max_observations", max_observations)
    return _datasets(max_observations)
