"""``aggregate(..., reporting=form, suppress_below=k)``: rows carry both, exports agree."""

from __future__ import annotations

import json
from typing import Any

import pytest

from antq_core import Dataset, aggregate
from antq_core.privacy import Suppression

ENGINES = ("python", "polars")


@pytest.fixture
def members(ds: Dataset, report: Any, on: Any, communes: dict[str, str]) -> Dataset:
    """May 2025: communes report their members, some of them fewer than five; one is silent."""
    current = ds
    for k, code in enumerate(communes):
        if code == "00108":
            continue
        current, _ = current.apply(
            report(code, tips_received=k, mass_organization_members=[2, 40, 30, 25, 9, 60, 12][k]),
            now=on(1 + k % 5),
        )
    return current


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_carry_their_rate_and_whether_they_are_hidden(members: Dataset, engine: str) -> None:
    metrics = ["mass_organization_members", "tips_received"]
    table = aggregate(
        members,
        metrics,
        by=["commune", "month"],
        reporting="monthly",
        suppress_below=5,
        engine=engine,
    )
    plain = aggregate(
        members, metrics, by=["commune", "month"], reporting="monthly", engine=engine
    )
    assert table.reporting_form == "monthly"
    assert table.suppressed_below == 5
    hidden = [r for r in table if r.suppressed is not None]
    # 2 members are hidden, and the smallest other count of people (9), or the month's total
    # (of members, a count of people, published beside it) would give the 2 away.
    assert sorted((str(r.keys["commune"]), r.suppressed) for r in hidden) == [
        ("00101", Suppression.PRIMARY),
        ("00105", Suppression.COMPLEMENTARY),
    ]
    assert {r.metric for r in hidden} == {"mass_organization_members"}
    for row, before in zip(table, plain, strict=True):
        # The rate is about reports, not people: it is kept on hidden rows, as it was.
        assert row.reporting is not None
        assert row.reporting == before.reporting
        if row.suppressed is None:
            assert row == before
        else:
            assert row.quantity is None
    # Every export: the rate's fields and the suppression, no hidden value or count.
    dicts = table.to_dicts()
    document = json.loads(json.dumps(table.to_dict()))
    frame = table.to_polars().to_dicts()
    for row, *outs in zip(table, dicts, document["rows"], frame, strict=True):
        for out in outs:
            code = None if row.suppressed is None else row.suppressed.value
            assert out["suppressed"] == code
            if code is not None:
                assert out["value"] is None
                assert out["observations"] is None
        rate = row.reporting
        assert rate is not None
        for out in outs[:2]:
            assert out["reporting"] == rate.to_dict()
        assert outs[2]["reports_actual"] == rate.actual
        assert outs[2]["reports_expected"] == rate.expected
    assert document["suppressed_below"] == 5
    assert document["withheld"] == [w.to_dict() for w in table.withheld]
