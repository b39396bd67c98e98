"""The reporting cycle: applying submissions, validating them, completeness.

The requirements (issue 14), reported, never asserted:

* ``Dataset.apply`` of a 100-figure submission to a dataset of N observations
  (default 1,000,000): median at most 50 ms, and at most 5x a bare Python loop
  that appends 100 rows to the store's nine columns; 10,000 figures at most 1 s.
  The cost follows the submission: shown against a dataset of N/10 as well.
* ``validate(dataset, submission=...)`` of 100 figures against N: at most 100 ms.
* ``completeness`` of a monthly form for 100 communes x 12 months: at most 100 ms.

The dataset is ``load.py``'s synthetic document (a province of 1,000 communes,
50 metrics), with 10,000 extra flow metrics (``bench_0``...) so that one
submission can hold 10,000 distinct figures, and a monthly form over them.
Each timing is the median of ``--repeat`` runs (at least 5) after one warm-up;
``gc.collect()`` before each. Submissions are parsed before the clock starts
(reading one is the reader's cost, reported apart).

The chained apply and the bare loop are timed in alternation (at least 21
pairs), so that drift hits both alike, and a chain of 1,000 more applies is
timed whole for the mean apply, merges of the key index included.

Three ways of applying are timed:

* **chained**: each submission applied to the dataset the previous one gave,
  as a day of arriving reports does;
* **branch**: each applied to the same base dataset (so each derived dataset
  is a sibling of the others);
* **update**: the same figures again with other values, replacing stored ones.

Usage::

    python benchmarks/cycle.py [--n 1000000] [--repeat 7] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import time
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from load import generate

from antq_core import Dataset, Submission, check_submission, completeness

NOW = dt.datetime(2030, 2, 3, 9, 0, tzinfo=dt.UTC)
EXTRA = 10_000


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    runs = [_timed(fn) for _ in range(repeat)]
    return statistics.median(runs), runs


def dataset(n: int, seed: int = 2017) -> Dataset:
    """``load.py``'s dataset of ``n`` observations, with the extra metrics and a monthly form."""
    document, _, _ = generate(n, seed)
    raw = json.loads(document)
    raw["metrics"] += [
        {
            "id": f"bench_{i}",
            "name_vi": f"Chỉ tiêu {i}",
            "name_en": f"Metric {i}",
            "unit": "case",
            "kind": "flow",
        }
        for i in range(EXTRA)
    ]
    raw["forms"] = [
        {
            "id": "monthly",
            "name_vi": "Báo cáo tháng",
            "name_en": "Monthly report",
            "period_kind": "month",
            "metrics": [{"metric": f"bench_{i}"} for i in range(EXTRA)],
            "assigned_level": "commune",
            "timely_days": 5,
            "expiry_days": 3650,
        },
        {
            "id": "short",
            "name_vi": "Báo cáo nhanh",
            "name_en": "Short report",
            "period_kind": "month",
            "metrics": [{"metric": f"bench_{i}", "compulsory": i < 2} for i in range(5)],
            "assigned_level": "commune",
            "timely_days": 5,
        },
    ]
    return Dataset.from_dict(raw)


def submission(k: int, commune: int, month: int, value: int = 1) -> Submission:
    """A commune's monthly report of ``k`` figures."""
    return Submission.model_validate(
        {
            "form": "monthly",
            "subject": f"unit:{3000 + commune:05d}",
            "period": f"2029-{month:02d}",
            "items": [{"metric": f"bench_{i}", "value": value + i % 7} for i in range(k)],
            "stored_by": "bench",
        }
    )


def bare_loop(k: int) -> Callable[[], object]:
    """Append ``k`` rows to nine fresh columns of the store's types, one value at a time.

    The tightest honest loop found (stop 20, 100 rows): the columns' bound ``append``
    methods held in locals and called once each per row. Hot, in ``timeit`` (load 0.9,
    median of 7): 21.7 µs against 31.2 µs for the old loop over the nine columns per
    row. As this script times it (one call after ``gc.collect()``, beside a large heap;
    50 interleaved runs, load 0.4): 105.7 µs against 109.5 µs, since a single cold call
    is mostly the interpreter warming up again, which ``apply`` pays too.
    """

    def run() -> object:
        cols = [array(t) for t in ("I", "I", "I", "H", "B", "I", "I", "I", "q")]
        a0, a1, a2, a3, a4, a5, a6, a7, a8 = (c.append for c in cols)
        for i in range(k):
            v = i & 0xFF
            a0(v)
            a1(v)
            a2(v)
            a3(v)
            a4(v)
            a5(v)
            a6(v)
            a7(v)
            a8(v)
        return cols

    return run


def measure(n: int, repeat: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    base = dataset(n)
    built = time.perf_counter() - t0
    result: dict[str, Any] = {"n": n, "built_s": built}
    # The key index is built once per lineage, on the first apply: timed apart.
    first = submission(100, 0, 1)
    result["first_apply_s"] = _timed(lambda: base.apply(first, now=NOW))

    subs = [submission(100, c % 1000, 1 + c // 1000) for c in range(1, 200)]
    state = {"ds": base, "i": 0}

    def chained() -> object:
        ds, summary = state["ds"].apply(subs[state["i"] % len(subs)], now=NOW)  # type: ignore[attr-defined]
        state["ds"] = ds
        state["i"] += 1  # type: ignore[operator]
        return summary

    branch_sub = submission(100, 5, 2)
    # The apply and the bare loop alternate, so that drift (this machine's loop
    # time jumps between about 60 and 120 µs for minutes at a time) hits both alike.
    loop = bare_loop(100)
    chained()
    loop()
    pairs = [(_timed(chained), _timed(loop)) for _ in range(max(repeat, 21))]
    result["apply_100_chained"] = statistics.median(a for a, _ in pairs), [a for a, _ in pairs]
    result["bare_loop_100"] = statistics.median(b for _, b in pairs), [b for _, b in pairs]
    # A long chain, timed whole: the mean apply, with its share of the key index's
    # merges (which a median of single applies leaves out).
    more = [submission(100, c % 1000, 1 + c // 1000) for c in range(200, 1200)]
    gc.collect()
    start = time.perf_counter()
    for sub in more:
        state["ds"] = state["ds"].apply(sub, now=NOW)[0]  # type: ignore[attr-defined]
    took = (time.perf_counter() - start) / len(more)
    result["apply_100_mean_of_1000"] = took, [took]
    result["apply_100_branch"] = _median(lambda: base.apply(branch_sub, now=NOW), repeat)
    stored, _ = base.apply(branch_sub, now=NOW)
    changed = submission(100, 5, 2, value=50)
    result["apply_100_update"] = _median(lambda: stored.apply(changed, now=NOW), repeat)
    result["apply_100_dry_run"] = _median(
        lambda: base.apply(branch_sub, dry_run=True, now=NOW), repeat
    )
    big = submission(EXTRA, 7, 3)
    result["apply_10000"] = _median(lambda: base.apply(big, now=NOW), repeat)
    parse_raw = branch_sub.model_dump(mode="json")
    result["parse_100"] = _median(lambda: Submission.model_validate(parse_raw), repeat)
    # Joining a derived dataset's columns, once, when an engine first asks for them.
    derived = [base.apply(branch_sub, now=NOW)[0] for _ in range(repeat + 1)]
    pending = iter(derived)

    def join_columns() -> object:
        return next(pending).observations.columns()

    result["columns_after_apply"] = _median(join_columns, repeat)
    # What a 100-figure submission would change in the validation, against N stored.
    checked = submission(100, 5, 2)
    result["check_100"] = _median(lambda: check_submission(base, checked, now=NOW), repeat)

    # Completeness of a district's 100 communes over the 12 months of 2028.
    district = base
    for month in range(1, 13):
        for c in range(100):
            if (c + month) % 10 == 0:
                continue  # every tenth commune misses a month
            items = [{"metric": f"bench_{i}", "value": c + i} for i in range(5)]
            day = 3 if c % 7 else 9  # a seventh report late
            sent = dt.datetime(2028, month, 28, tzinfo=dt.UTC) + dt.timedelta(days=day)
            district, _ = district.apply(
                Submission.model_validate(
                    {
                        "form": "short",
                        "subject": f"unit:{3000 + c:05d}",
                        "period": f"2028-{month:02d}",
                        "items": items,
                    }
                ),
                now=sent,
            )
    district.observations.columns()  # joined once, as after any engine's use

    def district_completeness() -> object:
        return completeness(district, form="short", period="2028", parent="100")

    result["completeness_100x12"] = _median(district_completeness, repeat)
    return result


def report(r: dict[str, Any], small: dict[str, Any] | None) -> str:
    ms = 1000.0

    def line(name: str, target: str = "") -> str:
        median, runs = r[name]
        shown = ", ".join(f"{x * ms:.2f}" for x in runs)
        return f"  {name:<22} {median * ms:9.3f} ms  {target}  (runs: {shown})"

    bare = r["bare_loop_100"][0]
    chained = r["apply_100_chained"][0]
    lines = [
        f"benchmarks/cycle.py: N = {r['n']:,} observations "
        f"(dataset built in {r['built_s']:.1f} s; first apply, building the key index: "
        f"{r['first_apply_s'] * ms:.0f} ms)",
        line("apply_100_chained", "[target <= 50 ms]"),
        line("apply_100_mean_of_1000", "(1,000 chained applies timed whole, no collection)"),
        line("apply_100_branch"),
        line("apply_100_update"),
        line("apply_100_dry_run"),
        line("apply_10000", "[target <= 1000 ms]"),
        line("bare_loop_100"),
        line("parse_100", "(reading the submission, not in apply)"),
        line("columns_after_apply", "(apply, then join the columns once)"),
        line("check_100", "[target <= 100 ms]"),
        line("completeness_100x12", "[target <= 100 ms]"),
        f"  ratio apply_100_chained / bare_loop_100 = {chained / bare:.1f}x  [target <= 5x]",
    ]
    if small is not None:
        lines.append(
            f"  same at N = {small['n']:,}: apply_100_chained "
            f"{small['apply_100_chained'][0] * ms:.3f} ms, apply_10000 "
            f"{small['apply_10000'][0] * ms:.1f} ms"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    repeat = max(5, args.repeat)
    big = measure(args.n, repeat)
    small = measure(args.n // 10, repeat) if args.n >= 10_000 else None
    if args.json:
        print(json.dumps({"large": big, "small": small}, indent=1))
    else:
        print(report(big, small))


if __name__ == "__main__":
    main()
