"""Unit groups: a unit in two groups of an exclusive group set would be counted twice.

A roll-up by an exclusive set (``by=["group:region"]``) places each unit in its
one group; a unit in two of them would be counted once in each. Each such unit is
reported where the overlap begins: the highest unit in those groups (a province
listed in two regions, not each of its communes again).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core.errors import GazetteerCycleError, Location, UnknownAdminUnitError

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "unit-in-two-groups",
        Severity.ERROR,
        "Đơn vị {unit} thuộc nhiều nhóm của bộ nhóm loại trừ {group_set} ({set_name}): "
        "{groups}; khi tổng hợp theo nhóm, số liệu của nó sẽ bị tính nhiều lần.",
        "Unit {unit} is in several groups of the exclusive group set {group_set} "
        "({set_name}): {groups}; a roll-up by group would count its figures more than once.",
    ),
)
"""The codes this check emits."""


def check(context: Context) -> Iterator[Issue]:
    """Each exclusive group set :func:`~antq_core.validate` was given, on the dataset's map."""
    gaz = context.dataset.gazetteer
    for group_set in context.options.group_sets:
        if not group_set.exclusive:
            continue
        names = {g.id: g.name_vi for g in group_set.groups}
        try:
            overlaps = group_set.overlaps(gaz)
        except (UnknownAdminUnitError, GazetteerCycleError):
            continue  # a broken gazetteer: the gazetteer check reports it
        for code, groups in overlaps.items():
            parent = gaz.unit(code).parent
            if parent is not None and overlaps.get(parent) == groups:
                continue  # the overlap began above; reported there
            unit = gaz.unit(code)
            yield issue(
                "unit-in-two-groups",
                Location("admin_unit", code),
                unit=f"{unit.full_name} ({code})",
                code=code,
                group_set=group_set.id,
                set_name=group_set.name_vi,
                groups=tuple(f"{names[g]} ({g})" for g in groups),
                group_ids=groups,
            )
