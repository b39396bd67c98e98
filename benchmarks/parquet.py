"""Aggregate from Parquet files on DuckDB, without loading the observations (issue 15).

Writes the workloads of ``benchmarks/aggregate.py`` (flows, stocks; villages
of a synthetic country, 60 months) as ``write_parquet`` files, then times
``aggregate_parquet`` (sum and stock, district x year) against a hand-written
DuckDB query over the same files, each run in a fresh process so that its
peak RSS is its own::

    python benchmarks/parquet.py write --n 10000000 /tmp/antq-parquet
    flock /tmp/antq-bench.lock python benchmarks/parquet.py bench /tmp/antq-parquet

``bench`` runs antq and the reference alternately (A B A B ...), ``--repeat``
times each, and prints medians, the ratio and each one's peak RSS (from
``/usr/bin/time -v`` when it exists, else ``ru_maxrss``), with the load
average before and after. ``run`` is one timed child run.

The reference queries (what an expert writes for this layout): the sum is one
``GROUP BY`` over the file joined to a village -> district table; the stock
is a window filter (``ROW_NUMBER() OVER (PARTITION BY metric, village, year
ORDER BY month DESC) = 1``), then a ``GROUP BY``. They check nothing: no
unplaceable rows, qualifiers, units, duplicates or missing counts, which
antq's table carries.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import aggregate as bench  # benchmarks/aggregate.py: the workloads and their geography
from antq_core import Dataset, DatasetMetadata
from antq_core.io.frames import write_parquet

KINDS = ("flow", "stock")


def _geography(n: int) -> bench.Geography:
    return bench.Geography(provinces=max(1, -(-n // bench.ROWS_PER_PROVINCE)))


def entities(n: int) -> Dataset:
    """The small part, loaded: gazetteer and metrics (no observations)."""
    geo = _geography(n)
    return Dataset(
        gazetteer=geo.gazetteer(),
        metadata=DatasetMetadata(title_vi="Dữ liệu tổng hợp cho benchmarks/parquet.py"),
        metrics=bench.metric_definitions(),
    )


def write(n: int, folder: Path, seed: int) -> None:
    geo = _geography(n)
    gazetteer = geo.gazetteer()
    for kind in KINDS:
        rows = bench.generate(kind, n, geo, seed)
        ds = bench.build_dataset(rows, geo, gazetteer)
        (folder / kind).mkdir(parents=True, exist_ok=True)
        write_parquet(ds, folder / kind / "observations.parquet")
        print(f"wrote {len(rows):,} {kind} rows to {folder / kind}", flush=True)
    (folder / "n.json").write_text(json.dumps({"n": n, "seed": seed}))


def _reference(con: Any, path: Path, kind: str, geo: bench.Geography) -> int:
    """The hand-written DuckDB query; returns the number of groups."""
    import pyarrow as pa

    villages = geo.codes("village")
    districts = [geo.district_code(int(d)) for d in geo.village_to("district")]
    con.register("place", pa.table({"village": villages, "district": districts}))
    source = f"read_parquet('{path}/*.parquet')"
    if kind == "flow":
        query = (
            "SELECT r.metric, p.district, year(r.period_start) AS year, SUM(r.value) AS total"
            f" FROM {source} r JOIN place p ON p.village = r.subject_id GROUP BY ALL"
        )
    else:
        query = (
            "SELECT metric, district, year, SUM(value) AS total FROM ("
            " SELECT r.metric, p.district, year(r.period_start) AS year, r.value,"
            " ROW_NUMBER() OVER (PARTITION BY r.metric, r.subject_id, year(r.period_start)"
            " ORDER BY r.period_end DESC) AS pick"
            f" FROM {source} r JOIN place p ON p.village = r.subject_id"
            ") WHERE pick = 1 GROUP BY ALL"
        )
    return len(con.execute(query).fetchall())


def run(folder: Path, kind: str, who: str, memory_limit: str | None) -> dict[str, Any]:
    import duckdb

    from antq_core import aggregate_parquet

    n = json.loads((folder / "n.json").read_text())["n"]
    metrics = list(bench.FLOW_METRICS if kind == "flow" else bench.STOCK_METRICS)
    config = {"memory_limit": memory_limit} if memory_limit else None
    start = time.perf_counter()
    if who == "antq":
        ds = entities(n)
        loaded = time.perf_counter() - start
        table = aggregate_parquet(
            ds, folder / kind, metrics, by=["district", "year"], duckdb_config=config
        )
        groups = len(table)
        unplaceable = len(table.unplaceable)
    else:
        loaded, unplaceable = 0.0, 0
        con = duckdb.connect(config=config or {})
        groups = _reference(con, folder / kind, kind, _geography(n))
    seconds = time.perf_counter() - start
    return {
        "who": who,
        "kind": kind,
        "seconds": seconds,
        "entities_seconds": loaded,
        "groups": groups,
        "unplaceable": unplaceable,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(folder: Path, kind: str, who: str, memory_limit: str | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "run", str(folder), kind, who]
    if memory_limit:
        command += ["--memory-limit", memory_limit]
    timer = Path("/usr/bin/time")
    if timer.exists():
        command = [str(timer), "-v", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    for line in done.stderr.splitlines():
        if "Maximum resident set size" in line:
            result["peak_rss_mb"] = int(line.split(":")[1]) / 1024
    return result


def bench_all(folder: Path, repeat: int, memory_limit: str | None) -> None:
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    for kind in KINDS:
        results: dict[str, list[dict[str, Any]]] = {"antq": [], "duckdb": []}
        for _ in range(repeat):
            for who in ("antq", "duckdb"):  # interleaved: A B A B ...
                results[who].append(_child(folder, kind, who, memory_limit))
        medians = {w: statistics.median(r["seconds"] for r in rs) for w, rs in results.items()}
        for who, rs in results.items():
            peak = max(r.get("peak_rss_mb", r["maxrss_mb"]) for r in rs)
            times = ", ".join(f"{r['seconds']:.2f}" for r in rs)
            print(
                f"{kind:5} {who:6} median {medians[who]:.2f} s ({times}); peak RSS"
                f" {peak:.0f} MB; groups {rs[0]['groups']}, unplaceable {rs[0]['unplaceable']}",
                flush=True,
            )
        print(f"{kind:5} ratio antq / duckdb: {medians['antq'] / medians['duckdb']:.2f}x")
    print(f"load after: {Path('/proc/loadavg').read_text().strip()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write the workloads as Parquet")
    w.add_argument("--n", type=int, default=10_000_000)
    w.add_argument("--seed", type=int, default=2017)
    w.add_argument("folder", type=Path)
    b = sub.add_parser("bench", help="time antq against the reference, in fresh processes")
    b.add_argument("folder", type=Path)
    b.add_argument("--repeat", type=int, default=3)
    b.add_argument("--memory-limit", help="DuckDB memory_limit for both, e.g. 1GB")
    r = sub.add_parser("run", help="one timed run (a child of bench)")
    r.add_argument("folder", type=Path)
    r.add_argument("kind", choices=KINDS)
    r.add_argument("who", choices=("antq", "duckdb"))
    r.add_argument("--memory-limit")
    args = parser.parse_args()
    if args.command == "write":
        write(args.n, args.folder, args.seed)
    elif args.command == "bench":
        bench_all(args.folder, args.repeat, args.memory_limit)
    else:
        print(json.dumps(run(args.folder, args.kind, args.who, args.memory_limit)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
