"""The gazetteer: codes used twice, missing parents, cycles, and levels out of order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.geo import Gazetteer
from antq_core.errors import Location

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "gazetteer-duplicate-code",
        Severity.ERROR,
        "Mã đơn vị hành chính '{code}' được dùng cho hai đơn vị ({name} và {other}).",
        "Administrative unit code '{code}' is used twice ({name} and {other}).",
    ),
    IssueCode(
        "gazetteer-missing-parent",
        Severity.ERROR,
        "Đơn vị {name} ({code}) thuộc đơn vị cấp trên '{parent}' không có trong danh mục.",
        "Unit {name} ({code}) has parent '{parent}', which the gazetteer does not have.",
    ),
    IssueCode(
        "gazetteer-cycle",
        Severity.ERROR,
        "Các đơn vị hành chính tạo thành vòng lặp: {cycle}.",
        "Administrative units form a cycle: {cycle}.",
    ),
    IssueCode(
        "gazetteer-level-order",
        Severity.ERROR,
        "Đơn vị {name} ({code}, cấp {level}) không thấp hơn đơn vị cấp trên "
        "{parent} (cấp {parent_level}).",
        "Unit {name} ({code}, level {level}) is not below its parent {parent} "
        "(level {parent_level}).",
    ),
)
"""The codes this check emits."""


def check(context: Context) -> Iterator[Issue]:
    """Each unit's code, parent and level; each cycle of parents once."""
    gaz = context.dataset.gazetteer
    for unit in gaz.duplicates:
        other = gaz.get(unit.code)
        yield issue(
            "gazetteer-duplicate-code",
            Location("admin_unit", unit.code),
            code=unit.code,
            name=unit.name,
            other=other.name if other is not None else "?",
        )
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for unit in gaz:
        if unit.parent is not None and unit.parent not in gaz:
            yield issue(
                "gazetteer-missing-parent",
                Location("admin_unit", unit.code, field="parent"),
                code=unit.code,
                name=unit.name,
                parent=unit.parent,
            )
        parent = gaz.get(unit.parent) if unit.parent is not None else None
        if parent is not None and parent.level.depth >= unit.level.depth:
            yield issue(
                "gazetteer-level-order",
                Location("admin_unit", unit.code, field="level"),
                code=unit.code,
                name=unit.name,
                level=unit.level.value,
                parent=parent.code,
                parent_level=parent.level.value,
            )
        yield from _walk_parents(gaz, unit.code, state)


def _walk_parents(gaz: Gazetteer, code: str, state: dict[str, int]) -> Iterator[Issue]:
    """Follow parents from ``code``; report a cycle the first time it is met."""
    path: list[str] = []
    current: str | None = code
    while current is not None and current in gaz and state.get(current) is None:
        state[current] = 1
        path.append(current)
        current = gaz.unit(current).parent
    if current is not None and state.get(current) == 1:
        cycle = path[path.index(current) :]
        start = cycle.index(min(cycle))
        ordered = (*cycle[start:], *cycle[:start], cycle[start])
        yield issue(
            "gazetteer-cycle",
            Location("admin_unit", ordered[0], field="parent"),
            cycle=" -> ".join(ordered),
        )
    for c in path:
        state[c] = 2
