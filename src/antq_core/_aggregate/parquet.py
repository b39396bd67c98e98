"""Aggregation over Parquet files on DuckDB, without loading the observations.

The files are the table :func:`antq_core.io.frames.write_parquet` writes (one
row per observation, labels as text, exact decimal values). The entities
(gazetteer, metrics, sites, people...) are small and come from a
:class:`~antq_core.Dataset`; the observations stay in the files and DuckDB
reads them, out of core, as often as a query needs them.

How it keeps the semantics of :func:`~antq_core.aggregate`, without a second
copy of them:

1. **Tables, not rows.** DuckDB lists the distinct metrics, subjects,
   periods, units and breakdowns of the files. They become the shared tables
   of an :class:`~antq_core.ObservationStore` with no rows, and the plan
   (:func:`._plan.make_plan`) resolves them as it resolves any store's.
2. **The scan** is the SQL of :mod:`._sql`, the same the DuckDB engine runs
   in memory, over a DuckDB table ``obs`` that joins each Parquet row's labels to
   those tables' codes.
3. **Per-row decisions** the in-memory path makes from rows (which parts of
   a figure stand for it, which figures enclose others over space) are made
   the same way, by the same functions, on a store of only the series they
   concern; the breakdown codes they change go back to DuckDB.
4. **The finish** is :func:`._finish.finish` (columns first, as
   :mod:`._columnar`), on a store that holds only the rows it reads one by
   one: those that may be unplaceable, repeated or overlapping (DuckDB finds
   them; they are few unless the data are at fault), and the chosen row of
   each stock series when the Python way is needed. Their row indexes are
   the rows' positions in the files, in the order given, as they are
   positions in :attr:`Dataset.observations <antq_core.Dataset.observations>`
   for a dataset written with ``write_parquet``. Excluded rows are found the
   same way when :attr:`AggregateTable.excluded` is first read, from the
   files read again (the connection is closed when the call returns).

The files are read twice (one pass lists the tables, one joins each row's
labels to their codes into a DuckDB table of integers, which DuckDB spills to
its ``temp_directory`` beyond its ``memory_limit``); the queries read that.

What this path refuses (:class:`~antq_core.errors.UnsupportedAggregationError`)
rather than answer differently: values written as strings
(``values="string"``) and files that lack a column of the written table. It
has no ``reporting=`` (completeness needs the forms' submissions).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs

from antq_core._aggregate import sql
from antq_core._aggregate.columnar import finish_columns
from antq_core._aggregate.duckdb_engine import (
    EXTRA,
    Chosen,
    connect,
    lookups,
    number,
    put,
    scan_relation,
)
from antq_core._aggregate.engine import PickCell, Scan
from antq_core._aggregate.finish import finish_rows, refuse_overlaps
from antq_core._aggregate.plan import Plan, make_plan
from antq_core._aggregate.semantics import ScanKind
from antq_core._aggregate.space import (
    SpaceOverlap,
    enclosing_pairs,
    maybe_enclosed,
    settle_space,
)
from antq_core._aggregate.suppress import parents_in, suppress_table
from antq_core._aggregate.table import AggregateTable, Excluded
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.store import INT64_MAX, QUALIFIER_INDEX, ObservationStore, StoreBuilder
from antq_core._entities import AggregationType
from antq_core._util.extras import polars_available, require
from antq_core._values.groups import UnitGroupSet
from antq_core._values.period import Period
from antq_core._values.quantity import Number, Qualifier, Unit
from antq_core._values.refs import Disaggregation, SubjectKind, SubjectRef
from antq_core.errors import (
    InvalidValueError,
    OverlappingPeriodsError,
    SpaceOverlapError,
    UnsupportedAggregationError,
    enum_member,
)

__all__ = ["aggregate_parquet"]

_NEEDED: Final = ("metric", "subject_kind", "subject_id", "period", "value", "unit", "qualifier")
_CATEGORY: Final = "by_"
_ROW: Final = (
    "row_id, metric, subject, period, raw_disaggregation, unit, qualifier, value, disaggregation"
)


def _files(source: str | Path | Iterable[str | Path]) -> list[str]:
    """The Parquet files, in order: one file, a directory's ``*.parquet`` sorted, or a list."""
    items = [source] if isinstance(source, str | Path) else list(source)
    found: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found += [str(p) for p in sorted(path.glob("*.parquet"))]
        elif path.is_file():
            found.append(str(path))
        else:
            raise InvalidValueError("source", str(item), "no such Parquet file or directory")
    if not found:
        raise InvalidValueError("source", [str(i) for i in items], "no Parquet file found")
    return found


def _literal(text: str) -> str:
    """A SQL string literal (file paths are the caller's: quotes are doubled)."""
    return "'" + text.replace("'", "''") + "'"


class _Source:
    """The Parquet files in one DuckDB connection: their tables, codes and ``obs``."""

    def __init__(self, con: Any, files: Sequence[str]) -> None:
        self.con = con
        self.files = files
        listed = "[" + ", ".join(_literal(f) for f in files) + "]"
        self.read = f"read_parquet({listed}, filename = true, file_row_number = true)"
        columns = {
            name: kind
            for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {self.read}").fetchall()
        }
        missing = [c for c in _NEEDED if c not in columns]
        if missing:
            raise UnsupportedAggregationError(
                "Parquet files without the columns of write_parquet",
                f"{', '.join(files)}: no column {', '.join(missing)}",
            )
        kind = str(columns["value"]).upper()
        if not (
            kind.startswith("DECIMAL") or kind in {"BIGINT", "INTEGER", "HUGEINT", "SMALLINT"}
        ):
            raise UnsupportedAggregationError(
                f"a value column of type {kind}",
                "write the files with write_parquet(..., values='decimal') (the default):"
                " values must be exact numbers",
            )
        scale = 0
        if kind.startswith("DECIMAL"):
            scale = int(kind.rstrip(")").split(",")[1])
        # Whole values as 128-bit integers: sums stay exact and come back as int.
        self.value = "CAST(r.value AS HUGEINT)" if scale == 0 else "r.value"
        self.whole = False  # whether every value is a 64-bit integer (see :meth:`store`)
        self.scale = scale
        self.categories = sorted(c for c in columns if c.startswith(_CATEGORY))
        self.patched: tuple[list[int], list[int]] = ([], [])  # (row ids, codes), see patch()

    def store(self) -> ObservationStore:
        """A store with the files' tables and no rows; registers the code tables.

        One pass over the files lists every table at once (and the values' range).
        """
        require("pyarrow", EXTRA)
        breakdown = "[" + ", ".join(map(sql.name, self.categories)) + "]"
        ((metrics, subjects, periods, units, found, low, high),) = self.con.execute(
            "SELECT list(DISTINCT metric), list(DISTINCT [subject_kind, subject_id]),"
            " list(DISTINCT period), list(DISTINCT unit),"
            f" list(DISTINCT {breakdown}), MIN(value), MAX(value) FROM {self.read}"
        ).fetchall()
        # No rows: DuckDB's list() of nothing is NULL.
        metrics, periods, units = sorted(metrics or ()), sorted(periods or ()), sorted(units or ())
        subjects = sorted(tuple(s) for s in subjects or ())
        if self.scale == 0:
            self.whole = low is None or (low >= -(2**63) and high <= 2**63 - 1)
        breakdowns: list[tuple[Any, ...]] = [(None,) * len(self.categories)]
        if self.categories:
            given = (tuple(b) for b in found or ())
            breakdowns += sorted((b for b in given if any(v is not None for v in b)), key=str)
        builder = StoreBuilder(
            metrics=metrics,
            subjects=[SubjectRef.parse(f"{k}:{i}") for k, i in subjects],
            periods=[Period.parse(p) for p in periods],
            units=[Unit.get(u) for u in units],
        )
        names = [c.removeprefix(_CATEGORY) for c in self.categories]
        for values in breakdowns[1:]:
            builder.disaggregations.add(
                Disaggregation({n: v for n, v in zip(names, values, strict=True) if v is not None})
            )
        con = self.con

        def table(name: str, ids: Sequence[str]) -> None:
            put(con, name, {"id": ("str", ids), "code": ("int", range(len(ids)))})

        table("metric_codes", metrics)
        put(
            con,
            "subject_codes",
            {
                "kind": ("str", [k for k, _ in subjects]),
                "id": ("str", [i for _, i in subjects]),
                "code": ("int", range(len(subjects))),
            },
        )
        table("period_codes", periods)
        table("unit_codes", units)
        put(
            con,
            "qualifier_codes",
            {
                "id": ("str", [q.value for q in Qualifier]),
                "code": ("int", [QUALIFIER_INDEX[q] for q in Qualifier]),
            },
        )
        breakdown_table: dict[str, tuple[str, Sequence[Any]]] = {
            "code": ("int", range(len(breakdowns)))
        }
        for n, category in enumerate(self.categories):
            breakdown_table[category] = ("str", [b[n] for b in breakdowns])
        if self.categories:
            put(con, "breakdown_codes", breakdown_table)
        listed = "[" + ", ".join(_literal(f) for f in self.files) + "]"
        offsets: dict[str, int] = {}
        for name, rows in con.execute(
            f"SELECT file_name, num_rows FROM parquet_file_metadata({listed})"
        ).fetchall():
            offsets[name] = offsets.get(name, 0) + rows
        start, starts = 0, []
        for f in self.files:
            starts.append(start)
            start += offsets.get(f, 0)
        put(con, "file_starts", {"name": ("str", list(self.files)), "start": ("int", starts)})
        self.rows = start
        return builder.build()

    def table(self) -> None:
        """Create ``obs`` (see :mod:`._sql`): each row's codes, its position and its value.

        One more pass over the files: the labels are joined to their codes
        once, into a DuckDB table of integers that the queries then read
        (DuckDB keeps it compressed, and spills it to its ``temp_directory``
        beyond its ``memory_limit``).
        """
        breakdown = "0"
        join = ""
        if self.categories:
            on = " AND ".join(
                f"d.{sql.name(c)} IS NOT DISTINCT FROM r.{sql.name(c)}" for c in self.categories
            )
            join = f" JOIN breakdown_codes d ON {on}"
            breakdown = "d.code"
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE obs AS SELECT"
            " r.file_row_number + f.start AS row_id, m.code AS metric, s.code AS subject,"
            f" p.code AS period, {breakdown} AS disaggregation,"
            f" {breakdown} AS raw_disaggregation, u.code AS unit, q.code AS qualifier,"
            f" {self.value} AS value"
            f" FROM {self.read} r"
            " JOIN file_starts f ON f.name = r.filename"
            " JOIN metric_codes m ON m.id = r.metric"
            " JOIN subject_codes s ON s.kind = r.subject_kind AND s.id = r.subject_id"
            " JOIN period_codes p ON p.id = r.period"
            " JOIN unit_codes u ON u.id = r.unit"
            " JOIN qualifier_codes q ON q.id = r.qualifier"
            f"{join}"
        )
        # Every row must have found its codes: a null or unknown label (a qualifier
        # that is none of ours) would otherwise drop the row from every sum.
        ((kept,),) = self.con.execute("SELECT COUNT(*) FROM obs").fetchall()
        if kept != self.rows:
            raise InvalidValueError(
                "source",
                list(self.files),
                f"{self.rows - kept:,} of {self.rows:,} rows have a null metric, subject,"
                " period, unit or qualifier, or a qualifier that is not one of"
                f" {', '.join(q.value for q in Qualifier)}: not a table written by write_parquet",
            )

    def patch(self) -> None:
        """Give the rows of :attr:`patched` the breakdown code the plan uses."""
        ids, codes = self.patched
        if not ids:
            return
        put(self.con, "patched", {"row_id": ("int", ids), "code": ("int", codes)})
        self.con.execute(
            "UPDATE obs SET disaggregation = x.code FROM patched x WHERE obs.row_id = x.row_id"
        )


def aggregate_parquet(
    dataset: Dataset,
    source: str | Path | Iterable[str | Path],
    metrics: str | Iterable[str],
    by: str | Iterable[str] = (),
    *,
    periods: Period | None = None,
    within: str | Iterable[str] | None = None,
    initiatives: str | Iterable[str] | None = None,
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None = None,
    space_overlap: str = "error",
    suppress_below: int | None = None,
    duckdb_config: Mapping[str, str] | None = None,
) -> AggregateTable:
    """:func:`~antq_core.aggregate` over observations in Parquet files, without loading them.

    The files hold the table :func:`antq_core.io.frames.write_parquet` writes;
    DuckDB reads them out of core (a dataset larger than memory aggregates
    on one machine), running the same SQL as ``aggregate(..., engine="duckdb")``.
    The entities come from ``dataset``, whose own observations are not read.
    The table is the one :func:`~antq_core.aggregate` gives on the dataset
    holding those observations, row for row; row indexes (unplaceable,
    excluded, errors) are positions in the files, in order. Reading
    :attr:`~antq_core.AggregateTable.excluded` reads the files again (they
    must not have changed; :class:`~antq_core.errors.InvalidValueError` if
    they have).

    >>> import tempfile, pathlib
    >>> from antq_core import aggregate, aggregate_parquet, sample
    >>> from antq_core.io.frames import write_parquet
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_parquet(sample(), folder / "observations.parquet")
    >>> table = aggregate_parquet(sample(), folder, "cases_resolved_jointly", by="district")
    >>> [(dict(r.keys), r.quantity) for r in table], table.engine
    ([({'district': '106'}, Quantity(22, 'case'))], 'duckdb')
    >>> list(table) == list(aggregate(sample(), "cases_resolved_jointly", by="district"))
    True

    Args:
        dataset: The entities: gazetteer, metrics, initiatives, sites,
            organizations, participants, categories.
        source: A Parquet file, a directory (its ``*.parquet`` files, sorted
            by name), or a sequence of files (in that order).
        metrics: As for :func:`~antq_core.aggregate`.
        by: As for :func:`~antq_core.aggregate`.
        periods: As for :func:`~antq_core.aggregate`.
        within: As for :func:`~antq_core.aggregate`.
        initiatives: As for :func:`~antq_core.aggregate`.
        group_sets: As for :func:`~antq_core.aggregate`.
        space_overlap: As for :func:`~antq_core.aggregate`.
        suppress_below: As for :func:`~antq_core.aggregate`.
        duckdb_config: DuckDB settings, such as ``{"memory_limit": "4GB",
            "temp_directory": "/var/tmp/antq", "threads": "2"}``: how much
            memory DuckDB may use before it spills to disk.

    Returns:
        The rows, unplaceable and excluded observations, as :func:`~antq_core.aggregate`.

    Raises:
        UnsupportedAggregationError: The files hold values written as strings
            (``write_parquet(..., values="string")``), or lack a column of the
            written table.
        InvalidValueError: No such file or directory, or as :func:`~antq_core.aggregate`.
        UnresolvedReferenceError: As :func:`~antq_core.aggregate`.
        OverlappingPeriodsError: As :func:`~antq_core.aggregate`.
        SpaceOverlapError: As :func:`~antq_core.aggregate`.
        IncompatibleUnitsError: As :func:`~antq_core.aggregate`.
        QuantityError: As :func:`~antq_core.aggregate`.
        PeriodError: A period in the files does not parse.
        MissingExtraError: duckdb or pyarrow is not installed (``antq_core[duckdb]``).
    """
    policy = enum_member(SpaceOverlap, space_overlap, "space_overlap")
    files = _files(source)
    con = connect(duckdb_config)
    try:
        src = _Source(con, files)
        store = src.store()
        src.table()
        tables = dataset.replace(observations=store)

        def plan_on(ds: Dataset) -> Plan:
            return make_plan(
                ds,
                metrics,
                by,
                periods=periods,
                within=within,
                initiatives=initiatives,
                group_sets=group_sets,
            )

        plan = _settled(con, src, tables, plan_on(tables), policy=policy, plan_on=plan_on)
        frames = src.whole and polars_available()
        scan, chosen, tied = scan_relation(con, plan, value_of=number, frames=frames)
        table = _finished(con, plan, scan, chosen, tied)
    finally:
        con.close()

    def excluded() -> tuple[Excluded, ...]:
        return _excluded(files, duckdb_config, src.patched, plan, scan, chosen)

    table = attrs.evolve(table, list_excluded=excluded)
    if suppress_below is None:
        return table
    return suppress_table(table, suppress_below, parents=parents_in(dataset, table.by))


def _requested(plan: Plan) -> set[int]:
    return {p.code for p in plan.metrics.values() if p.code >= 0}


def _finer(plan: Plan) -> list[int]:
    """Breakdown codes finer than the requested categories (parts, see :mod:`._plan`)."""
    if not plan.projected:
        return []
    wanted = set(plan.category_ids)
    return [d for d, keys in enumerate(plan.columns.disaggregations) if wanted < set(keys)]


def _settled(
    con: Any,
    src: _Source,
    tables: Dataset,
    plan: Plan,
    *,
    policy: SpaceOverlap,
    plan_on: Callable[[Dataset], Plan],
) -> Plan:
    """The plan with the per-row decisions the in-memory path makes, from the rows they need.

    Two decisions look at rows: which parts of a figure stand for it (its
    breakdowns finer than the grouping, :func:`._plan.make_plan`) and which
    figures enclose others over space (:func:`._space.settle_space`). Both
    read only the rows of a few series: those with finer parts, and those of
    subjects that may enclose or be enclosed (found from the distinct metric
    and subject pairs). Those rows are read into a store, planned and settled
    exactly as in memory, and the codes that differ from the files' go back
    to DuckDB (the ``patched`` table, applied to ``obs``).
    """
    wanted = _requested(plan)
    if not wanted:
        return plan
    wanted_list = sql.code_list(wanted)
    queries: list[str] = []
    finer = _finer(plan)
    if finer:
        # Every row of the series that have parts: the parts and the figures beside them.
        queries.append(
            "SELECT o.row_id FROM obs o JOIN (SELECT DISTINCT metric, subject FROM obs"
            f" WHERE metric IN {wanted_list} AND raw_disaggregation IN {sql.code_list(finer)})"
            " k ON k.metric = o.metric AND k.subject = o.subject"
        )
    enclosing: list[tuple[int, int, int]] = []
    # Per distinct subject first (every subject of the files: a superset), so that
    # files where no figure can enclose another never pay for the pairs.
    if maybe_enclosed(tables, plan, set(range(len(plan.columns.subjects)))):
        pairs = con.execute(
            f"SELECT DISTINCT metric, subject FROM obs WHERE metric IN {wanted_list}"
        ).fetchall()
        plan.memo["metric_subjects"] = (plan.store, set(pairs))
        enclosing = enclosing_pairs(tables, plan)
    if enclosing:
        metrics = sql.code_list({m for m, _, _ in enclosing})
        subjects = sql.code_list({s for _, a, b in enclosing for s in (a, b)})
        queries.append(
            f"SELECT row_id FROM obs WHERE metric IN {metrics} AND subject IN {subjects}"
        )
    if not queries:
        return plan
    ids = " UNION ".join(queries)
    fetched = _fetch(con, plan, ids, {})
    store, order, _ = fetched
    rows = tables.replace(observations=store)
    settled = plan_on(rows)
    try:
        settled = settle_space(rows, settled, policy)
    except SpaceOverlapError as e:
        groups = [[order[j] for j in group] for group in e.rows]
        raise SpaceOverlapError(e.metric, groups, e.subjects) from None
    raw = store.columns().disaggregation
    changed = [
        j for j, (a, b) in enumerate(zip(settled.disaggregation, raw, strict=True)) if a != b
    ]
    put(con, "settled_rows", {"row_id": ("int", order)})
    src.patched = ([order[j] for j in changed], [settled.disaggregation[j] for j in changed])
    src.patch()
    return attrs.evolve(
        settled, store=plan.store, columns=plan.columns, disaggregation=plan.disaggregation
    )


def _overlap_periods(plan: Plan) -> list[int]:
    """Period codes that overlap another period of the same bucket (summed rows may clash)."""
    by_bucket: dict[int, list[int]] = {}
    for p, b in enumerate(plan.period_bucket):
        if b >= 0:
            by_bucket.setdefault(b, []).append(p)
    periods = plan.columns.periods
    found: set[int] = set()
    for codes in by_bucket.values():
        for n, a in enumerate(codes):
            for b in codes[n + 1 :]:
                if periods[a].overlaps(periods[b]):
                    found.update((a, b))
    return sorted(found)


def _register(con: Any, plan: Plan) -> None:
    """The plan's tables the queries of rows read (:mod:`._sql`)."""
    lookups(con, plan)
    cols = plan.columns
    participant = [int(s.kind is SubjectKind.PARTICIPANT) for s in cols.subjects]
    put(
        con,
        "subject_kind",
        {"subject": ("int", range(len(participant))), "person": ("int", participant)},
    )
    put(
        con,
        "slice_of",
        {"disaggregation": ("int", range(len(plan.slice_of))), "slice": ("int", plan.slice_of)},
    )


def _candidates(con: Any, plan: Plan, scan: Scan) -> str:
    """SQL for the row ids the finishing step reads one by one (beside the chosen picks)."""
    wanted = _requested(plan)
    _register(con, plan)
    distinct = {
        p.code for p in plan.metrics.values() if p.code >= 0 and p.time is AggregationType.DISTINCT
    }
    queries = [sql.unplaceable_rows(wanted, distinct)] if wanted else []
    tables = {name for (name,) in con.execute("SHOW TABLES").fetchall()}
    if "settled_rows" in tables:
        queries.append("SELECT row_id FROM settled_rows")  # parts and enclosing figures
    if scan.repeated and wanted:
        queries.append(sql.repeated_rows(wanted))
    overlapping = _overlap_periods(plan) if plan.summed else []
    if overlapping:
        put(con, "overlap_period", {"period": ("int", overlapping)})
        queries.append(sql.overlap_rows(plan.summed))
    return " UNION ".join(queries)


def _fetch(
    con: Any, plan: Plan, ids: str, chosen: Mapping[PickCell, Chosen]
) -> tuple[ObservationStore, list[int], array[int]]:
    """A store of the rows ``ids`` selects and the chosen picks, in file order.

    With their row ids, and their codes of :attr:`Plan.disaggregation`.
    """
    rows: dict[int, tuple[Any, ...]] = {}
    if ids:
        for row in con.execute(f"SELECT {_ROW} FROM obs WHERE row_id IN ({ids})").fetchall():
            rows[row[0]] = row
    for key, (row_id, value, unit, qualifier, period, raw) in chosen.items():
        m, s, _, d = key
        rows[row_id] = (row_id, m, s, period, raw, unit, qualifier, value, d)
    order = sorted(rows)
    cols = plan.columns
    builder = StoreBuilder(
        metrics=cols.metrics, subjects=cols.subjects, periods=cols.periods, units=cols.units
    )
    for breakdown in cols.disaggregations[1:]:
        builder.disaggregations.add(breakdown)
    picked = [rows[i] for i in order]
    values: list[int] = []
    exact: dict[int, Number] = {}
    for j, row in enumerate(picked):
        v = number(row[7])
        if isinstance(v, int) and -INT64_MAX - 1 <= v <= INT64_MAX:
            values.append(v)
        else:
            values.append(0)
            exact[j] = v
    builder.extend(
        metric=[r[1] for r in picked],
        subject=[r[2] for r in picked],
        period=[r[3] for r in picked],
        disaggregation=[r[4] for r in picked],
        unit=[r[5] for r in picked],
        qualifier=[r[6] for r in picked],
        value=values,
        exact=exact,
    )
    return builder.build(), order, array("I", [r[8] for r in picked])


def _on(plan: Plan, fetched: tuple[ObservationStore, list[int], array[int]]) -> Plan:
    """``plan`` reading a fetched store's rows (same tables, so the same codes)."""
    store, _, patched = fetched
    return attrs.evolve(plan, store=store, columns=store.columns(), disaggregation=patched)


def _local(scan: Scan, order: Sequence[int]) -> Scan:
    """``scan`` with its picks pointing at the rows of a fetched store."""
    position = {row_id: j for j, row_id in enumerate(order)}
    picks = {key: position[row_id] for key, row_id in scan.picks.items()}
    return attrs.evolve(scan, picks=picks)


def _finished(
    con: Any,
    plan: Plan,
    scan: Scan,
    chosen: Mapping[PickCell, Chosen],
    tied: Mapping[PickCell, int],
) -> AggregateTable:
    """:func:`._finish.finish` on the rows it reads, with row indexes put back to the files'.

    First as columns, reading only the rows that may be at fault (and the
    tied picks among them); when the table needs the Python way, with the
    chosen row of every pick as well.
    """
    ids = _candidates(con, plan, scan)
    fetched = _fetch(con, plan, ids, {})
    small, order = _on(plan, fetched), fetched[1]
    position = {row_id: j for j, row_id in enumerate(order)}
    early = attrs.evolve(scan, picks={k: position[r] for k, r in tied.items() if r in position})
    try:
        refuse_overlaps(small, early)
    except OverlappingPeriodsError as e:
        rows = [[order[j] for j in group] for group in e.rows]
        raise OverlappingPeriodsError(e.metric, rows, e.periods) from None
    table = finish_columns(small, early, "duckdb")
    if table is None:
        fetched = _fetch(con, plan, ids, chosen)
        small, order = _on(plan, fetched), fetched[1]
        table = finish_rows(small, _local(scan, order), "duckdb")
    unplaceable = tuple(attrs.evolve(u, row=order[u.row]) for u in table.unplaceable)
    return attrs.evolve(table, unplaceable=unplaceable)


def _excluded(  # noqa: PLR0917 - internal, one call site
    files: Sequence[str],
    config: Mapping[str, str] | None,
    patched: tuple[list[int], list[int]],
    plan: Plan,
    scan: Scan,
    chosen: Mapping[PickCell, Chosen],
) -> tuple[Excluded, ...]:
    """The excluded observations, read from the files again when first asked.

    The aggregate's DuckDB connection is closed when it returns (its table of
    codes would hold memory as long as the result lives); this reads the
    files once more, and refuses if they no longer hold the same tables.
    """
    wanted = _requested(plan)
    if not wanted:
        return ()
    con = connect(config)
    try:
        src = _Source(con, files)
        again = src.store().columns()
        cols = plan.columns
        same = all(
            list(getattr(again, name)) == list(getattr(cols, name))
            for name in ("metrics", "subjects", "periods", "units", "disaggregations")
        )
        if not same:
            raise InvalidValueError(
                "source", list(files), "the files changed since the aggregate was made"
            )
        src.table()
        src.patched = patched
        src.patch()
        _register(con, plan)
        picked = plan.scans[ScanKind.LAST] | plan.scans[ScanKind.FIRST]
        fetched = _fetch(con, plan, sql.excluded_rows(wanted, picked), chosen)
    finally:
        con.close()
    order = fetched[1]
    table = finish_rows(_on(plan, fetched), _local(scan, order), "duckdb")
    return tuple(attrs.evolve(e, row=order[e.row]) for e in table.excluded)
