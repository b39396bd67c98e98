"""Load a million observations from JSON: time and memory, against plain pydantic.

The requirement: ``Dataset.from_json`` reads N observations (default 1,000,000)
within 3x the time pydantic takes to validate the same observation bytes into a
flat TypedDict of plain str/int fields, and the loaded dataset holds them in
under 500 MB.

The script generates a synthetic dataset document, deterministically from a seed:
one province, 10 districts and 1,000 communes; the built-in catalog's themes and
categories and 50 metrics of its shape; 50 initiatives, 2,000 sites, 200 mass
organizations; and N observations with the repetition real data has (60 months
plus some quarters, years and ranges; a few thousand subjects; about 1% decimal
strings on area metrics, 5% qualified, 10% disaggregated, a few sources and notes).

It writes the document to a temporary file and reads the bytes back, then times,
with one warm-up and the median of ``--repeat`` runs, interleaved:

* baseline: ``TypeAdapter(list[FlatRow]).validate_json`` on the observations
  array alone (the same rows, serialised the same way);
* ours: ``Dataset.from_json`` on the whole document.

Memory is measured in a fresh interpreter so the generator's garbage does not
count: peak RSS of the load (``resource.getrusage``), then with ``tracemalloc``
the peak during a load and what the loaded dataset (and its observation store
alone) retains after ``gc.collect()``, plus the store's own ``nbytes()``.

Usage::

    python benchmarks/load.py [--n N] [--repeat R] [--seed S] [--json]

The targets are reported, never asserted: a slow machine does not fail.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any, NotRequired

import pydantic
import pydantic_core
from typing_extensions import TypedDict

from antq_core import Dataset

TARGET_RATIO = 3.0
TARGET_RETAINED_MB = 500.0
MB = 1024 * 1024


class FlatRow(TypedDict):
    """One observation as plain strings and integers: the baseline's target type."""

    metric: str
    subject: str
    period: str
    unit: str
    value: int | str
    qualifier: NotRequired[str]
    disaggregation: NotRequired[dict[str, str]]
    source: NotRequired[str]
    note: NotRequired[str]


BASELINE = pydantic.TypeAdapter(list[FlatRow])


# ---------------------------------------------------------------- generation

SYLLABLES = (
    *("Bản", "Hồ", "Mường", "Tả", "Sìn", "Pa", "Nậm", "Phìn", "Lùng", "Chăn", "Khun", "Hua"),
    *("Bum", "Tông", "Qua", "Sơn", "Giang", "Lèng", "Thầu", "Tà", "Sin", "Suối", "Dào", "San"),
    *("Thàng", "Nùng", "Nàng", "Sáng", "Dền", "Vàng", "Ma", "Quai", "Tủa", "Lao", "Chải"),
)
AREA_UNITS = ("m2", "ha")
QUALIFIERS = ("at_least", "at_most", "approximately")
MONTHS = tuple(f"{y}-{m:02d}" for y in range(2013, 2018) for m in range(1, 13))
QUARTERS = tuple(f"{y}Q{q}" for y in range(2013, 2018) for q in range(1, 5))
YEARS = tuple(str(y) for y in range(2013, 2018))
RANGES = (*(f"{y}-01-01/2017-07-13" for y in range(2010, 2017)), "2016-10-01/2017-03-31")


def _name(rng: random.Random) -> str:
    return " ".join(rng.sample(SYLLABLES, 2))


def _gazetteer(rng: random.Random) -> dict[str, Any]:
    """One province, 10 districts of 100 communes each."""
    units: list[dict[str, Any]] = [
        {"code": "12", "name": "Lai Châu", "level": "province", "kind_vi": "tỉnh"}
    ]
    for d in range(10):
        district = str(100 + d)
        units.append({"code": district, "name": _name(rng), "level": "district", "parent": "12"})
        units.extend(
            {"code": f"{3000 + d * 100 + c:05d}", "name": _name(rng), "level": "commune"}
            | {"parent": district, "kind_vi": "xã"}
            for c in range(100)
        )
    return {
        "format": "antq-gazetteer",
        "format_version": 1,
        "version": "bench",
        "title": "Synthetic gazetteer for benchmarks/load.py",
        "units": units,
    }


def _metrics(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalog's metrics and variants of the same shape, 50 in all."""
    base = catalog["metrics"]
    metrics = list(base)
    metrics.append(
        next(m for m in base if m["id"] == "poppy_area_destroyed")
        | {"id": "poppy_area_destroyed_ha", "unit": "ha", "name_en": "Poppy area (ha)"}
    )
    plain = [m for m in base if m["kind"] != "ratio"]
    for i in range(50 - len(metrics)):
        m = plain[i % len(plain)]
        metrics.append(m | {"id": f"{m['id']}_v{i}", "name_en": f"{m['name_en']} ({i})"})
    return metrics


def _head(rng: random.Random) -> dict[str, Any]:
    """Every part of the document but the observations."""
    catalog = json.loads((files("antq_core") / "data" / "catalog.json").read_bytes())
    gazetteer = _gazetteer(rng)
    communes = [u["code"] for u in gazetteer["units"] if u["level"] == "commune"]
    themes = [t["id"] for t in catalog["themes"]]
    initiatives = [
        {"id": f"mh-{i:03d}", "name_vi": f"Mô hình {_name(rng)}", "theme": rng.choice(themes)}
        for i in range(50)
    ]
    return {
        "format": "antq-dataset",
        "format_version": 1,
        "metadata": {"title_vi": "Dữ liệu tổng hợp cho benchmarks/load.py", "province": "12"},
        "gazetteer": gazetteer,
        "sources": [
            {"id": f"src-{i:02d}", "title": f"Báo cáo {_name(rng)} số {i}"} for i in range(20)
        ],
        "themes": catalog["themes"],
        "categories": catalog["categories"],
        "metrics": _metrics(catalog),
        "initiatives": initiatives,
        "sites": [
            {
                "id": f"site-{i:04d}",
                "initiative": rng.choice(initiatives)["id"],
                "admin_units": [rng.choice(communes)],
            }
            for i in range(2000)
        ],
        "organizations": [
            {
                "id": f"org-{i:03d}",
                "kind": "people_security_team",
                "name_vi": f"Tổ an ninh nhân dân {_name(rng)}",
                "admin_unit": rng.choice(communes),
            }
            for i in range(200)
        ],
    }


class _Rows:
    """Draws observation rows from the head's metrics and subjects, counting the unusual ones."""

    def __init__(self, rng: random.Random, head: dict[str, Any]) -> None:
        self.rng = rng
        self.metrics = head["metrics"]
        self.area = [m for m in self.metrics if m["unit"] in AREA_UNITS]
        self.with_categories = [m for m in self.metrics if m.get("categories")]
        self.options = {c["id"]: [o["id"] for o in c["options"]] for c in head["categories"]}
        units = head["gazetteer"]["units"]
        # 95% of rows are about one of 3,000 communes and sites; the rest about
        # the province, a district, an initiative or an organization.
        self.common = [f"unit:{u['code']}" for u in units if u["level"] == "commune"]
        self.common += [f"site:{s['id']}" for s in head["sites"]]
        self.rare = [f"unit:{u['code']}" for u in units if u["level"] != "commune"]
        self.rare += [f"initiative:{i['id']}" for i in head["initiatives"]]
        self.rare += [f"organization:{o['id']}" for o in head["organizations"]]
        self.sources = [s["id"] for s in head["sources"]]
        self.notes = []
        for i in range(300):
            text = f"“{_name(rng)} {i}”: số liệu theo báo cáo của {_name(rng)}."
            # A quarter arrive decomposed (NFD), as from macOS input methods.
            self.notes.append(unicodedata.normalize("NFD", text) if i % 4 == 0 else text)
        self.counts = dict.fromkeys(
            ("decimal", "qualified", "disaggregated", "sourced", "noted"), 0
        )

    def _period(self) -> str:
        p = self.rng.random()
        if p < 0.85:
            return self.rng.choice(MONTHS)
        if p < 0.92:
            return self.rng.choice(QUARTERS)
        if p < 0.97:
            return self.rng.choice(YEARS)
        return self.rng.choice(RANGES)

    def __call__(self) -> dict[str, Any]:
        rng, counts = self.rng, self.counts
        r = rng.random()
        disaggregation = None
        if r < 0.01:  # about 1%: a decimal string on an area metric
            metric = rng.choice(self.area)
            value: int | str = f"{rng.randrange(100_000)}.{rng.randrange(1, 100)}"
            counts["decimal"] += 1
        elif r < 0.11:  # about 10%: disaggregated by one or two categories
            metric = rng.choice(self.with_categories)
            cats = metric["categories"]
            picked = rng.sample(cats, 1 if len(cats) == 1 or rng.random() < 0.7 else 2)
            disaggregation = {c: rng.choice(self.options[c]) for c in picked}
            value = rng.randrange(500)
            counts["disaggregated"] += 1
        else:
            metric = rng.choice(self.metrics)
            value = rng.randrange(10_000_000 if metric["unit"] == "vnd" else 2000)
        row: dict[str, Any] = {
            "metric": metric["id"],
            "subject": rng.choice(self.common if rng.random() < 0.95 else self.rare),
            "period": self._period(),
            "unit": metric["unit"],
            "value": value,
        }
        if rng.random() < 0.05:
            row["qualifier"] = rng.choice(QUALIFIERS)
            counts["qualified"] += 1
        if disaggregation:
            row["disaggregation"] = disaggregation
        if rng.random() < 0.03:
            row["source"] = rng.choice(self.sources)
            counts["sourced"] += 1
        if rng.random() < 0.005:
            row["note"] = rng.choice(self.notes)
            counts["noted"] += 1
        return row


def generate(n: int, seed: int) -> tuple[bytes, bytes, dict[str, int]]:
    """The whole document and its observations array alone, as bytes; counts of rows."""
    rng = random.Random(seed)
    head = _head(rng)
    rows = _Rows(rng, head)
    # The wire format of Dataset.dumps: one observation object per line.
    lines = ",\n  ".join(
        json.dumps(rows(), ensure_ascii=False, separators=(",", ":")) for _ in range(n)
    )
    observations = f"[\n  {lines}\n ]" if n else "[]"
    text = json.dumps(head, ensure_ascii=False, indent=1)
    document = f'{text[:-2]},\n "observations": {observations}\n}}\n'
    return document.encode(), observations.encode(), rows.counts


# ---------------------------------------------------------------- measurement


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result  # freed outside the timed region
    return elapsed


def _max_rss() -> int:
    """Peak resident set size of this process so far, in bytes."""
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def measure_memory(path: str) -> dict[str, float]:
    """In a fresh interpreter: peak RSS of one load, then tracemalloc figures of another."""
    data = Path(path).read_bytes()
    gc.collect()
    rss_before = _max_rss()
    ds = Dataset.from_json(data)
    rss_after = _max_rss()
    del ds
    gc.collect()

    tracemalloc.start()
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    ds = Dataset.from_json(data)
    peak = tracemalloc.get_traced_memory()[1]
    gc.collect()
    with_dataset = tracemalloc.get_traced_memory()[0]
    store = ds.observations
    nbytes = store.nbytes()
    del ds
    gc.collect()
    with_store = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "peak_rss_mb": rss_after / MB,
        "rss_before_load_mb": rss_before / MB,
        "tracemalloc_peak_mb": (peak - before) / MB,
        "retained_dataset_mb": (with_dataset - before) / MB,
        "retained_observations_mb": (with_store - before) / MB,
        "store_nbytes_mb": nbytes / MB,
    }


def _memory_child() -> None:
    """Wait for a path on stdin, then print :func:`measure_memory` of it as JSON."""
    path = sys.stdin.readline().strip()
    if path:
        print(json.dumps(measure_memory(path)))


def run(n: int, repeat: int, seed: int) -> dict[str, Any]:
    # Start the memory child now, while this process is small: on Linux a
    # child's ru_maxrss starts from its parent's RSS at the time it was spawned.
    child = subprocess.Popen(  # noqa: S603 - this very script, with our own interpreter
        [sys.executable, __file__, "--memory-child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    started = time.perf_counter()
    document, observations, counts = generate(n, seed)
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dataset.json"
        path.write_bytes(document)
        del document
        data = path.read_bytes()

        ds = Dataset.from_json(data)  # the warm-up, and a check of what was loaded
        assert len(ds.observations) == n
        assert len(ds.observations.columns().exact) == counts["decimal"]
        del ds
        rows = BASELINE.validate_json(observations)
        assert len(rows) == n
        del rows

        baseline, ours = [], []
        for _ in range(repeat):  # interleaved, so drift hits both alike
            baseline.append(_timed(lambda: BASELINE.validate_json(observations)))
            ours.append(_timed(lambda: Dataset.from_json(data)))

        stdout, _ = child.communicate(f"{path}\n")
        if child.returncode:
            msg = f"the memory measurement failed (exit status {child.returncode})"
            raise RuntimeError(msg)
        memory = json.loads(stdout)

    baseline_s = statistics.median(baseline)
    ours_s = statistics.median(ours)
    return {
        "n": n,
        "seed": seed,
        "repeat": repeat,
        "counts": counts,
        "document_mb": len(data) / MB,
        "observations_json_mb": len(observations) / MB,
        "generate_s": generated,
        "baseline_s": baseline_s,
        "ours_s": ours_s,
        "baseline_runs_s": baseline,
        "ours_runs_s": ours,
        "ratio": ours_s / baseline_s,
        "rows_per_s": n / ours_s,
        **memory,
        "targets": {
            "ratio_max": TARGET_RATIO,
            "retained_mb_max": TARGET_RETAINED_MB,
            "ratio_met": ours_s / baseline_s <= TARGET_RATIO,
            "retained_met": memory["retained_dataset_mb"] < TARGET_RETAINED_MB,
        },
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "pydantic": pydantic.VERSION,
            "pydantic_core": pydantic_core.__version__,
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
        },
    }


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    c = r["counts"]
    t = r["targets"]
    head = (
        f"Python {m['python']}, pydantic {m['pydantic']} (core {m['pydantic_core']}), "
        f"{m['cpu_count']} CPUs, {m['platform']}"
    )
    data = (
        f"{r['n']:,} observations (seed {r['seed']}): document {r['document_mb']:.1f} MB, "
        f"observations array {r['observations_json_mb']:.1f} MB; "
        f"{c['decimal']:,} decimal, {c['qualified']:,} qualified, "
        f"{c['disaggregated']:,} disaggregated, {c['sourced']:,} sourced, {c['noted']:,} noted"
    )
    columns = (
        ("n", f"{r['n']:,}"),
        ("baseline s", f"{r['baseline_s']:.2f}"),
        ("ours s", f"{r['ours_s']:.2f}"),
        ("ratio", f"{r['ratio']:.2f}"),
        ("rows/s", f"{r['rows_per_s']:,.0f}"),
        ("retained MB", f"{r['retained_dataset_mb']:.1f}"),
        ("peak MB", f"{r['tracemalloc_peak_mb']:.1f}"),
        ("peak RSS MB", f"{r['peak_rss_mb']:.0f}"),
    )
    widths = [max(len(a), len(b)) for a, b in columns]
    header = "  ".join(a.rjust(w) for (a, _), w in zip(columns, widths, strict=True))
    values = "  ".join(b.rjust(w) for (_, b), w in zip(columns, widths, strict=True))

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    runs = ", ".join(
        f"{b:.2f}/{o:.2f}" for b, o in zip(r["baseline_runs_s"], r["ours_runs_s"], strict=True)
    )
    return "\n".join(
        [
            head,
            data,
            f"median of {r['repeat']} runs after 1 warm-up (baseline/ours s: {runs})",
            "",
            header,
            values,
            "",
            f"retained: {r['retained_observations_mb']:.1f} MB by the observation store alone, "
            f"of which {r['store_nbytes_mb']:.1f} MB columns (nbytes); "
            f"RSS {r['rss_before_load_mb']:.0f} MB before the load",
            f"ratio <= {t['ratio_max']}: {verdict(t['ratio_met'])}; "
            f"retained < {t['retained_mb_max']:.0f} MB: {verdict(t['retained_met'])}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="observations (1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after a warm-up (3)")
    parser.add_argument("--seed", type=int, default=2017, help="generator seed (2017)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child()
        return
    results = run(args.n, args.repeat, args.seed)
    print(json.dumps(results, indent=1) if args.json else report(results))


if __name__ == "__main__":
    main()
