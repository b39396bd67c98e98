"""Wholes beside their parts in space: the cost of the check on figures reported at three levels.

The data: the national map of June 2025 (``vn_2025_06``); every commune reports
``--metrics`` flow metrics for each month of 2024, each district the sum of its
communes, each province the sum of its districts (so about 10,000 x 12 x metrics
commune rows, default 8 metrics: about 1,040,000 rows in all). The figures agree,
so the check has every (whole, period) to compare and nothing to report; then
``--planted`` district figures are raised by one, each giving one error.

Timed: the space check alone (``space.check`` on a fresh validation context, its
columns already read) and the whole of ``validate(dataset, engine="python")``,
median of ``--repeat`` runs after one warm-up. The numbers are reported, never
asserted.

Usage::

    python benchmarks/validate_space.py [--metrics M] [--planted P] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections import defaultdict

from antq_core import Dataset, DatasetMetadata, Observation, bundled_gazetteer, validate
from antq_core._aggregate.counts import EXACT
from antq_core._validation.checks import Context, space
from antq_core._validation.checks.ratios import RATIO_TOLERANCE
from antq_core._validation.run import DEFAULT_LEVELS, _options

FLOWS = (
    "tips_received",
    "valuable_tips",
    "mediation_cases",
    "outreach_meetings",
    "cases_resolved_jointly",
    "released_prisoners_received",
    "migration_households",
    "commendations",
)
UNITS = {
    "tips_received": "tip",
    "valuable_tips": "tip",
    "mediation_cases": "case",
    "outreach_meetings": "meeting",
    "cases_resolved_jointly": "case",
    "released_prisoners_received": "person",
    "migration_households": "household",
    "commendations": "award",
}


def build(metrics: int, planted: int, seed: int) -> Dataset:
    rng = random.Random(seed)
    gaz = bundled_gazetteer("vn_2025_06")
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    rows: list[Observation] = []
    district_rows: list[int] = []
    for metric in FLOWS[:metrics]:
        unit = UNITS[metric]
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for commune in (u for u in gaz if u.level.value == "commune"):
            district, province = gaz.lineage(commune.code)[1:3]
            for month in months:
                value = rng.randrange(50)
                rows.append(_row(metric, commune.code, month, value, unit))
                totals[district, month] += value
                totals[province, month] += value
        for (code, month), value in totals.items():
            if gaz.unit(code).level.value == "district":
                district_rows.append(len(rows))
            rows.append(_row(metric, code, month, value, unit))
    for i in rng.sample(district_rows, planted):  # a district below its communes: an error
        rows[i] = rows[i].model_copy(update={"value": rows[i].value - 1})
    return Dataset(gazetteer=gaz, metadata=DatasetMetadata(title_vi="Thử"), observations=rows)


def _row(metric: str, code: str, month: str, value: int, unit: str) -> Observation:
    return Observation.model_construct(
        metric=metric, subject=f"unit:{code}", period=month, value=value, unit=unit
    )


def _timed(fn: object) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=8)
    parser.add_argument("--planted", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ds = Dataset.from_json(build(args.metrics, args.planted, args.seed).dumps())

    def space_only() -> int:
        options = _options(ds, None, DEFAULT_LEVELS, EXACT, "python", RATIO_TOLERANCE)
        context = Context(ds, options)
        context.cols  # noqa: B018 - read once, outside the timing of the check
        return len(list(space.check(context)))

    found = validate(ds, engine="python").codes()
    assert found["space-parts-exceed-whole"] == args.planted, found
    space_only()
    check = [_timed(space_only) for _ in range(args.repeat)]
    whole = [_timed(lambda: validate(ds, engine="python")) for _ in range(args.repeat)]
    n = len(ds.observations)
    print(f"rows: {n:,}; planted errors found: {found['space-parts-exceed-whole']}")
    median = statistics.median(check)
    print(f"space check: {median:.2f} s ({median / n * 1e6:.2f} µs/row)")
    print(f"validate (python engine), all checks: {statistics.median(whole):.2f} s")


if __name__ == "__main__":
    main()
