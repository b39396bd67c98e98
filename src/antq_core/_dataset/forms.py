"""Which units a reporting form asks to report."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from antq_core._entities import ReportingForm
from antq_core._util.data import bundled_bytes
from antq_core._values.geo import AdminUnit, Gazetteer
from antq_core._values.groups import UnitGroupSet, read_group_sets
from antq_core.errors import InvalidValueError

__all__ = ["assigned_units", "is_assigned"]


@functools.cache
def _bundled_groups() -> Mapping[str, UnitGroupSet]:
    """The bundled group sets, read once (they never change)."""
    raw = bundled_bytes("groups", "vn_regions")
    return read_group_sets(raw, source="antq_core/data/groups_vn_regions.json")


def assigned_units(
    form: ReportingForm,
    gazetteer: Gazetteer,
    *,
    group_sets: Mapping[str, UnitGroupSet] | None = None,
) -> tuple[AdminUnit, ...]:
    """The units that must report on ``form``, in gazetteer order (a list: as listed).

    Args:
        form: The form.
        gazetteer: Where its units are.
        group_sets: Where ``assigned_group`` is looked up; the bundled ones
            (:func:`~antq_core.bundled_group_sets`) by default.

    Raises:
        InvalidValueError: A unit the form names is not in ``gazetteer``, or its
            group is not in ``group_sets``.
    """
    if form.assigned_units:
        found = []
        for code in form.assigned_units:
            unit = gazetteer.get(code)
            if unit is None:
                reason = f"form {form.id} assigns it, but the gazetteer has no such unit"
                raise InvalidValueError("assigned unit", code, reason)
            found.append(unit)
        return tuple(found)
    if form.assigned_group is not None:
        if group_sets is None:
            group_sets = _bundled_groups()
        set_id, group_id = form.assigned_group.split(":", 1)
        group_set = group_sets.get(set_id)
        group = (
            next((g for g in group_set.groups if g.id == group_id), None) if group_set else None
        )
        if group is None:
            reason = f"no group set {set_id!r} with a group {group_id!r}"
            raise InvalidValueError("assigned group", form.assigned_group, reason)
        members = set(group.members.get(gazetteer.version, ()))
        return tuple(u for u in gazetteer if u.code in members)
    level = form.assigned_level
    under = form.assigned_under
    if under is not None and gazetteer.get(under) is None:
        reason = f"form {form.id} assigns the units under it, but the gazetteer has no such unit"
        raise InvalidValueError("assigned_under", under, reason)
    return tuple(
        u
        for u in gazetteer
        if u.level is level and (under is None or gazetteer.is_within(u.code, under))
    )


def is_assigned(
    form: ReportingForm,
    gazetteer: Gazetteer,
    code: str,
    *,
    group_sets: Mapping[str, UnitGroupSet] | None = None,
) -> bool:
    """Whether unit ``code`` must report on ``form`` (without listing every unit that must)."""
    if form.assigned_units:
        return code in form.assigned_units
    unit = gazetteer.get(code)
    if unit is None:
        return False
    if form.assigned_level is not None:
        under = form.assigned_under
        return unit.level is form.assigned_level and (
            under is None or gazetteer.is_within(code, under)
        )
    try:
        return any(u.code == code for u in assigned_units(form, gazetteer, group_sets=group_sets))
    except InvalidValueError:
        return False
