"""The observations as a data frame: to_arrow / to_polars on a million rows, time and memory.

The dataset is the synthetic one of ``benchmarks/load.py`` (same generator, same
seed): N observations (default 1,000,000) with the repetition real data has. It
is loaded once with ``Dataset.from_json``; then, one warm-up and the median of
``--repeat`` runs each:

* ``to_arrow``: the tidy table, column-wise from ``ObservationStore.columns()``;
* ``to_polars``: the same, handed to polars (``pl.from_arrow``);
* ``to_pandas`` and ``write_parquet`` (into a temporary file), for reference;
* the reference a user would write without ``to_arrow``: one dict per
  observation model (``model_dump``, values as strings), then
  ``pl.DataFrame(rows)``, on the first ``--ref-n`` rows only (default 100,000;
  it is slow), given per million rows. It does less than ``to_polars`` (no
  admin-unit columns, no period dates, values not decimal), so the ratio is a
  lower bound.

Memory: the Arrow table's own buffers (``Table.nbytes``, dictionaries shared),
Arrow's allocator high-water mark during one ``to_arrow``
(``pyarrow.total_allocated_bytes`` before and after, and the pool's
``max_memory``), and the peak of Python allocations during it (``tracemalloc``).

Usage::

    python benchmarks/frames.py [--n N] [--repeat R] [--ref-n M] [--seed S] [--json]

Nothing is asserted: a slow machine does not fail.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import generate  # the generator of benchmarks/load.py

from antq_core import Dataset
from antq_core.io.frames import to_arrow, to_pandas, to_polars, write_parquet

MB = 1024 * 1024


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def _median(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    runs = [_timed(fn) for _ in range(repeat)]
    return statistics.median(runs), runs


def _reference(dataset: Dataset, n: int) -> pl.DataFrame:
    store = dataset.observations
    rows = []
    for i in range(min(n, len(store))):
        row = store[i].model_dump(mode="json")
        row["value"] = str(row["value"])  # int or decimal string: one type per column
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)


def run(n: int, repeat: int, ref_n: int, seed: int) -> dict[str, Any]:
    document, _, _ = generate(n, seed)
    dataset = Dataset.from_json(document)
    del document
    gc.collect()
    results: dict[str, Any] = {
        "n": len(dataset.observations),
        "machine": {
            "python": platform.python_version(),
            "pyarrow": pa.__version__,
            "polars": pl.__version__,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "times": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        parquet = Path(tmp) / "observations.parquet"
        tasks: dict[str, Callable[[], object]] = {
            "to_arrow": lambda: to_arrow(dataset),
            "to_polars": lambda: to_polars(dataset),
            "to_pandas": lambda: to_pandas(dataset),
            "write_parquet": lambda: write_parquet(dataset, parquet),
        }
        for name, task in tasks.items():
            median, runs = _median(task, repeat)
            results["times"][name] = {"median_s": median, "runs_s": runs}
        results["parquet_mb"] = parquet.stat().st_size / MB
    ref_rows = min(ref_n, results["n"])
    median, runs = _median(lambda: _reference(dataset, ref_rows), max(1, repeat // 2))
    per_million = median * 1_000_000 / max(ref_rows, 1)
    results["reference"] = {"rows": ref_rows, "median_s": median, "per_million_s": per_million}
    results["speedup_to_polars"] = per_million / (
        results["times"]["to_polars"]["median_s"] * 1_000_000 / max(results["n"], 1)
    )

    pool = pa.default_memory_pool()
    gc.collect()
    allocated_before = pa.total_allocated_bytes()
    tracemalloc.start()
    table = to_arrow(dataset)
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    results["memory"] = {
        "table_mb": table.nbytes / MB,
        "arrow_retained_mb": (pa.total_allocated_bytes() - allocated_before) / MB,
        "arrow_pool_peak_mb": pool.max_memory() / MB if pool.max_memory() else None,
        "python_peak_mb": python_peak / MB,
        "store_nbytes_mb": dataset.observations.nbytes() / MB,
    }
    frame = pl.from_arrow(table)
    results["memory"]["polars_estimated_mb"] = frame.estimated_size() / MB
    return results


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"{r['n']:,} observations; Python {m['python']}, pyarrow {m['pyarrow']}, "
        f"polars {m['polars']}, {m['cpus']} CPUs",
        "",
        "| task | median s | rows/s |",
        "|---|---|---|",
    ]
    for name, t in r["times"].items():
        rate = r["n"] / t["median_s"] if t["median_s"] else float("inf")
        lines.append(f"| `{name}` | {t['median_s']:.2f} | {rate:,.0f} |")
    ref = r["reference"]
    lines += [
        f"| reference: `model_dump` rows + `pl.DataFrame` ({ref['rows']:,} rows, "
        f"per million) | {ref['per_million_s']:.2f} | "
        f"{1_000_000 / ref['per_million_s']:,.0f} |",
        "",
        f"to_polars is {r['speedup_to_polars']:.0f}x faster than the reference per row.",
        "",
    ]
    mem = r["memory"]
    lines += [
        f"Arrow table: {mem['table_mb']:.1f} MB (retained by Arrow after to_arrow: "
        f"{mem['arrow_retained_mb']:.1f} MB; pool peak {mem['arrow_pool_peak_mb'] or 0:.1f} MB); "
        f"Python peak during to_arrow: {mem['python_peak_mb']:.1f} MB; "
        f"polars frame: {mem['polars_estimated_mb']:.1f} MB; "
        f"the store's columns: {mem['store_nbytes_mb']:.1f} MB; "
        f"Parquet file: {r['parquet_mb']:.1f} MB.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="observations (1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after a warm-up (3)")
    parser.add_argument(
        "--ref-n", type=int, default=100_000, help="rows for the row-by-row reference (100,000)"
    )
    parser.add_argument("--seed", type=int, default=2017, help="generator seed (2017)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args()
    results = run(args.n, args.repeat, args.ref_n, args.seed)
    print(json.dumps(results, indent=1) if args.json else report(results))


if __name__ == "__main__":
    main()
