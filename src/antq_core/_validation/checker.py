"""The checks: structure, duplicates and conflicts, double counting, names.

Observations are checked column-wise: each distinct metric, subject, period,
unit and disaggregation is checked once, then pairs of them (metric and unit,
subject and period) drawn from the columns by C-level set building; rows are
looked up only for what is wrong. The cost per observation does not grow with
the dataset.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import accumulate, combinations, compress, repeat
from operator import add, eq, gt, mul, ne, not_, rshift, sub
from typing import Any, Final, NamedTuple, TypeVar

from antq_core._dataset.dataset import Dataset
from antq_core._dataset.keys import (
    TABLES,
    byte_width,
    column_keys,
    key_codes,
    low_shift,
    rows_with,
)
from antq_core._dataset.keys import columns as columns_of
from antq_core._dataset.overlap import KEY, duplicate_and_overlapping_rows
from antq_core._dataset.store import ObservationColumns, ObservationStore
from antq_core._entities import MetricKind, OrganizationKind
from antq_core._validation.expr import Bounds
from antq_core._validation.issues import CODES, Issue
from antq_core._values.geo import AdminLevel
from antq_core._values.period import Period
from antq_core._values.quantity import Qualifier
from antq_core._values.refs import Disaggregation, SubjectKind, SubjectRef
from antq_core._values.text import fold
from antq_core.errors import (
    GazetteerCycleError,
    InvalidValueError,
    Location,
    UnknownAdminUnitError,
)

__all__ = ["Checker"]

LAW_30_2023_EFFECTIVE: Final = dt.date(2024, 7, 1)
"""Law 30/2023/QH15 on grassroots security and order forces took effect on this day."""
MAX_ROWS_LISTED: Final = 20
"""Most row numbers an issue about many observations lists (it gives the count of all)."""

_KIND_NAMES: Final = {
    "site": ("điểm", "site"),
    "initiative": ("mô hình", "initiative"),
    "organization": ("tổ chức", "organization"),
    "participant": ("người tham gia", "participant"),
    "metric": ("chỉ tiêu", "metric"),
    "admin_unit": ("đơn vị hành chính", "administrative unit"),
    "unit": ("đơn vị hành chính", "administrative unit"),
    "observation": ("số liệu", "observation"),
    "dataset": ("bộ dữ liệu", "dataset"),
    "theme": ("loại mô hình", "theme"),
    "category": ("phân tổ", "category"),
    "source": ("nguồn", "source"),
    "option": ("lựa chọn", "option"),
}

_T = TypeVar("_T")


def _names(kind: str, prefix: str) -> dict[str, str]:
    vi, en = _KIND_NAMES[kind]
    return {f"{prefix}_vi": vi, f"{prefix}_en": en}


def _owner(kind: str | None, id_: str | None) -> dict[str, str]:
    assert kind is not None  # noqa: S101 - a validation location always names its kind
    vi, en = _KIND_NAMES[kind]
    tail = f" {id_}" if id_ is not None else ""
    return {"owner_vi": f"{vi.capitalize()}{tail}", "owner_en": f"{en.capitalize()}{tail}"}


def _rows_text(rows: Sequence[int]) -> tuple[str, ...]:
    return tuple(str(r) for r in rows[:MAX_ROWS_LISTED])


def _observation_owner(rows: Sequence[int], what: str) -> dict[str, str]:
    shown = ", ".join(_rows_text(rows)) + (", ..." if len(rows) > MAX_ROWS_LISTED else "")
    if len(rows) == 1:
        return {
            "owner_vi": f"Số liệu #{rows[0]} ({what})",
            "owner_en": f"Observation #{rows[0]} ({what})",
        }
    return {
        "owner_vi": f"{len(rows)} số liệu ({what}; dòng {shown})",
        "owner_en": f"{len(rows)} observations ({what}; rows {shown})",
    }


RepeatFinder = Callable[
    [ObservationStore, Container[str] | None],
    tuple[list[tuple[int, ...]], list[tuple[int, ...]]],
]
"""Finds duplicates and overlaps, as
:func:`antq_core._dataset.overlap.duplicate_and_overlapping_rows` does."""

_PROFILE: Final = ("metric", "unit", "qualifier", "disaggregation")
"""The columns whose distinct combinations the per-metric checks read (see ``_profiles``)."""


class Checker:
    """Runs every check but the rules on one dataset, collecting issues."""

    def __init__(
        self,
        dataset: Dataset,
        levels: Sequence[AdminLevel],
        find_repeats: RepeatFinder = duplicate_and_overlapping_rows,
    ) -> None:
        self.ds = dataset
        self.find_repeats = find_repeats
        self.cols: ObservationColumns = dataset.observations.columns()
        self.levels = tuple(levels)
        self.issues: list[Issue] = []
        self.report_date = dataset.metadata.report_date
        self._positions: dict[str, dict[str, int]] = {}
        self.period_text = [str(p) for p in self.cols.periods]
        self._profile_set: set[tuple[int, ...]] | None = None

    # -- helpers ---------------------------------------------------------------------------

    def add(self, issue_code: str, where: Location, /, **details: Any) -> None:
        self.issues.append(Issue(issue_code, CODES[issue_code].severity, where, details))

    def at(self, listing: str, kind: str, id_: str, field: str | None = None) -> Location:
        """The location of entity ``id_`` of ``$.listing``, with its JSON path."""
        positions = self._positions.get(listing)
        if positions is None:
            table: Mapping[str, object] = getattr(self.ds, listing)
            positions = self._positions[listing] = {k: i for i, k in enumerate(table)}
        path = f"$.{listing}[{positions[id_]}]" + (f".{field}" if field else "")
        return Location(kind, id_, field=field, path=path)

    def unresolved(self, where: Location, target_kind: str, target: str) -> None:
        self.add(
            "reference-unresolved",
            where,
            **_owner(where.kind, where.id),
            **_names(target_kind, "target_kind"),
            target=target,
        )

    def run(self) -> list[Issue]:
        flows = {m.id for m in self.ds.metrics.values() if m.kind is MetricKind.FLOW}
        self._duplicate_groups, self._overlap_groups = self.find_repeats(
            self.ds.observations, flows
        )
        self.gazetteer()
        self.references()
        self.entity_dates()
        self.observations()
        self.duplicates()
        self.double_counting()
        self.names()
        return self.issues

    # -- gazetteer ----------------------------------------------------------------------------

    def gazetteer(self) -> None:
        gaz = self.ds.gazetteer
        for unit in gaz.duplicates:
            other = gaz.get(unit.code)
            self.add(
                "gazetteer-duplicate-code",
                Location("admin_unit", unit.code),
                code=unit.code,
                name=unit.name,
                other=other.name if other is not None else "?",
            )
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for unit in gaz:
            if unit.parent is not None and unit.parent not in gaz:
                self.add(
                    "gazetteer-missing-parent",
                    Location("admin_unit", unit.code, field="parent"),
                    code=unit.code,
                    name=unit.name,
                    parent=unit.parent,
                )
            parent = gaz.get(unit.parent) if unit.parent is not None else None
            if parent is not None and parent.level.depth >= unit.level.depth:
                self.add(
                    "gazetteer-level-order",
                    Location("admin_unit", unit.code, field="level"),
                    code=unit.code,
                    name=unit.name,
                    level=unit.level.value,
                    parent=parent.code,
                    parent_level=parent.level.value,
                )
            self._walk_parents(unit.code, state)

    def _walk_parents(self, code: str, state: dict[str, int]) -> None:
        """Follow parents from ``code``; report a cycle the first time it is met."""
        gaz = self.ds.gazetteer
        path: list[str] = []
        current: str | None = code
        while current is not None and current in gaz and state.get(current) is None:
            state[current] = 1
            path.append(current)
            current = gaz.unit(current).parent
        if current is not None and state.get(current) == 1:
            cycle = path[path.index(current) :]
            start = cycle.index(min(cycle))
            ordered = (*cycle[start:], *cycle[:start], cycle[start])
            self.add(
                "gazetteer-cycle",
                Location("admin_unit", ordered[0], field="parent"),
                cycle=" -> ".join(ordered),
            )
        for c in path:
            state[c] = 2

    # -- references between entities ----------------------------------------------------------

    def references(self) -> None:
        ds, gaz = self.ds, self.ds.gazetteer
        province = ds.metadata.province
        if province is not None and province not in gaz:
            where = Location("dataset", field="province", path="$.metadata.province")
            self.unresolved(where, "admin_unit", province)
        for m in ds.metrics.values():
            for c in m.categories:
                if c not in ds.categories:
                    self.unresolved(
                        self.at("metrics", "metric", m.id, "categories"), "category", c
                    )
            for field in ("numerator", "denominator"):
                part = getattr(m, field)
                if part is not None and part not in ds.metrics:
                    self.unresolved(self.at("metrics", "metric", m.id, field), "metric", part)
        for i in ds.initiatives.values():
            if i.theme not in ds.themes:
                self.unresolved(
                    self.at("initiatives", "initiative", i.id, "theme"), "theme", i.theme
                )
            if i.scope is not None and i.scope not in gaz:
                where = self.at("initiatives", "initiative", i.id, "scope")
                self.unresolved(where, "admin_unit", i.scope)
            cited = [*i.sources, *(s.source for s in i.outcomes if s.source is not None)]
            for s in dict.fromkeys(cited):
                if s not in ds.sources:
                    self.unresolved(
                        self.at("initiatives", "initiative", i.id, "sources"), "source", s
                    )
        for site in ds.sites.values():
            if site.initiative not in ds.initiatives:
                where = self.at("sites", "site", site.id, "initiative")
                self.unresolved(where, "initiative", site.initiative)
            for code in site.admin_units:
                if code not in gaz:
                    self.unresolved(
                        self.at("sites", "site", site.id, "admin_units"), "admin_unit", code
                    )
            agreement = site.coordination_agreement
            agreement_source = agreement.source if agreement is not None else None
            if agreement_source is not None and agreement_source not in ds.sources:
                where = self.at("sites", "site", site.id, "coordination_agreement")
                self.unresolved(where, "source", agreement_source)
        for o in ds.organizations.values():
            if o.admin_unit not in gaz:
                where = self.at("organizations", "organization", o.id, "admin_unit")
                self.unresolved(where, "admin_unit", o.admin_unit)
            if o.initiative is not None and o.initiative not in ds.initiatives:
                where = self.at("organizations", "organization", o.id, "initiative")
                self.unresolved(where, "initiative", o.initiative)
        for p in ds.participants.values():
            checks = (
                ("admin_unit", p.admin_unit, gaz, "admin_unit"),
                ("initiative", p.initiative, ds.initiatives, "initiative"),
                ("organization", p.organization, ds.organizations, "organization"),
            )
            for field, ref, table, kind in checks:
                if ref is not None and ref not in table:
                    self.unresolved(self.at("participants", "participant", p.id, field), kind, ref)

    # -- dates of entities ------------------------------------------------------------------

    def _future(self, where: Location, period: Period) -> None:
        if self.report_date is not None and period.start > self.report_date:
            self.add(
                "period-in-future",
                where,
                **_owner(where.kind, where.id),
                period=str(period),
                report_date=self.report_date.isoformat(),
            )

    def _valid_units(self, where: Location, codes: Iterable[str], period: Period) -> None:
        gaz = self.ds.gazetteer
        for code in codes:
            unit = gaz.get(code)
            if unit is None:
                continue
            validity = _validity(unit.valid_from, unit.valid_to, gaz.valid_from, gaz.valid_to)
            if validity is not None and not (
                validity[0] <= period.start and period.end <= validity[1]
            ):
                self.add(
                    "unit-not-valid-on-date",
                    where,
                    **_owner(where.kind, where.id),
                    unit=f"{unit.full_name} ({code})",
                    period=str(period),
                    validity=_validity_text(validity),
                )

    def entity_dates(self) -> None:
        ds = self.ds
        for i in ds.initiatives.values():
            if i.started is not None:
                self._future(self.at("initiatives", "initiative", i.id, "started"), i.started)
        for site in ds.sites.values():
            if site.started is None:
                continue
            where = self.at("sites", "site", site.id, "started")
            self._future(where, site.started)
            self._valid_units(where, site.admin_units, site.started)
            initiative = ds.initiatives.get(site.initiative)
            began = initiative.started if initiative is not None else None
            if initiative is not None and began is not None and site.started.end < began.start:
                self.add(
                    "site-before-initiative",
                    where,
                    site=site.id,
                    site_period=str(site.started),
                    initiative=initiative.id,
                    initiative_period=str(began),
                )
        for o in ds.organizations.values():
            if o.established_on is None:
                continue
            where = self.at("organizations", "organization", o.id, "established_on")
            self._future(where, Period.day(o.established_on))
            self._valid_units(where, (o.admin_unit,), Period.day(o.established_on))
            if (
                o.kind is OrganizationKind.SECURITY_ORDER_TEAM
                and o.established_on < LAW_30_2023_EFFECTIVE
            ):
                self.add(
                    "organization-before-law",
                    where,
                    organization=o.id,
                    established_date=o.established_on.isoformat(),
                    law_date=LAW_30_2023_EFFECTIVE.isoformat(),
                )

    # -- observations -----------------------------------------------------------------------

    def _rows(self, column: memoryview, codes: Iterable[int]) -> dict[int, list[int]]:
        """Rows by code, for the rows whose ``column`` holds one of ``codes``."""
        wanted = set(codes)
        found: dict[int, list[int]] = defaultdict(list)
        if wanted:
            for i in compress(range(len(column)), map(wanted.__contains__, column)):
                found[column[i]].append(i)
        return found

    def _distinct_pairs(self, first: str, second: str) -> set[tuple[int, int]]:
        """The distinct (code, code) pairs two of the store's columns (by name) hold."""
        profiles = self._profiles() if first == "metric" else None
        if profiles is not None and second in _PROFILE:
            at = _PROFILE.index(second)
            return {(p[0], p[at]) for p in profiles}
        shift = low_shift(len(getattr(self.cols, TABLES[second])))
        mask = (1 << shift) - 1
        return {(key >> shift, key & mask) for key in set(column_keys(self.cols, first, second))}

    def _profiles(self) -> set[tuple[int, ...]] | None:
        """The distinct (metric, unit, qualifier, disaggregation) codes of the rows.

        One pass where several pair checks would each take one; ``None`` when
        the four codes do not fit one 64-bit key (then each pair is read alone).
        """
        if self._profile_set is None:
            columns = columns_of(self.cols, *_PROFILE)
            widths = [8 * byte_width(bound) for _, bound in columns]
            if sum(widths) > 64:  # noqa: PLR2004 - bits in a key
                return None
            found = set()
            for key in set(key_codes(*columns)):
                codes = []
                rest = key
                for width in reversed(widths):
                    codes.append(rest & ((1 << width) - 1))
                    rest >>= width
                found.add(tuple(reversed(codes)))
            self._profile_set = found
        return self._profile_set

    def _pair_rows(
        self, first: str, second: str, pairs: Iterable[tuple[int, int]]
    ) -> dict[tuple[int, int], list[int]]:
        """Rows by pair, for the rows whose two columns (by name) hold one of ``pairs``.

        The rows holding one of the pairs' second codes are found in the
        column's bytes (:func:`~antq_core._dataset.keys.rows_with`); only those are read.
        """
        wanted = set(pairs)
        found: dict[tuple[int, int], list[int]] = defaultdict(list)
        if not wanted:
            return found
        cols = self.cols
        a, b = getattr(cols, first), getattr(cols, second)
        near = rows_with(b, {code for _, code in wanted}, len(getattr(cols, TABLES[second])))
        held = list(zip(map(a.__getitem__, near), map(b.__getitem__, near), strict=True))
        for i, pair in compress(zip(near, held, strict=True), map(wanted.__contains__, held)):
            found[pair].append(i)
        return found

    def _describe(self, row: int) -> str:
        cols = self.cols
        return f"{cols.metrics[cols.metric[row]]} {cols.subjects[cols.subject[row]]}"

    def observations(self) -> None:
        cols, ds = self.cols, self.ds
        if not len(cols):
            return
        self._observation_metrics()
        self._observation_subjects()
        # Sources cited by rows.
        bad_sources = {
            code for code in set(cols.source) if code and cols.texts[code] not in ds.sources
        }
        for code, rows in sorted(self._rows(cols.source, bad_sources).items()):
            where = Location.observation(rows[0], "source")
            owner = _observation_owner(rows, self._describe(rows[0]))
            self.add(
                "reference-unresolved",
                where,
                **owner,
                **_names("source", "target_kind"),
                target=str(cols.texts[code]),
                rows=_rows_text(rows),
                count=len(rows),
            )
        self._observation_pairs()
        self._values()
        self._periods()

    def _observation_metrics(self) -> None:
        cols, ds = self.cols, self.ds
        missing = [c for c, m in enumerate(cols.metrics) if m not in ds.metrics]
        for code, rows in sorted(self._rows(cols.metric, missing).items()):
            owner = _observation_owner(rows, str(cols.subjects[cols.subject[rows[0]]]))
            self.add(
                "reference-unresolved",
                Location.observation(rows[0], "metric"),
                **owner,
                **_names("metric", "target_kind"),
                target=cols.metrics[code],
                rows=_rows_text(rows),
                count=len(rows),
            )

    def _subject_exists(self, subject: SubjectRef) -> bool:
        ds = self.ds
        if subject.kind is SubjectKind.SITE:
            return subject.id in ds.sites
        if subject.kind is SubjectKind.INITIATIVE:
            return subject.id in ds.initiatives
        if subject.kind is SubjectKind.ORGANIZATION:
            return subject.id in ds.organizations
        if subject.kind is SubjectKind.PARTICIPANT:
            return subject.id in ds.participants
        return subject.id in ds.gazetteer

    def _observation_subjects(self) -> None:
        cols = self.cols
        missing = [c for c, s in enumerate(cols.subjects) if not self._subject_exists(s)]
        for code, rows in sorted(self._rows(cols.subject, missing).items()):
            subject = cols.subjects[code]
            kind = "admin_unit" if subject.kind is SubjectKind.UNIT else subject.kind.value
            self.add(
                "reference-unresolved",
                Location.observation(rows[0], "subject"),
                **_observation_owner(rows, cols.metrics[cols.metric[rows[0]]]),
                **_names(kind, "target_kind"),
                target=subject.id,
                rows=_rows_text(rows),
                count=len(rows),
            )

    def _observation_pairs(self) -> None:
        """Checks on (metric, unit), (metric, qualifier) and (metric, disaggregation) pairs."""
        cols, ds = self.cols, self.ds
        metric_of = [ds.metrics.get(m) for m in cols.metrics]
        bad_units: dict[tuple[int, int], dict[str, Any]] = {}
        for m, u in self._distinct_pairs("metric", "unit"):
            metric, unit = metric_of[m], cols.units[u]
            if metric is not None and not unit.compatible(metric.unit):
                bad_units[m, u] = {
                    "metric": metric.id,
                    "unit": unit.code,
                    "metric_unit": metric.unit.code,
                }
        for pair, rows in sorted(self._pair_rows("metric", "unit", bad_units).items()):
            self.add(
                "unit-incompatible",
                Location.observation(rows[0], "unit"),
                **bad_units[pair],
                rows=_rows_text(rows),
                count=len(rows),
            )
        bad_qualifiers: dict[tuple[int, int], dict[str, Any]] = {}
        for m, q in self._distinct_pairs("metric", "qualifier"):
            metric, qualifier = metric_of[m], cols.qualifiers[q]
            if metric is None:
                continue
            reason = _qualifier_problem(metric.kind, qualifier)
            if reason is not None:
                bad_qualifiers[m, q] = {
                    "metric": metric.id,
                    "kind": metric.kind.value,
                    "qualifier": qualifier.value,
                    "reason": reason,
                }
        for pair, rows in sorted(self._pair_rows("metric", "qualifier", bad_qualifiers).items()):
            self.add(
                "qualifier-not-allowed",
                Location.observation(rows[0], "qualifier"),
                **bad_qualifiers[pair],
                rows=_rows_text(rows),
                count=len(rows),
            )
        self._disaggregations(metric_of)

    def _disaggregations(self, metric_of: Sequence[Any]) -> None:
        cols, ds = self.cols, self.ds
        problems: dict[tuple[int, int], list[tuple[str, dict[str, Any]]]] = {}
        pairs = (
            self._distinct_pairs("metric", "disaggregation")
            if len(cols.disaggregations) > 1
            else set()
        )
        for m, d in pairs:
            if d == 0 or metric_of[m] is None:
                continue
            found: list[tuple[str, dict[str, Any]]] = []
            for category_id, option_id in cols.disaggregations[d].items():
                category = ds.categories.get(category_id)
                if category is None:
                    found.append(
                        (
                            "reference-unresolved",
                            {**_names("category", "target_kind"), "target": category_id},
                        )
                    )
                    continue
                if category_id not in metric_of[m].categories:
                    found.append(
                        (
                            "disaggregation-not-allowed",
                            {"metric": metric_of[m].id, "category": category_id},
                        )
                    )
                if option_id not in {o.id for o in category.options}:
                    found.append(
                        (
                            "disaggregation-option-unknown",
                            {"category": category_id, "option": option_id},
                        )
                    )
            if found:
                problems[m, d] = found
        for pair, rows in sorted(self._pair_rows("metric", "disaggregation", problems).items()):
            where = Location.observation(rows[0], "disaggregation")
            for code, details in problems[pair]:
                extra = (
                    _observation_owner(rows, self._describe(rows[0]))
                    if code == "reference-unresolved"
                    else {}
                )
                self.add(code, where, **details, **extra, rows=_rows_text(rows), count=len(rows))

    def _values(self) -> None:
        """Values within what their unit allows (a dataset built in code may bypass loading)."""
        cols = self.cols
        bad: list[tuple[int, str]] = []
        if min(cols.value) < 0:
            bad.extend(
                (i, "a reported amount cannot be negative")
                for i, v in enumerate(cols.value)
                if v < 0
            )
        for i, v in cols.exact.items():
            unit = cols.units[cols.unit[i]]
            if isinstance(v, Decimal) and not v.is_finite():
                bad.append((i, "not a finite number"))
            elif v < 0:
                bad.append((i, "a reported amount cannot be negative"))
            elif unit.whole and v != int(v):
                bad.append((i, "this unit counts whole things"))
        for i, reason in sorted(bad):
            raw = cols.exact.get(i)
            self.add(
                "value-invalid",
                Location.observation(i, "value"),
                metric=cols.metrics[cols.metric[i]],
                value=str(cols.value[i] if raw is None else raw),
                unit=cols.units[cols.unit[i]].code,
                reason=reason,
            )

    def _subject_window(
        self, subject: SubjectRef
    ) -> tuple[dt.date | None, tuple[dt.date, dt.date] | None, list[str]]:
        """When ``subject`` began (if known), the dates its units allow, and those units."""
        ds, gaz = self.ds, self.ds.gazetteer
        start: dt.date | None = None
        codes: list[str] = []
        if subject.kind is SubjectKind.SITE:
            site = ds.sites.get(subject.id)
            if site is not None:
                start = site.started.start if site.started is not None else None
                codes = list(site.admin_units)
        elif subject.kind is SubjectKind.INITIATIVE:
            initiative = ds.initiatives.get(subject.id)
            if initiative is not None and initiative.started is not None:
                start = initiative.started.start
        elif subject.kind is SubjectKind.ORGANIZATION:
            org = ds.organizations.get(subject.id)
            if org is not None:
                start = org.established_on
                codes = [org.admin_unit]
        elif subject.kind is SubjectKind.PARTICIPANT:
            person = ds.participants.get(subject.id)
            if person is not None and person.admin_unit is not None:
                codes = [person.admin_unit]
        else:
            codes = [subject.id]
        low, high = gaz.valid_from, gaz.valid_to
        for code in codes:
            unit = gaz.get(code)
            if unit is not None:
                if unit.valid_from is not None and (low is None or unit.valid_from > low):
                    low = unit.valid_from
                if unit.valid_to is not None and (high is None or unit.valid_to < high):
                    high = unit.valid_to
        window = (
            None if low is None and high is None else (low or dt.date.min, high or dt.date.max)
        )
        return start, window, codes

    def _periods(self) -> None:
        cols = self.cols
        # The report date against each distinct period.
        if self.report_date is not None:
            report = self.report_date
            future = {c for c, p in enumerate(cols.periods) if p.start > report}
            ongoing = {c for c, p in enumerate(cols.periods) if p.start <= report < p.end}
            found = self._rows(cols.period, future | ongoing)
            for code, rows in sorted(found.items()):
                period = cols.periods[code]
                owner = _observation_owner(rows, self._describe(rows[0]))
                details: dict[str, Any] = {
                    "period": str(period),
                    "report_date": report.isoformat(),
                    "rows": _rows_text(rows),
                    "count": len(rows),
                }
                if code in future:
                    self.add(
                        "period-in-future",
                        Location.observation(rows[0], "period"),
                        **owner,
                        **details,
                    )
                else:
                    self.add(
                        "period-ongoing",
                        Location.observation(rows[0], "period"),
                        **owner,
                        **details,
                        end_date=period.end.isoformat(),
                    )
        # Each subject's start and its units' validity against the periods it reports.
        windows = {}
        for code, subject in enumerate(cols.subjects):
            start, window, units = self._subject_window(subject)
            if start is not None or window is not None:
                windows[code] = (start, window, units)
        if not windows:
            return
        bad: dict[tuple[int, int], tuple[str, dict[str, Any]]] = {}
        for s_code, p_code in self._distinct_pairs("subject", "period"):
            limits = windows.get(s_code)
            if limits is None:
                continue
            start, window, units = limits
            period, subject_text = cols.periods[p_code], str(cols.subjects[s_code])
            if start is not None and period.start < start:
                issue_code = (
                    "observation-before-subject"
                    if period.end < start
                    else "observation-starts-before-subject"
                )
                bad[s_code, p_code] = (
                    issue_code,
                    {
                        "subject": subject_text,
                        "period": str(period),
                        "start_date": start.isoformat(),
                    },
                )
            elif window is not None and not (
                window[0] <= period.start and period.end <= window[1]
            ):
                bad[s_code, p_code] = (
                    "unit-not-valid-on-date",
                    {
                        "unit": ", ".join(units),
                        "period": str(period),
                        "validity": _validity_text(window),
                    },
                )
        for pair, rows in sorted(self._pair_rows("subject", "period", bad).items()):
            issue_code, details = bad[pair]
            where = Location.observation(rows[0], "period")
            metric = cols.metrics[cols.metric[rows[0]]]
            extra = (
                _observation_owner(rows, self._describe(rows[0]))
                if issue_code == "unit-not-valid-on-date"
                else {"metric": metric}
            )
            self.add(issue_code, where, **details, **extra, rows=_rows_text(rows), count=len(rows))

    # -- duplicates and conflicts -----------------------------------------------------------

    def _value_key(self, row: int) -> tuple[Any, ...]:
        cols = self.cols
        raw = cols.exact.get(row)
        value = cols.value[row] if raw is None else raw
        unit = cols.units[cols.unit[row]]
        return (Decimal(value) * unit.factor, unit.dimension, cols.qualifier[row])

    def _value_text(self, row: int) -> str:
        cols = self.cols
        raw = cols.exact.get(row)
        value = cols.value[row] if raw is None else raw
        qualifier = cols.qualifiers[cols.qualifier[row]]
        mark = {"exact": "", "at_least": "≥", "at_most": "≤", "approximately": "~"}[
            qualifier.value
        ]
        return f"{mark}{value} {cols.units[cols.unit[row]].code}"

    def duplicates(self) -> None:
        cols = self.cols
        for group in self._duplicate_groups:
            first = group[0]
            base = {
                "metric": cols.metrics[cols.metric[first]],
                "subject": str(cols.subjects[cols.subject[first]]),
                "period": self.period_text[cols.period[first]],
                "rows": tuple(str(r) for r in group),
                "count": len(group),
            }
            d = cols.disaggregations[cols.disaggregation[first]]
            if d:
                base["disaggregation"] = tuple(f"{k}={v}" for k, v in d.items())
            where = Location.observation(group[1], "value")
            if len({self._value_key(r) for r in group}) == 1:
                self.add("duplicate-observation", where, **base)
            else:
                sources = tuple(str(cols.texts[cols.source[r]] or "-") for r in group)
                values = tuple(self._value_text(r) for r in group)
                self.add("conflicting-observations", where, **base, values=values, sources=sources)

    # -- double counting --------------------------------------------------------------------

    def double_counting(self) -> None:
        cols = self.cols
        for group in self._overlap_groups:
            first = group[0]
            codes = dict.fromkeys(cols.period[r] for r in group)
            periods = tuple(self.period_text[c] for c in codes)
            self.add(
                "overlapping-periods",
                Location.observation(group[0], "period"),
                metric=cols.metrics[cols.metric[first]],
                subject=str(cols.subjects[cols.subject[first]]),
                periods=periods,
                rows=tuple(str(r) for r in group),
            )
        self._sites_across_parents()
        self._parts_within_totals()

    def _sites_across_parents(self) -> None:
        gaz = self.ds.gazetteer
        for site in self.ds.sites.values():
            try:
                units = [gaz.unit(code) for code in site.admin_units]
                chains = {u.code: gaz.ancestors(u.code) for u in units}
            except (UnknownAdminUnitError, GazetteerCycleError):
                continue  # reported by the reference and gazetteer checks
            for level in sorted(self.levels, key=lambda lv: lv.depth, reverse=True):
                above = [u for u in units if u.level.depth > level.depth]
                parents = {a.code: a for u in above for a in chains[u.code] if a.level is level}
                if len(parents) < 2:  # noqa: PLR2004
                    continue
                try:
                    anchor = gaz.common_ancestor(site.admin_units)
                    anchor_text = f"{anchor.full_name} ({anchor.code})"
                except InvalidValueError:
                    anchor_text = "-"
                self.add(
                    "site-spans-parents",
                    self.at("sites", "site", site.id, "admin_units"),
                    site=site.id,
                    level=level.value,
                    parents=tuple(f"{p.name} ({p.code})" for p in parents.values()),
                    anchor=anchor_text,
                )
                break  # the lowest level where it splits says it; higher levels follow

    def _parts_within_totals(self) -> None:
        """Parts against each reported figure they break down (see :func:`_part_of`)."""
        cols = self.cols
        if len(cols.disaggregations) < 2:  # noqa: PLR2004 - only the empty one
            return
        breakdowns = _part_of(cols.disaggregations)
        suspects = _parts_suspects(cols, breakdowns)
        if not suspects:
            return
        wholes, category_set, category_sets = breakdowns
        found: dict[tuple[int, int, int], dict[int, list[int]]] = defaultdict(
            lambda: defaultdict(list)
        )
        metric, subject, period = cols.metric, cols.subject, cols.period
        disaggregation = cols.disaggregation
        for i in suspects:
            found[metric[i], subject[i], period[i]][disaggregation[i]].append(i)
        table = cols.disaggregations

        def order(group: tuple[int, int]) -> tuple[Any, ...]:
            whole, parts_set = group  # the total first, then slices; by fewer categories first
            categories = category_sets[parts_set]
            return (len(table[whole]), tuple(table[whole].items()), len(categories), categories)

        for key, slices in sorted(found.items()):
            groups: dict[tuple[int, int], list[int]] = defaultdict(list)
            for d in slices:
                for whole in wholes[d]:
                    if whole in slices:
                        groups[whole, category_set[d]].append(d)
            for group in sorted(groups, key=order):
                whole, parts_set = group
                fixed = table[whole]
                varying = tuple(c for c in category_sets[parts_set] if c not in fixed)
                parts = {d: slices[d] for d in groups[group]}
                self._parts_within(key, slices[whole], parts, fixed, varying)

    def _parts_within(
        self,
        key: tuple[int, int, int],
        whole_rows: Sequence[int],
        parts: Mapping[int, Sequence[int]],
        fixed: Mapping[str, str],
        varying: Sequence[str],
    ) -> None:
        """Report the parts (rows by slice, one slice per option) if they exceed their whole."""
        cols = self.cols
        factors = [u.factor for u in cols.units]
        dims = [u.dimension for u in cols.units]
        whole = _bounds_of(cols, whole_rows, factors)
        dimension = dims[cols.unit[whole_rows[0]]]
        # A part in another dimension than its whole is reported as unit-incompatible.
        options = [
            kept
            for rows in parts.values()
            if (kept := [i for i in rows if dims[cols.unit[i]] == dimension])
        ]
        bounds = [_bounds_of(cols, rs, factors) for rs in options]
        low = sum((b.low for b in bounds), Decimal(0))
        if low <= whole.high:
            return
        approximate = whole.approximate or any(b.approximate for b in bounds)
        rows = sorted(i for rs in options for i in rs)
        details: dict[str, Any] = {
            "metric": cols.metrics[key[0]],
            "subject": str(cols.subjects[key[1]]),
            "period": str(cols.periods[key[2]]),
            "category": " × ".join(varying),
        }
        if len(varying) > 1 or fixed:
            details["categories"] = tuple(varying)
        if fixed:
            details["within"] = tuple(f"{c}={o}" for c, o in fixed.items())
            code = "parts-may-exceed-subtotal" if approximate else "parts-exceed-subtotal"
        else:
            code = "parts-may-exceed-total" if approximate else "parts-exceed-total"
        self.add(
            code,
            Location.observation(rows[0], "value"),
            **details,
            parts=low,
            total=whole.high,
            rows=tuple(str(r) for r in (*whole_rows, *rows)),
        )

    # -- names ------------------------------------------------------------------------------

    def names(self) -> None:
        ds, gaz = self.ds, self.ds.gazetteer
        # A town and a commune may share a name (thị trấn and xã Mường Tè): compare full names.
        units = ((u.parent, u.full_name, Location("admin_unit", u.code)) for u in gaz)
        self._same_names("admin_unit", units)
        self._same_names(
            "initiative",
            (
                (i.scope, i.name_vi, self.at("initiatives", "initiative", i.id, "name_vi"))
                for i in ds.initiatives.values()
            ),
        )
        self._same_names(
            "site",
            (
                (s.initiative, s.name_vi, self.at("sites", "site", s.id, "name_vi"))
                for s in ds.sites.values()
                if s.name_vi is not None
            ),
        )
        self._same_names(
            "organization",
            (
                (
                    o.admin_unit,
                    o.name_vi,
                    self.at("organizations", "organization", o.id, "name_vi"),
                )
                for o in ds.organizations.values()
            ),
        )

    def _same_names(self, kind: str, named: Iterator[tuple[str | None, str, Location]]) -> None:
        first: dict[tuple[str | None, str], tuple[str, Location]] = {}
        for parent, name, where in named:
            key = (parent, fold(name))
            seen = first.get(key)
            if seen is None:
                first[key] = (name, where)
                continue
            identical = seen[0] == name
            vi, en = _KIND_NAMES[kind]
            self.add(
                "probable-duplicate-name",
                where,
                kind_vi=vi.capitalize(),
                kind_en=en.capitalize(),
                name=seen[0],
                other=name,
                first=seen[1].id or "",
                parent=parent or "-",
                how_vi="trùng tên" if identical else "chỉ khác nhau ở dấu",
                how_en="have the same name" if identical else "differ only in diacritics",
            )


MAX_CATEGORIES_EVERY_WHOLE: Final = 4
"""Parts by at most this many categories are compared with every figure that fixes some."""


class _Breakdowns(NamedTuple):
    """What :func:`_part_of` finds in the table of disaggregations, by code."""

    wholes: list[list[int]]
    """For each slice, the slices it is a part of (the total, code 0, first)."""
    category_set: list[int]
    """For each slice, the id of its set of categories (the total's is unused)."""
    categories: list[tuple[str, ...]]
    """For each id of a set of categories, the categories."""


def _part_of(disaggregations: Sequence[Disaggregation]) -> _Breakdowns:
    """Which figures each slice is a part of, and with which other parts it adds up.

    A slice (``{sex: female, organization_kind: mediation_team}``) is a part of
    every figure that fixes some of its categories to the same options (here
    the total, ``{sex: female}`` and ``{organization_kind: mediation_team}``),
    when such a figure is reported anywhere (it is in the table). Within one
    figure, slices by the same set of categories are disjoint: they differ in
    the option of at least one category the figure leaves free, and options of
    a category exclude each other. Their lowest bounds add up to a lowest
    bound of the figure. Slices by other sets of categories are never added
    to them: that would count some things twice.

    Slices by more than :data:`MAX_CATEGORIES_EVERY_WHOLE` categories (none in
    the catalog) are compared only with the total and the figures that fix all
    their categories but one, so the work stays linear in their categories.

    Parts add up with the slices of the same whole and the same set of categories.
    """
    code_of = {tuple(d.items()): code for code, d in enumerate(disaggregations)}
    set_ids: dict[tuple[str, ...], int] = {}
    wholes: list[list[int]] = [[]]  # the total is a part of nothing
    category_set = [0]
    for d in disaggregations[1:]:
        categories = tuple(d)
        category_set.append(set_ids.setdefault(categories, len(set_ids)))
        n = len(categories)
        sizes = range(n) if n <= MAX_CATEGORIES_EVERY_WHOLE else (0, n - 1)
        found = []
        for size in dict.fromkeys(sizes):
            for fixed in combinations(categories, size):
                whole = code_of.get(tuple((c, o) for c, o in d.items() if c in fixed))
                if whole is not None:
                    found.append(whole)
        wholes.append(found)
    return _Breakdowns(wholes, category_set, list(set_ids))


def _parts_suspects(cols: ObservationColumns, breakdowns: _Breakdowns) -> list[int]:
    """The rows of each (metric, subject, period) whose parts might exceed a whole.

    Decided in C for the common case, without a loop over rows in Python. Each
    part row is repeated once per figure it may be a part of (:func:`_part_of`:
    one for a slice by one category, three for a slice by two), and these
    memberships are grouped by (whole, set of categories). A (metric, subject,
    period) is left out when in each of its groups whose whole is reported
    the slices are reported once each, in the unit of the whole's last row (a
    unit of factor 1), and their values add up to at most that row's value.
    What :meth:`Checker._parts_within_totals` finds then is silence too: it
    adds each slice's lowest bound (at most its value) and compares with the
    whole's highest bound (at least its last row's value). Values beyond 64
    bits are kept. Everything else is kept for the exact check: the rows of
    the keys kept, in order.
    """
    metric = cols.metric
    disaggregation, unit = cols.disaggregation, cols.unit
    n_slices = len(cols.disaggregations)
    everything = range(len(cols))
    part_rows = list(compress(everything, disaggregation))  # 0 is the total
    if not part_rows:
        return []
    # One integer per (metric, subject, period, slice); the slice in the low bits, so that
    # ``key - slice + whole`` is the key of the same (metric, subject, period)'s whole.
    every_key = column_keys(cols, *KEY)
    shift = low_shift(n_slices)
    part_slices = list(map(disaggregation.__getitem__, part_rows))
    bases = list(map(sub, map(every_key.__getitem__, part_rows), part_slices))
    member_rows, member_slices, member_wholes = _memberships(
        breakdowns.wholes, part_rows, part_slices, bases
    )
    needed = set(member_wholes)
    # Wholes are rows of the metrics that have parts: look only at those (found in C).
    with_parts = rows_with(metric, set(map(metric.__getitem__, part_rows)), len(cols.metrics))
    whole_rows = list(
        compress(with_parts, map(needed.__contains__, map(every_key.__getitem__, with_parts)))
    )
    whole_of = dict(zip(map(every_key.__getitem__, whole_rows), whole_rows, strict=True))
    reported = list(map(whole_of.__contains__, member_wholes))
    member_rows = list(compress(member_rows, reported))
    member_slices = list(compress(member_slices, reported))
    member_wholes = list(compress(member_wholes, reported))
    if not member_rows:
        return []
    suspect: set[int] = set()
    plain_unit = bytes(u.factor == 1 for u in cols.units)
    whole_units = list(map(unit.__getitem__, whole_of.values()))
    suspect.update(compress(whole_of, map(not_, map(plain_unit.__getitem__, whole_units))))
    n_rows = len(cols)
    suspect.update(every_key[i] - disaggregation[i] for i in cols.exact if i < n_rows)
    suspect.update(
        _groups_suspects(cols, breakdowns, (member_rows, member_slices, member_wholes), whole_of)
    )
    if not suspect:
        return []
    # From keys of wholes (or rows) to keys of (metric, subject, period), and their rows.
    keys = set(map(rshift, suspect, repeat(shift)))
    keys &= set(map(rshift, member_wholes, repeat(shift)))  # nothing to compare without
    kept = set(compress(part_rows, map(keys.__contains__, map(rshift, bases, repeat(shift)))))
    near = map(rshift, map(every_key.__getitem__, whole_rows), repeat(shift))
    kept.update(compress(whole_rows, map(keys.__contains__, near)))
    return sorted(kept)


def _memberships(
    wholes: Sequence[Sequence[int]],
    part_rows: Sequence[int],
    part_slices: Sequence[int],
    bases: Sequence[int],
) -> tuple[list[int], list[int], list[int]]:
    """Each part row once per slice it may be a part of: (rows, slices, keys of the wholes).

    ``bases`` are the rows' keys with the slice taken out; a whole's key is its base plus
    its slice's code. Built in C, one pass per rank of whole (three for slices by two
    categories).
    """
    member_rows: list[int] = []
    member_slices: list[int] = []
    member_wholes: list[int] = []
    positions = range(len(part_rows))
    for j in range(max(map(len, wholes))):
        has = bytes(len(w) > j for w in wholes)
        jth = [w[j] if len(w) > j else 0 for w in wholes]
        chosen = list(compress(positions, map(has.__getitem__, part_slices)))
        slices = list(map(part_slices.__getitem__, chosen))
        member_rows += map(part_rows.__getitem__, chosen)
        member_slices += slices
        member_wholes += map(add, map(bases.__getitem__, chosen), map(jth.__getitem__, slices))
    return member_rows, member_slices, member_wholes


def _groups_suspects(
    cols: ObservationColumns,
    breakdowns: _Breakdowns,
    members: tuple[Sequence[int], Sequence[int], Sequence[int]],
    whole_of: Mapping[int, int],
) -> set[int]:
    """Keys of the wholes whose parts are not settled in C (see :func:`_parts_suspects`).

    ``members`` are :func:`_memberships` whose whole is reported, and ``whole_of`` the
    last row of each whole by its key. They are sorted by (whole, set of categories,
    slice): a slice reported twice is kept, so is a part in another unit than its
    whole's last row, and so is a group whose values add to more than that row's value.
    """
    member_rows, member_slices, member_wholes = members
    unit, value = cols.unit, cols.value
    n_slices, n_sets = len(cols.disaggregations), len(breakdowns.categories)
    set_of = breakdowns.category_set
    groups = list(
        map(add, map(mul, member_wholes, repeat(n_sets)), map(set_of.__getitem__, member_slices))
    )
    slots = list(map(add, map(mul, groups, repeat(n_slices)), member_slices))
    order = sorted(range(len(member_rows)), key=slots.__getitem__)
    rows = list(map(member_rows.__getitem__, order))
    slots = list(map(slots.__getitem__, order))
    groups = list(map(groups.__getitem__, order))
    wholes = list(map(member_wholes.__getitem__, order))
    whole_unit = list(map(unit.__getitem__, map(whole_of.__getitem__, wholes)))
    suspect = set(compress(wholes, map(ne, map(unit.__getitem__, rows), whole_unit)))
    suspect.update(compress(wholes, map(eq, slots[1:], slots[:-1])))  # a slice twice
    running = list(accumulate(map(value.__getitem__, rows), initial=0))
    starts = [0, *compress(range(1, len(rows)), map(ne, groups[1:], groups[:-1]))]
    ends = [*starts[1:], len(rows)]
    sums = map(sub, map(running.__getitem__, ends), map(running.__getitem__, starts))
    group_wholes = list(map(wholes.__getitem__, starts))
    totals = map(value.__getitem__, map(whole_of.__getitem__, group_wholes))
    suspect.update(compress(group_wholes, map(gt, sums, totals)))
    return suspect


def _bounds_of(
    cols: ObservationColumns, rows: Sequence[int], factors: Sequence[Decimal]
) -> Bounds:
    """What the rows (reports of one figure) say of it, in base units: the hull of their bounds."""
    low, high, approximate = None, None, False
    for i in rows:
        raw = cols.exact.get(i)
        value = Decimal(cols.value[i] if raw is None else raw) * factors[cols.unit[i]]
        q = cols.qualifiers[cols.qualifier[i]]
        lo = value if q is not Qualifier.AT_MOST else Decimal(0)
        hi = value if q is not Qualifier.AT_LEAST else Decimal("Infinity")
        approximate = approximate or q is Qualifier.APPROXIMATELY
        low = lo if low is None else min(low, lo)
        high = hi if high is None else max(high, hi)
    if low is None or high is None:  # pragma: no cover - rows is never empty
        return Bounds(Decimal(0), Decimal("Infinity"))
    return Bounds(low, high, approximate)


def _qualifier_problem(kind: MetricKind, qualifier: Qualifier) -> str | None:
    if kind is MetricKind.DISTINCT and qualifier is not Qualifier.EXACT:
        return "a count of distinct people is computed from records, so it is exact"
    if kind is MetricKind.RATIO and qualifier in (Qualifier.AT_LEAST, Qualifier.AT_MOST):
        return "a bound on a rate says nothing of its numerator and denominator"
    return None


def _validity(
    unit_from: dt.date | None,
    unit_to: dt.date | None,
    gaz_from: dt.date | None,
    gaz_to: dt.date | None,
) -> tuple[dt.date, dt.date] | None:
    lows = [d for d in (unit_from, gaz_from) if d is not None]
    highs = [d for d in (unit_to, gaz_to) if d is not None]
    if not lows and not highs:
        return None
    return (max(lows) if lows else dt.date.min, min(highs) if highs else dt.date.max)


def _validity_text(window: tuple[dt.date, dt.date]) -> str:
    low = "" if window[0] == dt.date.min else window[0].isoformat()
    high = "" if window[1] == dt.date.max else window[1].isoformat()
    return f"{low}..{high}"
