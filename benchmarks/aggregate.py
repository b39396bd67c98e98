"""Aggregate observations: each engine against a bare dict loop, polars and DuckDB.

The requirements it reports on (issue 3, "Speed"):

* the reference engine (``engine="python"``, core dependencies only), on
  1,000,000 observations, rolls every flow metric up by district x year within
  1.5x the time of a bare Python dict-accumulation loop over the same rows, and a
  stock (last value per unit in the year, then sum over units) within 2x;
* the columnar engine (``engine="polars"``), on 10,000,000 observations, within
  2x of hand-written polars / DuckDB doing the same group-by, distinct
  participants and stocks within 2x of hand-written polars, with a peak RSS under
  3 GB;
* aggregating the leaf level once and rolling it up, a whole hierarchy's
  grouping sets (village, commune, district, province) cost about 1-1.6x one
  group-by.

The data is synthetic, generated deterministically from ``--seed``: provinces of
10 districts of 100 communes of 10 villages (so 11,111 units a province; one
province per 5M rows unless ``--provinces``), 60 months (2013-01 to 2017-12) and
50 metrics: 30 flows (sum over units and time), 19 stocks (sum over units, last
over time) and one count of distinct participants. There are three workloads of
N rows each, one per kind of metric:

* flows: N observations, each of one village, one flow metric, one month, a whole
  number of cases, exact; no two share (village, metric, month);
* stocks: the same for the stock metrics (so the last value of a unit in a year
  is never a tie);
* participants: N participant-level records (observations about
  ``participant:ID``, each saying the person was supported in a month) of a pool
  of N/20 people, each living in one village (``Participant.admin_unit``): the
  same person appears in several months of a year and must be counted once.

Each row exists three times: as the antq :class:`~antq_core.Dataset` (its
:class:`~antq_core.Gazetteer`, metric catalog and an
:class:`~antq_core.ObservationStore` **filled a whole column at a time by the
store's builder**, because building 10,000,000 ``Observation`` models would take
longer than everything else together; the store is the same as a loaded one,
only the parsing is skipped), as plain Python lists (the dict loop) and as a
polars DataFrame / DuckDB relation of integer codes with dimension tables
(village -> commune -> district -> province, month -> year) for the hand-written
references.

Roll-ups, each done by every contender:

(a) ``sum``: every flow metric by district x year (value and number of contributing
    observations);
(b) ``stock``: every stock metric by district x year, last value per village in
    the year, then summed over villages (value and number of villages summed);
(c) ``distinct``: distinct participants by district x year;
(d) ``leaf``: every flow metric by village x year (one group-by at the leaf);
(e) ``hierarchy``: every flow metric by year at each of village, commune, district
    and province (grouping sets); the references aggregate the leaf once and roll
    it up; antq makes one ``aggregate_rollup`` call (one scan, rolled up level by
    level), or one ``aggregate`` call per level where it has no ``aggregate_rollup``.

For each antq engine one more run is split into plan, scan and finish (through
the private ``antq_core._aggregate`` modules): only the scan differs between
engines.

Timing: one warm-up of each contender, then ``--repeat`` rounds, contenders
interleaved in each round; ``gc.collect()`` before each run; results freed
outside the timed region; the median is reported with every run. Memory: a
fresh interpreter per contender, started before any data is made, reads the
rows written by this one, and reports its peak RSS (``ru_maxrss``) after each
roll-up.

The antq engine parts run only when ``antq_core.aggregate`` exists; until then
the script measures the references alone.

Usage::

    python benchmarks/aggregate.py [--n N] [--n-python N] [--n-columnar N]
        [--provinces P] [--repeat R] [--seed S] [--only python|columnar]
        [--rollups sum,stock,distinct] [--no-memory] [--json]

and, for the hierarchy against one group-by at the leaf (antq finishes each
leaf group in Python, which takes minutes at a million rows)::

    python benchmarks/aggregate.py --n 200000 --rollups leaf,hierarchy --no-memory

The targets are reported, never asserted: a slow machine does not fail.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import antq_core
from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    ObservationStore,
    Participant,
    ParticipantRole,
    Period,
    SubjectKind,
    SubjectRef,
)
from antq_core._dataset.store import StoreBuilder  # the store's one builder, as loaders use it

MB = 1024 * 1024
FIRST_YEAR = 2013
N_MONTHS = 60
N_YEARS = N_MONTHS // 12
DISTRICTS_PER_PROVINCE = 10
COMMUNES_PER_DISTRICT = 100
VILLAGES_PER_COMMUNE = 10
VILLAGES_PER_DISTRICT = COMMUNES_PER_DISTRICT * VILLAGES_PER_COMMUNE
ROWS_PER_PROVINCE = 5_000_000  # --provinces auto: one province per 5M rows
N_FLOW, N_STOCK = 30, 19
DISTINCT_METRIC = "participants_distinct"
RECORDS_PER_PERSON = 20
ROLLUPS = ("sum", "stock", "distinct", "leaf", "hierarchy")
LEVELS = ("village", "commune", "district", "province")

TARGETS = {
    # (scale, rollup): (contender, reference(s), max ratio)
    ("python", "sum"): ("antq python", ("dict loop",), 1.5),
    ("python", "stock"): ("antq python", ("dict loop",), 2.0),
    ("columnar", "sum"): ("antq polars", ("polars", "duckdb"), 2.0),
    ("columnar", "stock"): ("antq polars", ("polars",), 2.0),
    ("columnar", "distinct"): ("antq polars", ("polars",), 2.0),
}
HIERARCHY_MAX = 1.6  # hierarchy / one group-by at the leaf, for each antq engine
PEAK_RSS_MAX_MB = 3 * 1024


# ---------------------------------------------------------------- generation


def _flow_id(i: int) -> str:
    return f"flow_{i:02d}"


def _stock_id(i: int) -> str:
    return f"stock_{i:02d}"


FLOW_METRICS = tuple(_flow_id(i) for i in range(N_FLOW))
STOCK_METRICS = tuple(_stock_id(i) for i in range(N_STOCK))
METRIC_IDS = (*FLOW_METRICS, *STOCK_METRICS, DISTINCT_METRIC)
FLOW_UNITS = ("case", "meeting", "tip", "household_attendance")
STOCK_UNITS = ("organization", "member", "household")


def metric_definitions() -> list[MetricDefinition]:
    """The 50 metrics: 40 flows, 9 stocks, one distinct count, in METRIC_IDS order."""
    flows = [
        MetricDefinition(
            id=m,
            name_vi=f"Chỉ tiêu luồng {i}",
            name_en=f"Flow {i}",
            unit=FLOW_UNITS[i % len(FLOW_UNITS)],
            kind="flow",
        )
        for i, m in enumerate(FLOW_METRICS)
    ]
    stocks = [
        MetricDefinition(
            id=m,
            name_vi=f"Chỉ tiêu tồn {i}",
            name_en=f"Stock {i}",
            unit=STOCK_UNITS[i % len(STOCK_UNITS)],
            kind="stock",
        )
        for i, m in enumerate(STOCK_METRICS)
    ]
    distinct = MetricDefinition(
        id=DISTINCT_METRIC,
        name_vi="Số người được giúp đỡ (không trùng)",
        name_en="Distinct participants supported",
        unit="person",
        kind="distinct",
    )
    return [*flows, *stocks, distinct]


@dataclass
class Geography:
    """Provinces of 10 districts of 100 communes of 10 villages, numbered depth-first.

    Village ``v`` lies in commune ``v // 10``, district ``v // 1000`` and province
    ``v // 10000``; the references get those as dimension tables, the antq
    engines through the gazetteer.
    """

    provinces: int

    @property
    def districts(self) -> int:
        return self.provinces * DISTRICTS_PER_PROVINCE

    @property
    def communes(self) -> int:
        return self.districts * COMMUNES_PER_DISTRICT

    @property
    def villages(self) -> int:
        return self.communes * VILLAGES_PER_COMMUNE

    @staticmethod
    def province_code(p: int) -> str:
        return f"{10 + p:02d}"

    @staticmethod
    def district_code(d: int) -> str:
        return f"{100 + d:03d}"

    @staticmethod
    def commune_code(c: int) -> str:
        return f"{c:05d}"

    @staticmethod
    def village_code(v: int) -> str:
        return f"v{v:07d}"

    def codes(self, level: str) -> list[str]:
        count = getattr(self, f"{level}s")
        code = getattr(self, f"{level}_code")
        return [code(i) for i in range(count)]

    def parents(self, level: str) -> np.ndarray:
        """For each unit of ``level``: the index of the unit above it."""
        fan = {
            "village": VILLAGES_PER_COMMUNE,
            "commune": COMMUNES_PER_DISTRICT,
            "district": DISTRICTS_PER_PROVINCE,
        }[level]
        return np.arange(getattr(self, f"{level}s"), dtype=np.uint32) // fan

    def village_to(self, level: str) -> np.ndarray:
        """For each village: the index of the unit of ``level`` that contains it."""
        per = {
            "village": 1,
            "commune": VILLAGES_PER_COMMUNE,
            "district": VILLAGES_PER_DISTRICT,
            "province": VILLAGES_PER_DISTRICT * DISTRICTS_PER_PROVINCE,
        }[level]
        return np.arange(self.villages, dtype=np.uint32) // per

    def gazetteer(self) -> Gazetteer:
        units = [
            AdminUnit(self.province_code(p), f"Tỉnh {p}", "province")
            for p in range(self.provinces)
        ]
        for d in range(self.districts):
            parent = self.province_code(d // DISTRICTS_PER_PROVINCE)
            units.append(AdminUnit(self.district_code(d), f"Huyện {d}", "district", parent))
        for c in range(self.communes):
            parent = self.district_code(c // COMMUNES_PER_DISTRICT)
            units.append(AdminUnit(self.commune_code(c), f"Xã {c}", "commune", parent, "xã"))
        for v in range(self.villages):
            parent = self.commune_code(v // VILLAGES_PER_COMMUNE)
            code = self.village_code(v)
            units.append(AdminUnit(code, f"Bản {v}", "village", parent, "bản", local=True))
        return Gazetteer("bench", units, title="Synthetic gazetteer for benchmarks/aggregate.py")


@dataclass
class Rows:
    """One workload's rows as numpy columns of codes.

    ``metric`` indexes METRIC_IDS, ``village`` the geography's villages,
    ``month`` the 60 months from January 2013; ``participant`` (the subject of
    each record) and ``home`` (each person's village) are set for the
    participant records only.
    """

    kind: str
    metric: np.ndarray
    village: np.ndarray
    month: np.ndarray
    value: np.ndarray
    participant: np.ndarray | None = None
    home: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.metric)

    def save(self, path: Path) -> None:
        arrays = {
            "metric": self.metric,
            "village": self.village,
            "month": self.month,
            "value": self.value,
        }
        if self.participant is not None and self.home is not None:
            arrays["participant"] = self.participant
            arrays["home"] = self.home
        np.savez(path, kind=np.array(self.kind), **arrays)

    @classmethod
    def load(cls, path: Path) -> Rows:
        with np.load(path) as f:
            return cls(
                kind=str(f["kind"]),
                metric=f["metric"],
                village=f["village"],
                month=f["month"],
                value=f["value"],
                participant=f.get("participant"),
                home=f.get("home"),
            )


def _distinct_cells(rng: np.random.Generator, population: int, n: int) -> np.ndarray:
    """``n`` distinct integers below ``population``, in random order."""
    if n > population:
        msg = f"{n:,} rows do not fit in {population:,} cells: use more --provinces"
        raise SystemExit(msg)
    draw = int(n * 1.1) + 1000
    while True:
        cells = np.sort(rng.integers(0, population, draw, dtype=np.int64))
        keep = np.ones(len(cells), dtype=bool)
        keep[1:] = cells[1:] != cells[:-1]
        cells = cells[keep]
        if len(cells) >= n:
            return cells[rng.permutation(len(cells))[:n]]
        draw *= 2


def generate(kind: str, n: int, geo: Geography, seed: int) -> Rows:
    """``n`` rows of one workload (``flow``, ``stock`` or ``participant``), from ``seed``."""
    rng = np.random.default_rng([seed, ("flow", "stock", "participant").index(kind)])
    if kind == "participant":
        people = max(1, n // RECORDS_PER_PERSON)
        home = rng.integers(0, geo.villages, people, dtype=np.int64)
        person = rng.integers(0, people, n, dtype=np.int64)
        village = home[person]
        return Rows(
            kind=kind,
            metric=np.full(n, METRIC_IDS.index(DISTINCT_METRIC), dtype=np.uint32),
            village=village.astype(np.uint32),
            month=rng.integers(0, N_MONTHS, n, dtype=np.uint32),
            value=np.ones(n, dtype=np.int64),
            participant=person.astype(np.uint32),
            home=home.astype(np.uint32),
        )
    metrics, offset, high = (N_FLOW, 0, 200) if kind == "flow" else (N_STOCK, N_FLOW, 5000)
    cells = _distinct_cells(rng, geo.villages * metrics * N_MONTHS, n)
    return Rows(
        kind=kind,
        metric=(cells // N_MONTHS % metrics + offset).astype(np.uint32),
        village=(cells // (N_MONTHS * metrics)).astype(np.uint32),
        month=(cells % N_MONTHS).astype(np.uint32),
        value=rng.integers(0, high, n, dtype=np.int64),
    )


# ---------------------------------------------------------------- the antq side


def _array(typecode: str, values: np.ndarray) -> array[int]:
    out = array(typecode)
    out.frombytes(values.astype(np.dtype(typecode)).tobytes())
    return out


def _months() -> list[Period]:
    return [Period.month(FIRST_YEAR + m // 12, m % 12 + 1) for m in range(N_MONTHS)]


def build_store(rows: Rows, geo: Geography) -> ObservationStore:
    """An ObservationStore of ``rows``, its columns appended whole by a StoreBuilder.

    Building one Observation model per row would take minutes at 10M rows; the
    tables are interned in full first, so the codes equal the generator's, and
    the columns are copied in as arrays of the store's types.
    """
    definitions = metric_definitions()
    if rows.participant is None:
        subjects = (SubjectRef(SubjectKind.UNIT, code) for code in geo.codes("village"))
        subject = rows.village
    else:
        # Participant-level records: the subject is the person.
        assert rows.home is not None
        subjects = (SubjectRef(SubjectKind.PARTICIPANT, _person(i)) for i in range(len(rows.home)))
        subject = rows.participant
    builder = StoreBuilder(
        metrics=METRIC_IDS,
        subjects=subjects,
        periods=_months(),
        units=(d.unit for d in definitions),
    )
    unit_of_metric = np.array([builder.units.index[d.unit] for d in definitions], dtype=np.uint16)
    # Qualifier, disaggregation, source and note are left out: all exact, totals, none.
    builder.extend(
        metric=_array("I", rows.metric),
        subject=_array("I", subject),
        period=_array("I", rows.month),
        unit=_array("H", unit_of_metric[rows.metric]),
        value=_array("q", rows.value),
    )
    return builder.build()


def _person(i: int) -> str:
    return f"p{i:08d}"


def build_dataset(rows: Rows, geo: Geography, gazetteer: Gazetteer) -> Dataset:
    people: list[Participant] = []
    if rows.home is not None:
        # Built unvalidated (model_construct) for speed: ids and codes are well formed.
        member = (ParticipantRole.MEMBER,)
        people = [
            Participant.model_construct(
                id=_person(i), roles=member, admin_unit=geo.village_code(v)
            )
            for i, v in enumerate(rows.home.tolist())
        ]
    return Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Dữ liệu tổng hợp cho benchmarks/aggregate.py"),
        metrics=metric_definitions(),
        participants=people,
        observations=build_store(rows, geo),
    )


def _level(rollup: str) -> str:
    """The admin level a single-table roll-up groups by."""
    return "village" if rollup == "leaf" else "district"


def has_engine() -> bool:
    return hasattr(antq_core, "aggregate")


def antq_requests(rollup: str) -> list[tuple[list[str], list[str]]]:
    """The (metrics, by) of each ``aggregate`` call a roll-up makes."""
    if rollup == "hierarchy":
        return [(list(FLOW_METRICS), [level, "year"]) for level in LEVELS]
    metrics = {"stock": STOCK_METRICS, "distinct": (DISTINCT_METRIC,)}.get(rollup, FLOW_METRICS)
    return [(list(metrics), [_level(rollup), "year"])]


def antq_rollup(ds: Dataset, rollup: str, engine: str) -> Any:
    """One roll-up by an antq engine; returns its table (a list of them for the hierarchy).

    The hierarchy is one ``aggregate_rollup`` call (one scan, rolled up) when
    antq_core has it, else one ``aggregate`` call per level.
    """
    rollup_fn: Callable[..., Any] | None = getattr(antq_core, "aggregate_rollup", None)
    if rollup == "hierarchy" and rollup_fn is not None:
        tables = rollup_fn(ds, list(FLOW_METRICS), by=["village", "year"], engine=engine)
        return [tables[level] for level in LEVELS]
    aggregate: Callable[..., Any] = antq_core.aggregate  # type: ignore[attr-defined]
    tables = [
        aggregate(ds, metrics=metrics, by=by, engine=engine)
        for metrics, by in antq_requests(rollup)
    ]
    return tables if rollup == "hierarchy" else tables[0]


def antq_phases(ds: Dataset, rollup: str, engine: str) -> dict[str, float] | None:
    """Seconds spent planning, scanning (the engine) and finishing, through private modules.

    ``aggregate`` is plan -> scan -> finish (``antq_core._aggregate.engine``);
    only the scan differs between engines. ``None`` if those modules changed.
    """
    try:
        from antq_core._aggregate.engine import ENGINES
        from antq_core._aggregate.finish import finish
        from antq_core._aggregate.plan import make_plan
    except ImportError:
        return None
    phases = {"plan": 0.0, "scan": 0.0, "finish": 0.0}
    gc.collect()
    if rollup == "hierarchy" and hasattr(antq_core, "aggregate_rollup"):
        return _rollup_phases(ds, engine)
    for metrics, by in antq_requests(rollup):
        t0 = time.perf_counter()
        plan = make_plan(ds, metrics, by, periods=None, within=None, initiatives=None)
        t1 = time.perf_counter()
        scan = ENGINES[engine].scan(plan)
        t2 = time.perf_counter()
        finish(plan, scan, engine)
        t3 = time.perf_counter()
        phases["plan"] += t1 - t0
        phases["scan"] += t2 - t1
        phases["finish"] += t3 - t2
    return phases


def _rollup_phases(ds: Dataset, engine: str) -> dict[str, float] | None:
    """:func:`antq_phases` of ``aggregate_rollup``: plans of every level, one scan, finishes."""
    try:
        from antq_core._aggregate import _rolled_up
        from antq_core._aggregate.engine import ENGINES
        from antq_core._aggregate.finish import finish
        from antq_core._aggregate.plan import level_groups, make_plan, scan_plan
    except ImportError:
        return None
    t0 = time.perf_counter()
    plans = {
        level: make_plan(
            ds, list(FLOW_METRICS), [level, "year"], periods=None, within=None, initiatives=None
        )
        for level in LEVELS
    }
    scanning, first = scan_plan(ds, plans["village"])
    t1 = time.perf_counter()
    scan = ENGINES[engine].scan(scanning)
    t2 = time.perf_counter()
    for plan in plans.values():
        finish(plan, _rolled_up(scan, level_groups(plan, first)), engine)
    t3 = time.perf_counter()
    return {"plan": t1 - t0, "scan": t2 - t1, "finish": t3 - t2}


def antq_result(result: Any, rollup: str) -> dict[tuple[Any, ...], tuple[Any, int]]:
    """An antq table as {(level, unit code, year, metric): (value, observations)}."""
    tables = result if rollup == "hierarchy" else [result]
    levels = LEVELS if rollup == "hierarchy" else (_level(rollup),)
    out: dict[tuple[Any, ...], tuple[Any, int]] = {}
    for level, table in zip(levels, tables, strict=True):
        for row in table:
            year = row.keys["year"].start.year
            value = None if row.quantity is None else row.quantity.value
            out[(level, row.keys[level], year, row.metric)] = (value, row.observations)
    return out


# ---------------------------------------------------------------- the dict loop


@dataclass
class PlainRows:
    """The same rows as plain Python lists, and lookups by code."""

    metric: list[int]
    village: list[int]
    month: list[int]
    value: list[int]
    participant: list[int] | None
    village_to: dict[str, list[int]]
    year_of_month: list[int]

    @classmethod
    def of(cls, rows: Rows, geo: Geography) -> PlainRows:
        return cls(
            metric=rows.metric.tolist(),
            village=rows.village.tolist(),
            month=rows.month.tolist(),
            value=rows.value.tolist(),
            participant=None if rows.participant is None else rows.participant.tolist(),
            village_to={level: geo.village_to(level).tolist() for level in LEVELS},
            year_of_month=[FIRST_YEAR + m // 12 for m in range(N_MONTHS)],
        )


def loop_sum(r: PlainRows, level: str = "district") -> dict[tuple[int, int, int], list[int]]:
    """Flows by ``level`` x year: the bare loop, value and count per key."""
    unit, year = r.village_to[level], r.year_of_month
    acc: dict[tuple[int, int, int], list[int]] = {}
    for m, v, p, x in zip(r.metric, r.village, r.month, r.value, strict=True):
        key = (unit[v], year[p], m)
        entry = acc.get(key)
        if entry is None:
            acc[key] = [x, 1]
        else:
            entry[0] += x
            entry[1] += 1
    return acc


def loop_stock(r: PlainRows) -> dict[tuple[int, int, int], list[int]]:
    """Stocks: last month per (village, year, metric), then summed by district x year."""
    district, year = r.village_to["district"], r.year_of_month
    last: dict[tuple[int, int, int], tuple[int, int]] = {}
    for m, v, p, x in zip(r.metric, r.village, r.month, r.value, strict=True):
        key = (v, year[p], m)
        seen = last.get(key)
        if seen is None or p > seen[0]:
            last[key] = (p, x)
    acc: dict[tuple[int, int, int], list[int]] = {}
    for (v, y, m), (_, x) in last.items():
        key = (district[v], y, m)
        entry = acc.get(key)
        if entry is None:
            acc[key] = [x, 1]
        else:
            entry[0] += x
            entry[1] += 1
    return acc


def loop_distinct(r: PlainRows) -> dict[tuple[int, int], int]:
    """Distinct participants by district x year."""
    assert r.participant is not None
    district, year = r.village_to["district"], r.year_of_month
    people: dict[tuple[int, int], set[int]] = {}
    for v, p, person in zip(r.village, r.month, r.participant, strict=True):
        key = (district[v], year[p])
        seen = people.get(key)
        if seen is None:
            people[key] = {person}
        else:
            seen.add(person)
    return {key: len(s) for key, s in people.items()}


def loop_hierarchy(r: PlainRows) -> dict[str, dict[tuple[int, int, int], list[int]]]:
    """Flows by year at every level: the leaf once, then each level from the one below."""
    leaf = loop_leaf(r)
    out = {"village": leaf}
    below = leaf
    fans = (VILLAGES_PER_COMMUNE, COMMUNES_PER_DISTRICT, DISTRICTS_PER_PROVINCE)
    for level, fan in zip(LEVELS[1:], fans, strict=True):
        acc: dict[tuple[int, int, int], list[int]] = {}
        for (u, y, m), (x, c) in below.items():
            key = (u // fan, y, m)
            entry = acc.get(key)
            if entry is None:
                acc[key] = [x, c]
            else:
                entry[0] += x
                entry[1] += c
        out[level] = below = acc
    return out


def loop_leaf(r: PlainRows) -> dict[tuple[int, int, int], list[int]]:
    """Flows by village x year (the leaf of the hierarchy)."""
    return loop_sum(r, "village")


LOOPS: dict[str, Callable[[PlainRows], Any]] = {
    "sum": loop_sum,
    "leaf": loop_leaf,
    "stock": loop_stock,
    "distinct": loop_distinct,
    "hierarchy": loop_hierarchy,
}


# ---------------------------------------------------------------- hand-written polars


def polars_frames(rows: Rows, geo: Geography) -> dict[str, Any]:
    """The rows and the dimension tables as polars DataFrames."""
    import polars as pl

    facts = {
        "metric": rows.metric,
        "village": rows.village,
        "month": rows.month.astype(np.uint8),
        "value": rows.value,
    }
    if rows.participant is not None:
        facts["participant"] = rows.participant
    villages = pl.DataFrame({level: geo.village_to(level) for level in LEVELS})
    months = pl.DataFrame(
        {
            "month": np.arange(N_MONTHS, dtype=np.uint8),
            "year": (FIRST_YEAR + np.arange(N_MONTHS) // 12).astype(np.int16),
        }
    )
    return {"facts": pl.DataFrame(facts), "villages": villages, "months": months}


def polars_sum(f: dict[str, Any], level: str = "district") -> Any:
    import polars as pl

    facts = f["facts"].lazy()
    if level != "village":
        facts = facts.join(f["villages"].lazy().select("village", level), on="village")
    return (
        facts.join(f["months"].lazy(), on="month")
        .group_by(level, "year", "metric")
        .agg(pl.col("value").sum(), pl.len().alias("count"))
        .collect()
    )


def polars_stock(f: dict[str, Any]) -> Any:
    import polars as pl

    return (
        f["facts"]
        .lazy()
        .join(f["months"].lazy(), on="month")
        .group_by("village", "year", "metric")
        .agg(pl.col("value").get(pl.col("month").arg_max()))
        .join(f["villages"].lazy().select("village", "district"), on="village")
        .group_by("district", "year", "metric")
        .agg(pl.col("value").sum(), pl.len().alias("count"))
        .collect()
    )


def polars_distinct(f: dict[str, Any]) -> Any:
    import polars as pl

    return (
        f["facts"]
        .lazy()
        .join(f["villages"].lazy().select("village", "district"), on="village")
        .join(f["months"].lazy(), on="month")
        .group_by("district", "year")
        .agg(pl.col("participant").n_unique().alias("value"))
        .collect()
    )


def polars_hierarchy(f: dict[str, Any]) -> dict[str, Any]:
    import polars as pl

    leaf = (
        f["facts"]
        .lazy()
        .join(f["months"].lazy(), on="month")
        .group_by("village", "year", "metric")
        .agg(pl.col("value").sum(), pl.len().alias("count"))
        .join(f["villages"].lazy(), on="village")
        .collect()
    )
    out = {"village": leaf.select("village", "year", "metric", "value", "count")}
    for level in LEVELS[1:]:
        out[level] = leaf.group_by(level, "year", "metric").agg(
            pl.col("value").sum(), pl.col("count").sum()
        )
    return out


def polars_leaf(f: dict[str, Any]) -> Any:
    return polars_sum(f, "village")


POLARS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "sum": polars_sum,
    "leaf": polars_leaf,
    "stock": polars_stock,
    "distinct": polars_distinct,
    "hierarchy": polars_hierarchy,
}


# ---------------------------------------------------------------- DuckDB SQL


def duckdb_connection(frames: dict[str, Any]) -> Any:
    """An in-memory DuckDB with the polars frames registered (Arrow, zero copy)."""
    import duckdb

    con = duckdb.connect()
    for name, frame in frames.items():
        con.register(name, frame.to_arrow())
    return con


DUCKDB_SQL = {
    "sum": """
        SELECT v.district, m.year, f.metric, sum(f.value) AS value, count(*) AS count
        FROM facts f JOIN villages v USING (village) JOIN months m USING (month)
        GROUP BY v.district, m.year, f.metric
    """,
    "leaf": """
        SELECT f.village, m.year, f.metric, sum(f.value) AS value, count(*) AS count
        FROM facts f JOIN months m USING (month)
        GROUP BY f.village, m.year, f.metric
    """,
    "stock": """
        WITH last AS (
            SELECT f.village, m.year, f.metric, arg_max(f.value, f.month) AS value
            FROM facts f JOIN months m USING (month)
            GROUP BY f.village, m.year, f.metric
        )
        SELECT v.district, l.year, l.metric, sum(l.value) AS value, count(*) AS count
        FROM last l JOIN villages v USING (village)
        GROUP BY v.district, l.year, l.metric
    """,
    "distinct": """
        SELECT v.district, m.year, count(DISTINCT f.participant) AS value
        FROM facts f JOIN villages v USING (village) JOIN months m USING (month)
        GROUP BY v.district, m.year
    """,
    "hierarchy": """
        WITH leaf AS (
            SELECT f.village, m.year, f.metric, sum(f.value) AS value, count(*) AS count
            FROM facts f JOIN months m USING (month)
            GROUP BY f.village, m.year, f.metric
        )
        SELECT v.village, v.commune, v.district, v.province, l.year, l.metric,
               sum(l.value) AS value, sum(l.count) AS count,
               grouping(v.village, v.commune, v.district, v.province) AS level
        FROM leaf l JOIN villages v USING (village)
        GROUP BY GROUPING SETS (
            (v.village, l.year, l.metric), (v.commune, l.year, l.metric),
            (v.district, l.year, l.metric), (v.province, l.year, l.metric)
        )
    """,
}


def duckdb_rollup(con: Any, rollup: str) -> Any:
    return con.sql(DUCKDB_SQL[rollup]).arrow()


# ---------------------------------------------------------------- checks


def _as_key_dict(frame: Any, keys: Iterable[str], values: Iterable[str]) -> dict[Any, Any]:
    keys, values = list(keys), list(values)
    cols = [frame[c].to_list() for c in (*keys, *values)]
    k, v = cols[: len(keys)], cols[len(keys) :]
    vs = list(zip(*v, strict=True)) if len(v) > 1 else v[0]
    return dict(zip(zip(*k, strict=True), vs, strict=True))


def normalise_loop(rollup: str, result: Any) -> dict[Any, Any]:
    """{(level, unit index, year, metric index): (value, count)} from the dict loop."""
    if rollup == "distinct":
        return {("district", d, y, None): (n, None) for (d, y), n in result.items()}
    levels = result if rollup == "hierarchy" else {_level(rollup): result}
    return {
        (level, u, y, m): (x, c)
        for level, acc in levels.items()
        for (u, y, m), (x, c) in acc.items()
    }


def normalise_polars(rollup: str, result: Any) -> dict[Any, Any]:
    if rollup == "distinct":
        d = _as_key_dict(result, ("district", "year"), ("value",))
        return {("district", u, y, None): (n, None) for (u, y), n in d.items()}
    levels = result if rollup == "hierarchy" else {_level(rollup): result}
    out: dict[Any, Any] = {}
    for level, frame in levels.items():
        d = _as_key_dict(frame, (level, "year", "metric"), ("value", "count"))
        out.update({(level, u, y, m): vc for (u, y, m), vc in d.items()})
    return out


def normalise_duckdb(rollup: str, result: Any) -> dict[Any, Any]:
    import polars as pl

    frame = pl.from_arrow(result)
    if rollup != "hierarchy":
        return normalise_polars(rollup, frame)
    # grouping(village, commune, district, province): the bit of each column left out.
    bits = {"village": 0b0111, "commune": 0b1011, "district": 0b1101, "province": 0b1110}
    levels = {level: frame.filter(pl.col("level") == bit) for level, bit in bits.items()}
    return normalise_polars(rollup, levels)


def normalise_antq(rollup: str, result: Any, geo: Geography) -> dict[Any, Any]:
    """The antq table in the references' shape (unit and metric by index)."""
    index = {level: {c: i for i, c in enumerate(geo.codes(level))} for level in LEVELS}
    metric_index = {m: i for i, m in enumerate(METRIC_IDS)}
    out: dict[Any, Any] = {}
    for (level, code, year, metric), (value, count) in antq_result(result, rollup).items():
        if rollup == "distinct":
            out[(level, index[level][code], year, None)] = (value, None)
        else:
            out[(level, index[level][code], year, metric_index[metric])] = (value, count)
    return out


# ---------------------------------------------------------------- measurement


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result  # freed outside the timed region
    return elapsed


def _max_rss_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MB


def _contenders(
    scale: str,
    rollup: str,
    rows: Rows,
    geo: Geography,
    gazetteer: Gazetteer,
    *,
    phases: dict[str, Callable[[], Any]],
) -> dict[str, Callable[[], Any]]:
    """Name -> callable doing ``rollup`` on ``rows``; antq phase timers go in ``phases``."""
    contenders: dict[str, Callable[[], Any]] = {}
    if scale == "python":
        plain = PlainRows.of(rows, geo)
        loop = LOOPS[rollup]
        contenders["dict loop"] = lambda: loop(plain)
    frames = polars_frames(rows, geo)
    con = duckdb_connection(frames)
    polars_fn = POLARS[rollup]
    contenders["polars"] = lambda: polars_fn(frames)
    contenders["duckdb"] = lambda: duckdb_rollup(con, rollup)
    if has_engine():
        ds = build_dataset(rows, geo, gazetteer)
        engines = ("python", "polars") if scale == "python" else ("polars",)
        for engine in engines:
            contenders[f"antq {engine}"] = lambda e=engine: antq_rollup(ds, rollup, e)
            phases[f"antq {engine}"] = lambda e=engine: antq_phases(ds, rollup, e)
    return contenders


def _check(rollup: str, name: str, result: Any, expected: dict[Any, Any], geo: Geography) -> None:
    if name == "dict loop":
        got = normalise_loop(rollup, result)
    elif name == "polars":
        got = normalise_polars(rollup, result)
    elif name == "duckdb":
        got = normalise_duckdb(rollup, result)
    else:
        got = normalise_antq(rollup, result, geo)
    if got != expected:
        missing = expected.keys() - got.keys()
        extra = got.keys() - expected.keys()
        differ = [k for k in expected.keys() & got.keys() if expected[k] != got[k]]
        msg = (
            f"{name} disagrees with polars on {rollup}: {len(missing)} groups missing, "
            f"{len(extra)} extra, {len(differ)} differ (e.g. "
            f"{[(k, expected[k], got[k]) for k in differ[:3]]})"
        )
        raise AssertionError(msg)


WORKLOAD = {
    "sum": "flow",
    "stock": "stock",
    "distinct": "participant",
    "leaf": "flow",
    "hierarchy": "flow",
}


def measure_scale(
    scale: str,
    *,
    n: int,
    provinces: int,
    repeat: int,
    seed: int,
    rollups: tuple[str, ...],
    memory_paths: dict[str, Path],
) -> dict[str, Any]:
    """Every roll-up at one scale: warm-up and check, then interleaved timed rounds."""
    geo = Geography(provinces)
    started = time.perf_counter()
    gazetteer = geo.gazetteer()
    rows_by_kind = {
        kind: generate(kind, n, geo, seed) for kind in ("flow", "stock", "participant")
    }
    generated = time.perf_counter() - started
    for kind, rows in rows_by_kind.items():
        if kind in memory_paths:
            rows.save(memory_paths[kind])
    results: dict[str, Any] = {}
    for rollup in rollups:
        rows = rows_by_kind[WORKLOAD[rollup]]
        phase_timers: dict[str, Callable[[], Any]] = {}
        contenders = _contenders(scale, rollup, rows, geo, gazetteer, phases=phase_timers)
        # Warm-up, and every contender checked against hand-written polars.
        expected = normalise_polars(rollup, contenders["polars"]())
        for name, fn in contenders.items():
            _check(rollup, name, fn(), expected, geo)
        runs: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(repeat):
            for name, fn in contenders.items():
                runs[name].append(_timed(fn))
        results[rollup] = {
            "rows": len(rows),
            "groups": len(expected),
            "runs_s": runs,
            "median_s": {name: statistics.median(r) for name, r in runs.items()},
            "phases_s": {name: timer() for name, timer in phase_timers.items()},
        }
        del contenders
        gc.collect()
    return {
        "n": n,
        "provinces": provinces,
        "units": {f"{level}s": getattr(geo, f"{level}s") for level in LEVELS},
        "generate_s": generated,
        "rollups": results,
    }


def _memory_child(what: str) -> None:
    """Read a geography and row files from stdin; print the peak RSS after each roll-up."""
    request = json.loads(sys.stdin.readline() or "null")
    if request is None:
        return
    geo = Geography(request["provinces"])
    gazetteer = geo.gazetteer() if what == "antq" else None
    peaks: dict[str, Any] = {"before_mb": _max_rss_mb()}
    for rollup in request["rollups"]:
        rows = Rows.load(Path(request["paths"][WORKLOAD[rollup]]))
        if what == "antq":
            assert gazetteer is not None
            ds = build_dataset(rows, geo, gazetteer)
            del rows
            gc.collect()
            peaks[f"{rollup}_data_mb"] = _max_rss_mb()
            result = antq_rollup(ds, rollup, "polars")
            del ds
        else:
            frames = polars_frames(rows, geo)
            del rows
            gc.collect()
            peaks[f"{rollup}_data_mb"] = _max_rss_mb()
            result = POLARS[rollup](frames)
            del frames
        peaks[f"{rollup}_mb"] = _max_rss_mb()
        del result
        gc.collect()
    print(json.dumps(peaks))


def _spawn_memory_child(what: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - this very script, with our own interpreter
        [sys.executable, __file__, "--memory-child", what],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _collect(child: subprocess.Popen[str], request: dict[str, Any]) -> dict[str, Any]:
    stdout, _ = child.communicate(json.dumps(request) + "\n")
    if child.returncode:
        msg = f"the memory measurement failed (exit status {child.returncode})"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(stdout)
    return result


def _auto_provinces(n: int) -> int:
    return max(1, -(-n // ROWS_PER_PROVINCE))


def machine() -> dict[str, Any]:
    import duckdb
    import polars as pl

    return {
        "python": platform.python_version(),
        "antq_core": antq_core.__version__,
        "polars": pl.__version__,
        "duckdb": duckdb.__version__,
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "load_average": os.getloadavg(),
        "engine_available": has_engine(),
    }


def _targets(scales: dict[str, Any]) -> list[dict[str, Any]]:
    verdicts = []
    for (scale, rollup), (ours, refs, limit) in TARGETS.items():
        medians = scales.get(scale, {}).get("rollups", {}).get(rollup, {}).get("median_s", {})
        if ours not in medians:
            continue
        for ref in refs:
            ratio = medians[ours] / medians[ref]
            verdicts.append(
                {
                    "what": f"{scale} {rollup}: {ours} / {ref}",
                    "ratio": ratio,
                    "max": limit,
                    "met": ratio <= limit,
                }
            )
    for scale, r in scales.items():
        medians = r["rollups"]
        if "hierarchy" not in medians or "leaf" not in medians:
            continue
        for engine in ("antq python", "antq polars"):
            if engine not in medians["hierarchy"]["median_s"] or (
                scale == "python" and engine == "antq polars"
            ):
                continue
            ratio = medians["hierarchy"]["median_s"][engine] / medians["leaf"]["median_s"][engine]
            verdicts.append(
                {
                    "what": f"{scale} hierarchy / leaf: {engine}",
                    "ratio": ratio,
                    "max": HIERARCHY_MAX,
                    "met": ratio <= HIERARCHY_MAX,
                }
            )
    return verdicts


def run(args: argparse.Namespace) -> dict[str, Any]:
    scales = {
        "python": args.n_python if args.n is None else args.n,
        "columnar": args.n_columnar if args.n is None else args.n,
    }
    if args.only:
        scales = {args.only: scales[args.only]}
    rollups = tuple(r for r in ROLLUPS if r in args.rollups.split(","))
    # Start the memory children now, while this process is small: on Linux a
    # child's ru_maxrss starts from its parent's RSS at the time it was spawned.
    children = {}
    if "columnar" in scales and not args.no_memory:
        children["polars"] = _spawn_memory_child("polars")
        if has_engine():
            children["antq"] = _spawn_memory_child("antq")
    results: dict[str, Any] = {"machine": machine(), "seed": args.seed, "repeat": args.repeat}
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {kind: Path(tmp) / f"{kind}.npz" for kind in ("flow", "stock", "participant")}
        for scale, n in scales.items():
            provinces = args.provinces or _auto_provinces(n)
            memory_paths = paths if scale == "columnar" and children else {}
            measured[scale] = measure_scale(
                scale,
                n=n,
                provinces=provinces,
                repeat=args.repeat,
                seed=args.seed,
                rollups=rollups,
                memory_paths=memory_paths,
            )
            if memory_paths:
                request = {
                    "provinces": provinces,
                    "rollups": rollups,
                    "paths": {k: str(p) for k, p in paths.items()},
                }
                measured[scale]["peak_rss_mb"] = {
                    name: _collect(child, request) for name, child in children.items()
                }
    results["scales"] = measured
    results["targets"] = _targets(measured)
    peaks = measured.get("columnar", {}).get("peak_rss_mb", {}).get("antq")
    if peaks is not None:
        peak = max(v for k, v in peaks.items() if k.endswith("_mb"))
        results["targets"].append(
            {
                "what": "columnar peak RSS MB: antq polars",
                "ratio": peak,
                "max": PEAK_RSS_MAX_MB,
                "met": peak < PEAK_RSS_MAX_MB,
            }
        )
    results["machine"]["load_average_after"] = os.getloadavg()
    return results


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    load = ", ".join(f"{x:.2f}" for x in m["load_average"])
    load_after = ", ".join(f"{x:.2f}" for x in m["load_average_after"])
    lines = [
        f"Python {m['python']}, antq_core {m['antq_core']}, polars {m['polars']}, "
        f"duckdb {m['duckdb']}, numpy {m['numpy']}; {m['cpu_count']} CPUs, {m['platform']}",
        f"load average before {load}; after {load_after}",
        f"median of {r['repeat']} runs after one warm-up, seed {r['seed']}"
        + (
            "" if m["engine_available"] else "; antq_core.aggregate not available: references only"
        ),
    ]
    for scale, s in r["scales"].items():
        u = s["units"]
        lines += [
            "",
            f"== {scale} scale: {s['n']:,} rows a workload; {s['provinces']} provinces, "
            f"{u['districts']:,} districts, {u['communes']:,} communes, "
            f"{u['villages']:,} villages "
            f"(generated in {s['generate_s']:.1f} s)",
        ]
        for rollup, res in s["rollups"].items():
            medians = res["median_s"]
            base = medians.get("dict loop", medians["polars"])
            base_name = "dict loop" if "dict loop" in medians else "polars"
            lines.append(
                f"-- {rollup}: {res['rows']:,} rows -> {res['groups']:,} groups; "
                f"ratio to {base_name}"
            )
            width = max(len(name) for name in medians)
            for name, median in medians.items():
                runs = ", ".join(f"{x:.3f}" for x in res["runs_s"][name])
                lines.append(
                    f"   {name.ljust(width)}  {median:8.3f} s  x{median / base:5.2f}   ({runs})"
                )
            for name, phases in res.get("phases_s", {}).items():
                if phases:
                    split = ", ".join(f"{k} {v:.3f}" for k, v in phases.items())
                    lines.append(f"   {name}, one more run by phase (s): {split}")
        for name, peaks in s.get("peak_rss_mb", {}).items():
            figures = ", ".join(
                f"{k.removesuffix('_mb')} {v:.0f}" for k, v in peaks.items() if k.endswith("_mb")
            )
            lines.append(f"-- peak RSS MB, {name} in a fresh interpreter: {figures}")
    lines += ["", "targets:"]
    if not r["targets"]:
        lines.append("   none measurable without antq_core.aggregate")
    for t in r["targets"]:
        verdict = "met" if t["met"] else "NOT MET"
        lines.append(f"   {t['what']}: {t['ratio']:.2f} (max {t['max']}): {verdict}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="rows a workload at both scales")
    parser.add_argument(
        "--n-python", type=int, default=1_000_000, help="rows, python scale (1,000,000)"
    )
    parser.add_argument(
        "--n-columnar", type=int, default=10_000_000, help="rows, columnar scale (10,000,000)"
    )
    parser.add_argument(
        "--provinces", type=int, default=0, help="provinces (default: one per 2.5M rows)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after a warm-up (3)")
    parser.add_argument("--seed", type=int, default=2017, help="generator seed (2017)")
    parser.add_argument("--only", choices=("python", "columnar"), help="run one scale only")
    parser.add_argument(
        "--rollups",
        default="sum,stock,distinct",
        help=(
            f"comma-separated roll-ups to run, of {','.join(ROLLUPS)} (sum,stock,distinct:"
            " leaf and hierarchy take minutes at these sizes; run them with --n 200000)"
        ),
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak RSS children")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--memory-child", choices=("polars", "antq"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child)
        return
    results = run(args)
    print(json.dumps(results, indent=1) if args.json else report(results))


if __name__ == "__main__":
    main()
