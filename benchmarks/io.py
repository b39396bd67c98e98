"""Import and export: CSV and Excel, and JSON read in chunks, against their targets.

The targets (reported, never asserted: a slow machine does not fail):

* CSV: ``export_tabular`` and ``read_tabular`` of N observations (default
  1,000,000) each under 10 s on a 2-core machine;
* JSON: ``Dataset.load`` of the same N observations within 3x the time
  pydantic takes to validate the observations array into a flat TypedDict of
  plain str/int fields (``benchmarks/load.py``'s baseline), both for the
  chunked read (``stream=True``, what ``load`` does for files over 32 MB) and
  the whole read (``stream=False``); the peak memory each takes (and the CSV
  import's) is measured with ``tracemalloc`` in a separate run;
* Excel: export and import of ``--xlsx-n`` observations (default 100,000),
  figures only.

The dataset is ``benchmarks/load.py``'s synthetic one (same generator and
seed). The machine's load average (``os.getloadavg``) is printed with the
figures: on a shared machine it says how far to trust them.

Usage::

    python benchmarks/io.py [--n N] [--xlsx-n N] [--repeat R] [--seed S] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load

from antq_core import Dataset
from antq_core.io.tabular import export_tabular, read_tabular

TARGET_CSV_S = 10.0
TARGET_JSON_RATIO = 3.0
MB = 1024 * 1024


CPU: dict[str, float] = {}
"""CPU seconds (this process) of the last timed call, by label: on a shared machine the wall
clock counts other processes' turns too."""


def _timed(fn: Callable[[], object], label: str = "") -> float:
    gc.collect()
    started = time.perf_counter()
    cpu = time.process_time()
    fn()
    if label:
        CPU[label] = time.process_time() - cpu
    return time.perf_counter() - started


def _median(fn: Callable[[], object], repeat: int, label: str) -> tuple[float, list[float]]:
    runs = []
    cpu = []
    for _ in range(repeat):
        runs.append(_timed(fn, label))
        cpu.append(CPU[label])
    CPU[label] = statistics.median(cpu)
    return statistics.median(runs), runs


def _peak_mb(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - before) / MB


def _size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir()) / MB
    return path.stat().st_size / MB


def run(n: int, xlsx_n: int, repeat: int, seed: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    document, observations, _ = load.generate(n, seed)
    dataset = Dataset.from_json(document)
    assert len(dataset.observations) == n
    result: dict[str, Any] = {"n": n, "xlsx_n": xlsx_n, "repeat": repeat, "seed": seed}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        json_path = root / "dataset.json"
        json_path.write_bytes(document)
        del document

        csv_dir = root / "csv"
        export_s, export_runs = _median(
            lambda: export_tabular(dataset, csv_dir, "csv"), repeat, "csv_export"
        )
        read_s, read_runs = _median(
            lambda: read_tabular(csv_dir, progress=False), repeat, "csv_import"
        )
        back = read_tabular(csv_dir, progress=False)
        assert back.observations == dataset.observations
        del back
        result["csv"] = {
            "export_s": export_s,
            "import_s": read_s,
            "export_runs_s": export_runs,
            "import_runs_s": read_runs,
            "size_mb": _size_mb(csv_dir),
            "export_cpu_s": CPU["csv_export"],
            "import_cpu_s": CPU["csv_import"],
            "import_peak_mb": _peak_mb(lambda: read_tabular(csv_dir, progress=False)),
        }

        stream = lambda: Dataset.load(json_path, stream=True, progress=False)  # noqa: E731
        whole = lambda: Dataset.load(json_path, stream=False)  # noqa: E731
        baseline = lambda: load.BASELINE.validate_json(observations)  # noqa: E731
        stream()
        baseline()
        base_runs, stream_runs, whole_runs = [], [], []
        cpu: dict[str, list[float]] = {"baseline": [], "stream": [], "whole": []}
        for _ in range(repeat):  # interleaved, so drift hits all alike
            base_runs.append(_timed(baseline, "baseline"))
            stream_runs.append(_timed(stream, "stream"))
            whole_runs.append(_timed(whole, "whole"))
            for label, runs in cpu.items():
                runs.append(CPU[label])
        base_s = statistics.median(base_runs)
        result["json"] = {
            "size_mb": _size_mb(json_path),
            "baseline_s": base_s,
            "stream_s": statistics.median(stream_runs),
            "whole_s": statistics.median(whole_runs),
            "stream_ratio": statistics.median(stream_runs) / base_s,
            "whole_ratio": statistics.median(whole_runs) / base_s,
            "baseline_cpu_s": statistics.median(cpu["baseline"]),
            "stream_cpu_s": statistics.median(cpu["stream"]),
            "whole_cpu_s": statistics.median(cpu["whole"]),
            "stream_peak_mb": _peak_mb(stream),
            "whole_peak_mb": _peak_mb(whole),
        }

        small = dataset.replace(observations=dataset.observations[:xlsx_n])
        book = root / "dataset.xlsx"
        xlsx_export = _timed(lambda: export_tabular(small, book, "xlsx"), "xlsx_export")
        xlsx_import = _timed(lambda: read_tabular(book, progress=False), "xlsx_import")
        result["xlsx"] = {
            "export_s": xlsx_export,
            "import_s": xlsx_import,
            "export_cpu_s": CPU["xlsx_export"],
            "import_cpu_s": CPU["xlsx_import"],
            "size_mb": _size_mb(book),
        }
    result["load_average"] = {"before": load_before, "after": os.getloadavg()}
    result["machine"] = {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
    }
    result["targets"] = {
        "csv_export_met": result["csv"]["export_s"] < TARGET_CSV_S,
        "csv_import_met": result["csv"]["import_s"] < TARGET_CSV_S,
        "json_stream_ratio_met": result["json"]["stream_ratio"] <= TARGET_JSON_RATIO,
        "json_whole_ratio_met": result["json"]["whole_ratio"] <= TARGET_JSON_RATIO,
    }
    return result


def report(r: dict[str, Any]) -> str:
    c, j, x, t = r["csv"], r["json"], r["xlsx"], r["targets"]
    before = ", ".join(f"{v:.2f}" for v in r["load_average"]["before"])
    after = ", ".join(f"{v:.2f}" for v in r["load_average"]["after"])

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    return "\n".join(
        [
            f"Python {r['machine']['python']}, {r['machine']['cpu_count']} CPUs, "
            f"{r['machine']['platform']}",
            f"load average before {before}; after {after}",
            f"median of {r['repeat']} runs; seed {r['seed']}",
            "",
            f"CSV, {r['n']:,} observations ({c['size_mb']:.1f} MB):",
            f"  export {c['export_s']:.2f} s (CPU {c['export_cpu_s']:.2f} s), "
            f"import {c['import_s']:.2f} s (CPU {c['import_cpu_s']:.2f} s) "
            f"(target < {TARGET_CSV_S:.0f} s each: export {verdict(t['csv_export_met'])}, "
            f"import {verdict(t['csv_import_met'])})",
            f"  import peak {c['import_peak_mb']:.0f} MB (tracemalloc)",
            f"JSON, {r['n']:,} observations ({j['size_mb']:.1f} MB):",
            f"  baseline (pydantic, flat TypedDict) {j['baseline_s']:.2f} s "
            f"(CPU {j['baseline_cpu_s']:.2f} s)",
            f"  Dataset.load in chunks {j['stream_s']:.2f} s = {j['stream_ratio']:.2f}x "
            f"({verdict(t['json_stream_ratio_met'])}), CPU {j['stream_cpu_s']:.2f} s, "
            f"peak {j['stream_peak_mb']:.0f} MB",
            f"  Dataset.load whole     {j['whole_s']:.2f} s = {j['whole_ratio']:.2f}x "
            f"({verdict(t['json_whole_ratio_met'])}), CPU {j['whole_cpu_s']:.2f} s, "
            f"peak {j['whole_peak_mb']:.0f} MB",
            f"Excel, {r['xlsx_n']:,} observations ({x['size_mb']:.1f} MB):",
            f"  export {x['export_s']:.2f} s (CPU {x['export_cpu_s']:.2f} s), "
            f"import {x['import_s']:.2f} s (CPU {x['import_cpu_s']:.2f} s)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="observations (1,000,000)")
    parser.add_argument("--xlsx-n", type=int, default=100_000, help="for Excel (100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (3)")
    parser.add_argument("--seed", type=int, default=2017, help="generator seed (2017)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args()
    result = run(args.n, args.xlsx_n, args.repeat, args.seed)
    print(json.dumps(result, indent=1) if args.json else report(result))


if __name__ == "__main__":
    main()
