"""The scan's SQL (``antq_core._aggregate.sql``) runs on PostgreSQL and gives DuckDB's cells.

The queries are the ones the DuckDB engine and ``aggregate_parquet`` run. Here
the same text runs on a throwaway PostgreSQL server (``tools/with-postgres.sh``
sets ``ANTQ_TEST_POSTGRES_URL``; the test skips without it, and fails under CI),
over the plan's code tables loaded into it, and its cells, finished by the
shared finishing step, give the table ``aggregate`` gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from antq_core import (
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    Observation,
    aggregate,
    sample,
)

pytest.importorskip("duckdb")
psycopg = pytest.importorskip("psycopg")

from antq_core._aggregate import sql  # noqa: E402 - after the skips
from antq_core._aggregate.duckdb_engine import DuckDBEngine, number  # noqa: E402
from antq_core._aggregate.engine import Scan  # noqa: E402
from antq_core._aggregate.finish import finish_rows  # noqa: E402
from antq_core._aggregate.plan import Plan, make_plan  # noqa: E402
from antq_core._aggregate.semantics import ScanKind  # noqa: E402


def _stocks_and_flows() -> Dataset:
    gazetteer = Gazetteer.from_dict(
        {
            "format": "antq-gazetteer",
            "format_version": 1,
            "version": "t",
            "units": [
                {"code": "01", "name": "Tỉnh", "level": "province"},
                {"code": "001", "name": "Huyện Một", "level": "district", "parent": "01"},
                {"code": "002", "name": "Huyện Hai", "level": "district", "parent": "01"},
            ],
        }
    )
    rows = [
        ("teams", "001", "2017-03", 4),
        ("teams", "001", "2017-11", 6),
        ("teams", "002", "2017-05", 3),
        ("teams", "002", "2016-12", 9),
        ("cases", "001", "2017-01", 5),
        ("cases", "002", "2017-02", 2**62),
        ("cases", "002", "2017-03", 2**62),
        ("cases", "001", "2016-07", 1),
    ]
    return Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Thử"),
        metrics=[
            MetricDefinition(
                id="teams", name_vi="Tổ", name_en="Teams", unit="organization", kind="stock"
            ),
            MetricDefinition(id="cases", name_vi="Vụ", name_en="Cases", unit="case", kind="flow"),
        ],
        observations=[
            Observation(
                metric=m,
                subject=f"unit:{u}",
                period=p,
                unit="organization" if m == "teams" else "case",
                value=v,
            )
            for m, u, p, v in rows
        ],
    )


def _url(postgres_url: str) -> str:
    return postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)


def _load(cur: Any, plan: Plan) -> None:
    """The relations of ``antq_core._aggregate.sql``, in PostgreSQL."""
    cols = plan.columns
    cur.execute(
        "CREATE TABLE obs (row_id bigint, metric int, subject int, period int,"
        " disaggregation int, raw_disaggregation int, unit int, qualifier int, value numeric)"
    )
    rows = [
        (
            i,
            cols.metric[i],
            cols.subject[i],
            cols.period[i],
            plan.disaggregation[i],
            cols.disaggregation[i],
            cols.unit[i],
            cols.qualifier[i],
            cols.exact.get(i, cols.value[i]),
        )
        for i in range(len(cols))
    ]
    cur.executemany("INSERT INTO obs VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    cur.execute("CREATE TABLE subject_group (subject int, grp bigint)")
    cur.executemany(
        "INSERT INTO subject_group VALUES (%s, %s)", list(enumerate(plan.subject_group))
    )
    cur.execute(
        "CREATE TABLE period_bucket (period int, bucket bigint, last_rank bigint,"
        " first_rank bigint)"
    )
    cur.executemany(
        "INSERT INTO period_bucket VALUES (%s, %s, %s, %s)",
        [
            (p, b, last, first)
            for p, (b, last, first) in enumerate(
                zip(plan.period_bucket, plan.last_rank, plan.first_rank, strict=True)
            )
        ],
    )


def _postgres_scan(cur: Any, plan: Plan) -> Scan:
    """The cells of ``plan`` as PostgreSQL computes them with the generated SQL."""
    sums = {}
    if plan.scans[ScanKind.GROUP_SUM]:
        cur.execute(sql.sums(plan.scans[ScanKind.GROUP_SUM]))
        sums = {tuple(r[:6]): (number(r[6]), r[7]) for r in cur.fetchall()}
    picks, ties = {}, set()
    if plan.scans[ScanKind.LAST]:
        cur.execute(sql.picks(plan.scans[ScanKind.LAST], "last_rank"))
        for m, s, b, d, row, _value, _u, _q, _p, _raw, tied in cur.fetchall():
            picks[m, s, b, d] = row
            if tied:
                ties.add((m, s, b, d))
    cur.execute(sql.REPORTED_REPEATED)
    reported: dict[int, set[int]] = {}
    repeated = False
    for s, p, most in cur.fetchall():
        reported.setdefault(s, set()).add(p)
        repeated = repeated or most > 1
    return Scan(
        sums=sums,
        series={},
        picks=picks,
        ties=frozenset(ties),
        repeated=bool(repeated),
        reported=reported,
    )


def _duckdb_scan(plan: Plan) -> Scan:
    return DuckDBEngine().scan(plan)


def _cases() -> Iterator[tuple[Dataset, list[str], list[str]]]:
    flows = _stocks_and_flows()
    yield flows, ["cases", "teams"], ["district", "year"]
    yield flows, ["cases", "teams"], ["province"]
    yield flows, ["teams"], ["district", "quarter"]
    ds = sample()
    summed = [m for m in sorted(ds.metrics) if m != "released_prisoners_employed"]
    yield ds, summed, ["district"]
    yield ds, summed, ["province", "year"]


@pytest.mark.parametrize("case", list(range(5)))
def test_sums_and_stocks_on_postgresql(postgres_url: str, case: int) -> None:
    ds, metrics, by = list(_cases())[case]
    plan = make_plan(ds, metrics, by, periods=None, within=None, initiatives=None)
    if plan.scans[ScanKind.SERIES] or plan.scans[ScanKind.FIRST]:
        plan_kinds = {p.scan for p in plan.metrics.values()}
        pytest.skip(f"this test runs sums and stocks only, not {plan_kinds}")
    with psycopg.connect(_url(postgres_url)) as conn, conn.cursor() as cur:
        _load(cur, plan)
        postgres = _postgres_scan(cur, plan)
    duckdb = _duckdb_scan(plan)
    assert dict(postgres.sums) == dict(duckdb.sums)
    assert dict(postgres.picks) == dict(duckdb.picks)
    assert postgres.ties == duckdb.ties
    assert postgres.repeated == duckdb.repeated
    assert {s: set(p) for s, p in postgres.reported.items()} == {
        s: set(p) for s, p in duckdb.reported.items()
    }
    # The same cells, finished by the shared step: aggregate's table, row for row.
    table = finish_rows(plan, postgres, "postgresql")
    assert list(table) == list(aggregate(ds, metrics, by=by, engine="python"))
    assert any(r.quantity is not None for r in table)


def test_the_generated_sql_avoids_vendor_functions() -> None:
    # Portable text: no arg_max/QUALIFY/GROUP BY ALL (DuckDB), no DISTINCT ON (PostgreSQL).
    text = " ".join(
        [
            sql.sums({0, 1}),
            sql.series({2}),
            sql.picks({3}, "last_rank"),
            sql.REPORTED_REPEATED,
        ]
    ).upper()
    for vendor in ("ARG_MAX", "QUALIFY", "DISTINCT ON", "GROUP BY ALL"):
        assert vendor not in text
