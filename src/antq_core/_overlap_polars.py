"""Duplicates and overlapping periods found with polars (the ``[dataframe]`` extra).

The same answers as :func:`antq_core._overlap.duplicate_and_overlapping_rows`,
for large datasets: grouping a million rows by four code columns is what the
pure-Python finder spends its time on (hash tables far larger than the CPU's
caches), and polars does it in native code on every core. Only the rows that
may be at fault come back to Python, where :func:`~antq_core._overlap.chains`
decides, as in the pure-Python finder, which periods really overlap.

polars and pyarrow are imported only when a finder runs.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from antq_core._aggregate._polars import _modules
from antq_core._overlap import chains, risky_periods, series_of, tiling_codes
from antq_core._store import ObservationStore

__all__ = ["duplicate_and_overlapping_rows_polars"]

_KEY = ("metric", "subject", "period", "disaggregation")
_SERIES = ("metric", "subject", "disaggregation")


def _frame(store: ObservationStore) -> Any:
    """The store's key columns as a polars DataFrame (no copy), with each row's index."""
    pl, pa = _modules()
    cols = store.columns()
    n = len(cols)

    def column(view: memoryview) -> Any:
        array = pa.Array.from_buffers(pa.uint32(), n, [None, pa.py_buffer(view)])
        return pl.from_arrow(array)

    frame = pl.DataFrame({name: column(getattr(cols, name)) for name in _KEY})
    return frame.with_row_index("row")


def duplicate_and_overlapping_rows_polars(
    store: ObservationStore, overlap_metrics: Container[str] | None = None
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Duplicates of every metric and overlaps of ``overlap_metrics``, found with polars.

    The same as :func:`antq_core._overlap.duplicate_and_overlapping_rows`.

    Raises:
        MissingExtraError: polars or pyarrow is not installed.
    """
    pl, _ = _modules()
    cols = store.columns()
    if not len(cols):
        return [], []
    frame = _frame(store)
    repeated = frame.filter(pl.len().over(_KEY) > 1)
    duplicates: list[tuple[int, ...]] = []
    if repeated.height:
        grouped = repeated.group_by(_KEY).agg(pl.col("row").sort())
        duplicates = sorted(tuple(rows) for rows in grouped["row"].to_list())
    wanted = (
        None
        if overlap_metrics is None
        else {i for i, m in enumerate(cols.metrics) if m in overlap_metrics}
    )
    pairs = frame.select("metric", "period").unique()
    found = zip(pairs["metric"].to_list(), pairs["period"].to_list(), strict=True)
    risky = risky_periods(cols.periods, found, wanted)
    if not risky:
        return duplicates, []  # no two distinct periods of one metric overlap: no row can
    # Only series mixing tilings (a month and a year) can overlap: rows of such series,
    # and of a (metric, period) that overlaps another period of its metric.
    tilings = pl.Series("tiling", tiling_codes(cols.periods), dtype=pl.UInt32)
    metrics, periods = zip(*sorted(risky), strict=True)
    risky_frame = pl.DataFrame(
        {"metric": list(metrics), "period": list(periods)},
        schema={"metric": pl.UInt32, "period": pl.UInt32},
    )
    mixed = (
        frame.with_columns(tilings.gather(frame["period"]))
        .filter(pl.col("tiling").n_unique().over(_SERIES) > 1)
        .join(risky_frame, on=["metric", "period"], how="semi")
    )
    return duplicates, chains(store, series_of(store, mixed["row"].to_list()))
