"""Entities: JSON round trips, located validation errors, personal data."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from antq_core import (
    AggregationType,
    CoordinationAgreement,
    DatasetMetadata,
    DisaggregationCategory,
    Initiative,
    InitiativeTheme,
    MassOrganization,
    MetricDefinition,
    MetricKind,
    Observation,
    Participant,
    Quantity,
    Site,
    Source,
    Statement,
)
from antq_core.errors import InvalidValueError
from antq_core.testing import strategies as ats

SENSITIVE = {"include_sensitive": True}
SENSITIVE_FIELDS = ("full_name", "identity_number", "birth_date")

# Strategies are built once here: building one per example makes Hypothesis slow.
ENTITIES: list[tuple[type[BaseModel], st.SearchStrategy[Any]]] = [
    (Source, ats.sources()),
    (Statement, ats.statements()),
    (InitiativeTheme, ats.initiative_themes()),
    (DisaggregationCategory, ats.disaggregation_categories()),
    (MetricDefinition, ats.metric_definitions()),
    (Initiative, ats.initiatives()),
    (CoordinationAgreement, ats.coordination_agreements()),
    (Site, ats.sites()),
    (MassOrganization, ats.mass_organizations()),
    (Participant, ats.participants()),
    (Observation, ats.observations()),
    (DatasetMetadata, ats.dataset_metadata()),
]
ENTITY_IDS = [model.__name__ for model, _ in ENTITIES]


@pytest.fixture(scope="module")
def schema_validators() -> dict[type[BaseModel], jsonschema.Draft202012Validator]:
    validators = {}
    for model, _ in ENTITIES:
        schema = model.model_json_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[model] = jsonschema.Draft202012Validator(schema)
    return validators


@pytest.mark.parametrize(("model", "strategy"), ENTITIES, ids=ENTITY_IDS)
@given(data=st.data())
def test_json_round_trip_and_schema(
    model: type[BaseModel],
    strategy: st.SearchStrategy[Any],
    data: st.DataObject,
    schema_validators: dict[type[BaseModel], jsonschema.Draft202012Validator],
) -> None:
    entity = data.draw(strategy)
    assert isinstance(entity, model)
    text = entity.model_dump_json(context=SENSITIVE)
    assert model.model_validate_json(text) == entity
    assert model.model_validate(entity.model_dump(mode="json", context=SENSITIVE)) == entity
    document = json.loads(text)
    assert model.model_validate(document) == entity
    # What is dumped is what the published JSON Schema describes.
    assert [e.message for e in schema_validators[model].iter_errors(document)] == []


# -- validation errors carry their location --------------------------------------------------

OBSERVATION = {
    "metric": "cases_resolved_jointly",
    "subject": "site:site-cum-giap-ranh",
    "period": "2016-01-01/2017-07-13",
    "unit": "case",
    "value": 22,
}


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"value": "-1.5"}, "value"),  # -22 is read: only the dataset knows the metric
        ({"value": "abc"}, "value"),
        ({"value": 22.0}, "value"),
        ({"value": True}, "value"),
        ({"value": "1.5"}, "value"),  # cases are counted whole
        ({"value": "-"}, "value"),
        ({"value": "--1"}, "value"),
        ({"extra": 1}, "extra"),
        ({"metric": "cases resolved"}, "metric"),
        ({"metric": ""}, "metric"),
        ({"period": "2017Q5"}, "period"),
        ({"period": 2017}, "period"),
        ({"unit": "furlong"}, "unit"),
        ({"subject": "village:1"}, "subject"),
        ({"subject": "site"}, "subject"),
        ({"qualifier": "roughly"}, "qualifier"),
        ({"disaggregation": {"capital source": "family"}}, "disaggregation"),
        ({"disaggregation": ["family"]}, "disaggregation"),
        ({"source": "a source"}, "source"),
    ],
)
def test_bad_observation_fields_are_located(change: dict[str, Any], location: str) -> None:
    document = OBSERVATION | change
    validators: list[Callable[[dict[str, Any]], Observation]] = [
        Observation.model_validate,
        lambda d: Observation.model_validate_json(json.dumps(d)),
    ]
    for validate in validators:
        with pytest.raises(ValidationError) as info:
            validate(document)
        assert [e["loc"] for e in info.value.errors()] == [(location,)]


def test_missing_fields_are_located() -> None:
    document = dict(OBSERVATION)
    del document["unit"]
    with pytest.raises(ValidationError) as info:
        Observation.model_validate(document)
    assert ("unit",) in [e["loc"] for e in info.value.errors()]


@pytest.mark.parametrize(
    ("model", "document", "location"),
    [
        (Site, {"id": "s", "initiative": "i", "admin_units": []}, ("admin_units",)),
        (Site, {"id": "s", "initiative": "i", "admin_units": ["1", "1"]}, ("admin_units",)),
        (Site, {"id": "bad id", "initiative": "i", "admin_units": ["1"]}, ("id",)),
        (
            Site,
            {"id": "s", "initiative": "i", "admin_units": ["1"], "started": "2017Q5"},
            ("started",),
        ),
        (Initiative, {"id": "i", "name_vi": "   ", "theme": "t"}, ("name_vi",)),
        (Initiative, {"id": "i", "name_vi": "X", "theme": "t", "colour": "red"}, ("colour",)),
        (CoordinationAgreement, {"parties": ["Công an xã Bản Giang"]}, ("parties",)),
        (
            MassOrganization,
            {
                "id": "o",
                "kind": "mediation_team",
                "name_vi": "X",
                "admin_unit": "1",
                "member_count": -1,
            },
            ("member_count",),
        ),
        (
            MassOrganization,
            {
                "id": "o",
                "kind": "mediation_team",
                "name_vi": "X",
                "admin_unit": "1",
                "member_count": "5",
            },
            ("member_count",),
        ),
        (
            MassOrganization,
            {"id": "o", "kind": "choir", "name_vi": "X", "admin_unit": "1"},
            ("kind",),
        ),
        (Participant, {"id": "p", "roles": []}, ("roles",)),
        (
            Participant,
            {"id": "p", "roles": ["member"], "identity_number": "123"},
            ("identity_number",),
        ),
        (
            Participant,
            {"id": "p", "roles": ["member"], "birth_date": "13/07/1980"},
            ("birth_date",),
        ),
        (
            DisaggregationCategory,
            {
                "id": "sex",
                "name_vi": "Giới tính",
                "name_en": "Sex",
                "options": [
                    {"id": "male", "name_vi": "Nam", "name_en": "Male"},
                    {"id": "male", "name_vi": "Nữ", "name_en": "Female"},
                ],
            },
            ("options",),
        ),
        (
            MetricDefinition,
            {"id": "m", "name_vi": "X", "name_en": "X", "unit": "percent", "kind": "ratio"},
            (),
        ),
        (
            MetricDefinition,
            {
                "id": "m",
                "name_vi": "X",
                "name_en": "X",
                "unit": "case",
                "kind": "flow",
                "factor": 100,
            },
            (),
        ),
        (
            MetricDefinition,
            {
                "id": "m",
                "name_vi": "X",
                "name_en": "X",
                "unit": "case",
                "kind": "flow",
                "threshold": 5,
            },
            ("threshold",),
        ),
    ],
)
def test_bad_entity_fields_are_located(
    model: type[BaseModel], document: dict[str, Any], location: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as info:
        model.model_validate(document)
    assert location in [e["loc"] for e in info.value.errors()]


def test_entities_are_frozen() -> None:
    site = Site(id="s", initiative="i", admin_units=["1"])
    with pytest.raises(ValidationError):
        site.id = "t"  # type: ignore[misc]
    assert hash(site) == hash(Site(id="s", initiative="i", admin_units=["1"]))


def test_observation_quantity() -> None:
    o = Observation.model_validate(OBSERVATION | {"value": "22", "qualifier": "at_least"})
    assert o.quantity == Quantity(22, "case", "at_least")
    assert type(o.value) is int


@pytest.mark.parametrize(
    ("kind", "space", "time"),
    [
        ("flow", "sum", "sum"),
        ("stock", "sum", "last"),
        ("distinct", "distinct", "distinct"),
    ],
)
def test_metric_aggregation_defaults_from_its_kind(kind: str, space: str, time: str) -> None:
    m = MetricDefinition(id="m", name_vi="X", name_en="X", unit="person", kind=kind)
    assert (m.space_aggregation, m.time_aggregation) == (space, time)
    explicit = MetricDefinition(
        id="m",
        name_vi="X",
        name_en="X",
        unit="person",
        kind=kind,
        time_aggregation="max",
    )
    assert explicit.time_aggregation is AggregationType.MAX
    assert explicit.space_aggregation == space


def test_ratio_metric() -> None:
    rate = MetricDefinition(
        id="mediation_success_rate",
        name_vi="Tỷ lệ hòa giải thành",
        name_en="Mediation success rate",
        unit="percent",
        kind=MetricKind.RATIO,
        numerator="mediation_succeeded",
        denominator="mediation_cases",
        factor=100,
    )
    assert (rate.space_aggregation, rate.time_aggregation) == ("none", "none")


# -- personal data ----------------------------------------------------------------------------


@pytest.fixture
def exemplar() -> Participant:
    return Participant(
        id="p-exemplar-1",
        roles=["exemplar", "released_prisoner"],
        admin_unit="03589.01",
        note_vi="Kinh doanh vật liệu xây dựng.",
        full_name="Nguyễn Văn A (tên giả định)",
        identity_number="012345678901",
        birth_date=dt.date(1975, 3, 9),
    )


def test_sensitive_fields_are_hidden_by_default(exemplar: Participant) -> None:
    assert exemplar.has_sensitive_data
    for dumped in (
        exemplar.model_dump(),
        exemplar.model_dump(mode="json"),
        json.loads(exemplar.model_dump_json()),
    ):
        assert not set(SENSITIVE_FIELDS) & set(dumped)
    shown = [repr(exemplar), str(exemplar), exemplar.model_dump_json(), str(exemplar.model_dump())]
    for text in shown:
        assert "Nguyễn Văn A (tên giả định)" not in text
        assert "012345678901" not in text
        assert "1975" not in text
    assert exemplar.full_name == "Nguyễn Văn A (tên giả định)"  # the owner can still read it


def test_sensitive_fields_are_dumped_when_asked(exemplar: Participant) -> None:
    dumped = exemplar.model_dump(mode="json", context=SENSITIVE)
    assert dumped["full_name"] == "Nguyễn Văn A (tên giả định)"
    assert dumped["identity_number"] == "012345678901"
    assert dumped["birth_date"] == "1975-03-09"
    again = Participant.model_validate_json(exemplar.model_dump_json(context=SENSITIVE))
    assert again == exemplar


@given(ats.participants())
def test_generated_participants_hide_what_they_hold(person: Participant) -> None:
    public = person.model_dump(mode="json")
    private = person.model_dump(mode="json", context=SENSITIVE)
    assert not set(SENSITIVE_FIELDS) & set(public)
    assert {k: v for k, v in private.items() if k not in SENSITIVE_FIELDS} == public
    assert person.has_sensitive_data == any(private[f] is not None for f in SENSITIVE_FIELDS)


def test_pseudonymised_drops_personal_data_and_is_keyed(exemplar: Participant) -> None:
    first = exemplar.pseudonymised(b"the province key")
    assert not first.has_sensitive_data
    assert first.id != exemplar.id
    assert first.id.startswith("p-")
    assert first == exemplar.pseudonymised(b"the province key")  # deterministic per key
    assert first.id != exemplar.pseudonymised(b"another province key").id
    assert first.model_dump(exclude={"id"}) == exemplar.model_dump(exclude={"id"})
    assert exemplar.full_name == "Nguyễn Văn A (tên giả định)"  # the original is untouched
    assert "Nguyễn Văn A (tên giả định)" not in first.model_dump_json(context=SENSITIVE)


@given(ats.participants(), ats.participants(), st.binary(min_size=16, max_size=64))
def test_pseudonyms_are_a_function_of_id_and_key(
    a: Participant, b: Participant, key: bytes
) -> None:
    assert (a.pseudonymised(key).id == b.pseudonymised(key).id) == (a.id == b.id)


@pytest.mark.parametrize(
    "key", ["a str key of 16 characters", b"", b"15 bytes is few", bytearray(32), None]
)
def test_a_pseudonym_key_is_16_bytes_or_more(exemplar: Participant, key: Any) -> None:
    with pytest.raises(InvalidValueError) as info:
        exemplar.pseudonymised(key)
    assert info.value.what == "pseudonym key"


@pytest.mark.parametrize("flag", ["yes", "1", 1])
def test_flags_are_strict_booleans(flag: object) -> None:
    with pytest.raises(ValidationError) as info:
        Initiative.model_validate({"id": "x", "name_vi": "Mô hình", "theme": "t", "typical": flag})
    assert info.value.errors()[0]["loc"] == ("typical",)
