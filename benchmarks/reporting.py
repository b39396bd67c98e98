"""Aggregate rows with and without their reporting rate (``aggregate(..., reporting=form)``).

A province of 1,000 communes reports a monthly form of ten metrics (two compulsory) for
twelve months: every tenth commune misses a month, one in thirteen leaves out a compulsory
metric, a seventh of the reports are late and a fifth carry no stored time. That is about
107,000 observations. The script times ``aggregate(ds, metrics, by=["commune", "month"])``
on the polars engine without the rate and with it, interleaved, and prints the medians and
their ratio. ``--check`` also asks the Python engine for the same table and says whether
the rows and their rates agree.

    python benchmarks/reporting.py [--repeat 5] [--check]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from typing import Any

from load import generate

from antq_core import AggregateTable, Dataset, aggregate

METRICS = [f"bench_{i}" for i in range(10)]


def dataset(communes: int = 1000, seed: int = 2017) -> Dataset:
    """``load.py``'s entities and map, with the monthly form and its reports as above."""
    document, _, _ = generate(communes, seed)
    raw = json.loads(document)
    raw["metrics"] += [
        {"id": m, "name_vi": m, "name_en": m, "unit": "case", "kind": "flow"} for m in METRICS
    ]
    raw["forms"] = [
        {
            "id": "monthly",
            "name_vi": "Báo cáo tháng",
            "name_en": "Monthly report",
            "period_kind": "month",
            "metrics": [{"metric": m, "compulsory": i < 2} for i, m in enumerate(METRICS)],
            "assigned_level": "commune",
            "timely_days": 5,
        }
    ]
    rows: list[dict[str, Any]] = []
    for c in range(communes):
        for month in range(1, 13):
            if (c + month) % 10 == 0:
                continue  # a missed month
            for i, metric in enumerate(METRICS):
                if i == 1 and c % 13 == 0:
                    continue  # a compulsory figure left out: no report
                row: dict[str, Any] = {
                    "metric": metric,
                    "subject": f"unit:{3000 + c:05d}",
                    "period": f"2028-{month:02d}",
                    "unit": "case",
                    "value": c + i,
                }
                if c % 5:  # else no stored time: on time unknown
                    day = 10 if c % 7 == 0 else 3  # a seventh late (due 5 days after)
                    year, after = (2029, 1) if month == 12 else (2028, month + 1)
                    stamp = f"{year}-{after:02d}-{day:02d}T00:00:00Z"
                    row["created"] = row["last_updated"] = stamp
                rows.append(row)
    raw["observations"] = rows
    return Dataset.from_dict(raw)


def table(ds: Dataset, form: str | None, engine: str = "polars") -> AggregateTable:
    """The commune x month table of the form's metrics, with the rate when ``form`` is set."""
    return aggregate(ds, METRICS, by=["commune", "month"], engine=engine, reporting=form)


def _rows(t: AggregateTable) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(sorted((k, str(v)) for k, v in r.keys.items())), r.metric, repr(r.reporting))
        for r in t
    )


def main() -> None:
    """Print the medians of each case and the ratio of with-rate to without."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="compare with the Python engine")
    args = parser.parse_args()
    ds = dataset()
    print(f"{len(ds.observations):,} observations; load average {os.getloadavg()[0]:.2f}")
    table(ds, "monthly")  # warm-up: imports, the store's facts
    times: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(args.repeat):
        for name, form in (("without", None), ("with", "monthly")):
            gc.collect()
            start = time.perf_counter()
            result = table(ds, form)
            times[name].append(time.perf_counter() - start)
            del result
    for name, runs in times.items():
        print(
            f"{name:8} median {statistics.median(runs):.3f} s  runs {[round(r, 3) for r in runs]}"
        )
    ratio = statistics.median(times["with"]) / statistics.median(times["without"])
    print(f"with / without: {ratio:.2f}x; load average {os.getloadavg()[0]:.2f}")
    if args.check:
        same = _rows(table(ds, "monthly")) == _rows(table(ds, "monthly", "python"))
        print("polars and python engines agree:", same)


if __name__ == "__main__":
    main()
