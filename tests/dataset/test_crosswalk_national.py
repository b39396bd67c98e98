"""The national crosswalk (30 June 2025 -> 1 July 2025) and its split policies."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import (
    AdminUnit,
    Crosswalk,
    CrosswalkEntry,
    CrosswalkRelationship,
    CrosswalkSource,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MetricDefinition,
    Observation,
    Qualifier,
    aggregate,
    bundled_crosswalk,
    bundled_gazetteer,
    bundled_group_sets,
)
from antq_core.errors import DatasetLoadError, InvalidValueError, SplitUnitError


@cache
def national() -> Crosswalk:
    return bundled_crosswalk("vn_2025_06_07")


@cache
def old() -> Gazetteer:
    return bundled_gazetteer("vn_2025_06")


@cache
def _codes(relationship: CrosswalkRelationship) -> list[str]:
    return sorted(
        e.old
        for e in national()
        if e.relationship is relationship and old().unit(e.old).level.value == "commune"
    )


METRICS = [
    MetricDefinition(id="cases", name_vi="Vụ việc", name_en="Cases", unit="case", kind="flow"),
    MetricDefinition(id="tips", name_vi="Nguồn tin", name_en="Tips", unit="tip", kind="flow"),
]


def _dataset(rows: list[tuple[str, MetricDefinition, int]]) -> Dataset:
    return Dataset(
        gazetteer=old(),
        metadata=DatasetMetadata(title_vi="Thử toàn quốc"),
        metrics=METRICS,
        observations=[
            Observation(metric=m.id, subject=f"unit:{code}", period="2024", unit=m.unit, value=v)
            for code, m, v in rows
        ],
    )


def _totals(ds: Dataset, by: str) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}
    for r in aggregate(ds, [m.id for m in METRICS], by=[by]):
        assert r.quantity is not None
        totals[r.metric, str(dict(r.keys)[by])] = int(r.quantity.value)
    return totals


# -- the bundled crosswalk ------------------------------------------------------------------


def test_the_national_crosswalk_maps_every_old_unit() -> None:
    cw = national()
    assert (cw.from_version, cw.to_version) == ("vn-2025-06", "vn-2025-07")
    assert cw.effective == dt.date(2025, 7, 1)
    assert {e.old for e in cw} == {u.code for u in old()}
    kinds = Counter(e.relationship for e in cw)
    assert kinds[CrosswalkRelationship.DISSOLVED] == 691  # 696 districts, less 5 islands
    assert 400 <= kinds[CrosswalkRelationship.SPLIT] <= 500
    assert cw.notes  # the cross-check with a second mapping, and each disagreement


def test_a_split_names_its_default_part() -> None:
    splits = [e for e in national() if e.relationship is CrosswalkRelationship.SPLIT]
    assert all(e.default in e.new for e in splits)
    assert all(e.shares is None for e in splits)  # the source gives none


def test_lai_chau_entries_agree_with_the_provincial_crosswalk() -> None:
    provincial = bundled_crosswalk("lai_chau_2017_2025")
    for e in provincial:
        if e.old in national():
            assert national().entry(e.old).new == e.new


# -- laws over merges ---------------------------------------------------------------------

# One figure per old unit and metric: two on one unit and period would be one figure
# entered twice, which aggregate() rightly refuses.
_ROWS = st.lists(
    st.tuples(
        st.sampled_from(_codes(CrosswalkRelationship.MERGE) + _codes(CrosswalkRelationship.SAME)),
        st.sampled_from(METRICS),
        st.integers(0, 10**6),
    ),
    min_size=1,
    max_size=20,
    unique_by=lambda row: (row[0], row[1].id),
)


@given(_ROWS)
def test_a_flow_remapped_through_merges_keeps_its_national_total(
    rows: list[tuple[str, MetricDefinition, int]],
) -> None:
    ds = _dataset(rows)
    remapped = national().remap(ds, combine=True)
    assert remapped.gazetteer.version == "vn-2025-07"
    assert _totals(remapped, "country") == _totals(ds, "country")
    expected = Counter[str]()
    for _, m, v in rows:
        expected[m.id] += v
    assert {m: v for (m, _), v in _totals(remapped, "country").items()} == dict(expected)


@given(_ROWS)
def test_remap_then_aggregate_is_aggregate_then_remap_for_merges(
    rows: list[tuple[str, MetricDefinition, int]],
) -> None:
    ds = _dataset(rows)
    cw = national()
    by_new_province = _totals(cw.remap(ds, combine=True), "province")
    carried = Counter[tuple[str, str]]()
    for (metric, province), value in _totals(ds, "province").items():
        (new_province,) = cw.entry(province).new
        carried[metric, new_province] += value
    assert by_new_province == dict(carried)


# -- split policies -----------------------------------------------------------------------


def test_combine_adds_up_the_figures_of_merged_units_only() -> None:
    cw = national()
    into: dict[str, list[str]] = {}
    for code in _codes(CrosswalkRelationship.MERGE):
        into.setdefault(cw.entry(code).new[0], []).append(code)
    target, (a, b, *_) = next((t, olds) for t, olds in into.items() if len(olds) >= 2)
    ds = _dataset([(a, METRICS[0], 5), (b, METRICS[0], 7), (a, METRICS[1], 1)])
    plain = cw.remap(ds)
    assert [o.value for o in plain.observations] == [5, 7, 1]
    (cases, tips) = sorted(cw.remap(ds, combine=True).observations, key=lambda o: o.metric)
    assert (cases.subject.id, cases.value) == (target, 12)
    assert a in (cases.note or "")
    assert b in (cases.note or "")
    assert (tips.value, tips.note) == (1, None)


def test_splits_are_refused_by_default() -> None:
    split = _codes(CrosswalkRelationship.SPLIT)[0]
    ds = _dataset([(split, METRICS[0], 7)])
    with pytest.raises(SplitUnitError) as info:
        national().remap(ds)
    assert split in info.value.units
    assert not info.value.shares_missing


def test_approximate_places_a_split_at_its_default_part() -> None:
    split = _codes(CrosswalkRelationship.SPLIT)[0]
    entry = national().entry(split)
    ds = _dataset([(split, METRICS[0], 7)])
    (o,) = national().remap(ds, on_split="approximate").observations
    assert (o.subject.id, o.value, o.qualifier) == (entry.default, 7, Qualifier.APPROXIMATELY)
    assert "default part" in (o.note or "")


def test_apportion_needs_shares() -> None:
    split = _codes(CrosswalkRelationship.SPLIT)[0]
    with pytest.raises(SplitUnitError, match="no area shares") as info:
        national().remap(_dataset([(split, METRICS[0], 7)]), on_split="apportion")
    assert info.value.shares_missing


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="apportion"):
        national().remap(_dataset([]), on_split="guess")


# A small crosswalk with area shares, for apportioning.
_SOURCE = CrosswalkSource(id="law", title="A resolution")


def _small() -> tuple[Gazetteer, Crosswalk]:
    old_units = [
        AdminUnit("VN", "Việt Nam", "country"),
        AdminUnit("99", "Thử", "province", "VN"),
        AdminUnit("901", "Một", "district", "99"),
        AdminUnit("01001", "Hai", "commune", "901"),
        AdminUnit("01002", "Ba", "commune", "901"),
    ]
    new_units = [
        AdminUnit("VN", "Việt Nam", "country"),
        AdminUnit("99", "Thử", "province", "VN"),
        AdminUnit("02001", "Bốn", "commune", "99"),
        AdminUnit("02002", "Năm", "commune", "99"),
    ]
    shares = {"02001": Decimal("0.3"), "02002": Decimal("0.7")}
    entries = [
        CrosswalkEntry("VN", ("VN",), CrosswalkRelationship.SAME, "law"),
        CrosswalkEntry("99", ("99",), CrosswalkRelationship.SAME, "law"),
        CrosswalkEntry("901", ("99",), CrosswalkRelationship.DISSOLVED, "law"),
        CrosswalkEntry("01001", ("02001",), CrosswalkRelationship.MERGE, "law"),
        CrosswalkEntry(
            "01002",
            ("02001", "02002"),
            CrosswalkRelationship.SPLIT,
            "law",
            default="02002",
            shares=shares,
        ),
    ]
    cw = Crosswalk(
        "small",
        entries,
        target=Gazetteer("new", new_units),
        from_version="old",
        effective=dt.date(2025, 7, 1),
        sources=[_SOURCE],
    )
    return Gazetteer("old", old_units), cw


@given(st.integers(0, 10**6), st.sampled_from(list(Qualifier)))
def test_apportion_divides_a_count_by_area_share_and_keeps_its_total(
    value: int, qualifier: Qualifier
) -> None:
    gaz, cw = _small()
    ds = Dataset(
        gazetteer=gaz,
        metadata=DatasetMetadata(title_vi="Thử"),
        metrics=METRICS,
        observations=[
            Observation(
                metric="cases",
                subject="unit:01002",
                period="2024",
                unit="case",
                value=value,
                qualifier=qualifier,
            )
        ],
    )
    parts = list(cw.remap(ds, on_split="apportion").observations)
    assert [o.subject.id for o in parts] == ["02001", "02002"]
    assert sum(int(o.value) for o in parts) == value
    assert abs(int(parts[0].value) - value * Decimal("0.3")) < 1
    assert all(o.qualifier is Qualifier.APPROXIMATELY for o in parts)
    assert all("area share" in (o.note or "") for o in parts)


def test_shares_must_cover_the_parts_and_sum_to_one() -> None:
    _, cw = _small()
    bad = [
        {"02001": Decimal("0.3")},
        {"02001": Decimal("0.3"), "02002": Decimal("0.6")},
        {"02001": Decimal("0"), "02002": Decimal("1")},
    ]
    for shares in bad:
        entries = [
            e
            if e.old != "01002"
            else CrosswalkEntry(e.old, e.new, e.relationship, "law", shares=shares)
            for e in cw
        ]
        with pytest.raises(DatasetLoadError, match="shares"):
            Crosswalk(
                "bad",
                entries,
                target=cw.target,
                from_version="old",
                effective=cw.effective,
                sources=[_SOURCE],
            )
    assert Crosswalk.from_dict(cw.to_dict(), target=cw.target).entry("01002").shares == {
        "02001": Decimal("0.3"),
        "02002": Decimal("0.7"),
    }


# -- regions ------------------------------------------------------------------------------


def test_figures_remapped_roll_up_by_region_through_the_group_set() -> None:
    regions = bundled_group_sets()["region"]
    gaz = bundled_gazetteer("vn_2025_07")
    assert regions.exclusive
    assert regions.overlaps(gaz) == {}
    # Mường So (Lai Châu) went into xã Phong Thổ: the northern midlands and mountains.
    phong_tho = regions.group_of(gaz, "03549")
    assert phong_tho is not None
    assert phong_tho.id == "northern_midlands_mountains"
    # Lâm Đồng was formed from Lâm Đồng, Đắk Nông and Bình Thuận: two regions.
    assert regions.group_of(gaz, "68") is None
    parts = [regions.group_of(gaz, u.code) for u in gaz.children("68")]
    assert None not in parts
    assert {g.id for g in parts if g is not None} == {
        "central_highlands",
        "north_central_central_coast",
    }
