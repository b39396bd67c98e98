"""``Crosswalk.remap`` on the national crosswalk against a hand-written polars reference.

Issue 13's target: remapping 10,000,000 observations from the June 2025 map
(``vn_2025_06``, three tiers) onto the July 2025 map (``vn_2025_07``) with the
national crosswalk (``bundled_crosswalk("vn_2025_06_07")``) within 2x of a
hand-written polars join doing the same mapping: the same merges, districts to
their province, and the same split policy (``on_split="approximate"``: a split
commune's figures go to its default part, qualified "approximately", with a note).

Data, deterministic from ``--seed``: N observations, each of one commune of the
June 2025 map (10,000-odd, chosen uniformly, so about 4% of the rows sit on a split
commune), one of 20 flow metrics counted in cases, one of 60 months (2021-2025), a
whole number, exact, no note; no two rows share metric, commune and month. The antq
dataset's store is filled a column at a time through the store's builder (as
``benchmarks/aggregate.py`` does: building N ``Observation`` models first would
measure the models, not the remap).

The reference, given the same rows as integer codes (metric, commune index,
month, value, qualifier, note code): builds the mapping of every old unit the
rows name (new code per the policy, approximate or not, the note to add) from the
crosswalk's entries in Python (what any implementation must read), checks that no
row names an unmapped unit, then one gather per column from those per-unit tables
indexed by the commune code: the new subject, the qualifier set to "approximately"
on split units, the note set to the unit's remark (one categorical code per old
unit, not one string per row).

Variants of the reference tried at 10M rows (stop 20, median of 3, interleaved,
load 0.2-0.3, the mapping's construction included; all five gave equal frames):

====================================================  =======
``pl.lit(table).gather(pl.col("commune"))`` (kept)     0.068 s
``frame.join(mapping, on="commune")`` (stop 19)        0.100 s
``pl.Series.gather`` per column, eager                 0.109 s
numpy ``table[commune]`` then ``pl.DataFrame``         0.172 s
``replace_strict`` per column                          0.239 s
====================================================  =======

Building the per-unit mapping in Python takes about 4 ms of those. Casting
integer codes straight to an ``Enum`` is refused by polars 2.1. It is
timed with the mapping's construction included. Before timing, the two results are
compared row for row (metric, new subject, month, value, qualifier, whether a note
was added).

``Crosswalk.remap`` rewrites the store a column at a time (each distinct subject
placed once, the subject column recoded, only the rows on a split or dissolved unit
given a new qualifier and note; numpy does the per-row work from 100,000 rows when
it is installed; the columns it keeps are shared with the old store, not copied, as
the reference passes its unchanged columns through). The script times it and the
reference at ``--n``, alternately (reference, remap, reference, ...), and reports the
ratio of the medians; with ``--ref-n`` (10M by default, 0 to skip) it also times the reference
alone at that size and extrapolates remap's time from its rate at ``--n``. Run
``--n 10000000 --ref-n 0`` to time both at 10M (the row-by-row check then takes
a few minutes).

Usage::

    python benchmarks/remap.py [--n 200000] [--ref-n 10000000] [--repeat 3] [--seed 2025]

The target is reported, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from antq_core import (
    AdminLevel,
    Crosswalk,
    Dataset,
    DatasetMetadata,
    MetricDefinition,
    Period,
    Qualifier,
    SubjectKind,
    SubjectRef,
    bundled_crosswalk,
    bundled_gazetteer,
)
from antq_core._dataset.store import QUALIFIER_INDEX, StoreBuilder

N_METRICS = 20
MONTHS = [Period.month(2021 + m // 12, m % 12 + 1) for m in range(60)]
APPROX = QUALIFIER_INDEX[Qualifier.APPROXIMATELY]


def rows(n: int, communes: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` distinct (metric, commune, month) rows with values, as numpy columns."""
    rng = np.random.default_rng(seed)
    cells = N_METRICS * communes * len(MONTHS)
    if n > cells:
        raise SystemExit(f"{n:,} rows do not fit in {cells:,} distinct cells")
    pick = rng.choice(cells, size=n, replace=False) if n * 4 > cells else None
    if pick is None:
        draw = np.unique(rng.integers(0, cells, int(n * 1.1) + 1000))
        while len(draw) < n:
            draw = np.unique(np.concatenate([draw, rng.integers(0, cells, n)]))
        pick = rng.permutation(draw)[:n]
    return {
        "metric": (pick // (communes * len(MONTHS))).astype(np.uint32),
        "commune": (pick // len(MONTHS) % communes).astype(np.uint32),
        "month": (pick % len(MONTHS)).astype(np.uint32),
        "value": rng.integers(0, 500, n, dtype=np.int64),
    }


def _array(typecode: str, values: np.ndarray) -> array[int]:
    out = array(typecode)
    out.frombytes(values.astype(np.dtype(typecode)).tobytes())
    return out


def dataset(r: dict[str, np.ndarray], codes: list[str]) -> Dataset:
    metrics = [
        MetricDefinition(
            id=f"flow_{i}", name_vi=f"Luồng {i}", name_en=f"Flow {i}", unit="case", kind="flow"
        )
        for i in range(N_METRICS)
    ]
    builder = StoreBuilder(
        metrics=[m.id for m in metrics],
        subjects=(SubjectRef(SubjectKind.UNIT, c) for c in codes),
        periods=MONTHS,
        units=[metrics[0].unit],
    )
    n = len(r["value"])
    builder.extend(
        metric=_array("I", r["metric"]),
        subject=_array("I", r["commune"]),
        period=_array("I", r["month"]),
        unit=array("H", bytes(2 * n)),
        value=_array("q", r["value"]),
    )
    return Dataset(
        gazetteer=bundled_gazetteer("vn_2025_06"),
        metadata=DatasetMetadata(title_vi="Dữ liệu cho benchmarks/remap.py"),
        metrics=metrics,
        observations=builder.build(),
    )


def reference(cw: Crosswalk, codes: list[str], frame: Any) -> Callable[[], Any]:
    """The hand-written polars remap of ``frame`` (columns as :func:`rows`, plus
    qualifier and note codes), ``codes`` naming the commune indexes."""
    import polars as pl

    def run() -> Any:
        # The mapping of every old unit: per the policy "approximate", a split goes to
        # its default part (else its largest part, else the parts' common ancestor).
        new, approximate, remark = [], [], []
        for code in codes:
            e = cw.entry(code)
            if e.relationship.value == "split":
                to = e.default or e.largest or cw.target.common_ancestor(e.new).code
                new.append(to)
                approximate.append(True)
                remark.append(f"{code} was split between {', '.join(e.new)}; placed at {to}")
            else:
                new.append(e.new[0])
                approximate.append(False)
                remark.append(
                    f"{code} no longer exists; placed at {e.new[0]}"
                    if e.relationship.value == "dissolved"
                    else None
                )
        k = len(codes)
        if frame.height and frame["commune"].max() >= k:
            raise LookupError("unmapped units")
        # One gather per column from the per-unit tables, indexed by the commune code:
        # no hash join is needed because the subjects are already small integers.
        at = pl.col("commune")
        return frame.select(
            "metric",
            pl.lit(pl.Series(new, dtype=pl.Categorical)).gather(at).alias("subject"),
            "month",
            "value",
            pl.when(pl.lit(pl.Series(approximate)).gather(at))
            .then(pl.lit(APPROX, pl.UInt8))
            .otherwise(pl.col("qualifier"))
            .alias("qualifier"),
            pl.lit(pl.Series(remark, dtype=pl.Categorical)).gather(at).alias("note"),
        )

    return run


def _median(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times), times


def _interleaved(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[tuple[float, list[float]], tuple[float, list[float]]]:
    """Median and times of ``a`` and of ``b``, run alternately (A B A B ...) after a warm-up."""
    a(), b()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in zip((a, b), times, strict=True):
            gc.collect()
            start = time.perf_counter()
            result = fn()
            out.append(time.perf_counter() - start)
            del result
    return (statistics.median(times[0]), times[0]), (statistics.median(times[1]), times[1])


def _check(remapped: Dataset, ref: Any) -> None:
    cols = remapped.observations.columns()
    ours = sorted(
        zip(
            (cols.metrics[m] for m in cols.metric),
            (cols.subjects[s].id for s in cols.subject),
            (cols.periods[p] for p in cols.period),
            cols.value,
            cols.qualifier,
            (n != 0 for n in cols.note),
            strict=True,
        )
    )
    theirs = sorted(
        zip(
            (f"flow_{m}" for m in ref["metric"].to_list()),
            ref["subject"].cast(str).to_list(),
            (MONTHS[m] for m in ref["month"].to_list()),
            ref["value"].to_list(),
            ref["qualifier"].to_list(),
            ref["note"].is_not_null().to_list(),
            strict=True,
        )
    )
    assert ours == theirs, "Crosswalk.remap and the polars reference disagree"


def main() -> None:
    import polars as pl

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="rows remapped by both")
    parser.add_argument("--ref-n", type=int, default=10_000_000, help="rows, reference only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    cw = bundled_crosswalk("vn_2025_06_07")
    old = bundled_gazetteer("vn_2025_06")
    codes = [u.code for u in old if u.level is AdminLevel.COMMUNE]

    def frame_of(r: dict[str, np.ndarray]) -> Any:
        n = len(r["value"])
        return pl.DataFrame(
            {
                **r,
                "qualifier": np.zeros(n, dtype=np.uint8),
                "note": np.zeros(n, dtype=np.uint32),
            }
        )

    print(f"Python {platform.python_version()}, polars {pl.__version__}, {os.cpu_count()} CPUs")
    print(f"load average before {os.getloadavg()}")
    small = rows(args.n, len(codes), args.seed)
    ds = dataset(small, codes)
    frame = frame_of(small)
    ref = reference(cw, codes, frame)
    _check(cw.remap(ds, on_split="approximate"), ref())
    (t_ref, runs_ref), (t_ours, runs_ours) = _interleaved(
        ref,
        lambda: cw.remap(ds, on_split="approximate"),  # noqa: F821
        args.repeat,
    )
    print(
        f"{args.n:,} observations on {len(codes):,} communes, "
        f"interleaved, median of {args.repeat}:"
    )
    print(f"  polars gather    {t_ref:8.3f} s  ({', '.join(f'{x:.3f}' for x in runs_ref)})")
    print(f"  Crosswalk.remap  {t_ours:8.3f} s  ({', '.join(f'{x:.3f}' for x in runs_ours)})")
    print(f"  ratio {t_ours / t_ref:.2f}x (target 2x); remap {t_ours / args.n * 1e9:.0f} ns a row")
    del ds, frame, small
    gc.collect()
    if args.ref_n:
        big = frame_of(rows(args.ref_n, len(codes), args.seed))
        t_big, runs_big = _median(reference(cw, codes, big), args.repeat)
        print(
            f"{args.ref_n:,} observations, polars gather {t_big:.3f} s "
            f"({', '.join(f'{x:.3f}' for x in runs_big)}); "
            f"remap at its {args.n:,}-row rate would take {t_ours / args.n * args.ref_n:.0f} s"
        )
    print(f"load average after {os.getloadavg()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
