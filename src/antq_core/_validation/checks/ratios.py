"""A reported rate against the rate its numerator and denominator give.

A metric of kind ratio (``mediation_success_rate``) names its numerator and
denominator metrics and a factor (100 for a percentage). Where a rate is
reported for a subject, period and disaggregation at which its numerator and
its denominator are each reported exactly once, as exact figures, the rate
is recomputed, factor × numerator ÷ denominator, and compared with the rate
reported.

Only rows of ratio metrics and their parts are looked at one by one: they are
picked from the bytes of the metric column in C (:meth:`bytes.translate` and
:func:`re.finditer`), keyed by one packed integer per (metric, subject,
period, disaggregation) with :func:`~antq_core._dataset.keys.key_codes`, and matched
through a dictionary; rates that plainly agree with their parts are decided
with integers. A dataset without a reported rate whose parts are reported
costs nothing but a look at its metric table.
"""

from __future__ import annotations

import decimal
from collections import Counter
from decimal import Decimal
from itertools import compress
from operator import and_
from typing import Any, Final

from antq_core._aggregate.counts import Tolerance
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.keys import key_codes, rows_with, take
from antq_core._dataset.store import ObservationColumns
from antq_core._entities import MetricDefinition, MetricKind
from antq_core._validation.checks.context import Context
from antq_core._validation.issues import Issue, IssueCode, Severity, declare, issue
from antq_core._values.quantity import Number, Qualifier, Unit
from antq_core.errors import Location

__all__ = ["CODES", "RATIO_TOLERANCE", "check", "ratio_issues"]

CODES: Final = declare(
    IssueCode(
        "ratio-mismatch",
        Severity.WARNING,
        "Tỷ lệ {metric} của {subject} ({period}{slice}) được báo cáo là {reported} {unit}, "
        "nhưng tính lại từ {numerator} = {numerator_value} {numerator_unit} và {denominator} = "
        "{denominator_value} {denominator_unit} thì được {recomputed} {unit} (chênh lệch "
        "{difference}, cho phép {allowed}; dòng {rows}).",
        "Rate {metric} of {subject} ({period}{slice}) is reported as {reported} {unit}, but "
        "{numerator} = {numerator_value} {numerator_unit} and {denominator} = "
        "{denominator_value} {denominator_unit} give {recomputed} {unit} (difference "
        "{difference}, allowed {allowed}; rows {rows}).",
    ),
    IssueCode(
        "ratio-zero-denominator",
        Severity.WARNING,
        "Tỷ lệ {metric} của {subject} ({period}{slice}) được báo cáo là {reported} {unit}, "
        "nhưng mẫu số {denominator} bằng 0: không có tỷ lệ nào để báo cáo (dòng {rows}).",
        "Rate {metric} of {subject} ({period}{slice}) is reported as {reported} {unit}, but "
        "its denominator {denominator} is 0: there is no rate to report (rows {rows}).",
    ),
)
"""The codes this check emits."""

RATIO_TOLERANCE: Final = Tolerance(relative=Decimal("0.01"))
"""How far a reported rate may be from the recomputed one, besides its own rounding.

1% of the reported rate. The rounding of the figure as written is always
allowed on top of it (see :func:`ratio_issues`): a percentage written as a
whole number may be half a percentage point off.
"""

_HALF: Final = Decimal("0.5")
# Values have at most 30 digits before the decimal mark and 90 in all (antq_core._values.quantity):
# products and quotients of three of them stay exact, or exact enough to compare, at this
# precision.
_CONTEXT: Final = decimal.Context(prec=300)
_EXTRA_PLACES: Final = 2  # a recomputed rate is shown with two more decimals than reported


def _half_unit(value: Number) -> Decimal:
    """Half a unit of the last digit ``value`` is written with (an int's is 0.5)."""
    if isinstance(value, int):
        return _HALF
    exponent = value.as_tuple().exponent
    return _HALF.scaleb(exponent) if isinstance(exponent, int) else _HALF


def _places(value: Decimal) -> int:
    """How many decimals ``value`` is written with (0 for a whole number)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _plain(value: Decimal) -> Number:
    """``value`` as details carry numbers: an int when whole, else without trailing zeros."""
    if value == value.to_integral_value():
        return int(value)
    return value.normalize(_CONTEXT)


def _shown(value: Decimal, places: int) -> Number:
    """``value`` rounded to ``places`` decimals, as :func:`_plain` writes it."""
    return _plain(_CONTEXT.quantize(value, Decimal(1).scaleb(-places)))


def _plans(dataset: Dataset, cols: ObservationColumns) -> dict[int, tuple[int, int]]:
    """Each reported ratio metric whose parts are reported: its code, and theirs."""
    code_of = {metric: i for i, metric in enumerate(cols.metrics)}
    plans: dict[int, tuple[int, int]] = {}
    for code, metric_id in enumerate(cols.metrics):
        metric = dataset.metrics.get(metric_id)
        if metric is None or metric.kind is not MetricKind.RATIO:
            continue
        numerator, denominator = metric.numerator, metric.denominator
        if numerator not in dataset.metrics or denominator not in dataset.metrics:
            continue  # reported as reference-unresolved
        if numerator in code_of and denominator in code_of:
            plans[code] = (code_of[numerator], code_of[denominator])
    return plans


def check(context: Context) -> list[Issue]:
    """Reported rates against their parts (:func:`ratio_issues`), with the caller's tolerance."""
    return ratio_issues(context.dataset, context.cols, context.options.ratio_tolerance)


def ratio_issues(
    dataset: Dataset,
    cols: ObservationColumns | None = None,
    tolerance: Tolerance = RATIO_TOLERANCE,
) -> list[Issue]:
    """Reported rates that disagree with their recomputed numerator and denominator.

    A rate is compared when it is exact and its numerator and denominator
    are each reported once, exactly, for the same subject, period and
    disaggregation, in units of their metrics' dimensions. Parts are
    converted to the base unit of their dimension (1.2 ha is 12,000 m²);
    the reported rate to its metric's unit. The difference allowed is the
    larger of half a unit of the reported rate's last digit (0.5 for
    ``50``, 0.05 for ``49.8``) and ``tolerance`` of the reported rate.

    Returns ``ratio-mismatch`` warnings for rates outside that, and a
    ``ratio-zero-denominator`` warning for a rate whose denominator is 0.
    """
    cols = dataset.observations.columns() if cols is None else cols
    plans = _plans(dataset, cols)
    if not plans:
        return []
    size = len(cols.metrics)
    numerator_of, denominator_of = [0] * size, [0] * size
    for code, (numerator, denominator) in plans.items():
        numerator_of[code], denominator_of[code] = numerator, denominator
    metric, qualifier = cols.metric, cols.qualifier
    exact = cols.qualifiers.index(Qualifier.EXACT)
    ratio_rows = rows_with(metric, set(plans), size)
    ratio_rows = list(
        compress(ratio_rows, map(exact.__eq__, map(qualifier.__getitem__, ratio_rows)))
    )
    if not ratio_rows:
        return []
    part_rows = rows_with(metric, {c for pair in plans.values() for c in pair}, size)
    # One key per (metric, subject, period, disaggregation): for each part row, and for each
    # rate row as its numerator and as its denominator would be keyed. One call of key_codes
    # for all, so that equal tuples get equal keys.
    ratio_metrics = take(metric, ratio_rows)
    metric_codes = take(metric, part_rows)
    metric_codes.extend(map(numerator_of.__getitem__, ratio_metrics))
    metric_codes.extend(map(denominator_of.__getitem__, ratio_metrics))

    def gathered(column: memoryview) -> memoryview:
        values, tail = take(column, part_rows), take(column, ratio_rows)
        values.extend(tail)
        values.extend(tail)
        return memoryview(values)

    keys = key_codes(
        (memoryview(metric_codes), size),
        (gathered(cols.subject), len(cols.subjects)),
        (gathered(cols.period), len(cols.periods)),
        (gathered(cols.disaggregation), len(cols.disaggregations)),
    )
    n_parts, n_rates = len(part_rows), len(ratio_rows)
    part_keys = keys[:n_parts]
    numerator_keys = keys[n_parts : n_parts + n_rates]
    denominator_keys = keys[n_parts + n_rates :]
    times = Counter(part_keys)
    row_of = dict(zip(part_keys, part_rows, strict=True))
    both = map(
        and_,
        map(row_of.__contains__, numerator_keys),
        map(row_of.__contains__, denominator_keys),
    )
    # Parts reported twice are duplicate-observation or conflicting-observations: not here.
    triples = [
        (ratio_rows[j], row_of[top], row_of[bottom])
        for j in compress(range(n_rates), both)
        if times[top := numerator_keys[j]] == 1 and times[bottom := denominator_keys[j]] == 1
    ]
    if not triples:
        return []
    check = _Compare(dataset, cols, tolerance)
    return [issue for issue in map(check, *zip(*triples, strict=True)) if issue is not None]


class _Compare:
    """Compares one rate row with its numerator and denominator rows."""

    def __init__(self, dataset: Dataset, cols: ObservationColumns, tolerance: Tolerance) -> None:
        self.cols = cols
        self.tolerance = tolerance
        self.exact = cols.qualifiers.index(Qualifier.EXACT)
        self.definitions: list[MetricDefinition | None] = [
            dataset.metrics.get(m) for m in cols.metrics
        ]
        unit_code = {unit.code: i for i, unit in enumerate(cols.units)}
        # For the integer path: each metric's own unit (its code in cols.units, or -1), and
        # for a ratio whose parts' units have one factor, its factor (else 0).
        self.own_unit = [
            -1 if d is None else unit_code.get(d.unit.code, -1) for d in self.definitions
        ]
        self.plain_factor = [0] * len(self.definitions)
        for code, d in enumerate(self.definitions):
            if d is None or d.kind is not MetricKind.RATIO:
                continue
            top, bottom = (
                dataset.metrics.get(d.numerator or ""),
                dataset.metrics.get(d.denominator or ""),
            )
            if top is not None and bottom is not None and top.unit.factor == bottom.unit.factor:
                self.plain_factor[code] = d.factor

    def _plainly_agrees(self, rate_row: int, top_row: int, bottom_row: int) -> bool:
        """Whether the rows agree within the rate's rounding, decided with integers.

        Only for the usual case: three 64-bit integer values, each in its
        metric's own unit, exact parts whose units have one factor. Then the
        rate ``r`` is within half a unit of ``factor × a ÷ b`` exactly when
        ``2 |r b - factor a| <= b``. Anything else is left to :meth:`__call__`.
        """
        cols = self.cols
        stored, unit, metric, qualifier = cols.exact, cols.unit, cols.metric, cols.qualifier
        own = self.own_unit
        factor = self.plain_factor[metric[rate_row]]
        if (
            not factor
            or rate_row in stored
            or top_row in stored
            or bottom_row in stored
            or qualifier[top_row] != self.exact
            or qualifier[bottom_row] != self.exact
            or unit[rate_row] != own[metric[rate_row]]
            or unit[top_row] != own[metric[top_row]]
            or unit[bottom_row] != own[metric[bottom_row]]
        ):
            return False
        value = cols.value
        rate, top, bottom = value[rate_row], value[top_row], value[bottom_row]
        return bottom > 0 and 2 * abs(rate * bottom - factor * top) <= bottom

    def _figure(self, row: int) -> tuple[Number, Unit] | None:
        """A row's value and unit, if it is an exact finite figure of its metric's dimension."""
        cols = self.cols
        definition = self.definitions[cols.metric[row]]
        unit = cols.units[cols.unit[row]]
        if cols.qualifier[row] != self.exact or definition is None:
            return None
        if not unit.compatible(definition.unit):
            return None  # reported as unit-incompatible
        raw = cols.exact.get(row)
        value = cols.value[row] if raw is None else raw
        if isinstance(value, Decimal) and not value.is_finite():
            return None  # reported as value-invalid
        return value, unit

    def __call__(self, rate_row: int, top_row: int, bottom_row: int) -> Issue | None:
        if self._plainly_agrees(rate_row, top_row, bottom_row):
            return None
        cols = self.cols
        rate, numerator, denominator = map(self._figure, (rate_row, top_row, bottom_row))
        definition = self.definitions[cols.metric[rate_row]]
        if rate is None or numerator is None or denominator is None or definition is None:
            return None
        ctx = _CONTEXT
        to_metric = ctx.divide(rate[1].factor, definition.unit.factor)
        reported = ctx.multiply(Decimal(rate[0]), to_metric)
        top = ctx.multiply(Decimal(numerator[0]), numerator[1].factor)
        bottom = ctx.multiply(Decimal(denominator[0]), denominator[1].factor)
        where = Location.observation(rate_row, "value")
        rows = (rate_row, top_row, bottom_row)
        if not bottom:
            return issue(
                "ratio-zero-denominator", where, **self._facts(definition, rows, reported)
            )
        recomputed = ctx.divide(ctx.multiply(definition.factor, top), bottom)
        rounding = ctx.multiply(_half_unit(rate[0]), to_metric)
        allowed = max(rounding, Decimal(self.tolerance.allowed(reported)))
        difference = abs(ctx.subtract(reported, recomputed))
        if difference <= allowed:
            return None
        places = _places(reported) + _EXTRA_PLACES
        return issue(
            "ratio-mismatch",
            where,
            **self._facts(definition, rows, reported),
            recomputed=_shown(recomputed, places),
            difference=_shown(difference, places),
            allowed=_shown(allowed, places),
            numerator_value=numerator[0],
            numerator_unit_vi=numerator[1].name_vi,
            numerator_unit_en=numerator[1].plural_en,
            denominator_value=denominator[0],
            denominator_unit_vi=denominator[1].name_vi,
            denominator_unit_en=denominator[1].plural_en,
        )

    def _facts(
        self, definition: MetricDefinition, rows: tuple[int, int, int], reported: Decimal
    ) -> dict[str, Any]:
        """What both issues say: the rate, where it is reported, and the rows involved."""
        cols, rate_row = self.cols, rows[0]
        slice_ = cols.disaggregations[cols.disaggregation[rate_row]]
        return {
            "metric": definition.id,
            "subject": str(cols.subjects[cols.subject[rate_row]]),
            "period": str(cols.periods[cols.period[rate_row]]),
            "slice": "".join(f"; {k}={v}" for k, v in slice_.items()),
            "reported": _plain(reported),
            "unit_vi": definition.unit.name_vi,
            "unit_en": definition.unit.plural_en,
            "numerator": definition.numerator,
            "denominator": definition.denominator,
            "rows": tuple(map(str, rows)),
        }
