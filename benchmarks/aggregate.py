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
  group-by (issue 15: ``aggregate_rollup`` over four levels at most 1.3x one
  leaf group-by on the same engine).

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

and, for the hierarchy against one group-by at the leaf (the polars engine; the
Python engine takes a minute a call at a million rows)::

    python benchmarks/aggregate.py --only columnar --n 1000000 --engines polars \
        --rollups leaf,hierarchy --no-memory

The targets are reported, never asserted: a slow machine does not fail.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
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

# The DuckDB references need the [bench] extra; without it they are left out of the run.
HAS_DUCKDB = importlib.util.find_spec("duckdb") is not None

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
    # Issue 15: "a tight bare loop over the store's columns" (the store loop); the dict
    # loop over Python lists is a stricter floor, reported beside it.
    ("python", "sum"): ("antq python", ("store loop", "dict loop"), 1.5),
    ("python", "stock"): ("antq python", ("store loop", "dict loop"), 2.0),
    ("columnar", "sum"): ("antq polars", ("polars", "duckdb"), 2.0),
    ("columnar", "stock"): ("antq polars", ("polars",), 2.0),
    ("columnar", "distinct"): ("antq polars", ("polars",), 2.0),
}
SCALING_MAX = 1.5  # issue 15: antq polars / the faster of polars and DuckDB, every grouping
HIERARCHY_MAX = 1.3  # issue 15: hierarchy / one group-by at the leaf, for each antq engine
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


Grouping = tuple[str, str]  # (admin level, "year" or "month")
DEFAULT_BY: Grouping = ("district", "year")
PERIODS = ("year", "month")


def _level(rollup: str, by: Grouping) -> str:
    """The admin level a single-table roll-up groups by (``leaf``: the village)."""
    return "village" if rollup == "leaf" else by[0]


def period_index(period: str) -> np.ndarray:
    """For each of the 60 months: its index among the periods of ``period`` (year or month)."""
    months = np.arange(N_MONTHS, dtype=np.int64)
    return months // 12 if period == "year" else months


def period_value(period: str, index: int) -> int:
    """What a grouped period is called in the normalised results: the year, or the month index."""
    return FIRST_YEAR + index if period == "year" else index


def has_engine() -> bool:
    return hasattr(antq_core, "aggregate")


def antq_requests(rollup: str, by: Grouping) -> list[tuple[list[str], list[str]]]:
    """The (metrics, by) of each ``aggregate`` call a roll-up makes."""
    if rollup == "hierarchy":
        return [(list(FLOW_METRICS), [level, by[1]]) for level in LEVELS]
    metrics = {"stock": STOCK_METRICS, "distinct": (DISTINCT_METRIC,)}.get(rollup, FLOW_METRICS)
    return [(list(metrics), [_level(rollup, by), by[1]])]


def antq_rollup(ds: Dataset, rollup: str, engine: str, by: Grouping = DEFAULT_BY) -> Any:
    """One roll-up by an antq engine; returns its table (a list of them for the hierarchy).

    The hierarchy is one ``aggregate_rollup`` call (one scan, rolled up) when
    antq_core has it, else one ``aggregate`` call per level.
    """
    rollup_fn: Callable[..., Any] | None = getattr(antq_core, "aggregate_rollup", None)
    if rollup == "hierarchy" and rollup_fn is not None:
        tables = rollup_fn(ds, list(FLOW_METRICS), by=["village", by[1]], engine=engine)
        return [tables[level] for level in LEVELS]
    aggregate: Callable[..., Any] = antq_core.aggregate  # type: ignore[attr-defined]
    tables = [
        aggregate(ds, metrics=metrics, by=names, engine=engine)
        for metrics, names in antq_requests(rollup, by)
    ]
    return tables if rollup == "hierarchy" else tables[0]


def antq_phases(
    ds: Dataset, rollup: str, engine: str, by: Grouping = DEFAULT_BY
) -> dict[str, float] | None:
    """Seconds spent planning, scanning (the engine) and finishing, through private modules.

    ``aggregate`` is plan -> scan -> finish (``antq_core._aggregate.engine``);
    only the scan differs between engines. ``None`` if those modules changed.
    """
    try:
        from antq_core._aggregate.engine import ENGINES
        from antq_core._aggregate.plan import make_plan
    except ImportError:
        return None
    try:  # the finishing step aggregate() runs: columnar where it can be, since issue 15
        from antq_core._aggregate.columnar import finish
    except ImportError:
        from antq_core._aggregate.finish import finish
    phases = {"plan": 0.0, "scan": 0.0, "finish": 0.0}
    gc.collect()
    if rollup == "hierarchy" and hasattr(antq_core, "aggregate_rollup"):
        return _rollup_phases(ds, engine, by)
    try:
        for metrics, names in antq_requests(rollup, by):
            t0 = time.perf_counter()
            plan = make_plan(ds, metrics, names, periods=None, within=None, initiatives=None)
            t1 = time.perf_counter()
            scan = ENGINES[engine].scan(plan)
            t2 = time.perf_counter()
            finish(plan, scan, engine)
            t3 = time.perf_counter()
            phases["plan"] += t1 - t0
            phases["scan"] += t2 - t1
            phases["finish"] += t3 - t2
    except (TypeError, AttributeError):  # the private modules changed shape
        return None
    return phases


def _rollup_phases(ds: Dataset, engine: str, by: Grouping) -> dict[str, float] | None:
    """:func:`antq_phases` of ``aggregate_rollup``: plans of every level, one scan, finishes."""
    try:
        from antq_core._aggregate.engine import ENGINES
        from antq_core._aggregate.rollup import fewer_pairs, rolled_up_levels

        try:
            from antq_core._aggregate.columnar import finish
        except ImportError:
            from antq_core._aggregate.finish import finish
        from antq_core._aggregate.plan import level_groups, make_plan, scan_plan
    except ImportError:
        return None
    t0 = time.perf_counter()
    plans = {
        level: make_plan(
            ds,
            list(FLOW_METRICS),
            [level, by[1]],
            periods=None,
            within=None,
            initiatives=None,
            columnar=engine == "polars",
        )
        for level in LEVELS
    }
    scanning, first = scan_plan(ds, plans["village"])
    t1 = time.perf_counter()
    scan = fewer_pairs(ENGINES[engine].scan(scanning), scanning, first)
    t2 = time.perf_counter()
    # LEVELS is deepest first, as rolled_up_levels wants them.
    scans = rolled_up_levels(scan, [level_groups(plans[level], first) for level in LEVELS])
    for plan, rolled in zip(plans.values(), scans, strict=True):
        finish(plan, rolled, engine)
    t3 = time.perf_counter()
    return {"plan": t1 - t0, "scan": t2 - t1, "finish": t3 - t2}


def antq_result(
    result: Any, rollup: str, by: Grouping = DEFAULT_BY
) -> dict[tuple[Any, ...], tuple[Any, int]]:
    """An antq table as {(level, unit code, period, metric): (value, observations)}.

    The period is the year, or the month's index from January 2013 (as the references).
    """
    tables = result if rollup == "hierarchy" else [result]
    levels = LEVELS if rollup == "hierarchy" else (_level(rollup, by),)
    period = by[1]
    out: dict[tuple[Any, ...], tuple[Any, int]] = {}
    for level, table in zip(levels, tables, strict=True):
        for row in table:
            start = row.keys[period].start
            p = (
                start.year
                if period == "year"
                else (start.year - FIRST_YEAR) * 12 + start.month - 1
            )
            value = None if row.quantity is None else row.quantity.value
            out[(level, row.keys[level], p, row.metric)] = (value, row.observations)
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
    period_of_month: list[int]

    @classmethod
    def of(cls, rows: Rows, geo: Geography, period: str = "year") -> PlainRows:
        return cls(
            metric=rows.metric.tolist(),
            village=rows.village.tolist(),
            month=rows.month.tolist(),
            value=rows.value.tolist(),
            participant=None if rows.participant is None else rows.participant.tolist(),
            village_to={level: geo.village_to(level).tolist() for level in LEVELS},
            period_of_month=[period_value(period, int(i)) for i in period_index(period)],
        )


def loop_sum(r: PlainRows, level: str = "district") -> dict[tuple[int, int, int], list[int]]:
    """Flows by ``level`` x period: the bare loop, value and count per key."""
    unit, period = r.village_to[level], r.period_of_month
    acc: dict[tuple[int, int, int], list[int]] = {}
    for m, v, p, x in zip(r.metric, r.village, r.month, r.value, strict=True):
        key = (unit[v], period[p], m)
        entry = acc.get(key)
        if entry is None:
            acc[key] = [x, 1]
        else:
            entry[0] += x
            entry[1] += 1
    return acc


def loop_stock(r: PlainRows, level: str = "district") -> dict[tuple[int, int, int], list[int]]:
    """Stocks: last month per (village, period, metric), then summed by ``level`` x period."""
    unit, period = r.village_to[level], r.period_of_month
    last: dict[tuple[int, int, int], tuple[int, int]] = {}
    for m, v, p, x in zip(r.metric, r.village, r.month, r.value, strict=True):
        key = (v, period[p], m)
        seen = last.get(key)
        if seen is None or p > seen[0]:
            last[key] = (p, x)
    acc: dict[tuple[int, int, int], list[int]] = {}
    for (v, y, m), (_, x) in last.items():
        key = (unit[v], y, m)
        entry = acc.get(key)
        if entry is None:
            acc[key] = [x, 1]
        else:
            entry[0] += x
            entry[1] += 1
    return acc


def loop_distinct(r: PlainRows, level: str = "district") -> dict[tuple[int, int], int]:
    """Distinct participants by ``level`` x period."""
    assert r.participant is not None
    unit, period = r.village_to[level], r.period_of_month
    people: dict[tuple[int, int], set[int]] = {}
    for v, p, person in zip(r.village, r.month, r.participant, strict=True):
        key = (unit[v], period[p])
        seen = people.get(key)
        if seen is None:
            people[key] = {person}
        else:
            seen.add(person)
    return {key: len(s) for key, s in people.items()}


def loop_hierarchy(
    r: PlainRows, level: str = "village"
) -> dict[str, dict[tuple[int, int, int], list[int]]]:
    """Flows by period at every level: the leaf once, then each level from the one below."""
    leaf = loop_leaf(r)
    out = {"village": leaf}
    below = leaf
    fans = (VILLAGES_PER_COMMUNE, COMMUNES_PER_DISTRICT, DISTRICTS_PER_PROVINCE)
    for upper, fan in zip(LEVELS[1:], fans, strict=True):
        acc: dict[tuple[int, int, int], list[int]] = {}
        for (u, y, m), (x, c) in below.items():
            key = (u // fan, y, m)
            entry = acc.get(key)
            if entry is None:
                acc[key] = [x, c]
            else:
                entry[0] += x
                entry[1] += c
        out[upper] = below = acc
    return out


def loop_leaf(r: PlainRows, level: str = "village") -> dict[tuple[int, int, int], list[int]]:
    """Flows by village x period (the leaf of the hierarchy)."""
    return loop_sum(r, "village")


# ---------------------------------------------------------------- the store loop
#
# Issue 15 words the pure-Python target against "a tight bare loop over the store's
# columns": the loops above, reading ``ObservationStore.columns()`` (``array`` buffers,
# where every element read makes an int) instead of Python lists of ints that already
# exist. The store's subject, period and metric codes are the generator's village, month
# and metric indices (``build_store`` interns the tables in full, in order).


@dataclass
class StoreRows:
    """The store's columns, and the same lookups as :class:`PlainRows`, by store code."""

    metric: Any
    subject: Any
    period: Any
    value: Any
    village_to: dict[str, list[int]]
    period_of_month: list[int]

    @classmethod
    def of(cls, ds: Dataset, geo: Geography, period: str = "year") -> StoreRows:
        cols = ds.observations.columns()
        return cls(
            metric=cols.metric,
            subject=cols.subject,
            period=cols.period,
            value=cols.value,
            village_to={level: geo.village_to(level).tolist() for level in LEVELS},
            period_of_month=[period_value(period, int(i)) for i in period_index(period)],
        )


def store_loop_sum(r: StoreRows, level: str = "district") -> dict[tuple[int, int, int], list[int]]:
    """:func:`loop_sum` over the store's columns."""
    unit, period = r.village_to[level], r.period_of_month
    acc: dict[tuple[int, int, int], list[int]] = {}
    for m, v, p, x in zip(r.metric, r.subject, r.period, r.value, strict=True):
        key = (unit[v], period[p], m)
        entry = acc.get(key)
        if entry is None:
            acc[key] = [x, 1]
        else:
            entry[0] += x
            entry[1] += 1
    return acc


def store_loop_stock(
    r: StoreRows, level: str = "district"
) -> dict[tuple[int, int, int], list[int]]:
    """:func:`loop_stock` over the store's columns."""
    unit, period = r.village_to[level], r.period_of_month
    last: dict[tuple[int, int, int], tuple[int, int]] = {}
    for m, v, p, x in zip(r.metric, r.subject, r.period, r.value, strict=True):
        key = (v, period[p], m)
        seen = last.get(key)
        if seen is None or p > seen[0]:
            last[key] = (p, x)
    acc: dict[tuple[int, int, int], list[int]] = {}
    for (v, y, m), (_, x) in last.items():
        key = (unit[v], y, m)
        entry = acc.get(key)
        if entry is None:
            acc[key] = [x, 1]
        else:
            entry[0] += x
            entry[1] += 1
    return acc


# Round 4, tried to beat the two store loops (1M rows, one province, median of 5 interleaved,
# load 0.2-1.0, old / variant, s): sums district x year 0.259 / `get` bound to a local 0.259,
# defaultdict 0.241, try/except 0.237, `in` 0.304, `.tolist()` first 0.314, a packed int key
# from pre-multiplied parent lists with (value << 40 | count) 0.292, two dicts 0.308; at
# village x year 1.47 against 1.47-2.33 for all of them (try 1.81, defaultdict 2.07).
# Stocks district x year 1.21 / packed key with two dicts 1.15, over `.tolist()` 1.36; at the
# village 2.18 / 2.59. The loops stay as they are: within 5-8% of the best variant at
# district x year and ahead of every variant at the leaf.
STORE_LOOPS: dict[str, Callable[..., Any]] = {"sum": store_loop_sum, "stock": store_loop_stock}


LOOPS: dict[str, Callable[..., Any]] = {
    "sum": loop_sum,
    "leaf": loop_leaf,
    "stock": loop_stock,
    "distinct": loop_distinct,
    "hierarchy": loop_hierarchy,
}


# ---------------------------------------------------------------- hand-written polars
#
# The references are the fastest queries found for each job (issue 15 asks that they be
# what an expert would write, and reviewed by someone trying to beat them). They get the
# same rows as antq (integer codes: metric, village, month, value, participant) and the
# dimension tables (village -> commune -> district -> province; month -> period), and do
# the mapping from village and month to the grouped unit and period inside the timed
# region, as antq does. What was tried, on 2,000,000 rows (2 shared CPUs, load ~2;
# medians of 3; `/tmp`-style experiments recorded in docs/performance.md):
#
# * sums: joins with the dimension tables then `group_by(level, period, metric)` (the old
#   reference: 0.031 s district x year, 0.089 s commune x month); `gather` of the
#   dimension as a literal Series instead of the join (0.014 / 0.083 s); one packed Int64
#   key `(unit * periods + period) * 64 + metric` grouped, then unpacked (0.014 / 0.061 s:
#   kept); a pre-joined frame carrying the parents' columns already (0.012 / 0.085 s: not
#   the same work, since the join is done outside the timing, and no faster at large
#   outputs).
# * stocks (last value in the period per village, then the sum): `value.get(month.arg_max())`
#   per group then a join (the old reference: 0.42 s district x year); the same with
#   packed keys (0.28 s); `sort(month).unique(keep="first")` (0.21 s);
#   `value.sort_by(month).last()` (0.12 s); a packed max of `month * 2**32 + value`
#   (0.12 s, and needs values in [0, 2**32)); a window filter
#   `filter(month == month.max().over(packed key))` then one group-by (0.09 s: kept). The
#   synthetic rows never tie on the last month (one value per village, metric and month);
#   the filter would keep both of a tie, which antq reports as a conflict instead.
# * distinct counts: joins then `n_unique` (0.091 s district x year); a packed key with
#   `n_unique` (0.062 s: kept); `unique()` of packed (key, person) then a count (0.063 s;
#   slower at village x month).
#
# `group_by` never maintains order (the default); results are compared as sets of groups.
#
# Round 4 (10,000,000 rows, old -> new, median of 3 interleaved, load 1.5-4.8, all five
# groupings; table in docs/performance.md, "References, round 4"): the packed key is a
# UInt32 where it fits (`_narrow`), Int64 otherwise: sums 0.27 -> 0.23 s province x year,
# 1.95 -> 1.41 s village x month; stocks 1.09 -> 0.79 s province x year, 7.05 -> 5.72 s
# commune x month. The hierarchy rolls each level up from the collected leaf *lazily*
# (the eager `leaf.group_by(expr)` was the cost: 4.30 -> 1.87 s by month). Tried and
# dropped (2M rows): three key columns instead of the packed one (1.1-1.8x slower), eager
# (3-4x), one gather from a (village, month) lookup (1.1-1.7x), joins (1.3-2.8x),
# `collect(engine="streaming")` (no better with the UInt32 key); for stocks a packed max,
# `sort_by().last()`, a max-then-join (all slower than the window filter); for distinct
# counts `unique()` of packed (key, person) (faster at commune x month only, slower at
# village x month) and a UInt32 key (no gain): `n_unique` kept.

PACK_METRIC = 64  # metric codes are below 64: the packed key's lowest field


def polars_frames(rows: Rows, geo: Geography, period: str = "year") -> dict[str, Any]:
    """The rows, the dimension tables, and the lookups the references gather from."""
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
    index = period_index(period)
    return {
        "facts": pl.DataFrame(facts),
        "villages": villages,
        "months": months,
        # Lookups: village -> unit index at each level, month -> period index (Int64).
        "unit_of": {level: pl.Series(level, geo.village_to(level), pl.Int64) for level in LEVELS},
        "period_of": pl.Series("period", index, pl.Int64),
        # The same lookups as UInt32, for keys that fit in 32 bits (see _narrow).
        "unit_of32": {
            level: pl.Series(level, geo.village_to(level), pl.UInt32) for level in LEVELS
        },
        "period_of32": pl.Series("period", index, pl.UInt32),
        "units": {level: getattr(geo, f"{level}s") for level in LEVELS},
        "periods": int(index.max()) + 1,
        "period": period,
    }


def _narrow(f: dict[str, Any], level: str) -> bool:
    """Whether a packed (unit of ``level``, period, metric) key fits in a UInt32.

    A UInt32 key hashes and groups 10-25% faster than an Int64 one (round 4, above);
    the references fall back to Int64 where it does not fit (over 67 million cells).
    """
    cells: int = f["units"][level] * f["periods"] * PACK_METRIC
    return cells <= 2**32


def _unit(f: dict[str, Any], level: str, village: Any, *, narrow: bool = False) -> Any:
    """The index of the unit of ``level`` containing ``village`` (UInt32 if ``narrow``, else
    Int64)."""
    import polars as pl

    if level == "village":
        return village.cast(pl.UInt32 if narrow else pl.Int64)
    return pl.lit(f["unit_of32" if narrow else "unit_of"][level]).gather(village)


def _packed(f: dict[str, Any], level: str, *, metric: bool = True) -> Any:
    """One key of (unit of ``level``, period[, metric]) for each fact row: UInt32 where it
    fits (:func:`_narrow`), else Int64."""
    import polars as pl

    narrow = _narrow(f, level)
    period = pl.lit(f["period_of32" if narrow else "period_of"]).gather(pl.col("month"))
    key = _unit(f, level, pl.col("village"), narrow=narrow) * f["periods"] + period
    if not metric:
        return key
    return key * PACK_METRIC + pl.col("metric").cast(pl.UInt32 if narrow else pl.Int64)


def _lift(f: dict[str, Any], level: str, key: Any) -> Any:
    """A packed village key moved up to the unit of ``level`` that contains the village."""
    span = f["periods"] * PACK_METRIC
    narrow = _narrow(f, "village")  # then every level above fits too
    return _unit(f, level, key // span, narrow=narrow) * span + key % span


def _unpack(f: dict[str, Any], level: str, frame: Any, *, metric: bool = True) -> Any:
    """The packed ``k`` column back to (level, period[, metric]) columns."""
    import polars as pl

    k = pl.col("k") // PACK_METRIC if metric else pl.col("k")
    period = k % f["periods"] + (FIRST_YEAR if f["period"] == "year" else 0)
    columns = [(k // f["periods"]).alias(level), period.alias(f["period"])]
    if metric:
        columns.append((pl.col("k") % PACK_METRIC).alias("metric"))
    return frame.select(*columns, pl.all().exclude("k"))


def polars_sum(f: dict[str, Any], level: str = "district") -> Any:
    import polars as pl

    grouped = (
        f["facts"]
        .lazy()
        .group_by(_packed(f, level).alias("k"))
        .agg(pl.col("value").sum(), pl.len().alias("count"))
    )
    return _unpack(f, level, grouped).collect()


def polars_stock(f: dict[str, Any], level: str = "district") -> Any:
    import polars as pl

    rows = f["facts"].lazy().with_columns(_packed(f, "village").alias("k"))
    if f["period"] == "month":
        # Each (metric, village, month) is one row (generate() draws distinct cells, as
        # real monthly reports are): the last value of a village in a month is its one
        # value, and an expert skips the window (as antq does, having checked the store).
        last = rows
    else:
        last = rows.filter(pl.col("month") == pl.col("month").max().over("k"))
    grouped = last.group_by(_lift(f, level, pl.col("k")).alias("k")).agg(
        pl.col("value").sum(), pl.len().alias("count")
    )
    return _unpack(f, level, grouped).collect()


def polars_distinct(f: dict[str, Any], level: str = "district") -> Any:
    import polars as pl

    grouped = (
        f["facts"]
        .lazy()
        .group_by(_packed(f, level, metric=False).alias("k"))
        .agg(pl.col("participant").n_unique().alias("value"))
    )
    return _unpack(f, level, grouped, metric=False).collect()


def polars_hierarchy(f: dict[str, Any], level: str = "village") -> dict[str, Any]:
    """The leaf (village x period) grouped once, every level above from it."""
    import polars as pl

    leaf = (
        f["facts"]
        .lazy()
        .group_by(_packed(f, "village").alias("k"))
        .agg(pl.col("value").sum(), pl.len().alias("count"))
        .collect()
    )
    out = {"village": _unpack(f, "village", leaf)}
    for upper in LEVELS[1:]:
        # Lazy over the collected leaf: the eager group-by by an expression took 1.4-1.9x.
        grouped = (
            leaf.lazy()
            .group_by(_lift(f, upper, pl.col("k")).alias("k"))
            .agg(pl.col("value").sum(), pl.col("count").sum())
        )
        out[upper] = _unpack(f, upper, grouped).collect()
    return out


def polars_leaf(f: dict[str, Any], level: str = "village") -> Any:
    return polars_sum(f, "village")


POLARS: dict[str, Callable[..., Any]] = {
    "sum": polars_sum,
    "leaf": polars_leaf,
    "stock": polars_stock,
    "distinct": polars_distinct,
    "hierarchy": polars_hierarchy,
}


# ---------------------------------------------------------------- DuckDB SQL
#
# Native DuckDB tables (copied in once, outside the timing), not the Arrow buffers of the
# polars frames registered as views: scanning a registered Arrow table costs a conversion
# per query (0.030 against 0.012 s for the sum at district x year, 0.127 against 0.111 s at
# commune x month, 2M rows). Tried as above, on 2M rows:
#
# * sums: joins with `GROUP BY unit, period, metric` (0.012 / 0.111 s); one packed BIGINT
#   key (0.013 / 0.101 s: kept, the faster at large outputs); a pre-joined table (0.008 /
#   0.094 s: the join done outside the timing, so not the same work).
# * stocks: `arg_max(value, month)` per (village, period, metric), then a join and a sum
#   (0.148 s district x year on native tables, 0.210 s on Arrow); the same on a packed key
#   (0.143 s); a packed `max(month << 32 | value)` (0.087 s: kept; it needs values in
#   [0, 2**32), which `duckdb_connection` checks, falling back to `arg_max` otherwise).
# * distinct counts: `count(DISTINCT participant)` (0.100 s district x year, 0.187 s commune
#   x month, 0.215 s village x month); `SELECT DISTINCT unit, period, participant` then
#   `count(*)` (0.114 / 0.097 / 0.248 s). The first is kept at a year's grouping and the
#   coarse levels, the second at finer ones (where it wins), chosen in `_duckdb_sql`.

# Round 4: distinct counts by `count(DISTINCT participant)` on one packed (unit, period) key,
# UINTEGER where it fits, at every grouping (10M rows: 0.93-2.80 s against 0.97-2.99 s for
# the old choice of two queries). A UINTEGER stock key with the sum over units on a second
# packed key was faster at 1M rows but slower at 3 of 5 groupings at 10M: not kept.

PACKABLE = 2**32  # the packed-max stock query needs 0 <= value < 2**32


@dataclass
class DuckDB:
    """A connection holding one workload, and what its queries need to know about it."""

    con: Any
    packable: bool  # every value in [0, 2**32): the packed-max stock query applies
    periods: int
    period: str
    units: dict[str, int]  # units at each level, for the width of the packed keys

    def key_type(self, level: str) -> str:
        """UINTEGER where a packed (unit of ``level``, period, metric) key fits, else BIGINT."""
        cells = self.units[level] * self.periods * PACK_METRIC
        return "UINTEGER" if cells <= PACKABLE else "BIGINT"

    def sql(self, query: str) -> Any:
        return self.con.sql(query)


def duckdb_connection(frames: dict[str, Any]) -> DuckDB:
    """An in-memory DuckDB holding the facts and the dimension tables as native tables."""
    import duckdb

    con = duckdb.connect()
    for name in ("facts", "villages", "months"):
        con.register(f"{name}_arrow", frames[name].to_arrow())
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")  # noqa: S608 - our names
        con.unregister(f"{name}_arrow")
    periods = frames["months"].select("month").with_columns(frames["period_of"].alias("p"))
    con.register("periods_arrow", periods.to_arrow())
    con.execute("CREATE TABLE periods AS SELECT * FROM periods_arrow")
    con.unregister("periods_arrow")
    low, high = con.sql("SELECT min(value), max(value) FROM facts").fetchall()[0]  # type: ignore[misc]
    packable = low is not None and low >= 0 and high < PACKABLE
    return DuckDB(con, packable, frames["periods"], frames["period"], frames["units"])


def _duckdb_sql(con: DuckDB, rollup: str, level: str) -> str:
    """The SQL of one roll-up; output columns as the polars references'."""
    n, pm = con.periods, PACK_METRIC
    offset = FIRST_YEAR if con.period == "year" else 0
    unit = "f.village" if level == "village" else f"v.{level}"
    villages = "" if level == "village" else "JOIN villages v USING (village)"
    p_out = f"k // {pm} % {n} + {offset} AS {con.period}"
    if rollup in ("sum", "leaf"):
        return f"""
            SELECT k // {pm} // {n} AS {level}, {p_out}, k % {pm} AS metric, value, count
            FROM (
                SELECT ({unit}::BIGINT * {n} + p.p) * {pm} + f.metric AS k,
                       sum(f.value) AS value, count(*) AS count
                FROM facts f {villages} JOIN periods p USING (month)
                GROUP BY k
            )
        """  # noqa: S608 - our own names
    if rollup == "stock" and con.period == "month":
        # One row per (metric, village, month) (see polars_stock): a stock is then the sum.
        return _duckdb_sql(con, "sum", level)
    if rollup == "stock":
        lift = f"l.k // {n * pm}"
        unit_of_k = lift if level == "village" else f"v.{level}"
        join = "" if level == "village" else f"JOIN villages v ON v.village = {lift}"
        if con.packable:
            pick = "max((f.month::BIGINT << 32) | f.value) AS mv"
            value = f"sum(mv & {PACKABLE - 1})"
        else:
            pick = "arg_max(f.value, f.month) AS mv"
            value = "sum(mv)"
        return f"""
            WITH last AS (
                SELECT (f.village::BIGINT * {n} + p.p) * {pm} + f.metric AS k, {pick}
                FROM facts f JOIN periods p USING (month)
                GROUP BY k
            )
            SELECT {unit_of_k} AS {level}, l.k // {pm} % {n} + {offset} AS {con.period},
                   l.k % {pm} AS metric, {value} AS value, count(*) AS count
            FROM last l {join}
            GROUP BY ALL
        """  # noqa: S608
    if rollup == "distinct":
        t = con.key_type(level)
        return f"""
            SELECT k // {n} AS {level}, k % {n} + {offset} AS {con.period}, value
            FROM (
                SELECT {unit}::{t} * {n} + p.p::{t} AS k,
                       count(DISTINCT f.participant) AS value
                FROM facts f {villages} JOIN periods p USING (month)
                GROUP BY k
            )
        """  # noqa: S608
    # hierarchy: the leaf once, then grouping sets over its parents.
    return f"""
        WITH leaf AS (
            SELECT f.village, p.p, f.metric, sum(f.value) AS value, count(*) AS count
            FROM facts f JOIN periods p USING (month)
            GROUP BY ALL
        )
        SELECT v.village, v.commune, v.district, v.province, l.p + {offset} AS {con.period},
               l.metric, sum(l.value) AS value, sum(l.count) AS count,
               grouping(v.village, v.commune, v.district, v.province) AS level
        FROM leaf l JOIN villages v USING (village)
        GROUP BY GROUPING SETS (
            (v.village, l.p, l.metric), (v.commune, l.p, l.metric),
            (v.district, l.p, l.metric), (v.province, l.p, l.metric)
        )
    """  # noqa: S608


def duckdb_rollup(con: DuckDB, rollup: str, level: str = "district") -> Any:
    return con.sql(_duckdb_sql(con, rollup, level)).arrow()


# ---------------------------------------------------------------- checks


def _as_key_dict(frame: Any, keys: Iterable[str], values: Iterable[str]) -> dict[Any, Any]:
    keys, values = list(keys), list(values)
    cols = [frame[c].to_list() for c in (*keys, *values)]
    k, v = cols[: len(keys)], cols[len(keys) :]
    vs = list(zip(*v, strict=True)) if len(v) > 1 else v[0]
    return dict(zip(zip(*k, strict=True), vs, strict=True))


def normalise_loop(rollup: str, result: Any, by: Grouping = DEFAULT_BY) -> dict[Any, Any]:
    """{(level, unit index, period, metric index): (value, count)} from the dict loop."""
    if rollup == "distinct":
        return {(by[0], d, y, None): (n, None) for (d, y), n in result.items()}
    levels = result if rollup == "hierarchy" else {_level(rollup, by): result}
    return {
        (level, u, y, m): (x, c)
        for level, acc in levels.items()
        for (u, y, m), (x, c) in acc.items()
    }


def normalise_polars(rollup: str, result: Any, by: Grouping = DEFAULT_BY) -> dict[Any, Any]:
    period = by[1]
    if rollup == "distinct":
        d = _as_key_dict(result, (by[0], period), ("value",))
        return {(by[0], u, y, None): (n, None) for (u, y), n in d.items()}
    levels = result if rollup == "hierarchy" else {_level(rollup, by): result}
    out: dict[Any, Any] = {}
    for level, frame in levels.items():
        d = _as_key_dict(frame, (level, period, "metric"), ("value", "count"))
        out.update({(level, u, y, m): vc for (u, y, m), vc in d.items()})
    return out


def normalise_duckdb(rollup: str, result: Any, by: Grouping = DEFAULT_BY) -> dict[Any, Any]:
    import polars as pl

    frame = pl.from_arrow(result)
    if rollup != "hierarchy":
        return normalise_polars(rollup, frame, by)
    # grouping(village, commune, district, province): the bit of each column left out.
    bits = {"village": 0b0111, "commune": 0b1011, "district": 0b1101, "province": 0b1110}
    levels = {level: frame.filter(pl.col("level") == bit) for level, bit in bits.items()}
    return normalise_polars(rollup, levels, by)


def normalise_antq(
    rollup: str, result: Any, geo: Geography, by: Grouping = DEFAULT_BY
) -> dict[Any, Any]:
    """The antq table in the references' shape (unit and metric by index)."""
    index = {level: {c: i for i, c in enumerate(geo.codes(level))} for level in LEVELS}
    metric_index = {m: i for i, m in enumerate(METRIC_IDS)}
    out: dict[Any, Any] = {}
    for (level, code, p, metric), (value, count) in antq_result(result, rollup, by).items():
        if rollup == "distinct":
            out[(level, index[level][code], p, None)] = (value, None)
        else:
            out[(level, index[level][code], p, metric_index[metric])] = (value, count)
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


class Contenders:
    """The data of one scale in every contender's form, built once and shared by the roll-ups."""

    def __init__(
        self,
        scale: str,
        rows_by_kind: dict[str, Rows],
        geo: Geography,
        gazetteer: Gazetteer,
        engines: tuple[str, ...],
    ) -> None:
        self.scale, self.rows_by_kind, self.geo, self.gazetteer = (
            scale,
            rows_by_kind,
            geo,
            gazetteer,
        )
        self.engines = engines if has_engine() else ()
        self._cache: dict[tuple[str, ...], Any] = {}

    def _get(self, key: tuple[str, ...], make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def release(self, kind: str) -> None:
        """Forget what was built for one workload (``flow``, ``stock``, ``participant``)."""
        self._cache = {k: v for k, v in self._cache.items() if k[1] != kind}
        gc.collect()

    def get(
        self, rollup: str, by: Grouping, *, phases: dict[str, Callable[[], Any]]
    ) -> dict[str, Callable[[], Any]]:
        """Name -> callable doing ``rollup`` by ``by``; antq phase timers go in ``phases``."""
        kind, period = WORKLOAD[rollup], by[1]
        rows, geo = self.rows_by_kind[kind], self.geo
        level = _level(rollup, by)
        contenders: dict[str, Callable[[], Any]] = {}
        if self.scale == "python":
            plain = self._get(("plain", kind, period), lambda: PlainRows.of(rows, geo, period))
            loop = LOOPS[rollup]
            contenders["dict loop"] = lambda: loop(plain, level)
            if rollup in STORE_LOOPS and self.engines:
                ds = self._get(("dataset", kind), lambda: build_dataset(rows, geo, self.gazetteer))
                store = self._get(("store", kind, period), lambda: StoreRows.of(ds, geo, period))
                store_loop = STORE_LOOPS[rollup]
                contenders["store loop"] = lambda: store_loop(store, level)
        frames = self._get(("frames", kind, period), lambda: polars_frames(rows, geo, period))
        polars_fn = POLARS[rollup]
        contenders["polars"] = lambda: polars_fn(frames, level)
        if HAS_DUCKDB:
            con = self._get(("duckdb", kind, period), lambda: duckdb_connection(frames))
            contenders["duckdb"] = lambda: duckdb_rollup(con, rollup, level)
        if self.engines:
            ds = self._get(("dataset", kind), lambda: build_dataset(rows, geo, self.gazetteer))
            for engine in self.engines:
                contenders[f"antq {engine}"] = lambda e=engine: antq_rollup(ds, rollup, e, by)
                phases[f"antq {engine}"] = lambda e=engine: antq_phases(ds, rollup, e, by)
                if rollup == "hierarchy":
                    # One leaf group-by, interleaved with the hierarchy in every round: the
                    # issue-15 ratio is taken within one round, so drift hits both alike.
                    contenders[f"antq {engine} leaf"] = lambda e=engine: antq_rollup(
                        ds, "leaf", e, by
                    )
        return contenders


def _check(
    rollup: str,
    name: str,
    result: Any,
    expected: dict[Any, Any],
    geo: Geography,
    *,
    by: Grouping = DEFAULT_BY,
) -> None:
    if name.endswith(" leaf"):
        # The leaf group-by timed beside the hierarchy: its village level.
        got = normalise_antq("leaf", result, geo, by)
        expected = {k: v for k, v in expected.items() if k[0] == "village"}
    elif name in ("dict loop", "store loop"):
        got = normalise_loop(rollup, result, by)
    elif name == "polars":
        got = normalise_polars(rollup, result, by)
    elif name == "duckdb":
        got = normalise_duckdb(rollup, result, by)
    else:
        got = normalise_antq(rollup, result, geo, by)
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


def _key(rollup: str, by: Grouping) -> str:
    """The results' name of a roll-up at a grouping (``sum``, ``sum by commune x month``)."""
    if rollup in ("leaf", "hierarchy"):
        return rollup if by[1] == "year" else f"{rollup} by {by[1]}"
    return rollup if by == DEFAULT_BY else f"{rollup} by {by[0]} x {by[1]}"


def measure_scale(
    scale: str,
    *,
    n: int,
    provinces: int,
    repeat: int,
    seed: int,
    rollups: tuple[str, ...],
    groupings: tuple[Grouping, ...],
    engines: tuple[str, ...],
    memory_paths: dict[str, Path],
) -> dict[str, Any]:
    """Every roll-up at one scale: warm-up and check, then interleaved timed rounds."""
    geo = Geography(provinces)
    started = time.perf_counter()
    gazetteer = geo.gazetteer()
    kinds = sorted({WORKLOAD[r] for r in rollups})
    rows_by_kind = {kind: generate(kind, n, geo, seed) for kind in kinds}
    generated = time.perf_counter() - started
    for kind, rows in rows_by_kind.items():
        if kind in memory_paths:
            rows.save(memory_paths[kind])
    data = Contenders(scale, rows_by_kind, geo, gazetteer, engines)
    results: dict[str, Any] = {}
    for kind in kinds:
        for rollup in (r for r in rollups if WORKLOAD[r] == kind):
            for by in dict.fromkeys(
                (by[0] if rollup not in ("leaf", "hierarchy") else "village", by[1])
                for by in groupings
            ):
                key = _key(rollup, by)
                phase_timers: dict[str, Callable[[], Any]] = {}
                contenders = data.get(rollup, by, phases=phase_timers)
                # Warm-up, and every contender checked against hand-written polars.
                expected = normalise_polars(rollup, contenders["polars"](), by)
                for name, fn in contenders.items():
                    _check(rollup, name, fn(), expected, geo, by=by)
                runs: dict[str, list[float]] = {name: [] for name in contenders}
                loads: list[float] = []
                for _ in range(repeat):
                    loads.append(os.getloadavg()[0])
                    for name, fn in contenders.items():
                        runs[name].append(_timed(fn))
                results[key] = {
                    "rollup": rollup,
                    "by": list(by),
                    "rows": len(rows_by_kind[kind]),
                    "groups": len(expected),
                    "runs_s": runs,
                    "median_s": {name: statistics.median(r) for name, r in runs.items()},
                    "phases_s": {name: timer() for name, timer in phase_timers.items()},
                    "load_1min": loads,
                }
                del contenders
                gc.collect()
        data.release(kind)
    return {
        "n": n,
        "provinces": provinces,
        "units": {f"{level}s": getattr(geo, f"{level}s") for level in LEVELS},
        "generate_s": generated,
        "rollups": results,
    }


def _peak_mb() -> float:
    """This process's peak resident set (``VmHWM``), which, unlike ``ru_maxrss``, is not
    inherited from the parent that spawned it; ``ru_maxrss`` where there is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _max_rss_mb()


def _memory_child(what: str, request: dict[str, Any]) -> None:
    """Build one contender's data from the row file, run one roll-up twice; print peaks (MB).

    ``what`` is ``polars``, ``duckdb`` or ``antq`` (its polars engine). The peak after
    the data is built, and after the roll-up, are the whole process's (interpreter and
    data included); the roll-up's own cost is the difference.
    """
    geo = Geography(request["provinces"])
    rollup, by = request["rollup"], tuple(request["by"])
    level = _level(rollup, by)  # type: ignore[arg-type]
    rows = Rows.load(Path(request["path"]))
    peaks: dict[str, float] = {"start_mb": _peak_mb()}
    run: Callable[[], Any]
    if what == "antq":
        ds = build_dataset(rows, geo, geo.gazetteer())
        run = lambda: antq_rollup(ds, rollup, "polars", by)  # type: ignore[arg-type]  # noqa: E731
    else:
        frames = polars_frames(rows, geo, by[1])
        if what == "duckdb":
            con = duckdb_connection(frames)
            del frames
            run = lambda: duckdb_rollup(con, rollup, level)  # noqa: E731
        else:
            run = lambda: POLARS[rollup](frames, level)  # noqa: E731
    del rows
    gc.collect()
    peaks["data_mb"] = _peak_mb()
    for _ in range(2):  # the first antq call on a dataset also indexes it
        result = run()
        del result
        gc.collect()
    peaks["peak_mb"] = _peak_mb()
    print(json.dumps(peaks))


def _memory(what: str, request: dict[str, Any]) -> dict[str, float]:
    child = subprocess.run(  # noqa: S603 - this very script, with our own interpreter
        [sys.executable, __file__, "--memory-child", what, json.dumps(request)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode:
        msg = f"the memory measurement failed (exit status {child.returncode}): {child.stderr}"
        raise RuntimeError(msg)
    result: dict[str, float] = json.loads(child.stdout)
    return result


def _auto_provinces(n: int) -> int:
    return max(1, -(-n // ROWS_PER_PROVINCE))


def machine() -> dict[str, Any]:
    import polars as pl

    try:
        import duckdb
    except ImportError:  # without the [bench] extra the DuckDB references are skipped
        duckdb_version = None
    else:
        duckdb_version = duckdb.__version__
    return {
        "python": platform.python_version(),
        "antq_core": antq_core.__version__,
        "polars": pl.__version__,
        "duckdb": duckdb_version,
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
        for ref in (r for r in refs if r in medians):
            ratio = medians[ours] / medians[ref]
            verdicts.append(
                {
                    "what": f"{scale} {rollup}: {ours} / {ref}",
                    "ratio": ratio,
                    "max": limit,
                    "met": ratio <= limit,
                }
            )
    # Issue 15: at every grouping, the polars engine within 1.5x the faster reference.
    for scale, r in scales.items():
        for key, res in r["rollups"].items():
            medians = res["median_s"]
            if res["rollup"] not in ("sum", "stock", "distinct") or "antq polars" not in medians:
                continue
            best = min(medians[r] for r in ("polars", "duckdb") if r in medians)
            ratio = medians["antq polars"] / best
            verdicts.append(
                {
                    "what": f"{scale} {key}: antq polars / best reference (issue 15)",
                    "ratio": ratio,
                    "max": SCALING_MAX,
                    "met": ratio <= SCALING_MAX,
                }
            )
    for scale, r in scales.items():
        medians = r["rollups"]
        for key, res in medians.items():
            if res["rollup"] != "hierarchy":
                continue
            verdicts += _hierarchy_verdicts(
                scale, key, res, medians.get(key.replace("hierarchy", "leaf"))
            )
    return verdicts


def _hierarchy_verdicts(
    scale: str, key: str, res: dict[str, Any], leaf_res: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Hierarchy / leaf per antq engine: the leaf timed in the same rounds, else its own run."""
    verdicts: list[dict[str, Any]] = []
    within = res["median_s"]
    for engine in ("antq python", "antq polars"):
        if engine not in within or (scale == "python" and engine == "antq polars"):
            continue
        leaf = within.get(f"{engine} leaf")
        if leaf is None and leaf_res is not None:
            leaf = leaf_res["median_s"].get(engine)
        if leaf is None:
            continue
        ratio = within[engine] / leaf
        verdicts.append(
            {
                "what": f"{scale} {key} / leaf: {engine}",
                "ratio": ratio,
                "max": HIERARCHY_MAX,
                "met": ratio <= HIERARCHY_MAX,
            }
        )
    return verdicts


def _groupings(text: str) -> tuple[Grouping, ...]:
    """``district:year,commune:month`` -> (("district", "year"), ("commune", "month"))."""
    out = []
    for item in text.split(","):
        level, _, period = item.strip().partition(":")
        if level not in LEVELS or period not in PERIODS:
            msg = f"--by {item!r}: want LEVEL:PERIOD, LEVEL of {LEVELS}, PERIOD of {PERIODS}"
            raise SystemExit(msg)
        out.append((level, period))
    return tuple(out)


def run(args: argparse.Namespace) -> dict[str, Any]:
    scales = {
        "python": args.n_python if args.n is None else args.n,
        "columnar": args.n_columnar if args.n is None else args.n,
    }
    if args.only:
        scales = {args.only: scales[args.only]}
    rollups = tuple(r for r in ROLLUPS if r in args.rollups.split(","))
    groupings = _groupings(args.by)
    results: dict[str, Any] = {"machine": machine(), "seed": args.seed, "repeat": args.repeat}
    measured: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {kind: Path(tmp) / f"{kind}.npz" for kind in ("flow", "stock", "participant")}
        for scale, n in scales.items():
            provinces = args.provinces or _auto_provinces(n)
            memory = scale == "columnar" and not args.no_memory
            default = ("python", "polars") if scale == "python" else ("polars",)
            engines = tuple(args.engines.split(",")) if args.engines else default
            measured[scale] = s = measure_scale(
                scale,
                n=n,
                provinces=provinces,
                repeat=args.repeat,
                seed=args.seed,
                rollups=rollups,
                groupings=groupings,
                engines=engines,
                memory_paths=paths if memory else {},
            )
            if memory:
                refs = ("polars", "duckdb") if HAS_DUCKDB else ("polars",)
                whats = (*refs, "antq") if has_engine() else refs
                s["peak_rss_mb"] = {
                    key: {
                        what: _memory(
                            what,
                            {
                                "provinces": provinces,
                                "rollup": res["rollup"],
                                "by": res["by"],
                                "path": str(paths[WORKLOAD[res["rollup"]]]),
                            },
                        )
                        for what in whats
                    }
                    for key, res in s["rollups"].items()
                }
    results["scales"] = measured
    results["targets"] = _targets(measured)
    for key, peaks in measured.get("columnar", {}).get("peak_rss_mb", {}).items():
        if "antq" not in peaks:
            continue
        best = min(peaks[r]["peak_mb"] for r in ("polars", "duckdb") if r in peaks)
        results["targets"].append(
            {
                "what": f"columnar {key}: peak RSS, antq polars / best reference (issue 15)",
                "ratio": peaks["antq"]["peak_mb"] / best,
                "max": 2.0,
                "met": peaks["antq"]["peak_mb"] <= 2.0 * best,
            }
        )
        results["targets"].append(
            {
                "what": f"columnar {key}: peak RSS MB, antq polars (issue 3)",
                "ratio": peaks["antq"]["peak_mb"],
                "max": PEAK_RSS_MAX_MB,
                "met": peaks["antq"]["peak_mb"] < PEAK_RSS_MAX_MB,
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
            base_name = next(n for n in ("store loop", "dict loop", "polars") if n in medians)
            base = medians[base_name]
            best = min(medians[r] for r in ("polars", "duckdb") if r in medians)
            load_1min = ", ".join(f"{x:.2f}" for x in res.get("load_1min", ()))
            lines.append(
                f"-- {rollup}: {res['rows']:,} rows -> {res['groups']:,} groups; "
                f"ratio to {base_name}, and to the faster reference; load {load_1min}"
            )
            width = max(len(name) for name in medians)
            for name, median in medians.items():
                runs = ", ".join(f"{x:.3f}" for x in res["runs_s"][name])
                lines.append(
                    f"   {name.ljust(width)}  {median:8.3f} s  x{median / base:5.2f}"
                    f"  x{median / best:6.2f}   ({runs})"
                )
            for name, phases in res.get("phases_s", {}).items():
                if phases:
                    split = ", ".join(f"{k} {v:.3f}" for k, v in phases.items())
                    lines.append(f"   {name}, one more run by phase (s): {split}")
        for key, by_what in s.get("peak_rss_mb", {}).items():
            figures = "; ".join(
                f"{what} {p['data_mb']:.0f} -> {p['peak_mb']:.0f}" for what, p in by_what.items()
            )
            lines.append(f"-- peak RSS MB (data built -> after the roll-up), {key}: {figures}")
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
            " leaf and hierarchy: see the usage above)"
        ),
    )
    parser.add_argument(
        "--by",
        default="district:year",
        help=(
            "comma-separated LEVEL:PERIOD groupings for sum, stock and distinct (district:year);"
            " leaf and hierarchy use the village and each grouping's period"
        ),
    )
    parser.add_argument(
        "--engines", help="antq engines to time (default: python,polars; polars at columnar)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak RSS children")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        what, request = args.memory_child
        _memory_child(what, json.loads(request))
        return
    results = run(args)
    print(json.dumps(results, indent=1) if args.json else report(results))


if __name__ == "__main__":
    main()
