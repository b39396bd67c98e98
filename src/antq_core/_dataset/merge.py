"""Applying a submission to a dataset: what is new, what replaces, what conflicts."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from antq_core._dataset.forms import is_assigned
from antq_core._dataset.store import FigureAudit, ObservationStore, Row
from antq_core._dataset.summary import ImportConflict, ImportStrategy, ImportSummary
from antq_core._entities import (
    DisaggregationCategory,
    FormMetric,
    Initiative,
    MassOrganization,
    MetricDefinition,
    Participant,
    ReportingForm,
    Site,
    Submission,
    SubmissionItem,
)
from antq_core._values.geo import Gazetteer
from antq_core._values.groups import UnitGroupSet
from antq_core._values.quantity import Quantity, Unit
from antq_core._values.refs import EMPTY_DISAGGREGATION, SubjectKind, SubjectRef
from antq_core.errors import AntqError, InvalidValueError, Location


class Dataset(Protocol):
    """What merging reads of a :class:`~antq_core.Dataset` (named so to avoid an import cycle)."""

    @property
    def gazetteer(self) -> Gazetteer: ...
    @property
    def metrics(self) -> Mapping[str, MetricDefinition]: ...
    @property
    def categories(self) -> Mapping[str, DisaggregationCategory]: ...
    @property
    def sites(self) -> Mapping[str, Site]: ...
    @property
    def initiatives(self) -> Mapping[str, Initiative]: ...
    @property
    def organizations(self) -> Mapping[str, MassOrganization]: ...
    @property
    def participants(self) -> Mapping[str, Participant]: ...
    @property
    def forms(self) -> Mapping[str, ReportingForm]: ...
    @property
    def observations(self) -> ObservationStore: ...


__all__ = ["STRATEGIES", "item_location", "merge", "submission_conflicts"]

STRATEGIES: Final = ("create_and_update", "create", "update", "delete")


def item_location(submission: Submission, index: int, field: str | None = None) -> Location:
    """Where item ``index`` of ``submission`` was read: file, sheet, row and cell, or JSON path."""
    item = submission.items[index]
    if item.row is not None:
        return Location(
            kind=None,
            row=item.row,
            field=field,
            file=submission.file,
            sheet=item.sheet,
            cell=item.cell,
        )
    path = f"$.items[{index}]" + (f".{field}" if field else "")
    return Location(field=field, path=path, file=submission.file)


class _Conflicts:
    """Conflicts as they are found; one per item and reason."""

    def __init__(self, submission: Submission) -> None:
        self.submission = submission
        self.found: list[ImportConflict] = []
        self.rejected: set[int] = set()

    def whole(self, code: str, obj: str, vi: str, en: str, dhis2: str | None = None) -> None:
        self.found.append(ImportConflict(code, obj, vi, en, dhis2_code=dhis2))

    def item(
        self,
        index: int,
        code: str,
        obj: str,
        vi: str,
        en: str,
        *,
        field: str | None = None,
        dhis2: str | None = None,
    ) -> None:
        where = item_location(self.submission, index, field)
        self.found.append(
            ImportConflict(code, obj, vi, en, (index,), (where,), field, dhis2_code=dhis2)
        )
        self.rejected.add(index)


def _subject_known(dataset: Dataset, subject: SubjectRef) -> bool:
    kind = subject.kind
    if kind is SubjectKind.SITE:
        return subject.id in dataset.sites
    if kind is SubjectKind.INITIATIVE:
        return subject.id in dataset.initiatives
    if kind is SubjectKind.ORGANIZATION:
        return subject.id in dataset.organizations
    if kind is SubjectKind.PARTICIPANT:
        return subject.id in dataset.participants
    return subject.id in dataset.gazetteer


def submission_conflicts(
    dataset: Dataset,
    submission: Submission,
    *,
    today: dt.date,
    force: bool,
    conflicts: _Conflicts,
    group_sets: Mapping[str, UnitGroupSet] | None = None,
) -> ReportingForm | None:
    """Check the submission as a whole (form, subject, period) into ``conflicts``."""
    subject, period = submission.subject, submission.period
    if not _subject_known(dataset, subject):
        conflicts.whole(
            "unknown_subject",
            str(subject),
            f"Bộ dữ liệu không có đối tượng báo cáo {subject}",
            f"the dataset has no subject {subject}",
            "E7603",
        )
    if submission.form is None:
        return None
    form = dataset.forms.get(submission.form)
    if form is None:
        conflicts.whole(
            "unknown_form",
            submission.form,
            f"Bộ dữ liệu không có biểu mẫu {submission.form}",
            f"the dataset has no reporting form {submission.form}",
            "E7600",
        )
        return None
    if period.kind is not form.period_kind:
        conflicts.whole(
            "wrong_period_kind",
            str(period),
            f"Biểu mẫu {form.id} báo cáo theo kỳ {form.period_kind.value}, không phải {period}",
            f"form {form.id} is reported by {form.period_kind.value}, not {period}",
            "E7611",
        )
        return form
    unit = subject.kind is SubjectKind.UNIT and subject.id in dataset.gazetteer
    if unit and not is_assigned(form, dataset.gazetteer, subject.id, group_sets=group_sets):
        conflicts.whole(
            "not_assigned",
            str(subject),
            f"Đơn vị {subject.id} không được giao báo cáo biểu mẫu {form.id}",
            f"unit {subject.id} is not assigned to report form {form.id}",
            "E7603",
        )
    if not force:
        closes = form.closes(period)
        opens = form.opens(period)
        if closes is not None and today > closes:
            conflicts.whole(
                "closed_period",
                str(period),
                f"Kỳ {period} của biểu mẫu {form.id} đã khóa nhập từ sau ngày {closes:%d/%m/%Y}",
                f"entry for {period} on form {form.id} closed after {closes.isoformat()}",
            )
        elif today < opens:
            conflicts.whole(
                "period_not_open",
                str(period),
                f"Kỳ {period} của biểu mẫu {form.id} chưa mở nhập (mở từ {opens:%d/%m/%Y})",
                f"entry for {period} on form {form.id} opens on {opens.isoformat()}",
            )
    return form


def _observation(
    dataset: Dataset,
    submission: Submission,
    index: int,
    item: SubmissionItem,
    *,
    form: ReportingForm | None,
    conflicts: _Conflicts,
    deleting: bool,
    metrics: Mapping[str, MetricDefinition],
    lines: Mapping[str, FormMetric] | None,
) -> Row | None:
    """The figure of one item, or ``None`` after noting what is wrong with it."""
    metric = metrics.get(item.metric)
    if metric is None:
        conflicts.item(
            index,
            "unknown_metric",
            item.metric,
            f"Bộ dữ liệu không có chỉ tiêu {item.metric}",
            f"the dataset has no metric {item.metric}",
            field="metric",
            dhis2="E7610",
        )
        return None
    line = lines.get(item.metric) if lines is not None else None
    if form is not None and line is None:
        conflicts.item(
            index,
            "not_in_form",
            item.metric,
            f"Chỉ tiêu {item.metric} không có trong biểu mẫu {form.id}",
            f"metric {item.metric} is not on form {form.id}",
            field="metric",
            dhis2="E7610",
        )
        return None
    for category, option in item.disaggregation.items() if item.disaggregation else ():
        known = dataset.categories.get(category)
        allowed = line.categories if line is not None else metric.categories
        if category not in allowed or known is None or all(o.id != option for o in known.options):
            conflicts.item(
                index,
                "unknown_category",
                f"{category}={option}",
                f"Chỉ tiêu {item.metric} không được chia theo {category}={option}"
                + (f" trong biểu mẫu {form.id}" if form is not None else ""),
                f"metric {item.metric} is not broken down by {category}={option}"
                + (f" on form {form.id}" if form is not None else ""),
                field="disaggregation",
                dhis2="E7613",
            )
            return None
    unit = item.unit
    if unit is None:
        unit = metric.unit
    elif not unit.compatible(metric.unit):
        conflicts.item(
            index,
            "wrong_unit",
            unit.code,
            f"Đơn vị {unit.code} không đổi được sang {metric.unit.code} của chỉ tiêu {metric.id}",
            f"unit {unit.code} does not convert to {metric.unit.code} of metric {metric.id}",
            field="unit",
            dhis2="E7619",
        )
        return None
    value = item.value
    if value is None:
        if not deleting:
            conflicts.item(
                index,
                "no_value",
                item.metric,
                f"Chưa có giá trị cho chỉ tiêu {item.metric}",
                f"no value for metric {item.metric}",
                field="value",
                dhis2="E7618",
            )
            return None
        value = 0
    elif type(value) is not int or value < 0:  # a non-negative int fits every unit
        try:
            value = Quantity(value, unit, signed=metric.signed).value
        except AntqError as e:
            conflicts.item(
                index,
                "invalid_value",
                str(value),
                f"Giá trị {value} không hợp lệ cho đơn vị {unit.code}",
                f"value {value} is not valid in unit {unit.code}: {e}",
                field="value",
                dhis2="E7619",
            )
            return None
    return (
        metric.id,
        submission.subject,
        submission.period,
        unit,
        item.qualifier,
        item.disaggregation,
        item.source,
        item.note,
        value,
    )


# Read from the models' ``__dict__`` (where pydantic keeps fields), in C: a third of
# the time of reading them as attributes, which pass through ``BaseModel.__getattr__``.
_ITEM_FIELDS: Final = operator.itemgetter(
    "metric", "value", "unit", "qualifier", "disaggregation", "source", "note"
)
_UNITS: Final[dict[int, tuple[Mapping[str, MetricDefinition], dict[str, Unit]]]] = {}
"""The unit of each metric, for the few metric tables last applied to, by the table's id.

A dataset's metrics never change, and datasets derived by :meth:`Dataset.apply`
share them: so each table's units are read once, not once per item per apply.
The table is kept with them, so that its id is not reused while they are.
"""
_UNITS_KEPT: Final = 4


def _metric_units(metrics: Mapping[str, MetricDefinition]) -> dict[str, Unit]:
    """The unit of each of ``metrics`` by id (read once for each table)."""
    kept = _UNITS.get(id(metrics))
    if kept is not None and kept[0] is metrics:
        return kept[1]
    units = {metric_id: metric.unit for metric_id, metric in metrics.items()}
    if len(_UNITS) >= _UNITS_KEPT:
        _UNITS.clear()
    _UNITS[id(metrics)] = (metrics, units)
    return units


def _plain_totals(
    submission: Submission,
    metrics: Mapping[str, MetricDefinition],
    lines: Mapping[str, FormMetric] | None,
) -> tuple[Sequence[Any], ...] | None:
    """Metrics, units, qualifiers, sources, notes and values of the items, if all are plain.

    Plain: each item of a known metric (on the form, if there is one), no
    two of one metric, with no unit of its own (the metric's unit is given),
    no breakdown, and a non-negative ``int`` value, which every unit takes.
    Such items need none of the checks of :func:`_observation`; they are
    checked all at once, in C. ``None`` if any is not plain.
    """
    items = submission.items
    n = len(items)
    if not n:
        return None
    try:
        fields = list(map(_ITEM_FIELDS, map(vars, items)))
    except KeyError:  # pragma: no cover - a model keeping a field elsewhere
        return None
    ids, values, units, qualifiers, disaggregations, sources, notes = zip(*fields, strict=True)
    known = set(ids)
    # An unknown metric has no unit: one look-up says both.
    metric_units = list(map(_metric_units(metrics).get, ids))
    if (
        len(known) != n
        or None in metric_units
        or (lines is not None and not known <= lines.keys())
        or units.count(None) != n
        or disaggregations.count(EMPTY_DISAGGREGATION) != n
        or set(map(type, values)) != {int}
        or min(values) < 0
    ):
        return None
    return (ids, metric_units, qualifiers, sources, notes, values)


def _all_new(
    dataset: Dataset,
    submission: Submission,
    form: ReportingForm | None,
    conflicts: _Conflicts,
    audit: FigureAudit,
    *,
    plain: tuple[Sequence[Any], ...],
    dry_run: bool,
) -> tuple[ObservationStore | None] | None:
    """The store with every item added, if none is stored yet; else ``None``.

    The items are ``plain`` (:func:`_plain_totals`) and new, so they are all
    added, with nothing else to decide; the store is ``None`` in a dry run.
    """
    store = dataset.observations
    subject, period, ids = submission.subject, submission.period, plain[0]
    changed = None
    if dry_run:
        if store.slots(subject, period, ids).count(None) != len(ids):
            return None
    else:
        changed = store.with_new_totals(subject, period, ids, plain[1:], audit)
        if changed is None:
            return None
    if form is not None:
        _missing_compulsory(form, submission, conflicts)
    return (changed,)


class _Plan:
    """What a submission's figures do to the store: rows to add, slots to replace and remove."""

    def __init__(self) -> None:
        self.append: list[Row] = []
        self.replace: dict[int, tuple[Row, FigureAudit | None]] = {}
        self.remove: list[int] = []
        self.identical = 0


def _plan(
    store: ObservationStore,
    submission: Submission,
    *,
    strategy: ImportStrategy,
    conflicts: _Conflicts,
    when: dt.datetime,
    taken: list[tuple[int, Row]],
) -> _Plan:
    """Plan what each ``(index, row)`` in ``taken`` does; note why one does nothing.

    The rows' slots are looked up together (:meth:`ObservationStore.slots`); an
    item repeating the metric and breakdown of an earlier one is a conflict.
    """
    plan = _Plan()
    subject, period = submission.subject, submission.period
    rows = [row for _, row in taken]
    metrics = [row[0] for row in rows]
    disaggregations = [row[5] for row in rows]
    slots = store.slots(subject, period, metrics, disaggregations)
    keys: list[object] = [
        (m, d.items_) if d.items_ else m for m, d in zip(metrics, disaggregations, strict=True)
    ]
    repeated = len(set(keys)) != len(keys)
    seen: dict[object, int] = {}
    audits: dict[dt.datetime | None, FigureAudit] = {}
    deleting = strategy == "delete"
    append, remove, replace = plan.append, plan.remove, plan.replace
    for (index, row), slot, key in zip(taken, slots, keys, strict=True):
        if repeated:
            first = seen.setdefault(key, index)
            if first != index:
                conflicts.item(
                    index,
                    "duplicate_item",
                    row[0],
                    f"Mục {index + 1} trùng chỉ tiêu và phân tổ với mục {first + 1}",
                    f"item {index} repeats the metric and breakdown of item {first}",
                )
                continue
        if slot is None:
            if strategy in ("update", "delete"):
                verb_vi, verb_en = ("xóa", "delete") if deleting else ("cập nhật", "update")
                conflicts.item(
                    index,
                    "not_stored",
                    row[0],
                    f"Chưa có số liệu {row[0]} của {subject} kỳ {period} để {verb_vi}",
                    f"no stored figure {row[0]} of {subject} for {period} to {verb_en}",
                )
            else:
                append.append(row)
        elif deleting:
            remove.append(slot)
        elif strategy == "create":
            conflicts.item(
                index,
                "exists",
                row[0],
                f"Đã có số liệu {row[0]} của {subject} kỳ {period}; "
                "chiến lược 'create' không ghi đè",
                f"a figure {row[0]} of {subject} for {period} is already stored; "
                "strategy 'create' does not replace it",
            )
        elif store.stored(slot) == row:
            plan.identical += 1
        else:
            before = store.stored_audit(slot)
            created = before.created if before is not None else None
            audit = audits.get(created)  # figures first stored together share one
            if audit is None:
                audit = audits[created] = FigureAudit(submission.stored_by, created, when)
            replace[slot] = (row, audit)
    return plan


def merge(
    dataset: Dataset,
    submission: Submission,
    strategy: ImportStrategy,
    *,
    dry_run: bool,
    force: bool,
    now: dt.datetime | None,
    group_sets: Mapping[str, UnitGroupSet] | None = None,
) -> tuple[ObservationStore | None, ImportSummary]:
    """The store with ``submission`` applied (``None`` when nothing changes) and its summary."""
    if strategy not in STRATEGIES:
        raise InvalidValueError("import strategy", strategy, f"use one of {', '.join(STRATEGIES)}")
    when = now or submission.submitted or dt.datetime.now(dt.UTC)
    if when.utcoffset() is None:
        raise InvalidValueError("now", when.isoformat(), "give a timezone-aware time")
    conflicts = _Conflicts(submission)
    form = submission_conflicts(
        dataset,
        submission,
        today=when.date(),
        force=force,
        conflicts=conflicts,
        group_sets=group_sets,
    )
    items = submission.items
    if conflicts.found:
        summary = ImportSummary(
            ignored=len(items),
            conflicts=conflicts.found,
            strategy=strategy,
            dry_run=dry_run,
            aborted=True,
            rejected_indexes=range(len(items)),
        )
        return None, summary
    metrics = dataset.metrics
    lines = form.lines if form is not None else None
    deleting = strategy == "delete"
    subject, period = submission.subject, submission.period
    new_audit = FigureAudit(submission.stored_by, when, when)
    plain = _plain_totals(submission, metrics, lines)
    if plain is not None and strategy in ("create_and_update", "create"):
        done = _all_new(
            dataset, submission, form, conflicts, new_audit, plain=plain, dry_run=dry_run
        )
        if done is not None:
            return done[0], ImportSummary(
                imported=len(items), conflicts=conflicts.found, strategy=strategy, dry_run=dry_run
            )
    taken: list[tuple[int, Row]] = []
    if plain is not None:  # their rows as they are: no item needs a check of its own
        ids, units, qualifiers, sources, notes, values = plain
        n = len(ids)
        taken = list(
            enumerate(
                zip(
                    ids,
                    [subject] * n,
                    [period] * n,
                    units,
                    qualifiers,
                    [EMPTY_DISAGGREGATION] * n,
                    sources,
                    notes,
                    values,
                    strict=True,
                )
            )
        )
    for index, item in enumerate(items if plain is None else ()):
        metric = metrics.get(item.metric)
        value = item.value
        if (
            metric is None
            or item.unit is not None
            or item.disaggregation.items_
            or type(value) is not int
            or value < 0
            or (lines is not None and item.metric not in lines)
        ):
            # Anything but a plain total in the metric's unit: every check, one by one.
            row = _observation(
                dataset,
                submission,
                index,
                item,
                form=form,
                conflicts=conflicts,
                deleting=deleting,
                metrics=metrics,
                lines=lines,
            )
            if row is None:
                continue
        else:
            row = (
                metric.id,
                subject,
                period,
                metric.unit,
                item.qualifier,
                item.disaggregation,
                item.source,
                item.note,
                value,
            )
        taken.append((index, row))
    unread = len(conflicts.found)
    plan = _plan(
        dataset.observations,
        submission,
        strategy=strategy,
        conflicts=conflicts,
        when=when,
        taken=taken,
    )
    if unread and len(conflicts.found) > unread:
        # Conflicts in the order of the items, as when each is read and planned in turn.
        conflicts.found.sort(key=lambda c: c.indexes[0])
    append, replace, remove = plan.append, plan.replace, plan.remove
    store = dataset.observations
    identical = plan.identical
    if form is not None and not deleting:
        _missing_compulsory(form, submission, conflicts)
    summary = ImportSummary(
        imported=len(append),
        updated=len(replace),
        ignored=identical + len(conflicts.rejected),
        deleted=len(remove),
        conflicts=conflicts.found,
        strategy=strategy,
        dry_run=dry_run,
        rejected_indexes=sorted(conflicts.rejected),
    )
    if dry_run or not (append or replace or remove):
        return None, summary
    changed = store.with_changes(
        append=append, append_audit=[new_audit] * len(append), replace=replace, remove=remove
    )
    return changed, summary


def _missing_compulsory(
    form: ReportingForm, submission: Submission, conflicts: _Conflicts
) -> None:
    compulsory = form.compulsory
    if not compulsory:
        return
    given = {item.metric for item in submission.items if item.value is not None}
    for metric in compulsory:
        if metric in given:
            continue
        conflicts.whole(
            "missing_compulsory",
            metric,
            f"Thiếu chỉ tiêu bắt buộc {metric} của biểu mẫu {form.id}",
            f"compulsory metric {metric} of form {form.id} is missing",
        )
