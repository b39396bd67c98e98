"""Duplicates and overlapping periods found with polars (the ``[dataframe]`` extra).

The same answers as :func:`antq_core._dataset.overlap.duplicate_and_overlapping_rows`,
for large datasets: grouping a million rows by four code columns is what the
pure-Python finder spends its time on (hash tables far larger than the CPU's
caches), and polars does it in native code on every core, on one packed
integer key per row (:mod:`antq_core._dataset.keys`). Only the rows that
may be at fault come back to Python, where :func:`~antq_core._dataset.overlap.chains`
decides, as in the pure-Python finder, which periods really overlap.

polars and pyarrow are imported only when a finder runs.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Any

from antq_core._dataset.keys import column_keys, low_shift
from antq_core._dataset.overlap import (
    KEY,
    SERIES,
    chains,
    grouped,
    risky_periods,
    series_of,
    tiling_codes,
)
from antq_core._dataset.store import ObservationStore
from antq_core._util.extras import arrow_over, polars_and_arrow

__all__ = ["duplicate_and_overlapping_rows_polars"]


def duplicate_and_overlapping_rows_polars(
    store: ObservationStore, overlap_metrics: Container[str] | None = None
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Duplicates of every metric and overlaps of ``overlap_metrics``, found with polars.

    The same as :func:`antq_core._dataset.overlap.duplicate_and_overlapping_rows`.
    Rows are keyed by one packed integer (:func:`~antq_core._dataset.keys.key_codes`)
    handed to polars without a copy, so polars hashes one column, not four.

    Raises:
        MissingExtraError: polars or pyarrow is not installed.
    """
    pl, pa = polars_and_arrow()
    cols = store.columns()
    n = len(cols)
    if not n:
        return [], []

    def series(view: Sequence[int] | memoryview, arrow_type: Any) -> Any:
        # A packed key or a store column: wrap its buffer, no copy.
        return pl.from_arrow(arrow_over(pa, arrow_type, view, n))

    metric, period = cols.metric, cols.period
    key = column_keys(cols, *KEY)
    repeated = series(key, pa.uint64()).is_duplicated().arg_true().to_list()
    duplicates = grouped(zip(repeated, map(key.__getitem__, repeated), strict=True))
    wanted = (
        None
        if overlap_metrics is None
        else {i for i, m in enumerate(cols.metrics) if m in overlap_metrics}
    )
    shift = low_shift(len(cols.periods))
    pairs = column_keys(cols, "metric", "period")
    distinct = series(pairs, pa.uint64()).unique().to_list()
    found = ((p >> shift, p & ((1 << shift) - 1)) for p in distinct)
    risky = risky_periods(cols.periods, found, wanted)
    if not risky:
        return duplicates, []  # no two distinct periods of one metric overlap: no row can
    # Only series mixing tilings (a month and a year) can overlap: a series found with
    # two tilings among the distinct (series, tiling) pairs.
    tilings = pl.Series("tiling", tiling_codes(cols.periods), dtype=pl.UInt32)
    rows = pl.DataFrame(
        {
            "series": series(column_keys(cols, *SERIES), pa.uint64()),
            "tiling": tilings.gather(series(period, pa.uint32())),
        }
    )
    mixed = rows.unique().filter(pl.col("series").is_duplicated())["series"]
    if mixed.is_empty():
        return duplicates, []
    found_rows = rows.with_row_index("row").filter(pl.col("series").is_in(mixed.implode()))
    at_risk = [i for i in found_rows["row"].to_list() if (metric[i], period[i]) in risky]
    return duplicates, chains(store, series_of(store, at_risk))
