"""A country over ten years: load from Parquet, aggregate and validate, with time and memory.

Issue 15 asks that 100,000,000 observations load from Parquet, aggregate (sum
and stock, district x year) and validate on one machine within 20 GB, with
the time and memory of each step. This script writes such a file, then, in
one process, measures each step in turn:

* ``read_parquet``: the file into a dataset (batch by batch into the store);
* ``aggregate sum``: every flow metric, by district and year (polars engine);
* ``aggregate stock``: every stock metric, last value in the year per commune, summed by district;
* ``validate``: the whole dataset.

The country is synthetic but shaped as the real one: 63 provinces of 11
districts of 16 communes (11,088 communes, the 2025 map had about 10,000),
120 months from January 2015, and as many metrics (flows and stocks, 5:2) as
``--n`` needs: each commune reports each metric each month, so 84 metrics
give 111,767,040 rows. Values are whole numbers below 10,000 in a
``decimal128(38, 0)`` column, as :func:`~antq_core.io.frames.write_parquet`
writes them; the derived columns are left out (the reader accepts that).

For each step: seconds, the process's resident memory after it (VmRSS) and
its peak so far (VmHWM, which never goes down). Nothing is asserted.

Usage::

    python benchmarks/scale.py [--n 100000000] [--dir DIR] [--keep] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    aggregate,
    validate,
)
from antq_core.io.frames import read_parquet

PROVINCES, DISTRICTS, COMMUNES = 63, 11, 16  # districts per province, communes per district
MONTHS = 120
FIRST_YEAR = 2015
ROWS_PER_GROUP = 1 << 20


def gazetteer() -> Gazetteer:
    units = [AdminUnit(f"{p + 1:02d}", f"Tỉnh {p}", "province") for p in range(PROVINCES)]
    units.extend(
        AdminUnit(f"{d:03d}", f"Huyện {d}", "district", f"{d // DISTRICTS + 1:02d}")
        for d in range(PROVINCES * DISTRICTS)
    )
    units.extend(
        AdminUnit(f"{c:05d}", f"Xã {c}", "commune", f"{c // COMMUNES:03d}", "xã")
        for c in range(PROVINCES * DISTRICTS * COMMUNES)
    )
    return Gazetteer("scale", units, title="Synthetic country for benchmarks/scale.py")


def metrics(count: int) -> list[MetricDefinition]:
    """``count`` metrics, five flows for every two stocks."""
    found = []
    for i in range(count):
        stock = i % 7 >= 5
        found.append(
            MetricDefinition(
                id=f"{'stock' if stock else 'flow'}_{i:03d}",
                name_vi=f"Chỉ tiêu {i}",
                name_en=f"Metric {i}",
                unit="member" if stock else "case",
                kind="stock" if stock else "flow",
            )
        )
    return found


def months() -> list[str]:
    return [f"{FIRST_YEAR + m // 12}-{m % 12 + 1:02d}" for m in range(MONTHS)]


def write(path: Path, defs: list[MetricDefinition], seed: int) -> int:
    """The file: every commune, every month, every metric; returns the number of rows."""
    communes = PROVINCES * DISTRICTS * COMMUNES
    commune_codes = pa.array([f"{c:05d}" for c in range(communes)])
    month_codes = pa.array(months())
    metric_codes = pa.array([m.id for m in defs])
    unit_codes = pa.array(["case", "member"])
    is_stock = np.array([m.kind == "stock" for m in defs])
    rng = np.random.default_rng(seed)
    per_metric = communes * MONTHS
    rows = 0
    with pq.ParquetWriter(path, _schema()) as out:
        for m in range(len(defs)):
            # one metric's rows, commune-major then month, in row groups
            for start in range(0, per_metric, ROWS_PER_GROUP):
                stop = min(start + ROWS_PER_GROUP, per_metric)
                k = np.arange(start, stop, dtype=np.int64)
                n = len(k)
                values = rng.integers(0, 10_000, n, dtype=np.int64)
                batch = pa.record_batch(
                    [
                        pa.DictionaryArray.from_arrays(np.full(n, m, np.int32), metric_codes),
                        pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), pa.array(["unit"])),
                        pa.DictionaryArray.from_arrays(
                            (k // MONTHS).astype(np.int32), commune_codes
                        ),
                        pa.DictionaryArray.from_arrays((k % MONTHS).astype(np.int32), month_codes),
                        pa.DictionaryArray.from_arrays(
                            np.full(n, int(is_stock[m]), np.int32), unit_codes
                        ),
                        pa.array(values).cast(pa.decimal128(38, 0)),
                    ],
                    schema=_schema(),
                )
                out.write_batch(batch)
                rows += n
    return rows


def _schema() -> pa.Schema:
    text = pa.dictionary(pa.int32(), pa.string())
    return pa.schema(
        [
            ("metric", text),
            ("subject_kind", text),
            ("subject_id", text),
            ("period", text),
            ("unit", text),
            ("value", pa.decimal128(38, 0)),
        ]
    )


def memory() -> dict[str, float]:
    """Resident memory now and at its peak, in MB (from /proc/self/status)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            found[key] = int(rest.split()[0]) / 1024
    return {"rss_mb": round(found["VmRSS"]), "peak_mb": round(found["VmHWM"])}


def step(name: str, results: dict[str, Any], fn: Any) -> Any:
    gc.collect()
    began = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - began
    results[name] = {"seconds": round(seconds, 2), **memory(), "load": os.getloadavg()[0]}
    print(f"{name:<18} {seconds:8.1f} s   {results[name]}", file=sys.stderr, flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000_000, help="rows, at least")
    parser.add_argument("--dir", type=Path, default=None, help="where the file goes")
    parser.add_argument("--keep", action="store_true", help="keep the file (and reuse it)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    communes = PROVINCES * DISTRICTS * COMMUNES
    count = max(math.ceil(args.n / (communes * MONTHS)), 7)
    defs = metrics(count)
    folder = Path(args.dir or tempfile.mkdtemp(prefix="antq-scale-"))
    path = folder / f"country-{count}-metrics.parquet"
    results: dict[str, Any] = {"metrics": count, "start": memory()}
    if not path.exists():
        rows = step("write parquet", results, lambda: write(path, defs, args.seed))
    else:
        rows = pq.ParquetFile(path).metadata.num_rows
    results["rows"] = rows
    results["file_mb"] = round(path.stat().st_size / 2**20)
    print(f"{rows:,} rows, {count} metrics, {results['file_mb']} MB", file=sys.stderr)
    base = Dataset(
        gazetteer=gazetteer(),
        metadata=DatasetMetadata(title_vi="Dữ liệu tổng hợp cho benchmarks/scale.py"),
        metrics=defs,
    )
    ds = step("read_parquet", results, lambda: read_parquet(path, dataset=base))
    flows = [m.id for m in defs if m.kind == "flow"]
    stocks = [m.id for m in defs if m.kind == "stock"]
    by = ["district", "year"]
    table = step("aggregate sum", results, lambda: aggregate(ds, flows, by=by, engine="polars"))
    results["sum_rows"] = len(table)
    del table
    table = step("aggregate stock", results, lambda: aggregate(ds, stocks, by=by, engine="polars"))
    results["stock_rows"] = len(table)
    del table
    if not args.no_validate:
        report = step("validate", results, lambda: validate(ds))
        results["issues"] = len(report.issues)
    if not args.keep:
        path.unlink()
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
