"""Validate a million observations: every check and the built-in rules, against bare loops.

The requirements (issue 4):

* ``validate(dataset)`` on N observations (default 1,000,000) runs within 10x of
  a bare Python loop that only reads each observation's fields once, and its
  cost per observation does not grow with the dataset (shown at two sizes);
* loading the same observations from JSON *with validation* stays within 3x of
  pydantic validating the same bytes into a flat TypedDict (the method of
  ``benchmarks/load.py``, whose generator and baseline this script imports).

Two datasets, both on ``load.py``'s synthetic head (a province of 1,000
communes, 2,000 sites, 50 metrics) with a report date (13 July 2017):

* **realistic** (the headline): as real reports are. Each series (metric,
  subject, disaggregation) reports by month, quarter or year, each period
  once and none after the report date; values agree (parts within totals,
  the built-in rules hold, rates match their parts; see ``_consistent``);
  activity figures only, no registry totals (reconciliation has its own
  figure in docs/performance.md).
  Then 0.1% of the rows are planted problems, a third each: exact
  duplicates, conflicting values and a year's total beside its months, each
  in its own series; the script asserts that validation reports exactly
  those counts.
* **conflict-heavy** (the worst case, reported second): ``load.py``'s random
  rows as they are, so conflicts and overlaps grow with the size (tens of
  thousands of issues at 1M rows, each built and worded).

``validate`` is timed with both engines: ``auto`` (what users get: polars
finds repeated and overlapping rows from 200,000 observations when the
``[dataframe]`` extra is installed, as ``make bench`` does) and ``python``
(no extra); the script checks that both give the same report.

Two bare loops are timed, both reading each row's metric, subject, period,
unit, qualifier, disaggregation and value once:

* ``zip``: ``for row in zip(columns...)``, the fastest loop Python has;
* ``indexed``: ``for i in range(n)`` reading ``column[i]`` for each field (and
  ``exact`` when a value lives there), as code that visits rows one by one does.

Each figure is the median of ``--repeat`` runs after one warm-up, runs
interleaved, ``gc.collect()`` before each.

Usage::

    python benchmarks/validate.py [--n N] [--small N] [--repeat R] [--seed S] [--json]

(``make bench`` runs it among the others.)

The targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import time
import zlib
from collections.abc import Callable
from typing import Any

import pydantic

# load.py, the sibling script: Python puts the script directory first on sys.path.
from load import BASELINE, _head, _Rows, generate

from antq_core import Dataset, validate, validate_json

TARGET_CHECKS_RATIO = 10.0
TARGET_LOAD_RATIO = 3.0
REPORT_DATE = b'"metadata": {\n  "report_date": "2017-07-13",'


# Realistic periods: none after the report date, 13 July 2017.
R_MONTHS = tuple(f"{y}-{m:02d}" for y in range(2010, 2018) for m in range(1, 13))[:90]
R_QUARTERS = tuple(f"{y}Q{q}" for y in range(2010, 2018) for q in range(1, 5))[:30]
R_YEARS = tuple(str(y) for y in range(2010, 2017))
PLANTED_PER_MILLE = 1  # 0.1% of the rows are planted problems, a third of each kind


class _Series(_Rows):
    """Rows as real reports have them: each series reports each period once, none overlapping.

    A series (metric, subject, disaggregation) reports by month (85%), quarter
    (10%) or year (5%), each period once, so it holds no duplicate and no
    overlap; :func:`realistic` then plants a known number of both.
    """

    def __init__(self, rng: random.Random, head: dict[str, Any]) -> None:
        super().__init__(rng, head)
        self.next: dict[str, tuple[tuple[str, ...], int]] = {}

    def __call__(self) -> dict[str, Any]:
        while True:
            row = super().__call__()
            if row["metric"] in ENTITY_TOTALS:
                continue  # activity reports give no registry totals (see the module doc)
            key = json.dumps(
                [row["metric"], row["subject"], row.get("disaggregation")], sort_keys=True
            )
            kind, used = self.next.get(key, ((), 0))
            if not kind:
                p = self.rng.random()
                kind = R_MONTHS if p < 0.85 else R_QUARTERS if p < 0.95 else R_YEARS
            if used < len(kind):
                self.next[key] = (kind, used + 1)
                row["period"] = kind[used]
                _consistent(row)
                return row


# Figures that the built-in rules bound from above (small) or below (large).
SMALL = frozenset(
    {
        "valuable_tips",
        "mediation_succeeded",
        "mediation_failed",
        "released_prisoners_income_2m_plus",
        "migration_households",
    }
)
ENTITY_TOTALS = frozenset(
    {
        "initiatives",
        "initiative_sites",
        "mass_organizations",
        "mass_organization_members",
    }
)


def _consistent(row: dict[str, Any]) -> None:
    """Values that agree as real reports mostly do: parts within totals, rules that hold.

    Parts by one category are 80..99 and parts by two 0..9 (a few % of the
    disaggregated rows: members by organization kind and sex), so that the
    parts by two with one option fixed (at most 8 kinds x 9) stay within the
    part by one, totals of their metrics 1,000..1,999 hold any one category's
    parts (at most 8 x 99) and all parts by two, figures a rule bounds by
    another are 200..299, and mediation cases the sum of the succeeded and
    failed cases of the same subject and period (their values derived from it,
    so the three agree whichever rows are drawn); the mediation success rate is the
    percentage those give, rounded to a whole number as reports write it.
    """
    value = row["value"]
    if isinstance(value, str) or row["unit"] == "vnd":
        return
    metric = row["metric"]
    seed = zlib.crc32(f"{row['subject']} {row['period']}".encode()) & 0xFFFF
    if row.get("disaggregation"):
        row["value"] = value % 10 if len(row["disaggregation"]) > 1 else 80 + value % 20
    elif metric in {"mediation_succeeded", "mediation_failed"}:
        row["value"] = 200 + (seed % 50 if metric == "mediation_succeeded" else seed // 50 % 50)
    elif metric == "mediation_cases":
        row["value"] = 400 + seed % 50 + seed // 50 % 50
    elif metric == "mediation_success_rate":
        succeeded, cases = 200 + seed % 50, 400 + seed % 50 + seed // 50 % 50
        row["value"] = (200 * succeeded + cases) // (2 * cases)  # rounded half up
    elif metric in SMALL:
        row["value"] = 200 + value % 100
    else:
        row["value"] = 1000 + value % 1000


def _year(period: str) -> str:
    return period[:4]


def realistic(n: int, seed: int) -> tuple[bytes, dict[str, int]]:
    """A document of ``n`` rows without conflicts but a few planted ones; their counts."""
    rng = random.Random(seed)
    head = _head(rng)
    head["metadata"]["report_date"] = "2017-07-13"
    flows = {m["id"] for m in head["metrics"] if m["kind"] == "flow"}
    draw = _Series(rng, head)
    planted = max(3, n * PLANTED_PER_MILLE // 1000) // 3
    base = [draw() for _ in range(n - 3 * planted)]
    # Each plant goes to its own series, so each makes exactly one issue.
    by_series: dict[str, int] = {}
    for i, row in enumerate(base):
        key = json.dumps(
            [row["metric"], row["subject"], row.get("disaggregation")], sort_keys=True
        )
        by_series.setdefault(key, i)
    firsts = list(by_series.values())
    rng.shuffle(firsts)
    whole = [i for i in firsts if isinstance(base[i]["value"], int)]
    monthly = [
        i
        for i in firsts
        if base[i]["metric"] in flows and base[i]["period"] in R_MONTHS and "source" not in base[i]
    ]
    dup_rows = whole[:planted]
    conflict_rows = whole[planted : 2 * planted]
    taken = set(dup_rows) | set(conflict_rows)
    overlap_rows = [i for i in monthly if i not in taken][:planted]
    extra = [dict(base[i]) for i in dup_rows]
    extra += [base[i] | {"value": base[i]["value"] + 1} for i in conflict_rows]
    # A year's total beside its months: the same flow counted twice.
    extra += [base[i] | {"period": _year(base[i]["period"])} for i in overlap_rows]
    rows = base + extra
    rng.shuffle(rows)
    lines = ",\n  ".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    text = json.dumps(head, ensure_ascii=False, indent=1)
    document = f'{text[:-2]},\n "observations": [\n  {lines}\n ]\n}}\n'
    counts = {
        "duplicate-observation": len(dup_rows),
        "conflicting-observations": len(conflict_rows),
        "overlapping-periods": len(overlap_rows),
    }
    return document.encode(), counts


def _observations(document: bytes) -> bytes:
    """The observations array alone (the baseline's input)."""
    start = document.index(b'"observations": [') + len(b'"observations": ')
    return document[start : document.rindex(b"]") + 1]


def _document(n: int, seed: int, worst: bool = False) -> tuple[bytes, bytes, dict[str, int]]:
    if worst:
        document, observations, _ = generate(n, seed)
        return document.replace(b'"metadata": {', REPORT_DATE, 1), observations, {}
    document, planted = realistic(n, seed)
    return document, _observations(document), planted


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result
    return elapsed


def _zip_loop(ds: Dataset) -> Callable[[], object]:
    cols = ds.observations.columns()

    def run() -> int:
        count = 0
        for _row in zip(
            cols.metric,
            cols.subject,
            cols.period,
            cols.unit,
            cols.qualifier,
            cols.disaggregation,
            cols.value,
            strict=True,
        ):
            count += 1
        return count

    return run


def _indexed_loop(ds: Dataset) -> Callable[[], object]:
    cols = ds.observations.columns()

    def run() -> int:
        metric, subject, period, unit = cols.metric, cols.subject, cols.period, cols.unit
        qualifier, disaggregation, value, exact = (
            cols.qualifier,
            cols.disaggregation,
            cols.value,
            cols.exact,
        )
        count = 0
        for i in range(len(metric)):
            _ = (metric[i], subject[i], period[i], unit[i], qualifier[i], disaggregation[i])
            _ = exact[i] if i in exact else value[i]
            count += 1
        return count

    return run


def _median_runs(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    for fn in fns.values():  # warm-up
        fn()
    runs: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            runs[name].append(_timed(fn))
    return runs


def measure_checks(n: int, seed: int, repeat: int, worst: bool = False) -> dict[str, Any]:
    document, _, planted = _document(n, seed, worst)
    ds = Dataset.from_json(document)
    del document
    report = validate(ds)
    assert validate(ds, engine="python") == report  # the engines agree
    codes = report.codes()
    for code, count in planted.items():  # the checks find exactly what was planted
        assert codes[code] == count, (code, codes[code], count)
    runs = _median_runs(
        {
            "zip": _zip_loop(ds),
            "indexed": _indexed_loop(ds),
            "validate": lambda: validate(ds),
            "validate_python": lambda: validate(ds, engine="python"),
        },
        repeat,
    )
    med = {name: statistics.median(r) for name, r in runs.items()}
    return {
        "n": n,
        "data": "conflict-heavy" if worst else "realistic",
        "planted": planted,
        "runs": runs,
        "median": med,
        "ratio_zip": med["validate"] / med["zip"],
        "ratio_indexed": med["validate"] / med["indexed"],
        "ratio_python_zip": med["validate_python"] / med["zip"],
        "ratio_python_indexed": med["validate_python"] / med["indexed"],
        "us_per_row": med["validate"] / n * 1e6,
        "issues": len(report),
        "codes": dict(codes.most_common()),
        "rules_evaluated": report.rules_evaluated,
    }


def measure_load(n: int, seed: int, repeat: int) -> dict[str, Any]:
    document, observations, _ = _document(n, seed)

    def with_validation() -> object:
        return validate(Dataset.from_json(document))

    def with_python_validation() -> object:
        return validate(Dataset.from_json(document), engine="python")

    runs = _median_runs(
        {
            "baseline": lambda: BASELINE.validate_json(observations),
            "load": lambda: Dataset.from_json(document),
            "load_validate": with_validation,
            "load_validate_python": with_python_validation,
            "validate_json": lambda: validate_json(document),
        },
        repeat,
    )
    med = {name: statistics.median(r) for name, r in runs.items()}
    return {
        "n": n,
        "document_mb": len(document) / 1024 / 1024,
        "runs": runs,
        "median": med,
        "ratio_load": med["load"] / med["baseline"],
        "ratio_load_validate": med["load_validate"] / med["baseline"],
        "ratio_load_validate_python": med["load_validate_python"] / med["baseline"],
        "ratio_validate_json": med["validate_json"] / med["baseline"],
    }


def run(n: int, small: int, repeat: int, seed: int) -> dict[str, Any]:
    return {
        "machine": {
            "python": platform.python_version(),
            "pydantic": pydantic.VERSION,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "checks": [measure_checks(size, seed, repeat) for size in (small, n)],
        "worst": measure_checks(n, seed, repeat, worst=True),
        "load": measure_load(n, seed, repeat),
        "load_average_after": os.getloadavg(),
    }


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        f"Python {m['python']}, pydantic {m['pydantic']}, {m['platform']}, {m['cpus']} CPUs",
        "load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(
            *m["load_average"], *r["load_average_after"]
        ),
        "",
        "validate(dataset): every check and the built-in rules; engine auto (polars from",
        "200,000 rows when installed) and python (no extra)",
        "| data | rows | zip loop s | indexed loop s | validate s | µs/row | vs zip | vs indexed "
        "| python engine s | vs zip | vs indexed | issues |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in [*r["checks"], r["worst"]]:
        med = c["median"]
        lines.append(
            f"| {c['data']} | {c['n']:,} | {med['zip']:.3f} | {med['indexed']:.3f} "
            f"| {med['validate']:.2f} | {c['us_per_row']:.2f} | {c['ratio_zip']:.1f}x "
            f"| {c['ratio_indexed']:.1f}x | {med['validate_python']:.2f} "
            f"| {c['ratio_python_zip']:.1f}x | {c['ratio_python_indexed']:.1f}x "
            f"| {c['issues']:,} |"
        )
    big = r["checks"][-1]
    lines.append(f"planted and found ({big['n']:,} realistic rows): {big['planted']}")
    lines.append(f"issues by code ({big['n']:,} realistic rows): {big['codes']}")
    lines.append(f"issues by code (conflict-heavy): {r['worst']['codes']}")
    for label, key in (("auto", "ratio"), ("python", "ratio_python")):
        indexed = big[f"{key}_indexed"] <= TARGET_CHECKS_RATIO
        zipped = big[f"{key}_zip"] <= TARGET_CHECKS_RATIO
        lines.append(
            f"engine {label}: target <= {TARGET_CHECKS_RATIO:.0f}x the indexed loop: "
            f"{'met' if indexed else 'NOT met'}; the zip loop: {'met' if zipped else 'NOT met'}"
        )
    load = r["load"]
    med = load["median"]
    lines += [
        "",
        f"loading {load['n']:,} observations ({load['document_mb']:.1f} MB), median seconds:",
        f"  pydantic flat TypedDict baseline  {med['baseline']:.2f}",
        f"  Dataset.from_json                 {med['load']:.2f}  ({load['ratio_load']:.2f}x)",
        f"  from_json + validate              {med['load_validate']:.2f}  "
        f"({load['ratio_load_validate']:.2f}x)",
        f"  from_json + validate, python      {med['load_validate_python']:.2f}  "
        f"({load['ratio_load_validate_python']:.2f}x)",
        f"  validate_json (+ raw NFC scan)    {med['validate_json']:.2f}  "
        f"({load['ratio_validate_json']:.2f}x)",
        f"target <= {TARGET_LOAD_RATIO:.0f}x with validation: "
        f"{'met' if load['ratio_load_validate'] <= TARGET_LOAD_RATIO else 'NOT met'}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20170713)
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    args = parser.parse_args()
    result = run(args.n, args.small, args.repeat, args.seed)
    print(json.dumps(result, indent=1) if args.json else report(result))


if __name__ == "__main__":
    main()
