"""Double counting: overlapping periods of one flow series, and sites across roll-up units.

A site whose units share no ancestor at all (a cluster across provinces in a
gazetteer without a country root) cannot be placed: it is one issue naming its units.

A flow figure for a year beside one for its quarter would be counted twice if
added; a site whose units lie under two districts can be placed in only one of
them by a roll-up. (Parts added above their whole are :mod:`.parts`.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core.errors import (
    GazetteerCycleError,
    InvalidValueError,
    Location,
    UnknownAdminUnitError,
)

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "overlapping-periods",
        Severity.WARNING,
        "Chỉ tiêu {metric} của {subject} có các kỳ chồng lấn nhau ({periods}, dòng {rows}): "
        "cộng lại sẽ tính trùng.",
        "Metric {metric} of {subject} has overlapping periods ({periods}, rows {rows}): "
        "adding them would count twice.",
    ),
    IssueCode(
        "site-spans-parents",
        Severity.WARNING,
        "Điểm {site} trải trên các đơn vị thuộc nhiều {level} khác nhau ({parents}): "
        "khi tổng hợp theo {level} chỉ được tính một lần, ở {anchor}.",
        "Site {site} covers units under different units of level {level} ({parents}): "
        "a roll-up by {level} may count it only once, at {anchor}.",
    ),
    IssueCode(
        "site-units-unrelated",
        Severity.WARNING,
        "Các đơn vị của điểm {site} ({units}) không cùng thuộc một đơn vị nào trong danh mục "
        "hành chính: không thể đặt điểm vào một nơi khi tổng hợp, số liệu của nó sẽ được liệt "
        "kê riêng là không xếp được.",
        "The units of site {site} ({units}) share no ancestor in the gazetteer: a roll-up "
        "cannot place the site anywhere, and lists its figures as unplaceable.",
    ),
)
"""The codes this check emits."""


def check(context: Context) -> Iterator[Issue]:
    """Overlapping periods (found with the repeats), then sites across parents."""
    cols, period_text = context.cols, context.period_text
    for group in context.repeats.overlaps:
        first = group[0]
        codes = dict.fromkeys(cols.period[r] for r in group)
        yield issue(
            "overlapping-periods",
            Location.observation(group[0], "period"),
            metric=cols.metrics[cols.metric[first]],
            subject=str(cols.subjects[cols.subject[first]]),
            periods=tuple(period_text[c] for c in codes),
            rows=tuple(str(r) for r in group),
        )
    yield from _sites_across_parents(context)


def _sites_across_parents(context: Context) -> Iterator[Issue]:
    gaz = context.dataset.gazetteer
    levels = sorted(context.options.levels, key=lambda lv: lv.depth, reverse=True)
    for site in context.dataset.sites.values():
        try:
            units = [gaz.unit(code) for code in site.admin_units]
            chains = {u.code: gaz.ancestors(u.code) for u in units}
        except (UnknownAdminUnitError, GazetteerCycleError):
            continue  # reported by the reference and gazetteer checks
        try:
            anchor = gaz.common_ancestor(site.admin_units)
        except InvalidValueError:
            yield issue(
                "site-units-unrelated",
                context.at("sites", "site", site.id, "admin_units"),
                site=site.id,
                units=tuple(f"{u.full_name} ({u.code})" for u in units),
            )
            continue  # one issue: where it splits says nothing more
        for level in levels:
            above = [u for u in units if u.level.depth > level.depth]
            parents = {a.code: a for u in above for a in chains[u.code] if a.level is level}
            if len(parents) < 2:  # noqa: PLR2004
                continue
            anchor_text = f"{anchor.full_name} ({anchor.code})"
            yield issue(
                "site-spans-parents",
                context.at("sites", "site", site.id, "admin_units"),
                site=site.id,
                level=level.value,
                parents=tuple(f"{p.name} ({p.code})" for p in parents.values()),
                anchor=anchor_text,
            )
            break  # the lowest level where it splits says it; higher levels follow
