"""A store derived by apply() answers every question as one built from its rows would."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


_PLAIN = ("tips_received", "mediation_cases", "mediation_succeeded")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.dictionaries(st.sampled_from(_PLAIN), st.integers(0, 2**70), max_size=3),
    then=st.lists(st.sampled_from(_PLAIN), max_size=4),
    commune=st.sampled_from(["00101", "00102", "00104"]),
)
def test_new_totals_are_the_rows_with_changes_would_add(  # noqa: PLR0917 - fixtures and draws
    ds: Dataset, report: Any, on: Any, first: dict[str, int], then: list[str], commune: str
) -> None:
    """with_new_totals: the store with_changes gives for the same rows, or None if any is stored.

    slots() answers as find() does, for stored and unknown figures alike.
    """
    from antq_core import Disaggregation, FigureAudit, Qualifier

    total = Disaggregation({})
    # Every metric, and both communes, in the store's tables: new totals take the short way.
    everything = dict.fromkeys(_PLAIN, 1)
    base = ds.apply(report("00102", "2025-04", **everything), force=True, now=on(2))[0]
    base = base.apply(report("00103", "2025-05", **everything), now=on(2))[0]
    if first:
        base = base.apply(report("00101", **first), now=on(2))[0]
    store = base.observations
    heading = Submission.model_validate(
        {"subject": f"unit:{commune}", "period": "2025-05", "items": []}
    )
    subject, period = heading.subject, heading.period
    assert store.slots(subject, period, [*_PLAIN, "no_such"]) == [
        store.find(m, subject, period, total) for m in (*_PLAIN, "no_such")
    ]
    n = len(then)
    unit = base.metrics["tips_received"].unit
    audit = FigureAudit("x", on(3), on(3))
    columns = ([unit] * n, [Qualifier.EXACT] * n, [None] * n, [None] * n, list(range(n)))
    made = store.with_new_totals(subject, period, then, columns, audit)
    stored = any(store.find(m, subject, period, total) is not None for m in then)
    if not n:
        assert made is not None
        assert list(made) == list(store)
        return
    if stored or len(set(then)) != n:
        assert made is None
        return
    rows = [
        (m, subject, period, unit, Qualifier.EXACT, total, None, None, v)
        for m, v in zip(then, range(n), strict=True)
    ]
    expected = store.with_changes(append=rows, append_audit=[audit] * n)
    assert made is not None
    assert list(made) == list(expected)
    assert [made.audit(i) for i in range(len(made))] == [
        expected.audit(i) for i in range(len(expected))
    ]
    for m in (*_PLAIN, "no_such"):
        assert made.find(m, subject, period, total) == expected.find(m, subject, period, total)
    assert list(store) == list(base.observations)  # the old store is unchanged
