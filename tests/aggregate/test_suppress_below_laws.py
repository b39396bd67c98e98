"""Laws of ``aggregate(..., suppress_below=k)`` on generated data, both engines.

- No hidden count of people follows, by exact rational arithmetic, from the
  published cells and the row, column, grand and parent totals the table
  lets a reader know (every total not listed in ``withheld``); across the
  levels of ``aggregate_rollup`` too, where each level's cells are the totals
  of the level below.
- Suppression moves nothing: the same rows, keys and observation counts as
  without it, every observation in a row, ``unplaceable`` or ``excluded``, and
  every published row unchanged.
- A hidden value and its observation count are in no export: ``to_dict``,
  ``to_dicts``, ``to_polars``, JSON, CSV and xlsx written from the frame.
- Both engines hide the same cells.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminLevel,
    AdminUnit,
    AggregateTable,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    MetricKind,
    Observation,
    Period,
    SubjectKind,
    SubjectRef,
    Unit,
    aggregate,
    aggregate_rollup,
)
from antq_core.privacy import Suppression
from antq_core.testing.strategies import gazetteers, qualifiers

ENGINES = ("python", "polars")
PEOPLE = ("helped", "members")
METRICS = (
    MetricDefinition(
        id="helped",
        name_vi="Số người được giúp",
        name_en="People helped",
        unit=Unit.get("person"),
        kind=MetricKind.FLOW,
    ),
    MetricDefinition(
        id="members",
        name_vi="Số hội viên",
        name_en="Members",
        unit=Unit.get("member"),
        kind=MetricKind.STOCK,
    ),
    MetricDefinition(
        id="cases",
        name_vi="Vụ việc",
        name_en="Cases",
        unit=Unit.get("case"),
        kind=MetricKind.FLOW,
    ),
)
# Few months, so that a cell holds few figures: many small cells to hide.
MONTHS = [Period.month(year, month) for year in (2016, 2017) for month in (1, 7)]
# Many small counts, some zeros, some large ones.
VALUES = st.integers(0, 3) | st.integers(1, 3) | st.integers(4, 40)


@st.composite
def people_datasets(draw: st.DrawFn, *, above_communes: bool) -> Dataset:
    """Counts of people (a flow and a stock) and of cases by unit and month."""
    gazetteer: Gazetteer = draw(gazetteers(max_provinces=2, max_children=3))
    deep = [u.code for u in gazetteer if u.level in {AdminLevel.COMMUNE, AdminLevel.VILLAGE}]
    assume(any(u.level is AdminLevel.COMMUNE for u in gazetteer))
    codes = [u.code for u in gazetteer] if above_communes else deep
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from([m.id for m in METRICS]),
                st.sampled_from(codes),
                st.sampled_from(MONTHS),
            ),
            min_size=6,
            max_size=40,
            unique=True,
        )
    )
    # No figure encloses another over space (a stock: in any period; a flow: in its month).
    kept: list[tuple[str, str, Period]] = []
    for metric, code, month in keys:
        clash = any(
            m == metric
            and (metric == "members" or p == month)
            and (c in gazetteer.lineage(code)[1:] or code in gazetteer.lineage(c)[1:])
            for m, c, p in kept
        )
        if not clash:
            kept.append((metric, code, month))
    rows = [
        Observation(
            metric=metric,
            subject=SubjectRef(SubjectKind.UNIT, code),
            period=month,
            unit=Unit.get({"helped": "person", "members": "member"}.get(metric, "case")),
            value=draw(VALUES),
            qualifier=draw(qualifiers()),
        )
        for metric, code, month in kept
    ]
    return Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Số người"),
        metrics=METRICS,
        observations=rows,
    )


# -- an independent check, by plain Gaussian elimination over the rationals ------------


def _rank(rows: Sequence[Sequence[Fraction]]) -> int:
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


def _determined(known: list[list[Fraction]], asked: list[list[Fraction]]) -> list[int]:
    """Which of the ``asked`` linear forms follow from the ``known`` ones."""
    if not known:
        return []
    base = _rank(known)
    return [i for i, form in enumerate(asked) if _rank([*known, form]) == base]


def _people(table: AggregateTable) -> list[int]:
    return [
        i
        for i, row in enumerate(table.rows)
        if row.metric in PEOPLE and (row.quantity is not None or row.suppressed is not None)
    ]


_Total = tuple[str, str, tuple[tuple[str, str], ...]]


def _totals(table: AggregateTable, gazetteer: Gazetteer) -> dict[_Total, list[int]]:
    """Every total a reader may know, with its cells: each by-name summed, the others fixed."""
    levels = {level.value for level in AdminLevel}
    lines: dict[_Total, list[int]] = {}
    for i in _people(table):
        row = table.rows[i]
        keys = {k: str(v) for k, v in row.keys.items()}
        for name in table.by or ("",):
            rest = tuple(sorted((k, v) for k, v in keys.items() if k != name))
            lines.setdefault((row.metric, name, rest), []).append(i)
            if name in levels:
                parent = gazetteer.unit(keys[name]).parent
                if parent is not None:
                    under = tuple(sorted((*rest, ("parent", parent))))
                    lines.setdefault((row.metric, f"parent:{name}", under), []).append(i)
    withheld = {(w.metric, w.over, tuple(sorted(w.fixed.items()))) for w in table.withheld}
    return {line: cells for line, cells in lines.items() if line not in withheld}


def _recoverable_in(table: AggregateTable, gazetteer: Gazetteer) -> list[int]:
    """Hidden cells that follow from the published cells and the totals not withheld."""
    cells = _people(table)
    hidden = [i for i in cells if table.rows[i].suppressed is not None]
    column = {i: j for j, i in enumerate(hidden)}
    known = []
    for members in _totals(table, gazetteer).values():
        form = [Fraction(0)] * len(hidden)
        for i in members:
            if i in column:
                form[column[i]] = Fraction(1)
        if any(form):
            known.append(form)
    unit = [[Fraction(int(j == k)) for k in range(len(hidden))] for j in range(len(hidden))]
    return [hidden[j] for j in _determined(known, unit)]


# -- exports ----------------------------------------------------------------------------


def _csv_rows(table: AggregateTable) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(table.to_polars().write_csv())))


def _xlsx_rows(table: AggregateTable, path: Path) -> list[dict[str, Any]]:
    table.to_pandas().to_excel(path, index=False, engine="openpyxl")
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book.active
        assert sheet is not None
        header, *body = sheet.iter_rows(values_only=True)
    finally:
        book.close()
    return [dict(zip(header, values, strict=True)) for values in body]


def _check_exports(table: AggregateTable, path: Path) -> None:
    """No export writes a hidden value, unit, qualifier or observation count."""
    rows = table.rows
    exported = {
        "to_dicts": table.to_dicts(),
        "to_dict": table.to_dict()["rows"],
        "json": json.loads(json.dumps(table.to_dict()))["rows"],
        "polars": table.to_polars().to_dicts(),
        "csv": _csv_rows(table),
        "xlsx": _xlsx_rows(table, path),
    }
    empty = {None, ""}
    for name, data in exported.items():
        assert len(data) == len(rows), name
        for row, out in zip(rows, data, strict=True):
            assert out["metric"] == row.metric, name
            if row.suppressed is None:
                assert out["suppressed"] in empty, name
                assert str(out["observations"]) == str(row.observations), name
                continue
            assert out["suppressed"] == row.suppressed.value, name
            for field in ("value", "observations"):
                assert out[field] in empty, (name, field)
            if name not in {"polars", "csv", "xlsx"}:  # the frame has no null unit column
                assert out["unit"] is None, name
                assert out["qualifier"] is None, name


def _check_unchanged(plain: AggregateTable, hidden: AggregateTable, k: int) -> None:
    """The same rows, keys and counts; published rows as they were; the primary cells."""
    assert hidden.suppressed_below == k
    assert len(hidden) == len(plain)
    assert hidden.unplaceable == plain.unplaceable
    assert hidden.excluded == plain.excluded
    for before, after in zip(plain.rows, hidden.rows, strict=True):
        assert after.keys == before.keys
        assert after.metric == before.metric
        assert after.observations == before.observations  # still accounted for
        value = None if before.quantity is None else before.quantity.value
        people = after.metric in PEOPLE
        if people and value is not None and 0 < value < k:
            assert after.suppressed is Suppression.PRIMARY
        elif after.suppressed is None:
            assert after == before
        else:
            assert people
            assert after.suppressed is Suppression.COMPLEMENTARY
            assert value is not None
            assert value > 0  # a zero cannot protect
        if after.suppressed is not None:
            assert after.quantity is None


def _accounted(dataset: Dataset, table: AggregateTable) -> None:
    """Every observation of the metrics: in one row, unplaceable, or excluded."""
    placed = sum(row.observations for row in table.rows)
    assert placed + len(table.unplaceable) + len(table.excluded) == len(dataset.observations)


GROUPINGS = [
    ["district"],
    ["commune"],
    ["district", "year"],
    ["commune", "half_year"],
    ["year", "province"],
    ["district", "quarter"],
    [],
]


@settings(
    max_examples=60,
    deadline=None,  # each example searches the table's bounds: hundreds of ms, by design
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    dataset=people_datasets(above_communes=True),
    by=st.sampled_from(GROUPINGS),
    k=st.integers(2, 8),
)
def test_no_hidden_count_follows_from_the_totals(
    dataset: Dataset, by: list[str], k: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("xlsx") / "table.xlsx"
    metrics = [m.id for m in METRICS]
    found = {}
    for engine in ENGINES:
        plain = aggregate(dataset, metrics, by=by, engine=engine)
        hidden = aggregate(dataset, metrics, by=by, engine=engine, suppress_below=k)
        _check_unchanged(plain, hidden, k)
        _accounted(dataset, hidden)
        assert _recoverable_in(hidden, dataset.gazetteer) == []
        _check_exports(hidden, path)
        found[engine] = hidden
    python, polars = found.values()
    assert [r.to_dict() for r in python] == [r.to_dict() for r in polars]
    assert python.withheld == polars.withheld
    kinds = {r.suppressed.value for r in python if r.suppressed is not None}
    event(f"hidden: {sorted(kinds)}")


def _cell_forms(
    tables: Mapping[str, AggregateTable], gazetteer: Gazetteer, deepest: str
) -> tuple[list[tuple[str, int]], dict[tuple[str, int], list[Fraction]]]:
    """Each level's people cells as sums of the deepest level's cells (their linear forms)."""
    leaf = tables[deepest]
    leaves = _people(leaf)
    forms: dict[tuple[str, int], list[Fraction]] = {}
    for level, table in tables.items():
        for i in _people(table):
            row = table.rows[i]
            others = {k: str(v) for k, v in row.keys.items() if k != level}
            form = []
            for j in leaves:
                cell = leaf.rows[j]
                unit = str(cell.keys[deepest])
                above = gazetteer.ancestor_at(unit, level)
                same = (
                    cell.metric == row.metric
                    and above is not None
                    and above.code == str(row.keys[level])
                    and {k: str(v) for k, v in cell.keys.items() if k != deepest} == others
                )
                form.append(Fraction(int(same)))
            forms[level, i] = form
    return list(forms), forms


@settings(
    max_examples=40,
    deadline=None,  # each example searches the table's bounds: hundreds of ms, by design
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(people_datasets(above_communes=False), st.sampled_from([[], ["year"]]), st.integers(2, 6))
def test_no_hidden_count_follows_from_the_other_levels(
    dataset: Dataset, time: list[str], k: int
) -> None:
    """Observations all at or under communes: a district's cell is the sum of its communes'.

    A reader holding every level's table knows each published cell and each
    total not withheld, of every level, as sums of the communes' cells: no
    hidden cell of any level may follow from all of that together.
    """
    metrics = [m.id for m in METRICS]
    found = {}
    for engine in ENGINES:
        tables = aggregate_rollup(
            dataset, metrics, by=["commune", *time], engine=engine, suppress_below=k
        )
        plain = aggregate_rollup(dataset, metrics, by=["commune", *time], engine=engine)
        for level, table in tables.items():
            _check_unchanged(plain[level], table, k)
            _accounted(dataset, table)
        cells, forms = _cell_forms(tables, dataset.gazetteer, "commune")
        known: list[list[Fraction]] = []
        hidden: list[tuple[str, int]] = []
        for level, i in cells:
            if tables[level].rows[i].suppressed is None:
                known.append(forms[level, i])
            else:
                hidden.append((level, i))
        for level, table in tables.items():
            for members in _totals(table, dataset.gazetteer).values():
                total = [sum(col) for col in zip(*(forms[level, i] for i in members), strict=True)]
                known.append([Fraction(v) for v in total])
        recovered = _determined(known, [forms[c] for c in hidden])
        assert [hidden[i] for i in recovered] == []
        found[engine] = tables
        levels = sum(any(r.suppressed for r in t) for t in tables.values())
        event(f"levels with hidden cells: {levels}")
    python, polars = found.values()
    for level in python:
        assert [r.to_dict() for r in python[level]] == [r.to_dict() for r in polars[level]]


def test_a_hand_made_table_keeps_its_rows_unmodified() -> None:
    """Suppression through aggregate() never changes a row it does not hide (the 2 x 2 case)."""
    gazetteer = Gazetteer(
        "g",
        [
            AdminUnit("01", "Một", "province"),
            AdminUnit("001", "Hai", "district", parent="01"),
            AdminUnit("00101", "Ba", "commune", parent="001"),
            AdminUnit("00102", "Bốn", "commune", parent="001"),
        ],
    )
    values = {("00101", 2016): 12, ("00101", 2017): 2, ("00102", 2016): 9, ("00102", 2017): 15}
    dataset = Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Bốn ô"),
        metrics=METRICS,
        observations=[
            Observation(
                metric="helped",
                subject=SubjectRef(SubjectKind.UNIT, code),
                period=Period.year(year),
                unit=Unit.get("person"),
                value=n,
            )
            for (code, year), n in values.items()
        ],
    )
    for engine in ENGINES:
        table = aggregate(
            dataset, "helped", by=["commune", "year"], engine=engine, suppress_below=5
        )
        marks = [r.suppressed for r in table]
        # The 2 is primary; its row, its column and then the last cell must go with it.
        assert marks == [
            Suppression.COMPLEMENTARY,
            Suppression.PRIMARY,
            Suppression.COMPLEMENTARY,
            Suppression.COMPLEMENTARY,
        ]
        assert _recoverable_in(table, gazetteer) == []


def test_a_district_hidden_alone_is_not_given_away_by_its_communes() -> None:
    """The case the levels property found when each level was suppressed on its own.

    Commune 1 has 7 then 1 people, commune 2 has 5 in 2016 (k = 6). Suppressed
    level by level, the district's 2016 + 2017 total stayed known while the
    communes' 2016 total and commune 1's two years were known too: 13 - 12 = 1.
    """
    gazetteer = Gazetteer(
        "g",
        [
            AdminUnit("02", "A", "province"),
            AdminUnit("100", "B", "district", parent="02"),
            AdminUnit("00001", "C", "commune", parent="100"),
            AdminUnit("00002", "D", "commune", parent="100"),
        ],
    )
    figures = [("00001", "2016-03", 7), ("00002", "2016-01", 5), ("00001", "2017-11", 1)]
    dataset = Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Ba số"),
        metrics=METRICS,
        observations=[
            Observation(
                metric="helped",
                subject=SubjectRef(SubjectKind.UNIT, code),
                period=Period.parse(period),
                unit=Unit.get("person"),
                value=n,
            )
            for code, period, n in figures
        ],
    )
    for engine in ENGINES:
        tables = aggregate_rollup(
            dataset, "helped", by=["commune", "year"], engine=engine, suppress_below=6
        )
        cells, forms = _cell_forms(tables, gazetteer, "commune")
        known = [forms[c] for c in cells if tables[c[0]].rows[c[1]].suppressed is None]
        for level, table in tables.items():
            for members in _totals(table, gazetteer).values():
                total = [sum(col) for col in zip(*(forms[level, i] for i in members), strict=True)]
                known.append([Fraction(v) for v in total])
        hidden = [forms[c] for c in cells if tables[c[0]].rows[c[1]].suppressed is not None]
        assert hidden
        assert _determined(known, hidden) == []
