"""The SQL engine: the scan step on DuckDB (embedded, out of core).

It computes the same cells as the reference engine (the contract is in
:mod:`._engine`) by running the queries of :mod:`._sql` on DuckDB. In memory
(``aggregate(..., engine="duckdb")``) the store's columns are handed to DuckDB
as Arrow arrays over their buffers, without copying; over Parquet files
(:func:`~antq_core.aggregate_parquet`, :mod:`._parquet`) the same queries read
a view of the files, so the rows never enter Python.

Values the store keeps aside (decimals, integers beyond 64 bits) are few: the
queries read them as 0 (and leave them out of minimums and maximums) and they
are added to their cells afterwards, exactly, as the reference engine does.
Sums of 64-bit integers are 128-bit in DuckDB, so they never overflow.

duckdb and pyarrow are imported only when a scan runs; without them the scan
raises :class:`~antq_core.errors.MissingExtraError` naming the
``antq_core[duckdb]`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from antq_core._aggregate import sql
from antq_core._aggregate.engine import ENGINES, PickCell, Scan, SeriesCell, SumCell
from antq_core._aggregate.semantics import ScanKind
from antq_core._util.extras import require
from antq_core._values.exact import add, tidy
from antq_core._values.quantity import Number

if TYPE_CHECKING:
    from antq_core._aggregate.plan import Plan

__all__ = ["DuckDBEngine", "connect", "number", "scan_relation"]

EXTRA: Final = "duckdb"


def connect(config: Mapping[str, str] | None = None) -> Any:
    """A fresh in-memory DuckDB connection, with ``config`` (``memory_limit``, ``threads``...).

    Raises:
        MissingExtraError: duckdb is not installed (``antq_core[duckdb]``).
    """
    duckdb = require("duckdb", EXTRA)
    return duckdb.connect(":memory:", config=dict(config or {}))


def number(value: Any) -> Number:
    """A value DuckDB returns, as the store holds numbers: ``int`` when whole, else a Decimal."""
    if isinstance(value, Decimal):
        return tidy(value)
    return int(value)


def _lookups(pa: Any, con: Any, plan: Plan) -> None:
    """Register the plan's per-subject and per-period codes as the tables :mod:`._sql` reads."""
    subjects = len(plan.subject_group)
    periods = len(plan.period_bucket)
    con.register(
        "subject_group",
        pa.table(
            {
                "subject": pa.array(range(subjects), pa.int64()),
                "grp": pa.array(plan.subject_group, pa.int64()),
            }
        ),
    )
    con.register(
        "period_bucket",
        pa.table(
            {
                "period": pa.array(range(periods), pa.int64()),
                "bucket": pa.array(plan.period_bucket, pa.int64()),
                "last_rank": pa.array(plan.last_rank, pa.int64()),
                "first_rank": pa.array(plan.first_rank, pa.int64()),
            }
        ),
    )


def scan_relation(
    con: Any,
    plan: Plan,
    *,
    aside: Mapping[int, Number] | None = None,
    value_of: Callable[[Any], Number] = number,
) -> tuple[Scan, dict[PickCell, tuple[int, Number, int, int, int]]]:
    """The cells of ``plan`` from the relation ``obs`` of ``con`` (see :mod:`._sql`).

    ``aside``: row -> value of the rows whose ``value`` in ``obs`` is 0 but
    whose value is this (the in-memory store's decimals and huge integers).

    Returns the scan, and per pick cell the chosen row's (row id, value,
    unit, qualifier, period), for callers whose rows are not in ``plan.columns``.
    """
    pa = require("pyarrow", EXTRA)
    _lookups(pa, con, plan)
    aside = aside or {}
    scans = plan.scans
    sums: dict[SumCell, tuple[Number, int]] = {}
    if scans[ScanKind.GROUP_SUM]:
        for m, g, b, d, u, q, total, n in con.execute(
            sql.sums(scans[ScanKind.GROUP_SUM])
        ).fetchall():
            sums[m, g, b, d, u, q] = (value_of(total), n)
    series: dict[SeriesCell, tuple[Number, int, Any, Any]] = {}
    skip = ""
    if aside:
        con.register("aside", pa.table({"row_id": pa.array(sorted(aside), pa.int64())}))
        skip = "o.row_id IN (SELECT row_id FROM aside)"
    if scans[ScanKind.SERIES]:
        query = sql.series(scans[ScanKind.SERIES], skip=skip)
        for m, s, b, d, u, q, total, n, low, high in con.execute(query).fetchall():
            series[m, s, b, d, u, q] = (
                value_of(total),
                n,
                None if low is None else value_of(low),  # only aside rows: set afterwards
                None if high is None else value_of(high),
            )
    picks: dict[PickCell, int] = {}
    chosen: dict[PickCell, tuple[int, Number, int, int, int]] = {}
    ties: set[PickCell] = set()
    for kind, rank in ((ScanKind.LAST, "last_rank"), (ScanKind.FIRST, "first_rank")):
        if scans[kind]:
            rows = con.execute(sql.picks(scans[kind], rank)).fetchall()
            for m, s, b, d, row, value, u, q, p, tied in rows:
                key = (m, s, b, d)
                picks[key] = row
                chosen[key] = (row, value_of(value), u, q, p)
                if tied:
                    ties.add(key)
    if aside:
        _add_aside(plan, aside, sums, series)
    reported: dict[int, set[int]] = {}
    for s, p in con.execute(sql.REPORTED).fetchall():
        reported.setdefault(s, set()).add(p)
    ((repeated,),) = con.execute(sql.REPEATED).fetchall()
    scan = Scan(
        sums=sums,
        series=series,
        picks=picks,
        ties=frozenset(ties),
        repeated=bool(repeated),
        reported=reported,
    )
    return scan, chosen


def _add_aside(
    plan: Plan,
    aside: Mapping[int, Number],
    sums: dict[SumCell, tuple[Number, int]],
    series: dict[SeriesCell, tuple[Number, int, Any, Any]],
) -> None:
    """Add the values kept aside to their cells (the queries counted them as 0)."""
    cols = plan.columns
    summed, serial = plan.scans[ScanKind.GROUP_SUM], plan.scans[ScanKind.SERIES]
    for i, v in aside.items():
        m, p = cols.metric[i], cols.period[i]
        d, u, q = plan.disaggregation[i], cols.unit[i], cols.qualifier[i]
        if m in summed:
            key = (m, plan.subject_group[cols.subject[i]], plan.period_bucket[p], d, u, q)
            total, n = sums[key]
            sums[key] = (add(total, v), n)
        elif m in serial:
            key = (m, cols.subject[i], plan.period_bucket[p], d, u, q)
            total, n, low, high = series[key]
            lowest: Number | None = low
            highest: Number | None = high
            series[key] = (
                add(total, v),
                n,
                v if lowest is None or v < lowest else lowest,
                v if highest is None or v > highest else highest,
            )


class DuckDBEngine:
    """The scan on DuckDB over the store's columns (see :mod:`._engine` for the contract)."""

    name: Final = "duckdb"

    def scan(self, plan: Plan) -> Scan:
        """Compute the cells of ``plan``.

        Raises:
            MissingExtraError: duckdb or pyarrow is not installed.
        """
        pa = require("pyarrow", EXTRA)
        np = require("numpy", EXTRA)
        con = connect()
        try:
            cols = plan.columns
            n = len(cols)

            def column(view: Any, kind: Any) -> Any:
                # A store column is an array.array: wrap its buffer, no copy.
                return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(view)])

            con.register(
                "obs",
                pa.table(
                    {
                        "row_id": pa.array(np.arange(n, dtype=np.int64)),
                        "metric": column(cols.metric, pa.uint32()),
                        "subject": column(cols.subject, pa.uint32()),
                        "period": column(cols.period, pa.uint32()),
                        "disaggregation": column(memoryview(plan.disaggregation), pa.uint32()),
                        "raw_disaggregation": column(cols.disaggregation, pa.uint32()),
                        "unit": column(cols.unit, pa.uint16()),
                        "qualifier": column(cols.qualifier, pa.uint8()),
                        "value": column(cols.value, pa.int64()),
                    }
                ),
            )
            wanted = set().union(*plan.scans.values())
            metric = cols.metric
            aside = {i: v for i, v in cols.exact.items() if metric[i] in wanted}
            scan, _ = scan_relation(con, plan, aside=aside)
            return scan
        finally:
            con.close()


ENGINES.setdefault(DuckDBEngine.name, DuckDBEngine())
