"""Dataset.apply: strategies, dry runs, conflicts located in the submission, closed periods."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import Dataset, ImportSummary, MetricDefinition, Submission
from antq_core.errors import InvalidValueError


def _values(ds: Dataset) -> dict[tuple[str, str, str], object]:
    return {(o.metric, str(o.subject), str(o.period)): o.value for o in ds.observations}


def test_create_and_update_adds_then_replaces_and_keeps_the_old_dataset(
    ds: Dataset, report: Any, on: Any
) -> None:
    first, summary = ds.apply(report("00101", tips_received=4, mediation_cases=2), now=on(3))
    assert (summary.imported, summary.updated, summary.ignored, summary.deleted) == (2, 0, 0, 0)
    assert summary.status == "SUCCESS"
    assert len(ds.observations) == 0  # the old dataset is unchanged
    second, summary = first.apply(report("00101", tips_received=5, mediation_cases=2), now=on(4))
    assert (summary.imported, summary.updated, summary.ignored) == (0, 1, 1)
    assert summary.conflicts == ()  # an identical figure is ignored without a conflict
    assert _values(first)[("tips_received", "unit:00101", "2025-05")] == 4
    assert _values(second)[("tips_received", "unit:00101", "2025-05")] == 5
    assert len(second.observations) == 2


def test_audit_keeps_who_and_when_per_figure(ds: Dataset, report: Any, on: Any) -> None:
    first, _ = ds.apply(report("00101", tips_received=4, mediation_cases=1), now=on(3))
    second, _ = first.apply(report("00101", tips_received=5, mediation_cases=1), now=on(4))
    tips = next(i for i, o in enumerate(second.observations) if o.metric == "tips_received")
    audit = second.observations.audit(tips)
    assert audit is not None
    assert audit.stored_by == "officer-00101"
    assert audit.created == on(3)
    assert audit.last_updated == on(4)
    unchanged = second.observations.audit(1 - tips)
    assert unchanged is not None
    assert unchanged.last_updated == on(3)


def test_create_refuses_to_replace_and_locates_the_item(ds: Dataset, report: Any, on: Any) -> None:
    first, _ = ds.apply(report("00101", tips_received=4), now=on(3))
    same, summary = first.apply(
        report("00101", mediation_cases=1, tips_received=9), "create", now=on(4)
    )
    assert (summary.imported, summary.ignored) == (1, 1)
    (conflict,) = summary.conflicts
    assert conflict.code == "exists"
    assert conflict.indexes == (1,)
    assert conflict.locations[0].path == "$.items[1]"
    assert "create" in conflict.message_en
    assert "ghi đè" in conflict.message_vi
    assert _values(same)[("tips_received", "unit:00101", "2025-05")] == 4


def test_update_only_replaces(ds: Dataset, report: Any, on: Any) -> None:
    first, _ = ds.apply(report("00101", tips_received=4), now=on(3))
    second, summary = first.apply(
        report("00101", tips_received=6, mediation_cases=1), "update", now=on(4)
    )
    assert (summary.imported, summary.updated, summary.ignored) == (0, 1, 1)
    assert [c.code for c in summary.conflicts] == ["not_stored"]
    assert len(second.observations) == 1


def test_delete_removes_and_reports_what_is_not_there(ds: Dataset, report: Any, on: Any) -> None:
    first, _ = ds.apply(report("00101", tips_received=4, mediation_cases=2), now=on(3))
    gone, summary = first.apply(
        Submission.model_validate(
            {
                "form": "monthly",
                "subject": "unit:00101",
                "period": "2025-05",
                "items": [{"metric": "mediation_cases"}, {"metric": "mediation_succeeded"}],
            }
        ),
        "delete",
        now=on(4),
    )
    assert (summary.deleted, summary.ignored) == (1, 1)
    assert [c.code for c in summary.conflicts] == ["not_stored"]
    assert summary.conflicts[0].indexes == (1,)
    assert list(_values(gone)) == [("tips_received", "unit:00101", "2025-05")]
    assert len(first.observations) == 2
    # Deleted, then created again: a new figure at the end.
    again, summary = gone.apply(report("00101", tips_received=4, mediation_cases=7), now=on(5))
    assert (summary.imported, summary.ignored) == (1, 1)
    assert _values(again)[("mediation_cases", "unit:00101", "2025-05")] == 7


@pytest.mark.parametrize("strategy", ["create_and_update", "create", "update", "delete"])
def test_a_dry_run_counts_and_changes_nothing(
    ds: Dataset, strategy: str, report: Any, on: Any
) -> None:
    first, _ = ds.apply(report("00101", tips_received=4), now=on(3))
    submission = report("00101", tips_received=5, mediation_cases=1)
    dry_ds, dry = first.apply(submission, strategy, dry_run=True, now=on(4))
    _wet_ds, wet = first.apply(submission, strategy, now=on(4))
    assert dry_ds is first
    assert dry.dry_run
    assert not wet.dry_run
    counts = (dry.imported, dry.updated, dry.ignored, dry.deleted)
    assert counts == (wet.imported, wet.updated, wet.ignored, wet.deleted)
    assert dry.conflicts == wet.conflicts
    assert dry.to_dhis2()["importOptions"]["dryRun"] is True


def test_every_item_is_counted_once(ds: Dataset, on: Any) -> None:
    submission = Submission.model_validate(
        {
            "form": "monthly",
            "subject": "unit:00102",
            "period": "2025-05",
            "items": [
                {"metric": "tips_received", "value": 3},
                {"metric": "not_a_metric", "value": 1},
                {"metric": "tips_received", "value": 4},
                {"metric": "mediation_cases", "value": "2.5"},
                {"metric": "mediation_cases", "value": 2, "unit": "m2"},
                {
                    "metric": "mass_organization_members",
                    "value": 9,
                    "disaggregation": {"sex": "x"},
                },
                {
                    "metric": "mass_organization_members",
                    "value": 9,
                    "disaggregation": {"sex": "female"},
                },
                {"metric": "mediation_succeeded"},
            ],
        }
    )
    new, summary = ds.apply(submission, now=on(2))
    assert summary.total == len(submission.items)
    assert (summary.imported, summary.ignored) == (2, 6)
    by_code = {c.code: c.indexes for c in summary.conflicts}
    assert by_code == {
        "unknown_metric": (1,),
        "duplicate_item": (2,),
        "invalid_value": (3,),
        "wrong_unit": (4,),
        "unknown_category": (5,),
        "no_value": (7,),
    }
    assert summary.rejected_indexes == (1, 2, 3, 4, 5, 7)
    assert len(new.observations) == 2
    for c in summary.conflicts:
        assert c.message_vi
        assert c.message_en
        assert c.locations


def test_conflicts_point_at_spreadsheet_cells(ds: Dataset, on: Any) -> None:
    submission = Submission.model_validate(
        {
            "form": "monthly",
            "subject": "unit:00103",
            "period": "2025-05",
            "file": "ta-leng-2025-05.xlsx",
            "items": [
                {
                    "metric": "tips_received",
                    "value": 1,
                    "sheet": "Báo cáo",
                    "row": 5,
                    "cell": "D5",
                },
                {"metric": "bogus", "value": 1, "sheet": "Báo cáo", "row": 6, "cell": "D6"},
            ],
        }
    )
    _, summary = ds.apply(submission, now=on(2))
    (conflict,) = summary.conflicts
    where = conflict.locations[0]
    assert (where.file, where.sheet, where.row, where.cell) == (
        "ta-leng-2025-05.xlsx",
        "Báo cáo",
        6,
        "D6",
    )
    assert "cell D6" in str(where)


def test_closed_period_is_refused_unless_forced(ds: Dataset, report: Any, on: Any) -> None:
    late = report("00104", tips_received=2)
    # May 2025 closes 15 days after 31 May: 15 June is the last day.
    _ok, summary = ds.apply(late, now=on(15))
    assert summary.imported == 1
    same, summary = ds.apply(late, now=on(16))
    assert same is ds
    assert summary.aborted
    assert summary.status == "ERROR"
    assert [c.code for c in summary.conflicts] == ["closed_period"]
    assert summary.ignored == 1
    assert summary.rejected_indexes == (0,)
    assert summary.to_dhis2()["description"] == "Import process was aborted"
    forced, summary = ds.apply(late, now=on(16), force=True)
    assert summary.imported == 1
    assert len(forced.observations) == 1


def test_a_period_not_yet_open_is_refused(
    report: Any, monthly_form: Any, empty_dataset: Any, on: Any
) -> None:
    ds = empty_dataset(monthly_form(open_days=0))
    _, summary = ds.apply(report("00101", tips_received=1), now=on(30, month=5))
    assert [c.code for c in summary.conflicts] == ["period_not_open"]


def test_submission_level_refusals(ds: Dataset, report: Any, on: Any) -> None:
    cases = {
        "unknown_form": report("00101", tips_received=1).evolve(form="nope"),
        "wrong_period_kind": report("00101", "2025Q2", tips_received=1),
        "not_assigned": report("00201", tips_received=1),
        "unknown_subject": report("99999", tips_received=1),
    }
    for code, submission in cases.items():
        new, summary = ds.apply(submission, now=on(2))
        assert new is ds
        assert code in [c.code for c in summary.conflicts], code
        assert summary.aborted


def test_missing_compulsory_metric_is_a_conflict_that_does_not_stop_the_rest(
    ds: Dataset, report: Any, on: Any
) -> None:
    _new, summary = ds.apply(report("00105", mediation_cases=1), now=on(2))
    assert summary.imported == 1
    assert [c.code for c in summary.conflicts] == ["missing_compulsory"]
    assert summary.conflicts[0].indexes == ()
    assert summary.status == "WARNING"


def test_not_on_the_form(ds: Dataset, monthly_form: Any, on: Any) -> None:
    catalog_ds = ds.replace(metrics=[*ds.metrics.values(), *[]])
    submission = Submission.model_validate(
        {
            "form": "monthly",
            "subject": "unit:00101",
            "period": "2025-05",
            "items": [{"metric": "tips_received", "value": 1}],
        }
    )
    form_without = monthly_form(metrics=[{"metric": "mediation_cases"}])
    narrow = catalog_ds.replace(forms=[form_without])
    _, summary = narrow.apply(submission, now=on(2))
    assert [c.code for c in summary.conflicts] == ["not_in_form"]


def test_without_a_form_no_period_rules_apply(ds: Dataset, report: Any, on: Any) -> None:
    free = report("00101", tips_received=1).evolve(form=None)
    _new, summary = ds.apply(free, now=on(1, year=2030))
    assert summary.imported == 1
    assert summary.conflicts == ()


def test_bad_arguments_are_typed_errors(ds: Dataset, report: Any, on: Any) -> None:
    with pytest.raises(InvalidValueError):
        ds.apply(report("00101", tips_received=1), "merge", now=on(2))
    with pytest.raises(InvalidValueError):
        ds.apply(report("00101", tips_received=1), now=dt.datetime(2025, 6, 2))


def test_dhis2_shape(ds: Dataset, report: Any, on: Any) -> None:
    _, summary = ds.apply(report("00101", tips_received=1, bogus=2), now=on(2))
    shaped = summary.to_dhis2()
    assert shaped["responseType"] == "ImportSummary"
    assert shaped["status"] == "WARNING"
    assert shaped["importCount"] == {"imported": 1, "updated": 0, "ignored": 1, "deleted": 0}
    assert shaped["conflicts"] == [
        {
            "errorCode": "E7610",
            "object": "bogus",
            "value": "the dataset has no metric bogus",
            "property": "metric",
            "indexes": [1],
        }
    ]
    assert shaped["rejectedIndexes"] == [1]


def test_many_submissions_in_a_row_agree_with_a_rebuilt_dataset(
    ds: Dataset, report: Any, on: Any, communes: Any
) -> None:
    current = ds
    expected: dict[tuple[str, str, str], object] = {}
    for month in range(1, 13):
        for k, commune in enumerate(communes):
            values = {"tips_received": month + k, "mediation_cases": (month * k) % 5}
            current, summary = current.apply(
                report(commune, f"2025-{month:02d}", **values), force=True, now=on(2)
            )
            assert summary.imported == 2
            for m, v in values.items():
                expected[(m, f"unit:{commune}", f"2025-{month:02d}")] = v
        # Revise one commune's figures of the month.
        current, summary = current.apply(
            report("00101", f"2025-{month:02d}", tips_received=100 + month),
            force=True,
            now=on(3),
        )
        expected[("tips_received", "unit:00101", f"2025-{month:02d}")] = 100 + month
    assert _values(current) == expected
    rebuilt = Dataset.from_dict(current.to_dict())
    assert list(rebuilt.observations) == list(current.observations)
    # The joined columns say the same as the rows.
    cols = current.observations.columns()
    assert [cols.metrics[cols.metric[i]] for i in range(len(cols))] == [
        o.metric for o in current.observations
    ]
    assert isinstance(summary, ImportSummary)


_METRICS = ("tips_received", "mediation_cases", "mediation_succeeded")
_op = st.tuples(
    st.sampled_from(["create_and_update", "create", "update", "delete"]),
    st.sampled_from(["00101", "00102", "00103"]),
    st.sampled_from(["2025-04", "2025-05"]),
    st.dictionaries(st.sampled_from(_METRICS), st.integers(0, 5), min_size=1),
)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ops=st.lists(st.tuples(_op, st.integers(0, 20)), max_size=12),
    join_at=st.integers(0, 12),
)
def test_any_sequence_of_submissions_agrees_with_a_plain_model(
    ds: Dataset, ops: list[tuple[tuple[str, str, str, dict[str, int]], int]], join_at: int
) -> None:
    """Each key keeps its latest value; no dataset of the lineage changes; columns join right.

    Each submission goes to one of the datasets made so far (most often the
    latest), so lineages branch as well as grow.
    """
    history: list[tuple[Dataset, dict[tuple[str, str, str], int]]] = [(ds, {})]
    for step, ((strategy, commune, period, values), pick) in enumerate(ops):
        base, known = history[-1] if pick >= len(history) else history[pick]
        if step == join_at:
            base.observations.columns()  # an engine joins the chunks mid-way
        submission = Submission.model_validate(
            {
                "subject": f"unit:{commune}",
                "period": period,
                "items": [{"metric": m, "value": v} for m, v in values.items()],
            }
        )
        current, summary = base.apply(submission, strategy)
        assert summary.total == len(values)
        model = dict(known)
        for m, v in values.items():
            key = (m, f"unit:{commune}", period)
            if strategy == "delete":
                model.pop(key, None)
            elif strategy == "create":
                model.setdefault(key, v)
            elif strategy == "update":
                if key in model:
                    model[key] = v
            else:
                model[key] = v
        history.append((current, model))
    for dataset, expected in history:  # every dataset made is still what it was
        assert _values(dataset) == expected
        cols = dataset.observations.columns()
        assert len(cols) == len(expected)
        assert [cols.value[i] for i in range(len(cols))] == [o.value for o in dataset.observations]
        assert set(cols.metrics) == {k[0] for k in expected}
        assert Dataset.from_dict(dataset.to_dict()).to_dict() == dataset.to_dict()


_MANY = tuple(f"figure_{i:03d}" for i in range(500))
_COMMUNES = ("00101", "00102", "00103", "00104")
_big_op = st.tuples(
    st.sampled_from(["create_and_update", "create", "update", "delete"]),
    st.sampled_from(_COMMUNES),
    st.sampled_from([f"2025-{m:02d}" for m in range(1, 13)]),
    st.integers(0, 499),  # the first metric
    st.one_of(st.integers(1, 20), st.integers(300, 500)),  # how many
    st.integers(0, 3),  # the values' offset
    st.integers(0, 60),  # which dataset it goes to (past the end: the latest)
)
_Op = tuple[str, str, str, int, int, int, int]
_Model = dict[tuple[str, str, str], int]


_START: list[tuple[Dataset, tuple[tuple[tuple[str, str, str], int], ...]]] = []


def _loaded_lineage_start(
    empty: Dataset,
) -> tuple[Dataset, tuple[tuple[tuple[str, str, str], int], ...]]:
    """500 metrics and 16,000 figures, loaded (so all of them are in the first layer of keys).

    Made once (datasets never change) from ``empty``, the district's empty dataset.
    """
    if _START:
        return _START[0]
    metrics = [
        MetricDefinition.model_validate(
            {"id": m, "name_vi": m, "name_en": m, "unit": "case", "kind": "flow"}
        )
        for m in _MANY
    ]
    ds = empty.replace(metrics=metrics, forms=())
    model: _Model = {}
    for month in range(1, 9):
        for commune in _COMMUNES:
            ds, model = _applied(ds, model, ("create", commune, f"2024-{month:02d}", 0, 500, 1, 0))
    _START.append((Dataset.from_dict(ds.to_dict()), tuple(model.items())))
    return _START[0]


def _applied(base: Dataset, known: _Model, op: _Op) -> tuple[Dataset, _Model]:
    """``op`` applied to ``base``, whose figures are ``known``; its summary checked."""
    strategy, commune, period, first, count, offset, _ = op
    chosen = _MANY[first : first + count]
    values = {m: (i + offset) % 5 for i, m in enumerate(chosen)}
    subject = f"unit:{commune}"
    submission = Submission.model_validate(
        {
            "subject": subject,
            "period": period,
            "items": [{"metric": m, "value": v} for m, v in values.items()],
        }
    )
    current, summary = base.apply(submission, strategy)
    keys = {m: (m, subject, period) for m in values}
    new = sum(k not in known for k in keys.values())
    changed = sum(k in known and known[k] != values[m] for m, k in keys.items())
    model = dict(known)
    if strategy == "delete":
        assert summary.deleted == len(values) - new
        for k in keys.values():
            model.pop(k, None)
    elif strategy == "create":
        assert summary.imported == new
        for m, k in keys.items():
            model.setdefault(k, values[m])
    elif strategy == "update":
        assert summary.updated == changed
        model.update((k, values[m]) for m, k in keys.items() if k in known)
    else:
        assert (summary.imported, summary.updated) == (new, changed)
        model.update((k, values[m]) for m, k in keys.items())
    return current, model


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(_big_op, max_size=30))
def test_long_lineages_of_large_submissions_agree_with_a_plain_model(
    ds: Dataset, ops: list[_Op]
) -> None:
    """Thousands of figures along a branching lineage: every look-up and every dataset right.

    From a loaded dataset of 16,000 figures, submissions of up to 500 take
    each store's own keys past what it copies, so the keys of earlier stores
    are shared as layers and merged as the lineage grows. Figures are deleted
    and created again (a key then has an old slot in an older layer and a new
    one in a newer), and submissions go to older datasets too. Each summary's
    counts come from looking the figures up, so they check the look-ups; the
    columns of every dataset check what it holds.
    """
    start, stored = _loaded_lineage_start(ds)
    history: list[tuple[Dataset, _Model]] = [(start, dict(stored))]
    # Deleted, created again, pushed down under more keys, then looked up again.
    script: list[_Op] = [
        ("delete", "00101", "2024-01", 0, 500, 0, 99),
        ("create_and_update", "00101", "2024-01", 0, 500, 3, 99),
        *(("create", c, f"2025-{m:02d}", 0, 500, 0, 99) for m in (1, 2) for c in _COMMUNES),
        ("create_and_update", "00101", "2024-01", 0, 500, 3, 99),
        ("create_and_update", "00101", "2024-01", 0, 500, 4, 99),
    ]
    for op in [*script, *ops]:
        pick = op[-1]
        base, known = history[-1] if pick >= len(history) else history[pick]
        history.append(_applied(base, known, op))
    for dataset, expected in history:  # every dataset made is still what it was
        cols = dataset.observations.columns()
        held = {
            (cols.metrics[m], str(cols.subjects[s]), str(cols.periods[p])): v
            for m, s, p, v in zip(cols.metric, cols.subject, cols.period, cols.value, strict=True)
        }
        assert held == expected
