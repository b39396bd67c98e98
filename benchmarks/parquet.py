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
is ``arg_max(value, period_end)`` per (metric, village, year), joined to the
same table, then a ``GROUP BY`` (round 4: 3.2x faster than the window filter
``ROW_NUMBER() OVER (...) = 1`` it replaced; see ``_reference``). They check
nothing: no unplaceable rows, qualifiers, units, duplicates or missing
counts, which antq's table carries. Before timing, ``bench`` computes both
answers once and stops if they differ (``--no-check`` skips that).
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


def _reference_rows(
    con: Any,
    path: Path,
    kind: str,
    geo: bench.Geography,
    by: tuple[str, str] = ("district", "year"),
) -> list[Any]:
    """The hand-written DuckDB query's rows: (metric, place, period, total) by (level, time).

    Round 4, 10M rows a workload, one connection, the three interleaved, median of 3,
    load 1.2-1.8 (``flock``-ed): the sum as written (0.63 s) beat the village table as
    a native DuckDB table instead of registered Arrow (0.64 s), ``SUM(value::BIGINT)``
    (1.18 s: the cast from the file's ``DECIMAL(38, 0)`` costs more than the wide sum),
    summing per (metric, village, year) before the join (2.21 s), and even the file's
    own ``district`` column without any join (0.76 s; not the same work anyway: antq
    places each subject through the gazetteer). The stock by ``arg_max(value,
    period_end)`` per (metric, village, year), then the join: 1.80 s, against 5.73 s for
    the ``ROW_NUMBER() ... = 1`` window filter it replaces, 5.54 s for the same filter as
    ``QUALIFY``, 2.22 s for ``arg_max`` of ``value::BIGINT``, 2.85 s joining before the
    ``arg_max``. Same answers (checked group by group). The synthetic rows never tie on
    the last month; ``arg_max`` would keep one of a tie, which antq reports instead.
    """
    import pyarrow as pa

    level, time_level = by
    villages = geo.codes("village")
    code_of = getattr(geo, f"{level}_code")
    places = [code_of(int(d)) for d in geo.village_to(level)] if level != "village" else villages
    con.register("place", pa.table({"village": villages, "place": places}))
    source = f"read_parquet('{path}/*.parquet')"
    period = "year(period_start)" if time_level == "year" else "strftime(period_start, '%Y-%m')"
    if kind == "flow":
        query = (
            f"SELECT r.metric, p.place, {period} AS t, SUM(r.value) AS total"
            f" FROM {source} r JOIN place p ON p.village = r.subject_id GROUP BY ALL"
        )
    else:
        query = (
            "SELECT r.metric, p.place, r.t, SUM(r.value) AS total FROM ("
            f" SELECT metric, subject_id, {period} AS t,"
            " arg_max(value, period_end) AS value"
            f" FROM {source} GROUP BY ALL"
            ") r JOIN place p ON p.village = r.subject_id GROUP BY ALL"
        )
    rows: list[Any] = con.execute(query).fetchall()
    return rows


def _reference(con: Any, path: Path, kind: str, geo: bench.Geography, by: tuple[str, str]) -> int:
    """The hand-written DuckDB query; returns the number of groups."""
    return len(_reference_rows(con, path, kind, geo, by))


def _when(period: Any, time_level: str) -> Any:
    start = period.start
    return start.year if time_level == "year" else f"{start.year}-{start.month:02d}"


def check(folder: Path, by: tuple[str, str]) -> None:
    """Both answers once, in this process: stop if antq's table and the reference differ."""
    import duckdb

    from antq_core import aggregate_parquet

    n = json.loads((folder / "n.json").read_text())["n"]
    for kind in KINDS:
        metrics = list(bench.FLOW_METRICS if kind == "flow" else bench.STOCK_METRICS)
        table = aggregate_parquet(entities(n), folder / kind, metrics, by=list(by))
        ours = {
            (row.metric, row.keys[by[0]], _when(row.keys[by[1]], by[1])): (
                None if row.quantity is None else row.quantity.value
            )
            for row in table
        }
        con = duckdb.connect()
        rows = _reference_rows(con, folder / kind, kind, _geography(n), by)
        con.close()
        theirs = {(m, d, y): int(total) for m, d, y, total in rows}
        if ours != theirs:
            differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
            msg = (
                f"{kind}: antq and the reference differ in {len(differ)} groups, e.g. {differ[:3]}"
            )
            raise SystemExit(msg)
        print(f"{kind}: antq and the reference agree on {len(ours)} groups", flush=True)


def run(
    folder: Path, kind: str, who: str, memory_limit: str | None, by: tuple[str, str]
) -> dict[str, Any]:
    import duckdb

    from antq_core import aggregate_parquet

    n = json.loads((folder / "n.json").read_text())["n"]
    metrics = list(bench.FLOW_METRICS if kind == "flow" else bench.STOCK_METRICS)
    config = {"memory_limit": memory_limit} if memory_limit else None
    start = time.perf_counter()
    if who == "antq":
        ds = entities(n)
        loaded = time.perf_counter() - start
        table = aggregate_parquet(ds, folder / kind, metrics, by=list(by), duckdb_config=config)
        groups = len(table)
        unplaceable = len(table.unplaceable)
    else:
        loaded, unplaceable = 0.0, 0
        con = duckdb.connect(config=config or {})
        groups = _reference(con, folder / kind, kind, _geography(n), by)
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


def _child(
    folder: Path, kind: str, who: str, memory_limit: str | None, by: tuple[str, str]
) -> dict[str, Any]:
    command = [sys.executable, __file__, "run", str(folder), kind, who, "--by", ",".join(by)]
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


def bench_all(
    folder: Path,
    repeat: int,
    memory_limit: str | None,
    *,
    checked: bool = True,
    by: tuple[str, str] = ("district", "year"),
) -> None:
    if checked:
        check(folder, by)
    print(f"by {by[0]} x {by[1]}", flush=True)
    print(f"load before: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    for kind in KINDS:
        results: dict[str, list[dict[str, Any]]] = {"antq": [], "duckdb": []}
        for _ in range(repeat):
            for who in ("antq", "duckdb"):  # interleaved: A B A B ...
                results[who].append(_child(folder, kind, who, memory_limit, by))
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
    b.add_argument(
        "--by", default="district,year", help="level,year|month (default district,year)"
    )
    b.add_argument(
        "--no-check", action="store_true", help="skip comparing antq's answer with the reference's"
    )
    r = sub.add_parser("run", help="one timed run (a child of bench)")
    r.add_argument("folder", type=Path)
    r.add_argument("kind", choices=KINDS)
    r.add_argument("who", choices=("antq", "duckdb"))
    r.add_argument("--memory-limit")
    r.add_argument("--by", default="district,year")
    args = parser.parse_args()
    if args.command == "write":
        write(args.n, args.folder, args.seed)
    elif args.command == "bench":
        by = tuple(args.by.split(","))
        bench_all(args.folder, args.repeat, args.memory_limit, checked=not args.no_check, by=by)
    else:
        by = tuple(args.by.split(","))
        print(json.dumps(run(args.folder, args.kind, args.who, args.memory_limit, by)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
