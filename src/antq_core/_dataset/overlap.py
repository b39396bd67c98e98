"""Observations that must not be added together: duplicates and overlapping periods.

One place for both aggregation (which refuses to sum them) and validation
(which reports them). Both work on the store's columns with C-level idioms
and only group the few rows that may be at fault into series (metric,
subject, disaggregation), so the cost per observation does not grow with the
dataset and stays close to one pass over the columns:

- duplicates: a ``Counter`` of one integer key per row (metric, subject,
  period, disaggregation; see :mod:`antq_core._dataset.keys`) proves there is none,
  or names the repeated keys, and only their rows are gathered;
- overlaps: two rows can only overlap if their metric's *distinct* periods
  do (a year and one of its months), and distinct (metric, period) pairs
  are few; and only if their series mixes period tilings (months with a
  year). Such a series has a row outside the commonest tiling, so the
  rows of the others are looked at, and the commonest tiling's rows only
  by a set lookup in C. Only rows that pass both tests are grouped by
  series and chained.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Sequence
from itertools import compress, repeat
from operator import gt, itemgetter
from typing import Final

from antq_core._dataset.keys import column_keys, low_shift, rows_with
from antq_core._dataset.store import ObservationStore
from antq_core._values.period import Period, PeriodKind

__all__ = [
    "KEY",
    "SERIES",
    "chains",
    "duplicate_and_overlapping_rows",
    "duplicate_rows",
    "grouped",
    "overlapping_rows",
    "risky_periods",
    "series_of",
    "tiling_codes",
]

_Key = tuple[int, int, int]
KEY: Final = ("metric", "subject", "period", "disaggregation")
"""The columns that name one figure: two rows with the same codes in them are duplicates."""
SERIES: Final = ("metric", "subject", "disaggregation")
"""The columns of a series: the same figure over time."""


def _wanted(store: ObservationStore, metrics: Container[str] | None) -> set[int] | None:
    """Codes of the metrics named in ``metrics`` (``None``: every metric)."""
    if metrics is None:
        return None
    return {i for i, m in enumerate(store.columns().metrics) if m in metrics}


def series_of(store: ObservationStore, rows: Iterable[int]) -> dict[_Key, list[int]]:
    """``rows`` by (metric, subject, disaggregation) code, for series of two rows or more."""
    cols = store.columns()
    metric, subject, disaggregation = cols.metric, cols.subject, cols.disaggregation
    series: dict[_Key, list[int]] = defaultdict(list)
    for i in rows:
        series[metric[i], subject[i], disaggregation[i]].append(i)
    return {key: rows for key, rows in series.items() if len(rows) > 1}


def duplicate_rows(
    store: ObservationStore, metrics: Container[str] | None = None
) -> list[tuple[int, ...]]:
    """Groups of rows with the same metric, subject, period and disaggregation.

    Each group lists row indexes in store order; groups come in order of
    their first row. ``metrics`` limits the search to those metric ids.
    """
    return _duplicates(store, _wanted(store, metrics))


def _duplicates(store: ObservationStore, wanted: set[int] | None) -> list[tuple[int, ...]]:
    cols = store.columns()
    metric = cols.metric
    keys = column_keys(cols, *KEY)
    rows: Sequence[int] = range(len(metric))
    if wanted is not None:
        chosen = list(map(wanted.__contains__, metric))
        keys, rows = list(compress(keys, chosen)), list(compress(rows, chosen))
    counts = Counter(keys)  # counted in C, on one integer per row
    if len(counts) == len(keys):
        return []  # every key once: no duplicate
    repeated = set(compress(counts, map(gt, counts.values(), repeat(1))))
    return grouped(compress(zip(rows, keys, strict=True), map(repeated.__contains__, keys)))


def grouped(rows: Iterable[tuple[int, int]]) -> list[tuple[int, ...]]:
    """``(row, key)`` pairs, in store order, as groups of the rows of each key, sorted."""
    by_key: dict[int, list[int]] = defaultdict(list)
    for i, key in rows:
        by_key[key].append(i)
    return sorted(tuple(group) for group in by_key.values())


def overlapping_rows(
    store: ObservationStore, metrics: Container[str] | None = None
) -> list[tuple[int, ...]]:
    """Groups of rows of one series whose *different* periods overlap.

    A series is the rows of one metric, subject and disaggregation. Within
    it, periods are chained by overlap (a year and one of its quarters; two
    "since the start" ranges); each chain that holds two or more distinct
    periods is a group, listing every row of those periods in store order.
    Rows with the very same period are duplicates, not overlaps (see
    :func:`duplicate_rows`); they appear here only inside a chain with
    another period. Groups come in order of their first row.
    """
    return _overlaps(store, _wanted(store, metrics))


def _risky_pairs(store: ObservationStore, wanted: set[int] | None) -> set[int]:
    """(metric, period) pair codes whose period overlaps another distinct period of the metric."""
    cols = store.columns()
    shift = low_shift(len(cols.periods))
    mask = (1 << shift) - 1
    pairs = set(column_keys(cols, "metric", "period"))
    risky = risky_periods(cols.periods, ((key >> shift, key & mask) for key in pairs), wanted)
    return {m << shift | p for m, p in risky}


def risky_periods(
    periods: Sequence[Period], pairs: Iterable[tuple[int, int]], wanted: set[int] | None
) -> set[tuple[int, int]]:
    """The distinct (metric, period) code ``pairs`` whose period overlaps another of the metric.

    ``wanted``: only pairs of these metric codes (``None``: every metric).
    """
    by_metric: dict[int, list[int]] = defaultdict(list)
    for m, code in pairs:
        if wanted is None or m in wanted:
            by_metric[m].append(code)
    risky: set[tuple[int, int]] = set()
    for m, codes in by_metric.items():
        if len(codes) < 2:  # noqa: PLR2004
            continue
        codes.sort(key=lambda c: (periods[c].start, periods[c].end))
        chain: list[int] = []
        end = None
        for c in codes:  # chains of overlapping periods, as in _overlaps
            p = periods[c]
            if end is not None and p.start <= end:
                chain.append(c)
                end = max(end, p.end)
                continue
            if len(chain) > 1:
                risky.update(zip(repeat(m), chain))
            chain, end = [c], p.end
        if len(chain) > 1:
            risky.update(zip(repeat(m), chain))
    return risky


def tiling_codes(periods: Sequence[Period]) -> list[int]:
    """A code per period: equal for periods of one calendar tiling, unique for a free range.

    Distinct periods of one tiling (months; quarters; crop seasons from one
    start month...) never overlap, so a series whose periods all share one
    code has no overlap, whatever the other series hold.
    """
    codes: dict[object, int] = {}
    found = []
    for i, p in enumerate(periods):
        key: object = (
            ("range", i) if p.kind is PeriodKind.RANGE else (p.kind, p.season_start_month)
        )
        found.append(codes.setdefault(key, len(codes)))
    return found


def _overlaps(store: ObservationStore, wanted: set[int] | None) -> list[tuple[int, ...]]:
    cols = store.columns()
    risky = _risky_pairs(store, wanted)
    if not risky:
        return []  # no two distinct periods of one metric overlap: no row can
    metric, period = cols.metric, cols.period
    # Only series mixing tilings (a month and a year, two ranges) can overlap, and such a
    # series has a row outside the commonest tiling: the rest of the rows (in real
    # reports, months, nearly all of them) are passed over in C.
    tilings = tiling_codes(cols.periods)
    per_tiling: Counter[int] = Counter()
    for code, count in Counter(period).items():
        per_tiling[tilings[code]] += count
    ((common, _),) = per_tiling.most_common(1)
    elsewhere = {code for code, t in enumerate(tilings) if t != common}
    everything = range(len(metric))
    series = column_keys(cols, *SERIES)
    others = rows_with(period, elsewhere, len(cols.periods))
    with_others = set(map(series.__getitem__, others))
    candidates = list(compress(everything, map(with_others.__contains__, series)))
    their_series = list(map(series.__getitem__, candidates))
    their_tilings = map(tilings.__getitem__, map(period.__getitem__, candidates))
    per_series = Counter(map(itemgetter(0), set(zip(their_series, their_tilings, strict=True))))
    mixed = set(compress(per_series, map(gt, per_series.values(), repeat(1))))
    if not mixed:
        return []  # each series keeps to one tiling
    pairs = column_keys(cols, "metric", "period")
    in_mixed = compress(candidates, map(mixed.__contains__, their_series))
    rows = [i for i in in_mixed if pairs[i] in risky]
    return chains(store, series_of(store, rows))


def chains(store: ObservationStore, series: dict[_Key, list[int]]) -> list[tuple[int, ...]]:
    """The groups of rows whose distinct periods overlap, within each of ``series``' row lists."""
    cols = store.columns()
    periods = cols.periods
    groups: list[tuple[int, ...]] = []
    for rows in series.values():
        ordered = sorted(rows, key=lambda i: (periods[cols.period[i]].start, i))
        chain: list[int] = []
        distinct: set[int] = set()
        end = None
        for i in ordered:
            p = periods[cols.period[i]]
            if end is not None and p.start <= end:
                chain.append(i)
                distinct.add(cols.period[i])
                end = max(end, p.end)
                continue
            _close(chain, distinct, groups)
            chain, distinct, end = [i], {cols.period[i]}, p.end
        _close(chain, distinct, groups)
    groups.sort()
    return groups


def duplicate_and_overlapping_rows(
    store: ObservationStore, overlap_metrics: Container[str] | None = None
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Duplicates of every metric and overlaps of ``overlap_metrics``.

    The same as :func:`duplicate_rows` and :func:`overlapping_rows`.
    """
    return _duplicates(store, None), _overlaps(store, _wanted(store, overlap_metrics))


def _close(chain: Sequence[int], distinct: set[int], groups: list[tuple[int, ...]]) -> None:
    if len(distinct) > 1:
        groups.append(tuple(sorted(chain)))
