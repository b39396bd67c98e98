"""Sums and stocks at groupings of millions of output rows, timed in one process (issue 15).

For comparing two trees of the library on the same data: run it once per tree
with that tree's ``src`` first on the path, alternating, and compare the
medians. It builds ``aggregate.py``'s synthetic flows and stocks (``--n`` rows
of ``--provinces`` provinces), then times ``aggregate(engine="polars")`` of
every flow or stock metric at each grouping: ``--repeat`` runs after a
warm-up, each after ``gc.collect()``. ``--save DIR`` writes each table's
``to_polars()`` as Parquet, so that two trees' results can be checked equal.

    PYTHONPATH=/path/to/tree/src python benchmarks/large_outputs.py [--n 10000000] \\
        [--provinces 2] [--by commune:month,village:month,district:year] [--save DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

import antq_core
from aggregate import (
    FLOW_METRICS,
    STOCK_METRICS,
    Geography,
    build_dataset,
    generate,
)
from antq_core import AggregateTable, Dataset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--provinces", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--by", default="commune:month,village:month,district:year")
    parser.add_argument("--save", type=Path, default=None)
    args = parser.parse_args(argv)
    geo = Geography(args.provinces)
    gazetteer = geo.gazetteer()
    datasets = {
        "sum": (build_dataset(generate("flow", args.n, geo, 0), geo, gazetteer), FLOW_METRICS),
        "stock": (build_dataset(generate("stock", args.n, geo, 0), geo, gazetteer), STOCK_METRICS),
    }
    results = []
    for grouping in args.by.split(","):
        by = grouping.split(":")
        for kind, (ds, metrics) in datasets.items():

            def run(
                ds: Dataset = ds, metrics: tuple[str, ...] = metrics, by: list[str] = by
            ) -> AggregateTable:
                return antq_core.aggregate(ds, metrics=list(metrics), by=by, engine="polars")

            table = run()
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                table.to_polars().write_parquet(args.save / f"{kind}-{'-'.join(by)}.parquet")
            runs = []
            for _ in range(args.repeat):
                gc.collect()
                started = time.perf_counter()
                run()
                runs.append(time.perf_counter() - started)
            results.append(
                {
                    "rollup": kind,
                    "by": by,
                    "rows": len(table),
                    "median_s": statistics.median(runs),
                    "runs_s": runs,
                    "load_1min": os.getloadavg()[0],
                }
            )
            print(
                f"{kind:5} by {' x '.join(by):16} {len(table):>10,} rows  "
                f"median {statistics.median(runs):.3f} s  "
                f"({', '.join(f'{r:.3f}' for r in runs)})  load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    json.dump({"library": antq_core.__file__, "results": results}, sys.stderr)


if __name__ == "__main__":
    main()
