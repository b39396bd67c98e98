"""Entity roll-ups: registered initiatives, sites and organizations per unit, and reconciliation.

Where each entity counts (its *anchor*):

- a site at the lowest unit containing every unit it covers
  (:meth:`Dataset.site_anchor <antq_core.Dataset.site_anchor>`), so a cluster of
  three communes counts once, at their district;
- an initiative at its ``scope`` unit when it has one, else at the lowest unit
  containing every unit of all its sites;
- an organization at its ``admin_unit``.

An entity counts in its anchor and in every unit above it. Asked for one
level, an entity anchored above that level is *not placeable* there: it is
listed with the reason, never counted once per unit below.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from antq_core._dataset.dataset import Dataset
from antq_core._entities import MetricDefinition, OrganizationKind
from antq_core._values.geo import AdminLevel, AdminUnit, Gazetteer
from antq_core._values.period import Period
from antq_core._values.phrases import Lang, format_number, format_period
from antq_core._values.quantity import Number, Qualifier, Quantity, Unit
from antq_core._values.refs import SubjectKind, SubjectRef
from antq_core._values.text import fold
from antq_core.errors import (
    GazetteerCycleError,
    InvalidValueError,
    UnknownAdminUnitError,
)

__all__ = [
    "EntityCount",
    "EntityCounts",
    "KindCount",
    "Reconciliation",
    "Tolerance",
    "Unplaced",
    "count_entities",
    "reconcile",
]

_ORG_KINDS: Final = tuple(OrganizationKind)


class _Tally:
    """Mutable counters of one unit while counting; frozen into rows at the end."""

    __slots__ = ("initiatives", "kinds", "members", "missing", "organizations", "sites", "typical")

    def __init__(self) -> None:
        self.initiatives = 0
        self.typical = 0
        self.sites = 0
        self.organizations = 0
        self.members = 0
        self.missing = 0
        self.kinds: dict[OrganizationKind, list[int]] = {}  # kind -> [orgs, members, missing]


def _members(total: int, organizations: int, missing: int) -> Quantity | None:
    """Members as a quantity: a lower bound when some organizations give no count."""
    if organizations and missing == organizations:
        return None
    qualifier = Qualifier.AT_LEAST if missing else Qualifier.EXACT
    return Quantity(total, "member", qualifier)


@attrs.frozen
class KindCount:
    """Registered organizations of one kind under a unit.

    Attributes:
        kind: The kind of organization.
        organizations: How many are registered.
        members: Sum of their stated member counts: ``at_least`` when some do
            not state one, ``None`` when none does.
        without_member_count: How many state no member count.
    """

    kind: OrganizationKind
    organizations: int
    members: Quantity | None
    without_member_count: int


@attrs.frozen
class EntityCount:
    """Registered entities under one administrative unit.

    Attributes:
        unit: The unit's code.
        name: The unit's name with its kind word (``"huyện Tam Đường"``).
        level: The unit's level.
        initiatives: Initiatives (mô hình) anchored in it or below.
        typical_initiatives: Of those, the typical ones (mô hình tiêu biểu).
        sites: Sites anchored in it or below; a site spanning several of its
            children counts once.
        organizations: Mass organizations in it or below.
        members: Sum of their stated member counts: ``at_least`` when some
            organizations state none (missing is not zero), ``None`` when none
            of them does; exactly 0 when there are no organizations.
        organizations_without_member_count: How many state no member count.
        by_kind: Organizations and members by kind, for the kinds present.
    """

    unit: str
    name: str
    level: AdminLevel
    initiatives: int
    typical_initiatives: int
    sites: int
    organizations: int
    members: Quantity | None
    organizations_without_member_count: int
    by_kind: tuple[KindCount, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready values."""
        return {
            "unit": self.unit,
            "name": self.name,
            "level": self.level.value,
            "initiatives": self.initiatives,
            "typical_initiatives": self.typical_initiatives,
            "sites": self.sites,
            "organizations": self.organizations,
            "members": _quantity_dict(self.members),
            "organizations_without_member_count": self.organizations_without_member_count,
            "by_kind": {
                k.kind.value: {
                    "organizations": k.organizations,
                    "members": _quantity_dict(k.members),
                    "without_member_count": k.without_member_count,
                }
                for k in self.by_kind
            },
        }


def _quantity_dict(q: Quantity | None) -> dict[str, Any] | None:
    if q is None:
        return None
    return {
        "value": q.value,  # counts of entities and members are whole numbers
        "unit": q.unit.code,
        "qualifier": q.qualifier.value,
    }


@attrs.frozen
class Unplaced:
    """An entity that cannot be counted under one unit of the requested level.

    Attributes:
        kind: ``"initiative"``, ``"site"`` or ``"organization"``.
        id: Its id.
        anchor: Code of the unit it counts at, if it has one.
        reason: Why it is not placed (in English).
    """

    kind: str
    id: str
    anchor: str | None
    reason: str


@attrs.frozen
class EntityCounts:
    """The result of :func:`count_entities`: one row per unit of a level.

    Iterate it for :class:`EntityCount` rows (in gazetteer order); entities
    that cannot be placed at the level are in :attr:`unplaced`.

    Attributes:
        level: The level counted at.
        on: The date entities were counted as of, if any.
        rows: One row per unit of the level.
        unplaced: Entities anchored above the level, or on unknown units.
    """

    level: AdminLevel
    on: dt.date | None
    rows: tuple[EntityCount, ...]
    unplaced: tuple[Unplaced, ...]

    def __iter__(self) -> Iterator[EntityCount]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, unit: str) -> EntityCount:
        """The row of unit code ``unit``.

        Raises:
            UnknownAdminUnitError: No row has that code.
        """
        for r in self.rows:
            if r.unit == unit:
                return r
        raise UnknownAdminUnitError(unit, f"rows at level {self.level.value}")

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every row as a plain JSON-ready dict."""
        return [r.to_dict() for r in self.rows]


@attrs.frozen
class _Anchored:
    """One registered entity: where it counts, from when, and what it adds."""

    kind: str  # "site", "initiative" or "organization"
    id: str
    anchor: str | None
    why: str | None  # why it has no anchor
    chain: tuple[str, ...]  # the anchor and every unit above it
    start: dt.date | None
    typical: bool = False
    org_kind: OrganizationKind | None = None
    members: int | None = None


class _Index:
    """Every registered entity of a dataset with its anchor, computed once.

    Counting as of a date then only adds up the entities that started by then;
    the entities included change only at their start dates, so one tally serves
    every date between two of them (:meth:`registry`).
    """

    def __init__(self, dataset: Dataset) -> None:
        self.gazetteer = dataset.gazetteer
        self._chains: dict[str, tuple[str, ...]] = {}
        self.entities: list[_Anchored] = []
        units_of: dict[str, list[str]] = {}
        for site in dataset.sites.values():
            units_of.setdefault(site.initiative, []).extend(site.admin_units)
            start = site.started.start if site.started is not None else None
            self._add("site", site.id, site.admin_units, start)
        for i in dataset.initiatives.values():
            start = i.started.start if i.started is not None else None
            if i.scope is not None:
                self._add("initiative", i.id, (i.scope,), start, typical=i.typical)
            elif units_of.get(i.id):
                self._add("initiative", i.id, units_of[i.id], start, typical=i.typical)
            else:
                why = "it has no scope and no sites"
                self.entities.append(_Anchored("initiative", i.id, None, why, (), start))
        for o in dataset.organizations.values():
            self._add(
                "organization",
                o.id,
                (o.admin_unit,),
                o.established_on,
                org_kind=o.kind,
                members=o.member_count,
            )
        self._starts = sorted({e.start for e in self.entities if e.start is not None})
        self._registries: dict[int, _Registry] = {}

    def _add(
        self, kind: str, id_: str, units: Sequence[str], start: dt.date | None, **extra: Any
    ) -> None:
        try:
            anchor = self.gazetteer.common_ancestor(units).code
        except (UnknownAdminUnitError, GazetteerCycleError, InvalidValueError) as e:
            self.entities.append(_Anchored(kind, id_, None, str(e), (), start, **extra))
            return
        chain = self._chains.get(anchor)
        if chain is None:
            chain = (anchor, *(u.code for u in self.gazetteer.ancestors(anchor)))
            self._chains[anchor] = chain
        self.entities.append(_Anchored(kind, id_, anchor, None, chain, start, **extra))

    def registry(self, on: dt.date | None) -> _Registry:
        """The tallies of the entities registered by ``on`` (every entity if ``None``)."""
        key = len(self._starts) if on is None else bisect.bisect_right(self._starts, on)
        registry = self._registries.get(key)
        if registry is None:
            registry = self._registries[key] = _Registry(self, on)
        return registry


class _Registry:
    """Registered entities as of one date, tallied at every unit above them."""

    def __init__(self, index: _Index, on: dt.date | None) -> None:
        self.tallies: dict[str, _Tally] = {}
        self.counts: dict[str, EntityCount] = {}
        self.included: list[_Anchored] = []
        tallies = self.tallies
        for e in index.entities:
            if on is not None and e.start is not None and e.start > on:
                continue
            self.included.append(e)
            for code in e.chain:
                t = tallies.get(code)
                if t is None:
                    t = tallies[code] = _Tally()
                if e.kind == "site":
                    t.sites += 1
                elif e.kind == "initiative":
                    t.initiatives += 1
                    t.typical += e.typical
                else:
                    _add_organization(t, e)

    def count(self, unit: AdminUnit) -> EntityCount:
        cached = self.counts.get(unit.code)
        if cached is not None:
            return cached
        t = self.tallies.get(unit.code) or _Tally()
        kinds = tuple(
            KindCount(kind, k[0], _members(k[1], k[0], k[2]), k[2])
            for kind in _ORG_KINDS
            if (k := t.kinds.get(kind)) is not None
        )
        count = self.counts[unit.code] = EntityCount(
            unit=unit.code,
            name=unit.full_name,
            level=unit.level,
            initiatives=t.initiatives,
            typical_initiatives=t.typical,
            sites=t.sites,
            organizations=t.organizations,
            members=_members(t.members, t.organizations, t.missing),
            organizations_without_member_count=t.missing,
            by_kind=kinds,
        )
        return count


def _add_organization(t: _Tally, e: _Anchored) -> None:
    t.organizations += 1
    assert e.org_kind is not None  # noqa: S101 - organizations always have a kind
    k = t.kinds.setdefault(e.org_kind, [0, 0, 0])
    k[0] += 1
    if e.members is None:
        t.missing += 1
        k[2] += 1
    else:
        t.members += e.members
        k[1] += e.members


def _as_of(on: dt.date | Period | None) -> dt.date | None:
    if on is None or type(on) is dt.date:
        return on
    if isinstance(on, Period):
        return on.end
    raise InvalidValueError("date", on, "give a date, a Period, or None")


def count_entities(
    dataset: Dataset, level: AdminLevel | str, *, on: dt.date | Period | None = None
) -> EntityCounts:
    """How many initiatives, sites, organizations and members are registered per unit.

    Every unit of ``level`` in the dataset's gazetteer gets a row (a unit with
    nothing registered has zeros: a count of the registry is exact). See the
    module's rules for where each entity counts; an entity anchored above
    ``level`` (an initiative scoped to the province, counted by commune) is
    listed in :attr:`EntityCounts.unplaced`, not spread over units.

    >>> from antq_core import count_entities, sample
    >>> counts = count_entities(sample(), "district")
    >>> row = counts.row("106")
    >>> row.name, row.sites, row.initiatives
    ('huyện Tam Đường', 1, 1)
    >>> sorted(u.id for u in counts.unplaced if u.kind == "initiative")[:2]
    ['mh-chxapt-giup-nhau', 'mh-giao-duc-tre-em-hu']
    >>> count_entities(sample(), "province").row("12").typical_initiatives
    3

    Args:
        dataset: The dataset.
        level: The level to count at (province, district, commune, village).
        on: Count only entities registered by this date (a period: by its
            last day) — sites and initiatives whose ``started`` period begins
            on or before it, organizations established on or before it (an
            unknown start counts) — and rows only for units valid on it.

    Raises:
        InvalidValueError: ``level`` is not a level, or ``on`` not a date or period.
    """
    wanted = _level(level)
    date = _as_of(on)
    registry = _Index(dataset).registry(date)
    gazetteer = dataset.gazetteer
    rows = tuple(
        registry.count(unit)
        for unit in gazetteer
        if unit.level is wanted and (date is None or unit.valid_on(date))
    )
    unplaced = []
    for e in registry.included:
        kind, id_, anchor = e.kind, e.id, e.anchor
        if anchor is None:
            unplaced.append(Unplaced(kind, id_, None, e.why or "no unit"))
            continue
        at = _anchor_level(gazetteer, anchor)
        if at.depth < wanted.depth:
            reason = (
                f"it counts at {gazetteer.unit(anchor).full_name} ({at.value}), "
                f"above the {wanted.value} level"
            )
            unplaced.append(Unplaced(kind, id_, anchor, reason))
        elif at is not wanted and _no_unit_at(gazetteer, anchor, wanted):
            # A level the gazetteer does not have above it: no country root, or no
            # district in a map of two tiers.
            reason = (
                f"it counts at {gazetteer.unit(anchor).full_name} ({at.value}), "
                f"which has no {wanted.value} above it in {gazetteer.version!r}"
            )
            unplaced.append(Unplaced(kind, id_, anchor, reason))
    return EntityCounts(wanted, date, rows, tuple(unplaced))


def _level(value: AdminLevel | str) -> AdminLevel:
    try:
        return AdminLevel(value)
    except ValueError:
        choices = ", ".join(lv.value for lv in AdminLevel)
        raise InvalidValueError(
            "administrative level", value, f"choose one of {choices}"
        ) from None


def _anchor_level(gazetteer: Gazetteer, code: str) -> AdminLevel:
    return gazetteer.unit(code).level


# -- reconciliation -------------------------------------------------------------------------


@attrs.frozen
class Tolerance:
    """How far a reported total may be from the registered count and still agree.

    The allowed difference is the larger of :attr:`absolute` and
    :attr:`relative` × the reported value. The default allows none: exact.

    >>> Tolerance(absolute=2, relative=Decimal("0.01")).allowed(5817)
    Decimal('58.17')

    Attributes:
        absolute: Allowed difference in the metric's unit.
        relative: Allowed difference as a fraction of the reported value.
    """

    absolute: int | Decimal = 0
    relative: int | Decimal = 0

    def __attrs_post_init__(self) -> None:
        for name in ("absolute", "relative"):
            value = getattr(self, name)
            if type(value) not in (int, Decimal) or not value >= 0:
                raise InvalidValueError(f"tolerance {name}", value, "give an int or Decimal >= 0")

    def allowed(self, reported: Number) -> Number:
        """The difference allowed for a reported value."""
        relative = self.relative * reported
        return max(self.absolute, relative) if relative else self.absolute


EXACT: Final = Tolerance()

_METRICS: Final = {
    "initiatives": "initiatives",
    "initiative_sites": "sites",
    "mass_organizations": "organizations",
    "mass_organization_members": "members",
}
_TYPICAL_WORDS: Final = (fold("tiêu biểu"), fold("điển hình"), "typical")


@attrs.frozen
class Reconciliation:
    """A reported total compared with the entities the dataset registers.

    Attributes:
        metric: The metric id (``"mass_organizations"``...).
        subject: The unit the total is reported for.
        period: The observation's period; entities are counted as of its last day.
        reported: The reported value, unit and qualifier.
        registered: The count of registered entities under the unit, or
            ``None`` when it cannot be compared (see :attr:`basis`).
        difference: ``reported - registered``, or ``None``.
        within_tolerance: Whether they agree within the tolerance, taking the
            qualifiers into account; ``None`` when that cannot be decided.
        basis: What was counted (``"typical initiatives"``...) or why nothing was.
        place: The unit's name with its kind word (``"tỉnh Lai Châu"``).
        allowed: The difference the tolerance allowed.
        row: Index of the observation in the dataset's store.
    """

    metric: str
    subject: SubjectRef
    period: Period
    reported: Quantity
    registered: Quantity | None
    difference: Number | None
    within_tolerance: bool | None
    basis: str
    place: str
    allowed: Number
    row: int

    @property
    def message_vi(self) -> str:
        """One sentence in Vietnamese, numbers written the Vietnamese way."""
        return _message(self, "vi")

    @property
    def message_en(self) -> str:
        """One sentence in English."""
        return _message(self, "en")

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready values, with both messages."""
        return {
            "metric": self.metric,
            "subject": str(self.subject),
            "period": str(self.period),
            "reported": _quantity_dict(self.reported),
            "registered": _quantity_dict(self.registered),
            "difference": self.difference,  # entity counts are whole: never a Decimal
            "within_tolerance": self.within_tolerance,
            "basis": self.basis,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "row": self.row,
        }


def _means_typical(metric: MetricDefinition | None, note: str | None) -> bool:
    texts = [note or ""]
    if metric is not None:
        texts += [metric.name_vi, metric.name_en, metric.description or ""]
    folded = " ".join(fold(t) for t in texts)
    return any(word in folded for word in _TYPICAL_WORDS)


def _agrees(reported: Quantity, registered: Quantity, allowed: Number) -> bool | None:
    """Whether the registered count fits the reported figure, given both qualifiers."""
    diff = reported.value - registered.value
    rq = reported.qualifier
    if registered.qualifier is Qualifier.AT_LEAST:  # some organizations state no members
        too_many = -diff > allowed and rq is not Qualifier.AT_LEAST
        return False if too_many else None
    if rq is Qualifier.AT_LEAST:  # the true figure is at least the reported one
        return diff <= allowed
    if rq is Qualifier.AT_MOST:
        return -diff <= allowed
    return -allowed <= diff <= allowed


def reconcile(dataset: Dataset, *, tolerance: Tolerance = EXACT) -> tuple[Reconciliation, ...]:
    """Compare reported totals of entities with the entities the dataset registers.

    Every observation of ``initiatives``, ``initiative_sites``,
    ``mass_organizations`` or ``mass_organization_members`` on a unit
    (``unit:...``) is compared with the count of registered entities under
    that unit (see :func:`count_entities`) as of the last day of its period.
    Observations on sites, initiatives or organizations are not totals of a
    unit and are not compared.

    ``initiatives`` counts typical models (mô hình tiêu biểu) when the metric
    or the observation's note says so ("tiêu biểu", "điển hình", "typical"):
    the sample's "32 mô hình tiêu biểu" is compared with the initiatives
    flagged :attr:`~antq_core.Initiative.typical`; otherwise with all of them.
    A total broken down by ``organization_kind`` is compared with that kind's
    organizations; another breakdown (members by sex) has no registered
    counterpart and gets ``registered=None``.

    >>> from antq_core import reconcile, sample
    >>> found = {r.metric: r for r in reconcile(sample())}
    >>> orgs = found["mass_organizations"]
    >>> orgs.reported.value, orgs.registered.value, orgs.difference, orgs.within_tolerance
    (5817, 0, 5817, False)
    >>> print(orgs.message_en.partition(": ")[2])
    5,817 organizations reported, 0 registered, difference 5,817 (allowed 0).
    >>> found["initiatives"].basis, found["initiatives"].registered.value
    ('typical initiatives', 3)

    Args:
        dataset: The dataset.
        tolerance: How far apart the two may be (default: exact); see
            :class:`Tolerance`. A reported lower bound agrees with any
            registered count above it, an upper bound with any below it.

    Returns:
        One result per compared observation, in store order.
    """
    store = dataset.observations
    cols = store.columns()
    wanted = {i for i, m in enumerate(cols.metrics) if m in _METRICS}
    if not wanted:
        return ()
    index = _Index(dataset)
    gazetteer = dataset.gazetteer
    typical: dict[tuple[int, int], bool] = {}
    registered_of: dict[tuple[int, str, int, int, bool, int], tuple[Quantity | None, str]] = {}
    results = []
    metric_col, subject_col, note_col = cols.metric, cols.subject, cols.note
    for i in [i for i, m in enumerate(metric_col) if m in wanted]:
        subject = cols.subjects[subject_col[i]]
        if subject.kind is not SubjectKind.UNIT:
            continue
        metric_id = cols.metrics[metric_col[i]]
        period = cols.periods[cols.period[i]]
        reported = Quantity(
            store.value(i), cols.units[cols.unit[i]], cols.qualifiers[cols.qualifier[i]]
        )
        unit = gazetteer.get(subject.id)
        count = None if unit is None else index.registry(period.end).count(unit)
        means_typical = False
        if metric_id == "initiatives":
            key = (metric_col[i], note_col[i])
            found = typical.get(key)
            if found is None:
                note = cols.texts[note_col[i]]
                found = typical[key] = _means_typical(dataset.metrics.get(metric_id), note)
            means_typical = found
        unit_index = cols.unit[i]
        key2 = (
            id(count),
            subject.id,
            metric_col[i],
            cols.disaggregation[i],
            means_typical,
            unit_index,
        )
        known = registered_of.get(key2)
        if known is None:
            breakdown = cols.disaggregations[cols.disaggregation[i]]
            known = registered_of[key2] = _registered(
                metric_id, subject, count, breakdown, means_typical, cols.units[unit_index]
            )
        registered, basis = known
        difference = within = None
        allowed = tolerance.allowed(reported.value)
        if registered is not None:
            difference = reported.value - registered.value
            within = _agrees(reported, registered, allowed)
        results.append(
            Reconciliation(
                metric=metric_id,
                subject=subject,
                period=period,
                reported=reported,
                registered=registered,
                difference=difference,
                within_tolerance=within,
                basis=basis,
                place=count.name if count is not None else subject.id,
                allowed=allowed,
                row=i,
            )
        )
    return tuple(results)


def _registered(  # noqa: PLR0917 - internal, one call site
    metric_id: str,
    subject: SubjectRef,
    count: EntityCount | None,
    breakdown: Mapping[str, str],
    typical: bool,
    unit: Unit,
) -> tuple[Quantity | None, str]:
    """What the registry holds for one metric, breakdown and unit, and what was counted."""
    noun = _METRICS[metric_id]
    registered: Quantity | None = None
    basis = noun
    kind_id = breakdown.get("organization_kind")
    if count is None:
        basis = f"unit {subject.id} is not in the gazetteer"
    elif breakdown and (set(breakdown) != {"organization_kind"} or metric_id in _NO_KIND):
        basis = f"the registry has no breakdown by {', '.join(sorted(breakdown))}"
    elif kind_id is not None:
        kind = next((k for k in OrganizationKind if k.value == kind_id), None)
        basis = f"{noun} of kind {kind_id}"
        if kind is None:
            basis = f"{kind_id!r} is not an organization kind"
        else:
            tally = next((k for k in count.by_kind if k.kind is kind), None)
            registered = _kind_quantity(metric_id, tally)
    elif metric_id == "initiatives":
        basis = "typical initiatives" if typical else "initiatives"
        registered = Quantity(
            count.typical_initiatives if typical else count.initiatives, "initiative"
        )
    elif metric_id == "initiative_sites":
        registered = Quantity(count.sites, "site")
    elif metric_id == "mass_organizations":
        registered = Quantity(count.organizations, "organization")
    else:
        registered = count.members
        if registered is None:
            basis = "no registered organization states its member count"
    if registered is not None:
        if not registered.unit.compatible(unit):
            return None, f"reported in {unit.code}, not {registered.unit.code}"
        registered = registered.to(unit)
    return registered, basis


_NO_KIND: Final = frozenset({"initiatives", "initiative_sites"})


def _kind_quantity(metric_id: str, tally: KindCount | None) -> Quantity | None:
    if metric_id == "mass_organizations":
        return Quantity(tally.organizations if tally else 0, "organization")
    if tally is None:
        return Quantity(0, "member")
    return tally.members


_QUALIFIER_WORDS: Final = {
    "vi": {
        Qualifier.AT_LEAST: "trên ",
        Qualifier.AT_MOST: "dưới ",
        Qualifier.APPROXIMATELY: "khoảng ",
    },
    "en": {
        Qualifier.AT_LEAST: "more than ",
        Qualifier.AT_MOST: "at most ",
        Qualifier.APPROXIMATELY: "about ",
    },
}


def _message(r: Reconciliation, lang: Lang) -> str:
    """The sentence that says how a reported total and the registry compare."""
    words = _QUALIFIER_WORDS[lang]
    vi = lang == "vi"
    where = f"{r.place} ({r.subject.id}), {format_period(r.period, lang)}"
    noun = r.reported.unit.name_vi if vi else r.reported.unit.plural_en
    reported = (
        f"{words.get(r.reported.qualifier, '')}{format_number(r.reported.value, lang)} {noun}"
    )
    if r.registered is None or r.difference is None:
        if vi:
            return (
                f"{where}: báo cáo {reported}; không đối chiếu được với số đã đăng ký ({r.basis})."
            )
        return f"{where}: {reported} reported; cannot be compared with the registry ({r.basis})."
    registered = (
        f"{words.get(r.registered.qualifier, '')}{format_number(r.registered.value, lang)}"
    )
    if r.basis == "typical initiatives":  # say what the registered count counts
        registered += " mô hình tiêu biểu" if vi else " typical"
    difference, allowed = format_number(r.difference, lang), format_number(r.allowed, lang)
    if vi:
        return (
            f"{where}: báo cáo {reported}, đã đăng ký {registered}, "
            f"chênh lệch {difference} (cho phép {allowed})."
        )
    return (
        f"{where}: {reported} reported, {registered} registered, "
        f"difference {difference} (allowed {allowed})."
    )


def _no_unit_at(gazetteer: Gazetteer, code: str, level: AdminLevel) -> bool:
    """Whether no unit at ``level`` contains ``code`` (a broken chain counts as none)."""
    try:
        return gazetteer.ancestor_at(code, level) is None
    except (UnknownAdminUnitError, GazetteerCycleError):
        return True
