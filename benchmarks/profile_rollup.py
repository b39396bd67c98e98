"""Where ``aggregate_rollup`` spends its time (issue 15), phase by phase; not a benchmark.

``python benchmarks/profile_rollup.py N [BY ...]``: on N flow rows built as ``aggregate.py``
builds them, the polars engine, village and ``BY`` (default ``year``), medians of 3 of each
phase of the rollup (the per-level plans, the per-level space settling, the one scan, the
roll-up of its cells, each level's finish) beside one leaf ``aggregate()``, with the load
average. The phases repeat what ``aggregate_rollup`` does (no suppression, no reporting), so
their sum is close to, not equal to, the rollup's own time, which is printed too.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import aggregate as bench
from antq_core import aggregate, aggregate_rollup
from antq_core._aggregate.columnar import finish
from antq_core._aggregate.engine import select_engine
from antq_core._aggregate.plan import level_groups, make_plan, scan_plan
from antq_core._aggregate.rollup import fewer_pairs, rolled_up_levels
from antq_core._aggregate.space import SpaceOverlap, settle_space

_LEVELS = ("province", "district", "commune", "village")


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _phases(ds: Any, metrics: list[str], rest: list[str]) -> dict[str, float]:
    times: dict[str, float] = {}

    def make_plans() -> dict[str, Any]:
        made: dict[str, Any] = {}
        below = None
        for lv in reversed(_LEVELS):  # deepest first, each from the level below
            below = made[lv] = make_plan(
                ds,
                metrics,
                [lv, *rest],
                periods=None,
                within=None,
                initiatives=None,
                columnar=True,
                below=below,
            )
        return {lv: made[lv] for lv in _LEVELS}

    t, plans = _timed(make_plans)
    times["plan x4"] = t
    t, _ = _timed(lambda: [settle_space(ds, p, SpaceOverlap.ERROR) for p in plans.values()])
    times["settle x4"] = t
    leaf = plans["village"]
    picked = select_engine("polars", leaf)
    t, (scanning, first) = _timed(lambda: scan_plan(ds, leaf))
    times["scan plan"] = t
    t, scan = _timed(lambda: fewer_pairs(picked.scan(scanning), scanning, first))
    times["scan"] = t
    bottom_up = list(reversed(plans))
    t, rolled = _timed(
        lambda: rolled_up_levels(scan, [level_groups(plans[lv], first) for lv in bottom_up])
    )
    times["roll up"] = t
    for lv, level_scan in zip(bottom_up, rolled, strict=True):
        times[f"finish {lv}"], _ = _timed(
            lambda p=plans[lv], s=level_scan: finish(p, s, picked.name)
        )
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rest = sys.argv[2:] or ["year"]
    geo = bench.Geography(1)
    ds = bench.build_dataset(bench.generate("flow", n, geo, 2017), geo, geo.gazetteer())
    metrics = list(bench.FLOW_METRICS)
    by = ["village", *rest]
    aggregate_rollup(ds, metrics, by=by, engine="polars")  # warm-up
    leaf = statistics.median(
        _timed(lambda: aggregate(ds, metrics, by=by, engine="polars"))[0] for _ in range(3)
    )
    rolled = statistics.median(
        _timed(lambda: aggregate_rollup(ds, metrics, by=by, engine="polars"))[0] for _ in range(3)
    )
    runs = [_phases(ds, metrics, rest) for _ in range(3)]
    print(f"{by} n={n}: leaf aggregate {leaf:.3f} s, rollup {rolled:.3f} s, {rolled / leaf:.2f}x")
    for name in runs[0]:
        print(f"  {name:16} {statistics.median(r[name] for r in runs):.3f} s")
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main()
