"""Shared test setup: run against the installed wheel, and Hypothesis profiles."""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import hypothesis
import pytest

import antq_core
import antq_core.errors

_SRC = (Path(__file__).resolve().parent.parent / "src").resolve()
_IMPORTED = Path(antq_core.__file__).resolve()

if _IMPORTED.is_relative_to(_SRC):
    raise RuntimeError(
        f"antq_core was imported from the source tree ({_IMPORTED}), not from the installed "
        "wheel. Tests must exercise what users install: run them with `make pytest` (which "
        "builds and installs the wheel into .venv) and do not put src/ on sys.path "
        "(no PYTHONPATH=src, no editable install, no pytest `pythonpath`)."
    )

# Deterministic for CI, so a landing never depends on luck.
hypothesis.settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    print_blob=True,
    database=None,
)
hypothesis.settings.register_profile("dev", max_examples=100)
# Long random search, for `make fuzz`: random seeds, and each property tries ten times its
# count (`_SHARES` below: 1,000 examples for one that states none); ANTQ_FUZZ_SECONDS
# bounds the whole run (below).
hypothesis.settings.register_profile(
    "fuzz",
    max_examples=100,
    deadline=None,
    print_blob=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
hypothesis.settings.load_profile(_PROFILE)

# How many examples each property tries, as a share of the count it states (or of the
# profile's, if it states none). CI's landing run takes 40%: the same derandomized
# examples every run, in about half the time, so `make test` stays near its budget; `make
# fuzz` takes ten times the stated count, with random seeds, bounded by its time budget;
# a developer's run (dev) takes the stated count. ANTQ_EXAMPLES=1.0 (any share) overrides.
_SHARES: Final = {"ci": 0.4, "dev": 1.0, "fuzz": 10.0}
_SHARE = float(os.environ.get("ANTQ_EXAMPLES") or _SHARES.get(_PROFILE, 1.0))


def _examples(stated: int) -> int:
    """The examples a property stating ``stated`` tries: its share, never below 10 (or stated)."""
    return max(min(stated, 10), math.ceil(stated * _SHARE))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each Hypothesis property its share of examples (see ``_SHARES``)."""
    if _SHARE == 1.0:
        return
    given: set[int] = set()  # a parametrized property is one function under several items
    for item in items:
        obj = getattr(item, "obj", None)
        test = getattr(obj, "__func__", obj)
        if test is None or id(test) in given:
            continue
        given.add(id(test))
        if not getattr(getattr(test, "hypothesis", None), "inner_test", None):
            continue  # not a Hypothesis property
        # Hypothesis keeps a property's settings here (`@settings` writes it, `@given` reads
        # it on each call); it has no public setter. If a release renames it, fail here
        # rather than run every property at its full count without saying so.
        stated = getattr(test, "_hypothesis_internal_use_settings", None)
        if not isinstance(stated, hypothesis.settings):
            raise TypeError(
                f"{item.nodeid}: cannot find its Hypothesis settings to give it its share of "
                "examples; set ANTQ_EXAMPLES=1.0 to run every property at its stated count"
            )
        test._hypothesis_internal_use_settings = hypothesis.settings(
            stated, max_examples=_examples(stated.max_examples)
        )


# `make fuzz` sets ANTQ_FUZZ_SECONDS: once a worker has run that long, it starts no new test
# (those left are reported as skipped), so the run ends about one test's time later.
_FUZZ_SECONDS = float(os.environ.get("ANTQ_FUZZ_SECONDS") or 0)
_STARTED = time.monotonic()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip the tests a worker would start after the fuzz budget is spent."""
    if _FUZZ_SECONDS and time.monotonic() - _STARTED > _FUZZ_SECONDS:
        pytest.skip(f"make fuzz: the time budget of {_FUZZ_SECONDS:.0f} s is spent")


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lai_chau() -> antq_core.Dataset:
    """The bundled Lai Châu 2017 sample, loaded once (datasets are not mutated)."""
    return antq_core.sample()


@pytest.fixture(scope="session")
def sample_document() -> dict[str, Any]:
    """The sample as a JSON-ready document; copy it (``copy.deepcopy``) before changing it."""
    return antq_core.sample().to_dict()


class _References:
    """Finds every reference of a dataset that does not resolve, with the public API only.

    It uses the dataset's lookups (which raise UnresolvedReferenceError), its
    mappings, and the gazetteer's ``unit()``.
    """

    def __init__(self, ds: antq_core.Dataset) -> None:
        self.ds = ds
        self.missing: list[str] = []

    def check(self, where: str, lookup: Callable[[], object]) -> None:
        try:
            lookup()
        except (
            antq_core.errors.UnresolvedReferenceError,
            antq_core.errors.UnknownAdminUnitError,
        ) as e:
            self.missing.append(f"{where}: {e}")

    def check_in(self, where: str, key: str, table: Mapping[str, object], kind: str) -> None:
        if key not in table:
            self.missing.append(f"{where}: no {kind} {key!r}")

    def unit(self, where: str, code: str | None) -> None:
        if code is not None:
            self.check(where, lambda: self.ds.gazetteer.unit(code))

    def source(self, where: str, source: str | None) -> None:
        if source is not None:
            self.check(where, lambda: self.ds.source(source))

    def initiative(self, where: str, initiative: str | None) -> None:
        if initiative is not None:
            self.check(where, lambda: self.ds.initiative(initiative))

    def all(self) -> list[str]:
        ds = self.ds
        self.unit("metadata", ds.metadata.province)
        for m in ds.metrics.values():
            for c in m.categories:
                self.check_in(f"metric {m.id}", c, ds.categories, "category")
            for part in (m.numerator, m.denominator):
                if part is not None:
                    self.check(f"metric {m.id}", functools.partial(ds.metric, part))
        for i in ds.initiatives.values():
            where = f"initiative {i.id}"
            self.check(where, functools.partial(ds.theme, i.theme))
            self.unit(where, i.scope)
            for s in i.sources:
                self.source(where, s)
            for statement in i.outcomes:
                self.source(where, statement.source)
        for site in ds.sites.values():
            where = f"site {site.id}"
            self.initiative(where, site.initiative)
            self.check(where, functools.partial(ds.site_units, site))
            if site.coordination_agreement is not None:
                self.source(where, site.coordination_agreement.source)
        for o in ds.organizations.values():
            self.unit(f"organization {o.id}", o.admin_unit)
            self.initiative(f"organization {o.id}", o.initiative)
        for p in ds.participants.values():
            where = f"participant {p.id}"
            self.unit(where, p.admin_unit)
            self.initiative(where, p.initiative)
            if p.organization is not None:
                self.check_in(where, p.organization, ds.organizations, "organization")
        for n, obs in enumerate(ds.observations):
            self.observation(f"observation {n}", obs)
        return self.missing

    def observation(self, where: str, obs: antq_core.Observation) -> None:
        ds = self.ds
        self.check(where, lambda: ds.metric(obs.metric))
        kind, id_ = obs.subject.kind, obs.subject.id
        if kind is antq_core.SubjectKind.SITE:
            self.check(where, lambda: ds.site(id_))
        elif kind is antq_core.SubjectKind.INITIATIVE:
            self.initiative(where, id_)
        elif kind is antq_core.SubjectKind.ORGANIZATION:
            self.check_in(where, id_, ds.organizations, "organization")
        elif kind is antq_core.SubjectKind.PARTICIPANT:
            self.check_in(where, id_, ds.participants, "participant")
        else:
            self.unit(where, id_)
        self.source(where, obs.source)
        metric = ds.metrics.get(obs.metric)
        for category_id, option_id in obs.disaggregation.items():
            category = ds.categories.get(category_id)
            if category is None:
                self.missing.append(f"{where}: no category {category_id!r}")
            elif option_id not in {o.id for o in category.options}:
                self.missing.append(f"{where}: no option {option_id!r} in {category_id!r}")
            if metric is not None and category_id not in metric.categories:
                self.missing.append(f"{where}: {metric.id} has no category {category_id!r}")
        if metric is not None and not obs.unit.compatible(metric.unit):
            self.missing.append(f"{where}: unit {obs.unit} does not fit {metric.unit}")


@pytest.fixture(scope="session")
def unresolved_references() -> Callable[[antq_core.Dataset], list[str]]:
    """A function listing every reference of a dataset that does not resolve."""
    return lambda ds: _References(ds).all()
