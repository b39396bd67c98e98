"""Column-wise storage of observations: shared tables of codes, numbers in arrays."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Generic, TypeVar, cast, overload

import attrs

from antq_core._dataset.keys import byte_width, key_codes
from antq_core._entities import Observation
from antq_core._values.period import Period
from antq_core._values.quantity import Number, Qualifier, Unit
from antq_core._values.refs import EMPTY_DISAGGREGATION, Disaggregation, SubjectRef

__all__ = [
    "INT64_MAX",
    "QUALIFIER_INDEX",
    "FigureAudit",
    "Interner",
    "ObservationColumns",
    "ObservationStore",
    "Row",
    "StoreBuilder",
    "shared_column",
]

_QUALIFIERS: Final = tuple(Qualifier)
QUALIFIER_INDEX: Final = {q: i for i, q in enumerate(_QUALIFIERS)}
"""The code of each qualifier in the store's qualifier column."""
INT64_MAX: Final = 2**63 - 1
"""The largest value the store's value column holds; larger ones are kept aside as exact."""


_T = TypeVar("_T")
_V = TypeVar("_V")


class Interner(Generic[_T]):
    """A table of distinct values and the index (code) of each.

    Attributes:
        values: The distinct values, in order of first appearance.
        index: The code of each value: its position in :attr:`values`.
    """

    __slots__ = ("index", "values")

    def __init__(self, first: Iterable[_T] = ()) -> None:
        values = list(first)
        # Distinct values (a table copied from another, the common case) are indexed in C.
        index = dict(zip(values, range(len(values)), strict=True))
        if len(index) == len(values):
            self.values, self.index = values, index
            return
        self.values = []
        self.index = {}
        for value in values:
            self.add(value)

    def add(self, value: _T) -> int:
        """The code of ``value``, adding it to the table if it is new."""
        i = self.index.get(value)
        if i is None:
            i = self.index[value] = len(self.values)
            self.values.append(value)
        return i


@attrs.frozen(eq=False)
class ObservationColumns:
    """A read-only, column-wise view of an :class:`ObservationStore`.

    Each per-row column is a read-only :class:`memoryview` of integer codes
    into a table of distinct values: row ``i``'s metric id is
    ``metrics[metric[i]]``, its period ``periods[period[i]]``, and so on.
    Aggregation and validation engines read these instead of building one
    :class:`~antq_core.Observation` per row. Nothing here can change the store.

    Values: ``value[i]`` is the value of row ``i`` unless ``i`` is a key of
    ``exact`` (decimals, and integers beyond 64 bits), which then holds it;
    use :meth:`ObservationStore.value` when in doubt.

    >>> from antq_core import sample
    >>> cols = sample().observations.columns()
    >>> cols.metrics[cols.metric[0]], cols.value[0]
    ('initiatives', 32)
    >>> cols.qualifiers[cols.qualifier[4]]
    <Qualifier.AT_LEAST: 'at_least'>
    """

    metric: memoryview
    """For each row, its index into :attr:`metrics`."""
    subject: memoryview
    """For each row, its index into :attr:`subjects`."""
    period: memoryview
    """For each row, its index into :attr:`periods`."""
    unit: memoryview
    """For each row, its index into :attr:`units`."""
    qualifier: memoryview
    """For each row, its index into :attr:`qualifiers`."""
    disaggregation: memoryview
    """For each row, its index into :attr:`disaggregations` (0 is the total, no breakdown)."""
    source: memoryview
    """For each row, its index into :attr:`texts` (0 is ``None``)."""
    note: memoryview
    """For each row, its index into :attr:`texts` (0 is ``None``)."""
    value: memoryview
    """For each row, its value as a 64-bit integer, or 0 where :attr:`exact` holds it."""
    exact: Mapping[int, Number]
    """The value of each row whose value is not a 64-bit integer, by row index."""
    metrics: Sequence[str]
    """Distinct metric ids."""
    subjects: Sequence[SubjectRef]
    """Distinct subjects."""
    periods: Sequence[Period]
    """Distinct periods."""
    units: Sequence[Unit]
    """Distinct units."""
    qualifiers: Sequence[Qualifier]
    """Every qualifier, in :class:`~antq_core.Qualifier` order."""
    disaggregations: Sequence[Disaggregation]
    """Distinct disaggregations; the first is the empty one."""
    texts: Sequence[str | None]
    """Distinct sources and notes; the first is ``None``."""

    def __len__(self) -> int:
        return len(self.metric)


@attrs.frozen
class FigureAudit:
    """Who stored a figure and when, as DHIS2 keeps it for each data value.

    Attributes:
        stored_by: The account that entered it (``storedBy``), if known.
        created: When the figure was first stored; ``None`` when it was stored
            before any record was kept.
        last_updated: When it was last changed (the same as ``created`` until it is).

    .. versionadded:: 0.1.0
    """

    stored_by: str | None
    created: dt.datetime | None
    last_updated: dt.datetime


_TYPECODES: Final = ("I", "I", "I", "H", "B", "I", "I", "I", "q")
"""metric, subject, period, unit, qualifier, disaggregation, source, note, value."""
_KEY_COLUMNS: Final = (0, 1, 2, 5)
"""The columns that make a figure's key: metric, subject, period, disaggregation."""
_TABLE_OF: Final = (0, 1, 2, 3, None, 4, 5, 5)
"""For each code column, its table in ``_tables`` (the qualifier has none)."""
_MAX_CHUNKS: Final = 40
_JOIN: Final = 4
_VALUES_OF: Final = operator.attrgetter("values")
"""How many chunks are joined at a time."""
_MAX_PATCHES: Final = 8192
_MAX_OWN: Final = 1024
_FANOUT: Final = 8

# One row's codes and number: the eight code columns, then the value (an int or Number).
_RowCodes = tuple[int, int, int, int, int, int, int, int, Number]
Row = tuple[
    str, SubjectRef, Period, Unit, Qualifier, Disaggregation, str | None, str | None, Number
]
"""One figure as plain values, in the store's column order: metric id, subject,
period, unit, qualifier, disaggregation, source, note, value."""


class _Chunk:
    """Rows stored together: nine columns that never change once made."""

    __slots__ = ("audit", "cols", "exact")

    def __init__(
        self,
        cols: tuple[array[int], ...],
        exact: dict[int, Number],
        audit: dict[int, FigureAudit] | None = None,
    ) -> None:
        self.cols = cols
        self.exact = exact
        self.audit = audit or {}

    def __len__(self) -> int:
        return len(self.cols[0])

    def row(self, local: int) -> _RowCodes:
        c = self.cols
        exact = self.exact.get(local)
        return (
            c[0][local],
            c[1][local],
            c[2][local],
            c[3][local],
            c[4][local],
            c[5][local],
            c[6][local],
            c[7][local],
            c[8][local] if exact is None else exact,
        )


def _empty_chunk() -> _Chunk:
    return _Chunk(tuple(array(t) for t in _TYPECODES), {})


class _KeyIndex:
    """Each stored figure's key -> its slot: layers shared along a lineage, and a delta.

    Keys are the codes of metric, subject, period and disaggregation packed
    into one integer (``shifts``), or their tuple when they do not fit 64
    bits. The first layer (the base) is built once from the columns (in C);
    no layer is ever changed. A derived store copies only the delta (at most
    :data:`_MAX_OWN` keys) and adds to it; past that, the delta becomes a
    layer of its own, and the newest two layers are merged into one while the
    newer has at least a :data:`_FANOUT`-th of the older's keys. Layer sizes
    so fall by that factor or more from the base to the newest: a key is
    copied about log_FANOUT(keys added) times in all, and no apply copies the
    base until as many keys as a :data:`_FANOUT`-th of it have been added
    along the lineage (a single apply's cost follows the submission, and so
    does its share of the merges). A key is looked up in the delta, then the
    layers from the newest.
    """

    __slots__ = ("delta", "layers", "limits", "newest_first", "shifts")

    def __init__(
        self,
        layers: tuple[dict[Any, int], ...],
        delta: dict[Any, int],
        shifts: tuple[int, ...] | None,
        limits: tuple[int, ...],
    ) -> None:
        self.layers = layers
        self.delta = delta
        self.shifts = shifts
        self.limits = limits
        # Made once: a look-up (a report's status asks one per unit and period) walks it.
        self.newest_first: tuple[dict[Any, int], ...] = (delta, *reversed(layers))

    def key(self, m: int, s: int, p: int, d: int) -> Any:
        shifts = self.shifts
        if shifts is None:
            return (m, s, p, d)
        return m << shifts[0] | s << shifts[1] | p << shifts[2] | d

    def fits(self, m: int, s: int, p: int, d: int) -> bool:
        lm, ls, lp, ld = self.limits
        return m < lm and s < ls and p < lp and d < ld

    def get(self, key: Any) -> int | None:
        for layer in self.newest_first:
            slot = layer.get(key)
            if slot is not None:
                return slot
        return None

    def derived(self) -> _KeyIndex:
        if len(self.delta) <= _MAX_OWN:
            return _KeyIndex(self.layers, dict(self.delta), self.shifts, self.limits)
        # This delta is never changed again: it is shared as a layer, not copied.
        layers = [*self.layers, self.delta]
        while len(layers) > 1 and len(layers[-1]) * _FANOUT >= len(layers[-2]):
            layers[-2:] = [layers[-2] | layers[-1]]
        return _KeyIndex(tuple(layers), {}, self.shifts, self.limits)


class ObservationStore(Sequence[Observation]):
    """The observations of a dataset, stored column-wise.

    Repeated things (metric ids, subjects, periods, units, disaggregations,
    sources, notes) are kept once in shared tables and referenced by index;
    values are 64-bit integers in an array, with the few decimals (and any
    integer too large for 64 bits) kept aside. A million observations take
    about 40 MB (``benchmarks/load.py`` measures it) instead of the gigabyte
    that as many models would.

    A store never changes. :meth:`with_changes` gives a new one with rows
    added, replaced or removed that shares this one's columns: new rows go
    into a chunk of their own, replaced rows into a small overlay, removed
    rows into a list; :meth:`columns` joins them into one contiguous set of
    columns the first time an engine asks (and keeps that). Its cost follows
    the change, not the store.

    Indexing or iterating gives :class:`~antq_core.Observation` models, built
    on demand. Build a store with :meth:`from_observations`, or let
    :meth:`Dataset.load <antq_core.Dataset.load>` build one. ``ObservationStore()``
    is the empty store.
    """

    __slots__ = (
        "__weakref__",
        "_chunks",
        "_columns",
        "_dead",
        "_dead_set",
        "_index",
        "_n",
        "_patch",
        "_sizes",
        "_starts",
        "_tables",
    )

    def __init__(self) -> None:
        tables: tuple[Interner[Any], ...] = (
            Interner(),  # metrics
            Interner(),  # subjects
            Interner(),  # periods
            Interner(),  # units
            Interner([EMPTY_DISAGGREGATION]),
            Interner([None]),  # texts
        )
        self._setup(tables, (_empty_chunk(),), {}, ())

    def _setup(
        self,
        tables: tuple[Interner[Any], ...],
        chunks: tuple[_Chunk, ...],
        patch: dict[int, tuple[_RowCodes, FigureAudit | None]],
        dead: tuple[int, ...],
        *,
        index: _KeyIndex | None = None,
        sizes: tuple[int, ...] | None = None,
    ) -> None:
        self._tables = tables
        # How much of each (shared) table is this store's: a store derived later may add more.
        self._sizes = tuple(len(t.values) for t in tables) if sizes is None else sizes
        self._chunks = chunks
        starts, total = [], 0
        for chunk in chunks:
            starts.append(total)
            total += len(chunk)
        self._starts = tuple(starts)
        self._patch = patch
        self._dead = dead
        self._dead_set = frozenset(dead)
        self._n = total - len(dead)
        self._index = index
        self._columns: ObservationColumns | None = None

    @classmethod
    def _of(
        cls,
        tables: tuple[Interner[Any], ...],
        chunks: tuple[_Chunk, ...],
        patch: dict[int, tuple[_RowCodes, FigureAudit | None]] | None = None,
        dead: tuple[int, ...] = (),
        *,
        index: _KeyIndex | None = None,
        sizes: tuple[int, ...] | None = None,
    ) -> ObservationStore:
        store = cls.__new__(cls)
        store._setup(tables, chunks, patch or {}, dead, index=index, sizes=sizes)
        return store

    @classmethod
    def from_observations(cls, observations: Iterable[Observation]) -> ObservationStore:
        """A store holding ``observations``, in order."""
        builder = StoreBuilder()
        builder.append_all(observations)
        return builder.build()

    # -- rows -------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def _simple(self) -> bool:
        return len(self._chunks) == 1 and not self._patch and not self._dead

    def _slot(self, i: int) -> int:
        """The physical slot of logical row ``i`` (removed slots skipped)."""
        for d in self._dead:
            if d <= i:
                i += 1
            else:
                break
        return i

    def _codes(self, slot: int) -> _RowCodes:
        patched = self._patch.get(slot)
        if patched is not None:
            return patched[0]
        starts = self._starts
        c = 0 if len(starts) == 1 or slot < starts[1] else bisect_right(starts, slot) - 1
        return self._chunks[c].row(slot - starts[c])

    def _audit_of(self, slot: int) -> FigureAudit | None:
        patched = self._patch.get(slot)
        if patched is not None:
            return patched[1]
        starts = self._starts
        c = bisect_right(starts, slot) - 1
        return self._chunks[c].audit.get(slot - starts[c])

    def _check(self, index: int) -> int:
        n = self._n
        if index < 0:
            index += n
        if not 0 <= index < n:
            msg = f"observation index {index} out of range ({n} observations)"
            raise IndexError(msg)
        return index

    @overload
    def __getitem__(self, index: int) -> Observation: ...
    @overload
    def __getitem__(self, index: slice) -> list[Observation]: ...
    def __getitem__(self, index: int | slice) -> Observation | list[Observation]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self)))]
        return self._row(self._check(index))

    def __iter__(self) -> Iterator[Observation]:
        if self._simple():
            chunk = self._chunks[0]
            for i in range(len(chunk)):
                yield self._model(chunk.row(i))
            return
        dead = self._dead_set
        for slot in range(self._starts[-1] + len(self._chunks[-1])):
            if slot not in dead:
                yield self._model(self._codes(slot))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ObservationStore):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<ObservationStore: {len(self)} observations>"

    def value(self, row: int) -> Number:
        """The value of row ``row`` without building its model."""
        return self._codes(self._slot(row))[8]

    def metric_id(self, row: int) -> str:
        """The metric id of row ``row`` without building its model."""
        return str(self._tables[0].values[self._codes(self._slot(row))[0]])

    def subject(self, row: int) -> SubjectRef:
        """The subject of row ``row`` without building its model."""
        subject: SubjectRef = self._tables[1].values[self._codes(self._slot(row))[1]]
        return subject

    def audit(self, row: int) -> FigureAudit | None:
        """Who stored row ``row`` and when; ``None`` for a figure loaded with no such record.

        Figures stored by :meth:`Dataset.apply <antq_core.Dataset.apply>` have one.
        """
        return self._audit_of(self._slot(self._check(row)))

    def audits(self) -> Mapping[int, FigureAudit]:
        """Every row that has a record of who stored it and when, by row: :meth:`audit` in bulk.

        Rows with no such record are left out, so a dataset loaded without
        any gives an empty mapping. The mapping is read-only and, like the
        store, never changes.
        """
        self.columns()  # one chunk, no overlay and no removals: its audits are by row
        return MappingProxyType(self._chunks[0].audit)

    def rows_for(
        self, *, metric: str | None = None, subject: SubjectRef | None = None
    ) -> list[int]:
        """Indexes of the rows with this metric and/or subject, in order."""
        cols = self.columns()
        want_m = cols.metrics.index(metric) if metric in cols.metrics else -1
        want_s = cols.subjects.index(subject) if subject in cols.subjects else -1
        return [
            i
            for i in range(len(cols))
            if (metric is None or cols.metric[i] == want_m)
            and (subject is None or cols.subject[i] == want_s)
        ]

    @property
    def metric_ids(self) -> Sequence[str]:
        """Distinct metric ids, in order of first appearance."""
        return tuple(self.columns().metrics)

    @property
    def subjects(self) -> Sequence[SubjectRef]:
        """Distinct subjects, in order of first appearance."""
        return tuple(self.columns().subjects)

    @property
    def periods(self) -> Sequence[Period]:
        """Distinct periods, in order of first appearance."""
        return tuple(self.columns().periods)

    def _table(self, k: int) -> tuple[Any, ...]:
        return tuple(self._tables[k].values[: self._sizes[k]])

    def columns(self) -> ObservationColumns:
        """A read-only column-wise view of every row, for engines that scan them.

        The view is cheap (no copy) and stays valid: a store never changes
        once built. A store made by :meth:`with_changes` joins its chunks
        the first time (a copy of the columns, once).
        """
        if self._columns is not None:
            return self._columns
        if not self._simple():
            self._compact()
        chunk = self._chunks[0]
        c = chunk.cols
        self._columns = ObservationColumns(
            metric=memoryview(c[0]).toreadonly(),
            subject=memoryview(c[1]).toreadonly(),
            period=memoryview(c[2]).toreadonly(),
            unit=memoryview(c[3]).toreadonly(),
            qualifier=memoryview(c[4]).toreadonly(),
            disaggregation=memoryview(c[5]).toreadonly(),
            source=memoryview(c[6]).toreadonly(),
            note=memoryview(c[7]).toreadonly(),
            value=memoryview(c[8]).toreadonly(),
            exact=MappingProxyType(chunk.exact),
            metrics=self._table(0),
            subjects=self._table(1),
            periods=self._table(2),
            units=self._table(3),
            qualifiers=_QUALIFIERS,
            disaggregations=self._table(4),
            texts=self._table(5),
        )
        return self._columns

    def _compact(self) -> None:
        """Join the chunks, the overlay and the removals into one chunk (same rows, same order)."""
        cols = tuple(array(t) for t in _TYPECODES)
        exact: dict[int, Number] = {}
        audit: dict[int, FigureAudit] = {}
        for chunk, start in zip(self._chunks, self._starts, strict=True):
            for col, part in zip(cols, chunk.cols, strict=True):
                col.extend(part)
            _shifted_into(exact, chunk.exact, start)
            _shifted_into(audit, chunk.audit, start)
        for slot, (codes, figure_audit) in self._patch.items():
            for col, code in zip(cols, codes[:8], strict=False):
                col[slot] = code
            value = codes[8]
            exact.pop(slot, None)
            if type(value) is int and -INT64_MAX - 1 <= value <= INT64_MAX:
                cols[8][slot] = value
            else:
                cols[8][slot] = 0
                exact[slot] = value
            if figure_audit is None:
                audit.pop(slot, None)
            else:
                audit[slot] = figure_audit
        tables, index = self._tables, self._index
        sizes: tuple[int, ...] | None = self._sizes
        if self._dead:
            cols, exact, audit = _without(cols, exact, audit, self._dead)
            tables = tuple(
                t if len(t.values) == size else Interner(t.values[:size])
                for t, size in zip(tables, self._sizes, strict=True)
            )
            tables = _used_tables(cols, tables)
            sizes = None
            index = None  # slots are renumbered
        self._setup(tables, (_Chunk(cols, exact, audit),), {}, (), index=index, sizes=sizes)

    def _model(self, codes: _RowCodes) -> Observation:
        t = self._tables
        return Observation.model_construct(
            metric=t[0].values[codes[0]],
            subject=t[1].values[codes[1]],
            period=t[2].values[codes[2]],
            unit=t[3].values[codes[3]],
            value=codes[8],
            qualifier=_QUALIFIERS[codes[4]],
            disaggregation=t[4].values[codes[5]],
            source=t[5].values[codes[6]],
            note=t[5].values[codes[7]],
        )

    def _row(self, i: int) -> Observation:
        return self._model(self._codes(self._slot(i)))

    def nbytes(self) -> int:
        """Approximate bytes held by the columns (not the shared tables)."""
        return sum(a.itemsize * len(a) for chunk in self._chunks for a in chunk.cols)

    # -- keys and changes ---------------------------------------------------

    def _key_index(self) -> _KeyIndex:
        if self._index is None:
            self._index = _build_index(self.columns())
        return self._index

    def find(
        self, metric: str, subject: SubjectRef, period: Period, disaggregation: Disaggregation
    ) -> int | None:
        """The slot of the stored figure with this key (the first, if several), or ``None``.

        A slot names a row for :meth:`stored` and :meth:`with_changes`; it is
        not the row's index once rows have been removed. The first call
        builds an index of every key (once for a store and those derived
        from it); later calls cost a dictionary look-up.
        """
        return self.finder(subject, period)(metric, disaggregation)

    def finder(
        self, subject: SubjectRef, period: Period
    ) -> Callable[[str, Disaggregation], int | None]:
        """:meth:`find` for one subject and period: a function of the metric and disaggregation."""
        sizes, t = self._sizes, self._tables
        s = t[1].index.get(subject)
        p = t[2].index.get(period)
        if s is None or p is None or s >= sizes[1] or p >= sizes[2]:
            return _nowhere
        index = self._key_index()
        metrics, disaggregations = t[0].index, t[4].index
        dead = self._dead_set
        layers = index.newest_first
        lm, ls, lp, ld = index.limits
        if s >= ls or p >= lp:
            return _nowhere
        shifts = index.shifts
        if shifts is None:

            def key(m: int, d: int) -> Any:
                return (m, s, p, d)
        else:
            m_shift = shifts[0]
            middle = s << shifts[1] | p << shifts[2]

            def key(m: int, d: int) -> Any:
                return m << m_shift | middle | d

        mine_m, mine_d = sizes[0], sizes[4]

        total = disaggregations.get(EMPTY_DISAGGREGATION)

        def find(metric: str, disaggregation: Disaggregation) -> int | None:
            m = metrics.get(metric)
            d = disaggregations.get(disaggregation) if disaggregation.items_ else total
            if m is None or d is None or m >= mine_m or d >= mine_d or m >= lm or d >= ld:
                return None
            k = key(m, d)
            for layer in layers:
                slot = layer.get(k)
                if slot is not None:
                    return None if slot in dead else slot
            return None

        return find

    def slots(
        self,
        subject: SubjectRef,
        period: Period,
        metrics: Sequence[str],
        disaggregations: Sequence[Disaggregation] | None = None,
    ) -> list[int | None]:
        """:meth:`find` of many figures of one subject and period, in one pass.

        Item ``i`` of the result is the slot of ``metrics[i]`` broken down by
        ``disaggregations[i]`` (by default, every figure a total), or ``None``;
        the same answers as :meth:`finder` gives one by one, with the look-ups
        done in C.
        """
        sizes, t = self._sizes, self._tables
        s = t[1].index.get(subject)
        p = t[2].index.get(period)
        if s is None or p is None or s >= sizes[1] or p >= sizes[2]:
            return [None] * len(metrics)
        index = self._key_index()
        lm, ls, lp, ld = index.limits
        if s >= ls or p >= lp:
            return [None] * len(metrics)
        m_limit, d_limit = min(sizes[0], lm), min(sizes[4], ld)
        ms = list(map(t[0].index.get, metrics))
        table = t[4].index
        total = table.get(EMPTY_DISAGGREGATION)
        ds = (
            [total] * len(ms)
            if disaggregations is None
            else [table.get(d) if d.items_ else total for d in disaggregations]
        )
        shifts = index.shifts
        # A key no figure can have (a code unknown or too large) is -1: every look-up misses.
        if shifts is None:
            keys: list[Any] = [
                -1 if m is None or d is None or m >= m_limit or d >= d_limit else (m, s, p, d)
                for m, d in zip(ms, ds, strict=True)
            ]
        else:
            m_shift, middle = shifts[0], s << shifts[1] | p << shifts[2]
            keys = [
                -1
                if m is None or d is None or m >= m_limit or d >= d_limit
                else m << m_shift | middle | d
                for m, d in zip(ms, ds, strict=True)
            ]
        found: list[int | None] = [None] * len(keys)
        for layer in reversed(index.newest_first):  # the newer layer over the older
            if not layer:
                continue
            found = [
                old if new is None else new
                for old, new in zip(found, map(layer.get, keys), strict=True)
            ]
        dead = self._dead_set
        if dead:
            found = [None if slot in dead else slot for slot in found]
        return found

    def stored(self, slot: int) -> Row:
        """The figure in ``slot`` (from :meth:`find`), as a ``Row``."""
        codes = self._codes(slot)
        t = self._tables
        return (
            t[0].values[codes[0]],
            t[1].values[codes[1]],
            t[2].values[codes[2]],
            t[3].values[codes[3]],
            _QUALIFIERS[codes[4]],
            t[4].values[codes[5]],
            t[5].values[codes[6]],
            t[5].values[codes[7]],
            codes[8],
        )

    def stored_audit(self, slot: int) -> FigureAudit | None:
        """Who stored the figure in ``slot`` and when, if known."""
        return self._audit_of(slot)

    def with_changes(
        self,
        *,
        append: Sequence[Row] = (),
        append_audit: Sequence[FigureAudit | None] = (),
        replace: Mapping[int, tuple[Row, FigureAudit | None]] | None = None,
        remove: Iterable[int] = (),
        append_columns: Sequence[Sequence[Any]] | None = None,
    ) -> ObservationStore:
        """A new store: ``append`` rows added at the end, slots replaced and removed.

        This store is unchanged and shares its columns with the new one; the
        cost follows the number of changes. Rows are ``Row`` tuples that
        the caller has checked as an :class:`~antq_core.Observation` would be;
        ``append_audit`` holds the audit of each appended row (or is empty),
        and ``replace`` keeps each slot's key. ``append_columns`` gives the
        rows to append column-wise instead (the nine columns of ``Row``).
        """
        columns = list(zip(*append, strict=True)) if append else append_columns
        append_audit = append_audit if columns else ()
        coder = _Coder(self._tables, self._sizes)
        index = self._key_index().derived() if columns else self._index
        chunks = self._chunks
        end = self._starts[-1] + len(chunks[-1])
        if columns:
            assert index is not None  # noqa: S101 - set just above
            chunk, fitted = _chunk_of(columns, append_audit, coder, index, end)
            chunks = (*chunks, chunk)
            if not fitted:
                index = None  # a code outgrew the packed key: build the index anew
        patch = self._patch
        if replace:
            patch = dict(patch)
            # Coded column by column (in C when a column holds one value), as appended rows are.
            rows, audits = zip(*replace.values(), strict=True)
            columns = list(zip(*rows, strict=True))
            many = coder.many
            coded = (
                many(0, columns[0]),
                many(1, columns[1]),
                many(2, columns[2]),
                many(3, columns[3]),
                _qualifier_codes(columns[4]),
                many(4, columns[5]),
                many(5, columns[6]),
                many(5, columns[7]),
                columns[8],
            )
            rows_codes = zip(*coded, strict=True)
            patch.update(zip(replace, zip(rows_codes, audits, strict=True), strict=True))
        dead = self._dead
        removed = set(remove)
        if removed:
            dead = tuple(sorted(self._dead_set | removed))
            if patch is self._patch:
                patch = dict(patch)
            for slot in removed:
                patch.pop(slot, None)
        return _derived(coder, chunks, patch, dead, index)

    def with_new_totals(
        self,
        subject: SubjectRef,
        period: Period,
        metrics: Sequence[str],
        columns: Sequence[Sequence[Any]],
        audit: FigureAudit | None,
    ) -> ObservationStore | None:
        """A new store with totals of ``subject`` for ``period`` added, if none is stored yet.

        Figure ``i`` is of metric ``metrics[i]``, with no breakdown; ``columns``
        hold, for each figure, the unit, qualifier, source, note and value, and
        every figure has the ``audit``. As with :meth:`with_changes`, the
        caller has checked them as an :class:`~antq_core.Observation` would be.
        Returns ``None``, and makes nothing, if a figure of one of the metrics
        is stored already or a metric is given twice: the figures are then not
        all new, and each must be decided in turn. Keys and codes are computed
        once, in C; the cost follows the figures, not the store.
        """
        n = len(metrics)
        if not n:
            return self.with_changes()
        units, qualifiers, sources, notes, values = columns
        t, sizes = self._tables, self._sizes
        index = self._key_index()
        lm, ls, lp, ld = index.limits
        s, p = t[1].index.get(subject), t[2].index.get(period)
        total = t[4].index[EMPTY_DISAGGREGATION]
        ms = list(map(t[0].index.get, metrics))
        shifts = index.shifts
        if (
            shifts is None
            or s is None
            or p is None
            or s >= min(sizes[1], ls)
            or p >= min(sizes[2], lp)
            or None in ms
            or max(cast("list[int]", ms)) >= min(sizes[0], lm)
            or total >= ld
        ):
            # A new subject, period or metric (or keys as tuples): code them one by one.
            if self.slots(subject, period, metrics).count(None) != n or len(set(metrics)) != n:
                return None
            return self.with_changes(
                append_columns=(
                    metrics,
                    [subject] * n,
                    [period] * n,
                    units,
                    qualifiers,
                    [EMPTY_DISAGGREGATION] * n,
                    sources,
                    notes,
                    values,
                ),
                append_audit=[audit] * n,
            )
        codes = cast("list[int]", ms)
        if len(set(codes)) != n:
            return None  # a metric given twice
        m_shift, middle = shifts[0], s << shifts[1] | p << shifts[2] | total
        keys = [m << m_shift | middle for m in codes]
        dead = self._dead_set
        for layer in index.newest_first:
            if not layer:
                continue
            found = list(map(layer.get, keys))
            if found.count(None) != n and any(
                slot is not None and slot not in dead for slot in found
            ):
                return None
        coder = _Coder(t, sizes)
        chunk = _coded_chunk(
            (
                codes,
                array(_TYPECODES[1], [s]) * n,
                array(_TYPECODES[2], [p]) * n,
                coder.many(3, units),
                _qualifier_codes(qualifiers),
                array(_TYPECODES[5], [total]) * n,
                coder.many(5, sources),
                coder.many(5, notes),
            ),
            values,
            [audit] * n,
        )
        chunks = self._chunks
        end = self._starts[-1] + len(chunks[-1])
        derived = index.derived()
        # A removed row's key is taken over, as in _packed_keys.
        derived.delta.update(zip(keys, range(end, end + n), strict=True))
        return _derived(coder, (*chunks, chunk), self._patch, self._dead, derived)


class _Coder:
    """The codes of values in a store's tables, for a store derived from it.

    A table may be added to in place while the store is the last one derived
    from it (nothing beyond its size yet); otherwise another store added to
    it, and the derived store takes a copy of its own part before adding.
    """

    __slots__ = ("sizes", "tables", "tip")

    def __init__(self, tables: tuple[Interner[Any], ...], sizes: tuple[int, ...]) -> None:
        self.tables = list(tables)
        self.sizes = sizes
        # In C: a comprehension's code is one more thing to fetch on a cold call.
        self.tip = list(map(int.__eq__, map(len, map(_VALUES_OF, tables)), sizes))

    def one(self, k: int, value: Any) -> int:
        """The code of ``value`` in table ``k``, adding it if it is new."""
        table = self.tables[k]
        found = table.index.get(value)
        if found is not None and (self.tip[k] or found < self.sizes[k]):
            return found
        if not self.tip[k]:
            table = self.tables[k] = Interner(table.values[: self.sizes[k]])
            self.tip[k] = True
        return table.add(value)

    def many(self, k: int, column: Sequence[Any]) -> list[int]:
        """The codes of ``column``'s values in table ``k``, in C when it can be."""
        n = len(column)
        # One value on every row (a subject, a period, no source): equal values have one
        # code, and a list counts the same object without comparing it.
        if column.count(column[0]) == n:
            return [self.one(k, column[0])] * n
        found = list(map(self.tables[k].index.get, column))
        if None not in found:
            codes = cast("list[int]", found)
            if self.tip[k] or max(codes) < self.sizes[k]:
                return codes
        return _coded(functools.partial(self.one, k), column)

    def own_sizes(self) -> tuple[int, ...]:
        """How much of each table is the derived store's.

        A table it added to (in place, or to its own copy) is all its own;
        another is still shared, and only its first ``sizes[k]`` values are its.
        """
        own = list(self.sizes)
        for k, table in enumerate(self.tables):
            if self.tip[k]:
                own[k] = len(table.values)
        return tuple(own)


def _chunk_of(
    columns: Sequence[Sequence[Any]],
    audits: Sequence[FigureAudit | None],
    coder: _Coder,
    index: _KeyIndex,
    end: int,
) -> tuple[_Chunk, bool]:
    """A chunk of rows given column-wise (slots from ``end``), their keys added to ``index``.

    Returns the chunk, and whether every key fitted the index's packed keys.
    """
    codes_of = coder.many
    coded = [
        codes_of(0, columns[0]),
        codes_of(1, columns[1]),
        codes_of(2, columns[2]),
        codes_of(3, columns[3]),
        _qualifier_codes(columns[4]),
        codes_of(4, columns[5]),
        codes_of(5, columns[6]),
        codes_of(5, columns[7]),
    ]
    chunk = _coded_chunk(coded, columns[8], audits)
    if index.shifts is not None:
        return chunk, _packed_keys((coded[0], coded[1], coded[2], coded[5]), index, end)
    delta, key, fits, get = index.delta, index.key, index.fits, index.get
    keys = zip(coded[0], coded[1], coded[2], coded[5], strict=True)
    for slot, (m, s, p, d) in enumerate(keys, end):
        if not fits(m, s, p, d):
            return chunk, False
        k = key(m, s, p, d)
        before = get(k)
        # A row is appended only when no live row has its key: a slot before this
        # chunk is a removed row's, and the new row takes its key over; within the
        # chunk the first row of a key keeps it, as the index's base does.
        if before is None or before < end:
            delta[k] = slot
    return chunk, True


def _derived(
    coder: _Coder,
    chunks: tuple[_Chunk, ...],
    patch: dict[int, tuple[_RowCodes, FigureAudit | None]],
    dead: tuple[int, ...],
    index: _KeyIndex | None,
) -> ObservationStore:
    """The store derived with ``coder``'s tables, ``chunks``, overlay, removals and key index."""
    # Join the newest four chunks (never the first) while the last is as large as each
    # of the three before it: chunk sizes then count in base 4, so that a row is copied
    # about log4(rows added) times and chunks stay few (at most three of a size).
    while len(chunks) > _JOIN + 1 and max(map(len, chunks[-_JOIN:-1])) <= len(chunks[-1]):
        chunks = (*chunks[:-_JOIN], _joined(chunks[-_JOIN:]))
    if len(chunks) > _MAX_CHUNKS:
        chunks = (chunks[0], _joined(chunks[1:]))
    store = ObservationStore._of(
        tuple(coder.tables), chunks, patch, dead, index=index, sizes=coder.own_sizes()
    )
    if len(patch) > _MAX_PATCHES:
        store._compact()
    return store


def _qualifier_codes(qualifiers: Sequence[Qualifier]) -> list[int]:
    """The qualifiers' codes (most often one qualifier for every row)."""
    n = len(qualifiers)
    if n and qualifiers.count(qualifiers[0]) == n:
        return [QUALIFIER_INDEX[qualifiers[0]]] * n
    return list(map(QUALIFIER_INDEX.__getitem__, qualifiers))


def _coded_chunk(
    coded: Sequence[Sequence[int]], values: Sequence[Any], audits: Sequence[FigureAudit | None]
) -> _Chunk:
    """A chunk of the eight code columns ``coded``, the ``values`` and each row's audit."""
    numbers: array[int] | None = None
    if set(map(type, values)) == {int}:
        try:
            numbers = array("q", values)  # in C; past 64 bits, an OverflowError
        except OverflowError:
            numbers = None
    if numbers is not None:
        exact: dict[int, Number] = {}  # every value an int that fits the column
    else:
        exact = {
            i: v
            for i, v in enumerate(values)
            if type(v) is not int or not -INT64_MAX - 1 <= v <= INT64_MAX
        }
    if numbers is None:
        numbers = array("q", [0 if i in exact else v for i, v in enumerate(values)])
    made: list[array[int]] = []
    for typecode, column in zip(_TYPECODES, coded, strict=False):
        made.append(column if type(column) is array else array(typecode, column))
    made.append(numbers)
    cols = tuple(made)
    first = audits[0] if audits else None
    if first is not None and audits.count(first) == len(audits):
        audit = dict.fromkeys(range(len(audits)), first)  # one audit for every row
    else:
        audit = {i: a for i, a in enumerate(audits) if a is not None}
    return _Chunk(cols, exact, audit)


def _packed_keys(key_columns: tuple[list[int], ...], index: _KeyIndex, end: int) -> bool:
    """:func:`_chunk_of`'s key loop for packed keys, in C when the keys fit and differ.

    The same as :meth:`_KeyIndex.fits`, :meth:`_KeyIndex.key` and
    :meth:`_KeyIndex.get` row by row. A row takes its key in the delta unless
    an earlier row of the same chunk has it (a slot from before the chunk is a
    removed or replaced row's, and the new row takes its key over): so when
    the chunk's keys all differ, every row takes its own, all at once.
    Returns whether every key fitted; the keys before one that did not are added.
    """
    shifts = index.shifts
    assert shifts is not None  # noqa: S101 - the caller's test
    m_shift, s_shift, p_shift = shifts[0], shifts[1], shifts[2]
    lm, ls, lp, ld = index.limits
    ms, ss, ps, ds = key_columns
    delta = index.delta
    if max(ms) < lm and max(ss) < ls and max(ps) < lp and max(ds) < ld:
        s0, p0 = ss[0], ps[0]
        if ss.count(s0) == len(ss) and ps.count(p0) == len(ps):
            middle = s0 << s_shift | p0 << p_shift  # one subject and period: a submission
            keys = [m << m_shift | middle | d for m, d in zip(ms, ds, strict=True)]
        else:
            keys = [
                m << m_shift | s << s_shift | p << p_shift | d
                for m, s, p, d in zip(ms, ss, ps, ds, strict=True)
            ]
        if len(set(keys)) == len(keys):
            delta.update(zip(keys, range(end, end + len(keys)), strict=True))
            return True
    find = index.get
    for slot, (m, s, p, d) in enumerate(zip(ms, ss, ps, ds, strict=True), end):
        if not (m < lm and s < ls and p < lp and d < ld):
            return False
        k = m << m_shift | s << s_shift | p << p_shift | d
        before = find(k)
        # A removed row's key is taken over; within the chunk the first row of a key wins.
        if before is None or before < end:
            delta[k] = slot
    return True


def _coded(intern: Callable[[Any], int], column: Sequence[Any]) -> list[int]:
    """The codes of ``column``'s values, interning each distinct object once.

    Objects are told apart by identity (in C): a submission repeats the same
    subject, period and unit objects on every row, so each is hashed once.
    """
    ids = list(map(id, column))
    codes = {i: intern(v) for i, v in dict(zip(ids, column, strict=True)).items()}
    return list(map(codes.__getitem__, ids))


def _nowhere(metric: str, disaggregation: Disaggregation) -> int | None:
    return None


def _joined(chunks: Sequence[_Chunk]) -> _Chunk:
    """One chunk holding ``chunks``' rows in order."""
    cols = tuple(array(t) for t in _TYPECODES)
    exact: dict[int, Number] = {}
    audit: dict[int, FigureAudit] = {}
    base = 0
    for chunk in chunks:
        for col, part in zip(cols, chunk.cols, strict=True):
            col.extend(part)
        _shifted_into(exact, chunk.exact, base)
        _shifted_into(audit, chunk.audit, base)
        base += len(chunk)
    return _Chunk(cols, exact, audit)


def _shifted_into(out: dict[int, _V], table: dict[int, _V], base: int) -> None:
    """Add ``table``'s entries to ``out`` with their rows moved by ``base`` (in C)."""
    if table:
        out.update(zip(map(base.__add__, table), table.values(), strict=True))


def _without(
    cols: tuple[array[int], ...],
    exact: dict[int, Number],
    audit: dict[int, FigureAudit],
    dead: tuple[int, ...],
) -> tuple[tuple[array[int], ...], dict[int, Number], dict[int, FigureAudit]]:
    """The columns with the ``dead`` rows (sorted) taken out, copied a run at a time."""
    n = len(cols[0])
    runs, start = [], 0
    for d in (*dead, n):
        if start < d:
            runs.append((start, d))
        start = d + 1
    kept = tuple(array(t) for t in _TYPECODES)
    for col, out in zip(cols, kept, strict=True):
        for a, b in runs:
            out.extend(col[a:b])

    gone = set(dead)

    def shifted(table: dict[int, _V]) -> dict[int, _V]:
        return {r - bisect_right(dead, r): v for r, v in table.items() if r not in gone}

    return kept, shifted(exact), shifted(audit)


def _used_tables(
    cols: tuple[array[int], ...], tables: tuple[Interner[Any], ...]
) -> tuple[Interner[Any], ...]:
    """The tables with the values no row uses left out, and the columns recoded to match.

    Removing rows may leave a metric, subject, period or text nothing refers to;
    engines list a table's values, so they must all be in use.
    """
    used: list[set[int]] = [set() for _ in tables]
    for j, k in enumerate(_TABLE_OF):
        if k is not None:
            used[k] |= set(cols[j])
    used[4].add(0)  # the empty disaggregation and None text keep code 0
    used[5].add(0)
    out = list(tables)
    for k, table in enumerate(tables):
        if len(used[k]) == len(table.values):
            continue
        keep = sorted(used[k])
        recode = {old: new for new, old in enumerate(keep)}
        out[k] = Interner(table.values[old] for old in keep)
        for j, kk in enumerate(_TABLE_OF):
            if kk == k:
                column = cols[j]
                column[:] = array(column.typecode, map(recode.__getitem__, column))
    return tuple(out)


def _build_index(cols: ObservationColumns) -> _KeyIndex:
    """The key index of every row of ``cols`` (the first row of a key wins)."""
    parts = key_columns = [cols.metric, cols.subject, cols.period, cols.disaggregation]
    tables = [cols.metrics, cols.subjects, cols.periods, cols.disaggregations]
    widths = [byte_width(2 * len(t) + 2) for t in tables]
    limits = tuple(256**w for w in widths)
    n = len(cols)
    if sum(widths) <= 8:  # noqa: PLR2004 - bytes in a 64-bit key
        keys: Sequence[Any] = key_codes(
            *((c, limit) for c, limit in zip(parts, limits, strict=True))
        )
        shifts: tuple[int, ...] | None = tuple(8 * sum(widths[j + 1 :]) for j in range(4))
    else:
        keys = list(zip(*key_columns, strict=True))
        shifts = None
    base = dict(zip(reversed(keys), range(n - 1, -1, -1), strict=True))
    return _KeyIndex((base,), {}, shifts, limits)


def _appended(column: array[int], codes: Sequence[int]) -> array[int]:
    """``column`` with ``codes`` appended, copied in C from a list or an array of its type.

    An array of the column's type given for an empty column is taken over,
    not copied: a whole file read at once then costs no copy and no second
    column in memory.
    """
    if isinstance(codes, array) and codes.typecode == column.typecode:
        if not column:
            return codes
        column.extend(codes)
    elif type(codes) is list:
        column.fromlist(codes)
    else:
        column.extend(codes)
    return column


def shared_column(view: memoryview, typecode: str) -> array[int]:
    """The array under ``view``, a column of a built store, for a new store to share.

    A store never changes once built and a builder takes over an array given
    to it whole (:meth:`StoreBuilder.extend`), so a store derived from another
    may hold the same array for a column it keeps as it is: no copy, no second
    column in memory. ``view`` not being a whole array of ``typecode`` (a
    column of the caller's own) gives a copy.
    """
    base = view.obj
    if type(base) is array and base.typecode == typecode and len(base) == len(view):
        return base
    out = array(typecode)
    out.frombytes(view.cast("B"))
    return out


def _or_zeros(codes: Sequence[int] | None, typecode: str, n: int) -> Sequence[int]:
    return array(typecode, [0]) * n if codes is None else codes


class StoreBuilder:
    """The one way to fill an :class:`ObservationStore`: tables interned, columns appended whole.

    A reader interns each distinct metric id, subject, period, unit,
    disaggregation and text once through the tables (:attr:`metrics`,
    :attr:`subjects`...), turns its columns into those codes, and appends
    them with :meth:`extend`, as many batches as it likes; :meth:`build` then
    hands the store over. Observation models can be appended one by one with
    :meth:`append_all`. Nothing here checks a row: the caller has done so.

    >>> from antq_core import Period, SubjectRef, Unit
    >>> b = StoreBuilder(metrics=["initiatives"], units=[Unit.get("initiative")])
    >>> b.extend(
    ...     metric=[0, 0],
    ...     subject=[b.subjects.add(SubjectRef.parse("unit:12"))] * 2,
    ...     period=[b.periods.add(Period.parse("2017")), b.periods.add(Period.parse("2016"))],
    ...     unit=[0, 0],
    ...     value=[32, 0],
    ...     exact={1: 2**64},
    ... )
    >>> store = b.build()
    >>> store.value(0), store.value(1), store[1].period
    (32, 18446744073709551616, Period.parse('2016'))

    Args:
        metrics: Metric ids to intern first, so that their codes are their positions.
        subjects: Subjects to intern first.
        periods: Periods to intern first.
        units: Units to intern first.
    """

    __slots__ = ("_chunk", "_tables")

    def __init__(
        self,
        *,
        metrics: Iterable[str] = (),
        subjects: Iterable[SubjectRef] = (),
        periods: Iterable[Period] = (),
        units: Iterable[Unit] = (),
    ) -> None:
        self._tables: tuple[Interner[Any], ...] = (
            Interner(metrics),
            Interner(subjects),
            Interner(periods),
            Interner(units),
            Interner([EMPTY_DISAGGREGATION]),
            Interner([None]),
        )
        self._chunk: _Chunk | None = _empty_chunk()

    def _open(self) -> _Chunk:
        chunk = self._chunk
        if chunk is None:
            msg = "the store is built: a store never changes once built"
            raise RuntimeError(msg)
        return chunk

    @property
    def metrics(self) -> Interner[str]:
        """Distinct metric ids: the table the metric column's codes point into."""
        self._open()
        return self._tables[0]

    @property
    def subjects(self) -> Interner[SubjectRef]:
        """Distinct subjects: the table the subject column's codes point into."""
        self._open()
        return self._tables[1]

    @property
    def periods(self) -> Interner[Period]:
        """Distinct periods: the table the period column's codes point into."""
        self._open()
        return self._tables[2]

    @property
    def units(self) -> Interner[Unit]:
        """Distinct units: the table the unit column's codes point into."""
        self._open()
        return self._tables[3]

    @property
    def disaggregations(self) -> Interner[Disaggregation]:
        """Distinct disaggregations; code 0 is the empty one (the total)."""
        self._open()
        return self._tables[4]

    @property
    def texts(self) -> Interner[str | None]:
        """Distinct sources and notes; code 0 is ``None``."""
        self._open()
        return self._tables[5]

    def extend(
        self,
        *,
        metric: Sequence[int],
        subject: Sequence[int],
        period: Sequence[int],
        unit: Sequence[int],
        value: Sequence[int],
        qualifier: Sequence[int] | None = None,
        disaggregation: Sequence[int] | None = None,
        source: Sequence[int] | None = None,
        note: Sequence[int] | None = None,
        exact: Mapping[int, Number] | None = None,
        audit: Mapping[int, FigureAudit] | None = None,
    ) -> None:
        """Append one batch of rows, given as columns of equal length.

        Each column holds codes into its table (:data:`QUALIFIER_INDEX` for
        the qualifier); a column left out is all 0 (exact, the total, no
        source, no note). ``value`` holds the 64-bit values; ``exact`` the
        value of each row, by its index in this batch, that is not a 64-bit
        integer (its ``value`` entry is then 0). Lists and arrays of the
        store's type codes (``I``; ``H`` for units, ``B`` for qualifiers,
        ``q`` for values) are copied without a Python loop; such an array
        may be taken over instead of copied, so do not change it afterwards.
        ``audit`` holds who stored a row and when (:class:`FigureAudit`), by
        its index in this batch, for the rows that have such a record.
        """
        chunk = self._open()
        n = len(metric)
        base = len(chunk)
        c = chunk.cols
        chunk.cols = (
            _appended(c[0], metric),
            _appended(c[1], subject),
            _appended(c[2], period),
            _appended(c[3], unit),
            _appended(c[4], _or_zeros(qualifier, "B", n)),
            _appended(c[5], _or_zeros(disaggregation, "I", n)),
            _appended(c[6], _or_zeros(source, "I", n)),
            _appended(c[7], _or_zeros(note, "I", n)),
            _appended(c[8], value),
        )
        if exact:
            for row, number in exact.items():
                chunk.exact[base + row] = number
        if audit:
            for row, figure_audit in audit.items():
                chunk.audit[base + row] = figure_audit

    def append_all(self, observations: Iterable[Observation]) -> None:
        """Append observation models (already validated), one row each."""
        chunk = self._open()
        metrics, subjects, periods, units, disaggregations, texts = self._tables
        c = chunk.cols
        for o in observations:
            row = len(c[0])
            c[0].append(metrics.add(o.metric))
            c[1].append(subjects.add(o.subject))
            c[2].append(periods.add(o.period))
            c[3].append(units.add(o.unit))
            c[4].append(QUALIFIER_INDEX[o.qualifier])
            c[5].append(disaggregations.add(o.disaggregation))
            c[6].append(texts.add(o.source))
            c[7].append(texts.add(o.note))
            if type(o.value) is int and -INT64_MAX - 1 <= o.value <= INT64_MAX:
                c[8].append(o.value)
            else:
                c[8].append(0)
                chunk.exact[row] = o.value

    def build(self) -> ObservationStore:
        """The store, handed over: the builder cannot change it afterwards.

        Raises:
            RuntimeError: The store was already built.
        """
        chunk = self._open()
        self._chunk = None
        return ObservationStore._of(self._tables, (chunk,))
