"""Datasets made for aggregation laws: few metrics, many figures per group.

Part of :mod:`antq_core.testing.strategies`, which re-exports the public names.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument

from antq_core import (
    Dataset,
    DatasetMetadata,
    Gazetteer,
    Initiative,
    InitiativeTheme,
    MetricDefinition,
    MetricKind,
    Observation,
    Period,
    Site,
    SubjectKind,
    SubjectRef,
    Unit,
)
from antq_core.errors import InvalidValueError
from antq_core.testing.strategies._common import check_size
from antq_core.testing.strategies._values import gazetteers, qualifiers

# -- datasets for aggregation laws --------------------------------------------

_AGGREGATION_METRICS: Final = (
    MetricDefinition(
        id="cases", name_vi="Vụ việc", name_en="Cases", unit=Unit.get("case"), kind=MetricKind.FLOW
    ),
    MetricDefinition(
        id="resolved",
        name_vi="Vụ việc giải quyết",
        name_en="Cases resolved",
        unit=Unit.get("case"),
        kind=MetricKind.FLOW,
    ),
    MetricDefinition(
        id="area", name_vi="Diện tích", name_en="Area", unit=Unit.get("m2"), kind=MetricKind.FLOW
    ),
    MetricDefinition(
        id="teams",
        name_vi="Số tổ",
        name_en="Teams",
        unit=Unit.get("organization"),
        kind=MetricKind.STOCK,
    ),
    MetricDefinition(
        id="resolved_rate",
        name_vi="Tỷ lệ giải quyết",
        name_en="Share resolved",
        unit=Unit.get("percent"),
        kind=MetricKind.RATIO,
        numerator="resolved",
        denominator="cases",
        factor=100,
    ),
)

_AGGREGATION_THEME: Final = InitiativeTheme(id="theme", name_vi="Loại", name_en="Theme")
_AGGREGATION_INITIATIVE: Final = Initiative(id="initiative", name_vi="Mô hình", theme="theme")
_AREA_IN_HA: Final = st.builds(lambda tenths: Decimal(tenths) / 10, st.integers(0, 1000))


@st.composite
def _aggregation_datasets(  # noqa: PLR0917 - internal
    draw: st.DrawFn, max_observations: int, first_year: int, years: int, sites: bool, nested: bool
) -> Dataset:
    gazetteer = draw(gazetteers(max_provinces=2, max_children=3))
    codes = [u.code for u in gazetteer]
    site_list = []
    if sites:
        for n in range(draw(st.integers(0, 3))):
            covered = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=3, unique=True))
            site_list.append(Site(id=f"s{n}", initiative="initiative", admin_units=tuple(covered)))
    subjects = [SubjectRef(SubjectKind.UNIT, c) for c in codes]
    subjects += [SubjectRef(SubjectKind.SITE, s.id) for s in site_list]
    months = [Period.month(first_year + k // 12, k % 12 + 1) for k in range(12 * years)]
    metric_ids = [m.id for m in _AGGREGATION_METRICS if m.kind is not MetricKind.RATIO]
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(metric_ids), st.sampled_from(subjects), st.sampled_from(months)
            ),
            max_size=max_observations,
            unique=True,
        )
    )
    if not nested:
        keys = _not_enclosing(gazetteer, site_list, keys)
    rows = []
    for metric_id, subject, month in keys:
        qualifier = draw(qualifiers())
        if metric_id == "area" and draw(st.booleans()):
            value: int | Decimal = draw(_AREA_IN_HA)
            unit = Unit.get("ha")
        else:
            value = draw(st.integers(0, 1000))
            unit = Unit.get({"area": "m2", "teams": "organization"}.get(metric_id, "case"))
        rows.append(
            Observation(
                metric=metric_id,
                subject=subject,
                period=month,
                unit=unit,
                value=value,
                qualifier=qualifier,
            )
        )
    return Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Dữ liệu tổng hợp"),
        themes=[_AGGREGATION_THEME],
        initiatives=[_AGGREGATION_INITIATIVE],
        metrics=_AGGREGATION_METRICS,
        sites=site_list,
        observations=rows,
    )


def _encloses(
    gazetteer: Gazetteer, anchors: dict[SubjectRef, str], a: SubjectRef, b: SubjectRef
) -> bool:
    """Whether ``a``'s figure holds ``b``'s over space (the rule of :func:`aggregate`)."""
    if a not in anchors or b not in anchors:
        return False  # a site whose units share no ancestor is placed nowhere
    above_b = gazetteer.lineage(anchors[b])[1:]
    if a.kind is SubjectKind.UNIT:
        return a.id in above_b or (b.kind is not SubjectKind.UNIT and a.id == anchors[b])
    return b.kind is SubjectKind.UNIT and anchors[a] in above_b


def _not_enclosing(
    gazetteer: Gazetteer,
    sites: list[Site],
    keys: list[tuple[str, SubjectRef, Period]],
) -> list[tuple[str, SubjectRef, Period]]:
    """``keys`` without those whose figure encloses, or is enclosed by, one kept before.

    Flows meet in one month; a stock (``teams``) in any period, since its
    latest values of a year are added.
    """
    anchors: dict[SubjectRef, str] = {
        SubjectRef(SubjectKind.UNIT, u.code): u.code for u in gazetteer
    }
    for site in sites:
        try:
            anchor = gazetteer.common_ancestor(site.admin_units).code
        except InvalidValueError:
            continue
        anchors[SubjectRef(SubjectKind.SITE, site.id)] = anchor
    kept: list[tuple[str, SubjectRef, Period]] = []
    by_figure: dict[tuple[str, Period | None], list[SubjectRef]] = {}
    for metric_id, subject, month in keys:
        figure = (metric_id, None if metric_id == "teams" else month)
        others = by_figure.setdefault(figure, [])
        if any(
            _encloses(gazetteer, anchors, o, subject) or _encloses(gazetteer, anchors, subject, o)
            for o in others
        ):
            continue
        others.append(subject)
        kept.append((metric_id, subject, month))
    return kept


def aggregation_datasets(
    *,
    max_observations: int = 30,
    first_year: int = 2016,
    years: int = 2,
    sites: bool = True,
    nested: bool = False,
) -> st.SearchStrategy[Dataset]:
    """Datasets to state aggregation laws on: many figures, none double-counted.

    Each has a generated gazetteer (with districts); the metrics ``cases``,
    ``resolved`` (flows, in cases), ``area`` (a flow in m², reported in m² or
    ha), ``teams`` (a stock) and ``resolved_rate`` (100 × resolved / cases);
    one initiative with up to three sites (each
    covering one to three units anywhere in the tree, so some span
    districts), and observations about units of every level and about sites,
    each for one month. No two observations share metric, subject and
    month, so nothing overlaps. Values are qualified every way; areas come
    in m² or ha.

    Args:
        max_observations: The most observations.
        first_year: The first year of the months drawn.
        years: How many years of months to draw from.
        sites: Whether to draw sites (``False``: only units are subjects).
        nested: Whether a figure may enclose another over space (a unit's
            and its districts', a unit's and a site's there, for the same
            metric and month; for the stock ``teams``, any months), which
            :func:`~antq_core.aggregate` refuses unless told which to use.
            By default such figures are left out, so every dataset
            aggregates.

    Returns:
        A strategy of :class:`~antq_core.Dataset`.

    Raises:
        InvalidArgument: A size is out of range.
    """
    check_size("max_observations", max_observations)
    check_size("years", years, 1)
    if not 1 <= first_year <= 9998 - years:
        msg = f"first_year must leave room for {years} years before 9999, not {first_year}"
        raise InvalidArgument(msg)
    return _aggregation_datasets(max_observations, first_year, years, sites, nested)
