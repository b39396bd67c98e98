"""Periods: the time a figure belongs to, with one canonical string each."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import re
from collections.abc import Iterator
from typing import Any, Final

import attrs
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from antq_core._util.plaintext import PlainSchema
from antq_core._values.patterns import PERIOD_KINDS, whole
from antq_core._values.schema import value_schema
from antq_core.errors import PeriodError, enum_member

__all__ = ["DEFAULT_SEASON_START_MONTH", "Period", "PeriodKind"]

DEFAULT_SEASON_START_MONTH: Final = 9
"""First month of a crop season (niên vụ) unless told otherwise, September.

Opium poppy in the northern uplands is sown from September to November and
harvested from January to April, so provincial reports count eradication "in
niên vụ 2016–2017" from September 2016; Vietnamese agricultural statistics use
the same September start for the winter crop year. A season is twelve months
long so that seasons tile the calendar: every date lies in exactly one season.
"""


def _to_kind(value: PeriodKind | str) -> PeriodKind:
    return enum_member(PeriodKind, value, "period kind")


class PeriodKind(PlainSchema, enum.StrEnum):
    """The kinds of :class:`Period`, from finest to coarsest, then free ranges."""

    DAY = "day"
    WEEK = "week"
    """An ISO 8601 week, Monday to Sunday, numbered within its ISO year."""
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"
    CROP_SEASON = "crop_season"
    """Niên vụ, twelve months from a start month (:data:`DEFAULT_SEASON_START_MONTH`)."""
    RANGE = "range"
    """A closed range of dates, such as "since the model began" to a report date."""


# re.ASCII: \d would also match other scripts' digits ("２０１７"), which are not canonical.
_PATTERNS: Final = (
    (PeriodKind.DAY, re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)),
    (PeriodKind.MONTH, re.compile(r"(\d{4})-(\d{2})", re.ASCII)),
    (PeriodKind.WEEK, re.compile(r"(\d{4})W(\d{2})", re.ASCII)),
    (PeriodKind.QUARTER, re.compile(r"(\d{4})Q(\d)", re.ASCII)),
    (PeriodKind.HALF_YEAR, re.compile(r"(\d{4})S(\d)", re.ASCII)),
    (PeriodKind.YEAR, re.compile(r"(\d{4})", re.ASCII)),
    (PeriodKind.CROP_SEASON, re.compile(r"(\d{4})/(\d{4})(?:@(\d{2}))?", re.ASCII)),
    (PeriodKind.RANGE, re.compile(r"(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})", re.ASCII)),
)

PERIOD_JSON_SCHEMA: Final[dict[str, Any]] = {
    "type": "string",
    "title": "Period",
    "description": (
        "A period in its canonical form: a day 2017-07-13, an ISO week 2017W05 (two digits), "
        "a month 2017-05, a quarter 2017Q3, a half-year 2017S1, a year 2017, a crop season "
        "(niên vụ) 2016/2017 from September or 2016/2017@10 from another month (02 to 12, "
        "never 09), or a range of dates 2012-01-01/2017-07-13. Only periods that exist: "
        "dates of the Gregorian calendar (no 2017-02-30; 29 February in leap years), week 53 "
        "only in ISO years that have 53 weeks, a crop season running into the next year, a "
        "range that does not end before it starts; years 0001 to 9998 (days and ranges up "
        "to 9999-12-31). The patterns encode these rules."
    ),
    "anyOf": [
        {"title": kind.value, "pattern": whole(PERIOD_KINDS[kind.value])} for kind in PeriodKind
    ],
    "examples": ["2017", "2017Q3", "2017-05", "2016/2017", "2012-01-01/2017-07-13"],
}
"""The JSON Schema of a period: one pattern per kind, read alike by ECMA-262 and Python."""


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:  # noqa: PLR2004
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@attrs.frozen(repr=False, order=False)
class Period:
    """The span of time a figure belongs to.

    A day, week, month, quarter, half-year, year, crop season (niên vụ) or
    closed range of dates.

    Each period has one canonical string, which :meth:`parse` reads back:

    ============ ========================= =====================================
    kind         string                    meaning
    ============ ========================= =====================================
    day          ``2017-07-13``            13 July 2017
    week         ``2017W05``               ISO week 5 of 2017 (zero-padded)
    month        ``2017-05``               May 2017
    quarter      ``2017Q3``                July to September 2017
    half_year    ``2017S1``                January to June 2017
    year         ``2017``                  the calendar year
    crop_season  ``2016/2017``             niên vụ 2016–2017, Sept 2016–Aug 2017
    crop_season  ``2016/2017@10``          the same, starting in October
    range        ``2012-01-01/2017-07-13`` both dates included
    ============ ========================= =====================================

    >>> p = Period.parse("2017Q3")
    >>> p.start, p.end
    (datetime.date(2017, 7, 1), datetime.date(2017, 9, 30))
    >>> Period.parse("2017").contains(p), str(Period.containing(p.start, "month"))
    (True, '2017-07')

    Periods compare by start, then end, then kind, so a sorted list reads in
    time order. Build them with the class methods (:meth:`month`,
    :meth:`crop_season`...) or :meth:`parse`; the constructor checks that start
    and end fit the kind.

    Attributes:
        kind: The kind of period.
        start: First day, included.
        end: Last day, included.
    """

    kind: PeriodKind = attrs.field(converter=_to_kind)
    start: dt.date
    end: dt.date

    def __attrs_post_init__(self) -> None:
        for bound in (self.start, self.end):
            if type(bound) is not dt.date:
                raise PeriodError(repr(bound)[:80], "start and end are dates (not datetimes)")
        if self.kind is PeriodKind.RANGE:
            if self.end < self.start:
                raise PeriodError(self._range_text(), "a range cannot end before it starts")
            return
        start, end = _bounds(self.start, self.kind, self.start.month)
        if start != self.start or end != self.end:
            raise PeriodError(
                f"{self.kind.value} {self.start}..{self.end}",
                f"that {self.kind.value} runs {start}..{end}",
            )
        if self.kind in _MONTHS or self.kind is PeriodKind.CROP_SEASON:
            # Their strings name the year, which parse() reads only from 1 to 9998.
            text = f"{self.kind.value} {self.start}..{self.end}"
            _check_year(self.start.year, text)
            _check_year(self.end.year, text)

    # -- construction -----------------------------------------------------

    @classmethod
    def day(cls, date: dt.date) -> Period:
        """The single day ``date``."""
        return cls(PeriodKind.DAY, date, date)

    @classmethod
    def week(cls, year: int, week: int) -> Period:
        """ISO week ``week`` of ISO year ``year``."""
        text = f"{year:04d}W{week:02d}"
        try:
            start = dt.date.fromisocalendar(year, week, 1)
        except ValueError as e:
            raise PeriodError(text, str(e)) from None
        if start > dt.date.max - dt.timedelta(days=6):
            raise PeriodError(text, "the week ends after 9999-12-31")
        return cls(PeriodKind.WEEK, start, start + dt.timedelta(days=6))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """Calendar month ``month`` (1-12) of ``year``."""
        _check_year(year, f"{year}-{month:02d}")
        if not 1 <= month <= 12:  # noqa: PLR2004
            raise PeriodError(f"{year:04d}-{month:02d}", "the month must be 1 to 12")
        return cls(PeriodKind.MONTH, dt.date(year, month, 1), _month_end(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter ``quarter`` (1-4) of ``year``."""
        _check_year(year, f"{year}Q{quarter}")
        if not 1 <= quarter <= 4:  # noqa: PLR2004
            raise PeriodError(f"{year:04d}Q{quarter}", "the quarter must be 1 to 4")
        first = 3 * quarter - 2
        return cls(PeriodKind.QUARTER, dt.date(year, first, 1), _month_end(year, first + 2))

    @classmethod
    def half_year(cls, year: int, half: int) -> Period:
        """Half-year ``half`` (1: January-June, 2: July-December) of ``year``."""
        _check_year(year, f"{year}S{half}")
        if half not in (1, 2):
            raise PeriodError(f"{year:04d}S{half}", "the half-year must be 1 or 2")
        first = 6 * half - 5
        return cls(PeriodKind.HALF_YEAR, dt.date(year, first, 1), _month_end(year, first + 5))

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year``."""
        _check_year(year, str(year))
        return cls(PeriodKind.YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def crop_season(cls, first_year: int, start_month: int = DEFAULT_SEASON_START_MONTH) -> Period:
        """Niên vụ ``first_year``–``first_year + 1``: twelve months from ``start_month``.

        Args:
            first_year: The year the season starts in (2016 for niên vụ 2016–2017).
            start_month: Its first month, 2 to 12 (a season starting in January
                is a calendar year). Defaults to :data:`DEFAULT_SEASON_START_MONTH`.
        """
        text = f"{first_year}/{first_year + 1}@{start_month:02d}"
        if not 2 <= start_month <= 12:  # noqa: PLR2004
            raise PeriodError(text, "a crop season starts in month 2 to 12")
        _check_year(first_year, text)
        _check_year(first_year + 1, text)
        end_year, end_month = _add_months(first_year, start_month, 11)
        return cls(
            PeriodKind.CROP_SEASON,
            dt.date(first_year, start_month, 1),
            _month_end(end_year, end_month),
        )

    @classmethod
    def range(cls, start: dt.date, end: dt.date) -> Period:
        """The closed range of dates from ``start`` to ``end``, both included."""
        return cls(PeriodKind.RANGE, start, end)

    @classmethod
    def containing(
        cls,
        date: dt.date,
        kind: PeriodKind | str,
        *,
        season_start_month: int = DEFAULT_SEASON_START_MONTH,
    ) -> Period:
        """The period of ``kind`` that contains ``date``.

        Raises:
            PeriodError: ``kind`` is ``range``, which has no natural boundaries.
        """
        kind = _to_kind(kind)
        start, end = _bounds(date, kind, season_start_month)
        return cls(kind, start, end)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a period from its canonical string (see the table above).

        Raises:
            PeriodError: The string is not a canonical period, or names a
                date that does not exist; the error keeps the string.
        """
        if not isinstance(text, str):
            raise PeriodError(repr(text), "a period is written as a string")
        for kind, pattern in _PATTERNS:
            match = pattern.fullmatch(text)
            if match is not None:
                return _build(kind, match.groups(), text)
        raise PeriodError(text, "not a canonical period string (e.g. 2017, 2017Q3, 2017-05)")

    # -- queries ----------------------------------------------------------

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def season_start_month(self) -> int | None:
        """For a crop season, its first month; ``None`` for other kinds."""
        return self.start.month if self.kind is PeriodKind.CROP_SEASON else None

    def contains(self, other: Period | dt.date) -> bool:
        """Whether ``other`` (a period or a date) lies wholly within this period."""
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        return self.start <= other <= self.end

    def overlaps(self, other: Period) -> bool:
        """Whether this period and ``other`` share at least one day."""
        return self.start <= other.end and other.start <= self.end

    def next(self) -> Period:
        """The period of the same kind that follows this one (a range: the same length).

        Raises:
            PeriodError: It would end after 31 December 9999.
        """
        try:
            after = self.end + dt.timedelta(days=1)
            if self.kind is PeriodKind.RANGE:
                return Period.range(after, after + (self.end - self.start))
        except OverflowError:
            raise PeriodError(str(self), "no period follows it before the year 10000") from None
        return Period.containing(after, self.kind, season_start_month=self.start.month)

    def sub_periods(self, kind: PeriodKind | str) -> list[Period]:
        """The periods of ``kind`` that lie wholly within this one, in order.

        Months tile a year exactly; ISO weeks do not (a year's first and last
        days may belong to weeks of the neighbouring years), so those partial
        weeks are left out.

        >>> [str(p) for p in Period.parse("2017S2").sub_periods("quarter")]
        ['2017Q3', '2017Q4']
        """
        kind = _to_kind(kind)
        if kind is PeriodKind.RANGE:
            raise PeriodError(str(self), "a range has no natural sub-periods")
        found: list[Period] = []
        season = self.season_start_month or DEFAULT_SEASON_START_MONTH
        current = Period.containing(self.start, kind, season_start_month=season)
        while True:
            if self.contains(current):
                found.append(current)
            if current.end >= self.end:
                return found
            current = current.next()

    def iter_days(self) -> Iterator[dt.date]:
        """Every date in the period, in order."""
        for offset in range(self.days):
            yield self.start + dt.timedelta(days=offset)

    # -- text, ordering ---------------------------------------------------

    def __str__(self) -> str:
        kind, start = self.kind, self.start
        if kind is PeriodKind.DAY:
            return start.isoformat()
        if kind is PeriodKind.WEEK:
            iso = start.isocalendar()
            return f"{iso.year:04d}W{iso.week:02d}"
        if kind is PeriodKind.MONTH:
            return f"{start.year:04d}-{start.month:02d}"
        if kind is PeriodKind.QUARTER:
            return f"{start.year:04d}Q{(start.month - 1) // 3 + 1}"
        if kind is PeriodKind.HALF_YEAR:
            return f"{start.year:04d}S{1 if start.month == 1 else 2}"
        if kind is PeriodKind.YEAR:
            return f"{start.year:04d}"
        if kind is PeriodKind.CROP_SEASON:
            tail = "" if start.month == DEFAULT_SEASON_START_MONTH else f"@{start.month:02d}"
            return f"{start.year:04d}/{start.year + 1:04d}{tail}"
        return self._range_text()

    def _range_text(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def __repr__(self) -> str:
        return f"Period.parse({str(self)!r})"

    def _key(self) -> tuple[dt.date, dt.date, int]:
        return (self.start, self.end, _KIND_RANK[self.kind])

    def __lt__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: Period) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key() >= other._key()

    # -- pydantic ---------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from the canonical string; serialise to it."""
        # Its JSON Schema is long (the calendar is in its patterns): written once, in $defs.
        return value_schema(_validate_period, str, ref="antq_core.Period")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """A string in one of the canonical period forms (:data:`PERIOD_JSON_SCHEMA`)."""
        return copy.deepcopy(PERIOD_JSON_SCHEMA)


_KIND_RANK: Final = {kind: rank for rank, kind in enumerate(PeriodKind)}


def _bounds(date: dt.date, kind: PeriodKind, season_start_month: int) -> tuple[dt.date, dt.date]:
    """First and last day of the period of ``kind`` around ``date``."""
    y, m = date.year, date.month
    if kind is PeriodKind.DAY:
        return date, date
    if kind is PeriodKind.WEEK:
        monday = date - dt.timedelta(days=date.weekday())
        if monday > dt.date.max - dt.timedelta(days=6):
            raise PeriodError(str(date), "its week ends after 9999-12-31")
        return monday, monday + dt.timedelta(days=6)
    if kind is PeriodKind.RANGE:
        raise PeriodError(str(date), "a range has no natural boundaries to find one by date")
    if kind is PeriodKind.CROP_SEASON:
        if not 2 <= season_start_month <= 12:  # noqa: PLR2004
            raise PeriodError(str(date), "a crop season starts in month 2 to 12")
        first_year = y if m >= season_start_month else y - 1
        first_month = season_start_month
        length = 12
    else:
        length = _MONTHS[kind]
        first_year, first_month = y, (m - 1) // length * length + 1
    end_year, end_month = _add_months(first_year, first_month, length - 1)
    if first_year < dt.MINYEAR:
        raise PeriodError(str(date), f"its {kind.value} starts before 0001-01-01")
    if end_year > dt.MAXYEAR:
        raise PeriodError(str(date), f"its {kind.value} ends after 9999-12-31")
    return dt.date(first_year, first_month, 1), _month_end(end_year, end_month)


_MONTHS: Final = {
    PeriodKind.MONTH: 1,
    PeriodKind.QUARTER: 3,
    PeriodKind.HALF_YEAR: 6,
    PeriodKind.YEAR: 12,
}


def _check_year(year: int, text: str) -> None:
    if not 1 <= year <= 9998:  # noqa: PLR2004
        raise PeriodError(text, "the year must be 1 to 9998")


def _build(kind: PeriodKind, groups: tuple[str | Any, ...], text: str) -> Period:
    try:
        if kind is PeriodKind.DAY:
            return Period.day(dt.date.fromisoformat(text))
        if kind is PeriodKind.RANGE:
            return Period.range(dt.date.fromisoformat(groups[0]), dt.date.fromisoformat(groups[1]))
        year = int(groups[0])
        if kind is PeriodKind.CROP_SEASON:
            period = _season(year, int(groups[1]), groups[2], text)
        elif kind is PeriodKind.WEEK:
            period = Period.week(year, int(groups[1]))
        elif kind is PeriodKind.MONTH:
            period = Period.month(year, int(groups[1]))
        elif kind is PeriodKind.QUARTER:
            period = Period.quarter(year, int(groups[1]))
        elif kind is PeriodKind.HALF_YEAR:
            period = Period.half_year(year, int(groups[1]))
        else:
            period = Period.year(year)
    except PeriodError as e:
        raise PeriodError(text, e.reason) from None
    except ValueError as e:  # a date that does not exist
        raise PeriodError(text, str(e)) from None
    return period


def _season(year: int, second_year: int, month_text: str | None, text: str) -> Period:
    if second_year != year + 1:
        raise PeriodError(text, "a crop season runs from one year into the next")
    if month_text is None:
        return Period.crop_season(year)
    month = int(month_text)
    if month == DEFAULT_SEASON_START_MONTH:
        raise PeriodError(text, f"write the default season as {year}/{year + 1}")
    return Period.crop_season(year, month)


def _validate_period(value: object) -> Period:
    if isinstance(value, Period):
        return value
    if isinstance(value, str):
        return Period.parse(value)
    raise PeriodError(repr(value)[:80], "a period is written as a string like '2017Q3'")
