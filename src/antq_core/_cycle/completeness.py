"""Completeness and timeliness of reports: who was due to report, who did, who was on time."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, Final, Literal

import attrs

from antq_core._dataset.dataset import Dataset
from antq_core._dataset.forms import assigned_units
from antq_core._entities import ReportingForm
from antq_core._values.geo import AdminLevel, AdminUnit
from antq_core._values.groups import UnitGroupSet
from antq_core._values.period import Period
from antq_core._values.refs import EMPTY_DISAGGREGATION, SubjectKind, SubjectRef
from antq_core.errors import InvalidValueError, web_result

__all__ = [
    "COMPLETENESS_JSON_SCHEMA",
    "CompletenessReport",
    "FormReports",
    "ReportStatus",
    "ReportingRate",
    "UnitCompleteness",
    "completeness",
    "form_of",
    "reporting_periods",
]


def _periods(value: Iterable[Period]) -> tuple[Period, ...]:
    return tuple(value)


def _rate(rate: Fraction | None) -> float | None:
    return None if rate is None else float(rate)


@attrs.frozen
class UnitCompleteness:
    """The reports of one unit (or of the units under it, at a coarser level).

    Attributes:
        code: The unit's code.
        name: Its name, with its kind word (``"xã Bản Giang"``).
        expected: Reports due: units that must report times periods.
        actual: Reports given (each compulsory figure of the form stored).
        on_time: Reports given by the due date (the form's ``timely_days``).
        missing: For a reporting unit, the periods it has not reported.
        late: For a reporting unit, the periods it reported after the due date.
        unknown_time: Reports given whose time is not recorded (loaded, not applied).
    """

    code: str
    name: str
    expected: int
    actual: int
    on_time: int
    missing: tuple[Period, ...] = attrs.field(default=(), converter=_periods)
    late: tuple[Period, ...] = attrs.field(default=(), converter=_periods)
    unknown_time: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: counts, rates as numbers (``null`` when nothing is expected)."""
        return {
            "code": self.code,
            "name": self.name,
            "expected": self.expected,
            "actual": self.actual,
            "on_time": self.on_time,
            "rate": _rate(self.rate),
            "timely_rate": _rate(self.timely_rate),
            "missing": [str(p) for p in self.missing],
            "late": [str(p) for p in self.late],
            "unknown_time": self.unknown_time,
        }

    @property
    def rate(self) -> Fraction | None:
        """The reporting rate, actual / expected (``None`` when nothing is expected)."""
        return Fraction(self.actual, self.expected) if self.expected else None

    @property
    def timely_rate(self) -> Fraction | None:
        """The timeliness rate, on time / expected (``None`` when nothing is expected)."""
        return Fraction(self.on_time, self.expected) if self.expected else None


def _percent(rate: Fraction | None) -> str:
    if rate is None:
        return "-"
    tenths = round(rate * 1000)  # shown to a tenth of a percent; the rate itself is exact
    return f"{tenths // 10},{tenths % 10}%"


@web_result(lambda: COMPLETENESS_JSON_SCHEMA)
@attrs.frozen
class CompletenessReport:
    """Tình hình báo cáo: completeness and timeliness of one form for one period.

    Attributes:
        form: The form's id.
        period: The period asked about (a month, or a year of monthly reports...).
        periods: The reporting periods in it (the form's kind).
        units: One row per reporting unit, or per unit of the level asked for.
        expected: Reports due in all.
        actual: Reports given.
        on_time: Reports given by their due date.
        silent: The reporting units that gave no report at all in the period,
            as ``(code, name)``, in gazetteer order.
    """

    form: str
    period: Period
    periods: tuple[Period, ...]
    units: tuple[UnitCompleteness, ...]
    expected: int
    actual: int
    on_time: int
    silent: tuple[tuple[str, str], ...]

    @property
    def rate(self) -> Fraction | None:
        """The reporting rate, actual / expected."""
        return Fraction(self.actual, self.expected) if self.expected else None

    @property
    def timely_rate(self) -> Fraction | None:
        """The timeliness rate, on time / expected."""
        return Fraction(self.on_time, self.expected) if self.expected else None

    @property
    def not_reported(self) -> tuple[UnitCompleteness, ...]:
        """The rows with a report missing, each naming its unit and the periods."""
        return tuple(u for u in self.units if u.actual < u.expected)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data.

        :data:`antq_core.io.web.COMPLETENESS_JSON_SCHEMA` describes it.

        Rates are actual (or on time) over expected as JSON numbers, ``null``
        when nothing is expected; the counts they come from are beside them.
        """
        return {
            "form": self.form,
            "period": str(self.period),
            "periods": [str(p) for p in self.periods],
            "expected": self.expected,
            "actual": self.actual,
            "on_time": self.on_time,
            "rate": _rate(self.rate),
            "timely_rate": _rate(self.timely_rate),
            "units": [u.to_dict() for u in self.units],
            "silent": [{"code": code, "name": name} for code, name in self.silent],
        }

    def describe(self, lang: Literal["vi", "en"] = "vi") -> str:
        """A table for people: each unit's counts and rates, then who has not reported."""
        if lang == "vi":
            head = (
                f"Biểu mẫu {self.form}, kỳ {self.period}: {self.actual}/{self.expected} báo cáo "
                f"({_percent(self.rate)}), đúng hạn {self.on_time} ({_percent(self.timely_rate)})"
            )
            columns = ("Đơn vị", "Phải nộp", "Đã nộp", "Đúng hạn", "Tỷ lệ", "Đúng hạn %")
        else:
            head = (
                f"Form {self.form}, period {self.period}: {self.actual}/{self.expected} reports "
                f"({_percent(self.rate).replace(',', '.')}), on time {self.on_time} "
                f"({_percent(self.timely_rate).replace(',', '.')})"
            )
            columns = ("Unit", "Expected", "Actual", "On time", "Rate", "Timely")
        width = max([len(columns[0]), *(len(f"{u.code} {u.name}") for u in self.units)])
        lines = [head, "", f"{columns[0]:<{width}}  " + "  ".join(f"{c:>9}" for c in columns[1:])]
        for u in self.units:
            rate, timely = _percent(u.rate), _percent(u.timely_rate)
            if lang == "en":
                rate, timely = rate.replace(",", "."), timely.replace(",", ".")
            cells = (u.expected, u.actual, u.on_time, rate, timely)
            lines.append(
                f"{u.code + ' ' + u.name:<{width}}  " + "  ".join(f"{c:>9}" for c in cells)
            )
        missing = self.not_reported
        if missing:
            lines.append("")
            lines.append("Chưa báo cáo:" if lang == "vi" else "Not reported:")
            for u in missing:
                periods = ", ".join(str(p) for p in u.missing)
                lines.append(f"- {u.code} {u.name}" + (f": {periods}" if periods else ""))
        return "\n".join(lines)


@attrs.frozen
class ReportingRate:
    """The reports on one form of the reporting units under an aggregate row's unit.

    What :func:`~antq_core.aggregate` gives each row with ``reporting=``: the
    units the form assigns that lie at or under the row's unit (in its
    group, for a ``group:<set>`` row; all of them, when the row has no
    place), each owing one report per period of the form's kind in the
    row's period. Counted as :func:`~antq_core.completeness` counts.

    Attributes:
        form: The form's id.
        units: How many reporting units lie under the row's unit.
        expected: Reports due: those units times the form's periods in the row's period.
        actual: Reports given (each compulsory figure of the form stored).
        on_time: Reports given by the due date.
        unknown_time: Reports given whose time is not recorded (loaded, not applied).
    """

    form: str
    units: int
    expected: int
    actual: int
    on_time: int
    unknown_time: int = 0

    @property
    def rate(self) -> Fraction | None:
        """The reporting rate, actual / expected, exactly (``None`` when nothing is expected)."""
        return Fraction(self.actual, self.expected) if self.expected else None

    @property
    def timely_rate(self) -> Fraction | None:
        """The timeliness rate, on time / expected, exactly (``None`` when nothing is expected)."""
        return Fraction(self.on_time, self.expected) if self.expected else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: the counts, and the rates as numbers (``null``: nothing expected)."""
        return {
            "form": self.form,
            "units": self.units,
            "expected": self.expected,
            "actual": self.actual,
            "on_time": self.on_time,
            "unknown_time": self.unknown_time,
            "rate": _rate(self.rate),
            "timely_rate": _rate(self.timely_rate),
        }


class ReportStatus(enum.Enum):
    """One unit's report for one period of a form."""

    MISSING = "missing"
    ON_TIME = "on_time"
    LATE = "late"
    UNKNOWN_TIME = "unknown_time"


class FormReports:
    """Whether each unit reported on a form for a period, and when: the one place it is decided.

    A report is given when every compulsory metric of the form has its total
    stored for the unit and period (any of the form's metrics, when none is
    compulsory); on time when the last of those figures (the first, when
    none is compulsory) was first stored by :meth:`ReportingForm.due`.
    """

    def __init__(self, dataset: Dataset, form: ReportingForm) -> None:
        self.form = form
        self._store = dataset.observations
        self._needed = form.compulsory or tuple(m.metric for m in form.metrics)
        self._every = bool(form.compulsory)

    def status(self, code: str, period: Period) -> ReportStatus:
        """The report of unit ``code`` for ``period`` (one of the form's kind)."""
        store = self._store
        find = store.finder(SubjectRef(SubjectKind.UNIT, code), period)
        slots = [find(m, EMPTY_DISAGGREGATION) for m in self._needed]
        given = [s for s in slots if s is not None]
        if not given or (self._every and len(given) < len(slots)):
            return ReportStatus.MISSING
        times = [store.stored_audit(s) for s in given]
        created = [a.created for a in times if a is not None and a.created is not None]
        if len(created) < len(given):
            return ReportStatus.UNKNOWN_TIME
        when = max(created) if self._every else min(created)
        return ReportStatus.ON_TIME if when.date() <= self.form.due(period) else ReportStatus.LATE

    def rate(self, codes: Iterable[str], periods: Iterable[Period]) -> ReportingRate:
        """The reports of the units ``codes`` over ``periods``, counted."""
        codes = tuple(codes)
        periods = tuple(periods)
        counts = dict.fromkeys(ReportStatus, 0)
        for code in codes:
            for p in periods:
                counts[self.status(code, p)] += 1
        given = len(codes) * len(periods) - counts[ReportStatus.MISSING]
        return ReportingRate(
            form=self.form.id,
            units=len(codes),
            expected=len(codes) * len(periods),
            actual=given,
            on_time=counts[ReportStatus.ON_TIME],
            unknown_time=counts[ReportStatus.UNKNOWN_TIME],
        )


def form_of(dataset: Dataset, form: str | ReportingForm) -> ReportingForm:
    """The form itself, given it or its id.

    Raises:
        InvalidValueError: The dataset has no form with that id.
    """
    if isinstance(form, ReportingForm):
        return form
    found = dataset.forms.get(form)
    if found is None:
        raise InvalidValueError("form", form, "the dataset has no such reporting form")
    return found


def reporting_periods(form: ReportingForm, period: Period) -> tuple[Period, ...]:
    """The periods of the form's kind that ``period`` holds (itself, when of that kind)."""
    kind = form.period_kind
    return (period,) if period.kind is kind else tuple(period.sub_periods(kind))


def _label(unit: AdminUnit) -> str:
    return f"{unit.kind_vi} {unit.name}" if unit.kind_vi else unit.name


def completeness(
    dataset: Dataset,
    *,
    form: str | ReportingForm,
    period: Period | str,
    parent: str | None = None,
    level: AdminLevel | str | None = None,
    group_sets: Mapping[str, UnitGroupSet] | None = None,
) -> CompletenessReport:
    """Which units reported on ``form`` for ``period``, which on time, which not at all.

    The units expected are those the form assigns (a level, a list or a
    group), under ``parent`` if given; for each reporting period of the
    form's kind in ``period`` (the 12 months of ``"2025"`` for a monthly
    form) each owes one report. A report is *given* when every compulsory
    metric of the form has its total stored for the unit and period (any
    of the form's metrics, when none is compulsory); it is *on time* when
    the last of those figures was first stored (:meth:`ObservationStore.audit
    <antq_core.ObservationStore.audit>`) by the due date,
    :meth:`ReportingForm.due`. A figure loaded without such a record counts
    as given, its time unknown, not on time.

    With ``level``, each row sums the reporting units under one unit of that
    level (a district's communes); without, each row is a reporting unit.
    Looks up a few figures per unit and period; it does not scan the dataset.

    Args:
        dataset: The dataset with the form and the figures.
        form: The form or its id.
        period: The period: one of the form's kind, or a longer one holding several.
        parent: Only the units under this unit's code.
        level: Sum the rows at this level.
        group_sets: Where a form's unit group is looked up (the bundled ones by default).

    Raises:
        InvalidValueError: The form is not in the dataset, ``period`` holds no
            period of the form's kind, or ``parent``/``level`` is unknown.
    """
    form = form_of(dataset, form)
    wanted = period if isinstance(period, Period) else Period.parse(period)
    kind = form.period_kind
    periods = reporting_periods(form, wanted)
    if not periods:
        reason = f"it holds no {kind.value} of form {form.id}"
        raise InvalidValueError("period", str(wanted), reason)
    gazetteer = dataset.gazetteer
    if parent is not None and parent not in gazetteer:
        raise InvalidValueError("parent", parent, "no such unit in the gazetteer")
    units = [
        u
        for u in assigned_units(form, gazetteer, group_sets=group_sets)
        if parent is None or gazetteer.is_within(u.code, parent)
    ]
    reports = FormReports(dataset, form)
    rows: list[UnitCompleteness] = []
    silent: list[tuple[str, str]] = []
    for unit in units:
        actual = on_time = unknown = 0
        missing: list[Period] = []
        late: list[Period] = []
        for p in periods:
            status = reports.status(unit.code, p)
            if status is ReportStatus.MISSING:
                missing.append(p)
                continue
            actual += 1
            if status is ReportStatus.UNKNOWN_TIME:
                unknown += 1
            elif status is ReportStatus.ON_TIME:
                on_time += 1
            else:
                late.append(p)
        rows.append(
            UnitCompleteness(
                unit.code, _label(unit), len(periods), actual, on_time, missing, late, unknown
            )
        )
        if actual == 0:
            silent.append((unit.code, _label(unit)))
    if level is not None:
        rows = _rolled_up(dataset, rows, AdminLevel(level))
    return CompletenessReport(
        form=form.id,
        period=wanted,
        periods=periods,
        units=tuple(rows),
        expected=sum(r.expected for r in rows),
        actual=sum(r.actual for r in rows),
        on_time=sum(r.on_time for r in rows),
        silent=tuple(silent),
    )


def _rolled_up(
    dataset: Dataset, rows: list[UnitCompleteness], level: AdminLevel
) -> list[UnitCompleteness]:
    """The rows summed under each unit of ``level`` (in the order first met)."""
    gazetteer = dataset.gazetteer
    sums: dict[str, list[int]] = {}
    for row in rows:
        above = gazetteer.ancestor_at(row.code, level)
        code = above.code if above is not None else row.code
        total = sums.setdefault(code, [0, 0, 0, 0])
        total[0] += row.expected
        total[1] += row.actual
        total[2] += row.on_time
        total[3] += row.unknown_time
    return [
        UnitCompleteness(code, _label(gazetteer.unit(code)), e, a, o, unknown_time=u)
        for code, (e, a, o, u) in sums.items()
    ]


_COUNT: Final = {"type": "integer", "minimum": 0}
_RATE: Final = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_PERIODS: Final = {"type": "array", "items": {"type": "string"}}
_COUNTS: Final = {
    "expected": _COUNT,
    "actual": _COUNT,
    "on_time": _COUNT,
    "rate": _RATE,
    "timely_rate": _RATE,
}

COMPLETENESS_JSON_SCHEMA: Final[dict[str, Any]] = {
    "title": "CompletenessReport",
    "description": (
        "Completeness and timeliness of one reporting form for one period: reports expected, "
        "given and given on time, per unit, and the units that gave none."
    ),
    "type": "object",
    "properties": {
        "form": {"type": "string"},
        "period": {"type": "string", "description": "The period asked about."},
        "periods": _PERIODS,
        **_COUNTS,
        "units": {
            "type": "array",
            "items": {
                "title": "UnitCompleteness",
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    **_COUNTS,
                    "missing": _PERIODS,
                    "late": _PERIODS,
                    "unknown_time": _COUNT,
                },
                "required": [
                    "code",
                    "name",
                    *_COUNTS,
                    "missing",
                    "late",
                    "unknown_time",
                ],
                "additionalProperties": False,
            },
        },
        "silent": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                "required": ["code", "name"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["form", "period", "periods", *_COUNTS, "units", "silent"],
    "additionalProperties": False,
}
