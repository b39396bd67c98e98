"""A store derived by apply() answers every question as one built from its rows would."""

from __future__ import annotations

from typing import Any

import pytest

from antq_core import Dataset, ObservationStore, Submission


def _derived(ds: Dataset, report: Any, on: Any) -> Dataset:
    current = ds
    for k, commune in enumerate(("00101", "00102", "00103")):
        current, _ = current.apply(
            report(commune, tips_received=k, mediation_cases=k + 1), now=on(2)
        )
    current, _ = current.apply(report("00102", tips_received=9), now=on(3))  # an update
    gone = Submission.model_validate(
        {
            "form": "monthly",
            "subject": "unit:00101",
            "period": "2025-05",
            "items": [{"metric": "mediation_cases"}],
        }
    )
    current, summary = current.apply(gone, "delete", now=on(3))
    assert summary.deleted == 1
    return current


def test_a_derived_store_is_the_store_of_its_rows(ds: Dataset, report: Any, on: Any) -> None:
    derived = _derived(ds, report, on).observations
    rows = list(derived)
    plain = ObservationStore.from_observations(rows)
    assert derived == plain
    assert len(derived) == len(plain) == 5
    assert derived[-1] == plain[-1]
    assert derived[1:4] == plain[1:4]
    for i in range(len(rows)):
        assert derived.value(i) == plain.value(i)
        assert derived.metric_id(i) == plain.metric_id(i)
        assert derived.subject(i) == plain.subject(i)
    with pytest.raises(IndexError):
        derived[5]
    with pytest.raises(IndexError):
        derived[-6]
    assert derived.rows_for(metric="tips_received") == plain.rows_for(metric="tips_received")
    subject = rows[0].subject
    assert derived.rows_for(subject=subject) == plain.rows_for(subject=subject)
    assert set(derived.metric_ids) == set(plain.metric_ids)
    assert set(derived.subjects) == set(plain.subjects)
    assert derived.periods == plain.periods
    assert derived.nbytes() >= plain.nbytes()
    assert repr(derived) == "<ObservationStore: 5 observations>"
    with pytest.raises(IndexError):
        derived.audit(7)


def test_a_summary_describes_itself(ds: Dataset, report: Any, on: Any) -> None:
    _, summary = ds.apply(report("00101", tips_received=1, bogus=2), dry_run=True, now=on(2))
    vi, en = summary.describe("vi"), summary.describe("en")
    assert vi.startswith("Thêm mới 1, cập nhật 0, bỏ qua 1, xóa 0 (chạy thử)")
    assert "[unknown_metric] Bộ dữ liệu không có chỉ tiêu bogus — $.items[1].metric" in vi
    assert en.startswith("Imported 1, updated 0, ignored 1, deleted 0 (dry run)")
    assert summary.conflicts[0].message("en") == "the dataset has no metric bogus"
    assert summary.total == 2
