"""References: every id resolves, in the entities and in the observations.

An entity's references (a site's initiative and units, an initiative's theme,
scope and sources...), an observation's metric, subject and source, and an
observation's breakdown: its categories exist, its metric is broken down by
them, and their options exist. Observations with the same missing id are one
issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from antq_core._validation.checks.context import (
    Context,
    kind_names,
    observation_owner,
    owner,
    rows_text,
)
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.refs import SubjectKind, SubjectRef
from antq_core.errors import Location

__all__ = ["CODES", "check_breakdowns", "check_entities", "check_rows"]

CODES: Final = declare(
    IssueCode(
        "reference-unresolved",
        Severity.ERROR,
        "{owner} tham chiếu tới {target_kind} '{target}' không có trong bộ dữ liệu.",
        "{owner} refers to {target_kind} '{target}', which the dataset does not have.",
    ),
    IssueCode(
        "disaggregation-not-allowed",
        Severity.ERROR,
        "Chỉ tiêu {metric} không được phân tổ theo '{category}'.",
        "Metric {metric} is not broken down by '{category}'.",
    ),
    IssueCode(
        "disaggregation-option-unknown",
        Severity.ERROR,
        "Phân tổ '{category}' không có lựa chọn '{option}'.",
        "Category '{category}' has no option '{option}'.",
    ),
)
"""The codes these checks emit."""


def _unresolved(where: Location, target_kind: str, target: str) -> Issue:
    return issue(
        "reference-unresolved",
        where,
        **owner(where.kind, where.id),
        **kind_names(target_kind, "target_kind"),
        target=target,
    )


def check_entities(context: Context) -> Iterator[Issue]:
    """The references of the metadata, metrics, initiatives, sites, organizations, participants."""
    ds, gaz, at = context.dataset, context.dataset.gazetteer, context.at
    province = ds.metadata.province
    if province is not None and province not in gaz:
        where = Location("dataset", field="province", path="$.metadata.province")
        yield _unresolved(where, "admin_unit", province)
    for m in ds.metrics.values():
        for c in m.categories:
            if c not in ds.categories:
                yield _unresolved(at("metrics", "metric", m.id, "categories"), "category", c)
        for field in ("numerator", "denominator"):
            part = getattr(m, field)
            if part is not None and part not in ds.metrics:
                yield _unresolved(at("metrics", "metric", m.id, field), "metric", part)
    for i in ds.initiatives.values():
        if i.theme not in ds.themes:
            yield _unresolved(at("initiatives", "initiative", i.id, "theme"), "theme", i.theme)
        if i.scope is not None and i.scope not in gaz:
            where = at("initiatives", "initiative", i.id, "scope")
            yield _unresolved(where, "admin_unit", i.scope)
        cited = [*i.sources, *(s.source for s in i.outcomes if s.source is not None)]
        for s in dict.fromkeys(cited):
            if s not in ds.sources:
                yield _unresolved(at("initiatives", "initiative", i.id, "sources"), "source", s)
    for site in ds.sites.values():
        if site.initiative not in ds.initiatives:
            where = at("sites", "site", site.id, "initiative")
            yield _unresolved(where, "initiative", site.initiative)
        for code in site.admin_units:
            if code not in gaz:
                yield _unresolved(at("sites", "site", site.id, "admin_units"), "admin_unit", code)
        agreement = site.coordination_agreement
        agreement_source = agreement.source if agreement is not None else None
        if agreement_source is not None and agreement_source not in ds.sources:
            where = at("sites", "site", site.id, "coordination_agreement")
            yield _unresolved(where, "source", agreement_source)
    for o in ds.organizations.values():
        if o.admin_unit not in gaz:
            where = at("organizations", "organization", o.id, "admin_unit")
            yield _unresolved(where, "admin_unit", o.admin_unit)
        if o.initiative is not None and o.initiative not in ds.initiatives:
            where = at("organizations", "organization", o.id, "initiative")
            yield _unresolved(where, "initiative", o.initiative)
    for p in ds.participants.values():
        checks = (
            ("admin_unit", p.admin_unit, gaz, "admin_unit"),
            ("initiative", p.initiative, ds.initiatives, "initiative"),
            ("organization", p.organization, ds.organizations, "organization"),
        )
        for field, ref, table, kind in checks:
            if ref is not None and ref not in table:
                yield _unresolved(at("participants", "participant", p.id, field), kind, ref)


def _many_unresolved(
    rows: list[int], field: str, what: str, target_kind: str, target: str
) -> Issue:
    """One issue for the observation ``rows`` whose ``field`` names a missing ``target``."""
    return issue(
        "reference-unresolved",
        Location.observation(rows[0], field),
        **observation_owner(rows, what),
        **kind_names(target_kind, "target_kind"),
        target=target,
        rows=rows_text(rows),
        count=len(rows),
    )


def check_rows(context: Context) -> Iterator[Issue]:
    """The metric, subject and source of each observation: each missing one once."""
    cols, ds = context.cols, context.dataset
    if not len(cols):
        return
    missing = [c for c, m in enumerate(cols.metrics) if m not in ds.metrics]
    for code, rows in sorted(context.rows(cols.metric, missing).items()):
        what = str(cols.subjects[cols.subject[rows[0]]])
        yield _many_unresolved(rows, "metric", what, "metric", cols.metrics[code])
    missing = [c for c, s in enumerate(cols.subjects) if not _subject_exists(context, s)]
    for code, rows in sorted(context.rows(cols.subject, missing).items()):
        subject = cols.subjects[code]
        kind = "admin_unit" if subject.kind is SubjectKind.UNIT else subject.kind.value
        what = cols.metrics[cols.metric[rows[0]]]
        yield _many_unresolved(rows, "subject", what, kind, subject.id)
    bad_sources = {
        code for code in set(cols.source) if code and cols.texts[code] not in ds.sources
    }
    for code, rows in sorted(context.rows(cols.source, bad_sources).items()):
        what = context.describe(rows[0])
        yield _many_unresolved(rows, "source", what, "source", str(cols.texts[code]))


def _subject_exists(context: Context, subject: SubjectRef) -> bool:
    ds = context.dataset
    if subject.kind is SubjectKind.SITE:
        return subject.id in ds.sites
    if subject.kind is SubjectKind.INITIATIVE:
        return subject.id in ds.initiatives
    if subject.kind is SubjectKind.ORGANIZATION:
        return subject.id in ds.organizations
    if subject.kind is SubjectKind.PARTICIPANT:
        return subject.id in ds.participants
    return subject.id in ds.gazetteer


def check_breakdowns(context: Context) -> Iterator[Issue]:
    """Each observation's disaggregation against the categories and its metric's list."""
    cols, ds = context.cols, context.dataset
    if not len(cols) or len(cols.disaggregations) <= 1:
        return
    metric_of = context.metric_definitions
    problems: dict[tuple[int, int], list[tuple[str, dict[str, Any]]]] = {}
    for m, d in context.distinct_pairs("metric", "disaggregation"):
        metric = metric_of[m]
        if d == 0 or metric is None:
            continue
        found: list[tuple[str, dict[str, Any]]] = []
        for category_id, option_id in cols.disaggregations[d].items():
            category = ds.categories.get(category_id)
            if category is None:
                found.append(
                    (
                        "reference-unresolved",
                        {**kind_names("category", "target_kind"), "target": category_id},
                    )
                )
                continue
            if category_id not in metric.categories:
                found.append(
                    (
                        "disaggregation-not-allowed",
                        {"metric": metric.id, "category": category_id},
                    )
                )
            if option_id not in {o.id for o in category.options}:
                found.append(
                    (
                        "disaggregation-option-unknown",
                        {"category": category_id, "option": option_id},
                    )
                )
        if found:
            problems[m, d] = found
    for pair, rows in sorted(context.pair_rows("metric", "disaggregation", problems).items()):
        where = Location.observation(rows[0], "disaggregation")
        for code, details in problems[pair]:
            extra = (
                observation_owner(rows, context.describe(rows[0]))
                if code == "reference-unresolved"
                else {}
            )
            yield issue(code, where, **details, **extra, rows=rows_text(rows), count=len(rows))
