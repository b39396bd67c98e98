"""Reported totals against the registered entities, as issues (:func:`antq_core.reconcile`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final

from antq_core._aggregate.counts import Reconciliation, Tolerance, reconcile
from antq_core._dataset.dataset import Dataset
from antq_core._validation.checks.context import Context
from antq_core._validation.issues import (
    Detail,
    Issue,
    IssueCode,
    Severity,
    declare,
    issue,
)
from antq_core._values.phrases import format_number
from antq_core.errors import AntqError, Location

__all__ = ["CODES", "check", "reconciliation_issues"]

# How a reported total and the registered count compare (antq_core.Reconciliation's sentence).
_RECONCILED_VI: Final = (
    "{place} ({unit_code}), {period}: báo cáo {reported_words}{reported} {noun}, "
    "đã đăng ký {registered_words}{registered}{registered_what}, chênh lệch {difference} "
    "(cho phép {allowed})."
)
_RECONCILED_EN: Final = (
    "{place} ({unit_code}), {period}: {reported_words}{reported} {noun} reported, "
    "{registered_words}{registered}{registered_what} registered, difference {difference} "
    "(allowed {allowed})."
)

CODES: Final = declare(
    IssueCode(
        "reconcile-mismatch",
        Severity.WARNING,
        "Tổng số báo cáo không khớp với số {entities} đã đăng ký: " + _RECONCILED_VI,
        "A reported total does not match the registered {entities}: " + _RECONCILED_EN,
    ),
    IssueCode(
        "reconcile-nothing-registered",
        Severity.INFO,
        _RECONCILED_VI + " Bộ dữ liệu không đăng ký {entities} nào thuộc {place}: không có gì "
        "để đối chiếu, danh mục chỉ không liệt kê chúng.",
        _RECONCILED_EN + " The dataset registers no {entities} under {place}: there is nothing "
        "to reconcile against; the registry simply does not list them.",
    ),
    IssueCode(
        "reconcile-registry-partial",
        Severity.INFO,
        _RECONCILED_VI + " Các {entities} đã đăng ký có những điểm nguồn chỉ nêu làm ví dụ "
        "({examples}), không phải danh sách đầy đủ: số đăng ký ít hơn là đương nhiên.",
        _RECONCILED_EN + " The registered {entities} include ones the source names only as "
        "examples ({examples}), not the full list: fewer registered is expected.",
    ),
    IssueCode(
        "reconcile-not-comparable",
        Severity.INFO,
        "Không đối chiếu được tổng số báo cáo với số đã đăng ký: {place} ({unit_code}), "
        "{period}: báo cáo {reported_words}{reported} {noun}; {registered_part} ({basis}).",
        "A reported total cannot be reconciled with the registry: {place} ({unit_code}), "
        "{period}: {reported_words}{reported} {noun} reported; {registered_part} ({basis}).",
    ),
)
"""The codes this check emits."""

# What each metric counts, in words: (vi, en).
_ENTITIES: Final = {
    "initiatives": ("mô hình", "initiatives"),
    "initiative_sites": ("điểm mô hình", "sites"),
    "mass_organizations": ("tổ chức quần chúng", "mass organizations"),
    "mass_organization_members": ("tổ chức quần chúng", "mass organizations"),
}
_TYPICAL: Final = ("mô hình tiêu biểu", "typical initiatives")


class _Registry:
    """Which registered entities lie under a unit, for the few totals that need to know."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._chains: dict[str, frozenset[str]] = {}
        self._examples: dict[tuple[str, dt.date], list[str]] = {}
        self._organizations: dict[tuple[str, dt.date, str | None], bool] = {}

    def _under(self, code: str, unit: str) -> bool:
        """Whether ``code`` is ``unit`` or lies below it (``False`` when it cannot be placed)."""
        chain = self._chains.get(code)
        if chain is None:
            try:
                above = self._dataset.gazetteer.ancestors(code)
            except AntqError:
                above = ()
            chain = self._chains[code] = frozenset((code, *(u.code for u in above)))
        return unit in chain

    def example_sites(self, unit: str, on: dt.date) -> list[str]:
        """Ids of the sites counted under ``unit`` by ``on`` that the source names as examples."""
        found = self._examples.get((unit, on))
        if found is None:
            found = self._examples[unit, on] = self._example_sites(unit, on)
        return found

    def _example_sites(self, unit: str, on: dt.date) -> list[str]:
        found = []
        for site in self._dataset.sites.values():
            if not site.example or (site.started is not None and site.started.start > on):
                continue
            try:
                anchor = self._dataset.site_anchor(site).code
            except AntqError:
                continue
            if self._under(anchor, unit):
                found.append(site.id)
        return found

    def has_organizations(self, unit: str, on: dt.date, kind: str | None) -> bool:
        """Whether an organization (of ``kind``, if any) is registered under ``unit`` by ``on``."""
        found = self._organizations.get((unit, on, kind))
        if found is None:
            found = self._organizations[unit, on, kind] = self._has_organizations(unit, on, kind)
        return found

    def _has_organizations(self, unit: str, on: dt.date, kind: str | None) -> bool:
        return any(
            (kind is None or o.kind.value == kind)
            and (o.established_on is None or o.established_on <= on)
            and self._under(o.admin_unit, unit)
            for o in self._dataset.organizations.values()
        )


_WORDS: Final = {
    "vi": {"at_least": "trên ", "at_most": "dưới ", "approximately": "khoảng "},
    "en": {"at_least": "more than ", "at_most": "at most ", "approximately": "about "},
}


def _details(r: Reconciliation, entities: tuple[str, str]) -> dict[str, Detail]:
    """The facts, and the parts of the sentence :attr:`Reconciliation.message_en` says.

    The sentence is put together only when an issue's message is asked for:
    a large dataset may have thousands of such issues and few are read.
    """
    registered = r.registered
    unit = r.reported.unit
    details: dict[str, Detail] = {
        "metric": r.metric,
        "subject": str(r.subject),
        "period": str(r.period),
        "reported": r.reported.value,
        "reported_qualifier": r.reported.qualifier.value,
        "registered": None if registered is None else registered.value,
        "registered_qualifier": None if registered is None else registered.qualifier.value,
        "difference": r.difference,
        "allowed": r.allowed,
        "basis": r.basis,
        "place": r.place,
        "unit_code": r.subject.id,
        "entities_vi": entities[0],
        "entities_en": entities[1],
        "noun_vi": unit.name_vi,
        "noun_en": unit.plural_en,
        "reported_words_vi": _WORDS["vi"].get(r.reported.qualifier.value, ""),
        "reported_words_en": _WORDS["en"].get(r.reported.qualifier.value, ""),
    }
    if registered is not None:
        typical = r.basis == "typical initiatives"
        details["registered_words_vi"] = _WORDS["vi"].get(registered.qualifier.value, "")
        details["registered_words_en"] = _WORDS["en"].get(registered.qualifier.value, "")
        details["registered_what_vi"] = " mô hình tiêu biểu" if typical else ""
        details["registered_what_en"] = " typical" if typical else ""
    return details


def _registered_part(r: Reconciliation) -> dict[str, Detail]:
    """What is registered, in words, for a total that cannot be compared (few: worded now)."""
    if r.registered is None:
        return {
            "registered_part_vi": "không có số đăng ký tương ứng",
            "registered_part_en": "the registry has no counterpart",
        }
    q = r.registered.qualifier.value
    value = r.registered.value
    return {
        "registered_part_vi": f"đã đăng ký {_WORDS['vi'].get(q, '')}{format_number(value, 'vi')}",
        "registered_part_en": f"{_WORDS['en'].get(q, '')}{format_number(value, 'en')} registered",
    }


def _nothing_registered(r: Reconciliation, registry: _Registry) -> bool:
    """Whether the registry lists nothing of the kind the total counts under the unit."""
    if r.registered is None or r.registered.value != 0:
        return False
    if r.metric != "mass_organization_members":
        return True  # a count of entities is 0 exactly when none is registered
    kind = r.basis.removeprefix("members of kind ") if r.basis != "members" else None
    return not registry.has_organizations(r.subject.id, r.period.end, kind)


def check(context: Context) -> Iterator[Issue]:
    """Reported totals against the registry (:func:`reconciliation_issues`)."""
    return reconciliation_issues(context.dataset, context.options.tolerance)


def reconciliation_issues(dataset: Dataset, tolerance: Tolerance) -> Iterator[Issue]:
    """One issue per reported total that does not agree with the registry, or cannot be compared.

    - ``reconcile-mismatch`` (warning): the total and the registered count
      differ by more than the tolerance;
    - ``reconcile-nothing-registered`` (info): the dataset registers nothing
      of that kind under the unit, so there is nothing to compare with;
    - ``reconcile-registry-partial`` (info): fewer sites are registered than
      reported and the registered ones include sites the source names only as
      examples (:attr:`Site.example <antq_core.Site.example>`);
    - ``reconcile-not-comparable`` (info): the registry has no counterpart
      (a breakdown it does not keep, a unit outside the gazetteer, member
      counts no organization states) or the qualifiers leave it undecided.
    """
    registry = _Registry(dataset)
    for r in reconcile(dataset, tolerance=tolerance):
        if r.within_tolerance:
            continue
        entities = _TYPICAL if r.basis == "typical initiatives" else _ENTITIES[r.metric]
        details = _details(r, entities)
        where = Location.observation(r.row, "value")
        if r.within_tolerance is None:
            details |= _registered_part(r)
            yield issue("reconcile-not-comparable", where, **details)
        elif _nothing_registered(r, registry):
            yield issue("reconcile-nothing-registered", where, **details)
        elif r.metric == "initiative_sites" and r.difference is not None and r.difference > 0:
            examples = registry.example_sites(r.subject.id, r.period.end)
            if examples:
                details["examples"] = tuple(examples)
                yield issue("reconcile-registry-partial", where, **details)
            else:
                yield issue("reconcile-mismatch", where, **details)
        else:
            yield issue("reconcile-mismatch", where, **details)
