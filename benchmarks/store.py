"""The SQL store at a million observations: load into a Dataset, and apply a submission.

Targets (issue 16):

* ``Store.load()`` of N observations (default 1,000,000) from SQLite and from
  PostgreSQL within 3x the time ``Dataset.from_json`` takes on the same data as
  the native JSON document (bytes already in memory);
* ``Store.apply`` of a 100-observation submission to the stored N-observation
  dataset in at most 100 ms, transaction and commit included.

The data is ``benchmarks/load.py``'s synthetic dataset (same generator and seed).
The script saves it into a SQLite file in a temporary folder, and into PostgreSQL
when ``--postgres URL`` is given or ``ANTQ_BENCH_POSTGRES_URL`` is set (the database
must be empty or a store; the script drops the store's tables first). To run it on a
throwaway server::

    tools/with-postgres.sh sh -c \
        '.venv/bin/python benchmarks/store.py --postgres "$ANTQ_TEST_POSTGRES_URL"'

Times are the median of ``--repeat`` runs after one warm-up. The apply is timed
for new figures (each run a submission for a new month: 100 creates) and for
replacing figures (the same month again with other values: 100 updates); each
submission is one commune's, with 100 distinct metric and breakdown keys.

Usage::

    python benchmarks/store.py [--n N] [--repeat R] [--seed S] [--postgres URL] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sqlalchemy as sa
from load import generate  # the generator of benchmarks/load.py

from antq_core import Dataset, Submission
from antq_core.store import Store

TARGET_LOAD_RATIO = 3.0
TARGET_APPLY_S = 0.100
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _keys(ds: Dataset, count: int) -> list[dict[str, Any]]:
    """``count`` distinct (metric, breakdown) items of metrics that are not ratios."""
    items: list[dict[str, Any]] = []
    for metric in ds.metrics.values():
        if metric.kind == "ratio":
            continue
        slices: list[dict[str, str]] = [{}]
        for category_id in metric.categories:
            options = ds.categories[category_id].options
            slices += [{**d, category_id: o.id} for d in slices for o in options]
        items.extend({"metric": metric.id, "disaggregation": d} for d in slices)
    if len(items) < count:
        msg = f"only {len(items)} distinct items in the synthetic catalog"
        raise RuntimeError(msg)
    return items[:count]


def _submission(keys: list[dict[str, Any]], month: int, base: int) -> Submission:
    year, m = divmod(month, 12)
    return Submission.model_validate(
        {
            "subject": "unit:03000",
            "period": f"{2040 + year}-{m + 1:02d}",
            "items": [{**k, "value": base + i} for i, k in enumerate(keys)],
            "stored_by": "bench",
        }
    )


def _drop_store_tables(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            if name.startswith("antq_"):
                conn.execute(sa.text(f'DROP TABLE "{name}" CASCADE'))
    engine.dispose()


def measure(url: str, ds: Dataset, json_s: float, repeat: int) -> dict[str, Any]:
    store = Store.open(url)
    try:
        save_s = _timed(lambda: store.save(ds))
        loaded = store.load()  # the warm-up, and a check
        assert len(loaded.observations) == len(ds.observations)
        del loaded
        loads = [_timed(store.load) for _ in range(repeat)]
        keys = _keys(ds, 100)
        store.apply(_submission(keys, 0, 1), now=NOW)  # warm-up: caches the entities
        runs = range(1, repeat * 3 + 1)
        new = [_submission(keys, r, 1) for r in runs]
        replacing = [_submission(keys, r, 1000 + r) for r in runs]
        creates = [_timed(lambda s=s: store.apply(s, now=NOW)) for s in new]
        updates = [_timed(lambda s=s: store.apply(s, now=NOW)) for s in replacing]
        check = store.apply(_submission(keys, 1, 5), now=NOW)
        assert check.updated == 100, check
        load_s = statistics.median(loads)
        return {
            "url": store.url,
            "save_s": save_s,
            "load_s": load_s,
            "load_runs_s": loads,
            "load_ratio": load_s / json_s,
            "apply_create_s": statistics.median(creates),
            "apply_update_s": statistics.median(updates),
            "apply_create_runs_s": creates,
            "apply_update_runs_s": updates,
        }
    finally:
        store.close()


def run(n: int, repeat: int, seed: int, postgres: str | None) -> dict[str, Any]:
    document, _, _ = generate(n, seed)
    ds = Dataset.from_json(document)  # warm-up
    json_runs = [_timed(lambda: Dataset.from_json(document)) for _ in range(repeat)]
    json_s = statistics.median(json_runs)
    document = b""  # free it
    results: dict[str, Any] = {
        "n": n,
        "seed": seed,
        "repeat": repeat,
        "from_json_s": json_s,
        "from_json_runs_s": json_runs,
        "engines": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        results["engines"]["sqlite"] = measure(url, ds, json_s, repeat)
    if postgres:
        _drop_store_tables(postgres)
        results["engines"]["postgresql"] = measure(postgres, ds, json_s, repeat)
        _drop_store_tables(postgres)
    results["machine"] = {
        "python": platform.python_version(),
        "sqlalchemy": sa.__version__,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "load_average": os.getloadavg()[0],
    }
    return results


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"Python {m['python']}, SQLAlchemy {m['sqlalchemy']}, {m['cpu_count']} CPUs, "
        f"load average {m['load_average']:.1f}, {m['platform']}",
        f"{r['n']:,} observations (seed {r['seed']}); median of {r['repeat']} runs after a "
        f"warm-up (apply: of {3 * r['repeat']} runs)",
        f"Dataset.from_json: {r['from_json_s']:.2f} s",
        "",
        "engine       save s  load s  load/json  apply new ms  apply replace ms",
    ]
    for name, e in r["engines"].items():
        lines.append(
            f"{name:<11} {e['save_s']:7.2f} {e['load_s']:7.2f} {e['load_ratio']:9.2f}x "
            f"{1000 * e['apply_create_s']:13.1f} {1000 * e['apply_update_s']:17.1f}"
        )
    lines.append("")
    for name, e in r["engines"].items():
        ok_load = e["load_ratio"] <= TARGET_LOAD_RATIO
        ok_apply = max(e["apply_create_s"], e["apply_update_s"]) <= TARGET_APPLY_S
        lines.append(
            f"{name}: load within {TARGET_LOAD_RATIO}x of JSON: "
            f"{'met' if ok_load else 'NOT MET'}; "
            f"apply <= {1000 * TARGET_APPLY_S:.0f} ms: {'met' if ok_apply else 'NOT MET'}"
        )
    if "postgresql" not in r["engines"]:
        lines.append("postgresql: not measured (give --postgres URL or ANTQ_BENCH_POSTGRES_URL)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="observations (1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after a warm-up (3)")
    parser.add_argument("--seed", type=int, default=2017, help="generator seed (2017)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("ANTQ_BENCH_POSTGRES_URL"),
        help="a PostgreSQL URL to measure too (its antq_* tables are dropped)",
    )
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args()
    results = run(args.n, args.repeat, args.seed, args.postgres)
    print(json.dumps(results, indent=1) if args.json else report(results))


if __name__ == "__main__":
    main()
