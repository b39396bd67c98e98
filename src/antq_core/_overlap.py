"""Observations that must not be added together: duplicates and overlapping periods.

One place for both aggregation (which refuses to sum them) and validation
(which reports them). Both work on the store's columns and visit each row
once, keyed by (metric, subject, disaggregation): the cost per observation
does not grow with the dataset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Sequence

from antq_core._store import ObservationStore

__all__ = ["duplicate_and_overlapping_rows", "duplicate_rows", "overlapping_rows"]

_Key = tuple[int, int, int]


def _series(store: ObservationStore, metrics: Container[str] | None) -> dict[_Key, list[int]]:
    """Row indexes by (metric, subject, disaggregation) code, for series of two rows or more."""
    cols = store.columns()
    wanted = None
    if metrics is not None:
        wanted = {i for i, m in enumerate(cols.metrics) if m in metrics}
    series: dict[_Key, list[int]] = defaultdict(list)
    for i, key in enumerate(zip(cols.metric, cols.subject, cols.disaggregation, strict=True)):
        if wanted is None or key[0] in wanted:
            series[key].append(i)
    return {key: rows for key, rows in series.items() if len(rows) > 1}


def duplicate_rows(
    store: ObservationStore, metrics: Container[str] | None = None
) -> list[tuple[int, ...]]:
    """Groups of rows with the same metric, subject, period and disaggregation.

    Each group lists row indexes in store order; groups come in order of
    their first row. ``metrics`` limits the search to those metric ids.
    """
    return _duplicates(store, _series(store, metrics))


def _duplicates(store: ObservationStore, series: dict[_Key, list[int]]) -> list[tuple[int, ...]]:
    period = store.columns().period
    groups: list[tuple[int, ...]] = []
    for rows in series.values():
        if len(set(map(period.__getitem__, rows))) == len(rows):
            continue  # each period once (most series): no duplicate, nothing to group
        by_period: dict[int, list[int]] = defaultdict(list)
        for i in rows:
            by_period[period[i]].append(i)
        groups.extend(tuple(g) for g in by_period.values() if len(g) > 1)
    groups.sort()
    return groups


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
    return _overlaps(store, _series(store, metrics))


def _overlaps(store: ObservationStore, series: dict[_Key, list[int]]) -> list[tuple[int, ...]]:
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
    """Duplicates of every metric and overlaps of ``overlap_metrics``, in one pass.

    The same as :func:`duplicate_rows` and :func:`overlapping_rows`, grouping
    the rows by series once instead of twice: validation reports both, and
    that grouping is most of their cost.
    """
    series = _series(store, None)
    overlaps = series
    if overlap_metrics is not None:
        names = store.columns().metrics
        overlaps = {k: rows for k, rows in series.items() if names[k[0]] in overlap_metrics}
    return _duplicates(store, series), _overlaps(store, overlaps)


def _close(chain: Sequence[int], distinct: set[int], groups: list[tuple[int, ...]]) -> None:
    if len(distinct) > 1:
        groups.append(tuple(sorted(chain)))
