"""Column-wise storage of observations: shared tables of codes, numbers in arrays."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Final, Generic, TypeVar, overload

import attrs

from antq_core._entities import Observation
from antq_core._values.period import Period
from antq_core._values.quantity import Number, Qualifier, Unit
from antq_core._values.refs import EMPTY_DISAGGREGATION, Disaggregation, SubjectRef

__all__ = [
    "INT64_MAX",
    "QUALIFIER_INDEX",
    "Interner",
    "ObservationColumns",
    "ObservationStore",
    "StoreBuilder",
]

_QUALIFIERS: Final = tuple(Qualifier)
QUALIFIER_INDEX: Final = {q: i for i, q in enumerate(_QUALIFIERS)}
"""The code of each qualifier in the store's qualifier column."""
INT64_MAX: Final = 2**63 - 1
"""The largest value the store's value column holds; larger ones are kept aside as exact."""


_T = TypeVar("_T")


class Interner(Generic[_T]):
    """A table of distinct values and the index (code) of each.

    Attributes:
        values: The distinct values, in order of first appearance.
        index: The code of each value: its position in :attr:`values`.
    """

    __slots__ = ("index", "values")

    def __init__(self, first: Iterable[_T] = ()) -> None:
        self.values: list[_T] = []
        self.index: dict[_T, int] = {}
        for value in first:
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


class ObservationStore(Sequence[Observation]):
    """The observations of a dataset, stored column-wise.

    Repeated things (metric ids, subjects, periods, units, disaggregations,
    sources, notes) are kept once in shared tables and referenced by index;
    values are 64-bit integers in an array, with the few decimals (and any
    integer too large for 64 bits) kept aside. A million observations take
    about 40 MB (``benchmarks/load.py`` measures it) instead of the gigabyte
    that as many models would.

    Indexing or iterating gives :class:`~antq_core.Observation` models, built
    on demand. Build a store with :meth:`from_observations`, or let
    :meth:`Dataset.load <antq_core.Dataset.load>` build one. ``ObservationStore()``
    is the empty store.
    """

    def __init__(self) -> None:
        # Only this module writes these: StoreBuilder fills a new store, then hands it over.
        self._metrics: Interner[str] = Interner()
        self._subjects: Interner[SubjectRef] = Interner()
        self._periods: Interner[Period] = Interner()
        self._units: Interner[Unit] = Interner()
        self._disaggregations: Interner[Disaggregation] = Interner([EMPTY_DISAGGREGATION])
        self._texts: Interner[str | None] = Interner([None])
        self._metric = array("I")
        self._subject = array("I")
        self._period = array("I")
        self._unit = array("H")
        self._qualifier = array("B")
        self._disaggregation = array("I")
        self._source = array("I")
        self._note = array("I")
        self._value = array("q")
        self._exact: dict[int, Number] = {}

    @classmethod
    def from_observations(cls, observations: Iterable[Observation]) -> ObservationStore:
        """A store holding ``observations``, in order."""
        builder = StoreBuilder()
        builder.append_all(observations)
        return builder.build()

    def __len__(self) -> int:
        return len(self._metric)

    @overload
    def __getitem__(self, index: int) -> Observation: ...
    @overload
    def __getitem__(self, index: slice) -> list[Observation]: ...
    def __getitem__(self, index: int | slice) -> Observation | list[Observation]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            msg = f"observation index {index} out of range ({n} observations)"
            raise IndexError(msg)
        return self._row(index)

    def __iter__(self) -> Iterator[Observation]:
        for i in range(len(self)):
            yield self._row(i)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ObservationStore):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<ObservationStore: {len(self)} observations>"

    def value(self, row: int) -> Number:
        """The value of row ``row`` without building its model."""
        exact = self._exact.get(row)
        return exact if exact is not None else self._value[row]

    def metric_id(self, row: int) -> str:
        """The metric id of row ``row`` without building its model."""
        return self._metrics.values[self._metric[row]]

    def subject(self, row: int) -> SubjectRef:
        """The subject of row ``row`` without building its model."""
        return self._subjects.values[self._subject[row]]

    def rows_for(
        self, *, metric: str | None = None, subject: SubjectRef | None = None
    ) -> list[int]:
        """Indexes of the rows with this metric and/or subject, in order."""
        want_m = self._metrics.index.get(metric, -1) if metric is not None else None
        want_s = self._subjects.index.get(subject, -1) if subject is not None else None
        return [
            i
            for i in range(len(self))
            if (want_m is None or self._metric[i] == want_m)
            and (want_s is None or self._subject[i] == want_s)
        ]

    @property
    def metric_ids(self) -> Sequence[str]:
        """Distinct metric ids, in order of first appearance."""
        return tuple(self._metrics.values)

    @property
    def subjects(self) -> Sequence[SubjectRef]:
        """Distinct subjects, in order of first appearance."""
        return tuple(self._subjects.values)

    @property
    def periods(self) -> Sequence[Period]:
        """Distinct periods, in order of first appearance."""
        return tuple(self._periods.values)

    def columns(self) -> ObservationColumns:
        """A read-only column-wise view of every row, for engines that scan them.

        The view is cheap (no copy) and stays valid: a store never changes
        once built.
        """
        return ObservationColumns(
            metric=memoryview(self._metric).toreadonly(),
            subject=memoryview(self._subject).toreadonly(),
            period=memoryview(self._period).toreadonly(),
            unit=memoryview(self._unit).toreadonly(),
            qualifier=memoryview(self._qualifier).toreadonly(),
            disaggregation=memoryview(self._disaggregation).toreadonly(),
            source=memoryview(self._source).toreadonly(),
            note=memoryview(self._note).toreadonly(),
            value=memoryview(self._value).toreadonly(),
            exact=MappingProxyType(self._exact),
            metrics=tuple(self._metrics.values),
            subjects=tuple(self._subjects.values),
            periods=tuple(self._periods.values),
            units=tuple(self._units.values),
            qualifiers=_QUALIFIERS,
            disaggregations=tuple(self._disaggregations.values),
            texts=tuple(self._texts.values),
        )

    def _row(self, i: int) -> Observation:
        return Observation.model_construct(
            metric=self._metrics.values[self._metric[i]],
            subject=self._subjects.values[self._subject[i]],
            period=self._periods.values[self._period[i]],
            unit=self._units.values[self._unit[i]],
            value=self.value(i),
            qualifier=_QUALIFIERS[self._qualifier[i]],
            disaggregation=self._disaggregations.values[self._disaggregation[i]],
            source=self._texts.values[self._source[i]],
            note=self._texts.values[self._note[i]],
        )

    def nbytes(self) -> int:
        """Approximate bytes held by the columns (not the shared tables)."""
        arrays = (
            self._metric,
            self._subject,
            self._period,
            self._unit,
            self._qualifier,
            self._disaggregation,
            self._source,
            self._note,
            self._value,
        )
        return sum(a.itemsize * len(a) for a in arrays)


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

    __slots__ = ("_store",)

    def __init__(
        self,
        *,
        metrics: Iterable[str] = (),
        subjects: Iterable[SubjectRef] = (),
        periods: Iterable[Period] = (),
        units: Iterable[Unit] = (),
    ) -> None:
        store = ObservationStore()
        self._store: ObservationStore | None = store
        for m in metrics:
            store._metrics.add(m)
        for s in subjects:
            store._subjects.add(s)
        for p in periods:
            store._periods.add(p)
        for u in units:
            store._units.add(u)

    def _open(self) -> ObservationStore:
        store = self._store
        if store is None:
            msg = "the store is built: a store never changes once built"
            raise RuntimeError(msg)
        return store

    @property
    def metrics(self) -> Interner[str]:
        """Distinct metric ids: the table the metric column's codes point into."""
        return self._open()._metrics

    @property
    def subjects(self) -> Interner[SubjectRef]:
        """Distinct subjects: the table the subject column's codes point into."""
        return self._open()._subjects

    @property
    def periods(self) -> Interner[Period]:
        """Distinct periods: the table the period column's codes point into."""
        return self._open()._periods

    @property
    def units(self) -> Interner[Unit]:
        """Distinct units: the table the unit column's codes point into."""
        return self._open()._units

    @property
    def disaggregations(self) -> Interner[Disaggregation]:
        """Distinct disaggregations; code 0 is the empty one (the total)."""
        return self._open()._disaggregations

    @property
    def texts(self) -> Interner[str | None]:
        """Distinct sources and notes; code 0 is ``None``."""
        return self._open()._texts

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
        """
        store = self._open()
        n = len(metric)
        base = len(store._metric)
        store._qualifier = _appended(store._qualifier, _or_zeros(qualifier, "B", n))
        store._disaggregation = _appended(store._disaggregation, _or_zeros(disaggregation, "I", n))
        store._source = _appended(store._source, _or_zeros(source, "I", n))
        store._note = _appended(store._note, _or_zeros(note, "I", n))
        store._metric = _appended(store._metric, metric)
        store._subject = _appended(store._subject, subject)
        store._period = _appended(store._period, period)
        store._unit = _appended(store._unit, unit)
        store._value = _appended(store._value, value)
        if exact:
            for row, number in exact.items():
                store._exact[base + row] = number

    def append_all(self, observations: Iterable[Observation]) -> None:
        """Append observation models (already validated), one row each."""
        store = self._open()
        for o in observations:
            row = len(store._metric)
            store._metric.append(store._metrics.add(o.metric))
            store._subject.append(store._subjects.add(o.subject))
            store._period.append(store._periods.add(o.period))
            store._unit.append(store._units.add(o.unit))
            store._qualifier.append(QUALIFIER_INDEX[o.qualifier])
            store._disaggregation.append(store._disaggregations.add(o.disaggregation))
            store._source.append(store._texts.add(o.source))
            store._note.append(store._texts.add(o.note))
            if type(o.value) is int and o.value <= INT64_MAX:
                store._value.append(o.value)
            else:
                store._value.append(0)
                store._exact[row] = o.value

    def build(self) -> ObservationStore:
        """The store, handed over: the builder cannot change it afterwards.

        Raises:
            RuntimeError: The store was already built.
        """
        store = self._open()
        self._store = None
        return store
