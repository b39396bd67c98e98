"""The scan step as SQL: the cells of :class:`._engine.Scan`, written once, for any SQL engine.

The plan (:mod:`._plan`) has already decided, per distinct subject, period and
disaggregation, where a row lands; these queries only look those codes up
per row and accumulate, exactly as the other engines do. So the semantics
stay where they are stated (:mod:`._semantics`, resolved by the plan,
finished by :mod:`._finish`); this module is the one place the SQL text of
the scan lives, and the DuckDB engine (:mod:`.duckdb_engine`) and the
Parquet path (:mod:`.parquet`) both run it.

The queries read three relations, which the engine creates:

``obs``
    One row per observation: ``row_id`` (its index in the store, or in the
    Parquet files), the codes ``metric``, ``subject``, ``period``,
    ``disaggregation`` (the plan's per-row code, :attr:`Plan.disaggregation`),
    ``raw_disaggregation`` (the store's own), ``unit``, ``qualifier``, and the
    exact ``value`` (an integer or a fixed-point decimal, never a float).
``subject_group``
    ``(subject, grp)``: :attr:`Plan.subject_group`.
``period_bucket``
    ``(period, bucket, last_rank, first_rank)``: :attr:`Plan.period_bucket`,
    :attr:`Plan.last_rank`, :attr:`Plan.first_rank`.

Only ANSI SQL is used: joins, ``GROUP BY``, ``COUNT``/``SUM``/``MIN``/``MAX``,
and the window functions ``ROW_NUMBER`` and ``COUNT(*) OVER``. The pick of a
stock's latest value is a window filter (``ROW_NUMBER() ... = 1``), not a
vendor function such as DuckDB's ``arg_max``, so the same text runs on
PostgreSQL and Spark SQL too (see ``docs/performance.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

__all__ = [
    "REPEATED",
    "REPORTED",
    "code_list",
    "lookup_rows",
    "picks",
    "series",
    "sums",
]

_PLACE: Final = (
    "FROM obs o"
    " JOIN subject_group g ON g.subject = o.subject"
    " JOIN period_bucket p ON p.period = o.period"
)


def code_list(codes: Iterable[int]) -> str:
    """``(1, 4, 7)``: metric codes for an ``IN`` list (integers only, so nothing to escape)."""
    return "(" + ", ".join(str(int(c)) for c in sorted(codes)) + ")"


def sums(metrics: Iterable[int]) -> str:
    """Sum cells (:attr:`Scan.sums`): per metric, group, bucket, breakdown, unit, qualifier."""
    return (
        "SELECT o.metric, g.grp, p.bucket, o.disaggregation, o.unit, o.qualifier,"
        " SUM(o.value) AS total, COUNT(*) AS n "
        f"{_PLACE} WHERE o.metric IN {code_list(metrics)}"
        " GROUP BY o.metric, g.grp, p.bucket, o.disaggregation, o.unit, o.qualifier"
    )


def series(metrics: Iterable[int], *, skip: str = "") -> str:
    """Series cells (:attr:`Scan.series`): per metric, **subject**, bucket, ... with min and max.

    ``skip``: a condition on ``o`` whose rows are left out of ``MIN`` and
    ``MAX`` (values the in-memory store keeps aside, added afterwards).
    """
    value = f"CASE WHEN {skip} THEN NULL ELSE o.value END" if skip else "o.value"
    # Only our own names and integer codes go into the text: nothing to inject.
    return (
        "SELECT o.metric, o.subject, p.bucket, o.disaggregation, o.unit, o.qualifier,"  # noqa: S608
        f" SUM(o.value) AS total, COUNT(*) AS n, MIN({value}) AS low, MAX({value}) AS high "
        "FROM obs o JOIN period_bucket p ON p.period = o.period"
        f" WHERE o.metric IN {code_list(metrics)}"
        " GROUP BY o.metric, o.subject, p.bucket, o.disaggregation, o.unit, o.qualifier"
    )


def picks(metrics: Iterable[int], rank: str) -> str:
    """The chosen row of each series in each bucket (:attr:`Scan.picks`), and its ties.

    ``rank`` is ``"last_rank"`` (stocks: the latest period) or
    ``"first_rank"``. The highest rank wins, then the lowest ``row_id`` (the
    first row met, as the reference engine keeps it). ``tied`` is ``1`` when
    another row of the series has the chosen row's very period.
    """
    if rank not in {"last_rank", "first_rank"}:
        msg = f"rank must be last_rank or first_rank, not {rank!r}"
        raise ValueError(msg)
    series_key = "o.metric, o.subject, p.bucket, o.disaggregation"
    return (
        "SELECT metric, subject, bucket, disaggregation, row_id, value, unit, qualifier,"  # noqa: S608
        " CASE WHEN same > 1 THEN 1 ELSE 0 END AS tied FROM ("
        "SELECT o.metric, o.subject, p.bucket, o.disaggregation, o.row_id, o.value, o.unit,"
        f" o.qualifier, ROW_NUMBER() OVER (PARTITION BY {series_key}"
        f" ORDER BY p.{rank} DESC, o.row_id ASC) AS pick,"
        f" COUNT(*) OVER (PARTITION BY {series_key}, o.period) AS same "
        "FROM obs o JOIN period_bucket p ON p.period = o.period"
        f" WHERE o.metric IN {code_list(metrics)}"
        ") chosen WHERE pick = 1"
    )


REPORTED: Final = "SELECT DISTINCT subject, period FROM obs"
"""Who reported when (:attr:`Scan.reported`), over every row of any metric."""

REPEATED: Final = (
    "SELECT COUNT(*) FROM (SELECT 1 AS one FROM obs"
    " GROUP BY metric, subject, period, raw_disaggregation HAVING COUNT(*) > 1) repeated"
)
"""How many (metric, subject, period, disaggregation) keys more than one row shares."""


def lookup_rows(plan_codes: Sequence[int], *more: Sequence[int]) -> list[tuple[int, ...]]:
    """``(code, plan_codes[code], more[0][code], ...)`` per code: a lookup table's rows."""
    return [(i, *values) for i, values in enumerate(zip(plan_codes, *more, strict=True))]
