"""Start-up costs: ``import antq_core`` and ``antq report``, each in fresh processes.

Issue 15's targets: ``import antq_core`` within 200 ms and ``antq report`` (the
bundled Lai Châu 2017 dataset, end to end) within 600 ms. Each command runs
``--repeat`` times in a new interpreter (so nothing is cached in memory but what the
OS caches on disk); the median wall time and the median CPU time (user + system,
from ``getrusage`` of the children) are reported, with the bare interpreter's start
(``python -c pass``) for scale, and the load average, since a shared machine's wall
times include waiting for a CPU. ``--importtime`` also prints the modules that
``python -X importtime -c "import antq_core"`` reports as slowest.

Usage::

    python benchmarks/startup.py [--repeat 10] [--importtime]

The targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGETS = {"import antq_core": 0.2, "antq report": 0.6}


def _antq() -> list[str]:
    """The ``antq`` script next to this interpreter, else ``python -m antq_core._cli``."""
    script = Path(sys.executable).with_name("antq")
    if script.exists():
        return [str(script)]
    found = shutil.which("antq")
    return [found] if found else [sys.executable, "-m", "antq_core._cli"]


COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import antq_core": [sys.executable, "-c", "import antq_core"],
    "from antq_core import Dataset, aggregate": [
        sys.executable,
        "-c",
        "from antq_core import Dataset, aggregate",
    ],
    "antq report": [*_antq(), "report"],
}


def _run(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our own commands
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _importtime(top: int) -> list[tuple[int, str]]:
    """The ``top`` slowest modules (cumulative µs) of ``import antq_core``."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import antq_core"],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    rows = []
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"load average before {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for argv in COMMANDS.values():
        _run(argv)  # warm the OS's file cache
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):  # interleaved, so drift hits every command alike
        for name, argv in COMMANDS.items():
            runs[name].append(_run(argv))
    print(f"median of {args.repeat} fresh processes (wall s / CPU s):")
    for name, got in runs.items():
        wall = statistics.median(w for w, _ in got)
        cpu = statistics.median(c for _, c in got)
        line = f"  {name:42s} {wall:6.3f} / {cpu:6.3f}"
        if name in TARGETS:
            verdict = "met" if wall <= TARGETS[name] else "NOT MET"
            line += f"   target {TARGETS[name]:.1f} s wall: {verdict}"
        print(line)
    print(f"load average after {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.importtime:
        print("slowest modules of `import antq_core` (cumulative µs, python -X importtime):")
        for us, name in _importtime(12):
            print(f"  {us:8d}  {name}")


if __name__ == "__main__":
    main()
