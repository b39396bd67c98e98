"""What an aggregate means: the one statement of the rules every engine follows.

``docs/aggregation.md`` is the user's guide to the same rules, with examples.
The planning step (:mod:`._plan`) and the finishing step (:mod:`._finish`)
implement the parts that do not depend on the engine; an engine
(:mod:`._engine`) only scans observation rows into the cells described there.

Groups
    A row of the result is one metric for one *group*: a value for each name
    in ``by``. Administrative levels give the unit code at that level; period
    kinds give the :class:`~antq_core.Period` of that kind; ``"period"`` the
    observation's own period; ``"initiative"``, ``"theme"`` and
    ``"organization_kind"`` an id; ``"group:<set>"`` the id of the unit group
    of that set containing the anchor; ``"category:<id>"`` (or a bare
    category id that names nothing else) the option id. A bare name that is
    both a built-in name and a category is refused
    (:class:`~antq_core.errors.AmbiguousGroupingError`); ``"dimension:<name>"``
    names the built-in meaning.

Places (space)
    Every observation's subject is *anchored* at one administrative unit:

    - a unit at itself;
    - a site at the lowest unit containing every unit it covers
      (:meth:`Dataset.site_anchor <antq_core.Dataset.site_anchor>`), so a
      cluster site counts once, never once per commune;
    - an initiative at its ``scope`` unit, or, without one, at the lowest unit
      containing every unit of its sites;
    - an organization at its ``admin_unit``;
    - a participant at their ``admin_unit``, else their organization's unit,
      else their initiative's anchor.

    Grouped by an administrative level, the observation goes to the unit of
    that level above (or at) its anchor. An anchor *above* that level (the
    cluster site at district Tam Đường, grouped by commune) cannot be placed
    in one unit: the observation is reported as *unplaceable* with the reason,
    never split and never counted once per unit. Grouped by initiative or
    theme, a site belongs to its initiative, an organization or participant to
    theirs (if any), an initiative to itself; a figure of a unit belongs to no
    initiative and is unplaceable there. Only organizations (and participants
    of one) have an organization kind.

Periods (time)
    Grouped by a period kind, an observation goes to the period of that kind
    that contains its own period. A period that does not fit in one (a "since
    2016" range grouped by year, a crop season grouped by calendar year) is
    unplaceable, never split or guessed. Grouped by ``"period"``, each own
    period is its own group. Not grouped by time, every period of the
    selection falls into one group.

Filters
    ``periods``: only observations whose period lies within it; one that
    crosses its edge is unplaceable. ``within``: only observations anchored at
    or under one of these units; one anchored above a filter unit (a cluster
    site containing the filter commune) is unplaceable. ``initiatives``: only
    observations that belong to one of these initiatives. Filtered-out
    observations are simply not part of the question.

Disaggregation
    An observation with an empty disaggregation is a *total*; one with a
    disaggregation is a *part*. A *figure* is one metric, subject, slice (the
    options of the categories in ``by``) and period (for metrics not summed
    over time, the group's period). An observation broken down by exactly
    the categories in ``by`` is used. Parts broken down by those and more are
    used, projected onto the slice, only for a figure that has no such
    observation, when they make it up whole (every option of each extra
    category present, or the category ``exhaustive``; the coarsest complete
    breakdown, then the first by ids) and the metric adds up over space.
    Every other part is *excluded* with its reason, as is an observation not
    broken down by a category in ``by``. Totals and parts are never added
    together (a total of 29 and parts of 7 + 11 + 10 are the same people
    counted twice).

Accounted for
    Every observation of the requested metrics (a ratio's parts) that passes
    the filters counts in one row's ``observations``, or is listed once in
    ``unplaceable`` or ``excluded`` (with an
    :class:`~antq_core.ExclusionReason`): non-chosen values of ``last`` and
    ``first`` series are ``superseded``, ``last_in_period`` series not
    reported at the group's end ``not_at_period_end``.

Over space
    Figures of one metric and slice in one group, one of which encloses the
    other (a unit's and one anchored under it or a site or initiative
    anchored at it; a site's or initiative's and a unit's under its anchor;
    an initiative's and its own sites') for overlapping periods (for
    ``last``/``first``, the same group period) are never added: the call
    raises :class:`~antq_core.errors.SpaceOverlapError`, or, with
    ``space_overlap="prefer_reported"``, the enclosed figures are excluded
    (``covered_by_reported``) and the row's ``source`` is ``reported``.
    Minimum, maximum and distinct counts never add figures and are exempt.

Each metric's two aggregation types (``time_aggregation``,
``space_aggregation``), with DHIS2's meanings. A *series* is the
observations of one subject and one disaggregation in one group's period.
First each series is combined over time, then the series of a group are
combined over space:

=========================  ==============================  =======================
type                       over time (per series)          over space (series)
=========================  ==============================  =======================
``sum``                    sum                             sum
``average``                mean of the values              mean of the series
``average_sum_org_unit``   mean of the values              sum
``last``                   value of the latest period      sum
``last_average_org_unit``  value of the latest period      mean
``last_in_period``         latest value, only if its       sum
                           period ends with the group's
``first``                  value of the earliest period    sum
``min`` / ``max``          smallest / largest value        smallest / largest
``count``                  number of values                number of series
``none``                   the value if there is only one  the value if only one
                                                           series has one
``distinct``               distinct participants           distinct participants
=========================  ==============================  =======================

"Latest" is the period that ends last (then starts last); "earliest" the one
that starts first (then ends first). ``distinct`` on either axis makes the
metric a count of distinct people: its observations must be about
participants (``participant:ID``, each one saying the person was counted in
the period), and a group's value is how many different participants it holds,
each person once however many periods or places. A ``distinct`` metric's
observation about anything else is unplaceable.

Ratios (``MetricKind.RATIO``) are computed in each group after aggregation:
``factor × numerator / denominator`` from the aggregated parts, never an
average of lower-level ratios. A group missing either part, or whose
denominator is zero, has no value.

Values
    Qualifiers combine as :meth:`Qualifier.combine <antq_core.Qualifier.combine>`
    over every value used (sums, means, min and max alike); ``last``,
    ``first`` and ``none`` keep the chosen value's qualifier; counts are
    exact. A ratio takes its numerator's qualifier combined with its
    denominator's reversed (dividing by a lower bound gives an upper bound).
    Values are converted into the metric's unit before they combine (m² and
    ha); a unit of another dimension raises
    :class:`~antq_core.errors.IncompatibleUnitsError`. Counts (``count``) are in
    the unit ``value``. A mean or ratio that cannot be written exactly (or a
    mean of whole things that is not whole) is rounded, to 4 decimal places
    or to a whole number, and marked ``approximately``.

Missing is not zero
    A group with no observation has no row. Each row says how many
    observations contributed and how many *expected units* reported nothing.
    The expected units of a row are the units directly under its group's unit
    (the deepest administrative level in ``by``; without one, directly under
    each ``within`` unit, or the provinces), kept to those inside ``within``.
    A unit *reported* in a row's period if the dataset holds an observation,
    of any metric, anchored at or under it whose period falls in that group's
    period (reporting is counted per dataset and period, as DHIS2 counts
    reporting rates per data set, not per figure).

Overlaps
    Observations of one metric, subject and disaggregation whose different
    periods overlap and fall in the same group (a year and one of its
    quarters; two "since the start" ranges) would count events twice: for a
    metric summed over time the call raises
    :class:`~antq_core.errors.OverlappingPeriodsError` listing them. Two
    observations of the very same series and period (duplicates) raise the
    same error when they would be summed, or when ``last``/``first`` would
    have to choose between different values.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal
from typing import Final

from antq_core._entities import AggregationType, MetricDefinition
from antq_core._values import exact
from antq_core._values.quantity import Number, Qualifier, Unit
from antq_core.errors import IncompatibleUnitsError, QuantityError

__all__ = [
    "ROUNDING",
    "ScanKind",
    "combine_qualifiers",
    "convert",
    "divide",
    "reverse",
    "scan_kind",
    "space_op",
    "time_op",
]

_A = AggregationType

_TIME: Final = {
    _A.SUM: _A.SUM,
    _A.AVERAGE: _A.AVERAGE,
    _A.AVERAGE_SUM_ORG_UNIT: _A.AVERAGE,
    _A.LAST: _A.LAST,
    _A.LAST_AVERAGE_ORG_UNIT: _A.LAST,
    _A.LAST_IN_PERIOD: _A.LAST_IN_PERIOD,
    _A.FIRST: _A.FIRST,
    _A.MIN: _A.MIN,
    _A.MAX: _A.MAX,
    _A.COUNT: _A.COUNT,
    _A.NONE: _A.NONE,
    _A.DISTINCT: _A.DISTINCT,
}
_SPACE: Final = {
    _A.SUM: _A.SUM,
    _A.AVERAGE: _A.AVERAGE,
    _A.AVERAGE_SUM_ORG_UNIT: _A.SUM,
    _A.LAST: _A.SUM,
    _A.LAST_AVERAGE_ORG_UNIT: _A.AVERAGE,
    _A.LAST_IN_PERIOD: _A.SUM,
    _A.FIRST: _A.SUM,
    _A.MIN: _A.MIN,
    _A.MAX: _A.MAX,
    _A.COUNT: _A.COUNT,
    _A.NONE: _A.NONE,
    _A.DISTINCT: _A.DISTINCT,
}


def _distinct(metric: MetricDefinition) -> bool:
    return _A.DISTINCT in (metric.time_aggregation, metric.space_aggregation)


def time_op(metric: MetricDefinition) -> AggregationType:
    """The operation that combines one series over time (see the table above)."""
    return _A.DISTINCT if _distinct(metric) else _TIME[metric.time_aggregation]


def space_op(metric: MetricDefinition) -> AggregationType:
    """The operation that combines the series of a group (see the table above)."""
    return _A.DISTINCT if _distinct(metric) else _SPACE[metric.space_aggregation]


class ScanKind(enum.Enum):
    """What an engine computes for a metric's rows (see :mod:`._engine`)."""

    GROUP_SUM = "group_sum"
    """Sum and count per group cell: the metric sums over time and over space."""
    SERIES = "series"
    """Sum, count, min and max per series cell: everything else but last/first."""
    LAST = "last"
    """The row of the latest period per series."""
    FIRST = "first"
    """The row of the earliest period per series."""


def scan_kind(metric: MetricDefinition) -> ScanKind:
    """How an engine scans ``metric``'s rows."""
    t, s = time_op(metric), space_op(metric)
    if t is _A.SUM and s is _A.SUM:
        return ScanKind.GROUP_SUM
    if t in (_A.LAST, _A.LAST_IN_PERIOD):
        return ScanKind.LAST
    if t is _A.FIRST:
        return ScanKind.FIRST
    return ScanKind.SERIES


def combine_qualifiers(qualifiers: Iterable[Qualifier]) -> Qualifier:
    """The qualifier of a combination of values qualified ``qualifiers``."""
    result = Qualifier.EXACT
    for q in qualifiers:
        result = result.combine(q)
    return result


_REVERSED: Final = {Qualifier.AT_LEAST: Qualifier.AT_MOST, Qualifier.AT_MOST: Qualifier.AT_LEAST}


def reverse(qualifier: Qualifier) -> Qualifier:
    """The qualifier of ``1 / x`` for ``x`` qualified ``qualifier``."""
    return _REVERSED.get(qualifier, qualifier)


ROUNDING: Final = Decimal("0.0001")
"""Means and ratios that cannot be written exactly are rounded to this."""


def convert(value: Number, unit: Unit, target: Unit) -> Number:
    """``value`` in ``unit`` expressed in ``target``, exactly.

    Raises:
        IncompatibleUnitsError: The units measure different things.
        QuantityError: The value has no exact form in ``target`` (see :func:`.exact.convert`).
    """
    if unit is target:
        return value
    if unit.dimension != target.dimension:
        raise IncompatibleUnitsError(target.code, unit.code, "add")
    return exact.convert(value, unit.factor, target.factor, unit=unit.code)


def divide(numerator: Number, denominator: Number, *, whole: bool) -> tuple[Number, bool]:
    """``numerator / denominator`` and whether it had to be rounded.

    The result is exact when it can be written exactly (and, for ``whole``
    units, is whole); otherwise it is rounded half-even to a whole number
    (``whole``) or to :data:`ROUNDING`.
    """
    try:
        found = exact.divide(numerator, denominator)
    except QuantityError:
        pass  # no exact form: rounded below
    else:
        if not whole or isinstance(found, int):
            return found, False
    return exact.divide_rounded(numerator, denominator, Decimal(1) if whole else ROUNDING), True
