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

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from antq_core._aggregate import sql
from antq_core._aggregate.engine import (
    ENGINES,
    LazyCells,
    PickCell,
    Scan,
    SeriesCell,
    SumCell,
)
from antq_core._aggregate.semantics import ScanKind
from antq_core._util.extras import arrow_over, polars_available, require
from antq_core._values.exact import add, tidy
from antq_core._values.quantity import Number

if TYPE_CHECKING:
    from antq_core._aggregate.plan import Plan

__all__ = ["Chosen", "DuckDBEngine", "connect", "lookups", "number", "put", "scan_relation"]

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


def put(con: Any, name: str, columns: Mapping[str, tuple[str, Sequence[Any]]]) -> None:
    """Register a small table of Python values as ``name``: column -> (kind, values).

    Kinds are ``"int"`` (64-bit) and ``"str"``.

    Built with polars when it is installed: ``pyarrow.array`` of a Python list
    imports pandas (to check for a Series), about 0.3-1.2 s on the first call,
    more than every lookup table of a query together.
    """
    if polars_available():
        pl = require("polars", "dataframe")
        kinds = {"int": pl.Int64, "str": pl.String}
        frame = pl.DataFrame(
            {c: pl.Series(c, list(v), dtype=kinds[k]) for c, (k, v) in columns.items()}
        )
        con.register(name, frame.to_arrow())
        return
    pa = require("pyarrow", EXTRA)
    types = {"int": pa.int64(), "str": pa.string()}
    con.register(
        name,
        pa.Table.from_arrays(
            [pa.array(list(v), types[k]) for k, v in columns.values()], names=list(columns)
        ),
    )


def lookups(con: Any, plan: Plan) -> None:
    """Register the plan's per-subject and per-period codes as the tables :mod:`._sql` reads."""
    subjects = len(plan.subject_group)
    periods = len(plan.period_bucket)
    put(
        con,
        "subject_group",
        {"subject": ("int", range(subjects)), "grp": ("int", plan.subject_group)},
    )
    put(
        con,
        "period_bucket",
        {
            "period": ("int", range(periods)),
            "bucket": ("int", plan.period_bucket),
            "last_rank": ("int", plan.last_rank),
            "first_rank": ("int", plan.first_rank),
        },
    )


def _arrow(con: Any, query: str) -> Any:
    """The result of ``query`` as a :class:`pyarrow.Table` (duckdb 1.x and 2.x)."""
    relation = con.sql(query)
    table = getattr(relation, "to_arrow_table", None)
    return table() if table is not None else relation.arrow()


def _frame(pl: Any, con: Any, query: str) -> Any:
    return pl.from_arrow(_arrow(con, query))


Chosen = tuple[int, Number, int, int, int, int]
"""A pick's chosen row: (row id, value, unit, qualifier, period, store's breakdown code)."""


def scan_relation(
    con: Any,
    plan: Plan,
    *,
    aside: Mapping[int, Number] | None = None,
    value_of: Callable[[Any], Number] = number,
    frames: bool = False,
) -> tuple[Scan, Mapping[PickCell, Chosen], dict[PickCell, int]]:
    """The cells of ``plan`` from the relation ``obs`` of ``con`` (see :mod:`._sql`).

    ``aside``: row -> value of the rows whose ``value`` in ``obs`` is 0 but
    whose value is this (the in-memory store's decimals and huge integers).
    ``frames``: also give the sum and pick cells and the reported pairs as
    polars frames (:attr:`Scan.sum_cells`...), so that the finishing step
    may work on columns; only when every value is a 64-bit integer.

    Returns the scan; per pick cell the chosen row (:data:`Chosen`), for
    callers whose rows are not in ``plan.columns`` (made on first use); and
    the row ids of the tied pick cells (:attr:`Scan.ties`).
    """
    pl = require("polars", "dataframe") if frames else None
    lookups(con, plan)
    aside = aside or {}
    scans = plan.scans
    sums: Mapping[SumCell, tuple[Number, int]] = {}
    sum_cells = None
    if scans[ScanKind.GROUP_SUM]:
        sums, sum_cells = _sums(pl, con, sql.sums(scans[ScanKind.GROUP_SUM]), value_of)
    series: dict[SeriesCell, tuple[Number, int, Any, Any]] = {}
    skip = ""
    if aside:
        put(con, "aside", {"row_id": ("int", sorted(aside))})
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
    queries = [
        sql.picks(scans[kind], rank)
        for kind, rank in ((ScanKind.LAST, "last_rank"), (ScanKind.FIRST, "first_rank"))
        if scans[kind]
    ]
    tied_picks: dict[PickCell, int] = {}
    picks, chosen, ties, pick_cells = _picks(pl, con, queries, value_of, tied_picks)
    if aside:
        sums = dict(sums)
        _add_aside(plan, aside, sums, series)
        sum_cells = None  # the frame would not hold the values kept aside
    reported_pairs = None
    reported: Mapping[int, Collection[int]]
    # Who reported when, and whether any key repeats: one pass (sql.REPORTED_REPEATED).
    if pl is not None:
        both = _frame(pl, con, sql.REPORTED_REPEATED)
        repeated = int(both["most"].max() or 0) > 1
        reported_pairs = both.select("subject", "period")
        pairs = reported_pairs
        reported = LazyCells(lambda: dict(_by_subject(pairs.iter_rows())))
    else:
        rows = con.execute(sql.REPORTED_REPEATED).fetchall()
        repeated = any(most > 1 for _, _, most in rows)
        reported = _by_subject((s, p) for s, p, _ in rows)
    scan = Scan(
        sums=sums,
        series=series,
        picks=picks,
        ties=frozenset(ties),
        repeated=bool(repeated),
        reported=reported,
        sum_cells=sum_cells,
        pick_cells=pick_cells if pl is not None else None,
        reported_pairs=reported_pairs,
    )
    return scan, chosen, tied_picks


def _by_subject(pairs: Iterable[tuple[int, int]]) -> dict[int, Collection[int]]:
    reported: dict[int, set[int]] = {}
    for s, p in pairs:
        reported.setdefault(s, set()).add(p)
    return dict(reported)


_SUM_KEYS: Final = ("metric", "group", "bucket", "disaggregation", "unit", "qualifier")
_PICK_KEYS: Final = ("metric", "subject", "bucket", "disaggregation")


def _sums(
    pl: Any, con: Any, query: str, value_of: Callable[[Any], Number]
) -> tuple[Mapping[SumCell, tuple[Number, int]], Any]:
    """Sum cells as a dict, or as a frame (and a dict made from it on first use)."""
    if pl is None:
        rows = con.execute(query).fetchall()
        return {(m, g, b, d, u, q): (value_of(t), n) for m, g, b, d, u, q, t, n in rows}, None
    cells = _frame(pl, con, query).rename({"grp": "group", "total": "sum", "n": "count"})
    total = cells["sum"]
    if total.dtype != pl.Int64:
        low, high = total.min(), total.max()
        wide = max(abs(int(low or 0)), abs(int(high or 0))) > 2**63 - 1
        cells = cells.with_columns(pl.col("sum").cast(pl.Int128 if wide else pl.Int64))
    cells = cells.with_columns(pl.col(*_SUM_KEYS).cast(pl.Int64))

    def build() -> dict[SumCell, tuple[Number, int]]:
        keys = zip(*(cells[k].to_list() for k in _SUM_KEYS), strict=True)
        values = zip(cells["sum"].to_list(), cells["count"].to_list(), strict=True)
        return dict(zip(keys, values, strict=True))

    return LazyCells(build), cells


def _picks(
    pl: Any,
    con: Any,
    queries: Sequence[str],
    value_of: Callable[[Any], Number],
    tied_picks: dict[PickCell, int],
) -> tuple[Mapping[PickCell, int], Mapping[PickCell, Chosen], set[PickCell], Any]:
    """Pick cells: row ids, chosen rows, ties, and (with polars) ``Scan.pick_cells``."""
    ties: set[PickCell] = set()
    if pl is None:
        picks: dict[PickCell, int] = {}
        chosen: dict[PickCell, Chosen] = {}
        for query in queries:
            for m, s, b, d, row, value, u, q, p, raw, tied in con.execute(query).fetchall():
                key = (m, s, b, d)
                picks[key] = row
                chosen[key] = (row, value_of(value), u, q, p, raw)
                if tied:
                    ties.add(key)
                    tied_picks[key] = row
        return picks, chosen, ties, None
    if not queries:
        return {}, {}, ties, None
    frames = [_frame(pl, con, query) for query in queries]
    cells = pl.concat(frames, how="vertical_relaxed").rename({"row_id": "row"})
    cells = cells.with_columns(
        pl.col(*_PICK_KEYS, "row", "unit", "qualifier", "period", "raw_disaggregation").cast(
            pl.Int64
        ),
        pl.col("value").cast(pl.Int64),
    )
    tied = cells.filter(pl.col("tied") == 1)
    ties.update(zip(*(tied[k].to_list() for k in _PICK_KEYS), strict=True))
    # The few tied cells' rows, at once: what the overlap check reads before anything else.
    early = dict(
        zip(
            zip(*(tied[k].to_list() for k in _PICK_KEYS), strict=True),
            tied["row"].to_list(),
            strict=True,
        )
    )

    def keys() -> Iterator[PickCell]:
        return zip(*(cells[k].to_list() for k in _PICK_KEYS), strict=True)

    def picked() -> dict[PickCell, int]:
        return dict(zip(keys(), cells["row"].to_list(), strict=True))

    tied_picks.update(early)

    def rows() -> dict[PickCell, Chosen]:
        names = ("row", "value", "unit", "qualifier", "period", "raw_disaggregation")
        values = zip(*(cells[n].to_list() for n in names), strict=True)
        return dict(zip(keys(), values, strict=True))

    frame = cells.select(*_PICK_KEYS, "row", "value", "unit", "qualifier")
    return LazyCells(picked), LazyCells(rows), ties, frame


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
                return arrow_over(pa, kind, view, n)

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
            frames = polars_available()
            scan, _, _ = scan_relation(con, plan, aside=aside, frames=frames)
            return scan
        finally:
            con.close()


ENGINES.setdefault(DuckDBEngine.name, DuckDBEngine())
