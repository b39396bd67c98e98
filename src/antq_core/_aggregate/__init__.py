"""Aggregation: roll-ups over geography, time, initiatives and categories.

The semantics are stated once, in :mod:`._semantics`; the engine contract in
:mod:`._engine`. This module holds the public entry point.
"""

from __future__ import annotations

from collections.abc import Iterable

from antq_core._dataset import Dataset
from antq_core._period import Period

from . import _polars, _python  # noqa: F401 - register the engines
from ._engine import select_engine
from ._finish import finish
from ._plan import make_plan
from ._table import AggregateRow, AggregateTable, Unplaceable

__all__ = ["AggregateRow", "AggregateTable", "Unplaceable", "aggregate"]


def aggregate(
    dataset: Dataset,
    metrics: str | Iterable[str],
    by: str | Iterable[str] = (),
    *,
    periods: Period | None = None,
    within: str | Iterable[str] | None = None,
    initiatives: str | Iterable[str] | None = None,
    engine: str = "auto",
) -> AggregateTable:
    """Roll the observations of ``metrics`` up into groups, as each metric declares.

    Each metric combines over time and over space by its own aggregation
    types (sum, last, average, distinct people...), with DHIS2's meanings;
    ratios are computed from their aggregated parts. :doc:`/aggregation`
    states every rule.

    >>> from antq_core import aggregate, sample
    >>> table = aggregate(sample(), ["cases_resolved_jointly"], by=["district"])
    >>> [(dict(r.keys), r.quantity) for r in table]
    [({'district': '106'}, Quantity(22, 'case'))]
    >>> table.engine
    'python'

    The cluster site spans three communes of district Tam Đường (106): it
    counts once there, and cannot be placed in any one commune:

    >>> by_commune = aggregate(sample(), ["cases_resolved_jointly"], by=["commune"])
    >>> len(by_commune), by_commune.unplaceable[0].reason[:38]
    (0, 'anchored at district Tam Đường (106), ')

    Args:
        dataset: The data.
        metrics: Metric ids (one id, or several).
        by: Names to group by, any mix of: an administrative level
            (``"province"``, ``"district"``, ``"commune"``, ``"village"``), a
            period kind (``"month"``, ``"quarter"``, ``"half_year"``,
            ``"year"``, ``"crop_season"``), ``"period"`` (the observations' own
            periods), ``"initiative"``, ``"theme"``, ``"organization_kind"``,
            or a disaggregation category id of the metrics. Nothing: one group.
        periods: Keep observations whose period lies within this one.
        within: Keep observations anchored at or under these unit codes.
        initiatives: Keep observations that belong to these initiatives.
        engine: ``"python"`` (the reference, core dependencies only),
            ``"polars"`` (columnar, needs the ``dataframe`` extra), or
            ``"auto"``: polars when it is installed and the dataset holds
            at least 200,000 observations, else python. Both give the same
            table; :attr:`AggregateTable.engine` says which ran.

    Returns:
        The rows, with the observations that fit in no single group.

    Raises:
        InvalidValueError: A ``by`` name, filter or engine is not valid.
        UnresolvedReferenceError: A metric, unit or initiative is not in the dataset.
        OverlappingPeriodsError: Observations with overlapping periods (or
            duplicates) would be summed.
        IncompatibleUnitsError: An observation's unit does not convert into its metric's.
        MissingExtraError: ``engine="polars"`` without polars installed.
    """
    plan = make_plan(dataset, metrics, by, periods=periods, within=within, initiatives=initiatives)
    chosen = select_engine(engine, plan)
    return finish(plan, chosen.scan(plan), chosen.name)
