"""Geography versions: the 2017 -> 2025 crosswalk, its files, and remapping datasets."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import (
    AdminLevel,
    AdminUnit,
    Crosswalk,
    CrosswalkEntry,
    CrosswalkRelationship,
    CrosswalkSource,
    Dataset,
    DatasetMetadata,
    Gazetteer,
    MassOrganization,
    MetricDefinition,
    Observation,
    OrganizationKind,
    Participant,
    Qualifier,
    Quantity,
    SubjectKind,
    SubjectRef,
    aggregate,
    bundled_crosswalk,
    bundled_gazetteer,
    count_entities,
)
from antq_core.errors import DatasetLoadError, InvalidValueError, SplitUnitError, UnmappedUnitError

SAMPLE_COMMUNES = {  # 2017 code -> 2025 code, after 1670/NQ-UBTVQH15
    "03589": "03549",  # Mường So -> xã Phong Thổ
    "03463": "03463",  # Tà Tổng, not arranged
    "03451": "03451",  # Mù Cả, not arranged
    "03418": "03408",  # Bản Giang -> phường Tân Phong
    "03406": "03405",  # Hồ Thầu -> xã Tả Lèng
    "03400": "03405",  # Tả Lèng -> xã Tả Lèng
}


@pytest.fixture(scope="module")
def cw() -> Crosswalk:
    return bundled_crosswalk("lai_chau_2017_2025")


# -- the bundled data -----------------------------------------------------------------------


def test_the_2025_gazetteer_is_two_tiers_from_1_july_2025() -> None:
    gaz = bundled_gazetteer("lai_chau_2025")
    assert gaz.version == "vn-2025"
    assert gaz.valid_from == dt.date(2025, 7, 1)
    communes = gaz.children("12")
    assert len(communes) == 38  # 36 xã and 2 phường
    assert sorted({u.kind_vi or "" for u in communes}) == ["phường", "xã"]
    assert all(u.level is AdminLevel.COMMUNE for u in communes)
    assert len(gaz) == 39
    arranged = [u for u in communes if u.valid_from == dt.date(2025, 7, 1)]
    assert {u.code for u in communes} - {u.code for u in arranged} == {"03451", "03463"}


def test_the_sample_communes_go_to_their_new_communes(cw: Crosswalk) -> None:
    for old, new in SAMPLE_COMMUNES.items():
        entry = cw.entry(old)
        assert entry.new == (new,)
        assert entry.exact
        assert cw.target.unit(new).level is AdminLevel.COMMUNE
        assert cw.source(entry.source).number == "1670/NQ-UBTVQH15"
    assert cw.entry("03463").relationship is CrosswalkRelationship.SAME
    assert cw.entry("03589").relationship is CrosswalkRelationship.MERGE
    assert cw.target.unit("03405").name == "Tả Lèng"  # Giang Ma's code before 2025
    assert bundled_gazetteer().unit("03405").name == "Giang Ma"


def test_every_district_dissolves_into_the_province(cw: Crosswalk) -> None:
    old = bundled_gazetteer()
    for unit in old:
        if unit.level is AdminLevel.DISTRICT:
            entry = cw.entry(unit.code)
            assert (entry.relationship, entry.new) == (CrosswalkRelationship.DISSOLVED, ("12",))
    assert cw.entry("12").relationship is CrosswalkRelationship.SAME


def test_every_source_is_cited_with_a_document(cw: Crosswalk) -> None:
    cited = {e.source for e in cw}
    assert cited <= {s.id for s in cw.sources}
    resolution = cw.source("nq-1670-ubtvqh15")
    assert (resolution.date, resolution.issuer) == (
        dt.date(2025, 6, 16),
        "Ủy ban Thường vụ Quốc hội",
    )
    assert resolution.url is not None
    assert cw.coverage_note is not None
    assert "left out" in cw.coverage_note
    assert "lai_chau_2017_2025" in repr(cw)


def test_unknown_names_and_codes_are_typed_errors(cw: Crosswalk) -> None:
    with pytest.raises(InvalidValueError, match="lai_chau_2017_2025"):
        bundled_crosswalk("nowhere")
    with pytest.raises(UnmappedUnitError) as info:
        cw.entry("03394")  # Thèn Sin: not in the sample, left out
    assert info.value.codes == ("03394",)
    with pytest.raises(InvalidValueError):
        cw.source("nope")


def test_round_trip_through_a_file(cw: Crosswalk, tmp_path: Path) -> None:
    path = tmp_path / "cw.json"
    cw.dump(path)
    again = Crosswalk.load(path, target=cw.target)
    assert again.to_dict() == cw.to_dict()
    assert list(again) == list(cw)
    assert len(again) == len(cw)
    assert "03589" in again
    assert Crosswalk.from_dict(cw.to_dict(), target=cw.target).to_dict() == cw.to_dict()


# -- loading never crashes ------------------------------------------------------------------


def _doc(cw: Crosswalk) -> dict[str, Any]:
    return copy.deepcopy(cw.to_dict())


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(format="antq-dataset"), "$.format"),
        (lambda d: d.update(format_version=2), "$.format_version"),
        (lambda d: d.update(to_version="vn-2030"), "$.to_version"),
        (lambda d: d["entries"].append(dict(d["entries"][0])), "$.entries[18].from"),
        (lambda d: d["entries"][0].update(to=["99999"]), "$.entries[0].to[0]"),
        (lambda d: d["entries"][0].update(to=["12", "12"]), "$.entries[0].to"),
        (lambda d: d["entries"][0].update(relationship="split"), "$.entries[0].to"),
        (lambda d: d["entries"][0].update(to=["03549", "03405"]), "$.entries[0].to"),
        (lambda d: d["entries"][0].update(largest="12"), "$.entries[0].largest"),
        (lambda d: d["entries"][0].update(source="nope"), "$.entries[0].source"),
        (lambda d: d["entries"][0].update(relationship="moved"), "$.entries[0].relationship"),
        (lambda d: d.update(effective="1 July 2025"), "$.effective"),
        (lambda d: d.pop("entries"), "$.entries"),
    ],
)
def test_bad_documents_name_the_problem(
    cw: Crosswalk, change: Callable[[dict[str, Any]], object], where: str
) -> None:
    doc = _doc(cw)
    change(doc)
    with pytest.raises(DatasetLoadError) as info:
        Crosswalk.from_json(json.dumps(doc), target=cw.target, source="x.json")
    assert where in [p.location.path for p in info.value.problems], info.value.problems
    with pytest.raises(DatasetLoadError):
        Crosswalk.from_dict(doc, target=cw.target)


def test_a_missing_file_is_a_load_error(cw: Crosswalk, tmp_path: Path) -> None:
    with pytest.raises(DatasetLoadError, match="cannot read"):
        Crosswalk.load(tmp_path / "none.json", target=cw.target)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@given(_JSON)
def test_loading_arbitrary_json_raises_only_load_errors(value: object) -> None:
    target = bundled_gazetteer("lai_chau_2025")
    with pytest.raises(DatasetLoadError):
        Crosswalk.from_json(json.dumps(value), target=target)


@given(st.binary(max_size=64))
def test_loading_arbitrary_bytes_raises_only_load_errors(data: bytes) -> None:
    with pytest.raises(DatasetLoadError):
        Crosswalk.from_json(data, target=bundled_gazetteer("lai_chau_2025"))


@given(st.sampled_from(range(18)), _JSON)
def test_a_corrupted_entry_raises_only_load_errors(index: int, value: object) -> None:
    cw = bundled_crosswalk()
    doc = cw.to_dict()
    doc["entries"][index] = value
    with pytest.raises(DatasetLoadError) as info:
        Crosswalk.from_dict(doc, target=cw.target)
    assert info.value.problems


# -- remapping the sample -------------------------------------------------------------------


def test_the_cluster_site_moves_to_the_new_communes_and_counts_once(
    cw: Crosswalk, lai_chau: Dataset, unresolved_references: Callable[[Dataset], list[str]]
) -> None:
    new = cw.remap(lai_chau)
    assert unresolved_references(new) == []
    assert new.gazetteer.version == "vn-2025"
    cluster = new.sites["site-cum-giap-ranh"]
    assert cluster.admin_units == ("03408", "03405")  # Bản Giang; Hồ Thầu and Tả Lèng merged
    # The cluster's communes went to a phường and a xã: it now counts once, at the province.
    assert new.site_anchor(cluster).code == "12"
    assert count_entities(new, "province").row("12").sites == len(lai_chau.sites)
    by_commune = count_entities(new, "commune")
    assert sum(r.sites for r in by_commune) == len(lai_chau.sites) - 1
    assert [u.id for u in by_commune.unplaced if u.kind == "site"] == ["site-cum-giap-ranh"]
    # The 22 cases stay one observation on the one site.
    cases = new.observations_of("site:site-cum-giap-ranh", "cases_resolved_jointly")
    assert [o.value for o in cases] == [22]
    assert list(new.observations) == list(lai_chau.observations)  # no unit subject changed
    assert new.sites["site-muong-so"].admin_units == ("03549",)
    assert new.initiatives["mh-tai-hoa-nhap-muong-so"].scope == "03549"
    assert {p.admin_unit for p in new.participants.values()} == {"03549"}
    assert (
        new.participants["p-exemplar-1"].full_name == "Nguyễn Văn A (tên giả định)"
    )  # kept, not dumped
    assert new.sites["site-ta-tong"] == lai_chau.sites["site-ta-tong"]
    assert new.metadata.description is not None
    assert "lai_chau_2017_2025" in new.metadata.description


def test_a_figure_on_a_district_goes_to_the_province_with_a_note(
    cw: Crosswalk, lai_chau: Dataset
) -> None:
    on_district = Observation(
        metric="cases_resolved_jointly",
        subject="unit:106",
        period="2017",
        unit="case",
        value=5,
        qualifier="at_least",
        note="Huyện Tam Đường.",
    )
    org = MassOrganization(
        id="t1", kind=OrganizationKind.MEDIATION_TEAM, name_vi="Tổ hòa giải", admin_unit="106"
    )
    person = Participant(id="p9", roles=["member"], admin_unit="106")
    ds = _with(
        lai_chau,
        observations=[*lai_chau.observations, on_district],
        organizations=[org],
        participants=[person],
    )
    new = cw.remap(ds)
    moved = new.observations[-1]
    assert (str(moved.subject), moved.value, moved.qualifier) == ("unit:12", 5, Qualifier.AT_LEAST)
    assert moved.note is not None
    assert moved.note.startswith("Huyện Tam Đường.\n\n")
    assert "huyện Tam Đường (106)" in moved.note
    assert "no longer exists from 2025-07-01" in moved.note
    assert new.organizations["t1"].admin_unit == "12"
    assert "no longer exists" in (new.organizations["t1"].note or "")
    assert new.participants["p9"].admin_unit == "12"
    assert new.participants["p9"].note_vi == (
        "huyện Tam Đường (106) (vn-2017) không còn từ ngày 01/07/2025; ghi vào tỉnh Lai Châu "
        "(12), đơn vị bao trọn địa bàn cũ (bảng chuyển đổi lai_chau_2017_2025)."
    )


def test_units_the_crosswalk_lacks_are_all_named(cw: Crosswalk, lai_chau: Dataset) -> None:
    orgs = [
        MassOrganization(id=f"t{c}", kind="other", name_vi="Tổ", admin_unit=c)
        for c in ("03394", "03390")
    ]
    with pytest.raises(UnmappedUnitError) as info:
        cw.remap(_with(lai_chau, organizations=orgs))
    assert info.value.codes == ("03394", "03390")
    assert info.value.referenced_from["03394"] == "organization t03394"
    assert "03390" in str(info.value)


def test_remap_checks_its_arguments(cw: Crosswalk, lai_chau: Dataset) -> None:
    with pytest.raises(InvalidValueError, match="on_split"):
        cw.remap(lai_chau, on_split="guess")
    with pytest.raises(InvalidValueError, match="vn-2017"):
        cw.remap(cw.remap(lai_chau))


def test_a_note_that_would_grow_too_long_is_refused(cw: Crosswalk, lai_chau: Dataset) -> None:
    org = MassOrganization(
        id="t1", kind="other", name_vi="Tổ", admin_unit="106", note="x" * 19_990
    )
    with pytest.raises(InvalidValueError, match="limit"):
        cw.remap(_with(lai_chau, organizations=[org]))


# -- splits and merges on a synthetic geography ---------------------------------------------


def _with(ds: Dataset, **changes: Any) -> Dataset:
    """``ds`` with some parts replaced (the others kept)."""
    return ds.replace(**changes)


OLD_COMMUNES = [f"0{n}" for n in range(1001, 1009)]  # two districts of four communes
NEW_COMMUNES = ["02001", "02002", "02003", "02004"]
SOURCE = CrosswalkSource(id="law", title="A resolution")


def _old_gazetteer() -> Gazetteer:
    units = [AdminUnit("99", "Tỉnh", "province")]
    units += [AdminUnit(d, f"Huyện {d}", "district", "99") for d in ("901", "902")]
    units += [
        AdminUnit(c, f"Xã {c}", "commune", "901" if i < 4 else "902")
        for i, c in enumerate(OLD_COMMUNES)
    ]
    return Gazetteer("old", units)


def _new_gazetteer() -> Gazetteer:
    units = [AdminUnit("99", "Tỉnh", "province")]
    units += [AdminUnit(c, f"Xã {c}", "commune", "99") for c in NEW_COMMUNES]
    return Gazetteer("new", units, valid_from=dt.date(2025, 7, 1))


@st.composite
def _crosswalks(draw: st.DrawFn, *, splits: bool) -> Crosswalk:
    entries = [
        CrosswalkEntry("99", ("99",), CrosswalkRelationship.SAME, "law"),
        CrosswalkEntry("901", ("99",), CrosswalkRelationship.DISSOLVED, "law"),
        CrosswalkEntry("902", ("99",), CrosswalkRelationship.DISSOLVED, "law"),
    ]
    for code in OLD_COMMUNES:
        if splits and draw(st.booleans()):
            parts = draw(
                st.lists(st.sampled_from(NEW_COMMUNES), min_size=2, max_size=3, unique=True)
            )
            largest = draw(st.none() | st.sampled_from(parts))
            entries.append(
                CrosswalkEntry(
                    code, tuple(parts), CrosswalkRelationship.SPLIT, "law", largest=largest
                )
            )
        else:
            entries.append(
                CrosswalkEntry(
                    code,
                    (draw(st.sampled_from(NEW_COMMUNES)),),
                    CrosswalkRelationship.MERGE,
                    "law",
                )
            )
    return Crosswalk(
        "test",
        entries,
        target=_new_gazetteer(),
        from_version="old",
        effective=dt.date(2025, 7, 1),
        sources=[SOURCE],
    )


METRICS = [
    MetricDefinition(id="cases", name_vi="Vụ việc", name_en="Cases", unit="case", kind="flow"),
    MetricDefinition(id="tips", name_vi="Nguồn tin", name_en="Tips", unit="tip", kind="flow"),
]


@st.composite
def _datasets(draw: st.DrawFn) -> Dataset:
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["99", "901", "902", *OLD_COMMUNES]),
                st.sampled_from(METRICS),
                st.integers(0, 10**6),
                st.sampled_from(list(Qualifier)),
            ),
            max_size=25,
        )
    )
    observations = [
        Observation(
            metric=m.id,
            subject=f"unit:{code}",
            period="2017",
            unit=m.unit,
            value=value,
            qualifier=q,
        )
        for code, m, value, q in rows
    ]
    return Dataset(
        gazetteer=_old_gazetteer(),
        metadata=DatasetMetadata(title_vi="Thử", province="99"),
        metrics=METRICS,
        observations=observations,
    )


def _province_sums(ds: Dataset) -> dict[str, int]:
    sums: dict[str, int] = {}
    for o in ds.observations:
        assert o.subject.kind is SubjectKind.UNIT
        assert ds.gazetteer.is_within(o.subject.id, "99")
        sums[o.metric] = sums.get(o.metric, 0) + int(o.value)
    return sums


@given(_crosswalks(splits=True), _datasets())
def test_remap_keeps_every_observation_and_each_metrics_province_total(
    cw: Crosswalk, ds: Dataset
) -> None:
    new = cw.remap(ds, on_split="approximate")
    assert len(new.observations) == len(ds.observations)
    assert _province_sums(new) == _province_sums(ds)
    for before, after in zip(ds.observations, new.observations, strict=True):
        assert (after.metric, after.value, after.unit) == (
            before.metric,
            before.value,
            before.unit,
        )
        entry = cw.entry(before.subject.id)
        if entry.exact:
            assert after.subject.id == entry.new[0]
            assert after.qualifier is before.qualifier
        else:
            expected = entry.largest or cw.target.common_ancestor(entry.new).code
            assert after.subject.id == expected
            assert after.qualifier is Qualifier.APPROXIMATELY
            assert after.note is not None
            assert "split" in after.note
            assert repr(before.qualifier.value) in after.note or (
                before.qualifier is Qualifier.APPROXIMATELY
            )


@given(_crosswalks(splits=False), _datasets())
def test_merges_are_exact(cw: Crosswalk, ds: Dataset) -> None:
    for on_split in ("refuse", "approximate"):
        new = cw.remap(ds, on_split=on_split)
        for before, after in zip(ds.observations, new.observations, strict=True):
            assert after.subject.id == cw.entry(before.subject.id).new[0]
            assert after.qualifier is before.qualifier
            assert (after.note is None) == (before.subject.id not in {"901", "902"})


@given(_crosswalks(splits=True), _datasets())
def test_splits_are_refused_by_default_naming_every_split_unit(cw: Crosswalk, ds: Dataset) -> None:
    used = {o.subject.id for o in ds.observations}
    split = {c for c in used if not cw.entry(c).exact}
    if not split:
        assert len(cw.remap(ds).observations) == len(ds.observations)
        return
    with pytest.raises(SplitUnitError) as info:
        cw.remap(ds)
    assert set(info.value.units) == split
    for code in split:
        assert info.value.units[code] == cw.entry(code).new
        assert code in str(info.value)


def test_a_site_on_a_split_unit_covers_every_part() -> None:
    entries = [
        CrosswalkEntry("99", ("99",), CrosswalkRelationship.SAME, "law"),
        CrosswalkEntry(
            "01001", ("02001", "02002"), CrosswalkRelationship.SPLIT, "law", largest="02002"
        ),
        CrosswalkEntry("01002", ("02002",), CrosswalkRelationship.MERGE, "law"),
    ]
    cw = Crosswalk(
        "t",
        entries,
        target=_new_gazetteer(),
        from_version="old",
        effective=dt.date(2025, 7, 1),
        sources=[SOURCE],
    )
    from antq_core import Initiative, Site

    ds = Dataset(
        gazetteer=_old_gazetteer(),
        metadata=DatasetMetadata(title_vi="Thử"),
        initiatives=[Initiative(id="i1", name_vi="Mô hình", theme="t", scope="01001")],
        sites=[
            Site(id="s1", initiative="i1", admin_units=("01001", "01002")),
            Site(id="s2", initiative="i1", admin_units=("01001",)),
        ],
        participants=[
            Participant(id="p1", roles=["member"]),
            Participant(id="p2", roles=["member"], admin_unit="01001"),
        ],
    )
    with pytest.raises(SplitUnitError, match=r"initiative i1"):
        cw.remap(ds)
    new = cw.remap(ds, on_split="approximate")
    site = new.sites["s1"]
    assert site.admin_units == ("02001", "02002")
    assert site.note is not None
    assert "part of each" in site.note
    assert new.sites["s2"].admin_units == ("02001", "02002")
    assert new.participants["p1"] == ds.participants["p1"]
    p2 = new.participants["p2"]
    assert p2.admin_unit == "02002"
    assert "được chia cho Xã 02001 (02001), Xã 02002 (02002)" in (p2.note_vi or "")
    initiative = new.initiatives["i1"]
    assert initiative.scope == "02002"  # the largest part, as the crosswalk says
    assert "largest part" in (initiative.note or "")


def test_a_crosswalk_built_in_code_checks_its_entries() -> None:
    with pytest.raises(DatasetLoadError) as info:
        Crosswalk(
            "bad",
            [CrosswalkEntry("01001", ("02009",), CrosswalkRelationship.MERGE, "nope")],
            target=_new_gazetteer(),
            from_version="old",
            effective=dt.date(2025, 7, 1),
        )
    assert {p.location.path for p in info.value.problems} == {
        "$.entries[0].to[0]",
        "$.entries[0].source",
    }


def test_old_figures_re_aggregate_on_the_2025_map(cw: Crosswalk, lai_chau: Dataset) -> None:
    """Figures recorded on 2017 units roll up on today's units after a remap."""
    new = cw.remap(lai_chau)
    metrics = ["released_prisoners_employed", "cases_resolved_jointly"]
    by_commune = aggregate(new, metrics, by=["commune"])
    rows = {(r.metric, dict(r.keys)["commune"]): r.quantity for r in by_commune}
    # Mường So merged into xã Phong Thổ (03549), exactly: its 29 people are there now.
    assert rows[("released_prisoners_employed", "03549")] == Quantity(29, "person")
    # The cluster now spans a phường and a xã: no single 2025 commune holds its 22 cases.
    assert ("cases_resolved_jointly", "03408") not in rows
    assert [u.subject for u in by_commune.unplaceable] == [
        SubjectRef.parse("site:site-cum-giap-ranh")
    ]
    by_province = aggregate(new, metrics, by=["province"])
    totals = {r.metric: r.quantity for r in by_province}
    assert totals["cases_resolved_jointly"] == Quantity(22, "case")  # once, not twice
    old_totals = {r.metric: r.quantity for r in aggregate(lai_chau, metrics, by=["province"])}
    assert totals == old_totals
