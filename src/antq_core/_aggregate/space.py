"""Over space, a figure is never added to the figures of its own parts.

The same metric, breakdown and overlapping period reported for a unit (or a
site or initiative anchored there) and for units under it, or for an
initiative and its own sites, land in one group when the group contains
both: summing them counts the same events twice (a province's 5,000 and its
districts' 800 are not 5,800). :func:`settle_space` finds such figures in a
plan, before any engine scans it, and either refuses
(:class:`~antq_core.errors.SpaceOverlapError`) or, with
``space_overlap="prefer_reported"``, leaves the enclosed figures out: they
are listed as excluded (``covered_by_reported``) and the row says it used a
reported figure (:attr:`SpaceSource.REPORTED`).

A subject *encloses* another when, for the same metric and in the same group:

- it is a unit, and the other is anchored under it, or is a site,
  initiative, organization or participant anchored at it;
- it is a site or an initiative anchored at a unit, and the other is a unit
  under that one;
- it is an initiative, and the other is one of its sites.

Two sites (or a site and an organization) are never each other's parts: they
are different places or bodies, and their figures add up.

Figures overlap when their periods share a day; for metrics that take one
value per series in a group's period (``last``, ``first``), when they fall in
the same group's period at all, since both values would be picked and added.

The work is bulk: first over the distinct (metric, subject) pairs of the
store (a metrics × subjects matrix set by one numpy scatter over the code
columns, or a set of pairs for small stores, kept for the dataset's life), walking each
subject's few ancestors in the gazetteer; only when enclosing pairs exist are
the rows of those subjects looked at, grouped by (bucket, slice).
"""

from __future__ import annotations

import enum
from array import array
from collections import defaultdict
from itertools import compress
from typing import Any, Final

import attrs

from antq_core._aggregate.plan import Plan
from antq_core._aggregate.semantics import ScanKind
from antq_core._aggregate.table import ExclusionReason
from antq_core._dataset.dataset import Dataset
from antq_core._entities import AggregationType
from antq_core._util.extras import numpy_available, require
from antq_core._values.refs import SubjectKind
from antq_core.errors import AntqError, SpaceOverlapError

__all__ = ["SpaceOverlap", "enclosed_figures", "enclosing_pairs", "maybe_enclosed", "settle_space"]

_A = AggregationType
_NOT_ADDED: Final = frozenset({_A.MIN, _A.MAX, _A.DISTINCT})
"""Space operations that never add figures (a distinct count counts people once)."""
_COVERED: Final = (
    "a figure of a unit under (or a site of) a unit or initiative that reported the same"
    " figure itself, for an overlapping period: the enclosing figure is used"
)


class SpaceOverlap(enum.StrEnum):
    """What :func:`~antq_core.aggregate` does with a figure and the figures of its parts."""

    ERROR = "error"
    """Raise :class:`~antq_core.errors.SpaceOverlapError` listing them (the default)."""
    PREFER_REPORTED = "prefer_reported"
    """Use the enclosing figure; leave the enclosed ones out, listed as excluded."""


def _metric_subjects(plan: Plan) -> set[tuple[int, int]]:
    """The distinct (metric, subject) codes of the rows: kept for the dataset's life.

    A caller that knows them already (the Parquet path, from its own rows)
    puts them in ``plan.memo["metric_subjects"]``; else they come from the
    bulk table of :func:`_presence` when there is one, else from the rows.
    """
    memo = plan.memo.get("metric_subjects")
    if isinstance(memo, tuple) and memo[0] is plan.store:
        found: set[tuple[int, int]] = memo[1]
        return found
    present = _presence(plan)
    if present is not None:
        metrics, subjects = present.nonzero()
        found = set(zip(metrics.tolist(), subjects.tolist(), strict=True))
    else:
        cols = plan.columns
        found = set(zip(cols.metric, cols.subject, strict=True))
    plan.memo["metric_subjects"] = (plan.store, found)
    return found


_BULK_ROWS: Final = 50_000
"""Rows from which the distinct (metric, subject) pairs are found in numpy, not in a set."""
_BULK_CELLS_PER_ROW: Final = 64
"""The bulk table holds at most this many (metric, subject) cells a row (or 2**16 in all)."""


def _presence(plan: Plan) -> Any | None:
    """Which subjects have rows of which metric: a numpy ``bool`` matrix, metrics × subjects.

    One scatter over the store's two code columns (no hashing, no Python
    per row), made once and kept for the dataset's life. ``None`` (the set
    of pairs is used) when numpy is missing, the store is small, a caller
    gave the pairs itself (the Parquet path), or the matrix would be large
    against the rows.
    """
    given = plan.memo.get("metric_subjects")
    if isinstance(given, tuple) and given[0] is plan.store:
        return None  # the caller's own pairs are the answer
    memo = plan.memo.get("metric_subject_matrix")
    if isinstance(memo, tuple) and memo[0] is plan.store:
        return memo[1]
    cols = plan.columns
    n, n_metrics, n_subjects = len(cols), len(cols.metrics), len(cols.subjects)
    cells = n_metrics * n_subjects
    if n < _BULK_ROWS or cells > max(_BULK_CELLS_PER_ROW * n, 2**16) or not numpy_available():
        return None
    np = require("numpy", "dataframe")
    metric = np.frombuffer(cols.metric, dtype=np.uint32)
    subject = np.frombuffer(cols.subject, dtype=np.uint32)
    seen = np.zeros(cells, dtype=bool)
    seen[metric.astype(np.int64) * n_subjects + subject] = True
    matrix = seen.reshape(n_metrics, n_subjects)
    plan.memo["metric_subject_matrix"] = (plan.store, matrix)
    return matrix


_ENCLOSING: Final = frozenset({SubjectKind.UNIT, SubjectKind.SITE, SubjectKind.INITIATIVE})


def _subjects_of(plan: Plan, eligible: set[int]) -> set[int]:
    """The distinct subject codes with rows of the metrics ``eligible``."""
    present = _presence(plan)
    if present is not None:
        rows = sorted(m for m in eligible if 0 <= m < present.shape[0])
        if not rows:
            return set()
        found: list[int] = present[rows].any(axis=0).nonzero()[0].tolist()
        return set(found)
    memo = plan.memo.get("subjects_by_metric")
    if isinstance(memo, tuple) and memo[0] is plan.store:
        by_metric: dict[int, set[int]] = memo[1]
    else:
        by_metric = defaultdict(set)
        for m, s in _metric_subjects(plan):
            by_metric[m].add(s)
        plan.memo["subjects_by_metric"] = (plan.store, by_metric)
    return set().union(*(by_metric.get(m, ()) for m in eligible))


def maybe_enclosed(ds: Dataset, plan: Plan, subjects: set[int]) -> set[int]:
    """Subjects that may be enclosed by another, whatever the metric: a superset, cheaply.

    Per distinct subject, not per (metric, subject): a subject may be enclosed
    only if a unit, site or initiative with figures sits above its anchor (at
    it, for a subject that is not a unit), or, for a site, its initiative has
    figures. Empty: no figure of ``subjects`` encloses another, whatever the
    metric or period (the Parquet path asks it before reading any pairs).
    """
    return _maybe_enclosed(ds, plan, subjects, placed_only=True)


def _maybe_enclosed(ds: Dataset, plan: Plan, subjects: set[int], *, placed_only: bool) -> set[int]:
    """:func:`maybe_enclosed`; not ``placed_only``: of every subject, placed or not.

    Not ``placed_only``, the answer is the same at every level of a roll-up
    (it does not read the groups) and contains the ``placed_only`` one.
    """
    cols = plan.columns
    group, anchors, resolution, refs = (
        plan.subject_group,
        plan.anchors,
        plan.resolution,
        cols.subjects,
    )
    placed = [
        s
        for s in subjects
        if (group[s] >= 0 or not placed_only) and anchors[resolution[s]] is not None
    ]
    at: set[str] = set()
    reporting: set[str] = set()
    for s in placed:
        ref = refs[s]
        if ref.kind in _ENCLOSING:
            at.add(anchors[resolution[s]])  # type: ignore[arg-type]
            if ref.kind is SubjectKind.INITIATIVE:
                reporting.add(ref.id)
    if not at:
        return set()
    gaz = ds.gazetteer
    maybe: set[int] = set()
    for s in placed:
        ref = refs[s]
        try:
            line = gaz.lineage(anchors[resolution[s]])  # type: ignore[arg-type]
        except AntqError:
            continue
        if not at.isdisjoint(line[1:] if ref.kind is SubjectKind.UNIT else line):
            maybe.add(s)
        elif ref.kind is SubjectKind.SITE and reporting:
            site = ds.sites.get(ref.id)
            if site is not None and site.initiative in reporting:
                maybe.add(s)
    return maybe


def _maybe_anywhere(ds: Dataset, plan: Plan, eligible: set[int]) -> bool:
    """Whether a figure of ``eligible`` may enclose another, placed or not; kept with the dataset.

    The answer reads no groups, so it is the same at every level of a roll-up
    (and for a repeated question): asked once. Only when it is yes are a
    plan's own places looked at (:func:`maybe_enclosed`).
    """
    metrics = frozenset(eligible)
    known = plan.memo.get("maybe_enclosed")
    if isinstance(known, tuple) and known[0] is plan.store and known[1] == metrics:
        return bool(known[2])
    anywhere = _maybe_enclosed(ds, plan, _subjects_of(plan, eligible), placed_only=False)
    plan.memo["maybe_enclosed"] = (plan.store, metrics, bool(anywhere))
    return bool(anywhere)


def _pairs(ds: Dataset, plan: Plan, eligible: set[int]) -> list[tuple[int, int, int]]:
    """(metric, enclosing subject, enclosed subject) codes that share a group of ``plan``.

    Only units, sites and initiatives enclose. The subjects that may be
    enclosed are found per distinct subject first (:func:`maybe_enclosed`);
    only their (metric, subject) pairs, and those of the subjects that may
    enclose them, are looked at one by one.
    """
    if not _maybe_anywhere(ds, plan, eligible):
        return []
    maybe = maybe_enclosed(ds, plan, _subjects_of(plan, eligible))
    if not maybe:
        return []
    cols = plan.columns
    group, anchors, resolution = plan.subject_group, plan.anchors, plan.resolution
    subjects = cols.subjects
    pairs_ms = [(m, s) for m, s in _metric_subjects(plan) if m in eligible and group[s] >= 0]
    units: dict[tuple[int, str], int] = {}
    anchored: dict[tuple[int, str], list[int]] = defaultdict(list)
    initiatives: dict[tuple[int, str], int] = {}
    for m, s in pairs_ms:
        ref = subjects[s]
        if ref.kind not in _ENCLOSING:
            continue
        anchor = anchors[resolution[s]]
        if anchor is None:
            continue
        if ref.kind is SubjectKind.UNIT:
            units[m, ref.id] = s
            continue
        anchored[m, anchor].append(s)
        if ref.kind is SubjectKind.INITIATIVE:
            initiatives[m, ref.id] = s
    gaz = ds.gazetteer
    pairs: list[tuple[int, int, int]] = []
    for m, s in pairs_ms:
        if s not in maybe:
            continue
        anchor = anchors[resolution[s]]
        ref = subjects[s]
        above = gaz.lineage(anchor)[1:]  # type: ignore[arg-type]
        found = [units[m, u] for u in above if (m, u) in units]
        if ref.kind is SubjectKind.UNIT:
            found += [c for u in above for c in anchored.get((m, u), ())]
        else:
            at = units.get((m, anchor))  # type: ignore[arg-type]
            if at is not None:
                found.append(at)
            if ref.kind is SubjectKind.SITE:
                site = ds.sites.get(ref.id)
                own = None if site is None else initiatives.get((m, site.initiative))
                if own is not None:
                    found.append(own)
        g = group[s]
        pairs += [(m, c, s) for c in found if group[c] == g]
    return pairs


def enclosing_pairs(ds: Dataset, plan: Plan) -> list[tuple[int, int, int]]:
    """(metric, enclosing subject, enclosed subject) codes that share a group of ``plan``.

    From the distinct (metric, subject) pairs only, never the rows: empty
    means no figure can enclose another, whatever the periods.
    """
    eligible = {p.code for p in plan.metrics.values() if p.code >= 0 and p.space not in _NOT_ADDED}
    return _pairs(ds, plan, eligible) if eligible else []


def enclosed_figures(ds: Dataset, plan: Plan) -> dict[int, dict[int, set[int]]]:
    """Per metric code, per row of an enclosing figure: the rows it encloses.

    Only rows the plan would add up (placed, in a bucket and a slice) count.
    """
    eligible = {p.code for p in plan.metrics.values() if p.code >= 0 and p.space not in _NOT_ADDED}
    if not eligible:
        return {}
    pairs = _pairs(ds, plan, eligible)
    if not pairs:
        return {}
    cols = plan.columns
    flag = [False] * len(cols.subjects)
    for _, c, s in pairs:
        flag[c] = flag[s] = True
    metrics = {m for m, _, _ in pairs}
    picked = {p.code for p in plan.metrics.values() if p.scan in (ScanKind.LAST, ScanKind.FIRST)}
    bucket, slice_of, disaggregation = plan.period_bucket, plan.slice_of, plan.disaggregation
    metric, subject, period = cols.metric, cols.subject, cols.period
    rows_of: dict[tuple[int, int], dict[tuple[int, int], list[int]]] = {}
    for i in compress(range(len(cols)), map(flag.__getitem__, subject)):
        m = metric[i]
        if m not in metrics:
            continue
        b, sl = bucket[period[i]], slice_of[disaggregation[i]]
        if b < 0 or sl < 0:
            continue
        rows_of.setdefault((m, subject[i]), {}).setdefault((b, sl), []).append(i)
    periods = cols.periods
    found: dict[int, dict[int, set[int]]] = {}
    for m, c, s in pairs:
        outer, inner = rows_of.get((m, c)), rows_of.get((m, s))
        if not outer or not inner:
            continue
        for key, enclosing in outer.items():
            enclosed = inner.get(key)
            if not enclosed:
                continue
            for a in enclosing:
                if m in picked:
                    hit = enclosed
                else:
                    span = periods[period[a]]
                    hit = [r for r in enclosed if span.overlaps(periods[period[r]])]
                if hit:
                    found.setdefault(m, {}).setdefault(a, set()).update(hit)
    return found


def settle_space(ds: Dataset, plan: Plan, policy: SpaceOverlap) -> Plan:
    """``plan`` if no figure encloses another; else refuse, or leave the enclosed out.

    Raises:
        SpaceOverlapError: ``policy`` is ``error`` and a figure and the figures
            of its parts would be added in one group.
    """
    found = enclosed_figures(ds, plan)
    if not found:
        return plan
    cols = plan.columns
    if policy is SpaceOverlap.ERROR:
        order = {p.code: n for n, p in enumerate(plan.metrics.values())}
        m = min(found, key=order.__getitem__)
        groups = [(a, *sorted(rows)) for a, rows in sorted(found[m].items())]
        subjects = [[str(cols.subjects[cols.subject[i]]) for i in g] for g in groups]
        raise SpaceOverlapError(cols.metrics[m], groups, subjects)
    enclosing = {a for rows in found.values() for a in rows}
    # Every enclosed figure is left out, also one that encloses others itself:
    # the outermost figures stay.
    covered = {r for rows in found.values() for rs in rows.values() for r in rs}
    patched = array("I", plan.disaggregation)
    code = -len(plan.reasons) - 2
    synthetic = len(plan.slice_of)
    for i in covered:
        patched[i] = synthetic
    group, bucket, slice_of = plan.subject_group, plan.period_bucket, plan.slice_of
    cells = frozenset(
        (
            cols.metric[a],
            group[cols.subject[a]],
            bucket[cols.period[a]],
            slice_of[plan.disaggregation[a]],
        )
        for a in enclosing - covered
    )
    return attrs.evolve(
        plan,
        disaggregation=patched,
        slice_of=[*slice_of, code],
        reasons=[*plan.reasons, _COVERED],
        reason_kinds=[*plan.reason_kinds, ExclusionReason.COVERED_BY_REPORTED],
        covered=plan.covered | cells,
    )
