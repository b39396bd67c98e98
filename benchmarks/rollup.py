"""Entity roll-ups, reconciliation and remapping at province scale: time against a floor.

The script generates a synthetic dataset, deterministically from a seed: one province of
10 districts and 1,000 communes (the old geography) and a new geography of 300 communes
directly under the province; a crosswalk where each old commune merges into one new
commune, 5% are split between two, and districts dissolve into the province; 5,000 mass
organizations (10% without a member count), 2,000 sites (10% spanning two or three
communes of one district), 200 initiatives; and N observations (default 200,000), half of
them reported totals of the four entity metrics on communes, districts and the province
over 24 months, half flows on sites.

It times, with one warm-up and the median of ``--repeat`` runs:

* ``count_entities(ds, "commune")``, against a bare dict loop that tallies the same
  entities at their precomputed anchors (the floor for pure Python);
* ``reconcile(ds)``, against a bare loop over the same rows of the column view that looks
  up precomputed counts per unit and subtracts;
* ``Crosswalk.remap(ds, on_split="approximate")``, against rebuilding the same store from
  its observation models (``ObservationStore.from_observations(list(store))``), the cost
  any rewrite through the public models pays.

Usage::

    python benchmarks/rollup.py [--n N] [--repeat R] [--seed S] [--json]

Figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import pydantic

from antq_core import (
    AdminUnit,
    Crosswalk,
    CrosswalkEntry,
    CrosswalkRelationship,
    CrosswalkSource,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    Initiative,
    MassOrganization,
    Observation,
    ObservationStore,
    Site,
    builtin_catalog,
    count_entities,
    reconcile,
)

ENTITY_METRICS = (
    ("initiatives", "initiative"),
    ("initiative_sites", "site"),
    ("mass_organizations", "organization"),
    ("mass_organization_members", "member"),
)


def _geography() -> tuple[Gazetteer, Gazetteer, list[str], list[str]]:
    old = [AdminUnit("90", "Tỉnh Thử", "province")]
    new = [AdminUnit("90", "Tỉnh Thử", "province")]
    communes = []
    for d in range(10):
        district = f"9{d:02d}"
        old.append(AdminUnit(district, f"Huyện {d}", "district", "90"))
        for c in range(100):
            code = f"1{d:02d}{c:02d}"
            communes.append(code)
            old.append(AdminUnit(code, f"Xã {d}-{c}", "commune", district))
    new_codes = [f"2{n:04d}" for n in range(300)]
    new += [AdminUnit(c, f"Xã mới {c}", "commune", "90") for c in new_codes]
    return Gazetteer("old", old), Gazetteer("new", new), communes, new_codes


def _crosswalk(
    target: Gazetteer, communes: list[str], new_codes: list[str], rng: random.Random
) -> Crosswalk:
    src = "law"
    entries = [CrosswalkEntry("90", ("90",), CrosswalkRelationship.SAME, src)]
    entries += [
        CrosswalkEntry(f"9{d:02d}", ("90",), CrosswalkRelationship.DISSOLVED, src)
        for d in range(10)
    ]
    for i, code in enumerate(communes):
        home = new_codes[i * len(new_codes) // len(communes)]
        if rng.random() < 0.05:
            other = rng.choice([c for c in new_codes if c != home])
            entries.append(CrosswalkEntry(code, (home, other), CrosswalkRelationship.SPLIT, src))
        else:
            entries.append(CrosswalkEntry(code, (home,), CrosswalkRelationship.MERGE, src))
    return Crosswalk(
        "bench",
        entries,
        target=target,
        from_version="old",
        effective=dt.date(2025, 7, 1),
        sources=[CrosswalkSource(id=src, title="Synthetic")],
    )


def _dataset(n: int, seed: int) -> tuple[Dataset, Crosswalk]:
    rng = random.Random(seed)
    old, new, communes, new_codes = _geography()
    cw = _crosswalk(new, communes, new_codes, rng)
    catalog = builtin_catalog()
    initiatives = [
        Initiative(
            id=f"i{k}",
            name_vi=f"Mô hình {k}",
            theme="border_cluster",
            scope=rng.choice(communes) if k % 2 else None,
            typical=k % 5 == 0,
        )
        for k in range(200)
    ]
    sites = []
    for k in range(2000):
        first = rng.randrange(len(communes))
        span = rng.choice((2, 3)) if rng.random() < 0.1 else 1
        district_start = first - first % 100
        units = tuple(
            communes[district_start + (first - district_start + j) % 100] for j in range(span)
        )
        sites.append(Site(id=f"s{k}", initiative=f"i{k % 200}", admin_units=units))
    orgs = [
        MassOrganization(
            id=f"o{k}",
            kind="people_security_team",
            name_vi=f"Tổ {k}",
            admin_unit=rng.choice(communes),
            member_count=None if rng.random() < 0.1 else rng.randrange(5, 30),
        )
        for k in range(5000)
    ]
    months = [f"{y}-{m:02d}" for y in (2016, 2017) for m in range(1, 13)]
    subjects = (
        [f"unit:{c}" for c in communes] + [f"unit:9{d:02d}" for d in range(10)] + ["unit:90"]
    )
    observations = []
    for k in range(n):
        if k % 2 == 0:
            metric, unit = ENTITY_METRICS[k // 2 % 4]
            subject = rng.choice(subjects)
        else:
            metric, unit = "cases_resolved_jointly", "case"
            subject = f"site:s{rng.randrange(2000)}"
        observations.append(
            Observation(
                metric=metric,
                subject=subject,
                period=rng.choice(months),
                unit=unit,
                value=rng.randrange(0, 500),
            )
        )
    ds = Dataset(
        gazetteer=old,
        metadata=DatasetMetadata(title_vi="Thử", province="90"),
        themes=catalog.themes,
        categories=catalog.categories,
        metrics=catalog.metrics,
        initiatives=initiatives,
        sites=sites,
        organizations=orgs,
        observations=observations,
    )
    return ds, cw


def _floor_count(ds: Dataset, anchors: dict[str, list[str]]) -> dict[str, list[int]]:
    """Tally precomputed anchors with a bare dict loop: [initiatives, sites, orgs, members]."""
    tallies: dict[str, list[int]] = {}
    for slot, codes in enumerate((anchors["initiative"], anchors["site"], anchors["org"])):
        for code in codes:
            t = tallies.get(code)
            if t is None:
                t = tallies[code] = [0, 0, 0, 0]
            t[slot] += 1
    for org, code in zip(ds.organizations.values(), anchors["org"], strict=True):
        tallies[code][3] += org.member_count or 0
    return tallies


def _anchors(ds: Dataset) -> dict[str, list[str]]:
    gaz = ds.gazetteer
    units_of: dict[str, list[str]] = {}
    for s in ds.sites.values():
        units_of.setdefault(s.initiative, []).extend(s.admin_units)
    site = [gaz.common_ancestor(s.admin_units).code for s in ds.sites.values()]
    initiative = [
        i.scope or gaz.common_ancestor(units_of[i.id]).code for i in ds.initiatives.values()
    ]
    org = [o.admin_unit for o in ds.organizations.values()]
    return {"site": site, "initiative": initiative, "org": org}


def _floor_reconcile(ds: Dataset, totals: dict[str, list[int]]) -> list[int]:
    cols = ds.observations.columns()
    slot = {
        "initiatives": 0,
        "initiative_sites": 1,
        "mass_organizations": 2,
        "mass_organization_members": 3,
    }
    wanted = {i: slot[m] for i, m in enumerate(cols.metrics) if m in slot}
    out = []
    for i in range(len(cols)):
        s = wanted.get(cols.metric[i])
        if s is None:
            continue
        subject = cols.subjects[cols.subject[i]]
        t = totals.get(subject.id)
        out.append(cols.value[i] - (t[s] if t else 0))
    return out


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm-up
    runs = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
        del result
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    ds, cw = _dataset(args.n, args.seed)
    anchors = _anchors(ds)
    # Roll the floor's tallies up to every ancestor, as reconcile needs totals per unit.
    totals: dict[str, list[int]] = {}
    for code, t in _floor_count(ds, anchors).items():
        for c in (code, *(u.code for u in ds.gazetteer.ancestors(code))):
            acc = totals.setdefault(c, [0, 0, 0, 0])
            for k in range(4):
                acc[k] += t[k]
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        (
            "count_entities by commune",
            lambda: count_entities(ds, "commune"),
            lambda: _floor_count(ds, _anchors(ds)),
        ),
        ("reconcile", lambda: reconcile(ds), lambda: _floor_reconcile(ds, totals)),
        (
            "remap (approximate)",
            lambda: cw.remap(ds, on_split="approximate"),
            lambda: ObservationStore.from_observations(list(ds.observations)),
        ),
    ]
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "pydantic": pydantic.VERSION,
        "machine": platform.machine(),
        "n_observations": args.n,
        "reconciled_rows": len(reconcile(ds)),
        "results": {},
    }
    for name, ours, floor in cases:
        mine = _time(ours, args.repeat)
        ref = _time(floor, args.repeat)
        report["results"][name] = {
            "ours_s": mine,
            "floor_s": ref,
            "median_ours_s": statistics.median(mine),
            "median_floor_s": statistics.median(ref),
            "ratio": statistics.median(mine) / statistics.median(ref),
        }
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    print(
        f"Python {report['python']}, pydantic {report['pydantic']}, {report['machine']}, "
        f"{args.n:,} observations ({report['reconciled_rows']:,} reconciled), "
        f"median of {args.repeat}"
    )
    for name, r in report["results"].items():
        print(
            f"  {name:28} {r['median_ours_s']:.3f} s   floor {r['median_floor_s']:.3f} s   "
            f"ratio {r['ratio']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
