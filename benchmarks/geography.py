"""The national gazetteers: loading, name lookups and address resolution.

Reports, for ``bundled_gazetteer("vn_2025_06")`` (10,795 units) and ``"vn_2025_07"``
(3,356 units):

- loading it against ``json.loads`` of the same bytes plus a dict of its plain unit dicts by code
  (target: within 3x), the two timed alternately (A B A B ...), ``--repeat`` times each; the
  medians are compared, and the minima shown;
- on ``vn_2025_06``, 100,000 ``Gazetteer.find`` calls and 100,000 ``Gazetteer.resolve`` calls on
  addresses of real communes, as microseconds a call (lookups are hash lookups once the names
  are folded), and the same on the 171 units of ``lai_chau_2017``: a hash lookup costs the same
  on a gazetteer sixty times smaller.

It prints whether the load target is met; it never fails on it.

Usage::

    python benchmarks/geography.py [--repeat 9] [--n 100000]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from importlib.resources import files

from antq_core import AdminLevel, bundled_gazetteer


def interleaved(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[list[float], list[float]]:
    """Times of ``a`` and ``b``, run alternately ``repeat`` times each after one warm-up."""
    a(), b()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for f, out in zip((a, b), times, strict=True):
            gc.collect()
            start = time.perf_counter()
            f()
            out.append(time.perf_counter() - start)
    return times


def ms(times: list[float]) -> str:
    """Median and minimum of ``times``, in milliseconds."""
    return f"median {statistics.median(times) * 1e3:.1f} ms (min {min(times) * 1e3:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--n", type=int, default=100_000, help="lookups of each kind")
    parser.add_argument("--lookup-repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"load average before {os.getloadavg()}")
    for name in ("vn_2025_06", "vn_2025_07"):
        raw = (files("antq_core") / "data" / f"gazetteer_{name}.json").read_bytes()

        # The baseline: json.loads, and the units it already parsed into plain dicts keyed
        # by code. Tried (stop 20, load 0.9, median of 7): copying each unit with dict(u)
        # (the old baseline, 10.5 ms); the units as they are (9.2 ms: kept); dict(zip(map(
        # itemgetter("code"), units), units)) (9.8 ms); json.loads of raw.decode() instead
        # of the bytes (9.2 ms, the same). json.loads alone takes 8.9 ms.
        def plain(raw: bytes = raw) -> object:
            return {u["code"]: u for u in json.loads(raw)["units"]}

        def ours(name: str = name) -> object:
            return bundled_gazetteer(name)

        t_plain, t_ours = interleaved(plain, ours, args.repeat)
        ratio = statistics.median(t_ours) / statistics.median(t_plain)
        verdict = "met" if ratio <= 3 else "MISSED"
        print(
            f"{name} load: {ms(t_ours)}; json.loads + dicts {ms(t_plain)}; "
            f"ratio of medians {ratio:.2f} (target 3x: {verdict})"
        )

    for name in ("vn_2025_06", "lai_chau_2017"):
        lookups(name, args.n, args.lookup_repeat)
    print(f"load average after {os.getloadavg()}")


def lookups(name: str, n: int, repeat: int) -> None:
    """Times ``n`` finds and ``n`` resolves on communes of ``name``, median of ``repeat``."""
    gaz = bundled_gazetteer(name)
    communes = [u for u in gaz if u.level is AdminLevel.COMMUNE]
    rng = random.Random(2025)
    picked = [rng.choice(communes) for _ in range(n)]
    addresses = [
        ", ".join(
            u.full_name for u in (c, *gaz.ancestors(c.code)) if u.level is not AdminLevel.COUNTRY
        )
        for c in picked
    ]
    gaz.resolve(addresses[0])  # builds the name indexes once

    # A few names are shared by two units of one district (thị trấn and xã Tân Thạnh):
    # those lookups raise AmbiguousNameError, a LookupError, as they should.
    def finds() -> None:
        for c in picked:
            with contextlib.suppress(LookupError):
                gaz.find(c.name, parent=c.parent)

    def resolves() -> None:
        for a in addresses:
            with contextlib.suppress(LookupError):
                gaz.resolve(a)

    t_find, t_resolve = interleaved(finds, resolves, repeat)
    for label, times in (("find", t_find), ("resolve", t_resolve)):
        took = statistics.median(times)
        print(
            f"{name} {label}: {n:,} calls, median {took:.2f} s of {repeat}, "
            f"{took / n * 1e6:.1f} µs a call (e.g. {addresses[0]!r})"
        )


if __name__ == "__main__":
    main()
