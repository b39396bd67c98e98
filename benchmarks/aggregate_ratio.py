"""Ratio roll-up on the polars engine: ratios finished as columns, against the Python finish.

Usage::

    python benchmarks/aggregate_ratio.py [--n 1000000] [--by district:year] [--repeat 3]

Two ratios of aggregated flows (``100 × flow_01 / flow_00`` in percent, and
``flow_03 / flow_02``) on the data of ``benchmarks/aggregate.py``, timed three
ways in one run: the polars engine as it is (ratios finished as columns), the
polars engine with the ratio hook turned off (the parts as columns, ratios
per output group in Python: the finish before issue 15's ratio step), and
two hand-written references, a polars query and a DuckDB one (see
:func:`reference` and :func:`duckdb_reference`: the sums of the four parts in
one packed-key group-by, then each ratio's two parts side by side and a float
division; they do not test exactness or qualifiers, so they are lower bounds).
The ratios of antq are given against the faster reference. Checked first: the
two antq ways give the same rows, both references the same values as the
pivot query they replaced (:func:`reference_pivot`), and the polars
reference the same values as antq's rows (to antq's rounding, 0.0001).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from aggregate import (  # type: ignore[import-not-found]
    FIRST_YEAR,
    PACK_METRIC,
    DuckDB,
    Geography,
    _auto_provinces,
    _packed,
    _unpack,
    antq_result,
    build_dataset,
    duckdb_connection,
    generate,
    polars_frames,
)
from antq_core import MetricDefinition, aggregate
from antq_core._aggregate import columnar

RATIOS = (
    MetricDefinition(
        id="rate_a",
        name_vi="Tỷ lệ A",
        name_en="Rate A",
        unit="percent",
        kind="ratio",
        numerator="flow_01",
        denominator="flow_00",
        factor=100,
    ),
    MetricDefinition(
        id="rate_b",
        name_vi="Tỷ lệ B",
        name_en="Rate B",
        unit="percent",
        kind="ratio",
        numerator="flow_03",
        denominator="flow_02",
    ),
)


# The references: what was tried (2026-12-04, polars 2.1.0, DuckDB 2.0.1, 2 cores shared
# with other agents' test runs). Medians in ms of 9 interleaved repeats, load 6.8-7.1
# (`d x y` district x year, `c x m` commune x month):
#
#   rows, grouping              1M d x y   1M c x m   10M d x y   10M c x m
#   pivot (the reference before)     6.3       33.6        23.2       234.1
#   polars, kept                     4.9       13.3        20.4        88.2
#   DuckDB, metric key, FILTER      13.1       34.3        61.3       246.0
#
# * polars, the pivot (`reference_pivot`): the kept query shares its first group-by, so
#   the eager `pivot` of the sums was some 60 % of it at commune x month. A lazy `pivot`
#   (with `on_columns`): 27.5 / 160.8 ms at 1M / 10M commune x month.
# * polars, one group-by of (unit, period) with conditional sums of the four parts, and
#   `(metric == i).any()` for the numerators (a ratio missing its numerator is null, a
#   sum of nothing 0): `pl.when(metric == i).then(value).otherwise(0).sum()` the best of
#   them (10.8 / 107.6 ms commune x month, 6.0 / 26.5 ms district x year): the fastest of
#   all at 1M commune x month, 20-30 % slower than the kept query elsewhere (six
#   aggregations per row against one). Without `.otherwise(0)` 1.2-1.6x slower at
#   district x year; `value.filter(metric == i).sum()` 1.2-2x slower; a `count()` of the
#   `when` for the presence 1.2-2.2x slower than `any()`.
# * polars, the metric in the key (one sum per row, as the pivot query), then the small
#   frame of sums side by side: a self-join of four filtered copies, lazy (13.4 / 104.4 ms
#   commune x month, 5.5 / 20.4 ms district x year), after a collect (13.7 / 95.6, 6.3 /
#   21.9), or eager (19.4 / 120.4, 6.4 / 21.3); a numpy scatter into a dense (cell,
#   metric) array (17.6 / 148.7, 3.8 / 20.9); a second group-by of `k // 64` taking
#   `pl.when(k % 64 == i).then(value).max()` for each part, null when absent: kept, the
#   fastest at 10M rows and within the noise of the best at 1M district x year.
# * The streaming engine (`collect()`'s default in polars 2.x) against
#   `collect(engine="in-memory")` for the same plans (a run at load 6.5-9): in-memory
#   slower at 10M rows for every plan but one, up to 3.6x (the kept plan 53 against 20 ms
#   at district x year, 761 against 227 ms at commune x month). The packed keys are UInt32
#   where they fit (`_packed`, as in benchmarks/aggregate.py, whose notes cover joins
#   against gathers for the unit and period). A numpy `bincount` of the dense (unit,
#   period, metric) index straight from the facts (filter and gathers single-threaded):
#   as fast at 10M commune x month, 1.5-11x slower at the other three.
# * DuckDB, on native tables (`duckdb_connection`): one grouping of (unit, period) with
#   `sum(value) FILTER (WHERE metric = i)` per part, on a packed key (34.2 / 223.8 ms
#   commune x month, 19.4 / 118.0 ms district x year) or `GROUP BY ALL` on the columns
#   (within the noise of it): alike at commune x month, 1.3-2x slower at district x year
#   than two steps, the metric in a packed key first then the small grouping with
#   `FILTER` (the table's row; a BIGINT key within 5 % of the UINTEGER one). Then, 11
#   interleaved repeats at load 4.6-4.9, those two steps (74.8 / 326.6 ms commune x month,
#   15.5 / 124.3 ms district x year) against the same grouped by the unit, period and
#   metric columns (`GROUP BY ALL`; kept: 83.7 / 334.3 and 12.1 / 101.1 ms, the minima 5-25
#   % lower at each grouping; within the noise, the plainer SQL); the unit and period by
#   list lookups `u[village + 1]` instead of the joins (1.1-1.3x slower); the filter in a
#   CTE of its own (no gain: DuckDB pushes it into the scan). SQL's sum of no rows is NULL
#   and DuckDB's division by zero NULL, so the parts need no test of presence. DuckDB is
#   2.6-5x slower than polars here (by run); it is timed so that the benchmark reports
#   against the faster of the two.


def reference_pivot(f: dict[str, Any], level: str) -> Any:
    """The reference before: sums per (unit, period, metric) of the four parts, pivoted.

    Kept to check that :func:`reference` computes the same values (it is not timed).
    """
    import polars as pl

    parts = f["facts"].lazy().filter(pl.col("metric") < 4)  # flow_00..flow_03
    sums = _unpack(
        f, level, parts.group_by(_packed(f, level).alias("k")).agg(pl.col("value").sum())
    )
    keys = [level, f["period"]]
    wide = sums.collect().pivot(on="metric", index=keys, values="value")
    return wide.select(
        *keys,
        (100 * pl.col("1") / pl.col("0")).alias("rate_a"),
        (pl.col("3") / pl.col("2")).alias("rate_b"),
    )


def reference(f: dict[str, Any], level: str) -> Any:
    """Both ratios by hand, one lazy polars query: the sums per (unit, period, metric) of
    the four parts, then per (unit, period) each part (null when absent) and the quotients.

    A row per (unit, period) with any of the four parts; a ratio missing a part is null,
    one dividing by zero infinite or NaN (antq gives no value for either).
    """
    import polars as pl

    parts = f["facts"].lazy().filter(pl.col("metric") < 4)  # flow_00..flow_03
    sums = parts.group_by(_packed(f, level).alias("k")).agg(pl.col("value").sum())
    metric, value = pl.col("k") % PACK_METRIC, pl.col("value")
    part = [pl.when(metric == i).then(value).max().alias(f"p{i}") for i in range(4)]
    cells = sums.group_by(pl.col("k") // PACK_METRIC).agg(*part)
    ratios = cells.select(
        "k",
        (100 * pl.col("p1") / pl.col("p0")).alias("rate_a"),
        (pl.col("p3") / pl.col("p2")).alias("rate_b"),
    )
    return _unpack(f, level, ratios, metric=False).collect()


def _duckdb_sql(con: DuckDB, level: str) -> str:
    """The SQL of :func:`duckdb_reference`; output columns as :func:`reference`'s."""
    offset = FIRST_YEAR if con.period == "year" else 0
    unit = "f.village" if level == "village" else f"v.{level}"
    villages = "" if level == "village" else "JOIN villages v USING (village)"
    return f"""
        WITH sums AS (
            SELECT {unit} AS unit, p.p, f.metric, sum(f.value) AS value
            FROM facts f {villages} JOIN periods p USING (month)
            WHERE f.metric < 4
            GROUP BY ALL
        )
        SELECT unit AS {level}, p + {offset} AS {con.period},
               100 * sum(value) FILTER (metric = 1) / sum(value) FILTER (metric = 0) AS rate_a,
               sum(value) FILTER (metric = 3) / sum(value) FILTER (metric = 2) AS rate_b
        FROM sums
        GROUP BY ALL
    """  # noqa: S608 - our own names


def duckdb_reference(con: DuckDB, level: str) -> Any:
    """Both ratios by hand in DuckDB, on native tables (a division by zero is NULL)."""
    return con.sql(_duckdb_sql(con, level)).arrow()


Ratios = dict[tuple[int, int], tuple[float | None, float | None]]


def _values(frame: Any, level: str, period: str) -> Ratios:
    """{(unit index, period): (rate_a, rate_b)}, a ratio with no finite value as None."""
    import polars as pl

    if not isinstance(frame, pl.DataFrame):
        frame = pl.from_arrow(frame)

    def finite(x: float | None) -> float | None:
        return x if x is not None and math.isfinite(x) else None

    return {
        (u, p): (finite(a), finite(b))
        for u, p, a, b in frame.select(level, period, "rate_a", "rate_b").iter_rows()
    }


def _close(x: float | None, y: float | None, tolerance: float) -> bool:
    if x is None or y is None:
        return x is y
    return abs(x - y) <= tolerance + 1e-12 * abs(x)


def _differ(want: Ratios, got: Ratios, tolerance: float = 0.0) -> list[tuple[int, int]]:
    """The cells whose ratios differ (a missing cell as no values)."""
    nothing = (None, None)
    return [
        cell
        for cell in want.keys() | got.keys()
        if not all(
            _close(x, y, tolerance)
            for x, y in zip(want.get(cell, nothing), got.get(cell, nothing), strict=True)
        )
    ]


def _antq_values(table: Any, geo: Geography, level: str, period: str) -> Ratios:
    """antq's rows in the references' shape (the unit by index, values as floats)."""
    index = {code: i for i, code in enumerate(geo.codes(level))}
    out: dict[tuple[int, int], list[float | None]] = {}
    for (_, code, p, metric), (value, _) in antq_result(table, "sum", (level, period)).items():
        ratios = out.setdefault((index[code], p), [None, None])
        ratios[("rate_a", "rate_b").index(metric)] = None if value is None else float(value)
    return {cell: (a, b) for cell, (a, b) in out.items()}


def _check(frames: dict[str, Any], con: DuckDB, table: Any, geo: Geography, level: str) -> None:
    """The references agree with the pivot query, with each other, and with antq."""
    period = frames["period"]
    mine = _values(reference(frames, level), level, period)
    for name, other in (
        ("the pivot reference", reference_pivot(frames, level)),
        ("the DuckDB reference", duckdb_reference(con, level)),
    ):
        bad = _differ(_values(other, level, period), mine, 1e-9)
        assert not bad, f"the polars reference and {name} differ at {bad[:3]}"
    # antq rounds a ratio it cannot write exactly to 0.0001 (half-even).
    bad = _differ(_antq_values(table, geo, level, period), mine, 0.00005)
    assert not bad, f"the polars reference and antq differ at {bad[:3]}"


def _time(fn: Any, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Run the three ways and the two references, and print their medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--by", default="district:year")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2017)
    args = parser.parse_args()
    level, period = args.by.split(":")
    geo = Geography(_auto_provinces(args.n))
    rows = generate("flow", args.n, geo, args.seed)
    ds = build_dataset(rows, geo, geo.gazetteer())
    ds = ds.replace(metrics=[*ds.metrics.values(), *RATIOS])
    request = {"metrics": ["rate_a", "rate_b"], "by": [level, period], "engine": "polars"}

    def columns() -> Any:
        return aggregate(ds, **request).rows  # the rows made, as a caller reads them

    hook = columnar.finish_ratios

    def python_finish() -> Any:
        columnar.finish_ratios = lambda *_: None  # type: ignore[assignment]
        try:
            return aggregate(ds, **request).rows
        finally:
            columnar.finish_ratios = hook

    def table_only() -> Any:
        return len(aggregate(ds, **request))  # finished as columns, no rows made

    assert columns() == python_finish(), "the two finishes differ"
    frames = polars_frames(rows, geo, period)
    con = duckdb_connection(frames)
    _check(frames, con, aggregate(ds, **request), geo, level)
    results = {
        "antq polars, ratios as columns (rows made)": _time(columns, args.repeat),
        "antq polars, ratios as columns (table only)": _time(table_only, args.repeat),
        "antq polars, ratios finished in Python": _time(python_finish, args.repeat),
        "hand-written polars": _time(lambda: reference(frames, level), args.repeat),
        "hand-written DuckDB": _time(lambda: duckdb_reference(con, level), args.repeat),
    }
    groups = len(aggregate(ds, **request))
    print(f"n={args.n:,} by={args.by} output rows={groups:,} repeat={args.repeat} (medians)")
    best = min(results["hand-written polars"], results["hand-written DuckDB"])
    for name, seconds in results.items():
        print(f"  {name:46s} {seconds:8.3f} s  {seconds / best:6.1f}× best reference")


if __name__ == "__main__":
    main()
