"""The public Hypothesis strategies: valid data only, knobs honoured, st.from_type works."""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from antq_core import (
    AdminLevel,
    AdminUnit,
    CategoryOption,
    CoordinationAgreement,
    Dataset,
    DatasetMetadata,
    Disaggregation,
    DisaggregationCategory,
    Gazetteer,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    MetricKind,
    Observation,
    Participant,
    Period,
    PeriodKind,
    Qualifier,
    Quantity,
    Site,
    Source,
    Statement,
    SubjectKind,
    SubjectRef,
    Unit,
    builtin_catalog,
)
from antq_core.testing import strategies as ats

REGISTERED: list[type[Any]] = [
    Period,
    Qualifier,
    Unit,
    Quantity,
    SubjectRef,
    Disaggregation,
    AdminUnit,
    Gazetteer,
    Source,
    Statement,
    InitiativeTheme,
    DisaggregationCategory,
    MetricDefinition,
    Initiative,
    CoordinationAgreement,
    Site,
    MassOrganization,
    Participant,
    Observation,
    DatasetMetadata,
    Dataset,
]


class _AllReached(Exception):  # noqa: N818 - a signal, not an error
    pass


def _unreached(
    strategy: st.SearchStrategy[Any], conditions: dict[str, Callable[[Any], object]]
) -> set[str]:
    """The names of ``conditions`` that no example among 200 of ``strategy`` meets.

    Like ``hypothesis.find``, but for several conditions at once, stopping as
    soon as all are met, and without shrinking (which for a dataset takes minutes).
    """
    missing = dict(conditions)

    @settings(max_examples=200, phases=[Phase.generate], database=None, deadline=None)
    @given(strategy)
    def probe(value: Any) -> None:
        for name, condition in list(missing.items()):
            if condition(value):
                del missing[name]
        if not missing:
            raise _AllReached

    with contextlib.suppress(_AllReached):
        probe()
    return set(missing)


def _reaches(strategy: st.SearchStrategy[Any], condition: Callable[[Any], object]) -> bool:
    return not _unreached(strategy, {"it": condition})


# -- registration ----------------------------------------------------------------------


def test_the_entry_point_names_the_setup_hook() -> None:
    (entry,) = [
        e for e in importlib.metadata.entry_points(group="hypothesis") if e.name == "antq_core"
    ]
    assert entry.value == "antq_core.testing.strategies:_hypothesis_setup_hook"
    hook = entry.load()
    assert hook is ats._hypothesis_setup_hook
    hook()  # registering again is harmless


@pytest.mark.parametrize(
    "first", ["import antq_core.testing.strategies", "import hypothesis", "import antq_core"]
)
def test_from_type_works_whatever_is_imported_first(first: str, tmp_path: Path) -> None:
    # Importing the strategies module first makes Hypothesis load the entry point
    # while the module is half built; that must neither fail nor lose the registration.
    code = (
        f"{first}\n"
        "from hypothesis import given, settings, strategies as st\n"
        "from antq_core import Period, Quantity\n"
        "@settings(max_examples=5, database=None)\n"
        "@given(st.from_type(Period), st.from_type(Quantity))\n"
        "def check(p, q):\n"
        "    assert isinstance(p, Period) and isinstance(q, Quantity)\n"
        "check()\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("cls", "strategy"),
    [(c, st.from_type(c)) for c in REGISTERED],
    ids=lambda c: getattr(c, "__name__", ""),
)
# A smoke test of the registration: the strategies themselves are tested below.
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_from_type_builds_every_registered_type(
    cls: type[Any], strategy: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    assert isinstance(data.draw(strategy), cls)


@given(st.builds(lambda p, q: (p, q), st.from_type(Period), st.from_type(Quantity)))
def test_from_type_works_inside_builds(pair: tuple[Period, Quantity]) -> None:
    period, quantity = pair
    assert Period.parse(str(period)) == period
    assert quantity.value >= 0


# -- values --------------------------------------------------------------------------------


def _is_of_kind(kind: PeriodKind, period: Period) -> bool:
    return period.kind is kind


def _is_qualified(qualifier: Qualifier, quantity: Quantity) -> bool:
    return quantity.qualifier is qualifier


def _has_subject_of_kind(kind: SubjectKind, dataset: Dataset) -> bool:
    return any(o.subject.kind is kind for o in dataset.observations)


def test_every_period_kind_is_drawn_including_unusual_seasons() -> None:
    checks: dict[str, Callable[[Period], object]] = {
        str(kind): functools.partial(_is_of_kind, kind) for kind in PeriodKind
    }
    checks["season from another month"] = lambda p: "@" in str(p)
    checks["one-day range"] = lambda p: p.kind is PeriodKind.RANGE and p.days == 1
    assert _unreached(ats.periods(), checks) == set()
    # Week 53 is rare (2% of 2020's weeks): find() looks at up to 2,000 examples.
    weeks_2020 = ats.periods(kinds=["week"], min_year=2020, max_year=2020)
    assert str(find(weeks_2020, lambda p: p.end.year == 2021)) == "2020W53"


@given(ats.periods(kinds=["year", PeriodKind.CROP_SEASON], min_year=2015, max_year=2017))
def test_period_knobs(p: Period) -> None:
    assert p.kind in (PeriodKind.YEAR, PeriodKind.CROP_SEASON)
    assert 2015 <= p.start.year <= 2017


@given(ats.periods(kinds=["week", "range", "day"], min_year=1, max_year=9997))
def test_periods_near_the_ends_of_the_calendar_are_valid(p: Period) -> None:
    assert Period.parse(str(p)) == p


@given(ats.quantities())
def test_quantities_suit_their_unit(q: Quantity) -> None:
    assert 0 <= q.value <= 10**9
    if q.unit.whole:
        assert type(q.value) is int


@given(
    ats.quantities(
        units=st.just(Unit.get("ha")), qualifiers=st.just(Qualifier.AT_MOST), max_value=Decimal(5)
    )
)
def test_quantity_knobs(q: Quantity) -> None:
    assert q.unit is Unit.get("ha")
    assert q.qualifier is Qualifier.AT_MOST
    assert q.value <= 5


def test_quantities_reach_ints_and_decimals_with_trailing_zeros() -> None:
    area = ats.quantities(units=ats.units(dimension="area"))
    assert _reaches(area, lambda q: isinstance(q.value, int))
    assert _reaches(
        area, lambda q: isinstance(q.value, Decimal) and q.value.as_tuple().digits[-1] == 0
    )
    for qualifier in Qualifier:
        assert _reaches(ats.quantities(), functools.partial(_is_qualified, qualifier))


@given(ats.units(dimension="area"))
def test_units_of_a_dimension(unit: Unit) -> None:
    assert unit.code in {"m2", "ha"}


@given(ats.vietnamese_names())
def test_names_are_tidy_vietnamese(name: str) -> None:
    assert name
    assert name == name.strip()
    assert "  " not in name
    letters = unicodedata.normalize("NFC", name).replace(" ", "")
    assert all(unicodedata.category(c).startswith("L") for c in letters)


def test_names_reach_diacritics_dd_and_both_normal_forms() -> None:
    names = ats.vietnamese_names()
    assert _reaches(names, lambda n: "đ" in n.lower())
    assert _reaches(names, lambda n: not unicodedata.is_normalized("NFC", n))
    assert _reaches(names, lambda n: not unicodedata.is_normalized("NFD", n))
    assert _reaches(names, lambda n: any(c in n for c in "ươăâêô"))


@given(ats.vietnamese_names(forms=["NFD"], max_words=2))
def test_name_knobs(name: str) -> None:
    assert unicodedata.is_normalized("NFD", name)
    assert len(name.split(" ")) <= 2


@given(ats.subject_refs(kinds=["unit"], ids=st.sampled_from(["12", "03400"])))
def test_subject_ref_knobs(ref: SubjectRef) -> None:
    assert ref.kind is SubjectKind.UNIT
    assert ref.id in {"12", "03400"}


@given(ats.disaggregations(categories=builtin_catalog().categories))
def test_disaggregations_use_the_categories_given(d: Disaggregation) -> None:
    options = {c.id: {o.id for o in c.options} for c in builtin_catalog().categories}
    for category, option in d.items():
        assert option in options[category]


# -- entities ----------------------------------------------------------------------------------


@given(ats.participants(sensitive=False))
def test_participants_without_personal_data(p: Participant) -> None:
    assert not p.has_sensitive_data


def test_participants_reach_every_personal_field() -> None:
    assert _reaches(
        ats.participants(),
        lambda p: None not in (p.full_name, p.identity_number, p.birth_date),
    )


@given(ats.metric_definitions(kinds=["ratio"], parts=st.sampled_from(["a", "b"])))
def test_ratio_metrics_have_their_parts(m: MetricDefinition) -> None:
    assert m.kind is MetricKind.RATIO
    assert {m.numerator, m.denominator} <= {"a", "b"}


_POPPY = builtin_catalog().metric("poppy_area_destroyed")
_EMPLOYED = builtin_catalog().metric("released_prisoners_employed")


@given(ats.observations(metrics=st.sampled_from([_POPPY, _EMPLOYED])))
def test_observations_fit_their_metric(o: Observation) -> None:
    metric = builtin_catalog().metric(o.metric)
    assert o.unit.compatible(metric.unit)
    assert set(o.disaggregation) <= set(metric.categories)


@given(
    ats.sites(
        ids=st.just("s"),
        initiatives=st.just("mh"),
        admin_units=st.sampled_from(["03400", "03406", "03418"]),
    )
)
def test_site_knobs(site: Site) -> None:
    assert (site.id, site.initiative) == ("s", "mh")
    assert set(site.admin_units) <= {"03400", "03406", "03418"}


@given(ats.initiatives(themes=st.just("border_cluster"), sources=st.just("blc")))
def test_initiative_knobs(i: Initiative) -> None:
    assert i.theme == "border_cluster"
    assert set(i.sources) <= {"blc"}
    assert {s.source for s in i.outcomes} <= {"blc", None}


@given(ats.disaggregation_categories(max_options=2))
def test_categories_have_distinct_options(c: DisaggregationCategory) -> None:
    assert 1 <= len(c.options) <= 2
    assert all(isinstance(o, CategoryOption) for o in c.options)
    assert len({o.id for o in c.options}) == len(c.options)


# -- gazetteers and datasets ---------------------------------------------------------------


def _assert_valid_tree(gaz: Gazetteer) -> None:
    codes = [u.code for u in gaz]
    assert len(codes) == len(set(codes))
    assert gaz.duplicates == ()
    for unit in gaz:
        if unit.parent is None:
            assert unit.level is AdminLevel.PROVINCE
        else:
            parent = gaz.unit(unit.parent)
            assert parent.level.depth < unit.level.depth
        gaz.ancestors(unit.code)  # no cycle, nothing missing
        if unit.valid_from and unit.valid_to:
            assert unit.valid_from <= unit.valid_to


@given(ats.gazetteers())
def test_gazetteers_are_valid_trees(gaz: Gazetteer) -> None:
    _assert_valid_tree(gaz)
    assert 1 <= len(gaz.children(None)) <= 2


@given(ats.gazetteers(districts=False, max_provinces=3, max_children=2))
def test_gazetteers_without_districts(gaz: Gazetteer) -> None:
    _assert_valid_tree(gaz)
    assert all(u.level is not AdminLevel.DISTRICT for u in gaz)
    for unit in gaz:
        if unit.level is AdminLevel.COMMUNE:
            assert gaz.unit(unit.parent or "").level is AdminLevel.PROVINCE
        assert len(gaz.children(unit.code)) <= 2
    assert 1 <= len(gaz.children(None)) <= 3


def test_gazetteers_reach_every_level() -> None:
    every = set(AdminLevel)
    assert _reaches(ats.gazetteers(country=True), lambda g: {u.level for u in g} == every)
    assert _reaches(ats.gazetteers(), lambda g: {u.level for u in g} == every - {"country"})


# That generated datasets are coherent (every reference resolves) is checked on
# the hundred that tests/test_dataset.py round-trips.


def test_datasets_reach_every_kind_of_content() -> None:
    checks: dict[str, Callable[[Dataset], object]] = {
        "sites": lambda ds: ds.sites,
        "organizations": lambda ds: ds.organizations,
        "participants": lambda ds: ds.participants,
        "cluster site": lambda ds: any(len(s.admin_units) > 1 for s in ds.sites.values()),
        "disaggregation": lambda ds: any(o.disaggregation for o in ds.observations),
        "ratio": lambda ds: any(m.kind is MetricKind.RATIO for m in ds.metrics.values()),
        "many rows": lambda ds: len(ds.observations) >= 5,
        "sensitive": lambda ds: any(p.has_sensitive_data for p in ds.participants.values()),
    }
    for kind in SubjectKind:
        checks[f"{kind} subject"] = functools.partial(_has_subject_of_kind, kind)
    assert _unreached(ats.datasets(), checks) == set()


# -- knobs are checked when the strategy is built ----------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: ats.periods(kinds=[]),
        lambda: ats.periods(kinds=["fortnight"]),
        lambda: ats.periods(min_year=2020, max_year=2019),
        lambda: ats.periods(min_year=0),
        lambda: ats.periods(max_year=9998),
        lambda: ats.units(dimension="volume"),
        lambda: ats.quantities(max_value=-1),
        lambda: ats.quantities(max_value=Decimal("NaN")),
        lambda: ats.quantities(units=Unit.get("m2")),  # a unit, not a strategy
        lambda: ats.vietnamese_names(forms=["NFKC"]),  # type: ignore[list-item]
        lambda: ats.vietnamese_names(forms=[]),
        lambda: ats.vietnamese_names(max_words=0),
        lambda: ats.subject_refs(kinds=["village"]),
        lambda: ats.gazetteers(max_provinces=0),
        lambda: ats.gazetteers(max_children=-1),
        lambda: ats.metric_definitions(kinds=[]),
        lambda: ats.datasets(max_observations=-1),
        lambda: ats.sites(ids="s"),
        lambda: ats.disaggregation_categories(max_options=0),
    ],
)
def test_impossible_knobs_raise_invalid_argument(build: Callable[[], object]) -> None:
    with pytest.raises(InvalidArgument):
        build()
