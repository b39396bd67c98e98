"""Repeated figures judged by what they mean: intervals after unit conversion.

Small datasets of our own (a made-up province), one figure reported twice in each test.
"""

from __future__ import annotations

from typing import Any

import pytest

from antq_core import (
    AdminUnit,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    Initiative,
    InitiativeTheme,
    Issue,
    Observation,
    Severity,
    Site,
    UnitGroup,
    UnitGroupSet,
    builtin_catalog,
    validate,
)
from antq_core.errors import InvalidValueError

REPEATS = frozenset(
    {
        "duplicate-observation",
        "approximately-duplicate-observation",
        "possibly-conflicting-observations",
        "conflicting-observations",
    }
)
MAP = Gazetteer(
    "meaning-test",
    [
        AdminUnit(code="80", name="Thử", level="province"),
        AdminUnit(code="801", name="Một", level="district", parent="80"),
    ],
)


def _poppy(
    value: int | str, unit: str = "m2", qualifier: str = "exact", source: str | None = None
) -> Observation:
    return Observation(
        metric="poppy_area_destroyed",
        subject="unit:801",
        period="2016/2017",
        value=value,
        unit=unit,
        qualifier=qualifier,
    )


def _repeats(*observations: Observation) -> list[tuple[str, Severity]]:
    cat = builtin_catalog()
    ds = Dataset(
        gazetteer=MAP,
        metadata=DatasetMetadata(title_vi="Thử"),
        categories=cat.categories,
        metrics=cat.metrics,
        observations=observations,
    )
    return [(i.code, i.severity) for i in validate(ds) if i.code in REPEATS]


def test_a_figure_and_its_restatement_in_another_unit_agree() -> None:
    # "8.450 m2" and "hơn 0,8 ha": 8,450 m² lies in [8,000 m², ∞).
    found = _repeats(_poppy(8450), _poppy("0.8", "ha", "at_least"))
    assert found == [("approximately-duplicate-observation", Severity.WARNING)]


def test_the_same_value_in_two_units_is_a_plain_duplicate() -> None:
    assert _repeats(_poppy(58000), _poppy("5.8", "ha")) == [
        ("duplicate-observation", Severity.WARNING)
    ]


def test_bounds_that_exclude_each_other_conflict() -> None:
    assert _repeats(_poppy(8450), _poppy("0.9", "ha", "at_least")) == [
        ("conflicting-observations", Severity.ERROR)
    ]
    assert _repeats(_poppy(100, qualifier="at_least"), _poppy(50, qualifier="at_most")) == [
        ("conflicting-observations", Severity.ERROR)
    ]
    assert _repeats(_poppy(8450), _poppy(8460)) == [("conflicting-observations", Severity.ERROR)]


def test_bounds_that_meet_agree() -> None:
    found = _repeats(_poppy(100, qualifier="at_least"), _poppy(150, qualifier="at_most"))
    assert found == [("approximately-duplicate-observation", Severity.WARNING)]
    found = _repeats(_poppy(100, qualifier="at_least"), _poppy(100, qualifier="at_most"))
    assert found == [("approximately-duplicate-observation", Severity.WARNING)]


def test_an_estimate_that_differs_is_a_warning_not_an_error() -> None:
    found = _repeats(_poppy(3000, qualifier="approximately"), _poppy(3150))
    assert found == [("possibly-conflicting-observations", Severity.WARNING)]


def test_three_reports_agree_only_if_all_meet() -> None:
    found = _repeats(
        _poppy(8450), _poppy("0.8", "ha", "at_least"), _poppy(8000, qualifier="at_most")
    )
    assert found == [("conflicting-observations", Severity.ERROR)]


def test_the_message_lists_the_values_as_reported() -> None:
    cat = builtin_catalog()
    ds = Dataset(
        gazetteer=MAP,
        metadata=DatasetMetadata(title_vi="Thử"),
        categories=cat.categories,
        metrics=cat.metrics,
        observations=[_poppy(8450), _poppy("0.8", "ha", "at_least")],
    )
    (found,) = (i for i in validate(ds) if i.code in REPEATS)
    assert found.details["values"] == ("8450 m2", "≥0.8 ha")
    assert "approximately the same figure" in found.message("en")
    assert found.where.row == 1


# -- a site that nothing can place -------------------------------------------------------------

TWO_PROVINCES = Gazetteer(
    "cluster-test",
    [
        AdminUnit(code="70", name="Bảy", level="province"),
        AdminUnit(code="70001", name="Núi", level="commune", parent="70", kind_vi="xã"),
        AdminUnit(code="71", name="Bảy Mốt", level="province"),
        AdminUnit(code="71001", name="Sông", level="commune", parent="71", kind_vi="xã"),
    ],
)
WITH_ROOT = Gazetteer(
    "cluster-root-test",
    [AdminUnit(code="VN", name="Việt Nam", level="country")]
    + [
        AdminUnit(
            code=u.code, name=u.name, level=u.level, parent=u.parent or "VN", kind_vi=u.kind_vi
        )
        for u in TWO_PROVINCES
    ],
)


def _cluster(gazetteer: Gazetteer) -> list[tuple[str, dict[str, Any]]]:
    ds = Dataset(
        gazetteer=gazetteer,
        metadata=DatasetMetadata(title_vi="Thử"),
        themes=[InitiativeTheme(id="t", name_vi="t", name_en="t")],
        initiatives=[Initiative(id="mh", name_vi="Mô hình", theme="t")],
        sites=[Site(id="cum", initiative="mh", admin_units=("70001", "71001"))],
    )
    return [(i.code, i.details) for i in validate(ds) if i.code.startswith("site-")]


def test_a_cluster_across_provinces_without_a_root_is_one_issue_naming_its_units() -> None:
    ((code, details),) = _cluster(TWO_PROVINCES)
    assert code == "site-units-unrelated"
    assert details["site"] == "cum"
    assert details["units"] == ("xã Núi (70001)", "xã Sông (71001)")


def test_under_a_country_root_the_same_cluster_is_placed_and_spans_provinces() -> None:
    ((code, details),) = _cluster(WITH_ROOT)
    assert code == "site-spans-parents"
    assert details["level"] == "province"


# -- probable duplicate names: only where it can be a mistake ---------------------------------


def _names(units: list[AdminUnit], **options: Any) -> set[tuple[str | None, Any]]:
    ds = Dataset(gazetteer=Gazetteer("names-test", units), metadata=DatasetMetadata(title_vi="t"))
    report = validate(ds, **options)
    return {
        (i.where.id, i.details["how_en"]) for i in report if i.code == "probable-duplicate-name"
    }


DISTRICT = AdminUnit(code="601", name="Huyện", level="district", kind_vi="huyện")


def _commune(code: str, name: str, *, local: bool = False) -> AdminUnit:
    return AdminUnit(
        code=code, name=name, level="commune", parent="601", kind_vi="xã", local=local
    )


def test_official_communes_differing_by_a_tone_mark_are_two_units() -> None:
    assert (
        _names([DISTRICT, _commune("60101", "Mường Mô"), _commune("60102", "Mường Mồ")]) == set()
    )


def test_tone_placement_alone_is_a_probable_duplicate_even_with_codes() -> None:
    found = _names([DISTRICT, _commune("60101", "Hoà Bình"), _commune("60102", "Hòa Bình")])
    assert found == {("60102", "differ only in where the tone mark sits")}


def test_a_unit_without_an_official_code_is_compared_by_folded_name() -> None:
    found = _names(
        [DISTRICT, _commune("60101", "Mường Mô"), _commune("60101.x", "Muong Mo", local=True)]
    )
    assert found == {("60101.x", "differ only in diacritics")}


def test_units_of_different_parents_are_never_compared() -> None:
    other = AdminUnit(code="602", name="Khác", level="district", kind_vi="huyện")
    elsewhere = AdminUnit(
        code="60201", name="Hòa Bình", level="commune", parent="602", kind_vi="xã", local=True
    )
    assert _names([DISTRICT, other, _commune("60101", "Hoà Bình", local=True), elsewhere]) == set()


def test_a_checked_pair_is_silenced_and_others_are_not() -> None:
    units = [
        DISTRICT,
        _commune("60101", "Hoà Bình"),
        _commune("60102", "Hòa Bình"),
        _commune("60103", "Hoà bình"),
    ]
    assert _names(units, distinct_names=[("60102", "60101"), ("60101", "60103")]) == {
        ("60103", "differ only in where the tone mark sits")  # with 60102: not checked
    }
    assert (
        _names(units, distinct_names=[("60102", "60101"), ("60101", "60103"), ("60102", "60103")])
        == set()
    )


def test_distinct_names_must_be_pairs_of_ids() -> None:
    ds = Dataset(
        gazetteer=Gazetteer("names-test", [DISTRICT]), metadata=DatasetMetadata(title_vi="t")
    )
    for bad in (["60101"], [("60101",)], [("a", "b", "c")], [("a", 1)]):
        with pytest.raises(InvalidValueError, match="distinct_names"):
            validate(ds, distinct_names=bad)


# -- exclusive unit group sets -------------------------------------------------------------------

GROUPED = Gazetteer(
    "groups-test",
    [
        AdminUnit(code="50", name="Năm", level="province", kind_vi="tỉnh"),
        AdminUnit(code="501", name="Một", level="district", parent="50", kind_vi="huyện"),
        AdminUnit(code="50101", name="Hai", level="commune", parent="501", kind_vi="xã"),
        AdminUnit(code="51", name="Năm Mốt", level="province", kind_vi="tỉnh"),
    ],
)


def _group_set(exclusive: bool, north: tuple[str, ...]) -> UnitGroupSet:
    return UnitGroupSet(
        id="vung",
        name_vi="Vùng thử",
        exclusive=exclusive,
        groups=[
            UnitGroup("bac", "Miền Bắc", {"groups-test": north}),
            UnitGroup("nam", "Miền Nam", {"groups-test": ("50", "51")}),
        ],
    )


def _group_issues(*sets: UnitGroupSet) -> list[Issue]:
    ds = Dataset(gazetteer=GROUPED, metadata=DatasetMetadata(title_vi="t"))
    return [i for i in validate(ds, group_sets=sets) if i.code == "unit-in-two-groups"]


def test_a_unit_in_two_groups_of_an_exclusive_set_is_one_error_where_it_begins() -> None:
    (found,) = _group_issues(_group_set(True, ("501",)))
    assert found.severity is Severity.ERROR
    assert found.where.id == "501"  # not again for its commune 50101
    d = found.details
    assert (d["code"], d["group_set"], d["group_ids"]) == ("501", "vung", ("bac", "nam"))
    message = found.message("en")
    assert "huyện Một (501)" in message
    assert "Miền Bắc (bac)" in message
    assert "Miền Nam (nam)" in message


def test_overlaps_in_a_set_that_is_not_exclusive_are_allowed() -> None:
    assert _group_issues(_group_set(False, ("501",))) == []
    assert _group_issues(_group_set(True, ())) == []


def test_group_sets_may_be_given_by_id() -> None:
    ds = Dataset(gazetteer=GROUPED, metadata=DatasetMetadata(title_vi="t"))
    report = validate(ds, group_sets={"vung": _group_set(True, ("50101",))})
    assert [i.where.id for i in report if i.code == "unit-in-two-groups"] == ["50101"]
    with pytest.raises(InvalidValueError, match="group_sets"):
        validate(ds, group_sets=["vung"])  # type: ignore[list-item]


def test_validate_json_takes_the_same_choices() -> None:
    from antq_core import validate_json

    units = [DISTRICT, _commune("60101", "Hoà Bình"), _commune("60102", "Hòa Bình")]
    raw = Dataset(
        gazetteer=Gazetteer("names-test", units), metadata=DatasetMetadata(title_vi="t")
    ).dumps()
    codes = [i.code for i in validate_json(raw)]
    assert codes == ["probable-duplicate-name"]
    assert [i.code for i in validate_json(raw, distinct_names=[("60101", "60102")])] == []
