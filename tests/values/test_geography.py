"""Gazetteer: lookups by code and name, ancestry, cycles, files."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from antq_core import AdminLevel, AdminUnit, Gazetteer, bundled_gazetteer
from antq_core.errors import (
    AmbiguousNameError,
    DatasetLoadError,
    GazetteerCycleError,
    InvalidValueError,
    UnknownAdminUnitError,
)
from antq_core.testing.strategies import gazetteers
from antq_core.text import fold

CLUSTER = ["03418", "03406", "03400"]  # Bản Giang, Hồ Thầu, Tả Lèng


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return bundled_gazetteer()


# -- lookups ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Tả Lèng", "Ta Leng", "ta leng", "TẢ LÈNG", "  Ta   Leng "])
def test_find_ignores_diacritics_case_and_spacing(gaz: Gazetteer, name: str) -> None:
    unit = gaz.find(name, level="commune")
    assert (unit.code, unit.name, unit.parent) == ("03400", "Tả Lèng", "106")
    assert gaz.find(name, parent="106") is unit


def test_find_within_a_parent_only_looks_there(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownAdminUnitError) as info:
        gaz.find("Ta Leng", parent="107")
    assert (info.value.key, info.value.parent) == ("Ta Leng", "107")
    assert "'107'" in str(info.value)


def test_lai_chau_is_ambiguous_without_a_level(gaz: Gazetteer) -> None:
    with pytest.raises(AmbiguousNameError) as info:
        gaz.find("Lai Châu")
    assert sorted(info.value.candidates) == ["105", "12"]
    assert gaz.find("Lai Chau", level="province").code == "12"
    assert gaz.find("Lai Chau", level=AdminLevel.DISTRICT).code == "105"
    assert gaz.find("Lai Châu", parent="12").code == "105"


def test_a_name_can_be_ambiguous_under_one_parent(gaz: Gazetteer) -> None:
    # Mường Tè is a district with a town and a commune of the same name.
    with pytest.raises(AmbiguousNameError) as info:
        gaz.find("Mường Tè", parent="107")
    assert sorted(info.value.candidates) == ["03433", "03445"]
    assert gaz.find("Muong Te", level="district").code == "107"


def test_unknown_names_and_codes(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownAdminUnitError):
        gaz.find("Hà Nội")
    with pytest.raises(UnknownAdminUnitError) as info:
        gaz.unit("99999")
    assert (info.value.key, info.value.gazetteer) == ("99999", "vn-2017")
    assert gaz.get("99999") is None
    assert "99999" not in gaz
    with pytest.raises(InvalidValueError):
        gaz.find("Tả Lèng", level="hamlet")


def test_ancestors_nearest_first(gaz: Gazetteer) -> None:
    assert [u.code for u in gaz.ancestors("03400")] == ["106", "12"]
    assert [u.name for u in gaz.ancestors("03589.01")] == ["Mường So", "Phong Thổ", "Lai Châu"]
    assert gaz.ancestors("12") == ()
    province, commune = gaz.ancestor_at("03400", "province"), gaz.ancestor_at("03400", "commune")
    assert province is not None
    assert province.code == "12"
    assert commune is not None
    assert commune.code == "03400"
    assert gaz.ancestor_at("12", "commune") is None
    assert gaz.is_within("03400", "12")
    assert gaz.is_within("03400", "03400")
    assert not gaz.is_within("03400", "107")


def test_the_cluster_counts_once_at_tam_duong(gaz: Gazetteer) -> None:
    anchor = gaz.common_ancestor(CLUSTER)
    assert (anchor.code, anchor.name, anchor.level) == ("106", "Tam Đường", AdminLevel.DISTRICT)
    assert {gaz.unit(c).name for c in CLUSTER} == {"Bản Giang", "Hồ Thầu", "Tả Lèng"}


def test_common_ancestor_cases(gaz: Gazetteer) -> None:
    assert gaz.common_ancestor(["03400"]).code == "03400"
    assert gaz.common_ancestor(["03400", "106"]).code == "106"
    assert gaz.common_ancestor(["03400", "03451"]).code == "12"  # Tam Đường and Mường Tè
    with pytest.raises(InvalidValueError):
        gaz.common_ancestor([])
    with pytest.raises(UnknownAdminUnitError):
        gaz.common_ancestor(["03400", "nope"])


def test_children(gaz: Gazetteer) -> None:
    assert [u.code for u in gaz.children(None)] == ["12"]
    districts = gaz.children("12")
    assert len(districts) == 8
    assert all(u.level is AdminLevel.DISTRICT for u in districts)
    assert {"03400", "03406", "03418"} <= {u.code for u in gaz.children("106")}
    assert gaz.children("03400.99") == []


def test_admin_unit_values() -> None:
    unit = AdminUnit(code="03589", name="Mường So", level="commune", parent="105", kind_vi="xã")
    assert unit.full_name == "xã Mường So"
    assert AdminUnit(code="1", name="X", level="village").full_name == "X"
    dated = AdminUnit(
        code="1", name="X", level="commune", valid_to=dt.date(2025, 6, 30), valid_from=None
    )
    assert dated.valid_on(dt.date(2017, 7, 13))
    assert not dated.valid_on(dt.date(2025, 7, 1))
    assert AdminLevel.PROVINCE.depth < AdminLevel.DISTRICT.depth < AdminLevel.VILLAGE.depth
    with pytest.raises(InvalidValueError):
        AdminUnit(code="1", name="X", level="hamlet")


# -- broken gazetteers ---------------------------------------------------------------------


def test_a_cycle_is_kept_and_only_ancestry_raises() -> None:
    gaz = Gazetteer(
        "cyclic",
        [
            AdminUnit(code="a", name="A", level="district", parent="b"),
            AdminUnit(code="b", name="B", level="province", parent="a"),
            AdminUnit(code="c", name="C", level="commune", parent="a"),
            AdminUnit(code="s", name="Self", level="commune", parent="s"),
        ],
    )
    assert len(gaz) == 4
    assert gaz.find("C").code == "c"
    assert [u.code for u in gaz.children("a")] == ["b", "c"]
    assert gaz.to_dict()["units"][0]["parent"] == "b"
    with pytest.raises(GazetteerCycleError) as info:
        gaz.ancestors("c")
    assert info.value.codes == ("c", "a", "b", "a")
    assert "c -> a -> b -> a" in str(info.value)
    with pytest.raises(GazetteerCycleError):
        gaz.ancestors("s")
    with pytest.raises(GazetteerCycleError):
        gaz.common_ancestor(["c", "b"])


def test_a_missing_parent_is_named_when_followed() -> None:
    gaz = Gazetteer("orphan", [AdminUnit(code="c", name="C", level="commune", parent="gone")])
    assert gaz.children("gone")[0].code == "c"
    with pytest.raises(UnknownAdminUnitError) as info:
        gaz.ancestors("c")
    assert info.value.key == "gone"


def test_duplicate_codes_are_kept_aside() -> None:
    first = AdminUnit(code="1", name="First", level="province")
    second = AdminUnit(code="1", name="Second", level="province")
    gaz = Gazetteer("dup", [first, second])
    assert gaz.unit("1") is first
    assert gaz.duplicates == (second,)
    assert [u["name"] for u in gaz.to_dict()["units"]] == ["First", "Second"]


# -- generated gazetteers -----------------------------------------------------------------------


@given(gazetteers())
def test_dict_and_json_round_trip(gaz: Gazetteer) -> None:
    document = gaz.to_dict()
    assert Gazetteer.from_dict(document) == gaz
    assert list(Gazetteer.from_dict(document)) == list(gaz)  # the units themselves
    assert Gazetteer.from_dict(document).title == gaz.title
    assert Gazetteer.from_json(json.dumps(document, ensure_ascii=False)) == gaz
    assert Gazetteer.from_dict(document).to_dict() == document


@given(gazetteers())
def test_every_unit_is_found_by_its_name_under_its_parent(gaz: Gazetteer) -> None:
    twins: dict[tuple[str | None, AdminLevel, str], list[str]] = {}
    for unit in gaz:
        twins.setdefault((unit.parent, unit.level, fold(unit.name)), []).append(unit.code)
    for unit in gaz:
        same = twins[unit.parent, unit.level, fold(unit.name)]
        if same == [unit.code]:
            assert gaz.find(unit.name, parent=unit.parent, level=unit.level) is unit
        else:  # names may repeat under one parent
            with pytest.raises(AmbiguousNameError) as info:
                gaz.find(unit.name, parent=unit.parent, level=unit.level)
            assert sorted(info.value.candidates) == sorted(same)


@given(gazetteers(max_children=2), st.data())
def test_common_ancestor_contains_them_all_and_is_the_lowest(
    gaz: Gazetteer, data: st.DataObject
) -> None:
    units = list(gaz)
    picked = data.draw(st.lists(st.sampled_from(units), min_size=1, max_size=4))
    codes = [u.code for u in picked]
    chains = [[c, *(a.code for a in gaz.ancestors(c))] for c in codes]
    shared = set(chains[0]).intersection(*chains[1:])
    if not shared:  # units under different provinces share nothing
        with pytest.raises(InvalidValueError):
            gaz.common_ancestor(codes)
        return
    anchor = gaz.common_ancestor(codes)
    assert anchor.code in shared
    assert all(gaz.is_within(c, anchor.code) for c in codes)
    # The lowest: every other unit containing them all contains the anchor too.
    assert all(gaz.is_within(anchor.code, s) for s in shared)


def test_dump_and_load_a_file(tmp_path: Path, gaz: Gazetteer) -> None:
    path = tmp_path / "gazetteer.json"
    gaz.dump(path)
    assert Gazetteer.load(path) == gaz
    assert "Tả Lèng" in path.read_text(encoding="utf-8")  # written as UTF-8, not \\u escapes


# -- load errors --------------------------------------------------------------------------------


def _document(gaz: Gazetteer) -> dict[str, Any]:
    return copy.deepcopy(gaz.to_dict())


def test_load_errors_name_every_json_path(gaz: Gazetteer) -> None:
    doc = _document(gaz)
    doc["units"][2]["level"] = "hamlet"
    del doc["units"][5]["name"]
    doc["units"][7]["valid_to"] = "not a date"
    with pytest.raises(DatasetLoadError) as info:
        Gazetteer.from_dict(doc, source="lai_chau.json")
    locations = {p.location for p in info.value.problems}
    assert locations == {"$.units[2].level", "$.units[5].name", "$.units[7].valid_to"}
    assert info.value.source == "lai_chau.json"
    assert "$.units[2].level" in str(info.value)


def test_wrong_format_and_version(gaz: Gazetteer) -> None:
    doc = _document(gaz)
    doc["format"] = "geojson"
    doc["format_version"] = 2
    with pytest.raises(DatasetLoadError) as info:
        Gazetteer.from_dict(doc)
    assert {p.location for p in info.value.problems} == {"$.format", "$.format_version"}


@pytest.mark.parametrize("data", [b"{", b"", "[1, 2]", b"\xff\xfe"])
def test_not_a_gazetteer_document(data: bytes | str) -> None:
    with pytest.raises(DatasetLoadError) as info:
        Gazetteer.from_json(data)
    assert info.value.problems[0].location == "$"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    with pytest.raises(DatasetLoadError) as info:
        Gazetteer.load(path)
    assert info.value.source == str(path)
    assert info.value.problems[0].location == "$"


# -- pydantic ------------------------------------------------------------------------------------


class _Place(BaseModel):
    unit: AdminUnit


def test_admin_unit_is_a_pydantic_field_type(gaz: Gazetteer) -> None:
    unit = gaz.unit("03400")
    model = _Place(unit=unit)
    assert _Place.model_validate_json(model.model_dump_json()) == model
    dumped = model.model_dump()["unit"]
    assert (dumped["code"], dumped["name"], dumped["level"]) == ("03400", "Tả Lèng", "commune")
    with pytest.raises(ValidationError):
        _Place.model_validate({"unit": {"code": "1", "name": "X", "level": "hamlet"}})
