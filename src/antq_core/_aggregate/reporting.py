"""The reporting rate of the units under each aggregate row (``aggregate(..., reporting=)``).

A step applied to a finished table, whatever engine made it: it reads the
rows' space and time keys, and counts the reports of a form with
:class:`antq_core._cycle.completeness.FormReports`, the one place where a
report is decided to be given, on time or late.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from antq_core._aggregate.plan import DIMENSION_PREFIX, GROUP_PREFIX, OWN_PERIOD, Plan
from antq_core._aggregate.table import AggregateTable, RowReporting
from antq_core._cycle.completeness import FormReports, ReportingRate, form_of, reporting_periods
from antq_core._dataset.catalog import bundled_group_sets
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.forms import assigned_units
from antq_core._entities import ReportingForm
from antq_core._values.geo import AdminLevel
from antq_core._values.groups import UnitGroupSet
from antq_core._values.period import Period
from antq_core.errors import InvalidValueError

__all__ = ["with_reporting"]

_LEVELS = {level.value for level in AdminLevel}


def _sets(
    given: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None,
) -> dict[str, UnitGroupSet]:
    if given is None:
        return dict(bundled_group_sets())
    if isinstance(given, Mapping):
        return dict(given)
    return {group_set.id: group_set for group_set in given}


def _key_tuples(table: AggregateTable, names: Sequence[str]) -> set[tuple[str, ...]]:
    """The distinct values of the ``names`` columns, as strings, without making rows."""
    if table.engine == "polars":  # its rows may be columns: read those, make no rows
        frame = table.to_polars()
        if not names:
            return {()} if frame.height else set()
        return {tuple(r) for r in frame.select(list(names)).unique().iter_rows()}
    return {tuple(str(row.keys[n]) for n in names) for row in table}


def with_reporting(
    table: AggregateTable,
    dataset: Dataset,
    plan: Plan,
    form: str | ReportingForm,
    *,
    periods: Period | None,
    within: str | Iterable[str] | None,
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None,
) -> AggregateTable:
    """``table`` with each row's :class:`ReportingRate` of ``form``.

    A row's units are the form's assigned units at or under the row's unit
    of each administrative level in ``by``, in the row's group of each
    ``group:<set>``, and under ``within``; its period is the shortest of its
    period keys and ``periods``.

    Raises:
        InvalidValueError: The form is unknown; the rows have no period
            (no period in ``by`` and no ``periods``); or a row's period,
            of a kind named in ``by``, holds no period of the form's kind
            (monthly rows for a yearly form).
    """
    form = form_of(dataset, form)
    gazetteer = dataset.gazetteer
    known_sets = _sets(group_sets)
    units = [u.code for u in assigned_units(form, gazetteer, group_sets=known_sets)]
    if within is not None:
        tops = [within] if isinstance(within, str) else list(within)
        units = [u for u in units if any(gazetteer.is_within(u, w) for w in tops)]

    levels: dict[str, AdminLevel] = {}
    groups: dict[str, UnitGroupSet] = {}
    for name in plan.space_names:
        meaning = name.removeprefix(DIMENSION_PREFIX)
        if name.startswith(GROUP_PREFIX):
            groups[name] = known_sets[name.removeprefix(GROUP_PREFIX)]
        elif meaning in _LEVELS and name not in plan.category_names:
            levels[name] = AdminLevel(meaning)
    times = list(plan.time_names)
    if not times and periods is None:
        reason = "the rows have no period: group by a period kind, or give periods="
        raise InvalidValueError("reporting", form.id, reason)
    names = (*levels, *groups, *times)

    # The assigned units by their units at the levels in ``by``; each group's units, once.
    by_place: dict[tuple[str | None, ...], list[str]] = {}
    for u in units:
        place = tuple(
            getattr(gazetteer.ancestor_at(u, level), "code", None) for level in levels.values()
        )
        by_place.setdefault(place, []).append(u)
    members: dict[tuple[str, str], frozenset[str]] = {}

    def in_group(name: str, group_id: str) -> frozenset[str]:
        found = members.get((name, group_id))
        if found is None:
            group = groups[name].group(group_id)
            found = frozenset(u for u in units if group.contains(gazetteer, u))
            members[name, group_id] = found
        return found

    reports = FormReports(dataset, form)
    rates: dict[tuple[str, ...], ReportingRate] = {}
    for key in _key_tuples(table, names):
        values = dict(zip(names, key, strict=True))
        under = by_place.get(tuple(values[n] for n in levels), [])
        for name in groups:
            inside = in_group(name, values[name])
            under = [u for u in under if u in inside]
        # The row's period: the shortest of its period keys and the filter.
        candidates = [(Period.parse(values[n]), n) for n in times]
        if periods is not None:
            candidates.append((periods, "periods"))
        period, source = min(candidates, key=lambda c: c[0].days)
        owed = reporting_periods(form, period)
        if not owed and source.removeprefix(DIMENSION_PREFIX) != OWN_PERIOD:
            reason = (
                f"a row's period {period} holds no {form.period_kind.value} of form {form.id}:"
                " group by periods at least as long as the form's"
            )
            raise InvalidValueError("reporting", form.id, reason)
        rates[key] = reports.rate(under, owed)
    return attrs.evolve(table, reporting=RowReporting(form.id, names, rates))
