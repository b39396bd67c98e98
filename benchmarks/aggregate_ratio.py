"""Ratio roll-up on the polars engine: ratios finished as columns, against the Python finish.

Usage::

    python benchmarks/aggregate_ratio.py [--n 1000000] [--by district:year] [--repeat 3]

Two ratios of aggregated flows (``100 × flow_01 / flow_00`` in percent, and
``flow_03 / flow_02``) on the data of ``benchmarks/aggregate.py``, timed three
ways in one run: the polars engine as it is (ratios finished as columns), the
polars engine with the ratio hook turned off (the parts as columns, ratios
per output group in Python: the finish before issue 15's ratio step), and a
hand-written polars reference (one packed-key group-by of both parts, a
pivot to numerator and denominator columns, a float division; it does not
test exactness or qualifiers, so it is a lower bound). The two antq ways
must give the same rows (checked).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from aggregate import (  # type: ignore[import-not-found]
    Geography,
    _auto_provinces,
    _packed,
    _unpack,
    build_dataset,
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


def reference(f: dict[str, Any], level: str) -> Any:
    """Both ratios by hand: sums per (unit, period, metric) of the four parts, then divided."""
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


def _time(fn: Any, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Run the three ways and print their medians."""
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
    results = {
        "antq polars, ratios as columns (rows made)": _time(columns, args.repeat),
        "antq polars, ratios as columns (table only)": _time(table_only, args.repeat),
        "antq polars, ratios finished in Python": _time(python_finish, args.repeat),
        "hand-written polars": _time(lambda: reference(frames, level), args.repeat),
    }
    groups = len(aggregate(ds, **request))
    print(f"n={args.n:,} by={args.by} output rows={groups:,} repeat={args.repeat} (medians)")
    best = results["hand-written polars"]
    for name, seconds in results.items():
        print(f"  {name:46s} {seconds:8.3f} s  {seconds / best:6.1f}× reference")


if __name__ == "__main__":
    main()
