"""Reported counts of units by grade against the grades of the units under them.

A unit's own grade for a year is the figure ``units_by_grade`` with the value 1
and its grade option (QĐ 510/QĐ-BCA-V05 grades units xuất sắc / khá / trung
bình / yếu). A unit is *graded itself* when no unit below it has a grade figure
for the period; any other unit's ``units_by_grade`` figure for a grade is a
reported count, and must equal the number of units below it graded themselves
with that grade in the same period. Counts with a qualifier other than exact
("khoảng", "trên") are not compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Final

from antq_core._cycle.grades import GRADE_CATEGORY, GRADE_METRIC
from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.quantity import Qualifier
from antq_core._values.refs import SubjectKind
from antq_core.errors import AntqError, Location

__all__ = ["CODES", "check"]

CODES: Final = declare(
    IssueCode(
        "grade-count-mismatch",
        Severity.ERROR,
        "{unit_code}, {period}: báo cáo {reported} đơn vị xếp loại '{grade}', nhưng các đơn vị "
        "trực thuộc được xếp loại '{grade}' là {counted}.",
        "{unit_code}, {period}: {reported} units reported with grade '{grade}', but {counted} "
        "units under it are graded '{grade}'.",
    ),
)
"""The codes this check emits."""


def check(context: Context) -> Iterator[Issue]:
    """Each reported count of units by grade against the units under it graded themselves."""
    dataset = context.dataset
    if GRADE_METRIC not in dataset.metrics:
        return
    store = dataset.observations
    rows = store.rows_for(metric=GRADE_METRIC)
    if not rows:
        return
    # (unit, period) -> [(row, grade option, observation)]
    by_unit: dict[tuple[str, object], list[tuple[int, str]]] = defaultdict(list)
    chains: dict[str, tuple[str, ...]] = {}
    for row in rows:
        obs = store[row]
        grade = obs.disaggregation.get(GRADE_CATEGORY)
        if obs.subject.kind is not SubjectKind.UNIT or grade is None:
            continue
        by_unit[obs.subject.id, obs.period].append((row, grade))
        if obs.subject.id not in chains:
            try:
                above = dataset.gazetteer.ancestors(obs.subject.id)
            except AntqError:
                above = ()
            chains[obs.subject.id] = tuple(u.code for u in above)
    has_below: set[tuple[str, object]] = set()
    for code, period in by_unit:
        for parent in chains[code]:
            has_below.add((parent, period))
    # Units graded themselves, counted under every unit above them.
    counted: dict[tuple[str, object, str], int] = defaultdict(int)
    for (code, period), graded in by_unit.items():
        if (code, period) in has_below:
            continue
        for _, grade in graded:
            for parent in chains[code]:
                counted[parent, period, grade] += 1
    for key in sorted(has_below & by_unit.keys(), key=lambda k: (k[0], str(k[1]))):
        code, period = key
        for row, grade in by_unit[key]:
            obs = store[row]
            if obs.qualifier is not Qualifier.EXACT:
                continue
            found = counted.get((code, period, grade), 0)
            if obs.value != found:
                yield issue(
                    "grade-count-mismatch",
                    Location.observation(row, "value"),
                    unit_code=code,
                    period=str(period),
                    grade=grade,
                    reported=obs.value,
                    counted=found,
                )
