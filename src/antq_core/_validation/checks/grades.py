"""Grades and recognitions of units: own figures, and reported counts against the units under them.

Two families of figures are checked alike: grades (``units_by_grade`` by
``grade``, QĐ 510/QĐ-BCA-V05: xuất sắc / khá / trung bình / yếu) and the
recognition "An toàn về ANTT" (``units_recognized_safe`` by ``antt_safety``,
TT 124/2021/TT-BCA: safe / not_safe).

A unit is *graded itself* for a period when no unit below it has a figure of
the family for that period. Its figures are then:

- its **own grade** (or recognition) when it has no unit under it in the
  gazetteer (a commune of a map without villages): each must be the exact
  value 1 with its option, or 0 ("not this one"); anything else is
  ``grade-not-one``. Two options at 1 in one period are ``grade-twice``;
- otherwise **counts whose units are not stored** (a district's summary with
  its communes missing): nothing under them to compare.

Any other unit's figure is a **reported count**, compared with what the units
below it that are graded themselves say: each own grade counts 1 for its
option; each count whose units are not stored counts its value, qualifier
and all. Both sides are read as intervals, as the project reads qualifiers:
exact ``v`` is ``[v, v]``, "trên"/at least ``v`` is ``[v, ∞)``, at most ``v``
is ``[0, v]``, "khoảng" ``v`` is ``v`` marked as an estimate. A count is
consistent when its interval meets the counted one. If they cannot meet,
that is ``grade-count-mismatch`` (an error), or ``grade-count-may-differ`` (a
warning) when an estimate is involved: a lower bound may not exceed what the
units under it can add up to, an upper bound may not fall below what they
already add up to, and an exact count must lie within both.

The recognitions' codes are the same with ``safety-`` for ``grade-``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Final

import attrs

from antq_core._cycle.grades import GRADE_CATEGORY, GRADE_METRIC
from antq_core._entities import Observation
from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.quantity import Qualifier
from antq_core._values.refs import SubjectKind
from antq_core.errors import AntqError, Location

__all__ = ["CODES", "check"]

SAFETY_METRIC: Final = "units_recognized_safe"
SAFETY_CATEGORY: Final = "antt_safety"

CODES: Final = declare(
    IssueCode(
        "grade-count-mismatch",
        Severity.ERROR,
        "{unit_code}, {period}: báo cáo {reported_words} đơn vị xếp loại '{grade}', nhưng các "
        "đơn vị trực thuộc được xếp loại '{grade}' là {counted_words}.",
        "{unit_code}, {period}: {reported_words} units reported with grade '{grade}', but "
        "{counted_words} units under it are graded '{grade}'.",
    ),
    IssueCode(
        "grade-count-may-differ",
        Severity.WARNING,
        "{unit_code}, {period}: báo cáo {reported_words} đơn vị xếp loại '{grade}' (có số ước "
        "tính), các đơn vị trực thuộc được xếp loại '{grade}' là {counted_words}.",
        "{unit_code}, {period}: {reported_words} units reported with grade '{grade}' (an "
        "estimate is involved), and {counted_words} units under it are graded '{grade}'.",
    ),
    IssueCode(
        "grade-not-one",
        Severity.ERROR,
        "{unit_code}, {period}: xếp loại của chính đơn vị là giá trị 1 (chính xác) với loại "
        "của nó, không phải {reported_words} ('{grade}').",
        "{unit_code}, {period}: a unit's own grade is the exact value 1 with its grade, not "
        "{reported_words} ('{grade}').",
    ),
    IssueCode(
        "grade-twice",
        Severity.ERROR,
        "{unit_code}, {period}: đơn vị có hai xếp loại trong cùng kỳ: '{first}' và '{grade}'.",
        "{unit_code}, {period}: the unit has two grades for one period: '{first}' and '{grade}'.",
    ),
    IssueCode(
        "safety-count-mismatch",
        Severity.ERROR,
        "{unit_code}, {period}: báo cáo {reported_words} đơn vị '{option}' về An toàn về ANTT, "
        "nhưng các đơn vị trực thuộc '{option}' là {counted_words}.",
        "{unit_code}, {period}: {reported_words} units reported '{option}' for ANTT safety, "
        "but {counted_words} units under it are '{option}'.",
    ),
    IssueCode(
        "safety-count-may-differ",
        Severity.WARNING,
        "{unit_code}, {period}: báo cáo {reported_words} đơn vị '{option}' về An toàn về ANTT "
        "(có số ước tính), các đơn vị trực thuộc '{option}' là {counted_words}.",
        "{unit_code}, {period}: {reported_words} units reported '{option}' for ANTT safety (an "
        "estimate is involved), and {counted_words} units under it are '{option}'.",
    ),
    IssueCode(
        "safety-not-one",
        Severity.ERROR,
        "{unit_code}, {period}: công nhận An toàn về ANTT của chính đơn vị là giá trị 1 "
        "(chính xác) với lựa chọn của nó, không phải {reported_words} ('{option}').",
        "{unit_code}, {period}: a unit's own ANTT safety recognition is the exact value 1 with "
        "its option, not {reported_words} ('{option}').",
    ),
    IssueCode(
        "safety-twice",
        Severity.ERROR,
        "{unit_code}, {period}: đơn vị có hai kết quả công nhận An toàn về ANTT trong cùng kỳ: "
        "'{first}' và '{option}'.",
        "{unit_code}, {period}: the unit has two ANTT safety results for one period: '{first}' "
        "and '{option}'.",
    ),
)
"""The codes this check emits."""


@attrs.frozen
class _Family:
    metric: str
    category: str
    prefix: str
    key: str  # the details' name of the option


_FAMILIES: Final = (
    _Family(GRADE_METRIC, GRADE_CATEGORY, "grade", "grade"),
    _Family(SAFETY_METRIC, SAFETY_CATEGORY, "safety", "option"),
)

_ZERO: Final = Decimal(0)


@attrs.frozen
class _Span:
    """What figures say of a number of units: ``[low, high]`` (``high`` ``None``: no bound)."""

    low: Decimal
    high: Decimal | None
    estimate: bool = False

    def __add__(self, other: _Span) -> _Span:
        high = None if self.high is None or other.high is None else self.high + other.high
        return _Span(self.low + other.low, high, self.estimate or other.estimate)

    def meets(self, other: _Span) -> bool:
        above = self.high is not None and self.high < other.low
        below = other.high is not None and other.high < self.low
        return not (above or below)

    def hull(self, other: _Span) -> _Span:
        high = None if self.high is None or other.high is None else max(self.high, other.high)
        return _Span(min(self.low, other.low), high, self.estimate or other.estimate)

    def words(self, lang: str) -> str:
        """The span in words: ``2``, ``khoảng 2``, ``ít nhất 2``, ``từ 2 đến 5``."""
        vi = lang == "vi"
        low = _number(self.low, lang)
        if self.high is None:
            return ("ít nhất " if vi else "at least ") + low
        high = _number(self.high, lang)
        about = ("khoảng " if vi else "about ") if self.estimate else ""
        if self.low == self.high:
            return about + low
        if self.low == _ZERO:
            return ("nhiều nhất " if vi else "at most ") + about + high
        return about + (f"từ {low} đến {high}" if vi else f"between {low} and {high}")


def _number(value: Decimal, lang: str) -> str:
    text = f"{value:f}"
    return text.replace(".", ",") if lang == "vi" else text


_QUALIFIER_WORDS: Final = {
    Qualifier.EXACT: ("", ""),
    Qualifier.AT_LEAST: ("ít nhất ", "at least "),
    Qualifier.AT_MOST: ("nhiều nhất ", "at most "),
    Qualifier.APPROXIMATELY: ("khoảng ", "about "),
}


def _said(obs: Observation) -> dict[str, str]:
    """A figure's value in words, with its qualifier, in each language."""
    value = Decimal(obs.value)
    vi, en = _QUALIFIER_WORDS[obs.qualifier]
    return {
        "reported_words_vi": vi + _number(value, "vi"),
        "reported_words_en": en + _number(value, "en"),
    }


def _span(obs: Observation) -> _Span:
    value = Decimal(obs.value)
    q = obs.qualifier
    if q is Qualifier.AT_LEAST:
        return _Span(value, None)
    if q is Qualifier.AT_MOST:
        return _Span(_ZERO, value)
    return _Span(value, value, estimate=q is Qualifier.APPROXIMATELY)


def check(context: Context) -> Iterator[Issue]:
    """Own grades and recognitions, and the counts reported of them, of every unit."""
    for family in _FAMILIES:
        yield from _check_family(context, family)


def _check_family(context: Context, family: _Family) -> Iterator[Issue]:
    dataset = context.dataset
    if family.metric not in dataset.metrics:
        return
    store = dataset.observations
    rows = store.rows_for(metric=family.metric)
    if not rows:
        return
    gazetteer = dataset.gazetteer
    # (unit, period) -> [(row, option, observation)], in row order
    by_unit: dict[tuple[str, object], list[tuple[int, str, Observation]]] = defaultdict(list)
    chains: dict[str, tuple[str, ...]] = {}
    for row in rows:
        obs = store[row]
        option = obs.disaggregation.get(family.category)
        if obs.subject.kind is not SubjectKind.UNIT or option is None:
            continue
        by_unit[obs.subject.id, obs.period].append((row, option, obs))
        if obs.subject.id not in chains:
            try:
                above = gazetteer.ancestors(obs.subject.id)
            except AntqError:
                above = ()
            chains[obs.subject.id] = tuple(u.code for u in above)
    has_below: set[tuple[str, object]] = set()
    for code, period in by_unit:
        for parent in chains[code]:
            has_below.add((parent, period))

    def at(code: str, period: object, option: str, **more: object) -> dict[str, object]:
        return {"unit_code": code, "period": str(period), family.key: option, **more}

    # What the units graded themselves say, added under every unit above them.
    counted: dict[tuple[str, object, str], _Span] = {}
    for key in sorted(by_unit.keys() - has_below, key=lambda k: (k[0], str(k[1]))):
        code, period = key
        own = code in gazetteer and not gazetteer.children(code)
        says: dict[str, _Span] = {}
        first: str | None = None
        for row, option, obs in by_unit[key]:
            if own:
                value = Decimal(obs.value)
                if obs.qualifier is not Qualifier.EXACT or value not in {0, 1}:
                    yield issue(
                        f"{family.prefix}-not-one",
                        Location.observation(row, "value"),
                        **at(code, period, option, reported=obs.value),
                        **_said(obs),
                    )
                if value > 0 and first is not None and first != option:
                    yield issue(
                        f"{family.prefix}-twice",
                        Location.observation(row, "disaggregation"),
                        **at(code, period, option, first=first),
                    )
                if value > 0 and first is None:
                    first = option
                span = _Span(Decimal(1 if value > 0 else 0), Decimal(1 if value > 0 else 0))
                says[option] = span if option not in says else says[option].hull(span)
            else:
                span = _span(obs)
                says[option] = span if option not in says else says[option].hull(span)
        for option, span in says.items():
            for parent in chains[code]:
                found = counted.get((parent, period, option))
                counted[parent, period, option] = span if found is None else found + span
    for key in sorted(has_below & by_unit.keys(), key=lambda k: (k[0], str(k[1]))):
        code, period = key
        for row, option, obs in by_unit[key]:
            reported = _span(obs)
            found = counted.get((code, period, option), _Span(_ZERO, _ZERO))
            if reported.meets(found):
                continue
            estimate = reported.estimate or found.estimate
            yield issue(
                f"{family.prefix}-count-{'may-differ' if estimate else 'mismatch'}",
                Location.observation(row, "value"),
                **at(
                    code,
                    period,
                    option,
                    reported=obs.value,
                    qualifier=obs.qualifier.value,
                    counted=_exact(found),
                    counted_low=found.low,
                    counted_high=found.high,
                    counted_words_vi=found.words("vi"),
                    counted_words_en=found.words("en"),
                ),
                **_said(obs),
            )


def _exact(span: _Span) -> int | Decimal | None:
    """The counted number, when the units under say it exactly."""
    if span.high is None or span.low != span.high or span.estimate:
        return None
    return int(span.low) if span.low == span.low.to_integral_value() else span.low
