"""Validation of a submission against what is stored: what it would introduce, what it settles.

The submission's subject is the neighbourhood: every stored figure of that
subject (any metric, any period) is what a check can put a submission's
figure beside (duplicates and conflicts, parts and totals, rules between
metrics, overlapping periods). The figures of the neighbourhood are found
in C (:func:`~antq_core._dataset.keys.rows_with`), the checks run on that
small dataset before and after the submission is applied to it, and the
issues that involve a figure the submission names are compared: those only
after are introduced, those only before are settled. Each is located at the
submission's item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from antq_core._dataset.dataset import Dataset
from antq_core._dataset.keys import rows_with
from antq_core._dataset.merge import item_location
from antq_core._dataset.summary import ImportStrategy, ImportSummary
from antq_core._entities import Observation, Submission
from antq_core._validation.checks.context import named_owner, observation_owner
from antq_core._validation.issues import Issue, ValidationReport
from antq_core._values.refs import Disaggregation, SubjectKind, SubjectRef

__all__ = ["SubmissionCheck", "compare"]

_Key = tuple[str, SubjectRef, Any, Disaggregation]


def _issue_tuple(value: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(value)


@attrs.frozen
class SubmissionCheck:
    """What a submission would change in a dataset's validation.

    Attributes:
        introduced: The issues applying it would bring, each located at the
            submission's item (its file, sheet, row and cell, or ``$.items[i]``);
            the stored figures involved are in the issue's details.
        settled: The issues of the stored figures that applying it would clear,
            as the dataset's own validation words them.
        summary: What applying it would do (a dry run of :meth:`Dataset.apply
            <antq_core.Dataset.apply>`).
    """

    introduced: ValidationReport
    settled: tuple[Issue, ...] = attrs.field(converter=_issue_tuple)
    summary: ImportSummary


def _rows(issue: Issue) -> tuple[int, ...]:
    """The observation rows an issue is about."""
    rows = issue.details.get("rows")
    if isinstance(rows, tuple):
        return tuple(int(r) for r in rows if str(r).isdigit())
    where = issue.where
    if where.kind == "observation" and where.row is not None:
        return (where.row,)
    return ()


def _key(o: Observation) -> _Key:
    return (o.metric, o.subject, o.period, o.disaggregation)


def _touched(
    report: ValidationReport, keys: Mapping[_Key, int], row_keys: list[_Key]
) -> dict[tuple[Any, ...], tuple[Issue, tuple[int, ...]]]:
    """The issues that involve a figure of ``keys``, by code and figures, with the items."""
    found: dict[tuple[Any, ...], tuple[Issue, tuple[int, ...]]] = {}
    for issue in report:
        rows = _rows(issue)
        figures = [row_keys[r] for r in rows if r < len(row_keys)]
        items = tuple(sorted({keys[f] for f in figures if f in keys}))
        if items:
            signature = (issue.code, frozenset(figures))
            found.setdefault(signature, (issue, items))
    return found


def _place(submission: Submission, index: int) -> str:
    """Where item ``index`` is, in a row list: ``file:row`` if read from a file, else its path."""
    row = submission.items[index].row
    if row is not None and submission.file:
        return f"{submission.file}:{row}"
    return f"$.items[{index}]"


def _located(
    issue: Issue,
    items: tuple[int, ...],
    submission: Submission,
    name: Callable[[int], str],
    rows: Sequence[Observation],
) -> Issue:
    """``issue`` of the checked part, located at the submission's items it involves.

    Its rows are named as they are to the caller: a figure of the submission by
    its item's place (:func:`_place`), a stored figure by its row in the dataset;
    a text naming rows (``owner_vi``, ``owner_en``) is made again from those names.
    """
    where = item_location(submission, items[0], issue.where.field)
    details = _renamed(issue, name, rows) | {"submission_items": tuple(str(i) for i in items)}
    return attrs.evolve(issue, where=where, details=details)


def _renamed(
    issue: Issue, name: Callable[[int], str], rows: Sequence[Observation]
) -> dict[str, Any]:
    """``issue``'s details with the checked part's rows (``rows``) named by ``name``.

    A text naming them (``owner_vi``, ``owner_en``) is made again from the names.
    """
    details = issue.details
    checked = _rows(issue)
    if checked:
        names = tuple(name(r) for r in checked)
        if isinstance(details.get("rows"), tuple):
            details["rows"] = names
        count = details.get("count")
        count = count if isinstance(count, int) else len(checked)
        first = rows[checked[0]]
        what = f"{first.metric} {first.subject}"
        padded = [*checked, *([0] * (count - len(checked)))]
        if details.get("owner_vi") == observation_owner(padded, what)["owner_vi"]:
            details |= named_owner(names, count, what)
    return details


def _neighbourhood(
    dataset: Dataset, subject: SubjectRef, observations: list[Observation]
) -> Dataset:
    """``dataset`` with only ``observations`` and the entities a check may put beside them.

    Those are the subject itself and what is registered under it (the sites,
    organizations and participants of a unit, of an initiative), so that
    reconciling a reported total counts the same entities as in the whole
    dataset; checks of entities alone find the same before and after a
    submission and are left out of the comparison anyway.
    """
    gazetteer = dataset.gazetteer
    kind, ident = subject.kind, subject.id
    if kind is SubjectKind.UNIT:

        def here(code: str | None) -> bool:
            return code is not None and code in gazetteer and gazetteer.is_within(code, ident)

        sites = [s for s in dataset.sites.values() if any(here(u) for u in s.admin_units)]
        organizations = [o for o in dataset.organizations.values() if here(o.admin_unit)]
    elif kind is SubjectKind.INITIATIVE:
        sites = [s for s in dataset.sites.values() if s.initiative == ident]
        organizations = [o for o in dataset.organizations.values() if o.initiative == ident]
    elif kind is SubjectKind.SITE:
        sites = [s for s in dataset.sites.values() if s.id == ident]
        organizations = []
    else:
        sites = []
        organizations = [o for o in dataset.organizations.values() if o.id == ident]
    initiatives = {s.initiative for s in sites} | {o.initiative for o in organizations}
    if kind is SubjectKind.INITIATIVE:
        initiatives.add(ident)
    org_ids = {o.id for o in organizations}
    participants = [
        p
        for p in dataset.participants.values()
        if p.id == ident
        or p.organization in org_ids
        or p.initiative in initiatives
        or (kind is SubjectKind.UNIT and p.admin_unit is not None and here(p.admin_unit))
    ]
    return dataset.replace(
        observations=observations,
        sites=sites,
        organizations=organizations,
        initiatives=[i for i in dataset.initiatives.values() if i.id in initiatives],
        participants=participants,
    )


def compare(
    dataset: Dataset,
    submission: Submission,
    *,
    strategy: ImportStrategy = "create_and_update",
    now: dt.datetime | None = None,
    run: Callable[[Dataset], ValidationReport],
) -> SubmissionCheck:
    """See :func:`antq_core.check_submission`; ``run`` validates a dataset."""
    summary = dataset.apply(submission, strategy, dry_run=True, force=True, now=now)[1]
    store = dataset.observations
    cols = store.columns()
    code = cols.subjects.index(submission.subject) if submission.subject in cols.subjects else -1
    stored = rows_with(cols.subject, {code}, len(cols.subjects)) if code >= 0 else []
    near = _neighbourhood(dataset, submission.subject, [store[i] for i in stored])
    after, _ = near.apply(submission, strategy, force=True, now=now)
    keys: dict[_Key, int] = {}
    for index, item in enumerate(submission.items):
        key = (item.metric, submission.subject, submission.period, item.disaggregation)
        keys.setdefault(key, index)
    before_keys = [_key(o) for o in near.observations]
    after_keys = [_key(o) for o in after.observations]
    before = _touched(run(near), keys, before_keys)
    now_found = _touched(run(after), keys, after_keys)
    if strategy == "delete":  # the rows left, in order: each a stored row
        # The checked part is built from a list: its slots are its rows.
        removed = {near.observations.find(*key) for key in keys} - {None}
        kept = [stored[r] for r in range(len(before_keys)) if r not in removed]
    else:  # the stored rows (some replaced by an item), then the items added
        kept = stored
    after_rows = after.observations

    def name(row: int) -> str:
        """A row of the checked part: the submission's item there, else the stored row."""
        item = keys.get(_key(after_rows[row]))
        return _place(submission, item) if item is not None else str(kept[row])

    introduced = [
        _located(issue, items, submission, name, after_rows)
        for signature, (issue, items) in now_found.items()
        if signature not in before
    ]
    before_rows = near.observations
    settled = [
        attrs.evolve(issue, details=_renamed(issue, lambda r: str(stored[r]), before_rows))
        for signature, (issue, _) in before.items()
        if signature not in now_found
    ]
    return SubmissionCheck(ValidationReport(introduced), settled, summary)
