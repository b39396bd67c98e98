"""Reported totals against the registered entities, as validation issues."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from antq_core import (
    Dataset,
    Issue,
    MassOrganization,
    Observation,
    OrganizationKind,
    Severity,
    Tolerance,
    reconcile,
    validate,
)

REPORT = "2017-07-13"


def _with(ds: Dataset, **changes: Any) -> Dataset:
    parts: dict[str, Any] = {
        "gazetteer": ds.gazetteer,
        "metadata": ds.metadata,
        "sources": ds.sources.values(),
        "themes": ds.themes.values(),
        "categories": ds.categories.values(),
        "metrics": ds.metrics.values(),
        "initiatives": ds.initiatives.values(),
        "sites": ds.sites.values(),
        "organizations": ds.organizations.values(),
        "participants": ds.participants.values(),
        "observations": ds.observations,
    }
    return Dataset(**(parts | changes))


def _org(id_: str, members: int | None, kind: str = "people_security_team") -> MassOrganization:
    return MassOrganization(
        id=id_,
        kind=OrganizationKind(kind),
        name_vi=f"Tổ {id_}",
        admin_unit="03589",
        member_count=members,
    )


def _obs(metric: str, value: int, unit: str, **kw: Any) -> Observation:
    return Observation(
        metric=metric, subject="unit:12", period=REPORT, unit=unit, value=value, **kw
    )


def _totals(ds: Dataset, **kw: Any) -> list[Issue]:
    return [i for i in validate(ds, rules=[], **kw) if i.code.startswith("reconcile-")]


def test_sample_totals_one_warning_and_infos_that_say_why(lai_chau: Dataset) -> None:
    issues = _totals(lai_chau)
    by_metric = {str(i.details["metric"]): i for i in issues}
    results = {r.metric: r for r in reconcile(lai_chau)}
    assert set(by_metric) == set(results)
    for metric, issue in by_metric.items():
        r = results[metric]
        assert issue.where.row == r.row
        assert issue.where.path == f"$.observations[{r.row}].value"
        assert issue.details["reported"] == r.reported.value
        assert issue.details["registered"] == r.registered.value  # type: ignore[union-attr]
        assert issue.details["difference"] == r.difference
        # The issue says what reconcile() says, in both languages.
        assert r.message_en in issue.message("en")
        assert r.message_vi in issue.message("vi")
    typical = by_metric["initiatives"]
    assert (typical.code, typical.severity) == ("reconcile-mismatch", Severity.WARNING)
    en, vi = typical.message("en"), typical.message("vi")
    assert "32 initiatives reported, 3 typical registered, difference 29" in en
    assert "báo cáo 32 mô hình, đã đăng ký 3 mô hình tiêu biểu, chênh lệch 29" in vi
    sites = by_metric["initiative_sites"]
    assert (sites.code, sites.severity) == ("reconcile-registry-partial", Severity.INFO)
    assert set(sites.details["examples"]) == {s.id for s in lai_chau.sites.values() if s.example}
    assert "examples" in sites.message("en")
    assert "ví dụ" in sites.message("vi")
    for metric in ("mass_organizations", "mass_organization_members"):
        nothing = by_metric[metric]
        assert (nothing.code, nothing.severity) == ("reconcile-nothing-registered", Severity.INFO)
        assert "nothing to reconcile against" in nothing.message("en")
        assert "không có gì để đối chiếu" in nothing.message("vi")
    assert "5,817 organizations reported, 0 registered" in by_metric["mass_organizations"].message(
        "en"
    )
    assert "5.817 tổ chức" in by_metric["mass_organizations"].message("vi")


def test_tolerance_passes_through(lai_chau: Dataset) -> None:
    assert [i.code for i in _totals(lai_chau, tolerance=Tolerance(absolute=28))].count(
        "reconcile-mismatch"
    ) == 1
    loose = _totals(lai_chau, tolerance=Tolerance(absolute=29))
    assert "reconcile-mismatch" not in [i.code for i in loose]
    assert _totals(lai_chau, tolerance=Tolerance(relative=Decimal(1))) == []
    issue = _totals(lai_chau, tolerance=Tolerance(absolute=5))[0]
    assert issue.details["allowed"] == 5
    assert "(allowed 5)" in issue.message("en")


def test_registered_organizations_make_a_difference_a_warning(lai_chau: Dataset) -> None:
    ds = _with(
        lai_chau,
        organizations=[_org("t1", 7), _org("t2", 4)],
        observations=[
            _obs("mass_organizations", 5817, "organization"),
            _obs("mass_organization_members", 35122, "member"),
            _obs("mass_organization_members", 11, "member"),
        ],
    )
    found = _totals(ds)  # the third, 11 members, agrees with 7 + 4: not reported
    assert [(i.code, i.where.row) for i in found] == [
        ("reconcile-mismatch", 0),
        ("reconcile-mismatch", 1),
    ]
    assert (found[0].details["registered"], found[0].details["difference"]) == (2, 5815)
    assert (found[1].details["registered"], found[1].details["difference"]) == (11, 35111)


def test_members_of_organizations_stating_zero_are_a_count(lai_chau: Dataset) -> None:
    zero = _with(
        lai_chau,
        organizations=[_org("t1", 0)],
        observations=[_obs("mass_organization_members", 9, "member")],
    )
    (issue,) = _totals(zero)
    assert issue.code == "reconcile-mismatch"  # one organization, 0 members stated
    other_kind = _with(
        zero,
        observations=[
            _obs(
                "mass_organization_members",
                9,
                "member",
                disaggregation={"organization_kind": "mediation_team"},
            )
        ],
    )
    (issue,) = _totals(other_kind)
    assert issue.code == "reconcile-nothing-registered"  # no mediation team registered
    assert issue.details["entities_en"] == "mass organizations"


def test_what_cannot_be_compared_is_an_info(lai_chau: Dataset) -> None:
    ds = _with(
        lai_chau,
        organizations=[_org("t1", 30), _org("t2", None)],
        observations=[
            _obs("mass_organization_members", 40, "member"),  # at least 30 registered
            _obs("mass_organization_members", 3, "member", disaggregation={"sex": "female"}),
        ],
    )
    undecided, by_sex = _totals(ds)
    assert (undecided.code, undecided.severity) == ("reconcile-not-comparable", Severity.INFO)
    assert undecided.details["registered_qualifier"] == "at_least"
    assert (by_sex.code, by_sex.details["registered"]) == ("reconcile-not-comparable", None)
    assert "sex" in by_sex.message("en")
    assert "40 members reported; more than 30 registered" in undecided.message("en")
    assert "the registry has no counterpart" in by_sex.message("en")
    assert "Không đối chiếu được" in by_sex.message("vi")


@pytest.mark.parametrize(
    ("reported", "example", "code"),
    [
        (250, True, "reconcile-registry-partial"),
        (250, False, "reconcile-mismatch"),
        (
            2,
            True,
            "reconcile-mismatch",
        ),  # more registered than reported: examples do not explain it
    ],
)
def test_only_fewer_registered_example_sites_explain_a_difference(
    lai_chau: Dataset, reported: int, example: bool, code: str
) -> None:
    sites = [
        s.model_copy(update={"example": s.example and example}) for s in lai_chau.sites.values()
    ]
    ds = _with(lai_chau, sites=sites, observations=[_obs("initiative_sites", reported, "site")])
    (issue,) = _totals(ds)
    assert issue.code == code
    assert issue.details["registered"] == len(sites)
