"""suppress_small_counts(): no hidden count of people can be recovered from the totals."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import antq_core
from antq_core import (
    AggregateRow,
    AggregateTable,
    Observation,
    Participant,
    Quantity,
    aggregate,
)
from antq_core.errors import InvalidValueError
from antq_core.privacy import SuppressedTable, Suppression, suppress_small_counts


def _table(cells: Mapping[tuple[str, ...], int], by: Sequence[str]) -> AggregateTable:
    rows = tuple(
        AggregateRow(dict(zip(by, key, strict=True)), "helped", Quantity(n, "person"), n, 0)
        for key, n in cells.items()
    )
    return AggregateTable(rows=rows, by=tuple(by), engine="python", unplaceable=())


def _rank(rows: list[list[Fraction]]) -> int:
    """The rank of a matrix, by plain Gaussian elimination (independent of the library's)."""
    matrix = [list(r) for r in rows]
    rank, width = 0, len(matrix[0]) if matrix else 0
    for col in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][col]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][col]:
                f = matrix[r][col] / matrix[rank][col]
                matrix[r] = [a - f * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


def _groups(
    table: SuppressedTable, parents: Mapping[str, Mapping[str, str]]
) -> dict[tuple[object, ...], list[int]]:
    """The totals a reader may know: each by-name summed with the others fixed; parents."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, row in enumerate(table.rows):
        keys = {k: str(v) for k, v in row.keys.items()}
        for name in table.by or ("",):
            rest = tuple(sorted((k, v) for k, v in keys.items() if k != name))
            groups.setdefault((row.metric, name, rest), []).append(i)
            if name in parents:
                groups.setdefault(
                    (row.metric, "parent", name, rest, parents[name][keys[name]]), []
                ).append(i)
    return groups


def _recoverable(
    table: SuppressedTable, parents: Mapping[str, Mapping[str, str]] | None = None
) -> list[int]:
    """Hidden cells whose value follows from the published cells and the published totals."""
    hidden = [i for i, r in enumerate(table.rows) if r.suppressed is not None]
    withheld = {
        (w.metric, w.over, tuple(sorted(w.fixed.items())))
        for w in table.withheld
        if not w.over.startswith("parent:")
    }
    withheld_parent = {
        (w.metric, w.over.removeprefix("parent:"), w.fixed["parent"])
        for w in table.withheld
        if w.over.startswith("parent:")
    }
    equations = []
    for group, cells in _groups(table, parents or {}).items():
        if group[1] == "parent":
            if (group[0], group[2], group[4]) in withheld_parent:
                continue
        elif group in withheld:
            continue
        row = [Fraction(int(i in cells)) for i in hidden]
        if any(row):
            equations.append(row)
    if not equations:
        return []
    base = _rank(equations)
    found = []
    for j, cell in enumerate(hidden):
        unit = [Fraction(int(k == j)) for k in range(len(hidden))]
        if _rank([*equations, unit]) == base:  # e_j in the row space: determined
            found.append(cell)
    return found


counts = st.integers(0, 40) | st.integers(1, 4)  # many small ones


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[tuple[str, ...], int], list[str]]:
    dims = draw(st.integers(1, 3))
    by = ["commune", "year", "sex"][:dims]
    sizes = [draw(st.integers(1, 4)) for _ in by]
    keys = list(
        itertools.product(
            *[[f"{n[0]}{i}" for i in range(s)] for n, s in zip(by, sizes, strict=True)]
        )
    )
    present = draw(st.lists(st.booleans(), min_size=len(keys), max_size=len(keys)))
    cells = {
        k: draw(counts) for k, keep in zip(keys, present, strict=True) if keep or len(keys) == 1
    }
    return cells, by


@given(tables(), st.integers(1, 8))
def test_no_hidden_count_can_be_recovered(
    case: tuple[dict[tuple[str, ...], int], list[str]], threshold: int
) -> None:
    cells, by = case
    table = _table(cells, by)
    published = suppress_small_counts(table, threshold)
    assert len(published) == len(table)
    for row, original in zip(published, table, strict=True):
        value = original.quantity.value if original.quantity else None
        assert isinstance(value, int)
        if 0 < value < threshold:
            assert row.suppressed is Suppression.PRIMARY
        elif row.suppressed is None:
            assert row.quantity == original.quantity  # published as it was
            assert row.observations == original.observations
        else:
            assert row.suppressed is Suppression.COMPLEMENTARY
            assert value > 0  # a complement is never a zero (a zero pins its partners)
        if row.suppressed is not None:
            assert row.quantity is None
            assert row.observations is None
    assert _recoverable(published) == []


@given(st.dictionaries(st.sampled_from("abcdefgh"), counts, min_size=1), st.integers(2, 6))
def test_parent_totals_are_protected_too(cells: dict[str, int], threshold: int) -> None:
    parents = {"commune": {c: ("d1" if c in "abcd" else "d2") for c in "abcdefgh"}}
    table = _table({(c,): n for c, n in cells.items()}, ["commune"])
    published = suppress_small_counts(table, threshold, parents=parents)
    assert _recoverable(published, parents) == []
    for row in published:
        n = cells[str(row.keys["commune"])]
        assert (row.suppressed is Suppression.PRIMARY) is (0 < n < threshold)


def test_a_lone_small_cell_withholds_its_total() -> None:
    published = suppress_small_counts(_table({("a",): 2}, ["commune"]), 5)
    assert published[0].suppressed is Suppression.PRIMARY
    (total,) = published.withheld
    assert (total.metric, total.over, dict(total.fixed)) == ("helped", "commune", {})
    # Two cells, the other zero: zero cannot protect (the total would give the 2 away).
    published = suppress_small_counts(_table({("a",): 2, ("b",): 0}, ["commune"]), 5)
    assert [r.suppressed for r in published] == [Suppression.PRIMARY, None]
    assert len(published.withheld) == 1


def test_the_smallest_complement_is_chosen() -> None:
    cells = {("a",): 2, ("b",): 50, ("c",): 7, ("d",): 30}
    published = suppress_small_counts(_table(cells, ["commune"]), 3)
    assert [r.suppressed for r in published] == [
        Suppression.PRIMARY,
        None,
        Suppression.COMPLEMENTARY,
        None,
    ]
    assert published.to_dicts()[2]["reason"].startswith("hidden too")
    assert published.to_dicts("vi")[0]["reason"] == "Ẩn: ít hơn 3 người"
    assert "2 suppressed below 3" in repr(published)


def test_nothing_small_nothing_hidden() -> None:
    cells = {("a", "x"): 5, ("a", "y"): 0, ("b", "x"): 9, ("b", "y"): 12}
    published = suppress_small_counts(_table(cells, ["commune", "year"]), 5)
    assert all(r.suppressed is None for r in published)
    assert published.withheld == ()


def test_other_metrics_pass_through(lai_chau: antq_core.Dataset) -> None:
    table = aggregate(lai_chau, list(lai_chau.metrics), by=["district"])
    published = suppress_small_counts(table, 1000)
    for row, original in zip(published, table, strict=True):
        people = original.quantity is not None and original.quantity.unit.dimension in {
            "person",
            "membership",
        }
        if not people:
            assert row.suppressed is None
            assert row.quantity == original.quantity
    assert any(r.suppressed is not None for r in published)  # 29, 18, 7 people are < 1000
    only = suppress_small_counts(table, 1000, metrics=["cases_resolved_jointly"])
    assert [r.metric for r in only if r.suppressed] == ["cases_resolved_jointly"]


def test_distinct_people_from_participant_records() -> None:
    sample = antq_core.sample()
    people = [
        Participant(id=f"p{i}", roles=["released_prisoner"], admin_unit=unit)
        for i, unit in enumerate(["03589.01"] * 6 + ["03589.02"] * 2 + ["03589.03"] * 9)
    ]
    observations = [
        Observation.model_validate(
            {
                "metric": "released_prisoners_supported_distinct",
                "subject": f"participant:{p.id}",
                "period": f"{2016 + i % 2}",
                "unit": "person",
                "value": 1,
            }
        )
        for i, p in enumerate(people)
    ]
    dataset = sample.replace(participants=people, observations=observations)
    table = aggregate(dataset, ["released_prisoners_supported_distinct"], by=["village", "year"])
    published = suppress_small_counts(table, 3)
    small = [
        r for r, o in zip(published, table, strict=True) if o.quantity and o.quantity.value < 3
    ]
    assert small
    assert all(r.suppressed is Suppression.PRIMARY for r in small)
    assert _recoverable(published) == []


@pytest.mark.parametrize("threshold", [0, -1, 2.5, True, "3"])
def test_the_threshold_is_a_whole_number_of_at_least_one(threshold: object) -> None:
    with pytest.raises(InvalidValueError):
        suppress_small_counts(_table({("a",): 2}, ["commune"]), threshold)


def test_a_fraction_of_a_person_is_refused() -> None:
    row = AggregateRow({"commune": "a"}, "helped", Quantity(Decimal("2.5"), "m2"), 1, 0)
    table = AggregateTable(rows=(row,), by=("commune",), engine="python", unplaceable=())
    with pytest.raises(InvalidValueError):
        suppress_small_counts(table, 3, metrics=["helped"])
