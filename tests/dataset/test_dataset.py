"""Dataset: loading, dumping, problems with their JSON paths, references."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import antq_core
import antq_core.errors
from antq_core import Dataset, Observation, ObservationStore, Quantity, Site, SubjectRef
from antq_core.errors import DatasetLoadError, DuplicateIdError, UnresolvedReferenceError
from antq_core.testing.strategies import datasets

Document = dict[str, Any]


def _load(document: Document) -> Dataset:
    return Dataset.from_json(json.dumps(document, ensure_ascii=False).encode())


def _problems(document: Document) -> dict[str, str]:
    with pytest.raises(DatasetLoadError) as info:
        _load(document)
    return {p.location.path or "": p.message_en for p in info.value.problems}


@pytest.fixture
def doc(sample_document: Document) -> Document:
    return copy.deepcopy(sample_document)


# -- round trips ------------------------------------------------------------------------


def test_sample_round_trips(lai_chau: Dataset, tmp_path: Path) -> None:
    full = lai_chau.dumps(include_sensitive=True)
    assert Dataset.from_json(full) == lai_chau
    assert Dataset.from_json(full.encode()) == lai_chau
    assert Dataset.from_dict(lai_chau.to_dict(include_sensitive=True)) == lai_chau
    path = tmp_path / "lai_chau.json"
    lai_chau.dump(path)
    again = Dataset.load(path)
    assert again == lai_chau
    assert again.dumps(include_sensitive=True) == full  # stable text, so diffs stay small
    assert list(again.observations) == list(lai_chau.observations)


@settings(deadline=None)
@given(ds=datasets())
def test_generated_datasets_are_coherent_and_round_trip(
    ds: Dataset, unresolved_references: Callable[[Dataset], list[str]]
) -> None:
    # The strategy's promise: every reference resolves within the dataset.
    assert unresolved_references(ds) == []
    assert len(ds.observations) <= 50  # datasets()'s default max_observations
    for metric in ds.metrics.values():  # a ratio is made of other metrics
        assert metric.id not in (metric.numerator, metric.denominator)

    again = Dataset.from_json(ds.dumps(include_sensitive=True))
    assert again == ds
    # Not only their documents: every entity and observation is equal.
    assert again.gazetteer == ds.gazetteer
    assert again.metadata == ds.metadata
    for name in ("sources", "themes", "categories", "metrics", "initiatives", "sites"):
        assert dict(getattr(again, name)) == dict(getattr(ds, name)), name
    assert dict(again.organizations) == dict(ds.organizations)
    assert dict(again.participants) == dict(ds.participants)
    assert list(again.observations) == list(ds.observations)  # in the same order

    # Dumped for others, the same dataset loses its personal data and nothing else.
    public = ds.dumps(include_sensitive=False)
    for person in json.loads(public)["participants"]:
        assert not {"full_name", "identity_number", "birth_date"} & set(person)
    reloaded = Dataset.from_json(public)
    assert not any(p.has_sensitive_data for p in reloaded.participants.values())
    assert {k: p.model_dump() for k, p in reloaded.participants.items()} == {
        k: p.model_dump() for k, p in ds.participants.items()
    }
    assert list(reloaded.observations) == list(ds.observations)


def test_only_dump_keeps_names_by_default(lai_chau: Dataset, tmp_path: Path) -> None:
    names = ["Nguyễn Văn A (tên giả định)", "Trần Thị B (tên giả định)", "Lê Thị C (tên giả định)"]
    own = tmp_path / "own.json"
    lai_chau.dump(own)  # the owner's store keeps everything
    assert all(n in own.read_text(encoding="utf-8") for n in names)
    assert all(n in lai_chau.dumps(include_sensitive=True) for n in names)
    # Anything else leaves personal data out unless asked.
    assert not any(n in lai_chau.dumps() for n in names)
    assert not any(n in json.dumps(lai_chau.to_dict()) for n in names)
    public = tmp_path / "public.json"
    lai_chau.dump(public, include_sensitive=False)
    text = public.read_text(encoding="utf-8")
    assert not any(n in text for n in names)


# -- problems -------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_its_json_path(doc: Document) -> None:
    doc["observations"][3]["period"] = "2017Q5"
    doc["observations"][5]["value"] = -5
    doc["observations"][7]["unit"] = "furlong"
    doc["sites"].append(copy.deepcopy(doc["sites"][0]))
    duplicate = f"$.sites[{len(doc['sites']) - 1}].id"
    problems = _problems(doc)
    assert set(problems) == {
        "$.observations[3].period",
        "$.observations[5].value",
        "$.observations[7].unit",
        duplicate,
    }
    assert "2017Q5" in problems["$.observations[3].period"]
    assert "furlong" in problems["$.observations[7].unit"]
    assert "$.sites[0]" in problems[duplicate]


def test_the_error_message_lists_the_problems(doc: Document, tmp_path: Path) -> None:
    doc["observations"][3]["period"] = "2017Q5"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DatasetLoadError) as info:
        Dataset.load(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)
    assert "$.observations[3].period" in str(info.value)
    assert len(info.value.problems) == 1


@pytest.mark.parametrize(
    ("row", "field", "value"),
    [
        (0, "metric", "not an id"),
        (0, "subject", "village:1"),
        (1, "value", "abc"),
        (2, "value", "12.5"),  # organizations are counted whole
        (2, "qualifier", "roughly"),
        (5, "disaggregation", {"capital source": "family"}),
        (4, "source", "a source"),
        (4, "extra", 1),
    ],
)
def test_observation_problems_are_located(
    doc: Document, row: int, field: str, value: object
) -> None:
    doc["observations"][row][field] = value
    assert list(_problems(doc)) == [f"$.observations[{row}].{field}"]


def test_entity_problems_are_located(doc: Document) -> None:
    doc["sites"][1]["started"] = "2017Q5"
    doc["initiatives"][0]["typical"] = "maybe"
    doc["participants"][0]["identity_number"] = "123"
    assert set(_problems(doc)) == {
        "$.sites[1].started",
        "$.initiatives[0].typical",
        "$.participants[0].identity_number",
    }


def test_gazetteer_problems_are_located(doc: Document) -> None:
    doc["gazetteer"]["units"][2]["level"] = "hamlet"
    del doc["gazetteer"]["units"][3]["name"]
    assert set(_problems(doc)) == {"$.gazetteer.units[2].level", "$.gazetteer.units[3].name"}


def test_entity_gazetteer_and_observation_problems_are_reported_together(doc: Document) -> None:
    # pydantic stops at an entity's shape; the loader still reads everything else.
    doc["sites"][1]["started"] = "2017Q5"
    doc["gazetteer"]["units"][2]["level"] = "hamlet"
    doc["observations"][3]["period"] = "2017Q5"
    assert set(_problems(doc)) == {
        "$.sites[1].started",
        "$.gazetteer.units[2].level",
        "$.observations[3].period",
    }


@pytest.mark.parametrize("value", [1.5, True, None, [1], {"value": 1}])
def test_a_value_of_the_wrong_json_type_is_located_at_the_value(
    doc: Document, value: object
) -> None:
    doc["observations"][1]["value"] = value
    assert list(_problems(doc)) == ["$.observations[1].value"]


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"format": "antq-gazetteer"}, "$.format"),
        ({"format_version": 2}, "$.format_version"),
        ({"colour": "red"}, "$.colour"),
    ],
)
def test_document_problems(doc: Document, change: Document, location: str) -> None:
    doc.update(change)
    assert location in _problems(doc)


@pytest.mark.parametrize("data", [b"not json", b"", b"[1, 2]", b"\xff\xfe{}", "{"])
def test_not_a_dataset_document(data: bytes | str) -> None:
    with pytest.raises(DatasetLoadError) as info:
        Dataset.from_json(data)
    assert info.value.problems[0].location.path == "$"
    assert info.value.source == "<memory>"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    with pytest.raises(DatasetLoadError) as info:
        Dataset.load(path)
    assert info.value.source == str(path)
    assert [p.location.path for p in info.value.problems] == ["$"]
    with pytest.raises(DatasetLoadError):
        Dataset.load(tmp_path)  # a directory


def test_a_utf8_bom_is_accepted(lai_chau: Dataset, tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + lai_chau.dumps(include_sensitive=True).encode()
    assert Dataset.from_json(data) == lai_chau
    path = tmp_path / "bom.json"
    path.write_bytes(data)
    assert Dataset.load(path) == lai_chau
    assert Dataset.from_json("\ufeff" + lai_chau.dumps(include_sensitive=True)) == lai_chau


def test_duplicate_ids_in_code_raise(lai_chau: Dataset) -> None:
    site = next(iter(lai_chau.sites.values()))
    with pytest.raises(DuplicateIdError) as info:
        Dataset(gazetteer=lai_chau.gazetteer, metadata=lai_chau.metadata, sites=[site, site])
    assert (info.value.kind, info.value.id) == ("site", site.id)


# -- values survive ---------------------------------------------------------------------------


def test_decimal_values_survive_exactly(doc: Document) -> None:
    doc["observations"][10] |= {"value": "5.80", "unit": "ha"}  # poppy area, in hectares
    doc["observations"].append(doc["observations"][10] | {"value": "0.0001"})
    doc["observations"].append(doc["observations"][0] | {"value": 2**70})  # beyond 64 bits
    ds = _load(doc)
    assert str(ds.observations[10].value) == "5.80"
    assert ds.observations[10].quantity.to("m2") == Quantity(58_000, "m2", "at_least")
    assert ds.observations[-2].value == Decimal("0.0001")
    assert ds.observations[-1].value == 2**70
    rows = json.loads(ds.dumps())["observations"]
    assert rows[10]["value"] == "5.80"
    assert rows[-2]["value"] == "0.0001"
    assert rows[-1]["value"] == 2**70
    assert _load(json.loads(ds.dumps())) == ds


def test_whole_decimals_of_counts_load_as_int(doc: Document) -> None:
    doc["observations"][5]["value"] = "29.0"
    value = _load(doc).observations[5].value
    assert value == 29
    assert type(value) is int


def test_observation_order_is_kept(lai_chau: Dataset, doc: Document) -> None:
    doc["observations"].reverse()
    reversed_ds = _load(doc)
    assert list(reversed_ds.observations) == list(reversed(list(lai_chau.observations)))
    assert [o["metric"] for o in json.loads(reversed_ds.dumps())["observations"]] == [
        o["metric"] for o in doc["observations"]
    ]


# -- references ------------------------------------------------------------------------------


def test_unresolved_references_load_but_lookups_name_them(doc: Document) -> None:
    doc["sites"][0]["initiative"] = "nope"
    doc["observations"][0]["subject"] = "site:nope"
    doc["observations"][0]["metric"] = "no_such_metric"
    ds = _load(doc)
    site = ds.sites[doc["sites"][0]["id"]]
    with pytest.raises(UnresolvedReferenceError) as info:
        ds.initiative(site.initiative, referenced_from=f"site {site.id}")
    assert (info.value.kind, info.value.id) == ("initiative", "nope")
    assert f"site {site.id}" in str(info.value)
    with pytest.raises(UnresolvedReferenceError) as info:
        ds.site("nope")
    assert (info.value.kind, info.value.id) == ("site", "nope")
    assert "site" in str(info.value)
    assert "'nope'" in str(info.value)
    for lookup, kind in [
        (ds.metric, "metric"),
        (ds.theme, "theme"),
        (ds.source, "source"),
        (ds.initiative, "initiative"),
    ]:
        with pytest.raises(UnresolvedReferenceError) as info:
            lookup("nope")
        assert info.value.kind == kind


def test_site_units_not_in_the_gazetteer_are_named(lai_chau: Dataset) -> None:
    site = Site(id="s", initiative="mh-cum-giap-ranh-tam-duong", admin_units=["03400", "99999"])
    with pytest.raises(UnresolvedReferenceError) as info:
        lai_chau.site_units(site)
    assert info.value.id == "99999"
    assert info.value.referenced_from == "site s"


def test_the_reference_check_finds_what_is_missing(
    unresolved_references: Callable[[Dataset], list[str]], lai_chau: Dataset, doc: Document
) -> None:
    assert unresolved_references(lai_chau) == []
    doc["sites"][0]["initiative"] = "nope"
    doc["observations"][0]["source"] = "nope"
    found = unresolved_references(_load(doc))
    assert len(found) == 2
    assert any("site-muong-so" in f and "nope" in f for f in found)


# -- queries ---------------------------------------------------------------------------------


def test_lookups_and_queries(lai_chau: Dataset) -> None:
    cluster = lai_chau.site("site-cum-giap-ranh")
    assert [s.id for s in lai_chau.sites_of("mh-nguoi-uy-tin")] == ["site-ta-tong", "site-mu-ca"]
    assert lai_chau.site_anchor(cluster).code == "106"
    figures = lai_chau.observations_of("site:site-cum-giap-ranh")
    assert [o.value for o in figures] == [22, 12, 4_810]
    assert (
        lai_chau.observations_of(SubjectRef.parse("site:site-cum-giap-ranh"), "outreach_meetings")[
            0
        ].value
        == 12
    )
    assert lai_chau.observations_of("site:nope") == []
    assert lai_chau.category("capital_source").options[1].id == "family"
    assert lai_chau.participant("p-exemplar-2").admin_unit == "03589.02"
    for lookup in (lai_chau.organization, lai_chau.participant, lai_chau.category):
        with pytest.raises(UnresolvedReferenceError) as info:
            lookup("nope")
        assert info.value.id == "nope"


def test_observation_store_is_a_sequence(lai_chau: Dataset) -> None:
    store = lai_chau.observations
    rows = list(store)
    assert len(store) == len(rows) == 14
    assert store[-1] == rows[-1]
    assert store[2:4] == rows[2:4]
    assert all(isinstance(o, Observation) for o in rows)
    with pytest.raises(IndexError):
        store[len(rows)]
    again = ObservationStore.from_observations(rows)
    assert again == store
    assert list(again) == rows
    assert store.value(10) == 58_000
    assert store.metric_id(10) == "poppy_area_destroyed"
    assert "poppy_area_destroyed" in store.metric_ids


def test_replace_shares_what_it_does_not_replace() -> None:
    ds = antq_core.sample()
    site = ds.sites["site-ta-tong"].model_copy(update={"name_vi": "Tà Tổng"})
    new = ds.replace(sites=[*(s for s in ds.sites.values() if s.id != site.id), site])
    assert new.sites["site-ta-tong"].name_vi == "Tà Tổng"
    assert ds.sites["site-ta-tong"].name_vi is None  # the original never changes
    assert new.observations is ds.observations
    assert new.gazetteer is ds.gazetteer
    assert new.participants == ds.participants
    with pytest.raises(antq_core.errors.DuplicateIdError):
        ds.replace(sites=[*ds.sites.values(), site])


def test_a_dataset_built_from_scratch_has_the_builtin_catalog_unless_given_its_own() -> None:
    from antq_core import (
        AdminUnit,
        DatasetMetadata,
        Gazetteer,
        MetricDefinition,
        Observation,
        builtin_catalog,
        validate,
    )

    gaz = Gazetteer("scratch", [AdminUnit(code="40", name="Bốn", level="province")])
    tips = Observation(
        metric="tips_received", subject="unit:40", period="2024", value=3, unit="tip"
    )
    ds = Dataset(gazetteer=gaz, metadata=DatasetMetadata(title_vi="t"), observations=[tips])
    cat = builtin_catalog()
    assert tuple(ds.metrics.values()) == cat.metrics
    assert tuple(ds.categories.values()) == cat.categories
    assert tuple(ds.themes.values()) == cat.themes
    assert [i.code for i in validate(ds)] == []  # tips_received resolves
    own = MetricDefinition(id="x", name_vi="x", name_en="x", unit="tip", kind="flow")
    mine = Dataset(gazetteer=gaz, metadata=DatasetMetadata(title_vi="t"), metrics=[own])
    assert list(mine.metrics) == ["x"]
    assert tuple(mine.categories.values()) == cat.categories  # the part not given
    bare = Dataset(
        gazetteer=gaz, metadata=DatasetMetadata(title_vi="t"), metrics=[], observations=[tips]
    )
    assert [i.code for i in validate(bare)] == ["reference-unresolved"]


@pytest.mark.parametrize("collector_on", [True, False])
def test_loading_leaves_the_garbage_collector_as_it_found_it(
    sample_document: Document, collector_on: bool
) -> None:
    """The loader pauses the cyclic collector while it reads; on or off, it is restored."""
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if collector_on else gc.disable)()
        text = json.dumps(sample_document)
        assert len(Dataset.from_json(text).observations) == len(sample_document["observations"])
        assert gc.isenabled() is collector_on
        with pytest.raises(DatasetLoadError):
            Dataset.from_json(text.replace('"observations"', '"observations_"', 1))
        assert gc.isenabled() is collector_on
    finally:
        (gc.enable if was else gc.disable)()
