"""The shipped national geography files, read directly as JSON.

These check the data that tools/geography/build.py wrote, independently of the
loader: counts against the published figures, codes, names, parents and levels,
that the crosswalk maps every old unit and reaches every new one, and that the
regions cover each map once.
"""

from __future__ import annotations

import collections
import gzip
import json
import re
import unicodedata
from functools import cache
from importlib.resources import files
from typing import Any

import pytest

DATA = files("antq_core") / "data"
OLD, NEW = "gazetteer_vn_2025_06.json", "gazetteer_vn_2025_07.json"
CROSSWALK, REGIONS = "crosswalk_vn_2025_06_07.json", "groups_vn_regions.json"

# Digits of an official code, by level.
CODE_DIGITS = {"province": 2, "district": 3, "commune": 5}
DEPTH = {"country": 0, "province": 1, "district": 2, "commune": 3}
KIND_WORDS = {
    "province": {"tỉnh", "thành phố"},
    "district": {"huyện", "quận", "thị xã", "thành phố"},
    "commune": {"xã", "phường", "thị trấn", "đặc khu"},
}


@cache
def document(name: str) -> dict[str, Any]:
    return json.loads(DATA.joinpath(name).read_bytes())  # type: ignore[no-any-return]


@cache
def units(name: str) -> dict[str, dict[str, Any]]:
    return {u["code"]: u for u in document(name)["units"]}


def count(name: str, level: str, kind: str | None = None) -> int:
    return sum(
        1
        for u in units(name).values()
        if u["level"] == level and (kind is None or u.get("kind_vi") == kind)
    )


def province_of(gazetteer: str, code: str) -> str:
    table = units(gazetteer)
    while table[code]["level"] != "province":
        code = table[code]["parent"]
    return code


# -- counts -------------------------------------------------------------------------------


def test_counts_before_the_reform() -> None:
    assert count(OLD, "country") == 1
    assert count(OLD, "province") == 63
    assert count(OLD, "district") == 696
    # 10,035 on 30 June 2025: vietnam-provinces 0.6.0 (January 2025) lists 10,051, the
    # difference being the arrangements of the first half of 2025 (see build_notes).
    assert count(OLD, "commune") == 10_035
    assert count(OLD, "province", "thành phố") == 6


def test_counts_from_1_july_2025() -> None:
    assert count(NEW, "country") == 1
    assert count(NEW, "province") == 34
    assert count(NEW, "province", "thành phố") == 6
    assert count(NEW, "district") == 0
    assert count(NEW, "commune") == 3_321
    assert count(NEW, "commune", "xã") == 2_621
    assert count(NEW, "commune", "phường") == 687
    assert count(NEW, "commune", "đặc khu") == 13
    assert count(NEW, "commune", "thị trấn") == 0


def test_the_stated_counts_are_the_counted_ones() -> None:
    for name in (OLD, NEW):
        counted = collections.Counter(u["level"] for u in units(name).values())
        assert document(name)["counts"]["by_level"] == dict(counted)


def test_five_island_districts_have_no_communes() -> None:
    table = units(OLD)
    with_children = {u["parent"] for u in table.values()}
    empty = sorted(
        u["name"]
        for u in table.values()
        if u["level"] == "district" and u["code"] not in with_children
    )
    assert empty == ["Bạch Long Vĩ", "Côn Đảo", "Cồn Cỏ", "Hoàng Sa", "Lý Sơn"]


# -- codes, names, parents ----------------------------------------------------------------


@pytest.mark.parametrize("name", [OLD, NEW])
def test_codes_are_zero_padded_and_unique(name: str) -> None:
    records = document(name)["units"]
    codes = [u["code"] for u in records]
    assert len(codes) == len(set(codes))
    for u in records:
        if u["level"] == "country":
            assert u["code"] == "VN"
        else:
            assert re.fullmatch(rf"\d{{{CODE_DIGITS[u['level']]}}}", u["code"]), u


@pytest.mark.parametrize("name", [OLD, NEW])
def test_names_are_nfc_and_bare(name: str) -> None:
    for u in units(name).values():
        for text in [u["name"], *u.get("aliases", ())]:
            assert unicodedata.normalize("NFC", text) == text, u
            assert text == text.strip(), u
            assert "  " not in text, u
            assert "’" not in text, u  # one apostrophe: the ASCII one
        if u["level"] != "country":
            assert u["kind_vi"] in KIND_WORDS[u["level"]], u
            # The kind word is a field, never part of the name; phường Phường Đúc
            # (Huế) is named after the old ward of bronze casters, and keeps the word.
            if u["name"] != "Phường Đúc":
                assert not u["name"].casefold().startswith(u["kind_vi"] + " "), u
        assert u["name"] not in u.get("aliases", ()), u


@pytest.mark.parametrize("name", [OLD, NEW])
def test_parents_exist_and_levels_are_in_order(name: str) -> None:
    table = units(name)
    for u in table.values():
        if u["level"] == "country":
            assert u["parent"] is None
            continue
        parent = table[u["parent"]]
        assert DEPTH[parent["level"]] == DEPTH[u["level"]] - 1 or (
            name == NEW and u["level"] == "commune" and parent["level"] == "province"
        ), u


def test_validity_dates() -> None:
    assert document(OLD)["valid_to"] == "2025-06-30"
    assert document(NEW)["valid_from"] == "2025-07-01"
    for u in units(OLD).values():
        if u["level"] == "district":
            assert u["valid_to"] == "2025-06-30", u
        assert "valid_from" not in u
    for u in units(NEW).values():
        assert "valid_to" not in u


# -- the crosswalk ------------------------------------------------------------------------


@cache
def entries() -> dict[str, dict[str, Any]]:
    records = document(CROSSWALK)["entries"]
    mapped = {e["from"]: e for e in records}
    assert len(mapped) == len(records), "an old unit is mapped twice"
    return mapped


def test_crosswalk_names_its_versions() -> None:
    doc = document(CROSSWALK)
    assert doc["from_version"] == document(OLD)["version"]
    assert doc["to_version"] == document(NEW)["version"]
    assert doc["effective"] == "2025-07-01"


def test_every_old_unit_is_mapped() -> None:
    assert set(entries()) == set(units(OLD))


def test_every_new_unit_is_reached() -> None:
    reached = {code for e in entries().values() for code in e["to"]}
    assert reached == set(units(NEW))


def test_entries_are_well_formed() -> None:
    sources = {s["id"] for s in document(CROSSWALK)["sources"]}
    new = units(NEW)
    for e in entries().values():
        assert e["source"] in sources, e
        assert len(set(e["to"])) == len(e["to"]), e
        assert all(code in new for code in e["to"]), e
        if e["relationship"] == "split":
            assert len(e["to"]) >= 2, e
            assert e["default"] in e["to"], e
        else:
            assert len(e["to"]) == 1, e
            assert "default" not in e, e


def test_relationships_by_level() -> None:
    old, new = units(OLD), units(NEW)
    for e in entries().values():
        level = old[e["from"]]["level"]
        if level in ("country", "province"):
            assert e["relationship"] in ("same", "merge"), e
            assert new[e["to"][0]]["level"] == level, e
        elif level == "district":
            # Dissolved into its province, or (an island district without communes)
            # become an đặc khu.
            target = new[e["to"][0]]
            if e["relationship"] == "dissolved":
                assert target["level"] == "province", e
            else:
                assert (e["relationship"], target["kind_vi"]) == ("merge", "đặc khu"), e
        else:
            assert e["relationship"] in ("same", "merge", "split"), e
            assert all(new[c]["level"] == "commune" for c in e["to"]), e
        if e["relationship"] == "same":
            assert e["to"] == [e["from"]], e


def test_each_old_province_lies_in_one_new_province() -> None:
    """Provinces merged whole: a unit's parts all lie in its old province's successor."""
    old_to_new = {
        code: e["to"][0]
        for code, e in entries().items()
        if units(OLD)[code]["level"] == "province"
    }
    for code, e in entries().items():
        if units(OLD)[code]["level"] in ("district", "commune"):
            expected = old_to_new[province_of(OLD, code)]
            assert {province_of(NEW, c) for c in e["to"]} == {expected}, e


def test_about_one_split_in_twenty_old_communes() -> None:
    splits = [e for e in entries().values() if e["relationship"] == "split"]
    assert 400 <= len(splits) <= 500


# -- regions ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "version"), [(OLD, "vn-2025-06"), (NEW, "vn-2025-07")])
def test_regions_cover_each_map_exactly_once(name: str, version: str) -> None:
    (group_set,) = document(REGIONS)["group_sets"]
    assert group_set["exclusive"] is True
    assert len(group_set["groups"]) == 6
    table = units(name)
    region_of: dict[str, list[str]] = collections.defaultdict(list)
    for group in group_set["groups"]:
        for code in group["members"][version]:
            assert code in table, (group["id"], code)
            region_of[code].append(group["id"])
    for code, u in table.items():
        if u["level"] in ("country", "district") or (
            u["level"] == "province" and code not in region_of
        ):
            continue  # a province formed across regions: its communes are the members
        found = []
        c: str | None = code
        while c is not None:
            found += region_of.get(c, [])
            c = table[c]["parent"]
        assert len(found) == 1, (code, found)


def test_old_regions_are_the_63_provinces() -> None:
    (group_set,) = document(REGIONS)["group_sets"]
    members = [c for g in group_set["groups"] for c in g["members"]["vn-2025-06"]]
    assert sorted(members) == sorted(c for c, u in units(OLD).items() if u["level"] == "province")
    sizes = {g["id"]: len(g["members"]["vn-2025-06"]) for g in group_set["groups"]}
    assert sorted(sizes.values()) == [5, 6, 11, 13, 14, 14]


# -- Lai Châu and size --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("national", "province"),
    [(OLD, "gazetteer_lai_chau_2017.json"), (NEW, "gazetteer_lai_chau_2025.json")],
)
def test_lai_chau_is_a_slice_of_the_national_map(national: str, province: str) -> None:
    def fields(u: dict[str, Any]) -> tuple[Any, ...]:
        parent = None if u["parent"] == "VN" else u["parent"]
        return (u["name"], u["level"], u.get("kind_vi"), parent)

    nat = units(national)
    ours = {
        c: fields(u)
        for c, u in nat.items()
        if u["level"] != "country" and province_of(national, c) == "12"
    }
    theirs = {
        u["code"]: fields(u) for u in document(province)["units"] if not u.get("local", False)
    }
    assert ours == theirs


def test_national_crosswalk_agrees_with_the_lai_chau_one() -> None:
    for e in document("crosswalk_lai_chau_2017_2025.json")["entries"]:
        if e["from"] in entries():
            national = entries()[e["from"]]
            assert (national["to"], national["relationship"]) == (e["to"], e["relationship"])


def test_geography_files_stay_small() -> None:
    """The wheel must stay under 5 MB; these four take about 200 kB compressed."""
    total = sum(
        len(gzip.compress(DATA.joinpath(n).read_bytes())) for n in (OLD, NEW, CROSSWALK, REGIONS)
    )
    assert total < 400_000


def test_the_lai_chau_2017_file_differs_from_the_national_slice_as_documented() -> None:
    """docs/geography.md lists every difference; this keeps that list true, field by field."""
    nat = units(OLD)
    national = {
        c: u for c, u in nat.items() if u["level"] != "country" and province_of(OLD, c) == "12"
    }
    doc = document("gazetteer_lai_chau_2017.json")
    ours = {u["code"]: u for u in doc["units"]}
    # Only the three local villages are added; nothing of the province is left out.
    assert sorted(set(ours) - set(national)) == ["03589.01", "03589.02", "03589.03"]
    assert set(national) <= set(ours)
    villages = {c: (ours[c]["name"], ours[c]["parent"], ours[c].get("local")) for c in ours}
    assert {c: villages[c] for c in set(ours) - set(national)} == {
        "03589.01": ("Tây Sơn", "03589", True),
        "03589.02": ("Tây Nguyên", "03589", True),
        "03589.03": ("Vàng Bâu", "03589", True),
    }
    # Every field of every shared unit is the national one but these (docs/geography.md).
    differing = {
        (c, key): (national[c].get(key), ours[c].get(key))
        for c in national
        for key in set(national[c]) | set(ours[c])
        if national[c].get(key) != ours[c].get(key)
    }
    assert differing == {
        ("12", "parent"): ("VN", None),
        ("03391", "aliases"): (["Lản Nhì Thàng"], None),
        ("03460", "aliases"): (["Hua Bum"], None),
        ("03565", "aliases"): (["Tung Qua Lìn"], None),
        ("03574", "aliases"): (["Ma Li Pho"], None),
        ("03451", "valid_to"): (None, "2025-06-30"),
        ("03463", "valid_to"): (None, "2025-06-30"),
    }
    # The two open on the national map are those the 2025 arrangement left as they were.
    same = {e["from"] for e in entries().values() if e["relationship"] == "same"}
    assert {"03451", "03463"} <= same
    # Its own version (the sample's and the crosswalk's), not the national one.
    assert (doc["version"], document(OLD)["version"]) == ("vn-2017", "vn-2025-06")


def test_the_lai_chau_2025_file_differs_from_the_national_slice_only_by_its_root() -> None:
    nat = units(NEW)
    national = {
        c: u for c, u in nat.items() if u["level"] != "country" and province_of(NEW, c) == "12"
    }
    ours = {u["code"]: u for u in document("gazetteer_lai_chau_2025.json")["units"]}
    assert set(ours) == set(national)
    differing = {
        (c, key): (national[c].get(key), ours[c].get(key))
        for c in national
        for key in set(national[c]) | set(ours[c])
        if national[c].get(key) != ours[c].get(key)
    }
    assert differing == {("12", "parent"): ("VN", None)}
