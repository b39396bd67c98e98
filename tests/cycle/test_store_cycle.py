"""The reporting cycle on the SQL store: the worked example of a district's month, applied
submission by submission to a store, gives the completeness and summaries of the dataset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import TypeAdapter

from antq_core import Dataset, completeness
from antq_core.errors import InvalidValueError
from antq_core.io.web import CompletenessResponse
from antq_core.store import Store

pytest.importorskip("sqlalchemy")

LATE = ("00104", "00107")
SILENT = "00108"


def _month(store: Store, ds: Dataset, report: Any, on: Any, communes: dict[str, str]) -> Dataset:
    """May 2025 as tests/cycle/test_completeness.py has it, applied to ``ds`` and the store."""
    for k, code in enumerate(communes):
        if code == SILENT:
            continue
        day = 9 if code in LATE else 1 + k % 5
        submission = report(code, tips_received=k + 1, mediation_cases=k)
        ds, expected = ds.apply(submission, now=on(day))
        assert store.apply(submission, now=on(day)) == expected
    return ds


def test_completeness_from_the_store_is_that_of_the_dataset(
    tmp_path: Path, ds: Dataset, report: Any, on: Any, communes: dict[str, str]
) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'cycle.db'}") as store:
        store.save(ds)
        may = _month(store, ds, report, on, communes)
        for kw in (
            {"period": "2025-05", "parent": "001"},
            {"period": "2025-05", "level": "district"},
            {"period": "2025"},
        ):
            got = store.completeness(form="monthly", **kw)
            assert got == completeness(may, form="monthly", **kw)
        result = store.completeness(form="monthly", period="2025-05", parent="001")
        assert (result.expected, result.actual, result.on_time) == (8, 7, 5)
        assert result.silent == ((SILENT, f"xã {communes[SILENT]}"),)
        # The loaded dataset has the figures and when they were stored.
        assert store.load() == may
        loaded = completeness(store.load(), form="monthly", period="2025-05")
        assert (loaded.actual, loaded.on_time) == (7, 5)
        data = json.loads(TypeAdapter(CompletenessResponse).dump_json(result))
        schema = TypeAdapter(CompletenessResponse).json_schema(mode="serialization")
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
        assert data["rate"] == 0.875
        assert data["silent"] == [{"code": SILENT, "name": f"xã {communes[SILENT]}"}]
        with pytest.raises(InvalidValueError):
            store.completeness(form="weekly", period="2025-05")
        with pytest.raises(InvalidValueError):
            store.completeness(form="monthly", period="2025-05", parent="nowhere")


def test_a_closed_period_is_refused_by_the_store_too(
    tmp_path: Path, ds: Dataset, report: Any, on: Any
) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'closed.db'}") as store:
        store.save(ds)
        late = report("00101", tips_received=3)
        when = on(30)  # 15 expiry days after May: entry closed on 15 June
        _, expected = ds.apply(late, now=when)
        got = store.apply(late, now=when)
        assert got == expected
        assert got.aborted
        assert [c.code for c in got.conflicts] == ["closed_period"]
        forced = store.apply(late, now=when, force=True)
        assert forced.imported == 1


def test_saved_audits_survive_a_save(
    tmp_path: Path, ds: Dataset, report: Any, on: Any, communes: dict[str, str]
) -> None:
    """A dataset applied in memory, then saved whole, keeps who stored each figure and when."""
    may = ds
    for k, code in enumerate(communes):
        if code != SILENT:
            day = 9 if code in LATE else 1 + k % 5
            may, _ = may.apply(report(code, tips_received=k + 1), now=on(day))
    with Store.open(f"sqlite:///{tmp_path / 'saved.db'}") as store:
        store.save(may)
        got = store.completeness(form="monthly", period="2025-05")
    assert got == completeness(may, form="monthly", period="2025-05")
    assert got.on_time == 5
