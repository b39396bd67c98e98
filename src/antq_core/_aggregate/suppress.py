"""Small-cell suppression of published counts of people, with complementary suppression."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Final

import attrs

from antq_core._aggregate.table import (
    AggregateRow,
    AggregateTable,
    KeyValue,
    SpaceSource,
    Suppression,
    WithheldTotal,
)
from antq_core._dataset.dataset import Dataset
from antq_core._values.geo import AdminLevel
from antq_core._values.quantity import Quantity
from antq_core.errors import InvalidValueError

__all__ = [
    "PEOPLE_DIMENSIONS",
    "SuppressedRow",
    "SuppressedTable",
    "Suppression",
    "WithheldTotal",
    "parents_in",
    "suppress_levels",
    "suppress_small_counts",
    "suppress_table",
]

PEOPLE_DIMENSIONS: Final = frozenset({"person", "membership"})
"""Unit dimensions whose counts are counts of people (protected by default)."""


def _freeze(keys: Mapping[str, KeyValue]) -> Mapping[str, KeyValue]:
    return MappingProxyType(dict(keys))


@attrs.frozen
class SuppressedRow:
    """A row of an :class:`~antq_core.AggregateTable` as it may be published.

    Attributes:
        keys: The group, as in :class:`~antq_core.AggregateRow`.
        metric: Id of the metric.
        quantity: The aggregate; ``None`` when suppressed.
        observations: How many observations contributed; ``None`` when
            suppressed (for distinct people it is a count of people too).
        missing: As in :class:`~antq_core.AggregateRow`.
        suppressed: Why it is hidden, or ``None`` when it is published.
        source: As in :class:`~antq_core.AggregateRow`.
    """

    keys: Mapping[str, KeyValue] = attrs.field(converter=_freeze, hash=False)
    metric: str
    quantity: Quantity | None
    observations: int | None
    missing: int
    suppressed: Suppression | None
    source: SpaceSource = SpaceSource.SUMMED

    def to_dict(self, threshold: int, lang: str = "en") -> dict[str, Any]:
        """Plain values as in :meth:`~antq_core.AggregateRow.to_dict`, and the reason."""
        q = self.quantity
        return {
            **{name: str(value) for name, value in self.keys.items()},
            "metric": self.metric,
            "value": None if q is None else q.value,
            "unit": None if q is None else q.unit.code,
            "qualifier": None if q is None else q.qualifier.value,
            "observations": self.observations,
            "missing": self.missing,
            "source": self.source.value,
            "suppressed": None if self.suppressed is None else self.suppressed.value,
            "reason": None if self.suppressed is None else self.suppressed.reason(threshold, lang),
        }


@attrs.frozen(eq=False)
class SuppressedTable(Sequence[SuppressedRow]):
    """An aggregate table ready to publish: small counts of people hidden.

    Attributes:
        rows: The rows, in the table's order, each published or suppressed.
        by: The grouping names.
        threshold: Counts from 1 to ``threshold - 1`` were hidden.
        withheld: Totals that must not be published with the table.
    """

    rows: tuple[SuppressedRow, ...]
    by: tuple[str, ...]
    threshold: int
    withheld: tuple[WithheldTotal, ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[SuppressedRow]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> SuppressedRow:  # type: ignore[override]
        return self.rows[index]

    def __repr__(self) -> str:
        hidden = sum(r.suppressed is not None for r in self.rows)
        return (
            f"<SuppressedTable by {list(self.by)}: {len(self.rows)} rows, {hidden} suppressed"
            f" below {self.threshold}, {len(self.withheld)} totals withheld>"
        )

    def to_dicts(self, lang: str = "en") -> list[dict[str, Any]]:
        """Every row as :meth:`SuppressedRow.to_dict` gives it."""
        return [row.to_dict(self.threshold, lang) for row in self.rows]


# A group of cells whose total may be published: (metric, over, fixed keys as a tuple).
_Line = tuple[str, str, tuple[tuple[str, str], ...]]


def suppress_small_counts(
    table: AggregateTable,
    threshold: int,
    *,
    metrics: Iterable[str] | None = None,
    parents: Mapping[str, Mapping[str, str]] | None = None,
) -> SuppressedTable:
    """Hide counts of people below ``threshold``, and enough others that none can be recovered.

    A cell that counts from 1 to ``threshold - 1`` people is hidden
    (*primary* suppression). Then, since published totals let a reader
    subtract, other cells are hidden too (*complementary* suppression): every
    total a reader may know (the sum over each ``by`` name with the other
    keys fixed, i.e. each row and column total and the grand total; with
    ``parents``, also the sum of a name's cells under one parent) either
    covers no hidden cell or covers at least two, and finally no hidden cell
    is determined by all those totals together (checked exactly, by linear
    algebra over the rationals). Complements are chosen among cells of at
    least one person, smallest first. A total whose hidden cell has no
    possible complement (a group of one cell) is listed in
    :attr:`SuppressedTable.withheld`: it must not be published.

    Zero is published: a group with no people reveals no person. Rows of
    other metrics, and rows with no value, pass through unchanged.

    >>> from antq_core import AggregateRow, AggregateTable, Quantity
    >>> from antq_core.privacy import suppress_small_counts
    >>> counts = {("a", "2016"): 12, ("a", "2017"): 2, ("b", "2016"): 9, ("b", "2017"): 15}
    >>> table = AggregateTable(
    ...     rows=tuple(
    ...         AggregateRow({"commune": c, "year": y}, "helped", Quantity(n, "person"), n, 0)
    ...         for (c, y), n in counts.items()
    ...     ),
    ...     by=("commune", "year"),
    ...     engine="python",
    ...     unplaceable=(),
    ... )
    >>> published = suppress_small_counts(table, 5)
    >>> [(r.keys["commune"], r.keys["year"], r.quantity, r.suppressed) for r in published]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('a', '2016', None, <Suppression.COMPLEMENTARY: 'complementary'>),
     ('a', '2017', None, <Suppression.PRIMARY: 'primary'>),
     ('b', '2016', None, <Suppression.COMPLEMENTARY: 'complementary'>),
     ('b', '2017', None, <Suppression.COMPLEMENTARY: 'complementary'>)]

    The 2 in commune a, 2017 would follow from the row total of commune a
    (14) and the 12 beside it; hiding 12 moves the problem to the 2016
    column, and so on round the table.

    Args:
        table: What :func:`~antq_core.aggregate` returned.
        threshold: The smallest count that may be published (at least 1;
            1 hides nothing). Statistics offices commonly use 3 to 10.
        metrics: Metric ids to protect; by default every row whose unit
            counts people (:data:`PEOPLE_DIMENSIONS`: persons, members).
        parents: For a ``by`` name, the parent of each of its values (for
            communes, ``{commune code: district code}``), so the total of a
            parent is protected too.

    Returns:
        The table with each row published or suppressed.

    Raises:
        InvalidValueError: ``threshold`` is not a whole number of at least 1,
            or a protected cell is not a whole number of people.

    .. versionadded:: 0.1.0
    """
    status, held = _suppress(table, threshold, metrics, parents)
    rows = tuple(
        SuppressedRow(
            row.keys,
            row.metric,
            None if i in status else row.quantity,
            None if i in status else row.observations,
            row.missing,
            status.get(i),
            row.source,
        )
        for i, row in enumerate(table.rows)
    )
    return SuppressedTable(rows, tuple(table.by), threshold, held)


def suppress_table(
    table: AggregateTable,
    threshold: int,
    *,
    parents: Mapping[str, Mapping[str, str]] | None = None,
) -> AggregateTable:
    """``table`` with its counts of people below ``threshold`` suppressed, as rows that say so.

    The same rows in the same order, as :func:`suppress_small_counts`
    decides: a suppressed row has no quantity and its
    :attr:`~antq_core.AggregateRow.suppressed` reason; every other row is
    unchanged. ``unplaceable`` and ``excluded`` are kept, and the totals that
    must not be published are in :attr:`~antq_core.AggregateTable.withheld`.
    """
    status, held = _suppress(table, threshold, None, parents)
    rows = tuple(
        attrs.evolve(row, quantity=None, suppressed=status[i]) if i in status else row
        for i, row in enumerate(table.rows)
    )
    return AggregateTable(
        rows=rows,
        by=tuple(table.by),
        engine=table.engine,
        unplaceable=table.unplaceable,
        list_excluded=lambda: table.excluded,
        suppressed_below=threshold,
        withheld=held,
    )


def parents_in(dataset: Dataset, by: Sequence[str]) -> dict[str, dict[str, str]]:
    """For each administrative level in ``by``, the parent unit of each unit of the gazetteer."""
    levels = {level.value for level in AdminLevel}
    parent_of = {u.code: u.parent for u in dataset.gazetteer if u.parent is not None}
    return {name: parent_of for name in by if name in levels}


def _suppress(
    table: AggregateTable,
    threshold: int,
    metrics: Iterable[str] | None,
    parents: Mapping[str, Mapping[str, str]] | None,
) -> tuple[dict[int, Suppression], tuple[WithheldTotal, ...]]:
    _check_threshold(threshold)
    values = _people_values(table, metrics)
    lines = _lines(table.rows, values, table.by, parents or {})
    status, withheld = _protect(values, lines, threshold)
    held = tuple(WithheldTotal(line[0], line[1], dict(line[2])) for line in sorted(withheld))
    return status, held


def _check_threshold(threshold: int) -> None:
    # Callers are not always type-checked: a float or a bool is refused here.
    if type(threshold) is not int or threshold < 1:
        raise InvalidValueError("threshold", threshold, "give a whole number of at least 1")


def _people_values(table: AggregateTable, metrics: Iterable[str] | None) -> dict[int, int]:
    """The protected cells of ``table`` (by row index) and their counts of people."""
    wanted = None if metrics is None else frozenset(metrics)
    values: dict[int, int] = {}
    for i, row in enumerate(table.rows):
        if row.quantity is None:
            continue
        if wanted is None:
            protected = row.quantity.unit.dimension in PEOPLE_DIMENSIONS
        else:
            protected = row.metric in wanted
        if not protected:
            continue
        value = row.quantity.value
        if isinstance(value, bool) or int(value) != value or value < 0:
            reason = "a count of people is a whole number of at least 0"
            raise InvalidValueError(f"value of row {i} ({row.metric})", value, reason)
        values[i] = int(value)
    return values


def suppress_levels(
    tables: Mapping[str, AggregateTable], threshold: int, dataset: Dataset
) -> dict[str, AggregateTable]:
    """The tables of :func:`~antq_core.aggregate_rollup`, suppressed together.

    Each level's cells are protected against its own row, column, grand and
    parent totals, as :func:`suppress_table` does; and since a reader holds
    every level, a cell of a level is also the total of its cells one level
    down (when the values say so: nothing anchored between them). Those
    identities join the totals, so that no hidden cell of any level follows
    from the published cells of all levels together.
    """
    _check_threshold(threshold)
    gazetteer = dataset.gazetteer
    names = list(tables)
    offset: dict[str, int] = {}
    values: dict[int, int] = {}
    lines: dict[Any, list[int]] = {}
    for name in names:
        table = tables[name]
        base = offset[name] = sum(len(tables[n].rows) for n in names[: names.index(name)])
        local = _people_values(table, None)
        values.update({base + i: v for i, v in local.items()})
        for line, cells in _lines(
            table.rows, local, table.by, parents_in(dataset, table.by)
        ).items():
            lines[(name, *line)] = [base + i for i in cells]
    identities: dict[Any, int] = {}
    for upper, lower in itertools.pairwise(names):
        above, below = tables[upper], tables[lower]
        cell_of: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        for i in range(len(above.rows)):
            if offset[upper] + i in values:
                row = above.rows[i]
                keys = tuple((k, str(v)) for k, v in row.keys.items())
                cell_of[row.metric, keys] = offset[upper] + i
        children: dict[int, list[int]] = {}
        for i in range(len(below.rows)):
            if offset[lower] + i not in values:
                continue
            row = below.rows[i]
            unit = gazetteer.ancestor_at(str(row.keys[lower]), upper)
            if unit is None:
                continue
            keys = tuple(
                (upper, unit.code) if k == lower else (k, str(v)) for k, v in row.keys.items()
            )
            parent = cell_of.get((row.metric, keys))
            if parent is not None:
                children.setdefault(parent, []).append(offset[lower] + i)
        for parent, cells in children.items():
            # An identity only where nothing else adds to the parent (or nothing known does).
            if values[parent] == sum(values[c] for c in cells):
                key = ("identity", upper, parent)
                lines[key] = [parent, *cells]
                identities[key] = parent
    status, withheld = _protect(values, lines, threshold, identities)
    result: dict[str, AggregateTable] = {}
    for name in names:
        table, base = tables[name], offset[name]
        rows = tuple(
            attrs.evolve(row, quantity=None, suppressed=status[base + i])
            if base + i in status
            else row
            for i, row in enumerate(table.rows)
        )
        held = tuple(
            WithheldTotal(line[1], line[2], dict(line[3]))
            for line in sorted(w for w in withheld if w[0] == name)
        )
        result[name] = AggregateTable(
            rows=rows,
            by=tuple(table.by),
            engine=table.engine,
            unplaceable=table.unplaceable,
            list_excluded=lambda table=table: table.excluded,  # type: ignore[misc]
            suppressed_below=threshold,
            withheld=held,
        )
    return result


def _lines(
    rows: Sequence[AggregateRow],
    values: Mapping[int, int],
    by: Sequence[str],
    parents: Mapping[str, Mapping[str, str]],
) -> dict[_Line, list[int]]:
    """Every group of cells whose total a reader may know, with its cells."""
    lines: dict[_Line, list[int]] = {}
    for i in values:
        row = rows[i]
        keys = {name: str(value) for name, value in row.keys.items()}
        for name in by or ("",):
            fixed = tuple((k, v) for k, v in keys.items() if k != name)
            lines.setdefault((row.metric, name, fixed), []).append(i)
            parent_of = parents.get(name)
            if parent_of is not None and keys.get(name) in parent_of:
                under = (*fixed, ("parent", parent_of[keys[name]]))
                lines.setdefault((row.metric, f"parent:{name}", under), []).append(i)
    return lines


def _protect(
    values: Mapping[int, int],
    lines: Mapping[Any, list[int]],
    threshold: int,
    identities: Mapping[Any, int] | None = None,
) -> tuple[dict[int, Suppression], set[Any]]:
    """Which cells to hide, and which totals to withhold.

    ``lines`` are the groups of cells whose total a reader may know; those
    in ``identities`` are not totals but facts (a parent cell, given as the
    value, equals the sum of the other cells), which cannot be withheld.
    """
    facts = identities or {}
    status = {i: Suppression.PRIMARY for i, v in values.items() if 0 < v < threshold}
    withheld: set[Any] = set()
    if not status:
        return status, withheld
    lines_of: dict[int, list[Any]] = {}
    for line, cells in lines.items():
        for i in cells:
            lines_of.setdefault(i, []).append(line)
    order = sorted(lines, key=repr)
    while True:
        changed = False
        for line in order:
            if line in withheld:
                continue
            if sum(i in status for i in lines[line]) != 1:
                continue
            # One hidden cell in a published total: hide another, or withhold the total.
            if _hide_one_more(line, lines, values, status, withheld):
                changed = True
            elif line not in facts:
                withheld.add(line)
                changed = True
        if changed:
            continue
        exposed = _determined(status, lines, withheld, facts)
        if not exposed:
            return status, withheld
        if not _cover(
            sorted(exposed),
            lines=lines,
            lines_of=lines_of,
            values=values,
            status=status,
            withheld=withheld,
            facts=facts,
        ):
            # Only facts give them away: withhold every total holding a hidden cell (the facts
            # left then give a cell away only alone among published cells, which the first
            # step mends by hiding one of those).
            withheld.update(
                line
                for line, cells in lines.items()
                if line not in facts and any(i in status for i in cells)
            )


def _cover(
    exposed: Sequence[int],
    *,
    lines: Mapping[Any, list[int]],
    lines_of: Mapping[int, list[Any]],
    values: Mapping[int, int],
    status: dict[int, Suppression],
    withheld: set[Any],
    facts: Mapping[Any, int],
) -> bool:
    """Protect the first exposed cell that can be: hide one more beside it, or withhold."""
    for cell in exposed:
        if any(
            _hide_one_more(line, lines, values, status, withheld)
            for line in lines_of[cell]
            if line not in withheld
        ):
            return True
        more = {line for line in lines_of[cell] if line not in facts and line not in withheld}
        if more:
            withheld.update(more)
            return True
    return False


def _hide_one_more(
    line: Any,
    lines: Mapping[Any, list[int]],
    values: Mapping[int, int],
    status: dict[int, Suppression],
    withheld: set[Any],
) -> bool:
    """Hide the smallest published cell of at least one person in ``line``; whether one was."""
    if line in withheld:
        return False
    candidates = [i for i in lines[line] if i not in status and values[i] > 0]
    if not candidates:
        return False
    status[min(candidates, key=lambda i: (values[i], i))] = Suppression.COMPLEMENTARY
    return True


def _determined(
    status: Mapping[int, Suppression],
    lines: Mapping[Any, list[int]],
    withheld: set[Any],
    facts: Mapping[Any, int],
) -> list[int]:
    """Hidden cells whose value follows from the published totals, cells and facts.

    Each published total gives one equation: the sum of its hidden cells is
    known; each fact, that its parent cell less the others is known. A hidden
    cell is determined exactly when its unit vector lies in the span of those
    equations; in reduced row echelon form, when its column is a pivot whose
    row has no other entry.
    """
    hidden = sorted(status)
    column = {cell: j for j, cell in enumerate(hidden)}
    equations: list[dict[int, Fraction]] = []
    for line, cells in lines.items():
        if line in withheld:
            continue
        parent = facts.get(line)
        row = {
            column[i]: Fraction(1 if parent is None or i == parent else -1)
            for i in cells
            if i in column
        }
        if row:
            equations.append(row)
    pivots: dict[int, dict[int, Fraction]] = {}
    for equation in equations:
        row = dict(equation)
        for pivot, basis in pivots.items():
            factor = row.get(pivot)
            if factor:
                for j, v in basis.items():
                    row[j] = row.get(j, Fraction(0)) - factor * v
                row = {j: v for j, v in row.items() if v}
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {j: v / scale for j, v in row.items()}
        for other in pivots.values():
            factor = other.get(pivot)
            if factor:
                for j, v in row.items():
                    other[j] = other.get(j, Fraction(0)) - factor * v
                for j in [j for j, v in other.items() if not v]:
                    del other[j]
        pivots[pivot] = row
    return [hidden[p] for p, row in pivots.items() if len(row) == 1]
