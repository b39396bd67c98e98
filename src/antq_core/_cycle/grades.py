"""Grades of the movement: a unit's grade for a year from its score, by the caller's thresholds.

Units are graded each year xuất sắc / khá / trung bình / yếu under Quyết định
510/QĐ-BCA-V05 of the Ministry of Public Security; the scores that separate the
grades are not published with the decision, so this module has no thresholds of
its own: the caller gives them (:class:`GradeThresholds`). The grade is an option
of the built-in ``grade`` category; a unit's grade for a year is stored as the
figure ``units_by_grade`` = 1 with that option (see docs/cycle.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import attrs

from antq_core.errors import InvalidValueError

__all__ = ["GRADE_CATEGORY", "GRADE_METRIC", "GradeThresholds", "grade_for"]

GRADE_CATEGORY: Final = "grade"
"""Id of the built-in category of the movement's grades."""
GRADE_METRIC: Final = "units_by_grade"
"""Id of the built-in metric counting units by grade."""


def _number(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidValueError("grade threshold", value, "not an int or a Decimal")
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidValueError("grade threshold", value, "not a finite number")
    return number


@attrs.frozen
class GradeThresholds:
    """The lowest score of each grade above yếu, as the caller decides them.

    No default: QĐ 510/QĐ-BCA-V05 does not publish its scores, so whatever
    thresholds are used are the caller's choice (a province's own scoring
    guide, for instance). A score at or above a threshold reaches its grade.

    Attributes:
        excellent: Lowest score graded xuất sắc.
        good: Lowest score graded khá.
        average: Lowest score graded trung bình; below it is yếu.

    Raises:
        InvalidValueError: A threshold is not an int or a finite Decimal, or they do not
            rise strictly from ``average`` to ``excellent``.
    """

    excellent: Decimal = attrs.field(converter=_number)
    good: Decimal = attrs.field(converter=_number)
    average: Decimal = attrs.field(converter=_number)

    def __attrs_post_init__(self) -> None:
        if not self.average < self.good < self.excellent:
            raise InvalidValueError(
                "grade thresholds",
                (self.average, self.good, self.excellent),
                "they must rise strictly: average < good < excellent",
            )


def grade_for(score: int | Decimal, thresholds: GradeThresholds) -> str:
    """The grade option (``xuat_sac``, ``kha``, ``trung_binh`` or ``yeu``) a score reaches.

    Args:
        score: The unit's score for the year (an int or a finite Decimal; never a float,
            which would round).
        thresholds: The caller's thresholds (there are no official defaults).

    Raises:
        InvalidValueError: The score is not an int or a finite Decimal.

    >>> t = GradeThresholds(excellent=90, good=70, average=50)
    >>> [grade_for(s, t) for s in (95, 90, 89, 70, 50, 49)]
    ['xuat_sac', 'xuat_sac', 'kha', 'kha', 'trung_binh', 'yeu']
    """
    if isinstance(score, bool) or not isinstance(score, int | Decimal):
        raise InvalidValueError("score", score, "not an int or a Decimal")
    value = Decimal(score)
    if not value.is_finite():
        raise InvalidValueError("score", score, "not a finite number")
    if value >= thresholds.excellent:
        return "xuat_sac"
    if value >= thresholds.good:
        return "kha"
    if value >= thresholds.average:
        return "trung_binh"
    return "yeu"
