"""Aggregation: roll-ups over geography, time, initiatives and categories.

The semantics are stated once, in :mod:`._semantics`; the engine contract in
:mod:`._engine`. This module holds the public entry point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from antq_core._aggregate import (  # noqa: F401 - register the engines
    duckdb_engine,
    polars_engine,
    python_engine,
)
from antq_core._aggregate.columnar import finish
from antq_core._aggregate.engine import select_engine
from antq_core._aggregate.parquet import aggregate_parquet
from antq_core._aggregate.plan import Plan, level_groups, make_plan, scan_plan
from antq_core._aggregate.reporting import with_reporting
from antq_core._aggregate.rollup import fewer_pairs, rolled_up_levels
from antq_core._aggregate.space import SpaceOverlap, settle_space
from antq_core._aggregate.suppress import parents_in, suppress_levels, suppress_table
from antq_core._aggregate.table import (
    AggregateRow,
    AggregateTable,
    Excluded,
    ExclusionReason,
    SpaceSource,
    Unplaceable,
)
from antq_core._dataset.dataset import Dataset
from antq_core._entities import ReportingForm
from antq_core._util.extras import prefer_polars
from antq_core._values.geo import AdminLevel
from antq_core._values.groups import UnitGroupSet
from antq_core._values.period import Period
from antq_core.errors import InvalidValueError, enum_member

__all__ = [
    "AggregateRow",
    "AggregateTable",
    "Excluded",
    "ExclusionReason",
    "SpaceSource",
    "Unplaceable",
    "aggregate",
    "aggregate_parquet",
    "aggregate_rollup",
]

_LEVELS = tuple(AdminLevel)


def aggregate(
    dataset: Dataset,
    metrics: str | Iterable[str],
    by: str | Iterable[str] = (),
    *,
    periods: Period | None = None,
    within: str | Iterable[str] | None = None,
    initiatives: str | Iterable[str] | None = None,
    engine: str = "auto",
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None = None,
    space_overlap: str = "error",
    reporting: str | ReportingForm | None = None,
    suppress_below: int | None = None,
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
            periods), ``"initiative"``, ``"theme"``, ``"organization_kind"``
            (the kind of the organization a figure is about),
            ``"group:<set>"`` (the groups of a unit group set, such as
            ``"group:region"``), or ``"category:<id>"`` (a disaggregation
            category of the metrics; the bare id works too when it is not one
            of the names above). A name that is both is refused: write
            ``"category:<id>"`` or ``"dimension:<name>"``. Nothing: one group.
        periods: Keep observations whose period lies within this one.
        within: Keep observations anchored at or under these unit codes.
        initiatives: Keep observations that belong to these initiatives.
        engine: ``"python"`` (the reference, core dependencies only),
            ``"polars"`` (columnar, needs the ``dataframe`` extra),
            ``"duckdb"`` (SQL on DuckDB, needs the ``duckdb`` extra; the
            same queries :func:`~antq_core.aggregate_parquet` runs over
            Parquet files), or ``"auto"``: polars when it is installed and
            the dataset holds at least 200,000 observations, else python.
            All give the same table; :attr:`AggregateTable.engine` says which ran.
        group_sets: The unit group sets ``group:<set>`` may name (by id, or
            an iterable of them); default: the bundled ones
            (:func:`~antq_core.bundled_group_sets`).
        space_overlap: What to do with a figure of a unit (or a site or
            initiative anchored there) and the figures of units under it
            (or of its own sites) for the same metric, breakdown and
            overlapping period, in one group: ``"error"`` (the default)
            raises :class:`~antq_core.errors.SpaceOverlapError`;
            ``"prefer_reported"`` uses the enclosing figure, lists the others
            as excluded and marks the row ``source="reported"``.
        reporting: A reporting form (or its id): each row then carries, as
            :attr:`AggregateRow.reporting`, the reports on it of the units
            the form assigns at or under the row's unit (of each level and
            ``group:<set>`` in ``by``, and within ``within``) for the row's
            period (the shortest of its period keys and ``periods``):
            expected, given and on time, with exact rates, counted as
            :func:`~antq_core.completeness` counts (see :doc:`/cycle`).
        suppress_below: For tables to publish: hide every count of people
            from 1 to ``suppress_below - 1`` (rows of metrics whose unit
            counts people, :data:`~antq_core.privacy.PEOPLE_DIMENSIONS`:
            distinct participants, persons, members), and enough other
            counts of people (complementary suppression) that no hidden
            value follows from a row, column, grand or parent total (a
            commune's district). Hidden rows stay rows, with no quantity and
            :attr:`AggregateRow.suppressed` saying why; totals nothing can
            protect are listed in :attr:`AggregateTable.withheld`. ``None``
            (the default): nothing is hidden. See :doc:`/safety`.

    Returns:
        The rows, with the observations that fit in no single group and
        those left out on purpose (:attr:`AggregateTable.excluded`).

    Raises:
        InvalidValueError: A ``by`` name, filter or engine is not valid, or
            ``suppress_below`` is not a whole number of at least 1.
        UnresolvedReferenceError: A metric, unit or initiative is not in the dataset.
        OverlappingPeriodsError: Observations with overlapping periods (or
            duplicates) would be summed.
        SpaceOverlapError: A figure and the figures of its parts over space
            would be summed (see ``space_overlap``).
        InvalidValueError: With ``reporting``: the form is not in the
            dataset, the rows have no period (none in ``by``, no
            ``periods``), or a row's period holds no period of the form's
            kind (monthly rows for a yearly form).
        AmbiguousGroupingError: A bare ``by`` name is both a built-in name
            and a category of the metrics.
        IncompatibleUnitsError: An observation's unit does not convert into its metric's.
        QuantityError: A value has no exact form in its metric's unit (a third of a
            registered unit), or a sum needs more than 200 digits.
        MissingExtraError: ``engine="polars"`` without polars installed, or
            ``engine="duckdb"`` without duckdb.
    """
    policy = enum_member(SpaceOverlap, space_overlap, "space_overlap")
    plan = make_plan(
        dataset,
        metrics,
        by,
        periods=periods,
        within=within,
        initiatives=initiatives,
        group_sets=group_sets,
        columnar=_columnar(engine, dataset),
    )
    plan = settle_space(dataset, plan, policy)
    chosen = select_engine(engine, plan)
    table = _suppressed(dataset, finish(plan, chosen.scan(plan), chosen.name), suppress_below)
    if reporting is None:
        return table
    return with_reporting(
        table,
        dataset,
        plan,
        reporting,
        periods=periods,
        within=within,
        group_sets=group_sets,
    )


def aggregate_rollup(
    dataset: Dataset,
    metrics: str | Iterable[str],
    by: str | Iterable[str],
    *,
    periods: Period | None = None,
    within: str | Iterable[str] | None = None,
    initiatives: str | Iterable[str] | None = None,
    engine: str = "auto",
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None = None,
    space_overlap: str = "error",
    reporting: str | ReportingForm | None = None,
    suppress_below: int | None = None,
) -> dict[str, AggregateTable]:
    """:func:`aggregate` at the administrative level in ``by`` and at every level above it.

    The observations are scanned once; the cells are then rolled up level by
    level, each metric by its own rules (sums add, a stock's last value is
    picked per unit then summed, distinct people are recounted from the
    people, never added; ratios come from the rolled-up parts). Each table is
    the one :func:`aggregate` gives with that level in ``by`` instead: an
    observation anchored above a level is unplaceable there and counts at
    the levels at and above its anchor.

    >>> from antq_core import aggregate_rollup, sample
    >>> tables = aggregate_rollup(sample(), "cases_resolved_jointly", by=["commune"])
    >>> list(tables)
    ['province', 'district', 'commune']
    >>> [(dict(r.keys), r.quantity.value) for r in tables["district"]]
    [({'district': '106'}, 22)]
    >>> len(tables["commune"]), len(tables["commune"].unplaceable)
    (0, 1)

    Args:
        dataset: The data.
        metrics: Metric ids (one id, or several).
        by: As for :func:`aggregate`, with exactly one administrative level:
            the deepest level wanted.
        periods: As for :func:`aggregate`.
        within: As for :func:`aggregate`.
        initiatives: As for :func:`aggregate`.
        engine: As for :func:`aggregate`.
        group_sets: As for :func:`aggregate`.
        space_overlap: As for :func:`aggregate`, level by level: a
            province's figure and its districts' meet at the province level.
        reporting: As for :func:`aggregate`: each level's rows carry the
            reporting rate of the units under them.
        suppress_below: As for :func:`aggregate`, in each table (a level's
            cells are protected against their parents' totals too).

    Returns:
        One table per level, from the provinces (from the country, when the
        gazetteer has a country root) down to the level in ``by``.

    Raises:
        InvalidValueError: ``by`` names no administrative level, or several;
            or as :func:`aggregate`.
        UnresolvedReferenceError: As :func:`aggregate`.
        OverlappingPeriodsError: As :func:`aggregate`.
        SpaceOverlapError: As :func:`aggregate`.
        IncompatibleUnitsError: As :func:`aggregate`.
        QuantityError: As :func:`aggregate`.
        MissingExtraError: As :func:`aggregate`.
    """
    policy = enum_member(SpaceOverlap, space_overlap, "space_overlap")
    names = [by] if isinstance(by, str) else list(by)
    levels = [name for name in names if name in {lv.value for lv in _LEVELS}]
    if len(levels) != 1:
        raise InvalidValueError("by", names, "name exactly one administrative level to roll up")
    deepest = AdminLevel(levels[0])
    # The country level only where the gazetteer has a country root (national data).
    has_root = any(u.level is AdminLevel.COUNTRY for u in dataset.gazetteer.children(None))
    chosen = [
        lv
        for lv in _LEVELS
        if lv.depth <= deepest.depth and (has_root or lv is not AdminLevel.COUNTRY)
    ]
    position = names.index(deepest.value)
    # Deepest first: each level's groups are derived from the level below's.
    made: dict[str, Plan] = {}
    below: Plan | None = None
    for lv in reversed(chosen):
        below = made[lv.value] = make_plan(
            dataset,
            metrics,
            [*names[:position], lv.value, *names[position + 1 :]],
            periods=periods,
            within=within,
            initiatives=initiatives,
            group_sets=group_sets,
            columnar=_columnar(engine, dataset),
            below=below,
        )
    plans = {lv.value: made[lv.value] for lv in chosen}
    leaf = plans[deepest.value]
    # Figures enclosing others are settled per level (a province's figure meets its
    # districts' only at the province level); a level where some are left out
    # scans on its own, the others share one scan.
    settled = {level: settle_space(dataset, plan, policy) for level, plan in plans.items()}
    scanning, first = scan_plan(dataset, leaf)
    picked = select_engine(engine, leaf)
    scan = fewer_pairs(picked.scan(scanning), scanning, first)
    # Deepest level first: each level's cells are rolled up from the level below.
    bottom_up = list(reversed(plans))
    rolled = dict(
        zip(
            bottom_up,
            rolled_up_levels(scan, [level_groups(plans[lv], first) for lv in bottom_up]),
            strict=True,
        )
    )
    tables = {
        level: (
            finish(plan, rolled[level], picked.name)
            if settled[level] is plan
            else finish(settled[level], picked.scan(settled[level]), picked.name)
        )
        for level, plan in plans.items()
    }
    if suppress_below is not None:
        # Together: a level's cells are the totals of the level below.
        tables = suppress_levels(tables, suppress_below, dataset)
    if reporting is None:
        return tables
    return {
        level: with_reporting(
            table,
            dataset,
            plans[level],
            reporting,
            periods=periods,
            within=within,
            group_sets=group_sets,
        )
        for level, table in tables.items()
    }


def _suppressed(dataset: Dataset, table: AggregateTable, below: int | None) -> AggregateTable:
    """``table`` with its small counts of people suppressed, when ``below`` is given."""
    if below is None:
        return table
    return suppress_table(table, below, parents=parents_in(dataset, table.by))


def _columnar(engine: str, dataset: Dataset) -> bool:
    """Whether the plan's own bulk work should run in polars: for the polars engine."""
    if engine == "polars":
        return True
    return engine == "auto" and prefer_polars(len(dataset.observations))
