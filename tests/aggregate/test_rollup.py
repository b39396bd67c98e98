"""Entity roll-ups (count_entities) and reconciliation of reported totals (reconcile)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import (
    AdminLevel,
    Dataset,
    EntityCounts,
    MassOrganization,
    Observation,
    OrganizationKind,
    Period,
    Qualifier,
    Quantity,
    Site,
    Tolerance,
    count_entities,
    reconcile,
    sample,
)
from antq_core.errors import InvalidValueError, UnknownAdminUnitError

REPORT = "2017-07-13"


def _with(ds: Dataset, **changes: Any) -> Dataset:
    """``ds`` with some parts replaced (the others kept)."""
    return ds.replace(**changes)


def _org(id_: str, unit: str, members: int | None, **kw: Any) -> MassOrganization:
    kind = kw.pop("kind", OrganizationKind.PEOPLE_SECURITY_TEAM)
    return MassOrganization(
        id=id_, kind=kind, name_vi=f"Tổ {id_}", admin_unit=unit, member_count=members, **kw
    )


def _obs(metric: str, value: int, unit: str, **kw: Any) -> Observation:
    return Observation(
        metric=metric,
        subject=kw.pop("subject", "unit:12"),
        period=kw.pop("period", REPORT),
        unit=unit,
        value=value,
        **kw,
    )


# -- count_entities on the sample -----------------------------------------------------------


def test_the_cluster_site_counts_once_at_its_district(lai_chau: Dataset) -> None:
    by_district = count_entities(lai_chau, AdminLevel.DISTRICT)
    tam_duong = by_district.row("106")
    assert (tam_duong.name, tam_duong.sites, tam_duong.initiatives) == ("huyện Tam Đường", 1, 1)
    assert by_district.row("107").sites == 2  # Tà Tổng and Mù Cả, two sites
    assert sum(r.sites for r in by_district) == len(lai_chau.sites)
    assert {r.unit for r in by_district} == {
        u.code for u in lai_chau.gazetteer if u.level is AdminLevel.DISTRICT
    }


def test_a_site_anchored_above_the_level_is_not_spread_over_units(lai_chau: Dataset) -> None:
    by_commune = count_entities(lai_chau, "commune")
    for code in ("03418", "03406", "03400"):  # the cluster's communes
        assert by_commune.row(code).sites == 0
    cluster = [u for u in by_commune.unplaced if u.id == "site-cum-giap-ranh"]
    assert [(u.kind, u.anchor) for u in cluster] == [("site", "106")]
    assert "above the commune level" in cluster[0].reason
    placed = sum(r.sites for r in by_commune)
    unplaced = sum(u.kind == "site" for u in by_commune.unplaced)
    assert placed + unplaced == len(lai_chau.sites)


def test_every_entity_is_counted_at_the_province(lai_chau: Dataset) -> None:
    counts = count_entities(lai_chau, "province")
    row = counts.row("12")
    assert counts.unplaced == ()
    assert (row.initiatives, row.sites, row.organizations) == (
        len(lai_chau.initiatives),
        len(lai_chau.sites),
        len(lai_chau.organizations),
    )
    assert row.typical_initiatives == sum(i.typical for i in lai_chau.initiatives.values())
    assert row.members == Quantity(0, "member")  # no organizations: exactly none


def test_an_initiative_without_scope_counts_at_its_sites_common_ancestor(
    lai_chau: Dataset,
) -> None:
    cluster = lai_chau.initiatives["mh-cum-giap-ranh-tam-duong"]
    assert cluster.scope is None
    assert count_entities(lai_chau, "district").row("106").initiatives == 1
    bare = cluster.model_copy(update={"id": "mh-bare"})
    ds = _with(lai_chau, initiatives=[*lai_chau.initiatives.values(), bare])
    unplaced = {u.id: u for u in count_entities(ds, "province").unplaced}
    assert unplaced["mh-bare"].anchor is None
    assert "no scope and no sites" in unplaced["mh-bare"].reason


def test_members_missing_is_not_zero(lai_chau: Dataset) -> None:
    orgs = [
        _org("t1", "03589", 12),
        _org("t2", "03589", None),
        _org("t3", "03463", 7, kind=OrganizationKind.MEDIATION_TEAM),
        _org("t4", "03451", None, kind=OrganizationKind.MEDIATION_TEAM),
    ]
    counts = count_entities(_with(lai_chau, organizations=orgs), "commune")
    muong_so = counts.row("03589")
    assert muong_so.organizations == 2
    assert muong_so.members == Quantity(12, "member", Qualifier.AT_LEAST)
    assert muong_so.organizations_without_member_count == 1
    assert counts.row("03451").members is None  # the only organization states no count
    assert counts.row("03463").members == Quantity(7, "member")
    province = count_entities(_with(lai_chau, organizations=orgs), "province").row("12")
    kinds = {k.kind: k for k in province.by_kind}
    assert kinds[OrganizationKind.MEDIATION_TEAM].organizations == 2
    assert kinds[OrganizationKind.MEDIATION_TEAM].members == Quantity(7, "member", "at_least")
    assert [k.kind for k in province.by_kind] == [
        OrganizationKind.PEOPLE_SECURITY_TEAM,
        OrganizationKind.MEDIATION_TEAM,
    ]


def test_entities_on_unknown_units_are_reported_not_dropped(lai_chau: Dataset) -> None:
    stray = Site(id="s-stray", initiative="mh-cum-giap-ranh-tam-duong", admin_units=("99999",))
    ds = _with(
        lai_chau,
        organizations=[_org("t1", "99999", 3)],
        sites=[*lai_chau.sites.values(), stray],
    )
    counts = count_entities(ds, "province")
    assert counts.row("12").organizations == 0
    assert counts.row("12").sites == len(lai_chau.sites)
    lost = {(u.kind, u.id): u for u in counts.unplaced}
    assert set(lost) == {
        ("organization", "t1"),
        ("site", "s-stray"),
        ("initiative", "mh-cum-giap-ranh-tam-duong"),
    }
    assert lost["organization", "t1"].anchor is None
    assert "99999" in lost["organization", "t1"].reason


def test_counting_as_of_a_date_leaves_out_what_came_later(lai_chau: Dataset) -> None:
    orgs = [_org("t1", "03589", 5, established_on=dt.date(2020, 1, 1)), _org("t2", "03589", 4)]
    ds = _with(lai_chau, organizations=orgs)
    early = count_entities(ds, "province", on=dt.date(2014, 1, 1)).row("12")
    # Mường So (2012) only; the cluster started in 2016, the others give no start.
    assert early.sites == len(lai_chau.sites) - 1
    assert early.initiatives == len(lai_chau.initiatives) - 1
    assert early.organizations == 1
    late = count_entities(ds, "province", on=Period.parse("2020")).row("12")
    assert (late.organizations, late.members) == (2, Quantity(9, "member"))


def test_counts_as_of_a_date_only_list_units_valid_then(lai_chau: Dataset) -> None:
    assert count_entities(lai_chau, "commune", on=dt.date(2025, 7, 1)).rows == ()
    assert count_entities(lai_chau, "commune", on=dt.date(2025, 6, 30)).rows != ()


def test_rows_as_dicts(lai_chau: Dataset) -> None:
    orgs = [_org("t1", "03589", None), _org("t2", "03589", 3), _org("t3", "03463", None)]
    counts = count_entities(_with(lai_chau, organizations=orgs), "commune")
    rows = {r["unit"]: r for r in counts.to_dicts()}
    assert rows["03463"]["members"] is None
    assert rows["03589"]["members"] == {"value": 3, "unit": "member", "qualifier": "at_least"}
    assert rows["03589"]["by_kind"]["people_security_team"]["without_member_count"] == 1
    assert rows["03589"]["level"] == "commune"
    assert len(rows) == len(counts)
    assert isinstance(counts, EntityCounts)


def test_bad_arguments_are_typed_errors(lai_chau: Dataset) -> None:
    with pytest.raises(InvalidValueError, match="administrative level"):
        count_entities(lai_chau, "hamlet")
    with pytest.raises(InvalidValueError, match="date"):
        count_entities(lai_chau, "commune", on="2017")
    with pytest.raises(UnknownAdminUnitError):
        count_entities(lai_chau, "district").row("03589")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["03589", "03463", "03451", "03418", "03400", "106", "12"]),
            st.none() | st.integers(0, 500),
        ),
        max_size=12,
    ),
    st.sampled_from(list(AdminLevel)),
)
def test_placed_plus_unplaced_is_every_entity(
    specs: list[tuple[str, int | None]], level: AdminLevel
) -> None:
    base = sample()
    orgs = [_org(f"o{n}", unit, members) for n, (unit, members) in enumerate(specs)]
    ds = _with(base, organizations=orgs)
    counts = count_entities(ds, level)
    province = count_entities(ds, "province").row("12")
    for kind, field, total in (
        ("organization", "organizations", len(orgs)),
        ("site", "sites", len(base.sites)),
        ("initiative", "initiatives", len(base.initiatives)),
    ):
        placed = sum(getattr(r, field) for r in counts)
        assert placed + sum(u.kind == kind for u in counts.unplaced) == total
    known = [m for _, m in specs if m is not None]
    if orgs and len(known) == len(orgs):
        assert province.members == Quantity(sum(known), "member")
    elif known:
        assert province.members == Quantity(sum(known), "member", "at_least")


# -- reconcile ------------------------------------------------------------------------------


def test_the_sample_reports_5817_organizations_and_registers_none(lai_chau: Dataset) -> None:
    results = {r.metric: r for r in reconcile(lai_chau)}
    assert set(results) == {
        "initiatives",
        "initiative_sites",
        "mass_organizations",
        "mass_organization_members",
    }
    orgs = results["mass_organizations"]
    assert (orgs.reported, orgs.registered) == (
        Quantity(5817, "organization"),
        Quantity(0, "organization"),
    )
    assert (orgs.difference, orgs.within_tolerance) == (5817, False)
    assert "5.817" in orgs.message_vi
    assert "5,817" in orgs.message_en
    assert str(orgs.subject) == "unit:12"
    assert str(orgs.period) == REPORT
    assert lai_chau.observations[orgs.row].metric == "mass_organizations"
    assert orgs.to_dict() == {
        "metric": "mass_organizations",
        "subject": "unit:12",
        "period": REPORT,
        "reported": {"value": 5817, "unit": "organization", "qualifier": "exact"},
        "registered": {"value": 0, "unit": "organization", "qualifier": "exact"},
        "difference": 5817,
        "within_tolerance": False,
        "basis": "organizations",
        "message_vi": orgs.message_vi,
        "message_en": orgs.message_en,
        "row": orgs.row,
    }
    sites = results["initiative_sites"]
    assert (sites.registered, sites.difference) == (Quantity(4, "site"), 246)


def test_typical_models_are_reconciled_with_typical_initiatives(lai_chau: Dataset) -> None:
    typical = sum(i.typical for i in lai_chau.initiatives.values())
    [found] = [r for r in reconcile(lai_chau) if r.metric == "initiatives"]
    assert (found.basis, found.registered) == (
        "typical initiatives",
        Quantity(typical, "initiative"),
    )
    assert f"đã đăng ký {typical} mô hình tiêu biểu" in found.message_vi
    assert f"{typical} typical registered" in found.message_en
    plain = _obs("initiatives", len(lai_chau.initiatives), "initiative")
    [found] = reconcile(_with(lai_chau, observations=[plain]))
    assert (found.basis, found.difference, found.within_tolerance) == ("initiatives", 0, True)


def test_tolerance_and_qualifiers(lai_chau: Dataset) -> None:
    orgs = [_org(f"t{n}", "03589", 2) for n in range(10)]
    ds = _with(
        lai_chau,
        organizations=orgs,
        observations=[
            _obs("mass_organizations", 11, "organization"),
            _obs("mass_organizations", 8, "organization", qualifier="at_least"),
            _obs("mass_organizations", 12, "organization", qualifier="at_least"),
            _obs("mass_organizations", 9, "organization", qualifier="at_most"),
            _obs("mass_organizations", 10, "organization", qualifier="at_most"),
        ],
    )
    exact = [r.within_tolerance for r in reconcile(ds)]
    assert exact == [False, True, False, False, True]
    loose = [r.within_tolerance for r in reconcile(ds, tolerance=Tolerance(absolute=2))]
    assert loose == [True, True, True, True, True]
    relative = reconcile(ds, tolerance=Tolerance(relative=Decimal("0.1")))
    assert relative[0].within_tolerance is True  # 10 % of 11 allows 1.1
    assert relative[0].to_dict()["difference"] == 1
    assert "1,1" in relative[0].message_vi


def test_members_with_missing_counts_cannot_confirm_a_total(lai_chau: Dataset) -> None:
    orgs = [_org("t1", "03589", 30), _org("t2", "03589", None)]
    ds = _with(
        lai_chau,
        organizations=orgs,
        observations=[
            _obs("mass_organization_members", 40, "member"),
            _obs("mass_organization_members", 20, "member"),
        ],
    )
    could_be, too_many = reconcile(ds)
    assert could_be.registered == Quantity(30, "member", "at_least")
    assert (could_be.difference, could_be.within_tolerance) == (10, None)
    assert too_many.within_tolerance is False
    only_missing = _with(ds, organizations=[_org("t2", "03589", None)])
    first = reconcile(only_missing)[0]
    assert (first.registered, first.within_tolerance) == (None, None)
    assert "member count" in first.basis


def test_breakdowns_by_kind_and_by_what_the_registry_lacks(lai_chau: Dataset) -> None:
    orgs = [
        _org("t1", "03589", 5, kind=OrganizationKind.MEDIATION_TEAM),
        _org("t2", "03589", 6),
    ]
    kind = {"organization_kind": "mediation_team"}
    ds = _with(
        lai_chau,
        organizations=orgs,
        observations=[
            _obs("mass_organizations", 1, "organization", disaggregation=kind),
            _obs("mass_organization_members", 5, "member", disaggregation=kind),
            _obs(
                "mass_organization_members",
                0,
                "member",
                disaggregation={"organization_kind": "youth_shock_team"},
            ),
            _obs(
                "mass_organizations",
                0,
                "organization",
                disaggregation={"organization_kind": "youth_shock_team"},
            ),
            _obs("mass_organization_members", 3, "member", disaggregation={"sex": "female"}),
            _obs(
                "mass_organizations", 3, "organization", disaggregation={"organization_kind": "x"}
            ),
        ],
    )
    results = reconcile(ds)
    assert [r.within_tolerance for r in results[:4]] == [True, True, True, True]
    assert results[0].basis == "organizations of kind mediation_team"
    by_sex, unknown_kind = results[4:]
    assert (by_sex.registered, by_sex.difference) == (None, None)
    assert "sex" in by_sex.basis
    assert "không đối chiếu được" in by_sex.message_vi
    assert "cannot be compared" in by_sex.message_en
    assert unknown_kind.registered is None


def test_units_periods_and_metrics_outside_the_catalog(lai_chau: Dataset) -> None:
    ds = _with(
        lai_chau,
        metrics=[],
        observations=[
            _obs("initiatives", 1, "initiative", subject="unit:106"),
            _obs("initiatives", 7, "initiative"),
            _obs("mass_organizations", 3, "person"),
        ],
    )
    district, province, people = reconcile(ds)
    assert (district.basis, district.registered) == ("initiatives", Quantity(1, "initiative"))
    assert (province.basis, province.within_tolerance) == ("initiatives", True)
    assert (people.registered, people.within_tolerance) == (None, None)
    assert "reported in person" in people.basis


def test_what_is_not_a_units_total_is_not_compared(lai_chau: Dataset) -> None:
    ds = _with(
        lai_chau,
        observations=[
            _obs("initiative_sites", 1, "site", subject="initiative:mh-nguoi-uy-tin"),
            _obs("cases_resolved_jointly", 22, "case"),
            _obs("initiative_sites", 1, "site", subject="unit:99999"),
        ],
    )
    [unknown] = reconcile(ds)
    assert (unknown.registered, unknown.within_tolerance) == (None, None)
    assert "not in the gazetteer" in unknown.basis
    assert reconcile(_with(lai_chau, observations=[])) == ()


def test_reconciliation_counts_as_of_the_period_end(lai_chau: Dataset) -> None:
    early = _obs("initiative_sites", 3, "site", period="2015")
    late = _obs("initiative_sites", 4, "site", period="2016")
    results = reconcile(_with(lai_chau, observations=[early, late]))
    assert [r.within_tolerance for r in results] == [True, True]


def test_tolerance_takes_non_negative_exact_numbers() -> None:
    for bad in (-1, 0.5, "1"):
        with pytest.raises(InvalidValueError):
            Tolerance(absolute=bad)
    assert Tolerance(absolute=3, relative=Decimal("0.01")).allowed(100) == 3


def test_reconcile_on_the_remapped_sample_agrees_with_the_original(
    lai_chau: Dataset, unresolved_references: Callable[[Dataset], list[str]]
) -> None:
    from antq_core import bundled_crosswalk

    remapped = bundled_crosswalk().remap(lai_chau)
    assert unresolved_references(remapped) == []
    before = [(r.metric, r.registered, r.difference) for r in reconcile(lai_chau)]
    after = [(r.metric, r.registered, r.difference) for r in reconcile(remapped)]
    assert before == after
    sites = [Site.model_validate(s.model_dump()) for s in remapped.sites.values()]
    assert len(sites) == len(lai_chau.sites)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["03589", "03463", "03451", "03418", "106", "107", "12"]),
            st.none() | st.integers(0, 50),
        ),
        max_size=10,
    ),
    st.lists(st.sampled_from(["12", "106", "107", "109", "03589", "03418"]), max_size=6),
)
def test_reconcile_counts_what_count_entities_counts(
    specs: list[tuple[str, int | None]], units: list[str]
) -> None:
    base = sample()
    orgs = [_org(f"o{n}", unit, members) for n, (unit, members) in enumerate(specs)]
    totals = [_obs("mass_organizations", 1, "organization", subject=f"unit:{u}") for u in units]
    totals += [_obs("mass_organization_members", 1, "member", subject=f"unit:{u}") for u in units]
    ds = _with(base, organizations=orgs, observations=totals)
    results = reconcile(ds)
    assert len(results) == len(totals)
    for r in results:
        unit = ds.gazetteer.unit(r.subject.id)
        row = count_entities(ds, unit.level).row(unit.code)
        if r.metric == "mass_organizations":
            assert r.registered == Quantity(row.organizations, "organization")
        else:
            assert r.registered == row.members
