"""Dates: periods against the report date, subjects' starts, and units' validity.

Entities first (an initiative's or site's start, an organization's founding),
then the observations' periods: one issue for the rows of one period, or of
one (subject, period) pair.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any, Final

from antq_core._entities import OrganizationKind
from antq_core._validation.checks.context import Context, observation_owner, owner, rows_text
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.geo import Gazetteer
from antq_core._values.period import Period
from antq_core._values.refs import SubjectKind, SubjectRef
from antq_core.errors import Location

__all__ = ["CODES", "LAW_30_2023_EFFECTIVE", "check_entities", "check_rows"]

LAW_30_2023_EFFECTIVE: Final = dt.date(2024, 7, 1)
"""Law 30/2023/QH15 on grassroots security and order forces took effect on this day."""

CODES: Final = declare(
    IssueCode(
        "period-in-future",
        Severity.ERROR,
        "{owner}: {period} bắt đầu sau ngày báo cáo {report_date}.",
        "{owner}: {period} starts after the report date, {report_date}.",
    ),
    IssueCode(
        "period-ongoing",
        Severity.INFO,
        "{owner}: {period} kéo dài tới {end_date}, sau ngày báo cáo {report_date}: "
        "số liệu tính đến ngày báo cáo, chưa phải số cả kỳ.",
        "{owner}: {period} runs to {end_date}, after the report date {report_date}: "
        "the figure is so far, not for the whole period.",
    ),
    IssueCode(
        "unit-not-valid-on-date",
        Severity.ERROR,
        "{owner}: đơn vị {unit} không tồn tại {when} ({validity}).",
        "{owner}: unit {unit} did not exist {when} ({validity}).",
    ),
    IssueCode(
        "site-before-initiative",
        Severity.ERROR,
        "Điểm {site} bắt đầu ({site_period}) trước khi mô hình {initiative} bắt đầu "
        "({initiative_period}).",
        "Site {site} starts ({site_period}) before its initiative {initiative} "
        "({initiative_period}).",
    ),
    IssueCode(
        "organization-before-law",
        Severity.ERROR,
        "Tổ chức {organization} là Tổ bảo vệ ANTT ở cơ sở nhưng thành lập ngày "
        "{established_date}, trước ngày Luật 30/2023/QH15 có hiệu lực ({law_date}).",
        "Organization {organization} is a grassroots security and order team but was "
        "set up on {established_date}, before Law 30/2023/QH15 took effect ({law_date}).",
    ),
    IssueCode(
        "observation-before-subject",
        Severity.ERROR,
        "Số liệu {metric} của {subject} thuộc {period}, kết thúc trước khi "
        "{subject} bắt đầu ({start_date}).",
        "Figure {metric} of {subject} is for {period}, which ends before {subject} "
        "began ({start_date}).",
    ),
    IssueCode(
        "observation-starts-before-subject",
        Severity.WARNING,
        "Số liệu {metric} của {subject} thuộc {period}, bắt đầu trước khi "
        "{subject} bắt đầu ({start_date}).",
        "Figure {metric} of {subject} is for {period}, which starts before {subject} "
        "began ({start_date}).",
    ),
)
"""The codes these checks emit."""


def _future(context: Context, where: Location, period: Period) -> Iterator[Issue]:
    report_date = context.report_date
    if report_date is not None and period.start > report_date:
        yield issue(
            "period-in-future",
            where,
            **owner(where.kind, where.id),
            period=str(period),
            report_date=report_date.isoformat(),
        )


def _valid_units(
    gaz: Gazetteer, where: Location, codes: Iterable[str], period: Period
) -> Iterator[Issue]:
    for code in codes:
        unit = gaz.get(code)
        if unit is None:
            continue
        validity = _validity(gaz, (code,))
        if validity is not None and not (
            validity[0] <= period.start and period.end <= validity[1]
        ):
            yield issue(
                "unit-not-valid-on-date",
                where,
                **owner(where.kind, where.id),
                unit=f"{unit.full_name} ({code})",
                period=str(period),
                validity=_validity_text(validity),
            )


def check_entities(context: Context) -> Iterator[Issue]:
    """Starts and foundings against the report date, their units and each other."""
    ds, gaz, at = context.dataset, context.dataset.gazetteer, context.at
    for i in ds.initiatives.values():
        if i.started is not None:
            yield from _future(
                context, at("initiatives", "initiative", i.id, "started"), i.started
            )
    for site in ds.sites.values():
        if site.started is None:
            continue
        where = at("sites", "site", site.id, "started")
        yield from _future(context, where, site.started)
        yield from _valid_units(gaz, where, site.admin_units, site.started)
        initiative = ds.initiatives.get(site.initiative)
        began = initiative.started if initiative is not None else None
        if initiative is not None and began is not None and site.started.end < began.start:
            yield issue(
                "site-before-initiative",
                where,
                site=site.id,
                site_period=str(site.started),
                initiative=initiative.id,
                initiative_period=str(began),
            )
    for o in ds.organizations.values():
        if o.established_on is None:
            continue
        where = at("organizations", "organization", o.id, "established_on")
        yield from _future(context, where, Period.day(o.established_on))
        yield from _valid_units(gaz, where, (o.admin_unit,), Period.day(o.established_on))
        if (
            o.kind is OrganizationKind.SECURITY_ORDER_TEAM
            and o.established_on < LAW_30_2023_EFFECTIVE
        ):
            yield issue(
                "organization-before-law",
                where,
                organization=o.id,
                established_date=o.established_on.isoformat(),
                law_date=LAW_30_2023_EFFECTIVE.isoformat(),
            )


def _subject_window(
    context: Context, subject: SubjectRef
) -> tuple[dt.date | None, tuple[dt.date, dt.date] | None, list[str]]:
    """When ``subject`` began (if known), the dates its units allow, and those units."""
    ds = context.dataset
    start: dt.date | None = None
    codes: list[str] = []
    if subject.kind is SubjectKind.SITE:
        site = ds.sites.get(subject.id)
        if site is not None:
            start = site.started.start if site.started is not None else None
            codes = list(site.admin_units)
    elif subject.kind is SubjectKind.INITIATIVE:
        initiative = ds.initiatives.get(subject.id)
        if initiative is not None and initiative.started is not None:
            start = initiative.started.start
    elif subject.kind is SubjectKind.ORGANIZATION:
        org = ds.organizations.get(subject.id)
        if org is not None:
            start = org.established_on
            codes = [org.admin_unit]
    elif subject.kind is SubjectKind.PARTICIPANT:
        person = ds.participants.get(subject.id)
        if person is not None and person.admin_unit is not None:
            codes = [person.admin_unit]
    else:
        codes = [subject.id]
    return start, _validity(ds.gazetteer, codes), codes


def check_rows(context: Context) -> Iterator[Issue]:
    """Observations' periods: against the report date, their subject's start, its units.

    One issue for the rows of each period, or of each (subject, period) pair.
    """
    cols = context.cols
    if not len(cols):
        return
    report = context.report_date
    if report is not None:
        future = {c for c, p in enumerate(cols.periods) if p.start > report}
        ongoing = {c for c, p in enumerate(cols.periods) if p.start <= report < p.end}
        found = context.rows(cols.period, future | ongoing)
        for code, rows in sorted(found.items()):
            period = cols.periods[code]
            details: dict[str, Any] = {
                **observation_owner(rows, context.describe(rows[0])),
                "period": str(period),
                "report_date": report.isoformat(),
                "rows": rows_text(rows),
                "count": len(rows),
            }
            where = Location.observation(rows[0], "period")
            if code in future:
                yield issue("period-in-future", where, **details)
            else:
                yield issue("period-ongoing", where, **details, end_date=period.end.isoformat())
    windows = {}
    for code, subject in enumerate(cols.subjects):
        start, window, units = _subject_window(context, subject)
        if start is not None or window is not None:
            windows[code] = (start, window, units)
    if not windows:
        return
    bad: dict[tuple[int, int], tuple[str, dict[str, Any]]] = {}
    for s_code, p_code in context.distinct_pairs("subject", "period"):
        limits = windows.get(s_code)
        if limits is None:
            continue
        start, window, units = limits
        period, subject_text = cols.periods[p_code], str(cols.subjects[s_code])
        if start is not None and period.start < start:
            issue_code = (
                "observation-before-subject"
                if period.end < start
                else "observation-starts-before-subject"
            )
            bad[s_code, p_code] = (
                issue_code,
                {
                    "subject": subject_text,
                    "period": str(period),
                    "start_date": start.isoformat(),
                },
            )
        elif window is not None and not (window[0] <= period.start and period.end <= window[1]):
            bad[s_code, p_code] = (
                "unit-not-valid-on-date",
                {
                    "unit": ", ".join(units),
                    "period": str(period),
                    "validity": _validity_text(window),
                },
            )
    for pair, rows in sorted(context.pair_rows("subject", "period", bad).items()):
        issue_code, details = bad[pair]
        where = Location.observation(rows[0], "period")
        metric = cols.metrics[cols.metric[rows[0]]]
        extra = (
            observation_owner(rows, context.describe(rows[0]))
            if issue_code == "unit-not-valid-on-date"
            else {"metric": metric}
        )
        yield issue(issue_code, where, **details, **extra, rows=rows_text(rows), count=len(rows))


def _validity(gaz: Gazetteer, codes: Iterable[str]) -> tuple[dt.date, dt.date] | None:
    """The dates every unit of ``codes`` (those the gazetteer has) and the gazetteer allow."""
    low, high = gaz.valid_from, gaz.valid_to
    for code in codes:
        unit = gaz.get(code)
        if unit is not None:
            if unit.valid_from is not None and (low is None or unit.valid_from > low):
                low = unit.valid_from
            if unit.valid_to is not None and (high is None or unit.valid_to < high):
                high = unit.valid_to
    if low is None and high is None:
        return None
    return (low or dt.date.min, high or dt.date.max)


def _validity_text(window: tuple[dt.date, dt.date]) -> str:
    low = "" if window[0] == dt.date.min else window[0].isoformat()
    high = "" if window[1] == dt.date.max else window[1].isoformat()
    return f"{low}..{high}"
