"""Names: two entities under one parent whose names are the same, or differ only in diacritics.

Only where it can be a mistake: two administrative units with official codes
(neither :attr:`~antq_core.AdminUnit.local`) are two units, whatever their names
(two communes of one district may differ only by a tone mark), unless their names
are the same once the tone mark's place is normalised ("Hoà"/"Hòa"). Pairs the
caller has checked (``validate(distinct_names=...)``) are never reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final

from antq_core._validation.checks.context import Context, kind_names
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.text import fold, tone_key
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
    checked = context.options.distinct_names
    # A town and a commune may share a name (thị trấn and xã Mường Tè): compare full names.
    units = ((u.parent, u.full_name, Location("admin_unit", u.code)) for u in ds.gazetteer)
    official = {u.code for u in ds.gazetteer if not u.local}
    yield from _same_names("admin_unit", units, checked, official)
    yield from _same_names(
        "initiative",
        (
            (i.scope, i.name_vi, at("initiatives", "initiative", i.id, "name_vi"))
            for i in ds.initiatives.values()
        ),
        checked,
    )
    yield from _same_names(
        "site",
        (
            (s.initiative, s.name_vi, at("sites", "site", s.id, "name_vi"))
            for s in ds.sites.values()
            if s.name_vi is not None
        ),
        checked,
    )
    yield from _same_names(
        "organization",
        (
            (o.admin_unit, o.name_vi, at("organizations", "organization", o.id, "name_vi"))
            for o in ds.organizations.values()
        ),
        checked,
    )


def _same_names(
    kind: str,
    named: Iterable[tuple[str | None, str, Location]],
    checked: frozenset[frozenset[str]],
    official: frozenset[str] | set[str] = frozenset(),
) -> Iterator[Issue]:
    """Each entity against the earlier ones of its parent whose names fold alike.

    ``official``: ids with codes from an official source; two of them are
    reported only when their names are equal once the tone mark's place is
    normalised.
    """
    first: dict[tuple[str | None, str], list[tuple[str, Location]]] = {}
    words = kind_names(kind, "kind")
    for parent, name, where in named:
        seen = first.setdefault((parent, fold(name)), [])
        for other, other_where in seen:
            pair = frozenset((other_where.id or "", where.id or ""))
            if pair in checked:
                continue
            same_tone = tone_key(other) == tone_key(name)
            if not same_tone and other_where.id in official and where.id in official:
                continue  # two official units: distinct, whatever their names
            if other == name:
                how = ("trùng tên", "have the same name")
            elif same_tone:
                how = (
                    "chỉ khác nhau ở vị trí dấu thanh",
                    "differ only in where the tone mark sits",
                )
            else:
                how = ("chỉ khác nhau ở dấu", "differ only in diacritics")
            yield issue(
                "probable-duplicate-name",
                where,
                kind_vi=words["kind_vi"].capitalize(),
                kind_en=words["kind_en"].capitalize(),
                name=other,
                other=name,
                first=other_where.id or "",
                parent=parent or "-",
                how_vi=how[0],
                how_en=how[1],
            )
            break  # one issue per entity: with the first it may repeat
        seen.append((name, where))
