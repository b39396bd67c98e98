"""The national gazetteers through the public API: the country root, kinds, aliases, resolve."""

from __future__ import annotations

import unicodedata
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antq_core import (
    AdminLevel,
    AdminUnit,
    Gazetteer,
    bundled_gazetteer,
)
from antq_core._values.geo import _readings, _squash
from antq_core.errors import (
    AmbiguousNameError,
    GazetteerCycleError,
    InvalidValueError,
    UnknownAdminUnitError,
)
from antq_core.testing.strategies import gazetteers
from antq_core.text import fold


@cache
def old() -> Gazetteer:
    return bundled_gazetteer("vn_2025_06")


@cache
def new() -> Gazetteer:
    return bundled_gazetteer("vn_2025_07")


def test_both_epochs_load_with_a_country_root() -> None:
    for gaz, provinces, version in ((old(), 63, "vn-2025-06"), (new(), 34, "vn-2025-07")):
        assert gaz.version == version
        (root,) = gaz.children(None)
        assert (root.code, root.name, root.level) == ("VN", "Việt Nam", AdminLevel.COUNTRY)
        assert len(gaz.children("VN")) == provinces
        assert all(u.level is AdminLevel.PROVINCE for u in gaz.children("VN"))
        assert gaz.sources
    assert old().unit("03400").full_name == "xã Tả Lèng"
    assert [u.code for u in old().ancestors("03400")] == ["106", "12", "VN"]
    assert [u.code for u in new().ancestors("03405")] == ["12", "VN"]
    assert new().unit("26732").full_name == "đặc khu Côn Đảo"


def test_the_national_files_round_trip() -> None:
    gaz = new()
    assert Gazetteer.from_dict(gaz.to_dict()) == gaz
    assert gaz.notes == Gazetteer.from_dict(gaz.to_dict()).notes


def test_aliases_are_kept_and_found() -> None:
    unit = old().unit("03574")
    assert (unit.name, unit.aliases) == ("Ma Ly Pho", ("Ma Li Pho",))
    assert old().find("Ma Li Pho", parent="109").code == "03574"
    assert old().find("Hua Bum", level="commune").code == "03460"


def test_aliases_are_names() -> None:
    with pytest.raises(InvalidValueError, match="aliases"):
        AdminUnit("01", "Hà Nội", "province", aliases="Hanoi")
    with pytest.raises(InvalidValueError, match="alias"):
        AdminUnit("01", "Hà Nội", "province", aliases=("Hanoi", " "))


# -- resolve ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "xã Tả Lèng, huyện Tam Đường, tỉnh Lai Châu",
        "X. Tả Lèng, H. Tam Đường, Lai Châu",
        "Xã Tả Lèng, Tam Đường, T. Lai Châu",
        "xa ta leng, huyen tam duong, tinh lai chau",
        "X. TA LENG, LAI CHAU",  # the district left out
        "Tả Lèng, Lai Châu",
    ],
)
def test_resolve_reads_every_way_of_writing_an_address(address: str) -> None:
    assert old().resolve(address).code == "03400"


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("P. Phúc Xá, Q. Ba Đình, TP. Hà Nội", "00001"),
        ("Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội", "00001"),
        ("TT. Tam Đường, H. Tam Đường, Lai Châu", "03390"),
        ("TP. Lai Châu, Lai Châu", "105"),
        ("Q.1, TP. Hồ Chí Minh", "760"),
        ("P. Yên Hòa, Q. Cầu Giấy, Hà Nội", "00172"),  # GSO writes "Yên Hoà"
        ("P. Yên Hoà, Q. Cầu Giấy, Hà Nội", "00172"),
        ("xã Thuỵ Lâm, huyện Đông Anh, Hà Nội", "00460"),
        ("xã Thụy Lâm, huyện Đông Anh, Hà Nội", "00460"),
        ("xã Ma Li Pho, huyện Phong Thổ, Lai Châu", "03574"),  # an alias
        ("Hua Bum, Nậm Nhùn, Lai Châu", "03460"),
        ("phường Phường Đúc, thành phố Huế", "19780"),  # a name that starts with a kind
        ("Phường Đúc, Huế", "19780"),
        ("xã Ea Bar, huyện Buôn Đôn, Đắk Lắk", "24250"),
        ("xã Ea Bar, huyện Sông Hinh, Phú Yên", "22225"),  # GSO writes "EaBar"
        ("Huyện Côn Đảo, Bà Rịa - Vũng Tàu", "755"),
        ("tỉnh Lai Châu", "12"),
    ],
)
def test_resolve_old_addresses(address: str, code: str) -> None:
    assert old().resolve(address).code == code


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("xã Tả Lèng, tỉnh Lai Châu", "03405"),
        ("phường Tân Phong, Lai Châu", "03408"),
        ("đặc khu Côn Đảo, TP. Hồ Chí Minh", "26732"),
        ("ĐK. Phú Quốc, An Giang", "31078"),
        ("P. Cửa Nam, Hà Nội", "00082"),
    ],
)
def test_resolve_new_addresses(address: str, code: str) -> None:
    assert new().resolve(address).code == code


def test_an_ambiguous_name_lists_every_candidate_with_its_parents() -> None:
    with pytest.raises(AmbiguousNameError) as info:
        old().resolve("xã Tân Phong")
    error = info.value
    assert len(error.candidates) == len(error.described) >= 5
    assert "xã Tân Phong (03970), huyện Phù Yên, tỉnh Sơn La" in error.described
    assert "03970" in str(error)
    assert "huyện Phù Yên" in str(error)
    # The parent settles it.
    assert old().resolve("xã Tân Phong, huyện Phù Yên").code == "03970"


def test_a_kind_word_narrows_the_match() -> None:
    # Lai Châu is a province and a city; the kind word says which.
    with pytest.raises(AmbiguousNameError):
        old().resolve("Lai Châu")  # the province (12) and thành phố Lai Châu (105)?
    assert old().resolve("tỉnh Lai Châu").code == "12"
    assert old().resolve("thành phố Lai Châu").code == "105"


def test_names_outside_the_parents_given_are_not_found() -> None:
    with pytest.raises(UnknownAdminUnitError) as info:
        old().resolve("xã Tả Lèng, huyện Phong Thổ, Lai Châu")
    assert info.value.key == "xã Tả Lèng"
    assert info.value.parent == "109"
    with pytest.raises(UnknownAdminUnitError):
        new().resolve("huyện Tam Đường, Lai Châu")  # no districts after 1 July 2025
    with pytest.raises(UnknownAdminUnitError):
        old().resolve("Atlantis")


@pytest.mark.parametrize("address", ["", " ", "xã Tả Lèng,, Lai Châu", ","])
def test_an_empty_address_or_part_is_an_invalid_value(address: str) -> None:
    with pytest.raises(InvalidValueError):
        old().resolve(address)


# -- laws ---------------------------------------------------------------------------------


@cache
def _ambiguous_keys(version: str) -> list[str]:
    gaz = old() if version == "vn-2025-06" else new()
    by_key: dict[str, set[str]] = {}
    for u in gaz:
        for name in (u.name, *u.aliases):
            by_key.setdefault(fold(name), set()).add(u.code)
    return sorted(k for k, codes in by_key.items() if len(codes) > 1)


def _spellings(key: str) -> st.SearchStrategy[str]:
    """``key`` as a person might type it: any case, NFC or NFD, spaces around."""
    return st.tuples(
        st.sampled_from([str.lower, str.upper, str.title]),
        st.sampled_from(["NFC", "NFD"]),
        st.sampled_from(["", " ", "  "]),
    ).map(lambda t: t[2] + unicodedata.normalize(t[1], t[0](key)) + t[2])


@given(
    st.sampled_from(["vn-2025-06", "vn-2025-07"]).flatmap(
        lambda v: st.tuples(st.just(v), st.sampled_from(_ambiguous_keys(v)).flatmap(_spellings))
    )
)
def test_an_ambiguous_folded_name_is_never_resolved_silently(case: tuple[str, str]) -> None:
    version, name = case
    gaz = old() if version == "vn-2025-06" else new()
    with pytest.raises(AmbiguousNameError) as info:
        gaz.resolve(name)
    codes = set(info.value.candidates)
    assert len(codes) >= 2
    for code in codes:
        unit = gaz.unit(code)
        assert fold(name) in {fold(n) for n in (unit.name, *unit.aliases)}


@given(st.integers(0, 10_034))
def test_a_full_address_resolves_to_its_unit_or_lists_it(i: int) -> None:
    gaz = old()
    communes = _communes()
    unit = communes[i % len(communes)]
    address = ", ".join(u.full_name for u in (unit, *gaz.ancestors(unit.code))[:-1])
    assert unit.code in _resolved_or_candidates(gaz, address)


def _resolved_or_candidates(gaz: Gazetteer, address: str) -> tuple[str, ...]:
    try:
        return (gaz.resolve(address).code,)
    except AmbiguousNameError as e:
        return e.candidates


@cache
def _communes() -> list[AdminUnit]:
    return [u for u in old() if u.level is AdminLevel.COMMUNE]


# -- resolve is lookups by key: the same answers as scanning every unit ---------------------


def _scanned(gaz: Gazetteer, address: str) -> tuple[str, ...] | type[Exception]:
    """What ``resolve`` must answer, found by scanning every unit for every part.

    The codes matched by the lowest part (one: resolved; several: ambiguous), or the
    error's type; each part is matched among the units below those the parts after it
    matched, a kind word's reading first, then the bare part, each by spelling and then
    without spaces, as ``Gazetteer.resolve`` documents.
    """
    parts = [p.strip() for p in address.split(",")]
    if not all(parts):
        return InvalidValueError
    scope: set[str] | None = None
    found: list[str] = []
    for part in reversed(parts):
        found = []
        for kinds, name, squashed in _readings(part):
            for key, keyed in ((name, fold), (squashed, _squash)):
                found = [
                    u.code
                    for u in gaz
                    if key in {keyed(n) for n in (u.name, *u.aliases)}
                    and (kinds is None or u.kind_vi in kinds)
                    and (scope is None or _has_ancestor_in(gaz, u.code, scope))
                ]
                if found:
                    break
            if found:
                break
        if not found:
            return UnknownAdminUnitError
        scope = set(found)
    return tuple(found)


def _has_ancestor_in(gaz: Gazetteer, code: str, scope: set[str]) -> bool:
    try:
        return any(c in scope for c in gaz.lineage(code)[1:])
    except (UnknownAdminUnitError, GazetteerCycleError):
        return False


def _answer(gaz: Gazetteer, address: str) -> tuple[str, ...] | type[Exception]:
    try:
        return (gaz.resolve(address).code,)
    except AmbiguousNameError as e:
        return e.candidates
    except (UnknownAdminUnitError, InvalidValueError) as e:
        return type(e)


_WRITINGS = (
    lambda u: u.full_name,
    lambda u: u.name,
    lambda u: fold(u.name).upper(),
    lambda u: u.name.replace(" ", ""),
)


@st.composite
def _addresses(draw: st.DrawFn, gaz: Gazetteer) -> str:
    """An address of a unit of ``gaz``: some of its ancestors, each written some way."""
    units = list(gaz)
    unit = draw(st.sampled_from(units))
    chain = [unit, *gaz.ancestors(unit.code)]
    kept = [u for i, u in enumerate(chain) if i == 0 or draw(st.booleans())]
    if draw(st.booleans()):  # a part from elsewhere in the map
        kept.insert(draw(st.integers(0, len(kept))), draw(st.sampled_from(units)))
    return ", ".join(draw(st.sampled_from(_WRITINGS))(u) for u in kept)


@settings(max_examples=300)
@given(
    gazetteers(max_provinces=3, max_children=3, country=True).flatmap(
        lambda g: st.tuples(st.just(g), st.lists(_addresses(g), min_size=1, max_size=5))
    )
)
def test_resolve_answers_as_a_scan_of_every_unit(case: tuple[Gazetteer, list[str]]) -> None:
    gaz, addresses = case
    for address in addresses:
        assert _answer(gaz, address) == _scanned(gaz, address), address


def test_units_with_broken_parents_lie_under_nothing() -> None:
    gaz = Gazetteer(
        "broken",
        [
            AdminUnit("01", "Một", "province"),
            AdminUnit("001", "Hai", "district", "01"),
            AdminUnit("00001", "Ba", "commune", "001"),
            AdminUnit("00002", "Ba", "commune", "999"),  # its parent is missing
            AdminUnit("00003", "Ba", "commune", "00004"),  # these two form a cycle
            AdminUnit("00004", "Bốn", "commune", "00003"),
        ],
    )
    for address in ("Ba, Một", "Ba, Hai", "Ba", "xã Ba", "Bốn, Ba", "Ba, Bốn", "B a, Hai"):
        assert _answer(gaz, address) == _scanned(gaz, address), address
    assert gaz.resolve("Ba, Một").code == "00001"


def test_an_ambiguous_name_lists_candidates_whose_parents_are_broken() -> None:
    gaz = Gazetteer(
        "broken",
        [AdminUnit("00001", "Ba", "commune", "001"), AdminUnit("00002", "Ba", "commune", "999")],
    )
    with pytest.raises(AmbiguousNameError) as info:
        gaz.resolve("Ba")
    assert info.value.candidates == ("00001", "00002")
    assert "parents not found" in str(info.value)
