"""Profile one warm ``aggregate()`` call on ``benchmarks/aggregate.py``'s data (pyinstrument).

Builds one workload as ``aggregate.py`` does (its generator and dataset builder,
imported from the script next to this one), makes one call to warm the dataset's
caches, then profiles a second call and prints pyinstrument's tree (frames under
``--min`` seconds left out). ``pyinstrument`` is in the ``bench`` extra.

Usage::

    python benchmarks/profile_aggregate.py [--n 1000000] [--rollup sum|stock|distinct]
        [--by commune:year] [--engine polars|python] [--min 0.1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aggregate as bench


def main() -> None:
    from pyinstrument import Profiler

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rollup", choices=("sum", "stock", "distinct"), default="sum")
    parser.add_argument("--by", default="commune:year")
    parser.add_argument("--engine", choices=("polars", "python"), default="polars")
    parser.add_argument("--min", type=float, default=0.1, help="hide frames under this (s)")
    parser.add_argument("--seed", type=int, default=2017)
    args = parser.parse_args()
    (by,) = bench._groupings(args.by)
    geo = bench.Geography(bench._auto_provinces(args.n))
    rows = bench.generate(bench.WORKLOAD[args.rollup], args.n, geo, args.seed)
    ds = bench.build_dataset(rows, geo, geo.gazetteer())
    start = time.perf_counter()
    bench.antq_rollup(ds, args.rollup, args.engine, by)
    print(f"first call {time.perf_counter() - start:.3f} s")
    profiler = Profiler(interval=0.002)
    profiler.start()
    bench.antq_rollup(ds, args.rollup, args.engine, by)
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=True)
    for line in text.splitlines():
        words = [w for w in line.replace("|", " ").replace("`-", " ").split() if w]
        try:
            seconds = float(words[0]) if words else 0.0
        except ValueError:
            seconds = args.min  # headers
        if seconds >= args.min:
            print(line)


if __name__ == "__main__":
    main()
