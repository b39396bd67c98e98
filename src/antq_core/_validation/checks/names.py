"""Names: two entities under one parent whose names are the same, or differ only in diacritics."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from antq_core._validation.checks.context import Context, kind_names
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.text import fold
from antq_core.errors import Location

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "probable-duplicate-name",
        Severity.WARNING,
        "{kind_vi} '{name}' và '{other}' trong {parent} {how_vi}: có thể là một.",
        "{kind_en} '{name}' and '{other}' in {parent} {how_en}: probably the same one.",
    ),
)
"""The codes this check emits."""


def check(context: Context) -> Iterator[Issue]:
    """Names alike: of units, initiatives, sites and organizations, each under one parent.

    The parent of a unit is its parent unit; of an initiative, its scope; of a
    site, its initiative; of an organization, its unit.
    """
    ds, at = context.dataset, context.at
    # A town and a commune may share a name (thị trấn and xã Mường Tè): compare full names.
    units = ((u.parent, u.full_name, Location("admin_unit", u.code)) for u in ds.gazetteer)
    yield from _same_names("admin_unit", units)
    yield from _same_names(
        "initiative",
        (
            (i.scope, i.name_vi, at("initiatives", "initiative", i.id, "name_vi"))
            for i in ds.initiatives.values()
        ),
    )
    yield from _same_names(
        "site",
        (
            (s.initiative, s.name_vi, at("sites", "site", s.id, "name_vi"))
            for s in ds.sites.values()
            if s.name_vi is not None
        ),
    )
    yield from _same_names(
        "organization",
        (
            (o.admin_unit, o.name_vi, at("organizations", "organization", o.id, "name_vi"))
            for o in ds.organizations.values()
        ),
    )


def _same_names(kind: str, named: Iterable[tuple[str | None, str, Location]]) -> Iterator[Issue]:
    first: dict[tuple[str | None, str], tuple[str, Location]] = {}
    words = kind_names(kind, "kind")
    for parent, name, where in named:
        key = (parent, fold(name))
        seen = first.get(key)
        if seen is None:
            first[key] = (name, where)
            continue
        identical = seen[0] == name
        yield issue(
            "probable-duplicate-name",
            where,
            kind_vi=words["kind_vi"].capitalize(),
            kind_en=words["kind_en"].capitalize(),
            name=seen[0],
            other=name,
            first=seen[1].id or "",
            parent=parent or "-",
            how_vi="trùng tên" if identical else "chỉ khác nhau ở dấu",
            how_en="have the same name" if identical else "differ only in diacritics",
        )
