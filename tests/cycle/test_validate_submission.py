"""validate(dataset, submission=...): what a submission brings, located; held to validate()."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antq_core import Dataset, Issue, Submission, check_submission, validate

_DS: dict[str, Dataset] = {}

FIGURES = [
    ("tips_received", {}),
    ("mediation_cases", {}),
    ("mediation_succeeded", {}),
    ("mass_organization_members", {}),
    ("mass_organization_members", {"sex": "female"}),
    ("mass_organization_members", {"sex": "male"}),
]
PERIODS = ["2025-05", "2025-06", "2025"]
SUBJECTS = ["unit:00101", "unit:00102"]


def _submission(subject: str, period: str, values: dict[int, int]) -> Submission:
    return Submission.model_validate(
        {
            "subject": subject,
            "period": period,
            "items": [
                {"metric": FIGURES[k][0], "disaggregation": FIGURES[k][1], "value": v}
                for k, v in values.items()
            ],
        }
    )


def _items(issue: Issue) -> tuple[str, ...]:
    items = issue.details["submission_items"]
    assert isinstance(items, tuple)
    return items


def _rows(issue: Issue) -> tuple[int, ...]:
    rows = issue.details.get("rows")
    if isinstance(rows, tuple):
        return tuple(int(r) for r in rows)
    if issue.where.kind == "observation" and issue.where.row is not None:
        return (issue.where.row,)
    return ()


def _touched(
    ds: Dataset, submission: Submission
) -> set[tuple[str, tuple[int, ...], frozenset[Any]]]:
    """validate(ds)'s issues involving a figure of ``submission``: code, items, figures."""
    keys = {
        (i.metric, submission.subject, submission.period, i.disaggregation): n
        for n, i in enumerate(submission.items)
    }
    found = set()
    observations = list(ds.observations)
    for issue in validate(ds):
        figures = [observations[r] for r in _rows(issue)]
        fkeys = frozenset((o.metric, o.subject, o.period, o.disaggregation) for o in figures)
        items = tuple(sorted({keys[k] for k in fkeys if k in keys}))
        if items:
            found.add((issue.code, items, fkeys))
    return found


def test_a_submission_s_issues_are_located_in_it(ds: Dataset, report: Any, on: Any) -> None:
    stored, _ = ds.apply(report("00101", tips_received=3, mediation_cases=2), now=on(2))
    stored, _ = stored.apply(_submission("unit:00101", "2025-05", {3: 10}), now=on(2))
    submission = _submission("unit:00101", "2025-05", {0: 3, 2: 5, 4: 12}).evolve(
        file="ban-giang.csv",
        items=[
            {"metric": "tips_received", "value": 3, "row": 2},
            {"metric": "mediation_succeeded", "value": 5, "row": 3},
            {
                "metric": "mass_organization_members",
                "disaggregation": {"sex": "female"},
                "value": 12,
                "row": 4,
            },
        ],
    )
    report_ = validate(stored, submission=submission)
    by_code = {i.code: i for i in report_}
    assert {"rule-violated", "parts-exceed-total"} <= set(by_code)
    assert by_code["rule-violated"].where.row == 3
    assert by_code["parts-exceed-total"].where.row == 4
    assert by_code["parts-exceed-total"].where.file == "ban-giang.csv"
    assert "12" in by_code["parts-exceed-total"].message("vi")
    # Nothing about tips_received, which only repeats what is stored.
    assert all(i.details["submission_items"] != ("0",) for i in report_)


def test_a_year_beside_its_months_is_double_counting(ds: Dataset, report: Any, on: Any) -> None:
    stored, _ = ds.apply(report("00101", tips_received=3), now=on(2))
    year = _submission("unit:00101", "2025", {0: 30})
    (issue,) = validate(stored, submission=year)
    assert issue.code == "overlapping-periods"
    assert issue.where.path == "$.items[0].period"


def test_settled_issues(ds: Dataset, report: Any, on: Any) -> None:
    stored, _ = ds.apply(report("00101", mediation_cases=2, mediation_succeeded=5), now=on(2))
    assert any(i.code == "rule-violated" for i in validate(stored))
    fixed = _submission("unit:00101", "2025-05", {2: 1})
    check = check_submission(stored, fixed)
    assert [i.code for i in check.settled] == ["rule-violated"]
    assert list(check.introduced) == []
    assert check.summary.updated == 1


figure_values = st.dictionaries(st.integers(0, len(FIGURES) - 1), st.integers(0, 12), max_size=6)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stored=st.lists(
        st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(PERIODS), figure_values),
        max_size=4,
    ),
    subject=st.sampled_from(SUBJECTS),
    period=st.sampled_from(PERIODS),
    values=figure_values.filter(bool),
)
def test_the_delta_agrees_with_validating_the_merged_dataset(
    ds: Dataset,
    stored: list[tuple[str, str, dict[int, int]]],
    subject: str,
    period: str,
    values: dict[int, int],
) -> None:
    current = ds
    for s, p, v in stored:
        if v:
            current, _ = current.apply(_submission(s, p, v))
    submission = _submission(subject, period, values)
    merged, _ = current.apply(submission, force=True)
    before = {(code, figures) for code, _, figures in _touched(current, submission)}
    full = {
        (code, items)
        for code, items, figures in _touched(merged, submission)
        if (code, figures) not in before
    }
    delta = {
        (i.code, tuple(int(x) for x in _items(i)))
        for i in check_submission(current, submission).introduced
    }
    assert delta == full


def test_a_submission_is_checked_with_the_callers_choices() -> None:
    import pytest

    from antq_core import sample
    from antq_core.errors import InvalidValueError

    again = Submission(
        subject="site:site-cum-giap-ranh",
        period="2016-01-01/2017-07-13",
        items=[{"metric": "outreach_meetings", "value": 99}],
    )
    # distinct_names and group_sets reach the checks of a submission too (they were dropped).
    with pytest.raises(InvalidValueError):
        validate(sample(), submission=again, group_sets=["not a group set"])  # type: ignore[list-item]
    with pytest.raises(InvalidValueError):
        check_submission(sample(), again, distinct_names=[("only one",)])  # type: ignore[list-item]
    assert validate(sample(), submission=again, distinct_names=[("12", "105")]) == validate(
        sample(), submission=again
    )


def _named_rows(merged: Dataset, stored: Dataset, submission: Submission, code: str) -> set[str]:
    """The rows of ``validate(merged)``'s ``code`` issues, named as check_submission names them.

    A figure the submission gives is named by its item's place (``file:row``, or
    ``$.items[i]``); any other by its row in ``stored``. ``merged`` is ``stored``
    with the submission applied (replaced rows keep their place, new ones come last).
    """
    keys = {
        (i.metric, submission.subject, submission.period, i.disaggregation): n
        for n, i in enumerate(submission.items)
    }
    observations = list(merged.observations)
    names = set()
    for issue in validate(merged):
        if issue.code != code:
            continue
        for r in _rows(issue):
            o = observations[r]
            n = keys.get((o.metric, o.subject, o.period, o.disaggregation))
            if n is None:
                assert r < len(stored.observations)
                names.add(str(r))
            else:
                row = submission.items[n].row
                names.add(f"{submission.file}:{row}" if row is not None else f"$.items[{n}]")
    return names


def test_an_issue_names_the_submission_s_items_and_the_stored_rows(
    ds: Dataset, report: Any, on: Any
) -> None:
    """Rows are the submission's places or stored rows, never the rows of the part checked.

    Items that replace a stored figure (the first and last cases) are named as items too.
    """
    from antq_core import DatasetMetadata

    stored = ds.replace(
        metadata=DatasetMetadata(title_vi="Huyện", province="01", report_date="2025-06-30")
    )
    for commune in ("00102", "00103"):  # figures before the subject's: the rows differ
        stored, _ = stored.apply(report(commune, tips_received=1, mediation_cases=1), now=on(2))
    stored, _ = stored.apply(
        _submission("unit:00101", "2025-05", {0: 3, 1: 2, 2: 1, 3: 10}), now=on(2)
    )
    from_file = _submission("unit:00101", "2025-05", {2: 5, 4: 12}).evolve(
        file="ban-giang.csv",
        items=[
            {"metric": "mediation_succeeded", "value": 5, "row": 3},
            {
                "metric": "mass_organization_members",
                "disaggregation": {"sex": "female"},
                "value": 12,
                "row": 4,
            },
        ],
    )
    cases = [
        (from_file, {"rule-violated", "parts-exceed-total"}),
        (_submission("unit:00101", "2025", {0: 30}), {"overlapping-periods"}),
        (_submission("unit:00101", "2031-05", {0: 1, 1: 1}), {"period-in-future"}),
        (_submission("unit:00101", "2025-05", {1: 0}), {"rule-violated"}),
    ]
    for submission, codes in cases:
        merged, _ = stored.apply(submission, force=True)
        introduced = {i.code: i for i in validate(stored, submission=submission)}
        assert codes <= set(introduced)
        for code in codes:
            issue = introduced[code]
            rows = issue.details["rows"]
            assert isinstance(rows, tuple)
            assert set(rows) == _named_rows(merged, stored, submission, code), code
            owner = issue.details.get("owner_en")
            if isinstance(owner, str):  # a text naming the rows names the same
                assert all(name in owner for name in rows), owner
                assert all(name in str(issue.details["owner_vi"]) for name in rows)
    # A submission that is not in a file: the items by their JSON path.
    future = validate(stored, submission=cases[2][0])
    (issue,) = [i for i in future if i.code == "period-in-future"]
    assert issue.details["rows"] == ("$.items[0]", "$.items[1]")
    assert "2 observations (tips_received unit:00101; rows $.items[0], $.items[1])" in (
        issue.message("en")
    )


def test_a_settled_issue_names_stored_rows(ds: Dataset, report: Any, on: Any) -> None:
    stored = ds
    for commune in ("00102", "00103"):
        stored, _ = stored.apply(report(commune, tips_received=1), now=on(2))
    stored, _ = stored.apply(report("00101", mediation_cases=2, mediation_succeeded=5), now=on(2))
    rows = {i.code: i.details.get("rows") for i in validate(stored)}
    fixed = _submission("unit:00101", "2025-05", {2: 1})
    (settled,) = check_submission(stored, fixed).settled
    assert settled.code == "rule-violated"
    assert settled.details["rows"] == rows["rule-violated"]
