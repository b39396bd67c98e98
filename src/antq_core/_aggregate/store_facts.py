"""What a store's rows hold whatever the question: computed once per store.

For the columnar engine, two facts of an
:class:`~antq_core._dataset.store.ObservationStore` serve every aggregation
over it, whatever the metrics and grouping asked for (see :class:`._engine.Scan`):

- **whether any figure is repeated**: two rows with the same metric, subject,
  period and disaggregation (only then are duplicates looked for);
- **who reported when**: the distinct (subject, period) pairs, for counting
  the expected units that reported nothing;
- **the units and values of each metric**: per (metric, unit), the lowest
  and highest value and the number of rows, so that a columnar finish knows
  without reading rows that no value needs converting or a sign check.

A store never changes once built, so they are computed once and kept while
the store lives (keyed on the store itself, not on a dataset: datasets that
share a store share its facts). Both are one hash pass over a single packed
64-bit integer per row: the codes' ranges are known from the store's tables,
so ``metric, subject, period, disaggregation`` (and ``subject, period``) pack
into one ``Int64`` in mixed radix whenever their ranges multiply below
``2**63`` — hashing one integer per row costs a fraction of hashing several
columns. Where the key's range is small enough (at most 64 bits a row) no
hashing is done at all: one bit per possible key is set at each row's key
(a scatter), and the set bits are the distinct keys, already in order. The
pairs stay a polars frame; the mapping of each subject to its periods that
the Python finishing step reads is made from them only if it is read.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

import attrs

from antq_core._aggregate.engine import LazyCells
from antq_core._dataset.store import ObservationStore
from antq_core._util.extras import arrow_over

__all__ = [
    "ColumnarFacts",
    "code_frame",
    "columnar_facts",
    "key_strides",
    "key_type",
    "scaled_key",
    "sums_fit_int64",
]

_INT64_MAX: Final = 2**63 - 1
_BITS_PER_ROW: Final = 64
_MIN_BITS: Final = 2**12
_MAX_BITS: Final = 2**32 - 1


@attrs.frozen(eq=False)
class ColumnarFacts:
    """What a store's rows hold, whatever the question (see :class:`._engine.Scan`).

    Attributes:
        repeated: Whether two rows share metric, subject, period and disaggregation.
        reported: Subject code -> the codes of the periods it has rows for
            (made from :attr:`pairs` on first use).
        pairs: The distinct (subject, period) pairs, a polars DataFrame of two
            ``UInt32`` columns ``subject`` and ``period``.
        units: Per (``metric``, ``unit``) code pair that rows use: the lowest
            and highest value (``low``, ``high``), the rows (``n``) and the
            lowest and highest qualifier code (``q_low``, ``q_high``), a polars
            DataFrame. A value the store keeps aside counts as 0 here.
    """

    repeated: bool
    reported: Mapping[int, Collection[int]]
    pairs: Any
    units: Any


# A store never changes once built, so its facts hold as long as it lives.
_FACTS: dict[int, tuple[weakref.ref[ObservationStore], ColumnarFacts]] = {}


def columnar_facts(pl: Any, pa: Any, store: ObservationStore) -> ColumnarFacts:
    """The facts of ``store``, computed on the first call and kept while it lives."""
    key = id(store)
    found = _FACTS.get(key)
    if found is not None and found[0]() is store:
        return found[1]
    facts = _computed(pl, pa, store)

    def forget(_: object, key: int = key) -> None:
        _FACTS.pop(key, None)

    _FACTS[key] = (weakref.ref(store, forget), facts)
    return facts


def sums_fit_int64(spans: Any) -> bool:
    """Whether no sum of the rows ``spans`` describes (:attr:`ColumnarFacts.units`) passes Int64.

    The largest magnitude times the number of rows bounds every such sum.
    """
    low, high = spans["low"].min(), spans["high"].max()
    bound = max(abs(low or 0), abs(high or 0)) * int(spans["n"].sum())
    return bool(bound <= _INT64_MAX)


def key_type(pl: Any, sizes: Sequence[int]) -> Any | None:
    """The integer type of a key packing parts of ``sizes`` codes; ``None`` past 64 bits.

    A UInt32 when every key fits in one (32-bit keys hash and sort faster), else an Int64.
    """
    keys = math.prod(sizes)
    if keys > _INT64_MAX:
        return None
    return pl.UInt32 if keys <= 2**32 else pl.Int64


def key_strides(sizes: Sequence[int]) -> list[int]:
    """Each part's stride in a key packing parts of ``sizes`` codes, the first most significant."""
    return [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]


def scaled_key(
    pl: Any, kind: Any, parts: Sequence[tuple[str, int, int, int, Sequence[int] | None]]
) -> Any:
    """One packed key of type ``kind``: each part's code less its lowest, times its stride, summed.

    A part is (column, lowest code, number of codes, stride, table): with a
    table, the code is the table's entry at the column's value, scaled in the
    table before it is gathered (no column of codes is made). A part with one
    code adds nothing and is left out. Every term is at least 0.
    """
    terms: list[Any] = []
    for column, low, size, stride, table in parts:
        if size == 1:
            continue
        if table is None:
            terms.append((pl.col(column).cast(kind) - low) * stride)
        else:
            scaled = pl.Series([(code - low) * stride for code in table], dtype=kind)
            terms.append(pl.lit(scaled).gather(pl.col(column)))
    return pl.sum_horizontal(terms) if terms else pl.lit(0, dtype=kind)


def code_frame(pl: Any, pa: Any, store: ObservationStore) -> Any:
    """The store's code columns as a polars frame, sharing the store's memory.

    Four ``UInt32`` columns ``metric``, ``subject``, ``period`` and
    ``disaggregation``: each wraps the buffer of the store's ``array.array``
    column (no copy), so the frame is cheap to make and must not outlive the
    store's columns.
    """
    cols = store.columns()
    n = len(cols)
    u32 = pa.uint32()

    def column(view: memoryview) -> Any:
        return pl.from_arrow(arrow_over(pa, u32, view, n))

    return pl.DataFrame(
        {
            "metric": column(cols.metric),
            "subject": column(cols.subject),
            "period": column(cols.period),
            "disaggregation": column(cols.disaggregation),
        }
    )


def _computed(pl: Any, pa: Any, store: ObservationStore) -> ColumnarFacts:
    cols = store.columns()
    n = len(cols)
    frame = code_frame(pl, pa, store)
    # Sizes from the tables, not from the rows: every code is below its table's length.
    sizes = [
        max(len(t), 1) for t in (cols.metrics, cols.subjects, cols.periods, cols.disaggregations)
    ]
    names = ("metric", "subject", "period", "disaggregation")
    n_periods = sizes[2]
    keys = _distinct(pl, frame, names, sizes, n)
    repeated = keys != n
    found = _present(pl, frame, ("subject", "period"), sizes[1:3], n)
    if found is not None:
        pairs = pl.DataFrame(
            {
                "subject": (found // n_periods).cast(pl.UInt32),
                "period": (found % n_periods).cast(pl.UInt32),
            }
        )
    else:
        pairs = frame.select("subject", "period").unique()
    value = pl.col("value")
    units = (
        frame.lazy()
        .with_columns(
            unit=pl.from_arrow(arrow_over(pa, pa.uint16(), cols.unit, n)),
            value=pl.from_arrow(arrow_over(pa, pa.int64(), cols.value, n)),
            qualifier=pl.from_arrow(arrow_over(pa, pa.uint8(), cols.qualifier, n)),
        )
        .group_by("metric", "unit")
        .agg(
            value.min().alias("low"),
            value.max().alias("high"),
            pl.len().alias("n"),
            pl.col("qualifier").min().alias("q_low"),
            pl.col("qualifier").max().alias("q_high"),
        )
        .collect()
    )
    return ColumnarFacts(
        repeated=repeated, reported=LazyCells(lambda: _reported(pairs)), pairs=pairs, units=units
    )


def _bits(sizes: Sequence[int], n: int) -> int | None:
    """How many bits a bitmap of every key of ``sizes`` takes, or ``None`` if too many.

    A bitmap is used while it is at most :data:`_BITS_PER_ROW` bits a row (or
    :data:`_MIN_BITS` in all), and its positions fit polars' 32-bit indexes.
    """
    bits = math.prod(sizes)
    if bits > min(max(_BITS_PER_ROW * n, _MIN_BITS), _MAX_BITS):
        return None
    return bits


def _present(
    pl: Any, frame: Any, names: tuple[str, ...], sizes: Sequence[int], n: int
) -> Any | None:
    """The packed keys of ``names`` that some row has, in order; ``None`` if no bitmap fits.

    One bit per possible key, set at each row's key (a scatter, no hashing);
    the set bits are the distinct keys, already sorted.
    """
    bits = _bits(sizes, n)
    if bits is None:
        return None
    key = frame.select(_packed(pl, names, sizes)).to_series()
    seen = pl.zeros(bits, dtype=pl.Boolean, eager=True)
    if n:
        seen.scatter(key, True)
    return seen.arg_true().cast(pl.Int64)


def _distinct(pl: Any, frame: Any, names: tuple[str, ...], sizes: Sequence[int], n: int) -> int:
    """How many distinct keys of ``names`` the rows hold (a bitmap, else one hash pass)."""
    bits = _bits(sizes, n)
    if bits is not None:
        seen = pl.zeros(bits, dtype=pl.Boolean, eager=True)
        if n:
            seen.scatter(frame.select(_packed(pl, names, sizes)).to_series(), True)
        return int(seen.sum())
    if math.prod(sizes) <= _INT64_MAX:
        return int(frame.select(_packed(pl, names, sizes).n_unique()).item())
    return int(frame.select(names).n_unique())


def _packed(pl: Any, names: tuple[str, ...], sizes: Sequence[int]) -> Any:
    """``names``' codes as one Int64 in mixed radix (the caller checked that it fits)."""
    key = pl.lit(0, dtype=pl.Int64)
    for name, size in zip(names, sizes, strict=True):
        key = key * size + pl.col(name).cast(pl.Int64)
    return key


def _reported(pairs: Any) -> dict[int, Collection[int]]:
    """Subject -> its periods, from the distinct pairs (the Python finishing step's form)."""
    periods: dict[int, list[int]] = {}
    for s, p in zip(pairs["subject"].to_list(), pairs["period"].to_list(), strict=True):
        found = periods.get(s)
        if found is None:
            periods[s] = [p]
        else:
            found.append(p)
    return {s: tuple(ps) for s, ps in periods.items()}
