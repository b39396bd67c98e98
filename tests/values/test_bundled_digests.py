"""The bundled gazetteers are read without per-unit checks only because these tests check them.

``bundled_gazetteer`` makes each unit straight from its JSON object when the file's
bytes have the SHA-256 recorded in ``data/digests.json``. That is sound only if the
recorded digests are the shipped files' and each of those files, read through the full
checks (pydantic's models, then the units' converters), gives the very same gazetteer.
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from typing import Any

import attrs
import pytest

from antq_core import Gazetteer, bundled_gazetteer
from antq_core._dataset import catalog
from antq_core._values.geo import checked_gazetteer
from antq_core.errors import DatasetLoadError

DATA = files("antq_core") / "data"
NAMES = sorted(
    p.name.removeprefix("gazetteer_").removesuffix(".json")
    for p in DATA.iterdir()
    if p.name.startswith("gazetteer_") and p.name.endswith(".json")
)


def recorded() -> dict[str, str]:
    doc: dict[str, Any] = json.loads(DATA.joinpath("digests.json").read_bytes())
    return doc["sha256"]  # type: ignore[no-any-return]


def test_every_bundled_gazetteer_has_its_digest_recorded() -> None:
    expected = {
        f"gazetteer_{n}.json": hashlib.sha256(DATA.joinpath(f"gazetteer_{n}.json").read_bytes())
        for n in NAMES
    }
    assert recorded() == {k: v.hexdigest() for k, v in expected.items()}, (
        "data/digests.json is stale: run python tools/data_digests.py"
    )


def _fully_checked(name: str) -> Gazetteer:
    """The file read through pydantic's document model and every unit's converters."""
    parsed = json.loads(DATA.joinpath(f"gazetteer_{name}.json").read_bytes())
    return Gazetteer.from_dict(parsed, source=name)


@pytest.mark.parametrize("name", NAMES)
def test_the_unchecked_read_gives_what_the_full_checks_give(name: str) -> None:
    full = _fully_checked(name)
    fast = bundled_gazetteer(name)
    assert not full.duplicates
    assert (fast.version, fast.title, fast.valid_from, fast.valid_to) == (
        full.version,
        full.title,
        full.valid_from,
        full.valid_to,
    )
    assert fast.sources == full.sources
    assert fast.notes == full.notes
    assert [attrs.astuple(u, recurse=False) for u in fast] == [
        attrs.astuple(u, recurse=False) for u in full
    ]
    # Same types too (a date is a date, a level the enum member), not only equal values.
    for a, b in zip(fast, full, strict=True):
        assert [type(v) for v in attrs.astuple(a, recurse=False)] == [
            type(v) for v in attrs.astuple(b, recurse=False)
        ]
    assert fast == full
    assert [u.code for u in fast.children(None)] == [u.code for u in full.children(None)]


def test_an_altered_file_is_read_the_checked_way(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = DATA.joinpath("gazetteer_vn_2025_07.json").read_bytes()
    doc = json.loads(raw)
    doc["units"][5]["name"] = "  "  # blank: the full checks refuse it
    altered = json.dumps(doc, ensure_ascii=False).encode()
    monkeypatch.setattr(catalog, "bundled_bytes", lambda kind, name: altered)
    with pytest.raises(DatasetLoadError) as caught:
        bundled_gazetteer("vn_2025_07")
    assert "$.units[5].name" in str(caught.value)


def test_an_altered_but_valid_file_still_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = DATA.joinpath("gazetteer_lai_chau_2025.json").read_bytes()
    doc = json.loads(raw)
    doc["units"][3]["name"] = "Hoa\u0300"  # not NFC: the checked path normalises it
    altered = json.dumps(doc, ensure_ascii=False).encode()
    monkeypatch.setattr(catalog, "bundled_bytes", lambda kind, name: altered)
    gaz = bundled_gazetteer("lai_chau_2025")
    assert gaz.unit(doc["units"][3]["code"]).name == "Hoà"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["units"].append(dict(d["units"][1])),  # a code given twice
        lambda d: d["units"][1].pop("level"),
        lambda d: d["units"][1].update(level="hamlet"),
        lambda d: d["units"][1].update(valid_to="2025-02-30"),
        lambda d: d["units"][1].update(valid_to="30/06/2025"),
        lambda d: d["units"].append("12"),
        lambda d: d.update(units={}),
        lambda d: d.update(format="antq-crosswalk"),
        lambda d: d.update(format_version=2),
        lambda d: d.update(sources=[{"id": 1}]),
    ],
)
def test_the_unchecked_reader_declines_any_surprise(change: Any) -> None:
    doc = json.loads(DATA.joinpath("gazetteer_lai_chau_2025.json").read_bytes())
    change(doc)
    assert checked_gazetteer(json.dumps(doc)) is None


def test_the_unchecked_reader_declines_a_document_that_is_not_an_object() -> None:
    assert checked_gazetteer("[]") is None
