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
and the window functions ``ROW_NUMBER`` and ``LEAD``. The pick of a
stock's latest value is a window filter (``ROW_NUMBER() ... = 1``), not a
vendor function such as DuckDB's ``arg_max``, so the same text runs on
PostgreSQL and Spark SQL too (see ``docs/performance.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = [
    "REPORTED_REPEATED",
    "code_list",
    "excluded_rows",
    "name",
    "overlap_rows",
    "picks",
    "repeated_rows",
    "series",
    "sums",
    "unplaceable_rows",
]

_PLACE: Final = (
    "FROM obs o"
    " JOIN subject_group g ON g.subject = o.subject"
    " JOIN period_bucket p ON p.period = o.period"
)


def name(text: str) -> str:
    """A quoted SQL identifier (a category's column, ``by_<id>``, may hold ``.`` or ``-``)."""
    return '"' + text.replace('"', '""') + '"'


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
        "SELECT o.metric, o.subject, p.bucket, o.disaggregation, o.unit, o.qualifier,"
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
    another row of the series has the chosen row's very period: the next row
    in the same window order has the same rank (ranks are one per period).
    One window, so one sort.
    """
    if rank not in {"last_rank", "first_rank"}:
        msg = f"rank must be last_rank or first_rank, not {rank!r}"
        raise ValueError(msg)
    window = (
        "(PARTITION BY o.metric, o.subject, p.bucket, o.disaggregation"
        f" ORDER BY p.{rank} DESC, o.row_id ASC)"
    )
    return (
        "SELECT metric, subject, bucket, disaggregation, row_id, value, unit, qualifier, period,"
        " raw_disaggregation,"
        " CASE WHEN next_rank = chosen_rank THEN 1 ELSE 0 END AS tied FROM ("
        "SELECT o.metric, o.subject, p.bucket, o.disaggregation, o.row_id, o.value, o.unit,"
        f" o.qualifier, o.period, o.raw_disaggregation, p.{rank} AS chosen_rank,"
        f" ROW_NUMBER() OVER {window} AS pick, LEAD(p.{rank}) OVER {window} AS next_rank"
        " FROM obs o JOIN period_bucket p ON p.period = o.period"
        f" WHERE o.metric IN {code_list(metrics)}"
        ") chosen WHERE pick = 1"
    )


REPORTED_REPEATED: Final = (
    "SELECT subject, period, MAX(n) AS most FROM (SELECT subject, period, COUNT(*) AS n"
    " FROM obs GROUP BY metric, subject, period, raw_disaggregation) k GROUP BY subject, period"
)
"""Who reported when (:attr:`Scan.reported`, over every row of any metric) and, per such
(subject, period) pair, the most rows one (metric, subject, period, disaggregation) key
holds: a key is repeated (:attr:`Scan.repeated`) when that exceeds 1. One pass over ``obs``."""


# -- rows the finishing step reads one by one ------------------------------------------
#
# These select ``row_id`` only, a superset of the rows the finishing step looks at
# (it decides); they read two more tables: ``subject_kind(subject, person)``, 1 for
# participants, and ``slice_of(disaggregation, slice)``, :attr:`Plan.slice_of`.

_CODES: Final = (
    "FROM obs o"
    " JOIN subject_group g ON g.subject = o.subject"
    " JOIN period_bucket p ON p.period = o.period"
    " JOIN slice_of c ON c.disaggregation = o.disaggregation"
)


def unplaceable_rows(metrics: Iterable[int], distinct: Iterable[int]) -> str:
    """Rows that may be unplaceable: a reason code, or a distinct count not about a person."""
    distinct = sorted(distinct)
    not_a_person = ""
    if distinct:
        not_a_person = (
            f" OR (o.metric IN {code_list(distinct)} AND o.subject IN"
            " (SELECT subject FROM subject_kind WHERE person = 0))"
        )
    return (
        f"SELECT o.row_id {_CODES} WHERE o.metric IN {code_list(metrics)}"
        " AND g.grp <> -1 AND p.bucket <> -1 AND c.slice <> -1"
        f" AND (g.grp < -1 OR p.bucket < -1 OR c.slice < -1{not_a_person})"
    )


def repeated_rows(metrics: Iterable[int]) -> str:
    """Rows sharing metric, subject, period and breakdown with another row."""
    key = ("metric", "subject", "period", "raw_disaggregation")
    on = " AND ".join(f"k.{c} = o.{c}" for c in key)
    return (
        f"SELECT o.row_id FROM obs o JOIN (SELECT {', '.join(key)} FROM obs"
        f" WHERE metric IN {code_list(metrics)} GROUP BY {', '.join(key)}"
        f" HAVING COUNT(*) > 1) k ON {on}"
    )


def overlap_rows(metrics: Iterable[int]) -> str:
    """Rows of series with two periods of ``overlap_period(period)`` in one bucket."""
    key = ("metric", "subject", "raw_disaggregation", "bucket")
    on = " AND ".join(f"k.{c} = o.{c}" for c in key)
    chosen = ", ".join(f"o.{c}" for c in key[:3])
    rows = (
        f"FROM (SELECT o.row_id, o.period, {chosen}, p.bucket FROM obs o"
        " JOIN period_bucket p ON p.period = o.period"
        f" WHERE o.metric IN {code_list(metrics)} AND p.bucket >= 0)"
    )
    return (
        f"SELECT o.row_id {rows} o JOIN (SELECT {', '.join(key)} {rows} x"
        " WHERE period IN (SELECT period FROM overlap_period)"
        f" GROUP BY {', '.join(key)} HAVING COUNT(DISTINCT period) > 1) k ON {on}"
    )


def excluded_rows(metrics: Iterable[int], picked: Iterable[int]) -> str:
    """Rows that may be excluded: placed, and left out by their breakdown, or a pick's series."""
    picked = sorted(picked)
    series = f" OR o.metric IN {code_list(picked)}" if picked else ""
    return (
        f"SELECT o.row_id {_CODES} WHERE o.metric IN {code_list(metrics)}"
        f" AND g.grp >= 0 AND p.bucket >= 0 AND (c.slice < 0{series})"
    )
