"""Hypothesis strategies for antq_core's values, entities and datasets.

Every strategy here generates only *valid* data: whatever it draws can be
built, dumped and loaded back by antq_core without an error. Use them to test
code that consumes antq_core types, and to state laws ("every period parses
back from its string") as property tests.

The knobs are keyword-only. Knobs that choose *what* to draw take Hypothesis
strategies (``st.just(...)`` or ``st.sampled_from(...)`` for fixed choices);
knobs that bound sizes take numbers. An impossible combination raises
:class:`hypothesis.errors.InvalidArgument` when the strategy is built.

Once antq_core is installed, Hypothesis registers these strategies for its
types through an entry point, so ``st.from_type(Period)`` and ``@given``
with type annotations work too.

This module needs the ``testing`` extra (``pip install antq_core[testing]``);
nothing else in antq_core imports it. It is a package with one private
submodule per layer (``_values``, ``_entities``, ``_dataset``, ``_aggregation``,
and ``_common`` for the knob checks and Vietnamese names they share); import
the strategies from here.

>>> from hypothesis import given, settings
>>> from antq_core import Period
>>> from antq_core.testing.strategies import periods
>>> @settings(max_examples=20, database=None)
... @given(periods(kinds=["crop_season", "week"]))
... def test_round_trip(period):
...     assert Period.parse(str(period)) == period
>>> test_round_trip()

.. versionadded:: 0.1.0
"""

from __future__ import annotations

# The entry point's hook is defined before Hypothesis is imported (see below).
# ruff: noqa: E402


def _hypothesis_setup_hook() -> None:
    """Register the strategies for ``st.from_type``; Hypothesis calls this when imported.

    Hypothesis finds it through the ``hypothesis`` entry point in
    ``pyproject.toml`` and calls it while ``import hypothesis`` runs. It is
    defined before this module imports Hypothesis: when this module is
    imported first, its own ``import hypothesis`` loads the entry point while
    the module is half built. The hook then finds nothing to register yet,
    and the end of the module registers instead.
    """
    register = globals().get("_register_type_strategies")
    if callable(register):
        register()


from collections.abc import Callable
from typing import Any, TypeVar

import hypothesis.strategies as st

from antq_core import (
    AdminUnit,
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
    Observation,
    Participant,
    Period,
    Qualifier,
    Quantity,
    Site,
    Source,
    Statement,
    SubjectRef,
    Unit,
)
from antq_core.testing.strategies._aggregation import aggregation_datasets
from antq_core.testing.strategies._common import entity_ids, vietnamese_names
from antq_core.testing.strategies._dataset import datasets
from antq_core.testing.strategies._entities import (
    coordination_agreements,
    dataset_metadata,
    disaggregation_categories,
    initiative_themes,
    initiatives,
    mass_organizations,
    metric_definitions,
    observations,
    participants,
    sites,
    sources,
    statements,
)
from antq_core.testing.strategies._values import (
    admin_units,
    disaggregations,
    gazetteers,
    periods,
    qualifiers,
    quantities,
    subject_refs,
    units,
)

__all__ = [
    "admin_units",
    "aggregation_datasets",
    "coordination_agreements",
    "dataset_metadata",
    "datasets",
    "disaggregation_categories",
    "disaggregations",
    "entity_ids",
    "gazetteers",
    "initiative_themes",
    "initiatives",
    "mass_organizations",
    "metric_definitions",
    "observations",
    "participants",
    "periods",
    "qualifiers",
    "quantities",
    "sites",
    "sources",
    "statements",
    "subject_refs",
    "units",
    "vietnamese_names",
]

_T = TypeVar("_T")


# -- st.from_type ------------------------------------------------------------


def _register_type_strategies() -> None:
    """Register a strategy for each of our types; each is built only when a test asks."""
    registrations: tuple[tuple[type[Any], Callable[[], st.SearchStrategy[Any]]], ...] = (
        (Period, periods),
        (Qualifier, qualifiers),
        (Unit, units),
        (Quantity, quantities),
        (SubjectRef, subject_refs),
        (Disaggregation, disaggregations),
        (AdminUnit, admin_units),
        (Gazetteer, gazetteers),
        (Source, sources),
        (Statement, statements),
        (InitiativeTheme, initiative_themes),
        (DisaggregationCategory, disaggregation_categories),
        (MetricDefinition, metric_definitions),
        (Initiative, initiatives),
        (CoordinationAgreement, coordination_agreements),
        (Site, sites),
        (MassOrganization, mass_organizations),
        (Participant, participants),
        (Observation, observations),
        (DatasetMetadata, dataset_metadata),
        (Dataset, datasets),
    )
    for type_, make in registrations:
        st.register_type_strategy(type_, _lazy(make))


def _lazy(
    make: Callable[[], st.SearchStrategy[_T]],
) -> Callable[[type[_T]], st.SearchStrategy[_T]]:
    def resolve(_: type[_T]) -> st.SearchStrategy[_T]:
        return make()

    return resolve


# Registering twice (here, and again when Hypothesis calls the hook) is harmless.
_register_type_strategies()
