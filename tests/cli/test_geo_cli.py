"""``antq geo``: units by code or address in the national maps, and where they went."""

from __future__ import annotations

import pytest

from antq_core._cli import main


def test_an_old_commune_by_address_and_where_it_went(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["geo", "X. Mường So, H. Phong Thổ, Lai Châu"]) == 0
    out = capsys.readouterr().out
    assert "vn-2025-06: xã Mường So (03589), huyện Phong Thổ, tỉnh Lai Châu" in out
    assert "from 1 July 2025 (merge): xã Phong Thổ (03549), tỉnh Lai Châu" in out


def test_a_split_shows_its_default_part(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["geo", "22978"]) == 0
    out = capsys.readouterr().out
    assert "(split)" in out
    assert "default part: xã Phan Rí Cửa" in out


def test_a_new_commune_lists_the_units_it_was_formed_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["geo", "--epoch", "vn_2025_07", "xã Tả Lèng, Lai Châu"]) == 0
    out = capsys.readouterr().out
    assert "formed from 3 unit(s) of vn-2025-06:" in out
    assert "xã Hồ Thầu (03406), huyện Tam Đường, tỉnh Lai Châu" in out


def test_an_ambiguous_name_lists_the_candidates_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["geo", "xã Tân Phong"]) == 1
    assert "xã Tân Phong (03970), huyện Phù Yên, tỉnh Sơn La" in capsys.readouterr().out


def test_nothing_found_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["geo", "Atlantis"]) == 2
    assert "Atlantis" in capsys.readouterr().err
