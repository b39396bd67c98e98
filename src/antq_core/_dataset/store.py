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

__all__ = ["ObservationColumns", "ObservationStore"]

_QUALIFIERS: Final = tuple(Qualifier)
_QUALIFIER_INDEX: Final = {q: i for i, q in enumerate(_QUALIFIERS)}
_INT64: Final = 2**63 - 1


_T = TypeVar("_T")


class _Interner(Generic[_T]):
    """A table of distinct values and the index of each."""

    __slots__ = ("index", "values")

    def __init__(self, first: Iterable[_T] = ()) -> None:
        self.values: list[_T] = []
        self.index: dict[_T, int] = {}
        for value in first:
            self.add(value)

    def add(self, value: _T) -> int:
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
    :meth:`Dataset.load <antq_core.Dataset.load>` build one.
    """

    def __init__(self) -> None:
        self._metrics: _Interner[str] = _Interner()
        self._subjects: _Interner[SubjectRef] = _Interner()
        self._periods: _Interner[Period] = _Interner()
        self._units: _Interner[Unit] = _Interner()
        self._disaggregations: _Interner[Disaggregation] = _Interner([EMPTY_DISAGGREGATION])
        self._texts: _Interner[str | None] = _Interner([None])
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
        store = cls()
        for o in observations:
            store._append(o)
        return store

    def _append(self, o: Observation) -> None:
        """Add one observation (already validated by its model)."""
        row = len(self._metric)
        self._metric.append(self._metrics.add(o.metric))
        self._subject.append(self._subjects.add(o.subject))
        self._period.append(self._periods.add(o.period))
        self._unit.append(self._units.add(o.unit))
        self._qualifier.append(_QUALIFIER_INDEX[o.qualifier])
        self._disaggregation.append(self._disaggregations.add(o.disaggregation))
        self._source.append(self._texts.add(o.source))
        self._note.append(self._texts.add(o.note))
        if type(o.value) is int and o.value <= _INT64:
            self._value.append(o.value)
        else:
            self._value.append(0)
            self._exact[row] = o.value

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
