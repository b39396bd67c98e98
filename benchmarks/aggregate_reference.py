"""The pure-Python reference engine of ``aggregate()`` against a bare dict loop.

The requirement: one million observations rolled up by district x year for all
metrics within 1.5x of a bare Python loop accumulating the same rows into a
dict (flows), and within 2x for stocks (last value per unit and year, then the
sum over units). ``benchmarks/aggregate.py`` compares every engine with polars
and DuckDB; this script isolates the reference engine, with core dependencies
only, and says what its first call on a dataset costs.

Data, deterministic from ``--seed``: one province of 10 districts of 100
communes; 50 metrics (``--kind flow``: all flows; ``stock``: all stocks;
``mixed``: half and half), all in cases; N distinct (metric, commune, month)
observations over 60 months, exact integers, no disaggregation.

The bare loop reads the same columns (``ObservationStore.columns()``) with the
district of each subject and the year of each period looked up beforehand, as
the plan does. ``aggregate()`` is timed warm (median of ``--repeat`` runs
after one warm-up); its first call on a dataset also indexes who reported when
and looks for duplicate rows, which later calls reuse, and is reported apart.

Usage::

    python benchmarks/aggregate_reference.py [--n N] [--kind flow|stock|mixed] [--repeat R]

Targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Disaggregation,
    Gazetteer,
    MetricDefinition,
    Observation,
    Period,
    Qualifier,
    SubjectRef,
    Unit,
    aggregate,
)


def build(n: int, kind: str, seed: int) -> Dataset:
    rng = random.Random(seed)
    units = [AdminUnit(code="12", name="Tỉnh", level="province")]
    communes = []
    for d in range(10):
        district = f"{100 + d}"
        units.append(AdminUnit(code=district, name=f"Huyện {d}", level="district", parent="12"))
        for c in range(100):
            code = f"{d:02d}{c:03d}"
            units.append(
                AdminUnit(code=code, name=f"Xã {d}-{c}", level="commune", parent=district)
            )
            communes.append(code)
    kinds = {"flow": ["flow"], "stock": ["stock"], "mixed": ["flow", "stock"]}[kind]
    metrics = [
        MetricDefinition(
            id=f"m{i}", name_vi=f"m{i}", name_en=f"m{i}", unit="case", kind=kinds[i % len(kinds)]
        )
        for i in range(50)
    ]
    months = [Period.month(2013 + k // 12, k % 12 + 1) for k in range(60)]
    subjects = [SubjectRef("unit", c) for c in communes]
    case = Unit.get("case")
    build_row = Observation.model_construct  # trusted generated rows: skip validation
    rows = []
    for x in rng.sample(range(50 * len(communes) * 60), n):
        m, rest = divmod(x, len(communes) * 60)
        s, p = divmod(rest, 60)
        rows.append(
            build_row(
                metric=f"m{m}",
                subject=subjects[s],
                period=months[p],
                unit=case,
                value=rng.randrange(1000),
                qualifier=Qualifier.EXACT,
                disaggregation=Disaggregation({}),
                source=None,
                note=None,
            )
        )
    return Dataset(
        gazetteer=Gazetteer("synthetic", units),
        metadata=DatasetMetadata(title_vi="Tổng hợp"),
        metrics=metrics,
        observations=rows,
    )


def bare_loop(ds: Dataset) -> Callable[[], dict[tuple[int, str, int], int]]:
    cols = ds.observations.columns()
    district = [ds.gazetteer.ancestor_at(s.id, "district").code for s in cols.subjects]  # type: ignore[union-attr]
    year = [p.start.year for p in cols.periods]
    end = [p.end.toordinal() for p in cols.periods]  # ints compare faster than dates
    stock = [ds.metrics[m].kind.value == "stock" for m in cols.metrics]

    def run() -> dict[tuple[int, str, int], int]:
        sums: dict[tuple[int, str, int], int] = {}
        get = sums.get
        last: dict[tuple[int, int, int], tuple[int, int]] = {}
        last_get = last.get
        for m, s, p, v in zip(cols.metric, cols.subject, cols.period, cols.value, strict=True):
            if stock[m]:
                k = (m, s, year[p])
                c = last_get(k)
                if c is None or end[p] > c[0]:
                    last[k] = (end[p], v)
            else:
                key = (m, district[s], year[p])
                sums[key] = get(key, 0) + v
        for (m, s, y), (_, v) in last.items():
            key = (m, district[s], y)
            sums[key] = get(key, 0) + v
        return sums

    return run


def interleaved(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """``repeat`` rounds, each running every callable once, so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            gc.collect()
            start = time.perf_counter()
            result = run()
            times[name].append(time.perf_counter() - start)
            del result
    return times


def phases(ds: Dataset, metrics: list[str]) -> dict[str, float] | None:
    """One more warm call split into plan, scan and finish (private modules), or None."""
    try:
        from antq_core._aggregate.engine import ENGINES
        from antq_core._aggregate.finish import finish
        from antq_core._aggregate.plan import make_plan

        t0 = time.perf_counter()
        plan = make_plan(
            ds, metrics, ["district", "year"], periods=None, within=None, initiatives=None
        )
        t1 = time.perf_counter()
        scan = ENGINES["python"].scan(plan)
        t2 = time.perf_counter()
        finish(plan, scan, "python")
        t3 = time.perf_counter()
    except (ImportError, TypeError, AttributeError):  # the private modules changed
        return None
    return {"plan": t1 - t0, "scan": t2 - t1, "finish": t3 - t2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=["flow", "stock", "mixed"], default="flow")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2017)
    args = parser.parse_args()
    ds = build(args.n, args.kind, args.seed)
    metrics = list(ds.metrics)

    def ours() -> object:
        return aggregate(ds, metrics, by=["district", "year"], engine="python")

    start = time.perf_counter()
    table = ours()
    cold = time.perf_counter() - start
    reference = bare_loop(ds)
    got = {
        (r.metric, r.keys["district"], r.keys["year"].start.year): r.quantity.value for r in table
    }  # type: ignore[attr-defined, union-attr]
    names = ds.observations.columns().metrics
    want = {(names[m], d, y): v for (m, d, y), v in reference().items()}
    assert got == want, "aggregate() and the bare loop disagree"
    load = os.getloadavg()
    ours()  # warm-up (the first call above indexed the dataset)
    times = interleaved({"bare": reference, "ours": ours}, args.repeat)
    bare, warm = (statistics.median(times[k]) for k in ("bare", "ours"))
    best = min(times["ours"]) / min(times["bare"])
    split = phases(ds, metrics)
    target = {"flow": 1.5, "stock": 2.0, "mixed": 2.0}[args.kind]
    print(f"{platform.python_implementation()} {sys.version.split()[0]}, {platform.machine()}")
    print(f"{args.n:,} observations, {args.kind}, by district x year, median of {args.repeat}")
    print(f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"bare dict loop   {bare:7.3f} s   ({', '.join(f'{x:.3f}' for x in times['bare'])})")
    print(
        f"aggregate()      {warm:7.3f} s   {warm / bare:.2f}x  (target <= {target}x; "
        f"fastest runs {best:.2f}x)   ({', '.join(f'{x:.3f}' for x in times['ours'])})"
    )
    if split is not None:
        print("  one more call: " + ", ".join(f"{k} {v:.3f} s" for k, v in split.items()))
    print(f"first call       {cold:7.3f} s   (indexes who reported when, and duplicates, once)")


if __name__ == "__main__":
    main()
