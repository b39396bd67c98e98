"""Strategies for entities: sources, initiatives, sites, people, observations.

Part of :mod:`antq_core.testing.strategies`, which re-exports the public names.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from collections.abc import Collection, Sequence
from typing import Any, Final, TypeVar

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from antq_core import (
    AggregationType,
    CategoryOption,
    CoordinationAgreement,
    DatasetMetadata,
    Disaggregation,
    DisaggregationCategory,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    MetricKind,
    Observation,
    OrganizationKind,
    Participant,
    ParticipantRole,
    Period,
    Quantity,
    Site,
    Source,
    Statement,
    SubjectRef,
    Unit,
    builtin_catalog,
)
from antq_core.testing.strategies._common import (
    NAMES,
    NFC_ONLY,
    check_size,
    check_strategy,
    entity_ids,
    optional,
    or_default,
    texts,
    unique_tuples,
    vietnamese_names,
)
from antq_core.testing.strategies._values import (
    any_period,
    any_unit,
    disaggregations,
    periods,
    quantities,
    subject_refs,
)

_T = TypeVar("_T")


# -- entities -----------------------------------------------------------------


def sources(*, ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Source]:
    """Cited documents (nguồn): a title, and perhaps publisher, date, author, URL.

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
    """
    check_strategy("ids", ids)
    return st.builds(
        Source,
        id=or_default(ids, entity_ids()),
        title=vietnamese_names(max_words=6),
        publisher=optional(vietnamese_names()),
        published_on=optional(st.dates(dt.date(1945, 1, 1), dt.date(2060, 12, 31))),
        author=optional(vietnamese_names()),
        quoted=optional(vietnamese_names()),
        url=optional(entity_ids().map(lambda s: f"https://example.org/{s}")),
        note=optional(texts),
    )


def statements(*, sources: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Statement]:
    """Qualitative outcomes, in Vietnamese and perhaps English.

    Args:
        sources: Strategy for the id of the source cited (sometimes none is);
            default :func:`entity_ids`.
    """
    check_strategy("sources", sources)
    return st.builds(
        Statement,
        text_vi=texts,
        text_en=optional(texts),
        source=optional(or_default(sources, entity_ids())),
    )


def initiative_themes(
    *, ids: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[InitiativeTheme]:
    """Initiative themes (loại mô hình).

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
    """
    check_strategy("ids", ids)
    return st.builds(
        InitiativeTheme,
        id=or_default(ids, entity_ids()),
        name_vi=vietnamese_names(),
        name_en=vietnamese_names(),
        description=optional(texts),
    )


def disaggregation_categories(
    *,
    ids: st.SearchStrategy[str] | None = None,
    max_options: int = 4,
) -> st.SearchStrategy[DisaggregationCategory]:
    """Disaggregation categories with one or more options of distinct ids.

    Args:
        ids: Strategy for the category id; default :func:`entity_ids`.
        max_options: The most options (at least 1).
    """
    check_strategy("ids", ids)
    check_size("max_options", max_options, 1)
    options = st.builds(
        CategoryOption, id=entity_ids(), name_vi=vietnamese_names(), name_en=vietnamese_names()
    )
    return st.builds(
        DisaggregationCategory,
        id=or_default(ids, entity_ids()),
        name_vi=vietnamese_names(),
        name_en=vietnamese_names(),
        options=unique_tuples(options, min_size=1, max_size=max_options, unique_by=lambda o: o.id),
    )


_AGGREGATIONS: Final = st.sampled_from(AggregationType)
_FACTORS: Final = st.sampled_from([1, 100, 1000])


@st.composite
def _metric_definitions(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str],
    units: st.SearchStrategy[Unit],
    kinds: st.SearchStrategy[MetricKind],
    categories: st.SearchStrategy[tuple[str, ...]],
    parts: st.SearchStrategy[str],
    thresholds: st.SearchStrategy[Quantity | None],
) -> MetricDefinition:
    kind = draw(kinds)
    fields: dict[str, Any] = {
        "id": draw(ids),
        "name_vi": draw(NAMES),
        "name_en": draw(NAMES),
        "unit": draw(units),
        "kind": kind,
        "categories": draw(categories),
        "description": draw(optional(texts)),
    }
    if draw(st.booleans()):  # otherwise the kind's defaults apply
        fields["space_aggregation"] = draw(_AGGREGATIONS)
        fields["time_aggregation"] = draw(_AGGREGATIONS)
    if kind is MetricKind.RATIO:
        fields["numerator"] = draw(parts)
        fields["denominator"] = draw(parts)
        fields["factor"] = draw(_FACTORS)
    else:
        fields["threshold"] = draw(thresholds)
    return MetricDefinition(**fields)


def metric_definitions(
    *,
    ids: st.SearchStrategy[str] | None = None,
    units: st.SearchStrategy[Unit] | None = None,
    kinds: Collection[MetricKind | str] | None = None,
    categories: st.SearchStrategy[str] | None = None,
    parts: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[MetricDefinition]:
    """Metric definitions (chỉ tiêu): flows, stocks, distinct counts and ratios.

    Aggregation types are sometimes left to the kind's defaults and
    sometimes set explicitly; ratios always have a numerator, a denominator
    and a factor; other kinds sometimes have a threshold.

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
        units: Strategy for the unit; default :func:`units`.
        kinds: The metric kinds to draw; ``None`` for all.
        categories: Strategy for the ids of the disaggregation categories it
            may be broken down by; default :func:`entity_ids`.
        parts: Strategy for a ratio's numerator and denominator ids; default
            :func:`entity_ids`.

    Raises:
        InvalidArgument: ``kinds`` is empty or unknown, or a knob is not a strategy.
    """
    for name, value in (("ids", ids), ("units", units), ("categories", categories)):
        check_strategy(name, value)
    check_strategy("parts", parts)
    try:
        chosen = tuple(MetricKind(k) for k in (MetricKind if kinds is None else kinds))
    except ValueError as e:
        raise InvalidArgument(f"kinds: {e}") from None
    if not chosen:
        msg = "kinds must name at least one metric kind"
        raise InvalidArgument(msg)
    return _metric_definitions(
        ids=or_default(ids, entity_ids()),
        units=or_default(units, any_unit()),
        kinds=st.sampled_from(chosen),
        categories=unique_tuples(or_default(categories, entity_ids()), max_size=2),
        parts=or_default(parts, entity_ids()),
        thresholds=optional(quantities(max_value=10**7)),
    )


def _refs(strategy: st.SearchStrategy[str] | None) -> st.SearchStrategy[str]:
    return or_default(strategy, entity_ids())


def initiatives(
    *,
    ids: st.SearchStrategy[str] | None = None,
    themes: st.SearchStrategy[str] | None = None,
    admin_units: st.SearchStrategy[str] | None = None,
    sources: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Initiative]:
    """Initiatives (mô hình), typical or not, with outcomes and bodies that run them.

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
        themes: Strategy for the theme id; default :func:`entity_ids`.
        admin_units: Strategy for the code of the unit that runs it (the
            scope is sometimes left out); default :func:`entity_ids`.
        sources: Strategy for cited source ids; default :func:`entity_ids`.
    """
    for name, value in (("ids", ids), ("themes", themes), ("admin_units", admin_units)):
        check_strategy(name, value)
    check_strategy("sources", sources)
    bodies = unique_tuples(vietnamese_names(forms=NFC_ONLY), max_size=3)
    return st.builds(
        Initiative,
        id=_refs(ids),
        name_vi=vietnamese_names(max_words=6),
        name_en=optional(vietnamese_names(max_words=6)),
        theme=_refs(themes),
        scope=optional(_refs(admin_units)),
        started=optional(periods(kinds=["year", "day", "month"])),
        typical=st.booleans(),
        lead_bodies=bodies,
        partner_bodies=bodies,
        description_vi=optional(texts),
        description_en=optional(texts),
        outcomes=st.lists(statements(sources=_refs(sources)), max_size=2).map(tuple),
        sources=unique_tuples(_refs(sources), max_size=2),
        note=optional(texts),
    )


def coordination_agreements(
    *, sources: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[CoordinationAgreement]:
    """Coordination agreements (quy chế phối hợp) signed by two to four parties.

    Args:
        sources: Strategy for the id of the source that reports it;
            default :func:`entity_ids`.
    """
    check_strategy("sources", sources)
    return st.builds(
        CoordinationAgreement,
        title_vi=optional(vietnamese_names(max_words=6)),
        parties=unique_tuples(vietnamese_names(forms=NFC_ONLY), min_size=2, max_size=4),
        signed=optional(periods(kinds=["day", "month", "year"])),
        source=optional(_refs(sources)),
    )


def sites(
    *,
    ids: st.SearchStrategy[str] | None = None,
    initiatives: st.SearchStrategy[str] | None = None,
    admin_units: st.SearchStrategy[str] | None = None,
    sources: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Site]:
    """Sites (điểm) covering one to three distinct units, some of them clusters with an agreement.

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
        initiatives: Strategy for the initiative id; default :func:`entity_ids`.
        admin_units: Strategy for the codes of the units covered; default
            :func:`entity_ids`. It must be able to draw as many distinct codes
            as a site needs; a strategy of a single code gives one-unit sites.
        sources: Strategy for the source of a coordination agreement;
            default :func:`entity_ids`.
    """
    for name, value in (("ids", ids), ("initiatives", initiatives)):
        check_strategy(name, value)
    check_strategy("admin_units", admin_units)
    check_strategy("sources", sources)
    return st.builds(
        Site,
        id=_refs(ids),
        initiative=_refs(initiatives),
        admin_units=unique_tuples(_refs(admin_units), min_size=1, max_size=3),
        name_vi=optional(vietnamese_names(max_words=6)),
        started=optional(periods(kinds=["year", "day", "month"])),
        coordination_agreement=optional(coordination_agreements(sources=sources)),
        example=st.booleans(),
        note=optional(texts),
    )


def mass_organizations(
    *,
    ids: st.SearchStrategy[str] | None = None,
    admin_units: st.SearchStrategy[str] | None = None,
    initiatives: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[MassOrganization]:
    """Mass organizations for security and order (tổ chức quần chúng bảo vệ ANTT).

    Args:
        ids: Strategy for the id; default :func:`entity_ids`.
        admin_units: Strategy for the code of the unit it works in; default
            :func:`entity_ids`.
        initiatives: Strategy for the initiative it belongs to (sometimes
            none); default :func:`entity_ids`.
    """
    for name, value in (("ids", ids), ("admin_units", admin_units)):
        check_strategy(name, value)
    check_strategy("initiatives", initiatives)
    return st.builds(
        MassOrganization,
        id=_refs(ids),
        kind=st.sampled_from(OrganizationKind),
        name_vi=vietnamese_names(max_words=6),
        admin_unit=_refs(admin_units),
        established_on=optional(st.dates(dt.date(1960, 1, 1), dt.date(2060, 12, 31))),
        member_count=optional(st.integers(min_value=0, max_value=10_000)),
        initiative=optional(_refs(initiatives)),
        note=optional(texts),
    )


_IDENTITY_NUMBERS: Final = st.text(alphabet=string.digits, min_size=9, max_size=9) | st.text(
    alphabet=string.digits, min_size=12, max_size=12
)


def participants(
    *,
    sensitive: bool = True,
    ids: st.SearchStrategy[str] | None = None,
    admin_units: st.SearchStrategy[str] | None = None,
    initiatives: st.SearchStrategy[str] | None = None,
    organizations: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Participant]:
    """Participants (người tham gia) with one or more distinct roles.

    Args:
        sensitive: Whether personal fields (full name, CMND/CCCD number,
            birth date) may be filled in; each is still sometimes absent.
            With ``False`` they are always ``None``.
        ids: Strategy for the id; default :func:`entity_ids`.
        admin_units: Strategy for the code of the unit they live in
            (sometimes none); default :func:`entity_ids`.
        initiatives: Strategy for the initiative they take part in
            (sometimes none); default :func:`entity_ids`.
        organizations: Strategy for the organization they belong to
            (sometimes none); default :func:`entity_ids`.
    """
    for name, value in (("ids", ids), ("admin_units", admin_units)):
        check_strategy(name, value)
    check_strategy("initiatives", initiatives)
    check_strategy("organizations", organizations)

    def personal(strategy: st.SearchStrategy[_T]) -> st.SearchStrategy[_T | None]:
        return optional(strategy) if sensitive else st.none()

    return st.builds(
        Participant,
        id=_refs(ids),
        roles=unique_tuples(st.sampled_from(ParticipantRole), min_size=1, max_size=3),
        admin_unit=optional(_refs(admin_units)),
        initiative=optional(_refs(initiatives)),
        organization=optional(_refs(organizations)),
        note_vi=optional(texts),
        full_name=personal(vietnamese_names()),
        identity_number=personal(_IDENTITY_NUMBERS),
        birth_date=personal(st.dates(dt.date(1920, 1, 1), dt.date(2010, 12, 31))),
    )


@functools.lru_cache(maxsize=64)
def quantities_of(dimension: str) -> st.SearchStrategy[Quantity]:
    return quantities(units=any_unit(dimension=dimension))


@functools.lru_cache(maxsize=256)
def _slices_of(
    categories: tuple[DisaggregationCategory, ...],
) -> st.SearchStrategy[Disaggregation]:
    return disaggregations(categories=categories)


@st.composite
def _observations(
    draw: st.DrawFn,
    *,
    metrics: st.SearchStrategy[MetricDefinition],
    subjects: st.SearchStrategy[SubjectRef],
    periods: st.SearchStrategy[Period],
    categories: tuple[DisaggregationCategory, ...],
    sources: st.SearchStrategy[str | None],
) -> Observation:
    metric = draw(metrics)
    quantity = draw(quantities_of(metric.unit.dimension))
    usable = tuple(c for c in categories if c.id in metric.categories)
    return Observation(
        metric=metric.id,
        subject=draw(subjects),
        period=draw(periods),
        unit=quantity.unit,
        value=quantity.value,
        qualifier=quantity.qualifier,
        disaggregation=draw(_slices_of(usable)),
        source=draw(sources),
        note=draw(optional(texts)),
    )


def observations(
    *,
    metrics: st.SearchStrategy[MetricDefinition] | None = None,
    subjects: st.SearchStrategy[SubjectRef] | None = None,
    periods: st.SearchStrategy[Period] | None = None,
    categories: Sequence[DisaggregationCategory] | None = None,
    sources: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Observation]:
    """Observations (số liệu) consistent with their metric.

    The unit is the metric's unit or one of the same dimension (a metric in
    m² may be reported in ha); the value suits the unit; the disaggregation
    uses only categories the metric declares, with their options.

    Args:
        metrics: Strategy for the metric definition; default: the metrics of
            :func:`~antq_core.builtin_catalog`.
        subjects: Strategy for the subject; default :func:`subject_refs`.
        periods: Strategy for the period; default :func:`periods`.
        categories: The disaggregation categories that exist; default: the
            built-in catalog's.
        sources: Strategy for the cited source id (sometimes none is);
            default :func:`entity_ids`.
    """
    for name, value in (("metrics", metrics), ("subjects", subjects), ("periods", periods)):
        check_strategy(name, value)
    check_strategy("sources", sources)
    catalog = builtin_catalog()
    return _observations(
        metrics=or_default(metrics, st.sampled_from(catalog.metrics)),
        subjects=or_default(subjects, subject_refs()),
        periods=or_default(periods, any_period()),
        categories=tuple(catalog.categories if categories is None else categories),
        sources=optional(_refs(sources)),
    )


def dataset_metadata(
    *, provinces: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[DatasetMetadata]:
    """Dataset metadata: titles, report date, province, description, licence.

    Args:
        provinces: Strategy for the province code (sometimes none); default
            :func:`entity_ids`.
    """
    check_strategy("provinces", provinces)
    return st.builds(
        DatasetMetadata,
        title_vi=vietnamese_names(max_words=6),
        title_en=optional(vietnamese_names(max_words=6)),
        report_date=optional(st.dates(dt.date(1990, 1, 1), dt.date(2060, 12, 31))),
        province=optional(_refs(provinces)),
        description=optional(texts),
        license=optional(st.sampled_from(["CC BY 4.0", "CC0 1.0", "Internal use only"])),
    )
