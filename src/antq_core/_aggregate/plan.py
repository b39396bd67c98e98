"""Planning: resolve every distinct subject, period and disaggregation to codes, once.

Observations repeat their subjects and periods heavily, so the plan works on
the store's shared tables (:meth:`ObservationStore.columns
<antq_core.ObservationStore.columns>`), never on rows: each distinct subject
gets a *group code* (where it lands, or why it cannot), each distinct period a
*bucket code*, each distinct disaggregation a *slice code*. An engine then
only looks codes up per row (see :mod:`._engine`).

Codes: ``>= 0`` index a table of the plan; :data:`EXCLUDED` (``-1``) means
"outside the filters, not part of the question"; ``<= -2`` means
unplaceable, with ``reasons[-code - 2]`` saying why.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import weakref
from array import array
from collections.abc import Iterable, Mapping, Sequence
from itertools import compress
from typing import Any, Final, cast

import attrs

from antq_core._aggregate.semantics import ScanKind, scan_kind, space_op, time_op
from antq_core._aggregate.table import ExclusionReason
from antq_core._dataset.catalog import bundled_group_sets
from antq_core._dataset.dataset import Dataset
from antq_core._dataset.store import ObservationColumns, ObservationStore
from antq_core._entities import AggregationType, MetricDefinition, MetricKind
from antq_core._util.extras import arrow_over, polars_and_arrow
from antq_core._values.geo import AdminLevel, Gazetteer
from antq_core._values.groups import UnitGroupSet
from antq_core._values.period import Period, PeriodKind
from antq_core._values.quantity import Unit
from antq_core._values.refs import SubjectKind, SubjectRef
from antq_core.errors import (
    AmbiguousGroupingError,
    InvalidValueError,
    UnknownAdminUnitError,
    UnresolvedReferenceError,
)

__all__ = [
    "CATEGORY_PREFIX",
    "DIMENSION_PREFIX",
    "EXCLUDED",
    "GROUP_PREFIX",
    "MetricPlan",
    "Plan",
    "increasing",
    "make_plan",
    "order_columns",
    "recall",
    "remember",
    "rows_in_code_order",
    "slices_rise",
    "unique_placed",
]

EXCLUDED: Final = -1
"""Code of a subject or period outside the filters."""

_LEVELS: Final = {level.value: level for level in AdminLevel}
_PERIOD_KINDS: Final = {
    k.value: k
    for k in (
        PeriodKind.MONTH,
        PeriodKind.QUARTER,
        PeriodKind.HALF_YEAR,
        PeriodKind.YEAR,
        PeriodKind.CROP_SEASON,
    )
}
OWN_PERIOD: Final = "period"
_ENTITY_DIMS: Final = ("initiative", "theme", "organization_kind")
CATEGORY_PREFIX: Final = "category:"
"""``by`` prefix naming a disaggregation category: ``category:organization_kind``."""
GROUP_PREFIX: Final = "group:"
"""``by`` prefix naming a unit group set: ``group:region``."""
DIMENSION_PREFIX: Final = "dimension:"
"""``by`` prefix naming a built-in dimension when a category has its name too."""


@attrs.frozen
class MetricPlan:
    """How one metric is aggregated.

    Attributes:
        definition: The metric.
        code: Its index in the columns' metric table (``-1``: no rows).
        scan: What an engine computes for its rows.
        time: Operation over time, per series.
        space: Operation over the series of a group.
        unit: Unit of the result.
    """

    definition: MetricDefinition
    code: int
    scan: ScanKind
    time: AggregationType
    space: AggregationType
    unit: Unit


@attrs.frozen(eq=False)
class Plan:
    """Everything an engine needs, as codes; and what the finishing step needs.

    Attributes:
        store: The observations.
        columns: The observation rows, column-wise.
        scans: Metric codes per scan kind (see :class:`ScanKind`).
        subject_group: Per subject code: its group's code (an index into
            :attr:`row_groups`), :data:`EXCLUDED`, or a reason code.
        subject_child: Per subject code: the expected unit it reports for
            (see :mod:`._semantics`), or ``None``.
        period_bucket: Per period code: bucket code, :data:`EXCLUDED`, or a reason code.
        last_rank: Per period code: its rank among the periods by (end, start);
            the highest rank of a series is its latest period.
        first_rank: Per period code: the highest rank is the earliest period.
        summed: Metric codes summed over time, whose duplicates must be refused.
        metrics: Plans of the requested metrics and the parts of requested
            ratios, by metric id.
        ratios: The requested ratio metrics.
        requested: Requested metric ids, in order.
        by: The grouping names, in order.
        row_groups: Per group code: the key values of its space and entity names.
        expected: Per group code: the codes of the units expected to report.
        buckets: Per bucket code: the periods of its time names.
        bucket_end: Per bucket code: the last day of its shortest period.
        slice_of: Per code of :attr:`disaggregation`: slice code, or a reason code.
        slices: Per slice code: the option ids of its category names.
        reasons: Why unplaceable or excluded, per reason code ``-code - 2``.
        space_names: The ``by`` names whose values come from the group.
        time_names: The ``by`` names whose values come from the bucket.
        category_names: The ``by`` names whose values come from the slice.
    """

    store: ObservationStore
    columns: ObservationColumns
    scans: Mapping[ScanKind, frozenset[int]]
    subject_group: Sequence[int]
    subject_child: Sequence[str | None]
    period_bucket: Sequence[int]
    last_rank: Sequence[int]
    first_rank: Sequence[int]
    summed: frozenset[int]
    metrics: Mapping[str, MetricPlan]
    ratios: tuple[MetricDefinition, ...]
    requested: tuple[str, ...]
    by: tuple[str, ...]
    row_groups: Sequence[tuple[str, ...]]
    expected: Sequence[frozenset[str]]
    buckets: Sequence[tuple[Period, ...]]
    bucket_end: Sequence[dt.date]
    slice_of: Sequence[int]
    slices: Sequence[tuple[str, ...]]
    reasons: Sequence[str]
    space_names: tuple[str, ...]
    time_names: tuple[str, ...]
    category_names: tuple[str, ...]
    disaggregation: memoryview | array[int] = attrs.field(factory=lambda: array("I"))
    """Per row: the disaggregation code engines key cells on. The store's own
    code, except for parts that must not be used (their figure is counted
    undivided, or the parts are incomplete), which get a code past the
    store's table whose :attr:`slice_of` is the reason code."""
    reason_kinds: Sequence[ExclusionReason | None] = ()
    """Per reason code ``-code - 2``: ``None`` for unplaceable, else why excluded."""
    category_ids: tuple[str, ...] = ()
    """The category ids of :attr:`category_names`, in order."""
    resolution: Sequence[int] = ()
    """Per subject code: the code of how it resolves (anchor, initiative,
    organization kind); subjects of one code land alike in every plan."""
    resolved_first: Sequence[int] = ()
    """Per resolution code: its first subject."""
    anchors: Sequence[str | None] = ()
    """Per resolution code: the unit its subjects are anchored at (``None``: nowhere)."""
    projected: bool = False
    """Whether the store holds breakdowns finer than the requested categories,
    which may be used in place of a figure's undivided value."""
    covered: frozenset[tuple[int, int, int, int]] = frozenset()
    """(metric, group, bucket, slice) of the rows where figures were left out for
    the reported figure of a unit enclosing them (``space_overlap="prefer_reported"``)."""
    memo: dict[str, object] = attrs.field(factory=dict)
    """Work kept for the dataset's life (shared by every plan of the dataset)."""
    engine_distinct: bool = True
    """Whether an engine may finish distinct counts itself (``Scan.counted``):
    not when the cells are rolled up to other levels afterwards."""

    def reason(self, code: int) -> str:
        """The reason behind an unplaceable (or excluded) code."""
        return self.reasons[-code - 2]

    def exclusion(self, code: int) -> ExclusionReason | None:
        """Why a reason code excludes (``None``: it is unplaceable)."""
        return self.reason_kinds[-code - 2]


class _Table:
    """Distinct keys and their codes."""

    def __init__(self) -> None:
        self.index: dict[object, int] = {}
        self.values: list[object] = []

    def code(self, key: object) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.values)
            self.values.append(key)
        return found


def _as_tuple(value: str | Iterable[str] | None, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    for item in items:
        if not isinstance(item, str):
            raise InvalidValueError(what, item, "give ids or codes as strings")
    return items


def _metric_plans(
    ds: Dataset, metrics: Sequence[str], codes: Mapping[str, int]
) -> tuple[dict[str, MetricPlan], list[MetricDefinition]]:
    plans: dict[str, MetricPlan] = {}
    ratios: list[MetricDefinition] = []

    def add(metric_id: str, chain: tuple[str, ...]) -> None:
        if metric_id in chain:
            loop = " -> ".join((*chain, metric_id))
            raise InvalidValueError("ratio", metric_id, f"it is its own part ({loop})")
        metric = ds.metric(metric_id, referenced_from=chain[-1] if chain else None)
        if metric.kind is MetricKind.RATIO:
            if metric not in ratios:
                ratios.append(metric)
            for part in (metric.numerator, metric.denominator):
                if part is not None:
                    add(part, (*chain, metric_id))
            return
        if metric_id in plans:
            return
        t, s = time_op(metric), space_op(metric)
        value_unit = AggregationType.COUNT in (t, s)
        plans[metric_id] = MetricPlan(
            definition=metric,
            code=codes.get(metric_id, -1),
            scan=scan_kind(metric),
            time=t,
            space=s,
            unit=Unit.get("value") if value_unit else metric.unit,
        )

    for metric_id in metrics:
        add(metric_id, ())
    return plans, ratios


_Resolved = tuple[str, str | None, str | None] | str
"""(anchor, initiative, organization kind) of a subject, or why it has none."""
_Distinct = tuple[list[int], list[_Resolved], list[int]]
"""Per subject the code of how it resolves; per code that resolution and its first subject."""
_RESOLVED: dict[int, tuple[weakref.ref[Dataset], _Distinct, dict[str, object]]] = {}
_GROUPINGS_KEPT: Final = 8
"""How many groupings (:meth:`_Places.grouped`) a dataset keeps: a roll-up's levels, and more.

Each holds two references per subject and the tables of its groups."""


def _table(memo: dict[str, object], name: str) -> dict[object, object]:
    """The memo's table ``name`` (only :func:`recall` and :func:`remember` write it)."""
    return cast("dict[object, object]", memo.setdefault(name, {}))


def recall(memo: dict[str, object], name: str, key: object) -> object | None:
    """The answer kept under ``key`` in the dataset memo's table ``name``, or ``None``.

    A found answer becomes the most recent (the table forgets the oldest first,
    :func:`remember`).
    """
    table = _table(memo, name)
    found = table.pop(key, None)
    if found is not None:
        table[key] = found
    return found


def remember(memo: dict[str, object], name: str, key: object, value: object, keep: int) -> None:
    """Keep ``value`` under ``key`` in the memo's table ``name``, the last ``keep`` answers."""
    table = _table(memo, name)
    table[key] = value
    while len(table) > keep:
        table.pop(next(iter(table)), None)


@attrs.frozen(eq=False)
class _Grouping:
    """What :meth:`_Places.group_all` answers and leaves in its tables, for one question.

    Kept per dataset (:meth:`_Places.grouped`), and handed out as copies: the
    later steps of a plan add reasons to the table they are given.
    """

    group_sets: tuple[UnitGroupSet, ...]
    subject_group: list[int]
    subject_child: list[str | None]
    reasons: tuple[dict[object, int], list[object]]
    row_groups: tuple[dict[object, int], list[object]]
    expected: list[frozenset[str]]

    @classmethod
    def taken(
        cls, places: _Places, subject_group: list[int], subject_child: list[str | None]
    ) -> _Grouping:
        """A copy of the answer and of the tables ``places`` holds now."""
        reasons, row_groups = places.reasons, places.row_groups
        return cls(
            group_sets=tuple(places.groups.values()),
            subject_group=list(subject_group),
            subject_child=list(subject_child),
            reasons=(dict(reasons.index), list(reasons.values)),
            row_groups=(dict(row_groups.index), list(row_groups.values)),
            expected=list(places.expected),
        )

    def answers(self, places: _Places) -> bool:
        """Whether the group sets of ``places`` are the ones this was worked out with."""
        given = tuple(places.groups.values())
        return len(given) == len(self.group_sets) and all(
            a is b or a == b for a, b in zip(given, self.group_sets, strict=True)
        )

    def restored(self, places: _Places) -> tuple[list[int], list[str | None]]:
        """Put copies of the tables into ``places``; copies of the answer."""
        places.reasons.index, places.reasons.values = dict(self.reasons[0]), list(self.reasons[1])
        places.row_groups.index = dict(self.row_groups[0])
        places.row_groups.values = list(self.row_groups[1])
        places.expected = list(self.expected)
        return list(self.subject_group), list(self.subject_child)


class _Places:
    """Anchors and group codes of subjects, with work cached per unit code."""

    def __init__(
        self,
        ds: Dataset,
        *,
        by: Sequence[tuple[str, str]],
        space: Sequence[AdminLevel],
        entities: Sequence[str],
        groups: Mapping[str, UnitGroupSet],
        within: tuple[str, ...] | None,
        initiatives: frozenset[str] | None,
    ) -> None:
        self.ds = ds
        self.gaz = ds.gazetteer
        self.by = by  # (by name, what it means) of the space, group and entity names
        self.space = space
        self.entities = entities
        self.groups = groups
        self.within = within
        self.initiatives = initiatives
        self.deepest = max(space, key=lambda level: level.depth) if space else None
        self.reasons = _Table()
        self.row_groups = _Table()
        self.expected: list[frozenset[str]] = []
        self._unit_cache: dict[str, tuple[tuple[str, ...], str | None] | int] = {}
        self._anchor_cache: dict[str, str | None] = {}
        self._everywhere: frozenset[str] | None = None

    def unplaceable(self, reason: str) -> int:
        return -self.reasons.code((None, reason)) - 2

    def excluded(self, kind: ExclusionReason, reason: str) -> int:
        return -self.reasons.code((kind, reason)) - 2

    # -- anchors ----------------------------------------------------------

    def _initiative_anchor(self, initiative_id: str) -> str | None:
        if initiative_id in self._anchor_cache:
            return self._anchor_cache[initiative_id]
        initiative = self.ds.initiatives.get(initiative_id)
        anchor: str | None = None
        if initiative is not None:
            if initiative.scope is not None:
                anchor = initiative.scope
            else:
                units = [c for s in self.ds.sites_of(initiative_id) for c in s.admin_units]
                try:
                    anchor = self.gaz.common_ancestor(units).code
                except (InvalidValueError, UnknownAdminUnitError):
                    anchor = None
        self._anchor_cache[initiative_id] = anchor
        return anchor

    def _resolve(self, subject: SubjectRef) -> _Resolved:
        """(anchor, initiative, organization kind) or the reason it has none."""
        ds, kind, id_ = self.ds, subject.kind, subject.id
        if kind is SubjectKind.PARTICIPANT:
            person = ds.participants.get(id_)
            if person is not None and person.organization is None and person.admin_unit:
                return (person.admin_unit, person.initiative, None)  # the common case, fast
        if kind is SubjectKind.UNIT:
            return (id_, None, None)
        label = str(subject)
        if kind is SubjectKind.SITE:
            site = ds.sites.get(id_)
            if site is None:
                return f"{label}: no such site in the dataset"
            missing = [c for c in site.admin_units if c not in self.gaz]
            if missing:
                return f"{label}: unit {missing[0]} is not in the gazetteer"
            try:
                anchor = self.gaz.common_ancestor(site.admin_units).code
            except InvalidValueError:
                return f"{label}: its units share no ancestor"
            return (anchor, site.initiative, None)
        if kind is SubjectKind.INITIATIVE:
            if id_ not in ds.initiatives:
                return f"{label}: no such initiative in the dataset"
            scope = self._initiative_anchor(id_)
            if scope is None:
                return f"{label}: the initiative has no scope and no placeable sites"
            return (scope, id_, None)
        if kind is SubjectKind.ORGANIZATION:
            org = ds.organizations.get(id_)
            if org is None:
                return f"{label}: no such organization in the dataset"
            return (org.admin_unit, org.initiative, org.kind.value)
        person = ds.participants.get(id_)
        if person is None:
            return f"{label}: no such participant in the dataset"
        org = ds.organizations.get(person.organization) if person.organization else None
        initiative = person.initiative or (org.initiative if org is not None else None)
        home = person.admin_unit or (org.admin_unit if org is not None else None)
        if home is None and initiative is not None:
            home = self._initiative_anchor(initiative)
        if home is None:
            return f"{label}: the participant has no unit, organization unit or initiative place"
        return (home, initiative, org.kind.value if org is not None else None)

    # -- units ------------------------------------------------------------

    def _unit_place(self, anchor: str) -> tuple[dict[str, str], str | None, str] | int:
        """(space key values, reporting child, expected parent) for an anchor, or a code."""
        cached = self._unit_cache.get(anchor)
        if cached is not None:
            return cached  # type: ignore[return-value]
        result = self._unit_place_uncached(anchor)
        self._unit_cache[anchor] = result  # type: ignore[assignment]
        return result

    def _unit_place_uncached(self, anchor: str) -> tuple[dict[str, str], str | None, str] | int:
        gaz = self.gaz
        unit = gaz.get(anchor)
        if unit is None:
            return self.unplaceable(f"unit {anchor} is not in the gazetteer")
        chain = gaz.lineage(anchor)  # cached ancestry, nearest first
        parent = ""  # the virtual root above the provinces
        if self.within is not None:
            inside = [w for w in self.within if w in chain]
            if not inside:
                above = [w for w in self.within if w in gaz and anchor in gaz.lineage(w)]
                if above:
                    return self.unplaceable(
                        f"anchored at {unit.level.value} {unit.name} ({anchor}), which contains"
                        f" the filter unit {above[0]}: it cannot be limited to it"
                    )
                return EXCLUDED
            parent = min(inside, key=chain.index)
        values: dict[str, str] = {}
        member: str | None = None  # the group's member unit at or above the anchor
        for name, group_set in self.groups.items():
            found_groups = group_set.groups_of(gaz, anchor)
            if not found_groups:
                return self.unplaceable(
                    f"{unit.level.value} {unit.name} ({anchor}) is in no group of {group_set.id!r}"
                )
            if len(found_groups) > 1:
                ids = ", ".join(g.id for g in found_groups)
                return self.unplaceable(
                    f"{unit.level.value} {unit.name} ({anchor}) is in several groups of"
                    f" {group_set.id!r} ({ids}): it would count once in each"
                )
            values[name] = found_groups[0].id
            members = set(found_groups[0].members.get(gaz.version, ()))
            member = next((c for c in chain if c in members), None)
        for level in self.space:
            found = gaz.ancestor_at(anchor, level)
            if found is None:
                if level.depth < unit.level.depth:
                    reason = f"no {level.value} contains {unit.level.value} {anchor}"
                else:
                    reason = (
                        f"anchored at {unit.level.value} {unit.name} ({anchor}), above the"
                        f" {level.value} level: it cannot be placed in one {level.value}"
                    )
                return self.unplaceable(reason)
            values[level.value] = found.code
        if self.deepest is not None:
            parent = values[self.deepest.value]
        child = self._child(chain, parent)
        if self.groups and self.deepest is None:
            child = member  # a group's expected units are its members
        return (values, child, parent)

    @staticmethod
    def _child(chain: tuple[str, ...], parent: str) -> str | None:
        if parent == "":
            return chain[-1]
        position = chain.index(parent)
        return chain[position - 1] if position > 0 else None

    def _expected(self, parent: str) -> frozenset[str]:
        gaz = self.gaz
        children = [u.code for u in gaz.children(parent or None)]
        if self.within is None:
            return frozenset(children)
        known = [w for w in self.within if w in gaz]
        return frozenset(
            c for c in children if any(w in gaz.lineage(c) or c in gaz.lineage(w) for w in known)
        )

    # -- subjects ---------------------------------------------------------

    def resolve_all(self, subjects: Sequence[SubjectRef]) -> _Distinct:
        """:meth:`_resolve` of every subject, cached for the dataset's life.

        A dataset never changes once built, and where a subject is anchored
        depends on nothing else: at a million participants this is most of the
        planning, so later questions about the same dataset reuse it. Subjects
        that resolve alike (the people of one village) share one code.
        """
        return self.resolve_memo(subjects)[0]

    def resolve_memo(self, subjects: Sequence[SubjectRef]) -> tuple[_Distinct, dict[str, object]]:
        """:meth:`resolve_all`, and a memo that lives as long as the dataset."""
        ds = self.ds
        found = _RESOLVED.get(id(ds))
        if found is not None and found[0]() is ds and len(found[1][0]) == len(subjects):
            return found[1], found[2]
        distinct = _Table()
        codes = [distinct.code(self._resolve(s)) for s in subjects]
        first = [0] * len(distinct.values)
        for i in reversed(range(len(codes))):
            first[codes[i]] = i
        resolved = (codes, distinct.values, first)

        def forget(_: object, key: int = id(ds)) -> None:
            _RESOLVED.pop(key, None)

        memo: dict[str, object] = {}
        _RESOLVED[id(ds)] = (weakref.ref(ds, forget), resolved, memo)  # type: ignore[assignment]
        return resolved, memo  # type: ignore[return-value]

    def grouped(
        self, subjects: Sequence[SubjectRef], below: Plan | None = None
    ) -> tuple[list[int], list[str | None]]:
        """:meth:`group_all` (or :meth:`group_from` ``below``), kept for the dataset's life.

        A dataset never changes, so a question with the same spatial meaning
        (the placed ``by`` names, levels, entity names, group sets, ``within``
        and ``initiatives``) gets the same groups: the answer and the tables it
        leaves here (row groups, expected units, reasons) are kept, and a later
        question gets copies of them, code for code what :meth:`group_all`
        gives. Group sets are keyed by id and compared by content. The last
        :data:`_GROUPINGS_KEPT` questions are kept.
        """
        _, memo = self.resolve_memo(subjects)
        key = (
            tuple(self.by),
            tuple(self.space),
            tuple(self.entities),
            tuple((name, group_set.id) for name, group_set in self.groups.items()),
            self.within,
            self.initiatives,
        )
        found = recall(memo, "groupings", key)
        if isinstance(found, _Grouping) and found.answers(self):
            return found.restored(self)
        derived = None if below is None else self.group_from(subjects, below)
        groups, children = derived or self.group_all(subjects)
        grouping = _Grouping.taken(self, groups, children)
        remember(memo, "groupings", key, grouping, _GROUPINGS_KEPT)
        return groups, children

    def group_all(self, subjects: Sequence[SubjectRef]) -> tuple[list[int], list[str | None]]:
        """:meth:`group` of every subject: group codes and reporting children."""
        codes, distinct, first = self.resolve_all(subjects)
        placed = [self.group(subjects[i], r) for i, r in zip(first, distinct, strict=True)]
        return self._per_subject(subjects, (codes, distinct, first), placed)

    def group_from(
        self, subjects: Sequence[SubjectRef], below: Plan
    ) -> tuple[list[int], list[str | None]] | None:
        """:meth:`group_all`, derived from ``below``: the same request at a deeper level.

        A resolution that ``below`` places lands in the group of its group
        there with the unit of ``below``'s level replaced by the one of this
        level above it, and reports for the unit just under that one in the
        unit's lineage: both worked out once per group of ``below``, not per
        subject. The others (unplaceable there, perhaps placeable here) are
        placed as :meth:`group_all` places them, in the same order, so the
        codes, reasons and expected units are :meth:`group_all`'s, code for
        code. ``None`` when ``below`` is not of this request with one
        administrative level deeper (then :meth:`group_all` is the way).
        """
        level = self.deepest
        if level is None or len(self.space) != 1 or len(below.space_names) != len(self.by):
            return None
        position = next(i for i, (_, meaning) in enumerate(self.by) if meaning == level.value)
        deeper = _LEVELS.get(below.space_names[position])
        if deeper is None or deeper.depth <= level.depth:
            return None
        (codes, distinct, first), memo = self.resolve_memo(subjects)
        ordered = memo.get("depths_ordered")
        if ordered is None:
            ordered = memo["depths_ordered"] = _depths_ordered(self.gaz)
        if not ordered:
            return None
        up: dict[int, tuple[int, str | None] | None] = {}
        below_group, below_groups = below.subject_group, below.row_groups
        placed: list[tuple[int, str | None]] = []
        for s, resolved in zip(first, distinct, strict=True):
            g = below_group[s]
            if g == EXCLUDED and isinstance(resolved, tuple):
                # Outside the filters (``within``, ``initiatives``) at every level.
                placed.append((EXCLUDED, None))
                continue
            found = None
            if g >= 0:
                if g in up:
                    found = up[g]
                else:
                    found = up[g] = self._group_above(below_groups[g], position, level)
            placed.append(self.group(subjects[s], resolved) if found is None else found)
        return self._per_subject(subjects, (codes, distinct, first), placed)

    def _per_subject(
        self,
        subjects: Sequence[SubjectRef],
        resolved: _Distinct,
        placed: Sequence[tuple[int, str | None]],
    ) -> tuple[list[int], list[str | None]]:
        """Group codes and reporting children per subject, from ``placed`` per resolution.

        A resolution placed nowhere for a reason that may name the subject (a
        subject with no initiative, say) is placed again for each of its
        subjects, in subject order, so each gets its own reason.
        """
        codes, distinct, _ = resolved
        groups = [placed[c][0] for c in codes]
        children = [placed[c][1] for c in codes]
        named = {
            c for c, (g, _) in enumerate(placed) if g < EXCLUDED and isinstance(distinct[c], tuple)
        }
        if named:
            for i, c in enumerate(codes):
                if c in named:
                    groups[i], children[i] = self.group(subjects[i], distinct[c])
        return groups, children

    def _group_above(
        self, key: tuple[str, ...], position: int, level: AdminLevel
    ) -> tuple[int, str | None] | None:
        """The group and reporting child, here, of a group ``key`` of a deeper level."""
        gaz = self.gaz
        unit = key[position]
        found = gaz.ancestor_at(unit, level)
        if found is None:
            return None  # placed anew, with the reason in its words
        parent = found.code
        here = (*key[:position], parent, *key[position + 1 :])
        fresh = here not in self.row_groups.index
        row_group = self.row_groups.code(here)
        if fresh:
            self.expected.append(self._expected(parent))
        return row_group, self._child(gaz.lineage(unit), parent)

    def group(self, subject: SubjectRef, resolved: _Resolved) -> tuple[int, str | None]:
        if isinstance(resolved, str):
            return self.unplaceable(resolved), None
        anchor, initiative, org_kind = resolved
        return self._group(anchor, initiative, org_kind, subject)

    def _group(
        self, anchor: str, initiative: str | None, org_kind: str | None, subject: SubjectRef
    ) -> tuple[int, str | None]:
        if self.initiatives is not None and initiative not in self.initiatives:
            return EXCLUDED, None
        place = self._unit_place(anchor)
        if isinstance(place, int):
            return place, None
        space_values, child, parent = place
        entity_values: dict[str, str] = {}
        for name in self.entities:
            if name == "organization_kind":
                if org_kind is None:
                    return self.unplaceable(f"{subject}: has no organization kind"), None
                entity_values[name] = org_kind
                continue
            if initiative is None:
                return self.unplaceable(f"{subject}: belongs to no initiative"), None
            if name == "initiative":
                entity_values[name] = initiative
                continue
            found = self.ds.initiatives.get(initiative)
            if found is None:
                reason = f"{subject}: initiative {initiative} is not in the dataset"
                return self.unplaceable(reason), None
            entity_values[name] = found.theme
        key = tuple(
            space_values[meaning] if meaning in space_values else entity_values[meaning]
            for _, meaning in self.by
        )
        fresh = key not in self.row_groups.index
        row_group = self.row_groups.code(key)
        if fresh:
            self.expected.append(self._expected_for(parent, space_values))
        return row_group, child

    def _expected_for(self, parent: str, values: Mapping[str, str]) -> frozenset[str]:
        if self.deepest is not None:
            return self._expected(parent)
        if self.groups:
            # A group's expected units are its member units (in the filters).
            members = frozenset().union(
                *(
                    group_set.group(values[name]).members.get(self.gaz.version, ())
                    for name, group_set in self.groups.items()
                )
            )
            if self.within is None:
                return members
            known = [w for w in self.within if w in self.gaz]
            return frozenset(
                c
                for c in members
                if c in self.gaz
                and any(w in self.gaz.lineage(c) or c in self.gaz.lineage(w) for w in known)
            )
        if self._everywhere is None:
            tops = self.within if self.within is not None else ("",)
            self._everywhere = frozenset().union(*(self._expected_below(t) for t in tops))
        return self._everywhere

    def _expected_below(self, parent: str) -> frozenset[str]:
        return frozenset(u.code for u in self.gaz.children(parent or None))


def _depths_ordered(gaz: Gazetteer) -> bool:
    """Whether every unit's parent is at a shallower level than the unit.

    Then a unit's ancestor at a level is also the ancestor there of every
    unit under it, which deriving one level's groups from a deeper one's
    (:meth:`_Places.group_from`) takes for granted.
    """
    for unit in gaz:
        parent = None if unit.parent is None else gaz.get(unit.parent)
        if parent is not None and parent.level.depth >= unit.level.depth:
            return False
    return True


def _period_buckets(
    periods: Sequence[Period],
    time_names: Sequence[str],
    window: Period | None,
    places: _Places,
) -> tuple[list[int], list[tuple[Period, ...]], list[dt.date]]:
    buckets = _Table()
    ends: list[dt.date] = []
    codes: list[int] = []
    latest = max((p.end for p in periods if window is None or window.contains(p)), default=None)
    for period in periods:
        if window is not None and not window.contains(period):
            if window.overlaps(period):
                reason = f"period {period} runs beyond the filter {window}"
                codes.append(places.unplaceable(reason))
            else:
                codes.append(EXCLUDED)
            continue
        key: list[Period] = []
        code: int | None = None
        for name in time_names:
            if name == OWN_PERIOD:
                key.append(period)
                continue
            kind = _PERIOD_KINDS[name]
            bucket = Period.containing(period.start, kind)
            if not bucket.contains(period):
                reason = f"period {period} does not fit in one {kind.value.replace('_', '-')}"
                code = places.unplaceable(reason)
                break
            key.append(bucket)
        if code is None:
            code = buckets.code(tuple(key))
            if code == len(ends):
                if key:
                    ends.append(min(p.end for p in key))
                else:
                    ends.append(window.end if window is not None else latest or period.end)
        codes.append(code)
    return codes, buckets.values, ends  # type: ignore[return-value]


def _ranks(periods: Sequence[Period]) -> tuple[list[int], list[int]]:
    order = list(range(len(periods)))
    last = [0] * len(periods)
    for rank, i in enumerate(sorted(order, key=lambda i: (periods[i].end, periods[i].start))):
        last[i] = rank
    first = [0] * len(periods)
    by_start = sorted(order, key=lambda i: (periods[i].start, periods[i].end))
    for rank, i in enumerate(reversed(by_start)):
        first[i] = rank
    return last, first


def _slices(
    cols: ObservationColumns, category_ids: Sequence[str], places: _Places
) -> tuple[list[int], list[tuple[str, ...]], list[bool]]:
    """Per disaggregation code: its slice code (or why excluded), and whether it is finer.

    A breakdown by the requested categories and perhaps more lands in the
    slice of its options of the requested categories; a *finer* one (more
    categories) is a part, used only as :func:`_patched` decides.
    """
    slices = _Table()
    codes: list[int] = []
    finer: list[bool] = []
    wanted = set(category_ids)
    for disaggregation in cols.disaggregations:
        keys = set(disaggregation)
        if not wanted <= keys:
            missing = ", ".join(sorted(wanted - keys))
            if keys:
                text = f"broken down by {', '.join(sorted(keys))}, not by {missing}"
            else:
                text = f"an undivided figure, not broken down by {missing}"
            codes.append(places.excluded(ExclusionReason.NOT_BROKEN_DOWN, text))
            finer.append(False)
            continue
        codes.append(slices.code(tuple(disaggregation[c] for c in category_ids)))
        finer.append(keys != wanted)
    return codes, slices.values, finer  # type: ignore[return-value]


def _missing_options(
    ds: Dataset, categories: Iterable[str], parts: Iterable[Mapping[str, str]]
) -> list[str]:
    """The categories whose options ``parts`` do not all cover (exhaustive ones never)."""
    wanted: list[str] = []
    options: list[set[str]] = []
    for c in sorted(categories):
        category = ds.categories.get(c)
        if category is None:
            return [c]  # not in the catalog: nothing says what its options are
        if not category.exhaustive:
            wanted.append(c)
            options.append({o.id for o in category.options})
    if not wanted:
        return []
    seen = {
        values
        for values in (tuple(part.get(c) for c in wanted) for part in parts)
        if all(v in known for v, known in zip(values, options, strict=True))
    }
    needed = 1
    for known in options:
        needed *= len(known)
    if len(seen) == needed:
        return []
    return [
        c
        for c, known in zip(wanted, options, strict=True)
        if {v[wanted.index(c)] for v in seen} != known
    ] or wanted


def _patched(  # noqa: PLR0917 - internal, one call site
    ds: Dataset,
    cols: ObservationColumns,
    plans: Mapping[str, MetricPlan],
    category_ids: Sequence[str],
    slice_of: list[int],
    finer: Sequence[bool],
    period_bucket: Sequence[int],
    places: _Places,
) -> tuple[memoryview | array[int], list[int]]:
    """Per row the disaggregation code to use, and :attr:`Plan.slice_of` for those codes.

    Parts finer than the requested categories (every part, when ``by`` has
    no category) are used, projected onto the requested slice, only where
    they stand for a figure that has no undivided value, and make it up
    whole: every option of each extra category is there, or the category is
    ``exhaustive``. Among several complete breakdowns of one figure the
    coarsest is used (then the first by category ids). Every other part gets
    a code past the store's table whose slice code says why it is excluded.

    A figure is one metric, subject, slice and period; for metrics not summed
    over time, one group's period (the bucket), since they pick or combine
    values within it. Only rows of finer breakdowns, and the distinct figures
    of the others, are looked at one by one.
    """
    if not any(finer):
        return cols.disaggregation, slice_of
    wanted = {p.code: p for p in plans.values() if p.code >= 0}
    if not wanted:
        return cols.disaggregation, slice_of
    metric, subject, period, disaggregation = (
        cols.metric,
        cols.subject,
        cols.period,
        cols.disaggregation,
    )
    rows = [
        i
        for i in compress(range(len(cols)), map(finer.__getitem__, disaggregation))
        if metric[i] in wanted
    ]
    if not rows:
        return cols.disaggregation, slice_of
    keysets = [frozenset(d) for d in cols.disaggregations]
    summed = [False] * len(cols.metrics)
    for m, mplan in wanted.items():
        summed[m] = mplan.scan is ScanKind.GROUP_SUM
    # Each part row's figure: (metric, subject, period or bucket, slice).
    keys = [
        (
            metric[i],
            subject[i],
            period[i] if summed[metric[i]] else period_bucket[period[i]],
            slice_of[disaggregation[i]],
        )
        for i in rows
    ]
    codes_of: dict[tuple[int, int, int, int], set[int]] = {}
    for key, i in zip(keys, rows, strict=True):
        found = codes_of.get(key)
        if found is None:
            codes_of[key] = {disaggregation[i]}
        else:
            found.add(disaggregation[i])
    series = {(k[0], k[1]) for k in codes_of}
    direct_flags = [not f and code >= 0 for f, code in zip(finer, slice_of, strict=True)]
    direct: set[tuple[int, int, int, int]] = set()
    for m, s, p, d in set(
        compress(
            zip(metric, subject, period, disaggregation, strict=True),
            map(direct_flags.__getitem__, disaggregation),
        )
    ):
        if (m, s) in series:
            direct.add((m, s, p if summed[m] else period_bucket[p], slice_of[d]))

    choose = _Breakdowns(ds, cols, keysets, set(category_ids), places)
    counted_instead, not_additive = _part_reasons(category_ids, wanted, places)
    # Per figure: disaggregation code -> the reason code of its parts left out.
    decision: dict[tuple[int, int, int, int], Mapping[int, int]] = {}
    for key, present in codes_of.items():
        if key in direct:
            decision[key] = dict.fromkeys(present, counted_instead)
        elif key[0] in not_additive:
            decision[key] = dict.fromkeys(present, not_additive[key[0]])
        else:
            decision[key] = choose.decide(frozenset(present))
    marks = _Marks(cols, slice_of)
    for key, i in zip(keys, rows, strict=True):
        code = decision[key].get(disaggregation[i])
        if code is not None:
            marks.mark(i, code)
    return marks.result()


def _part_reasons(
    category_ids: Sequence[str], wanted: Mapping[int, MetricPlan], places: _Places
) -> tuple[int, dict[int, int]]:
    """Reason codes: a part of a figure counted undivided; per metric that does not add up."""
    what = "by " + ", ".join(category_ids) if category_ids else "undivided"
    counted_instead = places.excluded(
        ExclusionReason.PART_OF_COUNTED,
        f"a part of a figure reported {what}, which is counted instead",
    )
    not_additive = {
        m: places.excluded(
            ExclusionReason.NOT_ADDITIVE,
            f"a part, and {mplan.definition.id} does not add up over its parts"
            " (no undivided figure is reported)",
        )
        for m, mplan in wanted.items()
        if mplan.space not in (AggregationType.SUM, AggregationType.DISTINCT)
    }
    return counted_instead, not_additive


def _patched_columnar(  # noqa: PLR0917 - one query, kept together
    ds: Dataset,
    cols: ObservationColumns,
    plans: Mapping[str, MetricPlan],
    category_ids: Sequence[str],
    slice_of: list[int],
    finer: Sequence[bool],
    period_bucket: Sequence[int],
    places: _Places,
) -> tuple[memoryview | array[int], list[int]]:
    """:func:`_patched` in polars, for the columnar engine: no work per row in Python.

    The part rows are grouped into figures in polars, each with the sorted
    codes of the breakdowns present; only the distinct such sets (a handful)
    are decided in Python (as :func:`_patched` does), and the decisions are
    joined back onto the rows. The result is the same, code for code.
    """
    wanted = {p.code: p for p in plans.values() if p.code >= 0}
    if not any(finer) or not wanted:
        return cols.disaggregation, slice_of
    pl, pa = polars_and_arrow()
    n = len(cols)

    def column(view: memoryview) -> Any:
        return pl.from_arrow(arrow_over(pa, pa.uint32(), view, n))

    def lut(values: Sequence[object], dtype: Any) -> Any:
        return pl.lit(pl.Series(list(values), dtype=dtype))

    summed = [False] * len(cols.metrics)
    chosen_metric = [False] * len(cols.metrics)
    for m, mplan in wanted.items():
        summed[m] = mplan.scan is ScanKind.GROUP_SUM
        chosen_metric[m] = True
    direct_flags = [not f and code >= 0 for f, code in zip(finer, slice_of, strict=True)]
    frame = pl.DataFrame(
        {
            "metric": column(cols.metric),
            "subject": column(cols.subject),
            "period": column(cols.period),
            "d": column(cols.disaggregation),
        }
    ).with_row_index("row")
    keys = ["metric", "subject", "when", "slice"]
    base = (
        frame.lazy()
        .filter(lut(chosen_metric, pl.Boolean).gather(pl.col("metric")))
        .with_columns(
            when=pl.when(lut(summed, pl.Boolean).gather(pl.col("metric")))
            .then(pl.col("period").cast(pl.Int64))
            .otherwise(lut(period_bucket, pl.Int64).gather(pl.col("period"))),
            slice=lut(slice_of, pl.Int64).gather(pl.col("d")),
        )
    )
    parts = base.filter(lut(finer, pl.Boolean).gather(pl.col("d")))
    direct = (
        base.filter(lut(direct_flags, pl.Boolean).gather(pl.col("d")))
        .select(keys)
        .unique()
        .with_columns(direct=pl.lit(value=True))
    )
    figures = (
        parts.group_by(keys)
        .agg(pl.col("d").unique().sort().alias("present"))
        .join(direct, on=keys, how="left")
        .with_columns(key=pl.col("present").cast(pl.List(pl.String)).list.join(","))
        .collect()
    )
    if figures.height == 0:
        return cols.disaggregation, slice_of
    keysets = [frozenset(d) for d in cols.disaggregations]
    choose = _Breakdowns(ds, cols, keysets, set(category_ids), places)
    counted_instead, not_additive = _part_reasons(category_ids, wanted, places)
    additive = [m not in not_additive for m in range(len(cols.metrics))]
    undecided = figures.filter(
        pl.col("direct").is_null() & lut(additive, pl.Boolean).gather(pl.col("metric"))
    ).unique("key")
    decided: dict[str, list[Any]] = {"key": [], "d": [], "code": []}
    for key, present in zip(
        undecided["key"].to_list(), undecided["present"].to_list(), strict=True
    ):
        for d, code in choose.decide(frozenset(present)).items():
            decided["key"].append(key)
            decided["d"].append(d)
            decided["code"].append(code)
    decisions = pl.DataFrame(
        decided, schema={"key": pl.String, "d": pl.UInt32, "code": pl.Int64}
    ).lazy()
    not_additive_codes = [not_additive.get(m) for m in range(len(cols.metrics))]
    marked = (
        parts.join(figures.lazy().select(*keys, "direct", "key"), on=keys, how="left")
        .join(decisions, on=["key", "d"], how="left")
        .with_columns(
            code=pl.when(pl.col("direct").is_not_null())
            .then(pl.lit(counted_instead, dtype=pl.Int64))
            .otherwise(
                pl.coalesce(
                    lut(not_additive_codes, pl.Int64).gather(pl.col("metric")), pl.col("code")
                )
            )
        )
        .filter(pl.col("code").is_not_null())
        .select("row", "code")
        .sort("row")
        .collect()
    )
    if marked.height == 0:
        return cols.disaggregation, slice_of
    order = marked["code"].unique(maintain_order=True).to_list()
    base_code = len(cols.disaggregations)
    synthetic = {code: base_code + j for j, code in enumerate(order)}
    codes = marked["code"].replace_strict(synthetic, return_dtype=pl.UInt32)
    column_d = frame["d"].scatter(marked["row"], codes)
    arrow = column_d.to_arrow()
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    data = arrow.buffers()[1]
    patched = array("I")
    patched.frombytes(memoryview(data)[arrow.offset * 4 : (arrow.offset + n) * 4])
    return patched, [*slice_of, *order]


def _patched_once(  # noqa: PLR0917 - internal, one call site
    memo: dict[str, object],
    columnar: bool,
    ds: Dataset,
    cols: ObservationColumns,
    plans: Mapping[str, MetricPlan],
    category_ids: Sequence[str],
    slice_of: list[int],
    finer: Sequence[bool],
    period_bucket: Sequence[int],
    places: _Places,
) -> tuple[memoryview | array[int], list[int]]:
    """:func:`_patched`, the last answer kept for the dataset's life.

    The levels of a roll-up, and a repeated question, ask the same of the
    same rows (same metrics, categories and buckets): the answer is reused,
    its reasons registered anew in each plan's table. Only the last one is
    kept, so the memory held is one code per row at most.
    """
    if not any(finer):
        return cols.disaggregation, slice_of
    key = (
        "parts",
        tuple(sorted(p.code for p in plans.values() if p.code >= 0)),
        tuple(category_ids),
        tuple(period_bucket),
        columnar,
    )
    found = memo.get("parts")
    if isinstance(found, tuple) and found[0] == key:
        patched, why = found[1], found[2]
        return patched, [*slice_of, *(places.excluded(kind, text) for kind, text in why)]
    patched, extended = (_patched_columnar if columnar else _patched)(
        ds, cols, plans, category_ids, slice_of, finer, period_bucket, places
    )
    reasons = places.reasons.values
    why = [reasons[-code - 2] for code in extended[len(slice_of) :]]
    memo["parts"] = (key, patched, why)
    return patched, extended


class _Marks:
    """Parts to leave out: a per-row copy of the disaggregation codes, made on first use."""

    def __init__(self, cols: ObservationColumns, slice_of: list[int]) -> None:
        self.cols = cols
        self.patched: array[int] | None = None
        self.synthetic: dict[int, int] = {}
        self.extended = list(slice_of)

    def mark(self, i: int, code: int) -> None:
        """Give row ``i`` a disaggregation code whose slice is reason ``code``."""
        if self.patched is None:
            self.patched = array("I", self.cols.disaggregation)
        found = self.synthetic.get(code)
        if found is None:
            found = self.synthetic[code] = len(self.cols.disaggregations) + len(self.synthetic)
            self.extended.append(code)
        self.patched[i] = found

    def result(self) -> tuple[memoryview | array[int], list[int]]:
        patched = self.patched
        return (patched if patched is not None else self.cols.disaggregation), self.extended


class _Breakdowns:
    """Which parts of a figure to use, decided once per set of breakdowns present."""

    def __init__(
        self,
        ds: Dataset,
        cols: ObservationColumns,
        keysets: Sequence[frozenset[str]],
        wanted_ids: set[str],
        places: _Places,
    ) -> None:
        self.ds = ds
        self.cols = cols
        self.keysets = keysets
        self.wanted_ids = wanted_ids
        self.places = places
        self.cache: dict[frozenset[int], dict[int, int]] = {}

    def decide(self, present: frozenset[int]) -> dict[int, int]:
        """Disaggregation code -> reason code, for the parts of a figure to leave out.

        The coarsest complete breakdown is kept (then the first by category
        ids); every other part is marked.
        """
        found = self.cache.get(present)
        if found is not None:
            return found
        by_keys: dict[frozenset[str], list[int]] = {}
        for d in present:
            by_keys.setdefault(self.keysets[d], []).append(d)
        order = sorted(by_keys, key=lambda k: (len(k), sorted(k)))
        chosen: frozenset[str] | None = None
        gaps: list[str] = []
        for keys in order:
            parts = [self.cols.disaggregations[d] for d in by_keys[keys]]
            missing = _missing_options(self.ds, keys - self.wanted_ids, parts)
            if not missing:
                chosen = keys
                break
            gaps.extend(c for c in missing if c not in gaps)
        out: dict[int, int] = {}
        for keys in order:
            if keys == chosen:
                continue
            if chosen is not None:
                text = (
                    f"a part by {', '.join(sorted(keys))} of a figure counted through its"
                    f" parts by {', '.join(sorted(chosen))}"
                )
                code = self.places.excluded(ExclusionReason.PART_OF_COUNTED, text)
            else:
                text = (
                    "a part of a figure with no undivided value whose parts leave out an"
                    f" option of {', '.join(gaps)} (not declared exhaustive)"
                )
                code = self.places.excluded(ExclusionReason.PARTS_INCOMPLETE, text)
            out.update(dict.fromkeys(by_keys[keys], code))
        self.cache[present] = out
        return out


@attrs.define
class _ByNames:
    """The ``by`` names, sorted by what they mean."""

    space: list[AdminLevel] = attrs.Factory(list)
    time: list[str] = attrs.Factory(list)
    entities: list[str] = attrs.Factory(list)
    category_names: list[str] = attrs.Factory(list)
    category_ids: list[str] = attrs.Factory(list)
    groups: dict[str, UnitGroupSet] = attrs.Factory(dict)
    placed: list[tuple[str, str]] = attrs.Factory(list)
    """(by name, meaning) of the space, group and entity names, in order."""


def _parse_by(
    by_names: Sequence[str],
    categories: set[str],
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None,
) -> _ByNames:
    """Sort the ``by`` names by meaning; refuse unknown, repeated and ambiguous ones."""
    out = _ByNames()
    space, time_names, entity_names = out.space, out.time, out.entities
    category_names, category_ids, groups, placed = (
        out.category_names,
        out.category_ids,
        out.groups,
        out.placed,
    )
    known_sets: dict[str, UnitGroupSet] | None = None
    for name in by_names:
        meaning = name
        if name.startswith(CATEGORY_PREFIX):
            category = name.removeprefix(CATEGORY_PREFIX)
            if category not in categories:
                choices = ", ".join(sorted(categories)) or "none"
                reason = (
                    f"no metric asked for is broken down by {category!r} (categories: {choices})"
                )
                raise InvalidValueError("by", name, reason)
            category_names.append(name)
            category_ids.append(category)
            continue
        if name.startswith(GROUP_PREFIX):
            if known_sets is None:
                known_sets = _group_sets(group_sets)
            set_id = name.removeprefix(GROUP_PREFIX)
            if set_id not in known_sets:
                choices = ", ".join(sorted(known_sets)) or "none"
                raise InvalidValueError(
                    "by", name, f"no unit group set {set_id!r} (sets: {choices})"
                )
            groups[name] = known_sets[set_id]
            placed.append((name, name))
            continue
        if name.startswith(DIMENSION_PREFIX):
            meaning = name.removeprefix(DIMENSION_PREFIX)
        elif _builtin(name) and name in categories:
            raise AmbiguousGroupingError(name, _builtin(name) or "")
        if meaning in _LEVELS:
            space.append(_LEVELS[meaning])
            placed.append((name, meaning))
        elif meaning in _PERIOD_KINDS or meaning == OWN_PERIOD:
            time_names.append(meaning)
        elif meaning in _ENTITY_DIMS:
            entity_names.append(meaning)
            placed.append((name, meaning))
        elif meaning == name and name in categories:
            category_names.append(name)
            category_ids.append(name)
        else:
            reason = (
                "group by an administrative level, a period kind, 'period', 'initiative',"
                " 'theme', 'organization_kind', 'group:<set>' or a category of the metrics"
                " ('category:<id>')"
            )
            raise InvalidValueError("by", name, reason)
    if len(set(space)) != len(space) or len(set(time_names)) != len(time_names):
        raise InvalidValueError("by", list(by_names), "each name may appear once")
    if len(set(entity_names)) != len(entity_names) or len(set(category_ids)) != len(category_ids):
        raise InvalidValueError("by", list(by_names), "each name may appear once")
    return out


def make_plan(
    ds: Dataset,
    metrics: str | Iterable[str],
    by: str | Iterable[str],
    *,
    periods: Period | None,
    within: str | Iterable[str] | None,
    initiatives: str | Iterable[str] | None,
    group_sets: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None = None,
    columnar: bool = False,
    below: Plan | None = None,
) -> Plan:
    """Resolve a request to codes: see :mod:`._semantics` for what it means.

    Raises:
        InvalidValueError: A ``by`` name is unknown or repeated, a filter is
            not what it should be, or no metric is asked for.
        AmbiguousGroupingError: A bare ``by`` name is both a built-in
            dimension and a category of the metrics.
        UnresolvedReferenceError: A metric, filter unit or initiative is not in the dataset.

    ``columnar``: work out which parts to use in polars (for the columnar
    engine), not row by row in Python; the plan is the same.

    ``below``: the plan of the same request with a deeper administrative
    level in place of this one's (a roll-up's level below): the groups are
    derived from its groups (:meth:`_Places.group_from`); the plan is the same.
    """
    metric_ids = _as_tuple(metrics, "metric")
    if metric_ids is not None:
        metric_ids = tuple(dict.fromkeys(metric_ids))  # each metric once, in order
    if not metric_ids:
        raise InvalidValueError("metrics", metrics, "name at least one metric")
    by_names = _as_tuple(by, "by") or ()
    if len(set(by_names)) != len(by_names):
        raise InvalidValueError("by", list(by_names), "each name may appear once")
    if periods is not None and not isinstance(periods, Period):
        raise InvalidValueError("periods", periods, "give a Period (e.g. Period.parse('2017'))")
    within_codes = _as_tuple(within, "within")
    for code in within_codes or ():
        if code not in ds.gazetteer:
            raise UnresolvedReferenceError("administrative unit", code, "within")
    initiative_ids = _as_tuple(initiatives, "initiatives")
    for initiative_id in initiative_ids or ():
        ds.initiative(initiative_id, referenced_from="initiatives")

    cols = ds.observations.columns()
    plans, ratios = _metric_plans(ds, metric_ids, {m: i for i, m in enumerate(cols.metrics)})
    categories = {c for p in plans.values() for c in p.definition.categories}
    categories |= {c for r in ratios for c in r.categories}
    names = _parse_by(by_names, categories, group_sets)
    space, time_names, entity_names = names.space, names.time, names.entities
    category_names, category_ids, groups, placed = (
        names.category_names,
        names.category_ids,
        names.groups,
        names.placed,
    )
    places = _Places(
        ds,
        by=placed,
        space=space,
        entities=entity_names,
        groups=groups,
        within=within_codes,
        initiatives=frozenset(initiative_ids) if initiative_ids is not None else None,
    )
    subject_group, subject_child = places.grouped(cols.subjects, below)
    (resolution, resolved, resolved_first), memo = places.resolve_memo(cols.subjects)
    period_bucket, buckets, bucket_end = _period_buckets(cols.periods, time_names, periods, places)
    last_rank, first_rank = _ranks(cols.periods)
    slice_of, slices, finer = _slices(cols, category_ids, places)
    disaggregation, slice_of = _patched_once(
        memo, columnar, ds, cols, plans, category_ids, slice_of, finer, period_bucket, places
    )
    scans: dict[ScanKind, set[int]] = {kind: set() for kind in ScanKind}
    for plan in plans.values():
        if plan.code >= 0:
            scans[plan.scan].add(plan.code)
    summed = frozenset(
        p.code for p in plans.values() if p.code >= 0 and p.time is AggregationType.SUM
    )
    reasons: list[tuple[ExclusionReason | None, str]] = places.reasons.values  # type: ignore[assignment]
    return Plan(
        store=ds.observations,
        columns=cols,
        scans={kind: frozenset(codes) for kind, codes in scans.items()},
        subject_group=subject_group,
        subject_child=subject_child,
        period_bucket=period_bucket,
        last_rank=last_rank,
        first_rank=first_rank,
        summed=summed,
        metrics=plans,
        ratios=tuple(ratios),
        requested=metric_ids,
        by=by_names,
        row_groups=places.row_groups.values,  # type: ignore[arg-type]
        expected=places.expected,
        buckets=buckets,
        bucket_end=bucket_end,
        slice_of=slice_of,
        slices=slices,
        reasons=[text for _, text in reasons],
        reason_kinds=[kind for kind, _ in reasons],
        space_names=tuple(name for name, _ in placed),
        time_names=tuple(
            n for n in by_names if n not in {p for p, _ in placed} and n not in category_names
        ),
        category_names=tuple(category_names),
        category_ids=tuple(category_ids),
        disaggregation=disaggregation,
        projected=any(finer),
        resolution=resolution,
        anchors=[r[0] if isinstance(r, tuple) else None for r in resolved],
        resolved_first=resolved_first,
        memo=memo,
    )


def _builtin(name: str) -> str | None:
    """What a built-in ``by`` name means, or ``None``."""
    if name in _LEVELS:
        return "the administrative level"
    if name in _PERIOD_KINDS:
        return "the period kind"
    if name == OWN_PERIOD:
        return "each observation's own period"
    if name == "organization_kind":
        return "the kind of the organization the figure is about"
    if name in _ENTITY_DIMS:
        return f"the {name} the figure belongs to"
    return None


def _group_sets(
    given: Mapping[str, UnitGroupSet] | Iterable[UnitGroupSet] | None,
) -> dict[str, UnitGroupSet]:
    if given is None:
        return bundled_group_sets()
    if isinstance(given, Mapping):
        return dict(given)
    found: dict[str, UnitGroupSet] = {}
    for group_set in given:
        if not isinstance(group_set, UnitGroupSet):
            raise InvalidValueError("group_sets", group_set, "give UnitGroupSet values")
        found[group_set.id] = group_set
    return found


def scan_plan(ds: Dataset, leaf: Plan) -> tuple[Plan, list[int]]:
    """A plan to scan once for :func:`level_groups` of several levels, and its first subjects.

    Its group codes are not the leaf's groups but how each subject resolves
    (anchor, initiative, organization kind): a code per distinct resolution,
    so an observation anchored above the leaf keeps its own cells and can be
    placed at the levels at or above its anchor. Subjects outside the filters
    or that resolve nowhere keep the leaf's (negative) code. Returned with the
    first subject of each code.
    """
    codes, distinct, first = _RESOLVED[id(ds)][1]
    group = [
        c if g != EXCLUDED and isinstance(distinct[c], tuple) else g
        for c, g in zip(codes, leaf.subject_group, strict=True)
    ]
    return attrs.evolve(leaf, subject_group=group, engine_distinct=False), first


def level_groups(plan: Plan, first: Sequence[int]) -> list[int]:
    """Per code of a :func:`scan_plan`: the group code in ``plan``."""
    return [plan.subject_group[s] for s in first]


def increasing(values: Sequence[Any]) -> bool:
    """Whether each of ``values`` sorts after the one before it (``<``, as ``sorted``; in C)."""
    return all(map(operator.lt, values, itertools.islice(values, 1, None)))


def unique_placed(codes: Sequence[int]) -> bool:
    """Whether no two of the placed ``codes`` (those ``>= 0``) are equal."""
    placed = [c for c in codes if c >= 0]
    return len(set(placed)) == len(placed)


def order_columns(plan: Plan) -> list[tuple[str, list[Any]]]:
    """Per ``by`` name, in order: the code column it is read from and its value per code.

    The column is ``group``, ``bucket`` or ``slice``; the output rows of one
    metric are in the order of these values, name by name (the Python path's
    order, :func:`._columnar_kinds.in_python_order`).
    """
    out: list[tuple[str, list[Any]]] = []
    for name in plan.by:
        if name in plan.space_names:
            i = plan.space_names.index(name)
            out.append(("group", [rg[i] for rg in plan.row_groups]))
        elif name in plan.time_names:
            i = plan.time_names.index(name)
            out.append(("bucket", [bk[i] for bk in plan.buckets]))
        else:
            i = plan.category_names.index(name)
            out.append(("slice", [s[i] for s in plan.slices]))
    return out


_CODE_ORDER: Final = ("group", "bucket", "slice")


def rows_in_code_order(plan: Plan, metrics: Iterable[int]) -> bool:
    """Whether output rows of ``metrics`` in the order of their codes are in the output's order.

    The codes are (metric, group, bucket, slice), compared in that order, as
    a key packed with the metric most significant sorts them. That is the
    output's order (metrics as requested, then the ``by`` values, name by
    name) when the requested metrics' codes rise with their positions, the
    ``by`` names read group, bucket and slice in that order (each column's
    names together, a column no name reads having one code), and each
    column's codes rise with its values. A query that sorts its packed key
    then spares the finishing step its sort of the whole output.
    """
    position = {p.code: i for i, p in enumerate(map(plan.metrics.get, plan.requested)) if p}
    codes = sorted(metrics)
    if any(c not in position for c in codes) or not increasing([position[c] for c in codes]):
        return False
    by_column: dict[str, list[list[Any]]] = {}
    last = ""
    for column, values in order_columns(plan):
        if column != last and column in by_column:
            return False  # a column's names apart: (province, month, district)
        by_column.setdefault(column, []).append(values)
        last = column
    if list(by_column) != [c for c in _CODE_ORDER if c in by_column]:
        return False
    sizes = {"group": len(plan.row_groups), "bucket": len(plan.buckets), "slice": len(plan.slices)}
    for column in _CODE_ORDER:
        if column not in by_column:
            if sizes[column] > 1:
                return False
        elif not increasing(list(zip(*by_column[column], strict=True))):
            return False
    return True


def slices_rise(plan: Plan) -> bool:
    """Whether the slice codes rise with the disaggregation codes (those placed, ``>= 0``).

    Cells sorted by (metric, group, bucket, disaggregation) codes are then
    sorted by (metric, group, bucket, slice) too (:func:`rows_in_code_order`).
    """
    return increasing([s for s in plan.slice_of if s >= 0])
