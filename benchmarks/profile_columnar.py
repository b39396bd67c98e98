"""Timings beside ``aggregate.py`` for the columnar finish (issue 15), not a benchmark.

``python benchmarks/profile_columnar.py N``: on N flow rows built as ``aggregate.py`` builds
them, the first call against a later one (district x month), ``aggregate()`` alone, with
``to_polars()`` and with ``list(table)`` (commune x month), and ``aggregate_rollup`` over four
levels against one leaf group-by (village x month, village x year), polars engine, medians of
3 (one run for ``list(table)``), with the load average.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import aggregate as bench
from antq_core import AggregateTable, aggregate, aggregate_rollup


def _median(fn: Callable[[], object], k: int = 3) -> float:
    runs = []
    for _ in range(k):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    geo = bench.Geography(1)
    ds = bench.build_dataset(bench.generate("flow", n, geo, 2017), geo, geo.gazetteer())
    metrics = list(bench.FLOW_METRICS)

    def run(by: list[str]) -> AggregateTable:
        return aggregate(ds, metrics, by=by, engine="polars")

    t0 = time.perf_counter()
    run(["district", "month"])
    first = time.perf_counter() - t0
    later = _median(lambda: run(["district", "month"]))
    print(f"first call district x month {first:.3f} s, later {later:.3f} s")
    by = ["commune", "month"]
    print(f"{by} aggregate {_median(lambda: run(by)):.3f} s")
    print(f"{by} + to_polars {_median(lambda: run(by).to_polars()):.3f} s")
    print(f"{by} + list(rows) {_median(lambda: list(run(by)), k=1):.3f} s")
    for leaf_by in (["village", "month"], ["village", "year"]):
        leaf = _median(lambda b=leaf_by: run(b))
        rolled = _median(lambda b=leaf_by: aggregate_rollup(ds, metrics, by=b, engine="polars"))
        print(
            f"{leaf_by} leaf {leaf:.3f} s, rollup of 4 levels {rolled:.3f} s: {rolled / leaf:.2f}x"
        )
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main()
