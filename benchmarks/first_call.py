"""The first ``aggregate()`` on a freshly built dataset against a later call (issue 15).

Each sample is a fresh interpreter: it builds ``aggregate.py``'s synthetic flows
(``--n`` observations), imports polars before the clock starts (the import is a
one-off of the process, reported apart), then times the first ``aggregate`` call
on the new dataset and the next ``--later`` calls of the same request. The
figure is the first call's median over ``--samples`` processes divided by the
later calls' median.

    python benchmarks/first_call.py [--n 1000000] [--samples 3] [--by district,year]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def child(n: int, by: list[str], later: int, engine: str) -> dict[str, float]:
    """One fresh process's timings (run by the parent with ``--child``)."""
    from aggregate import (
        FLOW_METRICS,
        Geography,
        _auto_provinces,
        build_dataset,
        generate,
    )

    started = time.perf_counter()
    import polars  # noqa: F401 - the import is timed on its own
    import pyarrow  # noqa: F401

    imported = time.perf_counter() - started
    geo = Geography(_auto_provinces(n))
    ds = build_dataset(generate("flow", n, geo, 2017), geo, geo.gazetteer())
    import antq_core

    def call() -> float:
        start = time.perf_counter()
        antq_core.aggregate(ds, list(FLOW_METRICS), by=by, engine=engine)
        return time.perf_counter() - start

    first = call()
    laters = [call() for _ in range(later)]
    return {"import": imported, "first": first, "later": statistics.median(laters)}


def main() -> None:
    """Run the samples and print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--later", type=int, default=3)
    parser.add_argument("--by", default="district,year")
    parser.add_argument("--engine", default="polars")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    by = args.by.split(",")
    if args.child:
        print(json.dumps(child(args.n, by, args.later, args.engine)))
        return
    runs = []
    for _ in range(args.samples):
        command = [sys.executable, __file__, "--child", "--n", str(args.n), "--by", args.by]
        out = subprocess.run(  # noqa: S603 - our own interpreter and script
            [*command, "--later", str(args.later), "--engine", args.engine],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs.append(json.loads(out.splitlines()[-1]))
    first = statistics.median(r["first"] for r in runs)
    later = statistics.median(r["later"] for r in runs)
    imported = statistics.median(r["import"] for r in runs)
    print(f"n={args.n:,} by={args.by} engine={args.engine} samples={args.samples}")
    print(f"first {first:.3f} s, later {later:.3f} s: {first / later:.2f}x [target <= 1.5x]")
    print(f"polars+pyarrow import (apart) {imported:.3f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
