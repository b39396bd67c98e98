"""Vietnamese text: NFC normalisation and diacritic-insensitive keys."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antq_core import AdminUnit, Gazetteer, Initiative, Participant, Site, Source, Statement
from antq_core.testing.strategies import vietnamese_names
from antq_core.text import fold, nfc


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@given(st.text())
def test_nfc_of_nfd_is_nfc(s: str) -> None:
    assert nfc(nfd(s)) == nfc(s)
    assert nfc(nfc(s)) == nfc(s)
    assert unicodedata.is_normalized("NFC", nfc(s))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Tam Đường", "tam duong"),
        ("tam duong", "tam duong"),
        ("TAM ĐƯỜNG", "tam duong"),
        ("  Tả  Lèng ", "ta leng"),
        ("Mù Cả", "mu ca"),
        ("Đoàn Kết", "doan ket"),
        ("Nguyễn Thị Vân", "nguyen thi van"),
        ("Lai\tChâu", "lai chau"),
    ],
)
def test_fold_examples(text: str, key: str) -> None:
    assert fold(text) == key
    assert fold(nfd(text)) == key


@given(vietnamese_names())
def test_fold_ignores_diacritics_dd_case_and_normal_form(name: str) -> None:
    key = fold(name)
    assert key == fold(nfc(name)) == fold(nfd(name))
    assert key == fold(name.upper()) == fold(name.lower())
    assert key == fold(key)
    assert key.isascii()
    assert "đ" not in key
    assert not any(unicodedata.combining(c) for c in key)
    # Dropping every mark by hand gives the same key.
    by_hand = "".join(c for c in nfd(name) if not unicodedata.combining(c))
    assert fold(by_hand.replace("đ", "d").replace("Đ", "D")) == key


@given(vietnamese_names(forms=["NFD"]))
def test_nfd_names_are_stored_nfc_in_entities(name: str) -> None:
    composed = nfc(name)
    initiative = Initiative(id="mh-1", name_vi=name, theme="other")
    assert initiative.name_vi == composed
    assert initiative == Initiative(id="mh-1", name_vi=composed, theme="other")
    assert Initiative.model_validate_json(initiative.model_dump_json()) == initiative
    assert Site(id="s", initiative="mh-1", admin_units=["1"], name_vi=name).name_vi == composed
    assert Source(id="src", title=name).title == composed
    assert Statement(text_vi=name).text_vi == composed
    person = Participant(id="p", roles=["member"], full_name=name)
    assert person.full_name == composed
    unit = AdminUnit(code="1", name=name, level="commune", kind_vi=name)
    assert (unit.name, unit.kind_vi) == (composed, composed)
    assert Gazetteer("v", [unit], title=name).title == composed


def test_nfd_json_input_is_stored_nfc() -> None:
    decomposed = nfd("Tái hòa nhập cộng đồng")
    assert decomposed != "Tái hòa nhập cộng đồng"
    data = f'{{"id": "mh-1", "name_vi": "{decomposed}", "theme": "community_reintegration"}}'
    assert Initiative.model_validate_json(data).name_vi == "Tái hòa nhập cộng đồng"


def test_names_are_found_whatever_their_normal_form() -> None:
    gaz = Gazetteer(
        "t",
        [
            AdminUnit(code="12", name=nfd("Lai Châu"), level="province"),
            AdminUnit(code="106", name="Tam Đường", level="district", parent="12"),
        ],
    )
    assert gaz.unit("12").name == "Lai Châu"
    assert gaz.find(nfd("Tam Đường")).code == "106"
    assert gaz.find("lai chau").code == "12"
